package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// embedded lists every embedded file with its content.
func embedded(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := fs.WalkDir(content, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out[name], err = fs.ReadFile(content, name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no file is embedded")
	}
	return out
}

// request sends method target to Serve, with header as name, value pairs,
// and reports whether Serve answered.
func request(t *testing.T, c *catalog, method, target string, header ...string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	return rec, c.serve(rec, req)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("body is not gzip: %v", err)
	}
	return out
}

func TestURL(t *testing.T) {
	for name, data := range embedded(t) {
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := name[strings.LastIndexByte(name, '.'):]
		want := "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext
		if got := URL(name); got != want {
			t.Errorf("URL(%q) = %q, want %q", name, got, want)
		}
	}
	if got, want := URL("css/quarry.css"), regexp.MustCompile(`^/static/css/quarry\.[0-9a-f]{12}\.css$`); !want.MatchString(got) {
		t.Errorf("URL(css/quarry.css) = %q, want a match for %s", got, want)
	}
}

func TestURLUnknownPanics(t *testing.T) {
	for _, name := range []string{"css/missing.css", "/css/quarry.css", "css", "static.go"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("URL(%q) did not panic", name)
				}
			}()
			URL(name)
		}()
	}
}

// TestHashFollowsContent: the URL changes with the content and only with it.
func TestHashFollowsContent(t *testing.T) {
	one := newCatalog(fstest.MapFS{"a.css": {Data: []byte("a{}")}, "LICENSE": {Data: []byte("x")}})
	two := newCatalog(fstest.MapFS{"a.css": {Data: []byte("b{}")}, "LICENSE": {Data: []byte("x")}})
	if one.url("a.css") == two.url("a.css") {
		t.Errorf("two contents share the URL %s", one.url("a.css"))
	}
	if one.url("LICENSE") != two.url("LICENSE") {
		t.Errorf("one content has two URLs: %s, %s", one.url("LICENSE"), two.url("LICENSE"))
	}
	if got := one.url("LICENSE"); !regexp.MustCompile(`^/static/LICENSE\.[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("url(LICENSE) = %q", got)
	}
}

func TestServe(t *testing.T) {
	c := files()
	for name, data := range embedded(t) {
		for _, tc := range []struct {
			target, cache string
		}{
			{URL(name), "public, max-age=31536000, immutable"},
			{"/static/" + name, "no-cache"},
		} {
			rec, ok := request(t, c, http.MethodGet, tc.target)
			if !ok || rec.Code != http.StatusOK {
				t.Errorf("GET %s: served %v, status %d, want 200", tc.target, ok, rec.Code)
				continue
			}
			h := rec.Header()
			if got := h.Get("Cache-Control"); got != tc.cache {
				t.Errorf("GET %s: Cache-Control = %q, want %q", tc.target, got, tc.cache)
			}
			if etag := h.Get("ETag"); !regexp.MustCompile(`^"[0-9a-f]{12}"$`).MatchString(etag) || !strings.Contains(URL(name), strings.Trim(etag, `"`)) {
				t.Errorf("GET %s: ETag = %q, want the strong tag of the hash in %s", tc.target, etag, URL(name))
			}
			if got := h.Get("Content-Encoding"); got != "" {
				t.Errorf("GET %s without Accept-Encoding: Content-Encoding = %q", tc.target, got)
			}
			if !bytes.Equal(rec.Body.Bytes(), data) {
				t.Errorf("GET %s: body differs from %s", tc.target, name)
			}
			if got, want := h.Get("Content-Length"), strconv.Itoa(len(data)); got != want {
				t.Errorf("GET %s: Content-Length = %s, want %s", tc.target, got, want)
			}
		}
	}
}

