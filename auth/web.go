package auth

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quarry-go/quarry/views"
)

// Sessions is Middleware for echo: it loads the request's session and its
// user into the request context (SessionFrom, UserFrom). An anonymous
// request costs no query; a signed-in one costs two.
func (s *Store) Sessions() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := ""
			if ck, err := c.Cookie(CookieName); err == nil {
				key = ck.Value
			}
			ctx := c.Request().Context()
			sess, err := s.Load(ctx, key)
			if err != nil {
				return err
			}
			ctx = context.WithValue(WithSession(ctx, sess), storeKey{}, s)
			u, err := SessionUser(ctx, sess)
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(context.WithValue(ctx, userKey{}, u)))
			return next(c)
		}
	}
}

type userKey struct{}

type storeKey struct{}

// StoreFrom returns the Store whose Sessions loaded the request's session,
// so that a handler saves it with the site's settings; the zero Store
// when there is none.
func StoreFrom(ctx context.Context) *Store {
	if s, ok := ctx.Value(storeKey{}).(*Store); ok {
		return s
	}
	return &Store{}
}

// UserFrom returns the signed-in, active user Sessions found for the
// request, or nil for an anonymous one.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

// WithUser returns a context whose UserFrom is u: after a login, so the
// rest of the request sees the new user.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// CSRF protects every unsafe request with echo's CSRF middleware: the
// token travels in the _csrf form field (or the X-CSRF-Token header htmx
// sends) and in a cookie scripts cannot read. Every part of the site uses
// this one configuration, so they share the token. The cookie is Secure
// when secure is set or the request came over TLS (OverTLS).
func CSRF(secure bool) echo.MiddlewareFunc {
	plain, overTLS := csrf(secure), csrf(true)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		p, t := plain(next), overTLS(next)
		return func(c echo.Context) error {
			if OverTLS(c) {
				return t(c)
			}
			return p(c)
		}
	}
}

// OverTLS reports whether the request came over HTTPS, to this server or
// to a proxy in front of it that says so in X-Forwarded-Proto: cookies
// set in answer must then be Secure. echo's SchemeExtractor decides which
// proxies to believe (by default those at private and loopback addresses).
func OverTLS(c echo.Context) bool { return c.Scheme() == "https" }

// The CSRF cookie as echo's middleware writes it; RotateCSRF writes the
// same cookie, so both must agree.
const (
	csrfCookieName = "csrftoken"
	csrfCookieAge  = 24 * time.Hour // echo's default CookieMaxAge, made explicit
	// csrfTokenLength and csrfAlphabet are the shape of echo's own tokens
	// (TokenLength 32, letters only). echo compares the cookie with the
	// form field byte for byte, so any token would pass; the same shape
	// keeps one format for every token the site hands out.
	csrfTokenLength = 32
	csrfAlphabet    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func csrf(secure bool) echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     csrfCookieName,
		CookiePath:     "/",
		CookieMaxAge:   int(csrfCookieAge / time.Second),
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(error, echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "CSRF verification failed. Request aborted. Reload the form and try again.")
		},
	})
}

// CSRFToken is the request's token, for the _csrf field of its forms.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return t
}

// RotateCSRF gives the browser a new CSRF token, as Django's login()
// calls rotate_token: a token planted in the browser before the sign-in
// (a cookie set from a sibling subdomain, or read off a shared computer)
// is refused from then on. Call it after Store.Login, before the
// response is written; secure is as for CSRF. Forms rendered later in the
// same request carry the new token.
func RotateCSRF(c echo.Context, secure bool) {
	token := newCSRFToken()
	// The CSRF middleware has already set the old token's cookie on this
	// response; a second cookie of the same name would leave the choice to
	// the browser's ordering, so the old one goes.
	h := c.Response().Header()
	var kept []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, csrfCookieName+"=") {
			kept = append(kept, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range kept {
		h.Add("Set-Cookie", v)
	}
	c.SetCookie(&http.Cookie{Name: csrfCookieName, Value: token, Path: "/",
		Expires: time.Now().Add(csrfCookieAge), HttpOnly: true,
		Secure: secure || OverTLS(c), SameSite: http.SameSiteLaxMode})
	c.Set(middleware.DefaultCSRFConfig.ContextKey, token)
	r := c.Request()
	ch := views.ChromeFrom(r.Context())
	ch.CSRF = token
	c.SetRequest(r.WithContext(views.WithChrome(r.Context(), ch)))
}

// newCSRFToken draws csrfTokenLength letters without bias: bytes at or
// above the largest multiple of the alphabet's size are skipped rather
// than folded onto its first letters.
func newCSRFToken() string {
	const limit = 256 - 256%len(csrfAlphabet)
	token := make([]byte, 0, csrfTokenLength)
	var buf [csrfTokenLength * 2]byte
	for len(token) < csrfTokenLength {
		rand.Read(buf[:])
		for _, b := range buf {
			if int(b) < limit && len(token) < csrfTokenLength {
				token = append(token, csrfAlphabet[int(b)%len(csrfAlphabet)])
			}
		}
	}
	return string(token)
}

// Chrome tells the page shell who is signed in (views.Chrome), for every
// page of the site. It goes after Sessions and CSRF.
func Chrome() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			ch := views.Chrome{CSRF: CSRFToken(c), Path: r.URL.RequestURI()}
			if u := UserFrom(r.Context()); u != nil {
				ch.User, ch.Staff = u.Username, u.IsStaff
			}
			c.SetRequest(r.WithContext(views.WithChrome(r.Context(), ch)))
			return next(c)
		}
	}
}
