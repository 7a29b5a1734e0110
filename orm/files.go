package orm

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // ImageField accepts GIF, JPEG, PNG and WebP
	"image/jpeg"
	_ "image/png"
	"io"
	"path"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/quarry-go/quarry/errs"
)

// Path is the file's location on disk when the default storage is a
// FileSystemStorage; "" with any other storage.
func (f File) Path() string {
	if s, ok := DefaultStorage().(*FileSystemStorage); ok && f.Name != "" {
		return s.Path(f.Name)
	}
	return ""
}

// URL is where the file is served.
func (f File) URL() string { return DefaultStorage().URL(f.Name) }

// The size of the thumbnail SaveFile makes beside an ImageField's upload:
// the image scaled to fit, centred on white, so that every thumbnail has
// the shape of a catalog card and a page can reserve its space.
const (
	ThumbnailWidth  = 400
	ThumbnailHeight = 300
)

// ThumbnailURL is where the thumbnail of an ImageField's file is served;
// "" for a file that has none (no file, or not an image).
func (f File) ThumbnailURL() string {
	if f.Name == "" || imageTypes[strings.ToLower(path.Ext(f.Name))] == "" {
		return ""
	}
	return DefaultStorage().URL(thumbnailName(f.Name))
}

// thumbnailName keeps the thumbnail beside its original. SaveFile never
// gives an original a name with two dots, so no upload can take a
// thumbnail's name.
func thumbnailName(name string) string { return name + ".thumb.jpg" }

// imageTypes are the formats an ImageField stores, by the extension
// SaveFile gives them; the media server sends these, and only these, as
// images.
var imageTypes = map[string]string{
	".gif":  "image/gif",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
}

// ImageContentType is the Content-Type of a stored image by its name's
// extension; "" for any other file, which a server should send as a
// download (application/octet-stream, Content-Disposition: attachment).
func ImageContentType(name string) string { return imageTypes[strings.ToLower(path.Ext(name))] }

// formatExtensions name a decoded image by its format, not by what the
// client called it.
var formatExtensions = map[string]string{"gif": ".gif", "jpeg": ".jpg", "png": ".png", "webp": ".webp"}

// activeExtensions are what a browser, or a misconfigured server, runs
// rather than shows: a FileField upload named so is stored with the
// extension folded into its name and ".txt" after it ("page.html" is kept
// as "page_html.txt"), so that no server that types files by extension
// (nginx, a bucket) serves it as a page or a script.
var activeExtensions = map[string]bool{
	".htm": true, ".html": true, ".xhtml": true, ".xht": true, ".shtml": true, ".mht": true, ".mhtml": true,
	".svg": true, ".svgz": true, ".xml": true, ".xsl": true, ".xslt": true, ".rdf": true,
	".js": true, ".mjs": true, ".swf": true, ".hta": true,
	".php": true, ".phtml": true, ".phar": true, ".php3": true, ".php4": true, ".php5": true,
	".asp": true, ".aspx": true, ".jsp": true, ".cgi": true, ".pl": true,
}

// ErrNotImage is returned when an ImageField is given a file that does not
// decode as an image: the visitor's mistake (errs.Invalid), whose text is
// Django's message for it.
var ErrNotImage error = &kindedError{"Upload a valid image. The file you uploaded was either not an image or a corrupted image.", errs.Invalid}

// maxImagePixels is where Pillow refuses an image as a decompression bomb
// (twice its MAX_IMAGE_PIXELS).
const maxImagePixels = 2 * 89478485

// SaveFile stores an upload for a File or Image field in the default
// Storage, in the field's upload_to folder (strftime patterns such as
// %Y/%m are expanded), under a safe, unused name derived from filename,
// and sets the field. It does not save obj.
//
// An ImageField's upload must decode as a GIF, JPEG, PNG or WebP image; it
// is stored with the extension of the format it decoded as, whatever the
// client named it (a PNG sent as "evil.html" is kept as "evil.png"), and a
// JPEG thumbnail (ThumbnailWidth × ThumbnailHeight) is stored beside it.
// A FileField's upload keeps its extension, unless that is one browsers
// run (.html, .svg, .js, .xml, …): then it is stored as a .txt.
func (m *Model[T]) SaveFile(ctx context.Context, obj *T, field, filename string, content io.Reader) error {
	f := m.Field(field)
	if f == nil {
		return m.unknownField(field)
	}
	if f.Kind != KindFile && f.Kind != KindImage {
		return fmt.Errorf("orm: %s is a %s, not a file field", f, f.Kind)
	}
	data, err := io.ReadAll(content)
	if err != nil {
		return err
	}
	stem, ext := splitFileName(safeFileName(filename))
	var img image.Image
	if f.Kind == KindImage {
		// A valid header proves little ("GIF89a" and six bytes pass): decode
		// the whole image, as Pillow's verify() checks it, once its size is
		// known to be sane.
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || int64(cfg.Width)*int64(cfg.Height) > maxImagePixels || formatExtensions[format] == "" {
			return ErrNotImage
		}
		if img, _, err = image.Decode(bytes.NewReader(data)); err != nil {
			return ErrNotImage
		}
		ext = formatExtensions[format]
	} else if activeExtensions[strings.ToLower(ext)] {
		stem, ext = stem+"_"+strings.ToLower(ext[1:]), ".txt"
	}
	name := path.Join(expandUploadTo(f.UploadTo, time.Now()), stem+ext)
	if len(name) > f.MaxLength {
		return fmt.Errorf("orm: %s: file name %q is longer than %d characters", f, name, f.MaxLength)
	}
	s := DefaultStorage()
	stored, err := s.Save(ctx, name, bytes.NewReader(data))
	if err != nil {
		return err
	}
	if len(stored) > f.MaxLength {
		s.Delete(ctx, stored)
		return fmt.Errorf("orm: %s: file name %q is longer than %d characters", f, stored, f.MaxLength)
	}
	if img != nil {
		if err := saveThumbnail(ctx, s, stored, img); err != nil {
			s.Delete(ctx, stored)
			return err
		}
	}
	return f.set(unsafe.Pointer(obj), File{Name: stored})
}

