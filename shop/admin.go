package shop

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	adminui "github.com/quarry-go/quarry/views/admin"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// The shop's admin, as Django's shop/admin.py.
//
// Orders are placed by PlaceOrder, which takes the stock and fixes the
// total: the admin shows an order's number, total and items read-only
// and changes only its status and address. Cancelling (by the action, or
// by the status on the form) puts the stock back through CancelOrder.
func registerAdmin(s app.Site) {
	site := s.(*admin.Site)
	// Amounts are shown in the shop's currency; inputs and exports keep
	// plain numbers.
	admin.DisplayMoney(money, Products.Meta.Field("price"), Products.Meta.Field("sale_price"),
		Products.Meta.Field("cost_price"), Orders.Meta.Field("total"), OrderItems.Meta.Field("unit_price"))
	admin.Register(site, Products, admin.ModelAdmin[Product]{
		Options: admin.Options{
			ListDisplay:        []string{"name", "sku", "category", "price", "sale_price", "on_sale", "stock", "low_stock", "rating", "is_active"},
			ListEditable:       []string{"price", "stock"},
			ListFilter:         []string{"category", "is_active", "created_at"},
			SortableBy:         []string{"name", "sku", "category", "price", "sale_price", "stock", "low_stock", "rating"},
			Filters:            []admin.SimpleFilter{onSaleFilter, stockFilter},
			SearchFields:       []string{"@name", "@description", "sku"},
			PrepopulatedFields: map[string][]string{"slug": {"name"}},
			ReadonlyFields:     []string{"rating"},
			// A product much like another (a new size, a new colour) is
			// started from a copy of it; its SKU and slug must still differ.
			SaveAs: true,
		},
		Methods: map[string]admin.Method[Product]{
			"on_sale":   {Label: "On sale", Value: func(p *Product) any { return p.OnSale() }},
			"low_stock": {Label: "Low stock", Value: func(p *Product) any { return p.Stock < p.ReorderLevel }, OrderField: "stock"},
			// The stored average is 0 until a review is approved: shown as
			// no value, not as a rating of 0.00.
			"rating": {Label: "Average rating", Value: func(p *Product) any {
				if r := rating(p); r != "" {
					return r
				}
				return nil
			}, OrderField: "average_rating"},
		},
		Actions: []admin.Action[Product]{{Name: "restock", Label: "Restock selected products up to their reorder level", Run: restockProducts}},
	})
	admin.Register(site, Categories, admin.ModelAdmin[Category]{Options: admin.Options{
		ListDisplay:        []string{"name", "slug", "parent"},
		ListFilter:         []string{"parent"},
		SearchFields:       []string{"name", "slug"},
		PrepopulatedFields: map[string][]string{"slug": {"name"}},
	}})
	admin.Register(site, Customers, admin.ModelAdmin[Customer]{Options: admin.Options{
		ListDisplay:         []string{"user", "phone", "city", "country"},
		Fields:              []string{"user", "phone", "delivery_name", "address", "address_line2", "city", "postal_code", "country"},
		SortableBy:          []string{"user"},
		SearchFields:        []string{"user__username", "user__email", "city", "postal_code"},
		AutocompleteFields:  []string{"user"},
		StringSelectRelated: []string{"user"}, // Customer.String is its user's name
	}})
	admin.Register(site, Orders, admin.ModelAdmin[Order]{
		Options: admin.Options{
			NoAdd:       true, // PlaceOrder is what makes an order
			ListDisplay: []string{"reference", "customer", "status", "total", "created_at"},
			SortableBy:  []string{"total", "created_at"},
			ListFilter:  []string{"status", "created_at"},
			SearchFields: []string{"=reference", "customer__user__username", "customer__user__email",
				"shipping_name", "shipping_address"},
			// The reference as the customer reads it out: "#7kq2m9xd" finds
			// 7KQ2M9XD, through its unique index.
			SearchWord:        func(word string) orm.Cond { return orm.Q{"reference": NormalizeReference(word)} },
			DateHierarchy:     "created_at",
			ListSelectRelated: []string{"customer__user"},
			ReadonlyFields:    []string{"reference", "number", "customer", "total", "created_at"},
			// Four statuses, all seen at a glance.
			RadioFields: map[string]admin.Orientation{"status": admin.Horizontal},
			Fieldsets: []admin.Fieldset{
				{Fields: []string{"reference", "number", "customer", "status", "total", "created_at"}},
				{Name: "Shipping address", Fields: []string{"shipping_name", "shipping_line1", "shipping_line2",
					"shipping_city", "shipping_postal_code", "shipping_country", "shipping_address"}},
			},
			// The items are PlaceOrder's: shown, never added or deleted here.
			Inlines: []admin.Inline{admin.Tabular(OrderItems, admin.InlineOptions{
				Fields:         []string{"product", "quantity", "unit_price"},
				ReadonlyFields: []string{"product", "quantity", "unit_price"},
				NoAdd:          true,
				NoDelete:       true,
			})},
		},
		Actions:   []admin.Action[Order]{{Name: "cancel", Label: "Cancel selected orders", Run: cancelOrdersAction}},
		SaveModel: saveOrder,
	})
	admin.Register(site, Reviews, admin.ModelAdmin[Review]{
		Options: admin.Options{
			ListDisplay:       []string{"title", "product", "customer", "rating", "approved", "created_at"},
			SortableBy:        []string{"rating", "created_at"},
			ListFilter:        []string{"approved", "created_at"},
			SearchFields:      []string{"title", "body", "product__name", "customer__user__username"},
			ListSelectRelated: []string{"product", "customer__user"},
			// Searched, not listed: a catalogue may hold a million products.
			AutocompleteFields: []string{"product", "customer"},
		},
		Actions: []admin.Action[Review]{{Name: "approve", Label: "Approve selected reviews", Run: approveReviews}},
	})
	site.AddView(reportsView)
}

