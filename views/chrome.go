package views

import (
	"context"
	"net/url"
)

// Chrome is what the site's shell shows around every page: who is signed
// in, and the CSRF token its logout form needs. The server puts it in the
// request context (WithChrome), so every page, error pages included, shows
// the same header without each handler passing it along.
type Chrome struct {
	User  string // the signed-in user's name; "" when anonymous
	Staff bool   // the user may open the admin
	CSRF  string // the token of the logout form
	Path  string // the current path and query, where login returns to
}

type chromeKey struct{}

// WithChrome returns a context carrying c for Layout.
func WithChrome(ctx context.Context, c Chrome) context.Context {
	return context.WithValue(ctx, chromeKey{}, c)
}

// ChromeFrom returns the Chrome in ctx, or the anonymous one.
func ChromeFrom(ctx context.Context) Chrome {
	c, _ := ctx.Value(chromeKey{}).(Chrome)
	return c
}

// loginURL is the login page, returning to the current page.
func loginURL(c Chrome) string {
	if c.Path == "" || c.Path == "/accounts/login/" {
		return "/accounts/login/"
	}
	return "/accounts/login/?next=" + url.QueryEscape(c.Path)
}

// withNext adds ?next= to path unless next is the site's root.
func withNext(path, next string) string {
	if next == "" || next == "/" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}
