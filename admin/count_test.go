package admin

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// countSite lists products five to a page, counting filtered lists up to
// eight and estimating any analysed table of more than ten rows.
func countSite() *Site {
	s := NewSite()
	Register(s, products, ModelAdmin[Product]{Options: Options{
		ListDisplay:       []string{"name", "sku", "price"},
		ListFilter:        []string{"is_active"},
		SearchFields:      []string{"name"},
		ListPerPage:       5,
		CountUpTo:         8,
		EstimateCountOver: 10,
	}})
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
		// A page in the second half of an estimated list counts exactly
		// and is read from the end.
		res = c.get(list + "?p=3")
		res.expect(t, http.StatusOK, "12 products")
		if got := rowNames(res.body); !slices.Equal(got, []string{"Product 10", "Product 11"}) {
			t.Fatalf("the last page of an estimated list: %v", got)
		}
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
	Register(s, products, ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name", "sku", "price"}, ListFilter: []string{"status", "is_active", "category"}}})
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
	Register(s, products, ModelAdmin[Product]{Options: Options{ListDisplay: []string{"name", "sku", "price"}, SortableBy: []string{"sku"}}})
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

// The links to the next and previous pages name the row they continue
// from, and following them forwards and back walks every row once in
// order, in each sort; the rest of the page bar reads pages by number.
func TestChangeListSeeksToNeighbours(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(12)
		w := siteEnv(t, v.ctx, countSite())
		c := w.as(v.user("root", true, true))
		link := func(body string, p int) string {
			t.Helper()
			m := regexp.MustCompile(`href="(\?[^"]*\bp=` + strconv.Itoa(p) + `\b[^"]*)"`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no link to page %d in %s", p, body)
			}
			return html.UnescapeString(m[1])
		}
		for _, order := range []string{"", "?o=-1", "?o=-3"} {
			base := "/admin/admintest/product/" + order
			body := c.get(base).body
			forwards := rowNames(body)
			next := link(body, 2)
			if !strings.Contains(next, "_after=") {
				t.Fatalf("order %q: the link to page 2 is %q, want it to name the row it follows", order, next)
			}
			for p := 2; p <= 3; p++ {
				body = c.get("/admin/admintest/product/" + next).body
				forwards = append(forwards, rowNames(body)...)
				if p < 3 {
					next = link(body, p+1)
				}
			}
			backwards := rowNames(body)
			for p := 2; p >= 1; p-- {
				prev := link(body, p)
				if p > 1 != strings.Contains(prev, "_before=") {
					t.Errorf("order %q: the link to page %d is %q", order, p, prev)
				}
				body = c.get("/admin/admintest/product/" + prev).body
				backwards = append(rowNames(body), backwards...)
			}
			byNumber := []string{}
			for p := 1; p <= 3; p++ {
				sep := "?"
				if order != "" {
					sep = order + "&"
				}
				byNumber = append(byNumber, rowNames(c.get(fmt.Sprintf("/admin/admintest/product/%sp=%d", sep, p)).body)...)
			}
			if !slices.Equal(forwards, byNumber) || !slices.Equal(backwards, byNumber) {
				t.Errorf("order %q: forwards %v, backwards %v, by number %v", order, forwards, backwards, byNumber)
			}
		}
		// A key that is not one reads the page by number.
		body := c.get("/admin/admintest/product/?p=2&_after=nope").body
		if got, want := rowNames(body), rowNames(c.get("/admin/admintest/product/?p=2").body); !slices.Equal(got, want) {
			t.Errorf("a bad key shows %v, want page 2 by number %v", got, want)
		}
	})
}
