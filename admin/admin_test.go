package admin

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

func TestLoginRequired(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		for _, path := range []string{"/admin/", "/admin/admintest/product/", "/admin/admintest/product/add/",
			"/admin/admintest/product/1/change/", "/admin/admintest/product/1/delete/", "/admin/admintest/product/1/history/"} {
			v.anonymous().get(path).redirectsTo(t, "/admin/login/?next="+url.QueryEscape(path))
		}
		// A signed-in user who is not staff is treated as signed out.
		v.as(v.user("visitor", false, false)).get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")
	})
}

func TestLoginAndLogout(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		u := v.user("ann", true, true)
		auth.SetPassword(u, "correct horse battery")
		if err := auth.Users.Save(v.ctx, u); err != nil {
			t.Fatal(err)
		}
		c := v.anonymous()
		c.get("/admin/login/?next=/admin/admintest/product/").expect(t, http.StatusOK, `name="username"`, `name="password"`, `name="_csrf"`)
		res := c.post("/admin/login/", url.Values{"username": {"ann"}, "password": {"wrong"}, "next": {"/admin/admintest/product/"}})
		res.expect(t, http.StatusOK, "Please enter the correct username and password for a staff account.", `value="ann"`)
		before := c.cookies["csrftoken"].Value
		res = c.post("/admin/login/", url.Values{"username": {"ann"}, "password": {"correct horse battery"}, "next": {"/admin/admintest/product/"}})
		res.redirectsTo(t, "/admin/admintest/product/")
		c.get("/admin/").expect(t, http.StatusOK, "Site administration")
		// The login gave a new CSRF token (Django's rotate_token): the one
		// from before is refused.
		if after := c.cookies["csrftoken"].Value; after == before || len(after) != len(before) {
			t.Fatalf("CSRF token %q after login, was %q", after, before)
		}
		if res := c.postRaw("/admin/logout/", url.Values{"_csrf": {before}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("logout with the pre-login token: %d, want 403", res.StatusCode)
		}

		// An off-site next is ignored.
		c2 := v.anonymous()
		c2.post("/admin/login/", url.Values{"username": {"ann"}, "password": {"correct horse battery"}, "next": {"//evil.example/"}}).
			redirectsTo(t, "/admin/")

		// Logout is a POST; the old session is gone afterwards.
		if res := c.get("/admin/logout/"); res.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET logout: %d", res.StatusCode)
		}
		c.post("/admin/logout/", nil).redirectsTo(t, "/admin/login/")
		c.get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")

		// A user who is not staff cannot sign in to the admin.
		bob := v.user("bob", false, false)
		auth.SetPassword(bob, "correct horse battery")
		if err := auth.Users.Save(v.ctx, bob); err != nil {
			t.Fatal(err)
		}
		v.anonymous().post("/admin/login/", url.Values{"username": {"bob"}, "password": {"correct horse battery"}}).
			expect(t, http.StatusOK, "for a staff account")
	})
}

func TestLoginThrottled(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.user("ann", true, true)
		v.site.Throttle = auth.Throttle{Sleep: func(context.Context, time.Duration) error { return nil }}
		c := v.anonymous()
		var res *response
		for range 6 {
			res = c.post("/admin/login/", url.Values{"username": {"ann"}, "password": {"nope"}})
		}
		res.expect(t, http.StatusTooManyRequests, "Too many failed login attempts")
		if ra := res.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("429 without a Retry-After: %q", ra)
		}
	})
}

func TestCSRFRequired(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		c := v.as(v.user("ann", true, true))
		c.get("/admin/")
		res := c.postRaw("/admin/admintest/tag/add/", url.Values{"name": {"x"}})
		res.expect(t, http.StatusForbidden)
		res = c.postRaw("/admin/admintest/tag/add/", url.Values{"name": {"x"}, "_csrf": {"forged"}})
		res.expect(t, http.StatusForbidden)
		if n, _ := tags.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d tags created without a CSRF token", n)
		}
		c.post("/admin/admintest/tag/add/", url.Values{"name": {"x"}}).redirectsTo(t, "/admin/admintest/tag/")
	})
}

