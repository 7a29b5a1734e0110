package shop_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// reportNow is the moment the sales reports are read at.
var reportNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// newOrder writes an order as it stands after checkout, dated at.
func newOrder(t *testing.T, ctx context.Context, c *shop.Customer, total string, status shop.OrderStatus, at time.Time) *shop.Order {
	t.Helper()
	o := shop.Orders.New()
	o.Customer.ID, o.Total, o.Status = c.ID, dec(total), status
	if err := shop.Orders.Save(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := shop.Orders.Objects().Filter(orm.Q{"pk": o.ID}).Update(ctx, orm.Values{"created_at": at}); err != nil {
		t.Fatal(err)
	}
	o.CreatedAt = at
	return o
}

func day(d int, hour, min int) time.Time {
	return time.Date(2026, 3, d, hour, min, 0, 0, time.UTC)
}

// salesData: five customers' orders around reportNow.
func salesData(t *testing.T, ctx context.Context) map[string]*shop.Customer {
	t.Helper()
	cs := map[string]*shop.Customer{}
	for _, name := range []string{"ann", "bob", "cy", "dee", "eve", "fay"} {
		cs[name] = newCustomer(t, ctx, name)
	}
	newOrder(t, ctx, cs["ann"], "100.00", shop.StatusPaid, day(8, 9, 0))
	newOrder(t, ctx, cs["ann"], "50.50", shop.StatusShipped, day(9, 17, 30))
	newOrder(t, ctx, cs["ann"], "500.00", shop.StatusCancelled, day(10, 8, 0))
	newOrder(t, ctx, cs["bob"], "200.00", shop.StatusPending, day(10, 10, 0))
	newOrder(t, ctx, cs["cy"], "75.25", shop.StatusPaid, day(5, 0, 0))
	newOrder(t, ctx, cs["cy"], "75.25", shop.StatusPaid, day(7, 23, 59))
	newOrder(t, ctx, cs["dee"], "999.00", shop.StatusCancelled, day(9, 12, 0))
	newOrder(t, ctx, cs["fay"], "1.00", shop.StatusPaid, day(3, 23, 59).Add(59*time.Second+999*time.Millisecond))
	newOrder(t, ctx, cs["fay"], "2.00", shop.StatusPaid, day(10, 23, 30))
	newOrder(t, ctx, cs["fay"], "4.00", shop.StatusPaid, day(11, 0, 0))
	return cs
}

func TestTopCustomers(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cs := salesData(t, ctx)
		var top []shop.TopCustomer
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			var err error
			if top, err = shop.TopCustomers(ctx, 10); err != nil {
				t.Fatal(err)
			}
		})
		var got []string
		for _, r := range top {
			got = append(got, fmt.Sprintf("%s/%d %s %d %s", r.Username, r.Customer.ID, r.TotalSpent.StringFixed(2), r.OrderCount,
				r.LastOrder.UTC().Format(time.DateTime)))
		}
		// Cancelled orders count for nobody (dee has only one); the tie of
		// ann and cy goes to the earlier customer; eve bought nothing.
		want := []string{
			fmt.Sprintf("bob/%d 200.00 1 2026-03-10 10:00:00", cs["bob"].ID),
			fmt.Sprintf("ann/%d 150.50 2 2026-03-09 17:30:00", cs["ann"].ID),
			fmt.Sprintf("cy/%d 150.50 2 2026-03-07 23:59:00", cs["cy"].ID),
			fmt.Sprintf("fay/%d 7.00 3 2026-03-11 00:00:00", cs["fay"].ID),
		}
		if !slices.Equal(got, want) {
			t.Fatalf("top customers:\n got %q\nwant %q", got, want)
		}
		top, err := shop.TopCustomers(ctx, 2)
		if err != nil || len(top) != 2 || top[1].Username != "ann" {
			t.Fatalf("top 2 = %+v, %v", top, err)
		}
	})
}

func TestSalesPerDay(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		salesData(t, ctx)
		days, err := shop.SalesPerDayAt(ctx, 7, reportNow)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range days {
			got = append(got, fmt.Sprintf("%s %d %s", d.Day.Format(time.DateOnly), d.Orders, d.Revenue.StringFixed(2)))
		}
		want := []string{
			"2026-03-04 0 0.00", // fay's order a millisecond before is out
			"2026-03-05 1 75.25",
			"2026-03-06 0 0.00",
			"2026-03-07 1 75.25",
			"2026-03-08 1 100.00",
			"2026-03-09 1 50.50",  // dee's cancelled order is out
			"2026-03-10 2 202.00", // not ann's cancelled one, nor fay's of tomorrow
		}
		if !slices.Equal(got, want) {
			t.Fatalf("sales per day:\n got %q\nwant %q", got, want)
		}
		if days, err := shop.SalesPerDay(ctx, 0); err != nil || len(days) != 0 {
			t.Fatalf("0 days = %v, %v", days, err)
		}
		today, err := shop.SalesPerDay(ctx, 1)
		if err != nil || len(today) != 1 || !today[0].Day.Equal(time.Now().UTC().Truncate(24*time.Hour)) {
			t.Fatalf("today = %+v, %v", today, err)
		}
	})
}

func TestLowStock(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		el := newCategory(t, ctx, "electronics", nil)
		phones := newCategory(t, ctx, "phones", el)
		android := newCategory(t, ctx, "android", phones)
		laptops := newCategory(t, ctx, "laptops", el)
		books := newCategory(t, ctx, "books", nil)
		reorder := func(n int32) func(*shop.Product) { return func(p *shop.Product) { p.ReorderLevel = n } }
		newProduct(t, ctx, android, "Android Phone", "300", "", 2, reorder(5))
		newProduct(t, ctx, phones, "Old Phone", "100", "", 5, reorder(5))
		newProduct(t, ctx, laptops, "Budget Laptop", "500", "", 0, reorder(3))
		newProduct(t, ctx, laptops, "Gaming Laptop", "1500", "", 1, reorder(10), func(p *shop.Product) { p.IsActive = false })
		newProduct(t, ctx, el, "Cable", "10", "", 9, reorder(10))
		newProduct(t, ctx, books, "Novel", "20", "", 1, reorder(4))
		cases := []struct {
			slug string
			want []string
		}{
			{"electronics", []string{"Budget Laptop 0<3 laptops", "Android Phone 2<5 android", "Cable 9<10 electronics"}},
			{"phones", []string{"Android Phone 2<5 android"}},
			{"", []string{"Budget Laptop 0<3 laptops", "Novel 1<4 books", "Android Phone 2<5 android", "Cable 9<10 electronics"}},
			{"garden", nil},
		}
		for _, tc := range cases {
			var got []string
			ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
				low, err := shop.LowStock(ctx, tc.slug)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range low {
					c, ok := p.Category.Cached()
					if !ok {
						t.Fatalf("%s: category not loaded", p.Name)
					}
					got = append(got, fmt.Sprintf("%s %d<%d %s", p.Name, p.Stock, p.ReorderLevel, c.Slug))
				}
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("LowStock(%q) = %q, want %q", tc.slug, got, tc.want)
			}
		}
	})
}
