package shop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// CartLine is one line of a cart: a product and how many of it.
type CartLine struct {
	ProductID int64
	Quantity  int
}

// Checkout is what the checkout form adds to the cart.
type Checkout struct {
	// Key is the idempotency key the checkout form carries: placing the
	// same cart again with a key the customer already used returns that
	// order instead of placing another (see CheckoutUsedError for a
	// different cart). uuid.Nil means none.
	Key uuid.UUID
	// Address is where the order ships to. ShippingAddress, the address
	// as text, is for callers that have no parts: with Address set, the
	// text is written from it.
	Address         Address
	ShippingAddress string
	// Shown, when not nil, is the total the customer saw and agreed to:
	// if the prices have changed since, the order is refused with a
	// *PriceChangedError rather than charged at a total they never saw.
	Shown *decimal.Decimal
}

var (
	// ErrEmptyCart is PlaceOrder's answer to a cart with no line of a
	// positive quantity.
	ErrEmptyCart = errors.New("shop: the cart is empty")
	// ErrCheckoutKeyTaken is PlaceOrder's answer when the checkout key
	// belongs to another customer's order.
	ErrCheckoutKeyTaken = errors.New("shop: the checkout key belongs to another customer's order")
	// ErrOrderTooLarge is PlaceOrder's answer to a cart whose total is
	// more than an order's total can hold (MaxOrderTotal).
	ErrOrderTooLarge = errors.New("shop: the order's total is more than an order can hold")
)

// MaxOrderTotal is the largest total an order can hold, as its column
// (Order.Total's digits) allows.
var MaxOrderTotal = func() decimal.Decimal {
	f := Orders.Meta.Field("total")
	return decimal.New(1, int32(f.MaxDigits-f.DecimalPlaces)).Sub(decimal.New(1, -int32(f.DecimalPlaces)))
}()

// PriceChangedError is PlaceOrder's answer when the cart's total at the
// prices of now is not the Checkout's Shown total.
type PriceChangedError struct{ Shown, Total decimal.Decimal }

func (e *PriceChangedError) Error() string {
	return fmt.Sprintf("shop: the prices changed: the total is %s, not the %s shown", e.Total.StringFixed(2), e.Shown.StringFixed(2))
}

// CheckoutUsedError is PlaceOrder's answer when the checkout key already
// placed an order, of another cart than this one: the form was sent again
// after the cart changed (an old tab, the Back button). Nothing is placed;
// the cart is still to be ordered, under a new key.
type CheckoutUsedError struct{ Order *Order }

func (e *CheckoutUsedError) Error() string {
	return fmt.Sprintf("shop: the checkout key already placed order %s, of another cart", e.Order.Number)
}

// Shortage is a cart line the shop cannot fill.
type Shortage struct {
	ProductID int64
	Name      string // empty when the product no longer exists
	Requested int
	Available int // 0 for a product that is inactive or gone
}

// StockError refuses a whole order, naming every line that is short.
type StockError struct{ Lines []Shortage }

func (e *StockError) Error() string {
	parts := make([]string, len(e.Lines))
	for i, s := range e.Lines {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("product %d", s.ProductID)
		}
		parts[i] = fmt.Sprintf("%s (%d requested, %d available)", name, s.Requested, s.Available)
	}
	return "shop: not enough stock: " + strings.Join(parts, ", ")
}

// Confirmer tells a customer their order is placed. PlaceOrder calls it
// once the order is committed, never for an order rolled back; an error
// is logged, as the order stands either way.
type Confirmer interface {
	ConfirmOrder(ctx context.Context, o *Order, items []*OrderItem) error
}

// ConfirmerFunc is a function as a Confirmer.
type ConfirmerFunc func(ctx context.Context, o *Order, items []*OrderItem) error

func (f ConfirmerFunc) ConfirmOrder(ctx context.Context, o *Order, items []*OrderItem) error {
	return f(ctx, o, items)
}

type confirmerKey struct{}

// WithConfirmer returns a context whose orders are confirmed by c: the
// server puts its mailer there as it puts the database (orm.WithDB).
// Without one, a confirmation is an info line in the log.
func WithConfirmer(ctx context.Context, c Confirmer) context.Context {
	return context.WithValue(ctx, confirmerKey{}, c)
}

