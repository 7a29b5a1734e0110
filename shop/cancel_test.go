package shop_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

func TestCancelOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "tools", nil)
		a := newProduct(t, ctx, cat, "Wrench", "12", "", 10)
		b := newProduct(t, ctx, cat, "Pliers", "8", "6", 5)
		buyer := newCustomer(t, ctx, "ann")
		o := place(t, ctx, buyer, shop.CartLine{ProductID: b.ID, Quantity: 2}, shop.CartLine{ProductID: a.ID, Quantity: 3})
		if stockOf(t, ctx, a.ID) != 7 || stockOf(t, ctx, b.ID) != 3 {
			t.Fatal("PlaceOrder did not take the stock")
		}
		stale := *o // as a page loaded before the cancellation holds it

		if err := shop.CancelOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
		if o.Status != shop.StatusCancelled || stockOf(t, ctx, a.ID) != 10 || stockOf(t, ctx, b.ID) != 5 {
			t.Fatalf("after CancelOrder: status %s, stocks %d, %d; want cancelled, 10, 5", o.Status, stockOf(t, ctx, a.ID), stockOf(t, ctx, b.ID))
		}
		got, err := shop.Orders.Objects().Get(ctx, orm.Q{"pk": o.ID})
		if err != nil || got.Status != shop.StatusCancelled {
			t.Fatalf("stored order %+v, %v", got, err)
		}

		// Again, and again from a copy that still says pending: the stored
		// status decides, and no stock comes back twice.
		for _, again := range []*shop.Order{o, &stale} {
			if err := shop.CancelOrder(ctx, again); err != nil {
				t.Fatal(err)
			}
			if stockOf(t, ctx, a.ID) != 10 || stockOf(t, ctx, b.ID) != 5 {
				t.Fatalf("cancelling twice restocked twice: %d, %d", stockOf(t, ctx, a.ID), stockOf(t, ctx, b.ID))
			}
		}

		// The stock comes back with F(): onto what it is now, not what it
		// was when the order was placed.
		o2 := place(t, ctx, buyer, shop.CartLine{ProductID: a.ID, Quantity: 4})
		if _, err := shop.Products.Objects().Filter(orm.Q{"pk": a.ID}).Update(ctx, orm.Values{"stock": 100}); err != nil {
			t.Fatal(err)
		}
		if err := shop.CancelOrder(ctx, o2); err != nil {
			t.Fatal(err)
		}
		if s := stockOf(t, ctx, a.ID); s != 104 {
			t.Fatalf("stock %d after cancelling onto 100, want 104", s)
		}

		// A shipped order is refused, and nothing changes.
		o3 := place(t, ctx, buyer, shop.CartLine{ProductID: b.ID, Quantity: 1})
		setStatus(t, ctx, o3, shop.StatusShipped)
		before := orderState(t, ctx)
		err = shop.CancelOrder(ctx, o3)
		var se *shop.ShippedError
		if !errors.Is(err, shop.ErrOrderShipped) || !errors.As(err, &se) || len(se.Orders) != 1 || se.Orders[0].ID != o3.ID {
			t.Fatalf("cancelling a shipped order: %v", err)
		}
		if o3.Status != shop.StatusShipped || orderState(t, ctx) != before {
			t.Fatalf("a refused cancellation changed something: %s, was %s", orderState(t, ctx), before)
		}

		if err := shop.CancelOrder(ctx, &shop.Order{}); err == nil {
			t.Fatal("an unsaved order was cancelled")
		}
		gone := &shop.Order{ID: o3.ID + 1000}
		if err := shop.CancelOrder(ctx, gone); !errors.Is(err, orm.ErrDoesNotExist) {
			t.Fatalf("cancelling a missing order: %v", err)
		}
	})
}

// TestCancelOrderRaces: every order cancelled twice at once while new
// orders take the same products in the other order. Each cancellation
// returns its stock once, and nothing deadlocks.
func TestCancelOrderRaces(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "tools", nil)
		a := newProduct(t, ctx, cat, "Wrench", "12", "", 100)
		b := newProduct(t, ctx, cat, "Pliers", "8", "", 100)
		buyer := newCustomer(t, ctx, "ann")
		var orders []*shop.Order
		for range 5 {
			orders = append(orders, place(t, ctx, buyer, shop.CartLine{ProductID: a.ID, Quantity: 1}, shop.CartLine{ProductID: b.ID, Quantity: 2}))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for _, o := range orders {
			for range 2 {
				mine := *o
				wg.Go(func() { errs <- shop.CancelOrder(ctx, &mine) })
			}
		}
		for range 10 {
			wg.Go(func() {
				_, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{ProductID: b.ID, Quantity: 1}, {ProductID: a.ID, Quantity: 1}}, shop.Checkout{})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if sa, sb := stockOf(t, ctx, a.ID), stockOf(t, ctx, b.ID); sa != 90 || sb != 90 {
			t.Fatalf("stocks %d, %d; want 90, 90 (the 10 new orders' units gone, the 5 cancelled ones' back once)", sa, sb)
		}
	})
}
