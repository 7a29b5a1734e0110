package shop_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// shopModels are the tables the shop's domain tests need: auth's, the
// admin's log (the shop registers its admin) and the shop's own.
func shopModels() []*orm.Meta {
	return append(append(auth.Models(), admin.Models()...), shop.Models()...)
}

func eachDB(t *testing.T, fn func(t *testing.T, ctx context.Context)) {
	ormtest.Each(t, shopModels(), fn)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decPtr(s string) *decimal.Decimal {
	d := dec(s)
	return &d
}

// newCategory makes a category under parent (nil: a top one).
func newCategory(t *testing.T, ctx context.Context, slug string, parent *shop.Category) *shop.Category {
	t.Helper()
	c := &shop.Category{Name: slug, Slug: slug}
	if parent != nil {
		c.Parent.ID = parent.ID
	}
	if err := shop.Categories.Objects().Create(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// newProduct makes an active product; sale "" means not on sale, and edit
// adjusts it before the save.
func newProduct(t *testing.T, ctx context.Context, c *shop.Category, name, price, sale string, stock int32, edit ...func(*shop.Product)) *shop.Product {
	t.Helper()
	p := shop.Products.New()
	p.Name, p.Slug, p.SKU = name, slugOf(name), "SKU-"+slugOf(name)
	p.Category.ID = c.ID
	p.Price, p.Stock = dec(price), stock
	if sale != "" {
		p.SalePrice = decPtr(sale)
	}
	for _, f := range edit {
		f(p)
	}
	if err := shop.Products.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// newCustomer makes a user, whose Customer the post_save signal creates.
func newCustomer(t *testing.T, ctx context.Context, username string) *shop.Customer {
	t.Helper()
	u := auth.Users.New()
	u.Username, u.IsActive = username, true
	auth.SetUnusablePassword(u)
	if err := auth.Users.Save(ctx, u); err != nil {
		t.Fatal(err)
	}
	c, err := shop.Customers.Objects().Get(ctx, orm.Q{"user": u.ID})
	if err != nil {
		t.Fatalf("the new user has no customer: %v", err)
	}
	c.User.Set(u)
	return c
}

func slugOf(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return string(out)
}

func names(ps []*shop.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// stockOf reads a product's stock from the database.
func stockOf(t *testing.T, ctx context.Context, id int64) int32 {
	t.Helper()
	p, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": id})
	if err != nil {
		t.Fatal(err)
	}
	return p.Stock
}

func count[T any](t *testing.T, ctx context.Context, m *orm.Model[T]) int64 {
	t.Helper()
	n, err := m.Objects().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
