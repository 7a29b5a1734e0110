package admin

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// rowNames are the product names a change list page shows, in order.
func rowNames(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`>(Product \d\d|Lamp[^<]*)</a>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestChangeListSearchFilterSort(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(12)
		c := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"

		res := c.get(list)
		res.expect(t, http.StatusOK, "Select product to change", "SKU", "On sale", "Books", "Games", "12 products",
			`name="q"`, "By active", "By status", "By category", "Any date", "Delete selected products",
			"Deactivate selected products", `href="/admin/admintest/product/add/"`, "Draft")
		if got := rowNames(res.body); len(got) != 10 || got[0] != "Product 00" {
			t.Fatalf("page 1 rows %v", got)
		}
		res = c.get(list + "?p=2")
		if got := rowNames(res.body); !slices.Equal(got, []string{"Product 10", "Product 11"}) {
			t.Fatalf("page 2 rows %v", got)
		}
		if got := rowNames(c.get(list + "?p=99").body); len(got) != 2 {
			t.Fatalf("a page past the end shows %v, want the last page", got)
		}
		if got := rowNames(c.get(list + "?all=").body); len(got) != 12 {
			t.Fatalf("show all: %d rows", len(got))
		}

		// Search: ^name starts with, =sku exact, category__name contains.
		c.get(list+"?q=prod").expect(t, http.StatusOK, "12 products", "12 total")
		// Every word must match some field: "1" starts no name, equals no
		// SKU and is in no category name.
		c.get(list+"?q=product+1").expect(t, http.StatusOK, "0 products")
		c.get(list+"?q=roduct").expect(t, http.StatusOK, "0 products")
		if got := rowNames(c.get(list + "?q=sku-03").body); !slices.Equal(got, []string{"Product 03"}) {
			t.Fatalf("sku search rows %v", got)
		}
		if got := rowNames(c.get(list + "?q=sku").body); len(got) != 0 {
			t.Fatalf("=sku matched a part: %v", got)
		}
		if got := rowNames(c.get(list + "?q=gam").body); len(got) != 6 {
			t.Fatalf("category search: %v", got)
		}
		// Hostile input is only data.
		c.get(list+"?q="+url.QueryEscape(`%' OR 1=1; --`)).expect(t, http.StatusOK, "0 products")

		// Filters.
		if got := rowNames(c.get(list + fmt.Sprintf("?category__id__exact=%d", f.games.ID)).body); len(got) != 6 || got[0] != "Product 01" {
			t.Fatalf("category filter %v", got)
		}
		f.products[0].IsActive = false
		if err := products.Save(v.ctx, f.products[0]); err != nil {
			t.Fatal(err)
		}
		if got := rowNames(c.get(list + "?is_active__exact=0").body); !slices.Equal(got, []string{"Product 00"}) {
			t.Fatalf("boolean filter %v", got)
		}
		if got := rowNames(c.get(list + "?status__exact=published").body); len(got) != 0 {
			t.Fatalf("choices filter %v", got)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		if got := rowNames(c.get(list + "?created_at__gte=" + today + "&created_at__lt=" + tomorrow).body); len(got) != 10 {
			t.Fatalf("date filter: %d rows", len(got))
		}
		// Bad filter values are ignored, not a 500.
		c.get(list+"?category__id__exact=abc&is_active__exact=maybe&created_at__gte=never&o=x.99&p=-1").expect(t, http.StatusOK)

		// Sorting: column 4 is price; "-4" descending.
		res = c.get(list + "?o=-4")
		if got := rowNames(res.body); got[0] != "Product 11" {
			t.Fatalf("sorted by price desc: %v", got)
		}
		res.expect(t, http.StatusOK, `aria-sort="descending"`)
		if got := rowNames(c.get(list + "?o=4").body); got[0] != "Product 00" {
			t.Fatalf("sorted by price asc: %v", got)
		}

		// Date hierarchy: this year's link.
		year := fmt.Sprint(time.Now().UTC().Year())
		c.get(list).expect(t, http.StatusOK, "created_at__year="+year)
		c.get(list+"?created_at__year="+year).expect(t, http.StatusOK, "created_at__month=")
	})
}

