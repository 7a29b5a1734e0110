package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/static"
)

func testServer(t *testing.T, db *orm.DB) *echo.Echo {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	return newServer(db, log, admin.Default)
}

// get sends a GET for target to e and returns the recorded response.
func get(t *testing.T, e *echo.Echo, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// TestHome: the site's front page is the storefront, in the site layout,
// on a database with every app's tables.
func TestHome(t *testing.T) {
	e := testServer(t, orm.FromContext(ormtest.Open(t, "sqlite", orm.Models()...)))
	rec := get(t, e, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / status = %d, want 200; body:\n%s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"· Quarry</title>",
		`<link rel="stylesheet" href="` + static.URL("css/quarry.css") + `">`,
		`<a href="/products/">Shop</a>`,
		`<a href="/blog/">Blog</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / body lacks %q; body:\n%s", want, body)
		}
	}
}

func TestHealthz(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db *orm.DB) {
		rec := get(t, testServer(t, db), "/healthz")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200; body: %s", rec.Code, rec.Body)
		}
		want := `{"status":"ok","database":"` + db.Vendor() + `"}`
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
		if cc := rec.Header().Get(echo.HeaderCacheControl); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
	})
}

func TestHealthzDatabaseDown(t *testing.T) {
	check := func(t *testing.T, db *orm.DB, vendor string) {
		t.Helper()
		rec := get(t, testServer(t, db), "/healthz")
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status = %d, want 503; body: %s", rec.Code, rec.Body)
		}
		var got health
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("body %q is not JSON: %v", rec.Body, err)
		}
		want := health{Status: "unavailable", Database: vendor, Error: "database unreachable"}
		if got != want {
			t.Errorf("body = %+v, want %+v", got, want)
		}
	}

	t.Run("closed", func(t *testing.T) {
		eachDatabase(t, func(t *testing.T, db *orm.DB) {
			db.Close()
			check(t, db, db.Vendor())
		})
	})
	t.Run("unreachable", func(t *testing.T) {
		// Nothing listens on port 1; the pool connects lazily, so Open works
		// and the ping is what fails, as when the server is down.
		db, err := orm.Open(context.Background(), "postgres://quarry@127.0.0.1:1/quarry?sslmode=disable&connect_timeout=1")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		check(t, db, "postgres")
	})
}

func TestNotFound(t *testing.T) {
	e := testServer(t, openSQLite(t))

	t.Run("html", func(t *testing.T) {
		rec := get(t, e, "/no/such/page", echo.HeaderAccept, "text/html,application/xhtml+xml,*/*;q=0.8")
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", rec.Code)
		}
		if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("Content-Type = %q, want text/html", ct)
		}
		body := rec.Body.String()
		for _, want := range []string{"<title>Not Found · Quarry</title>", "The page you asked for does not exist."} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %q; body:\n%s", want, body)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		rec := get(t, e, "/no/such/page", echo.HeaderAccept, "application/json")
		if rec.Code != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", rec.Code)
		}
		want := `{"error":"The page you asked for does not exist."}`
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("static", func(t *testing.T) {
		for _, target := range []string{"/static/css/missing.css", "/static/static.go", "/static/", "/static/../static/static.go"} {
			if rec := get(t, e, target); rec.Code != http.StatusNotFound {
				t.Errorf("GET %s status = %d, want 404", target, rec.Code)
			}
		}
	})
}

// TestErrorsDoNotLeak checks that what goes wrong inside a handler, a
// returned error or a panic, reaches the user as a plain 500 page without the
// error's text.
func TestErrorsDoNotLeak(t *testing.T) {
	const secret = "pq: password authentication failed for user quarry at db.internal"
	e := testServer(t, openSQLite(t))
	e.GET("/returns-error", func(echo.Context) error { return errors.New(secret) })
	e.GET("/panics", func(echo.Context) error { panic(secret) })
	e.GET("/wrapped", func(echo.Context) error {
		return echo.NewHTTPError(http.StatusBadRequest, secret).SetInternal(errors.New(secret))
	})
	e.GET("/for-user", func(echo.Context) error {
		return echo.NewHTTPError(http.StatusForbidden, "Only staff members can see this page.")
	})

	tests := []struct {
		target string
		status int
		want   string
	}{
		{"/returns-error", http.StatusInternalServerError, "Something went wrong on our side."},
		{"/panics", http.StatusInternalServerError, "Something went wrong on our side."},
		{"/wrapped", http.StatusBadRequest, "The request could not be understood."},
		{"/for-user", http.StatusForbidden, "Only staff members can see this page."},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.target, "/"), func(t *testing.T) {
			rec := get(t, e, tt.target)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			if strings.Contains(body, "password") || strings.Contains(body, "db.internal") {
				t.Errorf("body leaks the internal error:\n%s", body)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := testServer(t, openSQLite(t))
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "same-origin",
		"Content-Security-Policy": "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
	}
	// Error pages and static files need the headers as much as pages do.
	for _, target := range []string{"/", "/healthz", "/no/such/page", "/static/css/quarry.css"} {
		t.Run(target, func(t *testing.T) {
			rec := get(t, e, target)
			for name, value := range want {
				if got := rec.Header().Get(name); got != value {
					t.Errorf("%s: %s = %q, want %q", target, name, got, value)
				}
			}
		})
	}
}

func TestStatic(t *testing.T) {
	rec := get(t, testServer(t, openSQLite(t)), "/static/css/quarry.css")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q, want text/css", ct)
	}
	if !strings.Contains(rec.Body.String(), ".site-header") {
		t.Errorf("body is not quarry.css:\n%.200s", rec.Body)
	}
}

func TestWithDB(t *testing.T) {
	db := openSQLite(t)
	e := testServer(t, db)
	var got *orm.DB
	e.GET("/probe", func(c echo.Context) error {
		got = orm.FromContext(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})
	get(t, e, "/probe")
	if got != db {
		t.Errorf("request context carries DB %p, want %p", got, db)
	}
}

// TestAppsMounted: every app's pages answer through the real server, and
// the ones that need a user send an anonymous visitor to sign in.
func TestAppsMounted(t *testing.T) {
	e := testServer(t, orm.FromContext(ormtest.Open(t, "sqlite", orm.Models()...)))
	for _, tc := range []struct {
		path     string
		status   int
		location string
	}{
		{"/blog/", http.StatusOK, ""},
		{"/blog/feed/", http.StatusOK, ""},
		{"/products/", http.StatusOK, ""},
		{"/cart/", http.StatusOK, ""},
		{"/accounts/login/", http.StatusOK, ""},
		{"/accounts/signup/", http.StatusOK, ""},
		{"/checkout/", http.StatusSeeOther, "/accounts/login/?next=%2Fcheckout%2F"},
		{"/orders/", http.StatusSeeOther, "/accounts/login/?next=%2Forders%2F"},
		{"/admin/", http.StatusFound, "/admin/login/?next=%2Fadmin%2F"},
		{"/admin/shop/reports/", http.StatusFound, "/admin/login/?next=%2Fadmin%2Fshop%2Freports%2F"},
		{"/blog/no-such-post/", http.StatusNotFound, ""},
		{"/products/no-such-product/", http.StatusNotFound, ""},
	} {
		rec := get(t, e, tc.path)
		if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
			t.Errorf("GET %s: %d to %q, want %d to %q", tc.path, rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
		}
	}
	// Both sign-in pages offer the password reset, which answers.
	for _, path := range []string{"/accounts/login/", "/admin/login/"} {
		if body := get(t, e, path).Body.String(); !strings.Contains(body, `href="/accounts/password_reset/"`) {
			t.Errorf("%s does not link the password reset", path)
		}
	}
	if rec := get(t, e, "/accounts/password_reset/"); rec.Code != http.StatusOK {
		t.Errorf("the password reset: %d", rec.Code)
	}
}
