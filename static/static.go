// Package static holds the files the web server serves under /static/:
// stylesheets, scripts and images. They are embedded so that the binary is
// the whole application and a deploy copies one file.
//
// Add a folder to the go:embed line when you add one here; files outside the
// listed folders (this Go file among them) are deliberately not served.
//
// Pages link a file through URL, never by its plain path: URL("css/quarry.css")
// is "/static/css/quarry.<hash>.css", where the hash is taken from the file's
// content, as Django's ManifestStaticFilesStorage names them. A changed file
// gets a new URL, so Serve lets browsers and proxies keep a hashed URL for a
// year without asking again (Cache-Control: immutable). The plain name keeps
// working, for a stylesheet that names an image and for pages rendered
// before a deploy, but with Cache-Control: no-cache, so that it is revalidated
// against its ETag each time. Both carry a strong ETag made of the hash,
// and a matching If-None-Match gets a 304. Text files are gzip-compressed
// once and sent compressed to clients that accept it, with an ETag of their
// own. A name with a wrong hash is not served: it is a 404, like any other
// name that is not an embedded file.
//
// The server routes GET and HEAD under Prefix to Serve, and answers with
// its own 404 page when Serve reports that the request named no file.
//
// The hashes and compressed copies are computed on the first call to URL or
// Serve, not at program start, and kept for the life of the process.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

// content holds the static files, named relative to this folder
// ("css/quarry.css"). It is not exported so that nothing serves the files
// without the headers Serve sets.
//
//go:embed css img js
var content embed.FS

// Prefix is the URL path the files are served under; URL's results start
// with it and Serve expects it.
const Prefix = "/static/"

// hashLen is the length of the hash in a file's URL: 48 bits, as Django's
// 12 hex digits, is plenty to tell the versions of one file apart.
const hashLen = 12

// types fixes the Content-Type of the kinds of file a site serves, instead of
// taking it from the host's mime.types, which differs between machines (some
// say application/javascript for .js, others lack .webp or .woff2).
var types = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".txt":   "text/plain; charset=utf-8",
	".html":  "text/html; charset=utf-8",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".gif":   "image/gif",
	".webp":  "image/webp",
	".avif":  "image/avif",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
}

// file is one embedded file, ready to serve.
type file struct {
	hashed      string // "css/quarry.<hash>.css"
	contentType string
	data        []byte
	etag        string
	// gz is data gzip-compressed, nil when that would not make it smaller or
	// the file is not text. gzETag is its own ETag: the compressed bytes are
	// a different representation, and a cache must not take one for the other.
	gz     []byte
	gzETag string
}

// catalog is the set of files of a file system, by plain and hashed name.
type catalog struct {
	plain  map[string]*file
	hashed map[string]*file
}

// files is the catalog of content, built on first use: the work is small but
// needs doing only once, and not in processes that serve no pages.
var files = sync.OnceValue(func() *catalog { return newCatalog(content) })

// URL returns the URL of the embedded file name ("css/quarry.css"), with the
// hash of its content in the file name. It panics when there is no such
// file: names are constants in templates, so a wrong one is a programming
// error, and rendering the page in any test shows it.
func URL(name string) string {
	return files().url(name)
}

// Serve answers a GET or HEAD request for a file under Prefix, by hashed or
// plain name, and reports whether r named an embedded file. When it did not
// (an unknown name, a wrong hash, a directory, a path outside the files), Serve
// writes nothing, so that the caller can answer with its own 404 page.
// The router decides which methods reach it.
func Serve(w http.ResponseWriter, r *http.Request) bool {
	return files().serve(w, r)
}

func newCatalog(fsys fs.FS) *catalog {
	c := &catalog{plain: map[string]*file{}, hashed: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		f := newFile(name, data)
		c.plain[name] = f
		c.hashed[f.hashed] = f
		return nil
	})
	if err != nil {
		// The files are embedded in the binary: reading them cannot fail.
		panic("static: " + err.Error())
	}
	return c
}

func newFile(name string, data []byte) *file {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])[:hashLen]
	ext := path.Ext(name)
	f := &file{
		hashed:      strings.TrimSuffix(name, ext) + "." + hash + ext,
		contentType: contentType(ext, data),
		data:        data,
		etag:        `"` + hash + `"`,
	}
	if compressible(f.contentType) {
		if gz := compress(data); len(gz) < len(data) {
			f.gz, f.gzETag = gz, `"`+hash+`-gzip"`
		}
	}
	return f
}

func contentType(ext string, data []byte) string {
	if t, ok := types[strings.ToLower(ext)]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return http.DetectContentType(data)
}

func compressible(contentType string) bool {
	for _, prefix := range []string{"text/", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(contentType, prefix) {
			return true
		}
	}
	return false
}

func compress(data []byte) []byte {
	var buf bytes.Buffer
	// Compressed once per process, so the slowest level costs nothing per request.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		panic("static: " + err.Error())
	}
	// Writes to a bytes.Buffer do not fail.
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func (c *catalog) url(name string) string {
	f, ok := c.plain[name]
	if !ok {
		panic("static: no file " + name)
	}
	return Prefix + f.hashed
}
