package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// saveModelSite registers products whose admin saves through SaveModel:
// it refuses more than 100 in stock (a field's error) and the name
// "Forbidden" (the whole object's), and otherwise notes who saved it.
func saveModelSite(calls *[]string) *Site {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{})
	Register(s, products, ModelAdmin[Product]{
		Options: Options{
			ListDisplay:  []string{"name", "stock"},
			ListEditable: []string{"stock"},
		},
		SaveModel: func(ctx context.Context, p *Product, adding bool) error {
			*calls = append(*calls, fmt.Sprintf("%s adding=%v", p.Name, adding))
			switch {
			case p.Stock > 100:
				return &orm.ValidationError{Fields: map[string][]string{"stock": {"No room for more than 100."}}}
			case p.Name == "Forbidden":
				return &orm.ValidationError{Fields: map[string][]string{orm.NonFieldErrors: {"The warehouse uses that name."}}}
			}
			p.Notes = "saved by " + auth.UserFrom(ctx).Username
			return products.Save(ctx, p)
		},
	})
	return s
}

// TestSaveModel: the add and change forms, the editable list and the
// import all save through SaveModel, and its refusals are shown like the
// forms' own errors, with nothing saved.
func TestSaveModel(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		var calls []string
		w := siteEnv(t, v.ctx, saveModelSite(&calls))
		f := w.fixtures(2)
		c := w.as(w.user("root", true, true))
		list := "/admin/admintest/product/"
		state := func() string {
			t.Helper()
			ps, err := products.Objects().OrderBy("id").All(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, p := range ps {
				out += fmt.Sprintf("%s/%d/%q ", p.Name, p.Stock, p.Notes)
			}
			return out
		}

		c.post(list+"add/", productForm(f, nil)).redirectsTo(t, list)
		lamp, err := products.Objects().Get(w.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		if lamp.Notes != "saved by root" {
			t.Fatalf("the add form did not save through SaveModel: notes %q", lamp.Notes)
		}
		change := fmt.Sprintf("%s%d/change/", list, lamp.ID)
		edit := func(name, stock string) url.Values {
			return productForm(f, map[string]string{"name": name, "stock": stock})
		}
		c.post(change, edit("Lamp", "7")).redirectsTo(t, list)
		if want := []string{"Lamp adding=true", "Lamp adding=false"}; !slices.Equal(calls, want) {
			t.Fatalf("SaveModel calls %q, want %q", calls, want)
		}

		// Refusals: beside the field, or above the form; nothing saved.
		before := state()
		res := c.post(change, edit("Lamp", "101"))
		res.expect(t, http.StatusOK, "No room for more than 100.", `name="stock"`, `value="101"`)
		res = c.post(change, edit("Forbidden", "7"))
		res.expect(t, http.StatusOK, "The warehouse uses that name.", `value="Forbidden"`)
		c.post(list+"add/", productForm(f, map[string]string{"sku": "LAMP-2", "slug": "lamp-2", "stock": "500"})).
			expect(t, http.StatusOK, "No room for more than 100.")
		if got := state(); got != before {
			t.Fatalf("a refused save changed the products:\n%s\nwas\n%s", got, before)
		}

		// The editable list: all rows or none, in key order.
		calls = nil
		form := url.Values{"_save": {"Save"}, "form-TOTAL_FORMS": {"2"}, "form-INITIAL_FORMS": {"2"},
			"form-0-id": {fmt.Sprint(f.products[1].ID)}, "form-0-stock": {"101"},
			"form-1-id": {fmt.Sprint(f.products[0].ID)}, "form-1-stock": {"40"}}
		c.post(list, form).expect(t, http.StatusOK, "Please correct the errors below.", "No room for more than 100.")
		if got := state(); got != before {
			t.Fatalf("a refused list save changed the products:\n%s\nwas\n%s", got, before)
		}
		if want := []string{"Product 00 adding=false", "Product 01 adding=false"}; !slices.Equal(calls, want) {
			t.Fatalf("list save calls %q, want %q (key order)", calls, want)
		}
		form.Set("form-0-stock", "60")
		c.post(list, form).redirectsTo(t, list)
		if w.product(f.products[0].ID).Stock != 40 || w.product(f.products[1].ID).Notes != "saved by root" {
			t.Fatalf("the list save did not go through SaveModel: %s", state())
		}

		// The import: validated, then refused by SaveModel on confirming.
		before = state()
		p0 := f.products[0]
		file := importHeader + "\n" + fmt.Sprintf("%d,Product 00,SKU-00,product-00,%d,2.00,500,1,draft,,,\n", p0.ID, f.books.ID)
		pv := c.upload(importURL, file)
		pv.expect(t, http.StatusOK, "0 to create, 1 to update, 0 with errors.")
		c.confirm(importURL, pv.token()).expect(t, http.StatusOK, "stock: No room for more than 100.")
		if got := state(); got != before {
			t.Fatalf("a refused import changed the products:\n%s\nwas\n%s", got, before)
		}
	})
}
