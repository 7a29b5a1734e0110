package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

func TestRegisterRefusesBadOptions(t *testing.T) {
	cases := []struct {
		name string
		ma   ModelAdmin[Product]
		want string
	}{
		{"list_display", ModelAdmin[Product]{Options: Options{ListDisplay: []string{"nope"}}}, `ListDisplay: "nope" is not a field`},
		{"related column", ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name__x"}}}, "name is not a relation"},
		{"link outside the list", ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name"}, ListDisplayLinks: []string{"sku"}}}, "not in ListDisplay"},
		{"editable outside the list", ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name"}, ListEditable: []string{"stock"}}}, "not in ListDisplay"},
		{"editable link", ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name", "stock"}, ListEditable: []string{"name"}}}, "also a link"},
		{"filter on text", ModelAdmin[Product]{Options: Options{ListFilter: []string{"notes"}}}, "cannot be filtered on"},
		{"search", ModelAdmin[Product]{Options: Options{SearchFields: []string{"^nope"}}}, `SearchFields: "nope"`},
		{"date hierarchy", ModelAdmin[Product]{Options: Options{DateHierarchy: "name"}}, "not a date field"},
		{"fields", ModelAdmin[Product]{Options: Options{Fields: []string{"nope"}}}, `Fields names "nope"`},
		{"prepopulated", ModelAdmin[Product]{Options: Options{PrepopulatedFields: map[string][]string{"slug": {"nope"}}}}, "PrepopulatedFields"},
		{"autocomplete", ModelAdmin[Product]{Options: Options{AutocompleteFields: []string{"name"}}}, "not a foreign key"},
		{"inline without a key", ModelAdmin[Product]{Options: Options{Inlines: []Inline{Tabular(tags, InlineOptions{})}}}, "has no foreign key"},
		{"string select related", ModelAdmin[Product]{Options: Options{StringSelectRelated: []string{"name"}}}, `StringSelectRelated names "name", which is not a relation`},
		{"inline select related", ModelAdmin[Product]{Options: Options{Inlines: []Inline{Tabular(reviews, InlineOptions{SelectRelated: []string{"rating"}})}}}, `SelectRelated names "rating"`},
		{"inline autocomplete", ModelAdmin[Product]{Options: Options{Inlines: []Inline{Tabular(reviews, InlineOptions{AutocompleteFields: []string{"body"}})}}}, "not a foreign key"},
		{"radio on text", ModelAdmin[Product]{Options: Options{RadioFields: map[string]Orientation{"name": Vertical}}}, "neither a field with choices nor a foreign key"},
		{"radio nowhere", ModelAdmin[Product]{Options: Options{RadioFields: map[string]Orientation{"nope": Vertical}}}, `RadioFields names "nope"`},
		{"radio orientation", ModelAdmin[Product]{Options: Options{RadioFields: map[string]Orientation{"status": 0}}}, "orientation"},
		{"raw id on text", ModelAdmin[Product]{Options: Options{RawIDFields: []string{"name"}}}, "not a foreign key or many-to-many"},
		{"raw id nowhere", ModelAdmin[Product]{Options: Options{RawIDFields: []string{"nope"}}}, `RawIDFields names "nope"`},
		{"raw id and autocomplete", ModelAdmin[Product]{Options: Options{RawIDFields: []string{"category"}, AutocompleteFields: []string{"category"}}}, "AutocompleteFields names too"},
		{"action without a name", ModelAdmin[Product]{Actions: []Action[Product]{{Label: "x"}}}, "needs a name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %q, want one containing %q", msg, tc.want)
				}
			}()
			Register(NewSite(), products, tc.ma)
		})
	}
	t.Run("twice", func(t *testing.T) {
		s := NewSite()
		Register(s, tags, ModelAdmin[Tag]{})
		defer func() {
			if msg, _ := recover().(string); !strings.Contains(msg, "registered twice") {
				t.Fatalf("panic %q", msg)
			}
		}()
		Register(s, tags, ModelAdmin[Tag]{})
	})
}

