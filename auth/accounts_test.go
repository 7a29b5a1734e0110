package auth

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
)

// browser is a client with a cookie jar that does not follow redirects,
// against a server with the accounts pages behind sessions and CSRF.
type browser struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
}

// fromAddr sends a browser's requests as if from addr: the test server
// takes the client address from X-Real-IP, as echo does with no
// IPExtractor set.
type fromAddr struct{ addr string }

func (f fromAddr) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Real-IP", f.addr)
	return http.DefaultTransport.RoundTrip(r)
}

func newBrowser(t *testing.T, ctx context.Context) *browser {
	t.Helper()
	e := echo.New()
	e.Use(
		func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.SetRequest(c.Request().WithContext(orm.WithDB(c.Request().Context(), orm.FromContext(ctx))))
				return next(c)
			}
		},
		(&Store{}).Sessions(),
		CSRF(false),
		Chrome(),
	)
	(&Accounts{Store: &Store{}, Throttle: Throttle{SlowDelay: -1}}).Mount(e)
	e.GET("/whoami/", func(c echo.Context) error {
		if u := UserFrom(c.Request().Context()); u != nil {
			return c.String(http.StatusOK, u.Username)
		}
		return c.String(http.StatusOK, "anonymous")
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, srv: srv, client: client}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.client.Get(b.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// post sends form with the CSRF token a page's form would carry, unless
// form already sets _csrf.
func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		b.get("/accounts/login/") // the token cookie
		u, _ := url.Parse(b.srv.URL)
		for _, c := range b.client.Jar.Cookies(u) {
			if c.Name == "csrftoken" {
				form.Set("_csrf", c.Value)
			}
		}
	}
	resp, err := b.client.PostForm(b.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// cookie is the value of the browser's cookie of that name, "" if none.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// csrfToken is the token in the browser's csrftoken cookie.
func (b *browser) csrfToken() string {
	b.t.Helper()
	tok := b.cookie("csrftoken")
	if tok == "" {
		b.t.Fatal("the browser has no csrftoken cookie")
	}
	return tok
}

func (b *browser) login(username, password string) {
	b.t.Helper()
	if status, body, _ := b.post("/accounts/login/", url.Values{"username": {username}, "password": {password}}); status != http.StatusSeeOther {
		b.t.Fatalf("login as %s: %d\n%s", username, status, body)
	}
}

func (b *browser) whoami() string {
	b.t.Helper()
	_, body, _ := b.get("/whoami/")
	return body
}

func TestAccountsSignup(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		mustUser(t, ctx, "taken", "long enough password")
		cases := []struct {
			name string
			form url.Values
			want []string // messages on the page
		}{
			{"empty", url.Values{}, []string{"This field is required."}},
			{"mismatch", url.Values{"username": {"ann"}, "password1": {"correct horse"}, "password2": {"battery staple"}},
				[]string{"The two password fields didn’t match."}},
			{"short", url.Values{"username": {"ann"}, "password1": {"short"}, "password2": {"short"}},
				[]string{"This password is too short. It must contain at least 8 characters."}},
			{"password", url.Values{"username": {"ann"}, "password1": {"password"}, "password2": {"password"}},
				[]string{"This password is too common."}},
			{"all four rules", url.Values{"username": {"1234567"}, "password1": {"1234567"}, "password2": {"1234567"}},
				[]string{"This password is too short. It must contain at least 8 characters.", "The password is too similar to the username.",
					"This password is too common.", "This password is entirely numeric."}},
			{"like the email", url.Values{"username": {"ann"}, "email": {"jean.valjean@example.com"}, "password1": {"valjean24601"}, "password2": {"valjean24601"}},
				[]string{"The password is too similar to the email address."}},
			{"taken", url.Values{"username": {"taken"}, "password1": {"correct horse"}, "password2": {"correct horse"}},
				[]string{UsernameTakenMessage}},
			{"bad characters", url.Values{"username": {"<script>x"}, "password1": {"correct horse"}, "password2": {"correct horse"}},
				[]string{"Enter a valid username.", "value=\"&lt;script&gt;x\""}},
			{"bad email", url.Values{"username": {"ann"}, "email": {"not-an-email"}, "password1": {"correct horse"}, "password2": {"correct horse"}},
				[]string{"Enter a valid email address."}},
		}
		b := newBrowser(t, ctx)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body, _ := b.post("/accounts/signup/", tc.form)
				if status != http.StatusOK {
					t.Fatalf("status %d, want 200 with the form again", status)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if strings.Contains(body, "<script>x") {
					t.Error("the username was not escaped")
				}
			})
		}
		if n, _ := Users.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d users after refused sign-ups, want 1", n)
		}

		status, _, h := b.post("/accounts/signup/", url.Values{"username": {"ann"}, "email": {"ann@Example.COM"},
			"password1": {"correct horse"}, "password2": {"correct horse"}, "next": {"/cart/"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/cart/" {
			t.Fatalf("sign-up answered %d to %q, want 303 to /cart/", status, h.Get("Location"))
		}
		if who := b.whoami(); who != "ann" {
			t.Fatalf("signed in as %q after sign-up, want ann", who)
		}
		u, err := Users.Objects().Get(ctx, orm.Q{"username": "ann"})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := CheckPassword(ctx, u, "correct horse"); u.Email != "ann@example.com" || u.IsStaff || !u.IsActive || !ok || err != nil {
			t.Fatalf("new user = %+v, password check %v %v", u, ok, err)
		}
		// A signed-in visitor who opens the form again goes where next says.
		if status, _, h := b.get("/accounts/signup/?next=/orders/"); status != http.StatusFound || h.Get("Location") != "/orders/" {
			t.Fatalf("signup page when signed in: %d %q", status, h.Get("Location"))
		}
	})
}

