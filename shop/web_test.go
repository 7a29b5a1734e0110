package shop_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
	"github.com/quarry-go/quarry/static"
)

// shelf is the storefront's test catalog.
type shelf struct {
	electronics, phones, books         *shop.Category
	phone, laptop, cable, novel, radio *shop.Product
}

func (sf *storefront) shelf() *shelf {
	t, ctx := sf.t, sf.ctx
	s := &shelf{}
	s.electronics = newCategory(t, ctx, "electronics", nil)
	s.phones = newCategory(t, ctx, "phones", s.electronics)
	s.books = newCategory(t, ctx, "books", nil)
	s.phone = newProduct(t, ctx, s.phones, "Phone X", "500.00", "450.00", 5, func(p *shop.Product) {
		p.Description = "A phone with a good camera."
	})
	s.laptop = newProduct(t, ctx, s.electronics, "Laptop", "1200.00", "", 3, func(p *shop.Product) {
		p.Description = "Fast, light, and it folds."
	})
	s.cable = newProduct(t, ctx, s.electronics, "Cable", "10.00", "", 0)
	s.novel = newProduct(t, ctx, s.books, "Novel", "20.00", "15.00", 10, func(p *shop.Product) {
		p.Description = "A long story about a phone call."
	})
	s.radio = newProduct(t, ctx, s.electronics, "Old Radio", "30.00", "", 4, func(p *shop.Product) {
		p.IsActive = false
	})
	// Oldest first, so that "newest" has an order to find.
	for i, p := range []*shop.Product{s.cable, s.laptop, s.novel, s.phone, s.radio} {
		setField(t, ctx, p, "created_at", time.Date(2026, 1, 1+i, 12, 0, 0, 0, time.UTC))
	}
	setField(t, ctx, s.laptop, "average_rating", dec("4.50"))
	setField(t, ctx, s.novel, "average_rating", dec("3.00"))
	return s
}

// setField writes one column of p, past auto_now_add and non-editable
// fields.
func setField(t *testing.T, ctx context.Context, p *shop.Product, field string, v any) {
	t.Helper()
	if _, err := shop.Products.Objects().Filter(orm.Q{"pk": p.ID}).Update(ctx, orm.Values{field: v}); err != nil {
		t.Fatal(err)
	}
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func id(p *shop.Product) string { return fmt.Sprint(p.ID) }

// checkout is the checkout form sent with key and a complete address,
// changed by kv: a value of "" sends the input empty.
func checkout(key string, kv ...string) url.Values {
	v := url.Values{"key": {key}, "name": {"Ann Smith"}, "line1": {"2 Side Street"},
		"city": {"Springfield"}, "postal_code": {"12345"}, "country": {"US"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// buy places an order of one unit of each product for c.
func buy(t *testing.T, ctx context.Context, c *shop.Customer, products ...*shop.Product) *shop.Order {
	t.Helper()
	var lines []shop.CartLine
	for _, p := range products {
		lines = append(lines, shop.CartLine{ProductID: p.ID, Quantity: 1})
	}
	o, err := shop.PlaceOrder(ctx, c, lines, shop.Checkout{ShippingAddress: "1 Main Street"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestStorefrontHome(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		sf.shelf()
		b := sf.anonymous()
		var r *response
		// The featured row and the sale row: one query each; an anonymous
		// visitor's session costs none.
		ormtest.AssertNumQueries(t, sf.ctx, 2, func(ctx context.Context) { r = b.in(ctx).get("/") })
		r.expect(t, http.StatusOK, "<title>Shop · Quarry</title>", `href="`+static.URL("css/shop.css")+`"`,
			"Featured", "On sale", "$450.00", "$500.00", static.URL("img/product-placeholder.svg"))
		// Best rated first; sold-out and inactive products are not featured.
		r.inOrder(t, "Featured", "Laptop", "Novel", "On sale")
		r.inOrder(t, "On sale", "Phone X", "Novel")
		r.lacks(t, "Cable", "Old Radio")
	})
}

func TestStorefrontCatalog(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		sf.shelf()
		b := sf.anonymous()
		for _, tc := range []struct {
			name, query string
			want        []string // in this order
			absent      []string
		}{
			{"all active, by name", "", []string{"Cable", "Laptop", "Novel", "Phone X"}, []string{"Old Radio"}},
			{"category with its sub-categories", "category=electronics", []string{"Cable", "Laptop", "Phone X"}, []string{"Novel"}},
			{"sub-category", "category=phones", []string{"Phone X"}, []string{"Laptop", "Novel"}},
			// A name hit (Phone X) ranks above a description hit (Novel).
			{"search name or description, by relevance", "q=phone", []string{"Phone X", "Novel"}, []string{"Laptop", "Cable"}},
			{"search sorted by name", "q=phone&sort=name", []string{"Novel", "Phone X"}, []string{"Laptop", "Cable"}},
			{"search finds other forms of a word", "q=phones", []string{"Phone X", "Novel"}, []string{"Laptop"}},
			{"misspelt: names spelt alike", "q=labtop", []string{"Laptop"}, []string{"Phone X", "Cable"}},
			{"relevance needs a search", "sort=relevance", []string{"Cable", "Laptop", "Novel", "Phone X"}, nil},
			{"search every word", "q=phone+camera", []string{"Phone X"}, []string{"Novel"}},
			{"search ignores case", "q=LAPTOP", []string{"Laptop"}, []string{"Phone X"}},
			{"in stock", "in_stock=1", []string{"Laptop", "Novel", "Phone X"}, []string{"Cable"}},
			{"on sale", "on_sale=1", []string{"Novel", "Phone X"}, []string{"Laptop", "Cable"}},
			{"on sale in a category", "on_sale=1&category=electronics", []string{"Phone X"}, []string{"Novel", "Laptop"}},
			{"price, what the customer pays", "sort=price", []string{"Cable", "Novel", "Phone X", "Laptop"}, nil},
			{"price descending", "sort=-price", []string{"Laptop", "Phone X", "Novel", "Cable"}, nil},
			{"rating", "sort=rating", []string{"Laptop", "Novel", "Cable", "Phone X"}, nil},
			{"newest", "sort=newest", []string{"Phone X", "Novel", "Laptop", "Cable"}, nil},
			{"unknown sort is the default", "sort=cost_price", []string{"Cable", "Laptop", "Novel", "Phone X"}, nil},
			{"nothing found", "q=zebra", nil, []string{"Laptop"}},
			// PostgreSQL cannot compare such text: the search is dropped.
			{"search with a NUL", "q=phone%00", []string{"Cable", "Laptop", "Novel", "Phone X"}, nil},
			{"search not UTF-8", "q=%FF", []string{"Cable", "Laptop", "Novel", "Phone X"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := b.get("/products/?" + tc.query)
				total := map[int]string{0: "No products match.", 1: "1 product"}[len(tc.want)]
				if total == "" {
					total = fmt.Sprintf("%d products", len(tc.want))
				}
				r.expect(t, http.StatusOK, total)
				grid := r
				if i := strings.Index(r.body, `class="product-grid"`); i >= 0 {
					grid = &response{body: r.body[i:]}
				}
				grid.inOrder(t, tc.want...)
				grid.lacks(t, tc.absent...)
			})
		}
		// Relevance is a sort, and the default one, only while searching.
		b.get("/products/?q=phone").expect(t, http.StatusOK, `<option value="" selected>Relevance</option>`, `<option value="name">Name</option>`)
		b.get("/products/").lacks(t, "Relevance")
		for _, tc := range []struct{ name, query, message string }{
			{"unknown category", "category=toys", "There is no such category."},
			{"page past the end", "page=2", "That page does not exist."},
			{"page zero", "page=0", "That page does not exist."},
			{"page not a number", "page=two", "That page does not exist."},
			{"category with a NUL", "category=books%00", "There is no such category."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.get("/products/?"+tc.query).expect(t, http.StatusNotFound, tc.message)
			})
		}
		for _, slug := range []string{"laptop%00", "%FF", "%C3%28"} {
			b.get("/products/"+slug+"/").expect(t, http.StatusNotFound, "This product does not exist")
		}
	})
}

func TestStorefrontCatalogPagination(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		c := newCategory(t, sf.ctx, "things", nil)
		for i := range 30 {
			newProduct(t, sf.ctx, c, fmt.Sprintf("Thing %02d", i), "5.00", "", 1)
		}
		b := sf.anonymous()
		r := b.get("/products/?page=2")
		r.expect(t, http.StatusOK, "30 products", `aria-current="page">2<`,
			`href="/products/?page=3"`, `rel="prev" href="/products/"`)
		r.inOrder(t, "Thing 12", "Thing 23")
		r.lacks(t, "Thing 11", "Thing 24")
		// The filters travel with the page links.
		r = b.get("/products/?q=thing&per_page=24")
		r.expect(t, http.StatusOK, `href="/products/?page=2&amp;per_page=24&amp;q=thing"`)
		r.inOrder(t, "Thing 00", "Thing 23")
		r.lacks(t, "Thing 24")
		b.get("/products/?per_page=24&page=3").expect(t, http.StatusNotFound)
	})
}