func TestIndexShowsPermittedModels(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.as(v.user("root", true, true)).get("/admin/").expect(t, http.StatusOK,
			"Categories", "Products", "Reviews", `href="/admin/admintest/product/add/"`)
		res := v.as(v.user("clerk", true, false, "admintest.view_product")).get("/admin/")
		res.expect(t, http.StatusOK, `href="/admin/admintest/product/"`)
		if strings.Contains(res.body, "/admin/admintest/product/add/") || strings.Contains(res.body, "Categories") {
			t.Errorf("index shows what the clerk may not use:\n%s", res.body)
		}
	})
}

func TestPermissionsAndMissingObjects(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		pk := f.products[0].ID
		nobody := v.as(v.user("nobody", true, false))
		for _, path := range []string{"/admin/admintest/product/", "/admin/admintest/product/add/",
			fmt.Sprintf("/admin/admintest/product/%d/change/", pk), fmt.Sprintf("/admin/admintest/product/%d/delete/", pk),
			fmt.Sprintf("/admin/admintest/product/%d/history/", pk)} {
			nobody.get(path).expect(t, http.StatusForbidden)
		}
		nobody.post("/admin/admintest/product/add/", url.Values{"name": {"x"}}).expect(t, http.StatusForbidden)

		viewer := v.as(v.user("viewer", true, false, "admintest.view_product"))
		res := viewer.get(fmt.Sprintf("/admin/admintest/product/%d/change/", pk))
		res.expect(t, http.StatusOK, "View product")
		if strings.Contains(res.body, `name="_save"`) {
			t.Error("a view-only user gets a Save button")
		}
		viewer.post(fmt.Sprintf("/admin/admintest/product/%d/change/", pk), url.Values{"name": {"x"}}).expect(t, http.StatusForbidden)

		root := v.as(v.user("root", true, true))
		for _, path := range []string{"/admin/admintest/product/999999/change/", "/admin/admintest/product/abc/change/",
			"/admin/admintest/product/999999/delete/", "/admin/admintest/product/x/history/", "/admin/admintest/nosuch/",
			"/admin/nosuchapp/"} {
			root.get(path).expect(t, http.StatusNotFound)
		}
	})
}

func productForm(f *fixtures, edits map[string]string) url.Values {
	form := url.Values{"name": {"Lamp"}, "sku": {"LAMP-1"}, "slug": {"lamp"}, "category": {fmt.Sprint(f.books.ID)},
		"price": {"19.99"}, "stock": {"3"}, "is_active": {"on"}, "status": {"draft"}, "released": {""}, "notes": {""},
		"reviews-TOTAL_FORMS": {"0"}, "reviews-INITIAL_FORMS": {"0"}, "_save": {"Save"}}
	for k, val := range edits {
		form.Set(k, val)
	}
	return form
}

