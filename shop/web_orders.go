package shop

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// orderList is /orders/: the signed-in customer's orders with their item
// counts, in one query.
func orderList(c echo.Context) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return toLogin(c, "/orders/")
	}
	orders, err := Orders.Objects().Filter(orm.Q{"customer__user": u.ID}).
		Annotate(orm.A{"units": orm.Sum("items__quantity")}).OrderBy("-created_at", "-pk").All(ctx)
	if err != nil {
		return err
	}
	view := shopviews.Orders{Shell: shell(ctx, "My orders")}
	for _, o := range orders {
		units, err := orm.Annotation[*int64](o, "units")
		if err != nil {
			return err
		}
		row := shopviews.OrderRow{
			Number: o.Reference,
			URL:    orderURL(o),
			Date:   o.CreatedAt.Format(dateFormat),
			ISO:    o.CreatedAt.Format("2006-01-02"),
			Status: Orders.Display(o, "status"),
			Total:  money(o.Total),
		}
		if units != nil {
			row.Items = *units
		}
		view.Orders = append(view.Orders, row)
	}
	return views.Render(c, http.StatusOK, shopviews.OrdersPage(view))
}

// orderDetail is /orders/<reference>/: an order of the signed-in
// customer, with its lines, in two queries. Another customer's order is a
// 404, as is a reference that is not one, so that a reference reveals
// nothing. The order's whole number, which its links carried before
// references, still finds it.
func orderDetail(c echo.Context) error { return showOrder(c, false) }

// orderConfirmation is /checkout/done/<reference>/, where a checkout
// lands: the order's page, with the thanks and the reference to quote.
func orderConfirmation(c echo.Context) error { return showOrder(c, true) }

func showOrder(c echo.Context, placed bool) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return toLogin(c, c.Request().URL.Path)
	}
	mine := Orders.Objects().Filter(orm.Q{"customer__user": u.ID})
	var o *Order
	var err error
	if number, perr := uuid.Parse(c.Param("ref")); perr == nil && !placed {
		o, err = mine.Get(ctx, orm.Q{"number": number})
	} else {
		o, err = mine.Get(ctx, orm.Q{"reference": NormalizeReference(c.Param("ref"))})
	}
	if err != nil {
		return errs.Explain(err, errs.NotFound, "You have no order with this reference.")
	}
	sum, err := OrderSummary(ctx, o)
	if err != nil {
		return err
	}
	title := o.String()
	if placed {
		title = "Order placed"
	}
	view := shopviews.Order{
		Shell:   shell(ctx, title),
		Number:  sum.Reference,
		Date:    o.CreatedAt.Format(dateFormat),
		ISO:     o.CreatedAt.Format("2006-01-02"),
		Status:  sum.Status,
		Total:   sum.TotalText,
		Placed:  placed || c.QueryParam("placed") != "",
		Address: sum.AddressText,
	}
	for _, l := range sum.Lines {
		view.Lines = append(view.Lines, shopviews.OrderLine{
			Name: l.Product, URL: l.ProductURL, Quantity: l.Quantity,
			UnitPrice: l.UnitPriceText, LineTotal: l.LineTotalText,
		})
	}
	return views.Render(c, http.StatusOK, shopviews.OrderPage(view))
}
