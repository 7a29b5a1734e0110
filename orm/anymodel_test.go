package orm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The admin's view of a model: only its *Meta, instances as any.

type AnyAuthor struct {
	ID   int64
	Name string
}

func (a *AnyAuthor) String() string { return a.Name }

var AnyAuthors = orm.Define("anym", func(a *AnyAuthor, m *orm.Schema) {
	m.Char(&a.Name, orm.MaxLength(50))
})

// AnyTag has no String: it shows as Django's "AnyTag object (3)".
type AnyTag struct {
	ID   int64
	Name string
}

var AnyTags = orm.Define("anym", func(t *AnyTag, m *orm.Schema) {
	m.Char(&t.Name, orm.MaxLength(30), orm.Unique())
	m.Meta(orm.Ordering("name"))
})

var anyStatuses = orm.NewChoices(orm.C("draft", "Draft"), orm.C("published", "Published"))

type AnyBook struct {
	ID     int64
	Title  string
	Status string
	Pages  int
	Author orm.FK[AnyAuthor]
	Tags   orm.M2M[AnyTag]
}

var AnyBooks = orm.Define("anym", func(b *AnyBook, m *orm.Schema) {
	m.Char(&b.Title, orm.MaxLength(20))
	m.Char(&b.Status, orm.MaxLength(10), orm.Choices(anyStatuses), orm.Default("draft"))
	m.PositiveInteger(&b.Pages, orm.Default(100))
	m.ForeignKey(&b.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("books"))
	m.ManyToMany(&b.Tags, orm.RelatedName("books"), orm.Blank())
})

var anyModels = []*orm.Meta{AnyAuthors.Meta, AnyTags.Meta, AnyBooks.Meta}

type anyFixture struct {
	ann, bob            *AnyAuthor
	python, golang, dj  *AnyTag // ids in that order; by name: dj, golang, python
	dune, emma, walden  *AnyBook
	byTitle             map[string]*AnyBook
	books, tags, people orm.AnyModel
}

// anySeed stores Dune (ann; python, django), Emma (ann, published; go)
// and Walden (bob; no tags).
func anySeed(t *testing.T, ctx context.Context) anyFixture {
	t.Helper()
	f := anyFixture{
		ann: mustSave(t, ctx, AnyAuthors, &AnyAuthor{Name: "Ann"}),
		bob: mustSave(t, ctx, AnyAuthors, &AnyAuthor{Name: "Bob"}),
		// Created out of name order, so that key order and name order differ.
		python: mustSave(t, ctx, AnyTags, &AnyTag{Name: "python"}),
		golang: mustSave(t, ctx, AnyTags, &AnyTag{Name: "go"}),
		dj:     mustSave(t, ctx, AnyTags, &AnyTag{Name: "django"}),
		books:  AnyBooks.Model(), tags: AnyTags.Model(), people: AnyAuthors.Model(),
		byTitle: map[string]*AnyBook{},
	}
	for _, b := range []struct {
		title, status string
		pages         int
		author        *AnyAuthor
		tags          []*AnyTag
	}{
		{"Dune", "draft", 400, f.ann, []*AnyTag{f.python, f.dj}},
		{"Emma", "published", 300, f.ann, []*AnyTag{f.golang}},
		{"Walden", "draft", 200, f.bob, nil},
	} {
		book := &AnyBook{Title: b.title, Status: b.status, Pages: b.pages}
		book.Author.Set(b.author)
		mustSave(t, ctx, AnyBooks, book)
		if err := book.Tags.Set(ctx, b.tags); err != nil {
			t.Fatal(err)
		}
		f.byTitle[b.title] = book
	}
	f.dune, f.emma, f.walden = f.byTitle["Dune"], f.byTitle["Emma"], f.byTitle["Walden"]
	return f
}

// anyTagNames lists the tags of book by a fresh query, sorted.
func anyTagNames(t *testing.T, ctx context.Context, book *AnyBook) []string {
	t.Helper()
	loaded, err := AnyBooks.Objects().Get(ctx, orm.Q{"pk": book.ID})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := loaded.Tags.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, tag := range tags {
		names = append(names, tag.Name)
	}
	slices.Sort(names)
	return names
}

