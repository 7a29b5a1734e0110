package orm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The Django tutorial's custom queryset and managers, in an app of their own.

type MgrUser struct {
	ID       int64
	Username string
}

var MgrUsers = orm.Define("mgr", func(u *MgrUser, m *orm.Schema) {
	m.Char(&u.Username, orm.MaxLength(50), orm.Unique())
})

type MgrPost struct {
	ID        int64
	Title     string
	Author    orm.FK[MgrUser]
	Status    string
	ViewCount int
	IsActive  bool
	CreatedAt time.Time
}

var MgrPosts = orm.Define("mgr", func(p *MgrPost, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(100))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
	m.Char(&p.Status, orm.MaxLength(20))
	m.PositiveInteger(&p.ViewCount, orm.Default(0))
	m.Boolean(&p.IsActive)
	m.DateTime(&p.CreatedAt)
	m.Meta(orm.Ordering("-created_at"))
})

// MgrPostQS is PostQuerySet: its methods chain with each other and with
// the built-in ones, which return MgrPostQS too.
type MgrPostQS struct {
	orm.QuerySet[MgrPost, MgrPostQS]
}

func (q MgrPostQS) Active() MgrPostQS { return q.Filter(orm.Q{"is_active": true}) }

func (q MgrPostQS) ByAuthor(u *MgrUser) MgrPostQS { return q.Filter(orm.Q{"author": u}) }

func (q MgrPostQS) Popular(min int) MgrPostQS { return q.Filter(orm.Q{"view_count__gte": min}) }

// Misspelt is a custom method with a typo, which must fail when evaluated.
func (q MgrPostQS) Misspelt() MgrPostQS { return q.Filter(orm.Q{"veiw_count__gte": 1}) }

func MgrPostObjects() MgrPostQS {
	return orm.NewQuerySet(MgrPosts, func(q orm.QuerySet[MgrPost, MgrPostQS]) MgrPostQS { return MgrPostQS{q} })
}

// Django: objects = PostManager(); published = PublishedManager().
var (
	AllMgrPosts       = orm.AddManager(MgrPosts, "objects", MgrPostObjects)
	PublishedMgrPosts = orm.AddManager(MgrPosts, "published", func() MgrPostQS {
		return MgrPostObjects().Filter(orm.Q{"status": "published"})
	})
)

// MgrArticle's default is its second manager (Meta.default_manager_name).
type MgrArticle struct {
	ID     int64
	Title  string
	Status string
}

var MgrArticles = orm.Define("mgr", func(a *MgrArticle, m *orm.Schema) {
	m.Char(&a.Title, orm.MaxLength(100))
	m.Char(&a.Status, orm.MaxLength(20))
	m.Meta(orm.Ordering("title"))
})

var (
	_ = orm.AddManager(MgrArticles, "all", MgrArticles.Objects)
	_ = orm.AddManager(MgrArticles, "published", func() orm.QS[MgrArticle] {
		return MgrArticles.Objects().Filter(orm.Q{"status": "published"})
	}, orm.AsDefault())
)

var mgrModels = []*orm.Meta{MgrUsers.Meta, MgrPosts.Meta, MgrArticles.Meta}

type mgrFixture struct {
	alice, bob *MgrUser
	posts      map[string]*MgrPost // by title
}

// mgrSeed stores the tutorial's rows. Active and with at least 1000 views:
// Intro, Draft, Hot, Edge (Edge exactly 1000); newest first: Edge, Hot,
// Draft, Intro.
func mgrSeed(t *testing.T, ctx context.Context) mgrFixture {
	t.Helper()
	f := mgrFixture{alice: &MgrUser{Username: "alice"}, bob: &MgrUser{Username: "bob"}, posts: map[string]*MgrPost{}}
	for _, u := range []*MgrUser{f.alice, f.bob} {
		if err := MgrUsers.Objects().Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, p := range []struct {
		title, status string
		author        *MgrUser
		views         int
		active        bool
	}{
		{"Intro", "published", f.alice, 5000, true},
		{"Draft", "draft", f.alice, 2000, true},
		{"Old", "published", f.bob, 9000, false},
		{"Quiet", "published", f.bob, 10, true},
		{"Hot", "published", f.bob, 1500, true},
		{"Edge", "published", f.alice, 1000, true},
	} {
		post := &MgrPost{Title: p.title, Status: p.status, ViewCount: p.views, IsActive: p.active,
			CreatedAt: t0.Add(time.Duration(i) * time.Hour)}
		post.Author.Set(p.author)
		if err := MgrPosts.Objects().Create(ctx, post); err != nil {
			t.Fatal(err)
		}
		f.posts[p.title] = post
	}
	return f
}

func mgrTitles(posts []*MgrPost) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.Title
	}
	return out
}

