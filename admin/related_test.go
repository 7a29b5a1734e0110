package admin

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// Pick is a product shown in a category's showcase: an inline row with a
// foreign key besides its parent's, and a String that reads it.
type Pick struct {
	ID       int64
	Category orm.FK[Category]
	Product  orm.FK[Product]
	Note     string
}

func (p *Pick) String() string {
	if pr, ok := p.Product.Cached(); ok {
		return "Pick of " + pr.Name
	}
	return "Pick"
}

var picks = orm.Define("admintest", func(p *Pick, m *orm.Schema) {
	m.ForeignKey(&p.Category, orm.OnDelete(orm.Cascade), orm.RelatedName("picks"))
	m.ForeignKey(&p.Product, orm.OnDelete(orm.Cascade), orm.RelatedName("picks"))
	m.Char(&p.Note, orm.MaxLength(50), orm.Blank())
})

// pickEnv serves categories with their picks inline, shaped by o, and
// makes a category with 2 picks and one with 18.
func pickEnv(t *testing.T, ctx context.Context, o InlineOptions) (v *env, few, many *Category) {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{Options: Options{Inlines: []Inline{Tabular(picks, o)}}})
	Register(s, products, ModelAdmin[Product]{Options: Options{SearchFields: []string{"name"}, StringSelectRelated: []string{"category"}}})
	v = siteEnv(t, ctx, s)
	f := v.fixtures(20)
	for i, p := range f.products {
		c := f.books
		if i >= 2 {
			c = f.games
		}
		pk := &Pick{Note: fmt.Sprintf("note %02d", i)}
		pk.Category.Set(c)
		pk.Product.Set(p)
		if err := picks.Save(ctx, pk); err != nil {
			t.Fatal(err)
		}
	}
	return v, f.books, f.games
}

// sameQueries fetches the change pages of few and many as c, fails
// unless they run as many statements, and returns their bodies.
func (v *env) sameQueries(c *client, few, many *Category) (fewBody, manyBody string) {
	v.t.Helper()
	var bodies [2]string
	var counts [2]int
	for i, cat := range []*Category{few, many} {
		counts[i] = v.queries(func() {
			r := c.get(fmt.Sprintf("/admin/admintest/category/%d/change/", cat.ID))
			r.expect(v.t, http.StatusOK)
			bodies[i] = r.body
		})
	}
	if counts[0] != counts[1] {
		v.t.Fatalf("the change page ran %d statements for few rows and %d for many", counts[0], counts[1])
	}
	return bodies[0], bodies[1]
}

// contains fails unless body contains every string in want.
func contains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Fatalf("the page lacks %q", w)
		}
	}
}

