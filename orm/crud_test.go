package orm_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The tutorial's CRUD section, run on every engine.

const (
	aliceID int64 = 1
	bobID   int64 = 2
	staffID int64 = 3
)

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// savePost saves a post by aliceID with the given title and slug.
func savePost(t *testing.T, ctx context.Context, title, slug string) *Post {
	t.Helper()
	p := &Post{Title: title, Slug: slug, Body: "body of " + slug, AuthorID: aliceID}
	if err := Posts.Save(ctx, p); err != nil {
		t.Fatalf("saving %s: %v", slug, err)
	}
	return p
}

// loadPost reads a post back from the database by slug.
func loadPost(t *testing.T, ctx context.Context, slug string) *Post {
	t.Helper()
	p, err := Posts.Objects().Get(ctx, orm.Q{"slug": slug})
	if err != nil {
		t.Fatalf("get %s: %v", slug, err)
	}
	return p
}

// setPostColumns changes a post's columns in the database behind the ORM's back
// (a QuerySet.Update, which neither calls Save nor touches auto_now).
func setPostColumns(t *testing.T, ctx context.Context, slug string, set orm.Values) {
	t.Helper()
	n, err := Posts.Objects().Filter(orm.Q{"slug": slug}).Update(ctx, set)
	if err != nil || n != 1 {
		t.Fatalf("update %s: %d rows, %v", slug, n, err)
	}
}

func countPostsWhere(t *testing.T, ctx context.Context, conds ...orm.Cond) int64 {
	t.Helper()
	n, err := Posts.Objects().Filter(conds...).Count(ctx)
	mustOK(t, err)
	return n
}

func postSlugs(posts []*Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.Slug
	}
	return out
}

func equalOrEmpty(got, want []string) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return slices.Equal(got, want)
}

func sortedStrings(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestSaveInsertThenUpdate(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		// post = Post(title=..., slug=..., body=..., author=author); post.save()
		p := &Post{Title: "My First Post", Slug: "my-first-post", Body: "Hello world!", AuthorID: aliceID}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			mustOK(t, Posts.Save(ctx, p))
		})
		if p.ID == 0 {
			t.Fatal("Save did not set the primary key")
		}
		id := p.ID

		// post.title = 'Updated Title'; post.save(): an UPDATE, not a second row
		p.Title = "Updated Title"
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			mustOK(t, Posts.Save(ctx, p))
		})
		if p.ID != id {
			t.Fatalf("ID changed on update: %d, want %d", p.ID, id)
		}
		if n := countPostsWhere(t, ctx); n != 1 {
			t.Fatalf("%d rows after insert+update, want 1", n)
		}
		got := loadPost(t, ctx, "my-first-post")
		if got.Title != "Updated Title" || got.Body != "Hello world!" || got.AuthorID != aliceID || got.ID != id {
			t.Fatalf("after update: %+v", got)
		}

		// A set primary key with no row behind it inserts, as Django does.
		ghost := &Post{ID: 1000, Title: "Ghost", Slug: "ghost", AuthorID: bobID}
		mustOK(t, Posts.Save(ctx, ghost))
		if g := loadPost(t, ctx, "ghost"); g.ID != 1000 || g.Title != "Ghost" {
			t.Fatalf("ghost: %+v", g)
		}
	})
}

func TestSaveUpdateFields(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		p := savePost(t, ctx, "Old Title", "uf")
		// Someone else changes other columns in the meantime.
		setPostColumns(t, ctx, "uf", orm.Values{"body": "changed in db", "view_count": 77})
		before := loadPost(t, ctx, "uf")

		// post.title = 'New Title'; post.save(update_fields=['title'])
		p.Title = "New Title"
		p.Body = "stale local body"
		p.ViewCount = 1
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			mustOK(t, Posts.Save(ctx, p, orm.UpdateFields("title")))
		})
		got := loadPost(t, ctx, "uf")
		if got.Title != "New Title" {
			t.Fatalf("title = %q, want %q", got.Title, "New Title")
		}
		if got.Body != "changed in db" || got.ViewCount != 77 {
			t.Fatalf("columns outside update_fields were written: body %q views %d", got.Body, got.ViewCount)
		}
		// auto_now fields outside update_fields stay put, as in Django.
		if !got.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("updated_at changed: %v -> %v", before.UpdatedAt, got.UpdatedAt)
		}

		t.Run("auto_now listed", func(t *testing.T) {
			p.Title = "Newer"
			mustOK(t, Posts.Save(ctx, p, orm.UpdateFields("title", "updated_at")))
			got := loadPost(t, ctx, "uf")
			if !got.UpdatedAt.After(before.UpdatedAt) {
				t.Fatalf("updated_at %v not after %v", got.UpdatedAt, before.UpdatedAt)
			}
		})
		t.Run("unknown field", func(t *testing.T) {
			err := Posts.Save(ctx, p, orm.UpdateFields("nope"))
			var fe *orm.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
		})
		t.Run("unsaved instance", func(t *testing.T) {
			err := Posts.Save(ctx, &Post{Title: "x", Slug: "x"}, orm.UpdateFields("title"))
			if err == nil {
				t.Fatal("update_fields on an unsaved instance: no error")
			}
			if n := countPostsWhere(t, ctx, orm.Q{"slug": "x"}); n != 0 {
				t.Fatalf("row inserted anyway")
			}
		})
		t.Run("deleted row", func(t *testing.T) {
			q := savePost(t, ctx, "Gone", "gone")
			_, err := Posts.Objects().Filter(orm.Q{"pk": q.ID}).Delete(ctx)
			mustOK(t, err)
			err = Posts.Save(ctx, q, orm.UpdateFields("title"))
			if !errors.Is(err, orm.ErrDoesNotExist) {
				t.Fatalf("err = %v, want DoesNotExist", err)
			}
		})
	})
}

