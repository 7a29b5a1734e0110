package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/internal/browsertest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// TestBrowserSite drives the public site as a visitor would, in Chromium,
// through the real server (its middleware, security headers and static
// files): reading a blog post counts a view; signing up, filling a cart
// with two products and checking out places an order the customer then
// finds under Orders.
func TestBrowserSite(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := ormtest.Open(t, vendor, orm.Models()...)
			post, lamp, desk := siteFixtures(t, ctx)
			log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			srv := httptest.NewServer(newServer(orm.FromContext(ctx), log, admin.Default))
			defer srv.Close()
			b := browsertest.Start(t, srv.URL)

			views := -1
			b.Step("blog-index", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/blog/"))); err != nil {
					return err
				}
				if err := b.WantText(c, ".post-card h2", post.Title); err != nil {
					return err
				}
				text, err := chromedp.Run(c, chromedp.Evaluate[string](`document.querySelector('.post-card .views').textContent`))
				if err != nil {
					return err
				}
				views, err = strconv.Atoi(strings.Fields(text)[0])
				return err
			})
			b.Step("blog-post", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".post-card h2 a"))); err != nil {
					return err
				}
				if err := b.WantPath(c, "/blog/"+post.Slug+"/"); err != nil {
					return err
				}
				return b.WantText(c, ".post .views", fmt.Sprintf("%d views", views+1))
			})
			if err := blog.Posts.RefreshFromDB(ctx, post, "view_count"); err != nil {
				t.Fatal(err)
			}
			if int(post.ViewCount) != views+1 {
				t.Fatalf("view_count = %d after one read, want %d", post.ViewCount, views+1)
			}

			b.Step("signup", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/accounts/signup/"))); err != nil {
					return err
				}
				if err := chromedp.Do(c,
					chromedp.SendKeys(chromedp.ID("id_username"), "shopper"),
					chromedp.SendKeys(chromedp.ID("id_email"), "shopper@example.com"),
					chromedp.SendKeys(chromedp.ID("id_password1"), "correct horse battery"),
					chromedp.SendKeys(chromedp.ID("id_password2"), "correct horse battery"),
				); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".stacked-form button[type=submit]"))); err != nil {
					return err
				}
				return b.WantText(c, ".signed-in", "shopper")
			})
			for _, p := range []*shop.Product{lamp, desk} {
				b.Step("add-"+p.Slug, func(c context.Context) error {
					if err := b.Navigate(c, chromedp.Navigate(b.URL("/products/"+p.Slug+"/"))); err != nil {
						return err
					}
					return b.Navigate(c, chromedp.Click(chromedp.CSS(".add-to-cart button[type=submit]")))
				})
			}
			b.Step("cart", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/cart/"))); err != nil {
					return err
				}
				if err := b.WantText(c, "main", lamp.Name); err != nil {
					return err
				}
				return b.WantText(c, "main", desk.Name)
			})
			b.Step("checkout", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(`a[href="/checkout/"].button`))); err != nil {
					return err
				}
				if err := chromedp.Do(c, chromedp.SendKeys(chromedp.ID("address"), "1 Quarry Lane\nStoneville")); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".checkout-form button[type=submit]"))); err != nil {
					return err
				}
				return b.Until(c, `location.pathname.startsWith('/orders/') && location.pathname.length > '/orders/'.length`)
			})
			order, err := shop.Orders.Objects().Filter(orm.Q{"customer__user__username": "shopper"}).Get(ctx)
			if err != nil {
				t.Fatalf("the checkout placed no order: %v", err)
			}
			b.Step("orders", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/orders/"))); err != nil {
					return err
				}
				return b.WantText(c, "main", strings.ToUpper(order.Number.String()[:8]))
			})
			items, err := shop.OrderItems.Objects().Filter(orm.Q{"order": order.ID}).Count(ctx)
			if err != nil || items != 2 {
				t.Fatalf("the order has %d items (%v), want 2", items, err)
			}
			if want := decimal.RequireFromString("164.99"); !order.Total.Equal(want) {
				t.Fatalf("order total %s, want %s", order.Total, want)
			}
		})
	}
}

// siteFixtures makes a post to read and two products to buy.
func siteFixtures(t *testing.T, ctx context.Context) (*blog.Post, *shop.Product, *shop.Product) {
	t.Helper()
	author, err := auth.CreateUser(ctx, "alice", "", "")
	if err != nil {
		t.Fatal(err)
	}
	post := blog.Posts.New()
	post.Title, post.Slug, post.Body, post.ViewCount = "Reading counts", "reading-counts", "Every read is one UPDATE.", 41
	post.Author.Set(author)
	if err := blog.Posts.Save(ctx, post); err != nil {
		t.Fatal(err)
	}
	cat := &shop.Category{Name: "Home office", Slug: "home-office"}
	if err := shop.Categories.Save(ctx, cat); err != nil {
		t.Fatal(err)
	}
	product := func(name, slug, price string) *shop.Product {
		p := shop.Products.New()
		p.Name, p.Slug, p.SKU, p.Price, p.Stock = name, slug, strings.ToUpper(slug), decimal.RequireFromString(price), 5
		p.Category.Set(cat)
		if err := shop.Products.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return post, product("Desk lamp", "desk-lamp", "24.99"), product("Standing desk", "standing-desk", "140.00")
}
