package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// The checkout case: PlaceOrder against the same transaction written by
// hand with pgx, by 1, 8 and 32 concurrent buyers on 10 hot products.
const (
	hotProducts = 10
	maxBuyers   = 32
)

// checkout is the shop's tables in the bench schema: the hot products and
// one customer per buyer.
var checkout struct {
	once      sync.Once
	err       error
	products  []int64
	customers []*shop.Customer
}

func checkoutSetup(tb testing.TB) (context.Context, *pgxpool.Pool) {
	tb.Helper()
	ctx, pool := setup(tb)
	checkout.once.Do(func() { checkout.err = seedCheckout(ctx) })
	if checkout.err != nil {
		tb.Fatal(checkout.err)
	}
	return ctx, pool
}

func seedCheckout(ctx context.Context) error {
	if err := orm.CreateTables(ctx, append(auth.Models(), shop.Models()...)...); err != nil {
		return err
	}
	cat := &shop.Category{Name: "Hot", Slug: "hot"}
	if err := shop.Categories.Objects().Create(ctx, cat); err != nil {
		return err
	}
	for i := range hotProducts {
		p := shop.Products.New()
		p.Name, p.Slug, p.SKU = fmt.Sprintf("Hot product %d", i), fmt.Sprintf("hot-%d", i), fmt.Sprintf("HOT-%d", i)
		p.Category.ID, p.Price, p.Stock = cat.ID, decimal.New(int64(1999+i*100), -2), 2_000_000_000
		if i%3 == 0 {
			sale := p.Price.Sub(decimal.New(500, -2))
			p.SalePrice = &sale
		}
		if err := shop.Products.Save(ctx, p); err != nil {
			return err
		}
		checkout.products = append(checkout.products, p.ID)
	}
	for i := range maxBuyers {
		u := auth.Users.New()
		u.Username, u.IsActive = fmt.Sprintf("buyer%d", i), true
		auth.SetUnusablePassword(u)
		if err := auth.Users.Save(ctx, u); err != nil { // the shop's signal adds the customer
			return err
		}
		c, err := shop.CustomerFor(ctx, u)
		if err != nil {
			return err
		}
		checkout.customers = append(checkout.customers, c)
	}
	return nil
}

// hotCart is the i-th order's cart: two of the hot products, named in
// either order, one or two of each.
func hotCart(i int) []shop.CartLine {
	a, b := checkout.products[i%hotProducts], checkout.products[(i*7+3)%hotProducts]
	if a == b {
		b = checkout.products[(i+1)%hotProducts]
	}
	return []shop.CartLine{{ProductID: a, Quantity: 1 + i%2}, {ProductID: b, Quantity: 1}}
}

// The raw side's statements: PlaceOrder's work as a pgx user writes it,
// statement for statement (the key looked up before the transaction and
// again under the locks, one UPDATE and one INSERT per line).
const (
	rawOrderForKey = "SELECT id, customer_id FROM shop_order WHERE checkout_key = $1"
	rawLockLines   = "SELECT id, name, price, sale_price, stock, is_active FROM shop_product " +
		"WHERE id = ANY($1) ORDER BY id FOR UPDATE"
	rawInsertOrder = "INSERT INTO shop_order (number, reference, customer_id, status, shipping_name, shipping_line1, " +
		"shipping_line2, shipping_city, shipping_postal_code, shipping_country, shipping_address, total, checkout_key, created_at) " +
		"VALUES ($1, $2, $3, $4, '', '', '', '', '', '', $5, $6, $7, $8) RETURNING id"
	rawTakeStock  = "UPDATE shop_product SET stock = stock - $1 WHERE id = $2"
	rawInsertItem = "INSERT INTO shop_orderitem (order_id, product_id, quantity, unit_price) VALUES ($1, $2, $3, $4) RETURNING id"
)

var (
	errRawShort    = errors.New("not enough stock")
	errRawKeyTaken = errors.New("checkout key of another customer")
)

// rawPlaceOrder is the hand-written checkout: same locks, checks, writes
// and idempotency as shop.PlaceOrder, for a cart of distinct products.
func rawPlaceOrder(ctx context.Context, pool *pgxpool.Pool, customerID int64, cart []shop.CartLine, key uuid.UUID, address string) (int64, error) {
	var id, owner int64
	err := pool.QueryRow(ctx, rawOrderForKey, key).Scan(&id, &owner)
	switch {
	case err == nil && owner != customerID:
		return 0, errRawKeyTaken
	case err == nil:
		return id, nil
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, err
	}
	lines := slices.Clone(cart)
	slices.SortFunc(lines, func(a, b shop.CartLine) int { return int(a.ProductID - b.ProductID) })
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, rawLockLines, ids)
		if err != nil {
			return err
		}
		type locked struct {
			name   string
			price  decimal.Decimal
			sale   *decimal.Decimal
			stock  int32
			active bool
		}
		byID := make(map[int64]locked, len(ids))
		for rows.Next() {
			var pid int64
			var p locked
			if err := rows.Scan(&pid, &p.name, &p.price, &p.sale, &p.stock, &p.active); err != nil {
				rows.Close()
				return err
			}
			byID[pid] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, rawOrderForKey, key).Scan(&id, &owner); err == nil && owner != customerID {
			return errRawKeyTaken
		} else if err == nil {
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		prices := make([]decimal.Decimal, len(lines))
		total := decimal.Zero
		for i, l := range lines {
			p, ok := byID[l.ProductID]
			if !ok || !p.active || int(p.stock) < l.Quantity {
				return errRawShort
			}
			prices[i] = p.price
			if p.sale != nil && p.sale.LessThan(p.price) {
				prices[i] = *p.sale
			}
			total = total.Add(prices[i].Mul(decimal.NewFromInt(int64(l.Quantity))))
		}
		if err := tx.QueryRow(ctx, rawInsertOrder, uuid.New(), shop.NewReference(), customerID, string(shop.StatusPending), address,
			total, key, time.Now()).Scan(&id); err != nil {
			return err
		}
		for i, l := range lines {
			if _, err := tx.Exec(ctx, rawTakeStock, l.Quantity, l.ProductID); err != nil {
				return err
			}
			var itemID int64
			if err := tx.QueryRow(ctx, rawInsertItem, id, l.ProductID, l.Quantity, prices[i]).Scan(&itemID); err != nil {
				return err
			}
		}
		return nil
	})
	return id, err
}