func mgrAll(t *testing.T, ctx context.Context, qs MgrPostQS) []string {
	t.Helper()
	posts, err := qs.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return mgrTitles(posts)
}

func mgrWant(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestManagerTutorialChain(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		f := mgrSeed(t, ctx)
		// Post.objects.active().popular().order_by('-created_at')
		mgrWant(t, "active().popular().order_by(-created_at)",
			mgrAll(t, ctx, AllMgrPosts().Active().Popular(1000).OrderBy("-created_at")),
			"Edge", "Hot", "Draft", "Intro")
		mgrWant(t, "order_by(view_count).popular().active()",
			mgrAll(t, ctx, AllMgrPosts().OrderBy("view_count").Popular(1000).Active()),
			"Edge", "Hot", "Draft", "Intro")
		// by_author takes an instance; a bare id works the same way.
		mgrWant(t, "by_author(alice).active().popular()",
			mgrAll(t, ctx, AllMgrPosts().ByAuthor(f.alice).Active().Popular(1000)),
			"Edge", "Draft", "Intro")
		mgrWant(t, "filter(author=bob.id).active()",
			mgrAll(t, ctx, AllMgrPosts().Filter(orm.Q{"author": f.bob.ID}).Active()),
			"Hot", "Quiet")
		mgrWant(t, "by_author(bob).popular(1600)",
			mgrAll(t, ctx, AllMgrPosts().ByAuthor(f.bob).Popular(1600)), "Old")
		// The second manager's base filter chains further, both ways round.
		mgrWant(t, "published.active().popular()",
			mgrAll(t, ctx, PublishedMgrPosts().Active().Popular(1000)), "Edge", "Hot", "Intro")
		mgrWant(t, "published.order_by(view_count).by_author(alice)",
			mgrAll(t, ctx, PublishedMgrPosts().OrderBy("view_count").ByAuthor(f.alice)), "Edge", "Intro")
		// Used as a subquery, the custom type is a Queryable like QS[T].
		users, err := MgrUsers.Objects().Filter(orm.Q{"posts__in": PublishedMgrPosts().Popular(5000)}).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 {
			t.Errorf("users with a published post over 5000 views: %d, want 2", len(users))
		}
	})
}