func TestAnyModelMeta(t *testing.T) {
	if m := AnyBooks.Meta.Model(); m == nil || m.Meta() != AnyBooks.Meta {
		t.Fatalf("Model() = %v", m)
	}
	if m := orm.LookupModel("anym.AnyTag").Model(); m == nil || m.Meta() != AnyTags.Meta {
		t.Fatalf("LookupModel(anym.AnyTag).Model() = %v", m)
	}
	j := orm.LookupModel("anym.AnyBook_tags")
	if j == nil || !j.AutoCreated {
		t.Fatalf("junction = %v", j)
	}
	if j.Model() != nil {
		t.Errorf("a junction table's Model() = %v, want nil", j.Model())
	}
}

func TestAnyModelNewSaveGetSet(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books

		obj := books.New()
		b, ok := obj.(*AnyBook)
		if !ok {
			t.Fatalf("New() = %T, want *AnyBook", obj)
		}
		if b.Status != "draft" || b.Pages != 100 {
			t.Errorf("New() = %+v, want the defaults status=draft pages=100", b)
		}
		if v, err := books.Get(obj, "status"); err != nil || v != "draft" {
			t.Errorf(`Get("status") = %v, %v`, v, err)
		}
		if got := books.Display(obj, "status"); got != "Draft" {
			t.Errorf(`Display("status") = %q, want the label "Draft"`, got)
		}
		if err := books.Set(obj, "status", "published"); err != nil {
			t.Fatal(err)
		}
		if got := books.Display(obj, "status"); got != "Published" {
			t.Errorf(`Display("status") after Set = %q`, got)
		}
		if got := books.Display(obj, "pages"); got != "100" {
			t.Errorf(`Display("pages") = %q, want the value as text`, got)
		}
		if got := books.Display(obj, "nope"); got != "" {
			t.Errorf(`Display("nope") = %q, want ""`, got)
		}
		var ve *orm.ValueError
		if err := books.Set(obj, "pages", "many"); !errors.As(err, &ve) {
			t.Errorf(`Set("pages", "many") = %v, want a ValueError`, err)
		}
		var fe *orm.FieldError
		if err := books.Set(obj, "nope", 1); !errors.As(err, &fe) {
			t.Errorf(`Set("nope") = %v, want a FieldError`, err)
		}
		if _, err := books.Get(obj, "nope"); !errors.As(err, &fe) {
			t.Errorf(`Get("nope") = %v, want a FieldError`, err)
		}

		// Insert.
		for name, v := range map[string]any{"title": "Ubik", "author": f.bob.ID, "pages": 250} {
			if err := books.Set(obj, name, v); err != nil {
				t.Fatalf("Set(%s): %v", name, err)
			}
		}
		if books.PK(obj) != nil {
			t.Errorf("PK before Save = %v, want nil", books.PK(obj))
		}
		if err := books.Save(ctx, obj); err != nil {
			t.Fatal(err)
		}
		pk, ok := books.PK(obj).(int64)
		if !ok || pk != b.ID || pk == 0 {
			t.Fatalf("PK after Save = %#v, want the new int64 id %d", books.PK(obj), b.ID)
		}
		got, err := AnyBooks.Objects().Get(ctx, orm.Q{"pk": pk})
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "Ubik" || got.Status != "published" || got.Pages != 250 || got.Author.ID != f.bob.ID {
			t.Errorf("inserted row = %+v", got)
		}

		// Update: the same row, not a new one.
		if err := books.Set(obj, "title", "Ubik II"); err != nil {
			t.Fatal(err)
		}
		if err := books.Save(ctx, obj); err != nil {
			t.Fatal(err)
		}
		if n, err := AnyBooks.Objects().Count(ctx); err != nil || n != 4 {
			t.Errorf("rows after the update = %d, %v; want 4", n, err)
		}
		if got, err := AnyBooks.Objects().Get(ctx, orm.Q{"pk": pk}); err != nil || got.Title != "Ubik II" {
			t.Errorf("updated row = %+v, %v", got, err)
		}
		// Save's options pass through: only pages is written.
		books.Set(obj, "title", "not saved")
		books.Set(obj, "pages", 260)
		if err := books.Save(ctx, obj, orm.UpdateFields("pages")); err != nil {
			t.Fatal(err)
		}
		if got, err := AnyBooks.Objects().Get(ctx, orm.Q{"pk": pk}); err != nil || got.Title != "Ubik II" || got.Pages != 260 {
			t.Errorf("after Save(UpdateFields(pages)) = %+v, %v", got, err)
		}

		// Get reads a loaded instance as well.
		loaded, err := AnyBooks.Meta.DefaultManager().Get(ctx, orm.Q{"title": "Emma"})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := books.Get(loaded, "author"); err != nil || v != f.ann.ID {
			t.Errorf(`Get(Emma, "author") = %#v, %v; want %d`, v, err, f.ann.ID)
		}
	})
}

