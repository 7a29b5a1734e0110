package admin

import (
	"context"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// filterChoice is one choice of a sidebar filter as the page shows it.
type filterChoice struct {
	label, url string
	selected   bool
}

var (
	filterSectionRe = regexp.MustCompile(`(?s)<section class="filter"><h3>By ([^<]*)</h3><ul>(.*?)</ul></section>`)
	filterChoiceRe  = regexp.MustCompile(`(?s)<li( class="selected")?><a href="([^"]*)"[^>]*>([^<]*)</a></li>`)
)

// sidebar is the page's filters by title, each choice in order.
func sidebar(body string) map[string][]filterChoice {
	out := map[string][]filterChoice{}
	for _, sec := range filterSectionRe.FindAllStringSubmatch(body, -1) {
		var choices []filterChoice
		for _, m := range filterChoiceRe.FindAllStringSubmatch(sec[2], -1) {
			choices = append(choices, filterChoice{label: m[3], url: html.UnescapeString(m[2]), selected: m[1] != ""})
		}
		out[sec[1]] = choices
	}
	return out
}

// filterSite registers products with two filters of the admin's own
// beside field filters; seen records the values Queryset was called with.
func filterSite(seen *[]string) *Site {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{})
	Register(s, products, ModelAdmin[Product]{
		Options: Options{
			ListDisplay:  []string{"name", "price", "stock"},
			ListFilter:   []string{"is_active", "category"},
			SearchFields: []string{"name"},
			Filters: []SimpleFilter{
				{
					Title: "stock", ParameterName: "stocked",
					Lookups: StaticLookups(Choice{Value: "yes", Label: "In stock"}, Choice{Value: "no", Label: "Out of stock"}),
					Queryset: func(_ context.Context, qs orm.Manager, value string) (orm.Manager, error) {
						*seen = append(*seen, value)
						if value == "yes" {
							return qs.Filter(orm.Q{"stock__gt": 0}), nil
						}
						return qs.Filter(orm.Q{"stock": 0}), nil
					},
				},
				{
					Title: "price band", ParameterName: "band",
					Lookups: func(context.Context) ([]Choice, error) {
						return []Choice{{Value: "cheap", Label: "Under 5"}, {Value: "dear", Label: "5 and over"}}, nil
					},
					Queryset: func(_ context.Context, qs orm.Manager, value string) (orm.Manager, error) {
						*seen = append(*seen, value)
						if value == "cheap" {
							return qs.Filter(orm.Q{"price__lt": 5}), nil
						}
						return qs.Exclude(orm.Q{"price__lt": 5}), nil
					},
				},
			},
		},
		Actions: []Action[Product]{{Name: "deactivate", Label: "Deactivate selected products",
			Run: func(ctx context.Context, objs []*Product) (string, error) {
				for _, p := range objs {
					p.IsActive = false
					if err := products.Save(ctx, p, orm.UpdateFields("is_active")); err != nil {
						return "", err
					}
				}
				return fmt.Sprintf("%d products deactivated.", len(objs)), nil
			}}},
	})
	return s
}

