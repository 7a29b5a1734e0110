package static

import (
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

const (
	// A hashed URL names one content forever, so it never needs asking again.
	cacheImmutable = "public, max-age=31536000, immutable"
	// A plain name may change with the next deploy: a cache keeps it but
	// revalidates it, which costs a 304 and no body while it is unchanged.
	cacheRevalidate = "no-cache"
)

func (c *catalog) serve(w http.ResponseWriter, r *http.Request) bool {
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	// fs.ValidPath refuses "..", "." and empty elements, so nothing but the
	// catalog's own names can match below.
	if !ok || !fs.ValidPath(name) {
		return false
	}
	cache := cacheImmutable
	f, ok := c.hashed[name]
	if !ok {
		cache = cacheRevalidate
		if f, ok = c.plain[name]; !ok {
			return false
		}
	}

	h := w.Header()
	body, etag, gzipped := f.data, f.etag, false
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			body, etag, gzipped = f.gz, f.gzETag, true
		}
	}
	h.Set("Cache-Control", cache)
	h.Set("ETag", etag)
	if noneMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	h.Set("Content-Type", f.contentType)
	if gzipped {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return true
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip:
// named with a non-zero q, or covered by a "*" with a non-zero q when not
// named (RFC 9110, section 12.5.3).
func acceptsGzip(values []string) bool {
	star := false
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(item, ";")
			allowed := qualityAllows(params)
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				return allowed
			case "*":
				star = allowed
			}
		}
	}
	return star
}

// qualityAllows reports whether the parameters of an Accept-Encoding item
// leave it acceptable, which only a q of zero does not.
func qualityAllows(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err != nil || q > 0
		}
	}
	return true
}

// noneMatch reports whether an If-None-Match header names etag, or is "*",
// with the weak comparison that RFC 9110 (section 13.1.2) asks for.
func noneMatch(header, etag string) bool {
	for s := header; ; {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		if s[0] == '*' {
			return true
		}
		s = strings.TrimPrefix(s, "W/")
		if s == "" || s[0] != '"' {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if s[:end+2] == etag {
			return true
		}
		s = s[end+2:]
	}
}
