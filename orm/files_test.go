package orm_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// useMedia points the media root at a fresh directory for the test.
func useMedia(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	orm.SetMedia(root, "/media/")
	t.Cleanup(func() { orm.SetMedia("media", "/media/") }) // the defaults
	return root
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// hugePNGHeader is a PNG whose header claims 100000×100000 pixels.
func hugePNGHeader(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: length at 8, type at 12, data at 16 (width, height big-endian,
	// 13 bytes in all), CRC of type and data at 29
	binary.BigEndian.PutUint32(b[16:], 100000)
	binary.BigEndian.PutUint32(b[20:], 100000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	if cfg, err := png.DecodeConfig(bytes.NewReader(b)); err != nil || cfg.Width != 100000 {
		t.Fatalf("forged header: %v %v", cfg, err)
	}
	return b
}

func gifBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White}), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// inside reports whether path lies within root.
func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// filesUnder lists the files below root, relative and slash-separated.
func filesUnder(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func webpBytes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "gopher.webp"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSaveFile(t *testing.T) {
	root := useMedia(t)
	year := time.Now().Format("2006")
	png := pngBytes(t)

	tests := []struct {
		name     string
		field    string
		filename string
		content  []byte
		want     string // the stored name
	}{
		{"image under upload_to", "picture", "me.png", png, "avatars/me.png"},
		{"same name gets a new one", "picture", "me.png", png, "avatars/me_1.png"},
		{"and another", "picture", "me.png", png, "avatars/me_2.png"},
		{"gif", "picture", "anim.gif", gifBytes(t), "avatars/anim.gif"},
		{"webp", "picture", "gopher.webp", webpBytes(t), "avatars/gopher.webp"},
		{"jpeg is .jpg", "picture", "photo.jpeg", jpegBytes(t, 8, 6), "avatars/photo.jpg"},
		{"the decoded format names the image, not the client", "picture", "evil.html", png, "avatars/evil.png"},
		{"a jpeg sent as .png", "picture", "photo.png", jpegBytes(t, 8, 6), "avatars/photo_1.jpg"},
		{"an image without an extension", "picture", "snapshot", png, "avatars/snapshot.png"},
		{"a script's extension inside the name", "picture", "shell.php.png", png, "avatars/shell_php.png"},
		{"path climbing out of the root", "picture", "../../etc/passwd", png, "avatars/passwd.png"},
		{"absolute path", "picture", "/etc/shadow.png", png, "avatars/shadow.png"},
		{"windows path", "picture", `..\..\windows\win.png`, png, "avatars/win.png"},
		{"spaces and quotes", "picture", "john's portrait in 2004.png", png, "avatars/johns_portrait_in_2004.png"},
		{"hidden file", "picture", ".htaccess", png, "avatars/htaccess.png"},
		{"nothing usable", "picture", "../..", png, "avatars/file.png"},
		{"file with date pattern", "document", "report.pdf", []byte("%PDF-1.4"), "documents/" + year + "/report.pdf"},
		{"any content in a file field", "document", "notes.txt", []byte("not an image"), "documents/" + year + "/notes.txt"},
		{"a file field keeps an image's name", "document", "scan.png", []byte("not an image"), "documents/" + year + "/scan.png"},
		{"html is stored as text", "document", "page.html", []byte("<script>alert(1)</script>"), "documents/" + year + "/page_html.txt"},
		{"upper-case active extension", "document", "Page.HTM", []byte("<b>"), "documents/" + year + "/Page_htm.txt"},
		{"svg is stored as text", "document", "logo.svg", []byte("<svg onload=alert(1)>"), "documents/" + year + "/logo_svg.txt"},
		{"javascript is stored as text", "document", "app.js", []byte("alert(1)"), "documents/" + year + "/app_js.txt"},
		{"xml is stored as text", "document", "feed.xml", []byte("<x/>"), "documents/" + year + "/feed_xml.txt"},
		{"double extension", "document", "run.php.txt", []byte("<?php"), "documents/" + year + "/run_php.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Avatar{Name: "x"}
			if err := Avatars.SaveFile(t.Context(), a, tt.field, tt.filename, bytes.NewReader(tt.content)); err != nil {
				t.Fatal(err)
			}
			f := a.Picture
			if tt.field == "document" {
				f = a.Document
			}
			if f.Name != tt.want {
				t.Errorf("stored as %q, want %q", f.Name, tt.want)
			}
			if !inside(root, f.Path()) {
				t.Fatalf("%q is outside the media root %q", f.Path(), root)
			}
			if f.Path() != filepath.Join(root, filepath.FromSlash(tt.want)) {
				t.Errorf("Path() = %q", f.Path())
			}
			if f.URL() != "/media/"+tt.want {
				t.Errorf("URL() = %q", f.URL())
			}
			data, err := os.ReadFile(f.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, tt.content) {
				t.Errorf("stored content differs")
			}
			_, err = os.Stat(f.Path() + ".thumb.jpg")
			if hasThumb := err == nil; hasThumb != (tt.field == "picture") {
				t.Errorf("thumbnail beside it: %v, want %v", hasThumb, tt.field == "picture")
			}
		})
	}

	t.Run("nothing escaped the root", func(t *testing.T) {
		for _, f := range filesUnder(t, root) {
			if !strings.HasPrefix(f, "avatars/") && !strings.HasPrefix(f, "documents/") {
				t.Errorf("unexpected file %s", f)
			}
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(root), "etc")); err == nil {
			t.Errorf("a directory was created beside the media root")
		}
	})

	t.Run("image field rejects non-images", func(t *testing.T) {
		before := filesUnder(t, root)
		for _, content := range [][]byte{
			[]byte("GIF89a but not really"),        // a valid header and garbage
			[]byte("<?php system($_GET['c']); ?>"), // a script named .png
			{},                                     // empty
			png[:20],                               // cut in the header
			png[:len(png)-12],                      // cut before the end chunk
			hugePNGHeader(t),                       // a decompression bomb
		} {
			a := &Avatar{Name: "x"}
			err := Avatars.SaveFile(t.Context(), a, "picture", "evil.png", bytes.NewReader(content))
			if !errors.Is(err, orm.ErrNotImage) {
				t.Errorf("err = %v, want ErrNotImage", err)
			}
			if a.Picture.Name != "" {
				t.Errorf("field set to %q", a.Picture.Name)
			}
		}
		if after := filesUnder(t, root); len(after) != len(before) {
			t.Errorf("rejected uploads were written: %v", after)
		}
		if got := orm.ErrNotImage.Error(); got != "Upload a valid image. The file you uploaded was either not an image or a corrupted image." {
			t.Errorf("message = %q", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, field, filename string
		}{
			{"unknown field", "nope", "a.png"},
			{"not a file field", "name", "a.png"},
			{"name longer than max_length", "picture", strings.Repeat("a", 120) + ".png"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := Avatars.SaveFile(t.Context(), &Avatar{}, tt.field, tt.filename, bytes.NewReader(png)); err == nil {
					t.Error("SaveFile succeeded")
				}
			})
		}
	})

	t.Run("a failing reader", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(png[:10]), errReader{})
		if err := Avatars.SaveFile(t.Context(), &Avatar{}, "picture", "broken.png", r); err == nil {
			t.Error("SaveFile succeeded")
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestFileRoundTrip(t *testing.T) {
	useMedia(t)
	ormtest.Each(t, suiteModels, func(t *testing.T, ctx context.Context) {
		a := &Avatar{Name: "alice"}
		if err := Avatars.SaveFile(ctx, a, "picture", "alice.png", bytes.NewReader(pngBytes(t))); err != nil {
			t.Fatal(err)
		}
		if err := Avatars.FullClean(ctx, a); err != nil {
			t.Fatalf("FullClean: %v", err)
		}
		if err := Avatars.Save(ctx, a); err != nil {
			t.Fatal(err)
		}

		t.Run("Get", func(t *testing.T) {
			got, err := Avatars.Objects().Get(ctx, orm.Q{"pk": a.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got.Picture != a.Picture || got.Document.Name != "" {
				t.Errorf("got %+v, want %+v", got, a)
			}
			if _, err := os.Stat(got.Picture.Path()); err != nil {
				t.Errorf("the stored file is not where the loaded value points: %v", err)
			}
		})

		t.Run("filter by name", func(t *testing.T) {
			tests := []struct {
				name string
				cond orm.Q
			}{
				{"string", orm.Q{"picture": a.Picture.Name}},
				{"orm.File", orm.Q{"picture": a.Picture}},
				{"startswith", orm.Q{"picture__startswith": "avatars/"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					n, err := Avatars.Objects().Filter(tt.cond).Count(ctx)
					if err != nil || n != 1 {
						t.Errorf("count = %d, %v", n, err)
					}
				})
			}
		})

		t.Run("Values", func(t *testing.T) {
			vals, err := Avatars.Objects().Values(ctx, "picture")
			if err != nil || len(vals) != 1 || vals[0]["picture"] != a.Picture.Name {
				t.Errorf("values = %v, %v", vals, err)
			}
		})

		t.Run("replace the file", func(t *testing.T) {
			if err := Avatars.SaveFile(ctx, a, "document", "cv.txt", strings.NewReader("hello")); err != nil {
				t.Fatal(err)
			}
			if err := Avatars.Save(ctx, a, orm.UpdateFields("document")); err != nil {
				t.Fatal(err)
			}
			got, err := Avatars.Objects().Get(ctx, orm.Q{"pk": a.ID})
			if err != nil {
				t.Fatal(err)
			}
			// (the media root is shared by both engines' runs: the second is cv_1.txt)
			if got.Document != a.Document || !strings.HasPrefix(got.Document.Name, "documents/") || !strings.Contains(got.Document.Name, "/cv") {
				t.Errorf("document = %+v", got.Document)
			}
		})

		t.Run("Raw", func(t *testing.T) {
			got, err := Avatars.Raw(ctx, "SELECT * FROM suite_avatar WHERE id = ?", a.ID)
			if err != nil || len(got) != 1 || got[0].Picture != a.Picture {
				t.Errorf("raw = %v, %v", got, err)
			}
		})
	})
}
