package shop_test

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

func TestSeedIsIdempotent(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		var calls, last, total int
		opts := shop.SeedOptions{Products: 45, Customers: 4, Orders: 12, Reviews: 6, Progress: func(done, n int) {
			if done < last || done > n {
				t.Fatalf("progress went %d → %d of %d", last, done, n)
			}
			calls, last, total = calls+1, done, n
		}}
		rep, err := shop.Seed(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := shop.SeedReport{Categories: 15, Products: 45, Customers: 4, Orders: 12, Reviews: 6}
		if rep != want {
			t.Fatalf("first run = %+v, want %+v", rep, want)
		}
		if last != total || total != 15+45+4+12+6 || calls < 5 {
			t.Fatalf("progress ended at %d of %d after %d calls", last, total, calls)
		}
		counts := func() [6]int64 {
			return [6]int64{count(t, ctx, shop.Categories), count(t, ctx, shop.Products), count(t, ctx, shop.Customers),
				count(t, ctx, shop.Orders), count(t, ctx, shop.OrderItems), count(t, ctx, shop.Reviews)}
		}
		before := counts()

		// The catalog has what the demo and the reports need.
		sub, err := shop.Categories.Objects().Filter(orm.Q{"parent__parent__slug": "electronics"}).Count(ctx)
		if err != nil || sub != 4 {
			t.Fatalf("electronics' grandchildren = %d, %v", sub, err)
		}
		for name, qs := range map[string]shop.ProductQS{
			"on sale":            shop.ProductObjects().OnSale(),
			"electronics":        shop.ProductObjects().ByCategorySlug("electronics").InStock(),
			"low on stock":       shop.ProductObjects().Filter(orm.Q{"stock__lt": orm.F("reorder_level")}),
			"inactive":           shop.ProductObjects().Filter(orm.Q{"is_active": false}),
			"rated from reviews": shop.ProductObjects().Filter(orm.Q{"average_rating__gt": 0}),
		} {
			if ok, err := qs.Exists(ctx); err != nil || !ok {
				t.Errorf("no product %s (%v)", name, err)
			}
		}
		if low, err := shop.LowStock(ctx, "electronics"); err != nil || len(low) == 0 {
			t.Errorf("no low stock in electronics: %v", err)
		}
		if top, err := shop.TopCustomers(ctx, 3); err != nil || len(top) != 3 {
			t.Errorf("top customers = %d, %v", len(top), err)
		}

		last = 0
		rep, err = shop.Seed(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if rep != (shop.SeedReport{}) {
			t.Fatalf("second run created %+v, want nothing", rep)
		}
		if after := counts(); after != before {
			t.Fatalf("second run changed the counts %v → %v", before, after)
		}

		opts.Products, last = 50, 0
		if rep, err = shop.Seed(ctx, opts); err != nil || rep != (shop.SeedReport{Products: 5}) {
			t.Fatalf("a larger run created %+v, %v; want 5 products", rep, err)
		}
	})
}

func TestSeedCustomersCanSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		if _, err := shop.Seed(ctx, shop.SeedOptions{Products: -1, Customers: 1, Orders: -1, Reviews: -1, Password: "demo password"}); err != nil {
			t.Fatal(err)
		}
		u, err := auth.Users.Objects().Get(ctx, orm.Q{"username": "shopper001"})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := auth.CheckPassword(ctx, u, "demo password"); err != nil || !ok {
			t.Fatalf("password check = %v, %v", ok, err)
		}
		if n := count(t, ctx, shop.Products); n != 0 {
			t.Fatalf("%d products, want none", n)
		}
	})
}

// seededOrder is what a seeded order shows of itself.
type seededOrder struct {
	customer  int64
	createdAt time.Time
	status    shop.OrderStatus
	total     string
}

func seededOrders(t *testing.T, ctx context.Context) map[uuid.UUID]seededOrder {
	t.Helper()
	orders, err := shop.Orders.Objects().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[uuid.UUID]seededOrder, len(orders))
	for _, o := range orders {
		if o.CheckoutKey == nil {
			t.Fatalf("seeded order %s has no checkout key", o.Number)
		}
		out[*o.CheckoutKey] = seededOrder{o.Customer.ID, o.CreatedAt.UTC(), o.Status, o.Total.StringFixed(2)}
	}
	return out
}