func TestAddForm(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		res := c.get("/admin/admintest/product/add/")
		res.expect(t, http.StatusOK, "Add product", `name="name"`, `maxlength="100"`, "Stock keeping unit.",
			`name="price"`, `type="checkbox"`, `name="released"`, `type="date"`, `name="tags"`, "multiple",
			`name="reviews-TOTAL_FORMS"`, "Published")
		if strings.Contains(res.body, `name="created_at"`) {
			t.Error("a non-editable field is on the add form")
		}

		// Errors beside the fields, the user's input kept, nothing saved.
		res = c.post("/admin/admintest/product/add/", productForm(f, map[string]string{"name": "", "price": "abc", "sku": f.products[0].SKU, "status": "gone"}))
		res.expect(t, http.StatusOK, "Please correct the errors below.", "This field is required.", "Enter a number.",
			"Product with this SKU already exists.", "Select a valid choice. gone is not one of the available choices.", `value="abc"`)
		if n, _ := products.Objects().Count(v.ctx); n != 1 {
			t.Fatalf("%d products after an invalid form, want 1", n)
		}

		form := productForm(f, nil)
		form["tags"] = []string{fmt.Sprint(f.tag.ID)}
		c.post("/admin/admintest/product/add/", form).redirectsTo(t, "/admin/admintest/product/")
		p, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Lamp" || p.Price.String() != "19.99" || p.Stock != 3 || !p.IsActive || p.Category.ID != f.books.ID {
			t.Fatalf("saved %+v", p)
		}
		tagged, err := p.Tags.All(v.ctx)
		if err != nil || len(tagged) != 1 || tagged[0].ID != f.tag.ID {
			t.Fatalf("tags %v, %v", tagged, err)
		}
		c.get("/admin/admintest/product/").expect(t, http.StatusOK, "The product “Lamp” was added successfully.")

		// "Save and continue" and "Save and add another".
		form = productForm(f, map[string]string{"sku": "LAMP-2", "slug": "lamp-2", "_continue": "1"})
		form.Del("_save")
		res = c.post("/admin/admintest/product/add/", form)
		p2, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-2"})
		if err != nil {
			t.Fatal(err)
		}
		res.redirectsTo(t, fmt.Sprintf("/admin/admintest/product/%d/change/", p2.ID))
		form = productForm(f, map[string]string{"sku": "LAMP-3", "slug": "lamp-3", "_addanother": "1"})
		c.post("/admin/admintest/product/add/", form).redirectsTo(t, "/admin/admintest/product/add/")

		// A foreign key to nothing is refused, not a 500.
		res = c.post("/admin/admintest/product/add/", productForm(f, map[string]string{"sku": "LAMP-4", "slug": "lamp-4", "category": "999999"}))
		res.expect(t, http.StatusOK, "Select a valid choice. That choice is not one of the available choices.")
	})
}

func TestChangeFormAndHistory(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		c := v.as(v.user("root", true, true))
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		c.get(change).expect(t, http.StatusOK, "Change product", `value="Product 00"`, "Created at", `name="_continue"`)
		form := productForm(f, map[string]string{"name": p.Name, "sku": p.SKU, "slug": p.Slug, "price": "2.00", "stock": "7"})
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		got, err := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Price.String() != "2" || got.Stock != 7 {
			t.Fatalf("after change: price %s stock %d", got.Price, got.Stock)
		}
		c.get(fmt.Sprintf("/admin/admintest/product/%d/history/", p.ID)).expect(t, http.StatusOK, "Changed price and stock.")
		entries, err := LogEntries.Objects().Filter(orm.Q{"object_id": fmt.Sprint(p.ID), "action_flag": Change}).All(v.ctx)
		if err != nil || len(entries) != 1 {
			t.Fatalf("log entries %v, %v", entries, err)
		}
		c.get("/admin/").expect(t, http.StatusOK, "Product 00")
	})
}

