package shop

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// Category groups products; a category may sit inside another, and a
// report on a category includes its sub-categories.
type Category struct {
	ID     int64
	Name   string
	Slug   string
	Parent orm.FK[Category]
}

func (c *Category) String() string { return c.Name }

// Clean refuses a parent that would make a cycle: the category itself or
// one of its sub-categories, which the catalog's tree could never reach.
func (c *Category) Clean(ctx context.Context) error {
	cycle := &orm.ValidationError{Fields: map[string][]string{
		"parent": {"A category cannot sit under itself or one of its own sub-categories."}}}
	seen := map[int64]bool{}
	for id := c.Parent.ID; id != 0; {
		if c.ID != 0 && id == c.ID || seen[id] {
			return cycle
		}
		seen[id] = true
		up, err := orm.Flat[int64](ctx, Categories.Objects().Filter(orm.Q{"pk": id}), "parent")
		if err != nil || len(up) == 0 {
			return err
		}
		id = up[0] // 0 at a root
	}
	return nil
}

var Categories = orm.Define("shop", func(c *Category, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100), orm.Verbose("name"))
	m.Slug(&c.Slug, orm.Unique(), orm.Verbose("slug"))
	m.ForeignKey(&c.Parent, orm.OnDelete(orm.SetNull), orm.Null(), orm.Blank(),
		orm.RelatedName("children"), orm.Verbose("parent category"))
	m.Meta(orm.VerboseNamePlural("categories"), orm.Ordering("name"), orm.Index("name", "id"), orm.Index("parent", "id"))
})

// Product is what the shop sells. Money is decimal, never float.
type Product struct {
	ID            int64
	Name          string
	Slug          string
	SKU           string
	Category      orm.FK[Category]
	Description   string
	Price         decimal.Decimal
	SalePrice     *decimal.Decimal
	CostPrice     decimal.Decimal
	Stock         int32
	ReorderLevel  int32
	IsActive      bool
	Image         orm.File
	AverageRating decimal.Decimal
	CreatedAt     time.Time
}

func (p *Product) String() string { return p.Name }

// AbsoluteURL is the product's page in the storefront (Django's
// get_absolute_url): the admin links it as "View on site".
func (p *Product) AbsoluteURL() string { return "/products/" + url.PathEscape(p.Slug) + "/" }

// CurrentPrice is what a customer pays now: the sale price while there is
// one below the list price.
func (p *Product) CurrentPrice() decimal.Decimal {
	if p.SalePrice != nil && p.SalePrice.LessThan(p.Price) {
		return *p.SalePrice
	}
	return p.Price
}

// CurrentPriceExpr is CurrentPrice in SQL, for sorting by what a customer
// pays; an index on it serves that sort.
func CurrentPriceExpr() orm.Expr {
	return orm.Case(orm.When(orm.Q{"sale_price__lt": orm.F("price")}, orm.F("sale_price")), orm.Else(orm.F("price")))
}

// OnSale reports whether the product sells below its list price.
func (p *Product) OnSale() bool { return p.SalePrice != nil && p.SalePrice.LessThan(p.Price) }

var Products = orm.Define("shop", func(p *Product, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(200), orm.Verbose("name"))
	m.Slug(&p.Slug, orm.MaxLength(200), orm.Unique(), orm.Verbose("slug"))
	m.Char(&p.SKU, orm.MaxLength(32), orm.Unique(), orm.Verbose("SKU"), orm.HelpText("Stock keeping unit, unique across the shop."))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.Protect), orm.RelatedName("products"), orm.Verbose("category"))
	m.Text(&p.Description, orm.Blank(), orm.Verbose("description"))
	m.Decimal(&p.Price, 10, 2, orm.Verbose("price"))
	m.Decimal(&p.SalePrice, 10, 2, orm.Null(), orm.Blank(), orm.Verbose("sale price"),
		orm.HelpText("Leave empty when the product is not on sale."))
	m.Decimal(&p.CostPrice, 10, 2, orm.Default(decimal.Zero), orm.Verbose("cost price"))
	m.PositiveInteger(&p.Stock, orm.Default(0), orm.Verbose("stock"))
	m.PositiveInteger(&p.ReorderLevel, orm.Default(10), orm.Verbose("reorder level"),
		orm.HelpText("Reorder when the stock falls below this."))
	m.Boolean(&p.IsActive, orm.Default(true), orm.Verbose("active"))
	m.Image(&p.Image, orm.UploadTo("products/"), orm.Blank(), orm.Verbose("image"))
	m.Decimal(&p.AverageRating, 3, 2, orm.Default(decimal.Zero), orm.Editable(false), orm.Verbose("average rating"),
		orm.HelpText("Kept current from approved reviews."))
	m.DateTime(&p.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	// An index for each order a list reads products in: the catalog's
	// sorts (what a customer pays among them) and the admin's columns.
	// None starts with is_active: nearly every product is active, and an
	// index on it tempts SQLite's planner to read them all and sort them
	// rather than read an order's index and skip the few inactive ones.
	m.Meta(orm.Ordering("name"),
		orm.Index("name", "id"), orm.Index("created_at", "id"), orm.Index("category", "id"),
		orm.Index("category", "name", "id"), // a category's page in the catalog
		orm.Index("price", "id"), orm.Index("sale_price", "id"), orm.Index("stock", "id"),
		orm.Index("average_rating", "id"),
		orm.IndexOn(CurrentPriceExpr(), orm.F("id")).Named("shop_product_current_price_idx"),
		// The catalog's search: a name hit ranks above a description hit;
		// misspelt names are found by their trigrams.
		orm.SearchIndex("name", "description").Weights("A", "B"),
		orm.TrigramIndex("name"),
		// The admin searches SKUs by substring beside the full-text
		// fields: without an index of its own, that OR reads the table.
		orm.TrigramIndex("sku"),
		orm.CheckConstraint("shop_product_price_nonnegative", orm.Q{"price__gte": 0}),
		orm.CheckConstraint("shop_product_sale_price_nonnegative", orm.Q{"sale_price__gte": 0}),
		orm.CheckConstraint("shop_product_cost_price_nonnegative", orm.Q{"cost_price__gte": 0}))
})

