package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// countSite lists products five to a page, counting filtered lists up to
// eight and estimating any analysed table of more than ten rows.
func countSite() *Site {
	s := NewSite()
	Register(s, products, ModelAdmin[Product]{
		ListDisplay:       []string{"name", "sku", "price"},
		ListFilter:        []string{"is_active"},
		SearchFields:      []string{"name"},
		ListPerPage:       5,
		CountUpTo:         8,
		EstimateCountOver: 10,
	})
	return s
}

// Every page of a list, walked forwards, shows each product once and in
// order, though the pages past the middle are read from the end.
func TestChangeListPagesFromBothEnds(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(12)
		w := siteEnv(t, v.ctx, countSite())
		c := w.as(v.user("root", true, true))
		for _, order := range []string{"", "?o=1", "?o=-1", "?o=-3"} {
			var all []string
			for p := 1; p <= 3; p++ {
				sep := "?"
				if order != "" {
					sep = order + "&"
				}
				all = append(all, rowNames(c.get(fmt.Sprintf("/admin/admintest/product/%sp=%d", sep, p)).body)...)
			}
			want, err := products.Objects().OrderBy("name").All(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range want {
				names = append(names, p.Name)
			}
			if order == "?o=-1" || order == "?o=-3" { // the price rises with the name
				slices.Reverse(names)
			}
			if !slices.Equal(all, names) {
				t.Errorf("order %q: the pages show %v, want %v", order, all, names)
			}
		}
	})
}

func TestChangeListBoundedAndEstimatedCounts(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(12)
		w := siteEnv(t, v.ctx, countSite())
		c := w.as(v.user("root", true, true))
		list := "/admin/admintest/product/"

		// A search that matches more than CountUpTo stops counting there.
		res := c.get(list + "?q=product")
		res.expect(t, http.StatusOK, "more than 8 products", "Count all", "_count=exact")
		if got := rowNames(res.body); len(got) != 5 {
			t.Fatalf("page 1 of a bounded count: %v", got)
		}
		// Its pages go on past the bound.
		if got := rowNames(c.get(list + "?q=product&p=3").body); !slices.Equal(got, []string{"Product 10", "Product 11"}) {
			t.Fatalf("page 3 past the bound: %v", got)
		}
		res = c.get(list + "?q=product&_count=exact")
		res.expect(t, http.StatusOK, "12 products")
		if strings.Contains(res.body, "more than") || strings.Contains(res.body, "Count all") {
			t.Fatal("the exact count still says it is bounded")
		}
		// Under the bound, the count is exact.
		c.get(list+"?q=product+1").expect(t, http.StatusOK, "3 products")

		// Unfiltered: exact until the table is analysed, then the planner's
		// estimate, on both engines.
		c.get(list).expect(t, http.StatusOK, "12 products")
		if err := orm.Analyze(v.ctx, products.Meta); err != nil {
			t.Fatal(err)
		}
		res = c.get(list)
		res.expect(t, http.StatusOK, "about 12 products", "Count all")
		c.get(list+"?_count=exact").expect(t, http.StatusOK, "12 products")
	})
}

// Site.Check names the sortable columns and filters no index serves, and
// SortableBy takes a column out of both the sorting and the check.
func TestCheckIndexes(t *testing.T) {
	codes := func(s *Site) []string {
		var out []string
		for _, w := range s.Check() {
			out = append(out, w.ID+" "+w.Msg)
		}
		return out
	}
	s := NewSite()
	Register(s, products, ModelAdmin[Product]{ListDisplay: []string{"name", "sku", "price"}, ListFilter: []string{"status", "is_active", "category"}})
	got := strings.Join(codes(s), "\n")
	for _, want := range []string{`admin.W002 The column "name"`, `admin.W002 The column "price"`, `admin.W003 The list filter "status"`} {
		if !strings.Contains(got, want) {
			t.Errorf("check lacks %s:\n%s", want, got)
		}
	}
	// A unique column and a foreign key's own index need nothing more,
	// and a boolean filter is served by the order's index.
	for _, ok := range []string{`"sku"`, `"category"`, `"is_active"`} {
		if strings.Contains(got, ok) {
			t.Errorf("check warns about %s:\n%s", ok, got)
		}
	}
	s = NewSite()
	Register(s, products, ModelAdmin[Product]{ListDisplay: []string{"name", "sku", "price"}, SortableBy: []string{"sku"}})
	if got := codes(s); len(got) != 0 {
		t.Errorf("with SortableBy sku: %v", got)
	}
	each(t, func(t *testing.T, v *env) {
		v.fixtures(3)
		w := siteEnv(t, v.ctx, s)
		c := w.as(v.user("root", true, true))
		res := c.get("/admin/admintest/product/?o=1")
		res.expect(t, http.StatusOK, "?o=2")
		if strings.Contains(res.body, "?o=1") || strings.Contains(res.body, `aria-sort`) && !strings.Contains(res.body, "?o=-2") {
			t.Errorf("a column outside SortableBy sorts:\n%s", res.body)
		}
	})
}