func TestAccountsLoginLogout(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		mustUser(t, ctx, "bob", "right password", func(u *User) { u.IsActive = true })
		mustUser(t, ctx, "gone", "right password", func(u *User) { u.IsActive = false })
		b := newBrowser(t, ctx)

		status, body, _ := b.get("/accounts/login/?next=/orders/")
		if status != http.StatusOK || !strings.Contains(body, `name="next" value="/orders/"`) || !strings.Contains(body, `name="_csrf"`) {
			t.Fatalf("login page: %d\n%s", status, body)
		}
		for _, form := range []url.Values{
			{"username": {"bob"}, "password": {"wrong"}},
			{"username": {"gone"}, "password": {"right password"}},
			{"username": {"nobody"}, "password": {"right password"}},
			{"username": {"bob"}},
		} {
			status, body, _ := b.post("/accounts/login/", form)
			if status != http.StatusOK || !strings.Contains(body, "Please enter a correct username and password.") {
				t.Fatalf("login with %v: %d, want the form with Django's message", form, status)
			}
		}
		if who := b.whoami(); who != "anonymous" {
			t.Fatalf("signed in as %q after failures", who)
		}

		// An open redirect through next is refused: the login lands on /.
		status, _, h := b.post("/accounts/login/", url.Values{"username": {"bob"}, "password": {"right password"}, "next": {"//evil.example/"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/" {
			t.Fatalf("login answered %d to %q, want 303 to /", status, h.Get("Location"))
		}
		if who := b.whoami(); who != "bob" {
			t.Fatalf("signed in as %q, want bob", who)
		}

		if status, _, _ := b.get("/accounts/logout/"); status != http.StatusMethodNotAllowed {
			t.Fatalf("GET logout: %d, want 405 (logging out changes state)", status)
		}
		status, _, h = b.post("/accounts/logout/", url.Values{})
		if status != http.StatusSeeOther || h.Get("Location") != "/" {
			t.Fatalf("logout: %d %q", status, h.Get("Location"))
		}
		if who := b.whoami(); who != "anonymous" {
			t.Fatalf("still %q after logout", who)
		}
		if n, _ := Sessions.Objects().Filter(orm.Q{"user__isnull": false}).Count(ctx); n != 0 {
			t.Fatalf("%d sessions left with a user after logout", n)
		}
	})
}

