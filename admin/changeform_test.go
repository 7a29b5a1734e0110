package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// The change page links the object on the site (ViewOnSite, else the
// model's AbsoluteURL, nothing when it answers ""), never a script URL,
// and repeats the save buttons at the top with SaveOnTop.
func TestViewOnSiteAndSaveOnTop(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		p := f.products[0]
		body := c.get(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)).body
		if !strings.Contains(body, `href="/shop/product-00/"`) || !strings.Contains(body, "View on site") {
			t.Errorf("the product's page lacks its View on site link")
		}
		if n := strings.Count(body, `class="submit-row"`); n != 2 {
			t.Errorf("SaveOnTop: %d rows of buttons, want 2", n)
		}
		if add := c.get("/admin/admintest/product/add/").body; strings.Contains(add, "View on site") {
			t.Error("the add page links an object that does not exist yet")
		}
		c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID)).expect(t, http.StatusOK, `href="/tags/new/"`, "View on site")
		if n := strings.Count(c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID)).body, `class="submit-row"`); n != 1 {
			t.Errorf("without SaveOnTop: %d rows of buttons, want 1", n)
		}
		evil := v.tag("evil")
		if body := c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", evil.ID)).body; strings.Contains(body, "javascript:") {
			t.Error("a script URL reached the View on site link")
		}
		if body := c.get(fmt.Sprintf("/admin/admintest/category/%d/change/", f.books.ID)).body; strings.Contains(body, "View on site") {
			t.Error("a ViewOnSite answering \"\" still shows the link")
		}
	})
}

// A value that is not there shows as the ModelAdmin's EmptyValueDisplay,
// in the list and on the form, and as Django's "-" where none is set.
func TestEmptyValueDisplay(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		r := &Review{Rating: 0}
		r.Product.Set(f.products[0])
		if err := reviews.Save(v.ctx, r); err != nil {
			t.Fatal(err)
		}
		// The "stars" Method gives "" for no stars.
		list := c.get("/admin/admintest/review/").body
		if !strings.Contains(list, "(none)") {
			t.Error("the review list does not show its EmptyValueDisplay")
		}
		c.get(fmt.Sprintf("/admin/admintest/review/%d/change/", r.ID)).expect(t, http.StatusOK, `<div class="readonly">(none)</div>`)
		if strings.Contains(c.get("/admin/admintest/product/").body, "(none)") {
			t.Error("another model's list took the review's EmptyValueDisplay")
		}
	})
}