func TestCreate(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		// Post.objects.create(title=..., slug=..., body=..., author=author)
		p := &Post{Title: "My Second Post", Slug: "my-second-post", Body: "Content here", AuthorID: aliceID}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			mustOK(t, Posts.Objects().Create(ctx, p))
		})
		if p.ID == 0 || !p.IsActive || p.CreatedAt.IsZero() || p.UpdatedAt.IsZero() {
			t.Fatalf("after create: %+v", p)
		}
		got := loadPost(t, ctx, "my-second-post")
		if got.ID != p.ID || got.Body != "Content here" || !got.IsActive || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("got %+v, want %+v", got, p)
		}

		// A duplicate slug is an IntegrityError naming the field.
		err := Posts.Objects().Create(ctx, &Post{Title: "Dup", Slug: "my-second-post"})
		var ie *orm.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != "unique" || !slices.Equal(ie.Fields, []string{"slug"}) {
			t.Fatalf("duplicate slug: err = %v (%+v)", err, ie)
		}
		// Create always inserts, even with a primary key set.
		mustOK(t, Posts.Objects().Create(ctx, &Post{ID: got.ID + 100, Title: "Copy", Slug: "copy"}))
		if n := countPostsWhere(t, ctx); n != 2 {
			t.Fatalf("%d posts, want 2", n)
		}
		err = Posts.Objects().Create(ctx, &Post{ID: got.ID, Title: "Same pk", Slug: "same-pk"})
		if !errors.As(err, &ie) || ie.Kind != "unique" {
			t.Fatalf("create with a taken pk: err = %v", err)
		}
	})
}

func TestGetOrCreate(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		// post, created = Post.objects.get_or_create(slug='my-first-post',
		//     defaults={'title': 'My First Post', 'body': '...', 'author': author})
		defaults := orm.Values{"title": "My First Post", "body": "...", "author_id": aliceID}
		p, created, err := Posts.Objects().GetOrCreate(ctx, orm.Q{"slug": "my-first-post"}, defaults)
		mustOK(t, err)
		if !created {
			t.Fatal("created = false on the first call")
		}
		if p.ID == 0 || p.Slug != "my-first-post" || p.Title != "My First Post" || p.Body != "..." || p.AuthorID != aliceID || !p.IsActive {
			t.Fatalf("created %+v", p)
		}
		got := loadPost(t, ctx, "my-first-post")
		if got.Title != "My First Post" || got.Body != "..." || !got.IsActive {
			t.Fatalf("in db: %+v", got)
		}

		// Second call: found, defaults not applied.
		p2, created, err := Posts.Objects().GetOrCreate(ctx, orm.Q{"slug": "my-first-post"},
			orm.Values{"title": "Other Title"})
		mustOK(t, err)
		if created {
			t.Fatal("created = true on the second call")
		}
		if p2.ID != p.ID || p2.Title != "My First Post" {
			t.Fatalf("found %+v", p2)
		}
		if n := countPostsWhere(t, ctx); n != 1 {
			t.Fatalf("%d posts, want 1", n)
		}

		t.Run("explicit false default", func(t *testing.T) {
			// A default that is the Go zero value (is_active=False) is kept,
			// not replaced by the field's own default (True).
			p, created, err := Posts.Objects().GetOrCreate(ctx, orm.Q{"slug": "hidden"},
				orm.Values{"title": "Hidden", "is_active": false, "view_count": 0})
			mustOK(t, err)
			if !created || p.IsActive {
				t.Fatalf("created=%v is_active=%v, want true,false", created, p.IsActive)
			}
			if got := loadPost(t, ctx, "hidden"); got.IsActive {
				t.Fatal("is_active stored as true")
			}
		})
		t.Run("non-exact lookups are not copied", func(t *testing.T) {
			p, created, err := Posts.Objects().GetOrCreate(ctx,
				orm.Q{"slug__exact": "icase", "title__icontains": "zzz"}, orm.Values{"title": "From defaults"})
			mustOK(t, err)
			if !created || p.Slug != "icase" || p.Title != "From defaults" {
				t.Fatalf("created=%v %+v", created, p)
			}
		})
		t.Run("inside a transaction", func(t *testing.T) {
			err := orm.Atomic(ctx, func(ctx context.Context) error {
				_, created, err := Posts.Objects().GetOrCreate(ctx, orm.Q{"slug": "in-tx"}, orm.Values{"title": "T"})
				if err != nil || !created {
					t.Fatalf("created=%v err=%v", created, err)
				}
				_, created, err = Posts.Objects().GetOrCreate(ctx, orm.Q{"slug": "in-tx"}, nil)
				if err != nil || created {
					t.Fatalf("second: created=%v err=%v", created, err)
				}
				return nil
			})
			mustOK(t, err)
		})
	})
}

