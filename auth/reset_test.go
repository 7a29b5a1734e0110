package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

var resetLink = regexp.MustCompile(`http://127\.0\.0\.1:\d+(/accounts/reset/[A-Za-z0-9_-]+/)`)

// The whole reset by mail: the form, the mail through SMTP, the link, a
// new password; other sessions end, the link works once, and the page
// never tells whether an address has an account.
func TestPasswordResetByMail(t *testing.T) {
	migrationstest.Each(t, []app.App{App, jobs.App}, func(t *testing.T, ctx context.Context) {
		smtp := smtptest.Deliver(t, ctx, "Quarry <noreply@example.com>")
		ann, err := CreateUser(ctx, "ann", "Ann@Example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		elsewhere := newBrowser(t, ctx)
		elsewhere.login("ann", "correct horse battery")

		b := newBrowser(t, ctx)
		if status, body, _ := b.get("/accounts/password_reset/"); status != http.StatusOK || !strings.Contains(body, `name="email"`) {
			t.Fatalf("the form: %d\n%s", status, body)
		}
		status, _, h := b.post("/accounts/password_reset/", url.Values{"email": {"ann@example.com"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/accounts/password_reset/done/" {
			t.Fatalf("reset: %d %v", status, h)
		}
		// An unknown address looks the same, and sends nothing.
		if status, _, h := newBrowser(t, ctx).post("/accounts/password_reset/", url.Values{"email": {"nobody@example.com"}}); status != http.StatusSeeOther || h.Get("Location") != "/accounts/password_reset/done/" {
			t.Fatalf("unknown address: %d %v", status, h)
		}
		msg := smtp.Wait(t, 1, 20*time.Second)[0]
		if msg.To[0] != "Ann@example.com" || !strings.Contains(msg.Subject, "Password reset") || !strings.Contains(msg.Text, "ann") {
			t.Fatalf("the mail: to %v, subject %q\n%s", msg.To, msg.Subject, msg.Text)
		}
		m := resetLink.FindStringSubmatch(msg.Text)
		if m == nil {
			t.Fatalf("no link in the mail:\n%s", msg.Text)
		}
		link := m[1]

		// The link moves the token into the session and out of the URL.
		status, _, h = b.get(link)
		if status != http.StatusFound || h.Get("Location") != "/accounts/reset/set-password/" {
			t.Fatalf("the link: %d %v", status, h)
		}
		if status, body, _ := b.post("/accounts/reset/set-password/", url.Values{"new_password1": {"short"}, "new_password2": {"short"}}); status != http.StatusOK || !strings.Contains(body, "too short") {
			t.Fatalf("a short password: %d\n%s", status, body)
		}
		status, _, h = b.post("/accounts/reset/set-password/", url.Values{"new_password1": {"a new battery staple"}, "new_password2": {"a new battery staple"}})
		if status != http.StatusSeeOther || h.Get("Location") != "/accounts/reset/done/" {
			t.Fatalf("set the password: %d %v", status, h)
		}
		if _, err := Authenticate(ctx, "ann", "a new battery staple", ""); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if who := elsewhere.whoami(); who != "anonymous" {
			t.Errorf("the other browser is still signed in as %s", who)
		}
		// Used once: the link is dead now, in any browser.
		for _, br := range []*browser{b, newBrowser(t, ctx)} {
			if status, body, _ := br.get(link); status != http.StatusOK || !strings.Contains(body, "Password reset unsuccessful") {
				t.Errorf("the link again: %d\n%s", status, body)
			}
		}
		if n := len(smtp.Messages()); n != 1 {
			t.Errorf("%d mails, want 1 (none for the unknown address)", n)
		}
		_ = ann
	})
}

// A link dies when the password changes by other means, and when it is
// older than ResetTimeout; a request whose Host is not this machine sends
// no link unless SiteURL says where the site is.
func TestPasswordResetLinkLimits(t *testing.T) {
	migrationstest.Each(t, []app.App{App, jobs.App}, func(t *testing.T, ctx context.Context) {
		u, err := CreateUser(ctx, "bob", "bob@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		rm := ResetMail{SiteName: "Shop", SiteURL: "https://shop.example.com"}
		token := func() string {
			t.Helper()
			if err := RequestPasswordReset(ctx, "bob@example.com", rm); err != nil {
				t.Fatal(err)
			}
			// The mail waits in the queue as JSON.
			query := "SELECT args::text FROM river_job ORDER BY id DESC LIMIT 1"
			if orm.FromContext(ctx).Vendor() == "sqlite" {
				query = "SELECT json(args) FROM river_job ORDER BY id DESC LIMIT 1"
			}
			var args string
			if err := orm.QueryRow(ctx, query, nil, &args); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`https://shop\.example\.com/accounts/reset/([A-Za-z0-9_-]+)/`).FindStringSubmatch(args)
			if m == nil {
				t.Fatalf("no link in the job: %s", args)
			}
			return m[1]
		}
		tok := token()
		if got, err := CheckResetToken(ctx, tok); err != nil || got.ID != u.ID {
			t.Fatalf("a fresh link: %v, %v", got, err)
		}
		if _, err := (&Store{}).ChangePassword(ctx, u, "another battery staple", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := CheckResetToken(ctx, tok); err != ErrResetLinkInvalid {
			t.Errorf("after a password change: %v", err)
		}
		tok = token()
		if _, err := orm.Exec(ctx, "UPDATE auth_passwordreset SET created_at = ?", time.Now().Add(-ResetTimeout-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := CheckResetToken(ctx, tok); err != ErrResetLinkInvalid {
			t.Errorf("an expired link: %v", err)
		}
		for _, bad := range []string{"", "x", strings.Repeat("a", 43), strings.Repeat("é", 200)} {
			if _, err := CheckResetToken(ctx, bad); err != ErrResetLinkInvalid {
				t.Errorf("token %q: %v", bad, err)
			}
		}
	})
}

// Reset requests are throttled with the login's limits: five for one
// email address, twenty from one client, the same whether the address has
// an account.
func TestPasswordResetThrottled(t *testing.T) {
	migrationstest.Each(t, []app.App{App, jobs.App}, func(t *testing.T, ctx context.Context) {
		b := newBrowser(t, ctx)
		ask := func(email string, want int) {
			t.Helper()
			status, body, h := b.post("/accounts/password_reset/", url.Values{"email": {email}})
			if status != want {
				t.Fatalf("%s: %d, want %d\n%s", email, status, want, body)
			}
			if want == http.StatusTooManyRequests && (h.Get("Retry-After") == "" || !strings.Contains(body, "Too many password reset requests")) {
				t.Errorf("throttled without Retry-After or a message: %v\n%s", h, body)
			}
		}
		for range 4 {
			ask("nobody@example.com", http.StatusSeeOther)
		}
		ask("nobody@example.com", http.StatusTooManyRequests)
		for i := range 15 {
			ask(fmt.Sprintf("someone%d@example.com", i), http.StatusSeeOther)
		}
		ask("someone-else@example.com", http.StatusTooManyRequests)
	})
}

// Without SiteURL, a request whose Host names another site mails no link:
// the link would carry the token to that site.
func TestPasswordResetIgnoresAForgedHost(t *testing.T) {
	migrationstest.Each(t, []app.App{App, jobs.App}, func(t *testing.T, ctx context.Context) {
		if _, err := CreateUser(ctx, "cat", "cat@example.com", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, ctx)
		b.get("/accounts/password_reset/")
		req, _ := http.NewRequest(http.MethodPost, b.srv.URL+"/accounts/password_reset/",
			strings.NewReader(url.Values{"email": {"cat@example.com"}, "_csrf": {b.csrfToken()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Host = "evil.example.com"
		req.AddCookie(&http.Cookie{Name: "csrftoken", Value: b.csrfToken()})
		noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accounts/password_reset/done/" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
		var n int64
		if err := orm.QueryRow(ctx, "SELECT COUNT(*) FROM river_job", nil, &n); err != nil || n != 0 {
			t.Errorf("%d jobs (%v), want none", n, err)
		}
	})
}
