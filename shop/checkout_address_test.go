package shop_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/money"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// The checkout starts from the address on file, with the user's full name
// when the customer has no name for deliveries, and saves the address
// back only when asked to, in the order's transaction.
func TestCheckoutSavesTheAddressWhenAsked(t *testing.T) {
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		cy := newCustomer(t, sf.ctx, "cy")
		u, _ := cy.User.Cached()
		u.FirstName, u.LastName = "Cy", "Young"
		if err := auth.Users.Save(sf.ctx, u); err != nil {
			t.Fatal(err)
		}
		b := sf.as(cy)
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
		r := b.get("/checkout/")
		r.expect(t, http.StatusOK, `name="name" value="Cy Young"`, `name="line1" value=""`, `<option value="" selected>Choose a country</option>`)

		// A refused order leaves the address on file as it was.
		key := r.checkoutKey(t)
		setField(t, sf.ctx, s.novel, "stock", 0)
		b.post("/checkout/", checkout(key, "save_address", "1", "name", "Cy Young", "line1", "9 Elm Row",
			"line2", "Flat 2", "city", "Ghent", "postal_code", "9000", "country", "BE")).
			expect(t, http.StatusConflict, "Novel", `name="save_address" value="1" checked`)
		if cu := reload(t, sf.ctx, cy); cu.Address != "" || cu.Country != "" {
			t.Fatalf("a refused order saved the address: %+v", cu)
		}

		setField(t, sf.ctx, s.novel, "stock", 5)
		key = b.get("/checkout/").checkoutKey(t)
		r = b.post("/checkout/", checkout(key, "save_address", "1", "name", "Cy Young", "line1", "9 Elm Row",
			"line2", "Flat 2", "city", "Ghent", "postal_code", "9000", "country", "BE"))
		o, err := shop.Orders.Objects().Get(sf.ctx, orm.Q{"checkout_key": key})
		if err != nil {
			t.Fatalf("%v: %d %s", err, r.status, r.body)
		}
		r.redirectsTo(t, "/checkout/done/"+o.Reference+"/")
		cu := reload(t, sf.ctx, cy)
		if got := (shop.Address{Name: cu.DeliveryName, Line1: cu.Address, Line2: cu.AddressLine2, City: cu.City,
			PostalCode: cu.PostalCode, Country: cu.Country}); got != o.ShippingAddressParts() || got.Country != "BE" {
			t.Fatalf("saved address %+v, order's %+v", got, o.ShippingAddressParts())
		}
		b.get(r.location).expect(t, http.StatusOK, "Cy Young\n9 Elm Row\nFlat 2\n9000 Ghent\nBelgium")

		// The next checkout starts from it.
		b.post("/cart/add/", form("product", id(s.novel), "quantity", "1")).redirectsTo(t, "/cart/")
		b.get("/checkout/").expect(t, http.StatusOK, `name="name" value="Cy Young"`, `name="line1" value="9 Elm Row"`,
			`name="line2" value="Flat 2"`, `name="city" value="Ghent"`, `name="postal_code" value="9000"`, `<option value="BE" selected>`)
	})
}

func reload(t *testing.T, ctx context.Context, c *shop.Customer) *shop.Customer {
	t.Helper()
	cu, err := shop.Customers.Objects().Get(ctx, orm.Q{"pk": c.ID})
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

var referenceShape = regexp.MustCompile(`^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{8}$`)

func TestNewReference(t *testing.T) {
	seen := map[string]bool{}
	for range 2000 {
		r := shop.NewReference()
		if !referenceShape.MatchString(r) {
			t.Fatalf("reference %q is not 8 characters of Crockford's base32", r)
		}
		if seen[r] {
			t.Fatalf("reference %q drawn twice in 2,000", r)
		}
		seen[r] = true
	}
	for in, want := range map[string]string{"#7kq2m9xd": "7KQ2M9XD", " 7KQ2-M9XD ": "7KQ2M9XD", "oIl0": "0110"} {
		if got := shop.NormalizeReference(in); got != want {
			t.Errorf("NormalizeReference(%q) = %q, want %q", in, got, want)
		}
	}
}

// Each order gets a reference of its own: a draw that is taken is drawn
// again, inside the order's transaction, which stays usable on
// PostgreSQL.
func TestOrderReferencesAreUnique(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		novel := newProduct(t, ctx, cat, "Novel", "15", "", 10)
		ann := newCustomer(t, ctx, "ann")
		first := place(t, ctx, ann, shop.CartLine{ProductID: novel.ID, Quantity: 1})
		if !referenceShape.MatchString(first.Reference) {
			t.Fatalf("reference %q", first.Reference)
		}
		var second *shop.Order
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			second = shop.Orders.New()
			second.Customer.ID = ann.ID
			second.Reference = first.Reference // as if the draw came up the same
			if err := shop.CreateOrder(ctx, second); err != nil {
				return err
			}
			_, err := shop.Orders.Objects().Count(ctx) // the transaction still works
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if second.Reference == first.Reference || !referenceShape.MatchString(second.Reference) {
			t.Fatalf("second reference %q, first %q", second.Reference, first.Reference)
		}
		// Another conflict is not retried: it is the caller's.
		third := shop.Orders.New()
		third.Customer.ID, third.Number = ann.ID, first.Number
		var ie *orm.IntegrityError
		if err := shop.CreateOrder(ctx, third); !errors.As(err, &ie) {
			t.Fatalf("a taken number: %v, want an IntegrityError", err)
		}
	})
}