// Previous and Next name the row they continue from, and the page is read
// by seeking to it; the page bar's numbers, a sort the catalog cannot
// seek in and a row gone since read by number.
func TestStorefrontCatalogSeeks(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		c := newCategory(t, sf.ctx, "things", nil)
		var things []*shop.Product
		for i := range 40 {
			things = append(things, newProduct(t, sf.ctx, c, fmt.Sprintf("Thing %02d", i), fmt.Sprintf("%d.00", 40-i), "", 1))
		}
		b := sf.anonymous()
		b.get("/products/?page=2").expect(t, http.StatusOK,
			`rel="next" href="/products/?page=3&amp;after=`+id(things[23])+`"`, `rel="prev" href="/products/"`, `href="/products/?page=4"`)
		r := b.get("/products/?page=3&after=" + id(things[23]))
		r.expect(t, http.StatusOK, `aria-current="page">3<`,
			`rel="prev" href="/products/?page=2&amp;before=`+id(things[24])+`"`, `rel="next" href="/products/?page=4&amp;after=`+id(things[35])+`"`)
		r.inOrder(t, "Thing 24", "Thing 35")
		r.lacks(t, "Thing 23", "Thing 36")
		r = b.get("/products/?page=2&before=" + id(things[24]))
		r.expect(t, http.StatusOK, `rel="next" href="/products/?page=3&amp;after=`+id(things[23])+`"`)
		r.inOrder(t, "Thing 12", "Thing 23")
		r.lacks(t, "Thing 11", "Thing 24")
		r = b.get("/products/?page=4&after=" + id(things[35]))
		r.inOrder(t, "Thing 36", "Thing 39")
		r.lacks(t, `rel="next"`)

		// Sorted by price (an expression), the key is ignored: page 2 by
		// number is Thing 27 down to Thing 16.
		r = b.get("/products/?sort=price&page=2&after=" + id(things[0]))
		r.inOrder(t, "Thing 27", "Thing 16")
		r.lacks(t, "Thing 28", "Thing 15")
		// A key that is gone or no number: the page by number.
		if _, err := shop.Products.Objects().Filter(orm.Q{"pk": things[11].ID}).Delete(sf.ctx); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{id(things[11]), "x'--", "99999999999999999999"} {
			r = b.get("/products/?page=2&after=" + url.QueryEscape(key))
			r.expect(t, http.StatusOK)
			r.inOrder(t, "Thing 13", "Thing 24")
		}
	})
}

