package shop_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/internal/webtest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

var (
	productRowRe  = regexp.MustCompile(`href="/admin/shop/product/\d+/change/">([^<]+)</a>`)
	filterBlockRe = regexp.MustCompile(`(?s)<h3>By ([^<]*)</h3><ul>(.*?)</ul>`)
	filterLinkRe  = regexp.MustCompile(`(?s)<li( class="selected")?><a href="([^"]*)"[^>]*>([^<]*)</a></li>`)
)

// observed is c's browser on a second server over the same admin site,
// one that counts the statements its requests run into n.
func observed(t *testing.T, ctx context.Context, c *adminClient, n *int) *adminClient {
	t.Helper()
	srv := echo.New()
	srv.HTTPErrorHandler = webtest.ErrorHandler
	db := orm.FromContext(ctx)
	srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			rctx := orm.Observe(orm.WithDB(ec.Request().Context(), db), func(orm.QueryEvent) { *n++ })
			ec.SetRequest(ec.Request().WithContext(rctx))
			return next(ec)
		}
	})
	admin.Default.Mount(srv)
	return &adminClient{t: t, srv: srv, cookies: c.cookies}
}

// page fetches a change list and returns its rows' names and its
// sidebar: per filter title, the choices as "label=url", the chosen one
// starred.
func (c *adminClient) page(path string) ([]string, map[string][]string) {
	c.t.Helper()
	status, body, _ := c.do(httptest.NewRequest(http.MethodGet, path, nil))
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	var rows []string
	for _, m := range productRowRe.FindAllStringSubmatch(body, -1) {
		rows = append(rows, m[1])
	}
	bar := map[string][]string{}
	for _, blk := range filterBlockRe.FindAllStringSubmatch(body, -1) {
		for _, m := range filterLinkRe.FindAllStringSubmatch(blk[2], -1) {
			choice := m[3] + "=" + html.UnescapeString(m[2])
			if m[1] != "" {
				choice = "*" + choice
			}
			bar[blk[1]] = append(bar[blk[1]], choice)
		}
	}
	return rows, bar
}

func TestProductAdminFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		el := newCategory(t, ctx, "electronics", nil)
		home := newCategory(t, ctx, "home", nil)
		reorder := func(n int32) func(*shop.Product) { return func(p *shop.Product) { p.ReorderLevel = n } }
		// On sale: a sale price below the list price. Low: stock below the
		// reorder level.
		newProduct(t, ctx, el, "Pocket Phone", "300", "250", 2, reorder(5)) // on sale, low, in stock
		newProduct(t, ctx, el, "Long Cable", "10", "", 50, reorder(10))     // in stock
		newProduct(t, ctx, el, "Old Radio", "40", "40", 0, reorder(10))     // sale = price: not on sale; low, out
		newProduct(t, ctx, home, "Desk Lamp", "25", "30", 10, reorder(10))  // sale above price; at the level: not low
		newProduct(t, ctx, home, "Fan", "20", "15", 0, reorder(0))          // on sale; out, but not below a level of 0
		list := "/admin/shop/product/"

		rows, bar := c.page(list)
		if want := []string{"Desk Lamp", "Fan", "Long Cable", "Old Radio", "Pocket Phone"}; !slices.Equal(rows, want) {
			t.Fatalf("rows %v, want %v", rows, want)
		}
		wantBar := map[string][]string{
			"on sale": {"*All=?", "Yes=?on_sale=yes", "No=?on_sale=no"},
			"stock":   {"*All=?", "Below reorder level=?stock=low", "Out of stock=?stock=out", "In stock=?stock=in"},
		}
		for title, want := range wantBar {
			if !slices.Equal(bar[title], want) {
				t.Errorf("filter %q: %q, want %q", title, bar[title], want)
			}
		}
		for _, title := range []string{"category", "active", "created at"} {
			if len(bar[title]) == 0 {
				t.Errorf("the field filter %q is gone from the sidebar", title)
			}
		}

		cases := []struct {
			query string
			want  []string
		}{
			{"?on_sale=yes", []string{"Fan", "Pocket Phone"}},
			{"?on_sale=no", []string{"Desk Lamp", "Long Cable", "Old Radio"}},
			{"?stock=low", []string{"Old Radio", "Pocket Phone"}},
			{"?stock=out", []string{"Fan", "Old Radio"}},
			{"?stock=in", []string{"Desk Lamp", "Long Cable", "Pocket Phone"}},
			{"?on_sale=yes&stock=out", []string{"Fan"}},
			{"?on_sale=no&stock=low", []string{"Old Radio"}},
			{fmt.Sprintf("?stock=in&category__id__exact=%d", el.ID), []string{"Long Cable", "Pocket Phone"}},
			{"?on_sale=yes&q=phone", []string{"Pocket Phone"}},
			// A value the filters do not offer is ignored: every row.
			{"?on_sale=maybe&stock=LOW", []string{"Desk Lamp", "Fan", "Long Cable", "Old Radio", "Pocket Phone"}},
		}
		for _, tc := range cases {
			if rows, _ := c.page(list + tc.query); !slices.Equal(rows, tc.want) {
				t.Errorf("%s: rows %v, want %v", tc.query, rows, tc.want)
			}
		}
		_, bar = c.page(list + "?on_sale=maybe&stock=LOW")
		if bar["on sale"][0] != "*All=?" || bar["stock"][0] != "*All=?" {
			t.Errorf("with unknown values All is not chosen: %q", bar)
		}

		// A choice keeps the other parameters; the chosen one is starred.
		_, bar = c.page(fmt.Sprintf("%s?category__id__exact=%d&stock=low&o=2", list, el.ID))
		cat := fmt.Sprint(el.ID)
		want := []string{"*All=?category__id__exact=" + cat + "&o=2&stock=low", "Yes=?category__id__exact=" + cat + "&o=2&on_sale=yes&stock=low",
			"No=?category__id__exact=" + cat + "&o=2&on_sale=no&stock=low"}
		if !slices.Equal(bar["on sale"], want) {
			t.Errorf("on sale links %q, want %q", bar["on sale"], want)
		}
		if got := bar["stock"][1]; got != "*Below reorder level=?category__id__exact="+cat+"&o=2&stock=low" {
			t.Errorf("the chosen stock link is %q", got)
		}

		// The filters add no query: a filtered page costs what a page
		// filtered by a field does, whatever the number of rows.
		n := 0
		obs := observed(t, ctx, c, &n)
		costs := map[string]int{}
		for round, extra := range []int{0, 6} {
			for i := range extra {
				newProduct(t, ctx, el, fmt.Sprintf("Spare Part %d", i), "5", "4", 1, reorder(3))
			}
			for _, q := range []string{"?is_active__exact=1", "?on_sale=yes&stock=low", "?on_sale=no&stock=in&is_active__exact=1"} {
				n = 0
				obs.page(list + q)
				costs[fmt.Sprint(round, q)] = n
			}
		}
		base := costs["0?is_active__exact=1"]
		for _, got := range costs {
			if got != base {
				t.Fatalf("queries per change list page differ: %v", costs)
			}
		}
		want = []string{"Pocket Phone", "Spare Part 0", "Spare Part 1", "Spare Part 2", "Spare Part 3", "Spare Part 4", "Spare Part 5"}
		if rows, _ := c.page(list + "?on_sale=yes&stock=low"); !slices.Equal(rows, want) {
			t.Errorf("on sale and low: rows %v, want %v", rows, want)
		}
	})
}
