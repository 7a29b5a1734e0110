package shop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/pageform"
	"github.com/quarry-go/quarry/internal/webtest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// adminClient is a signed-in superuser's browser on the default admin
// site, which the shop registers with.
type adminClient struct {
	t       *testing.T
	srv     *echo.Echo
	cookies map[string]*http.Cookie
}

func newAdminClient(t *testing.T, ctx context.Context) *adminClient {
	t.Helper()
	if err := auth.SyncPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	u := auth.Users.New()
	u.Username, u.IsStaff, u.IsSuperuser, u.IsActive = "boss", true, true, true
	auth.SetUnusablePassword(u)
	if err := auth.Users.Save(ctx, u); err != nil {
		t.Fatal(err)
	}
	srv := echo.New()
	srv.HTTPErrorHandler = webtest.ErrorHandler
	db := orm.FromContext(ctx)
	srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(orm.WithDB(c.Request().Context(), db)))
			return next(c)
		}
	})
	admin.Default.Mount(srv)
	sess := &auth.Session{Data: map[string]any{}}
	if err := admin.Default.Store.Login(ctx, sess, u); err != nil {
		t.Fatal(err)
	}
	return &adminClient{t: t, srv: srv, cookies: map[string]*http.Cookie{auth.CookieName: auth.Cookie(sess, false)}}
}

// as is another browser on the same server, signed in as u (nil: anonymous).
func (c *adminClient) as(ctx context.Context, u *auth.User) *adminClient {
	c.t.Helper()
	other := &adminClient{t: c.t, srv: c.srv, cookies: map[string]*http.Cookie{}}
	if u != nil {
		sess := &auth.Session{Data: map[string]any{}}
		if err := admin.Default.Store.Login(ctx, sess, u); err != nil {
			c.t.Fatal(err)
		}
		other.cookies[auth.CookieName] = auth.Cookie(sess, false)
	}
	return other
}

func (c *adminClient) status(path string) (int, string) {
	c.t.Helper()
	status, body, location := c.do(httptest.NewRequest(http.MethodGet, path, nil))
	if location != "" {
		return status, location
	}
	return status, body
}

func (c *adminClient) do(req *http.Request) (int, string, string) {
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.srv.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		c.cookies[ck.Name] = ck
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// get fetches path and wants a 200 page containing every string in want.
func (c *adminClient) get(path string, want ...string) {
	c.t.Helper()
	status, body, _ := c.do(httptest.NewRequest(http.MethodGet, path, nil))
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			c.t.Fatalf("GET %s: no %q in the page\n%s", path, w, body)
		}
	}
}

