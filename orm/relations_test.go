package orm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The tutorial's relationship models, in an app of their own.

type RelUser struct {
	ID       int64
	Username string
	IsStaff  bool
}

var RelUsers = orm.Define("rel", func(u *RelUser, m *orm.Schema) {
	m.Char(&u.Username, orm.MaxLength(150), orm.Unique())
	m.Boolean(&u.IsStaff)
})

type RelProfile struct {
	ID   int64
	User orm.FK[RelUser]
	Bio  string
}

var RelProfiles = orm.Define("rel", func(p *RelProfile, m *orm.Schema) {
	m.OneToOne(&p.User, orm.OnDelete(orm.Cascade), orm.RelatedName("profile"))
	m.Text(&p.Bio, orm.Blank())
})

type RelCategory struct {
	ID     int64
	Name   string
	Parent orm.FK[RelCategory]
}

var RelCategories = orm.Define("rel", func(c *RelCategory, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100))
	m.ForeignKey(&c.Parent, orm.OnDelete(orm.Cascade), orm.Null(), orm.Blank(), orm.RelatedName("children"))
})

type RelPost struct {
	ID        int64
	Title     string
	Author    orm.FK[RelUser]
	Category  orm.FK[RelCategory]
	CreatedBy orm.FK[RelUser]
	IsActive  bool
	ViewCount int
}

var RelPosts = orm.Define("rel", func(p *RelPost, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.SetNull), orm.Null(), orm.Blank(), orm.RelatedName("posts"))
	m.ForeignKey(&p.CreatedBy, orm.OnDelete(orm.Cascade), orm.RelatedName("+"), orm.Null())
	m.Boolean(&p.IsActive, orm.Default(true))
	m.Integer(&p.ViewCount)
})

// A comment keeps Django's default reverse names: relpost.relcomment_set,
// and relcomment in lookups.
type RelComment struct {
	ID   int64
	Post orm.FK[RelPost]
	Body string
}

var RelComments = orm.Define("rel", func(c *RelComment, m *orm.Schema) {
	m.ForeignKey(&c.Post, orm.OnDelete(orm.Cascade))
	m.Text(&c.Body)
})

// Company → Department → Employee → Task, the tutorial's four levels.
type RelCompany struct {
	ID   int64
	Name string
}
type RelDepartment struct {
	ID      int64
	Company orm.FK[RelCompany]
	Name    string
}
type RelEmployee struct {
	ID         int64
	Department orm.FK[RelDepartment]
	Name       string
}
type RelTask struct {
	ID       int64
	Employee orm.FK[RelEmployee]
	Status   string
}

var (
	RelCompanies = orm.Define("rel", func(c *RelCompany, m *orm.Schema) {
		m.Char(&c.Name, orm.MaxLength(100))
	})
	RelDepartments = orm.Define("rel", func(d *RelDepartment, m *orm.Schema) {
		m.ForeignKey(&d.Company, orm.OnDelete(orm.Cascade), orm.RelatedName("departments"))
		m.Char(&d.Name, orm.MaxLength(100))
	})
	RelEmployees = orm.Define("rel", func(e *RelEmployee, m *orm.Schema) {
		m.ForeignKey(&e.Department, orm.OnDelete(orm.Cascade), orm.RelatedName("employees"))
		m.Char(&e.Name, orm.MaxLength(100))
	})
	RelTasks = orm.Define("rel", func(t *RelTask, m *orm.Schema) {
		m.ForeignKey(&t.Employee, orm.OnDelete(orm.Cascade), orm.RelatedName("tasks"))
		m.Char(&t.Status, orm.MaxLength(20))
	})
)

// Two keys to one model need distinct related names.
type RelAccount struct {
	ID   int64
	Name string
}
type RelTransfer struct {
	ID          int64
	FromAccount orm.FK[RelAccount]
	ToAccount   orm.FK[RelAccount]
	Amount      int
}