func TestSimpleFilters(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		var seen []string
		w := siteEnv(t, v.ctx, filterSite(&seen))
		f := w.fixtures(8) // stock i, price i+1.50; odd ones are games
		c := w.as(w.user("root", true, true))
		list := "/admin/admintest/product/"

		// The sidebar: the field filters, then the admin's own, each with
		// "All" chosen; no Queryset has run.
		res := c.get(list)
		res.expect(t, http.StatusOK, "8 products")
		bar := sidebar(res.body)
		if got := slices.Sorted(maps.Keys(bar)); !slices.Equal(got, []string{"active", "category", "price band", "stock"}) {
			t.Fatalf("sidebar filters %v", got)
		}
		if i, j := strings.Index(res.body, "By category"), strings.Index(res.body, "By stock"); i < 0 || j < i {
			t.Error("the admin's own filters are not after the field filters")
		}
		want := []filterChoice{{"All", "?", true}, {"In stock", "?stocked=yes", false}, {"Out of stock", "?stocked=no", false}}
		if !slices.Equal(bar["stock"], want) {
			t.Fatalf("stock filter %+v, want %+v", bar["stock"], want)
		}
		if len(seen) != 0 {
			t.Fatalf("Queryset ran with nothing chosen: %v", seen)
		}

		// Choosing narrows the list to exactly the matching rows.
		cases := []struct {
			query string
			want  []string
		}{
			{"?stocked=no", []string{"Product 00"}},
			{"?stocked=yes", []string{"Product 01", "Product 02", "Product 03", "Product 04", "Product 05", "Product 06", "Product 07"}},
			{"?band=cheap", []string{"Product 00", "Product 01", "Product 02", "Product 03"}},
			{"?band=dear", []string{"Product 04", "Product 05", "Product 06", "Product 07"}},
			{"?stocked=yes&band=cheap", []string{"Product 01", "Product 02", "Product 03"}},
			{fmt.Sprintf("?stocked=yes&band=cheap&category__id__exact=%d", f.games.ID), []string{"Product 01", "Product 03"}},
			{"?stocked=yes&band=dear&q=product+06", []string{"Product 06"}},
		}
		for _, tc := range cases {
			res := c.get(list + tc.query)
			res.expect(t, http.StatusOK, "(8 total)")
			if got := rowNames(res.body); !slices.Equal(got, tc.want) {
				t.Errorf("%s: rows %v, want %v", tc.query, got, tc.want)
			}
		}

		// A choice's links keep the other parameters, and "All" drops only
		// its own; the chosen one is marked.
		res = c.get(list + fmt.Sprintf("?stocked=yes&category__id__exact=%d&o=2", f.games.ID))
		bar = sidebar(res.body)
		games := fmt.Sprint(f.games.ID)
		want = []filterChoice{
			{"All", "?category__id__exact=" + games + "&o=2", false},
			{"In stock", "?category__id__exact=" + games + "&o=2&stocked=yes", true},
			{"Out of stock", "?category__id__exact=" + games + "&o=2&stocked=no", false},
		}
		if !slices.Equal(bar["stock"], want) {
			t.Fatalf("stock filter with others chosen %+v, want %+v", bar["stock"], want)
		}
		if got := bar["price band"][1].url; got != "?band=cheap&category__id__exact="+games+"&o=2&stocked=yes" {
			t.Errorf("price band's link %q drops the other filters", got)
		}
		if got := bar["active"][1].url; got != "?category__id__exact="+games+"&is_active__exact=1&o=2&stocked=yes" {
			t.Errorf("a field filter's link %q drops the admin's filter", got)
		}
		res.expect(t, http.StatusOK, `name="stocked" value="yes"`) // kept by the search box

		// A value the filter does not offer is ignored, as a field
		// filter's bad value is: every row, "All" chosen, Queryset not
		// called, and the value not carried into links.
		seen = nil
		for _, bad := range []string{"?stocked=maybe", "?stocked=", "?band=YES&stocked=yes%00"} {
			res = c.get(list + bad)
			res.expect(t, http.StatusOK, "8 products")
			if strings.Contains(res.body, "total)") || strings.Contains(res.body, "maybe") {
				t.Errorf("%s: the bad value counts as a filter", bad)
			}
			if got := rowNames(res.body); len(got) != 8 {
				t.Errorf("%s: %d rows, want all 8", bad, len(got))
			}
			if bar := sidebar(res.body); !bar["stock"][0].selected || !bar["price band"][0].selected {
				t.Errorf("%s: All is not chosen: %+v", bad, bar)
			}
		}
		if len(seen) != 0 {
			t.Errorf("Queryset was called with values it does not offer: %q", seen)
		}

		// The export and the actions act on the filtered list.
		recs := c.get("/admin/admintest/product/export/?stocked=yes&band=cheap").records(t)
		if got := column(recs, 1); !slices.Equal(got, []string{"Product 01", "Product 02", "Product 03"}) {
			t.Errorf("export of the filtered list: %v", got)
		}
		c.post(list+"?band=dear", url.Values{"action": {"deactivate"}, "_selected_action": {fmt.Sprint(f.products[0].ID)},
			"select_across": {"1"}}).redirectsTo(t, list+"?band=dear")
		inactive, err := orm.Flat[string](w.ctx, products.Objects().Filter(orm.Q{"is_active": false}).OrderBy("name"), "name")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(inactive, []string{"Product 04", "Product 05", "Product 06", "Product 07"}) {
			t.Errorf("select across the filtered list deactivated %v", inactive)
		}
	})
}

// TestSimpleFilterQueries: the admin's own filters with static lookups
// cost no query of their own, and a page costs the same for 2 rows as
// for 10.
func TestSimpleFilterQueries(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		var seen []string
		w := siteEnv(t, v.ctx, filterSite(&seen))
		f := w.fixtures(2)
		c := w.as(w.user("root", true, true))
		counts := map[string]int{}
		for _, total := range []int{2, 10} {
			for i := len(f.products); i < total; i++ {
				p := products.New()
				p.Name, p.SKU, p.Slug = fmt.Sprintf("Product %02d", i), fmt.Sprintf("SKU-%02d", i), fmt.Sprintf("p-%d", i)
				p.Category.Set(f.games)
				p.Stock = 1
				if err := products.Save(w.ctx, p); err != nil {
					t.Fatal(err)
				}
				f.products = append(f.products, p)
			}
			for _, query := range []string{"?is_active__exact=1", "?is_active__exact=1&stocked=yes&band=cheap"} {
				counts[fmt.Sprint(query, total)] = w.queries(func() {
					c.get("/admin/admintest/product/"+query).expect(t, http.StatusOK, "Product 01")
				})
			}
		}
		plain, custom := counts["?is_active__exact=12"], counts["?is_active__exact=1&stocked=yes&band=cheap2"]
		if plain != custom || custom != counts["?is_active__exact=1&stocked=yes&band=cheap10"] || plain != counts["?is_active__exact=110"] {
			t.Fatalf("queries per change list page: %v", counts)
		}
	})
}