func TestChangeListActions(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(4)
		c := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"
		keys := []string{fmt.Sprint(f.products[0].ID), fmt.Sprint(f.products[1].ID)}

		res := c.post(list, url.Values{"action": {"deactivate"}, "_selected_action": keys})
		res.redirectsTo(t, list)
		n, _ := products.Objects().Filter(orm.Q{"is_active": false}).Count(v.ctx)
		if n != 2 {
			t.Fatalf("%d products deactivated, want 2", n)
		}
		c.get(list).expect(t, http.StatusOK, "2 products deactivated.")

		// No selection: a message, nothing done.
		c.post(list, url.Values{"action": {"deactivate"}}).redirectsTo(t, list)
		c.get(list).expect(t, http.StatusOK, "Items must be selected in order to perform actions on them.")

		// Delete selected: a confirmation page first, then the delete.
		res = c.post(list, url.Values{"action": {deleteSelected}, "_selected_action": keys})
		res.expect(t, http.StatusOK, "Are you sure", "Product 00", "Product 01", `name="post"`)
		if n, _ := products.Objects().Count(v.ctx); n != 4 {
			t.Fatal("the confirmation page deleted something")
		}
		c.post(list, url.Values{"action": {deleteSelected}, "_selected_action": keys, "post": {"yes"}}).redirectsTo(t, list)
		if n, _ := products.Objects().Count(v.ctx); n != 2 {
			t.Fatalf("%d products left, want 2", n)
		}
		c.get(list).expect(t, http.StatusOK, "Successfully deleted 2 products.")

		// A user who may only view sees no actions and cannot run one.
		viewer := v.as(v.user("viewer", true, false, "admintest.view_product"))
		res = viewer.get(list)
		if strings.Contains(res.body, "Delete selected") {
			t.Error("a viewer is offered Delete selected")
		}
		viewer.post(list, url.Values{"action": {deleteSelected}, "_selected_action": {fmt.Sprint(f.products[2].ID)}, "post": {"yes"}})
		if n, _ := products.Objects().Count(v.ctx); n != 2 {
			t.Fatal("a viewer deleted a product")
		}
	})
}

func TestListEditable(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		c := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"
		c.get(list).expect(t, http.StatusOK, `name="form-0-stock"`, `name="form-TOTAL_FORMS"`, `name="form-0-id"`)
		form := url.Values{"_save": {"Save"}, "form-TOTAL_FORMS": {"2"}, "form-INITIAL_FORMS": {"2"},
			"form-0-id": {fmt.Sprint(f.products[0].ID)}, "form-0-stock": {"40"},
			"form-1-id": {fmt.Sprint(f.products[1].ID)}, "form-1-stock": {"-3"}}
		c.post(list, form).expect(t, http.StatusOK, "Ensure this value is greater than or equal to 0.")
		if p, _ := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[0].ID}); p.Stock != 0 {
			t.Fatal("a failed list save changed a row")
		}
		form.Set("form-1-stock", "5")
		c.post(list, form).redirectsTo(t, list)
		p0, _ := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[0].ID})
		p1, _ := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[1].ID})
		if p0.Stock != 40 || p1.Stock != 5 {
			t.Fatalf("stocks %d, %d", p0.Stock, p1.Stock)
		}
		c.get(list).expect(t, http.StatusOK, "2 products were changed successfully.")
	})
}

