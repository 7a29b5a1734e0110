package shop_test

import (
	"context"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// seedWords are words a product of each leaf category may be named by,
// and words none of its products may be.
var seedWords = map[string]struct{ some, none []string }{
	"smartphones":       {[]string{"Smartphone", "Phone"}, []string{"Kettle", "Backpack", "Novel"}},
	"phone-accessories": {[]string{"Cable", "Charger", "Case", "Protector", "Power Bank", "Mount", "Pad"}, []string{"Backpack", "Kettle"}},
	"laptops":           {[]string{"Laptop", "Ultrabook"}, []string{"Kettle", "Planter"}},
	"monitors":          {[]string{"Monitor"}, []string{"Kettle", "Novel"}},
	"audio":             {[]string{"Speaker", "Headphones", "Earbuds", "Soundbar", "Turntable"}, []string{"Kettle", "Lamp"}},
	"fiction":           {[]string{" by "}, []string{"Kettle", "Backpack", "Charger"}},
	"non-fiction":       {[]string{" by "}, []string{"Kettle", "Backpack", "Charger"}},
	"kitchen":           {[]string{"Kettle", "Skillet", "Knife", "Mixer", "Teapot", "Press", "Blender"}, []string{"Novel", "Charger"}},
	"garden":            {[]string{"Planter", "Watering Can", "Shears", "Hose", "Bed", "Feeder", "Light"}, []string{"Kettle", "Phone"}},
	"toys":              {[]string{"Blocks", "Bear", "Puzzle", "Train", "Kite", "Rings", "Marble"}, []string{"Kettle", "Charger"}},
}

// TestSeedPictures: every demo product is named for its category and has a
// picture with its thumbnail; the first of each maker and colour on a shelf
// have their own, the others share them, and a second run draws nothing.
func TestSeedPictures(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		const n = 180 // past the 8 pictures of each of the 10 shelves
		if _, err := shop.Seed(ctx, shop.SeedOptions{Products: n, Customers: -1, Orders: -1, Reviews: -1}); err != nil {
			t.Fatal(err)
		}
		products, err := shop.Products.Objects().SelectRelated("category").OrderBy("sku").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(products) != n {
			t.Fatalf("%d products, want %d", len(products), n)
		}
		names := map[string]bool{}
		owners := map[string]string{} // picture → the first product showing it
		for _, p := range products {
			cat, _ := p.Category.Cached()
			words := seedWords[cat.Slug]
			if !containsAny(p.Name, words.some) || containsAny(p.Name, words.none) {
				t.Errorf("%q in %s", p.Name, cat.Name)
			}
			if names[p.Name] {
				t.Errorf("two products are named %q", p.Name)
			}
			names[p.Name] = true
			if p.Image.Name == "" || !strings.HasPrefix(p.Image.Name, "products/") || !strings.HasSuffix(p.Image.Name, ".png") {
				t.Fatalf("%q has the picture %q", p.Name, p.Image.Name)
			}
			if _, ok := owners[p.Image.Name]; !ok {
				owners[p.Image.Name] = p.Name
			}
		}
		if len(owners) != 10*8 {
			t.Errorf("%d pictures drawn, want 8 for each of the 10 shelves", len(owners))
		}
		for pic, owner := range owners {
			for _, f := range []string{pic, pic + ".thumb.jpg"} {
				r, err := os.Open(orm.File{Name: f}.Path())
				if err != nil {
					t.Fatalf("the picture of %q: %v", owner, err)
				}
				cfg, _, err := image.DecodeConfig(r)
				r.Close()
				if err != nil || cfg.Width == 0 {
					t.Errorf("%s: %v", f, err)
				}
			}
		}
		// A product shares a picture only with the same maker and colour:
		// both are in its name, as is the maker's initial on the badge.
		for _, p := range products {
			owner := owners[p.Image.Name]
			if maker(owner) != maker(p.Name) {
				t.Errorf("%q shows the picture of %q", p.Name, owner)
			}
		}

		before := filesIn(t, products[0])
		if _, err := shop.Seed(ctx, shop.SeedOptions{Products: n + 40, Customers: -1, Orders: -1, Reviews: -1}); err != nil {
			t.Fatal(err)
		}
		if after := filesIn(t, products[0]); after != before {
			t.Errorf("a larger run drew pictures again: %d files, then %d", before, after)
		}
		if missing, err := shop.Products.Objects().Filter(orm.Q{"image": ""}).Count(ctx); err != nil || missing != 0 {
			t.Errorf("%d products without a picture after a second run (%v)", missing, err)
		}
	})
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// maker is what a demo product's name says of its maker and colour: the
// words before the item for most, the author and format for a book.
func maker(name string) string {
	if _, after, ok := strings.Cut(name, " by "); ok {
		return after[:strings.Index(after, ")")+1]
	}
	first, _, _ := strings.Cut(name, " ")
	_, colour, _ := strings.Cut(name, ", ")
	colour, _, _ = strings.Cut(colour, ", series")
	return first + " " + colour
}

// filesIn counts the files in the folder of p's picture.
func filesIn(t *testing.T, p *shop.Product) int {
	t.Helper()
	dir := strings.TrimSuffix(p.Image.Path(), p.Image.Name)
	entries, err := os.ReadDir(dir + "products")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