func TestAnyModelStringAndPK(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		tags, people := AnyTags.Meta.Model(), AnyAuthors.Meta.Model()
		tag := &AnyTag{Name: "rust"}
		if got := tags.String(tag); got != "AnyTag object (None)" {
			t.Errorf("String(unsaved tag) = %q", got)
		}
		if err := tags.Save(ctx, tag); err != nil {
			t.Fatal(err)
		}
		if got, want := tags.String(tag), fmt.Sprintf("AnyTag object (%d)", tag.ID); got != want {
			t.Errorf("String(saved tag) = %q, want %q", got, want)
		}
		if pk := tags.PK(tag); pk != any(tag.ID) {
			t.Errorf("PK(tag) = %#v, want int64 %d", pk, tag.ID)
		}
		// A fmt.Stringer speaks for itself, saved or not.
		ann := &AnyAuthor{Name: "Ann"}
		if got := people.String(ann); got != "Ann" {
			t.Errorf("String(unsaved author) = %q, want its String", got)
		}
		if err := people.Save(ctx, ann); err != nil {
			t.Fatal(err)
		}
		if got := people.String(ann); got != "Ann" {
			t.Errorf("String(author) = %q, want its String", got)
		}
		// An instance loaded through the erased manager reads the same.
		obj, err := AnyTags.Meta.DefaultManager().Get(ctx, orm.Q{"name": "rust"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tags.String(obj), fmt.Sprintf("AnyTag object (%d)", tag.ID); got != want {
			t.Errorf("String(loaded tag) = %q, want %q", got, want)
		}
		// The models of the other tests' tables, as the admin sees them.
		if got := Orders.Meta.Model().String(&Order{ID: 7}); got != "Order object (7)" {
			t.Errorf("String(Order 7) = %q", got)
		}
		if got := DelUsers.Meta.Model().String(&DelUser{ID: 7, Username: "carol"}); got != "carol" {
			t.Errorf("String(DelUser carol) = %q", got)
		}
	})
}

func TestAnyModelRelated(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books
		mgr := AnyBooks.Meta.DefaultManager()

		// Without SelectRelated nothing is cached, and Related runs no query.
		plain, err := mgr.Get(ctx, orm.Q{"title": "Dune"})
		if err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 0, func(context.Context) {
			if rel := books.Related(plain, "author"); rel != nil {
				t.Errorf("Related without SelectRelated = %#v, want nil", rel)
			}
		})

		var objs []any
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			objs, err = mgr.SelectRelated("author").OrderBy("title").List(ctx)
		})
		if err != nil || len(objs) != 3 {
			t.Fatalf("List = %d objects, %v", len(objs), err)
		}
		ormtest.AssertNumQueries(t, ctx, 0, func(context.Context) {
			for i, want := range []*AnyAuthor{f.ann, f.ann, f.bob} {
				rel := books.Related(objs[i], "author")
				a, ok := rel.(*AnyAuthor)
				if !ok || a.ID != want.ID || a.Name != want.Name {
					t.Errorf("Related(%s, author) = %#v, want %s", books.String(objs[i]), rel, want.Name)
				}
				if got := f.people.String(rel); got != want.Name {
					t.Errorf("String(related) = %q", got)
				}
			}
		})
		// FK.Get caches as SelectRelated does.
		b := plain.(*AnyBook)
		if _, err := b.Author.Get(ctx); err != nil {
			t.Fatal(err)
		}
		if a, ok := books.Related(b, "author").(*AnyAuthor); !ok || a.ID != f.ann.ID {
			t.Errorf("Related after FK.Get = %#v", books.Related(b, "author"))
		}
		// A key set to another row no longer matches the cached object.
		if err := books.Set(b, "author", f.bob.ID); err != nil {
			t.Fatal(err)
		}
		if rel := books.Related(b, "author"); rel != nil {
			t.Errorf("Related after the key changed = %#v, want nil", rel)
		}
		for _, name := range []string{"title", "tags", "nope", "pk"} {
			if rel := books.Related(objs[0], name); rel != nil {
				t.Errorf("Related(%q) = %#v, want nil", name, rel)
			}
		}
	})
}