var (
	RelAccounts = orm.Define("rel", func(a *RelAccount, m *orm.Schema) {
		m.Char(&a.Name, orm.MaxLength(100))
	})
	RelTransfers = orm.Define("rel", func(t *RelTransfer, m *orm.Schema) {
		m.ForeignKey(&t.FromAccount, orm.OnDelete(orm.Cascade), orm.RelatedName("outgoing_transfers"))
		m.ForeignKey(&t.ToAccount, orm.OnDelete(orm.Cascade), orm.RelatedName("incoming_transfers"))
		m.Integer(&t.Amount)
	})
)

var relModels = []*orm.Meta{RelUsers.Meta, RelProfiles.Meta, RelCategories.Meta, RelPosts.Meta, RelComments.Meta,
	RelCompanies.Meta, RelDepartments.Meta, RelEmployees.Meta, RelTasks.Meta, RelAccounts.Meta, RelTransfers.Meta}

func mustSave[T any](t *testing.T, ctx context.Context, m *orm.Model[T], obj *T) *T {
	t.Helper()
	if err := m.Save(ctx, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestRelationMetadata(t *testing.T) {
	f := RelPosts.Field("author")
	if f.Column != "author_id" || f.Kind != orm.KindForeignKey || f.Rel.To != RelUsers.Meta || f.Rel.OnDelete != orm.Cascade {
		t.Fatalf("author field = %+v, rel %+v", f, f.Rel)
	}
	if RelPosts.Field("author_id") != f {
		t.Error("author_id does not name the author field")
	}
	var names []string
	for _, r := range RelUsers.Reverses {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	// created_by has related_name "+": no reverse accessor
	// (m2m_posts comes from the many-to-many tests' models)
	if want := []string{"m2m_posts", "posts", "profile"}; !slices.Equal(names, want) {
		t.Errorf("RelUser reverses = %v, want %v", names, want)
	}
	if !slices.ContainsFunc(RelPosts.Reverses, func(r *orm.Reverse) bool { return r.Name == "relcomment" && r.Accessor == "relcomment_set" && r.Many }) {
		t.Errorf("default related name missing: %+v", RelPosts.Reverses)
	}
	if p := RelUsers.Reverses; slices.ContainsFunc(p, func(r *orm.Reverse) bool { return r.Name == "profile" && r.Many }) {
		t.Error("a one-to-one's reverse side is a single object")
	}
	if !RelProfiles.Field("user").Unique {
		t.Error("OneToOne is not unique")
	}
}

func TestRelationDefinitionErrors(t *testing.T) {
	type clashA struct {
		ID    int64
		Owner orm.FK[RelAccount]
	}
	type clashB struct {
		ID    int64
		Owner orm.FK[RelAccount]
	}
	type clashC struct {
		ID    int64
		Owner orm.FK[RelAccount]
	}
	type setNull struct {
		ID    int64
		Owner orm.FK[RelAccount]
	}
	type setDefault struct {
		ID    int64
		Owner orm.FK[RelAccount]
	}
	tests := []struct {
		name, want string
		define     func()
	}{
		{"reverse name clash", "clashes with reverse accessor", func() {
			orm.Define("clash", func(c *clashA, m *orm.Schema) {
				m.ForeignKey(&c.Owner, orm.OnDelete(orm.Cascade), orm.RelatedName("owned"))
			})
			orm.Define("clash", func(c *clashB, m *orm.Schema) {
				m.ForeignKey(&c.Owner, orm.OnDelete(orm.Cascade), orm.RelatedName("owned"))
			})
		}},
		{"reverse name clashes with a field", "clashes with field", func() {
			orm.Define("clash2", func(c *clashC, m *orm.Schema) {
				m.ForeignKey(&c.Owner, orm.OnDelete(orm.Cascade), orm.RelatedName("name"))
			})
		}},
		{"SET_NULL without null", "on_delete=SET_NULL, but cannot be null", func() {
			orm.Define("clash3", func(c *setNull, m *orm.Schema) {
				m.ForeignKey(&c.Owner, orm.OnDelete(orm.SetNull))
			})
		}},
		{"SET_DEFAULT without default", "on_delete=SET_DEFAULT, but has no default", func() {
			orm.Define("clash4", func(c *setDefault, m *orm.Schema) {
				m.ForeignKey(&c.Owner, orm.OnDelete(orm.SetDefault))
			})
		}},
		{"no on_delete", "needs orm.OnDelete", func() {
			orm.Define("clash5", func(c *setDefault, m *orm.Schema) { m.ForeignKey(&c.Owner) })
		}},
		{"a type defined twice", "is already defined as model rel.RelAccount", func() {
			orm.Define("again", func(a *RelAccount, m *orm.Schema) { m.Char(&a.Name, orm.MaxLength(100)) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := recoverMessage(tt.define)
			if !strings.Contains(msg, tt.want) {
				t.Fatalf("panic %q, want it to mention %q", msg, tt.want)
			}
		})
	}
}

func recoverMessage(fn func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg, _ = r.(string)
			if msg == "" {
				msg = "non-string panic"
			}
		}
	}()
	fn()
	return ""
}

// relFixture: alice wrote two django posts, bob one python post, carol none.
func relFixture(t *testing.T, ctx context.Context) (alice, bob, carol *RelUser) {
	t.Helper()
	alice = mustSave(t, ctx, RelUsers, &RelUser{Username: "alice"})
	bob = mustSave(t, ctx, RelUsers, &RelUser{Username: "bob", IsStaff: true})
	carol = mustSave(t, ctx, RelUsers, &RelUser{Username: "carol"})
	tech := mustSave(t, ctx, RelCategories, &RelCategory{Name: "Tech"})
	mustSave(t, ctx, RelCategories, &RelCategory{Name: "Go", Parent: orm.FK[RelCategory]{ID: tech.ID}})
	p1 := &RelPost{Title: "Django tips", ViewCount: 100}
	p1.Author.Set(alice)
	p1.Category.Set(tech)
	mustSave(t, ctx, RelPosts, p1)
	p2 := &RelPost{Title: "Django ORM", ViewCount: 5}
	p2.Author.Set(alice)
	mustSave(t, ctx, RelPosts, p2)
	p3 := &RelPost{Title: "Python", ViewCount: 2000}
	p3.Author.Set(bob)
	p3.Category.Set(tech)
	mustSave(t, ctx, RelPosts, p3)
	orm.Exec(ctx, "UPDATE rel_relpost SET is_active = ? WHERE id = ?", false, p2.ID)
	mustSave(t, ctx, RelComments, &RelComment{Post: orm.FK[RelPost]{ID: p1.ID}, Body: "nice"})
	mustSave(t, ctx, RelProfiles, &RelProfile{User: orm.FK[RelUser]{ID: alice.ID}, Bio: "writes about django"})
	return alice, bob, carol
}

func usernames(t *testing.T, users []*RelUser, err error) []string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range users {
		out = append(out, u.Username)
	}
	slices.Sort(out)
	return out
}

func TestRelationTraversal(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		alice, _, _ := relFixture(t, ctx)
		users := RelUsers.Objects()
		tests := []struct {
			name string
			qs   orm.QS[RelUser]
			want []string
		}{
			{"reverse FK", users.Filter(orm.Q{"posts__title__icontains": "django"}).Distinct(), []string{"alice"}},
			{"reverse FK fans out without distinct", users.Filter(orm.Q{"posts__title__icontains": "django"}), []string{"alice", "alice"}},
			{"reverse one-to-one", users.Filter(orm.Q{"profile__bio__contains": "django"}), []string{"alice"}},
			{"no posts", users.Filter(orm.Q{"posts__isnull": true}), []string{"carol"}},
			{"reverse then forward", users.Filter(orm.Q{"posts__category__name": "Tech"}).Distinct(), []string{"alice", "bob"}},
			{"three hops", users.Filter(orm.Q{"posts__relcomment__body": "nice"}), []string{"alice"}},
			{"exclude across a multi-valued relation", users.Exclude(orm.Q{"posts__is_active": true}), []string{"carol"}},
			{"exclude single-valued", users.Exclude(orm.Q{"profile__bio__contains": "django"}), []string{"bob", "carol"}},
			// One Filter call: the same post must be active and about django.
			{"same filter, same post", users.Filter(orm.Q{"posts__title__icontains": "orm", "posts__is_active": true}), nil},
			// Separate calls: any post about orm and any active post.
			{"chained filters, any posts", users.Filter(orm.Q{"posts__title__icontains": "orm"}).Filter(orm.Q{"posts__is_active": true}), []string{"alice"}},
			{"by related pk", users.Filter(orm.Q{"posts__view_count__gte": 1000}), []string{"bob"}},
			{"or across relations", users.Filter(orm.Or(orm.Q{"profile__bio__contains": "django"}, orm.Q{"is_staff": true})).Distinct(), []string{"alice", "bob"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				users, err := tt.qs.All(ctx)
				got := usernames(t, users, err)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		}

		t.Run("forward", func(t *testing.T) {
			posts, err := RelPosts.Objects().Filter(orm.Q{"author__username": "alice", "category__isnull": false}).All(ctx)
			if err != nil || len(posts) != 1 || posts[0].Title != "Django tips" {
				t.Fatalf("posts = %v, %v", posts, err)
			}
			n, err := RelPosts.Objects().Filter(orm.Q{"author": alice}).Count(ctx)
			if err != nil || n != 2 {
				t.Fatalf("filter by instance: %d, %v", n, err)
			}
			n, err = RelPosts.Objects().Filter(orm.Q{"author_id": alice.ID}).Count(ctx)
			if err != nil || n != 2 {
				t.Fatalf("filter by author_id: %d, %v", n, err)
			}
		})
		t.Run("self-referential", func(t *testing.T) {
			cats, err := RelCategories.Objects().Filter(orm.Q{"parent__name": "Tech"}).All(ctx)
			if err != nil || len(cats) != 1 || cats[0].Name != "Go" {
				t.Fatalf("children of Tech = %v, %v", cats, err)
			}
			cats, err = RelCategories.Objects().Filter(orm.Q{"children__name": "Go"}).All(ctx)
			if err != nil || len(cats) != 1 || cats[0].Name != "Tech" {
				t.Fatalf("parent of Go = %v, %v", cats, err)
			}
		})
		t.Run("order by a related field", func(t *testing.T) {
			posts, err := RelPosts.Objects().OrderBy("-author__username", "title").All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, p := range posts {
				titles = append(titles, p.Title)
			}
			if want := []string{"Python", "Django ORM", "Django tips"}; !slices.Equal(titles, want) {
				t.Fatalf("titles = %v, want %v", titles, want)
			}
		})
		t.Run("update and delete through a relation", func(t *testing.T) {
			n, err := RelPosts.Objects().Filter(orm.Q{"author__username": "bob"}).Update(ctx, orm.Values{"view_count": 1})
			if err != nil || n != 1 {
				t.Fatalf("update: %d, %v", n, err)
			}
			res, err := RelComments.Objects().Filter(orm.Q{"post__author__username": "alice"}).Delete(ctx)
			if err != nil || res.Total != 1 {
				t.Fatalf("delete: %+v, %v", res, err)
			}
		})
	})
}

func TestRelatedObjectAccess(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		alice, bob, _ := relFixture(t, ctx)
		post, err := RelPosts.Objects().Get(ctx, orm.Q{"title": "Django tips"})
		if err != nil {
			t.Fatal(err)
		}
		if post.Author.ID != alice.ID {
			t.Fatalf("author id = %d, want %d", post.Author.ID, alice.ID)
		}
		if _, ok := post.Author.Cached(); ok {
			t.Fatal("author loaded without a query")
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			u, err := post.Author.Get(ctx)
			if err != nil || u.Username != "alice" {
				t.Fatalf("author = %+v, %v", u, err)
			}
			if _, err := post.Author.Get(ctx); err != nil { // cached now
				t.Fatal(err)
			}
		})
		// Setting the key by name drops the cached author, as assigning
		// post.author_id does in Django; setting it to the same key keeps it.
		u, _ := post.Author.Cached()
		if err := RelPosts.Set(post, "author", u.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok := post.Author.Cached(); !ok {
			t.Fatal("setting the same key dropped the cached author")
		}
		if err := RelPosts.Set(post, "author", bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok := post.Author.Cached(); ok {
			t.Fatal("the old author is still cached after the key changed")
		}
		if u, err := post.Author.Get(ctx); err != nil || u.Username != "bob" {
			t.Fatalf("author after Set = %+v, %v", u, err)
		}
		if err := RelPosts.Set(post, "category", nil); err != nil {
			t.Fatal(err)
		}
		if _, ok := post.Category.Cached(); ok || post.Category.ID != 0 {
			t.Fatalf("category after Set(nil) = %+v", post.Category)
		}
		var none orm.FK[RelCategory]
		if _, err := none.Get(ctx); !errors.Is(err, RelCategories.DoesNotExist) {
			t.Fatalf("NULL key: %v", err)
		}
		untagged, err := RelPosts.Objects().Get(ctx, orm.Q{"title": "Django ORM"})
		if err != nil || untagged.Category.ID != 0 {
			t.Fatalf("nullable key read back as %+v, %v", untagged, err)
		}
	})
}

func TestForeignKeyConstraint(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		err := RelPosts.Save(ctx, &RelPost{Title: "orphan", Author: orm.FK[RelUser]{ID: 999}})
		var ie *orm.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != "foreign_key" {
			t.Fatalf("err = %v, want a foreign key IntegrityError", err)
		}
		err = RelPosts.Save(ctx, &RelPost{Title: "no author"})
		if !errors.As(err, &ie) || ie.Kind != "not_null" {
			t.Fatalf("err = %v, want a not-null IntegrityError", err)
		}
	})
}

