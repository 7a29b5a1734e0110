package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// TestErrorKinds: a handler returns what went wrong, and the error handler
// chooses the status and the words from the error's kind: a missing row is
// a 404 without the handler saying so, a domain error's message is shown,
// and an error nobody classified is a 500 that shows none of its text.
func TestErrorKinds(t *testing.T) {
	const secret = "pq: relation shop_product at db.internal"
	e := testServer(t, orm.FromContext(ormtest.Open(t, "sqlite", auth.Users.Meta)))
	routes := map[string]error{
		"/wrapped-does-not-exist": fmt.Errorf("loading the tag: %w", orm.ErrDoesNotExist),
		"/conflict":               errs.E(errs.Conflict, "Only 2 left of Kettle."),
		"/conflict-with-cause":    errs.Wrap(errors.New(secret), errs.Conflict, "Only 2 left of Kettle."),
		"/explained":              errs.Explain(fmt.Errorf("%s: %w", secret, orm.ErrDoesNotExist), errs.NotFound, "No tag here."),
		"/invalid":                errs.E(errs.Invalid, "Choose a period of 7, 14, 30 or 90 days."),
		"/forbidden":              errs.E(errs.Forbidden, "Only customers who bought this product can review it."),
		"/unauthorized":           errs.E(errs.Unauthorized, ""),
		"/validation":             &orm.ValidationError{Fields: map[string][]string{"title": {secret}}},
		"/integrity":              &orm.IntegrityError{Kind: "unique", Model: "shop.Product", Err: errors.New(secret)},
		"/unavailable":            fmt.Errorf("listing: %w", &orm.UnavailableError{Err: errors.New(secret)}),
		"/unknown":                errors.New(secret),
		"/internal-with-message":  errs.E(errs.Internal, secret),
	}
	for path, err := range routes {
		e.GET(path, func(echo.Context) error { return err })
	}
	// A real Get that finds nothing: the model's own DoesNotExist.
	e.GET("/no-such-user", func(c echo.Context) error {
		_, err := auth.Users.Objects().Get(c.Request().Context(), orm.Q{"username": "nobody-here"})
		return err
	})

	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/wrapped-does-not-exist", http.StatusNotFound, "The page you asked for does not exist."},
		{"/no-such-user", http.StatusNotFound, "The page you asked for does not exist."},
		{"/explained", http.StatusNotFound, "No tag here."},
		{"/conflict", http.StatusConflict, "Only 2 left of Kettle."},
		{"/conflict-with-cause", http.StatusConflict, "Only 2 left of Kettle."},
		{"/invalid", http.StatusBadRequest, "Choose a period of 7, 14, 30 or 90 days."},
		{"/forbidden", http.StatusForbidden, "Only customers who bought this product can review it."},
		{"/unauthorized", http.StatusUnauthorized, "You need to log in to see this page."},
		{"/validation", http.StatusBadRequest, "The request could not be understood."},
		{"/integrity", http.StatusConflict, "The request could not be completed."},
		{"/unavailable", http.StatusServiceUnavailable, "The site is unavailable for a moment."},
		{"/unknown", http.StatusInternalServerError, "Something went wrong on our side."},
		{"/internal-with-message", http.StatusInternalServerError, "Something went wrong on our side."},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			rec := get(t, e, tt.path, echo.HeaderAccept, "text/html")
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
			if !strings.Contains(body, "<title>"+http.StatusText(tt.status)+" · Quarry</title>") {
				t.Errorf("not the site's error page for %d:\n%s", tt.status, body)
			}
			for _, leak := range []string{"db.internal", "shop_product", "orm:", "does not exist."} {
				if leak == "does not exist." && tt.status == http.StatusNotFound {
					continue // the generic 404 text says it
				}
				if strings.Contains(body, leak) {
					t.Errorf("body leaks %q:\n%s", leak, body)
				}
			}
			if ra := rec.Header().Get(echo.HeaderRetryAfter); (tt.status == http.StatusServiceUnavailable) != (ra != "") {
				t.Errorf("Retry-After = %q with status %d", ra, tt.status)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		rec := get(t, e, "/conflict-with-cause", echo.HeaderAccept, "application/json")
		if rec.Code != http.StatusConflict {
			t.Errorf("status = %d, want 409", rec.Code)
		}
		want := `{"error":"Only 2 left of Kettle."}`
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("body = %s, want %s", got, want)
		}
	})
	t.Run("head", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/wrapped-does-not-exist", nil))
		if rec.Code != http.StatusNotFound || rec.Body.Len() != 0 {
			t.Errorf("HEAD: status %d, %d bytes; want 404 and no body", rec.Code, rec.Body.Len())
		}
	})
}

// The log keeps what a 4xx answer does not show: the cause a domain error
// wraps, next to the status, at info.
func TestClientErrorCauseIsLogged(t *testing.T) {
	e, log := loggedServer(t, orm.FromContext(ormtest.Open(t, "sqlite", auth.Users.Meta)))
	e.GET("/conflict", func(echo.Context) error {
		return errs.Wrap(errors.New("stock row 7 locked by order 42"), errs.Conflict, "Only 2 left of Kettle.")
	})
	if rec := get(t, e, "/conflict", echo.HeaderAccept, "text/html"); rec.Code != http.StatusConflict {
		t.Fatalf("status = %d", rec.Code)
	}
	line := log.String()
	if !strings.Contains(line, "status=409") || !strings.Contains(line, "stock row 7 locked by order 42") || !strings.Contains(line, "level=INFO") {
		t.Errorf("the log lacks the 409's cause:\n%s", line)
	}
}