func TestServeNotModified(t *testing.T) {
	c := files()
	target := URL("css/quarry.css")
	first, _ := request(t, c, http.MethodGet, target)
	etag := first.Header().Get("ETag")
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		rec, ok := request(t, c, http.MethodGet, target, "If-None-Match", inm)
		if !ok || rec.Code != http.StatusNotModified {
			t.Errorf("If-None-Match %s: served %v, status %d, want 304", inm, ok, rec.Code)
			continue
		}
		if rec.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: a 304 with a body", inm)
		}
		h := rec.Header()
		if h.Get("ETag") != etag || h.Get("Cache-Control") == "" || h.Get("Vary") != "Accept-Encoding" {
			t.Errorf("If-None-Match %s: a 304 without the validators a cache needs: %v", inm, h)
		}
		if h.Get("Content-Type") != "" || h.Get("Content-Length") != "" {
			t.Errorf("If-None-Match %s: a 304 with representation headers: %v", inm, h)
		}
	}
	for _, inm := range []string{`"other"`, `"` + strings.Trim(etag, `"`) + `-gzip"`, strings.Trim(etag, `"`), `"` + strings.Trim(etag, `"`)} {
		if rec, _ := request(t, c, http.MethodGet, target, "If-None-Match", inm); rec.Code != http.StatusOK {
			t.Errorf("If-None-Match %s: status %d, want 200", inm, rec.Code)
		}
	}
	// The plain name has the same content, so the same validator.
	if rec, _ := request(t, c, http.MethodGet, "/static/css/quarry.css", "If-None-Match", etag); rec.Code != http.StatusNotModified {
		t.Errorf("plain name, If-None-Match %s: status %d, want 304", etag, rec.Code)
	}
}

func TestServeGzip(t *testing.T) {
	c := files()
	want := embedded(t)
	for _, name := range []string{"js/htmx.min.js", "css/quarry.css", "css/admin.css", "img/product-placeholder.svg"} {
		target := URL(name)
		rec, _ := request(t, c, http.MethodGet, target, "Accept-Encoding", "gzip, deflate, br")
		h := rec.Header()
		if rec.Code != http.StatusOK || h.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s accepting gzip: status %d, Content-Encoding %q", target, rec.Code, h.Get("Content-Encoding"))
			continue
		}
		if got := gunzip(t, rec.Body.Bytes()); !bytes.Equal(got, want[name]) {
			t.Errorf("GET %s: the gzip body does not decompress to %s", target, name)
		}
		if rec.Body.Len() >= len(want[name]) {
			t.Errorf("GET %s: gzip body of %d bytes for a file of %d", target, rec.Body.Len(), len(want[name]))
		}
		if got, want := h.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
			t.Errorf("GET %s: Content-Length = %s, want %s", target, got, want)
		}
		if got := h.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("GET %s: Vary = %q", target, got)
		}
		if got := h.Get("Content-Type"); got != c.plain[name].contentType {
			t.Errorf("GET %s: Content-Type = %q, want that of the file, %q", target, got, c.plain[name].contentType)
		}
		plain, _ := request(t, c, http.MethodGet, target)
		if plain.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s without Accept-Encoding: no Vary, so a cache may hand it the gzip copy", target)
		}
		etag := h.Get("ETag")
		if etag == plain.Header().Get("ETag") {
			t.Errorf("GET %s: the gzip and identity bodies share the ETag %s", target, etag)
		}
		if again, _ := request(t, c, http.MethodGet, target, "Accept-Encoding", "gzip", "If-None-Match", etag); again.Code != http.StatusNotModified {
			t.Errorf("GET %s with gzip and If-None-Match %s: status %d, want 304", target, etag, again.Code)
		}
	}

	for _, tc := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"identity", false},
		{"br, deflate", false},
		{"gzip;q=0", false},
		{"gzip; q=0.000, *", false},
		{"*;q=0", false},
		{"GZIP", true},
		{"x-gzip", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"*", true},
		{"identity, *;q=0.1", true},
	} {
		rec, _ := request(t, c, http.MethodGet, URL("js/htmx.min.js"), "Accept-Encoding", tc.accept)
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", tc.accept, got, tc.gzip)
		}
		if !tc.gzip && !bytes.Equal(rec.Body.Bytes(), want["js/htmx.min.js"]) {
			t.Errorf("Accept-Encoding %q: the body is not the file", tc.accept)
		}
	}
}