// action runs a change list action on the objects with the given keys.
func (c *adminClient) action(path, name string, pks ...int64) {
	c.t.Helper()
	form := url.Values{"action": {name}, "_csrf": {c.cookies["csrftoken"].Value}}
	for _, pk := range pks {
		form.Add("_selected_action", strconv.FormatInt(pk, 10))
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if status, body, _ := c.do(req); status != http.StatusSeeOther {
		c.t.Fatalf("POST %s action %s: %d\n%s", path, name, status, body)
	}
}

func TestShopAdmin(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		el := newCategory(t, ctx, "electronics", nil)
		phones := newCategory(t, ctx, "phones", el)
		phone := newProduct(t, ctx, phones, "Pocket Phone", "300", "250", 2, func(p *shop.Product) { p.ReorderLevel = 5 })
		cable := newProduct(t, ctx, el, "Long Cable", "10", "", 50)
		buyer := newCustomer(t, ctx, "ann")
		o, err := shop.PlaceOrder(ctx, buyer, []shop.CartLine{{phone.ID, 1}, {cable.ID, 3}}, shop.Checkout{Key: uuid.New()})
		if err != nil {
			t.Fatal(err)
		}
		r1 := newReview(t, ctx, phone, buyer, 4, false)
		r2 := newReview(t, ctx, phone, newCustomer(t, ctx, "bob"), 1, false)

		c.get("/admin/shop/", "Products", "Categories", "Customers", "Orders", "Reviews")
		c.get("/admin/shop/product/", "Pocket Phone", "Long Cable", "On sale", "Low stock", "Average rating", `name="form-0-stock"`)
		c.get("/admin/shop/product/?q=pocket", "Pocket Phone")
		c.get("/admin/shop/product/?q=pockets", "Pocket Phone") // name and description are searched full-text
		c.get("/admin/shop/category/", "electronics", "phones")
		c.get("/admin/shop/customer/", "ann", "bob")
		c.get("/admin/shop/order/?status__exact=pending", o.Reference, "Pending", "$280.00")
		c.get("/admin/shop/order/"+strconv.FormatInt(o.ID, 10)+"/change/", o.Number.String(), "280.00", `class="field-items-0-unit_price"><div class="readonly">$250.00`, `class="field-items-1-quantity"><div class="readonly">3`, "Long Cable", "Pocket Phone", `field-customer"><div class="field-label">Customer</div><div class="field-input"><div class="readonly">ann<`)
		c.get("/admin/shop/review/", "4 stars", "1 stars")

		_, before := c.status("/admin/shop/product/")
		if strings.Contains(before, ">0.00<") {
			t.Error("an unreviewed product's average rating shows as 0.00, not as no value")
		}
		c.action("/admin/shop/review/", "approve", r1.ID, r2.ID)
		if got := ratingOf(t, ctx, phone); got != "2.50" {
			t.Fatalf("after the approve action: average = %s, want 2.50", got)
		}
		c.get("/admin/shop/product/", "2.50")
		c.get("/admin/shop/product/"+strconv.FormatInt(phone.ID, 10)+"/change/", "Average rating", "2.50", "View on site", `href="/products/`+phone.Slug+`/"`)
		c.action("/admin/shop/product/", "restock", phone.ID, cable.ID)
		if stockOf(t, ctx, phone.ID) != 5 || stockOf(t, ctx, cable.ID) != 47 {
			t.Fatalf("after restock: stocks %d, %d; want 5, 47", stockOf(t, ctx, phone.ID), stockOf(t, ctx, cable.ID))
		}
	})
}

func TestShopReportsPage(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		el := newCategory(t, ctx, "electronics", nil)
		phones := newCategory(t, ctx, "phones", el)
		books := newCategory(t, ctx, "books", nil)
		phone := newProduct(t, ctx, phones, "Pocket Phone", "300", "", 12, func(p *shop.Product) { p.ReorderLevel = 12 })
		newProduct(t, ctx, books, "Thin Novel", "9.50", "", 1, func(p *shop.Product) { p.ReorderLevel = 3 })
		ann := newCustomer(t, ctx, "ann")
		if _, err := shop.PlaceOrder(ctx, ann, []shop.CartLine{{phone.ID, 2}}, shop.Checkout{}); err != nil {
			t.Fatal(err)
		}

		ormtest.AssertNumQueries(t, ctx, 4, func(ctx context.Context) {
			r, err := shop.Reports(ctx, "electronics", 7)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Sales) != 7 || r.SalesOrders != 1 || r.SalesTotal != "$600.00" || r.Sales[6].Revenue != "$600.00" ||
				len(r.TopCustomers) != 1 || r.TopCustomers[0].Name != "ann" || r.TopCustomers[0].Spent != "$600.00" ||
				len(r.LowStock) != 1 || r.LowStock[0].Name != "Pocket Phone" || r.LowStock[0].Stock != 10 || r.LowStock[0].Category != "phones" {
				t.Fatalf("reports = %+v", r)
			}
		})

		c.get("/admin/shop/", `href="/admin/shop/reports/"`)
		_, body := c.status("/admin/shop/reports/")
		for _, want := range []string{"<title>Reports", "Sales per day", "<svg", "ann", "$600.00", "Pocket Phone", "Thin Novel",
			`<option value="30" selected>`, `/admin/shop/product/` + strconv.FormatInt(phone.ID, 10) + `/change/`} {
			if !strings.Contains(body, want) {
				t.Fatalf("no %q in the reports page:\n%s", want, body)
			}
		}
		if n := strings.Count(body, "<rect "); n != 30 {
			t.Fatalf("%d bars, want 30", n)
		}
		_, body = c.status("/admin/shop/reports/?days=7&category=books")
		if n := strings.Count(body, "<rect "); n != 7 || strings.Contains(body, "Pocket Phone") || !strings.Contains(body, "Thin Novel") {
			t.Fatalf("7 days of books: %d bars\n%s", n, body)
		}

		clerk := auth.Users.New()
		clerk.Username, clerk.IsStaff, clerk.IsActive = "clerk", true, true
		auth.SetUnusablePassword(clerk)
		if err := auth.Users.Save(ctx, clerk); err != nil {
			t.Fatal(err)
		}
		// Change includes view, as everywhere in the admin.
		changer := auth.Users.New()
		changer.Username, changer.IsStaff, changer.IsActive = "changer", true, true
		auth.SetUnusablePassword(changer)
		if err := auth.Users.Save(ctx, changer); err != nil {
			t.Fatal(err)
		}
		if err := auth.SyncPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		perm, err := auth.Permissions.Objects().Get(ctx, orm.Q{"content_type": "shop.order", "codename": "change_order"})
		if err != nil {
			t.Fatal(err)
		}
		if err := changer.UserPermissions.Add(ctx, perm); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			who        *adminClient
			path       string
			wantStatus int
			want       string
		}{
			{c.as(ctx, changer), "/admin/shop/reports/", http.StatusOK, "Top customers"},
			{c, "/admin/shop/reports/?days=5", http.StatusBadRequest, "Choose a period"},
			{c, "/admin/shop/reports/?days=x", http.StatusBadRequest, "Choose a period"},
			{c, "/admin/shop/reports/?category=garden", http.StatusBadRequest, "no such category"},
			{c.as(ctx, nil), "/admin/shop/reports/?days=7", http.StatusFound, "/admin/login/?next=%2Fadmin%2Fshop%2Freports%2F%3Fdays%3D7"},
			{c.as(ctx, clerk), "/admin/shop/reports/", http.StatusForbidden, "You do not have permission"},
		}
		for _, tc := range cases {
			status, body := tc.who.status(tc.path)
			if status != tc.wantStatus || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s: %d %q, want %d with %q", tc.path, status, body, tc.wantStatus, tc.want)
			}
		}
		// The low-stock list names products: only for those who may see them.
		if _, body := c.as(ctx, changer).status("/admin/shop/reports/"); strings.Contains(body, `id="low-heading"`) {
			t.Error("staff without product permission see the low-stock list")
		}
		if _, body := c.status("/admin/shop/reports/"); !strings.Contains(body, `id="low-heading"`) {
			t.Error("a superuser does not see the low-stock list")
		}
	})
}