func TestDeleteConfirmation(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		p := f.products[0]
		for i := range 2 {
			if err := reviews.Save(v.ctx, &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: int16(i + 4)}); err != nil {
				t.Fatal(err)
			}
		}
		c := v.as(v.user("root", true, true))
		del := fmt.Sprintf("/admin/admintest/product/%d/delete/", p.ID)
		c.get(del).expect(t, http.StatusOK, "Are you sure", "Product 00", "4 stars", "5 stars", `name="post"`)
		c.post(del, url.Values{"post": {"yes"}}).redirectsTo(t, "/admin/admintest/product/")
		if n, _ := reviews.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d reviews left after the cascade", n)
		}
		if n, _ := LogEntries.Objects().Filter(orm.Q{"action_flag": Deletion}).Count(v.ctx); n != 1 {
			t.Fatalf("%d deletion entries", n)
		}

		// PROTECT blocks: the page says what, and offers no button; a
		// forged POST deletes nothing.
		catDel := fmt.Sprintf("/admin/admintest/category/%d/delete/", f.games.ID)
		res := c.get(catDel)
		res.expect(t, http.StatusOK, "protected", "Product 01")
		if strings.Contains(res.body, `name="post"`) {
			t.Error("a blocked delete offers its confirm button")
		}
		c.post(catDel, url.Values{"post": {"yes"}}).expect(t, http.StatusOK, "protected")
		if _, err := categories.Objects().Get(v.ctx, orm.Q{"pk": f.games.ID}); err != nil {
			t.Fatalf("protected category deleted: %v", err)
		}

		// A user who may delete products but not the reviews they cascade to is refused.
		if err := reviews.Save(v.ctx, &Review{Product: orm.FK[Product]{ID: f.products[1].ID}, Rating: 3}); err != nil {
			t.Fatal(err)
		}
		limited := v.as(v.user("limited", true, false, "admintest.delete_product", "admintest.view_product"))
		res = limited.get(fmt.Sprintf("/admin/admintest/product/%d/delete/", f.products[1].ID))
		res.expect(t, http.StatusOK, "have permission to delete the following types of objects")
		limited.post(fmt.Sprintf("/admin/admintest/product/%d/delete/", f.products[1].ID), url.Values{"post": {"yes"}})
		if _, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[1].ID}); err != nil {
			t.Fatalf("deleted despite the missing permission: %v", err)
		}
	})
}

func TestChangeListQueries(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		c := v.as(v.user("root", true, true))
		f := v.fixtures(2)
		counts := map[int]int{}
		for _, total := range []int{2, 10} {
			for i := len(f.products); i < total; i++ {
				p := products.New()
				p.Name, p.SKU, p.Slug = fmt.Sprintf("Product %02d", i), fmt.Sprintf("SKU-%02d", i), fmt.Sprintf("p-%d", i)
				p.Category.Set(f.games)
				if err := products.Save(v.ctx, p); err != nil {
					t.Fatal(err)
				}
				f.products = append(f.products, p)
			}
			counts[total] = v.queries(func() {
				c.get("/admin/admintest/product/?is_active__exact=1").expect(t, http.StatusOK, "Product 01", "Games")
			})
		}
		if counts[2] != counts[10] {
			t.Fatalf("queries per change list page grow with its rows: %v", counts)
		}
		t.Logf("a filtered change list page: %d queries for 2 or 10 rows", counts[2])
		// session, user, permissions, count, total count, rows, the
		// category filter's choices, the date hierarchy's periods.
		if counts[2] > 9 {
			t.Errorf("a change list page runs %d queries", counts[2])
		}
	})
}

func TestEstimatedCount(t *testing.T) {
	ctx := ormtest.Open(t, "postgres", testModels()...)
	if err := auth.SyncPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	v := newEnv(t, ctx)
	v.fixtures(30)
	if _, err := orm.Exec(ctx, "ANALYZE admintest_product"); err != nil {
		t.Fatal(err)
	}
	e := v.site.lookup("admintest", "product")
	e.opts.EstimateCountOver = 10
	c := v.as(v.user("root", true, true))
	res := c.get("/admin/admintest/product/")
	res.expect(t, http.StatusOK, "about 30 products")
	// A filtered list counts exactly.
	// A filtered list counts exactly; the total beside it is estimated.
	res = c.get("/admin/admintest/product/?is_active__exact=1")
	res.expect(t, http.StatusOK, "30 products", "(about 30 total)")
	if strings.Contains(res.body, "about 30 products") {
		t.Error("a filtered list shows an estimate")
	}
	e.opts.EstimateCountOver = -1
	c.get("/admin/admintest/product/?is_active__exact=1").expect(t, http.StatusOK, "30 products (30 total)")
}