// Customer is a user who buys: the shop's one-to-one extension of auth.User.
//
// The address on file is the one the checkout starts from: Address is its
// street line, and Country an ISO 3166 code (see Countries) once the
// customer has saved it at a checkout.
type Customer struct {
	ID           int64
	User         orm.FK[auth.User]
	Phone        string
	DeliveryName string
	Address      string
	AddressLine2 string
	City         string
	PostalCode   string
	Country      string
}

// String is the customer's user's name, or username.
func (c *Customer) String() string {
	if u, ok := c.User.Cached(); ok {
		if name := u.FullName(); name != "" {
			return name
		}
		return u.Username
	}
	return "Customer " + strconv.FormatInt(c.ID, 10)
}

var Customers = orm.Define("shop", func(c *Customer, m *orm.Schema) {
	m.OneToOne(&c.User, orm.OnDelete(orm.Cascade), orm.RelatedName("customer"), orm.Verbose("user"))
	m.Char(&c.Phone, orm.MaxLength(30), orm.Blank(), orm.Verbose("phone"))
	m.Char(&c.DeliveryName, orm.MaxLength(200), orm.Blank(), orm.Verbose("name for deliveries"),
		orm.HelpText("Who orders are addressed to; the checkout starts from the user's full name when empty."))
	m.Char(&c.Address, orm.MaxLength(200), orm.Blank(), orm.Verbose("address"), orm.HelpText("The street line."))
	m.Char(&c.AddressLine2, orm.MaxLength(200), orm.Blank(), orm.Verbose("address line 2"))
	m.Char(&c.City, orm.MaxLength(100), orm.Blank(), orm.Verbose("city"))
	m.Char(&c.PostalCode, orm.MaxLength(20), orm.Blank(), orm.Verbose("postal code"))
	m.Char(&c.Country, orm.MaxLength(100), orm.Blank(), orm.Verbose("country"))
})

// OrderStatus is Order.status, Django's TextChoices.
type OrderStatus string

const (
	StatusPending   OrderStatus = "pending"
	StatusPaid      OrderStatus = "paid"
	StatusShipped   OrderStatus = "shipped"
	StatusCancelled OrderStatus = "cancelled"
)

var OrderStatuses = orm.NewChoices(
	orm.C(StatusPending, "Pending"),
	orm.C(StatusPaid, "Paid"),
	orm.C(StatusShipped, "Shipped"),
	orm.C(StatusCancelled, "Cancelled"),
)

// Order is one checkout. Reference is what the customer sees, reads out
// to staff and the URL carries (see NewReference), so sequential ids never
// leak; Number is the order's permanent key, which old links still carry.
// CheckoutKey is the form's idempotency key, which makes a re-submitted
// checkout find its order instead of placing a second one.
//
// The address is kept in parts (Shipping*); ShippingAddress is the same
// address as lines of text, for the readers and searches that came before
// the parts, and it is all that orders placed before them have.
type Order struct {
	ID                 int64
	Number             uuid.UUID
	Reference          string
	Customer           orm.FK[Customer]
	Status             OrderStatus
	ShippingName       string
	ShippingLine1      string
	ShippingLine2      string
	ShippingCity       string
	ShippingPostalCode string
	ShippingCountry    string
	ShippingAddress    string
	Total              decimal.Decimal
	CheckoutKey        *uuid.UUID
	CreatedAt          time.Time
}

func (o *Order) String() string { return "Order #" + o.Reference }