func TestUpdateOrCreate(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		// post, created = Post.objects.update_or_create(slug='my-first-post',
		//     defaults={'title': 'Updated Title', 'is_active': True})
		p, created, err := Posts.Objects().UpdateOrCreate(ctx, orm.Q{"slug": "my-first-post"},
			orm.Values{"title": "Created Title", "is_active": false, "author_id": bobID})
		mustOK(t, err)
		if !created || p.ID == 0 || p.Title != "Created Title" || p.IsActive || p.AuthorID != bobID {
			t.Fatalf("created=%v %+v", created, p)
		}
		setPostColumns(t, ctx, "my-first-post", orm.Values{"body": "kept", "view_count": 9})
		before := loadPost(t, ctx, "my-first-post")

		p2, created, err := Posts.Objects().UpdateOrCreate(ctx, orm.Q{"slug": "my-first-post"},
			orm.Values{"title": "Updated Title", "is_active": true})
		mustOK(t, err)
		if created {
			t.Fatal("created = true for an existing row")
		}
		if p2.ID != p.ID || p2.Title != "Updated Title" || !p2.IsActive {
			t.Fatalf("updated %+v", p2)
		}
		got := loadPost(t, ctx, "my-first-post")
		if got.Title != "Updated Title" || !got.IsActive || got.Body != "kept" || got.ViewCount != 9 || got.AuthorID != bobID {
			t.Fatalf("in db: %+v", got)
		}
		if !got.UpdatedAt.After(before.UpdatedAt) {
			t.Fatalf("updated_at %v not after %v", got.UpdatedAt, before.UpdatedAt)
		}
		if !got.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("created_at changed: %v -> %v", before.CreatedAt, got.CreatedAt)
		}
		if n := countPostsWhere(t, ctx); n != 1 {
			t.Fatalf("%d posts, want 1", n)
		}
	})
}

func TestGetErrors(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		a := savePost(t, ctx, "Twin", "twin-1")
		savePost(t, ctx, "Twin", "twin-2")

		t.Run("by id", func(t *testing.T) {
			// post = Post.objects.get(id=1)
			var got *Post
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				var err error
				got, err = Posts.Objects().Get(ctx, orm.Q{"id": a.ID})
				mustOK(t, err)
			})
			if got.Slug != "twin-1" {
				t.Fatalf("got %q", got.Slug)
			}
			byPK, err := Posts.Objects().Filter(orm.Q{"pk": a.ID}).Get(ctx)
			mustOK(t, err)
			if byPK.ID != a.ID {
				t.Fatalf("pk lookup: got %d want %d", byPK.ID, a.ID)
			}
		})
		t.Run("does not exist", func(t *testing.T) {
			// try: Post.objects.get(pk=999) except Post.DoesNotExist: post = None
			got, err := Posts.Objects().Get(ctx, orm.Q{"pk": 999})
			if got != nil {
				t.Fatalf("got %+v with the error", got)
			}
			if !errors.Is(err, orm.ErrDoesNotExist) || !errors.Is(err, Posts.DoesNotExist) {
				t.Fatalf("err = %v, want DoesNotExist", err)
			}
			if errors.Is(err, Orders.DoesNotExist) {
				t.Fatal("Posts' DoesNotExist matches Orders.DoesNotExist")
			}
			if errors.Is(err, orm.ErrMultipleObjectsReturned) {
				t.Fatal("DoesNotExist matches ErrMultipleObjectsReturned")
			}
			if want := "Post matching query does not exist."; err.Error() != want {
				t.Fatalf("message %q, want %q", err.Error(), want)
			}
		})
		t.Run("multiple objects", func(t *testing.T) {
			got, err := Posts.Objects().Get(ctx, orm.Q{"title": "Twin"})
			if got != nil || !errors.Is(err, orm.ErrMultipleObjectsReturned) {
				t.Fatalf("got %v, err = %v, want MultipleObjectsReturned", got, err)
			}
			if errors.Is(err, orm.ErrDoesNotExist) {
				t.Fatal("MultipleObjectsReturned matches DoesNotExist")
			}
			if !strings.Contains(err.Error(), "returned 2") {
				t.Fatalf("message %q does not say how many", err.Error())
			}
		})
		t.Run("filter can be empty", func(t *testing.T) {
			// filter() returns a QuerySet that can be empty, never an error
			got, err := Posts.Objects().Filter(orm.Q{"slug": "none"}).All(ctx)
			if err != nil || len(got) != 0 {
				t.Fatalf("got %d, %v", len(got), err)
			}
		})
	})
}