func TestAnyModelRelatedKeys(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books
		mgr := AnyBooks.Meta.DefaultManager()
		// In the tags' own order, by name: django before python.
		duneKeys := []any{f.dj.ID, f.python.ID}

		// Prefetched: no query.
		objs, err := mgr.PrefetchRelated("tags").OrderBy("title").List(ctx)
		if err != nil || len(objs) != 3 {
			t.Fatalf("List = %d objects, %v", len(objs), err)
		}
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			for i, want := range [][]any{duneKeys, {f.golang.ID}, {}} {
				keys, err := books.RelatedKeys(ctx, objs[i], "tags")
				if err != nil || !slices.Equal(keys, want) {
					t.Errorf("RelatedKeys(%s) = %#v, %v; want %#v", books.String(objs[i]), keys, err, want)
				}
			}
		})

		// Loaded without prefetch: one query.
		loaded, err := mgr.Get(ctx, orm.Q{"title": "Dune"})
		if err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			keys, err := books.RelatedKeys(ctx, loaded, "tags")
			if err != nil || !slices.Equal(keys, duneKeys) {
				t.Errorf("RelatedKeys(loaded Dune) = %#v, %v; want %#v", keys, err, duneKeys)
			}
		})

		// Just saved through AnyModel: Save bound the field.
		obj := books.New()
		books.Set(obj, "title", "Ubik")
		books.Set(obj, "author", f.bob.ID)
		if err := books.Save(ctx, obj); err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			keys, err := books.RelatedKeys(ctx, obj, "tags")
			if err != nil || len(keys) != 0 {
				t.Errorf("RelatedKeys(new book) = %#v, %v; want none", keys, err)
			}
		})

		// Mistakes are errors, before any query.
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			for _, name := range []string{"title", "author", "nope"} {
				if _, err := books.RelatedKeys(ctx, loaded, name); err == nil || !strings.Contains(err.Error(), name) {
					t.Errorf("RelatedKeys(%q) = %v, want an error naming it", name, err)
				}
			}
			if _, err := books.RelatedKeys(ctx, &AnyBook{Title: "unsaved"}, "tags"); err == nil || !strings.Contains(err.Error(), "neither saved nor loaded") {
				t.Errorf("RelatedKeys(unsaved) = %v", err)
			}
		})
	})
}

func TestAnyModelSetRelated(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books
		set := func(obj any, keys ...any) error {
			t.Helper()
			return books.SetRelated(ctx, obj, "tags", keys)
		}
		want := func(book *AnyBook, names ...string) {
			t.Helper()
			if got := anyTagNames(t, ctx, book); !slices.Equal(got, names) {
				t.Errorf("%s's tags = %q, want %q", book.Title, got, names)
			}
		}

		// int64 keys, on an instance saved by the fixture.
		if err := set(f.dune, f.golang.ID, f.python.ID); err != nil {
			t.Fatal(err)
		}
		want(f.dune, "go", "python")
		// Strings, as a form sends them, on a loaded instance.
		loaded, err := AnyBooks.Meta.DefaultManager().Get(ctx, orm.Q{"title": "Walden"})
		if err != nil {
			t.Fatal(err)
		}
		if err := set(loaded, fmt.Sprint(f.dj.ID), " "+fmt.Sprint(f.golang.ID)+" ", int64(f.dj.ID)); err != nil {
			t.Fatal(err)
		}
		want(f.walden, "django", "go")
		// Emptied.
		if err := set(f.emma); err != nil {
			t.Fatal(err)
		}
		want(f.emma)

		// A bad or unknown key changes nothing and names the key.
		var verr *orm.ValidationError
		err = set(f.dune, fmt.Sprint(f.dj.ID), "abc")
		if !errors.As(err, &verr) || !slices.Equal(verr.Fields["tags"], []string{"“abc” is not a valid value."}) {
			t.Errorf("SetRelated(abc) = %#v", err)
		}
		err = set(f.dune, 1.5)
		if !errors.As(err, &verr) || !slices.Equal(verr.Fields["tags"], []string{"“1.5” is not a valid value."}) {
			t.Errorf("SetRelated(1.5) = %#v", err)
		}
		err = set(f.dune, f.dj.ID, "99999")
		if !errors.As(err, &verr) || !slices.Equal(verr.Fields["tags"], []string{"Select a valid choice. 99999 is not one of the available choices."}) {
			t.Errorf("SetRelated(99999) = %#v", err)
		}
		want(f.dune, "go", "python")

		// m2m_changed is sent as M2M.Set sends it.
		var events []string
		disconnect := AnyBooks.M2MChanged.Connect(func(ctx context.Context, e orm.M2MChangedEvent[AnyBook]) error {
			events = append(events, fmt.Sprintf("%s %s %s %v", e.Instance.Title, e.Field, e.Action, e.PKs))
			return nil
		})
		err = set(f.dune, fmt.Sprint(f.python.ID), f.dj.ID)
		disconnect()
		if err != nil {
			t.Fatal(err)
		}
		wantEvents := []string{
			fmt.Sprintf("Dune tags pre_remove [%d]", f.golang.ID),
			fmt.Sprintf("Dune tags post_remove [%d]", f.golang.ID),
			fmt.Sprintf("Dune tags pre_add [%d]", f.dj.ID),
			fmt.Sprintf("Dune tags post_add [%d]", f.dj.ID),
		}
		if !slices.Equal(events, wantEvents) {
			t.Errorf("events = %q, want %q", events, wantEvents)
		}
		want(f.dune, "django", "python")

		// A change drops what PrefetchRelated cached.
		objs, err := AnyBooks.Meta.DefaultManager().PrefetchRelated("tags").Filter(orm.Q{"title": "Emma"}).List(ctx)
		if err != nil || len(objs) != 1 {
			t.Fatalf("List = %v, %v", objs, err)
		}
		if err := set(objs[0], f.python.ID); err != nil {
			t.Fatal(err)
		}
		if keys, err := books.RelatedKeys(ctx, objs[0], "tags"); err != nil || !slices.Equal(keys, []any{f.python.ID}) {
			t.Errorf("RelatedKeys after SetRelated = %v, %v", keys, err)
		}

		// An unsaved instance and a field that is not a many-to-many.
		if err := set(&AnyBook{}, f.dj.ID); err == nil {
			t.Error("SetRelated on an unsaved instance: no error")
		}
		if err := books.SetRelated(ctx, f.dune, "author", []any{f.dj.ID}); err == nil || !strings.Contains(err.Error(), "author") {
			t.Errorf("SetRelated(author) = %v", err)
		}
	})
}

