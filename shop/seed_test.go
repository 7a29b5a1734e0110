package shop_test

import (
	"context"
	"testing"

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
