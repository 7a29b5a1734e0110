package auth

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
)

func TestSessions(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk := newClock()
		store := &Store{Age: time.Hour, Now: clk.Now}

		sess, err := store.Load(ctx, "")
		if err != nil || sess.Key != "" || sess.Data == nil {
			t.Fatalf("empty load: %+v, %v", sess, err)
		}
		sess.Data["cart"] = []any{"a", "b"}
		sess.Data["n"] = 3
		if err := store.Save(ctx, sess); err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(sess.Key)
		if err != nil || len(raw) != 32 {
			t.Fatalf("key %q is not 32 bytes of base64url", sess.Key)
		}
		if !sess.ExpireAt.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("expire at %v", sess.ExpireAt)
		}

		got, err := store.Load(ctx, sess.Key)
		if err != nil || got.Key != sess.Key || got.Data["n"] != float64(3) || len(got.Data["cart"].([]any)) != 2 {
			t.Fatalf("load: %+v, %v", got, err)
		}
		// Saving again updates the same row and slides the expiry.
		clk.Advance(30 * time.Minute)
		got.Data["n"] = 4
		if err := store.Save(ctx, got); err != nil {
			t.Fatal(err)
		}
		if n, _ := Sessions.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d session rows", n)
		}
		for _, key := range []string{"nope", "", string(make([]byte, 100))} {
			if s, err := store.Load(ctx, key); err != nil || s.Key != "" {
				t.Fatalf("unknown key %q: %+v, %v", key, s, err)
			}
		}

		// Rotate: same data, new key, old key dead.
		old := got.Key
		if err := store.Rotate(ctx, got); err != nil {
			t.Fatal(err)
		}
		if got.Key == old || got.Key == "" {
			t.Fatal("rotate kept the key")
		}
		if s, _ := store.Load(ctx, old); s.Key != "" {
			t.Fatal("old key still loads after rotate")
		}
		if s, _ := store.Load(ctx, got.Key); s.Data["n"] != float64(4) {
			t.Fatalf("rotated session lost its data: %v", s.Data)
		}

		// Expiry and cleanup.
		other := &Session{Data: map[string]any{"x": 1}}
		if err := store.Save(ctx, other); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour + time.Second)
		if s, _ := store.Load(ctx, got.Key); s.Key != "" {
			t.Fatal("expired session loads")
		}
		if err := store.Save(ctx, &Session{}); err != nil { // still fresh
			t.Fatal(err)
		}
		if n, err := store.Cleanup(ctx); err != nil || n != 2 {
			t.Fatalf("cleanup removed %d, %v; want 2", n, err)
		}
		if n, _ := Sessions.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d sessions left, want 1", n)
		}
	})
}

func TestLoginLogout(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk := newClock()
		store := &Store{Now: clk.Now}
		u := mustUser(t, ctx, "alice", "pw-alice-123")

		sess, _ := store.Load(ctx, "")
		sess.Data["theme"] = "dark"
		if err := store.Save(ctx, sess); err != nil {
			t.Fatal(err)
		}
		planted := sess.Key
		if err := store.Login(ctx, sess, u); err != nil {
			t.Fatal(err)
		}
		if sess.Key == planted {
			t.Fatal("login did not rotate the key (session fixation)")
		}
		if s, _ := store.Load(ctx, planted); s.Key != "" {
			t.Fatal("pre-login key still valid")
		}
		loaded, _ := store.Load(ctx, sess.Key)
		if loaded.User.ID != u.ID || loaded.Data["theme"] != "dark" {
			t.Fatalf("after login: %+v", loaded)
		}
		who, err := SessionUser(ctx, loaded)
		if err != nil || who == nil || who.Username != "alice" {
			t.Fatalf("SessionUser: %v, %v", who, err)
		}
		stored, _ := Users.Objects().Get(ctx, orm.Q{"pk": u.ID})
		if stored.LastLogin == nil || !stored.LastLogin.Equal(clk.Now()) {
			t.Fatalf("last_login = %v", stored.LastLogin)
		}

		// A deactivated user's session is anonymous.
		if _, err := Users.Objects().Filter(orm.Q{"pk": u.ID}).Update(ctx, orm.Values{"is_active": false}); err != nil {
			t.Fatal(err)
		}
		reloaded, _ := store.Load(ctx, sess.Key)
		if who, _ := SessionUser(ctx, reloaded); who != nil {
			t.Fatal("inactive user still logged in")
		}

		key := sess.Key
		if err := store.Logout(ctx, sess); err != nil {
			t.Fatal(err)
		}
		if sess.Key != "" || sess.User.ID != 0 || len(sess.Data) != 0 {
			t.Fatalf("logout left %+v", sess)
		}
		if s, _ := store.Load(ctx, key); s.Key != "" {
			t.Fatal("logged-out key still loads")
		}
		if c := Cookie(sess, true); c.MaxAge >= 0 {
			t.Fatalf("logout cookie does not delete: %+v", c)
		}
	})
}