// TestManagerChainsWithBuiltins applies each built-in chaining method
// before, between and after the custom ones: the rows must not depend on
// where it stands, except that a slice must come last, as in Django.
func TestManagerChainsWithBuiltins(t *testing.T) {
	type check func(t *testing.T, posts []*MgrPost)
	noCheck := func(t *testing.T, posts []*MgrPost) {}
	loaded := func(t *testing.T, posts []*MgrPost) {
		for _, p := range posts {
			if a, ok := p.Author.Cached(); !ok || a.Username == "" {
				t.Errorf("%s: author not loaded", p.Title)
			}
		}
	}
	viewsDeferred := func(t *testing.T, posts []*MgrPost) {
		for _, p := range posts {
			if p.ViewCount != 0 || p.Title == "" {
				t.Errorf("%s: view_count %d loaded", p.Title, p.ViewCount)
			}
		}
	}
	cases := []struct {
		name      string
		apply     func(MgrPostQS) MgrPostQS
		want      []string
		queries   int  // statements per evaluation
		tx        bool // must run inside Atomic
		sliceLast bool // the slice refuses later filters
		check     check
	}{
		{"Filter", func(q MgrPostQS) MgrPostQS { return q.Filter(orm.Q{"status": "published"}) }, []string{"Edge", "Hot", "Intro"}, 1, false, false, noCheck},
		{"Exclude", func(q MgrPostQS) MgrPostQS { return q.Exclude(orm.Q{"author__username": "bob"}) }, []string{"Edge", "Draft", "Intro"}, 1, false, false, noCheck},
		{"OrderBy", func(q MgrPostQS) MgrPostQS { return q.OrderBy("view_count") }, []string{"Edge", "Hot", "Draft", "Intro"}, 1, false, false, noCheck},
		{"Reverse", func(q MgrPostQS) MgrPostQS { return q.Reverse() }, []string{"Intro", "Draft", "Hot", "Edge"}, 1, false, false, noCheck},
		{"Distinct", func(q MgrPostQS) MgrPostQS { return q.Distinct() }, []string{"Edge", "Hot", "Draft", "Intro"}, 1, false, false, noCheck},
		{"Only", func(q MgrPostQS) MgrPostQS { return q.Only("title", "created_at") }, []string{"Edge", "Hot", "Draft", "Intro"}, 1, false, false, viewsDeferred},
		{"Defer", func(q MgrPostQS) MgrPostQS { return q.Defer("view_count") }, []string{"Edge", "Hot", "Draft", "Intro"}, 1, false, false, viewsDeferred},
		{"SelectRelated", func(q MgrPostQS) MgrPostQS { return q.SelectRelated("author") }, []string{"Edge", "Hot", "Draft", "Intro"}, 1, false, false, loaded},
		{"PrefetchRelated", func(q MgrPostQS) MgrPostQS { return q.PrefetchRelated("author") }, []string{"Edge", "Hot", "Draft", "Intro"}, 2, false, false, loaded},
		{"None", func(q MgrPostQS) MgrPostQS { return q.None() }, nil, 0, false, false, noCheck},
		{"SelectForUpdate", func(q MgrPostQS) MgrPostQS { return q.SelectForUpdate() }, []string{"Edge", "Hot", "Draft", "Intro"}, -1, true, false, noCheck},
		{"Limit", func(q MgrPostQS) MgrPostQS { return q.Limit(2) }, []string{"Edge", "Hot"}, 1, false, true, noCheck},
		{"Offset", func(q MgrPostQS) MgrPostQS { return q.Offset(1) }, []string{"Hot", "Draft", "Intro"}, 1, false, true, noCheck},
	}
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		mgrSeed(t, ctx)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				orders := []struct {
					name string
					qs   MgrPostQS
				}{
					{"after", c.apply(AllMgrPosts().Active().Popular(1000))},
					{"before", c.apply(AllMgrPosts()).Active().Popular(1000)},
					{"between", c.apply(AllMgrPosts().Popular(1000)).Active()},
				}
				for i, o := range orders {
					var posts []*MgrPost
					var err error
					run := func(ctx context.Context) { posts, err = o.qs.All(ctx) }
					switch {
					case c.tx:
						if err := orm.Atomic(ctx, func(ctx context.Context) error { run(ctx); return nil }); err != nil {
							t.Fatal(err)
						}
					case i > 0 && c.sliceLast:
						ormtest.AssertNumQueries(t, ctx, 0, run)
						if err == nil || !strings.Contains(err.Error(), "slice") {
							t.Errorf("%s: custom method after a slice: err = %v, want the slice error", o.name, err)
						}
						continue
					default:
						ormtest.AssertNumQueries(t, ctx, c.queries, run)
					}
					if err != nil {
						t.Fatalf("%s: %v", o.name, err)
					}
					mgrWant(t, o.name, mgrTitles(posts), c.want...)
					c.check(t, posts)
				}
			})
		}
		// Outside a transaction the lock is refused whatever follows it.
		_, err := AllMgrPosts().SelectForUpdate().Active().All(ctx)
		if !errors.Is(err, orm.ErrLockOutsideTransaction) {
			t.Errorf("SelectForUpdate().Active() outside Atomic: err = %v", err)
		}
	})
}