// A big catalog stops counting at a thousand products and still pages on,
// one page past the last it counted, to the real end.
func TestStorefrontCatalogCountsUpToABound(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		c := newCategory(t, sf.ctx, "things", nil)
		products := make([]*shop.Product, 1005)
		for i := range products {
			p := shop.Products.New()
			p.Name, p.Slug, p.SKU = fmt.Sprintf("Thing %04d", i), fmt.Sprintf("thing-%04d", i), fmt.Sprintf("SKU-%04d", i)
			p.Category.ID, p.Price, p.Stock = c.ID, dec("5.00"), 1
			products[i] = p
		}
		if err := shop.Products.Objects().BulkCreate(sf.ctx, products, 0); err != nil {
			t.Fatal(err)
		}
		b := sf.anonymous()
		r := b.get("/products/")
		r.expect(t, http.StatusOK, "More than 1,000 products", `href="/products/?page=84"`)
		r.inOrder(t, "Thing 0000", "Thing 0011")
		// Page 84 is the last the count knows; five more products fill it
		// and end the list there.
		r = b.get("/products/?page=84")
		r.expect(t, http.StatusOK, "Thing 0996", "Thing 1004")
		r.lacks(t, `rel="next"`)
		r = b.get("/products/?page=83")
		r.expect(t, http.StatusOK, `rel="next" href="/products/?page=84&amp;after=`+id(products[995])+`"`)
		b.get("/products/?page=85").expect(t, http.StatusNotFound)
		b.get("/products/?q=thing+0999").expect(t, http.StatusOK, "1 product", "Thing 0999")
	})
}

// TestStorefrontCatalogQueries holds the catalog to three queries (the
// categories, the count, the page) whatever the page size, and the home
// page to two.
func TestStorefrontCatalogQueries(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		for i := range 60 {
			cat := s.phones
			if i%2 == 0 {
				cat = s.books
			}
			newProduct(t, sf.ctx, cat, fmt.Sprintf("Item %02d", i), fmt.Sprintf("%d.00", i+1), "", 2)
		}
		anon := sf.anonymous()
		signedIn := sf.as(newCustomer(t, sf.ctx, "ann"))
		anchor, err := shop.Products.Objects().Get(sf.ctx, orm.Q{"name": "Item 10"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			b     *browser
			query string
			want  int
		}{
			{"12 per page", anon, "", 3},
			{"48 per page", anon, "?per_page=48", 3},
			{"last page", anon, "?per_page=48&page=2", 3},
			{"next page: the row it follows, then the page", anon, "?page=2&after=" + fmt.Sprint(anchor.ID), 4},
			{"filtered and sorted", anon, "?category=electronics&in_stock=1&on_sale=1&q=phone+camera&sort=-price", 3},
			{"signed in: the session and the user", signedIn, "?per_page=48", 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ormtest.AssertNumQueries(t, sf.ctx, tc.want, func(ctx context.Context) {
					tc.b.in(ctx).get("/products/"+tc.query).expect(t, http.StatusOK)
				})
			})
		}
		ormtest.AssertNumQueries(t, sf.ctx, 4, func(ctx context.Context) {
			signedIn.in(ctx).get("/").expect(t, http.StatusOK)
		})
	})
}

func TestStorefrontProductPage(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann, bob := newCustomer(t, sf.ctx, "ann"), newCustomer(t, sf.ctx, "bob")
		for _, rv := range []struct {
			c        *shop.Customer
			rating   int16
			title    string
			approved bool
		}{{ann, 5, "Love it", true}, {bob, 2, "Hidden complaint", false}} {
			r := shop.Reviews.New()
			r.Product.ID, r.Customer.ID, r.Rating, r.Title, r.Approved = s.laptop.ID, rv.c.ID, rv.rating, rv.title, rv.approved
			if err := shop.Reviews.Save(sf.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		b := sf.anonymous()

		r := b.get("/products/laptop/")
		r.expect(t, http.StatusOK, "<h1>Laptop</h1>", "$1,200.00", "Only 3 left in stock", "Love it", "ann",
			"5.00 · 1 review", `action="/cart/add/"`, `name="product" value="`+id(s.laptop)+`"`, `max="3"`,
			"Log in to review products you have bought.", `href="/products/?category=electronics"`)
		r.lacks(t, "Hidden complaint", "Write a review")

		r = b.get("/products/phone-x/")
		r.expect(t, http.StatusOK, "$450.00", "<del", "$500.00", "Sale", "No reviews yet.")

		b.get("/products/novel/").expect(t, http.StatusOK, "In stock")
		r = b.get("/products/cable/")
		r.expect(t, http.StatusOK, "Sold out")
		r.lacks(t, `action="/cart/add/"`)

		// The product and its reviews; for a signed-in visitor also the
		// session, the user, and whether they reviewed or bought it.
		ormtest.AssertNumQueries(t, sf.ctx, 2, func(ctx context.Context) {
			b.in(ctx).get("/products/laptop/").expect(t, http.StatusOK)
		})
		buy(t, sf.ctx, bob, s.phone)
		ormtest.AssertNumQueries(t, sf.ctx, 6, func(ctx context.Context) {
			sf.as(bob).in(ctx).get("/products/phone-x/").expect(t, http.StatusOK, "Write a review")
		})

		b.get("/products/no-such-thing/").expect(t, http.StatusNotFound, "This product does not exist or is no longer sold.")
		b.get("/products/old-radio/").expect(t, http.StatusNotFound, "no longer sold")
	})
}

// TestStorefrontProductPageManyReviews shows the newest reviews and counts
// the rest, in one more query.
func TestStorefrontProductPageManyReviews(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		for i := range 22 {
			c := newCustomer(t, sf.ctx, fmt.Sprintf("reader%02d", i))
			r := shop.Reviews.New()
			r.Product.ID, r.Customer.ID, r.Rating, r.Title, r.Approved = s.novel.ID, c.ID, 4, fmt.Sprintf("Review %02d", i), true
			if err := shop.Reviews.Save(sf.ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		var r *response
		ormtest.AssertNumQueries(t, sf.ctx, 3, func(ctx context.Context) { r = sf.anonymous().in(ctx).get("/products/novel/") })
		r.expect(t, http.StatusOK, "4.00 · 22 reviews", "The 20 newest of 22 reviews.")
		r.inOrder(t, "Review 21", "Review 02")
		r.lacks(t, "Review 01", "Review 00")
	})
}

func TestStorefrontEscapesProductText(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		c := newCategory(t, sf.ctx, "odd", nil)
		p := newProduct(t, sf.ctx, c, `<script>alert("x")</script>`, "1.00", "", 5, func(p *shop.Product) {
			p.Slug, p.Description = "odd-one", `<img src=x onerror=alert(1)>`
		})
		b := sf.anonymous()
		b.post("/cart/add/", form("product", id(p), "quantity", "1")).redirectsTo(t, "/cart/")
		for _, path := range []string{"/", "/products/", "/products/odd-one/", "/cart/"} {
			r := b.get(path)
			r.expect(t, http.StatusOK, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
			r.lacks(t, "<script>alert", "<img src=x")
		}
	})
}

