package shop_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// confirmations records the orders confirmed, and whether a confirmation
// arrived inside a transaction (it must not).
type confirmations struct {
	mu      sync.Mutex
	numbers []uuid.UUID
	inTx    bool
}

func (c *confirmations) ConfirmOrder(ctx context.Context, o *shop.Order, items []*shop.OrderItem) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.numbers = append(c.numbers, o.Number)
	c.inTx = c.inTx || orm.InTransaction(ctx)
	return nil
}

func (c *confirmations) sent() []uuid.UUID {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.numbers)
}

func withConfirmations(ctx context.Context) (context.Context, *confirmations) {
	c := &confirmations{}
	return shop.WithConfirmer(ctx, c), c
}

func TestPlaceOrder(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "tools", nil)
		hammer := newProduct(t, ctx, cat, "Hammer", "19.99", "", 10)
		nails := newProduct(t, ctx, cat, "Nails", "5.00", "3.35", 4)
		saw := newProduct(t, ctx, cat, "Saw", "30.00", "31.00", 1) // a "sale" above the price is no sale
		buyer := newCustomer(t, ctx, "ann")

		cart := []shop.CartLine{{nails.ID, 2}, {hammer.ID, 3}, {saw.ID, 1}, {hammer.ID, 1}, {saw.ID, 0}}
		o, err := shop.PlaceOrder(ctx, buyer, cart, shop.Checkout{ShippingAddress: "1 Main St"})
		if err != nil {
			t.Fatal(err)
		}
		// 4 × 19.99 + 2 × 3.35 + 1 × 30.00
		if want := dec("116.66"); !o.Total.Equal(want) {
			t.Fatalf("total = %s, want %s", o.Total, want)
		}
		got, err := shop.Orders.Objects().Get(ctx, orm.Q{"pk": o.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Total.StringFixed(2) != "116.66" || got.Status != shop.StatusPending || got.Customer.ID != buyer.ID ||
			got.ShippingAddress != "1 Main St" || got.CheckoutKey != nil || got.Number == uuid.Nil || got.Number != o.Number {
			t.Fatalf("stored order = %+v", got)
		}
		items, err := shop.OrderItems.Objects().Filter(orm.Q{"order": o.ID}).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, it := range items {
			lines = append(lines, fmt.Sprintf("%d×%d@%s", it.Product.ID, it.Quantity, it.UnitPrice.StringFixed(2)))
		}
		want := []string{
			fmt.Sprintf("%d×4@19.99", hammer.ID),
			fmt.Sprintf("%d×2@3.35", nails.ID),
			fmt.Sprintf("%d×1@30.00", saw.ID),
		}
		if !slices.Equal(lines, want) {
			t.Fatalf("items = %q, want %q", lines, want)
		}
		for p, stock := range map[*shop.Product]int32{hammer: 6, nails: 2, saw: 0} {
			if got := stockOf(t, ctx, p.ID); got != stock {
				t.Errorf("%s stock = %d, want %d", p.Name, got, stock)
			}
		}
		if s := sent.sent(); !slices.Equal(s, []uuid.UUID{o.Number}) || sent.inTx {
			t.Fatalf("confirmations = %v (in a transaction: %v), want [%s] after commit", s, sent.inTx, o.Number)
		}
	})
}