func TestInlines(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		c := v.as(v.user("root", true, true))
		c.get("/admin/admintest/product/add/").expect(t, http.StatusOK, `name="reviews-0-rating"`, `name="reviews-1-rating"`)
		form := productForm(f, map[string]string{"reviews-TOTAL_FORMS": "2", "reviews-0-rating": "5", "reviews-0-body": "Great",
			"reviews-1-rating": "", "reviews-1-body": ""})
		c.post("/admin/admintest/product/add/", form).redirectsTo(t, "/admin/admintest/product/")
		p, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := reviews.Objects().Filter(orm.Q{"product": p.ID}).All(v.ctx)
		if len(rs) != 1 || rs[0].Rating != 5 || rs[0].Body != "Great" {
			t.Fatalf("reviews %+v", rs)
		}

		// Change the review, add another, then delete the first.
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		c.get(change).expect(t, http.StatusOK, fmt.Sprintf(`name="reviews-0-id" value="%d"`, rs[0].ID), "Great</textarea>")
		form = productForm(f, map[string]string{"reviews-TOTAL_FORMS": "2", "reviews-INITIAL_FORMS": "1",
			"reviews-0-id": fmt.Sprint(rs[0].ID), "reviews-0-rating": "4", "reviews-0-body": "Good",
			"reviews-1-rating": "2", "reviews-1-body": "Meh"})
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		rs, _ = reviews.Objects().Filter(orm.Q{"product": p.ID}).OrderBy("id").All(v.ctx)
		if len(rs) != 2 || rs[0].Rating != 4 || rs[1].Body != "Meh" {
			t.Fatalf("reviews after change %+v", rs)
		}
		// An invalid row keeps everything unsaved.
		form = productForm(f, map[string]string{"name": "Renamed", "reviews-TOTAL_FORMS": "1", "reviews-0-id": fmt.Sprint(rs[0].ID),
			"reviews-0-rating": "x"})
		c.post(change, form).expect(t, http.StatusOK, "Enter a whole number.")
		if got, _ := products.Objects().Get(v.ctx, orm.Q{"pk": p.ID}); got.Name != "Lamp" {
			t.Fatal("the parent was saved although an inline row was invalid")
		}
		form = productForm(f, map[string]string{"reviews-TOTAL_FORMS": "2", "reviews-0-id": fmt.Sprint(rs[0].ID), "reviews-0-rating": "4",
			"reviews-0-DELETE": "on", "reviews-1-id": fmt.Sprint(rs[1].ID), "reviews-1-rating": "2", "reviews-1-body": "Meh"})
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		if n, _ := reviews.Objects().Count(v.ctx); n != 1 {
			t.Fatalf("%d reviews after deleting one", n)
		}
		// A row key of another parent's review is refused.
		other := &Review{Rating: 1}
		q := products.New()
		q.Name, q.SKU, q.Slug, q.Category.ID = "Other", "O-1", "other", f.books.ID
		if err := products.Save(v.ctx, q); err != nil {
			t.Fatal(err)
		}
		other.Product.ID = q.ID
		if err := reviews.Save(v.ctx, other); err != nil {
			t.Fatal(err)
		}
		form = productForm(f, map[string]string{"reviews-TOTAL_FORMS": "1", "reviews-0-id": fmt.Sprint(other.ID), "reviews-0-rating": "3"})
		c.post(change, form).expect(t, http.StatusOK, "did not match the parent instance")
		if got, _ := reviews.Objects().Get(v.ctx, orm.Q{"pk": other.ID}); got.Rating != 1 {
			t.Fatal("another product's review was changed")
		}
		// htmx "Add another".
		c.get("/admin/admintest/product/inline/reviews/?index=0&reviews-TOTAL_FORMS=3").expect(t, http.StatusOK, `name="reviews-3-rating"`)
		c.get("/admin/admintest/product/inline/reviews/?reviews-TOTAL_FORMS=abc").expect(t, http.StatusBadRequest)
		// A missing management form is a 400, not a 500.
		form = productForm(f, nil)
		form.Del("reviews-TOTAL_FORMS")
		c.post(change, form).expect(t, http.StatusBadRequest)
	})
}

func TestAutocomplete(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(0)
		c := v.as(v.user("root", true, true))
		res := c.get("/admin/admintest/product/autocomplete/?field=category&term=boo")
		res.expect(t, http.StatusOK, "Books")
		if strings.Contains(res.body, "Games") {
			t.Error("autocomplete did not filter")
		}
		c.get("/admin/admintest/product/autocomplete/?field=name&term=x").expect(t, http.StatusBadRequest)
		v.as(v.user("nobody", true, false)).get("/admin/admintest/product/autocomplete/?field=category").expect(t, http.StatusForbidden)
		// Searching the categories is viewing them: a clerk who may add
		// products but not view categories gets none.
		clerk := v.as(v.user("clerk", true, false, "admintest.add_product"))
		res = clerk.get("/admin/admintest/product/autocomplete/?field=category&term=boo")
		res.expect(t, http.StatusForbidden)
		if strings.Contains(res.body, "Books") {
			t.Error("the refusal lists categories")
		}
		v.as(v.user("seller", true, false, "admintest.add_product", "admintest.view_category")).
			get("/admin/admintest/product/autocomplete/?field=category&term=boo").expect(t, http.StatusOK, "Books")
	})
}

