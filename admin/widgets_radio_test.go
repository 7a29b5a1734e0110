package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// radioSite shows the product's status and a category's parent as radio
// buttons, and takes the product's category and tags as typed keys.
func radioSite() *Site {
	site := NewSite()
	Register(site, categories, ModelAdmin[Category]{Options: Options{RadioFields: map[string]Orientation{"parent": Vertical}}})
	Register(site, tags, ModelAdmin[Tag]{})
	Register(site, products, ModelAdmin[Product]{Options: Options{
		RadioFields: map[string]Orientation{"status": Horizontal},
		RawIDFields: []string{"category", "tags"},
	}})
	return site
}

// RadioFields: a choices field or a foreign key as labelled radio
// buttons in a fieldset, "None" for one that may be empty.
func TestRadioFields(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		w := siteEnv(t, v.ctx, radioSite())
		c := w.as(v.user("root", true, true))
		p := f.products[0]
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		res := c.get(change)
		res.expect(t, http.StatusOK, `<fieldset class="radio-fieldset" id="id_status"><legend class="field-label required">Status`,
			`<ul class="radiolist inline">`,
			`<label for="id_status_0"><input type="radio" name="status" id="id_status_0" value="draft" checked required>`,
			`<label for="id_status_1"><input type="radio" name="status" id="id_status_1" value="published" required>`, "Published</label>",
			`<input type="hidden" name="initial-status" value="draft">`)
		if strings.Contains(res.body, `<select id="id_status"`) || strings.Contains(res.body, ">None</label>") {
			t.Error("the status is still a select, or offers None though it may not be empty")
		}
		form := productForm(f, map[string]string{"name": p.Name, "sku": p.SKU, "slug": p.Slug, "category": fmt.Sprint(p.Category.ID), "status": "published"})
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		if got, err := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID}); err != nil || got.Status != "published" {
			t.Fatalf("status after the radio's save: %+v, %v", got, err)
		}
		form.Set("status", "gone")
		c.post(change, form).expect(t, http.StatusOK, "Select a valid choice. gone is not one of the available choices.", `aria-invalid="true"`)

		// A nullable foreign key: "None" first, chosen for an empty one.
		add := c.get("/admin/admintest/category/add/")
		add.expect(t, http.StatusOK, `<ul class="radiolist">`,
			`<input type="radio" name="parent" id="id_parent_0" value="" checked>`, "None</label>",
			fmt.Sprintf(`<input type="radio" name="parent" id="id_parent_1" value="%d">`, f.books.ID), "Books</label>")
		c.get(fmt.Sprintf("/admin/admintest/category/%d/change/", f.games.ID)).expect(t, http.StatusOK, `value="" checked>`)
		c.post(fmt.Sprintf("/admin/admintest/category/%d/change/", f.games.ID), map[string][]string{"name": {"Games"}, "parent": {fmt.Sprint(f.books.ID)}}).
			redirectsTo(t, "/admin/admintest/category/")
		if got, err := categories.Objects().Get(v.ctx, orm.Q{"pk": f.games.ID}); err != nil || got.Parent.ID != f.books.ID {
			t.Fatalf("parent after the radio's save: %+v, %v", got, err)
		}
	})
}

// RawIDFields: keys typed, the chosen object's name beside a foreign key,
// a Lookup link, Django's error for a key of nothing, and a form that
// costs the same queries whatever the number of related rows.
func TestRawIDFields(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		w := siteEnv(t, v.ctx, radioSite())
		c := w.as(v.user("root", true, true))
		p := f.products[0]
		if err := p.Tags.Add(v.ctx, f.tag); err != nil {
			t.Fatal(err)
		}
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		res := c.get(change)
		res.expect(t, http.StatusOK,
			fmt.Sprintf(`<input type="text" class="autocomplete-key" value="%d" autocomplete="off" aria-describedby="id_category_display" id="id_category" name="category" required>`, f.books.ID),
			`<span class="autocomplete-display" id="id_category_display" aria-live="polite">Books</span>`,
			`<a class="related-lookup" href="/admin/admintest/category/" target="_blank" rel="noopener"`, `href="/admin/admintest/tag/"`,
			fmt.Sprintf(`value="%d" autocomplete="off" aria-describedby="id_tags_display" id="id_tags" name="tags">`, f.tag.ID),
			fmt.Sprintf(`<input type="hidden" name="initial-tags" value="%d">`, f.tag.ID))
		if strings.Contains(res.body, "<select") && strings.Contains(res.body, `name="category"`+">") {
			t.Error("the category is still a select")
		}
		if strings.Contains(res.body, `id="id_category_search"`) {
			t.Error("a raw key has a search box")
		}

		// More related rows cost no more queries.
		before := w.queries(func() { c.get(change).expect(t, http.StatusOK) })
		for i := range 30 {
			if err := categories.Save(v.ctx, &Category{Name: fmt.Sprintf("More %02d", i)}); err != nil {
				t.Fatal(err)
			}
			if err := tags.Save(v.ctx, &Tag{Name: fmt.Sprintf("more-%02d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if after := w.queries(func() { c.get(change).expect(t, http.StatusOK) }); after != before {
			t.Errorf("the change form ran %d queries with 30 more categories and tags, %d before", after, before)
		}

		other := &Tag{Name: "other"}
		if err := tags.Save(v.ctx, other); err != nil {
			t.Fatal(err)
		}
		base := map[string]string{"name": p.Name, "sku": p.SKU, "slug": p.Slug}
		for _, bad := range []struct{ category, tags, want string }{
			{"999999", "", "Select a valid choice. That choice is not one of the available choices."},
			{"abc", "", "Select a valid choice. That choice is not one of the available choices."},
			{fmt.Sprint(f.games.ID), fmt.Sprintf("%d, 999999", f.tag.ID), "Select a valid choice. That choice is not one of the available choices."},
			{fmt.Sprint(f.games.ID), "x", "Select a valid choice. x is not one of the available choices."},
		} {
			form := productForm(f, base)
			form.Set("category", bad.category)
			form.Set("tags", bad.tags)
			c.post(change, form).expect(t, http.StatusOK, bad.want)
		}
		if got, err := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID}); err != nil || got.Category.ID != f.books.ID {
			t.Fatalf("a refused form changed the product: %+v, %v", got, err)
		}

		form := productForm(f, base)
		form.Set("category", fmt.Sprint(f.games.ID))
		form.Set("tags", fmt.Sprintf(" %d , %d ", f.tag.ID, other.ID))
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		got, err := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID})
		if err != nil || got.Category.ID != f.games.ID {
			t.Fatalf("category after the save: %+v, %v", got, err)
		}
		tagged, err := got.Tags.All(v.ctx)
		if err != nil || len(tagged) != 2 {
			t.Fatalf("tags after the save: %v, %v", tagged, err)
		}
		c.get(fmt.Sprintf("/admin/admintest/product/%d/history/", p.ID)).expect(t, http.StatusOK, "Changed category, price, stock and tags.")

		// A CSV import gives the keys as any many-to-many cell: "1|2".
		file := importHeader + "\n" + fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,19.99,3,1,published,,,%d|%d\n", f.books.ID, f.tag.ID, other.ID)
		pv := c.upload(importURL, file)
		pv.expect(t, http.StatusOK, "1 to create, 0 to update, 0 with errors.")
		c.confirm(importURL, pv.token()).redirectsTo(t, "/admin/admintest/product/")
		lamp, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		if tagged, err := lamp.Tags.All(v.ctx); err != nil || len(tagged) != 2 {
			t.Fatalf("tags of the imported product: %v, %v", tagged, err)
		}
	})
}