func TestLoginCookiesSecureOverTLS(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		u := v.user("ann", true, true)
		auth.SetPassword(u, "correct horse battery")
		if err := auth.Users.Save(v.ctx, u); err != nil {
			t.Fatal(err)
		}
		for _, overTLS := range []bool{false, true} {
			c := v.anonymous()
			c.get("/admin/login/")
			form := url.Values{"username": {"ann"}, "password": {"correct horse battery"}, "_csrf": {c.cookies["csrftoken"].Value}}
			req := httptest.NewRequest(http.MethodPost, "/admin/login/", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if overTLS {
				req.TLS = &tls.ConnectionState{}
			}
			res := c.do(req)
			res.redirectsTo(t, "/admin/")
			sess := c.cookies[auth.CookieName]
			if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure != overTLS {
				t.Fatalf("over TLS %v: session cookie %+v", overTLS, sess)
			}
		}
	})
}

// TestChangeListQueriesEveryFeature registers products with every change
// list feature at once, editable foreign keys included, and checks that a
// page costs the same number of queries for 2 rows as for 12.
func TestChangeListQueriesEveryFeature(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		for _, autocomplete := range []bool{false, true} {
			site := NewSite()
			Register(site, categories, ModelAdmin[Category]{Options: Options{SearchFields: []string{"name"}}})
			ma := ModelAdmin[Product]{
				Options: Options{
					ListDisplay:   []string{"name", "category", "category__parent", "price", "is_active", "status", "released", "on_sale"},
					ListEditable:  []string{"category", "status", "is_active", "released"},
					ListFilter:    []string{"is_active", "status", "category", "created_at"},
					SearchFields:  []string{"^name", "=sku", "category__name"},
					DateHierarchy: "created_at",
				},
				Methods: map[string]Method[Product]{
					"on_sale": {Label: "On sale", Value: func(p *Product) any { return p.Stock > 0 && p.IsActive }},
				},
			}
			if autocomplete {
				ma.AutocompleteFields = []string{"category"}
			}
			Register(site, products, ma)
			srv := echo.New()
			db := orm.FromContext(v.ctx)
			count := 0
			srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					ctx := orm.Observe(orm.WithDB(c.Request().Context(), db), func(orm.QueryEvent) { count++ })
					c.SetRequest(c.Request().WithContext(ctx))
					return next(c)
				}
			})
			site.Mount(srv)
			w := &env{t: t, ctx: v.ctx, site: site, srv: srv}
			c := w.as(v.user(fmt.Sprintf("root%v", autocomplete), true, true))
			f := &fixtures{books: &Category{Name: "Books"}, games: &Category{Name: "Games"}}
			for _, cat := range []*Category{f.books, f.games} {
				if err := categories.Save(v.ctx, cat); err != nil {
					t.Fatal(err)
				}
			}
			page := "/admin/admintest/product/?q=product&is_active__exact=1&o=2.-4"
			counts := map[int]int{}
			for _, total := range []int{2, 12} {
				for i := len(f.products); i < total; i++ {
					p := products.New()
					p.Name, p.SKU, p.Slug = fmt.Sprintf("Product %02d %v", i, autocomplete), fmt.Sprintf("SKU-%02d-%v", i, autocomplete), fmt.Sprintf("p-%d-%v", i, autocomplete)
					p.Category.Set(f.books)
					if i%2 == 1 {
						p.Category.Set(f.games)
					}
					if err := products.Save(v.ctx, p); err != nil {
						t.Fatal(err)
					}
					f.products = append(f.products, p)
				}
				count = 0
				c.get(page).expect(t, http.StatusOK, `name="form-0-category"`, `name="form-0-status"`)
				counts[total] = count
			}
			if counts[2] != counts[12] {
				t.Fatalf("autocomplete %v: a change list page runs %d queries for 2 rows and %d for 12", autocomplete, counts[2], counts[12])
			}
			// session, user, count, the table's size estimate, total
			// count, rows, the categories of the editable select (or
			// none, with autocomplete), the category filter's choices,
			// the date hierarchy's first and last dates.
			want := 10
			if autocomplete {
				want = 9
			}
			if counts[2] != want {
				t.Errorf("autocomplete %v: a change list page runs %d queries, want %d", autocomplete, counts[2], want)
			}
			if _, err := products.Objects().Delete(v.ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := categories.Objects().Delete(v.ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}
