package manage

import (
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
)

// mediaPrefix is where uploaded files are served (Django's MEDIA_URL).
const mediaPrefix = "/media/"

// mediaCSP is the Content-Security-Policy of every uploaded file: one that
// a browser opening it as a document can run nothing under, nor reach the
// site's cookies from (sandbox gives it an origin of its own).
const mediaCSP = "default-src 'none'; img-src 'self'; style-src 'none'; sandbox"

// mediaFiles serves the default storage's files under /media/. Uploads are
// written by anyone with a file field in the admin, so nothing is served
// as what a browser would run: images (by the extension SaveFile gave
// them) are sent as images, anything else as a download, and never
// sniffed. Names are checked before the storage sees them: no "..", no
// absolute path, no folder listing.
func mediaFiles(c echo.Context) error {
	r := c.Request()
	name := strings.TrimPrefix(r.URL.Path, mediaPrefix)
	if !orm.ValidFileName(name) {
		return echo.ErrNotFound
	}
	f, err := orm.DefaultStorage().Open(r.Context(), name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, orm.ErrInvalidFileName) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.IsDir() || !info.Mode().IsRegular() {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", mediaCSP)
	// Stored names are never reused for other content while the file
	// exists, but a deleted file's name may be taken again: a day, not a
	// year, and a revalidation by ETag after.
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("ETag", fmt.Sprintf(`"%x-%x"`, info.ModTime().UnixNano(), info.Size()))
	if ct := orm.ImageContentType(name); ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	}
	http.ServeContent(c.Response(), r, name, info.ModTime(), f)
	return nil
}
