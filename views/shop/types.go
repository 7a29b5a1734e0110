// Package shopviews renders the storefront's pages: the home page, the
// catalog, a product with its reviews, the cart, the checkout and the
// customer's orders. The shop package's handlers fill the view models below;
// these components never see a model, a database or a request. Prices
// arrive formatted, so a page cannot round money its own way.
package shopviews

// Shell is what every storefront page shows around its content.
type Shell struct {
	Title     string
	CartCount int  // units in the cart, for the cart link
	OwnSearch bool // the page has its own search box, so the frame shows none
}

// Link is a labelled URL.
type Link struct {
	Label string
	URL   string
}

// ProductCard is a product in a grid: the home page and the catalog.
type ProductCard struct {
	Name      string
	URL       string
	ImageURL  string // the thumbnail, or the placeholder: 4:3, as the card
	Category  string
	Price     string // what the customer pays now
	ListPrice string // the price before the sale; "" when not on sale
	InStock   bool
	Rating    string // "4.50"; "" before any approved review
}

// Home is the landing page.
type Home struct {
	Shell
	Featured []ProductCard
	OnSale   []ProductCard
}

// Option is one choice of a select box.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Catalog is /products/: filters, one page of products and the pagination.
type Catalog struct {
	Shell
	Query      string
	Categories []Option // the category filter; Value "" is every category
	Sorts      []Option
	PerPage    []Option
	InStock    bool
	OnSale     bool
	Products   []ProductCard
	Total      int64
	AtLeast    bool // counting stopped at Total: there are more
	Page       int
	NumPages   int
	Pages      []PageLink
	PrevURL    string // "" on the first page
	NextURL    string // "" on the last page
}

// PageLink is one page number of the pagination; URL is "" for the
// current page and for the gaps ("…").
type PageLink struct {
	Label   string
	URL     string
	Current bool
}

// ProductPage is /products/<slug>/.
type ProductPage struct {
	Shell
	ID            int64
	Name          string
	Description   string
	ImageURL      string // the picture as uploaded, or the placeholder
	ImageAlt      string
	Category      Link
	Price         string
	ListPrice     string // "" when not on sale
	Stock         int    // units available; 0 is sold out
	AverageRating string // "" before any approved review
	ReviewCount   int64  // approved reviews in all; Reviews holds the newest
	Reviews       []Review
	// Review is the form for a customer who bought the product and has
	// not reviewed it yet; nil otherwise, and ReviewNote says why.
	Review     *ReviewForm
	ReviewNote string
	ReviewURL  string
	Thanks     bool // a review was just sent for moderation
}

// Review is one approved review.
type Review struct {
	Rating int
	Title  string
	Body   string
	Author string
	Date   string
	ISO    string
}

// ReviewForm is the review form's values and its errors by field
// ("rating", "title", "body", "" for the whole form).
type ReviewForm struct {
	Rating string
	Title  string
	Body   string
	Errors map[string]string
}

// CartLine is one product in the cart or at the checkout.
type CartLine struct {
	ProductID int64
	Name      string
	URL       string
	ImageURL  string
	UnitPrice string
	Quantity  int
	Stock     int
	LineTotal string
	// Problem says what stops the line from being ordered as it is (sold
	// out, fewer left than asked for, no longer sold); "" when it can be.
	Problem string
}

// Cart is /cart/.
type Cart struct {
	Shell
	Lines []CartLine
	Total string
	Error string // why the last change was refused
}

// Checkout is /checkout/.
type Checkout struct {
	Shell
	Lines []CartLine
	Total string
	Key   string // the idempotency key, sent back with the form
	// Shown is the total the page shows, as a plain decimal: the order is
	// refused if the prices changed from it meanwhile.
	Shown string
	// The shipping address's inputs: Country is an ISO 3166 code, one of
	// Countries' values.
	Name, Line1, Line2, City, PostalCode, Country string
	Countries                                     []Option
	SaveAddress                                   bool // keep the address as the customer's
	// Errors are by input ("name", "line1", "city", "postal_code",
	// "country"), "" for the whole form.
	Errors map[string]string
	// Shortages name each product the order could not be placed for.
	Shortages []string
}

// OrderRow is one order in the customer's list.
type OrderRow struct {
	Number string
	URL    string
	Date   string
	ISO    string
	Status string
	Items  int64
	Total  string
}

// Orders is /orders/.
type Orders struct {
	Shell
	Orders []OrderRow
}

// OrderLine is one line of an order, priced as of the order.
type OrderLine struct {
	Name      string
	URL       string
	Quantity  int
	UnitPrice string
	LineTotal string
}

// Order is /orders/<reference>/ and, just after the checkout,
// /checkout/done/<reference>/.
type Order struct {
	Shell
	Number  string // the reference, "7KQ2M9XD"
	Date    string
	ISO     string
	Status  string
	Address string // lines
	Lines   []OrderLine
	Total   string
	Placed  bool // the customer has just placed it: the confirmation page
}