// The Product admin's own filters. "On sale" is ProductQS.OnSale, the
// rule Product.OnSale applies to one product, as a subquery: the admin's
// queryset is the default manager seen without its type. "Stock" is the
// low_stock column's rule (below the reorder level, by F()), out of stock,
// or in stock.
var (
	onSaleFilter = admin.SimpleFilter{
		Title: "on sale", ParameterName: "on_sale",
		Lookups: admin.StaticLookups(admin.Choice{Value: "yes", Label: "Yes"}, admin.Choice{Value: "no", Label: "No"}),
		Queryset: func(_ context.Context, qs orm.Manager, value string) (orm.Manager, error) {
			onSale := orm.Q{"pk__in": ProductObjects().OnSale()}
			if value == "yes" {
				return qs.Filter(onSale), nil
			}
			return qs.Exclude(onSale), nil
		},
	}
	stockFilter = admin.SimpleFilter{
		Title: "stock", ParameterName: "stock",
		Lookups: admin.StaticLookups(
			admin.Choice{Value: "low", Label: "Below reorder level"},
			admin.Choice{Value: "out", Label: "Out of stock"},
			admin.Choice{Value: "in", Label: "In stock"},
		),
		Queryset: func(_ context.Context, qs orm.Manager, value string) (orm.Manager, error) {
			switch value {
			case "low":
				return qs.Filter(orm.Q{"stock__lt": orm.F("reorder_level")}), nil
			case "out":
				return qs.Filter(orm.Q{"stock": 0}), nil
			}
			return qs.Filter(orm.Q{"stock__gt": 0}), nil
		},
	}
)