func TestRelationBadInput(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		tests := []struct {
			key  string
			want string
		}{
			{"title__author", `unsupported lookup "author"`},
			{"author__nosuch", `unsupported lookup "nosuch" for ForeignKey; valid lookups are: exact, gt, gte, in, isnull, lt, lte, range; or a field of rel.RelUser: id, is_staff, m2m_posts, posts, profile, username, pk`},
			{"nosuch__title", `cannot resolve keyword "nosuch"`},
		}
		for _, tt := range tests {
			t.Run(tt.key, func(t *testing.T) {
				_, err := RelPosts.Objects().Filter(orm.Q{tt.key: "x"}).All(ctx)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			})
		}
		_, err := RelUsers.Objects().Filter(orm.Q{"nosuch": 1}).All(ctx)
		if err == nil || !strings.Contains(err.Error(), "posts") || !strings.Contains(err.Error(), "profile") {
			t.Fatalf("choices should list reverse names: %v", err)
		}
	})
}

func TestSelectRelated(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		relFixture(t, ctx)
		t.Run("forward keys in one query", func(t *testing.T) {
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				posts, err := RelPosts.Objects().SelectRelated("author", "category").OrderBy("title").All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range posts {
					u, err := p.Author.Get(ctx) // cached: no query
					if err != nil {
						t.Fatal(err)
					}
					cat := "-"
					if c, ok := p.Category.Cached(); ok {
						cat = c.Name
					}
					got = append(got, p.Title+"/"+u.Username+"/"+cat)
				}
				want := []string{"Django ORM/alice/-", "Django tips/alice/Tech", "Python/bob/Tech"}
				if !slices.Equal(got, want) {
					t.Fatalf("got %v, want %v", got, want)
				}
			})
		})
		t.Run("chains", func(t *testing.T) {
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				comments, err := RelComments.Objects().SelectRelated("post__author", "post__category__parent").All(ctx)
				if err != nil || len(comments) != 1 {
					t.Fatalf("comments = %v, %v", comments, err)
				}
				post, ok := comments[0].Post.Cached()
				if !ok {
					t.Fatal("post not loaded")
				}
				author, ok := post.Author.Cached()
				if !ok || author.Username != "alice" {
					t.Fatalf("author = %+v", author)
				}
				cat, ok := post.Category.Cached()
				if !ok || cat.Name != "Tech" {
					t.Fatalf("category = %+v", cat)
				}
				if _, ok := cat.Parent.Cached(); ok || cat.Parent.ID != 0 {
					t.Fatalf("Tech has no parent, got %+v", cat.Parent)
				}
			})
		})
		t.Run("with filters across the same relation", func(t *testing.T) {
			posts, err := RelPosts.Objects().SelectRelated("author").Filter(orm.Q{"author__username": "bob"}).All(ctx)
			if err != nil || len(posts) != 1 {
				t.Fatalf("posts = %v, %v", posts, err)
			}
			if u, ok := posts[0].Author.Cached(); !ok || u.Username != "bob" {
				t.Fatalf("author = %+v", u)
			}
		})
		t.Run("a count joins only what the filters need", func(t *testing.T) {
			cctx, counter := orm.CountQueries(ctx)
			qs := RelPosts.Objects().SelectRelated("author", "category__parent")
			for _, tt := range []struct {
				qs    orm.QS[RelPost]
				n     int64
				joins int
			}{
				{qs, 3, 0},
				{qs.Filter(orm.Q{"author__username": "alice"}), 2, 1},
				{qs.Filter(orm.Q{"category__parent__isnull": true}), 3, 1}, // parent_id is on the category
			} {
				n, err := tt.qs.Count(cctx)
				if err != nil || n != tt.n {
					t.Fatalf("count = %d, %v; want %d", n, err, tt.n)
				}
				q := counter.Queries()[counter.Count()-1]
				if got := strings.Count(q, " JOIN "); got != tt.joins {
					t.Errorf("%d joins, want %d: %s", got, tt.joins, q)
				}
			}
			// The query the counts were made from still joins everything.
			posts, err := qs.OrderBy("title").All(ctx)
			if err != nil || len(posts) != 3 {
				t.Fatalf("posts = %v, %v", posts, err)
			}
			if _, ok := posts[1].Category.Cached(); !ok {
				t.Error("the category was not loaded with the post")
			}
		})
		t.Run("not a relation", func(t *testing.T) {
			_, err := RelPosts.Objects().SelectRelated("title").All(ctx)
			if err == nil || !strings.Contains(err.Error(), `invalid field name "title"`) || !strings.Contains(err.Error(), "author, category, created_by") {
				t.Fatalf("err = %v", err)
			}
		})
	})
}