// TestSeedWithOtherCounts: the customer of the n-th order depends on how
// many customers there are, so a run with more of them must keep the
// orders already placed, not place them again for someone else.
func TestSeedWithOtherCounts(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		opts := shop.SeedOptions{Products: 45, Customers: 3, Orders: 8, Reviews: 4}
		if rep, err := shop.Seed(ctx, opts); err != nil || rep.Orders != 8 {
			t.Fatalf("first run = %+v, %v", rep, err)
		}
		first := seededOrders(t, ctx)

		opts.Customers, opts.Orders, opts.Reviews = 5, 14, 6
		rep, err := shop.Seed(ctx, opts)
		if err != nil {
			t.Fatalf("a run with more customers: %v", err)
		}
		if rep.Customers != 2 || rep.Orders != 6 || rep.Products != 0 {
			t.Fatalf("a run with more customers created %+v, want 2 customers and 6 orders", rep)
		}
		second := seededOrders(t, ctx)
		if len(second) != 14 {
			t.Fatalf("%d orders, want 14", len(second))
		}
		for key, was := range first {
			if now := second[key]; now != was {
				t.Fatalf("order %s was %+v, now %+v", key, was, now)
			}
		}
		customers := map[int64]bool{}
		for _, o := range second {
			customers[o.customer] = true
		}
		if len(customers) != 5 {
			t.Fatalf("the orders are of %d customers, want 5", len(customers))
		}

		before := [3]int64{count(t, ctx, shop.Orders), count(t, ctx, shop.OrderItems), count(t, ctx, shop.Reviews)}
		if rep, err := shop.Seed(ctx, opts); err != nil || rep != (shop.SeedReport{}) {
			t.Fatalf("the same run again created %+v, %v; want nothing", rep, err)
		}
		if after := [3]int64{count(t, ctx, shop.Orders), count(t, ctx, shop.OrderItems), count(t, ctx, shop.Reviews)}; after != before {
			t.Fatalf("the same run again changed the counts %v → %v", before, after)
		}
		if third := seededOrders(t, ctx); !maps.Equal(third, second) {
			t.Fatalf("the same run again changed the orders:\n%v\n%v", second, third)
		}
	})
}

// TestSeedPlacesOrdersQuietly: the default confirmation is a log line per
// order, noise for demo data.
func TestSeedPlacesOrdersQuietly(t *testing.T) {
	var logged bytes.Buffer
	// SetDefault also sends the log package to the new handler, and putting
	// the old logger back does not undo that.
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	t.Cleanup(func() {
		slog.SetDefault(prev)
		log.SetOutput(prevOut)
		log.SetFlags(prevFlags)
	})
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	eachDB(t, func(t *testing.T, ctx context.Context) {
		logged.Reset()
		if rep, err := shop.Seed(ctx, shop.SeedOptions{Products: 20, Customers: 2, Orders: 5, Reviews: -1}); err != nil || rep.Orders != 5 {
			t.Fatalf("seed = %+v, %v", rep, err)
		}
		if strings.Contains(logged.String(), "order placed") {
			t.Fatalf("seeding logged its orders:\n%s", logged.String())
		}
		// The log is the one the confirmations would have gone to.
		ann := newCustomer(t, ctx, "ann")
		p := newProduct(t, ctx, newCategory(t, ctx, "misc", nil), "Spoon", "2", "", 3)
		if _, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{p.ID, 1}}, shop.Checkout{}); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(logged.String(), "order placed"); n != 1 {
			t.Fatalf("an order placed outside seeding logged %d lines, want 1:\n%s", n, logged.String())
		}
	})
}

// The demo's cancelled orders put their stock back, as CancelOrder does,
// and nobody reviews what they only ordered in a cancelled order.
func TestSeedCancelsAsTheShopDoes(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		if _, err := shop.Seed(ctx, shop.SeedOptions{Products: 20, Customers: 4, Orders: 24, Reviews: 12}); err != nil {
			t.Fatal(err)
		}
		cancelled, err := shop.Orders.Objects().Filter(orm.Q{"status": shop.StatusCancelled}).Count(ctx)
		if err != nil || cancelled == 0 {
			t.Fatalf("%d cancelled demo orders, %v; want some", cancelled, err)
		}
		// Every product's stock plus what live orders took is the stock it
		// was seeded with (the demo's formula, by the number its slug
		// ends in).
		products, err := shop.Products.Objects().OrderBy("pk").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		items, err := shop.OrderItems.Objects().SelectRelated("order").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		taken := map[int64]int32{}
		for _, it := range items {
			if o, _ := it.Order.Get(ctx); o.Status != shop.StatusCancelled {
				taken[it.Product.ID] += it.Quantity
			}
		}
		reviews, err := shop.Reviews.Objects().All(ctx)
		if err != nil || len(reviews) == 0 {
			t.Fatalf("%d reviews, %v", len(reviews), err)
		}
		for _, r := range reviews {
			live, err := shop.OrderItems.Objects().Filter(orm.Q{"product": r.Product.ID, "order__customer": r.Customer.ID}).
				Exclude(orm.Q{"order__status": shop.StatusCancelled}).Exists(ctx)
			if err != nil || !live {
				t.Fatalf("review %d of product %d by customer %d has no live order behind it (%v)", r.ID, r.Product.ID, r.Customer.ID, err)
			}
		}
		for _, p := range products {
			i, err := strconv.Atoi(p.Slug[strings.LastIndex(p.Slug, "-")+1:])
			if err != nil {
				t.Fatal(err)
			}
			seeded := int32(50 + (i*13)%200)
			if i%7 == 3 {
				seeded = int32(i % 10)
			}
			if p.Stock+taken[p.ID] != seeded {
				t.Errorf("%s: stock %d + %d in live orders, want the %d seeded", p.Name, p.Stock, taken[p.ID], seeded)
			}
		}
	})
}