// cancelOrdersAction is the Order admin's cancel action: the selected
// orders are cancelled and restocked together, or, when one has shipped,
// none is.
func cancelOrdersAction(ctx context.Context, objs []*Order) (string, error) {
	n, err := cancelOrders(ctx, objs)
	var se *ShippedError
	switch {
	case errors.As(err, &se):
		names := make([]string, len(se.Orders))
		for i, o := range se.Orders {
			names[i] = o.String()
		}
		return "", admin.ActionError(fmt.Sprintf("Shipped orders cannot be cancelled: %s. No order was changed.", strings.Join(names, ", ")))
	case errors.Is(err, orm.ErrDoesNotExist):
		return "", admin.ActionError("A selected order no longer exists. No order was changed.")
	case err != nil:
		return "", err
	case n == 0:
		return "The selected orders were already cancelled.", nil
	case n == 1:
		return "1 order was cancelled and its items restocked.", nil
	}
	return fmt.Sprintf("%d orders were cancelled and their items restocked.", n), nil
}

// saveOrder is the Order admin's save (its SaveModel), so that changing
// the status on the form or by an import does what the action does. A
// status changed to cancelled cancels the order as CancelOrder does,
// putting its stock back; a shipped order cannot be cancelled or moved
// back, and a cancelled one cannot be reopened, as its stock is already
// back on the shelves. The refusals are shown on the status field. The
// stored status is read under the order's lock, not taken from the page,
// so a change racing the action restocks once.
func saveOrder(ctx context.Context, o *Order, adding bool) error {
	if parts := o.ShippingAddressParts(); !parts.IsZero() {
		// The text follows the parts, which its old readers cannot see.
		o.ShippingAddress = parts.Text()
	}
	if adding {
		return Orders.Save(ctx, o)
	}
	return orm.Atomic(ctx, func(ctx context.Context) error {
		locked, err := Orders.Objects().Filter(orm.Q{"pk": o.ID}).SelectForUpdate().All(ctx)
		if err != nil {
			return err
		}
		if len(locked) == 0 {
			return fmt.Errorf("shop: %s no longer exists: %w", o, orm.ErrDoesNotExist)
		}
		was := locked[0].Status
		switch {
		case was == o.Status:
		case o.Status == StatusCancelled:
			_, err := cancelLocked(ctx, locked)
			if errors.Is(err, ErrOrderShipped) {
				return statusError("A shipped order cannot be cancelled: its goods have left.")
			}
			if err != nil {
				return err
			}
		case was == StatusCancelled:
			return statusError("A cancelled order cannot be reopened: its items are back in stock. Place a new order instead.")
		case was == StatusShipped:
			// Back to paid or pending, it could then be cancelled, putting
			// goods that have left back in stock.
			return statusError("A shipped order stays shipped: its goods have left.")
		}
		return Orders.Save(ctx, o)
	})
}

func statusError(msg string) error {
	return &orm.ValidationError{Fields: map[string][]string{"status": {msg}}}
}

// approveReviews is the Review admin's action: ApproveReviews, which
// recomputes the ratings the bulk UPDATE's missing signal would not.
func approveReviews(ctx context.Context, objs []*Review) (string, error) {
	n, err := ApproveReviews(ctx, objs)
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 review was approved.", nil
	}
	return fmt.Sprintf("%d reviews were approved.", n), nil
}

// restockProducts is the Product admin's low-stock action: each selected
// product below its reorder level is brought up to it, in one UPDATE with
// F(), which reads the stock as it is then, not as the page showed it.
// The rows are locked first in key order, as PlaceOrder locks them, so
// that the two cannot deadlock.
func restockProducts(ctx context.Context, objs []*Product) (string, error) {
	ids := make([]int64, len(objs))
	for i, p := range objs {
		ids[i] = p.ID
	}
	var n int64
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		low := Products.Objects().Filter(orm.Q{"pk__in": ids, "stock__lt": orm.F("reorder_level")})
		if _, err := orm.Flat[int64](ctx, low.OrderBy("pk").SelectForUpdate(), "id"); err != nil {
			return err
		}
		var err error
		n, err = low.Update(ctx, orm.Values{"stock": orm.F("reorder_level")})
		return err
	})
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 product was restocked.", nil
	}
	return fmt.Sprintf("%d products were restocked.", n), nil
}