// ormBuyer and rawBuyer place the i-th order as the given buyer.
func ormBuyer(ctx context.Context) func(buyer, i int) error {
	quiet := shop.WithConfirmer(ctx, shop.ConfirmerFunc(func(context.Context, *shop.Order, []*shop.OrderItem) error { return nil }))
	return func(buyer, i int) error {
		_, err := shop.PlaceOrder(quiet, checkout.customers[buyer], hotCart(i),
			shop.Checkout{Key: uuid.New(), ShippingAddress: "1 Bench Street"})
		return err
	}
}

func rawBuyer(ctx context.Context, pool *pgxpool.Pool) func(buyer, i int) error {
	return func(buyer, i int) error {
		_, err := rawPlaceOrder(ctx, pool, checkout.customers[buyer].ID, hotCart(i), uuid.New(), "1 Bench Street")
		return err
	}
}

// placeOrders places n orders with the given number of concurrent
// buyers, each taking the next order number until n are placed, and
// returns the wall-clock time they took.
func placeOrders(tb testing.TB, buyers, n int, op func(buyer, i int) error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	start := time.Now()
	for g := range buyers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				if err := op(g, i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := failed.Load(); err != nil {
		tb.Fatal(*err)
	}
	return elapsed
}

// BenchmarkPlaceOrder: ns/op is wall-clock time per order, so orders per
// second are 1e9 / ns/op (also reported as orders/s). "interleaved"
// alternates rounds of 10 orders per buyer between the sides and reports
// the median round time of each and their ratio.
func BenchmarkPlaceOrder(b *testing.B) {
	ctx, pool := checkoutSetup(b)
	for _, buyers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) {
			sides := map[string]func(buyer, i int) error{"orm": ormBuyer(ctx), "pgx": rawBuyer(ctx, pool)}
			for _, name := range []string{"orm", "pgx"} {
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					start := cpuTime()
					b.ResetTimer()
					elapsed := placeOrders(b, buyers, b.N, sides[name])
					b.StopTimer()
					b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
					b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
				})
			}
			b.Run("interleaved", func(b *testing.B) {
				round := 10 * buyers
				var spent [2][]time.Duration
				for i := 0; b.Loop(); i++ {
					for k := range 2 {
						j := (i + k) % 2
						spent[j] = append(spent[j], placeOrders(b, buyers, round, sides[[]string{"orm", "pgx"}[j]]))
					}
				}
				o, r := median(spent[0]), median(spent[1])
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(float64(round)/o.Seconds(), "orm-orders/s")
				b.ReportMetric(float64(round)/r.Seconds(), "pgx-orders/s")
				b.ReportMetric(float64(o)/float64(r), "orm/pgx")
			})
		})
	}
}

// TestPlaceOrderSidesAgree: both sides write the same order, items and
// stock changes for the same cart, and both return the placed order for a
// key used again.
func TestPlaceOrderSidesAgree(t *testing.T) {
	ctx, pool := checkoutSetup(t)
	cart := hotCart(3)
	stocks := func() []int32 {
		out := make([]int32, len(cart))
		for i, l := range cart {
			p, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": l.ProductID})
			if err != nil {
				t.Fatal(err)
			}
			out[i] = p.Stock
		}
		return out
	}
	type placed struct {
		total string
		items []string
		taken []int32
	}
	read := func(id int64, before []int32) placed {
		o, err := shop.Orders.Objects().Get(ctx, orm.Q{"pk": id})
		if err != nil {
			t.Fatal(err)
		}
		items, err := shop.OrderItems.Objects().Filter(orm.Q{"order": id}).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := placed{total: o.Total.StringFixed(2)}
		for _, it := range items {
			p.items = append(p.items, fmt.Sprintf("%d×%d@%s", it.Product.ID, it.Quantity, it.UnitPrice.StringFixed(2)))
		}
		for i, s := range stocks() {
			p.taken = append(p.taken, before[i]-s)
		}
		return p
	}
	key := uuid.New()
	before := stocks()
	o, err := shop.PlaceOrder(ctx, checkout.customers[0], cart, shop.Checkout{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	got := read(o.ID, before)
	rawKey := uuid.New()
	before = stocks()
	id, err := rawPlaceOrder(ctx, pool, checkout.customers[0].ID, cart, rawKey, "")
	if err != nil {
		t.Fatal(err)
	}
	want := read(id, before)
	if got.total != want.total || !slices.Equal(got.items, want.items) || !slices.Equal(got.taken, want.taken) {
		t.Fatalf("orm placed %+v, pgx %+v", got, want)
	}
	again, err := shop.PlaceOrder(ctx, checkout.customers[0], cart, shop.Checkout{Key: key})
	if err != nil || again.ID != o.ID {
		t.Fatalf("orm again: %v, %v", again, err)
	}
	if againID, err := rawPlaceOrder(ctx, pool, checkout.customers[0].ID, cart, rawKey, ""); err != nil || againID != id {
		t.Fatalf("pgx again: %d, %v", againID, err)
	}
}