// TestFieldsAndSelects: Fields orders and limits the form, a foreign key
// is a select of its target's objects, ListSelectRelated is the join.
func TestFieldsAndSelects(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(3)
		site := NewSite()
		Register(site, products, ModelAdmin[Product]{Options: Options{
			ListDisplay:       []string{"name", "category"},
			ListSelectRelated: []string{"category"},
			Fields:            []string{"sku", "name", "category", "slug", "price"},
		}})
		w := siteEnv(t, v.ctx, site)
		c := w.as(v.user("root", true, true))
		res := c.get("/admin/admintest/product/add/")
		res.expect(t, http.StatusOK, `<select id="id_category" name="category" required>`, `<option value="" selected>---------</option>`,
			fmt.Sprintf(`<option value="%d">Books</option>`, f.books.ID), fmt.Sprintf(`<option value="%d">Games</option>`, f.games.ID))
		names := regexp.MustCompile(`<(?:input|select|textarea)[^>]* name="([a-z_]+)"`).FindAllStringSubmatch(res.body, -1)
		var got []string
		for _, m := range names {
			if m[1] != "_csrf" {
				got = append(got, m[1])
			}
		}
		if strings.Join(got, ",") != "sku,name,category,slug,price" {
			t.Fatalf("the form's fields are %v", got)
		}
		form := url.Values{"sku": {"S-1"}, "name": {"Shelf"}, "category": {fmt.Sprint(f.games.ID)}, "slug": {"shelf"}, "price": {"3"}, "_save": {"1"}}
		c.post("/admin/admintest/product/add/", form).redirectsTo(t, "/admin/admintest/product/")
		p, err := products.Objects().Get(v.ctx, orm.Q{"sku": "S-1"})
		if err != nil || p.Category.ID != f.games.ID || p.Stock != 0 || !p.IsActive {
			t.Fatalf("saved %+v, %v", p, err)
		}
		res = c.get(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID))
		res.expect(t, http.StatusOK, fmt.Sprintf(`<option value="%d" selected>Games</option>`, f.games.ID))
		few := w.queries(func() { c.get("/admin/admintest/product/").expect(t, http.StatusOK, "Games", "Books") })
		for i := range 10 {
			p := products.New()
			p.Name, p.SKU, p.Slug, p.Category.ID = fmt.Sprintf("More %d", i), fmt.Sprintf("M-%d", i), fmt.Sprintf("m-%d", i), f.books.ID
			if err := products.Save(v.ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if many := w.queries(func() { c.get("/admin/admintest/product/") }); many != few {
			t.Fatalf("ListSelectRelated: %d queries for 4 rows, %d for 14", few, many)
		}
	})
}

// TestSelectAcross runs an action on every object the filters select, on
// every page, as Django's "Select all N".
func TestSelectAcross(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(24)
		c := v.as(v.user("root", true, true))
		list := fmt.Sprintf("/admin/admintest/product/?category__id__exact=%d", f.games.ID)
		res := c.get(list)
		res.expect(t, http.StatusOK, "Select all 12 products", `name="select_across"`)
		// Only the first page's keys are sent; select_across takes them all.
		c.post(list, url.Values{"action": {"deactivate"}, "_selected_action": {fmt.Sprint(f.products[1].ID)}, "select_across": {"1"}}).
			redirectsTo(t, list)
		if n, _ := products.Objects().Filter(orm.Q{"is_active": false}).Count(v.ctx); n != 12 {
			t.Fatalf("%d products deactivated, want the 12 games", n)
		}
		if n, _ := products.Objects().Filter(orm.Q{"is_active": false, "category": f.books.ID}).Count(v.ctx); n != 0 {
			t.Fatalf("%d books deactivated", n)
		}
	})
}