func confirmerFrom(ctx context.Context) Confirmer {
	if c, ok := ctx.Value(confirmerKey{}).(Confirmer); ok {
		return c
	}
	return ConfirmerFunc(logConfirmation)
}

func logConfirmation(ctx context.Context, o *Order, items []*OrderItem) error {
	slog.InfoContext(ctx, "shop: order placed", "order", o.Number, "customer", o.Customer.ID,
		"items", len(items), "total", o.Total.StringFixed(2))
	return nil
}

// OnOrderPlaced, when set, runs inside PlaceOrder's transaction once the
// order and its items are written: the place to enqueue the confirmation
// email in the same transaction, so that an order is never committed
// without its email queued, nor an email queued for an order rolled back.
// An error rolls the order back. It runs once per order placed, not for
// a re-submitted checkout that finds its order. OrderSummary gives what
// the email shows. Nil by default.
var OnOrderPlaced func(ctx context.Context, o *Order) error

// PlaceOrder places the whole cart in one transaction, or nothing: it
// locks the cart's products in primary-key order (so two checkouts never
// wait on each other in a cycle), refuses the order with a *StockError
// naming every short line, takes the stock with F() so that no count is
// lost, and writes the Order and its OrderItems at the prices of now.
// The confirmation goes out once the transaction commits (see
// WithConfirmer). Lines of the same product are merged. With a Checkout
// key, a re-submitted checkout — a double click, a retry after a
// timeout, a second request racing the first — returns the order the
// first one placed; the same key with another cart is a
// *CheckoutUsedError.
func PlaceOrder(ctx context.Context, c *Customer, cart []CartLine, co Checkout) (*Order, error) {
	return placer{}.place(ctx, c, cart, co)
}

// placer is PlaceOrder with its test seam.
type placer struct {
	// afterItem runs after each OrderItem is written, inside the
	// transaction: an error rolls the whole order back.
	afterItem func(ctx context.Context, it *OrderItem) error
}

func (p placer) place(ctx context.Context, c *Customer, cart []CartLine, co Checkout) (*Order, error) {
	if c == nil || c.ID == 0 {
		return nil, errors.New("shop: PlaceOrder needs a saved customer")
	}
	lines := mergeLines(cart)
	if len(lines) == 0 {
		return nil, ErrEmptyCart
	}
	if co.Key != uuid.Nil {
		if o, err := replay(ctx, c, co.Key, lines); o != nil || err != nil {
			return o, err
		}
	}
	var order *Order
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		var err error
		order, err = p.placeIn(ctx, c, lines, co)
		return err
	})
	var ie *orm.IntegrityError
	if err != nil && co.Key != uuid.Nil && errors.As(err, &ie) && slices.Contains(ie.Fields, "checkout_key") {
		// The same checkout, submitted concurrently with other products
		// (so not waiting on our locks), committed first.
		return replay(ctx, c, co.Key, lines)
	}
	if err != nil {
		return nil, err
	}
	return order, nil
}

