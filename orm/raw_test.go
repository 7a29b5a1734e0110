package orm_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

func seedRawPosts(t *testing.T, ctx context.Context) []*Post {
	t.Helper()
	posts := []*Post{
		{Title: "Quiet", Slug: "quiet", Body: "b", AuthorID: 1, ViewCount: 5},
		{Title: "Popular", Slug: "popular", Body: "b", AuthorID: 2, ViewCount: 150},
		{Title: "Viral", Slug: "viral", Body: "b", AuthorID: 2, ViewCount: 10000},
		{Title: "Borderline", Slug: "borderline", Body: "b", AuthorID: 3, ViewCount: 100},
	}
	if err := Posts.Objects().BulkCreate(ctx, posts, 0); err != nil {
		t.Fatal(err)
	}
	return posts
}

func TestRaw(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		seeded := seedRawPosts(t, ctx)

		t.Run("model instances", func(t *testing.T) {
			var got []*Post
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				var err error
				got, err = Posts.Raw(ctx, "SELECT * FROM blog_post WHERE view_count > ? ORDER BY view_count", 100)
				if err != nil {
					t.Fatal(err)
				}
			})
			if len(got) != 2 || got[0].Slug != "popular" || got[1].Slug != "viral" {
				t.Fatalf("got %v", slugList(got))
			}
			p := got[1]
			want := seeded[2]
			if p.ID != want.ID || p.Title != "Viral" || p.ViewCount != 10000 || p.AuthorID != 2 || !p.IsActive ||
				!p.CreatedAt.Equal(want.CreatedAt) || p.Body != "b" {
				t.Errorf("instance = %+v, want %+v", p, want)
			}
		})

		tests := []struct {
			name  string
			query string
			args  []any
			want  []string
		}{
			{"several placeholders", "SELECT * FROM blog_post WHERE view_count >= ? AND author_id = ? ORDER BY id", []any{100, 2}, []string{"popular", "viral"}},
			{"a subset of columns", "SELECT id, slug FROM blog_post WHERE slug = ?", []any{"quiet"}, []string{"quiet"}},
			{"extra columns are ignored", "SELECT id, slug, 42 AS answer FROM blog_post WHERE slug = ?", []any{"quiet"}, []string{"quiet"}},
			{"no rows", "SELECT * FROM blog_post WHERE view_count > ?", []any{1000000}, nil},
			{"question mark in a string literal", "SELECT * FROM blog_post WHERE title <> 'why?' AND view_count > ? ORDER BY id", []any{1000}, []string{"viral"}},
			{"question mark in a comment", "SELECT * FROM blog_post -- why?\nWHERE view_count > ? ORDER BY id", []any{1000}, []string{"viral"}},
			{"question mark in a block comment", "SELECT * FROM blog_post /* ? */ WHERE view_count > ? ORDER BY id", []any{1000}, []string{"viral"}},
			{"quoted identifier", `SELECT "id", "slug" FROM "blog_post" WHERE "slug" = ?`, []any{"viral"}, []string{"viral"}},
			{"escaped quote in a literal", "SELECT * FROM blog_post WHERE title <> 'it''s ?' AND slug = ?", []any{"quiet"}, []string{"quiet"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := Posts.Raw(ctx, tt.query, tt.args...)
				if err != nil {
					t.Fatal(err)
				}
				if s := slugList(got); !slices.Equal(s, tt.want) {
					t.Errorf("slugs = %v, want %v", s, tt.want)
				}
			})
		}

		t.Run("partial columns leave the rest zero", func(t *testing.T) {
			got, err := Posts.Raw(ctx, "SELECT id, slug FROM blog_post WHERE slug = ?", "quiet")
			if err != nil || len(got) != 1 {
				t.Fatal(err)
			}
			if got[0].Title != "" || got[0].ID != seeded[0].ID {
				t.Errorf("got %+v", got[0])
			}
		})

		t.Run("primary key required", func(t *testing.T) {
			_, err := Posts.Raw(ctx, "SELECT slug FROM blog_post")
			if err == nil || !strings.Contains(err.Error(), `primary key column "id"`) {
				t.Errorf("err = %v", err)
			}
		})

		t.Run("syntax error", func(t *testing.T) {
			if _, err := Posts.Raw(ctx, "SELEKT * FROM blog_post"); err == nil {
				t.Error("no error")
			}
		})

		t.Run("inside a transaction", func(t *testing.T) {
			err := orm.Atomic(ctx, func(ctx context.Context) error {
				if err := Posts.Save(ctx, &Post{Title: "tx", Slug: "raw-tx", Body: "b"}); err != nil {
					return err
				}
				got, err := Posts.Raw(ctx, "SELECT * FROM blog_post WHERE slug = ?", "raw-tx")
				if err != nil {
					return err
				}
				if len(got) != 1 {
					t.Errorf("the raw query does not see the transaction's row")
				}
				return errors.New("roll back")
			})
			if err == nil {
				t.Fatal("no error")
			}
		})
	})
}