func TestDeleteInstance(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		p := savePost(t, ctx, "Doomed", "doomed")
		savePost(t, ctx, "Survivor", "survivor")
		// post = Post.objects.get(pk=1); post.delete()
		got := loadPost(t, ctx, "doomed")
		var res orm.Deleted
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			var err error
			res, err = Posts.Delete(ctx, got)
			mustOK(t, err)
		})
		if res.Total != 1 || res.ByModel["blog.Post"] != 1 || len(res.ByModel) != 1 {
			t.Fatalf("deleted %+v, want 1 blog.Post", res)
		}
		if got.ID != 0 {
			t.Fatalf("ID = %d after delete, want 0", got.ID)
		}
		if _, err := Posts.Objects().Get(ctx, orm.Q{"pk": p.ID}); !errors.Is(err, Posts.DoesNotExist) {
			t.Fatalf("row still there: %v", err)
		}
		if n := countPostsWhere(t, ctx); n != 1 {
			t.Fatalf("%d posts left, want 1", n)
		}
		// An unsaved instance cannot be deleted.
		if _, err := Posts.Delete(ctx, &Post{}); err == nil {
			t.Fatal("deleting an unsaved instance: no error")
		}
	})
}

func TestQuerySetDelete(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		for _, s := range []string{"a", "b", "c", "d", "e"} {
			savePost(t, ctx, "Post "+s, s)
		}
		setPostColumns(t, ctx, "b", orm.Values{"is_active": false})
		setPostColumns(t, ctx, "d", orm.Values{"is_active": false})

		// Post.objects.filter(is_active=False).delete()
		var res orm.Deleted
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			var err error
			res, err = Posts.Objects().Filter(orm.Q{"is_active": false}).Delete(ctx)
			mustOK(t, err)
		})
		if res.Total != 2 || res.ByModel["blog.Post"] != 2 {
			t.Fatalf("deleted %+v, want 2 blog.Post", res)
		}
		if n := countPostsWhere(t, ctx, orm.Q{"is_active": false}); n != 0 {
			t.Fatalf("%d inactive posts left", n)
		}

		// Nothing matching: zero, and no model in the map.
		res, err := Posts.Objects().Filter(orm.Q{"slug": "nope"}).Delete(ctx)
		mustOK(t, err)
		if res.Total != 0 || len(res.ByModel) != 0 {
			t.Fatalf("deleted %+v, want nothing", res)
		}

		// A slice deletes only its rows.
		res, err = Posts.Objects().OrderBy("slug").Limit(1).Delete(ctx)
		mustOK(t, err)
		if res.Total != 1 {
			t.Fatalf("sliced delete removed %d", res.Total)
		}
		left, err := orm.Flat[string](ctx, Posts.Objects().OrderBy("slug"), "slug")
		mustOK(t, err)
		if !slices.Equal(left, []string{"c", "e"}) {
			t.Fatalf("left %v, want [c e]", left)
		}

		// Post.objects.all().delete()
		res, err = Posts.Objects().Delete(ctx)
		mustOK(t, err)
		if res.Total != 2 || res.ByModel["blog.Post"] != 2 {
			t.Fatalf("deleted %+v, want 2", res)
		}
		if n := countPostsWhere(t, ctx); n != 0 {
			t.Fatalf("%d posts left", n)
		}
	})
}

