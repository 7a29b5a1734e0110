package shop

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// SeedOptions size the demo data Seed makes. A zero count takes its
// default; a negative one makes none.
type SeedOptions struct {
	Products  int // default 200
	Customers int // default 20
	Orders    int // default 100, spread over the last 30 days
	Reviews   int // default 60
	// Password is every seeded customer's password (auth.CreateUser,
	// argon2id: about a tenth of a second each). Empty: the customers
	// cannot sign in, and are made without hashing.
	Password string
	// Progress, when set, is told how far Seed has got, in steps of its
	// own choosing; done reaches total at the end.
	Progress func(done, total int)
}

// SeedReport counts what one Seed run created.
type SeedReport struct {
	Categories, Products, Customers, Orders, Reviews int
}

// The seeded rows are recognised by these, which makes Seed idempotent:
// a second run finds them and adds only what is missing.
const (
	seedSKUPrefix      = "DEMO-"
	seedUsernamePrefix = "shopper"
	seedProductBatch   = 2000
)

// seedKeys derives each seeded order's checkout key, so that a second run
// re-submits the same checkouts and PlaceOrder finds them placed.
var seedKeys = uuid.MustParse("6f1c2b54-3d0e-4f7a-9a51-2f3c9e2b7d10")

// seedCategories is the demo catalog's tree: slug, name, parent slug.
var seedCategories = [][3]string{
	{"electronics", "Electronics", ""},
	{"phones", "Phones", "electronics"},
	{"smartphones", "Smartphones", "phones"},
	{"phone-accessories", "Phone accessories", "phones"},
	{"computers", "Computers", "electronics"},
	{"laptops", "Laptops", "computers"},
	{"monitors", "Monitors", "computers"},
	{"audio", "Audio", "electronics"},
	{"books", "Books", ""},
	{"fiction", "Fiction", "books"},
	{"non-fiction", "Non-fiction", "books"},
	{"home-garden", "Home & Garden", ""},
	{"kitchen", "Kitchen", "home-garden"},
	{"garden", "Garden", "home-garden"},
	{"toys", "Toys", ""},
}

var (
	seedAdjectives = []string{"Compact", "Classic", "Wireless", "Deluxe", "Eco", "Smart", "Rugged", "Mini", "Pro", "Vintage"}
	seedNouns      = []string{"Speaker", "Lamp", "Backpack", "Kettle", "Notebook", "Charger", "Headphones", "Planter", "Puzzle", "Monitor", "Blender", "Novel"}
	seedCities     = []string{"Lisbon", "Oslo", "Lyon", "Leeds", "Porto", "Graz", "Turku", "Ghent"}
	seedTitles     = []string{"Disappointing", "Not great", "Does the job", "Very good", "Excellent"}
)

// Seed fills the shop with a demo catalog: a category tree with
// Electronics and its sub-categories, products (some on sale, some below
// their reorder level, a few inactive) written with BulkCreate, customers,
// orders placed through PlaceOrder and dated over the last 30 days, and
// reviews. It is idempotent: a second run with the same options adds
// nothing, and a larger one adds only the difference.
func Seed(ctx context.Context, opts SeedOptions) (SeedReport, error) {
	opts.Products = seedCount(opts.Products, 200)
	opts.Customers = seedCount(opts.Customers, 20)
	opts.Orders = seedCount(opts.Orders, 100)
	opts.Reviews = seedCount(opts.Reviews, 60)
	s := &seeder{opts: opts, total: len(seedCategories) + opts.Products + opts.Customers + opts.Orders + opts.Reviews}
	for _, step := range []func(context.Context) error{s.seedCategories, s.seedProducts, s.seedCustomers, s.seedOrders, s.seedReviews} {
		if err := step(ctx); err != nil {
			return s.report, err
		}
	}
	return s.report, nil
}