// A many-to-many through a model of its own is read, not set.
func TestAnyModelRelatedThrough(t *testing.T) {
	ormtest.Each(t, m2mModels, func(t *testing.T, ctx context.Context) {
		ann := mustSave(t, ctx, M2MStudents, &M2MStudent{Name: "Ann"})
		course := mustSave(t, ctx, M2MCourses, &M2MCourse{Title: "Go"})
		e := &M2MEnrollment{}
		e.Student.Set(ann)
		e.Course.Set(course)
		mustSave(t, ctx, M2MEnrollments, e)

		courses := M2MCourses.Meta.Model()
		keys, err := courses.RelatedKeys(ctx, course, "students")
		if err != nil || !slices.Equal(keys, []any{ann.ID}) {
			t.Errorf("RelatedKeys(students) = %v, %v", keys, err)
		}
		err = courses.SetRelated(ctx, course, "students", nil)
		if err == nil || !strings.Contains(err.Error(), "through model") {
			t.Errorf("SetRelated(students) = %v, want the through-model error", err)
		}
	})
}

func TestAnyModelFullClean(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books
		obj := books.New()
		books.Set(obj, "status", "bogus")
		books.Set(obj, "title", strings.Repeat("x", 21))
		books.Set(obj, "author", f.ann.ID)
		err := books.FullClean(ctx, obj)
		var verr *orm.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("FullClean = %v, want a *ValidationError", err)
		}
		if got := verr.Fields["status"]; !slices.Equal(got, []string{"Value 'bogus' is not a valid choice."}) {
			t.Errorf("status errors = %q", got)
		}
		if got := verr.Fields["title"]; !slices.Equal(got, []string{"Ensure this value has at most 20 characters (it has 21)."}) {
			t.Errorf("title errors = %q", got)
		}
		if err := books.FullClean(ctx, obj, "status", "title"); err != nil {
			t.Errorf("FullClean(exclude status, title) = %v", err)
		}
		if err := books.FullClean(ctx, f.dune); err != nil {
			t.Errorf("FullClean(Dune) = %v", err)
		}
		// Uniqueness is checked by query, as the typed FullClean does.
		err = f.tags.FullClean(ctx, &AnyTag{Name: "go"})
		if !errors.As(err, &verr) || len(verr.Fields["name"]) != 1 {
			t.Errorf("FullClean(duplicate tag) = %v", err)
		}
	})
}