func TestUpdateQuerySet(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		for _, s := range []string{"a", "b", "c"} {
			savePost(t, ctx, "Post "+s, s)
		}
		setPostColumns(t, ctx, "a", orm.Values{"view_count": 10, "is_active": false})
		setPostColumns(t, ctx, "b", orm.Values{"view_count": 20, "is_active": false})
		before := loadPost(t, ctx, "a")

		t.Run("bulk", func(t *testing.T) {
			// Post.objects.filter(is_active=False).update(is_active=True)
			var n int64
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				var err error
				n, err = Posts.Objects().Filter(orm.Q{"is_active": false}).Update(ctx, orm.Values{"is_active": true})
				mustOK(t, err)
			})
			if n != 2 {
				t.Fatalf("updated %d rows, want 2", n)
			}
			if c := countPostsWhere(t, ctx, orm.Q{"is_active": true}); c != 3 {
				t.Fatalf("%d active, want 3", c)
			}
			// update() calls no save(): auto_now is left alone.
			if got := loadPost(t, ctx, "a"); !got.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("updated_at changed by QuerySet.Update: %v -> %v", before.UpdatedAt, got.UpdatedAt)
			}
		})
		t.Run("F plus one", func(t *testing.T) {
			// Post.objects.filter(pk=1).update(view_count=F('view_count') + 1)
			n, err := Posts.Objects().Filter(orm.Q{"pk": before.ID}).Update(ctx,
				orm.Values{"view_count": orm.F("view_count").Add(1)})
			mustOK(t, err)
			if n != 1 {
				t.Fatalf("updated %d rows", n)
			}
			if got := loadPost(t, ctx, "a"); got.ViewCount != 11 {
				t.Fatalf("view_count = %d, want 11", got.ViewCount)
			}
			// Every row from its own value.
			_, err = Posts.Objects().Update(ctx, orm.Values{"view_count": orm.F("view_count").Mul(2).Add(1)})
			mustOK(t, err)
			want := map[string]int{"a": 23, "b": 41, "c": 1}
			for slug, v := range want {
				if got := loadPost(t, ctx, slug); got.ViewCount != v {
					t.Fatalf("%s: view_count = %d, want %d", slug, got.ViewCount, v)
				}
			}
			_, err = Posts.Objects().Filter(orm.Q{"slug": "b"}).Update(ctx,
				orm.Values{"view_count": orm.F("view_count").Sub(orm.F("author_id"))})
			mustOK(t, err)
			if got := loadPost(t, ctx, "b"); got.ViewCount != 40 {
				t.Fatalf("view_count - author_id = %d, want 40", got.ViewCount)
			}
		})
		t.Run("check constraint", func(t *testing.T) {
			// view_count is a PositiveIntegerField: the database refuses -1.
			_, err := Posts.Objects().Filter(orm.Q{"slug": "c"}).Update(ctx,
				orm.Values{"view_count": orm.F("view_count").Sub(100)})
			var ie *orm.IntegrityError
			if !errors.As(err, &ie) || ie.Kind != "check" {
				t.Fatalf("err = %v, want a check IntegrityError", err)
			}
		})
		t.Run("sliced", func(t *testing.T) {
			n, err := Posts.Objects().OrderBy("slug").Offset(1).Limit(1).Update(ctx, orm.Values{"title": "second"})
			mustOK(t, err)
			if n != 1 {
				t.Fatalf("updated %d rows, want 1", n)
			}
			titles, err := orm.Flat[string](ctx, Posts.Objects().OrderBy("slug"), "title")
			mustOK(t, err)
			if !slices.Equal(titles, []string{"Post a", "second", "Post c"}) {
				t.Fatalf("titles %v", titles)
			}
		})
		t.Run("errors", func(t *testing.T) {
			if _, err := Posts.Objects().Update(ctx, orm.Values{}); err == nil {
				t.Fatal("empty update: no error")
			}
			var fe *orm.FieldError
			if _, err := Posts.Objects().Update(ctx, orm.Values{"nope": 1}); !errors.As(err, &fe) {
				t.Fatalf("unknown field: err = %v", err)
			}
			if _, err := Posts.Objects().Update(ctx, orm.Values{"title": nil}); err == nil {
				t.Fatal("NULL into a NOT NULL column: no error")
			}
			var ve *orm.ValueError
			if _, err := Posts.Objects().Update(ctx, orm.Values{"view_count": "many"}); !errors.As(err, &ve) {
				t.Fatalf("string into an integer: err = %v", err)
			}
		})
	})
}

func TestAutoNow(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		start := time.Now().Add(-time.Second)
		p := savePost(t, ctx, "Clock", "clock")
		if p.CreatedAt.Before(start) || p.UpdatedAt.Before(start) {
			t.Fatalf("created_at %v / updated_at %v not set on insert", p.CreatedAt, p.UpdatedAt)
		}
		first := loadPost(t, ctx, "clock")
		if !first.CreatedAt.Equal(p.CreatedAt) || !first.UpdatedAt.Equal(p.UpdatedAt) {
			t.Fatalf("stored %v/%v, instance %v/%v", first.CreatedAt, first.UpdatedAt, p.CreatedAt, p.UpdatedAt)
		}

		time.Sleep(2 * time.Millisecond)
		p.Title = "Clock 2"
		mustOK(t, Posts.Save(ctx, p))
		second := loadPost(t, ctx, "clock")
		if !second.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("auto_now: updated_at %v not after %v", second.UpdatedAt, first.UpdatedAt)
		}
		if !second.CreatedAt.Equal(first.CreatedAt) {
			t.Fatalf("auto_now_add changed on update: %v -> %v", first.CreatedAt, second.CreatedAt)
		}

		// A saved instance loaded fresh from the database keeps created_at too.
		time.Sleep(2 * time.Millisecond)
		prev := second.UpdatedAt
		second.Body = "again"
		mustOK(t, Posts.Save(ctx, second))
		if !second.UpdatedAt.After(prev) {
			t.Fatalf("Save did not set updated_at on the instance: %v", second.UpdatedAt)
		}
		third := loadPost(t, ctx, "clock")
		if !third.CreatedAt.Equal(first.CreatedAt) || !third.UpdatedAt.Equal(second.UpdatedAt) {
			t.Fatalf("third save: created %v (want %v), updated %v (want %v)",
				third.CreatedAt, first.CreatedAt, third.UpdatedAt, second.UpdatedAt)
		}
	})
}

