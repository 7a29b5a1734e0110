package shop_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/webtest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// storefront is the shop's pages served on one test database, behind the
// middleware the web server puts in front of them.
type storefront struct {
	t     *testing.T
	ctx   context.Context
	srv   *echo.Echo
	store *auth.Store
}

func eachStorefront(t *testing.T, fn func(t *testing.T, sf *storefront)) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		fn(t, newStorefront(t, ctx))
	})
}

func newStorefront(t *testing.T, ctx context.Context) *storefront {
	sf := &storefront{t: t, ctx: ctx, srv: echo.New(), store: &auth.Store{}}
	sf.srv.HTTPErrorHandler = webtest.ErrorHandler
	db := orm.FromContext(ctx)
	sf.srv.Use(
		func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				r := c.Request()
				c.SetRequest(r.WithContext(orm.WithDB(r.Context(), db)))
				return next(c)
			}
		},
		sf.store.Sessions(),
		auth.CSRF(false),
		auth.Chrome(),
	)
	shop.Mount(sf.srv)
	return sf
}

// browser keeps cookies between requests and sends the CSRF token with
// every POST, as a browser submitting the site's forms does.
type browser struct {
	sf      *storefront
	ctx     context.Context // the requests' context: the test's, or one that counts queries
	cookies map[string]*http.Cookie
	// total is the hidden total of the last checkout form the browser
	// was shown, which it sends back with a checkout, as the form does.
	total *string
}

func (sf *storefront) anonymous() *browser {
	return &browser{sf: sf, ctx: sf.ctx, cookies: map[string]*http.Cookie{}, total: new(string)}
}

// as is a browser signed in as u, through a session as the login page
// would make it.
func (sf *storefront) as(u *shop.Customer) *browser {
	sf.t.Helper()
	b := sf.anonymous()
	b.login(u)
	return b
}

// login signs the browser's session in, keeping what it holds.
func (b *browser) login(cu *shop.Customer) {
	b.sf.t.Helper()
	u, err := cu.User.Get(b.sf.ctx)
	if err != nil {
		b.sf.t.Fatal(err)
	}
	key := ""
	if ck := b.cookies[auth.CookieName]; ck != nil {
		key = ck.Value
	}
	sess, err := b.sf.store.Load(b.sf.ctx, key)
	if err != nil {
		b.sf.t.Fatal(err)
	}
	if err := b.sf.store.Login(b.sf.ctx, sess, u); err != nil {
		b.sf.t.Fatal(err)
	}
	b.cookies[auth.CookieName] = auth.Cookie(sess, false)
}

// in is the same browser sending its requests with ctx, for
// ormtest.AssertNumQueries.
func (b *browser) in(ctx context.Context) *browser {
	return &browser{sf: b.sf, ctx: ctx, cookies: b.cookies, total: b.total}
}

type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(method, path string, form url.Values) *response {
	b.sf.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequestWithContext(b.ctx, method, path, body)
	if form != nil {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	}
	for _, ck := range b.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	b.sf.srv.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.MaxAge < 0 {
			delete(b.cookies, ck.Name)
		} else {
			b.cookies[ck.Name] = ck
		}
	}
	if m := totalField.FindStringSubmatch(rec.Body.String()); m != nil {
		*b.total = m[1]
	}
	return &response{status: rec.Code, header: rec.Header(), body: rec.Body.String(), location: rec.Header().Get("Location")}
}

var totalField = regexp.MustCompile(`name="total" value="([0-9.]+)"`)

func (b *browser) get(path string) *response { return b.do(http.MethodGet, path, nil) }

// post submits form with the CSRF token, fetching one first if the
// browser has none yet.
func (b *browser) post(path string, form url.Values) *response {
	b.sf.t.Helper()
	if b.cookies["csrftoken"] == nil {
		b.get("/cart/")
	}
	f := url.Values{"_csrf": {b.cookies["csrftoken"].Value}}
	if path == "/checkout/" {
		f.Set("total", *b.total)
	}
	for k, v := range form {
		f[k] = v
	}
	return b.do(http.MethodPost, path, f)
}

// postNoToken submits form without the CSRF token.
func (b *browser) postNoToken(path string, form url.Values) *response {
	return b.do(http.MethodPost, path, form)
}

func (r *response) expect(t *testing.T, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q; body:\n%s", s, r.body)
		}
	}
}

func (r *response) lacks(t *testing.T, absent ...string) {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(r.body, s) {
			t.Errorf("body has %q; body:\n%s", s, r.body)
		}
	}
}

func (r *response) redirectsTo(t *testing.T, location string) {
	t.Helper()
	if r.status != http.StatusSeeOther && r.status != http.StatusFound {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", r.status, location, r.body)
	}
	if r.location != location {
		t.Fatalf("redirect to %q, want %q", r.location, location)
	}
}

// inOrder fails unless every text appears in the body, in this order.
func (r *response) inOrder(t *testing.T, texts ...string) {
	t.Helper()
	at := 0
	for _, s := range texts {
		i := strings.Index(r.body[at:], s)
		if i < 0 {
			t.Fatalf("body lacks %q after position %d (want the order %q); body:\n%s", s, at, texts, r.body)
		}
		at += i + len(s)
	}
}

var keyField = regexp.MustCompile(`name="key" value="([0-9a-f-]{36})"`)

// checkoutKey is the idempotency key of the checkout form in the body.
func (r *response) checkoutKey(t *testing.T) string {
	t.Helper()
	m := keyField.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no checkout key in the body:\n%s", r.body)
	}
	return m[1]
}