func TestStorefrontCart(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		b := sf.anonymous()
		b.get("/cart/").expect(t, http.StatusOK, "Your cart is empty.")

		// An anonymous visitor's first change gives them a session.
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "2")).redirectsTo(t, "/cart/")
		if b.cookies["sessionid"] == nil {
			t.Fatal("adding to the cart set no session cookie")
		}
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
		r := b.get("/cart/")
		// 3 × 450 + 15
		r.expect(t, http.StatusOK, "Phone X", "Novel", `value="3"`, "$1,350.00", "$1,365.00", `<span class="badge">4`)
		r.inOrder(t, "Novel", "Phone X")
		// The session, then the cart's products in one query.
		ormtest.AssertNumQueries(t, sf.ctx, 2, func(ctx context.Context) {
			b.in(ctx).get("/cart/").expect(t, http.StatusOK)
		})

		b.post("/cart/update/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
		b.get("/cart/").expect(t, http.StatusOK, "$465.00")
		b.post("/cart/remove/", form("product", id(s.novel))).redirectsTo(t, "/cart/")
		r = b.get("/cart/")
		r.expect(t, http.StatusOK, "Phone X", "$450.00")
		r.lacks(t, "Novel")
		// Removing what is not in the cart changes nothing.
		b.post("/cart/remove/", form("product", id(s.laptop))).redirectsTo(t, "/cart/")

		for _, tc := range []struct {
			name, path, product, quantity string
			status                        int
			message                       string
		}{
			{"zero", "/cart/add/", id(s.laptop), "0", http.StatusBadRequest, "Enter a quantity of at least 1 for Laptop."},
			{"negative", "/cart/add/", id(s.laptop), "-2", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"not a number", "/cart/add/", id(s.laptop), "two", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"fraction", "/cart/add/", id(s.laptop), "1.5", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"missing", "/cart/add/", id(s.laptop), "", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"huge", "/cart/add/", id(s.laptop), "99999999999999999999", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"more than the stock", "/cart/add/", id(s.laptop), "4", http.StatusBadRequest, "Only 3 of Laptop left in stock; you asked for 4."},
			{"more than the stock with the cart's", "/cart/add/", id(s.phone), "5", http.StatusBadRequest, "Only 5 of Phone X left in stock, and your cart holds 1; you asked for 5 more."},
			// Added to the cart's 1, the largest int would wrap round.
			{"largest int", "/cart/add/", id(s.phone), "9223372036854775807", http.StatusBadRequest, "you asked for 9223372036854775807 more."},
			{"update past the stock", "/cart/update/", id(s.phone), "6", http.StatusBadRequest, "Only 5 of Phone X left in stock; you asked for 6."},
			{"update to zero", "/cart/update/", id(s.phone), "0", http.StatusBadRequest, "Enter a quantity of at least 1"},
			{"sold out", "/cart/add/", id(s.cable), "1", http.StatusBadRequest, "Cable is sold out."},
			{"inactive product", "/cart/add/", id(s.radio), "1", http.StatusNotFound, "no longer sold"},
			{"unknown product", "/cart/add/", "999999", "1", http.StatusNotFound, "no longer sold"},
			{"product not a number", "/cart/add/", "phone", "1", http.StatusBadRequest, "Choose a product"},
			{"remove, product not a number", "/cart/remove/", "", "", http.StatusBadRequest, "Choose a product"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b.post(tc.path, form("product", tc.product, "quantity", tc.quantity)).expect(t, tc.status, tc.message)
				// The cart is as it was.
				r := b.get("/cart/")
				r.expect(t, http.StatusOK, "Phone X", `value="1"`, "$450.00")
				r.lacks(t, "Laptop", "Cable")
			})
		}

		t.Run("CSRF token missing", func(t *testing.T) {
			for _, path := range []string{"/cart/add/", "/cart/update/", "/cart/remove/"} {
				b.postNoToken(path, form("product", id(s.laptop), "quantity", "1")).expect(t, http.StatusForbidden)
			}
			b.get("/cart/").lacks(t, "Laptop")
		})
	})
}

// TestStorefrontCartSurvivesLogin keeps what an anonymous visitor put in
// the cart once they sign in.
func TestStorefrontCartSurvivesLogin(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		b := sf.anonymous()
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "2")).redirectsTo(t, "/cart/")
		b.login(newCustomer(t, sf.ctx, "ann"))
		b.get("/cart/").expect(t, http.StatusOK, "Novel", `value="2"`, "Signed in as <strong>ann</strong>")
	})
}

func TestStorefrontCartShowsWhatRanShort(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		b := sf.anonymous()
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "4")).redirectsTo(t, "/cart/")
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
		b.post("/cart/add/", form("product", id(s.laptop), "quantity", "1")).redirectsTo(t, "/cart/")
		setField(t, sf.ctx, s.phone, "stock", 2)
		setField(t, sf.ctx, s.novel, "is_active", false)
		if _, err := shop.Products.Objects().Filter(orm.Q{"pk": s.laptop.ID}).Delete(sf.ctx); err != nil {
			t.Fatal(err)
		}
		r := b.get("/cart/")
		r.expect(t, http.StatusOK, "Only 2 left in stock.", "No longer sold.", "A product no longer sold")
		// No link to the page of a product no longer sold: it is a 404.
		r.lacks(t, `href="/products/novel/"`)
		// What can be removed is: the deleted product too.
		b.post("/cart/remove/", form("product", id(s.laptop))).redirectsTo(t, "/cart/")
		b.get("/cart/").lacks(t, "A product no longer sold")
	})
}

