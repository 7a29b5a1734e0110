package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/static"
)

const immutable = "public, max-age=31536000, immutable"

var (
	staticRef  = regexp.MustCompile(`(?:href|src)="(/static/[^"]*)"`)
	hashedName = regexp.MustCompile(`^/static/[a-z/.-]+\.[0-9a-f]{12}\.[a-z]+$`)
)

// sourceFile is a static file as it is in the repository.
func sourceFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "static", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// varies reports whether h's Vary fields name header.
func varies(h http.Header, header string) bool {
	for _, v := range h.Values("Vary") {
		for name := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(name), header) {
				return true
			}
		}
	}
	return false
}

// TestStaticPagesLinkHashedURLs: the site's and the admin's pages link
// every static file by its hashed URL, and each of those answers with the
// file, cacheable for a year, and with a 304 to a cache that revalidates it.
func TestStaticPagesLinkHashedURLs(t *testing.T) {
	e := testServer(t, orm.FromContext(ormtest.Open(t, "sqlite", orm.Models()...)))
	for page, want := range map[string][]string{
		"/":                {"css/quarry.css", "css/forms.css", "css/shop.css", "img/favicon.svg"},
		"/blog/":           {"css/quarry.css"},
		"/accounts/login/": {"css/quarry.css"},
		"/admin/login/":    {"css/admin.css", "img/favicon.svg", "js/htmx.min.js", "js/admin.js"},
	} {
		rec := get(t, e, page)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s status = %d, want 200", page, rec.Code)
		}
		linked := map[string]bool{}
		for _, m := range staticRef.FindAllStringSubmatch(rec.Body.String(), -1) {
			linked[m[1]] = true
		}
		for _, name := range want {
			if !linked[static.URL(name)] {
				t.Errorf("GET %s: no link to %s (%s); links: %v", page, name, static.URL(name), linked)
			}
		}
		for ref := range linked {
			if !hashedName.MatchString(ref) {
				t.Errorf("GET %s links %s, not a hashed URL", page, ref)
				continue
			}
			rec := get(t, e, ref)
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s (linked from %s) status = %d, want 200", ref, page, rec.Code)
				continue
			}
			if got := rec.Header().Get(echo.HeaderCacheControl); got != immutable {
				t.Errorf("GET %s: Cache-Control = %q, want %q", ref, got, immutable)
			}
			etag := rec.Header().Get("ETag")
			if etag == "" {
				t.Errorf("GET %s: no ETag", ref)
				continue
			}
			if again := get(t, e, ref, "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("GET %s with If-None-Match %s: status %d, %d bytes, want an empty 304", ref, etag, again.Code, again.Body.Len())
			}
		}
	}
}

// TestStaticPlainName: the name without a hash still answers, for the
// pages and stylesheets that use it, but is revalidated on every use.
func TestStaticPlainName(t *testing.T) {
	e := testServer(t, openSQLite(t))
	rec := get(t, e, "/static/css/quarry.css")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if got := rec.Header().Get(echo.HeaderCacheControl); got != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", got)
	}
	if !bytes.Equal(rec.Body.Bytes(), sourceFile(t, "css/quarry.css")) {
		t.Error("body is not css/quarry.css")
	}
	etag := rec.Header().Get("ETag")
	if hashed := get(t, e, static.URL("css/quarry.css")); hashed.Header().Get("ETag") != etag {
		t.Errorf("ETag %q differs from that of the hashed URL, %q", etag, hashed.Header().Get("ETag"))
	}
	if again := get(t, e, "/static/css/quarry.css", "If-None-Match", etag); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %s: status %d, want 304", etag, again.Code)
	}
}