// post sends form with the CSRF token (fetched first when the browser
// has none) and returns the status, body and redirect.
func (c *adminClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	if c.cookies["csrftoken"] == nil {
		c.status("/admin/")
	}
	form = cloneForm(form)
	form.Set("_csrf", c.cookies["csrftoken"].Value)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	return out
}

// orderState is the stock of each product and the status of each order,
// read from the database: what a cancellation may change.
func orderState(t *testing.T, ctx context.Context) string {
	t.Helper()
	ps, err := shop.Products.Objects().OrderBy("pk").All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	orders, err := shop.Orders.Objects().OrderBy("pk").All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	items, err := orm.Flat[int64](ctx, shop.OrderItems.Objects().OrderBy("pk"), "id")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s=%d ", p.Name, p.Stock)
	}
	for _, o := range orders {
		fmt.Fprintf(&b, "order%d=%s ", o.ID, o.Status)
	}
	fmt.Fprintf(&b, "items=%v", items)
	return b.String()
}

func setStatus(t *testing.T, ctx context.Context, o *shop.Order, s shop.OrderStatus) {
	t.Helper()
	if _, err := shop.Orders.Objects().Filter(orm.Q{"pk": o.ID}).Update(ctx, orm.Values{"status": s}); err != nil {
		t.Fatal(err)
	}
	o.Status = s
}