// TestServeNotCompressed: a binary file, or a text file that gzip would not
// shrink, is sent as it is whatever the client accepts, and varies on nothing.
func TestServeNotCompressed(t *testing.T) {
	c := newCatalog(fstest.MapFS{
		"img/a.png": {Data: bytes.Repeat([]byte("png"), 200)},
		"tiny.txt":  {Data: []byte("x")},
	})
	for name, ctype := range map[string]string{"img/a.png": "image/png", "tiny.txt": "text/plain; charset=utf-8"} {
		rec, ok := request(t, c, http.MethodGet, c.url(name), "Accept-Encoding", "gzip")
		h := rec.Header()
		if !ok || rec.Code != http.StatusOK || h.Get("Content-Encoding") != "" || h.Get("Vary") != "" {
			t.Errorf("GET %s: served %v, status %d, headers %v; want 200 without gzip", name, ok, rec.Code, h)
		}
		if got := h.Get("Content-Type"); got != ctype {
			t.Errorf("GET %s: Content-Type = %q, want %q", name, got, ctype)
		}
	}
}

func TestServeContentType(t *testing.T) {
	for name, want := range map[string]string{
		"css/quarry.css":  "text/css; charset=utf-8",
		"js/htmx.min.js":  "text/javascript; charset=utf-8",
		"img/favicon.svg": "image/svg+xml",
		"js/htmx.LICENSE": "text/plain; charset=utf-8",
	} {
		rec, _ := request(t, files(), http.MethodGet, URL(name))
		if got := rec.Header().Get("Content-Type"); got != want {
			t.Errorf("GET %s: Content-Type = %q, want %q", name, got, want)
		}
	}
}

func TestServeHead(t *testing.T) {
	c := files()
	for _, accept := range []string{"", "gzip"} {
		for _, target := range []string{URL("js/htmx.min.js"), "/static/js/htmx.min.js"} {
			get, _ := request(t, c, http.MethodGet, target, "Accept-Encoding", accept)
			head, ok := request(t, c, http.MethodHead, target, "Accept-Encoding", accept)
			if !ok || head.Code != http.StatusOK {
				t.Errorf("HEAD %s: served %v, status %d, want 200", target, ok, head.Code)
				continue
			}
			if head.Body.Len() != 0 {
				t.Errorf("HEAD %s: a body of %d bytes", target, head.Body.Len())
			}
			for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "ETag", "Cache-Control", "Vary"} {
				if got, want := head.Header().Get(k), get.Header().Get(k); got != want {
					t.Errorf("HEAD %s (Accept-Encoding %q): %s = %q, GET says %q", target, accept, k, got, want)
				}
			}
		}
	}
}

func TestServeNotFound(t *testing.T) {
	c := files()
	hashed := URL("css/quarry.css")
	for _, target := range []string{
		"/static/",
		"/static/css",
		"/static/css/",
		"/static/css/missing.css",
		"/static/static.go",
		"/static/../static/static.go",
		"/static/css/../css/quarry.css",
		"/static/./css/quarry.css",
		"/static//css/quarry.css",
		"/static/css/quarry.css/",
		"/static/css/quarry.000000000000.css",
		"/static/css/QUARRY.css",
		strings.Replace(hashed, ".css", ".CSS", 1),
		strings.Replace(hashed, "quarry.", "admin.", 1),
		hashed + "/",
		"/css/quarry.css",
		"/staticcss/quarry.css",
		"/static/%2e%2e/static/static.go",
	} {
		rec, ok := request(t, c, http.MethodGet, target)
		if ok || rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Errorf("GET %s: served %v, status %d, headers %v; want nothing written", target, ok, rec.Code, rec.Header())
		}
	}
}

func TestAcceptsGzipValues(t *testing.T) {
	// Several Accept-Encoding fields are one list.
	if !acceptsGzip([]string{"br", "gzip"}) {
		t.Error("gzip in a second Accept-Encoding field is ignored")
	}
	if acceptsGzip([]string{"*", "gzip;q=0"}) {
		t.Error("gzip;q=0 in a second field does not override *")
	}
}