// "Save as new" (SaveAs) adds a copy of the posted form, with the inline
// rows as new rows of the copy, and leaves the original as it was.
func TestSaveAsNew(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		var kept, dropped *Review
		for _, r := range []**Review{&kept, &dropped} {
			*r = &Review{Rating: 3, Body: "fine"}
			(*r).Product.Set(p)
			if err := reviews.Save(v.ctx, *r); err != nil {
				t.Fatal(err)
			}
		}
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		c := v.as(v.user("root", true, true))
		page := c.get(change)
		page.expect(t, http.StatusOK, `name="_saveasnew"`, "Save as new")
		if strings.Contains(page.body, `name="_addanother"`) {
			t.Error("Save as new shows beside Save and add another")
		}
		if strings.Contains(c.get("/admin/admintest/product/add/").body, `name="_saveasnew"`) {
			t.Error("the add form offers Save as new")
		}
		if strings.Contains(c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID)).body, `name="_saveasnew"`) {
			t.Error("a model without SaveAs offers Save as new")
		}

		form := productForm(f, map[string]string{"name": "Lamp copy", "sku": p.SKU, "slug": "lamp-copy", "_saveasnew": "1",
			"reviews-TOTAL_FORMS": "3", "reviews-INITIAL_FORMS": "2",
			"reviews-0-id": fmt.Sprint(kept.ID), "reviews-0-rating": "4", "reviews-0-body": "bright",
			"reviews-1-id": fmt.Sprint(dropped.ID), "reviews-1-rating": "3", "reviews-1-body": "fine", "reviews-1-DELETE": "on",
			"reviews-2-id": "", "reviews-2-rating": "", "reviews-2-body": ""})
		form.Del("_save")
		// The SKU is the original's: the copy is refused, shown as an add
		// form posting to the same page, with Save as new its only button.
		res := c.post(change, form)
		res.expect(t, http.StatusOK, "Add product", "Product with this SKU already exists.", `name="_saveasnew"`,
			fmt.Sprintf(`action="%s"`, change), "bright</textarea>")
		if strings.Contains(res.body, `name="_save"`) || strings.Contains(res.body, `name="_continue"`) {
			t.Error("the refused copy offers a plain save, which would change the original")
		}
		if n, _ := products.Objects().Count(v.ctx); n != 1 {
			t.Fatalf("%d products after a refused copy, want 1", n)
		}

		form.Set("sku", "LAMP-COPY")
		res = c.post(change, form)
		cp, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-COPY"})
		if err != nil {
			t.Fatal(err)
		}
		res.redirectsTo(t, fmt.Sprintf("/admin/admintest/product/%d/change/", cp.ID))
		c.get(fmt.Sprintf("/admin/admintest/product/%d/change/", cp.ID)).expect(t, http.StatusOK,
			"The product “Lamp copy” was added successfully. You may edit it again below.")
		if cp.ID == p.ID || cp.Name != "Lamp copy" || cp.Price.String() != "19.99" {
			t.Fatalf("copy %+v", cp)
		}
		orig, err := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID})
		if err != nil || orig.Name != p.Name || orig.SKU != p.SKU || orig.Price.String() != p.Price.String() {
			t.Fatalf("the original changed: %+v, %v", orig, err)
		}
		mine, err := reviews.Objects().Filter(orm.Q{"product": p.ID}).OrderBy("pk").All(v.ctx)
		if err != nil || len(mine) != 2 || mine[0].Rating != 3 || mine[0].Body != "fine" {
			t.Fatalf("the original's reviews: %+v, %v", mine, err)
		}
		copied, err := reviews.Objects().Filter(orm.Q{"product": cp.ID}).All(v.ctx)
		if err != nil || len(copied) != 1 || copied[0].ID == kept.ID || copied[0].Rating != 4 || copied[0].Body != "bright" {
			t.Fatalf("the copy's reviews: %+v, %v", copied, err)
		}
		entries, err := LogEntries.Objects().Filter(orm.Q{"object_id": fmt.Sprint(cp.ID), "action_flag": Addition}).All(v.ctx)
		if err != nil || len(entries) != 1 {
			t.Fatalf("log entries of the copy %v, %v", entries, err)
		}
		if n, _ := LogEntries.Objects().Filter(orm.Q{"object_id": fmt.Sprint(p.ID)}).Count(v.ctx); n != 0 {
			t.Errorf("the original has %d log entries, want none", n)
		}

		// Without the add permission: no button, and a forged POST is refused.
		clerk := v.as(v.user("clerk", true, false, "admintest.change_product", "admintest.view_product"))
		if body := clerk.get(change).body; strings.Contains(body, `name="_saveasnew"`) {
			t.Error("a user who may not add is offered Save as new")
		}
		form.Set("sku", "LAMP-FORGED")
		form.Set("slug", "lamp-forged")
		clerk.post(change, form).expect(t, http.StatusForbidden)
		if n, _ := products.Objects().Count(v.ctx); n != 2 {
			t.Fatalf("%d products after a forged copy, want 2", n)
		}
		// Where SaveAs is not set, the flag is refused too.
		c.post(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID), url.Values{"name": {"copy"}, "_saveasnew": {"1"}}).expect(t, http.StatusBadRequest)
	})
}

// FilterHorizontal marks the field's select for the two-list widget and
// names it; registration refuses a field that is not many-to-many.
func TestFilterHorizontalWidget(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		c.get(fmt.Sprintf("/admin/admintest/product/%d/change/", f.products[0].ID)).
			expect(t, http.StatusOK, `data-filter="horizontal"`, `data-filter-name="Tags"`)
	})
	s := NewSite()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not a many-to-many field") {
			t.Errorf("registering FilterHorizontal on a foreign key: %v", r)
		}
	}()
	Register(s, products, ModelAdmin[Product]{Options: Options{FilterHorizontal: []string{"category"}}})
}