func TestAnyModelDelete(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		people := f.people

		var plan *orm.DeletePlan
		var err error
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			_, err = people.DeletePreview(ctx, &AnyAuthor{Name: "unsaved"})
		})
		if err == nil || !strings.Contains(err.Error(), "can't be deleted") {
			t.Errorf("DeletePreview(unsaved) = %v", err)
		}
		if plan, err = people.DeletePreview(ctx, f.ann); err != nil {
			t.Fatal(err)
		}
		counts := plan.Counts()
		wantCounts := map[string]int64{"anym.AnyAuthor": 1, "anym.AnyBook": 2, "anym.AnyBook_tags": 3}
		if counts.Total != 6 || !maps.Equal(counts.ByModel, wantCounts) {
			t.Errorf("plan counts = %+v, want %v", counts, wantCounts)
		}
		if pks := plan.PKs("anym.AnyBook"); !slices.Equal(sortedInts(pks), []int64{f.dune.ID, f.emma.ID}) {
			t.Errorf("planned books = %v", pks)
		}
		if n, _ := AnyBooks.Objects().Count(ctx); n != 3 {
			t.Errorf("the preview deleted rows: %d books left", n)
		}

		res, err := people.Delete(ctx, f.ann)
		if err != nil || res.Total != counts.Total || !maps.Equal(res.ByModel, counts.ByModel) {
			t.Errorf("Delete = %+v, %v; want the preview's %+v", res, err, counts)
		}
		if pk := people.PK(f.ann); pk != nil {
			t.Errorf("PK after Delete = %v, want nil", pk)
		}
		if got := people.String(f.ann); got != "Ann" {
			t.Errorf("String after Delete = %q", got)
		}
		titles, err := orm.Flat[string](ctx, AnyBooks.Objects().OrderBy("title"), "title")
		if err != nil || !slices.Equal(titles, []string{"Walden"}) {
			t.Errorf("books left = %q, %v", titles, err)
		}
		if _, err := people.Delete(ctx, f.ann); err == nil {
			t.Error("a second Delete of the same object: no error")
		}
	})
}

func TestAnyModelSaveFile(t *testing.T) {
	useMedia(t)
	avatars := Avatars.Meta.Model()
	a := &Avatar{Name: "x"}
	if err := avatars.SaveFile(t.Context(), a, "picture", "me.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	if a.Picture.Name != "avatars/me.png" {
		t.Errorf("Picture = %q", a.Picture.Name)
	}
	if err := avatars.SaveFile(t.Context(), a, "picture", "no.png", strings.NewReader("text")); !errors.Is(err, orm.ErrNotImage) || errs.KindOf(err) != errs.Invalid {
		t.Errorf("SaveFile(text as an image) = %v (kind %v), want ErrNotImage, the visitor's mistake", err, errs.KindOf(err))
	}
	if err := avatars.SaveFile(t.Context(), &AnyTag{}, "picture", "me.png", bytes.NewReader(pngBytes(t))); err == nil {
		t.Error("SaveFile(*AnyTag): no error")
	}
}

// Each method given something other than a non-nil *AnyBook: an error, or
// the zero value for those without one; never a panic, never a query.
func TestAnyModelWrongType(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		books := f.books
		bads := []any{nil, &AnyTag{ID: f.dj.ID}, *f.dune, (*AnyBook)(nil), f.dune.ID}
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			for _, bad := range bads {
				what := fmt.Sprintf("%T", bad)
				errs := map[string]error{}
				errs["Save"] = books.Save(ctx, bad)
				res, err := books.Delete(ctx, bad)
				errs["Delete"] = err
				if res.Total != 0 {
					t.Errorf("%s: Delete = %+v", what, res)
				}
				plan, err := books.DeletePreview(ctx, bad)
				errs["DeletePreview"] = err
				if plan != nil {
					t.Errorf("%s: DeletePreview = %+v", what, plan)
				}
				errs["FullClean"] = books.FullClean(ctx, bad)
				v, err := books.Get(bad, "title")
				errs["Get"] = err
				if v != nil {
					t.Errorf("%s: Get = %#v", what, v)
				}
				errs["Set"] = books.Set(bad, "title", "x")
				errs["SaveFile"] = books.SaveFile(t.Context(), bad, "title", "a.txt", strings.NewReader("x"))
				keys, err := books.RelatedKeys(ctx, bad, "tags")
				errs["RelatedKeys"] = err
				if keys != nil {
					t.Errorf("%s: RelatedKeys = %#v", what, keys)
				}
				errs["SetRelated"] = books.SetRelated(ctx, bad, "tags", []any{f.dj.ID})
				for name, err := range errs {
					if err == nil || !strings.Contains(err.Error(), "AnyBook") {
						t.Errorf("%s(%s) = %v, want an error naming the model", name, what, err)
					}
				}
				if got := books.Display(bad, "status"); got != "" {
					t.Errorf("%s: Display = %q", what, got)
				}
				if got := books.String(bad); got != "" {
					t.Errorf("%s: String = %q", what, got)
				}
				if got := books.PK(bad); got != nil {
					t.Errorf("%s: PK = %#v", what, got)
				}
				if got := books.Related(bad, "author"); got != nil {
					t.Errorf("%s: Related = %#v", what, got)
				}
			}
		})
		want := "orm: anym.AnyBook: the object is a *orm_test.AnyTag, not a *orm_test.AnyBook"
		if err := books.Save(ctx, &AnyTag{}); err == nil || err.Error() != want {
			t.Errorf("Save(*AnyTag) = %v, want %q", err, want)
		}
		if n, _ := AnyBooks.Objects().Count(ctx); n != 3 {
			t.Errorf("%d books after the refused calls, want 3", n)
		}
	})
}