func TestStorefrontCheckout(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann := newCustomer(t, sf.ctx, "ann")
		ann.Address, ann.City, ann.PostalCode, ann.Country = "1 Main Street", "Springfield", "12345", "USA"
		if err := shop.Customers.Save(sf.ctx, ann); err != nil {
			t.Fatal(err)
		}

		t.Run("anonymous", func(t *testing.T) {
			b := sf.anonymous()
			b.post("/cart/add/", form("product", id(s.phone), "quantity", "1"))
			b.get("/checkout/").redirectsTo(t, "/accounts/login/?next=%2Fcheckout%2F")
			b.post("/checkout/", checkout(uuid.NewString())).
				redirectsTo(t, "/accounts/login/?next=%2Fcheckout%2F")
			if n := count(t, sf.ctx, shop.Orders); n != 0 {
				t.Fatalf("%d orders, want 0", n)
			}
		})

		t.Run("empty cart", func(t *testing.T) {
			b := sf.as(ann)
			b.get("/checkout/").redirectsTo(t, "/cart/")
			b.post("/checkout/", checkout(uuid.NewString(), "total", "0.00")).redirectsTo(t, "/cart/")
		})

		t.Run("places the order once", func(t *testing.T) {
			b := sf.as(ann)
			b.post("/cart/add/", form("product", id(s.phone), "quantity", "2")).redirectsTo(t, "/cart/")
			b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
			r := b.get("/checkout/")
			// Prefilled from the address on file; its country, typed as a
			// name before, chosen by its code.
			r.expect(t, http.StatusOK, "Order summary", "$915.00", `name="line1" value="1 Main Street"`,
				`name="postal_code" value="12345"`, `name="city" value="Springfield"`, `<option value="US" selected>`,
				`name="save_address"`, `name="_csrf"`)
			key := r.checkoutKey(t)

			// Each required part missing: the form again, with what was
			// typed and a message by the part.
			for _, c := range []struct{ field, msg string }{
				{"name", "Enter the name to ship the order to."},
				{"line1", "Enter the street and house number."},
				{"city", "Enter the city."},
				{"postal_code", "Enter the postal code."},
				{"country", "Choose the country."},
			} {
				r := b.post("/checkout/", checkout(key, c.field, "  ", "line2", "Flat 3"))
				r.expect(t, http.StatusBadRequest, c.msg, `value="Flat 3"`, `value="`+key+`"`)
				if c.field != "line1" {
					r.expect(t, http.StatusBadRequest, `value="2 Side Street"`)
				}
				if c.field != "country" {
					r.expect(t, http.StatusBadRequest, `<option value="US" selected>`)
				}
			}
			b.post("/checkout/", checkout(key, "country", "XX")).
				expect(t, http.StatusBadRequest, "Choose one of the countries we ship to.")
			b.post("/checkout/", checkout(key, "line1", strings.Repeat("a", 201))).
				expect(t, http.StatusBadRequest, "Ensure this has at most 200 characters (it has 201).")
			b.post("/checkout/", checkout("not-a-key")).
				expect(t, http.StatusBadRequest, "The checkout form is incomplete.")
			b.post("/checkout/", checkout(key, "line1", "2 Side\x00Street")).
				expect(t, http.StatusBadRequest, "Enter plain text.")
			b.post("/checkout/", checkout(key, "city", "Stra\xdfe")).
				expect(t, http.StatusBadRequest, "Enter plain text.")
			b.postNoToken("/checkout/", checkout(key)).expect(t, http.StatusForbidden)
			if n := count(t, sf.ctx, shop.Orders); n != 0 {
				t.Fatalf("%d orders after refused checkouts, want 0", n)
			}

			r = b.post("/checkout/", checkout(key))
			o, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": key})
			if err != nil {
				t.Fatal(err)
			}
			r.redirectsTo(t, "/checkout/done/"+o.Reference+"/")
			if o.Customer.ID != ann.ID || !o.Total.Equal(dec("915.00")) ||
				o.ShippingAddressParts() != (shop.Address{Name: "Ann Smith", Line1: "2 Side Street", City: "Springfield", PostalCode: "12345", Country: "US"}) ||
				o.ShippingAddress != "Ann Smith\n2 Side Street\n12345 Springfield\nUnited States" {
				t.Errorf("order = customer %d, total %s, address %+v %q", o.Customer.ID, o.Total, o.ShippingAddressParts(), o.ShippingAddress)
			}
			if got := stockOf(t, sf.ctx, s.phone.ID); got != 3 {
				t.Errorf("phone stock %d, want 3", got)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Your cart is empty.")
			b.get(r.location).expect(t, http.StatusOK, "Thank you! Your order has been placed.", "#"+o.Reference,
				"Phone X", "Novel", "$900.00", "$915.00", "Ann Smith\n2 Side Street\n12345 Springfield\nUnited States")
			// Not asked to, the checkout left the address on file as it was.
			if cu, err := shop.Customers.Objects().Get(sf.ctx, orm.Q{"pk": ann.ID}); err != nil || cu.Address != "1 Main Street" {
				t.Errorf("customer %+v, %v: the address on file changed", cu, err)
			}

			// The same form again, a double click: the same order, no other.
			b.post("/checkout/", checkout(key)).redirectsTo(t, "/orders/"+o.Reference+"/")
			if n := count(t, sf.ctx, shop.Orders); n != 1 {
				t.Fatalf("%d orders after a double submit, want 1", n)
			}
		})

		t.Run("second submit while the first is placing", func(t *testing.T) {
			b := sf.as(ann)
			b.post("/cart/add/", form("product", id(s.laptop), "quantity", "1")).redirectsTo(t, "/cart/")
			key := b.get("/checkout/").checkoutKey(t)
			// The first submit placed the order but the second read the
			// cart before the first emptied it.
			first, err := shop.PlaceOrder(sf.ctx, ann, []shop.CartLine{{ProductID: s.laptop.ID, Quantity: 1}},
				shop.Checkout{Key: uuid.MustParse(key), ShippingAddress: "1 Main Street"})
			if err != nil {
				t.Fatal(err)
			}
			b.post("/checkout/", checkout(key, "line1", "1 Main Street")).
				redirectsTo(t, "/checkout/done/"+first.Reference+"/")
			if got := stockOf(t, sf.ctx, s.laptop.ID); got != 2 {
				t.Errorf("laptop stock %d, want 2: one order of one", got)
			}
			if n := count(t, sf.ctx, shop.Orders); n != 2 {
				t.Fatalf("%d orders, want 2", n)
			}
		})

		t.Run("another customer's key", func(t *testing.T) {
			key := uuid.New()
			if _, err := shop.PlaceOrder(sf.ctx, ann, []shop.CartLine{{ProductID: s.novel.ID, Quantity: 1}},
				shop.Checkout{Key: key, ShippingAddress: "1 Main Street"}); err != nil {
				t.Fatal(err)
			}
			before := count(t, sf.ctx, shop.Orders)
			b := sf.as(newCustomer(t, sf.ctx, "mallory"))
			b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
			b.post("/checkout/", checkout(key.String(), "total", "15.00")).
				expect(t, http.StatusBadRequest, "The checkout form is no longer valid.")
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d", n, before)
			}
		})

		t.Run("stock ran out since the items were added", func(t *testing.T) {
			b := sf.as(ann)
			b.post("/cart/add/", form("product", id(s.phone), "quantity", "3")).redirectsTo(t, "/cart/")
			b.post("/cart/add/", form("product", id(s.novel), "quantity", "2")).redirectsTo(t, "/cart/")
			b.post("/cart/add/", form("product", id(s.laptop), "quantity", "1")).redirectsTo(t, "/cart/")
			key := b.get("/checkout/").checkoutKey(t)
			setField(t, sf.ctx, s.phone, "stock", 1)
			setField(t, sf.ctx, s.novel, "is_active", false)
			before := count(t, sf.ctx, shop.Orders)

			r := b.post("/checkout/", checkout(key, "line1", "1 Main Street"))
			r.expect(t, http.StatusConflict, "Some products ran short",
				"Phone X: you asked for 3, only 1 left.", "Novel: you asked for 2, and it is no longer available.",
				`value="`+key+`"`, "1 Main Street")
			r.lacks(t, "Laptop: you asked")
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d: a short order places nothing", n, before)
			}
			if got := stockOf(t, sf.ctx, s.laptop.ID); got != 2 {
				t.Errorf("laptop stock %d, want 2", got)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Phone X", "Only 1 left in stock.", "No longer sold.")
		})

		// A new customer, with an empty cart, after the stock above ran out.
		dee := newCustomer(t, sf.ctx, "dee")
		t.Run("an old checkout page after the cart changed", func(t *testing.T) {
			b := sf.as(dee)
			b.post("/cart/add/", form("product", id(s.laptop), "quantity", "1")).redirectsTo(t, "/cart/")
			old := b.get("/checkout/").checkoutKey(t)
			first := b.post("/checkout/", checkout(old, "line1", "1 Main Street"))
			placed, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": old})
			if err != nil {
				t.Fatal(err)
			}
			first.redirectsTo(t, "/checkout/done/"+placed.Reference+"/")
			before := count(t, sf.ctx, shop.Orders)

			// Back in the browser, a new cart, the old page's form again.
			b.post("/cart/add/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
			r := b.post("/checkout/", checkout(old, "line1", "1 Main Street"))
			r.expect(t, http.StatusConflict, "This checkout page already placed order #"+placed.Reference,
				"has not been ordered yet", "Phone X")
			fresh := r.checkoutKey(t)
			if fresh == old {
				t.Fatal("the form kept the used key")
			}
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d", n, before)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Phone X")
			r = b.post("/checkout/", checkout(fresh, "line1", "1 Main Street"))
			second, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": fresh})
			if err != nil {
				t.Fatal(err)
			}
			r.redirectsTo(t, "/checkout/done/"+second.Reference+"/")
			if !second.Total.Equal(dec("450.00")) {
				t.Errorf("second order's total %s, want 450.00", second.Total)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Your cart is empty.")
		})

		t.Run("an old checkout page again, with the same products re-added", func(t *testing.T) {
			lamp := newProduct(t, sf.ctx, s.books, "Reading Lamp", "25.00", "", 10)
			b := sf.as(dee)
			b.post("/cart/add/", form("product", id(lamp), "quantity", "1")).redirectsTo(t, "/cart/")
			old := b.get("/checkout/").checkoutKey(t)
			b.post("/checkout/", checkout(old, "line1", "1 Main Street")).expect(t, http.StatusSeeOther)
			before := count(t, sf.ctx, shop.Orders)
			// The same cart as the placed order's, but a new one: the old
			// page must not take it for a retry and empty it.
			b.post("/cart/add/", form("product", id(lamp), "quantity", "1")).redirectsTo(t, "/cart/")
			b.post("/checkout/", checkout(old, "line1", "1 Main Street")).
				expect(t, http.StatusConflict, "This checkout page already placed order", "Reading Lamp")
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d", n, before)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Reading Lamp")
			// Once that order is deleted, the key is free again.
			if _, err := shop.Orders.Objects().Filter(orm.Q{"checkout_key": old}).Delete(sf.ctx); err != nil {
				t.Fatal(err)
			}
			b.post("/checkout/", checkout(old, "line1", "1 Main Street")).expect(t, http.StatusSeeOther)
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d: the deleted one's place taken by the new", n, before)
			}
			b.get("/cart/").expect(t, http.StatusOK, "Your cart is empty.")
		})

		t.Run("prices changed since the page was shown", func(t *testing.T) {
			setField(t, sf.ctx, s.novel, "is_active", true)
			b := sf.as(dee)
			b.post("/cart/add/", form("product", id(s.novel), "quantity", "2")).redirectsTo(t, "/cart/")
			r := b.get("/checkout/")
			r.expect(t, http.StatusOK, `name="total" value="30.00"`)
			key := r.checkoutKey(t)
			b.post("/checkout/", checkout(key, "line1", "1 Main Street", "total", "")).
				expect(t, http.StatusBadRequest, "The checkout form is incomplete.")
			setField(t, sf.ctx, s.novel, "sale_price", dec("17.50"))
			before := count(t, sf.ctx, shop.Orders)
			r = b.post("/checkout/", checkout(key, "line1", "1 Main Street"))
			r.expect(t, http.StatusConflict, "Prices have changed since you opened this page: your order now comes to $35.00, not $30.00.",
				`name="total" value="35.00"`)
			if n := count(t, sf.ctx, shop.Orders); n != before {
				t.Fatalf("%d orders, want %d: nothing is charged at a total not shown", n, before)
			}
			// Sent again from the page that shows the new total: placed.
			b.post("/checkout/", checkout(key, "line1", "1 Main Street")).expect(t, http.StatusSeeOther)
			o, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": key})
			if err != nil || !o.Total.Equal(dec("35.00")) {
				t.Fatalf("order %v, %v; want one of 35.00", o, err)
			}
		})

		t.Run("a total past what an order holds", func(t *testing.T) {
			yacht := newProduct(t, sf.ctx, s.books, "Yacht", "99999999.99", "", 500)
			b := sf.as(dee)
			b.post("/cart/add/", form("product", id(yacht), "quantity", "101")).redirectsTo(t, "/cart/")
			key := b.get("/checkout/").checkoutKey(t)
			before := count(t, sf.ctx, shop.Orders)
			b.post("/checkout/", checkout(key, "line1", "1 Main Street")).
				expect(t, http.StatusConflict, "An order can come to at most $9,999,999,999.99.", "Yacht")
			if n := count(t, sf.ctx, shop.Orders); n != before || stockOf(t, sf.ctx, yacht.ID) != 500 {
				t.Fatal("a refused order was placed or took stock")
			}
			b.post("/cart/remove/", form("product", id(yacht))).redirectsTo(t, "/cart/")
		})
	})
}