func TestDefaults(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		t.Run("struct literal gets defaults", func(t *testing.T) {
			p := &Post{Title: "Lit", Slug: "lit"}
			mustOK(t, Posts.Save(ctx, p))
			if !p.IsActive || p.ViewCount != 0 {
				t.Fatalf("instance: is_active=%v view_count=%d", p.IsActive, p.ViewCount)
			}
			if got := loadPost(t, ctx, "lit"); !got.IsActive {
				t.Fatal("stored is_active = false, want the default true")
			}
		})
		t.Run("New keeps explicit zero values", func(t *testing.T) {
			p := Posts.New()
			if !p.IsActive || p.ViewCount != 0 {
				t.Fatalf("New(): is_active=%v view_count=%d", p.IsActive, p.ViewCount)
			}
			p.Title, p.Slug = "New", "new"
			p.IsActive = false
			mustOK(t, Posts.Save(ctx, p))
			if p.IsActive {
				t.Fatal("Save turned is_active back on")
			}
			if got := loadPost(t, ctx, "new"); got.IsActive {
				t.Fatal("stored is_active = true, want the explicit false")
			}
		})
		t.Run("callable default", func(t *testing.T) {
			a, b := &Order{}, &Order{}
			mustOK(t, Orders.Save(ctx, a))
			mustOK(t, Orders.Save(ctx, b))
			if a.OrderNumber == b.OrderNumber || a.OrderNumber.String() == "00000000-0000-0000-0000-000000000000" {
				t.Fatalf("uuid defaults %v, %v", a.OrderNumber, b.OrderNumber)
			}
			if a.Status != StatusPending {
				t.Fatalf("status %q, want pending", a.Status)
			}
			n1, n2 := Orders.New(), Orders.New()
			if n1.OrderNumber == n2.OrderNumber {
				t.Fatal("New() shares one uuid")
			}
			got, err := Orders.Objects().Filter(orm.Q{"order_number": a.OrderNumber}).Get(ctx)
			mustOK(t, err)
			if got.ID != a.ID || Orders.Display(got, "status") != "Pending" {
				t.Fatalf("by uuid: %+v", got)
			}
			// Filter by status with the typed constant or its raw value.
			for _, v := range []any{StatusPending, "pending"} {
				n, err := Orders.Objects().Filter(orm.Q{"status": v}).Count(ctx)
				mustOK(t, err)
				if n != 2 {
					t.Fatalf("status=%v: %d, want 2", v, n)
				}
			}
		})
	})
}

// zooValues is a TypeZoo with every field set, the nullable ones included.
func zooValues() *TypeZoo {
	moment := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.FixedZone("+05:30", 5*3600+1800))
	return &TypeZoo{
		Label: "Ébène ß ✓", Body: "line 1\nline 2 with 'quotes' and \"doubles\" and \\ and %_",
		Slug: "a-slug_1", Email: "ann@example.com", Website: "https://example.com/a?b=c",
		Count: -2147483648, Count32: 2147483647, Big: 1<<63 - 1, Small: -32768, PosInt: 4294967295 >> 1, PosSmall: 32767,
		Ratio: 0.1, Amount: decimalOf("12345678.90"), Flag: true,
		Day: utcDate(1999, 12, 31), Moment: moment, Clock: time.Date(0, 1, 1, 13, 45, 30, 123456000, time.UTC),
		Span: 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Microsecond, Token: uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
		Data: map[string]any{"a": 1.5, "nested": map[string]any{"list": []any{"x", true, nil}}, "text": "ünï"},
		Doc:  ZooDoc{Name: "doc", Tags: []string{"t1", "t2"}, Score: 9.5},
		List: []string{"b", "a"},

		NLabel: ptrTo(""), NBig: ptrTo(int64(-5)), NCount: ptrTo(0), NRatio: ptrTo(-1.25), NFlag: ptrTo(false),
		NAmount: ptrTo(decimalOf("-0.01")), NMoment: ptrTo(utcTime(1970, 1, 1, 0, 0, 0)), NDay: ptrTo(utcDate(2000, 2, 29)),
		NClock: ptrTo(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)), NSpan: ptrTo(time.Duration(0)),
		NToken: ptrTo(uuid.MustParse("00000000-0000-0000-0000-000000000001")), NData: []any{1.0, "two"},
	}
}