func seedCount(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

type seeder struct {
	opts        SeedOptions
	report      SeedReport
	done, total int
	leaves      []*Category
	products    []int64 // the seeded products' keys, in SKU order
	customers   []*Customer
	placed      []*Order
}

func (s *seeder) progress(n int) {
	s.done += n
	if s.opts.Progress != nil {
		s.opts.Progress(s.done, s.total)
	}
}

func (s *seeder) seedCategories(ctx context.Context) error {
	bySlug := map[string]*Category{}
	for _, row := range seedCategories {
		defaults := orm.Values{"name": row[1]}
		if row[2] != "" {
			defaults["parent"] = bySlug[row[2]].ID
		}
		c, created, err := Categories.Objects().GetOrCreate(ctx, orm.Q{"slug": row[0]}, defaults)
		if err != nil {
			return fmt.Errorf("shop: seed category %s: %w", row[0], err)
		}
		if created {
			s.report.Categories++
		}
		bySlug[row[0]] = c
	}
	for _, row := range seedCategories {
		if !hasChild(row[0]) {
			s.leaves = append(s.leaves, bySlug[row[0]])
		}
	}
	s.progress(len(seedCategories))
	return nil
}

func hasChild(slug string) bool {
	for _, row := range seedCategories {
		if row[2] == slug {
			return true
		}
	}
	return false
}

func seedSKU(i int) string { return fmt.Sprintf("%s%06d", seedSKUPrefix, i) }

// seedProduct is the i-th demo product: everything about it follows from
// i, so a second run would make the same one.
func (s *seeder) seedProduct(i int) *Product {
	p := Products.New()
	adj, noun := seedAdjectives[i%len(seedAdjectives)], seedNouns[(i/len(seedAdjectives))%len(seedNouns)]
	p.Name = fmt.Sprintf("%s %s %d", adj, noun, i)
	p.Slug = fmt.Sprintf("%s-%s-%d", slugWord(adj), slugWord(noun), i)
	p.SKU = seedSKU(i)
	p.Category.ID = s.leaves[i%len(s.leaves)].ID
	p.Description = fmt.Sprintf("The %s %s, number %d of the demo catalog.", adj, noun, i)
	p.Price = decimal.NewFromInt(int64(5 + (i*37)%495)).Add(decimal.RequireFromString("0.99"))
	p.CostPrice = p.Price.Mul(decimal.RequireFromString("0.6")).Round(2)
	if i%5 == 0 {
		sale := p.Price.Mul(decimal.RequireFromString("0.8")).Round(2)
		p.SalePrice = &sale
	}
	p.ReorderLevel = 10
	p.Stock = int32(50 + (i*13)%200)
	if i%7 == 3 {
		p.Stock = int32(i % 10) // below the reorder level
	}
	p.IsActive = i%23 != 0
	return p
}

func slugWord(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (s *seeder) seedProducts(ctx context.Context) error {
	existing, err := orm.Flat[string](ctx, Products.Objects().Filter(orm.Q{"sku__startswith": seedSKUPrefix}).OrderBy(), "sku")
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(existing))
	for _, sku := range existing {
		have[sku] = true
	}
	batch := make([]*Product, 0, seedProductBatch)
	flush := func(steps int) error {
		if len(batch) > 0 {
			if err := Products.Objects().BulkCreate(ctx, batch, 0); err != nil {
				return fmt.Errorf("shop: seed products: %w", err)
			}
			s.report.Products += len(batch)
			batch = batch[:0]
		}
		s.progress(steps)
		return nil
	}
	steps := 0
	for i := 1; i <= s.opts.Products; i++ {
		if !have[seedSKU(i)] {
			batch = append(batch, s.seedProduct(i))
		}
		if steps++; steps == seedProductBatch {
			if err := flush(steps); err != nil {
				return err
			}
			steps = 0
		}
	}
	if err := flush(steps); err != nil {
		return err
	}
	// Orders and reviews go to the first products that are for sale.
	n := min(s.opts.Products, 50)
	skus := make([]string, 0, n)
	for i := 1; i <= n; i++ {
		if i%23 != 0 && i%7 != 3 {
			skus = append(skus, seedSKU(i))
		}
	}
	s.products, err = orm.Flat[int64](ctx, Products.Objects().Filter(orm.Q{"sku__in": skus}).OrderBy("sku"), "id")
	return err
}

func (s *seeder) seedCustomers(ctx context.Context) error {
	for i := 1; i <= s.opts.Customers; i++ {
		username := fmt.Sprintf("%s%03d", seedUsernamePrefix, i)
		u, err := auth.Users.Objects().Get(ctx, orm.Q{"username": username})
		switch {
		case errors.Is(err, orm.ErrDoesNotExist):
			if u, err = s.newUser(ctx, username); err != nil {
				return fmt.Errorf("shop: seed customer %s: %w", username, err)
			}
			s.report.Customers++
		case err != nil:
			return err
		}
		c, err := CustomerFor(ctx, u)
		if err != nil {
			return err
		}
		if c.City == "" {
			c.Phone = fmt.Sprintf("+1 555 %04d", i)
			c.DeliveryName = fmt.Sprintf("Shopper %03d", i)
			c.Address = fmt.Sprintf("%d Market Street", i)
			c.City = seedCities[i%len(seedCities)]
			c.PostalCode = fmt.Sprintf("%05d", 10000+i)
			c.Country = seedCountryOf[c.City]
			if err := Customers.Save(ctx, c); err != nil {
				return err
			}
		}
		s.customers = append(s.customers, c)
		s.progress(1)
	}
	return nil
}

func (s *seeder) newUser(ctx context.Context, username string) (*auth.User, error) {
	email := username + "@example.com"
	if s.opts.Password != "" {
		return auth.CreateUser(ctx, username, email, s.opts.Password)
	}
	u := auth.Users.New()
	u.Username, u.Email, u.IsActive = username, email, true
	auth.SetUnusablePassword(u)
	return u, auth.Users.Save(ctx, u)
}

// seedCountryOf is the country of each of seedCities, by ISO code.
var seedCountryOf = map[string]string{"Lisbon": "PT", "Oslo": "NO", "Lyon": "FR", "Leeds": "GB",
	"Porto": "PT", "Graz": "AT", "Turku": "FI", "Ghent": "BE"}

// seedOrders places each demo order through PlaceOrder under a key derived
// from its number, then dates it and sets its status. An order whose key
// an earlier run used is kept as that run left it, not placed again: the
// customer the n-th order goes to depends on how many customers there are,
// which may have changed since. Nobody is told of the orders placed: the
// default confirmation is a log line per order, noise for demo data.
func (s *seeder) seedOrders(ctx context.Context) error {
	if len(s.customers) == 0 || len(s.products) == 0 {
		s.progress(s.opts.Orders)
		return nil
	}
	ctx = WithConfirmer(ctx, ConfirmerFunc(func(context.Context, *Order, []*OrderItem) error { return nil }))
	now := time.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	statuses := []OrderStatus{StatusPaid, StatusShipped, StatusShipped, StatusPending, StatusPaid, StatusCancelled}
	for i := 1; i <= s.opts.Orders; i++ {
		key := uuid.NewSHA1(seedKeys, fmt.Appendf(nil, "order-%d", i))
		o, err := Orders.Objects().Get(ctx, orm.Q{"checkout_key": key})
		switch {
		case err == nil:
			s.placed = append(s.placed, o)
			s.progress(1)
			continue
		case !errors.Is(err, orm.ErrDoesNotExist):
			return err
		}
		c := s.customers[i%len(s.customers)]
		cart := []CartLine{{ProductID: s.products[i%len(s.products)], Quantity: 1 + i%3}}
		if i%4 == 0 {
			cart = append(cart, CartLine{ProductID: s.products[(i*7)%len(s.products)], Quantity: 1})
		}
		o, err = PlaceOrder(ctx, c, cart, Checkout{Key: key, Address: Address{Name: c.DeliveryName,
			Line1: c.Address, City: c.City, PostalCode: c.PostalCode, Country: countryCode(c.Country)}})
		var se *StockError
		switch {
		case errors.As(err, &se):
			s.progress(1) // the demo sold out: no order
			continue
		case err != nil:
			return fmt.Errorf("shop: seed order %d: %w", i, err)
		}
		at := today.AddDate(0, 0, -(i % 30)).Add(time.Duration(9*60+(i*53)%600) * time.Minute)
		if at.After(now) { // today's, later than now
			at = now.Add(-time.Duration(i%60) * time.Minute)
		}
		status := statuses[i%len(statuses)]
		values := orm.Values{"created_at": at, "status": status}
		if status == StatusCancelled {
			delete(values, "status") // CancelOrder sets it, putting the stock back
		}
		if _, err := Orders.Objects().Filter(orm.Q{"pk": o.ID}).Update(ctx, values); err != nil {
			return err
		}
		if status == StatusCancelled {
			if err := CancelOrder(ctx, o); err != nil {
				return fmt.Errorf("shop: seed order %d: %w", i, err)
			}
		}
		o.Status = status
		s.report.Orders++
		s.placed = append(s.placed, o)
		s.progress(1)
	}
	return nil
}

// seedReviews has the buyers of the demo orders review what they bought,
// as the storefront lets them: not from a cancelled order. One in six
// waits for approval.
func (s *seeder) seedReviews(ctx context.Context) error {
	made := 0
	seen := map[[2]int64]bool{} // one review per product and customer
	for i, o := range s.placed {
		if made >= s.opts.Reviews {
			break
		}
		if o.Status == StatusCancelled {
			continue
		}
		item, err := OrderItems.Objects().Filter(orm.Q{"order": o.ID}).First(ctx)
		if err != nil {
			return err
		}
		if pair := [2]int64{item.Product.ID, o.Customer.ID}; seen[pair] {
			continue
		} else {
			seen[pair] = true
		}
		rating := int16(1 + (i*7)%5)
		_, created, err := Reviews.Objects().GetOrCreate(ctx,
			orm.Q{"product": item.Product.ID, "customer": o.Customer.ID},
			orm.Values{"rating": rating, "title": seedTitles[rating-1], "approved": i%6 != 0,
				"body": fmt.Sprintf("Rated %d out of 5 after order %s.", rating, o.Number.String()[:8])})
		if err != nil {
			return fmt.Errorf("shop: seed review: %w", err)
		}
		if created {
			s.report.Reviews++
		}
		made++
		s.progress(1)
	}
	s.progress(s.opts.Reviews - made)
	return nil
}