// The tutorial's N+1 problem with 1,000 posts: one query per author
// without help, one query in all with SelectRelated.
func TestNPlusOne(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		var authors []*RelUser
		for i := range 10 {
			authors = append(authors, mustSave(t, ctx, RelUsers, &RelUser{Username: "author" + string(rune('a'+i))}))
		}
		posts := make([]*RelPost, 1000)
		for i := range posts {
			posts[i] = &RelPost{Title: "post"}
			posts[i].Author.Set(authors[i%len(authors)])
		}
		if err := RelPosts.Objects().BulkCreate(ctx, posts, 500); err != nil {
			t.Fatal(err)
		}
		read := func(ctx context.Context, qs orm.QS[RelPost]) {
			all, err := qs.All(ctx)
			if err != nil || len(all) != 1000 {
				t.Fatalf("posts: %d, %v", len(all), err)
			}
			for _, p := range all {
				u, err := p.Author.Get(ctx)
				if err != nil || u.Username == "" {
					t.Fatalf("author: %+v, %v", u, err)
				}
			}
		}
		ormtest.AssertNumQueries(t, ctx, 1001, func(ctx context.Context) { read(ctx, RelPosts.Objects()) })
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) { read(ctx, RelPosts.Objects().SelectRelated("author")) })
	})
}

