package shop

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// homeShelf is how many products each shelf of the home page shows: six
// fill whole rows of a grid of one, two, three or six columns.
const homeShelf = 6

// home shows the best-rated products in stock and the newest sales: two
// queries, each reading an index of Product's in order.
func home(c echo.Context) error {
	ctx := c.Request().Context()
	featured, err := ProductObjects().InStock().SelectRelated("category").
		OrderBy("-average_rating", "-pk").Limit(homeShelf).All(ctx)
	if err != nil {
		return err
	}
	sale, err := ProductObjects().InStock().OnSale().SelectRelated("category").
		OrderBy("-created_at", "-pk").Limit(homeShelf).All(ctx)
	if err != nil {
		return err
	}
	return views.Render(c, http.StatusOK, shopviews.HomePage(shopviews.Home{
		Shell:    shell(ctx, "Shop"),
		Featured: cards(featured),
		OnSale:   cards(sale),
	}))
}

func cards(products []*Product) []shopviews.ProductCard {
	out := make([]shopviews.ProductCard, len(products))
	for i, p := range products {
		out[i] = shopviews.ProductCard{
			Name:      p.Name,
			URL:       p.AbsoluteURL(),
			ImageURL:  thumbnailURL(p),
			Price:     money(p.CurrentPrice()),
			ListPrice: listPrice(p),
			InStock:   p.IsActive && p.Stock > 0,
			Rating:    rating(p),
		}
		if cat, ok := p.Category.Cached(); ok {
			out[i].Category = cat.Name
		}
	}
	return out
}

// catalogSorts are the catalog's orders, by the sort parameter's value:
// the default (no parameter) is the first while searching, the second
// otherwise. Every order ends in the primary key, so that pages never
// share or skip a product, going the way of the sort, so that one index
// of Product's on (field, id) serves it.
var catalogSorts = []struct {
	value, label string
	fields       []string
}{
	{"relevance", "Relevance", []string{"-rank", "pk"}}, // only while searching
	{"name", "Name", []string{"name", "pk"}},
	{"price", "Price: low to high", []string{"current_price", "pk"}},
	{"-price", "Price: high to low", []string{"-current_price", "-pk"}},
	{"rating", "Best rated", []string{"-average_rating", "-pk"}},
	{"newest", "Newest", []string{"-created_at", "-pk"}},
}

// perPageChoices are the page sizes a visitor may pick; the first is the
// default.
var perPageChoices = []int{12, 24, 48}

// maxSearchWords bounds the words one search looks for.
const maxSearchWords = 8

// catalogQuery is what a visitor asked the catalog for: the query string,
// read leniently (an unknown sort or page size is the default).
type catalogQuery struct {
	search          string
	category        string // a slug; "" for every category
	inStock, onSale bool
	sort            int // index in catalogSorts
	perPage         int
}