// TestStaticSetsNoCookie: proxies keep static files (Cache-Control:
// public), so a cookie set with one would reach every visitor behind the
// proxy, and a Vary on Cookie would keep the proxy from sharing the file.
func TestStaticSetsNoCookie(t *testing.T) {
	e := testServer(t, orm.FromContext(ormtest.Open(t, "sqlite", orm.Models()...)))
	for target, status := range map[string]int{
		static.URL("css/quarry.css"): http.StatusOK,
		"/static/css/quarry.css":     http.StatusOK,
		"/static/css/missing.css":    http.StatusNotFound,
	} {
		rec := get(t, e, target, "Cookie", auth.CookieName+"=no-such-session")
		if rec.Code != status {
			t.Errorf("GET %s status = %d, want %d", target, rec.Code, status)
		}
		if sc := rec.Header().Values("Set-Cookie"); len(sc) > 0 {
			t.Errorf("GET %s sets cookies %q", target, sc)
		}
		if varies(rec.Header(), "Cookie") {
			t.Errorf("GET %s: Vary = %q", target, rec.Header().Values("Vary"))
		}
	}
	// The pages still get their CSRF cookie.
	if rec := get(t, e, "/accounts/login/"); len(rec.Header().Values("Set-Cookie")) == 0 {
		t.Error("GET /accounts/login/ sets no cookie")
	}
}

// TestStaticOverHTTP goes through a real connection, where net/http
// decides what reaches the client: compression, lengths and HEAD.
func TestStaticOverHTTP(t *testing.T) {
	srv := httptest.NewServer(testServer(t, openSQLite(t)))
	t.Cleanup(srv.Close)
	// The default transport asks for gzip and decompresses behind our back.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)
	do := func(method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	htmx := sourceFile(t, "js/htmx.min.js")
	url := static.URL("js/htmx.min.js")

	t.Run("gzip", func(t *testing.T) {
		resp, body := do(http.MethodGet, url, "Accept-Encoding", "gzip")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("status %d, Content-Encoding %q; want 200, gzip", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if !varies(resp.Header, "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
		if got := resp.Header.Get(echo.HeaderContentType); got != "text/javascript; charset=utf-8" {
			t.Errorf("Content-Type = %q", got)
		}
		if resp.ContentLength != int64(len(body)) || len(body) >= len(htmx) {
			t.Errorf("Content-Length %d, %d bytes for a file of %d", resp.ContentLength, len(body), len(htmx))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, htmx) {
			t.Errorf("the body decompresses to %d bytes that are not htmx.min.js", len(plain))
		}
		etag := resp.Header.Get("ETag")
		if resp, body := do(http.MethodGet, url, "Accept-Encoding", "gzip", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("If-None-Match %s: status %d, %d bytes; want an empty 304", etag, resp.StatusCode, len(body))
		}
	})
	t.Run("identity", func(t *testing.T) {
		resp, body := do(http.MethodGet, url)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("status %d, Content-Encoding %q; want 200 and none", resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if !bytes.Equal(body, htmx) {
			t.Error("body is not htmx.min.js")
		}
		if !varies(resp.Header, "Accept-Encoding") {
			t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Values("Vary"))
		}
	})
	t.Run("head", func(t *testing.T) {
		for _, accept := range []string{"", "gzip"} {
			full, fullBody := do(http.MethodGet, url, "Accept-Encoding", accept)
			head, body := do(http.MethodHead, url, "Accept-Encoding", accept)
			if head.StatusCode != http.StatusOK || len(body) != 0 {
				t.Errorf("HEAD (Accept-Encoding %q): status %d, %d bytes; want 200 and no body", accept, head.StatusCode, len(body))
			}
			if got, want := head.Header.Get("Content-Length"), strconv.Itoa(len(fullBody)); got != want {
				t.Errorf("HEAD (Accept-Encoding %q): Content-Length = %q, want %s", accept, got, want)
			}
			for _, k := range []string{"Content-Type", "Content-Encoding", "ETag", "Cache-Control", "Vary"} {
				if head.Header.Get(k) != full.Header.Get(k) {
					t.Errorf("HEAD (Accept-Encoding %q): %s = %q, GET says %q", accept, k, head.Header.Get(k), full.Header.Get(k))
				}
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{
			"/static/js/htmx.min.000000000000.js",
			"/static/js/",
			"/static/js",
			"/static/js/htmx.min.js/",
			"/static/%2e%2e/static/static.go",
			"/static/js/../../go.mod",
		} {
			if resp, _ := do(http.MethodGet, path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s status = %d, want 404", path, resp.StatusCode)
			}
		}
	})
}