// A request that loaded the session before a logout in another request
// committed must not write it back: that would sign the user in again.
func TestSaveAfterConcurrentLogout(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		store := &Store{}
		u := mustUser(t, ctx, "bob", "pw-bob-12345")
		sess, _ := store.Load(ctx, "")
		if err := store.Login(ctx, sess, u); err != nil {
			t.Fatal(err)
		}
		// Two requests carry the same cookie: one logs out, the other
		// (loaded before) adds to the cart and saves after.
		late, _ := store.Load(ctx, sess.Key)
		if err := store.Logout(ctx, sess); err != nil {
			t.Fatal(err)
		}
		late.Data["cart"] = map[string]any{"7": 1}
		if err := store.Save(ctx, late); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("save after logout: %v, want ErrSessionEnded", err)
		}
		if late.Key != "" || late.User.ID != 0 || len(late.Data) != 0 {
			t.Fatalf("the ended session was left as %+v", late)
		}
		if n, _ := Sessions.Objects().Count(ctx); n != 0 {
			t.Fatalf("%d session rows after logout, want 0", n)
		}
		// The emptied session saves as a new anonymous one.
		if err := store.Save(ctx, late); err != nil || late.Key == "" {
			t.Fatalf("resave: %v, key %q", err, late.Key)
		}
		if got, _ := store.Load(ctx, late.Key); got.User.ID != 0 {
			t.Fatal("the new session is signed in")
		}
	})
}

// ChangePassword keeps the changing session under a new key and ends the
// user's others, so a stolen session dies with the old password.
func TestChangePassword(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		store := &Store{}
		bob := mustUser(t, ctx, "bob", "old password")
		carol := mustUser(t, ctx, "carol", "carol password")
		login := func(u *User) *Session {
			t.Helper()
			sess := &Session{Data: map[string]any{"theme": "dark"}}
			if err := store.Login(ctx, sess, u); err != nil {
				t.Fatal(err)
			}
			return sess
		}
		mine, _, _, theirs := login(bob), login(bob), login(bob), login(carol)
		anon := &Session{}
		if err := store.Save(ctx, anon); err != nil {
			t.Fatal(err)
		}
		count := func(q orm.Q) int64 {
			t.Helper()
			n, err := Sessions.Objects().Filter(q).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		passwordIs := func(raw string) bool {
			t.Helper()
			u, err := Users.Objects().Get(ctx, orm.Q{"pk": bob.ID})
			if err != nil {
				t.Fatal(err)
			}
			ok, err := CheckPassword(ctx, u, raw)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		_, err := store.ChangePassword(ctx, bob, "short", mine)
		var verr *orm.ValidationError
		if !errors.As(err, &verr) || len(verr.Fields["password"]) != 1 ||
			verr.Fields["password"][0] != "This password is too short. It must contain at least 8 characters." {
			t.Fatalf("short password: %v", err)
		}
		if !passwordIs("old password") || count(orm.Q{"user": bob.ID}) != 3 {
			t.Fatal("a refused password changed the password or ended sessions")
		}
		if _, err := store.ChangePassword(ctx, bob, "new password", theirs); err == nil {
			t.Fatal("ChangePassword kept another user's session")
		}

		oldKey := mine.Key
		ended, err := store.ChangePassword(ctx, bob, "new password", mine)
		if err != nil || ended != 2 {
			t.Fatalf("ChangePassword: ended %d, %v; want 2 ended", ended, err)
		}
		if !passwordIs("new password") || passwordIs("old password") {
			t.Fatal("the password did not change")
		}
		if mine.Key == oldKey || mine.Key == "" {
			t.Fatal("the kept session kept its key")
		}
		if s, _ := store.Load(ctx, oldKey); s.Key != "" {
			t.Fatal("the kept session's old key still loads")
		}
		if s, _ := store.Load(ctx, mine.Key); s.User.ID != bob.ID || s.Data["theme"] != "dark" {
			t.Fatalf("the kept session lost its user or data: %+v", s)
		}
		if n := count(orm.Q{"user": bob.ID}); n != 1 {
			t.Fatalf("bob has %d sessions, want only the kept one", n)
		}
		if count(orm.Q{"user": carol.ID}) != 1 || count(orm.Q{"key": anon.Key}) != 1 {
			t.Fatal("another user's or an anonymous session was ended")
		}

		// The kept session ended meanwhile (a logout elsewhere): nothing
		// changes, and it is not brought back to life.
		other := login(bob)
		if err := store.Delete(ctx, mine.Key); err != nil {
			t.Fatal(err)
		}
		if _, err := store.ChangePassword(ctx, bob, "third password", mine); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("ChangePassword on an ended session: %v, want ErrSessionEnded", err)
		}
		if mine.Key != "" || mine.User.ID != 0 {
			t.Fatalf("the ended session was left as %+v", mine)
		}
		if !passwordIs("new password") || count(orm.Q{"key": other.Key}) != 1 {
			t.Fatal("ChangePassword on an ended session changed something")
		}

		// Without a session to keep (the changepassword command), all end.
		ended, err = store.ChangePassword(ctx, bob, "third password", nil)
		if err != nil || ended != 1 || count(orm.Q{"user": bob.ID}) != 0 || !passwordIs("third password") {
			t.Fatalf("ChangePassword without a kept session: ended %d, %v", ended, err)
		}
	})
}

