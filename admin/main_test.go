package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The test app: a small shop whose models use every kind of admin option.

type Category struct {
	ID     int64
	Name   string
	Parent orm.FK[Category]
}

func (c *Category) String() string { return c.Name }

var categories = orm.Define("admintest", func(c *Category, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(50), orm.Unique(), orm.Verbose("name"))
	m.ForeignKey(&c.Parent, orm.OnDelete(orm.SetNull), orm.Null(), orm.Blank(), orm.RelatedName("children"))
	m.Meta(orm.VerboseNamePlural("categories"), orm.Ordering("name"))
})

type Tag struct {
	ID   int64
	Name string
}

func (t *Tag) String() string { return t.Name }

// AbsoluteURL is a tag's page on a site: its change page links it.
func (t *Tag) AbsoluteURL() string {
	if t.Name == "evil" {
		return "javascript:alert(1)"
	}
	return "/tags/" + t.Name + "/"
}

var tags = orm.Define("admintest", func(t *Tag, m *orm.Schema) {
	m.Char(&t.Name, orm.MaxLength(30), orm.Unique())
	m.Meta(orm.Ordering("name"))
})

var statuses = orm.NewChoices(orm.C("draft", "Draft"), orm.C("published", "Published"))

type Product struct {
	ID        int64
	Name      string
	SKU       string
	Slug      string
	Category  orm.FK[Category]
	Price     decimal.Decimal
	Stock     int32
	IsActive  bool
	Status    string
	Released  *time.Time
	Notes     string
	Tags      orm.M2M[Tag]
	CreatedAt time.Time
}

func (p *Product) String() string { return p.Name }

var products = orm.Define("admintest", func(p *Product, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(100), orm.Verbose("name"))
	m.Char(&p.SKU, orm.MaxLength(20), orm.Unique(), orm.Verbose("SKU"), orm.HelpText("Stock keeping unit."))
	m.Slug(&p.Slug, orm.Unique())
	m.ForeignKey(&p.Category, orm.OnDelete(orm.Protect), orm.RelatedName("products"))
	m.Decimal(&p.Price, 10, 2, orm.Verbose("price"))
	m.PositiveInteger(&p.Stock, orm.Default(0), orm.Verbose("stock"))
	m.Boolean(&p.IsActive, orm.Default(true), orm.Verbose("active"))
	m.Char(&p.Status, orm.MaxLength(10), orm.Choices(statuses), orm.Default("draft"))
	m.Date(&p.Released, orm.Null(), orm.Blank())
	m.Text(&p.Notes, orm.Blank())
	m.ManyToMany(&p.Tags, orm.Blank())
	m.DateTime(&p.CreatedAt, orm.AutoNowAdd())
	m.Meta(orm.Ordering("name"))
})

type Review struct {
	ID      int64
	Product orm.FK[Product]
	Rating  int16
	Body    string
}

func (r *Review) String() string { return fmt.Sprintf("%d stars", r.Rating) }

var reviews = orm.Define("admintest", func(r *Review, m *orm.Schema) {
	m.ForeignKey(&r.Product, orm.OnDelete(orm.Cascade), orm.RelatedName("reviews"))
	m.SmallInteger(&r.Rating)
	m.Text(&r.Body, orm.Blank())
})

// Document has one field of each remaining kind, for the widgets.
type Document struct {
	ID         int64
	Key        uuid.UUID
	Title      string
	Contact    string
	Homepage   string
	Data       map[string]any
	Attachment orm.File
	Opens      time.Time
	Lasts      time.Duration
	Weight     float64
	Views      int64
}

var documents = orm.Define("admintest", func(d *Document, m *orm.Schema) {
	m.UUID(&d.Key, orm.Default(uuid.New), orm.Unique())
	m.Char(&d.Title, orm.MaxLength(60))
	m.Email(&d.Contact, orm.Blank())
	m.URL(&d.Homepage, orm.Blank())
	m.JSON(&d.Data, orm.Blank(), orm.Null())
	m.File(&d.Attachment, orm.UploadTo("docs"), orm.Blank())
	m.Time(&d.Opens)
	m.Duration(&d.Lasts)
	m.Float(&d.Weight)
	m.BigInteger(&d.Views)
	m.Meta(orm.SearchIndex("title"))
})

// Pin holds its tag with RESTRICT, for the delete page's blockers.
type Pin struct {
	ID  int64
	Tag orm.FK[Tag]
}