// Behind a proxy that ends TLS, the session cookie of a login and of a
// logout is Secure, as the CSRF cookie is, without Accounts.Secure.
func TestAccountsCookiesSecureOverTLS(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		mustUser(t, ctx, "bob", "right password")
		b := newBrowser(t, ctx)
		send := func(method, path string, form url.Values, cookies []*http.Cookie) *http.Response {
			t.Helper()
			req, err := http.NewRequest(method, b.srv.URL+path, strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", "https")
			for _, c := range cookies {
				req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		cookie := func(resp *http.Response, name string) *http.Cookie {
			t.Helper()
			for _, c := range resp.Cookies() {
				if c.Name == name {
					return c
				}
			}
			t.Fatalf("no %s cookie in the response", name)
			return nil
		}
		csrf := cookie(send(http.MethodGet, "/accounts/login/", nil, nil), "csrftoken")
		resp := send(http.MethodPost, "/accounts/login/",
			url.Values{"username": {"bob"}, "password": {"right password"}, "_csrf": {csrf.Value}}, []*http.Cookie{csrf})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		sess := cookie(resp, CookieName)
		if !sess.Secure || sess.Value == "" {
			t.Fatalf("login's session cookie %+v is not Secure", sess)
		}
		rotated := cookie(resp, "csrftoken")
		if !rotated.Secure || rotated.Value == csrf.Value {
			t.Fatalf("login's new CSRF cookie %+v is not Secure or not new", rotated)
		}
		resp = send(http.MethodPost, "/accounts/logout/", url.Values{"_csrf": {rotated.Value}}, []*http.Cookie{rotated, sess})
		if c := cookie(resp, CookieName); resp.StatusCode != http.StatusSeeOther || !c.Secure {
			t.Fatalf("logout: %d, cookie %+v is not Secure", resp.StatusCode, c)
		}
	})
}

func TestAccountsThrottledAndCSRF(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		mustUser(t, ctx, "carol", "right password")
		b := newBrowser(t, ctx)
		if status, _, _ := b.post("/accounts/login/", url.Values{"username": {"carol"}, "password": {"right password"}, "_csrf": {"forged"}}); status != http.StatusForbidden {
			t.Fatalf("forged CSRF token: %d, want 403", status)
		}
		var status int
		var body string
		var header http.Header
		for range 6 {
			status, body, header = b.post("/accounts/login/", url.Values{"username": {"carol"}, "password": {"wrong"}})
		}
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed login attempts") {
			t.Fatalf("after 6 failures: %d, want 429 with the lock message", status)
		}
		if ra := header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("429 without a Retry-After: %q", ra)
		}
		// Locked: even the right password is refused, with the same message.
		status, _, _ = b.post("/accounts/login/", url.Values{"username": {"carol"}, "password": {"right password"}})
		if status != http.StatusTooManyRequests {
			t.Fatalf("right password while locked: %d, want 429", status)
		}
		// Carol herself, from another address, signs in meanwhile.
		elsewhere := newBrowser(t, ctx)
		elsewhere.client.Transport = fromAddr{"198.51.100.9"}
		if status, _, _ := elsewhere.post("/accounts/login/", url.Values{"username": {"carol"}, "password": {"right password"}}); status != http.StatusSeeOther {
			t.Fatalf("carol from a clean address while the guesser is locked: %d, want 303", status)
		}
	})
}

