package orm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Edge cases of saving and reading rows: zero values, deferred fields,
// JSON strings, bulk writes, savepoints, locks and keys with defaults.

type SaveEdgeItem struct {
	ID       int64
	Name     string
	Note     string
	IsActive bool
	Count    int
}

var SaveEdgeItems = orm.Define("saveedge", func(p *SaveEdgeItem, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(50))
	m.Char(&p.Note, orm.MaxLength(50), orm.Blank())
	m.Boolean(&p.IsActive, orm.Default(true))
	m.Integer(&p.Count, orm.Default(0))
	m.Meta(orm.Ordering("-count"))
})

type SaveEdgeBare struct {
	ID int64
}

var SaveEdgeBares = orm.Define("saveedge", func(p *SaveEdgeBare, m *orm.Schema) {})

type SaveEdgeDoc struct {
	ID   int64
	Data any
}

var SaveEdgeDocs = orm.Define("saveedge", func(p *SaveEdgeDoc, m *orm.Schema) {
	m.JSON(&p.Data, orm.Null())
})

type SaveEdgeToken struct {
	Token uuid.UUID
	Name  string
}

var SaveEdgeTokens = orm.Define("saveedge", func(p *SaveEdgeToken, m *orm.Schema) {
	m.UUID(&p.Token, orm.PrimaryKey(), orm.Default(uuid.New))
	m.Char(&p.Name, orm.MaxLength(50))
})

var revbModels = []*orm.Meta{SaveEdgeItems.Meta, SaveEdgeBares.Meta, SaveEdgeDocs.Meta, SaveEdgeTokens.Meta}

func revbSeed(t *testing.T, ctx context.Context) []*SaveEdgeItem {
	t.Helper()
	items := []*SaveEdgeItem{
		{Name: "a", Note: "keep-a", Count: 10},
		{Name: "b", Note: "keep-b", Count: 20},
		{Name: "b", Note: "keep-c", Count: 30},
	}
	for _, it := range items {
		it2 := SaveEdgeItems.New()
		*it2 = *it
		if err := SaveEdgeItems.Save(ctx, it2); err != nil { // IsActive false kept: from New
			t.Fatal(err)
		}
		*it = *it2
	}
	return items
}

func revbGet(t *testing.T, ctx context.Context, id int64) *SaveEdgeItem {
	t.Helper()
	got, err := SaveEdgeItems.Objects().Get(ctx, orm.Q{"id": id})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Finding 2: Raw leaves the columns it did not select deferred.
func TestSaveEdgeRawDefersMissingFields(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		items := revbSeed(t, ctx)
		got, err := SaveEdgeItems.Raw(ctx, "SELECT id, name FROM "+SaveEdgeItems.Table+" WHERE id = ?", items[1].ID)
		if err != nil || len(got) != 1 {
			t.Fatal(got, err)
		}
		if d := SaveEdgeItems.Deferred(got[0]); len(d) != 3 {
			t.Errorf("deferred = %v, want note, is_active, count", d)
		}
		got[0].Name = "renamed"
		if err := SaveEdgeItems.Save(ctx, got[0]); err != nil {
			t.Fatal(err)
		}
		row := revbGet(t, ctx, items[1].ID)
		if row.Name != "renamed" || row.Note != "keep-b" || row.Count != 20 || row.IsActive {
			t.Errorf("row = %+v", row)
		}
	})
}

// Finding 3: the insert after an UPDATE of no row keeps zero values, and
// Copy saves a loaded row as a new one with its values as they are.
func TestSaveEdgeSaveKeepsZeroValues(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		obj := &SaveEdgeItem{ID: 999, Name: "fallback", IsActive: false}
		if err := SaveEdgeItems.Save(ctx, obj); err != nil {
			t.Fatal(err)
		}
		if row := revbGet(t, ctx, 999); row.IsActive || row.Name != "fallback" {
			t.Errorf("fallback insert row = %+v, want is_active false", row)
		}

		items := revbSeed(t, ctx)
		loaded := revbGet(t, ctx, items[0].ID)
		cp := SaveEdgeItems.Copy(loaded)
		if cp.ID != 0 || loaded.ID != items[0].ID {
			t.Fatalf("copy id %d, original id %d", cp.ID, loaded.ID)
		}
		if err := SaveEdgeItems.Save(ctx, cp); err != nil {
			t.Fatal(err)
		}
		if cp.ID == 0 || cp.ID == loaded.ID {
			t.Fatalf("copy saved with id %d", cp.ID)
		}
		row := revbGet(t, ctx, cp.ID)
		if row.IsActive || row.Name != "a" || row.Note != "keep-a" || row.Count != 10 {
			t.Errorf("copy row = %+v", row)
		}
		if n, _ := SaveEdgeItems.Objects().Count(ctx); n != 5 {
			t.Errorf("count = %d, want 5", n)
		}
	})
}

