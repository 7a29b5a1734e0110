package main

import (
	"bytes"
	"github.com/quarry-go/quarry/manage"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// useMedia serves a fresh media folder holding files (name → content) for
// the test, with a secret beside it that must stay out of reach.
func useMedia(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "media")
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("TOP SECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	orm.SetMedia(root, "/media/")
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	return root
}

func TestMediaFiles(t *testing.T) {
	var pic bytes.Buffer
	png.Encode(&pic, image.NewGray(image.Rect(0, 0, 2, 2)))
	root := useMedia(t, map[string][]byte{
		"products/kettle.png":  pic.Bytes(),
		"products/photo.JPG":   []byte("jpeg bytes"),
		"docs/page_html.txt":   []byte("<script>alert(1)</script>"),
		"docs/old.html":        []byte("<script>alert(1)</script>"),
		"docs/logo.svg":        []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"docs/report 2024.pdf": []byte("%PDF-1.4"),
	})
	e := testServer(t, openSQLite(t))

	t.Run("an image", func(t *testing.T) {
		rec := get(t, e, "/media/products/kettle.png", "Cookie", auth.CookieName+"=no-such-session")
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), pic.Bytes()) {
			t.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
		}
		h := rec.Header()
		for key, want := range map[string]string{
			"Content-Type":            "image/png",
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'none'; sandbox",
			"Content-Disposition":     "",
			"Set-Cookie":              "",
		} {
			if got := h.Get(key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		if h.Get("ETag") == "" || h.Get("Last-Modified") == "" {
			t.Errorf("ETag %q, Last-Modified %q: want both", h.Get("ETag"), h.Get("Last-Modified"))
		}
		if varies(h, "Cookie") {
			t.Errorf("Vary = %q", h.Values("Vary"))
		}
		if again := get(t, e, "/media/products/kettle.png", "If-None-Match", h.Get("ETag")); again.Code != http.StatusNotModified {
			t.Errorf("If-None-Match: status %d, want 304", again.Code)
		}
		if again := get(t, e, "/media/products/kettle.png", "If-Modified-Since", h.Get("Last-Modified")); again.Code != http.StatusNotModified {
			t.Errorf("If-Modified-Since: status %d, want 304", again.Code)
		}
		if part := get(t, e, "/media/products/kettle.png", "Range", "bytes=0-3"); part.Code != http.StatusPartialContent || part.Body.Len() != 4 {
			t.Errorf("Range: status %d, %d bytes", part.Code, part.Body.Len())
		}
	})

	t.Run("HEAD", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodHead, "/media/products/kettle.png", nil)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "image/png" {
			t.Errorf("HEAD: status %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
		}
	})

	t.Run("anything else is a download", func(t *testing.T) {
		tests := []struct{ path, disposition string }{
			{"/media/docs/page_html.txt", `attachment; filename=page_html.txt`},
			{"/media/docs/old.html", `attachment; filename=old.html`},
			{"/media/docs/logo.svg", `attachment; filename=logo.svg`},
			{"/media/docs/report%202024.pdf", `attachment; filename="report 2024.pdf"`},
		}
		for _, tt := range tests {
			rec := get(t, e, tt.path)
			if rec.Code != http.StatusOK {
				t.Errorf("%s: status %d", tt.path, rec.Code)
				continue
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/octet-stream" {
				t.Errorf("%s: Content-Type %q, want application/octet-stream", tt.path, ct)
			}
			if cd := rec.Header().Get("Content-Disposition"); cd != tt.disposition {
				t.Errorf("%s: Content-Disposition %q, want %q", tt.path, cd, tt.disposition)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") {
				t.Errorf("%s: headers %v", tt.path, rec.Header())
			}
		}
	})

	t.Run("an upper-case image extension", func(t *testing.T) {
		if ct := get(t, e, "/media/products/photo.JPG").Header().Get("Content-Type"); ct != "image/jpeg" {
			t.Errorf("Content-Type %q", ct)
		}
	})

	if err := os.Symlink(filepath.Dir(root), filepath.Join(root, "out")); err != nil {
		t.Log("no symbolic links here:", err)
	}
	t.Run("nothing outside the folder, no listings", func(t *testing.T) {
		for _, path := range []string{
			"/media/../secret.txt",
			"/media/%2e%2e/secret.txt",
			"/media/%2E%2E%2Fsecret.txt",
			"/media/products/..%2f..%2fsecret.txt",
			"/media/products/%2e%2e/%2e%2e/secret.txt",
			"/media//etc/passwd",
			"/media/%2fetc%2fpasswd",
			"/media/products/..%5c..%5csecret.txt",
			"/media/out/secret.txt", // a link out of the folder
			"/media/products/",
			"/media/products",
			"/media/",
			"/media/products/missing.png",
			"/media/products/kettle.png%00.html",
		} {
			rec := get(t, e, path)
			if rec.Code != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", path, rec.Code)
			}
			if strings.Contains(rec.Body.String(), "TOP SECRET") || strings.Contains(rec.Body.String(), "PNG") {
				t.Errorf("GET %s answered with %q", path, rec.Body.String())
			}
		}
	})
}

// TestMediaRootFlag: the commands keep uploads where --media or
// MEDIA_ROOT says.
func TestMediaRootFlag(t *testing.T) {
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "media"},
		{nil, map[string]string{"MEDIA_ROOT": dir}, dir},
		{[]string{"--media", filepath.Join(dir, "flag")}, map[string]string{"MEDIA_ROOT": dir}, filepath.Join(dir, "flag")},
	} {
		env := &manage.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return tt.env[k] }}
		fs := env.FlagSet("test")
		var cfg manage.Config
		cfg.Register(fs, env)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Resolve(env); err != nil {
			t.Fatal(err)
		}
		s, ok := orm.DefaultStorage().(*orm.FileSystemStorage)
		if !ok || s.Root() != tt.want || s.URL("a.png") != "/media/a.png" {
			t.Errorf("%v %v: storage %+v, want the folder %q under /media/", tt.args, tt.env, orm.DefaultStorage(), tt.want)
		}
	}
}
