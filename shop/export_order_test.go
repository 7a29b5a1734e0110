package shop

import (
	"context"
	"time"
)

// PlaceOrderWithItemHook is PlaceOrder calling hook, inside the
// transaction, after each OrderItem it writes.
func PlaceOrderWithItemHook(ctx context.Context, c *Customer, cart []CartLine, co Checkout,
	hook func(ctx context.Context, it *OrderItem) error) (*Order, error) {
	return placer{afterItem: hook}.place(ctx, c, cart, co)
}

// SalesPerDayAt is SalesPerDay as seen at now.
func SalesPerDayAt(ctx context.Context, days int, now time.Time) ([]DaySales, error) {
	return salesPerDay(ctx, days, now)
}

// CreateOrder inserts o, drawing another reference while its own is taken.
var CreateOrder = createOrder