// Finding 5: a JSON value that is a Go string goes through COPY as JSON.
func TestSaveEdgeBulkCreateJSONString(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		docs := []*SaveEdgeDoc{{Data: "hello"}, {Data: map[string]any{"k": "v"}}, {Data: float64(3)}}
		if err := SaveEdgeDocs.Objects().BulkCreate(ctx, docs, 0); err != nil {
			t.Fatal(err)
		}
		got, err := SaveEdgeDocs.Objects().OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || got[0].Data != "hello" || fmt.Sprint(got[1].Data) != "map[k:v]" || got[2].Data != float64(3) {
			t.Errorf("read back %#v %#v %#v", got[0].Data, got[1].Data, got[2].Data)
		}
	})
}

// Finding 6: Save with no field to update checks the row exists.
func TestSaveEdgeSaveNothingToUpdate(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		items := revbSeed(t, ctx)
		obj, err := SaveEdgeItems.Objects().Only("id").Get(ctx, orm.Q{"id": items[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			if err := SaveEdgeItems.Save(ctx, obj); err != nil {
				t.Fatal(err)
			}
		})
		if row := revbGet(t, ctx, items[0].ID); row.Name != "a" || row.Count != 10 {
			t.Errorf("row = %+v", row)
		}

		bare := &SaveEdgeBare{ID: 7}
		ormtest.AssertNumQueries(t, ctx, 2, func(ctx context.Context) { // exists, insert
			if err := SaveEdgeBares.Save(ctx, bare); err != nil {
				t.Fatal(err)
			}
		})
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) { // exists
			if err := SaveEdgeBares.Save(ctx, bare); err != nil {
				t.Fatal(err)
			}
		})
		if n, err := SaveEdgeBares.Objects().Count(ctx); err != nil || n != 1 {
			t.Errorf("count = %d, %v", n, err)
		}

		obj.Name = "unsaved"
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			if err := SaveEdgeItems.Save(ctx, obj, orm.UpdateFields()); err != nil {
				t.Fatal(err)
			}
		})
	})
}

// Finding 7: a queryset narrowed with Defer is its primary keys as a
// subquery.
func TestSaveEdgeSubqueryWithDefer(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		revbSeed(t, ctx)
		sub := SaveEdgeItems.Objects().Defer("name", "note", "is_active") // leaves id, count
		n, err := SaveEdgeItems.Objects().Filter(orm.Q{"id__in": sub}).Count(ctx)
		if err != nil || n != 3 {
			t.Errorf("count = %d, %v; want 3", n, err)
		}
		names := SaveEdgeItems.Objects().Filter(orm.Q{"count": 20}).Only("name")
		n, err = SaveEdgeItems.Objects().Filter(orm.Q{"name__in": names}).Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("Only(name) subquery count = %d, %v; want 2", n, err)
		}
	})
}

// Finding 12: BulkUpdate keeps its batches under the variable limit:
// 7,000 rows of 2 fields bind 35,000 variables, over SQLite's 32,766 (a
// CASE of that many branches is slow, hence SQLite only and no more rows).
func TestSaveEdgeBulkUpdateManyRows(t *testing.T) {
	func(t *testing.T, ctx context.Context) {
		const n = 7000
		objs := make([]*SaveEdgeItem, n)
		for i := range objs {
			objs[i] = &SaveEdgeItem{Name: "x", IsActive: true}
		}
		if err := SaveEdgeItems.Objects().BulkCreate(ctx, objs, 0); err != nil {
			t.Fatal(err)
		}
		for i, o := range objs {
			o.Name, o.Count = "y", i
		}
		got, err := SaveEdgeItems.Objects().BulkUpdate(ctx, objs, []string{"name", "count"}, 0)
		if err != nil || got != n {
			t.Fatalf("updated %d, %v", got, err)
		}
		if c, _ := SaveEdgeItems.Objects().Filter(orm.Q{"name": "y"}).Count(ctx); c != n {
			t.Errorf("count = %d", c)
		}
		if last := revbGet(t, ctx, objs[n-1].ID); last.Count != n-1 {
			t.Errorf("last = %+v", last)
		}
	}(t, ormtest.Open(t, "sqlite", revbModels...))
}

