package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/browsertest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/static"
)

// The browser test drives a real Chromium (internal/browsertest) through
// the admin, served with its static files and the security headers of
// cmd/web, so the browser enforces the Content-Security-Policy.

const browserPass = "correct horse battery staple"

// browserSecurity is cmd/web's securityHeaders (package main, so copied).
var browserSecurity = middleware.SecureConfig{
	XSSProtection:         "0",
	ContentTypeNosniff:    "nosniff",
	XFrameOptions:         "DENY",
	ReferrerPolicy:        "same-origin",
	ContentSecurityPolicy: "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
}

func TestBrowserAdmin(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	each(t, func(t *testing.T, v *env) {
		start := time.Now()
		f := v.fixtures(12)
		// Two inactive products, so that the "By active" filter hides some.
		for _, p := range f.products[2:4] {
			p.IsActive = false
			if err := products.Save(v.ctx, p, orm.UpdateFields("is_active")); err != nil {
				t.Fatal(err)
			}
		}
		u := v.browserAdmin()
		b := v.browser(t)
		list := "/admin/admintest/product/"

		// a. Signing in.
		b.Step("login", func(ctx context.Context) error {
			res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL("/admin/")))
			if err != nil {
				return err
			}
			if csp, _ := res.Headers["Content-Security-Policy"].(string); csp != browserSecurity.ContentSecurityPolicy {
				return fmt.Errorf("the login page's CSP is %q", csp)
			}
			if err := b.WantPath(ctx, "/admin/login/?next=%2Fadmin%2F"); err != nil {
				return err
			}
			return b.WantText(ctx, "h1", "Log in")
		})
		b.Step("index", func(ctx context.Context) error {
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("id_username"), "admin"),
				chromedp.SendKeys(chromedp.ID("id_password"), browserPass),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(".login-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.WantPath(ctx, "/admin/"); err != nil {
				return err
			}
			if err := b.WantText(ctx, "h1", "Site administration"); err != nil {
				return err
			}
			if err := b.WantText(ctx, `a[href="/admin/admintest/product/"]`, "Products"); err != nil {
				return err
			}
			// The stylesheet and both scripts are in: admin.js marks <html>.
			return b.Until(ctx, `document.documentElement.classList.contains('js') && typeof htmx === 'object' &&
				getComputedStyle(document.querySelector('.admin-header')).backgroundColor !== 'rgba(0, 0, 0, 0)'`)
		})

		// b. Adding a product: the slug prepopulated, a required field
		// missing, then the category chosen through the autocomplete.
		b.Step("add-prepopulated", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/admintest/product/add/"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, "h1", "Add product"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("id_name"), "Desk Lamp")); err != nil {
				return err
			}
			return b.WantValue(ctx, "#id_slug", "desk-lamp")
		})
		b.Step("add-errors", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".errornote", "Please correct the errors below."); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".field-sku .errorlist", "This field is required."); err != nil {
				return err
			}
			if err := b.WantValue(ctx, "#id_name", "Desk Lamp"); err != nil {
				return err
			}
			return b.WantValue(ctx, "#id_slug", "desk-lamp")
		})
		b.Step("add-autocomplete-search", func(ctx context.Context) error {
			// admin.js hid the key input and showed the search box.
			if err := b.Until(ctx, `document.getElementById('id_category').type === 'hidden'`); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("id_sku"), "LAMP-1"),
				// The add form shows the price as 0.00 (the zero value, though
				// the field has no default): clear it as a user would.
				chromedp.Clear(chromedp.ID("id_price")),
				chromedp.SendKeys(chromedp.ID("id_price"), "24.90"),
				chromedp.WaitVisible(chromedp.ID("id_category_search")),
				chromedp.SendKeys(chromedp.ID("id_category_search"), "boo"),
				// htmx fetches the matches after its 300ms delay.
				chromedp.WaitVisible(chromedp.CSS(`#id_category_results .autocomplete-option[data-label="Books"]`)),
			); err != nil {
				return err
			}
			return b.WantTexts(ctx, "#id_category_results .autocomplete-option", "Books")
		})
		b.Step("add-autocomplete-chosen", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#id_category_results .autocomplete-option[data-label="Books"]`))); err != nil {
				return err
			}
			if err := b.WantValue(ctx, "#id_category", fmt.Sprint(f.books.ID)); err != nil {
				return err
			}
			return b.WantText(ctx, "#id_category_display", "Books")
		})
		var lamp *Product
		b.Step("added", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.WantPath(ctx, list); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "The product “Desk Lamp” was added successfully."); err != nil {
				return err
			}
			var err error
			if lamp, err = products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"}); err != nil {
				return err
			}
			if lamp.Slug != "desk-lamp" || lamp.Category.ID != f.books.ID || lamp.Price.String() != "24.9" {
				return fmt.Errorf("saved slug %q, category %d, price %s", lamp.Slug, lamp.Category.ID, lamp.Price)
			}
			return strayReviews(v, lamp, 0)
		})
		change := fmt.Sprintf("%s%d/change/", list, lamp.ID)

		// c. Changing it: "Save and continue editing".
		b.Step("change", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`#result_list a[href="`+change+`"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, "h1", "Change product"); err != nil {
				return err
			}
			// A delivery of 5 is booked after the page was shown: the save
			// of the price, with every input as the browser sends it, must
			// keep it and change nothing else.
			if _, err := products.Objects().Filter(orm.Q{"pk": lamp.ID}).Update(v.ctx, orm.Values{"stock": orm.F("stock").Add(5)}); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.Clear(chromedp.ID("id_price")),
				chromedp.SendKeys(chromedp.ID("id_price"), "19.50"),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_continue"]`))); err != nil {
				return err
			}
			if err := b.WantPath(ctx, change); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "The product “Desk Lamp” was changed successfully. You may edit it again below."); err != nil {
				return err
			}
			if err := b.WantValue(ctx, "#id_price", "19.50"); err != nil {
				return err
			}
			if got, err := products.Objects().Get(v.ctx, orm.Q{"pk": lamp.ID}); err != nil || got.Stock != 5 {
				return fmt.Errorf("stock after saving the price: %v, %v; want the delivered 5", got, err)
			}
			if msg := v.lastChange(lamp.ID); msg != "Changed price." {
				return fmt.Errorf("history %q, want %q", msg, "Changed price.")
			}
			return strayReviews(v, lamp, 0)
		})

		// d. Filters, search and sorting on the change list.
		b.Step("filter-active", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`.breadcrumbs a[href="`+list+`"]`))); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(byXPath(`//section[h3[normalize-space()="By active"]]//a[normalize-space()="Yes"]`))); err != nil {
				return err
			}
			if err := b.WantPath(ctx, list+"?is_active__exact=1"); err != nil {
				return err
			}
			// 13 products, 2 of them inactive.
			return b.WantText(ctx, ".result-count", "11 products")
		})
		b.Step("filter-category", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(byXPath(`//section[h3[normalize-space()="By category"]]//a[normalize-space()="Books"]`))); err != nil {
				return err
			}
			if err := b.WantQuery(ctx, "is_active__exact=1", fmt.Sprintf("category__id__exact=%d", f.books.ID)); err != nil {
				return err
			}
			return wantRows(ctx, b, "Desk Lamp", "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		b.Step("search", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("searchbar"), "prod")); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(".search-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.WantQuery(ctx, "q=prod", "is_active__exact=1", fmt.Sprintf("category__id__exact=%d", f.books.ID)); err != nil {
				return err
			}
			if err := b.WantValue(ctx, "#searchbar", "prod"); err != nil {
				return err
			}
			return wantRows(ctx, b, "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		priceHeader := byXPath(`//table[@id="result_list"]/thead//a[contains(@class,"sort-link")][normalize-space()="Price"]`)
		b.Step("sort-ascending", func(ctx context.Context) error {
			// htmx swaps the results in; the page stays.
			if err := chromedp.Do(ctx, chromedp.Click(priceHeader)); err != nil {
				return err
			}
			if err := b.Until(ctx, `location.search.includes('o=4') && document.querySelector('#result_list th[aria-sort="ascending"]') !== null`); err != nil {
				return err
			}
			if err := b.WantQuery(ctx, "q=prod", "is_active__exact=1"); err != nil {
				return err
			}
			return wantRows(ctx, b, "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		b.Step("sort-descending", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(priceHeader)); err != nil {
				return err
			}
			if err := b.Until(ctx, `location.search.includes('o=-4') && document.querySelector('#result_list th[aria-sort="descending"]') !== null`); err != nil {
				return err
			}
			return wantRows(ctx, b, "Product 10", "Product 08", "Product 06", "Product 04", "Product 00")
		})

		// e. The delete action on two ticked rows.
		b.Step("select", func(ctx context.Context) error {
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 08"]`)),
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 04"]`)),
			); err != nil {
				return err
			}
			if err := b.Until(ctx, `!document.querySelector('.action-counter').hidden`); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".action-counter", "2 of 5 selected"); err != nil {
				return err
			}
			if err := b.Until(ctx, `document.querySelectorAll('#result_list tr.selected').length === 2`); err != nil {
				return err
			}
			return chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("action-select"), deleteSelected))
		})
		b.Step("delete-confirm", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="index"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".delete-confirmation", "Are you sure you want to delete the selected products?"); err != nil {
				return err
			}
			return b.WantTexts(ctx, ".selected-objects > li", "Product 04", "Product 08")
		})
		b.Step("deleted", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(".delete-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "Successfully deleted 2 products."); err != nil {
				return err
			}
			if err := b.WantQuery(ctx, "q=prod", "o=-4"); err != nil {
				return err
			}
			if err := wantRows(ctx, b, "Product 10", "Product 06", "Product 00"); err != nil {
				return err
			}
			if n, err := products.Objects().Count(v.ctx); err != nil || n != 11 {
				return fmt.Errorf("%d products left (%v), want 11", n, err)
			}
			return nil
		})

		// f. The editable list: a stock that changed after the page was
		// shown is refused with its current value, then saved after a look.
		b.Step("list-edit-refused", func(ctx context.Context) error {
			p10, err := products.Objects().Get(v.ctx, orm.Q{"name": "Product 10"})
			if err != nil {
				return err
			}
			if _, err := products.Objects().Filter(orm.Q{"pk": p10.ID}).Update(v.ctx, orm.Values{"stock": orm.F("stock").Sub(3)}); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.Clear(chromedp.CSS(`input[name="form-0-stock"]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name="form-0-stock"]`), "15"),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, "#id_form-0-stock_error", staleMessage("7")); err != nil {
				return err
			}
			if err := b.WantValue(ctx, `input[name="form-0-stock"]`, "15"); err != nil {
				return err
			}
			if got, err := products.Objects().Get(v.ctx, orm.Q{"pk": p10.ID}); err != nil || got.Stock != 7 {
				return fmt.Errorf("stock after the refused save: %v, %v; want 7", got, err)
			}
			return nil
		})
		b.Step("list-edit-saved", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "1 product was changed successfully."); err != nil {
				return err
			}
			p10, err := products.Objects().Get(v.ctx, orm.Q{"name": "Product 10"})
			if err != nil || p10.Stock != 15 {
				return fmt.Errorf("stock after saving again: %v, %v; want 15", p10, err)
			}
			if msg := v.lastChange(p10.ID); msg != "Changed stock." {
				return fmt.Errorf("history %q, want %q", msg, "Changed stock.")
			}
			return nil
		})

		// g. An inline row added with htmx, filled in and saved.
		b.Step("inline-add", func(ctx context.Context) error {
			if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL(change))); err != nil {
				return err
			}
			// The existing reviews' rows, then the Extra two empty ones.
			total, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('id_reviews-TOTAL_FORMS').value`))
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(total)
			if err != nil || n < 2 {
				return fmt.Errorf("reviews-TOTAL_FORMS is %q", total)
			}
			if err := b.Until(ctx, fmt.Sprintf(`document.querySelectorAll('#reviews-rows > tr.form-row').length === %d`, n)); err != nil {
				return err
			}
			next := fmt.Sprintf("reviews-%d", n)
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("#reviews-group button.add-inline")),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr#%s input[name="%s-rating"]`, next, next))),
			); err != nil {
				return err
			}
			if err := b.WantValue(ctx, "#id_reviews-TOTAL_FORMS", strconv.Itoa(n+1)); err != nil {
				return err
			}
			if err := b.Until(ctx, fmt.Sprintf(`document.querySelectorAll('#reviews-rows > tr.form-row').length === %d &&
				document.querySelector('#reviews-rows > tr.form-row:last-child').id === %s`, n+1, browsertest.JS(next))); err != nil {
				return err
			}
			return chromedp.Do(ctx,
				chromedp.Clear(chromedp.CSS(fmt.Sprintf(`input[name="%s-rating"]`, next))),
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`input[name="%s-rating"]`, next)), "5"),
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`textarea[name="%s-body"]`, next)), "Bright enough to read by."),
			)
		})
		b.Step("inline-saved", func(ctx context.Context) error {
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_continue"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "The product “Desk Lamp” was changed successfully."); err != nil {
				return err
			}
			if err := b.Until(ctx, `Array.from(document.querySelectorAll('#reviews-rows .original-title')).some(e => e.textContent.trim() === '5 stars')`); err != nil {
				return fmt.Errorf("no saved review row shows “5 stars”: %w", err)
			}
			rs, err := reviews.Objects().Filter(orm.Q{"product": lamp.ID, "rating": 5}).All(v.ctx)
			if err != nil {
				return err
			}
			if len(rs) != 1 || rs[0].Body != "Bright enough to read by." {
				return fmt.Errorf("reviews saved: %+v", rs)
			}
			return strayReviews(v, lamp, 1)
		})

		// g. The admin changes their own password: this browser stays
		// signed in, with the session cookie the change re-issued.
		password := fmt.Sprintf("/admin/auth/user/%d/password/", u.ID)
		const newPass = "another horse battery staple"
		b.Step("password-mismatch", func(ctx context.Context) error {
			if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL(password))); err != nil {
				return err
			}
			if err := b.WantText(ctx, "h1", "Change password: admin"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("id_password1"), newPass),
				chromedp.SendKeys(chromedp.ID("id_password2"), newPass+"!"),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS("#password-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".field-password2 .errorlist", "The two password fields didn’t match."); err != nil {
				return err
			}
			return b.Until(ctx, `document.getElementById('id_password2').getAttribute('aria-invalid') === 'true' &&
				document.getElementById('id_password1').value === ''`)
		})
		b.Step("password-changed", func(ctx context.Context) error {
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("id_password1"), newPass),
				chromedp.SendKeys(chromedp.ID("id_password2"), newPass),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS("#password-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.WantPath(ctx, fmt.Sprintf("/admin/auth/user/%d/change/", u.ID)); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "Password changed successfully."); err != nil {
				return err
			}
			if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL("/admin/"))); err != nil {
				return err
			}
			if err := b.WantText(ctx, "h1", "Site administration"); err != nil {
				return err
			}
			got, err := auth.Users.Objects().Get(v.ctx, orm.Q{"pk": u.ID})
			if err != nil {
				return err
			}
			if ok, err := auth.CheckPassword(v.ctx, got, newPass); err != nil || !ok {
				return fmt.Errorf("the new password was not saved (%v)", err)
			}
			return nil
		})
		t.Logf("done in %s; screenshots in %s", time.Since(start).Round(time.Millisecond), t.ArtifactDir())
	})
}