// Staff find an order by the reference the customer quotes: any case,
// with or without '#'.
func TestOrderAdminSearchesByReference(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		cat := newCategory(t, ctx, "books", nil)
		novel := newProduct(t, ctx, cat, "Novel", "15", "", 10)
		ann := newCustomer(t, ctx, "ann")
		o1 := place(t, ctx, ann, shop.CartLine{ProductID: novel.ID, Quantity: 1})
		o2 := place(t, ctx, ann, shop.CartLine{ProductID: novel.ID, Quantity: 2})
		link := func(o *shop.Order) string {
			return `href="/admin/shop/order/` + strconv.FormatInt(o.ID, 10) + `/change/"`
		}
		for _, q := range []string{o1.Reference, "%23" + o1.Reference, strings.ToLower(o1.Reference), "%23" + strings.ToLower(o1.Reference)} {
			_, body := c.status("/admin/shop/order/?q=" + q)
			if !strings.Contains(body, link(o1)) || strings.Contains(body, link(o2)) {
				t.Errorf("search %q: want order %s alone:\n%s", q, o1.Reference, body)
			}
		}
		// A customer's orders are still found by their username.
		_, body := c.status("/admin/shop/order/?q=ann")
		if !strings.Contains(body, link(o1)) || !strings.Contains(body, link(o2)) {
			t.Errorf("search ann: want both orders")
		}
	})
}

// The admin's order page shows the address in its own fieldset, and names
// the customer as the list does.
func TestOrderAdminShowsTheAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		cat := newCategory(t, ctx, "books", nil)
		novel := newProduct(t, ctx, cat, "Novel", "15", "", 10)
		ann := newCustomer(t, ctx, "shopper001")
		o, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{ProductID: novel.ID, Quantity: 1}}, shop.Checkout{
			Address: shop.Address{Name: "Ann Smith", Line1: "1 Main St", City: "Lyon", PostalCode: "69001", Country: "FR"}})
		if err != nil {
			t.Fatal(err)
		}
		change := "/admin/shop/order/" + strconv.FormatInt(o.ID, 10) + "/change/"
		c.get(change, "Shipping address", `value="Ann Smith"`, `value="1 Main St"`, `value="Lyon"`, `value="69001"`,
			`<option value="FR" selected`, "#"+o.Reference, o.Reference, "$15.00",
			`field-customer"><div class="field-label">Customer</div><div class="field-input"><div class="readonly">shopper001<`)
		c.get("/admin/shop/order/", "shopper001", o.Reference)

		// Staff correct a part: the text follows.
		form := c.pageForm(change, "changeform")
		form.Set("shipping_city", "Paris")
		form.Set("shipping_postal_code", "75001")
		if status, body, _ := c.post(change, form); status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", status, body)
		}
		got, err := shop.Orders.Objects().Get(ctx, orm.Q{"pk": o.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.ShippingCity != "Paris" || got.ShippingAddress != "Ann Smith\n1 Main St\n75001 Paris\nFrance" {
			t.Errorf("after the change: %q, %q", got.ShippingCity, got.ShippingAddress)
		}
	})
}