func TestStorefrontOrders(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann, bob := newCustomer(t, sf.ctx, "ann"), newCustomer(t, sf.ctx, "bob")
		annOrder := buy(t, sf.ctx, ann, s.phone, s.novel)
		bobOrder := buy(t, sf.ctx, bob, s.laptop)
		a := sf.as(ann)

		sf.anonymous().get("/orders/").redirectsTo(t, "/accounts/login/?next=%2Forders%2F")
		sf.anonymous().get("/orders/"+annOrder.Reference+"/").
			redirectsTo(t, "/accounts/login/?next=%2Forders%2F"+annOrder.Reference+"%2F")
		sf.anonymous().get("/checkout/done/"+annOrder.Reference+"/").
			redirectsTo(t, "/accounts/login/?next=%2Fcheckout%2Fdone%2F"+annOrder.Reference+"%2F")

		r := a.get("/orders/")
		r.expect(t, http.StatusOK, "#"+annOrder.Reference, "$465.00", "Pending", `href="/orders/`+annOrder.Reference+`/"`)
		r.lacks(t, bobOrder.Reference, "$1,200.00")

		r = a.get("/orders/" + annOrder.Reference + "/")
		r.expect(t, http.StatusOK, "Order #"+annOrder.Reference, "Phone X", "$450.00", "Novel", "$15.00", "$465.00", "1 Main Street")
		r.lacks(t, "Thank you!")
		// As the customer may type it, and by the number old links carry.
		a.get("/orders/"+strings.ToLower(annOrder.Reference)+"/").expect(t, http.StatusOK, "Order #"+annOrder.Reference)
		a.get("/orders/"+annOrder.Number.String()+"/").expect(t, http.StatusOK, "Order #"+annOrder.Reference)
		// The confirmation page: the same order, with the thanks.
		a.get("/checkout/done/"+annOrder.Reference+"/").
			expect(t, http.StatusOK, "Thank you! Your order has been placed.", "#"+annOrder.Reference, "Phone X", "$465.00", "1 Main Street")

		for _, path := range []string{
			"/orders/" + bobOrder.Reference + "/",
			"/orders/" + bobOrder.Number.String() + "/",
			"/checkout/done/" + bobOrder.Reference + "/",
			"/checkout/done/" + bobOrder.Number.String() + "/",
			"/orders/" + uuid.NewString() + "/",
			"/orders/not-a-number/",
			"/orders/" + annOrder.Number.String()[:8] + "/",
		} {
			a.get(path).expect(t, http.StatusNotFound, "You have no order with this reference.")
		}
	})
}