// TestManagerChainOrderIndependent runs every order of six steps, custom
// and built-in, and expects the same rows each time.
func TestManagerChainOrderIndependent(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		f := mgrSeed(t, ctx)
		steps := []func(MgrPostQS) MgrPostQS{
			MgrPostQS.Active,
			func(q MgrPostQS) MgrPostQS { return q.Popular(1000) },
			func(q MgrPostQS) MgrPostQS { return q.ByAuthor(f.alice) },
			func(q MgrPostQS) MgrPostQS { return q.Exclude(orm.Q{"title": "Intro"}) },
			func(q MgrPostQS) MgrPostQS { return q.OrderBy("view_count") },
			func(q MgrPostQS) MgrPostQS { return q.SelectRelated("author") },
		}
		n := 0
		for perm := range mgrPermutations(len(steps)) {
			qs := AllMgrPosts()
			for _, i := range perm {
				qs = steps[i](qs)
			}
			posts, err := qs.All(ctx)
			if err != nil {
				t.Fatalf("order %v: %v", perm, err)
			}
			if got := mgrTitles(posts); !slices.Equal(got, []string{"Edge", "Draft"}) {
				t.Fatalf("order %v: %q, want [Edge Draft]", perm, got)
			}
			n++
		}
		if n != 720 {
			t.Fatalf("%d orders tried, want 720", n)
		}
	})
}

// mgrPermutations yields every order of 0..n-1 (Heap's algorithm).
func mgrPermutations(n int) func(yield func([]int) bool) {
	return func(yield func([]int) bool) {
		a := make([]int, n)
		for i := range a {
			a[i] = i
		}
		var gen func(k int) bool
		gen = func(k int) bool {
			if k <= 1 {
				return yield(slices.Clone(a))
			}
			for i := 0; i < k-1; i++ {
				if !gen(k - 1) {
					return false
				}
				if k%2 == 0 {
					a[i], a[k-1] = a[k-1], a[i]
				} else {
					a[0], a[k-1] = a[k-1], a[0]
				}
			}
			return gen(k - 1)
		}
		gen(n)
	}
}

func TestManagerTerminalMethods(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		f := mgrSeed(t, ctx)
		hot := AllMgrPosts().Active().Popular(1000)

		p, err := AllMgrPosts().ByAuthor(f.bob).Popular(1000).Active().Get(ctx)
		if err != nil || p.Title != "Hot" {
			t.Errorf("Get = %v, %v; want Hot", p, err)
		}
		if p, err := hot.Get(ctx, orm.Q{"title": "Draft"}); err != nil || p.ID != f.posts["Draft"].ID {
			t.Errorf("Get(title=Draft) = %v, %v", p, err)
		}
		if _, err := hot.Get(ctx); !errors.Is(err, orm.ErrMultipleObjectsReturned) {
			t.Errorf("Get of four rows: err = %v", err)
		}
		if _, err := hot.ByAuthor(f.bob).Popular(2000).Get(ctx); !errors.Is(err, MgrPosts.DoesNotExist) {
			t.Errorf("Get of no row: err = %v", err)
		}
		if p, err := hot.First(ctx); err != nil || p.Title != "Edge" {
			t.Errorf("First = %v, %v", p, err)
		}
		if p, err := hot.Last(ctx); err != nil || p.Title != "Intro" {
			t.Errorf("Last = %v, %v", p, err)
		}
		if n, err := hot.Count(ctx); err != nil || n != 4 {
			t.Errorf("Count = %d, %v", n, err)
		}
		if ok, err := hot.ByAuthor(f.bob).Exists(ctx); err != nil || !ok {
			t.Errorf("Exists = %v, %v", ok, err)
		}
		if ok, err := hot.Popular(100000).Exists(ctx); err != nil || ok {
			t.Errorf("Exists(over 100000) = %v, %v", ok, err)
		}
		vals, err := hot.OrderBy("title").Values(ctx, "title", "author__username")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vals {
			got = append(got, v["title"].(string)+"/"+v["author__username"].(string))
		}
		mgrWant(t, "Values", got, "Draft/alice", "Edge/alice", "Hot/bob", "Intro/alice")
		views, err := orm.Flat[int](ctx, hot.OrderBy("view_count"), "view_count")
		if err != nil || !slices.Equal(views, []int{1000, 1500, 2000, 5000}) {
			t.Errorf("Flat(view_count) = %v, %v", views, err)
		}
		got = got[:0]
		for p, err := range hot.Iter(ctx, 2) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Title)
		}
		mgrWant(t, "Iter", got, "Edge", "Hot", "Draft", "Intro")

		// Update and Delete act on exactly the chained rows.
		n, err := PublishedMgrPosts().Popular(1000).Update(ctx, orm.Values{"is_active": false})
		if err != nil || n != 4 { // Intro, Old, Hot, Edge
			t.Fatalf("Update = %d, %v", n, err)
		}
		mgrWant(t, "active after Update", mgrAll(t, ctx, AllMgrPosts().Active()), "Quiet", "Draft")
		del, err := AllMgrPosts().Active().ByAuthor(f.bob).Delete(ctx)
		if err != nil || del.Total != 1 {
			t.Fatalf("Delete = %+v, %v", del, err)
		}
		mgrWant(t, "after Delete", mgrAll(t, ctx, AllMgrPosts()), "Edge", "Hot", "Old", "Draft", "Intro")
	})
}

