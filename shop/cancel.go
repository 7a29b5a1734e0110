package shop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// ErrOrderShipped is CancelOrder's refusal of an order that has shipped:
// its goods have left, so there is no stock to return. The error
// CancelOrder returns is a *ShippedError, which matches it.
var ErrOrderShipped = errors.New("shop: a shipped order cannot be cancelled")

// ShippedError names the orders a cancellation refused because they have
// shipped; errors.Is(err, ErrOrderShipped) holds for it.
type ShippedError struct{ Orders []*Order }

func (e *ShippedError) Error() string {
	names := make([]string, len(e.Orders))
	for i, o := range e.Orders {
		names[i] = o.String()
	}
	return ErrOrderShipped.Error() + ": " + strings.Join(names, ", ")
}

func (e *ShippedError) Unwrap() error { return ErrOrderShipped }

// CancelOrder cancels the order and puts its items back in stock, in one
// transaction. It locks the order first, then its products in key order
// (the order PlaceOrder locks them in, so that the two cannot deadlock),
// adds each item's quantity back with F(), which counts from the stock as
// it is then, and sets the status to cancelled. The status is read under
// the lock, not from o: cancelling an order that is already cancelled
// does nothing, even when two cancellations race, so no stock comes back
// twice; a shipped order is refused with a *ShippedError. On success
// o.Status is StatusCancelled.
func CancelOrder(ctx context.Context, o *Order) error {
	if o == nil || o.ID == 0 {
		return errors.New("shop: CancelOrder needs a saved order")
	}
	_, err := cancelOrders(ctx, []*Order{o})
	return err
}

// cancelOrders cancels the orders as CancelOrder does, all of them or
// none, and returns how many it cancelled (the already cancelled do not
// count). Every order is locked before any product, and every product of
// them at once in key order: locking one order's products after
// another's could take them out of key order.
func cancelOrders(ctx context.Context, orders []*Order) (int, error) {
	ids := make([]int64, 0, len(orders))
	for _, o := range orders {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var n int
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		locked, err := Orders.Objects().Filter(orm.Q{"pk__in": ids}).OrderBy("pk").SelectForUpdate().All(ctx)
		if err != nil {
			return err
		}
		if len(locked) != len(ids) {
			return fmt.Errorf("shop: an order to cancel no longer exists: %w", orm.ErrDoesNotExist)
		}
		n, err = cancelLocked(ctx, locked)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, o := range orders {
		o.Status = StatusCancelled
	}
	return n, nil
}

// cancelLocked does the cancellation's work on orders its transaction
// has locked, refusing all of them when one has shipped.
func cancelLocked(ctx context.Context, locked []*Order) (int, error) {
	var shipped []*Order
	var open []int64
	for _, o := range locked {
		switch o.Status {
		case StatusShipped:
			shipped = append(shipped, o)
		case StatusCancelled:
		default:
			open = append(open, o.ID)
		}
	}
	if len(shipped) > 0 {
		return 0, &ShippedError{Orders: shipped}
	}
	if len(open) == 0 {
		return 0, nil
	}
	items, err := OrderItems.Objects().Filter(orm.Q{"order__in": open}).All(ctx)
	if err != nil {
		return 0, err
	}
	back := map[int64]int64{}
	for _, it := range items {
		back[it.Product.ID] += int64(it.Quantity)
	}
	products := make([]int64, 0, len(back))
	for id := range back {
		products = append(products, id)
	}
	slices.Sort(products)
	if len(products) > 0 {
		if _, err := lockProducts(ctx, products); err != nil {
			return 0, err
		}
	}
	for _, id := range products {
		if _, err := Products.Objects().Filter(orm.Q{"pk": id}).
			Update(ctx, orm.Values{"stock": orm.F("stock").Add(back[id])}); err != nil {
			return 0, err
		}
	}
	if _, err := Orders.Objects().Filter(orm.Q{"pk__in": open}).Update(ctx, orm.Values{"status": StatusCancelled}); err != nil {
		return 0, err
	}
	return len(open), nil
}