// checkZoo compares every field of a TypeZoo read back with what was saved.
func checkZoo(t *testing.T, got, want *TypeZoo) {
	t.Helper()
	eq := func(name string, ok bool, g, w any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %#v, want %#v", name, g, w)
		}
	}
	eq("label", got.Label == want.Label, got.Label, want.Label)
	eq("body", got.Body == want.Body, got.Body, want.Body)
	eq("slug", got.Slug == want.Slug, got.Slug, want.Slug)
	eq("email", got.Email == want.Email, got.Email, want.Email)
	eq("website", got.Website == want.Website, got.Website, want.Website)
	eq("count", got.Count == want.Count, got.Count, want.Count)
	eq("count32", got.Count32 == want.Count32, got.Count32, want.Count32)
	eq("big", got.Big == want.Big, got.Big, want.Big)
	eq("small", got.Small == want.Small, got.Small, want.Small)
	eq("pos_int", got.PosInt == want.PosInt, got.PosInt, want.PosInt)
	eq("pos_small", got.PosSmall == want.PosSmall, got.PosSmall, want.PosSmall)
	eq("ratio", got.Ratio == want.Ratio, got.Ratio, want.Ratio)
	eq("amount", got.Amount.Equal(want.Amount), got.Amount.String(), want.Amount.String())
	eq("flag", got.Flag == want.Flag, got.Flag, want.Flag)
	eq("day", got.Day.Equal(want.Day), got.Day, want.Day)
	eq("moment", got.Moment.Equal(want.Moment.Truncate(time.Microsecond)), got.Moment, want.Moment)
	eq("clock", got.Clock.Equal(want.Clock), got.Clock, want.Clock)
	eq("span", got.Span == want.Span, got.Span, want.Span)
	eq("token", got.Token == want.Token, got.Token, want.Token)
	eq("data", reflect.DeepEqual(got.Data, want.Data), got.Data, want.Data)
	eq("doc", reflect.DeepEqual(got.Doc, want.Doc), got.Doc, want.Doc)
	eq("list", slices.Equal(got.List, want.List), got.List, want.List)

	eqPtr := func(name string, gNil, wNil bool, same func() bool, g, w any) {
		t.Helper()
		if gNil != wNil || (!gNil && !same()) {
			t.Errorf("%s: got %s, want %s", name, show(g), show(w))
		}
	}
	eqPtr("n_label", got.NLabel == nil, want.NLabel == nil, func() bool { return *got.NLabel == *want.NLabel }, got.NLabel, want.NLabel)
	eqPtr("n_big", got.NBig == nil, want.NBig == nil, func() bool { return *got.NBig == *want.NBig }, got.NBig, want.NBig)
	eqPtr("n_count", got.NCount == nil, want.NCount == nil, func() bool { return *got.NCount == *want.NCount }, got.NCount, want.NCount)
	eqPtr("n_ratio", got.NRatio == nil, want.NRatio == nil, func() bool { return *got.NRatio == *want.NRatio }, got.NRatio, want.NRatio)
	eqPtr("n_flag", got.NFlag == nil, want.NFlag == nil, func() bool { return *got.NFlag == *want.NFlag }, got.NFlag, want.NFlag)
	eqPtr("n_amount", got.NAmount == nil, want.NAmount == nil, func() bool { return got.NAmount.Equal(*want.NAmount) }, got.NAmount, want.NAmount)
	eqPtr("n_moment", got.NMoment == nil, want.NMoment == nil, func() bool { return got.NMoment.Equal(*want.NMoment) }, got.NMoment, want.NMoment)
	eqPtr("n_day", got.NDay == nil, want.NDay == nil, func() bool { return got.NDay.Equal(*want.NDay) }, got.NDay, want.NDay)
	eqPtr("n_clock", got.NClock == nil, want.NClock == nil, func() bool { return got.NClock.Equal(*want.NClock) }, got.NClock, want.NClock)
	eqPtr("n_span", got.NSpan == nil, want.NSpan == nil, func() bool { return *got.NSpan == *want.NSpan }, got.NSpan, want.NSpan)
	eqPtr("n_token", got.NToken == nil, want.NToken == nil, func() bool { return *got.NToken == *want.NToken }, got.NToken, want.NToken)
	eq("n_data", reflect.DeepEqual(got.NData, want.NData), got.NData, want.NData)
}

// show prints what a pointer points at.
func show(p any) string {
	rv := reflect.ValueOf(p)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "nil"
		}
		return fmt.Sprintf("&%v", rv.Elem().Interface())
	}
	return fmt.Sprint(p)
}