// A login gives the browser a new CSRF token (Django's rotate_token), so
// a token planted before the login is refused after it, and the new one
// works at once.
func TestAccountsLoginRotatesCSRF(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		mustUser(t, ctx, "dana", "right password")
		b := newBrowser(t, ctx)
		b.get("/accounts/login/")
		planted := b.csrfToken()

		// A failed login keeps the token: nothing was signed in.
		b.post("/accounts/login/", url.Values{"username": {"dana"}, "password": {"wrong"}, "_csrf": {planted}})
		if got := b.csrfToken(); got != planted {
			t.Fatalf("a failed login changed the CSRF token")
		}

		status, _, h := b.post("/accounts/login/", url.Values{"username": {"dana"}, "password": {"right password"}, "_csrf": {planted}})
		if status != http.StatusSeeOther {
			t.Fatalf("login: %d", status)
		}
		var set []*http.Cookie
		for _, c := range (&http.Response{Header: h}).Cookies() {
			if c.Name == "csrftoken" {
				set = append(set, c)
			}
		}
		if len(set) != 1 {
			t.Fatalf("the login response sets %d csrftoken cookies, want 1: %v", len(set), h.Values("Set-Cookie"))
		}
		fresh := b.csrfToken()
		if fresh == planted || fresh != set[0].Value {
			t.Fatalf("CSRF token after login = %q, before %q: not rotated", fresh, planted)
		}
		if c := set[0]; !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode || c.Expires.IsZero() {
			t.Fatalf("rotated cookie %+v differs from the middleware's", c)
		}
		if len(fresh) != csrfTokenLength || strings.Trim(fresh, csrfAlphabet) != "" {
			t.Fatalf("rotated token %q is not %d letters as echo's are", fresh, csrfTokenLength)
		}

		if status, _, _ := b.post("/accounts/logout/", url.Values{"_csrf": {planted}}); status != http.StatusForbidden {
			t.Fatalf("logout with the token from before the login: %d, want 403", status)
		}
		if who := b.whoami(); who != "dana" {
			t.Fatalf("signed in as %q after the refused logout", who)
		}
		if status, _, _ := b.post("/accounts/logout/", url.Values{"_csrf": {fresh}}); status != http.StatusSeeOther {
			t.Fatalf("logout with the new token: %d, want 303", status)
		}
		if who := b.whoami(); who != "anonymous" {
			t.Fatalf("still %q after logout", who)
		}

		// Signing up signs in, so it rotates too.
		before := b.csrfToken()
		status, _, _ = b.post("/accounts/signup/", url.Values{"username": {"eve"}, "password1": {"correct horse"}, "password2": {"correct horse"}, "_csrf": {before}})
		if status != http.StatusSeeOther {
			t.Fatalf("signup: %d", status)
		}
		if after := b.csrfToken(); after == before {
			t.Fatal("signup kept the CSRF token from before it")
		}
		if status, _, _ := b.post("/accounts/logout/", url.Values{"_csrf": {before}}); status != http.StatusForbidden {
			t.Fatalf("logout with the token from before the signup: %d, want 403", status)
		}
	})
}