// TestInlineRowsLoadTheirRelations: an inline's rows come with the related
// objects they name, by themselves for the foreign keys they show (with
// what those objects' String reads) and through SelectRelated for what
// only the inline model's String reads; a select's options are loaded
// once for all the rows. A page costs the same for 2 rows as for 18.
func TestInlineRowsLoadTheirRelations(t *testing.T) {
	t.Run("SelectRelated for the title", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			ctx := w.ctx
			v, few, many := pickEnv(t, ctx, InlineOptions{Fields: []string{"note"}, SelectRelated: []string{"product"}})
			c := v.as(v.user("root", true, true))
			fewBody, manyBody := v.sameQueries(c, few, many)
			contains(t, fewBody, "Pick of Product 01", "note 01")
			contains(t, manyBody, "Pick of Product 19", "note 19")
		})
	})
	t.Run("readonly", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			ctx := w.ctx
			v, few, many := pickEnv(t, ctx, InlineOptions{Fields: []string{"product", "note"}, ReadonlyFields: []string{"product"}})
			c := v.as(v.user("root", true, true))
			// The products' StringSelectRelated is joined too.
			_, body := v.sameQueries(c, few, many)
			contains(t, body, "Pick of Product 19", `<div class="readonly">Product 19</div>`)
		})
	})
	t.Run("select", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			ctx := w.ctx
			v, few, many := pickEnv(t, ctx, InlineOptions{Fields: []string{"product", "note"}})
			c := v.as(v.user("root", true, true))
			_, body := v.sameQueries(c, few, many)
			if n := strings.Count(body, ">Product 07</option>"); n != 18+3 {
				t.Fatalf("Product 07 is offered %d times, want once per row (21)", n)
			}
		})
	})
	t.Run("saved unchanged", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			v, few, many := pickEnv(t, w.ctx, InlineOptions{Fields: []string{"product", "note"}})
			c := v.as(v.user("root", true, true))
			fewBody, manyBody := v.sameQueries(c, few, many)
			// An unchanged row's key is not looked up again: the save of
			// 18 rows costs what the save of 2 does.
			var counts [2]int
			for i, page := range []struct {
				cat  *Category
				body string
			}{{few, fewBody}, {many, manyBody}} {
				form := pageForm(t, page.body, "changeform")
				counts[i] = v.queries(func() {
					c.post(fmt.Sprintf("/admin/admintest/category/%d/change/", page.cat.ID), form).
						redirectsTo(t, "/admin/admintest/category/")
				})
			}
			if counts[0] != counts[1] {
				t.Fatalf("saving the page unchanged ran %d statements for 2 rows and %d for 18", counts[0], counts[1])
			}
		})
	})
	t.Run("many-to-many", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			s := NewSite()
			Register(s, categories, ModelAdmin[Category]{Options: Options{Inlines: []Inline{Tabular(products, InlineOptions{Fields: []string{"name", "tags"}})}}})
			v := siteEnv(t, w.ctx, s)
			f := v.fixtures(20)
			for _, p := range f.products {
				if err := p.Tags.Add(w.ctx, f.tag); err != nil {
					t.Fatal(err)
				}
			}
			few := &Category{Name: "Few"}
			if err := categories.Save(w.ctx, few); err != nil {
				t.Fatal(err)
			}
			for _, p := range f.products[:2] {
				p.Category.Set(few)
				if err := products.Save(w.ctx, p, orm.UpdateFields("category")); err != nil {
					t.Fatal(err)
				}
			}
			_, body := v.sameQueries(v.as(v.user("root", true, true)), few, f.books)
			if n := strings.Count(body, `<option value="`+fmt.Sprint(f.tag.ID)+`" selected>new</option>`); n != 9 {
				t.Fatalf("%d rows show their tag chosen, want 9", n)
			}
		})
	})
	t.Run("autocomplete", func(t *testing.T) {
		each(t, func(t *testing.T, w *env) {
			ctx := w.ctx
			v, few, many := pickEnv(t, ctx, InlineOptions{Fields: []string{"product", "note"}, AutocompleteFields: []string{"product"}})
			c := v.as(v.user("root", true, true))
			_, body := v.sameQueries(c, few, many)
			contains(t, body, "autocomplete/?inline=picks&amp;field=product", ">Product 19</span>")
			r := c.get("/admin/admintest/category/autocomplete/?inline=picks&field=product&term=Product+1")
			r.expect(t, http.StatusOK, ">Product 10<", ">Product 19<")
			c.get("/admin/admintest/category/autocomplete/?inline=nope&field=product").expect(t, http.StatusBadRequest)
			c.get("/admin/admintest/category/autocomplete/?inline=picks&field=note").expect(t, http.StatusBadRequest)
			c.get("/admin/admintest/category/autocomplete/?field=product").expect(t, http.StatusBadRequest)
			// The rows' permissions decide, as they decide the rows.
			clerk := v.as(v.user("clerk", true, false, "admintest.change_category", "admintest.view_product"))
			clerk.get("/admin/admintest/category/autocomplete/?inline=picks&field=product").expect(t, http.StatusForbidden)
			editor := v.as(v.user("editor", true, false, "admintest.change_category", "admintest.change_pick", "admintest.view_product"))
			editor.get("/admin/admintest/category/autocomplete/?inline=picks&field=product").expect(t, http.StatusOK, ">Product 00<")
		})
	})
}

// TestLargeTargetIsNoSelect: a foreign key whose target has more objects
// than a select lists is typed as a key, with the object's name beside it.
func TestLargeTargetIsNoSelect(t *testing.T) {
	each(t, func(t *testing.T, w *env) {
		ctx := w.ctx
		v, few, many := pickEnv(t, ctx, InlineOptions{Fields: []string{"product", "note"}})
		var more []*Product
		for i := range maxSelectOptions {
			more = append(more, &Product{Name: fmt.Sprintf("Bulk %04d", i), SKU: fmt.Sprintf("B-%04d", i), Slug: fmt.Sprintf("bulk-%04d", i),
				Price: decimal.NewFromInt(1)})
			more[i].Category.ID = few.ID
		}
		if err := products.Objects().BulkCreate(ctx, more, 0); err != nil {
			t.Fatal(err)
		}
		c := v.as(v.user("root", true, true))
		body, _ := v.sameQueries(c, few, many)
		contains(t, body, `<input type="text" class="autocomplete-key" value="2"`, `name="picks-1-product"`, ">Product 01</span>")
		if strings.Contains(body, `<select id="id_picks-0-product"`) || strings.Contains(body, "autocomplete/?") {
			t.Fatalf("a target of %d objects is offered as a select or a search", maxSelectOptions+20)
		}
	})
}