func TestPlaceOrderRefusesShortStock(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "tools", nil)
		drill := newProduct(t, ctx, cat, "Drill", "80", "", 2)
		tape := newProduct(t, ctx, cat, "Tape", "2", "", 5)
		level := newProduct(t, ctx, cat, "Level", "15", "", 9, func(p *shop.Product) { p.IsActive = false })
		buyer := newCustomer(t, ctx, "bob")
		gone := level.ID + 1000

		cart := []shop.CartLine{{gone, 2}, {tape.ID, 1}, {drill.ID, 3}, {level.ID, 1}}
		_, err := shop.PlaceOrder(ctx, buyer, cart, shop.Checkout{Key: uuid.New()})
		var se *shop.StockError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v, want a *StockError", err)
		}
		want := []shop.Shortage{
			{ProductID: drill.ID, Name: "Drill", Requested: 3, Available: 2},
			{ProductID: level.ID, Name: "Level", Requested: 1, Available: 0},
			{ProductID: gone, Requested: 2, Available: 0},
		}
		if !slices.Equal(se.Lines, want) {
			t.Fatalf("shortages = %+v, want %+v", se.Lines, want)
		}
		wantMsg := fmt.Sprintf("shop: not enough stock: Drill (3 requested, 2 available), Level (1 requested, 0 available), product %d (2 requested, 0 available)", gone)
		if err.Error() != wantMsg {
			t.Fatalf("message = %q", err.Error())
		}
		if n := count(t, ctx, shop.Orders); n != 0 {
			t.Fatalf("%d orders, want none", n)
		}
		if n := count(t, ctx, shop.OrderItems); n != 0 {
			t.Fatalf("%d items, want none", n)
		}
		if stockOf(t, ctx, drill.ID) != 2 || stockOf(t, ctx, tape.ID) != 5 || stockOf(t, ctx, level.ID) != 9 {
			t.Fatal("a refused order changed the stock")
		}
		if len(sent.sent()) != 0 {
			t.Fatal("a refused order was confirmed")
		}
	})
}

func TestPlaceOrderEmptyCart(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		buyer := newCustomer(t, ctx, "cy")
		for _, cart := range [][]shop.CartLine{nil, {}, {{ProductID: 1, Quantity: 0}, {ProductID: 2, Quantity: -3}}} {
			if _, err := shop.PlaceOrder(ctx, buyer, cart, shop.Checkout{}); !errors.Is(err, shop.ErrEmptyCart) {
				t.Fatalf("cart %v: err = %v, want ErrEmptyCart", cart, err)
			}
		}
	})
}

// TestPlaceOrderHugeQuantities: quantities that would overflow when a
// product's lines are added up are refused, not wrapped round.
func TestPlaceOrderHugeQuantities(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "tools", nil)
		p := newProduct(t, ctx, cat, "Screw", "0.10", "", 100)
		buyer := newCustomer(t, ctx, "hal")
		_, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, math.MaxInt}, {p.ID, math.MaxInt}, {p.ID, 1}}, shop.Checkout{})
		var se *shop.StockError
		if !errors.As(err, &se) || !slices.Equal(se.Lines, []shop.Shortage{{ProductID: p.ID, Name: "Screw", Requested: math.MaxInt32, Available: 100}}) {
			t.Fatalf("err = %v", err)
		}
		if stockOf(t, ctx, p.ID) != 100 {
			t.Fatal("stock changed")
		}
	})
}

// TestPlaceOrderTotalTooLarge: a total past what Order.total's
// NUMERIC(12,2) holds is refused before anything is written, instead of
// failing in PostgreSQL (or being stored wrongly in SQLite).
func TestPlaceOrderTotalTooLarge(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		if want := dec("9999999999.99"); !shop.MaxOrderTotal.Equal(want) {
			t.Fatalf("MaxOrderTotal = %s, want %s", shop.MaxOrderTotal, want)
		}
		cat := newCategory(t, ctx, "yachts", nil)
		p := newProduct(t, ctx, cat, "Yacht", "99999999.99", "", 1000)
		buyer := newCustomer(t, ctx, "ivy")
		if _, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 101}}, shop.Checkout{}); !errors.Is(err, shop.ErrOrderTooLarge) {
			t.Fatalf("101 yachts: err = %v, want ErrOrderTooLarge", err)
		}
		if stockOf(t, ctx, p.ID) != 1000 || count(t, ctx, shop.Orders) != 0 {
			t.Fatal("a refused order changed stock or left an order")
		}
		o, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 100}}, shop.Checkout{})
		if err != nil {
			t.Fatalf("100 yachts: %v", err)
		}
		got, err := shop.Orders.Objects().Get(ctx, orm.Q{"pk": o.ID})
		if err != nil || !got.Total.Equal(dec("9999999999.00")) {
			t.Fatalf("stored total %v, %v; want 9999999999.00", got.Total, err)
		}
	})
}