// strayReviews checks that the product's form saved no review from the
// extra inline rows no one filled in.
func strayReviews(v *env, p *Product, want int) error {
	n, err := reviews.Objects().Filter(orm.Q{"product": p.ID}).Count(v.ctx)
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("the product has %d reviews, want %d: untouched extra inline rows were saved", n, want)
	}
	return nil
}

// wantRows waits until the change list shows the named products, in order.
// browser serves v's admin as a real site would (the security headers,
// the static files) and starts Chromium on it.
func (v *env) browser(t *testing.T) *browsertest.Browser {
	t.Helper()
	v.srv.Use(middleware.SecureWithConfig(browserSecurity))
	v.srv.Match([]string{http.MethodGet, http.MethodHead}, static.Prefix+"*", func(c echo.Context) error {
		if !static.Serve(c.Response(), c.Request()) {
			return echo.ErrNotFound
		}
		return nil
	})
	srv := httptest.NewServer(v.srv)
	t.Cleanup(srv.Close)
	return browsertest.Start(t, srv.URL)
}

// browserAdmin is the superuser "admin", who signs in with browserPass.
func (v *env) browserAdmin() *auth.User {
	v.t.Helper()
	u := v.user("admin", true, true)
	auth.SetPassword(u, browserPass)
	if err := auth.Users.Save(v.ctx, u); err != nil {
		v.t.Fatal(err)
	}
	return u
}

// signIn signs browserAdmin in through the login form and lands on next.
func signIn(ctx context.Context, b *browsertest.Browser, next string) error {
	if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL("/admin/login/?next="+next))); err != nil {
		return err
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("id_username"), "admin"),
		chromedp.SendKeys(chromedp.ID("id_password"), browserPass),
	); err != nil {
		return err
	}
	if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(".login-form button[type=submit]"))); err != nil {
		return err
	}
	return b.WantPath(ctx, next)
}

func wantRows(ctx context.Context, b *browsertest.Browser, names ...string) error {
	return b.WantTexts(ctx, "#result_list tbody th a", names...)
}

// byXPath selects with an XPath expression: chromedp's Search selector takes
// plain text, CSS or XPath alike, so this only names the intent.
func byXPath(expr string) chromedp.Search { return chromedp.Search(expr) }
