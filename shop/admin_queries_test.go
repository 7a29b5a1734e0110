package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// queries fetches path as c, wants a 200 page containing every string in
// want, and returns the statements it ran.
func (c *adminClient) queries(ctx context.Context, path string, want ...string) (int, []string) {
	c.t.Helper()
	qctx, counter := orm.CountQueries(ctx)
	status, body, _ := c.do(httptest.NewRequest(http.MethodGet, path, nil).WithContext(qctx))
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			c.t.Fatalf("GET %s: no %q in the page\n%s", path, w, body)
		}
	}
	return counter.Count(), counter.Queries()
}

// sameQueries fails unless the pages small and large, the same page with
// few and with many related rows, run as many statements: a query per
// row would show as a difference.
func (c *adminClient) sameQueries(ctx context.Context, small, large string, want ...string) {
	c.t.Helper()
	n, qs := c.queries(ctx, small, want...)
	m, qm := c.queries(ctx, large, want...)
	if n != m {
		c.t.Fatalf("%s ran %d statements, %s ran %d:\n  %s\n---\n  %s", small, n, large, m,
			strings.Join(qs, "\n  "), strings.Join(qm, "\n  "))
	}
	c.t.Logf("%s and %s: %d statements each", small, large, n)
}

// sameSaveQueries posts the forms of the pages small and large back as
// they were served, and fails unless both saves run as many statements.
func (c *adminClient) sameSaveQueries(ctx context.Context, small, large string) {
	c.t.Helper()
	var counts [2]int
	var queries [2][]string
	for i, path := range []string{small, large} {
		form := c.pageForm(path, "changeform")
		if c.cookies["csrftoken"] == nil {
			c.status("/admin/")
		}
		form.Set("_csrf", c.cookies["csrftoken"].Value)
		qctx, counter := orm.CountQueries(ctx)
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode())).WithContext(qctx)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, body, _ := c.do(req); status != http.StatusSeeOther {
			c.t.Fatalf("POST %s: %d\n%s", path, status, body)
		}
		counts[i], queries[i] = counter.Count(), counter.Queries()
	}
	if counts[0] != counts[1] {
		c.t.Fatalf("saving %s ran %d statements, saving %s ran %d:\n  %s\n---\n  %s", small, counts[0], large, counts[1],
			strings.Join(queries[0], "\n  "), strings.Join(queries[1], "\n  "))
	}
	c.t.Logf("saving %s and %s: %d statements each", small, large, counts[0])
}