func TestValuesAcrossRelations(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		relFixture(t, ctx)
		rows, err := RelPosts.Objects().OrderBy("title").Values(ctx, "title", "author__username", "category__name")
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{
			{"title": "Django ORM", "author__username": "alice", "category__name": nil},
			{"title": "Django tips", "author__username": "alice", "category__name": "Tech"},
			{"title": "Python", "author__username": "bob", "category__name": "Tech"},
		}
		if len(rows) != len(want) {
			t.Fatalf("rows = %v", rows)
		}
		for i := range want {
			for k, v := range want[i] {
				if rows[i][k] != v {
					t.Fatalf("row %d %s = %v, want %v (%v)", i, k, rows[i][k], v, rows[i])
				}
			}
		}
		names, err := orm.Flat[string](ctx, RelUsers.Objects().Filter(orm.Q{"posts__isnull": false}).OrderBy("username").Distinct(), "username")
		if err != nil || !slices.Equal(names, []string{"alice", "bob"}) {
			t.Fatalf("authors = %v, %v", names, err)
		}
	})
}

func TestSelectRelatedReverseOneToOne(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		relFixture(t, ctx)
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			posts, err := RelPosts.Objects().SelectRelated("author__profile").OrderBy("title").All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range posts {
				author, ok := p.Author.Cached()
				if !ok {
					t.Fatal("author not loaded")
				}
				bio := "-"
				if profiles, ok := orm.Prefetched[RelProfile](author, "profile"); ok && len(profiles) == 1 {
					bio = profiles[0].Bio
				}
				got = append(got, author.Username+":"+bio)
			}
			// bob has no profile: no object, no error
			if want := []string{"alice:writes about django", "alice:writes about django", "bob:-"}; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
		_, err := RelUsers.Objects().SelectRelated("posts").All(ctx)
		if err == nil || !strings.Contains(err.Error(), `invalid field name "posts"`) || !strings.Contains(err.Error(), "choices are: profile") {
			t.Fatalf("a multi-valued relation: %v", err)
		}
	})
}

