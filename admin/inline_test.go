package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// inlineSite registers products with their reviews inline, shaped by o.
func inlineSite(o InlineOptions) *Site {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{})
	Register(s, products, ModelAdmin[Product]{Options: Options{Inlines: []Inline{Tabular(reviews, o)}}})
	return s
}

// TestInlineNoAddNoDelete: an inline that may neither add nor delete
// offers neither, even to a superuser, and a POST that tries anyway adds
// and deletes nothing.
func TestInlineNoAddNoDelete(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		w := siteEnv(t, v.ctx, inlineSite(InlineOptions{NoAdd: true, NoDelete: true}))
		f := w.fixtures(1)
		p := f.products[0]
		r := &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: 3, Body: "Fine"}
		if err := reviews.Save(w.ctx, r); err != nil {
			t.Fatal(err)
		}
		c := w.as(w.user("root", true, true))
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)

		res := c.get(change)
		res.expect(t, http.StatusOK, `name="reviews-0-rating"`, `name="reviews-TOTAL_FORMS" id="id_reviews-TOTAL_FORMS" value="1"`)
		for _, bad := range []string{`name="reviews-0-DELETE"`, `name="reviews-1-rating"`, "Add another review", "Delete?"} {
			if strings.Contains(res.body, bad) {
				t.Errorf("the change form has %s", bad)
			}
		}
		res = c.get("/admin/admintest/product/add/")
		res.expect(t, http.StatusOK, `name="reviews-TOTAL_FORMS" id="id_reviews-TOTAL_FORMS" value="0"`)
		if strings.Contains(res.body, `name="reviews-0-rating"`) || strings.Contains(res.body, "Add another review") {
			t.Error("the add form offers a review row")
		}
		c.get("/admin/admintest/product/inline/reviews/?reviews-TOTAL_FORMS=1").expect(t, http.StatusForbidden)

		edit := func(extra map[string]string) url.Values {
			form := productForm(f, map[string]string{"name": "Renamed", "sku": p.SKU, "slug": p.Slug, "price": "1.50", "stock": "0",
				"reviews-TOTAL_FORMS": "1", "reviews-INITIAL_FORMS": "1", "reviews-0-id": fmt.Sprint(r.ID),
				"reviews-0-rating": "4", "reviews-0-body": "Good"})
			for k, val := range extra {
				form.Set(k, val)
			}
			return form
		}
		reviewsNow := func() []string {
			t.Helper()
			rs, err := reviews.Objects().OrderBy("id").All(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, x := range rs {
				out = append(out, fmt.Sprintf("%d:%d %s", x.Product.ID, x.Rating, x.Body))
			}
			return out
		}
		before := fmt.Sprint(reviewsNow())

		// A forged extra row: the form is refused whole, nothing is saved.
		forged := edit(map[string]string{"reviews-TOTAL_FORMS": "2", "reviews-1-rating": "5", "reviews-1-body": "Forged"})
		c.post(change, forged).expect(t, http.StatusOK, "Reviews cannot be added here.")
		if got := fmt.Sprint(reviewsNow()); got != before {
			t.Fatalf("a forged row changed the reviews: %s, was %s", got, before)
		}
		if got := w.product(p.ID).Name; got != p.Name {
			t.Fatalf("the refused form renamed the product to %q", got)
		}
		addForm := productForm(f, map[string]string{"reviews-TOTAL_FORMS": "1", "reviews-0-rating": "5", "reviews-0-body": "Forged"})
		c.post("/admin/admintest/product/add/", addForm).expect(t, http.StatusOK, "Reviews cannot be added here.")
		if n := w.count(products.Objects()); n != 1 {
			t.Fatalf("%d products after a refused add, want 1", n)
		}

		// A forged Delete flag is ignored: the row is kept, and changed
		// as the form says.
		c.post(change, edit(map[string]string{"reviews-0-DELETE": "on"})).redirectsTo(t, "/admin/admintest/product/")
		want := fmt.Sprintf("[%d:4 Good]", p.ID)
		if got := fmt.Sprint(reviewsNow()); got != want {
			t.Fatalf("reviews %s after a forged delete, want %s", got, want)
		}
		if got := w.product(p.ID).Name; got != "Renamed" {
			t.Fatalf("the product's name is %q, want Renamed", got)
		}
	})
}

// TestInlineNoAddOrNoDelete: each option takes away only its own part.
func TestInlineNoAddOrNoDelete(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		for _, o := range []InlineOptions{{NoAdd: true}, {NoDelete: true}} {
			w := siteEnv(t, v.ctx, inlineSite(o))
			f := &fixtures{books: &Category{Name: fmt.Sprint("Books ", o.NoAdd)}}
			if err := categories.Save(w.ctx, f.books); err != nil {
				t.Fatal(err)
			}
			sku := fmt.Sprint("NO-ADD-", o.NoAdd)
			c := w.as(w.user(fmt.Sprint("root", o.NoAdd), true, true))
			form := productForm(f, map[string]string{"sku": sku, "slug": strings.ToLower(sku)})
			c.post("/admin/admintest/product/add/", form).redirectsTo(t, "/admin/admintest/product/")
			p, err := products.Objects().Get(w.ctx, orm.Q{"sku": sku})
			if err != nil {
				t.Fatal(err)
			}
			r := &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: 3}
			if err := reviews.Save(w.ctx, r); err != nil {
				t.Fatal(err)
			}
			change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
			body := c.get(change).body
			if got := strings.Contains(body, `name="reviews-1-rating"`) && strings.Contains(body, "Add another review"); got == o.NoAdd {
				t.Errorf("NoAdd %v: empty rows and Add another offered: %v", o.NoAdd, got)
			}
			if got := strings.Contains(body, `name="reviews-0-DELETE"`); got == o.NoDelete {
				t.Errorf("NoDelete %v: Delete box offered: %v", o.NoDelete, got)
			}
			del := productForm(f, map[string]string{"sku": sku, "slug": strings.ToLower(sku), "reviews-TOTAL_FORMS": "1",
				"reviews-INITIAL_FORMS": "1", "reviews-0-id": fmt.Sprint(r.ID), "reviews-0-rating": "3", "reviews-0-DELETE": "on"})
			c.post(change, del).redirectsTo(t, "/admin/admintest/product/")
			n := w.count(reviews.Objects().Filter(orm.Q{"pk": r.ID}))
			if deleted := n == 0; deleted == o.NoDelete {
				t.Errorf("NoDelete %v: the ticked review deleted: %v", o.NoDelete, deleted)
			}
		}
	})
}