// TestAdminChangePagesQueries: every shop change page that shows related
// objects costs the same whatever their number, and names customers by
// their user, loaded with them.
func TestAdminChangePagesQueries(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		phones := newCategory(t, ctx, "phones", nil)
		var ps []*shop.Product
		for i := range 50 {
			ps = append(ps, newProduct(t, ctx, phones, fmt.Sprintf("Gadget %02d", i), "10.00", "", 100))
		}
		ann, bob := newCustomer(t, ctx, "ann"), newCustomer(t, ctx, "bob")
		lines := func(n int) []shop.CartLine {
			var out []shop.CartLine
			for _, p := range ps[:n] {
				out = append(out, shop.CartLine{ProductID: p.ID, Quantity: 1})
			}
			return out
		}
		small, err := shop.PlaceOrder(ctx, ann, lines(2), shop.Checkout{})
		if err != nil {
			t.Fatal(err)
		}
		large, err := shop.PlaceOrder(ctx, bob, lines(50), shop.Checkout{})
		if err != nil {
			t.Fatal(err)
		}
		change := func(model string, pk int64) string { return fmt.Sprintf("/admin/shop/%s/%d/change/", model, pk) }
		c.sameQueries(ctx, change("order", small.ID), change("order", large.ID), "Gadget 00", "Gadget 01")
		c.sameQueries(ctx, fmt.Sprintf("/admin/shop/order/%d/delete/", small.ID), fmt.Sprintf("/admin/shop/order/%d/delete/", large.ID))
		c.sameSaveQueries(ctx, change("order", small.ID), change("order", large.ID))
		c.get("/admin/") // shows the saves' messages, which the next pages would save the session for
		c.get(change("order", small.ID), `<div class="readonly">ann</div>`, `name="items-TOTAL_FORMS" id="id_items-TOTAL_FORMS" value="2"`)
		c.get(change("order", large.ID), `<div class="readonly">bob</div>`, "Gadget 49", `name="items-TOTAL_FORMS" id="id_items-TOTAL_FORMS" value="50"`)
		if _, body := c.status(change("order", small.ID)); strings.Contains(body, "Customer ") {
			t.Fatalf("the order page names its customer by key:\n%s", body)
		}

		// Reviews: of a product with 2 and with 50, by customers named
		// on the review's form.
		review := func(p *shop.Product, cu *shop.Customer) *shop.Review {
			r := &shop.Review{Rating: 4, Title: "About " + p.Name}
			r.Product.ID, r.Customer.ID = p.ID, cu.ID
			if err := shop.Reviews.Objects().Create(ctx, r); err != nil {
				t.Fatal(err)
			}
			return r
		}
		first := review(ps[0], ann)
		review(ps[0], bob)
		for i := range 50 {
			review(ps[1], newCustomer(t, ctx, fmt.Sprintf("shopper%02d", i)))
		}
		c.sameQueries(ctx, change("product", ps[0].ID), change("product", ps[1].ID), "phones")
		last, err := shop.Reviews.Objects().Filter(orm.Q{"product": ps[1].ID}).OrderBy("-id").First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.sameQueries(ctx, change("review", first.ID), change("review", last.ID), `autocomplete/?field=customer`, `autocomplete/?field=product`)
		c.get(change("review", first.ID), ">ann<", "Gadget 00")
		c.get(change("review", last.ID), ">shopper49<", "Gadget 01")
		for _, path := range []string{change("review", first.ID), change("order", large.ID)} {
			if _, body := c.status(path); strings.Contains(body, "<option value=\""+fmt.Sprint(ps[0].ID)+"\"") {
				t.Fatalf("%s lists the products in a select", path)
			}
		}
		c.get("/admin/shop/review/autocomplete/?field=customer&term=shopper4", ">shopper40<", ">shopper49<")
		if status, _ := c.status("/admin/shop/order/autocomplete/?field=customer"); status != http.StatusBadRequest {
			t.Fatalf("the order's customer answered an autocomplete: %d", status)
		}

		// A customer with 1 and with 30 orders; the users behind them.
		for range 29 {
			if _, err := shop.PlaceOrder(ctx, bob, lines(1), shop.Checkout{}); err != nil {
				t.Fatal(err)
			}
		}
		c.sameQueries(ctx, change("customer", ann.ID), change("customer", bob.ID), "Change customer")
		c.get(change("customer", bob.ID), `<h2 class="object-name">bob</h2>`, `<span class="autocomplete-display" id="id_user_display" aria-live="polite">bob</span>`)
		c.sameQueries(ctx, "/admin/shop/category/"+fmt.Sprint(phones.ID)+"/change/",
			"/admin/shop/category/"+fmt.Sprint(newCategory(t, ctx, "cases", phones).ID)+"/change/", "Change category")

		// Users and groups: with 2 and with 50 groups and permissions.
		var groups []*auth.Group
		for i := range 50 {
			g := &auth.Group{Name: fmt.Sprintf("team %02d", i)}
			if err := auth.Groups.Objects().Create(ctx, g); err != nil {
				t.Fatal(err)
			}
			groups = append(groups, g)
		}
		perms, err := auth.Permissions.Objects().Limit(50).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		member := func(u *auth.User, n int) {
			for _, g := range groups[:n] {
				if err := u.Groups.Add(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range perms[:n] {
				if err := u.UserPermissions.Add(ctx, p); err != nil {
					t.Fatal(err)
				}
				if err := groups[n-1].Permissions.Add(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
		}
		au, err := ann.User.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bu, err := bob.User.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Deleting a user takes their customer, named by the user too.
		c.get(fmt.Sprintf("/admin/auth/user/%d/delete/", newCustomer(t, ctx, "dora").User.ID), "customer: dora")
		member(au, 2)
		member(bu, len(perms))
		c.sameQueries(ctx, "/admin/auth/user/"+fmt.Sprint(au.ID)+"/change/", "/admin/auth/user/"+fmt.Sprint(bu.ID)+"/change/", "team 49")
		c.sameQueries(ctx, "/admin/auth/group/"+fmt.Sprint(groups[1].ID)+"/change/",
			"/admin/auth/group/"+fmt.Sprint(groups[len(perms)-1].ID)+"/change/", "Change group")
	})
}
