package shop_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// catalog is the manager tests' shop:
//
//	electronics
//	├── phones: Old Phone (100, "sale" 100, 3 left), and
//	│   └── android: Android Phone (300, sale 250, 5 left)
//	├── laptops: Budget Laptop (500, none left), Gaming Laptop (1500, sale 1200, 2 left, inactive)
//	└── Cable (10, "sale" 12, 100 left)
//	books: Novel (20, sale 15, 50 left)
func catalog(t *testing.T, ctx context.Context) map[string]*shop.Category {
	t.Helper()
	el := newCategory(t, ctx, "electronics", nil)
	phones := newCategory(t, ctx, "phones", el)
	android := newCategory(t, ctx, "android", phones)
	laptops := newCategory(t, ctx, "laptops", el)
	books := newCategory(t, ctx, "books", nil)
	newProduct(t, ctx, android, "Android Phone", "300", "250", 5)
	newProduct(t, ctx, laptops, "Budget Laptop", "500", "", 0)
	newProduct(t, ctx, el, "Cable", "10", "12", 100)
	newProduct(t, ctx, laptops, "Gaming Laptop", "1500", "1200", 2, func(p *shop.Product) { p.IsActive = false })
	newProduct(t, ctx, books, "Novel", "20", "15", 50)
	newProduct(t, ctx, phones, "Old Phone", "100", "100", 3)
	return map[string]*shop.Category{"electronics": el, "phones": phones, "android": android, "laptops": laptops, "books": books}
}

func TestProductQuerySetChains(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cats := catalog(t, ctx)
		objects := shop.ProductObjects
		cases := []struct {
			name string
			qs   shop.ProductQS
			want []string
		}{
			{"all", objects(), []string{"Android Phone", "Budget Laptop", "Cable", "Gaming Laptop", "Novel", "Old Phone"}},
			{"in stock", objects().InStock(), []string{"Android Phone", "Cable", "Novel", "Old Phone"}},
			{"on sale (below the list price only)", objects().OnSale(), []string{"Android Phone", "Gaming Laptop", "Novel"}},
			{"by slug, sub-categories at every level", objects().ByCategorySlug("electronics"),
				[]string{"Android Phone", "Budget Laptop", "Cable", "Gaming Laptop", "Old Phone"}},
			{"by slug of a middle category", objects().ByCategorySlug("phones"), []string{"Android Phone", "Old Phone"}},
			{"by slug of a leaf", objects().ByCategorySlug("android"), []string{"Android Phone"}},
			{"by unknown slug", objects().ByCategorySlug("garden"), []string{}},
			{"by category", objects().ByCategory(cats["laptops"]), []string{"Budget Laptop", "Gaming Laptop"}},
			{"by category among those loaded", objects().ByCategoryAmong(slices.Collect(maps.Values(cats)), cats["electronics"]),
				[]string{"Android Phone", "Budget Laptop", "Cable", "Gaming Laptop", "Old Phone"}},
			{"by a leaf among those loaded", objects().ByCategoryAmong(slices.Collect(maps.Values(cats)), cats["android"]), []string{"Android Phone"}},
			{"in stock, on sale", objects().InStock().OnSale(), []string{"Android Phone", "Novel"}},
			{"on sale, in stock", objects().OnSale().InStock(), []string{"Android Phone", "Novel"}},
			{"on sale, category, in stock", objects().OnSale().ByCategorySlug("electronics").InStock(), []string{"Android Phone"}},
			{"category, ordered, then in stock", objects().ByCategorySlug("electronics").OrderBy("-price").InStock(),
				[]string{"Android Phone", "Old Phone", "Cable"}},
			{"built-in filter first", objects().Filter(orm.Q{"price__lt": 400}).ByCategory(cats["electronics"]).OnSale(),
				[]string{"Android Phone"}},
			{"exclude between", objects().InStock().Exclude(orm.Q{"name__icontains": "phone"}).OrderBy("price"),
				[]string{"Cable", "Novel"}},
			{"two categories narrow to their overlap", objects().ByCategorySlug("electronics").ByCategorySlug("phones"),
				[]string{"Android Phone", "Old Phone"}},
			{"disjoint categories", objects().ByCategorySlug("books").ByCategorySlug("phones"), []string{}},
			{"or of built-ins, then ours", objects().Filter(orm.Or(orm.Q{"stock": 0}, orm.Q{"price__gte": 1000})).ByCategorySlug("laptops"),
				[]string{"Budget Laptop", "Gaming Laptop"}},
			{"sliced last", objects().InStock().ByCategorySlug("electronics").OrderBy("name").Limit(2), []string{"Android Phone", "Cable"}},
			{"select related, offset", objects().SelectRelated("category").OnSale().OrderBy("-price").Offset(1), []string{"Android Phone", "Novel"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var got []*shop.Product
				ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
					var err error
					if got, err = tc.qs.All(ctx); err != nil {
						t.Fatal(err)
					}
				})
				if g := names(got); !slices.Equal(g, tc.want) {
					t.Fatalf("got %q, want %q", g, tc.want)
				}
			})
		}
	})
}

func TestProductQuerySetWithAggregatesAndCounts(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		catalog(t, ctx)
		n, err := shop.ProductObjects().ByCategorySlug("electronics").InStock().Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("count = %d, %v; want 3", n, err)
		}
		ok, err := shop.ProductObjects().OnSale().ByCategorySlug("books").Exists(ctx)
		if err != nil || !ok {
			t.Fatalf("exists = %v, %v; want true", ok, err)
		}
		row, err := shop.ProductObjects().ByCategorySlug("electronics").InStock().
			Aggregate(ctx, orm.A{"units": orm.Sum("stock")})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(row["units"]); got != "108" {
			t.Fatalf("units in stock = %s, want 108", got)
		}
		sale, err := orm.Flat[string](ctx, shop.ProductObjects().OnSale().InStock().OrderBy("-price"), "slug")
		if err != nil || !slices.Equal(sale, []string{"android-phone", "novel"}) {
			t.Fatalf("slugs = %q, %v", sale, err)
		}
	})
}

// TestByCategoryDepth: MaxCategoryDepth levels below a category are found;
// the level after is not (the documented bound of the walk).
func TestByCategoryDepth(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		top := newCategory(t, ctx, "level-0", nil)
		c := top
		for i := 1; i <= shop.MaxCategoryDepth+1; i++ {
			c = newCategory(t, ctx, fmt.Sprintf("level-%d", i), c)
			newProduct(t, ctx, c, fmt.Sprintf("Product %02d", i), "1", "", 1)
		}
		got, err := shop.ProductObjects().ByCategory(top).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != shop.MaxCategoryDepth || got[len(got)-1].Name != fmt.Sprintf("Product %02d", shop.MaxCategoryDepth) {
			t.Fatalf("got %q, want products 01 to %02d", names(got), shop.MaxCategoryDepth)
		}
		got, err = shop.ProductObjects().ByCategorySlug("level-3").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// levels 3 to MaxCategoryDepth+1 are all within reach of level 3
		if len(got) != shop.MaxCategoryDepth-1 || got[0].Name != "Product 03" {
			t.Fatalf("under level-3: got %q", names(got))
		}
	})
}