func readCatalogQuery(q url.Values) catalogQuery {
	cq := catalogQuery{
		search:   strings.TrimSpace(q.Get("q")),
		category: q.Get("category"),
		inStock:  q.Get("in_stock") != "",
		onSale:   q.Get("on_sale") != "",
		perPage:  perPageChoices[0],
	}
	if !auth.Storable(cq.search) {
		cq.search = "" // a NUL or broken UTF-8 matches nothing a visitor meant
	}
	cq.sort = cq.defaultSort()
	for i, s := range catalogSorts {
		if s.value == q.Get("sort") && (i > 0 || cq.search != "") {
			cq.sort = i
		}
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && slices.Contains(perPageChoices, n) {
		cq.perPage = n
	}
	return cq
}

// defaultSort is relevance while searching, else the name.
func (cq catalogQuery) defaultSort() int {
	if cq.search != "" {
		return 0
	}
	return 1
}

// products are the active products the query asks for, in no order yet,
// with their relevance to a search annotated as "rank". A search finds
// the products whose name or description has every word (in any form:
// "shoe" finds "shoes"); similar instead finds those whose name is spelt
// like the search, for when no product has the words. An unknown category
// is a 404.
func (cq catalogQuery) products(categories []*Category, similar bool) (ProductQS, error) {
	qs := ProductObjects().Filter(orm.Q{"is_active": true})
	if words := strings.Fields(cq.search); len(words) > 0 {
		text := strings.Join(words[:min(len(words), maxSearchWords)], " ")
		if similar {
			qs = qs.Filter(orm.Q{"name__trigram_similar": text}).Annotate(orm.A{"rank": orm.TrigramSimilarity("name", text)})
		} else {
			v, q := orm.SearchVector("name", "description"), orm.SearchQuery(text)
			qs = qs.Filter(orm.Search(v, q)).Annotate(orm.A{"rank": orm.SearchRank(v, q)})
		}
	}
	if cq.category != "" {
		i := slices.IndexFunc(categories, func(k *Category) bool { return k.Slug == cq.category })
		if i < 0 {
			return qs, errs.E(errs.NotFound, "There is no such category.")
		}
		qs = qs.ByCategoryAmong(categories, categories[i])
	}
	if cq.inStock {
		qs = qs.InStock()
	}
	if cq.onSale {
		qs = qs.OnSale()
	}
	return qs, nil
}

// url is the catalog's address for page n of this query, with only the
// parameters that differ from the defaults.
func (cq catalogQuery) url(page int) string {
	v := url.Values{}
	set := func(key, value string, ok bool) {
		if ok {
			v.Set(key, value)
		}
	}
	set("q", cq.search, cq.search != "")
	set("category", cq.category, cq.category != "")
	set("in_stock", "1", cq.inStock)
	set("on_sale", "1", cq.onSale)
	set("sort", catalogSorts[cq.sort].value, cq.sort != cq.defaultSort())
	set("per_page", strconv.Itoa(cq.perPage), cq.perPage != perPageChoices[0])
	set("page", strconv.Itoa(page), page > 1)
	if len(v) == 0 {
		return "/products/"
	}
	return "/products/?" + v.Encode()
}

// catalog is /products/: three queries whatever the filters and the page
// size (the categories, the count, the page).
func catalog(c echo.Context) error {
	ctx := c.Request().Context()
	cq := readCatalogQuery(c.QueryParams())
	categories, err := Categories.Objects().All(ctx)
	if err != nil {
		return err
	}
	qs, err := cq.products(categories, false)
	if err != nil {
		return err
	}
	// Counting stops at catalogCountUpTo: a page of a big catalog reads at
	// most that many index entries to say "more than 1,000 products".
	count, err := orm.CountUpTo(ctx, qs, catalogCountUpTo)
	if err != nil {
		return err
	}
	if count.N == 0 && cq.search != "" {
		// Nothing matched the words: show the products whose names are
		// spelt like them.
		if qs, err = cq.products(categories, true); err != nil {
			return err
		}
		if count, err = orm.CountUpTo(ctx, qs, catalogCountUpTo); err != nil {
			return err
		}
	}
	total, atLeast := count.N, count.AtLeast
	numPages := max(int((total+int64(cq.perPage)-1)/int64(cq.perPage)), 1)
	page := 1
	if p := c.QueryParam("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 || page > numPages && !atLeast {
			return errPageNotFound
		}
	}
	var products []*Product
	more := false
	if total > 0 {
		products, more, err = views.ReadPage(ctx, Products.Meta, qs.Annotate(orm.A{"current_price": CurrentPriceExpr()}).SelectRelated("category"),
			ProductQS.All, catalogSorts[cq.sort].fields, page, cq.perPage, c.QueryParams(), count)
		if err != nil {
			return err
		}
		if len(products) == 0 && page > 1 {
			return errPageNotFound
		}
	}
	if atLeast {
		numPages = max(numPages, page)
		if more {
			numPages = max(numPages, page+1)
		}
	}

	view := shopviews.Catalog{
		Shell:      shell(ctx, "Products"),
		Query:      cq.search,
		Categories: categoryOptions(categories, cq.category),
		InStock:    cq.inStock,
		OnSale:     cq.onSale,
		Products:   cards(products),
		Total:      total,
		AtLeast:    atLeast,
		Page:       page,
		NumPages:   numPages,
	}
	view.OwnSearch = true
	for i, s := range catalogSorts {
		value := s.value
		switch {
		case i == 0 && cq.search == "":
			continue
		case i == cq.defaultSort():
			value = ""
		}
		view.Sorts = append(view.Sorts, shopviews.Option{Value: value, Label: s.label, Selected: i == cq.sort})
	}
	for _, n := range perPageChoices {
		v := strconv.Itoa(n)
		view.PerPage = append(view.PerPage, shopviews.Option{Value: v, Label: v, Selected: n == cq.perPage})
	}
	if page > 1 {
		view.PrevURL = cq.url(page - 1)
		if page > 2 && len(products) > 0 {
			view.PrevURL = views.WithSeek(view.PrevURL, strconv.FormatInt(products[0].ID, 10), true)
		}
	}
	if page < numPages {
		view.NextURL = cq.url(page + 1)
		if len(products) > 0 {
			view.NextURL = views.WithSeek(view.NextURL, strconv.FormatInt(products[len(products)-1].ID, 10), false)
		}
	}
	for _, n := range pageNumbers(page, numPages, atLeast) {
		switch n {
		case 0:
			view.Pages = append(view.Pages, shopviews.PageLink{Label: "…"})
		case page:
			view.Pages = append(view.Pages, shopviews.PageLink{Label: strconv.Itoa(n), Current: true})
		default:
			view.Pages = append(view.Pages, shopviews.PageLink{Label: strconv.Itoa(n), URL: cq.url(n)})
		}
	}
	return views.Render(c, http.StatusOK, shopviews.CatalogPage(view))
}