func TestEscaping(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		evil := `<script>alert("x")</script>'"`
		p := f.products[0]
		p.Name, p.Notes = evil, evil
		if err := products.Save(v.ctx, p); err != nil {
			t.Fatal(err)
		}
		f.books.Name = evil
		if err := categories.Save(v.ctx, f.books); err != nil {
			t.Fatal(err)
		}
		// A child category, for the stacked inline's titles.
		child := &Category{Name: evil + "child"}
		child.Parent.Set(f.books)
		if err := categories.Save(v.ctx, child); err != nil {
			t.Fatal(err)
		}
		c := v.as(v.user("root", true, true))
		// Logged, so that the history and the index show it too; the
		// success message is on the next page.
		c.post(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID), productForm(f, map[string]string{"name": evil, "sku": p.SKU, "slug": p.Slug}))
		check := func(what string, res *response) {
			t.Helper()
			if strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, `alert("x")`) {
				t.Errorf("%s renders the name unescaped", what)
			}
			if !strings.Contains(res.body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&#34;") {
				t.Errorf("%s does not show the name as text:\n%s", what, res.body)
			}
		}
		for _, path := range []string{"/admin/", "/admin/admintest/product/", "/admin/admintest/product/?q=" + url.QueryEscape(evil),
			fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID), fmt.Sprintf("/admin/admintest/product/%d/delete/", p.ID),
			fmt.Sprintf("/admin/admintest/product/%d/history/", p.ID), fmt.Sprintf("/admin/admintest/category/%d/delete/", f.books.ID),
			fmt.Sprintf("/admin/admintest/category/%d/change/", f.books.ID), "/admin/admintest/category/?q=" + url.QueryEscape(evil),
			"/admin/admintest/product/autocomplete/?field=category&term=script",
			fmt.Sprintf("/admin/admintest/product/?category__id__exact=%d", f.books.ID)} {
			res := c.get(path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
			check(path, res)
		}
		// The success message, the bulk delete's confirmation, a form's
		// errors and an import's preview.
		c.post(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID), productForm(f, map[string]string{"name": evil, "sku": p.SKU, "slug": p.Slug}))
		check("the success message", c.get("/admin/admintest/tag/"))
		check("delete selected", c.post("/admin/admintest/product/", url.Values{"action": {deleteSelected}, "_selected_action": {fmt.Sprint(p.ID)}}))
		check("a form with errors", c.post("/admin/admintest/product/add/", productForm(f, map[string]string{"name": evil, "price": "x"})))
		var file strings.Builder
		w := csv.NewWriter(&file)
		w.Write(strings.Split(importHeader, ","))
		w.Write([]string{"", evil, "EVIL-1", "evil", fmt.Sprint(f.books.ID), "1", "0", "1", "draft", "", evil, ""})
		w.Flush()
		check("an import preview", c.upload("/admin/admintest/product/import/", file.String()))
	})
}

func TestSetupLink(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		token, err := v.site.SetupToken(v.ctx)
		if err != nil || token == "" {
			t.Fatalf("token %q, %v", token, err)
		}
		c := v.anonymous()
		v.anonymous().get("/admin/setup/wrong/").expect(t, http.StatusNotFound)
		path := "/admin/setup/" + token + "/"
		c.get(path).expect(t, http.StatusOK, `name="password1"`)
		c.post(path, url.Values{"username": {"boss"}, "password1": {"short"}, "password2": {"other"}}).
			expect(t, http.StatusOK, "The two password fields didn’t match.")
		c.post(path, url.Values{"username": {"boss"}, "password1": {"short"}, "password2": {"short"}}).
			expect(t, http.StatusOK, "This password is too short.")
		c.post(path, url.Values{"username": {"boss"}, "email": {"boss@example.com"}, "password1": {"long enough pw"}, "password2": {"long enough pw"}}).
			redirectsTo(t, "/admin/")
		c.get("/admin/").expect(t, http.StatusOK, "Site administration", "boss")
		u, err := auth.Users.Objects().Get(v.ctx, orm.Q{"username": "boss"})
		if err != nil || !u.IsSuperuser || !u.IsStaff {
			t.Fatalf("user %+v, %v", u, err)
		}
		// The link dies once used, and no new one is made while a user exists.
		v.anonymous().get(path).expect(t, http.StatusNotFound)
		if token, _ := v.site.SetupToken(v.ctx); token != "" {
			t.Fatal("a setup token was made although a user exists")
		}
	})
}

func TestUniqueViolationOnChange(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		c := v.as(v.user("root", true, true))
		p := f.products[1]
		res := c.post(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID),
			productForm(f, map[string]string{"name": p.Name, "sku": f.products[0].SKU, "slug": p.Slug}))
		res.expect(t, http.StatusOK, "Product with this SKU already exists.", `value="`+f.products[0].SKU+`"`)
	})
}

