package shop

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	qmoney "github.com/quarry-go/quarry/money"
	"github.com/quarry-go/quarry/static"
	shopviews "github.com/quarry-go/quarry/views/shop"
)

// The storefront. Its handlers rely on the middleware the server applies
// to every page: the database in the context (orm.WithDB), the session and
// its user (auth.Store.Sessions), CSRF (auth.CSRF) and the page chrome
// (views.WithChrome). User mistakes come back as *echo.HTTPError with a
// message for the user, which the server's error handler turns into a page.

// placeholderImage stands in for a product without a photo.
func placeholderImage() string { return static.URL("img/product-placeholder.svg") }

// Mount registers the storefront's routes on e.
func Mount(e *echo.Echo) {
	e.GET("/", home)
	e.GET("/products/", catalog)
	e.GET("/products/:slug/", productDetail)
	e.POST("/products/:slug/review/", postReview)
	e.GET("/cart/", showCart)
	e.POST("/cart/add/", addToCart)
	e.POST("/cart/update/", updateCart)
	e.POST("/cart/remove/", removeFromCart)
	e.GET("/checkout/", showCheckout)
	e.POST("/checkout/", placeOrder)
	e.GET("/orders/", orderList)
	e.GET("/checkout/done/:ref/", orderConfirmation)
	e.GET("/orders/:ref/", orderDetail)
}

// shell is what every storefront page shows around its content.
func shell(ctx context.Context, title string) shopviews.Shell {
	return shopviews.Shell{
		Title:     title,
		CartCount: cartFrom(auth.SessionFrom(ctx)).units(),
	}
}

// toLogin sends an anonymous visitor to the login page, which returns to
// path once they have signed in.
func toLogin(c echo.Context, path string) error {
	return c.Redirect(http.StatusSeeOther, "/accounts/login/?next="+url.QueryEscape(path))
}

// money is a price as the shop shows it, in the currency the money
// package is set to.
func money(d decimal.Decimal) string { return qmoney.Format(d) }

// imageURL is the product's picture as uploaded, for its own page.
func imageURL(p *Product) string {
	if p.Image.Name == "" {
		return placeholderImage()
	}
	return p.Image.URL()
}

// thumbnailURL is the product's picture at the size of a catalog card
// (orm.ThumbnailWidth × orm.ThumbnailHeight), for the lists.
func thumbnailURL(p *Product) string {
	if u := p.Image.ThumbnailURL(); u != "" {
		return u
	}
	return placeholderImage()
}

// imageAlt describes the product page's picture for screen readers.
func imageAlt(p *Product) string {
	if p.Image.Name == "" {
		return "No photo of " + p.Name + " yet"
	}
	return p.Name
}

// listPrice is the price struck through beside a sale price; "" when the
// product is not on sale.
func listPrice(p *Product) string {
	if !p.OnSale() {
		return ""
	}
	return money(p.Price)
}

// rating is a product's average for display; "" before any approved
// review, when the average is zero.
func rating(p *Product) string {
	if p.AverageRating.IsZero() {
		return ""
	}
	return p.AverageRating.StringFixed(2)
}

// dateFormat is how the storefront shows a day.
const dateFormat = "2 January 2006"