// Finding 13: counting a DISTINCT queryset ignores the default ordering.
func TestSaveEdgeDistinctCount(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		revbSeed(t, ctx)
		qs := SaveEdgeItems.Objects().Distinct().Only("name")
		if n, err := qs.Count(ctx); err != nil || n != 3 { // Only keeps the pk: three rows
			t.Errorf("count = %d, %v; want 3", n, err)
		}
		if n, err := qs.Limit(1).Count(ctx); err != nil || n != 1 {
			t.Errorf("sliced count = %d, %v; want 1", n, err)
		}
	})
}

// Finding 14: an in-memory SQLite database is one database for the pool.
func TestSaveEdgeSQLiteMemory(t *testing.T) {
	ctx := context.Background()
	db, err := orm.Open(ctx, "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx = orm.WithDB(ctx, db)
	if err := orm.CreateTables(ctx, SaveEdgeItems.Meta); err != nil {
		t.Fatal(err)
	}
	if err := orm.Atomic(ctx, func(ctx context.Context) error {
		return SaveEdgeItems.Objects().Create(ctx, &SaveEdgeItem{Name: "m"})
	}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if n, err := SaveEdgeItems.Objects().Count(ctx); err != nil || n != 1 {
			t.Fatalf("count = %d, %v", n, err)
		}
	}
}

// Finding 15: BulkCreate takes objects with and without a key together.
func TestSaveEdgeBulkCreateMixedKeys(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		objs := []*SaveEdgeItem{{Name: "auto1"}, {ID: 500, Name: "manual"}, {Name: "auto2"}}
		if err := SaveEdgeItems.Objects().BulkCreate(ctx, objs, 0); err != nil {
			t.Fatal(err)
		}
		if objs[1].ID != 500 || objs[0].ID == 0 || objs[2].ID == 0 || objs[0].ID == objs[2].ID {
			t.Fatalf("ids %d %d %d", objs[0].ID, objs[1].ID, objs[2].ID)
		}
		for _, o := range objs {
			if row := revbGet(t, ctx, o.ID); row.Name != o.Name {
				t.Errorf("row %d = %+v, want %s", o.ID, row, o.Name)
			}
		}
	})
}

// Finding 17: a savepoint that cannot be rolled back fails the outer
// transaction instead of letting it commit; a failed COMMIT is not
// followed by a ROLLBACK.
func TestSaveEdgeBrokenSavepoint(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		boom := errors.New("boom")
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			if err := SaveEdgeItems.Objects().Create(ctx, &SaveEdgeItem{Name: "outer"}); err != nil {
				return err
			}
			inner := orm.Atomic(ctx, func(ctx context.Context) error {
				if err := SaveEdgeItems.Objects().Create(ctx, &SaveEdgeItem{Name: "inner"}); err != nil {
					return err
				}
				// The savepoint disappears: ROLLBACK TO it fails.
				if _, err := orm.Exec(ctx, "RELEASE SAVEPOINT quarry_sp_1"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(inner, boom) {
				return fmt.Errorf("inner = %v", inner)
			}
			return nil // the caller ignores the failed block
		})
		if err == nil || !strings.Contains(err.Error(), "savepoint") {
			t.Fatalf("Atomic = %v, want the savepoint failure", err)
		}
		if n, _ := SaveEdgeItems.Objects().Count(ctx); n != 0 {
			t.Errorf("count = %d, want 0 (nothing committed)", n)
		}

		if orm.FromContext(ctx).Vendor() == "postgres" {
			cctx, counter := orm.CountQueries(ctx)
			err := orm.Atomic(cctx, func(ctx context.Context) error {
				orm.Exec(ctx, "SELECT 1/0") // aborts the transaction; the error is ignored
				return nil
			})
			if err == nil {
				t.Fatal("commit of an aborted transaction succeeded")
			}
			for _, q := range counter.Queries() {
				if q == "ROLLBACK" {
					t.Errorf("ROLLBACK after the failed COMMIT: %v", counter.Queries())
				}
			}
		}
	})
}

