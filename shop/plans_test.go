package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// TestListPlansUseIndexes seeds a catalog big enough for the planner to
// prefer an index where one serves, analyses it, and holds every
// statement the list pages run on the products table to plans that
// neither read the whole table nor sort it: each storefront sort and
// filter, and the admin's change list sorted by each column, filtered,
// and at its last page.
func TestListPlansUseIndexes(t *testing.T) {
	ormtest.Each(t, shopModels(), testListPlans)
}

func testListPlans(t *testing.T, ctx context.Context) {
	if _, err := shop.Seed(ctx, shop.SeedOptions{Products: 20000, Customers: 5, Orders: 10, Reviews: 5}); err != nil {
		t.Fatal(err)
	}
	if err := orm.Analyze(ctx, shopModels()...); err != nil {
		t.Fatal(err)
	}
	cat, err := shop.Categories.Objects().Filter(orm.Q{"parent__isnull": false}).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sf := newStorefront(t, ctx)
	admin := newAdminClient(t, ctx)

	var mu sync.Mutex
	var stmts []orm.QueryEvent
	observed := orm.Observe(ctx, func(ev orm.QueryEvent) {
		// The rows a page shows; counts are bounded or estimated by
		// design, and the admin counts tables under its threshold exactly.
		if strings.Contains(ev.SQL, `FROM "shop_product"`) && strings.HasPrefix(ev.SQL, "SELECT") &&
			!strings.HasPrefix(ev.SQL, "SELECT COUNT(") {
			mu.Lock()
			stmts = append(stmts, ev)
			mu.Unlock()
		}
	})
	pages := []string{"/", "/products/", "/products/?page=1000", "/products/?category=" + cat.Slug,
		"/products/?in_stock=1", "/products/?on_sale=1"}
	for _, sort := range []string{"price", "-price", "rating", "newest"} {
		pages = append(pages, "/products/?sort="+sort, "/products/?sort="+sort+"&page=900")
	}
	// Next links, deep in the list: the page is sought from the row the
	// link names, in no more than a page's reading.
	mid, err := shop.Products.Objects().Filter(orm.Q{"is_active": true}).OrderBy("pk").Offset(10000).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sought := []string{"/products/?page=800&after=" + id(mid)}
	for _, sort := range []string{"rating", "newest"} {
		sought = append(sought, "/products/?sort="+sort+"&page=800&after="+id(mid), "/products/?sort="+sort+"&page=800&before="+id(mid))
	}
	pages = append(pages, sought...)
	for _, path := range pages {
		sf.anonymous().in(observed).get(path).expect(t, http.StatusOK)
	}
	for _, path := range sought {
		var offsets []string
		seen := orm.Observe(ctx, func(ev orm.QueryEvent) {
			if strings.Contains(ev.SQL, "OFFSET") {
				offsets = append(offsets, ev.SQL)
			}
		})
		sf.anonymous().in(seen).get(path).expect(t, http.StatusOK)
		if len(offsets) > 0 {
			t.Errorf("%s skips rows: %s", path, offsets)
		}
	}
	list := "/admin/shop/product/"
	adminPages := []string{list, list + "?p=200", list + "?is_active__exact=1", list + "?stock=low",
		list + fmt.Sprintf("?category__id__exact=%d", cat.ID), list + "?created_at__year=2026"}
	for col := 1; col <= 10; col++ {
		adminPages = append(adminPages, fmt.Sprintf("%s?o=%d", list, col), fmt.Sprintf("%s?o=-%d&p=150", list, col),
			fmt.Sprintf("%s?o=%d&p=90&_after=%d", list, col, mid.ID))
	}
	for _, path := range adminPages {
		req := httptest.NewRequestWithContext(observed, http.MethodGet, path, nil)
		if status, body, _ := admin.do(req); status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, status, body)
		}
	}
	if len(stmts) < len(pages) {
		t.Fatalf("only %d statements on the products table", len(stmts))
	}
	sqlite := orm.FromContext(ctx).Vendor() == "sqlite"
	for _, ev := range stmts {
		plan := explain(t, ctx, ev, sqlite)
		for _, line := range strings.Split(plan, "\n") {
			line = strings.TrimLeft(strings.TrimSpace(line), "-> ")
			whole := strings.HasPrefix(line, "Seq Scan on shop_product") || strings.HasPrefix(line, "Sort ")
			if sqlite {
				whole = line == "SCAN shop_product" || strings.HasPrefix(line, "USE TEMP B-TREE FOR ORDER BY")
			}
			if whole {
				t.Errorf("%s\nreads or sorts the whole table:\n%s", ev.SQL, plan)
				break
			}
		}
	}
}

// explain is the plan of ev's statement, a line per step: PostgreSQL's
// EXPLAIN, or the detail column of SQLite's EXPLAIN QUERY PLAN.
func explain(t *testing.T, ctx context.Context, ev orm.QueryEvent, sqlite bool) string {
	t.Helper()
	prefix := "EXPLAIN "
	if sqlite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := orm.Query(ctx, prefix+ev.SQL, ev.Args...)
	if err != nil {
		t.Fatalf("%s%s: %v", prefix, ev.SQL, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n")
}
