package shop

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	qmoney "github.com/quarry-go/quarry/money"
	"github.com/quarry-go/quarry/orm"
)

// Summary is an order as its confirmation shows it, on the page after
// the checkout and in an email: amounts both as decimals and written in
// the shop's currency.
type Summary struct {
	Reference string // "7KQ2M9XD", as the customer quotes it
	URL       string // the order's page, a path: "/orders/7KQ2M9XD/"
	PlacedAt  time.Time
	Status    string // its label: "Pending"
	Address   Address
	// AddressText is the address as lines; for an order placed before
	// the address had parts, the only form it has.
	AddressText string
	Lines       []SummaryLine
	Total       decimal.Decimal
	TotalText   string // "$1,234.50"
	Currency    string // "USD"
}

// SummaryLine is one product of a Summary, priced as of the order.
type SummaryLine struct {
	Product       string
	ProductURL    string // "" for a product no longer sold
	Quantity      int
	UnitPrice     decimal.Decimal
	UnitPriceText string
	LineTotal     decimal.Decimal
	LineTotalText string
}

// OrderSummary gathers o's summary in one query, its items with their
// products. It reads through the context's database, so called from
// OnOrderPlaced it sees the order's own transaction.
func OrderSummary(ctx context.Context, o *Order) (*Summary, error) {
	items, err := OrderItems.Objects().Filter(orm.Q{"order": o.ID}).SelectRelated("product").All(ctx)
	if err != nil {
		return nil, err
	}
	s := &Summary{
		Reference: o.Reference, URL: orderURL(o), PlacedAt: o.CreatedAt, Status: Orders.Display(o, "status"),
		Address: o.ShippingAddressParts(), AddressText: o.ShippingAddress,
		Total: o.Total, TotalText: money(o.Total), Currency: qmoney.Code(),
	}
	for _, it := range items {
		line := SummaryLine{
			Quantity:  int(it.Quantity),
			UnitPrice: it.UnitPrice, UnitPriceText: money(it.UnitPrice),
			LineTotal: it.LineTotal(), LineTotalText: money(it.LineTotal()),
		}
		if p, ok := it.Product.Cached(); ok {
			line.Product = p.Name
			if p.IsActive {
				line.ProductURL = p.AbsoluteURL()
			}
		}
		s.Lines = append(s.Lines, line)
	}
	return s, nil
}