// ReportDays are the sales chart's choices of period.
var ReportDays = []int{7, 14, 30, 90}

// reportsView is the admin's shop reports page, /admin/shop/reports/,
// listed on the admin's index under the shop for the staff users who may
// view orders (admin.CanView). Its query parameters are days (one of
// ReportDays, default 30) and category (a category's slug for the
// low-stock list, default every category).
var reportsView = admin.View{
	App: "shop", Slug: "reports", Title: "Reports",
	Allowed: func(ctx context.Context, u *auth.User) (bool, error) {
		return admin.CanView(ctx, u, Orders.Meta)
	},
	Serve: serveReports,
}

func serveReports(c echo.Context, page adminui.Page) error {
	days := 30
	if raw := c.QueryParam("days"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || !slices.Contains(ReportDays, n) {
			return errs.E(errs.Invalid, "Choose a period of 7, 14, 30 or 90 days.")
		}
		days = n
	}
	r, err := Reports(c.Request().Context(), c.QueryParam("category"), days)
	if errors.Is(err, ErrUnknownCategory) {
		return errs.Wrap(err, errs.Invalid, "There is no such category.")
	}
	if err != nil {
		return err
	}
	r.Page = page
	ctx := c.Request().Context()
	canView, err := admin.CanView(ctx, auth.UserFrom(ctx), Products.Meta)
	if err != nil {
		return err
	}
	if !canView {
		r.LowStock, r.HideLowStock = nil, true
	}
	return views.Render(c, http.StatusOK, shopviews.ReportsPage(r))
}

// ErrUnknownCategory is Reports' answer to a category slug that names
// none.
var ErrUnknownCategory = errors.New("shop: no such category")

// Reports gathers the reports page, in four queries: the categories, the
// ten best customers, the products below their reorder level under the
// category with that slug ("" for all), and the sales of the last days.
func Reports(ctx context.Context, categorySlug string, days int) (shopviews.Reports, error) {
	r := shopviews.Reports{Category: categorySlug, Days: days, DayChoices: ReportDays}
	cats, err := Categories.Objects().Only("name", "slug").All(ctx)
	if err != nil {
		return r, err
	}
	known := categorySlug == ""
	for _, c := range cats {
		r.Categories = append(r.Categories, shopviews.ReportCategory{Slug: c.Slug, Name: c.Name})
		known = known || c.Slug == categorySlug
	}
	if !known {
		return r, ErrUnknownCategory
	}
	top, err := TopCustomers(ctx, 10)
	if err != nil {
		return r, err
	}
	for _, t := range top {
		r.TopCustomers = append(r.TopCustomers, shopviews.ReportCustomer{
			Name: t.Username, URL: fmt.Sprintf("/admin/shop/customer/%d/change/", t.Customer.ID),
			Spent: money(t.TotalSpent), Orders: t.OrderCount, LastOrder: t.LastOrder.UTC().Format("2006-01-02 15:04"),
		})
	}
	low, err := LowStock(ctx, categorySlug)
	if err != nil {
		return r, err
	}
	for _, p := range low {
		cat, _ := p.Category.Cached()
		r.LowStock = append(r.LowStock, shopviews.ReportProduct{
			Name: p.Name, URL: fmt.Sprintf("/admin/shop/product/%d/change/", p.ID), SKU: p.SKU,
			Category: cat.Name, Stock: int(p.Stock), ReorderLevel: int(p.ReorderLevel),
		})
	}
	sales, err := SalesPerDay(ctx, days)
	if err != nil {
		return r, err
	}
	total := decimal.Zero
	for _, d := range sales {
		amount, _ := d.Revenue.Float64()
		r.Sales = append(r.Sales, shopviews.ReportDay{Date: d.Day.Format(time.DateOnly), Orders: d.Orders,
			Revenue: money(d.Revenue), Amount: amount})
		r.SalesOrders += d.Orders
		total = total.Add(d.Revenue)
	}
	r.SalesTotal = money(total)
	return r, nil
}