func slugList(posts []*Post) []string {
	var out []string
	for _, p := range posts {
		out = append(out, p.Slug)
	}
	return out
}

func TestRawCursor(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		seedRawPosts(t, ctx)

		t.Run("QueryRow count", func(t *testing.T) {
			var total int64
			if err := orm.QueryRow(ctx, "SELECT COUNT(*) FROM blog_post", nil, &total); err != nil {
				t.Fatal(err)
			}
			if total != 4 {
				t.Errorf("COUNT(*) = %d", total)
			}
		})

		t.Run("QueryRow with arguments", func(t *testing.T) {
			var title string
			var views int64
			err := orm.QueryRow(ctx, "SELECT title, view_count FROM blog_post WHERE slug = ?", []any{"viral"}, &title, &views)
			if err != nil || title != "Viral" || views != 10000 {
				t.Errorf("got %q %d %v", title, views, err)
			}
		})

		t.Run("QueryRow without a row", func(t *testing.T) {
			var id int64
			err := orm.QueryRow(ctx, "SELECT id FROM blog_post WHERE slug = ?", []any{"nope"}, &id)
			if !errors.Is(err, orm.ErrDoesNotExist) {
				t.Errorf("err = %v", err)
			}
		})

		t.Run("Query iterates", func(t *testing.T) {
			rows, err := orm.Query(ctx, "SELECT slug, view_count FROM blog_post WHERE view_count >= ? ORDER BY view_count DESC", 100)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			if cols := rows.Columns(); !slices.Equal(cols, []string{"slug", "view_count"}) {
				t.Errorf("columns = %v", cols)
			}
			var got []string
			for rows.Next() {
				var slug string
				var n int64
				if err := rows.Scan(&slug, &n); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s=%d", slug, n))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if want := []string{"viral=10000", "popular=150", "borderline=100"}; !slices.Equal(got, want) {
				t.Errorf("rows = %v, want %v", got, want)
			}
		})

		t.Run("Values", func(t *testing.T) {
			rows, err := orm.Query(ctx, "SELECT slug, author_id FROM blog_post WHERE slug = ?", "quiet")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			if !rows.Next() {
				t.Fatal("no row")
			}
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			if len(vals) != 2 || fmt.Sprint(vals[0]) != "quiet" || fmt.Sprint(vals[1]) != "1" {
				t.Errorf("values = %#v", vals)
			}
		})

		t.Run("Exec counts rows", func(t *testing.T) {
			n, err := orm.Exec(ctx, "UPDATE blog_post SET view_count = view_count + ? WHERE author_id = ?", 1, 2)
			if err != nil || n != 2 {
				t.Fatalf("n = %d, err = %v", n, err)
			}
			var views int64
			if err := orm.QueryRow(ctx, "SELECT view_count FROM blog_post WHERE slug = ?", []any{"popular"}, &views); err != nil || views != 151 {
				t.Errorf("view_count = %d, %v", views, err)
			}
		})

		t.Run("Exec in a transaction rolls back", func(t *testing.T) {
			orm.Atomic(ctx, func(ctx context.Context) error {
				if _, err := orm.Exec(ctx, "DELETE FROM blog_post"); err != nil {
					return err
				}
				return errors.New("undo")
			})
			if n := countTableRows(t, ctx, "blog_post"); n != 4 {
				t.Errorf("%d rows after the rollback", n)
			}
		})

		t.Run("no database", func(t *testing.T) {
			if _, err := orm.Exec(context.Background(), "SELECT 1"); !errors.Is(err, orm.ErrNoDB) {
				t.Errorf("Exec: %v", err)
			}
			if _, err := orm.Query(context.Background(), "SELECT 1"); !errors.Is(err, orm.ErrNoDB) {
				t.Errorf("Query: %v", err)
			}
			if _, err := Posts.Raw(context.Background(), "SELECT * FROM blog_post"); !errors.Is(err, orm.ErrNoDB) {
				t.Errorf("Raw: %v", err)
			}
		})
	})
}