func TestRegisterRefusesBadFilters(t *testing.T) {
	ok := SimpleFilter{Title: "t", ParameterName: "p1", Lookups: StaticLookups(),
		Queryset: func(_ context.Context, qs orm.Manager, _ string) (orm.Manager, error) { return qs, nil }}
	with := func(edit func(*SimpleFilter)) []SimpleFilter {
		sf := ok
		edit(&sf)
		return []SimpleFilter{sf}
	}
	cases := []struct {
		name    string
		filters []SimpleFilter
		want    string
	}{
		{"no title", with(func(sf *SimpleFilter) { sf.Title = "" }), "needs a Title"},
		{"no lookups", with(func(sf *SimpleFilter) { sf.Lookups = nil }), "needs a Title, Lookups"},
		{"no queryset", with(func(sf *SimpleFilter) { sf.Queryset = nil }), "Queryset func"},
		{"no parameter", with(func(sf *SimpleFilter) { sf.ParameterName = "" }), "lower-case letters"},
		{"a field filter's parameter", with(func(sf *SimpleFilter) { sf.ParameterName = "is_active__exact" }), "single underscores"},
		{"upper case", with(func(sf *SimpleFilter) { sf.ParameterName = "Stock" }), "lower-case letters"},
		{"punctuation", with(func(sf *SimpleFilter) { sf.ParameterName = "a&b" }), "lower-case letters"},
		{"leading underscore", with(func(sf *SimpleFilter) { sf.ParameterName = "_selected_action" }), "starting with a letter"},
		{"search", with(func(sf *SimpleFilter) { sf.ParameterName = "q" }), "uses that parameter"},
		{"page", with(func(sf *SimpleFilter) { sf.ParameterName = "p" }), "uses that parameter"},
		{"show all", with(func(sf *SimpleFilter) { sf.ParameterName = "all" }), "uses that parameter"},
		{"an action's name", with(func(sf *SimpleFilter) { sf.ParameterName = "action" }), "uses that parameter"},
		{"select across", with(func(sf *SimpleFilter) { sf.ParameterName = "select_across" }), "uses that parameter"},
		{"delete confirmation", with(func(sf *SimpleFilter) { sf.ParameterName = "post" }), "uses that parameter"},
		{"twice", []SimpleFilter{ok, ok}, `two filters have the ParameterName "p1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %q, want one containing %q", msg, tc.want)
				}
			}()
			Register(NewSite(), products, ModelAdmin[Product]{Options: Options{Filters: tc.filters}})
		})
	}
}

// TestSimpleFilterMistakes: a filter whose lookups are unusable, or
// whose Queryset fails, is a server error naming the filter, not a
// silently unfiltered list.
func TestSimpleFilterMistakes(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		qs := func(_ context.Context, qs orm.Manager, _ string) (orm.Manager, error) { return nil, nil }
		cases := []struct {
			name  string
			sf    SimpleFilter
			query string
		}{
			{"empty value", SimpleFilter{Title: "t", ParameterName: "f", Lookups: StaticLookups(Choice{Value: "", Label: "None"}), Queryset: qs}, ""},
			{"repeated value", SimpleFilter{Title: "t", ParameterName: "f", Lookups: StaticLookups(Choice{"a", "A"}, Choice{"a", "B"}), Queryset: qs}, ""},
			{"no queryset returned", SimpleFilter{Title: "t", ParameterName: "f", Lookups: StaticLookups(Choice{"a", "A"}), Queryset: qs}, "?f=a"},
		}
		for i, tc := range cases {
			s := NewSite()
			Register(s, products, ModelAdmin[Product]{Options: Options{Filters: []SimpleFilter{tc.sf}}})
			w := siteEnv(t, v.ctx, s)
			c := w.as(w.user(fmt.Sprint("root", i), true, true))
			if res := c.get("/admin/admintest/product/" + tc.query); res.StatusCode != http.StatusInternalServerError {
				t.Errorf("%s: status %d, want 500", tc.name, res.StatusCode)
			}
		}
	})
}
