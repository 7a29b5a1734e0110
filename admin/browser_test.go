package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/static"
)

// The browser tests drive a real Chromium through the admin, served with its
// static files and the security headers of cmd/web, so the browser enforces
// the Content-Security-Policy. Any JavaScript error, console error or CSP
// violation fails the test. Screenshots of each step go to t.ArtifactDir():
// keep them with go test -artifacts -outputdir DIR.
//
// Waits poll the page through DevTools (browser.until) and never sleep a
// fixed time. chromedp.Poll is not used: it builds its predicate with
// new Function, which the CSP refuses.

const (
	browserTimeout = 3 * time.Minute  // one database's whole run
	stepTimeout    = 30 * time.Second // one step
	browserPass    = "correct horse battery staple"
)

// browserSecurity is cmd/web's securityHeaders (package main, so copied).
var browserSecurity = middleware.SecureConfig{
	XSSProtection:         "0",
	ContentTypeNosniff:    "nosniff",
	XFrameOptions:         "DENY",
	ReferrerPolicy:        "same-origin",
	ContentSecurityPolicy: "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func TestBrowserAdmin(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		t.Skip("chromium not installed: apt-get install chromium")
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
		u := v.user("admin", true, true)
		auth.SetPassword(u, browserPass)
		if err := auth.Users.Save(v.ctx, u); err != nil {
			t.Fatal(err)
		}

		v.srv.Use(middleware.SecureWithConfig(browserSecurity))
		v.srv.StaticFS("/static/", static.FS)
		srv := httptest.NewServer(v.srv)
		defer srv.Close()

		b := newBrowser(t, chromium, srv.URL)
		defer b.close()
		list := "/admin/admintest/product/"

		// a. Signing in.
		b.step("login", func(ctx context.Context) error {
			res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.url("/admin/")))
			if err != nil {
				return err
			}
			if csp, _ := res.Headers["Content-Security-Policy"].(string); csp != browserSecurity.ContentSecurityPolicy {
				return fmt.Errorf("the login page's CSP is %q", csp)
			}
			if err := b.wantPath(ctx, "/admin/login/?next=%2Fadmin%2F"); err != nil {
				return err
			}
			return b.wantText(ctx, "h1", "Log in")
		})
		b.step("index", func(ctx context.Context) error {
			if err := chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.ID("id_username"), "admin"),
				chromedp.SendKeys(chromedp.ID("id_password"), browserPass),
			); err != nil {
				return err
			}
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(".login-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, "/admin/"); err != nil {
				return err
			}
			if err := b.wantText(ctx, "h1", "Site administration"); err != nil {
				return err
			}
			if err := b.wantText(ctx, `a[href="/admin/admintest/product/"]`, "Products"); err != nil {
				return err
			}
			// The stylesheet and both scripts are in: admin.js marks <html>.
			return b.until(ctx, `document.documentElement.classList.contains('js') && typeof htmx === 'object' &&
				getComputedStyle(document.querySelector('.admin-header')).backgroundColor !== 'rgba(0, 0, 0, 0)'`)
		})

		// b. Adding a product: the slug prepopulated, a required field
		// missing, then the category chosen through the autocomplete.
		b.step("add-prepopulated", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/admintest/product/add/"]`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, "h1", "Add product"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("id_name"), "Desk Lamp")); err != nil {
				return err
			}
			return b.wantValue(ctx, "#id_slug", "desk-lamp")
		})
		b.step("add-errors", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".errornote", "Please correct the errors below."); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".field-sku .errorlist", "This field is required."); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "#id_name", "Desk Lamp"); err != nil {
				return err
			}
			return b.wantValue(ctx, "#id_slug", "desk-lamp")
		})
		b.step("add-autocomplete-search", func(ctx context.Context) error {
			// admin.js hid the key input and showed the search box.
			if err := b.until(ctx, `document.getElementById('id_category').type === 'hidden'`); err != nil {
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
			return b.wantTexts(ctx, "#id_category_results .autocomplete-option", "Books")
		})
		b.step("add-autocomplete-chosen", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#id_category_results .autocomplete-option[data-label="Books"]`))); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "#id_category", fmt.Sprint(f.books.ID)); err != nil {
				return err
			}
			return b.wantText(ctx, "#id_category_display", "Books")
		})
		var lamp *Product
		b.step("added", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_save"]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, list); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".messagelist", "The product “Desk Lamp” was added successfully."); err != nil {
				return err
			}
			var err error
			if lamp, err = products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"}); err != nil {
				return err
			}
			if lamp.Slug != "desk-lamp" || lamp.Category.ID != f.books.ID || lamp.Price.String() != "24.9" {
				return fmt.Errorf("saved slug %q, category %d, price %s", lamp.Slug, lamp.Category.ID, lamp.Price)
			}
			return b.strayReviews(v, lamp, 0)
		})
		change := fmt.Sprintf("%s%d/change/", list, lamp.ID)

		// c. Changing it: "Save and continue editing".
		b.step("change", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`#result_list a[href="`+change+`"]`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, "h1", "Change product"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.Clear(chromedp.ID("id_price")),
				chromedp.SendKeys(chromedp.ID("id_price"), "19.50"),
			); err != nil {
				return err
			}
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_continue"]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, change); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".messagelist", "The product “Desk Lamp” was changed successfully. You may edit it again below."); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "#id_price", "19.50"); err != nil {
				return err
			}
			return b.strayReviews(v, lamp, 0)
		})

		// d. Filters, search and sorting on the change list.
		b.step("filter-active", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`.breadcrumbs a[href="`+list+`"]`))); err != nil {
				return err
			}
			if err := b.navigate(ctx, chromedp.Click(byXPath(`//section[h3[normalize-space()="By active"]]//a[normalize-space()="Yes"]`))); err != nil {
				return err
			}
			if err := b.wantPath(ctx, list+"?is_active__exact=1"); err != nil {
				return err
			}
			// 13 products, 2 of them inactive.
			return b.wantText(ctx, ".result-count", "11 products")
		})
		b.step("filter-category", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(byXPath(`//section[h3[normalize-space()="By category"]]//a[normalize-space()="Books"]`))); err != nil {
				return err
			}
			if err := b.wantQuery(ctx, "is_active__exact=1", fmt.Sprintf("category__id__exact=%d", f.books.ID)); err != nil {
				return err
			}
			return b.wantRows(ctx, "Desk Lamp", "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		b.step("search", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("searchbar"), "prod")); err != nil {
				return err
			}
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(".search-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.wantQuery(ctx, "q=prod", "is_active__exact=1", fmt.Sprintf("category__id__exact=%d", f.books.ID)); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "#searchbar", "prod"); err != nil {
				return err
			}
			return b.wantRows(ctx, "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		priceHeader := byXPath(`//table[@id="result_list"]/thead//a[contains(@class,"sort-link")][normalize-space()="Price"]`)
		b.step("sort-ascending", func(ctx context.Context) error {
			// htmx swaps the results in; the page stays.
			if err := chromedp.Do(ctx, chromedp.Click(priceHeader)); err != nil {
				return err
			}
			if err := b.until(ctx, `location.search.includes('o=4') && document.querySelector('#result_list th[aria-sort="ascending"]') !== null`); err != nil {
				return err
			}
			if err := b.wantQuery(ctx, "q=prod", "is_active__exact=1"); err != nil {
				return err
			}
			return b.wantRows(ctx, "Product 00", "Product 04", "Product 06", "Product 08", "Product 10")
		})
		b.step("sort-descending", func(ctx context.Context) error {
			if err := chromedp.Do(ctx, chromedp.Click(priceHeader)); err != nil {
				return err
			}
			if err := b.until(ctx, `location.search.includes('o=-4') && document.querySelector('#result_list th[aria-sort="descending"]') !== null`); err != nil {
				return err
			}
			return b.wantRows(ctx, "Product 10", "Product 08", "Product 06", "Product 04", "Product 00")
		})

		// e. The delete action on two ticked rows.
		b.step("select", func(ctx context.Context) error {
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 08"]`)),
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 04"]`)),
			); err != nil {
				return err
			}
			if err := b.until(ctx, `!document.querySelector('.action-counter').hidden`); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".action-counter", "2 of 5 selected"); err != nil {
				return err
			}
			if err := b.until(ctx, `document.querySelectorAll('#result_list tr.selected').length === 2`); err != nil {
				return err
			}
			return chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("action-select"), deleteSelected))
		})
		b.step("delete-confirm", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="index"]`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".delete-confirmation", "Are you sure you want to delete the selected products?"); err != nil {
				return err
			}
			return b.wantTexts(ctx, ".selected-objects > li", "Product 04", "Product 08")
		})
		b.step("deleted", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(".delete-form button[type=submit]"))); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".messagelist", "Successfully deleted 2 products."); err != nil {
				return err
			}
			if err := b.wantQuery(ctx, "q=prod", "o=-4"); err != nil {
				return err
			}
			if err := b.wantRows(ctx, "Product 10", "Product 06", "Product 00"); err != nil {
				return err
			}
			if n, err := products.Objects().Count(v.ctx); err != nil || n != 11 {
				return fmt.Errorf("%d products left (%v), want 11", n, err)
			}
			return nil
		})

		// f. An inline row added with htmx, filled in and saved.
		b.step("inline-add", func(ctx context.Context) error {
			if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.url(change))); err != nil {
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
			if err := b.until(ctx, fmt.Sprintf(`document.querySelectorAll('#reviews-rows > tr.form-row').length === %d`, n)); err != nil {
				return err
			}
			next := fmt.Sprintf("reviews-%d", n)
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("#reviews-group button.add-inline")),
				chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr#%s input[name="%s-rating"]`, next, next))),
			); err != nil {
				return err
			}
			if err := b.wantValue(ctx, "#id_reviews-TOTAL_FORMS", strconv.Itoa(n+1)); err != nil {
				return err
			}
			if err := b.until(ctx, fmt.Sprintf(`document.querySelectorAll('#reviews-rows > tr.form-row').length === %d &&
				document.querySelector('#reviews-rows > tr.form-row:last-child').id === %s`, n+1, js(next))); err != nil {
				return err
			}
			return chromedp.Do(ctx,
				chromedp.Clear(chromedp.CSS(fmt.Sprintf(`input[name="%s-rating"]`, next))),
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`input[name="%s-rating"]`, next)), "5"),
				chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`textarea[name="%s-body"]`, next)), "Bright enough to read by."),
			)
		})
		b.step("inline-saved", func(ctx context.Context) error {
			if err := b.navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="_continue"]`))); err != nil {
				return err
			}
			if err := b.wantText(ctx, ".messagelist", "The product “Desk Lamp” was changed successfully."); err != nil {
				return err
			}
			if err := b.until(ctx, `Array.from(document.querySelectorAll('#reviews-rows .original-title')).some(e => e.textContent.trim() === '5 stars')`); err != nil {
				return fmt.Errorf("no saved review row shows “5 stars”: %w", err)
			}
			rs, err := reviews.Objects().Filter(orm.Q{"product": lamp.ID, "rating": 5}).All(v.ctx)
			if err != nil {
				return err
			}
			if len(rs) != 1 || rs[0].Body != "Bright enough to read by." {
				return fmt.Errorf("reviews saved: %+v", rs)
			}
			return b.strayReviews(v, lamp, 1)
		})
		t.Logf("%d steps in %s; screenshots in %s", b.n, time.Since(start).Round(time.Millisecond), b.dir)
	})
}

// strayReviews checks that the product's form saved no review from the
// extra inline rows no one filled in.
func (b *browser) strayReviews(v *env, p *Product, want int) error {
	n, err := reviews.Objects().Filter(orm.Q{"product": p.ID}).Count(v.ctx)
	if err != nil {
		return err
	}
	if n != int64(want) {
		return fmt.Errorf("the product has %d reviews, want %d: untouched extra inline rows were saved", n, want)
	}
	return nil
}

// browser is one Chromium tab on the test server.
type browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
	base   string
	dir    string // screenshots
	n      int    // steps taken

	mu       sync.Mutex
	problems []string // console errors, exceptions and CSP violations not yet reported
}

func newBrowser(t *testing.T, chromium, base string) *browser {
	b := &browser{t: t, base: base, dir: t.ArtifactDir()}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	b.cancel = func() { cancelTab(); cancelAlloc(); cancelTimeout() }
	// The first run starts the browser, bound to ctx and not to a step's.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.cancel()
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return b
}

func (b *browser) close() { b.cancel() }

// listen records what the page reports that a test must not let pass. It
// runs in the tab's event loop: no commands here.
func (b *browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			var str string
			switch {
			case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal([]byte(a.Value), &str) == nil:
				parts = append(parts, str)
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		// CSP violations are security errors; failed loads are network ones.
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("%s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// step runs fn with a step's timeout, then takes a full-page screenshot named
// after the step and fails the test if fn did or the page reported an error.
func (b *browser) step(name string, fn func(ctx context.Context) error) {
	b.t.Helper()
	b.n++
	file := fmt.Sprintf("%02d-%s", b.n, name)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	started := time.Now()
	err := fn(ctx)
	if err != nil {
		file += "-failed"
	}
	shot, serr := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if serr == nil {
		serr = os.WriteFile(filepath.Join(b.dir, file+".png"), shot, 0o644)
	}
	if serr != nil {
		b.t.Errorf("screenshot %s: %v", file, serr)
	}
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("step %s: the browser reported %s", file, p)
	}
	if err != nil {
		where, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("step %s (at %s): %v", file, where, err)
	}
	if len(problems) > 0 {
		b.t.FailNow()
	}
	b.t.Logf("step %s: %s", file, time.Since(started).Round(time.Millisecond))
}

func (b *browser) url(path string) string { return b.base + path }

// navigate runs the actions, which must load a page (a click on a link or
// a submit button), and waits for it; the page must be a 200.
func (b *browser) navigate(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		return err
	}
	if res.Status != 200 {
		return fmt.Errorf("%s answered %d", res.URL, res.Status)
	}
	return nil
}

// until polls the JavaScript expression until it is true. chromedp.Poll
// compiles its predicate with new Function, which the CSP forbids, so this
// evaluates through DevTools instead.
func (b *browser) until(ctx context.Context, expr string) error {
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// peek evaluates expr for an error message, after the step's time is up.
func (b *browser) peek(expr string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return got
}

// js quotes s as a JavaScript string.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// wantText waits until the first element sel selects contains text.
func (b *browser) wantText(ctx context.Context, sel, text string) error {
	err := b.until(ctx, fmt.Sprintf(`document.querySelector(%s)?.textContent.replace(/\s+/g, ' ').includes(%s)`, js(sel), js(text)))
	if err != nil {
		got := b.peek(fmt.Sprintf(`document.querySelector(%s)?.textContent ?? '(no element)'`, js(sel)))
		return fmt.Errorf("%s does not show %q: it has %q: %w", sel, text, strings.Join(strings.Fields(got), " "), err)
	}
	return nil
}

// wantTexts waits until the elements sel selects have exactly texts.
func (b *browser) wantTexts(ctx context.Context, sel string, texts ...string) error {
	want, _ := json.Marshal(texts)
	err := b.until(ctx, fmt.Sprintf(
		`JSON.stringify(Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\s+/g, ' ').trim())) === %s`,
		js(sel), js(string(want))))
	if err != nil {
		got := b.peek(fmt.Sprintf(`JSON.stringify(Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\s+/g, ' ').trim()))`, js(sel)))
		return fmt.Errorf("%s: %s, want %s: %w", sel, got, want, err)
	}
	return nil
}

// wantRows waits until the change list shows the named products, in order.
func (b *browser) wantRows(ctx context.Context, names ...string) error {
	return b.wantTexts(ctx, "#result_list tbody th a", names...)
}

// wantValue waits until the form field sel selects holds value.
func (b *browser) wantValue(ctx context.Context, sel, value string) error {
	err := b.until(ctx, fmt.Sprintf(`document.querySelector(%s)?.value === %s`, js(sel), js(value)))
	if err != nil {
		got := b.peek(fmt.Sprintf(`document.querySelector(%s)?.value ?? '(no element)'`, js(sel)))
		return fmt.Errorf("%s holds %q, want %q: %w", sel, got, value, err)
	}
	return nil
}

// wantPath waits until the page's path and query are path.
func (b *browser) wantPath(ctx context.Context, path string) error {
	err := b.until(ctx, `location.pathname + location.search === `+js(path))
	if err != nil {
		got := b.peek(`location.href`)
		return fmt.Errorf("at %s, want %s: %w", got, path, err)
	}
	return nil
}

// wantQuery waits until the page's query has each of the parameters.
func (b *browser) wantQuery(ctx context.Context, params ...string) error {
	want, _ := json.Marshal(params)
	err := b.until(ctx, fmt.Sprintf(`%s.every(p => location.search.slice(1).split('&').includes(p))`, want))
	if err != nil {
		got := b.peek(`location.href`)
		return fmt.Errorf("at %s, want the parameters %s: %w", got, strings.Join(params, " "), err)
	}
	return nil
}

// byXPath selects with an XPath expression: chromedp's Search selector takes
// plain text, CSS or XPath alike, so this only names the intent.
func byXPath(expr string) chromedp.Search { return chromedp.Search(expr) }