func TestManagerDefaultErased(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		f := mgrSeed(t, ctx)
		for _, a := range []*MgrArticle{{Title: "B", Status: "published"}, {Title: "A", Status: "draft"}, {Title: "C", Status: "published"}} {
			if err := MgrArticles.Objects().Create(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		list := func(m orm.Manager) []string {
			t.Helper()
			objs, err := m.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]string, len(objs))
			for i, o := range objs {
				switch o := o.(type) {
				case *MgrPost:
					out[i] = o.Title
				case *MgrArticle:
					out[i] = o.Title
				case *MgrUser:
					out[i] = o.Username
				default:
					t.Fatalf("List element %T", o)
				}
			}
			return out
		}
		count := func(m orm.Manager) int64 {
			t.Helper()
			n, err := m.Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// What the admin does, knowing only the label.
		posts := orm.LookupModel("mgr.MgrPost").DefaultManager() // "objects", the first
		mgrWant(t, "default List", list(posts), "Edge", "Hot", "Quiet", "Old", "Draft", "Intro")
		if n := count(posts); n != 6 {
			t.Errorf("default Count = %d", n)
		}
		mgrWant(t, "Filter.OrderBy", list(posts.Filter(orm.Q{"author": f.alice}).OrderBy("view_count")), "Edge", "Draft", "Intro")
		mgrWant(t, "Exclude.OrderBy.Offset.Limit",
			list(posts.Exclude(orm.Q{"status": "draft"}).OrderBy("-view_count").Offset(1).Limit(2)), "Intro", "Hot")
		if n := count(posts.Filter(orm.Q{"is_active": false})); n != 1 {
			t.Errorf("Filter.Count = %d", n)
		}
		obj, err := posts.Get(ctx, orm.Q{"title": "Hot"})
		if p, ok := obj.(*MgrPost); err != nil || !ok || p.ID != f.posts["Hot"].ID {
			t.Errorf("Get(Hot) = %#v, %v", obj, err)
		}
		obj, err = posts.Filter(orm.Q{"status": "draft"}).Get(ctx, orm.Q{"title": "Hot"})
		if obj != nil || !errors.Is(err, orm.ErrDoesNotExist) || !errors.Is(err, MgrPosts.DoesNotExist) {
			t.Errorf("Get(missing) = %#v, %v; want nil and DoesNotExist", obj, err)
		}

		// A named manager keeps its base filter under further chaining.
		pub := MgrPosts.Manager("published")
		if n := count(pub); n != 5 {
			t.Errorf("published Count = %d", n)
		}
		mgrWant(t, "published Filter.OrderBy", list(pub.Filter(orm.Q{"view_count__gte": 1000}).OrderBy("view_count")),
			"Edge", "Hot", "Intro", "Old")
		if MgrPosts.Manager("nope") != nil {
			t.Error(`Manager("nope") is not nil`)
		}

		// AsDefault wins over registration order; Objects stays plain.
		mgrWant(t, "articles default", list(MgrArticles.DefaultManager()), "B", "C")
		mgrWant(t, "articles all", list(MgrArticles.Manager("all")), "A", "B", "C")
		if n, err := MgrArticles.Objects().Count(ctx); err != nil || n != 3 {
			t.Errorf("Objects().Count = %d, %v", n, err)
		}
		// No manager registered: the default is the plain Objects.
		mgrWant(t, "users default", list(MgrUsers.DefaultManager().OrderBy("username")), "alice", "bob")
	})
}