// catalogCountUpTo is where the catalog stops counting.
const catalogCountUpTo = 1000

// pageNumbers are the page links around the current page: the first and
// last two, and two either side of current; 0 marks a gap. When more
// pages may follow the last one known (open), a gap ends the list.
func pageNumbers(current, last int, open bool) []int {
	var out []int
	for n := 1; n <= last; n++ {
		if n <= 2 || n > last-2 || n >= current-2 && n <= current+2 {
			out = append(out, n)
		} else if out[len(out)-1] != 0 {
			out = append(out, 0)
		}
	}
	if open {
		out = append(out, 0)
	}
	return out
}

// categoryOptions lists the categories as a tree, each under its parent
// and indented by its depth.
func categoryOptions(categories []*Category, selected string) []shopviews.Option {
	children := map[int64][]*Category{}
	known := map[int64]bool{}
	for _, k := range categories {
		known[k.ID] = true
	}
	for _, k := range categories {
		parent := k.Parent.ID
		if !known[parent] {
			parent = 0
		}
		children[parent] = append(children[parent], k)
	}
	out := []shopviews.Option{{Value: "", Label: "All categories", Selected: selected == ""}}
	seen := map[int64]bool{}
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, k := range children[parent] {
			if seen[k.ID] {
				continue
			}
			seen[k.ID] = true
			out = append(out, shopviews.Option{Value: k.Slug, Label: strings.Repeat("\u00a0\u00a0", depth) + k.Name, Selected: k.Slug == selected})
			walk(k.ID, depth+1)
		}
	}
	walk(0, 0)
	return out
}

// activeProduct is the product on sale at slug, or a NotFound error.
func activeProduct(ctx context.Context, slug string) (*Product, error) {
	if !auth.Storable(slug) {
		return nil, errs.E(errs.NotFound, productGone)
	}
	p, err := ProductObjects().SelectRelated("category").Get(ctx, orm.Q{"slug": slug, "is_active": true})
	return p, errs.Explain(err, errs.NotFound, productGone)
}

// productGone is what a visitor is told of a product that is not on sale.
const productGone = "This product does not exist or is no longer sold."

// errPageNotFound answers a catalog page number past the last page.
var errPageNotFound = errs.E(errs.NotFound, "That page does not exist.")

