package shop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

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
	seedCities = []string{"Lisbon", "Oslo", "Lyon", "Leeds", "Porto", "Graz", "Turku", "Ghent"}
	seedTitles = []string{"Disappointing", "Not great", "Does the job", "Very good", "Excellent"}
)

// seedShelf is what a leaf category of the demo catalog sells: makers
// (brands; for books, authors), items (kinds of product; for books,
// titles), and a line every description ends with.
type seedShelf struct {
	makers, items []string
	book          bool
	blurb         string
}

var seedShelves = map[string]seedShelf{
	"smartphones": {
		makers: []string{"Nova", "Aero", "Luma", "Orbit", "Vega", "Kite"},
		items:  []string{"Pro Smartphone", "Mini Smartphone", "Fold Smartphone", "Lite Smartphone", "Max Smartphone", "Camera Phone"},
		blurb:  "Two-day battery, bright screen.",
	},
	"phone-accessories": {
		makers: []string{"Voltra", "Kinto", "Ferro", "Lumo", "Qubit", "Sprig"},
		items: []string{"Braided USB-C Cable", "Fast Phone Charger", "Clear Phone Case", "Screen Protector", "Power Bank",
			"Car Phone Mount", "Wireless Charging Pad"},
		blurb: "Fits every recent phone.",
	},
	"laptops": {
		makers: []string{"Atlas", "Corvid", "Halcyon", "Meridian", "Tern", "Nova"},
		items: []string{"13-inch Ultrabook", "14-inch Laptop", "16-inch Gaming Laptop", "Convertible Laptop", "Student Laptop",
			"15-inch Workstation Laptop"},
		blurb: "Quiet, light, full-size keyboard.",
	},
	"monitors": {
		makers: []string{"Vista", "Clearview", "Pixelan", "Horizon", "Lumen", "Strata"},
		items:  []string{"24-inch Monitor", "27-inch 4K Monitor", "34-inch Curved Monitor", "Portable Monitor", "27-inch Office Monitor"},
		blurb:  "Matte and flicker-free.",
	},
	"audio": {
		makers: []string{"Sonora", "Tempo", "Basso", "Echo Lane", "Reverb", "Altura"},
		items:  []string{"Bluetooth Speaker", "Over-Ear Headphones", "Wireless Earbuds", "Bookshelf Speakers", "Soundbar", "Turntable"},
		blurb:  "Warm, clear sound.",
	},
	"fiction": {
		book:   true,
		makers: []string{"Mara Okafor", "Jonas Reyes", "Ilse Brandt", "Tomas Lind", "Aiko Mori", "Ruth Castell"},
		items: []string{"The Silent Harbour", "A Map of Small Hours", "The Glass Orchard", "Winter in Lisbon", "The Last Lighthouse",
			"Salt and Ember", "The Clockmaker's Daughter"},
		blurb: "A novel to read in a weekend.",
	},
	"non-fiction": {
		book:   true,
		makers: []string{"Helen Achebe", "Daniel Frost", "Priya Natarajan", "Olaf Berg", "Claire Dumont", "Sam Whitlock"},
		items: []string{"A Short History of Bread", "The Birdwatcher's Field Guide", "How Bridges Stand", "The Science of Sleep",
			"Maps and the Making of Cities", "Everyday Typography", "The Tea Atlas"},
		blurb: "Plainly written, well illustrated.",
	},
	"kitchen": {
		makers: []string{"Hearth", "Copperline", "Ovella", "Brava", "Maison Fer", "Tidewell"},
		items: []string{"Electric Kettle", "Cast-Iron Skillet", "Stovetop Kettle", "Chef's Knife", "Stand Mixer", "Ceramic Teapot",
			"French Press"},
		blurb: "Made for daily use.",
	},
	"garden": {
		makers: []string{"Greenway", "Fernhill", "Mossbank", "Tilth", "Rowan & Co", "Bramble"},
		items: []string{"Terracotta Planter", "Watering Can", "Pruning Shears", "Garden Hose", "Raised Bed Kit", "Bird Feeder",
			"Solar Garden Light"},
		blurb: "Weatherproof, all year.",
	},
	"toys": {
		makers: []string{"Tumble", "Pip & Pop", "Brightbox", "Wobble", "Jolly Oak", "Mimo"},
		items: []string{"Wooden Building Blocks", "Plush Bear", "Jigsaw Puzzle", "Toy Train Set", "Kite", "Stacking Rings",
			"Marble Run"},
		blurb: "Safety tested, ages 3 and up.",
	},
}

// seedColours colour the demo products: named in their names, and the ink
// of their pictures.
var seedColours = []struct {
	name string
	ink  color.RGBA
}{
	{"Graphite", color.RGBA{59, 63, 69, 255}},
	{"Coral", color.RGBA{222, 107, 82, 255}},
	{"Midnight Blue", color.RGBA{31, 58, 104, 255}},
	{"Sage", color.RGBA{110, 140, 104, 255}},
	{"Ocean", color.RGBA{42, 127, 168, 255}},
	{"Plum", color.RGBA{123, 63, 110, 255}},
	{"Mustard", color.RGBA{196, 150, 38, 255}},
	{"Forest", color.RGBA{44, 96, 66, 255}},
}

var seedFormats = []string{"Paperback", "Hardcover", "Large Print", "Pocket Edition"}

// seedPicturesPerShelf bounds the pictures Seed draws: each leaf category
// has this many, one per maker and colour that its products take in turn,
// so that a catalog of any size costs the same drawing and a product
// shares its picture only with products of its maker and colour.
const seedPicturesPerShelf = 8

// seedLook is the i-th demo product's place on its shelf: its leaf
// category and the slot (maker and colour) its picture belongs to.
type seedLook struct {
	leaf  int // index into seeder.leaves
	turn  int // how many products of the leaf came before
	slot  int
	maker string
	ink   color.RGBA
}