func TestManagerBadInput(t *testing.T) {
	ormtest.Each(t, mgrModels, func(t *testing.T, ctx context.Context) {
		mgrSeed(t, ctx)
		isFieldError := func(what string, err error) {
			t.Helper()
			var fe *orm.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "veiw_count") && !strings.Contains(err.Error(), "nope") {
				t.Errorf("%s: err = %v, want a FieldError", what, err)
			}
		}
		// A typo in a custom method, wherever it stands in the chain, is an
		// error of the evaluating call, before any SQL.
		bad := AllMgrPosts().Misspelt().Active().OrderBy("-created_at")
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			_, err := bad.All(ctx)
			isFieldError("All", err)
			_, err = AllMgrPosts().Active().Misspelt().Count(ctx)
			isFieldError("Count", err)
			_, err = bad.Get(ctx)
			isFieldError("Get", err)
			_, err = bad.Exists(ctx)
			isFieldError("Exists", err)
			_, err = bad.Update(ctx, orm.Values{"is_active": false})
			isFieldError("Update", err)
			_, err = bad.Delete(ctx)
			isFieldError("Delete", err)
			_, err = MgrPosts.DefaultManager().Filter(orm.Q{"nope": 1}).List(ctx)
			isFieldError("erased Filter", err)
			_, err = MgrPosts.DefaultManager().OrderBy("-nope").Count(ctx)
			isFieldError("erased OrderBy", err)
			obj, err := MgrPosts.DefaultManager().Get(ctx, orm.Q{"nope": 1})
			isFieldError("erased Get", err)
			if obj != nil {
				t.Errorf("erased Get with an error returned %#v", obj)
			}
		})
		if err := bad.Err(); err == nil {
			t.Error("Err() is nil for a misspelt chain")
		}
		if n, err := AllMgrPosts().Count(ctx); err != nil || n != 6 {
			t.Errorf("after the failed Update and Delete: %d rows, %v", n, err)
		}
	})
}

func TestManagerDefinitionErrors(t *testing.T) {
	panics := func(name, want string, fn func()) {
		t.Helper()
		defer func() {
			t.Helper()
			r := recover()
			if msg, _ := r.(string); !strings.Contains(msg, want) {
				t.Errorf("%s: panic %v, want one containing %q", name, r, want)
			}
		}()
		fn()
	}
	panics("duplicate", `mgr.MgrPost: manager "published" registered twice`, func() {
		orm.AddManager(MgrPosts, "published", MgrPostObjects)
	})
	panics("second default", `managers "published" and "recent" are both marked AsDefault`, func() {
		orm.AddManager(MgrArticles, "recent", MgrArticles.Objects, orm.AsDefault())
	})
	panics("no name", "a manager needs a name", func() {
		orm.AddManager(MgrPosts, "", MgrPostObjects)
	})
	panics("nil function", `manager "x" has no queryset function`, func() {
		orm.AddManager[MgrPost, MgrPostQS](MgrPosts, "x", nil)
	})
	// The refused registrations left nothing behind.
	for _, name := range []string{"x", "recent"} {
		if MgrPosts.Manager(name) != nil || MgrArticles.Manager(name) != nil {
			t.Errorf("manager %q registered despite the panic", name)
		}
	}
}