func TestInlineMin(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(0)
		site := NewSite()
		Register(site, categories, ModelAdmin[Category]{Options: Options{
			Exclude: []string{"parent"},
			Inlines: []Inline{Tabular(categories, InlineOptions{FKName: "parent", Min: 1, Extra: 1})},
		}})
		w := siteEnv(t, v.ctx, site)
		c := w.as(v.user("root", true, true))
		c.get("/admin/admintest/category/add/").expect(t, http.StatusOK, `name="children-MIN_NUM_FORMS" id="id_children-MIN_NUM_FORMS" value="1"`)
		form := url.Values{"name": {"Toys"}, "children-TOTAL_FORMS": {"1"}, "children-0-name": {""}, "_save": {"1"}}
		c.post("/admin/admintest/category/add/", form).expect(t, http.StatusOK, "Please submit at least 1 form.")
		if _, err := categories.Objects().Get(v.ctx, orm.Q{"name": "Toys"}); err == nil {
			t.Fatal("saved without its one child")
		}
		form.Set("children-0-name", "Dolls")
		c.post("/admin/admintest/category/add/", form).redirectsTo(t, "/admin/admintest/category/")
	})
}

func TestDateTimeWidget(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		root := v.user("root", true, true)
		c := v.as(root)
		change := fmt.Sprintf("/admin/auth/user/%d/change/", root.ID)
		c.get(change).expect(t, http.StatusOK, `type="datetime-local"`, `name="date_joined"`, "Date joined")
		form := url.Values{"username": {"root"}, "password": {root.Password}, "date_joined": {"2024-02-29T13:45"},
			"is_active": {"on"}, "is_staff": {"on"}, "is_superuser": {"on"}, "_save": {"1"}}
		c.post(change, form).redirectsTo(t, "/admin/auth/user/")
		u, err := auth.Users.Objects().Get(v.ctx, orm.Q{"pk": root.ID})
		if err != nil || u.DateJoined.UTC().Format("2006-01-02 15:04") != "2024-02-29 13:45" {
			t.Fatalf("date joined %v, %v", u.DateJoined, err)
		}
		form.Set("date_joined", "29/02/2024")
		c.post(change, form).expect(t, http.StatusOK, "Enter a valid date/time.", `value="29/02/2024"`)
	})
}

// TestRestrictBlocksDelete: RESTRICT blocks a delete as PROTECT does.
func TestRestrictBlocksDelete(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		pin := &Pin{}
		pin.Tag.Set(f.tag)
		if err := pins.Save(v.ctx, pin); err != nil {
			t.Fatal(err)
		}
		c := v.as(v.user("root", true, true))
		del := fmt.Sprintf("/admin/admintest/tag/%d/delete/", f.tag.ID)
		res := c.get(del)
		res.expect(t, http.StatusOK, "pin "+fmt.Sprint(pin.ID))
		if strings.Contains(res.body, `name="post"`) {
			t.Error("a restricted delete offers its button")
		}
		c.post(del, url.Values{"post": {"yes"}}).expect(t, http.StatusOK, "pin "+fmt.Sprint(pin.ID))
		if _, err := tags.Objects().Get(v.ctx, orm.Q{"pk": f.tag.ID}); err != nil {
			t.Fatalf("the restricted tag was deleted: %v", err)
		}
		if _, err := pins.Objects().Delete(v.ctx); err != nil {
			t.Fatal(err)
		}
		c.post(del, url.Values{"post": {"yes"}}).redirectsTo(t, "/admin/admintest/tag/")
	})
}

// TestReadonlyForeignKey shows a read-only foreign key by its object's
// string, not its key.
func TestReadonlyForeignKey(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		r := &Review{Rating: 4}
		r.Product.Set(f.products[0])
		if err := reviews.Save(v.ctx, r); err != nil {
			t.Fatal(err)
		}
		site := NewSite()
		Register(site, reviews, ModelAdmin[Review]{Options: Options{ReadonlyFields: []string{"product"}}})
		w := siteEnv(t, v.ctx, site)
		c := w.as(v.user("root", true, true))
		change := fmt.Sprintf("/admin/admintest/review/%d/change/", r.ID)
		res := c.get(change)
		res.expect(t, http.StatusOK, "Product 00")
		if strings.Contains(res.body, `name="product"`) {
			t.Error("a read-only foreign key has an input")
		}
		// Saving leaves it alone.
		c.post(change, url.Values{"rating": {"2"}, "body": {""}, "_save": {"1"}}).redirectsTo(t, "/admin/admintest/review/")
		got, err := reviews.Objects().Get(v.ctx, orm.Q{"pk": r.ID})
		if err != nil || got.Product.ID != f.products[0].ID || got.Rating != 2 {
			t.Fatalf("saved %+v, %v", got, err)
		}
	})
}

