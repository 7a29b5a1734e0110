package shop_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/shop"
	"github.com/quarry-go/quarry/static"
)

// TestStorefrontPictures: cards show the thumbnail, lazily and at its
// size; the product page shows the picture as uploaded, named for screen
// readers; a product without one shows the placeholder.
func TestStorefrontPictures(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		var pic bytes.Buffer
		png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 800, 600)))
		if err := shop.Products.SaveFile(sf.ctx, s.laptop, "image", "laptop.html", &pic); err != nil {
			t.Fatal(err)
		}
		if err := shop.Products.Save(sf.ctx, s.laptop); err != nil {
			t.Fatal(err)
		}
		thumb, original := s.laptop.Image.ThumbnailURL(), s.laptop.Image.URL()
		if thumb == "" || original != "/media/"+s.laptop.Image.Name || !strings.HasSuffix(original, ".png") {
			t.Fatalf("thumbnail %q, picture %q", thumb, original)
		}
		b := sf.anonymous()
		for _, path := range []string{"/", "/products/"} {
			r := b.get(path)
			r.expect(t, http.StatusOK,
				fmt.Sprintf(`<img src="%s" alt="" loading="lazy" decoding="async" width="400" height="300">`, thumb),
				fmt.Sprintf(`<img src="%s" alt="" loading="lazy" decoding="async" width="400" height="300">`, static.URL("img/product-placeholder.svg")))
			r.lacks(t, `src="`+original+`"`)
		}
		b.get("/products/"+s.laptop.Slug+"/").expect(t, http.StatusOK,
			fmt.Sprintf(`<img src="%s" alt="Laptop" width="640" height="480">`, original))
		b.get("/products/"+s.phone.Slug+"/").expect(t, http.StatusOK,
			fmt.Sprintf(`<img src="%s" alt="No photo of Phone X yet" width="640" height="480">`, static.URL("img/product-placeholder.svg")))

		// The admin's change form previews it, and offers to clear it.
		c := newAdminClient(t, sf.ctx)
		c.get(fmt.Sprintf("/admin/shop/product/%d/change/", s.laptop.ID),
			"Currently:", `href="`+original+`"`, `src="`+thumb+`"`, `name="image-clear"`)
	})
}