// placeIn does PlaceOrder's work inside its transaction.
func (p placer) placeIn(ctx context.Context, c *Customer, lines []CartLine, co Checkout) (*Order, error) {
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	products, err := Products.Objects().Filter(orm.Q{"pk__in": ids}).OrderBy("pk").SelectForUpdate().All(ctx)
	if err != nil {
		return nil, err
	}
	if co.Key != uuid.Nil {
		// Checked again under the locks: a concurrent submit of the same
		// cart waited for them and now sees the order the first placed.
		if o, err := replay(ctx, c, co.Key, lines); o != nil || err != nil {
			return o, err
		}
	}
	byID := make(map[int64]*Product, len(products))
	for _, pr := range products {
		byID[pr.ID] = pr
	}
	var short []Shortage
	total := decimal.Zero
	for _, l := range lines {
		pr := byID[l.ProductID]
		switch {
		case pr == nil:
			short = append(short, Shortage{ProductID: l.ProductID, Requested: l.Quantity})
		case !pr.IsActive:
			short = append(short, Shortage{ProductID: pr.ID, Name: pr.Name, Requested: l.Quantity})
		case int(pr.Stock) < l.Quantity:
			short = append(short, Shortage{ProductID: pr.ID, Name: pr.Name, Requested: l.Quantity, Available: int(pr.Stock)})
		default:
			total = total.Add(pr.CurrentPrice().Mul(decimal.NewFromInt(int64(l.Quantity))))
		}
	}
	if len(short) > 0 {
		return nil, &StockError{Lines: short}
	}
	if total.GreaterThan(MaxOrderTotal) {
		return nil, ErrOrderTooLarge
	}
	if co.Shown != nil && !co.Shown.Equal(total) {
		return nil, &PriceChangedError{Shown: *co.Shown, Total: total}
	}

	o := Orders.New()
	o.Customer.ID = c.ID
	o.ShippingAddress = co.ShippingAddress
	if !co.Address.IsZero() {
		o.SetShippingAddress(co.Address)
	}
	o.Total = total
	if co.Key != uuid.Nil {
		key := co.Key
		o.CheckoutKey = &key
	}
	if err := createOrder(ctx, o); err != nil {
		return nil, err
	}
	items := make([]*OrderItem, 0, len(lines))
	for _, l := range lines {
		pr := byID[l.ProductID]
		if _, err := Products.Objects().Filter(orm.Q{"pk": pr.ID}).
			Update(ctx, orm.Values{"stock": orm.F("stock").Sub(l.Quantity)}); err != nil {
			return nil, err
		}
		it := &OrderItem{Quantity: int32(l.Quantity), UnitPrice: pr.CurrentPrice()}
		it.Order.ID, it.Product.ID = o.ID, pr.ID
		if err := OrderItems.Objects().Create(ctx, it); err != nil {
			return nil, err
		}
		items = append(items, it)
		if p.afterItem != nil {
			if err := p.afterItem(ctx, it); err != nil {
				return nil, err
			}
		}
	}
	if OnOrderPlaced != nil {
		if err := OnOrderPlaced(ctx, o); err != nil {
			return nil, err
		}
	}
	confirm := confirmerFrom(ctx)
	orm.OnCommit(ctx, func() {
		if err := confirm.ConfirmOrder(ctx, o, items); err != nil {
			slog.ErrorContext(ctx, "shop: order confirmation failed", "order", o.Number, "err", err)
		}
	})
	return o, nil
}

// replay is the customer's order placed with the checkout key, when its
// items are the lines (merged); nil when the key placed no order. An
// order of other lines is a *CheckoutUsedError.
func replay(ctx context.Context, c *Customer, key uuid.UUID, lines []CartLine) (*Order, error) {
	o, err := Orders.Objects().Get(ctx, orm.Q{"checkout_key": key})
	switch {
	case errors.Is(err, orm.ErrDoesNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case o.Customer.ID != c.ID:
		return nil, ErrCheckoutKeyTaken
	}
	items, err := OrderItems.Objects().Filter(orm.Q{"order": o.ID}).OrderBy("product").All(ctx)
	if err != nil {
		return nil, err
	}
	same := slices.EqualFunc(items, lines, func(it *OrderItem, l CartLine) bool {
		return it.Product.ID == l.ProductID && int(it.Quantity) == l.Quantity
	})
	if !same {
		return nil, &CheckoutUsedError{Order: o}
	}
	return o, nil
}

// mergeLines adds up the lines of each product, drops those of no
// positive quantity, and sorts them by product: the order the products
// are locked and written in. A sum is capped at the most a stock can
// hold, so that no overflow turns it negative.
func mergeLines(cart []CartLine) []CartLine {
	qty := map[int64]int{}
	for _, l := range cart {
		if l.Quantity > 0 {
			qty[l.ProductID] = min(qty[l.ProductID]+min(l.Quantity, math.MaxInt32), math.MaxInt32)
		}
	}
	lines := make([]CartLine, 0, len(qty))
	for id, n := range qty {
		lines = append(lines, CartLine{ProductID: id, Quantity: n})
	}
	slices.SortFunc(lines, func(a, b CartLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return lines
}
