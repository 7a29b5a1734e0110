package shop_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// queries fetches path as b, wants a 200 page containing every string in
// want, and returns the statements it ran.
func (b *browser) queries(path string, want ...string) (int, []string) {
	t := b.sf.t
	t.Helper()
	qctx, counter := orm.CountQueries(b.sf.ctx)
	b.in(qctx).get(path).expect(t, http.StatusOK, want...)
	return counter.Count(), counter.Queries()
}

// sameQueries fails unless small's page and large's, the same page with
// few and with many rows, run as many statements: a query per row would
// show as a difference.
func sameQueries(t *testing.T, small *browser, smallPath string, large *browser, largePath string, want ...string) {
	t.Helper()
	n, qs := small.queries(smallPath, want...)
	m, qm := large.queries(largePath, want...)
	if n != m {
		t.Fatalf("%s ran %d statements with few rows, %s ran %d with many:\n  %s\n---\n  %s", smallPath, n, largePath, m,
			strings.Join(qs, "\n  "), strings.Join(qm, "\n  "))
	}
	t.Logf("%s and %s: %d statements each", smallPath, largePath, n)
}

// TestStorefrontQueriesDoNotGrow: every storefront page runs as many
// statements for a large catalogue, cart, order history or order as for
// a small one.
func TestStorefrontQueriesDoNotGrow(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann, bob := newCustomer(t, sf.ctx, "ann"), newCustomer(t, sf.ctx, "bob")
		anon, a, b := sf.anonymous(), sf.as(ann), sf.as(bob)
		before := map[string][2]int{}
		for _, path := range []string{"/", "/products/", "/products/?category=phones&sort=-price"} {
			n, _ := anon.queries(path)
			m, _ := a.queries(path)
			before[path] = [2]int{n, m}
		}

		var items []*shop.Product
		for i := range 50 {
			items = append(items, newProduct(t, sf.ctx, s.phones, fmt.Sprintf("Item %02d", i), "2.00", "", 100))
		}
		for path, was := range before {
			for i, br := range []*browser{anon, a} {
				if n, qs := br.queries(path, "Item"); n != was[i] {
					t.Fatalf("%s ran %d statements with 5 products and %d with 55:\n  %s", path, was[i], n, strings.Join(qs, "\n  "))
				}
			}
		}

		// A product with 2 reviews, one with 21 and one with 50. Past the
		// 20 it shows, the page counts them: one statement more, however
		// many there are.
		newReview(t, sf.ctx, items[0], ann, 4, true)
		newReview(t, sf.ctx, items[0], bob, 5, true)
		for i := range 50 {
			cu := newCustomer(t, sf.ctx, fmt.Sprintf("reviewer%02d", i))
			newReview(t, sf.ctx, items[1], cu, 3, true)
			if i <= 20 {
				newReview(t, sf.ctx, items[2], cu, 3, true)
			}
		}
		for _, br := range []*browser{anon, sf.as(newCustomer(t, sf.ctx, "carol"))} {
			sameQueries(t, br, "/products/item-02/", br, "/products/item-01/", "reviewer")
			few, _ := br.queries("/products/item-00/", "ann", "bob")
			if many, _ := br.queries("/products/item-01/"); many != few+1 {
				t.Fatalf("a product page ran %d statements with 2 reviews and %d with 50", few, many)
			}
		}

		// A cart of 1 line and one of 20.
		a.post("/cart/add/", form("product", id(items[0]), "quantity", "1")).redirectsTo(t, "/cart/")
		for _, p := range items[:20] {
			b.post("/cart/add/", form("product", id(p), "quantity", "1")).redirectsTo(t, "/cart/")
		}
		sameQueries(t, a, "/cart/", b, "/cart/", "Item 00")
		sameQueries(t, a, "/checkout/", b, "/checkout/", "Item 00")

		// 2 orders of 2 items against 30 orders, one of 30 items.
		small := buy(t, sf.ctx, ann, items[:2]...)
		buy(t, sf.ctx, ann, items[2:4]...)
		large := buy(t, sf.ctx, bob, items[:30]...)
		for range 29 {
			buy(t, sf.ctx, bob, items[40])
		}
		sameQueries(t, a, "/orders/", b, "/orders/", "Order")
		sameQueries(t, a, "/orders/"+small.Number.String()+"/", b, "/orders/"+large.Number.String()+"/", "Item 01")
	})
}