func place(t *testing.T, ctx context.Context, c *shop.Customer, lines ...shop.CartLine) *shop.Order {
	t.Helper()
	o, err := shop.PlaceOrder(ctx, c, lines, shop.Checkout{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestOrderAdmin: the order form shows its items without add or delete,
// a forged POST cannot add or delete one, and cancelling by the action,
// the status field or an import puts the stock back.
func TestOrderAdmin(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		cat := newCategory(t, ctx, "electronics", nil)
		phone := newProduct(t, ctx, cat, "Pocket Phone", "300", "250", 10)
		cable := newProduct(t, ctx, cat, "Long Cable", "10", "", 50)
		ann := newCustomer(t, ctx, "ann")
		o1 := place(t, ctx, ann, shop.CartLine{ProductID: phone.ID, Quantity: 1}, shop.CartLine{ProductID: cable.ID, Quantity: 3})
		o2 := place(t, ctx, ann, shop.CartLine{ProductID: cable.ID, Quantity: 5})
		o3 := place(t, ctx, ann, shop.CartLine{ProductID: phone.ID, Quantity: 2})
		o4 := place(t, ctx, ann, shop.CartLine{ProductID: phone.ID, Quantity: 4}, shop.CartLine{ProductID: cable.ID, Quantity: 1})
		setStatus(t, ctx, o3, shop.StatusShipped)
		stocks := func() [2]int32 { return [2]int32{stockOf(t, ctx, phone.ID), stockOf(t, ctx, cable.ID)} }
		if got := stocks(); got != [2]int32{3, 41} {
			t.Fatalf("stocks after placing %v", got)
		}
		items1, err := shop.OrderItems.Objects().Filter(orm.Q{"order": o1.ID}).OrderBy("pk").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		items2, err := orm.Flat[int64](ctx, shop.OrderItems.Objects().Filter(orm.Q{"order": o2.ID}), "id")
		if err != nil {
			t.Fatal(err)
		}
		change := func(o *shop.Order) string { return "/admin/shop/order/" + strconv.FormatInt(o.ID, 10) + "/change/" }
		list := "/admin/shop/order/"

		// The items inline: no empty row, no Add another, no Delete box.
		_, page := c.status(change(o1))
		for _, want := range []string{`name="items-TOTAL_FORMS" id="id_items-TOTAL_FORMS" value="2"`, "Pocket Phone", "Long Cable", `type="radio" name="status" id="id_status_0" value="pending"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("the order form lacks %s:\n%s", want, page)
			}
		}
		for _, bad := range []string{"items-0-DELETE", "items-2-", "Add another", "Delete?"} {
			if strings.Contains(page, bad) {
				t.Errorf("the order form has %q", bad)
			}
		}
		if status, _ := c.status("/admin/shop/order/inline/items/?items-TOTAL_FORMS=2"); status != http.StatusForbidden {
			t.Errorf("the inline's Add another endpoint answers %d, want 403", status)
		}

		// Forged rows: a Delete flag, a new row, and another order's item.
		orderForm := func(o *shop.Order, status string, edit map[string]string) url.Values {
			form := url.Values{"status": {status}, "shipping_address": {"1 Main St"}, "_save": {"Save"},
				"items-TOTAL_FORMS": {"2"}, "items-INITIAL_FORMS": {"2"},
				"items-0-id": {strconv.FormatInt(items1[0].ID, 10)}, "items-1-id": {strconv.FormatInt(items1[1].ID, 10)}}
			if o != o1 {
				form.Set("items-TOTAL_FORMS", "0")
				form.Set("items-INITIAL_FORMS", "0")
			}
			for k, v := range edit {
				form.Set(k, v)
			}
			return form
		}
		before := orderState(t, ctx)
		forged := orderForm(o1, "pending", map[string]string{"items-0-DELETE": "on", "items-1-DELETE": "on", "items-TOTAL_FORMS": "3",
			"items-2-product": strconv.FormatInt(phone.ID, 10), "items-2-quantity": "9", "items-2-unit_price": "0.01"})
		if status, body, loc := c.post(change(o1), forged); status != http.StatusSeeOther || loc != list {
			t.Fatalf("forged delete and add: %d %s\n%s", status, loc, body)
		}
		if got := orderState(t, ctx); got != before {
			t.Fatalf("a forged POST changed the items or stock:\n%s\nwas\n%s", got, before)
		}
		if a, _ := shop.Orders.Objects().Get(ctx, orm.Q{"pk": o1.ID}); a.ShippingAddress != "1 Main St" {
			t.Fatalf("the order's own change was not saved: %+v", a)
		}
		theirs := orderForm(o1, "pending", map[string]string{"items-TOTAL_FORMS": "3", "items-2-id": strconv.FormatInt(items2[0], 10),
			"items-2-DELETE": "on"})
		if status, body, _ := c.post(change(o1), theirs); status != http.StatusOK || !strings.Contains(body, "did not match the parent instance") {
			t.Fatalf("another order's item: %d\n%s", status, body)
		}
		if got := orderState(t, ctx); got != before {
			t.Fatalf("another order's item was changed:\n%s\nwas\n%s", got, before)
		}

		// The action, through HTTP with the CSRF token; without it, 403.
		c.get(list, "Cancel selected orders")
		req := httptest.NewRequest(http.MethodPost, list, strings.NewReader(url.Values{"action": {"cancel"},
			"_selected_action": {strconv.FormatInt(o1.ID, 10)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, _, _ := c.do(req); status != http.StatusForbidden {
			t.Fatalf("an action without the CSRF token: %d, want 403", status)
		}
		if got := orderState(t, ctx); got != before {
			t.Fatal("the action ran without the CSRF token")
		}
		c.action(list, "cancel", o1.ID, o2.ID)
		c.get(list, "2 orders were cancelled and their items restocked.")
		if got := stocks(); got != [2]int32{4, 49} {
			t.Fatalf("stocks after cancelling orders 1 and 2: %v, want [4 49]", got)
		}
		c.action(list, "cancel", o1.ID)
		c.get(list, "The selected orders were already cancelled.")
		// A shipped order among the selection: none is cancelled.
		before = orderState(t, ctx)
		c.action(list, "cancel", o3.ID, o4.ID)
		c.get(list, "Shipped orders cannot be cancelled: "+o3.String()+". No order was changed.")
		if got := orderState(t, ctx); got != before {
			t.Fatalf("a refused action changed something:\n%s\nwas\n%s", got, before)
		}

		// The status field: cancelled restocks; a shipped order cannot be
		// cancelled, nor a cancelled one reopened.
		for _, tc := range []struct {
			o      *shop.Order
			status string
			want   string
		}{
			{o3, "cancelled", "A shipped order cannot be cancelled"},
			{o3, "paid", "A shipped order stays shipped"},
			{o3, "pending", "A shipped order stays shipped"},
			{o1, "pending", "A cancelled order cannot be reopened"},
		} {
			status, body, _ := c.post(change(tc.o), orderForm(tc.o, tc.status, nil))
			if status != http.StatusOK || !strings.Contains(body, tc.want) {
				t.Fatalf("status %s on order %d: %d\n%s", tc.status, tc.o.ID, status, body)
			}
			if got := orderState(t, ctx); got != before {
				t.Fatalf("a refused status change changed something:\n%s\nwas\n%s", got, before)
			}
		}
		if status, body, _ := c.post(change(o4), orderForm(o4, "cancelled", nil)); status != http.StatusSeeOther {
			t.Fatalf("cancelling by the status field: %d\n%s", status, body)
		}
		if got := stocks(); got != [2]int32{8, 50} {
			t.Fatalf("stocks after cancelling order 4 on its form: %v, want [8 50]", got)
		}
		// Saved again as cancelled: nothing more comes back.
		c.post(change(o4), orderForm(o4, "cancelled", map[string]string{"shipping_address": "2 Side St"}))
		if got := stocks(); got != [2]int32{8, 50} {
			t.Fatalf("stocks after saving a cancelled order: %v, want [8 50]", got)
		}

		// Orders come from the checkout: nothing adds one here, neither
		// the add form nor an import.
		for _, path := range []string{"/admin/shop/order/add/", "/admin/shop/order/import/"} {
			if status, _ := c.status(path); status != http.StatusForbidden {
				t.Errorf("GET %s: %d, want 403", path, status)
			}
		}
		if status, _, _ := c.post("/admin/shop/order/add/", url.Values{"status": {"pending"}}); status != http.StatusForbidden {
			t.Errorf("POST add: %d, want 403", status)
		}
		for _, page := range []string{list, "/admin/"} {
			if _, body := c.status(page); strings.Contains(body, `href="/admin/shop/order/add/"`) {
				t.Errorf("%s offers to add an order", page)
			}
		}
	})
}

// A price below zero is refused on the product form with the constraint's
// name, as Django's validate_constraints words it, not a server error.
func TestProductAdminRefusesNegativePrices(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		cat := newCategory(t, ctx, "tools", nil)
		p := newProduct(t, ctx, cat, "Wrench", "42.99", "", 5)
		path := "/admin/shop/product/" + strconv.FormatInt(p.ID, 10) + "/change/"
		for field, constraint := range map[string]string{
			"sale_price": "shop_product_sale_price_nonnegative",
			"cost_price": "shop_product_cost_price_nonnegative",
			"price":      "shop_product_price_nonnegative",
		} {
			form := url.Values{"name": {"Wrench"}, "slug": {p.Slug}, "sku": {p.SKU}, "category": {strconv.FormatInt(cat.ID, 10)},
				"price": {"42.99"}, "cost_price": {"1.00"}, "stock": {"5"}, "reorder_level": {"1"}, "is_active": {"on"}}
			form.Set(field, "-40.00")
			status, body, _ := c.post(path, form)
			if status != http.StatusOK || !strings.Contains(body, "Constraint “"+constraint+"” is violated.") {
				t.Fatalf("%s below zero: %d\n%s", field, status, body)
			}
		}
		got, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": p.ID})
		if err != nil || !got.Price.Equal(dec("42.99")) || got.SalePrice != nil || !got.CostPrice.IsZero() {
			t.Fatalf("product after refused saves: %+v, %v", got, err)
		}
	})
}

// A category cannot be put under itself or its own sub-category: the
// catalog's tree, walked from its roots, would lose the whole branch.
func TestCategoryParentCycle(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		books := newCategory(t, ctx, "books", nil)
		fiction := newCategory(t, ctx, "fiction", books)
		crime := newCategory(t, ctx, "crime", fiction)
		music := newCategory(t, ctx, "music", nil)
		const msg = "A category cannot sit under itself or one of its own sub-categories."
		for _, parent := range []*shop.Category{books, fiction, crime} {
			books.Parent.ID = parent.ID
			var verr *orm.ValidationError
			if err := shop.Categories.FullClean(ctx, books); !errors.As(err, &verr) || verr.Fields["parent"][0] != msg {
				t.Fatalf("books under %s: %v", parent.Slug, err)
			}
		}
		books.Parent.ID = music.ID
		if err := shop.Categories.FullClean(ctx, books); err != nil {
			t.Fatalf("books under music: %v", err)
		}

		c := newAdminClient(t, ctx)
		path := "/admin/shop/category/" + strconv.FormatInt(books.ID, 10) + "/change/"
		status, body, _ := c.post(path, url.Values{"name": {"books"}, "slug": {"books"}, "parent": {strconv.FormatInt(crime.ID, 10)}})
		if status != http.StatusOK || !strings.Contains(body, msg) {
			t.Fatalf("the admin put books under crime: %d\n%s", status, body)
		}
		got, err := shop.Categories.Objects().Get(ctx, orm.Q{"pk": books.ID})
		if err != nil || got.Parent.ID != 0 {
			t.Fatalf("books' parent is %d, %v; want none", got.Parent.ID, err)
		}
	})
}

// pageForm fetches path and returns what a browser would submit from its
// form with this id, untouched.
func (c *adminClient) pageForm(path, id string) url.Values {
	c.t.Helper()
	status, body, _ := c.do(httptest.NewRequest(http.MethodGet, path, nil))
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	form, err := pageform.Values(body, id)
	if err != nil {
		c.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return form
}

// TestProductAdminKeepsStockSoldMeanwhile: staff open the product list or
// form, a customer buys meanwhile, and staff save a change of another
// field: the stock stays as the order left it, instead of coming back
// from the page and letting the shop sell units it no longer has.
func TestProductAdminKeepsStockSoldMeanwhile(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		lamp := newProduct(t, ctx, newCategory(t, ctx, "lighting", nil), "Desk Lamp", "30", "", 124)
		ann := newCustomer(t, ctx, "ann")
		list := "/admin/shop/product/"
		change := list + strconv.FormatInt(lamp.ID, 10) + "/change/"

		// The list: stock shows 124, a customer buys 3, staff change the price.
		form := c.pageForm(list, "changelist-form")
		if form.Get("form-0-id") != strconv.FormatInt(lamp.ID, 10) || form.Get("form-0-stock") != "124" {
			t.Fatalf("the list shows row 0 as %q with stock %q", form.Get("form-0-id"), form.Get("form-0-stock"))
		}
		place(t, ctx, ann, shop.CartLine{ProductID: lamp.ID, Quantity: 3})
		form.Set("form-0-price", "27.50")
		form.Set("_save", "1")
		if status, body, loc := c.post(list, form); status != http.StatusSeeOther || loc != list {
			t.Fatalf("saving the list: %d %s\n%s", status, loc, body)
		}
		p, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": lamp.ID})
		if err != nil {
			t.Fatal(err)
		}
		if p.Stock != 121 || p.Price.String() != "27.5" {
			t.Fatalf("after the list save: stock %d, price %s; want 121, 27.5", p.Stock, p.Price)
		}

		// The form: a customer buys 2 while staff edit the description.
		form = c.pageForm(change, "changeform")
		place(t, ctx, ann, shop.CartLine{ProductID: lamp.ID, Quantity: 2})
		form.Set("description", "Warm light, long cord.")
		form.Set("_save", "1")
		if status, body, loc := c.post(change, form); status != http.StatusSeeOther || loc != list {
			t.Fatalf("saving the form: %d %s\n%s", status, loc, body)
		}
		if p, err = shop.Products.Objects().Get(ctx, orm.Q{"pk": lamp.ID}); err != nil {
			t.Fatal(err)
		}
		if p.Stock != 119 || p.Description != "Warm light, long cord." || p.Price.String() != "27.5" {
			t.Fatalf("after the form save: stock %d, description %q, price %s; want 119", p.Stock, p.Description, p.Price)
		}

		// Staff who change the stock from a page that shows a stale one
		// are told, and nothing is saved.
		form = c.pageForm(list, "changelist-form")
		place(t, ctx, ann, shop.CartLine{ProductID: lamp.ID, Quantity: 1})
		form.Set("form-0-stock", "150")
		form.Set("_save", "1")
		status, body, _ := c.post(list, form)
		if status != http.StatusOK || !strings.Contains(body, "This value was changed by someone else since you opened the page (it is now 118).") {
			t.Fatalf("changing a stale stock: %d\n%s", status, body)
		}
		if got := stockOf(t, ctx, lamp.ID); got != 118 {
			t.Fatalf("stock %d after a refused save, want 118", got)
		}
	})
}

// TestProductAdminSaveAsNew: a product is started from a copy of another
// (Save as new); the copy needs its own SKU and slug, and the original is
// left as it was.
func TestProductAdminSaveAsNew(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		c := newAdminClient(t, ctx)
		lamp := newProduct(t, ctx, newCategory(t, ctx, "lighting", nil), "Desk Lamp", "30", "", 124)
		change := "/admin/shop/product/" + strconv.FormatInt(lamp.ID, 10) + "/change/"
		if _, body := c.status(change); !strings.Contains(body, `name="_saveasnew"`) {
			t.Fatalf("the product form offers no Save as new:\n%s", body)
		}
		form := c.pageForm(change, "changeform")
		form.Set("name", "Floor Lamp")
		form.Set("price", "45.00")
		form.Set("_saveasnew", "1")
		if status, body, _ := c.post(change, form); status != http.StatusOK || !strings.Contains(body, "Product with this SKU already exists.") {
			t.Fatalf("a copy with the original's SKU: %d\n%s", status, body)
		}
		form.Set("sku", lamp.SKU+"-FLOOR")
		form.Set("slug", lamp.Slug+"-floor")
		status, body, loc := c.post(change, form)
		floor, err := shop.Products.Objects().Get(ctx, orm.Q{"sku": lamp.SKU + "-FLOOR"})
		if err != nil {
			t.Fatalf("no copy saved (%v): %d\n%s", err, status, body)
		}
		if want := "/admin/shop/product/" + strconv.FormatInt(floor.ID, 10) + "/change/"; loc != want {
			t.Fatalf("after Save as new: %d to %q, want %q", status, loc, want)
		}
		if floor.Name != "Floor Lamp" || floor.Price.String() != "45" || floor.Stock != 124 || floor.Category.ID != lamp.Category.ID {
			t.Fatalf("the copy: %+v", floor)
		}
		orig, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": lamp.ID})
		if err != nil || orig.Name != "Desk Lamp" || orig.Price.String() != "30" || orig.SKU != lamp.SKU {
			t.Fatalf("the original changed: %+v, %v", orig, err)
		}
	})
}