var Orders = orm.Define("shop", func(o *Order, m *orm.Schema) {
	m.UUID(&o.Number, orm.Default(uuid.New), orm.Unique(), orm.Editable(false), orm.Verbose("order number"))
	// 32 characters: the orders placed before references were given
	// theirs from their numbers, a few the whole number (migration 00019).
	m.Char(&o.Reference, orm.MaxLength(32), orm.Default(NewReference), orm.Unique(), orm.Editable(false),
		orm.Verbose("reference"))
	m.ForeignKey(&o.Customer, orm.OnDelete(orm.Protect), orm.RelatedName("orders"), orm.Verbose("customer"))
	m.Char(&o.Status, orm.MaxLength(20), orm.Choices(OrderStatuses), orm.Default(StatusPending), orm.Verbose("status"))
	m.Char(&o.ShippingName, orm.MaxLength(200), orm.Blank(), orm.Verbose("name"))
	m.Char(&o.ShippingLine1, orm.MaxLength(200), orm.Blank(), orm.Verbose("address line 1"))
	m.Char(&o.ShippingLine2, orm.MaxLength(200), orm.Blank(), orm.Verbose("address line 2"))
	m.Char(&o.ShippingCity, orm.MaxLength(100), orm.Blank(), orm.Verbose("city"))
	m.Char(&o.ShippingPostalCode, orm.MaxLength(20), orm.Blank(), orm.Verbose("postal code"))
	m.Char(&o.ShippingCountry, orm.MaxLength(2), orm.Blank(), orm.Choices(Countries), orm.Verbose("country"))
	m.Text(&o.ShippingAddress, orm.Blank(), orm.Verbose("shipping address"),
		orm.HelpText("The address as text: written from the parts above, for orders placed before them."))
	m.Decimal(&o.Total, 12, 2, orm.Default(decimal.Zero), orm.Editable(false), orm.Verbose("total"))
	m.UUID(&o.CheckoutKey, orm.Null(), orm.Blank(), orm.Unique(), orm.Editable(false), orm.Verbose("checkout key"))
	m.DateTime(&o.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	m.Meta(orm.Ordering("-created_at"), orm.Index("customer", "-created_at"),
		orm.Index("created_at", "id"), orm.Index("total", "id"), orm.Index("status", "created_at", "id"))
})

// OrderItem is one line of an order, priced as of the order.
type OrderItem struct {
	ID        int64
	Order     orm.FK[Order]
	Product   orm.FK[Product]
	Quantity  int32
	UnitPrice decimal.Decimal
}

func (i *OrderItem) String() string {
	if p, ok := i.Product.Cached(); ok {
		return p.Name
	}
	return "Order item"
}

// LineTotal is quantity × unit price.
func (i *OrderItem) LineTotal() decimal.Decimal {
	return i.UnitPrice.Mul(decimal.NewFromInt32(i.Quantity))
}

var OrderItems = orm.Define("shop", func(i *OrderItem, m *orm.Schema) {
	m.ForeignKey(&i.Order, orm.OnDelete(orm.Cascade), orm.RelatedName("items"), orm.Verbose("order"))
	m.ForeignKey(&i.Product, orm.OnDelete(orm.Protect), orm.RelatedName("order_items"), orm.Verbose("product"))
	m.PositiveInteger(&i.Quantity, orm.Verbose("quantity"))
	m.Decimal(&i.UnitPrice, 10, 2, orm.Verbose("unit price"))
	m.Meta(orm.Ordering("id"), orm.CheckConstraint("shop_orderitem_quantity_positive", orm.Q{"quantity__gte": 1}))
})

// Review is a customer's rating of a product: one per product and customer,
// shown once approved.
type Review struct {
	ID        int64
	Product   orm.FK[Product]
	Customer  orm.FK[Customer]
	Rating    int16
	Title     string
	Body      string
	Approved  bool
	CreatedAt time.Time
}

func (r *Review) String() string { return r.Title }

var Reviews = orm.Define("shop", func(r *Review, m *orm.Schema) {
	m.ForeignKey(&r.Product, orm.OnDelete(orm.Cascade), orm.RelatedName("reviews"), orm.Verbose("product"))
	m.ForeignKey(&r.Customer, orm.OnDelete(orm.Cascade), orm.RelatedName("reviews"), orm.Verbose("customer"))
	m.PositiveSmallInteger(&r.Rating, orm.Verbose("rating"), orm.HelpText("From 1 to 5 stars."))
	m.Char(&r.Title, orm.MaxLength(200), orm.Verbose("title"))
	m.Text(&r.Body, orm.Blank(), orm.Verbose("body"))
	m.Boolean(&r.Approved, orm.Default(false), orm.Verbose("approved"))
	m.DateTime(&r.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	m.Meta(orm.Ordering("-created_at"),
		orm.Index("created_at", "id"), orm.Index("rating", "id"), orm.Index("approved", "created_at", "id"),
		orm.CheckConstraint("shop_review_rating_1_to_5", orm.Q{"rating__gte": 1, "rating__lte": 5}),
		orm.UniqueConstraint("shop_review_one_per_customer", "product", "customer"))
})

// Models are the shop's models, for tests and migrations.
func Models() []*orm.Meta {
	return []*orm.Meta{Categories.Meta, Products.Meta, Customers.Meta, Orders.Meta, OrderItems.Meta, Reviews.Meta}
}