func TestRelatedColumnsFieldsetsAndMethods(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(3)
		for _, p := range f.products {
			if err := reviews.Save(v.ctx, &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: 3, Body: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
		c := v.as(v.user("root", true, true))
		var res *response
		few := v.queries(func() { res = c.get("/admin/admintest/review/") })
		res.expect(t, http.StatusOK, "Product 01", "Games", "Books", "***", "Stars",
			fmt.Sprintf(`href="/admin/admintest/review/%d/change/"`, 1))
		// Sorting by a Method's OrderField.
		c.get("/admin/admintest/review/?o=-5").expect(t, http.StatusOK, `aria-sort="descending"`)
		for range 10 {
			if err := reviews.Save(v.ctx, &Review{Product: orm.FK[Product]{ID: f.products[0].ID}, Rating: 1}); err != nil {
				t.Fatal(err)
			}
		}
		if many := v.queries(func() { c.get("/admin/admintest/review/") }); many != few {
			t.Fatalf("related columns cost %d queries for 3 rows and %d for 13", few, many)
		}
		rs, _ := reviews.Objects().All(v.ctx)
		res = c.get(fmt.Sprintf("/admin/admintest/review/%d/change/", rs[0].ID))
		res.expect(t, http.StatusOK, "<legend", "Review", "Text", "What the customer wrote.", "***", "<details")
		if strings.Contains(res.body, `name="stars"`) {
			t.Error("a read-only method has an input")
		}
	})
}

func TestStackedInlineExcludeOrdering(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(0)
		c := v.as(v.user("root", true, true))
		res := c.get("/admin/admintest/category/")
		if i, j := strings.Index(res.body, ">Games<"), strings.Index(res.body, ">Books<"); i < 0 || j < 0 || i > j {
			t.Fatalf("ordering -name not applied:\n%s", res.body)
		}
		res = c.get("/admin/admintest/category/add/")
		res.expect(t, http.StatusOK, `name="name"`, `name="children-0-name"`, `name="children-TOTAL_FORMS" id="id_children-TOTAL_FORMS" value="1"`)
		if strings.Contains(res.body, `name="parent"`) || strings.Contains(res.body, `name="children-0-parent"`) {
			t.Error("an excluded field, or the inline's key to its parent, is on the form")
		}
		form := url.Values{"name": {"Toys"}, "children-TOTAL_FORMS": {"3"}, "children-0-name": {"Dolls"},
			"children-1-name": {"Cars"}, "children-2-name": {"Kites"}, "_save": {"1"}}
		c.post("/admin/admintest/category/add/", form).expect(t, http.StatusOK, "Please submit at most 2 forms.")
		form.Set("children-TOTAL_FORMS", "2")
		c.post("/admin/admintest/category/add/", form).redirectsTo(t, "/admin/admintest/category/")
		toys, err := categories.Objects().Get(v.ctx, orm.Q{"name": "Toys"})
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := categories.Objects().Filter(orm.Q{"parent": toys.ID}).Count(v.ctx); n != 2 {
			t.Fatalf("%d children saved, want 2", n)
		}
		// At Max, no empty row is offered.
		c.get(fmt.Sprintf("/admin/admintest/category/%d/change/", toys.ID)).expect(t, http.StatusOK, `value="Dolls"`, `value="Cars"`,
			`name="children-TOTAL_FORMS" id="id_children-TOTAL_FORMS" value="2"`)
	})
}

func TestInlineRowsKeptAfterErrors(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		c := v.as(v.user("root", true, true))
		form := productForm(f, map[string]string{"name": "", "reviews-TOTAL_FORMS": "2", "reviews-0-rating": "", "reviews-0-body": "",
			"reviews-1-rating": "4", "reviews-1-body": "Fine"})
		res := c.post("/admin/admintest/product/add/", form)
		res.expect(t, http.StatusOK, "This field is required.", `name="reviews-0-rating"`, `name="reviews-1-rating"`, "Fine</textarea>",
			`name="reviews-TOTAL_FORMS" id="id_reviews-TOTAL_FORMS" value="2"`)
	})
}