func (p *Pin) String() string { return fmt.Sprintf("pin %d", p.ID) }

var pins = orm.Define("admintest", func(p *Pin, m *orm.Schema) {
	m.ForeignKey(&p.Tag, orm.OnDelete(orm.Restrict))
})

func testModels() []*orm.Meta {
	return append(append(auth.Models(), Models()...), categories.Meta, tags.Meta, products.Meta,
		products.Meta.ManyToMany[0].Rel.Through, reviews.Meta, documents.Meta, pins.Meta, picks.Meta)
}

// testSite registers the test app with the options the tests exercise.
func testSite() *Site {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{Options: Options{
		SearchFields: []string{"name"},
		Exclude:      []string{"parent"},
		Ordering:     []string{"-name"},
		Inlines:      []Inline{Stacked(categories, InlineOptions{FKName: "parent", Extra: 1, Max: 2})},
	}, ViewOnSite: func(*Category) string { return "" }})
	Register(s, tags, ModelAdmin[Tag]{})
	Register(s, products, ModelAdmin[Product]{
		Options: Options{
			ListDisplay:        []string{"name", "sku", "category", "price", "stock", "is_active", "status", "on_sale"},
			ListEditable:       []string{"stock"},
			ListFilter:         []string{"is_active", "status", "category", "created_at"},
			SearchFields:       []string{"^name", "=sku", "category__name"},
			DateHierarchy:      "created_at",
			ListPerPage:        10,
			PrepopulatedFields: map[string][]string{"slug": {"name"}},
			AutocompleteFields: []string{"category"},
			Inlines:            []Inline{Tabular(reviews, InlineOptions{Extra: 2})},
			SaveOnTop:          true,
			FilterHorizontal:   []string{"tags"},
			SaveAs:             true,
		},
		ViewOnSite: func(p *Product) string { return "/shop/" + p.Slug + "/" },
		Methods: map[string]Method[Product]{
			"on_sale": {Label: "On sale", Value: func(p *Product) any { return p.Stock > 0 && p.IsActive }},
		},
		Actions: []Action[Product]{{Name: "deactivate", Label: "Deactivate selected products",
			Run: func(ctx context.Context, objs []*Product) (string, error) {
				for _, p := range objs {
					p.IsActive = false
					if err := products.Save(ctx, p, orm.UpdateFields("is_active")); err != nil {
						return "", err
					}
				}
				return fmt.Sprintf("%d products deactivated.", len(objs)), nil
			}}},
	})
	Register(s, reviews, ModelAdmin[Review]{
		Options: Options{
			EmptyValueDisplay: "(none)",
			ListDisplay:       []string{"__str__", "product", "product__category__name", "rating", "stars"},
			ListDisplayLinks:  []string{"product"},
			Fieldsets: []Fieldset{
				{Name: "Review", Fields: []string{"product", "rating"}},
				{Name: "Text", Fields: []string{"body", "stars"}, Description: "What the customer wrote.", Collapsed: true},
			},
			ReadonlyFields: []string{"stars"},
		},
		Methods: map[string]Method[Review]{
			"stars": {Label: "Stars", Value: func(r *Review) any { return strings.Repeat("*", int(r.Rating)) }, OrderField: "rating"},
		},
	})
	Register(s, documents, ModelAdmin[Document]{})
	Register(s, auth.Users, ModelAdmin[auth.User]{})
	return s
}

// env is one database with the test site served over httptest.
type env struct {
	t    *testing.T
	ctx  context.Context
	site *Site
	srv  *echo.Echo
	// observer, when set, sees every statement the server runs.
	observer func(orm.QueryEvent)
}

func each(t *testing.T, fn func(t *testing.T, env *env)) {
	ormtest.Each(t, testModels(), func(t *testing.T, ctx context.Context) {
		if err := auth.SyncPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		fn(t, newEnv(t, ctx))
	})
}

// newEnv serves a fresh test site on the database in ctx.
func newEnv(t *testing.T, ctx context.Context) *env { return siteEnv(t, ctx, testSite()) }

// siteEnv serves site on the database in ctx.
func siteEnv(t *testing.T, ctx context.Context, site *Site) *env {
	v := &env{t: t, ctx: ctx, site: site, srv: echo.New()}
	db := orm.FromContext(ctx)
	v.srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rctx := orm.WithDB(c.Request().Context(), db)
			if v.observer != nil {
				rctx = orm.Observe(rctx, v.observer)
			}
			c.SetRequest(c.Request().WithContext(rctx))
			return next(c)
		}
	})
	v.site.Mount(v.srv)
	return v
}

