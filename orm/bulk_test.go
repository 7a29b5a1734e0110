package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

func vendorOf(ctx context.Context) string { return orm.FromContext(ctx).Vendor() }

func bulkPosts(prefix string, n int) []*Post {
	posts := make([]*Post, n)
	for i := range posts {
		posts[i] = &Post{
			Title:    fmt.Sprintf("Post %d", i),
			Slug:     fmt.Sprintf("%s-%d", prefix, i),
			Body:     "...",
			AuthorID: int64(i%7 + 1),
		}
	}
	return posts
}

func countTableRows(t *testing.T, ctx context.Context, table string) int64 {
	t.Helper()
	var n int64
	if err := orm.QueryRow(ctx, "SELECT COUNT(*) FROM "+table, nil, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// containsStatement reports whether one of the statements starts with prefix.
func hasStatement(stmts []string, prefix string) bool {
	return slices.ContainsFunc(stmts, func(s string) bool { return strings.HasPrefix(s, prefix) })
}

// checkBulkPosts checks that every post got a key of its own, and that
// the row with that key holds the post's values.
func checkBulkPosts(t *testing.T, ctx context.Context, slugPrefix string, posts []*Post) {
	t.Helper()
	rows, err := Posts.Objects().Filter(orm.Q{"slug__startswith": slugPrefix}).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(posts) {
		t.Fatalf("%d rows, want %d", len(rows), len(posts))
	}
	byID := map[int64]*Post{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	for i, p := range posts {
		r := byID[p.ID]
		if p.ID == 0 || r == nil {
			t.Fatalf("post %d: key %d, which no row has", i, p.ID)
		}
		delete(byID, p.ID) // a key given twice is found missing the second time
		if r.Slug != p.Slug || r.Title != p.Title || r.Body != p.Body || r.AuthorID != p.AuthorID ||
			r.ViewCount != p.ViewCount || r.IsActive != p.IsActive || !r.CreatedAt.Equal(p.CreatedAt) ||
			!r.UpdatedAt.Equal(p.UpdatedAt) {
			t.Fatalf("row %d = %+v, object %+v", p.ID, r, p)
		}
	}
}

func TestBulkCreate(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		t.Run("1000 posts in batches of 100", func(t *testing.T) {
			posts := bulkPosts("bulk", 1000)
			before := time.Now().Add(-time.Second)
			cctx, counter := orm.CountQueries(ctx)
			if err := Posts.Objects().BulkCreate(cctx, posts, 100); err != nil {
				t.Fatal(err)
			}
			stmts := counter.Queries()
			// BEGIN, 10 batches, COMMIT: on PostgreSQL each batch is one
			// INSERT of arrays that also draws the keys; on SQLite it is
			// one multi-row INSERT … RETURNING.
			if len(stmts) != 12 {
				t.Errorf("%d statements, want 12:\n%s", len(stmts), strings.Join(stmts, "\n"))
			}
			if vendorOf(ctx) == "postgres" {
				inserts := 0
				for _, s := range stmts {
					if strings.HasPrefix(s, "WITH s AS") && strings.Contains(s, `INSERT INTO "blog_post"`) {
						inserts++
					}
				}
				if inserts != 10 || hasStatement(stmts, "COPY") {
					t.Errorf("%d INSERTs of arrays, want 10, and no COPY:\n%s", inserts, strings.Join(stmts, "\n"))
				}
			} else {
				inserts := 0
				for _, s := range stmts {
					if strings.HasPrefix(s, `INSERT INTO "blog_post"`) {
						inserts++
						if strings.Count(s, "), (") != 99 {
							t.Errorf("an INSERT does not carry 100 rows")
						}
					}
				}
				if inserts != 10 {
					t.Errorf("%d INSERTs, want 10", inserts)
				}
			}

			for i, p := range posts {
				if !p.IsActive || p.CreatedAt.Before(before) || p.UpdatedAt.IsZero() {
					t.Fatalf("post %d: defaults not applied: %+v", i, p)
				}
			}
			checkBulkPosts(t, ctx, "bulk-", posts)
		})

		t.Run("one batch when batch size is zero", func(t *testing.T) {
			posts := bulkPosts("onebatch", 30)
			cctx, counter := orm.CountQueries(ctx)
			if err := Posts.Objects().BulkCreate(cctx, posts, 0); err != nil {
				t.Fatal(err)
			}
			// one statement is atomic by itself: no BEGIN or COMMIT
			if counter.Count() != 1 {
				t.Errorf("%d statements, want 1: %v", counter.Count(), counter.Queries())
			}
			checkBulkPosts(t, ctx, "onebatch-", posts)
		})

		t.Run("a large batch goes by COPY on PostgreSQL", func(t *testing.T) {
			posts := bulkPosts("large", orm.PGUnnestMax+1)
			cctx, counter := orm.CountQueries(ctx)
			if err := Posts.Objects().BulkCreate(cctx, posts, 0); err != nil {
				t.Fatal(err)
			}
			stmts := counter.Queries()
			if vendorOf(ctx) == "postgres" {
				// BEGIN, the keys reserved from the sequence, COPY, COMMIT
				if len(stmts) != 4 || !hasStatement(stmts, "COPY blog_post") {
					t.Errorf("statements:\n%s", strings.Join(stmts, "\n"))
				}
			} else if len(stmts) != 1 {
				t.Errorf("%d statements, want 1", len(stmts))
			}
			checkBulkPosts(t, ctx, "large-", posts)
		})

		t.Run("objects with and without keys in one batch", func(t *testing.T) {
			posts := bulkPosts("mixed", 6)
			posts[1].ID, posts[4].ID = 900001, 900002
			if err := Posts.Objects().BulkCreate(ctx, posts, 0); err != nil {
				t.Fatal(err)
			}
			if posts[1].ID != 900001 || posts[4].ID != 900002 {
				t.Errorf("given keys changed to %d, %d", posts[1].ID, posts[4].ID)
			}
			checkBulkPosts(t, ctx, "mixed-", posts)
		})

		t.Run("a failing row in a one-statement batch inserts nothing", func(t *testing.T) {
			before := countTableRows(t, ctx, "blog_post")
			posts := bulkPosts("onefail", 30)
			posts[20].Slug = posts[2].Slug
			cctx, counter := orm.CountQueries(ctx)
			err := Posts.Objects().BulkCreate(cctx, posts, 0)
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != "unique" || !slices.Equal(ie.Fields, []string{"slug"}) {
				t.Fatalf("err = %v, want a unique IntegrityError on slug", err)
			}
			if counter.Count() != 1 {
				t.Errorf("%d statements, want 1: %v", counter.Count(), counter.Queries())
			}
			if n := countTableRows(t, ctx, "blog_post"); n != before {
				t.Errorf("%d rows inserted by a failed BulkCreate", n-before)
			}
			for i, p := range posts {
				if p.ID != 0 {
					t.Fatalf("post %d kept primary key %d of a row that does not exist", i, p.ID)
				}
			}
		})

		t.Run("a failure inside a transaction undoes only the BulkCreate", func(t *testing.T) {
			before := countTableRows(t, ctx, "blog_post")
			posts := bulkPosts("innerfail", 5)
			posts[4].Slug = posts[0].Slug
			err := orm.Atomic(ctx, func(ctx context.Context) error {
				if err := Posts.Objects().BulkCreate(ctx, posts, 0); err == nil {
					t.Error("BulkCreate of a duplicate slug succeeded")
				}
				// On PostgreSQL this needs the savepoint: a failed statement
				// otherwise aborts the whole transaction.
				return Posts.Save(ctx, &Post{Title: "after", Slug: "innerfail-after", Body: "b", AuthorID: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := countTableRows(t, ctx, "blog_post"); n != before+1 {
				t.Errorf("%d new rows, want the 1 saved after the failure", n-before)
			}
		})

		t.Run("empty slice runs nothing", func(t *testing.T) {
			ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
				if err := Posts.Objects().BulkCreate(ctx, nil, 10); err != nil {
					t.Fatal(err)
				}
			})
		})

		t.Run("explicit values are kept", func(t *testing.T) {
			created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			posts := []*Post{
				{Title: "Kept", Slug: "kept-1", Body: "b", ViewCount: 5, CreatedAt: created},
			}
			if err := Posts.Objects().BulkCreate(ctx, posts, 10); err != nil {
				t.Fatal(err)
			}
			got, err := Posts.Objects().Get(ctx, orm.Q{"slug": "kept-1"})
			if err != nil {
				t.Fatal(err)
			}
			if got.ViewCount != 5 {
				t.Errorf("view_count = %d", got.ViewCount)
			}
			// auto_now_add overrides, as Django's pre_save does
			if got.CreatedAt.Equal(created) {
				t.Errorf("created_at kept the given value %v", got.CreatedAt)
			}
		})

		t.Run("other field types", func(t *testing.T) {
			products := []*Product{
				{Name: "Widget", SKU: "W-1", Price: decimal.RequireFromString("19.99"), StoreID: 1},
				{Name: "Gadget", SKU: "G-1", Price: decimal.RequireFromString("0.50"), StoreID: 1},
				{Name: "Widget", SKU: "W-1", Price: decimal.RequireFromString("21.00"), StoreID: 2},
			}
			if err := Products.Objects().BulkCreate(ctx, products, 2); err != nil {
				t.Fatal(err)
			}
			orders := []*Order{{}, {Status: StatusPaid, Checksum: "abc"}}
			if err := Orders.Objects().BulkCreate(ctx, orders, 0); err != nil {
				t.Fatal(err)
			}
			for _, o := range orders {
				got, err := Orders.Objects().Get(ctx, orm.Q{"pk": o.ID})
				if err != nil {
					t.Fatal(err)
				}
				if got.OrderNumber != o.OrderNumber || got.OrderNumber == [16]byte{} || got.Status != o.Status {
					t.Errorf("order = %+v, want %+v", got, o)
				}
			}
			if orders[0].Status != StatusPending {
				t.Errorf("default status not applied: %q", orders[0].Status)
			}
			got, err := Products.Objects().Get(ctx, orm.Q{"pk": products[1].ID})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Price.Equal(decimal.RequireFromString("0.5")) {
				t.Errorf("price = %s", got.Price)
			}
			avatars := []*Avatar{{Name: "a", Picture: orm.File{Name: "avatars/a.png"}}}
			if err := Avatars.Objects().BulkCreate(ctx, avatars, 0); err != nil {
				t.Fatal(err)
			}
			a, err := Avatars.Objects().Get(ctx, orm.Q{"pk": avatars[0].ID})
			if err != nil {
				t.Fatal(err)
			}
			if a.Picture.Name != "avatars/a.png" {
				t.Errorf("picture = %+v", a.Picture)
			}
		})

		t.Run("unique violation rolls back every batch", func(t *testing.T) {
			before := countTableRows(t, ctx, "blog_post")
			posts := bulkPosts("dup", 25)
			posts[17].Slug = posts[3].Slug // in a later batch than the original
			err := Posts.Objects().BulkCreate(ctx, posts, 10)
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != "unique" {
				t.Fatalf("err = %v, want a unique IntegrityError", err)
			}
			if ie.Model != "blog.Post" || !slices.Equal(ie.Fields, []string{"slug"}) {
				t.Errorf("IntegrityError = %+v", ie)
			}
			if n := countTableRows(t, ctx, "blog_post"); n != before {
				t.Errorf("%d rows inserted by a failed BulkCreate", n-before)
			}
			for i, p := range posts {
				if p.ID != 0 {
					t.Errorf("post %d kept primary key %d of a row that does not exist", i, p.ID)
					break
				}
			}
			// fixed, the same objects go in
			posts[17].Slug = "dup-fixed"
			if err := Posts.Objects().BulkCreate(ctx, posts, 10); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if n := countTableRows(t, ctx, "blog_post"); n != before+25 {
				t.Errorf("%d rows after the retry, want %d", n, before+25)
			}
		})

		t.Run("conflict with an existing row", func(t *testing.T) {
			before := countTableRows(t, ctx, "shop_product")
			products := []*Product{
				{Name: "New", SKU: "N-1", Price: decimal.NewFromInt(1), StoreID: 1},
				{Name: "Clash", SKU: "W-1", Price: decimal.NewFromInt(1), StoreID: 1},
			}
			err := Products.Objects().BulkCreate(ctx, products, 1)
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Constraint != "unique_sku_per_store" {
				t.Fatalf("err = %v", err)
			}
			if n := countTableRows(t, ctx, "shop_product"); n != before {
				t.Errorf("%d rows inserted", n-before)
			}
		})

		t.Run("inside a transaction that rolls back", func(t *testing.T) {
			before := countTableRows(t, ctx, "blog_post")
			boom := errors.New("boom")
			err := orm.Atomic(ctx, func(ctx context.Context) error {
				if err := Posts.Objects().BulkCreate(ctx, bulkPosts("inner", 20), 5); err != nil {
					return err
				}
				if n := countTableRows(t, ctx, "blog_post"); n != before+20 {
					t.Errorf("inside the transaction: %d new rows", n-before)
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			if n := countTableRows(t, ctx, "blog_post"); n != before {
				t.Errorf("%d rows survived the rollback", n-before)
			}
		})

		t.Run("check violation", func(t *testing.T) {
			reviews := []*Review{{ProductID: 1, Author: "a", Rating: 3}, {ProductID: 1, Author: "b", Rating: 9}}
			err := Reviews.Objects().BulkCreate(ctx, reviews, 0)
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != "check" || ie.Constraint != "rating_between_1_and_5" {
				t.Fatalf("err = %v", err)
			}
			if n := countTableRows(t, ctx, "suite_review"); n != 0 {
				t.Errorf("%d reviews inserted", n)
			}
		})
	})
}

// TestBulkCreateFieldTypes stores every field type, NULLs included, by
// BulkCreate and reads it back: on PostgreSQL once as arrays (a small
// batch) and once by COPY (a large one).
func TestBulkCreateFieldTypes(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		empty := func() *TypeZoo {
			return &TypeZoo{Label: "empty", Day: utcDate(2024, 1, 1), Moment: utcTime(2024, 1, 1, 0, 0, 0),
				Clock: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}
		}
		for _, n := range []int{2, orm.PGUnnestMax + 2} {
			t.Run(fmt.Sprintf("%d rows", n), func(t *testing.T) {
				zoos := make([]*TypeZoo, n)
				for i := range zoos {
					if i%2 == 0 {
						zoos[i] = zooValues()
					} else {
						zoos[i] = empty()
					}
				}
				if err := TypeZoos.Objects().BulkCreate(ctx, zoos, 0); err != nil {
					t.Fatal(err)
				}
				for _, i := range []int{0, 1, n - 2, n - 1} {
					got, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": zoos[i].ID})
					if err != nil {
						t.Fatal(err)
					}
					want := empty()
					if i%2 == 0 {
						want = zooValues()
					}
					checkZoo(t, got, want)
				}
			})
		}
	})
}

func TestBulkUpdate(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		posts := bulkPosts("bu", 250)
		if err := Posts.Objects().BulkCreate(ctx, posts, 0); err != nil {
			t.Fatal(err)
		}

		t.Run("one field in batches", func(t *testing.T) {
			for i, p := range posts {
				p.ViewCount = i * 3
				p.Title = "not saved"
			}
			var n int64
			ormtest.AssertNumQueries(t, ctx, 5, func(ctx context.Context) { // BEGIN, 3 UPDATEs, COMMIT
				var err error
				if n, err = Posts.Objects().BulkUpdate(ctx, posts, []string{"view_count"}, 100); err != nil {
					t.Fatal(err)
				}
			})
			if n != 250 {
				t.Errorf("BulkUpdate reported %d rows", n)
			}
			rows, err := Posts.Objects().Filter(orm.Q{"slug__startswith": "bu-"}).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[int64]*Post{}
			for _, r := range rows {
				byID[r.ID] = r
			}
			for i, p := range posts {
				r := byID[p.ID]
				if r == nil || r.ViewCount != i*3 {
					t.Fatalf("row %d = %+v, want view_count %d", p.ID, r, i*3)
				}
				if r.Title != fmt.Sprintf("Post %d", i) {
					t.Fatalf("title changed though not named: %q", r.Title)
				}
			}
		})

		t.Run("several fields", func(t *testing.T) {
			sub := posts[:10]
			for i, p := range sub {
				p.IsActive = i%2 == 0
				p.Title = fmt.Sprintf("Renamed %d", i)
			}
			if _, err := Posts.Objects().BulkUpdate(ctx, sub, []string{"is_active", "title"}, 3); err != nil {
				t.Fatal(err)
			}
			for i, p := range sub {
				got, err := Posts.Objects().Get(ctx, orm.Q{"pk": p.ID})
				if err != nil {
					t.Fatal(err)
				}
				if got.IsActive != (i%2 == 0) || got.Title != fmt.Sprintf("Renamed %d", i) {
					t.Errorf("post %d = %+v", i, got)
				}
			}
		})

		t.Run("decimals", func(t *testing.T) {
			products := []*Product{
				{Name: "A", SKU: "A", Price: decimal.NewFromInt(1), StoreID: 1},
				{Name: "B", SKU: "B", Price: decimal.NewFromInt(2), StoreID: 1},
			}
			if err := Products.Objects().BulkCreate(ctx, products, 0); err != nil {
				t.Fatal(err)
			}
			products[0].Price = decimal.RequireFromString("10.25")
			products[1].Price = decimal.RequireFromString("99999999.99")
			if _, err := Products.Objects().BulkUpdate(ctx, products, []string{"price"}, 0); err != nil {
				t.Fatal(err)
			}
			for _, p := range products {
				got, err := Products.Objects().Get(ctx, orm.Q{"pk": p.ID})
				if err != nil {
					t.Fatal(err)
				}
				if !got.Price.Equal(p.Price) {
					t.Errorf("price = %s, want %s", got.Price, p.Price)
				}
			}
		})

		t.Run("errors", func(t *testing.T) {
			tests := []struct {
				name   string
				objs   []*Post
				fields []string
			}{
				{"no fields", posts[:1], nil},
				{"unknown field", posts[:1], []string{"nope"}},
				{"primary key", posts[:1], []string{"id"}},
				{"unsaved object", []*Post{{Title: "x"}}, []string{"title"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := Posts.Objects().BulkUpdate(ctx, tt.objs, tt.fields, 0); err == nil {
						t.Errorf("BulkUpdate succeeded")
					}
				})
			}
		})

		t.Run("a failing batch rolls back the earlier ones", func(t *testing.T) {
			products := []*Product{
				{Name: "C", SKU: "C", Price: decimal.NewFromInt(1), StoreID: 9},
				{Name: "D", SKU: "D", Price: decimal.NewFromInt(1), StoreID: 9},
			}
			if err := Products.Objects().BulkCreate(ctx, products, 0); err != nil {
				t.Fatal(err)
			}
			products[0].SKU = "C2"
			products[1].SKU = "C2" // clashes with the first, in the second batch
			_, err := Products.Objects().BulkUpdate(ctx, products, []string{"sku"}, 1)
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Constraint != "unique_sku_per_store" {
				t.Fatalf("err = %v", err)
			}
			got, err := Products.Objects().Get(ctx, orm.Q{"pk": products[0].ID})
			if err != nil {
				t.Fatal(err)
			}
			if got.SKU != "C" {
				t.Errorf("first batch survived: sku = %q", got.SKU)
			}
		})
	})
}

func TestQuerySetUpdate(t *testing.T) {
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		posts := bulkPosts("qu", 40)
		for i, p := range posts {
			p.ViewCount = i
		}
		if err := Posts.Objects().BulkCreate(ctx, posts, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := Posts.Objects().Filter(orm.Q{"view_count__lt": 30}).Update(ctx, orm.Values{"is_active": false}); err != nil {
			t.Fatal(err)
		}

		t.Run("is_active=true in one statement", func(t *testing.T) {
			var n int64
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				var err error
				n, err = Posts.Objects().Filter(orm.Q{"is_active": false}).Update(ctx, orm.Values{"is_active": true})
				if err != nil {
					t.Fatal(err)
				}
			})
			if n != 30 {
				t.Errorf("updated %d rows, want 30", n)
			}
			left, err := Posts.Objects().Filter(orm.Q{"is_active": false}).Count(ctx)
			if err != nil || left != 0 {
				t.Errorf("inactive left: %d, %v", left, err)
			}
		})

		t.Run("F expression", func(t *testing.T) {
			n, err := Posts.Objects().Filter(orm.Q{"view_count__gte": 35}).Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(100)})
			if err != nil || n != 5 {
				t.Fatalf("n=%d err=%v", n, err)
			}
			got, err := Posts.Objects().Get(ctx, orm.Q{"slug": "qu-39"})
			if err != nil || got.ViewCount != 139 {
				t.Errorf("view_count = %d, %v", got.ViewCount, err)
			}
		})

		t.Run("leaves auto_now alone", func(t *testing.T) {
			before, err := Posts.Objects().Get(ctx, orm.Q{"slug": "qu-1"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Posts.Objects().Filter(orm.Q{"slug": "qu-1"}).Update(ctx, orm.Values{"title": "Changed"}); err != nil {
				t.Fatal(err)
			}
			after, err := Posts.Objects().Get(ctx, orm.Q{"slug": "qu-1"})
			if err != nil {
				t.Fatal(err)
			}
			if after.Title != "Changed" || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("after = %+v", after)
			}
		})

		t.Run("errors", func(t *testing.T) {
			tests := []struct {
				name string
				set  orm.Values
			}{
				{"nothing to set", orm.Values{}},
				{"unknown field", orm.Values{"nope": 1}},
				{"wrong type", orm.Values{"view_count": "many"}},
				{"null into non-null", orm.Values{"title": nil}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := Posts.Objects().Update(ctx, tt.set); err == nil {
						t.Errorf("Update(%v) succeeded", tt.set)
					}
				})
			}
		})

		t.Run("violating a constraint changes nothing", func(t *testing.T) {
			_, err := Posts.Objects().Update(ctx, orm.Values{"view_count": -1})
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != "check" {
				t.Fatalf("err = %v", err)
			}
			if n, _ := Posts.Objects().Filter(orm.Q{"view_count__lt": 0}).Count(ctx); n != 0 {
				t.Errorf("%d rows changed", n)
			}
		})
	})
}