// Input bound as a parameter is data, never SQL.
func TestRawInjection(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		hostile := []string{
			"x'; DROP TABLE blog_post; --",
			`x"; DROP TABLE blog_post; --`,
			"' OR '1'='1",
			"?",
			"$1",
			"'?'",
			`\'; DELETE FROM blog_post; --`,
			"Robert'); DROP TABLE students;--",
		}
		for i, title := range hostile {
			t.Run(title, func(t *testing.T) {
				slug := fmt.Sprintf("hostile-%d", i)
				if err := Posts.Save(ctx, &Post{Title: title, Slug: slug, Body: "b"}); err != nil {
					t.Fatal(err)
				}
				got, err := Posts.Raw(ctx, "SELECT * FROM blog_post WHERE title = ?", title)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].Title != title || got[0].Slug != slug {
					t.Fatalf("round trip: %v", slugList(got))
				}
				var n int64
				if err := orm.QueryRow(ctx, "SELECT COUNT(*) FROM blog_post WHERE title = ?", []any{title}, &n); err != nil || n != 1 {
					t.Errorf("count = %d, %v", n, err)
				}
				if _, err := orm.Exec(ctx, "UPDATE blog_post SET body = ? WHERE slug = ?", title, slug); err != nil {
					t.Fatal(err)
				}
				p, err := Posts.Objects().Get(ctx, orm.Q{"body": title})
				if err != nil || p.Slug != slug {
					t.Errorf("filter on the stored value: %v", err)
				}
			})
		}
		t.Run("table intact", func(t *testing.T) {
			if !tableExists(t, ctx, "blog_post") {
				t.Fatal("blog_post was dropped")
			}
			if n := countTableRows(t, ctx, "blog_post"); n != int64(len(hostile)) {
				t.Errorf("%d rows, want %d", n, len(hostile))
			}
		})
	})
}

// recorder is a Tracer that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []orm.QueryEvent
}

func (r *recorder) TraceQuery(_ context.Context, ev orm.QueryEvent) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) sqls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, ev := range r.events {
		out[i] = ev.SQL
	}
	return out
}

