package shop

import "context"

// PlaceOrderWithItemHook is PlaceOrder calling hook, inside the
// transaction, after each OrderItem it writes.
func PlaceOrderWithItemHook(ctx context.Context, c *Customer, cart []CartLine, co Checkout,
	hook func(ctx context.Context, it *OrderItem) error) (*Order, error) {
	return placer{afterItem: hook}.place(ctx, c, cart, co)
}
