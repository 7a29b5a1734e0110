package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// route is one admin URL and method, with a form that would succeed for
// a superuser, so that a refusal is the check under test and not the form.
type route struct {
	method, path string
	form         url.Values
}

// modelRoutes are every page of one product: each must refuse an
// anonymous visitor, a staff user without permissions and a forged POST.
func modelRoutes(v *env, f *fixtures, pk string) []route {
	p := "/admin/admintest/product/"
	obj := p + pk + "/"
	return []route{
		{"GET", p, nil},
		{"POST", p, url.Values{"action": {deleteSelected}, "_selected_action": {pk}, "post": {"yes"}}},
		{"GET", p + "export/", nil},
		{"GET", p + "import/", nil},
		{"POST", p + "import/", url.Values{"_confirm": {"1"}, "token": {"x"}}},
		{"GET", p + "autocomplete/?field=category&term=b", nil},
		{"GET", p + "inline/reviews/?reviews-TOTAL_FORMS=2", nil},
		{"GET", p + "add/", nil},
		{"POST", p + "add/", productForm(f, map[string]string{"sku": "NEW-1", "slug": "new-1"})},
		{"GET", obj + "change/", nil},
		{"POST", obj + "change/", productForm(f, map[string]string{"sku": "CHG-1", "slug": "chg-1"})},
		{"GET", obj + "delete/", nil},
		{"POST", obj + "delete/", url.Values{"post": {"yes"}}},
		{"GET", obj + "history/", nil},
	}
}

func (c *client) send(r route) *response {
	if r.method == http.MethodGet {
		return c.get(r.path)
	}
	return c.post(r.path, r.form)
}

// untouched fails the test if the product or the set of products changed.
func untouched(t *testing.T, v *env, f *fixtures, what string) {
	t.Helper()
	n, err := products.Objects().Count(v.ctx)
	if err != nil || n != int64(len(f.products)) {
		t.Fatalf("%s: %d products (%v), want %d", what, n, err, len(f.products))
	}
	p, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[0].ID})
	if err != nil || p.SKU != f.products[0].SKU {
		t.Fatalf("%s: the product is now %+v (%v)", what, p, err)
	}
}

func TestEveryRouteRefusesAnonymous(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		pk := fmt.Sprint(f.products[0].ID)
		for _, r := range append(modelRoutes(v, f, pk), route{"GET", "/admin/", nil}, route{"GET", "/admin/admintest/", nil},
			route{"GET", "/admin/admintest/product/" + pk + "/", nil}) {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				c := v.anonymous()
				res := c.send(r)
				res.redirectsTo(t, "/admin/login/?next="+url.QueryEscape(r.path))
				untouched(t, v, f, r.method+" "+r.path)
				// htmx cannot follow a redirect to a whole page: it gets 401.
				req, _ := http.NewRequest(r.method, r.path, nil)
				req.Header.Set("HX-Request", "true")
				if r.method == http.MethodGet {
					if res := c.do(req); res.StatusCode != http.StatusUnauthorized {
						t.Errorf("htmx %s: %d, want 401", r.path, res.StatusCode)
					}
				}
			})
		}
	})
}

func TestEveryRouteRefusesWithoutPermission(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		pk := fmt.Sprint(f.products[0].ID)
		// Staff, with every permission but on another model.
		c := v.as(v.user("clerk", true, false, "admintest.view_tag", "admintest.add_tag", "admintest.change_tag", "admintest.delete_tag"))
		for _, r := range modelRoutes(v, f, pk) {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				c.send(r).expect(t, http.StatusForbidden, "You do not have permission")
				untouched(t, v, f, r.method+" "+r.path)
			})
		}
		// The index lists nothing of the app; the app's own page is a 404.
		res := c.get("/admin/")
		res.expect(t, http.StatusOK, "Tags")
		if strings.Contains(res.body, "/admin/admintest/product/") {
			t.Error("the index links to products")
		}
		c.get("/admin/auth/").expect(t, http.StatusNotFound)
	})
}

func TestEveryPOSTNeedsCSRF(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		pk := fmt.Sprint(f.products[0].ID)
		token, err := v.site.SetupToken(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		root := v.as(v.user("root", true, true))
		routes := append(modelRoutes(v, f, pk),
			route{"POST", "/admin/login/", url.Values{"username": {"root"}, "password": {"x"}}},
			route{"POST", "/admin/logout/", nil},
			route{"POST", "/admin/setup/" + token + "/", url.Values{"username": {"x"}, "password1": {"long enough pw"}, "password2": {"long enough pw"}}})
		for _, r := range routes {
			if r.method != http.MethodPost {
				continue
			}
			t.Run(r.path, func(t *testing.T) {
				root.get("/admin/")
				for _, forged := range []string{"", "forged"} {
					form := cloneValues(r.form)
					if forged != "" {
						form.Set("_csrf", forged)
					}
					root.postRaw(r.path, form).expect(t, http.StatusForbidden)
					untouched(t, v, f, r.path)
				}
			})
		}
		// Still signed in: the forged logout did nothing.
		root.get("/admin/").expect(t, http.StatusOK, "Site administration")
	})
}