// Finding 18: UpdateOrCreate's fallback lookup is locked too.
func TestSaveEdgeUpdateOrCreateLocks(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		cctx, counter := orm.CountQueries(ctx)
		obj, created, err := SaveEdgeItems.Objects().UpdateOrCreate(cctx, orm.Q{"name": "new"}, orm.Values{"count": 3})
		if err != nil || !created || obj.Count != 3 {
			t.Fatalf("%+v %v %v", obj, created, err)
		}
		if orm.FromContext(ctx).Vendor() != "postgres" {
			return
		}
		locked := 0
		for _, q := range counter.Queries() {
			if strings.HasPrefix(q, "SELECT") && strings.Contains(q, "FOR UPDATE") {
				locked++
			}
		}
		if locked != 2 {
			t.Errorf("%d locked selects, want 2: %v", locked, counter.Queries())
		}
	})
}

// Finding 22: Get keeps a LIMIT on a sliced queryset and drops the
// default ordering.
func TestSaveEdgeGetLimitAndOrdering(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		revbSeed(t, ctx)
		cctx, counter := orm.CountQueries(ctx)
		got, err := SaveEdgeItems.Objects().Filter(orm.Q{"name": "b"}).Offset(1).Get(cctx)
		if err != nil || got.Count != 20 { // ordered by -count: the second b
			t.Fatalf("%+v, %v", got, err)
		}
		if _, err := SaveEdgeItems.Objects().Get(cctx, orm.Q{"name": "a"}); err != nil {
			t.Fatal(err)
		}
		qs := counter.Queries()
		if len(qs) != 2 || !strings.Contains(qs[0], "LIMIT") || !strings.Contains(qs[0], "ORDER BY") {
			t.Errorf("sliced Get SQL: %v", qs)
		}
		if len(qs) == 2 && (strings.Contains(qs[1], "ORDER BY") || !strings.Contains(qs[1], "LIMIT")) {
			t.Errorf("Get SQL: %s", qs[1])
		}
	})
}

// Finding 23: an instance from New with a defaulted primary key is
// inserted at once, then updated.
func TestSaveEdgeDefaultPrimaryKeySave(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		tok := SaveEdgeTokens.New()
		tok.Name = "first"
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			if err := SaveEdgeTokens.Save(ctx, tok); err != nil {
				t.Fatal(err)
			}
		})
		tok.Name = "second"
		cctx, counter := orm.CountQueries(ctx)
		if err := SaveEdgeTokens.Save(cctx, tok); err != nil {
			t.Fatal(err)
		}
		if qs := counter.Queries(); len(qs) != 1 || !strings.HasPrefix(qs[0], "UPDATE") {
			t.Errorf("second save: %v", qs)
		}
		bulk := []*SaveEdgeToken{SaveEdgeTokens.New()}
		if err := SaveEdgeTokens.Objects().BulkCreate(ctx, bulk, 0); err != nil {
			t.Fatal(err)
		}
		bulk[0].Name = "bulk"
		if err := SaveEdgeTokens.Save(ctx, bulk[0]); err != nil {
			t.Fatal(err)
		}
		if n, _ := SaveEdgeTokens.Objects().Count(ctx); n != 2 {
			t.Errorf("count = %d, want 2", n)
		}
	})
}

// Finding 24: Flat[any] takes the values as they are.
func TestSaveEdgeFlatAny(t *testing.T) {
	ormtest.Each(t, revbModels, func(t *testing.T, ctx context.Context) {
		revbSeed(t, ctx)
		names, err := orm.Flat[any](ctx, SaveEdgeItems.Objects().OrderBy("count"), "name")
		if err != nil || len(names) != 3 || names[0] != "a" || names[2] != "b" {
			t.Errorf("names = %v, %v", names, err)
		}
		counts, err := orm.Flat[int64](ctx, SaveEdgeItems.Objects().OrderBy("count"), "count")
		if err != nil || len(counts) != 3 || counts[2] != 30 {
			t.Errorf("counts = %v, %v", counts, err)
		}
	})
}