// TestStorefrontOrdersQueries holds the order pages to a constant number
// of queries: the session and the user, then one for the list and two
// for an order, however many orders and lines.
func TestStorefrontOrdersQueries(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann := newCustomer(t, sf.ctx, "ann")
		a := sf.as(ann)
		first := buy(t, sf.ctx, ann, s.phone)
		ormtest.AssertNumQueries(t, sf.ctx, 3, func(ctx context.Context) { a.in(ctx).get("/orders/").expect(t, http.StatusOK) })
		ormtest.AssertNumQueries(t, sf.ctx, 4, func(ctx context.Context) {
			a.in(ctx).get("/orders/"+first.Reference+"/").expect(t, http.StatusOK)
		})
		ormtest.AssertNumQueries(t, sf.ctx, 4, func(ctx context.Context) {
			a.in(ctx).get("/checkout/done/"+first.Reference+"/").expect(t, http.StatusOK)
		})
		setField(t, sf.ctx, s.laptop, "stock", 10)
		var many *shop.Order
		for range 4 {
			many = buy(t, sf.ctx, ann, s.phone, s.novel, s.laptop)
		}
		ormtest.AssertNumQueries(t, sf.ctx, 3, func(ctx context.Context) {
			a.in(ctx).get("/orders/").expect(t, http.StatusOK, "$1,665.00")
		})
		ormtest.AssertNumQueries(t, sf.ctx, 4, func(ctx context.Context) {
			a.in(ctx).get("/orders/"+many.Reference+"/").expect(t, http.StatusOK, "Laptop")
		})
		ormtest.AssertNumQueries(t, sf.ctx, 4, func(ctx context.Context) {
			a.in(ctx).get("/checkout/done/"+many.Reference+"/").expect(t, http.StatusOK, "Laptop")
		})
	})
}

