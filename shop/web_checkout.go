package shop

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// maxAddressLength bounds the shipping address a checkout accepts.
const maxAddressLength = 1000

// showCheckout is the checkout form, with a fresh idempotency key.
func showCheckout(c echo.Context) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return toLogin(c, "/checkout/")
	}
	ct := cartFrom(auth.SessionFrom(ctx))
	if len(ct) == 0 {
		return c.Redirect(http.StatusSeeOther, "/cart/")
	}
	customer, err := CustomerFor(ctx, u)
	if err != nil {
		return err
	}
	return renderCheckout(c, http.StatusOK, ct, shopviews.Checkout{
		Key:     uuid.NewString(),
		Address: customerAddress(customer),
	})
}

// renderCheckout shows the checkout form view with the cart's lines.
func renderCheckout(c echo.Context, status int, ct cart, view shopviews.Checkout) error {
	ctx := c.Request().Context()
	lines, total, err := cartView(ctx, ct)
	if err != nil {
		return err
	}
	view.Shell = shell(ctx, "Checkout")
	view.Lines, view.Total, view.Shown = lines, money(total), total.StringFixed(2)
	return views.Render(c, status, shopviews.CheckoutPage(view))
}

// customerAddress is the customer's address on file, as the checkout
// form's starting value.
func customerAddress(cu *Customer) string {
	var lines []string
	for _, l := range []string{cu.Address, strings.TrimSpace(cu.PostalCode + " " + cu.City), cu.Country} {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// placeOrder places the session's cart. The form's key makes a second
// submit of the same form (a double click, a retry) land on the order the
// first placed, whether it arrives while the first runs (PlaceOrder finds
// the key) or after it has emptied the cart (found here). The form's total
// is the one the customer agreed to: if prices changed since, the page
// shows the new one instead of placing the order.
func placeOrder(c echo.Context) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return toLogin(c, "/checkout/")
	}
	key, err := uuid.Parse(c.FormValue("key"))
	shown, terr := decimal.NewFromString(c.FormValue("total"))
	if err != nil || key == uuid.Nil || terr != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The checkout form is incomplete. Reload the page and try again.")
	}
	customer, err := CustomerFor(ctx, u)
	if err != nil {
		return err
	}
	ct := cartFrom(auth.SessionFrom(ctx))
	if len(ct) == 0 {
		o, err := Orders.Objects().Filter(orm.Q{"checkout_key": key, "customer": customer.ID}).First(ctx)
		if errors.Is(err, orm.ErrDoesNotExist) {
			return c.Redirect(http.StatusSeeOther, "/cart/")
		}
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, orderURL(o))
	}
	view := shopviews.Checkout{
		Key:     key.String(),
		Address: strings.TrimSpace(c.FormValue("address")),
		Errors:  map[string]string{},
	}
	switch n := utf8.RuneCountInString(view.Address); {
	case !auth.Storable(view.Address):
		view.Errors["address"] = "Enter the address as plain text."
	case n == 0:
		view.Errors["address"] = "Enter the address to ship the order to."
	case n > maxAddressLength:
		view.Errors["address"] = fmt.Sprintf("Ensure the address has at most %d characters (it has %d).", maxAddressLength, n)
	}
	if len(view.Errors) > 0 {
		return renderCheckout(c, http.StatusBadRequest, ct, view)
	}

	sess := auth.SessionFrom(ctx)
	var o *Order
	if placedBefore(sess, key.String()) {
		// This session placed the key's order and emptied its cart since:
		// the cart is a new one, to be ordered on a new form, even if it
		// holds the same products. (An order deleted since leaves the key
		// free.)
		o, err = Orders.Objects().Get(ctx, orm.Q{"checkout_key": key, "customer": customer.ID})
		if err == nil {
			o, err = nil, &CheckoutUsedError{Order: o}
		}
	}
	if o == nil && (err == nil || errors.Is(err, orm.ErrDoesNotExist)) {
		o, err = PlaceOrder(ctx, customer, ct.lines(), Checkout{Key: key, ShippingAddress: view.Address, Shown: &shown})
	}
	var stock *StockError
	var used *CheckoutUsedError
	var changed *PriceChangedError
	switch {
	case errors.As(err, &stock):
		for _, s := range stock.Lines {
			view.Shortages = append(view.Shortages, shortageText(s))
		}
		return renderCheckout(c, http.StatusConflict, ct, view)
	case errors.As(err, &used):
		// The page was an old one; this cart is still to be ordered, on
		// a new form.
		view.Key = uuid.NewString()
		view.Errors[""] = fmt.Sprintf("This checkout page already placed order %s. Your cart has changed since "+
			"and has not been ordered yet: check it and place the order again.", used.Order.Number)
		return renderCheckout(c, http.StatusConflict, ct, view)
	case errors.As(err, &changed):
		view.Errors[""] = fmt.Sprintf("Prices have changed since you opened this page: your order now comes to %s, "+
			"not %s. Check it and place the order again.", money(changed.Total), money(changed.Shown))
		return renderCheckout(c, http.StatusConflict, ct, view)
	case errors.Is(err, ErrOrderTooLarge):
		view.Errors[""] = fmt.Sprintf("An order can come to at most %s. Lower some quantities and place "+
			"the rest as another order.", money(MaxOrderTotal))
		return renderCheckout(c, http.StatusConflict, ct, view)
	case errors.Is(err, ErrEmptyCart):
		return c.Redirect(http.StatusSeeOther, "/cart/")
	case errors.Is(err, ErrCheckoutKeyTaken):
		return echo.NewHTTPError(http.StatusBadRequest, "The checkout form is no longer valid. Reload the page and try again.")
	case err != nil:
		return err
	}
	rememberPlaced(sess, key.String())
	// The order stands even if a sign-out elsewhere ended the session:
	// its page asks them to sign in again.
	if err := saveCart(c, cart{}); err != nil && !errors.Is(err, errCartNotSaved) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, orderURL(o)+"?placed=1")
}

// shortageText tells the customer what is short of one product.
func shortageText(s Shortage) string {
	name := s.Name
	if name == "" {
		name = "A product in your cart"
	}
	switch {
	case s.Available == 0 && s.Name == "":
		return name + " no longer exists."
	case s.Available == 0:
		return fmt.Sprintf("%s: you asked for %d, and it is no longer available.", name, s.Requested)
	}
	return fmt.Sprintf("%s: you asked for %d, only %d left.", name, s.Requested, s.Available)
}

func orderURL(o *Order) string { return "/orders/" + o.Number.String() + "/" }

// placedKey is where the session keeps the checkout keys it placed orders
// with, the latest maxPlacedKeys of them.
const (
	placedKey     = "placed_checkouts"
	maxPlacedKeys = 10
)

// placedBefore reports whether the session placed an order with key.
func placedBefore(sess *auth.Session, key string) bool {
	if sess == nil {
		return false
	}
	list, _ := sess.Data[placedKey].([]any)
	return slices.Contains(list, any(key))
}

// rememberPlaced adds key to the session's placed keys; the caller saves
// the session.
func rememberPlaced(sess *auth.Session, key string) {
	if sess == nil {
		return
	}
	list, _ := sess.Data[placedKey].([]any)
	list = append(list, key)
	if len(list) > maxPlacedKeys {
		list = list[len(list)-maxPlacedKeys:]
	}
	sess.Data[placedKey] = list
}