// openTraced opens a fresh database of the vendor with a tracer, like
// ormtest.Open (a schema of its own on PostgreSQL).
func openTraced(t *testing.T, vendor string, tracer orm.Tracer, models ...*orm.Meta) context.Context {
	t.Helper()
	ctx := context.Background()
	var url string
	switch vendor {
	case "sqlite":
		url = "sqlite:" + filepath.Join(t.TempDir(), "traced.sqlite3")
	case "postgres":
		base := ormtest.PostgresURL(t)
		admin, err := orm.Open(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		var b [6]byte
		rand.Read(b[:])
		schema := "quarry_trace_" + hex.EncodeToString(b[:])
		actx := orm.WithDB(ctx, admin)
		if _, err := orm.Exec(actx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			orm.Exec(actx, "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		url = base + sep + "search_path=" + schema
	}
	db, err := orm.Open(ctx, url, orm.WithTracer(tracer))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ctx = orm.WithDB(ctx, db)
	if err := orm.CreateTables(ctx, models...); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func TestTracer(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			rec := &recorder{}
			ctx := openTraced(t, vendor, rec, Posts.Meta)
			rec.mu.Lock()
			rec.events = nil // forget the DDL
			rec.mu.Unlock()

			cctx, counter := orm.CountQueries(ctx)
			work := func(ctx context.Context) {
				p := &Post{Title: "Traced", Slug: "traced", Body: "b"}
				if err := Posts.Save(ctx, p); err != nil {
					t.Fatal(err)
				}
				if _, err := Posts.Objects().Filter(orm.Q{"view_count__gte": 0}).Count(ctx); err != nil {
					t.Fatal(err)
				}
				if err := orm.Atomic(ctx, func(ctx context.Context) error {
					orm.Atomic(ctx, func(ctx context.Context) error { return errors.New("inner") })
					return Posts.Objects().BulkCreate(ctx, bulkPosts("traced", 3), 0)
				}); err != nil {
					t.Fatal(err)
				}
				if _, err := orm.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
					t.Fatal("no error")
				}
			}
			work(cctx)

			got := rec.sqls()
			if !slices.Equal(got, counter.Queries()) {
				t.Errorf("tracer and CountQueries disagree:\n%v\n%v", got, counter.Queries())
			}
			bulk := []string{`INSERT INTO "blog_post"`}
			if vendor == "postgres" {
				bulk = []string{"WITH s AS"} // one INSERT of arrays that draws the keys
			}
			wantPrefixes := append([]string{`INSERT INTO "blog_post"`, "SELECT COUNT(*)", "BEGIN", "SAVEPOINT quarry_sp_1",
				"ROLLBACK TO SAVEPOINT quarry_sp_1", "RELEASE SAVEPOINT quarry_sp_1", "SAVEPOINT quarry_sp_1"},
				append(bulk, "RELEASE SAVEPOINT quarry_sp_1", "COMMIT", "SELECT * FROM no_such_table")...)
			if len(got) != len(wantPrefixes) {
				t.Fatalf("traced %d statements, want %d:\n%s", len(got), len(wantPrefixes), strings.Join(got, "\n"))
			}
			for i, w := range wantPrefixes {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("statement %d = %q, want %q…", i, got[i], w)
				}
			}
			if counter.Count() != len(wantPrefixes) {
				t.Errorf("Count() = %d", counter.Count())
			}

			rec.mu.Lock()
			defer rec.mu.Unlock()
			insert := rec.events[0]
			if !slices.ContainsFunc(insert.Args, func(a any) bool { return a == "traced" }) {
				t.Errorf("insert args = %v", insert.Args)
			}
			last := rec.events[len(rec.events)-1]
			if last.Err == nil {
				t.Errorf("the failed statement was traced without its error")
			}
			for _, ev := range rec.events {
				if ev.Duration < 0 {
					t.Errorf("%q: negative duration", ev.SQL)
				}
			}
		})
	}
}

func TestCountQueries(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		t.Run("nested counters", func(t *testing.T) {
			outer, oc := orm.CountQueries(ctx)
			inner, ic := orm.CountQueries(outer)
			Posts.Objects().Count(outer)
			Posts.Objects().Count(inner)
			Posts.Objects().Exists(inner)
			if oc.Count() != 3 || ic.Count() != 2 {
				t.Errorf("outer %d inner %d", oc.Count(), ic.Count())
			}
		})
		t.Run("lazy querysets cost nothing", func(t *testing.T) {
			ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
				_ = Posts.Objects().Filter(orm.Q{"view_count__gt": 1}).OrderBy("-title").Limit(3)
			})
		})
		t.Run("the tracer's context is the caller's", func(t *testing.T) {
			var seen []string
			octx := orm.Observe(ctx, func(ev orm.QueryEvent) { seen = append(seen, ev.SQL) })
			Posts.Objects().Count(octx)
			Posts.Objects().Count(ctx) // not observed
			if len(seen) != 1 {
				t.Errorf("observed %v", seen)
			}
		})
		t.Run("concurrent use", func(t *testing.T) {
			cctx, counter := orm.CountQueries(ctx)
			var wg sync.WaitGroup
			for range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					Posts.Objects().Count(cctx)
				}()
			}
			wg.Wait()
			if counter.Count() != 10 {
				t.Errorf("counted %d", counter.Count())
			}
		})
	})
}
