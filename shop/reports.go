package shop

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// The reports count an order as a sale unless it was cancelled: a
// cancelled order was never paid for (or was refunded), so it is neither
// spend nor revenue, as a Django shop would filter it out.
var soldStatuses = []OrderStatus{StatusPending, StatusPaid, StatusShipped}

// TopCustomer is a row of TopCustomers.
type TopCustomer struct {
	*Customer
	Username   string `orm:"user__username"`
	TotalSpent decimal.Decimal
	OrderCount int64
	LastOrder  time.Time
}

// TopCustomers returns the n customers who spent the most, with their
// spend, number of orders and last order's time, in one query. Cancelled
// orders do not count; ties go to the earlier customer.
func TopCustomers(ctx context.Context, n int) ([]TopCustomer, error) {
	var rows []TopCustomer
	err := Customers.Objects().
		Filter(orm.Q{"orders__status__in": soldStatuses}).
		Annotate(orm.A{
			"total_spent": orm.Sum("orders__total"),
			"order_count": orm.Count("orders"),
			"last_order":  orm.Max("orders__created_at"),
		}).
		OrderBy("-total_spent", "pk").
		Limit(n).
		Scan(ctx, &rows)
	return rows, err
}

// LowStock returns the active products below their reorder level in the
// category with that slug and its sub-categories ("" for every
// category), the emptiest first, with their categories loaded.
func LowStock(ctx context.Context, categorySlug string) ([]*Product, error) {
	qs := ProductObjects().Filter(orm.Q{"is_active": true, "stock__lt": orm.F("reorder_level")})
	if categorySlug != "" {
		qs = qs.ByCategorySlug(categorySlug)
	}
	return qs.SelectRelated("category").OrderBy("stock", "name").All(ctx)
}

// DaySales is one day of SalesPerDay.
type DaySales struct {
	Day     time.Time // midnight UTC
	Orders  int64
	Revenue decimal.Decimal
}

// SalesPerDay returns the orders and revenue of each of the last days
// days, today (UTC) included, oldest first; a day without sales is there
// with zeros, so a chart has one bar per day. Cancelled orders do not
// count.
func SalesPerDay(ctx context.Context, days int) ([]DaySales, error) {
	return salesPerDay(ctx, days, time.Now())
}

func salesPerDay(ctx context.Context, days int, now time.Time) ([]DaySales, error) {
	if days <= 0 {
		return nil, nil
	}
	now = now.UTC()
	first := time.Date(now.Year(), now.Month(), now.Day()-(days-1), 0, 0, 0, 0, time.UTC)
	var rows []DaySales
	err := Orders.Objects().
		Filter(orm.Q{"created_at__gte": first, "created_at__lt": first.AddDate(0, 0, days), "status__in": soldStatuses}).
		Annotate(orm.A{"day": orm.TruncDate("created_at")}).
		GroupBy("day").
		Annotate(orm.A{"orders": orm.Count("id"), "revenue": orm.Sum("total")}).
		OrderBy("day").
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make([]DaySales, days)
	for i := range out {
		out[i] = DaySales{Day: first.AddDate(0, 0, i), Revenue: decimal.Zero}
	}
	for _, r := range rows {
		if i := int(r.Day.Sub(first).Hours() / 24); i >= 0 && i < days {
			out[i].Orders, out[i].Revenue = r.Orders, r.Revenue
		}
	}
	return out, nil
}