func TestCookieAndMiddleware(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		store := &Store{}
		sess := &Session{Data: map[string]any{"k": "v"}}
		if err := store.Save(ctx, sess); err != nil {
			t.Fatal(err)
		}
		c := Cookie(sess, true)
		if c.Name != CookieName || c.Value != sess.Key || !c.HttpOnly || !c.Secure || c.Path != "/" ||
			c.SameSite != http.SameSiteLaxMode || !c.Expires.Equal(sess.ExpireAt) {
			t.Fatalf("cookie %+v", c)
		}
		if d := time.Duration(c.MaxAge) * time.Second; d < DefaultAge-time.Minute || d > DefaultAge {
			t.Fatalf("max age %v", d)
		}
		if Cookie(sess, false).Secure {
			t.Fatal("Secure over plain HTTP")
		}

		var seen *Session
		h := store.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = SessionFrom(r.Context())
		}))
		req := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
		req.AddCookie(c)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if seen == nil || seen.Key != sess.Key || seen.Data["k"] != "v" {
			t.Fatalf("middleware session %+v", seen)
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx))
		if seen == nil || seen.Key != "" {
			t.Fatalf("no cookie: %+v", seen)
		}
	})
}

func TestCSRFCookieSecureOverTLS(t *testing.T) {
	e := echo.New()
	e.Use(CSRF(false))
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, CSRFToken(c)) })
	cases := []struct {
		name   string
		proto  string // X-Forwarded-Proto
		tls    bool
		secure bool
	}{
		{"plain HTTP", "", false, false},
		{"TLS", "", true, true},
		{"behind a TLS proxy", "https", false, true},
		{"a client's own header", "https", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.secure {
				// echo trusts forwarding headers from a private address only.
				req.RemoteAddr = "10.0.0.2:40000"
			}
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if len(cookies) != 1 || cookies[0].Name != "csrftoken" || !cookies[0].HttpOnly {
				t.Fatalf("cookies %+v", cookies)
			}
			if cookies[0].Secure != tc.secure {
				t.Fatalf("Secure is %v, want %v", cookies[0].Secure, tc.secure)
			}
		})
	}
}

func TestLoginCleansUpHourly(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk := newClock()
		store := &Store{Age: time.Minute, Now: clk.Now}
		u, err := CreateUser(ctx, "ann", "", "")
		if err != nil {
			t.Fatal(err)
		}
		expired := func() int64 {
			t.Helper()
			n, err := Sessions.Objects().Filter(orm.Q{"expire_at__lte": clk.Now()}).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		login := func() {
			t.Helper()
			if err := store.Login(ctx, &Session{Data: map[string]any{}}, u); err != nil {
				t.Fatal(err)
			}
		}
		login() // the first Login cleans up (nothing yet)
		clk.Advance(2 * time.Minute)
		login() // within the hour: the first session is left, expired
		if n := expired(); n != 1 {
			t.Fatalf("%d expired sessions, want 1", n)
		}
		clk.Advance(time.Hour)
		login()
		if n := expired(); n != 0 {
			t.Fatalf("%d expired sessions after an hour's Login, want 0", n)
		}
		if n, _ := Sessions.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d sessions, want the new one", n)
		}
		// Negative: never.
		store.CleanupEvery = -1
		clk.Advance(2 * time.Hour)
		login()
		if n := expired(); n != 1 {
			t.Fatalf("%d expired sessions with cleanup off, want 1", n)
		}
	})
}