func TestStorefrontReviews(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		buyer, other := newCustomer(t, sf.ctx, "ann"), newCustomer(t, sf.ctx, "bob")
		buy(t, sf.ctx, buyer, s.laptop)
		a, o := sf.as(buyer), sf.as(other)
		good := form("rating", "4", "title", "Solid", "body", "Does the job.")

		sf.anonymous().post("/products/laptop/review/", good).redirectsTo(t, "/accounts/login/?next=%2Fproducts%2Flaptop%2F")

		r := o.get("/products/laptop/")
		r.expect(t, http.StatusOK, "Only customers who bought this product can review it.")
		r.lacks(t, "Write a review")
		o.post("/products/laptop/review/", good).expect(t, http.StatusForbidden, "Only customers who bought this product can review it.")

		// A cancelled order is not a purchase.
		cancelled := newCustomer(t, sf.ctx, "cy")
		o2 := buy(t, sf.ctx, cancelled, s.laptop)
		if _, err := shop.Orders.Objects().Filter(orm.Q{"pk": o2.ID}).Update(sf.ctx, orm.Values{"status": shop.StatusCancelled}); err != nil {
			t.Fatal(err)
		}
		sf.as(cancelled).post("/products/laptop/review/", good).expect(t, http.StatusForbidden)

		a.get("/products/laptop/").expect(t, http.StatusOK, "Write a review", `action="/products/laptop/review/"`)
		for _, tc := range []struct {
			name    string
			form    url.Values
			message string
		}{
			{"rating zero", form("rating", "0", "title", "Solid"), "Choose a rating from 1 to 5 stars."},
			{"rating six", form("rating", "6", "title", "Solid"), "Choose a rating from 1 to 5 stars."},
			{"rating not a number", form("rating", "five", "title", "Solid"), "Choose a rating from 1 to 5 stars."},
			{"no rating", form("title", "Solid"), "Choose a rating from 1 to 5 stars."},
			{"no title", form("rating", "4", "body", "Kept"), "This field is required."},
			{"title too long", form("rating", "4", "title", strings.Repeat("x", 201)), "Ensure this value has at most 200 characters (it has 201)."},
			{"title with a NUL", form("rating", "4", "title", "Sol\x00id"), "Enter plain text."},
			{"body not UTF-8", form("rating", "4", "title", "Solid", "body", "caf\xe9"), "Enter plain text."},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a.post("/products/laptop/review/", tc.form).expect(t, http.StatusBadRequest, tc.message, "Write a review")
			})
		}
		if n := count(t, sf.ctx, shop.Reviews); n != 0 {
			t.Fatalf("%d reviews after refused forms, want 0", n)
		}

		a.post("/products/laptop/review/", good).redirectsTo(t, "/products/laptop/?reviewed=1#reviews")
		rv, err := shop.Reviews.Objects().Get(sf.ctx, orm.Q{"product": s.laptop.ID, "customer": buyer.ID})
		if err != nil {
			t.Fatal(err)
		}
		if rv.Rating != 4 || rv.Title != "Solid" || rv.Approved {
			t.Errorf("review = %d %q approved %v, want 4 \"Solid\" unapproved", rv.Rating, rv.Title, rv.Approved)
		}
		r = a.get("/products/laptop/?reviewed=1")
		r.expect(t, http.StatusOK, "Your review will appear once it has been approved.", "You have reviewed this product.")
		r.lacks(t, "Write a review", "Does the job.")

		a.post("/products/laptop/review/", form("rating", "1", "title", "Changed my mind")).
			expect(t, http.StatusBadRequest, "You have already reviewed this product.")
		if n := count(t, sf.ctx, shop.Reviews); n != 1 {
			t.Fatalf("%d reviews, want 1", n)
		}
		a.postNoToken("/products/laptop/review/", good).expect(t, http.StatusForbidden)
		a.post("/products/old-radio/review/", good).expect(t, http.StatusNotFound)
	})
}

// TestStorefrontLogoutElsewhere: a sign-out in another tab lands while a
// request that already loaded the session is on its way. The cart change
// is refused rather than bringing the session back; an order it placed
// stands.
func TestStorefrontLogoutElsewhere(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann := newCustomer(t, sf.ctx, "ann")
		b := sf.as(ann)
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
		logoutDuring := ""
		sf.srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if c.Request().URL.Path == logoutDuring {
					other, err := sf.store.Load(sf.ctx, b.cookies[auth.CookieName].Value)
					if err != nil {
						return err
					}
					if err := sf.store.Logout(sf.ctx, other); err != nil {
						return err
					}
				}
				return next(c)
			}
		})
		signedIn := func() int64 {
			n, err := auth.Sessions.Objects().Filter(orm.Q{"user": ann.User.ID}).Count(sf.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		logoutDuring = "/cart/add/"
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).
			expect(t, http.StatusConflict, "You were signed out in another window")
		if n := signedIn(); n != 0 {
			t.Fatalf("%d signed-in sessions after the logout, want 0", n)
		}
		if b.cookies[auth.CookieName] != nil {
			t.Fatal("the response kept the ended session's cookie")
		}

		logoutDuring = ""
		b.login(ann)
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
		key := b.get("/checkout/").checkoutKey(t)
		logoutDuring = "/checkout/"
		r := b.post("/checkout/", checkout(key, "line1", "1 Main Street"))
		o, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": key})
		if err != nil {
			t.Fatalf("the order was not placed: %v", err)
		}
		r.redirectsTo(t, "/checkout/done/"+o.Reference+"/")
		if n := signedIn(); n != 0 {
			t.Fatalf("%d signed-in sessions after the logout, want 0", n)
		}
	})
}

// The cart is saved by the site's session store, with its settings.
func TestStorefrontCartUsesSiteSessionStore(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		sf.store.Age = time.Hour
		b := sf.anonymous()
		b.post("/cart/add/", form("product", id(s.phone), "quantity", "1")).redirectsTo(t, "/cart/")
		ck := b.cookies[auth.CookieName]
		if ck == nil || ck.MaxAge > 3600 || ck.MaxAge < 3500 {
			t.Fatalf("session cookie %+v, want one living the store's hour", ck)
		}
		sess, err := auth.Sessions.Objects().Get(sf.ctx, orm.Q{"key": ck.Value})
		if err != nil {
			t.Fatal(err)
		}
		if left := time.Until(sess.ExpireAt); left > time.Hour || left < 59*time.Minute {
			t.Fatalf("the session expires in %v, want an hour", left)
		}
	})
}