// TestPlaceOrderPriceChanged: the total the customer was shown is checked
// under the locks, against the prices the order would be written at.
func TestPlaceOrderPriceChanged(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "tools", nil)
		p := newProduct(t, ctx, cat, "Saw", "20.00", "15.00", 10)
		buyer := newCustomer(t, ctx, "jo")
		shown := dec("45.00") // 3 at the sale price
		if _, err := shop.Products.Objects().Filter(orm.Q{"pk": p.ID}).Update(ctx, orm.Values{"sale_price": nil}); err != nil {
			t.Fatal(err)
		}
		_, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 3}}, shop.Checkout{Shown: &shown})
		var pc *shop.PriceChangedError
		if !errors.As(err, &pc) || !pc.Total.Equal(dec("60.00")) || !pc.Shown.Equal(shown) {
			t.Fatalf("err = %v, want a PriceChangedError of 60.00 against 45.00", err)
		}
		if stockOf(t, ctx, p.ID) != 10 || count(t, ctx, shop.Orders) != 0 {
			t.Fatal("a refused order changed stock or left an order")
		}
		now := dec("60.00")
		if o, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 3}}, shop.Checkout{Shown: &now}); err != nil || !o.Total.Equal(now) {
			t.Fatalf("at the shown total: %v, %v", o, err)
		}
	})
}

// TestPlaceOrderFailureMidwayLeavesNothing injects an error after the
// first item is written: the order, that item and its stock change go.
func TestPlaceOrderFailureMidwayLeavesNothing(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "tools", nil)
		a := newProduct(t, ctx, cat, "Clamp", "9.50", "", 7)
		b := newProduct(t, ctx, cat, "Vice", "45", "", 3)
		buyer := newCustomer(t, ctx, "dee")
		injected := errors.New("injected failure")
		written := 0
		_, err := shop.PlaceOrderWithItemHook(ctx, buyer, []shop.CartLine{{a.ID, 2}, {b.ID, 1}}, shop.Checkout{Key: uuid.New()},
			func(ctx context.Context, it *shop.OrderItem) error {
				written++
				// the first item and its stock change are in the transaction
				if n, err := shop.OrderItems.Objects().Count(ctx); err != nil || n != 1 {
					t.Errorf("items inside the transaction = %d, %v; want 1", n, err)
				}
				if s := stockOf(t, ctx, a.ID); s != 5 {
					t.Errorf("stock inside the transaction = %d, want 5", s)
				}
				return injected
			})
		if !errors.Is(err, injected) {
			t.Fatalf("err = %v, want the injected one", err)
		}
		if written != 1 {
			t.Fatalf("hook ran %d times, want 1", written)
		}
		if count(t, ctx, shop.Orders) != 0 || count(t, ctx, shop.OrderItems) != 0 {
			t.Fatal("a failed order left rows behind")
		}
		if stockOf(t, ctx, a.ID) != 7 || stockOf(t, ctx, b.ID) != 3 {
			t.Fatal("a failed order changed the stock")
		}
		if len(sent.sent()) != 0 {
			t.Fatal("a failed order was confirmed")
		}
	})
}

// TestPlaceOrderConfirmsOnlyOnCommit: inside a caller's transaction, the
// confirmation waits for the outer commit, and a rollback cancels it.
func TestPlaceOrderConfirmsOnlyOnCommit(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "tools", nil)
		p := newProduct(t, ctx, cat, "File", "4", "", 5)
		buyer := newCustomer(t, ctx, "eve")
		abort := errors.New("abort")
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			if _, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 1}}, shop.Checkout{}); err != nil {
				return err
			}
			return abort
		})
		if !errors.Is(err, abort) {
			t.Fatal(err)
		}
		if len(sent.sent()) != 0 || count(t, ctx, shop.Orders) != 0 || stockOf(t, ctx, p.ID) != 5 {
			t.Fatal("a rolled-back order was kept or confirmed")
		}
		var placed *shop.Order
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			var err error
			if placed, err = shop.PlaceOrder(ctx, buyer, []shop.CartLine{{p.ID, 1}}, shop.Checkout{}); err != nil {
				return err
			}
			if len(sent.sent()) != 0 {
				t.Error("confirmed before the outer transaction committed")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if s := sent.sent(); !slices.Equal(s, []uuid.UUID{placed.Number}) || sent.inTx {
			t.Fatalf("confirmations = %v, want [%s]", s, placed.Number)
		}
	})
}

