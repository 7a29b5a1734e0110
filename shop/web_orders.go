package shop

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
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
			Number: shortNumber(o),
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

// orderDetail is /orders/<number>/: an order of the signed-in customer,
// with its lines, in two queries. Another customer's order is a 404, as
// is a number that is not one, so that a number reveals nothing.
func orderDetail(c echo.Context) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return toLogin(c, "/orders/"+c.Param("number")+"/")
	}
	notFound := echo.NewHTTPError(http.StatusNotFound, "You have no order with this number.")
	number, err := uuid.Parse(c.Param("number"))
	if err != nil {
		return notFound
	}
	o, err := Orders.Objects().Get(ctx, orm.Q{"number": number, "customer__user": u.ID})
	if errors.Is(err, orm.ErrDoesNotExist) {
		return notFound
	}
	if err != nil {
		return err
	}
	items, err := OrderItems.Objects().Filter(orm.Q{"order": o.ID}).SelectRelated("product").All(ctx)
	if err != nil {
		return err
	}
	view := shopviews.Order{
		Shell:   shell(ctx, o.String()),
		Number:  shortNumber(o),
		Date:    o.CreatedAt.Format(dateFormat),
		ISO:     o.CreatedAt.Format("2006-01-02"),
		Status:  Orders.Display(o, "status"),
		Address: o.ShippingAddress,
		Total:   money(o.Total),
		Placed:  c.QueryParam("placed") != "",
	}
	for _, it := range items {
		line := shopviews.OrderLine{
			Quantity:  int(it.Quantity),
			UnitPrice: money(it.UnitPrice),
			LineTotal: money(it.LineTotal()),
		}
		if p, ok := it.Product.Cached(); ok {
			line.Name = p.Name
			if p.IsActive {
				line.URL = productURL(p)
			}
		}
		view.Lines = append(view.Lines, line)
	}
	return views.Render(c, http.StatusOK, shopviews.OrderPage(view))
}

// shortNumber is the part of an order's number the customer reads: the
// URL carries it whole.
func shortNumber(o *Order) string { return strings.ToUpper(o.Number.String()[:8]) }