// productDetail is /products/<slug>/: the product and its newest approved
// reviews in two queries (three past reviewsShown reviews, to count them),
// and two more for a signed-in visitor, to know whether they may review it.
func productDetail(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := activeProduct(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	view, err := productView(ctx, p)
	if err != nil {
		return err
	}
	view.Thanks = c.QueryParam("reviewed") != ""
	if u := auth.UserFrom(ctx); u != nil {
		reviewed, err := Reviews.Objects().Filter(orm.Q{"product": p.ID, "customer__user": u.ID}).Exists(ctx)
		if err != nil {
			return err
		}
		bought := false
		if !reviewed {
			if bought, err = hasBought(ctx, u, p); err != nil {
				return err
			}
		}
		switch {
		case reviewed:
			view.ReviewNote = "You have reviewed this product. Thank you!"
		case bought:
			view.Review = &shopviews.ReviewForm{}
		default:
			view.ReviewNote = "Only customers who bought this product can review it."
		}
	} else {
		view.ReviewNote = "Log in to review products you have bought."
	}
	return views.Render(c, http.StatusOK, shopviews.ProductDetail(view))
}

// reviewsShown is how many approved reviews a product page shows, the
// newest.
const reviewsShown = 20

// productView is the product page without its review form.
func productView(ctx context.Context, p *Product) (shopviews.ProductPage, error) {
	approved := Reviews.Objects().Filter(orm.Q{"product": p.ID, "approved": true})
	reviews, err := approved.SelectRelated("customer__user").OrderBy("-created_at", "-pk").Limit(reviewsShown).All(ctx)
	if err != nil {
		return shopviews.ProductPage{}, err
	}
	n := int64(len(reviews))
	if n == reviewsShown {
		// Only a product with more reviews than the page shows pays for the count.
		if n, err = approved.Count(ctx); err != nil {
			return shopviews.ProductPage{}, err
		}
	}
	view := shopviews.ProductPage{
		Shell:         shell(ctx, p.Name),
		ID:            p.ID,
		Name:          p.Name,
		Description:   p.Description,
		ImageURL:      imageURL(p),
		ImageAlt:      imageAlt(p),
		Price:         money(p.CurrentPrice()),
		ListPrice:     listPrice(p),
		Stock:         int(p.Stock),
		AverageRating: rating(p),
		ReviewCount:   n,
		ReviewURL:     p.AbsoluteURL() + "review/",
	}
	if cat, ok := p.Category.Cached(); ok {
		view.Category = shopviews.Link{Label: cat.Name, URL: "/products/?category=" + url.QueryEscape(cat.Slug)}
	}
	for _, r := range reviews {
		author := "A customer"
		if cu, ok := r.Customer.Cached(); ok {
			author = cu.String()
		}
		view.Reviews = append(view.Reviews, shopviews.Review{
			Rating: int(r.Rating),
			Title:  r.Title,
			Body:   r.Body,
			Author: author,
			Date:   r.CreatedAt.Format(dateFormat),
			ISO:    r.CreatedAt.Format("2006-01-02"),
		})
	}
	return view, nil
}

// hasBought reports whether u has ordered p, in an order not cancelled.
func hasBought(ctx context.Context, u *auth.User, p *Product) (bool, error) {
	return OrderItems.Objects().Filter(orm.Q{"product": p.ID, "order__customer__user": u.ID}).
		Exclude(orm.Q{"order__status": StatusCancelled}).Exists(ctx)
}

// postReview saves a buyer's review, unapproved until staff approve it.
func postReview(c echo.Context) error {
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	slug := c.Param("slug")
	if u == nil {
		return toLogin(c, "/products/"+slug+"/")
	}
	p, err := activeProduct(ctx, slug)
	if err != nil {
		return err
	}
	bought, err := hasBought(ctx, u, p)
	if err != nil {
		return err
	}
	if !bought {
		return errs.E(errs.Forbidden, "Only customers who bought this product can review it.")
	}
	customer, err := CustomerFor(ctx, u)
	if err != nil {
		return err
	}
	form := shopviews.ReviewForm{
		Rating: strings.TrimSpace(c.FormValue("rating")),
		Title:  strings.TrimSpace(c.FormValue("title")),
		Body:   strings.TrimSpace(c.FormValue("body")),
		Errors: map[string]string{},
	}
	r := Reviews.New()
	r.Product.ID, r.Customer.ID, r.Title, r.Body = p.ID, customer.ID, form.Title, form.Body
	if n, err := strconv.Atoi(form.Rating); err != nil || n < 1 || n > 5 {
		form.Errors["rating"] = "Choose a rating from 1 to 5 stars."
	} else {
		r.Rating = int16(n)
	}
	exclude := []string{"rating"}
	for field, text := range map[string]string{"title": form.Title, "body": form.Body} {
		if !auth.Storable(text) {
			form.Errors[field] = "Enter plain text."
			exclude = append(exclude, field)
		}
	}
	err = Reviews.FullClean(ctx, r, exclude...)
	var verr *orm.ValidationError
	if errors.As(err, &verr) {
		for field, msgs := range verr.Fields {
			if field == orm.NonFieldErrors {
				// The one unique constraint: one review per product and customer.
				form.Errors[""] = "You have already reviewed this product."
			} else if form.Errors[field] == "" {
				form.Errors[field] = msgs[0]
			}
		}
	} else if err != nil {
		return err
	}
	if len(form.Errors) == 0 {
		err = Reviews.Save(ctx, r)
		var ierr *orm.IntegrityError
		if errors.As(err, &ierr) && ierr.Kind == "unique" {
			// A second review sent at the same moment, past FullClean's check.
			form.Errors[""] = "You have already reviewed this product."
		} else if err != nil {
			return err
		}
	}
	if len(form.Errors) > 0 {
		view, err := productView(ctx, p)
		if err != nil {
			return err
		}
		view.Review = &form
		return views.Render(c, http.StatusBadRequest, shopviews.ProductDetail(view))
	}
	return c.Redirect(http.StatusSeeOther, p.AbsoluteURL()+"?reviewed=1#reviews")
}