// TestLinkedMethod: a Method's Linked value is text with links on the
// change form, escaped and with unsafe URLs replaced, and text alone in
// the change list.
func TestLinkedMethod(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		site := NewSite()
		Register(site, tags, ModelAdmin[Tag]{
			Options: Options{
				ListDisplay:    []string{"name", "links"},
				ReadonlyFields: []string{"links"},
			},
			Methods: map[string]Method[Tag]{"links": {Label: "Links", Value: func(t *Tag) any {
				return Linked{{Text: "<b>" + t.Name + "</b> on "}, {Text: "the list", URL: "../../"}, {Text: ", not ", URL: "javascript:alert(1)"}, {Text: "."}}
			}}},
		})
		w := siteEnv(t, v.ctx, site)
		c := w.as(v.user("root", true, true))
		res := c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID))
		res.expect(t, http.StatusOK, `<div class="readonly">&lt;b&gt;new&lt;/b&gt; on <a href="../../">the list</a><a href="about:invalid#TemplFailedSanitizationURL">, not </a>.</div>`)
		if strings.Contains(res.body, "javascript:") || strings.Contains(res.body, "<b>new") {
			t.Error("unsafe output")
		}
		res = c.get("/admin/admintest/tag/")
		res.expect(t, http.StatusOK, "&lt;b&gt;new&lt;/b&gt; on the list, not .")
		if strings.Contains(res.body, `href="../../"`) {
			t.Error("the change list links inside a row")
		}
	})
}

// TestEraseKeepsEveryOption sets every option of a ModelAdmin to a value
// other than its zero, by reflection, so that an option added later is
// covered without touching the test, and checks that each one reaches
// the options the admin reads: an option erase drops fails here instead
// of being silently ignored.
func TestEraseKeepsEveryOption(t *testing.T) {
	var ma ModelAdmin[Product]
	mv := reflect.ValueOf(&ma).Elem()
	var names []string
	for _, sf := range reflect.VisibleFields(mv.Type()) {
		if !sf.IsExported() || sf.Anonymous {
			continue
		}
		names = append(names, sf.Name)
		setNonZero(t, sf.Name, mv.FieldByIndex(sf.Index))
	}
	if len(names) < 20 {
		t.Fatalf("found only %d options: %v", len(names), names)
	}
	ov := reflect.ValueOf(ma.erase())
	for _, name := range names {
		// The typed options are erased under the same name, or its
		// unexported form (SaveModel: saveModel).
		got := ov.FieldByNameFunc(func(n string) bool { return strings.EqualFold(n, name) })
		if !got.IsValid() {
			t.Errorf("ModelAdmin.%s has no counterpart in the erased options", name)
			continue
		}
		if got.IsZero() {
			t.Errorf("ModelAdmin.%s is lost when erased", name)
			continue
		}
		if _, plain := reflect.TypeFor[Options]().FieldByName(name); plain && got.Kind() != reflect.Func {
			if want := mv.FieldByName(name).Interface(); !reflect.DeepEqual(got.Interface(), want) {
				t.Errorf("ModelAdmin.%s is %#v when erased, want %#v", name, got.Interface(), want)
			}
		}
	}
}

// setNonZero sets v, the option name, to a value other than its zero.
func setNonZero(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
		v.Set(m)
	case reflect.Func:
		v.Set(reflect.MakeFunc(v.Type(), func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, v.Type().NumOut())
			for i := range out {
				out[i] = reflect.New(v.Type().Out(i)).Elem()
			}
			return out
		}))
	case reflect.String:
		v.SetString(name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	default:
		t.Fatalf("ModelAdmin.%s is a %s, which the test cannot set yet", name, v.Type())
	}
}