func TestInlinePermissions(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		r := &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: 3, Body: "Fine"}
		if err := reviews.Save(v.ctx, r); err != nil {
			t.Fatal(err)
		}
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		edit := func(extra map[string]string) url.Values {
			form := productForm(f, map[string]string{"name": p.Name, "sku": p.SKU, "slug": p.Slug, "price": "1.50", "stock": "0",
				"reviews-TOTAL_FORMS": "2", "reviews-INITIAL_FORMS": "1", "reviews-0-id": fmt.Sprint(r.ID), "reviews-0-rating": "1",
				"reviews-0-body": "Bad", "reviews-0-DELETE": "on", "reviews-1-rating": "5", "reviews-1-body": "Forged"})
			for k, val := range extra {
				form.Set(k, val)
			}
			return form
		}
		productPerms := []string{"admintest.view_product", "admintest.change_product", "admintest.add_product"}
		same := func(what string) {
			t.Helper()
			rs, err := reviews.Objects().All(v.ctx)
			if err != nil || len(rs) != 1 || rs[0].Rating != 3 || rs[0].Body != "Fine" {
				t.Fatalf("%s: reviews %+v (%v)", what, rs, err)
			}
		}

		// No permission on reviews: the inline is not on the form, and
		// review inputs in a POST are ignored.
		none := v.as(v.user("none", true, false, productPerms...))
		res := none.get(change)
		res.expect(t, http.StatusOK, "Change product")
		if strings.Contains(res.body, "reviews-TOTAL_FORMS") || strings.Contains(res.body, "Fine") {
			t.Error("the reviews inline is shown to a user with no permission on reviews")
		}
		none.post(change, edit(nil)).redirectsTo(t, "/admin/admintest/product/")
		same("no permission")
		none.get("/admin/admintest/product/inline/reviews/?reviews-TOTAL_FORMS=1").expect(t, http.StatusForbidden)

		// View only: the rows are shown read-only, with no empty rows, no
		// Delete box and no "Add another"; a forged change, delete or new
		// row does nothing.
		viewer := v.as(v.user("viewer", true, false, append(productPerms, "admintest.view_review")...))
		res = viewer.get(change)
		res.expect(t, http.StatusOK, "Fine", `name="reviews-TOTAL_FORMS" id="id_reviews-TOTAL_FORMS" value="1"`)
		for _, bad := range []string{`name="reviews-0-rating"`, `name="reviews-0-DELETE"`, `name="reviews-1-rating"`, "Add another review"} {
			if strings.Contains(res.body, bad) {
				t.Errorf("a review viewer's form has %s", bad)
			}
		}
		viewer.post(change, edit(nil)).expect(t, http.StatusOK, "You do not have permission to add reviews.")
		viewer.post(change, edit(map[string]string{"reviews-TOTAL_FORMS": "1"})).redirectsTo(t, "/admin/admintest/product/")
		same("view only")
		viewer.get("/admin/admintest/product/inline/reviews/?reviews-TOTAL_FORMS=1").expect(t, http.StatusForbidden)

		// Add only: empty rows to fill, the existing one still read-only.
		adder := v.as(v.user("adder", true, false, append(productPerms, "admintest.add_review")...))
		res = adder.get(change)
		res.expect(t, http.StatusOK, "Fine", `name="reviews-1-rating"`, "Add another review")
		if strings.Contains(res.body, `name="reviews-0-rating"`) || strings.Contains(res.body, `name="reviews-0-DELETE"`) {
			t.Error("a user who may only add reviews may change or delete one")
		}
		adder.post(change, edit(nil)).redirectsTo(t, "/admin/admintest/product/")
		if n, _ := reviews.Objects().Filter(orm.Q{"body": "Forged"}).Count(v.ctx); n != 1 {
			t.Fatalf("the new review was not added (%d)", n)
		}
		if got, err := reviews.Objects().Get(v.ctx, orm.Q{"pk": r.ID}); err != nil || got.Rating != 3 {
			t.Fatalf("the existing review changed: %+v, %v", got, err)
		}

		// Change and delete: both happen.
		editor := v.as(v.user("editor", true, false, append(productPerms, "admintest.change_review", "admintest.delete_review")...))
		editor.post(change, edit(map[string]string{"reviews-TOTAL_FORMS": "1"})).redirectsTo(t, "/admin/admintest/product/")
		if _, err := reviews.Objects().Get(v.ctx, orm.Q{"pk": r.ID}); err == nil {
			t.Fatal("the review was not deleted")
		}

		// A user who may only view the product sees the rows read-only.
		res = v.as(v.user("reader", true, false, "admintest.view_product", "admintest.change_review", "admintest.add_review")).get(change)
		res.expect(t, http.StatusOK, "View product", "Forged")
		if strings.Contains(res.body, `name="reviews-0-rating"`) || strings.Contains(res.body, "Add another review") {
			t.Error("a product viewer may edit its reviews")
		}
	})
}
