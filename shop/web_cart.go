package shop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// cartKey is where the cart lives in the session's data: product id (as
// text, JSON's only key type) → quantity. Keeping it in the session gives
// anonymous visitors a cart, and login keeps the session's data.
const cartKey = "cart"

// cart is the session's cart: quantity by product id.
type cart map[int64]int

// cartFrom reads the session's cart, skipping entries that are not a
// product id and a positive whole quantity.
func cartFrom(sess *auth.Session) cart {
	out := cart{}
	if sess == nil {
		return out
	}
	raw, _ := sess.Data[cartKey].(map[string]any)
	for k, v := range raw {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		var n int
		switch q := v.(type) {
		case float64: // as JSON decoding gives it
			if q != float64(int(q)) {
				continue
			}
			n = int(q)
		case int:
			n = q
		}
		if n > 0 {
			out[id] = n
		}
	}
	return out
}

// units is the number of items in the cart.
func (ct cart) units() int {
	n := 0
	for _, q := range ct {
		n += q
	}
	return n
}

// lines are the cart as PlaceOrder takes it.
func (ct cart) lines() []CartLine {
	out := make([]CartLine, 0, len(ct))
	for id, q := range ct {
		out = append(out, CartLine{ProductID: id, Quantity: q})
	}
	slices.SortFunc(out, func(a, b CartLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	return out
}

// errCartNotSaved answers a cart change that a logout in another request
// overtook (auth.ErrSessionEnded).
var errCartNotSaved = errs.E(errs.Conflict,
	"You were signed out in another window while this was on its way, so the cart did not change. Please try again.")

// saveCart stores ct in the request's session and saves it, giving an
// anonymous visitor a session (and its cookie) on their first change.
func saveCart(c echo.Context, ct cart) error {
	ctx := c.Request().Context()
	sess := auth.SessionFrom(ctx)
	if sess == nil {
		return errors.New("shop: no session in the request context")
	}
	if len(ct) == 0 {
		delete(sess.Data, cartKey)
	} else {
		raw := make(map[string]any, len(ct))
		for id, q := range ct {
			raw[strconv.FormatInt(id, 10)] = q
		}
		sess.Data[cartKey] = raw
	}
	err := auth.StoreFrom(ctx).Save(ctx, sess)
	if errors.Is(err, auth.ErrSessionEnded) {
		c.SetCookie(auth.Cookie(sess, auth.OverTLS(c)))
		return errCartNotSaved
	}
	if err != nil {
		return err
	}
	c.SetCookie(auth.Cookie(sess, auth.OverTLS(c)))
	return nil
}

// cartView is the cart's lines with today's prices, in one query, each
// line marked with what would stop it from being ordered.
func cartView(ctx context.Context, ct cart) ([]shopviews.CartLine, decimal.Decimal, error) {
	total := decimal.Zero
	if len(ct) == 0 {
		return nil, total, nil
	}
	ct = maps.Clone(ct)
	ids := slices.Collect(maps.Keys(ct))
	products, err := Products.Objects().Filter(orm.Q{"pk__in": ids}).OrderBy("name", "pk").All(ctx)
	if err != nil {
		return nil, total, err
	}
	lines := make([]shopviews.CartLine, 0, len(products))
	for _, p := range products {
		q := ct[p.ID]
		line := shopviews.CartLine{
			ProductID: p.ID,
			Name:      p.Name,
			ImageURL:  thumbnailURL(p),
			UnitPrice: money(p.CurrentPrice()),
			Quantity:  q,
			Stock:     int(p.Stock),
			Problem:   stockProblem(p.IsActive, int(p.Stock), q),
		}
		if p.IsActive { // an inactive product's page is a 404
			line.URL = p.AbsoluteURL()
		}
		sum := p.CurrentPrice().Mul(decimal.NewFromInt(int64(q)))
		line.LineTotal = money(sum)
		if line.Problem == "" {
			total = total.Add(sum)
		}
		lines = append(lines, line)
		delete(ct, p.ID)
	}
	// What is left was deleted since it was added: listed, so that it can
	// be removed.
	for _, id := range slices.Sorted(maps.Keys(ct)) {
		lines = append(lines, shopviews.CartLine{ProductID: id, Name: "A product no longer sold",
			ImageURL: placeholderImage(), Quantity: ct[id], Problem: "No longer sold."})
	}
	return lines, total, nil
}

// stockProblem says why want units of a product cannot be ordered, or ""
// when they can.
func stockProblem(active bool, stock, want int) string {
	switch {
	case !active:
		return "No longer sold."
	case stock == 0:
		return "Sold out."
	case stock < want:
		return fmt.Sprintf("Only %d left in stock.", stock)
	}
	return ""
}

func showCart(c echo.Context) error {
	return renderCart(c, http.StatusOK, "")
}

// renderCart shows the cart, with problem explaining a refused change.
func renderCart(c echo.Context, status int, problem string) error {
	ctx := c.Request().Context()
	lines, total, err := cartView(ctx, cartFrom(auth.SessionFrom(ctx)))
	if err != nil {
		return err
	}
	return views.Render(c, status, shopviews.CartPage(shopviews.Cart{
		Shell: shell(ctx, "Your cart"),
		Lines: lines,
		Total: money(total),
		Error: problem,
	}))
}

// cartProduct is the product a cart form names, or the error to answer.
func cartProduct(c echo.Context) (*Product, error) {
	id, err := strconv.ParseInt(c.FormValue("product"), 10, 64)
	if err != nil || id <= 0 {
		return nil, errs.E(errs.Invalid, "Choose a product to add to your cart.")
	}
	p, err := Products.Objects().Get(c.Request().Context(), orm.Q{"pk": id, "is_active": true})
	return p, errs.Explain(err, errs.NotFound, "This product does not exist or is no longer sold.")
}

// changeCart sets the cart's quantity of the form's product: the form's
// quantity on its own (set) or added to what the cart holds. A quantity
// that is not a whole number of at least one, or more than the stock,
// leaves the cart as it was and shows it with the reason.
func changeCart(c echo.Context, set bool) error {
	p, err := cartProduct(c)
	if err != nil {
		return err
	}
	q, err := strconv.Atoi(c.FormValue("quantity"))
	if err != nil || q < 1 {
		return renderCart(c, http.StatusBadRequest, "Enter a quantity of at least 1 for "+p.Name+".")
	}
	ct := cartFrom(auth.SessionFrom(c.Request().Context()))
	have := 0
	if !set {
		have = ct[p.ID]
	}
	// Compared before adding: a huge quantity must not wrap around.
	if q > int(p.Stock)-have {
		msg := p.Name + " is sold out."
		switch {
		case p.Stock > 0 && have > 0:
			msg = fmt.Sprintf("Only %d of %s left in stock, and your cart holds %d; you asked for %d more.", p.Stock, p.Name, have, q)
		case p.Stock > 0:
			msg = fmt.Sprintf("Only %d of %s left in stock; you asked for %d.", p.Stock, p.Name, q)
		}
		return renderCart(c, http.StatusBadRequest, msg)
	}
	ct[p.ID] = have + q
	if err := saveCart(c, ct); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/cart/")
}

func addToCart(c echo.Context) error  { return changeCart(c, false) }
func updateCart(c echo.Context) error { return changeCart(c, true) }

// removeFromCart drops a product from the cart; it needs no query, so a
// product since deleted or deactivated can still be removed.
func removeFromCart(c echo.Context) error {
	id, err := strconv.ParseInt(c.FormValue("product"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.Invalid, "Choose a product to remove from your cart.")
	}
	ct := cartFrom(auth.SessionFrom(c.Request().Context()))
	if _, ok := ct[id]; ok {
		delete(ct, id)
		if err := saveCart(c, ct); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/cart/")
}