// relPostsOf is user.posts as Go has it: declared once beside the model
// that holds the key.
var relPostsOf = orm.ReverseOf[RelUser](RelPosts, "author")

func TestReverseOf(t *testing.T) {
	ormtest.Each(t, relModels, func(t *testing.T, ctx context.Context) {
		alice, bob, carol := relFixture(t, ctx)
		titles := func(posts []*RelPost, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range posts {
				out = append(out, p.Title)
			}
			slices.Sort(out)
			return out
		}
		if got := titles(relPostsOf.All(ctx, alice)); !slices.Equal(got, []string{"Django ORM", "Django tips"}) {
			t.Errorf("alice's posts = %q", got)
		}
		if got := titles(relPostsOf.All(ctx, carol)); len(got) != 0 {
			t.Errorf("carol's posts = %q", got)
		}
		n, err := relPostsOf.Of(bob).Filter(orm.Q{"view_count__gt": 1000}).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("bob's popular posts = %d, %v", n, err)
		}
		// From a prefetch: no query.
		users, err := RelUsers.Objects().PrefetchRelated("posts").OrderBy("username").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			if got := titles(relPostsOf.All(ctx, users[0])); len(got) != 2 {
				t.Errorf("alice's prefetched posts = %q", got)
			}
		})
		// An unsaved user has no posts to read: an error, not every post
		// with a zero key.
		if _, err := relPostsOf.All(ctx, &RelUser{Username: "dave"}); err == nil || !strings.Contains(err.Error(), "needs a saved") {
			t.Errorf("posts of an unsaved user: %v", err)
		}
	})
	for name, f := range map[string]func(){
		"no such key":  func() { orm.ReverseOf[RelUser](RelPosts, "title") },
		"other target": func() { orm.ReverseOf[RelCategory](RelPosts, "author") },
	} {
		if msg, ok := recoverPanic(t, f); !ok || !strings.Contains(msg, "ReverseOf") {
			t.Errorf("%s: panic %q (%v)", name, msg, ok)
		}
	}
}