// user makes a user; staff users get the listed permissions ("admintest.add_product").
func (v *env) user(name string, staff, super bool, perms ...string) *auth.User {
	v.t.Helper()
	u := auth.Users.New()
	u.Username, u.IsStaff, u.IsSuperuser, u.IsActive = name, staff, super, true
	auth.SetUnusablePassword(u)
	if err := auth.Users.Save(v.ctx, u); err != nil {
		v.t.Fatal(err)
	}
	for _, p := range perms {
		app, codename, _ := strings.Cut(p, ".")
		model := codename[strings.Index(codename, "_")+1:]
		perm, err := auth.Permissions.Objects().Get(v.ctx, orm.Q{"content_type": app + "." + model, "codename": codename})
		if err != nil {
			v.t.Fatalf("permission %s: %v", p, err)
		}
		if err := u.UserPermissions.Add(v.ctx, perm); err != nil {
			v.t.Fatal(err)
		}
	}
	return u
}

// client is a browser: cookies kept, the CSRF token sent with every POST.
type client struct {
	v       *env
	cookies map[string]*http.Cookie
}

// queries counts the statements fn's requests run.
func (v *env) queries(fn func()) int {
	n := 0
	v.observer = func(orm.QueryEvent) { n++ }
	defer func() { v.observer = nil }()
	fn()
	return n
}

func (v *env) anonymous() *client { return &client{v: v, cookies: map[string]*http.Cookie{}} }

// as signs u in by session, without a password round: argon2 is slow on
// purpose, and the login page has its own tests.
func (v *env) as(u *auth.User) *client {
	c := v.anonymous()
	sess := &auth.Session{Data: map[string]any{}}
	if err := v.site.Store.Login(v.ctx, sess, u); err != nil {
		v.t.Fatal(err)
	}
	c.cookies[auth.CookieName] = auth.Cookie(sess, false)
	return c
}

type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) *response {
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.v.srv.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	b, _ := io.ReadAll(res.Body)
	return &response{Response: res, body: string(b)}
}

func (c *client) get(path string) *response {
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// post sends form with the CSRF token, fetching one first if needed.
func (c *client) post(path string, form url.Values) *response {
	if c.cookies["csrftoken"] == nil {
		c.get("/admin/login/")
	}
	form = cloneValues(form)
	form.Set("_csrf", c.cookies["csrftoken"].Value)
	return c.postRaw(path, form)
}

func (c *client) postRaw(path string, form url.Values) *response {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = append([]string(nil), vals...)
	}
	return out
}

func (r *response) expect(t *testing.T, status int, contains ...string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.StatusCode, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q; body:\n%s", s, r.body)
		}
	}
}

func (r *response) redirectsTo(t *testing.T, location string) {
	t.Helper()
	if r.StatusCode != http.StatusFound && r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", r.StatusCode, location, r.body)
	}
	if got := r.Header.Get("Location"); got != location {
		t.Fatalf("redirect to %q, want %q", got, location)
	}
}

// fixtures: two categories, products, a tag.
type fixtures struct {
	books, games *Category
	tag          *Tag
	products     []*Product
}

func (v *env) fixtures(n int) *fixtures {
	v.t.Helper()
	f := &fixtures{books: &Category{Name: "Books"}, games: &Category{Name: "Games"}, tag: &Tag{Name: "new"}}
	for _, err := range []error{categories.Save(v.ctx, f.books), categories.Save(v.ctx, f.games), tags.Save(v.ctx, f.tag)} {
		if err != nil {
			v.t.Fatal(err)
		}
	}
	for i := range n {
		p := products.New()
		p.Name, p.SKU, p.Slug = fmt.Sprintf("Product %02d", i), fmt.Sprintf("SKU-%02d", i), fmt.Sprintf("product-%02d", i)
		p.Category.Set(f.books)
		if i%2 == 1 {
			p.Category.Set(f.games)
		}
		p.Price = decimal.RequireFromString(fmt.Sprintf("%d.50", i+1))
		p.Stock = int32(i)
		if err := products.Save(v.ctx, p); err != nil {
			v.t.Fatal(err)
		}
		f.products = append(f.products, p)
	}
	return f
}