func (s *seeder) look(i int) seedLook {
	l := seedLook{leaf: i % len(s.leaves), turn: i / len(s.leaves)}
	l.slot = l.turn % seedPicturesPerShelf
	shelf := seedShelves[s.leaves[l.leaf].Slug]
	l.maker = shelf.makers[l.slot%len(shelf.makers)]
	l.ink = seedColours[(l.slot+l.leaf)%len(seedColours)].ink
	return l
}

// Seed fills the shop with a demo catalog: a category tree with
// Electronics and its sub-categories, products (some on sale, some below
// their reorder level, a few inactive) written with BulkCreate, each named
// for its category and with a picture drawn for it (at most
// seedPicturesPerShelf per leaf category, which larger catalogs share, so
// that a million products cost no more drawing than a hundred), customers,
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
// i, so a second run would make the same one. Its name fits its category:
// maker, item and colour (for a book: title, author and format), each
// combination once, then again as a new series.
func (s *seeder) seedProduct(i int) *Product {
	p := Products.New()
	l := s.look(i)
	leaf := s.leaves[l.leaf]
	shelf := seedShelves[leaf.Slug]
	item := shelf.items[l.turn%len(shelf.items)]
	colour := seedColours[(l.slot+l.leaf)%len(seedColours)].name
	if shelf.book {
		format := seedFormats[l.slot%len(seedFormats)]
		p.Name = fmt.Sprintf("%s by %s (%s)", item, l.maker, format)
		p.Description = fmt.Sprintf("%s by %s, in %s. %s", item, l.maker, strings.ToLower(format), shelf.blurb)
	} else {
		p.Name = fmt.Sprintf("%s %s, %s", l.maker, item, colour)
		p.Description = fmt.Sprintf("The %s %s in %s. %s", l.maker, item, strings.ToLower(colour), shelf.blurb)
	}
	// (turn mod items, slot) repeats every lcm(items, slots) turns.
	if series := l.turn / lcm(len(shelf.items), seedPicturesPerShelf); series > 0 {
		p.Name += fmt.Sprintf(", series %d", series+1)
	}
	p.Slug = fmt.Sprintf("%s-%d", slugify(p.Name), i)
	p.SKU = seedSKU(i)
	p.Category.ID = leaf.ID
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

func lcm(a, b int) int {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// slugify keeps a name's letters and digits, lower-cased, with one dash
// for each run of anything else.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
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
	pictures, err := s.seededPictures(ctx)
	if err != nil {
		return err
	}
	batch := make([]*Product, 0, seedProductBatch)
	flush := func(steps int) error {
		if len(batch) > 0 {
			if err := s.picture(ctx, batch, pictures); err != nil {
				return fmt.Errorf("shop: seed pictures: %w", err)
			}
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

// pictureKey names a demo picture: a leaf category's slot.
type pictureKey struct{ leaf, slot int }

// seedIndex is the number a demo SKU ends in.
func seedIndex(sku string) (int, bool) {
	i, err := strconv.Atoi(strings.TrimPrefix(sku, seedSKUPrefix))
	return i, err == nil && strings.HasPrefix(sku, seedSKUPrefix)
}

// seededPictures finds the pictures an earlier run drew, on the first
// products of each slot, so that a second run shares them too.
func (s *seeder) seededPictures(ctx context.Context) (map[pictureKey]orm.File, error) {
	firsts := make([]string, 0, len(s.leaves)*(seedPicturesPerShelf+1))
	for i := 1; i <= len(s.leaves)*(seedPicturesPerShelf+1); i++ {
		firsts = append(firsts, seedSKU(i))
	}
	rows, err := Products.Objects().Filter(orm.Q{"sku__in": firsts}).Exclude(orm.Q{"image": ""}).OrderBy().Values(ctx, "sku", "image")
	if err != nil {
		return nil, err
	}
	pictures := make(map[pictureKey]orm.File, len(rows))
	for _, row := range rows {
		sku, _ := row["sku"].(string)
		name, _ := row["image"].(string)
		if i, ok := seedIndex(sku); ok {
			l := s.look(i)
			pictures[pictureKey{l.leaf, l.slot}] = orm.File{Name: name}
		}
	}
	return pictures, nil
}

// picture gives each product of batch its slot's picture, drawing (on
// every core) those no product has yet.
func (s *seeder) picture(ctx context.Context, batch []*Product, pictures map[pictureKey]orm.File) error {
	type job struct {
		key  pictureKey
		look seedLook
		p    *Product
	}
	var jobs []job
	drawing := map[pictureKey]bool{}
	for _, p := range batch {
		i, _ := seedIndex(p.SKU)
		l := s.look(i)
		k := pictureKey{l.leaf, l.slot}
		if _, ok := pictures[k]; !ok && !drawing[k] {
			drawing[k] = true
			jobs = append(jobs, job{k, l, p})
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		g.Go(func() error {
			png := drawPicture(s.leaves[j.look.leaf].Slug, initial(j.look.maker), j.look.ink)
			name := slugify(j.p.Name)
			if len(name) > 60 {
				name = strings.TrimRight(name[:60], "-")
			}
			return Products.SaveFile(gctx, j.p, "image", name+".png", bytes.NewReader(png))
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, j := range jobs {
		pictures[j.key] = j.p.Image
	}
	for _, p := range batch {
		i, _ := seedIndex(p.SKU)
		l := s.look(i)
		p.Image = pictures[pictureKey{l.leaf, l.slot}]
	}
	return nil
}

// initial is the letter on a maker's pictures.
func initial(maker string) string {
	for _, r := range maker {
		return string(unicode.ToUpper(r))
	}
	return "Q"
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