func TestAccountsPasswordChange(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		frank := mustUser(t, ctx, "frank", "old password")
		gina := mustUser(t, ctx, "gina", "gina password")
		passwordIs := func(raw string) bool {
			t.Helper()
			u, err := Users.Objects().Get(ctx, orm.Q{"pk": frank.ID})
			if err != nil {
				t.Fatal(err)
			}
			ok, err := CheckPassword(ctx, u, raw)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		sessionsOf := func(u *User) int64 {
			t.Helper()
			n, err := Sessions.Objects().Filter(orm.Q{"user": u.ID}).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		anon := newBrowser(t, ctx)
		for _, path := range []string{"/accounts/password_change/", "/accounts/password_change/done/"} {
			status, _, h := anon.get(path)
			if want := "/accounts/login/?next=" + url.QueryEscape(path); status != http.StatusFound || h.Get("Location") != want {
				t.Fatalf("anonymous GET %s: %d to %q, want 302 to %q", path, status, h.Get("Location"), want)
			}
		}
		status, _, h := anon.post("/accounts/password_change/", url.Values{"old_password": {"old password"},
			"new_password1": {"stolen password"}, "new_password2": {"stolen password"}})
		if status != http.StatusFound || !strings.HasPrefix(h.Get("Location"), "/accounts/login/?next=") {
			t.Fatalf("anonymous POST: %d to %q, want 302 to the login page", status, h.Get("Location"))
		}
		if _, body, _ := anon.get("/accounts/login/"); strings.Contains(body, "Change password") {
			t.Fatal("the anonymous nav offers a password change")
		}

		b, other, another, ginas := newBrowser(t, ctx), newBrowser(t, ctx), newBrowser(t, ctx), newBrowser(t, ctx)
		b.login("frank", "old password")
		other.login("frank", "old password")
		another.login("frank", "old password")
		ginas.login("gina", "gina password")
		if n := sessionsOf(frank); n != 3 {
			t.Fatalf("frank has %d sessions, want 3", n)
		}

		status, body, _ := b.get("/accounts/password_change/")
		for _, want := range []string{`name="_csrf" value="` + b.csrfToken() + `"`, `name="old_password"`, `name="new_password1"`,
			`name="new_password2"`, "Change my password", `<a href="/accounts/password_change/">Change password</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("password change page (%d) lacks %q", status, want)
			}
		}

		// Without the CSRF token the form is refused before anything else.
		resp, err := b.client.PostForm(b.srv.URL+"/accounts/password_change/", url.Values{"old_password": {"old password"},
			"new_password1": {"forged password"}, "new_password2": {"forged password"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST without the CSRF token: %d, want 403", resp.StatusCode)
		}

		cases := []struct {
			name string
			form url.Values
			want []string
		}{
			{"empty", url.Values{}, []string{"This field is required."}},
			{"mismatch", url.Values{"old_password": {"old password"}, "new_password1": {"correct horse"}, "new_password2": {"battery staple"}},
				[]string{"The two password fields didn’t match."}},
			{"short", url.Values{"old_password": {"old password"}, "new_password1": {"short"}, "new_password2": {"short"}},
				[]string{"This password is too short. It must contain at least 8 characters."}},
			{"wrong old", url.Values{"old_password": {"not my password"}, "new_password1": {"correct horse"}, "new_password2": {"correct horse"}},
				[]string{wrongOldPassword}},
			{"NUL and bytes that are not UTF-8", url.Values{"old_password": {"old\x00\xff"}, "new_password1": {"new\x00\xfe\xffpassword"}, "new_password2": {"new\x00\xfe\xffpassword"}},
				[]string{wrongOldPassword}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				status, body, _ := b.post("/accounts/password_change/", tc.form)
				if status != http.StatusOK {
					t.Fatalf("status %d, want 200 with the form again", status)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("page lacks %q", w)
					}
				}
				if !passwordIs("old password") || sessionsOf(frank) != 3 {
					t.Fatal("a refused change changed the password or ended sessions")
				}
			})
		}
		if _, body, _ := b.post("/accounts/password_change/", url.Values{}); strings.Count(body, "This field is required.") != 3 {
			t.Fatalf("an empty form shows %d required-field errors, want 3", strings.Count(body, "This field is required."))
		}

		oldKey := b.cookie(CookieName)
		status, _, h = b.post("/accounts/password_change/", url.Values{"old_password": {"old password"},
			"new_password1": {"brand new password"}, "new_password2": {"brand new password"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/accounts/password_change/done/" {
			t.Fatalf("change: %d to %q, want 303 to the done page", status, h.Get("Location"))
		}
		if !passwordIs("brand new password") || passwordIs("old password") {
			t.Fatal("the password did not change")
		}
		newKey := b.cookie(CookieName)
		if newKey == "" || newKey == oldKey {
			t.Fatal("the changing browser kept its session key")
		}
		if n, _ := Sessions.Objects().Filter(orm.Q{"key": oldKey}).Count(ctx); n != 0 {
			t.Fatal("the old session key still has a row")
		}
		if n, _ := Sessions.Objects().Filter(orm.Q{"user": frank.ID, "key": newKey}).Count(ctx); n != 1 || sessionsOf(frank) != 1 {
			t.Fatalf("frank has %d sessions, want only the changing browser's", sessionsOf(frank))
		}
		if sessionsOf(gina) != 1 {
			t.Fatal("another user's session was ended")
		}
		for name, br := range map[string]*browser{"changing": b, "other": other, "another": another, "gina's": ginas} {
			want := map[string]string{"changing": "frank", "gina's": "gina"}[name]
			if want == "" {
				want = "anonymous"
			}
			if who := br.whoami(); who != want {
				t.Errorf("the %s browser is %q after the change, want %q", name, who, want)
			}
		}
		status, body, _ = b.get("/accounts/password_change/done/")
		if status != http.StatusOK || !strings.Contains(body, "Password change successful") || !strings.Contains(body, "Your password was changed.") {
			t.Fatalf("done page: %d\n%s", status, body)
		}
		// The kept session still posts forms.
		if status, _, _ := b.post("/accounts/logout/", url.Values{}); status != http.StatusSeeOther || b.whoami() != "anonymous" {
			t.Fatalf("logout after the change: %d", status)
		}

		// Wrong old passwords count toward the login lock: a stolen session
		// cannot guess the password without limit.
		other.login("frank", "brand new password")
		for range 6 {
			status, body, _ = other.post("/accounts/password_change/", url.Values{"old_password": {"a guess"},
				"new_password1": {"attacker password"}, "new_password2": {"attacker password"}})
		}
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed login attempts") {
			t.Fatalf("after 6 wrong old passwords: %d, want 429 with the lock message", status)
		}
		status, _, _ = other.post("/accounts/password_change/", url.Values{"old_password": {"brand new password"},
			"new_password1": {"attacker password"}, "new_password2": {"attacker password"}})
		if status != http.StatusTooManyRequests || !passwordIs("brand new password") {
			t.Fatalf("right old password while locked: %d, want 429 and no change", status)
		}
	})
}

// A change posted from a session that a logout in another request ended
// meanwhile changes nothing and sends the browser to sign in again.
func TestAccountsPasswordChangeAfterLogoutElsewhere(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		store := &Store{}
		u := mustUser(t, ctx, "hal", "old password")
		sess := &Session{}
		if err := store.Login(ctx, sess, u); err != nil {
			t.Fatal(err)
		}
		form := url.Values{"old_password": {"old password"}, "new_password1": {"brand new password"}, "new_password2": {"brand new password"}}
		req := httptest.NewRequest(http.MethodPost, "/accounts/password_change/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req = req.WithContext(WithUser(WithSession(ctx, sess), u))
		if err := store.Delete(ctx, sess.Key); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		a := &Accounts{Store: store, Throttle: Throttle{SlowDelay: -1}}
		if err := a.passwordChangePost(echo.New().NewContext(req, rec)); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "/accounts/login/?next=") {
			t.Fatalf("%d to %q, want 302 to the login page", rec.Code, rec.Header().Get("Location"))
		}
		if c := rec.Result().Cookies(); len(c) != 1 || c[0].Name != CookieName || c[0].MaxAge >= 0 {
			t.Fatalf("cookies %v, want the session cookie deleted", c)
		}
		stored, _ := Users.Objects().Get(ctx, orm.Q{"pk": u.ID})
		if ok, _ := CheckPassword(ctx, stored, "old password"); !ok {
			t.Fatal("the password changed from an ended session")
		}
		if n, _ := Sessions.Objects().Count(ctx); n != 0 {
			t.Fatalf("%d sessions: the ended one came back", n)
		}
	})
}

func TestNewCSRFTokenShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok := newCSRFToken()
		if len(tok) != csrfTokenLength || strings.Trim(tok, csrfAlphabet) != "" {
			t.Fatalf("token %q is not %d letters", tok, csrfTokenLength)
		}
		if seen[tok] {
			t.Fatalf("token %q drawn twice", tok)
		}
		seen[tok] = true
	}
}

func TestSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "/"},
		{"/orders/?page=2", "/orders/?page=2"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"orders/", "/"},
	} {
		if got := SafeNext(tc.in, "/"); got != tc.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