func TestPlaceOrderIdempotent(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "tools", nil)
		a := newProduct(t, ctx, cat, "Wrench", "12", "", 100)
		b := newProduct(t, ctx, cat, "Pliers", "8", "", 100)
		buyer := newCustomer(t, ctx, "fay")
		other := newCustomer(t, ctx, "gus")

		t.Run("submitted twice", func(t *testing.T) {
			co := shop.Checkout{Key: uuid.New()}
			first, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{a.ID, 2}}, co)
			if err != nil {
				t.Fatal(err)
			}
			again, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{a.ID, 2}}, co)
			if err != nil || again.ID != first.ID || *again.CheckoutKey != co.Key {
				t.Fatalf("second submit = %+v, %v; want order %d", again, err, first.ID)
			}
			if _, err := shop.PlaceOrder(ctx, other, []shop.CartLine{{a.ID, 1}}, co); !errors.Is(err, shop.ErrCheckoutKeyTaken) {
				t.Fatalf("another customer's key: err = %v", err)
			}
			// The same form sent again after the cart changed (an old tab):
			// not the old order, and nothing placed.
			for _, cart := range [][]shop.CartLine{{{a.ID, 3}}, {{a.ID, 2}, {b.ID, 1}}, {{b.ID, 2}}} {
				_, err := shop.PlaceOrder(ctx, buyer, cart, co)
				var used *shop.CheckoutUsedError
				if !errors.As(err, &used) || used.Order.ID != first.ID {
					t.Fatalf("the key with the cart %v: err = %v, want a CheckoutUsedError naming order %d", cart, err, first.ID)
				}
			}
			// Lines merge before they compare: 1 + 1 is the order's 2.
			if again, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{a.ID, 1}, {a.ID, 1}}, co); err != nil || again.ID != first.ID {
				t.Fatalf("the same cart in two lines = %v, %v; want order %d", again, err, first.ID)
			}
			if stockOf(t, ctx, a.ID) != 98 || stockOf(t, ctx, b.ID) != 100 || count(t, ctx, shop.Orders) != 1 || len(sent.sent()) != 1 {
				t.Fatal("the second submit placed or confirmed another order")
			}
		})

		t.Run("second submit while the first is open", func(t *testing.T) {
			// The first holds its transaction open after writing its item;
			// the second, of another product, waits for no lock of the
			// first's but for the checkout key (PostgreSQL's unique index;
			// SQLite's write lock), and must answer that the key placed the
			// first's order, of another cart.
			co := shop.Checkout{Key: uuid.New()}
			before := count(t, ctx, shop.Orders)
			entered, release := make(chan struct{}), make(chan struct{})
			var first *shop.Order
			var firstErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				first, firstErr = shop.PlaceOrderWithItemHook(ctx, buyer, []shop.CartLine{{a.ID, 1}}, co,
					func(context.Context, *shop.OrderItem) error {
						close(entered)
						<-release
						return nil
					})
			})
			<-entered
			var second *shop.Order
			var secondErr error
			wg.Go(func() { second, secondErr = shop.PlaceOrder(ctx, buyer, []shop.CartLine{{b.ID, 1}}, co) })
			time.Sleep(100 * time.Millisecond) // let the second reach the key
			close(release)
			wg.Wait()
			var used *shop.CheckoutUsedError
			if firstErr != nil || !errors.As(secondErr, &used) {
				t.Fatalf("errors: %v, %v; want nil and a CheckoutUsedError", firstErr, secondErr)
			}
			if second != nil || used.Order.ID != first.ID {
				t.Fatalf("second submit = %v, naming order %d; want nothing placed, naming %d", second, used.Order.ID, first.ID)
			}
			if n := count(t, ctx, shop.Orders); n != before+1 {
				t.Fatalf("%d new orders, want 1", n-before)
			}
			if stockOf(t, ctx, b.ID) != 100 {
				t.Fatal("the second submit took stock")
			}
		})

		t.Run("submitted concurrently", func(t *testing.T) {
			co := shop.Checkout{Key: uuid.New()}
			before := count(t, ctx, shop.Orders)
			// Half the submits carry a cart of other products, so they do not
			// wait on the same row locks: the unique key decides. Those of
			// the winner's cart get its order; the others are told the key
			// placed it.
			ids := make([]int64, 10)
			errs := make([]error, 10)
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					cart := []shop.CartLine{{a.ID, 1}}
					if i%2 == 1 {
						cart = []shop.CartLine{{b.ID, 1}}
					}
					o, err := shop.PlaceOrder(ctx, buyer, cart, co)
					if err == nil {
						ids[i] = o.ID
					}
					errs[i] = err
				})
			}
			wg.Wait()
			placed, err := shop.Orders.Objects().Get(ctx, orm.Q{"checkout_key": co.Key})
			if err != nil {
				t.Fatal(err)
			}
			same := 0
			for i, err := range errs {
				var used *shop.CheckoutUsedError
				switch {
				case err == nil && ids[i] == placed.ID:
					same++
				case errors.As(err, &used) && used.Order.ID == placed.ID:
				default:
					t.Fatalf("submit %d: order %d, %v; want order %d or a CheckoutUsedError naming it", i, ids[i], err, placed.ID)
				}
			}
			if same != 5 {
				t.Fatalf("%d submits got the order, want the 5 of its cart", same)
			}
			if n := count(t, ctx, shop.Orders); n != before+1 {
				t.Fatalf("%d new orders, want 1", n-before)
			}
			if sold := (97 - stockOf(t, ctx, a.ID)) + (100 - stockOf(t, ctx, b.ID)); sold != 1 {
				t.Fatalf("%d units taken, want 1", sold)
			}
		})
	})
}