// The Manager methods beyond filtering, through what the admin holds.
func TestManagerErasedMore(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		f := anySeed(t, ctx)
		mgr := AnyBooks.Meta.DefaultManager()
		if err := mgr.Err(); err != nil {
			t.Errorf("Err() = %v", err)
		}
		titles := func(objs []any, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, o := range objs {
				out = append(out, o.(*AnyBook).Title)
			}
			return out
		}

		// SelectRelated: one query loads the authors.
		var objs []any
		var err error
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			objs, err = mgr.SelectRelated("author").OrderBy("title").List(ctx)
		})
		mgrWant(t, "SelectRelated", titles(objs, err), "Dune", "Emma", "Walden")
		for _, o := range objs {
			if _, ok := o.(*AnyBook).Author.Cached(); !ok {
				t.Errorf("%s: author not loaded", o.(*AnyBook).Title)
			}
		}
		// PrefetchRelated: one query more per lookup, then the tags cost none.
		ormtest.AssertNumQueries(t, ctx, 3, func(ctx context.Context) {
			objs, err = mgr.PrefetchRelated("tags", "author").OrderBy("title").List(ctx)
		})
		mgrWant(t, "PrefetchRelated", titles(objs, err), "Dune", "Emma", "Walden")
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			tags, err := objs[0].(*AnyBook).Tags.All(ctx)
			if err != nil || len(tags) != 2 {
				t.Errorf("prefetched Dune tags = %v, %v", tags, err)
			}
		})
		if err := mgr.PrefetchRelated("title").Err(); err == nil || !strings.Contains(err.Error(), "not a relation") {
			t.Errorf("PrefetchRelated(title).Err() = %v", err)
		}

		// Distinct: a book with two matching tags is listed once.
		byTags := mgr.Filter(orm.Q{"tags__name__in": []string{"python", "django", "go"}}).OrderBy("title")
		mgrWant(t, "without Distinct", titles(byTags.List(ctx)), "Dune", "Dune", "Emma")
		mgrWant(t, "Distinct", titles(byTags.Distinct().List(ctx)), "Dune", "Emma")

		// Annotate and Values.
		rows, err := mgr.Annotate(orm.A{"n_tags": orm.Count("tags")}).OrderBy("title").Values(ctx, "title", "n_tags")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%v=%v", r["title"], r["n_tags"]))
		}
		mgrWant(t, "Annotate.Values", got, "Dune=2", "Emma=1", "Walden=0")

		// GroupBy: the aggregate per status.
		rows, err = mgr.GroupBy("status").Annotate(orm.A{"n": orm.Count("id"), "total_pages": orm.Sum("pages")}).OrderBy("status").Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%v n=%v pages=%v", r["status"], r["n"], r["total_pages"]))
		}
		mgrWant(t, "GroupBy.Annotate.Values", got, "draft n=2 pages=600", "published n=1 pages=300")
		if err := mgr.GroupBy().Err(); err == nil {
			t.Error("GroupBy().Err() is nil")
		}

		// Aggregate.
		row, err := mgr.Filter(orm.Q{"author": f.ann}).Aggregate(ctx, orm.A{"n": orm.Count("id"), "most": orm.Max("pages")})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(row["n"], " ", row["most"]) != "2 400" {
			t.Errorf("Aggregate = %v", row)
		}

		// Exists.
		if ok, err := mgr.Filter(orm.Q{"status": "published"}).Exists(ctx); err != nil || !ok {
			t.Errorf("Exists(published) = %v, %v", ok, err)
		}
		if ok, err := mgr.Filter(orm.Q{"title": "Nope"}).Exists(ctx); err != nil || ok {
			t.Errorf("Exists(Nope) = %v, %v", ok, err)
		}

		// DeletePreview, then Delete: the same rows.
		ann := mgr.Filter(orm.Q{"author": f.ann})
		plan, err := ann.DeletePreview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"anym.AnyBook": 2, "anym.AnyBook_tags": 3}
		if c := plan.Counts(); c.Total != 5 || !maps.Equal(c.ByModel, want) {
			t.Errorf("DeletePreview counts = %+v, want %v", c, want)
		}
		if n, _ := mgr.Count(ctx); n != 3 {
			t.Errorf("the preview deleted rows: %d left", n)
		}
		res, err := ann.Delete(ctx)
		if err != nil || res.Total != 5 || !maps.Equal(res.ByModel, want) {
			t.Errorf("Delete = %+v, %v", res, err)
		}
		mgrWant(t, "after Delete", titles(mgr.List(ctx)), "Walden")

		// A chaining mistake reaches Err and every evaluating method.
		bad := mgr.Filter(orm.Q{"nope": 1})
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			var fe *orm.FieldError
			if !errors.As(bad.Err(), &fe) {
				t.Errorf("Err() = %v", bad.Err())
			}
			_, err := bad.Exists(ctx)
			errs := []error{err}
			_, err = bad.Values(ctx)
			errs = append(errs, err)
			_, err = bad.Aggregate(ctx, orm.A{"n": orm.Count("id")})
			errs = append(errs, err)
			_, err = bad.DeletePreview(ctx)
			errs = append(errs, err)
			_, err = bad.Delete(ctx)
			errs = append(errs, err)
			for i, err := range errs {
				if !errors.As(err, &fe) {
					t.Errorf("evaluation %d: err = %v, want the FieldError", i, err)
				}
			}
		})
	})
}

