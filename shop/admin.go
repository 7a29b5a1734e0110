package shop

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/orm"
)

// The shop's admin, as Django's shop/admin.py.
//
// Orders are placed by PlaceOrder, which takes the stock and fixes the
// total: the admin shows an order's number, total and items read-only
// and changes only its status and address.
func init() {
	admin.Register(admin.Default, Products, admin.ModelAdmin[Product]{
		ListDisplay:        []string{"name", "sku", "category", "price", "sale_price", "on_sale", "stock", "low_stock", "average_rating", "is_active"},
		ListEditable:       []string{"price", "stock"},
		ListFilter:         []string{"category", "is_active", "created_at"},
		SearchFields:       []string{"name", "sku"},
		PrepopulatedFields: map[string][]string{"slug": {"name"}},
		ReadonlyFields:     []string{"average_rating"},
		Methods: map[string]admin.Method[Product]{
			"on_sale":   {Label: "On sale", Value: func(p *Product) any { return p.OnSale() }},
			"low_stock": {Label: "Low stock", Value: func(p *Product) any { return p.Stock < p.ReorderLevel }, OrderField: "stock"},
		},
		Actions: []admin.Action[Product]{{Name: "restock", Label: "Restock selected products up to their reorder level", Run: restockProducts}},
	})
	admin.Register(admin.Default, Categories, admin.ModelAdmin[Category]{
		ListDisplay:        []string{"name", "slug", "parent"},
		ListFilter:         []string{"parent"},
		SearchFields:       []string{"name", "slug"},
		PrepopulatedFields: map[string][]string{"slug": {"name"}},
	})
	admin.Register(admin.Default, Customers, admin.ModelAdmin[Customer]{
		ListDisplay:        []string{"user", "phone", "city", "country"},
		SearchFields:       []string{"user__username", "user__email", "city", "postal_code"},
		AutocompleteFields: []string{"user"},
	})
	admin.Register(admin.Default, Orders, admin.ModelAdmin[Order]{
		ListDisplay:       []string{"number", "customer", "status", "total", "created_at"},
		ListFilter:        []string{"status", "created_at"},
		SearchFields:      []string{"customer__user__username", "customer__user__email", "shipping_address"},
		DateHierarchy:     "created_at",
		ListSelectRelated: []string{"customer__user"},
		ReadonlyFields:    []string{"number", "customer", "total", "created_at"},
		Fields:            []string{"number", "customer", "status", "shipping_address", "total", "created_at"},
		Inlines: []admin.Inline{admin.Tabular(OrderItems, admin.InlineOptions{
			Fields:         []string{"product", "quantity", "unit_price"},
			ReadonlyFields: []string{"product", "quantity", "unit_price"},
			Extra:          -1,
		})},
	})
	admin.Register(admin.Default, Reviews, admin.ModelAdmin[Review]{
		ListDisplay:       []string{"title", "product", "customer", "rating", "approved", "created_at"},
		ListFilter:        []string{"approved", "created_at"},
		SearchFields:      []string{"title", "body", "product__name", "customer__user__username"},
		ListSelectRelated: []string{"product", "customer__user"},
		Actions:           []admin.Action[Review]{{Name: "approve", Label: "Approve selected reviews", Run: approveReviews}},
	})
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
func restockProducts(ctx context.Context, objs []*Product) (string, error) {
	ids := make([]int64, len(objs))
	for i, p := range objs {
		ids[i] = p.ID
	}
	n, err := Products.Objects().Filter(orm.Q{"pk__in": ids, "stock__lt": orm.F("reorder_level")}).
		Update(ctx, orm.Values{"stock": orm.F("reorder_level")})
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 product was restocked.", nil
	}
	return fmt.Sprintf("%d products were restocked.", n), nil
}