// TestPlaceOrderLastUnits: 50 buyers at once for the last 10 units. Exactly
// 10 get one, the others a StockError, and nobody sees a lock error.
func TestPlaceOrderLastUnits(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		ctx, sent := withConfirmations(ctx)
		cat := newCategory(t, ctx, "consoles", nil)
		hot := newProduct(t, ctx, cat, "Console", "499.99", "449.99", 10)
		side := newProduct(t, ctx, cat, "Controller", "59.99", "", 1000)
		buyers := make([]*shop.Customer, 50)
		for i := range buyers {
			buyers[i] = newCustomer(t, ctx, fmt.Sprintf("buyer%02d", i))
		}
		var wg sync.WaitGroup
		errs := make([]error, len(buyers))
		for i, c := range buyers {
			wg.Go(func() {
				// Carts name the two products in both orders: locking in key
				// order keeps them from deadlocking.
				cart := []shop.CartLine{{hot.ID, 1}, {side.ID, 1}}
				if i%2 == 1 {
					slices.Reverse(cart)
				}
				_, errs[i] = shop.PlaceOrder(ctx, c, cart, shop.Checkout{Key: uuid.New()})
			})
		}
		wg.Wait()
		placed, refused := 0, 0
		for i, err := range errs {
			var se *shop.StockError
			switch {
			case err == nil:
				placed++
			case errors.As(err, &se):
				refused++
				if !slices.Equal(se.Lines, []shop.Shortage{{ProductID: hot.ID, Name: "Console", Requested: 1, Available: 0}}) {
					t.Errorf("buyer %d: shortages %+v", i, se.Lines)
				}
			default:
				t.Errorf("buyer %d: %v", i, err)
			}
		}
		if placed != 10 || refused != 40 {
			t.Fatalf("placed %d, refused %d; want 10 and 40", placed, refused)
		}
		if s := stockOf(t, ctx, hot.ID); s != 0 {
			t.Fatalf("stock = %d, want 0", s)
		}
		if s := stockOf(t, ctx, side.ID); s != 990 {
			t.Fatalf("side stock = %d, want 990", s)
		}
		row, err := shop.OrderItems.Objects().Filter(orm.Q{"product": hot.ID}).Aggregate(ctx, orm.A{"sold": orm.Sum("quantity")})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(row["sold"]) != "10" || count(t, ctx, shop.Orders) != 10 || len(sent.sent()) != 10 {
			t.Fatalf("sold %v in %d orders with %d confirmations; want 10 each", row["sold"], count(t, ctx, shop.Orders), len(sent.sent()))
		}
		total, err := shop.Orders.Objects().Aggregate(ctx, orm.A{"sum": orm.Sum("total")})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(total["sum"]) != "5099.8" { // 10 × (449.99 + 59.99)
			t.Fatalf("revenue = %v, want 5099.80", total["sum"])
		}
	})
}