// An app's own queryset type is erased with the new methods too, and
// keeps its base filter under them.
func TestManagerErasedAppType(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		mgrSeed(t, ctx)
		pub := MgrPosts.Manager("published")
		rows, err := pub.SelectRelated("author").Filter(orm.Q{"author__username": "bob"}).OrderBy("title").Values(ctx, "title")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r["title"].(string))
		}
		mgrWant(t, "published by bob", got, "Hot", "Old", "Quiet")
		row, err := pub.Aggregate(ctx, orm.A{"n": orm.Count("id")})
		if err != nil || fmt.Sprint(row["n"]) != "5" {
			t.Errorf("published Aggregate = %v, %v", row, err)
		}
		if ok, err := pub.Filter(orm.Q{"title": "Draft"}).Exists(ctx); err != nil || ok {
			t.Errorf("published Exists(Draft) = %v, %v; want false", ok, err)
		}
		res, err := pub.Filter(orm.Q{"view_count__lt": 100}).Delete(ctx)
		if err != nil || res.Total != 1 {
			t.Errorf("published Delete(under 100 views) = %+v, %v", res, err)
		}
	})
}

func sortedInts(vs []any) []int64 {
	out := make([]int64, 0, len(vs))
	for _, v := range vs {
		n, _ := v.(int64)
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestAnyModelSelectForUpdate: the untyped manager locks as the typed
// queryset does, so code holding only a *Meta can read a row it is about
// to write under its lock.
func TestAnyModelSelectForUpdate(t *testing.T) {
	ormtest.Each(t, anyModels, func(t *testing.T, ctx context.Context) {
		anySeed(t, ctx)
		locked := AnyBooks.Meta.DefaultManager().SelectForUpdate().Filter(orm.Q{"title": "Dune"})
		if _, err := locked.Get(ctx); !errors.Is(err, orm.ErrLockOutsideTransaction) {
			t.Fatalf("Get outside Atomic: err = %v, want ErrLockOutsideTransaction", err)
		}
		cctx, counter := orm.CountQueries(ctx)
		err := orm.Atomic(cctx, func(ctx context.Context) error {
			obj, err := locked.Get(ctx)
			if err != nil {
				return err
			}
			if b, ok := obj.(*AnyBook); !ok || b.Title != "Dune" {
				return fmt.Errorf("locked Get = %#v", obj)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sql := strings.Join(counter.Queries(), "\n")
		if orm.FromContext(ctx).Vendor() == "postgres" && !strings.Contains(sql, " FOR UPDATE") {
			t.Fatalf("no FOR UPDATE in:\n%s", sql)
		}
	})
}