func TestBadKeysAreNotFound(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		root := v.as(v.user("root", true, true))
		for _, key := range []string{"999999", "abc", "-1", "1.5", "%3Cscript%3E", "9223372036854775808", "%20"} {
			for _, page := range []string{"change/", "delete/", "history/"} {
				path := "/admin/admintest/product/" + key + "/" + page
				t.Run(path, func(t *testing.T) {
					res := root.get(path)
					res.expect(t, http.StatusNotFound, "doesn’t exist")
					if strings.Contains(res.body, "<script>") {
						t.Error("the key is echoed unescaped")
					}
					if page != "history/" {
						root.post(path, url.Values{"post": {"yes"}, "name": {"x"}}).expect(t, http.StatusNotFound)
					}
				})
			}
		}
		for _, path := range []string{"/admin/admintest/nosuch/", "/admin/admintest/nosuch/1/change/", "/admin/nosuch/",
			"/admin/admintest/product/inline/nosuch/?x=1", "/admin/admintest/product/1/nosuch/"} {
			t.Run(path, func(t *testing.T) {
				if res := root.get(path); res.StatusCode != http.StatusNotFound {
					t.Fatalf("%s: %d, want 404", path, res.StatusCode)
				}
			})
		}
		untouched(t, v, f, "bad keys")
	})
}

// TestBadInputIsNotAServerError sends what a stale bookmark, a mistyped
// URL or a tampered form sends: the answer is a page or a 400, never 500.
func TestBadInputIsNotAServerError(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(3)
		root := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"
		for _, q := range []string{"?p=99999999999999999999", "?p=abc", "?o=1.1.-1.99.x", "?o=-0", "?all=1&p=2",
			"?created_at__year=2026&created_at__month=2&created_at__day=31", "?created_at__year=0", "?created_at__month=13",
			"?category__id__exact=99999999999999999999", "?category__isnull=maybe", "?status__exact=%00", "?q=%00%ff",
			"?created_at__gte=2026-02-30", "?released__isnull=True", "?q=" + strings.Repeat("x", 5000)} {
			t.Run(q[:min(len(q), 40)], func(t *testing.T) {
				root.get(list+q).expect(t, http.StatusOK)
				if res := root.get(list + "export/" + q); res.StatusCode != http.StatusOK {
					t.Fatalf("export: %d", res.StatusCode)
				}
			})
		}
		for _, form := range []url.Values{
			{"_save": {"1"}, "form-TOTAL_FORMS": {"abc"}},
			{"_save": {"1"}, "form-TOTAL_FORMS": {"-1"}},
		} {
			root.post(list, form).expect(t, http.StatusBadRequest)
		}
		// Forms that do not parse are shown again with errors.
		root.post(list, url.Values{"_save": {"1"}, "form-TOTAL_FORMS": {"99999999"}, "form-0-id": {"x"}}).redirectsTo(t, list)
		root.post(list, url.Values{"action": {"nosuch"}, "_selected_action": {"x", "-1", ""}}).redirectsTo(t, list)
		root.post(list, url.Values{"action": {"deactivate"}, "_selected_action": {"x", "99999999999999999999"}}).redirectsTo(t, list)
		root.get("/admin/admintest/product/autocomplete/?field=category&term=%00").expect(t, http.StatusOK)
		root.get("/admin/admintest/product/autocomplete/").expect(t, http.StatusBadRequest)
		root.get("/admin/admintest/product/inline/reviews/?reviews-TOTAL_FORMS=5000").expect(t, http.StatusBadRequest)
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", f.products[0].ID)
		root.post(change, productForm(f, map[string]string{"reviews-TOTAL_FORMS": "x"})).expect(t, http.StatusBadRequest)
		root.post(change, productForm(f, map[string]string{"price": "1e999999", "stock": "99999999999", "released": "2026-13-01",
			"category": "x", "status": "\x00"})).expect(t, http.StatusOK, "Please correct the errors below.")
		root.post(change, productForm(f, map[string]string{"name": "a\x00b", "notes": "\xff\xfe"})).
			expect(t, http.StatusOK, "Null characters are not allowed.")
		v.anonymous().post("/admin/login/", url.Values{"username": {"a\x00\xff"}, "password": {"x"}}).
			expect(t, http.StatusOK, "Please enter the correct username and password")
		untouched(t, v, f, "bad input")
	})
}

func TestSetupRefusesBadUsernames(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		token, err := v.site.SetupToken(v.ctx)
		if err != nil || token == "" {
			t.Fatalf("token %q, %v", token, err)
		}
		c := v.anonymous()
		for _, name := range []string{"a\x00b", "\xff\xfe", "has space", strings.Repeat("x", 151)} {
			c.post("/admin/setup/"+token+"/", url.Values{"username": {name}, "password1": {"long enough pw"}, "password2": {"long enough pw"}}).
				expect(t, http.StatusOK, `name="username"`, "errorlist")
		}
		if n, _ := auth.Users.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d users created", n)
		}
		// The link still works for a good name.
		c.post("/admin/setup/"+token+"/", url.Values{"username": {"boss"}, "password1": {"long enough pw"}, "password2": {"long enough pw"}}).
			redirectsTo(t, "/admin/")
	})
}