// DeleteFile removes a File or Image field's file from the storage, with
// its thumbnail, and empties the field: Django's FieldFile.delete(save=False).
// It does not save obj. As in Django, nothing else deletes stored files:
// replacing or clearing a field, or deleting its object, keeps them, for
// a transaction that rolls back would otherwise leave rows pointing at
// files that are gone.
func (m *Model[T]) DeleteFile(ctx context.Context, obj *T, field string) error {
	f := m.Field(field)
	if f == nil {
		return m.unknownField(field)
	}
	if f.Kind != KindFile && f.Kind != KindImage {
		return fmt.Errorf("orm: %s is a %s, not a file field", f, f.Kind)
	}
	v, _ := m.Get(obj, field)
	file, _ := v.(File)
	if file.Name == "" {
		return nil
	}
	s := DefaultStorage()
	if file.ThumbnailURL() != "" {
		if err := s.Delete(ctx, thumbnailName(file.Name)); err != nil {
			return err
		}
	}
	if err := s.Delete(ctx, file.Name); err != nil {
		return err
	}
	return f.set(unsafe.Pointer(obj), File{})
}

// saveThumbnail stores img's thumbnail under its original's thumbnail
// name. A file left there by an original deleted without DeleteFile is
// stale: the original's name was free, so the thumbnail replaces it.
func saveThumbnail(ctx context.Context, s Storage, original string, img image.Image) error {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Thumbnail(img), &jpeg.Options{Quality: 85}); err != nil {
		return err
	}
	name := thumbnailName(original)
	if err := s.Delete(ctx, name); err != nil {
		return err
	}
	got, err := s.Save(ctx, name, &buf)
	if err != nil {
		return err
	}
	if got != name {
		s.Delete(ctx, got)
		return fmt.Errorf("orm: the thumbnail of %q was taken while it was made", original)
	}
	return nil
}

// Thumbnail scales img to fit ThumbnailWidth × ThumbnailHeight, never
// enlarging it, and centres it on white: transparent parts show white, as
// they would on the pages.
func Thumbnail(img image.Image) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, ThumbnailWidth, ThumbnailHeight))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return dst
	}
	if w > ThumbnailWidth || h > ThumbnailHeight {
		// Whichever side is the tighter fit sets the scale.
		if w*ThumbnailHeight > h*ThumbnailWidth {
			w, h = ThumbnailWidth, max(1, h*ThumbnailWidth/w)
		} else {
			w, h = max(1, w*ThumbnailHeight/h), ThumbnailHeight
		}
	}
	at := image.Rect((ThumbnailWidth-w)/2, (ThumbnailHeight-h)/2, (ThumbnailWidth-w)/2+w, (ThumbnailHeight-h)/2+h)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, at, img, b.Min, draw.Over) // it fits: nothing to scale
	} else {
		draw.CatmullRom.Scale(dst, at, img, b, draw.Over, nil)
	}
	return dst
}

func expandUploadTo(dir string, now time.Time) string {
	r := strings.NewReplacer("%Y", now.Format("2006"), "%m", now.Format("01"), "%d", now.Format("02"))
	return strings.Trim(path.Clean("/"+r.Replace(dir)), "/")
}

// safeFileName keeps letters, digits, dots, dashes and underscores of the
// base name, so an upload cannot climb out of the media root.
func safeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "file"
	}
	return s
}

// splitFileName splits a safe name into its stem and its last extension,
// and folds any other dot of the stem into an underscore: "x.php.png"
// would run as PHP on a server that maps every extension of a name
// (Apache's AddHandler), and a thumbnail's name has two dots.
func splitFileName(name string) (stem, ext string) {
	if ext = path.Ext(name); ext == "." {
		ext = ""
	}
	stem = strings.ReplaceAll(strings.TrimSuffix(name, ext), ".", "_")
	if stem == "" {
		stem = "file"
	}
	return stem, ext
}