func TestFieldRoundTrip(t *testing.T) {
	ormtest.Each(t, qsTestModels, func(t *testing.T, ctx context.Context) {
		full := zooValues()
		mustOK(t, TypeZoos.Save(ctx, full))
		empty := &TypeZoo{Label: "empty", Day: utcDate(2024, 1, 1), Moment: utcTime(2024, 1, 1, 0, 0, 0)}
		mustOK(t, TypeZoos.Save(ctx, empty))

		t.Run("every field set", func(t *testing.T) {
			got, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": full.ID})
			mustOK(t, err)
			checkZoo(t, got, zooValues())
		})
		t.Run("date-times read as UTC whatever the local zone", func(t *testing.T) {
			// pgx gives timestamptz in time.Local; a server started with
			// TZ=Pacific/Kiritimati must not show tomorrow's dates.
			local := time.Local
			time.Local = time.FixedZone("+14", 14*3600)
			defer func() { time.Local = local }()
			got, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": full.ID})
			mustOK(t, err)
			if got.Moment.Location() != time.UTC || got.NMoment.Location() != time.UTC {
				t.Fatalf("moment in %v, n_moment in %v; want UTC", got.Moment.Location(), got.NMoment.Location())
			}
			if want := zooValues().Moment.Truncate(time.Microsecond); !got.Moment.Equal(want) {
				t.Fatalf("moment %v, want %v", got.Moment, want)
			}
		})
		t.Run("nulls and zero values", func(t *testing.T) {
			got, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": empty.ID})
			mustOK(t, err)
			want := &TypeZoo{Label: "empty", Day: utcDate(2024, 1, 1), Moment: utcTime(2024, 1, 1, 0, 0, 0),
				Clock: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}
			checkZoo(t, got, want)
		})
		t.Run("filters by each type", func(t *testing.T) {
			z := zooValues()
			for _, c := range []struct {
				key  string
				val  any
				want int64
			}{
				{"label", z.Label, 1},
				{"label__icontains", "ÉBÈNE", 1},
				{"count", -2147483648, 1},
				{"big", int64(1<<63 - 1), 1},
				{"small__lt", 0, 1},
				{"pos_int", uint32(4294967295 >> 1), 1},
				{"ratio", 0.1, 1},
				{"ratio__gt", 0.05, 1},
				{"amount", "12345678.90", 1},
				{"amount__gt", 1000, 1},
				{"flag", true, 1},
				{"flag", false, 1},
				{"day", utcDate(1999, 12, 31), 1},
				{"day__year", 1999, 1},
				{"moment", z.Moment, 1},
				{"moment__hour", 1, 1}, // 07:08 at +05:30 is 01:38 UTC
				{"clock", z.Clock, 1},
				{"clock__hour", 13, 1},
				{"clock__gt", time.Date(0, 1, 1, 12, 0, 0, 0, time.UTC), 1},
				{"span", z.Span, 1},
				{"span__gt", time.Hour, 1},
				{"token", z.Token, 1},
				{"token", z.Token.String(), 1},
				{"n_label__isnull", true, 1},
				{"n_amount", "-0.01", 1},
				{"n_day", utcDate(2000, 2, 29), 1},
				{"n_span__isnull", false, 1},
				{"n_token__isnull", true, 1},
			} {
				t.Run(fmt.Sprintf("%s=%v", c.key, c.val), func(t *testing.T) {
					n, err := TypeZoos.Objects().Filter(orm.Q{c.key: c.val}).Count(ctx)
					mustOK(t, err)
					if n != c.want {
						t.Fatalf("matched %d, want %d", n, c.want)
					}
				})
			}
		})
		t.Run("values are canonical types", func(t *testing.T) {
			rows, err := TypeZoos.Objects().Filter(orm.Q{"label": "empty"}).Values(ctx)
			mustOK(t, err)
			r := rows[0]
			for name, want := range map[string]string{
				"id": "int64", "label": "string", "count": "int64", "count32": "int64", "small": "int64", "pos_small": "int64",
				"ratio": "float64", "amount": "decimal.Decimal", "flag": "bool", "day": "time.Time", "moment": "time.Time",
				"clock": "time.Time", "span": "time.Duration", "token": "uuid.UUID",
			} {
				if got := fmt.Sprintf("%T", r[name]); got != want {
					t.Errorf("%s: %s (%#v), want %s", name, got, r[name], want)
				}
			}
			for _, name := range []string{"n_label", "n_big", "n_amount", "n_moment", "n_clock", "n_span", "n_token", "n_data"} {
				if r[name] != nil {
					t.Errorf("%s: %#v, want nil", name, r[name])
				}
			}
			rows, err = TypeZoos.Objects().Filter(orm.Q{"pk": full.ID}).Values(ctx, "span", "clock", "n_span", "n_clock", "amount", "token", "day", "list")
			mustOK(t, err)
			r = rows[0]
			z := zooValues()
			if r["span"] != z.Span || r["n_span"] != time.Duration(0) || r["token"] != z.Token {
				t.Errorf("span %#v n_span %#v token %#v", r["span"], r["n_span"], r["token"])
			}
			if c, ok := r["clock"].(time.Time); !ok || !c.Equal(z.Clock) {
				t.Errorf("clock %#v, want %v", r["clock"], z.Clock)
			}
			if d, ok := r["day"].(time.Time); !ok || !d.Equal(z.Day) {
				t.Errorf("day %#v, want %v", r["day"], z.Day)
			}
			if a, ok := r["amount"].(decimal.Decimal); !ok || !a.Equal(z.Amount) {
				t.Errorf("amount %#v", r["amount"])
			}
			if !reflect.DeepEqual(r["list"], []any{"b", "a"}) {
				t.Errorf("list %#v", r["list"])
			}
			spans, err := orm.Flat[time.Duration](ctx, TypeZoos.Objects().OrderBy("id"), "span")
			mustOK(t, err)
			if !slices.Equal(spans, []time.Duration{z.Span, 0}) {
				t.Errorf("spans %v", spans)
			}
		})
		t.Run("update back and forth", func(t *testing.T) {
			got, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": full.ID})
			mustOK(t, err)
			got.NLabel, got.NBig, got.NFlag, got.NMoment, got.NToken, got.NData = nil, nil, nil, nil, nil, nil
			got.Small, got.Span = 32767, -90*time.Minute
			mustOK(t, TypeZoos.Save(ctx, got))
			again, err := TypeZoos.Objects().Get(ctx, orm.Q{"pk": full.ID})
			mustOK(t, err)
			want := zooValues()
			want.NLabel, want.NBig, want.NFlag, want.NMoment, want.NToken, want.NData = nil, nil, nil, nil, nil, nil
			want.Small, want.Span = 32767, -90*time.Minute
			checkZoo(t, again, want)
		})
	})
}
