package shop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// addressFields are the checkout's address inputs: their form names,
// what a missing one is told, and the longest each column holds.
var addressFields = []struct {
	name, missing string
	max           int
	get           func(*Address) *string
}{
	{"name", "Enter the name to ship the order to.", 200, func(a *Address) *string { return &a.Name }},
	{"line1", "Enter the street and house number.", 200, func(a *Address) *string { return &a.Line1 }},
	{"line2", "", 200, func(a *Address) *string { return &a.Line2 }},
	{"city", "Enter the city.", 100, func(a *Address) *string { return &a.City }},
	{"postal_code", "Enter the postal code.", 20, func(a *Address) *string { return &a.PostalCode }},
	{"country", "Choose the country.", 2, func(a *Address) *string { return &a.Country }},
}

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
	view := shopviews.Checkout{Key: uuid.NewString()}
	setAddressView(&view, customerAddress(customer, u))
	return renderCheckout(c, http.StatusOK, ct, view)
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
// form's starting value: the name defaults to the user's, and a country
// typed as a name before the select is read as its code.
func customerAddress(cu *Customer, u *auth.User) Address {
	a := Address{Name: cu.DeliveryName, Line1: cu.Address, Line2: cu.AddressLine2,
		City: cu.City, PostalCode: cu.PostalCode, Country: countryCode(cu.Country)}
	if a.Name == "" && u != nil {
		a.Name = u.FullName()
	}
	return a
}

// setAddressView fills the form's address inputs and the country select.
func setAddressView(view *shopviews.Checkout, a Address) {
	view.Name, view.Line1, view.Line2 = a.Name, a.Line1, a.Line2
	view.City, view.PostalCode, view.Country = a.City, a.PostalCode, a.Country
	view.Countries = []shopviews.Option{{Value: "", Label: "Choose a country", Selected: a.Country == ""}}
	for _, c := range Countries.Items() {
		view.Countries = append(view.Countries, shopviews.Option{Value: c.Value, Label: c.Label, Selected: c.Value == a.Country})
	}
}

// readAddress is the address the checkout form sent, with an error by
// input for each part that is missing, too long, or not plain text.
func readAddress(c echo.Context) (Address, map[string]string) {
	var a Address
	problems := map[string]string{}
	for _, f := range addressFields {
		v := strings.Join(strings.Fields(c.FormValue(f.name)), " ")
		*f.get(&a) = v
		switch n := utf8.RuneCountInString(v); {
		case !auth.Storable(v):
			problems[f.name] = "Enter plain text."
		case n == 0 && f.missing != "":
			problems[f.name] = f.missing
		case f.name == "country" && n > 0 && CountryName(v) == v:
			problems[f.name] = "Choose one of the countries we ship to."
		case n > f.max:
			problems[f.name] = fmt.Sprintf("Ensure this has at most %d characters (it has %d).", f.max, n)
		}
	}
	return a, problems
}

// saveAddress makes a the customer's address on file.
func saveAddress(ctx context.Context, cu *Customer, a Address) error {
	cu.DeliveryName, cu.Address, cu.AddressLine2 = a.Name, a.Line1, a.Line2
	cu.City, cu.PostalCode, cu.Country = a.City, a.PostalCode, a.Country
	_, err := Customers.Objects().Filter(orm.Q{"pk": cu.ID}).Update(ctx, orm.Values{
		"delivery_name": a.Name, "address": a.Line1, "address_line2": a.Line2,
		"city": a.City, "postal_code": a.PostalCode, "country": a.Country})
	return err
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
		return errs.E(errs.Invalid, "The checkout form is incomplete. Reload the page and try again.")
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
	address, problems := readAddress(c)
	view := shopviews.Checkout{Key: key.String(), Errors: problems, SaveAddress: c.FormValue("save_address") != ""}
	setAddressView(&view, address)
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
		co := Checkout{Key: key, Address: address, Shown: &shown}
		if view.SaveAddress {
			o, err = placeAndSaveAddress(ctx, customer, ct.lines(), co)
		} else {
			o, err = PlaceOrder(ctx, customer, ct.lines(), co)
		}
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
		view.Errors[""] = fmt.Sprintf("This checkout page already placed order #%s. Your cart has changed since "+
			"and has not been ordered yet: check it and place the order again.", used.Order.Reference)
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
		return errs.Wrap(err, errs.Invalid, "The checkout form is no longer valid. Reload the page and try again.")
	case err != nil:
		return err
	}
	rememberPlaced(sess, key.String())
	// The order stands even if a sign-out elsewhere ended the session:
	// its page asks them to sign in again.
	if err := saveCart(c, cart{}); err != nil && !errors.Is(err, errCartNotSaved) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, confirmationURL(o))
}

// placeAndSaveAddress places the order and keeps its address as the
// customer's, together: a refused order leaves the address on file as
// it was.
func placeAndSaveAddress(ctx context.Context, cu *Customer, lines []CartLine, co Checkout) (*Order, error) {
	var o *Order
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if o, err = PlaceOrder(ctx, cu, lines, co); err != nil {
			return err
		}
		return saveAddress(ctx, cu, co.Address)
	})
	return o, err
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

func orderURL(o *Order) string { return "/orders/" + url.PathEscape(o.Reference) + "/" }

// confirmationURL is the page a checkout lands on once it placed o.
func confirmationURL(o *Order) string { return "/checkout/done/" + url.PathEscape(o.Reference) + "/" }

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
