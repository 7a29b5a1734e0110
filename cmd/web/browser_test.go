package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	stdpng "image/png"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/internal/browsertest"
	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/shop"
)

// TestBrowserSite drives the public site as a visitor would, in Chromium,
// through the real server (its middleware, security headers, static and
// media files) on a migrated database, with mail going through the job
// queue to a real SMTP server: reading a blog post counts a view; a
// shopper signs up, searches, sees the product's picture, fills a cart,
// checks out with an address in parts, lands on the confirmation, gets
// the confirmation by mail, finds the order under Orders, and later
// resets a forgotten password from a mailed link.
func TestBrowserSite(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := migrationstest.Open(t, vendor, project.Apps...)
			orm.SetMedia(t.TempDir(), "/media/")
			defer orm.SetMedia("media", "/media/")
			post, lamp, desk := siteFixtures(t, ctx)
			log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			srv := httptest.NewServer(newServer(orm.FromContext(ctx), log, admin.Default))
			defer srv.Close()
			smtp := smtptest.Deliver(t, ctx, "shop@example.com")
			shop.OnOrderPlaced = shop.ConfirmByMail("Quarry", srv.URL)
			defer func() { shop.OnOrderPlaced = nil }()
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
			b.Step("search", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/products/"))); err != nil {
					return err
				}
				if err := chromedp.Do(c, chromedp.SendKeys(chromedp.ID("q"), "lamp")); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Submit(chromedp.ID("q"))); err != nil {
					return err
				}
				if err := b.WantQuery(c, "q=lamp"); err != nil {
					return err
				}
				if err := b.WantText(c, ".product-card h3", lamp.Name); err != nil {
					return err
				}
				// The card shows the thumbnail made at upload, loaded.
				return b.Until(c, `[...document.querySelectorAll('.product-card img')].some(i => i.src.includes('/media/') && i.complete && i.naturalWidth > 0)`)
			})
			b.Step("product-"+lamp.Slug, func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".product-card h3 a"))); err != nil {
					return err
				}
				if err := b.WantPath(c, "/products/"+lamp.Slug+"/"); err != nil {
					return err
				}
				if err := b.Until(c, `(() => { const i = document.querySelector('main img[src*="/media/"]'); return !!i && i.complete && i.naturalWidth === 64 && i.alt.includes(`+browsertest.JS(lamp.Name)+`) })()`); err != nil {
					return err
				}
				return b.Navigate(c, chromedp.Click(chromedp.CSS(".add-to-cart button[type=submit]")))
			})
			b.Step("add-"+desk.Slug, func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/products/"+desk.Slug+"/"))); err != nil {
					return err
				}
				return b.Navigate(c, chromedp.Click(chromedp.CSS(".add-to-cart button[type=submit]")))
			})
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
				// The refusals of a missing part answer 400, which this
				// browser counts as a failure; shop's tests cover them.
				if err := chromedp.Do(c,
					chromedp.SendKeys(chromedp.ID("name"), "Sam Shopper"),
					chromedp.SendKeys(chromedp.ID("line1"), "1 Quarry Lane"),
					chromedp.SendKeys(chromedp.ID("postal_code"), "0150"),
					chromedp.SendKeys(chromedp.ID("city"), "Stoneville"),
					chromedp.SetValue(chromedp.ID("country"), "NO"),
				); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".checkout-form button[type=submit]"))); err != nil {
					return err
				}
				return b.Until(c, `location.pathname.startsWith('/checkout/done/')`)
			})
			order, err := shop.Orders.Objects().Filter(orm.Q{"customer__user__username": "shopper"}).Get(ctx)
			if err != nil {
				t.Fatalf("the checkout placed no order: %v", err)
			}
			b.Step("confirmation", func(c context.Context) error {
				if err := b.WantPath(c, "/checkout/done/"+order.Reference+"/"); err != nil {
					return err
				}
				for _, want := range []string{order.Reference, lamp.Name, desk.Name, "$164.99", "1 Quarry Lane", "0150 Stoneville"} {
					if err := b.WantText(c, "main", want); err != nil {
						return err
					}
				}
				return nil
			})
			mails := smtp.Wait(t, 1, 30*time.Second)
			if m := mails[0]; m.To[0] != "shopper@example.com" || !strings.Contains(m.Subject, order.Reference) ||
				!strings.Contains(m.Text, "$164.99") || !strings.Contains(m.Text, srv.URL+"/orders/"+order.Reference+"/") {
				t.Fatalf("the confirmation mail: to %v, %q\n%s", m.To, m.Subject, m.Text)
			}
			b.Step("orders", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/orders/"))); err != nil {
					return err
				}
				return b.WantText(c, "main", order.Reference)
			})
			items, err := shop.OrderItems.Objects().Filter(orm.Q{"order": order.ID}).Count(ctx)
			if err != nil || items != 2 {
				t.Fatalf("the order has %d items (%v), want 2", items, err)
			}
			if want := decimal.RequireFromString("164.99"); !order.Total.Equal(want) {
				t.Fatalf("order total %s, want %s", order.Total, want)
			}

			// Signed out and forgotten: a new password by mail.
			b.Step("logout", func(c context.Context) error {
				return b.Navigate(c, chromedp.Click(chromedp.CSS(`form[action="/accounts/logout/"] button`)))
			})
			b.Step("password-reset", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/accounts/login/"))); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(`a[href="/accounts/password_reset/"]`))); err != nil {
					return err
				}
				if err := chromedp.Do(c, chromedp.SendKeys(chromedp.ID("id_email"), "shopper@example.com")); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".stacked-form button[type=submit]"))); err != nil {
					return err
				}
				return b.WantPath(c, "/accounts/password_reset/done/")
			})
			mails = smtp.Wait(t, 2, 30*time.Second)
			link := regexp.MustCompile(regexp.QuoteMeta(srv.URL) + `/accounts/reset/[A-Za-z0-9_-]+/`).FindString(mails[1].Text)
			if link == "" {
				t.Fatalf("no reset link in the mail %q:\n%s", mails[1].Subject, mails[1].Text)
			}
			b.Step("set-password", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(link)); err != nil {
					return err
				}
				if err := b.WantPath(c, "/accounts/reset/set-password/"); err != nil {
					return err
				}
				if err := chromedp.Do(c,
					chromedp.SendKeys(chromedp.ID("id_new_password1"), "a brand new staple"),
					chromedp.SendKeys(chromedp.ID("id_new_password2"), "a brand new staple"),
				); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".stacked-form button[type=submit]"))); err != nil {
					return err
				}
				return b.WantPath(c, "/accounts/reset/done/")
			})
			b.Step("login-with-new-password", func(c context.Context) error {
				if err := b.Navigate(c, chromedp.Navigate(b.URL("/accounts/login/"))); err != nil {
					return err
				}
				if err := chromedp.Do(c,
					chromedp.SendKeys(chromedp.ID("id_username"), "shopper"),
					chromedp.SendKeys(chromedp.ID("id_password"), "a brand new staple"),
				); err != nil {
					return err
				}
				if err := b.Navigate(c, chromedp.Click(chromedp.CSS(".stacked-form button[type=submit]"))); err != nil {
					return err
				}
				return b.WantText(c, ".signed-in", "shopper")
			})
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
	lamp := product("Desk lamp", "desk-lamp", "24.99")
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{200, 150, 40, 255}}, image.Point{}, draw.Src)
	if err := stdpng.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	if err := shop.Products.SaveFile(ctx, lamp, "image", "lamp.png", &png); err != nil {
		t.Fatal(err)
	}
	if err := shop.Products.Save(ctx, lamp); err != nil {
		t.Fatal(err)
	}
	return post, lamp, product("Standing desk", "standing-desk", "140.00")
}