// OnOrderPlaced runs inside the order's transaction: it sees the order and
// its items, and its error places nothing.
func TestOnOrderPlaced(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		novel := newProduct(t, ctx, cat, "Novel", "1234.50", "", 10)
		ann := newCustomer(t, ctx, "ann")
		var sums []*shop.Summary
		fail := false
		shop.OnOrderPlaced = func(ctx context.Context, o *shop.Order) error {
			if fail {
				return errors.New("the queue is down")
			}
			s, err := shop.OrderSummary(ctx, o)
			sums = append(sums, s)
			return err
		}
		defer func() { shop.OnOrderPlaced = nil }()

		addr := shop.Address{Name: "Ann", Line1: "1 Main St", City: "Oslo", PostalCode: "0150", Country: "NO"}
		o, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{ProductID: novel.ID, Quantity: 2}}, shop.Checkout{Key: uuid.New(), Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 1 {
			t.Fatalf("the hook ran %d times, want 1", len(sums))
		}
		s := sums[0]
		if s.Reference != o.Reference || s.URL != "/orders/"+o.Reference+"/" || s.Address != addr ||
			s.AddressText != "Ann\n1 Main St\n0150 Oslo\nNorway" || !s.Total.Equal(decimal.RequireFromString("2469")) ||
			s.TotalText != "$2,469.00" || s.Currency != "USD" || len(s.Lines) != 1 || s.Lines[0].Product != "Novel" ||
			s.Lines[0].Quantity != 2 || s.Lines[0].UnitPriceText != "$1,234.50" || s.Status != "Pending" {
			t.Fatalf("summary %+v", s)
		}

		fail = true
		before := count(t, ctx, shop.Orders)
		if _, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{ProductID: novel.ID, Quantity: 1}}, shop.Checkout{Address: addr}); err == nil {
			t.Fatal("the hook's error did not refuse the order")
		}
		if count(t, ctx, shop.Orders) != before || stockOf(t, ctx, novel.ID) != 8 {
			t.Fatal("a refused order was kept or took stock")
		}
	})
}

// The storefront and the reports write amounts in the configured
// currency: set to euros, no page shows a dollar sign.
func TestPagesUseTheConfiguredCurrency(t *testing.T) {
	eur, err := money.New("EUR", "de-DE")
	if err != nil {
		t.Fatal(err)
	}
	defer money.Set(money.Set(eur))
	eachStorefront(t, func(t *testing.T, sf *storefront) {
		s := sf.shelf()
		ann := newCustomer(t, sf.ctx, "ann")
		o := buy(t, sf.ctx, ann, s.laptop)
		b := sf.as(ann)
		b.post("/cart/add/", form("product", id(s.laptop), "quantity", "1")).redirectsTo(t, "/cart/")
		pages := map[string]string{
			"/":                                   "€",
			"/products/":                          "€",
			"/products/" + s.laptop.Slug + "/":    "€1.200,00",
			"/cart/":                              "€1.200,00",
			"/checkout/":                          "€1.200,00",
			"/orders/":                            "€1.200,00",
			"/orders/" + o.Reference + "/":        "€1.200,00",
			"/checkout/done/" + o.Reference + "/": "€1.200,00",
		}
		for path, want := range pages {
			r := b.get(path)
			r.expect(t, http.StatusOK, want)
			r.lacks(t, "$")
		}
		c := newAdminClient(t, sf.ctx)
		for _, path := range []string{"/admin/shop/reports/", "/admin/shop/order/", "/admin/shop/order/" + strconv.FormatInt(o.ID, 10) + "/change/"} {
			_, body := c.status(path)
			if !strings.Contains(body, "€1.200,00") || strings.Contains(body, "$") {
				t.Errorf("%s: want €1.200,00 and no $:\n%s", path, body)
			}
		}
		// A sale price in the product list is money; the price's input,
		// which staff type into, a plain number.
		_, body := c.status("/admin/shop/product/")
		if !strings.Contains(body, "€450,00") || !strings.Contains(body, `value="500.00"`) || strings.Contains(body, "$") {
			t.Errorf("the product list: want €450,00 and an input of 500.00:\n%s", body)
		}
		// The export carries plain numbers.
		_, csv := c.status("/admin/shop/order/export/")
		if !strings.Contains(csv, ",1200.00,") || strings.Contains(csv, "€") {
			t.Errorf("the export:\n%s", csv)
		}
	})
}

// The demo's customers and orders have addresses in parts, with countries
// the checkout's select offers.
func TestSeedFillsAddresses(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		if _, err := shop.Seed(ctx, shop.SeedOptions{Products: 30, Customers: 3, Orders: 6, Reviews: -1}); err != nil {
			t.Fatal(err)
		}
		orders, err := shop.Orders.Objects().All(ctx)
		if err != nil || len(orders) == 0 {
			t.Fatalf("%d orders, %v", len(orders), err)
		}
		for _, o := range orders {
			a := o.ShippingAddressParts()
			if a.Name == "" || a.Line1 == "" || a.City == "" || a.PostalCode == "" || shop.CountryName(a.Country) == a.Country ||
				!strings.Contains(o.ShippingAddress, a.City) {
				t.Errorf("order %s: address %+v, %q", o.Reference, a, o.ShippingAddress)
			}
		}
		customers, err := shop.Customers.Objects().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range customers {
			if c.DeliveryName == "" || shop.CountryName(c.Country) == c.Country {
				t.Errorf("customer %d: %+v", c.ID, c)
			}
		}
	})
}
