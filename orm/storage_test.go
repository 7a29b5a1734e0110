package orm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
)

func TestFileSystemStorage(t *testing.T) {
	root := t.TempDir()
	s := orm.NewFileSystemStorage(filepath.Join(root, "media"), "/files") // made on the first Save
	ctx := t.Context()

	save := func(name, content string) string {
		t.Helper()
		got, err := s.Save(ctx, name, strings.NewReader(content))
		if err != nil {
			t.Fatalf("Save(%q): %v", name, err)
		}
		return got
	}
	if got := save("a/b/c.txt", "one"); got != "a/b/c.txt" {
		t.Errorf("first Save = %q", got)
	}
	if got := save("a/b/c.txt", "two"); got != "a/b/c_1.txt" {
		t.Errorf("second Save = %q, want a/b/c_1.txt", got)
	}
	if got := save("noext", "x"); got != "noext" {
		t.Errorf("Save = %q", got)
	}
	if got := save("noext", "y"); got != "noext_1" {
		t.Errorf("Save = %q", got)
	}

	f, err := s.Open(ctx, "a/b/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	st, _ := f.Stat()
	f.Close()
	if string(b) != "one" || st.Size() != 3 {
		t.Errorf("Open read %q, size %d: the first file was replaced", b, st.Size())
	}
	if ok, err := s.Exists(ctx, "a/b/c_1.txt"); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, "a/b/c_1.txt"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, "a/b/c_1.txt"); ok || err != nil {
		t.Errorf("after Delete, Exists = %v, %v", ok, err)
	}
	if err := s.Delete(ctx, "a/b/c_1.txt"); err != nil {
		t.Errorf("deleting a missing file: %v", err)
	}
	if _, err := s.Open(ctx, "a/b/c_1.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	if got := s.URL("a/b/c.txt"); got != "/files/a/b/c.txt" {
		t.Errorf("URL = %q", got)
	}

	t.Run("names that leave the folder", func(t *testing.T) {
		for _, name := range []string{"../x", "a/../../x", "/etc/passwd", "a//b", "./a", ".", "", `a\b`, "a/\x00"} {
			if _, err := s.Save(ctx, name, strings.NewReader("x")); !errors.Is(err, orm.ErrInvalidFileName) {
				t.Errorf("Save(%q) = %v, want ErrInvalidFileName", name, err)
			}
			if _, err := s.Open(ctx, name); !errors.Is(err, orm.ErrInvalidFileName) {
				t.Errorf("Open(%q) = %v, want ErrInvalidFileName", name, err)
			}
			if err := s.Delete(ctx, name); !errors.Is(err, orm.ErrInvalidFileName) {
				t.Errorf("Delete(%q) = %v, want ErrInvalidFileName", name, err)
			}
			if _, err := s.Exists(ctx, name); !errors.Is(err, orm.ErrInvalidFileName) {
				t.Errorf("Exists(%q) = %v, want ErrInvalidFileName", name, err)
			}
		}
	})

	t.Run("a symbolic link out of the folder", func(t *testing.T) {
		secret := filepath.Join(root, "secret.txt")
		if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(root, filepath.Join(root, "media", "out")); err != nil {
			t.Skip("no symbolic links here:", err)
		}
		f, err := s.Open(ctx, "out/secret.txt")
		if err == nil {
			f.Close()
			t.Error("Open followed a link out of the folder")
		} else if !errors.Is(err, orm.ErrInvalidFileName) {
			t.Errorf("Open through a link out of the folder: %v, want ErrInvalidFileName", err)
		}
		if _, err := s.Save(ctx, "out/new.txt", strings.NewReader("x")); err == nil {
			t.Error("Save wrote through a link out of the folder")
		}
	})

	t.Run("uploads of one name at once keep every file", func(t *testing.T) {
		var wg sync.WaitGroup
		names := make([]string, 8)
		for i := range names {
			wg.Go(func() {
				n, err := s.Save(ctx, "race/same.txt", strings.NewReader(fmt.Sprint(i)))
				if err != nil {
					t.Error(err)
				}
				names[i] = n
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("two uploads were stored as %q", n)
			}
			seen[n] = true
		}
	})
}

func TestAlternativeName(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want string
	}{
		{"a/b.png", 1, "a/b_1.png"},
		{"b", 2, "b_2"},
		{"dir.v2/b.png", 3, "dir.v2/b_3.png"},
	}
	for _, tt := range tests {
		if got := orm.AlternativeName(tt.name, tt.n); got != tt.want {
			t.Errorf("AlternativeName(%q, %d) = %q, want %q", tt.name, tt.n, got, tt.want)
		}
	}
}

func TestThumbnail(t *testing.T) {
	root := useMedia(t)
	ctx := t.Context()
	tests := []struct {
		name string
		w, h int
		// where the picture lands on the 400×300 thumbnail
		inside, outside image.Point
	}{
		{"wide photo", 1600, 400, image.Pt(200, 150), image.Pt(200, 20)},
		{"tall photo", 300, 1200, image.Pt(200, 150), image.Pt(20, 150)},
		{"small icon, not enlarged", 40, 30, image.Pt(200, 150), image.Pt(150, 150)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := image.NewRGBA(image.Rect(0, 0, tt.w, tt.h))
			for y := range tt.h {
				for x := range tt.w {
					img.Set(x, y, color.RGBA{R: 200, A: 255})
				}
			}
			var buf bytes.Buffer
			png.Encode(&buf, img)
			a := &Avatar{}
			if err := Avatars.SaveFile(ctx, a, "picture", "pic.png", &buf); err != nil {
				t.Fatal(err)
			}
			if got, want := a.Picture.ThumbnailURL(), "/media/"+a.Picture.Name+".thumb.jpg"; got != want {
				t.Errorf("ThumbnailURL = %q, want %q", got, want)
			}
			f, err := os.Open(filepath.Join(root, filepath.FromSlash(a.Picture.Name+".thumb.jpg")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			thumb, err := jpeg.Decode(f)
			if err != nil {
				t.Fatalf("the thumbnail is not a JPEG: %v", err)
			}
			if b := thumb.Bounds(); b.Dx() != orm.ThumbnailWidth || b.Dy() != orm.ThumbnailHeight {
				t.Errorf("thumbnail is %v, want %d×%d", b, orm.ThumbnailWidth, orm.ThumbnailHeight)
			}
			if r, g, _, _ := thumb.At(tt.inside.X, tt.inside.Y).RGBA(); r>>8 < 150 || g>>8 > 60 {
				t.Errorf("at %v: %v, want the picture's red", tt.inside, thumb.At(tt.inside.X, tt.inside.Y))
			}
			if r, g, b, _ := thumb.At(tt.outside.X, tt.outside.Y).RGBA(); r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
				t.Errorf("at %v: %v, want the white around the picture", tt.outside, thumb.At(tt.outside.X, tt.outside.Y))
			}
		})
	}

	t.Run("files without one", func(t *testing.T) {
		for _, f := range []orm.File{{}, {Name: "documents/cv.pdf"}, {Name: "documents/page_html.txt"}} {
			if got := f.ThumbnailURL(); got != "" {
				t.Errorf("%q: ThumbnailURL = %q, want none", f.Name, got)
			}
		}
	})

	t.Run("an upload cannot take a thumbnail's name", func(t *testing.T) {
		a, b := &Avatar{}, &Avatar{}
		if err := Avatars.SaveFile(ctx, a, "picture", "x.png", bytes.NewReader(pngBytes(t))); err != nil {
			t.Fatal(err)
		}
		if err := Avatars.SaveFile(ctx, b, "picture", a.Picture.Name+".thumb.jpg", bytes.NewReader(jpegBytes(t, 4, 4))); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(b.Picture.Name, ".thumb.jpg") {
			t.Errorf("an upload was stored as %q", b.Picture.Name)
		}
	})

	t.Run("a stale thumbnail is replaced", func(t *testing.T) {
		stale := filepath.Join(root, "avatars", "fresh.png.thumb.jpg")
		if err := os.WriteFile(stale, []byte("left over"), 0o644); err != nil {
			t.Fatal(err)
		}
		a := &Avatar{}
		if err := Avatars.SaveFile(ctx, a, "picture", "fresh.png", bytes.NewReader(pngBytes(t))); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(stale); string(b) == "left over" {
			t.Error("the stale thumbnail was kept")
		}
	})
}

func TestDeleteFile(t *testing.T) {
	root := useMedia(t)
	ctx := t.Context()
	a := &Avatar{}
	if err := Avatars.SaveFile(ctx, a, "picture", "gone.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	if err := Avatars.SaveFile(ctx, a, "document", "cv.txt", strings.NewReader("cv")); err != nil {
		t.Fatal(err)
	}
	keep := &Avatar{}
	if err := Avatars.SaveFile(ctx, keep, "picture", "kept.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"picture", "document"} {
		if err := Avatars.DeleteFile(ctx, a, field); err != nil {
			t.Fatal(err)
		}
	}
	if a.Picture.Name != "" || a.Document.Name != "" {
		t.Errorf("fields kept %q, %q", a.Picture.Name, a.Document.Name)
	}
	got := filesUnder(t, root)
	want := []string{"avatars/kept.png", "avatars/kept.png.thumb.jpg"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("left %v, want %v", got, want)
	}
	if err := Avatars.DeleteFile(ctx, a, "picture"); err != nil {
		t.Errorf("DeleteFile of an empty field: %v", err)
	}
	if err := Avatars.DeleteFile(ctx, a, "name"); err == nil {
		t.Error("DeleteFile(name): no error")
	}
}

// memoryStorage is an object store in miniature: a map, and URLs on
// another host.
type memoryStorage struct {
	mu    sync.Mutex
	files map[string][]byte
}

type memoryFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f memoryFile) Close() error { return nil }
func (f memoryFile) Stat() (fs.FileInfo, error) {
	return memoryInfo{f.name, f.size}, nil
}

type memoryInfo struct {
	name string
	size int64
}

func (i memoryInfo) Name() string       { return i.name }
func (i memoryInfo) Size() int64        { return i.size }
func (i memoryInfo) Mode() fs.FileMode  { return 0o444 }
func (i memoryInfo) ModTime() time.Time { return time.Time{} }
func (i memoryInfo) IsDir() bool        { return false }
func (i memoryInfo) Sys() any           { return nil }

func (s *memoryStorage) Save(ctx context.Context, name string, r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n := 0; ; n++ {
		candidate := name
		if n > 0 {
			candidate = orm.AlternativeName(name, n)
		}
		if _, taken := s.files[candidate]; !taken {
			s.files[candidate] = b
			return candidate, nil
		}
	}
}

func (s *memoryStorage) Open(ctx context.Context, name string) (orm.StoredFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return memoryFile{bytes.NewReader(b), name, int64(len(b))}, nil
}

func (s *memoryStorage) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.files, name)
	return nil
}

func (s *memoryStorage) Exists(ctx context.Context, name string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.files[name]
	return ok, nil
}

func (s *memoryStorage) URL(name string) string { return "https://cdn.example.com/" + name }

func TestSetStorage(t *testing.T) {
	s := &memoryStorage{files: map[string][]byte{}}
	orm.SetStorage(s)
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	if orm.DefaultStorage() != s {
		t.Fatal("DefaultStorage is not the one set")
	}
	ctx := t.Context()
	a := &Avatar{}
	if err := Avatars.SaveFile(ctx, a, "picture", "cloud.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	if a.Picture.URL() != "https://cdn.example.com/avatars/cloud.png" ||
		a.Picture.ThumbnailURL() != "https://cdn.example.com/avatars/cloud.png.thumb.jpg" {
		t.Errorf("URLs %q, %q", a.Picture.URL(), a.Picture.ThumbnailURL())
	}
	if a.Picture.Path() != "" {
		t.Errorf("Path = %q on an object store", a.Picture.Path())
	}
	if len(s.files) != 2 {
		t.Errorf("stored %d files, want the image and its thumbnail", len(s.files))
	}
	if err := Avatars.DeleteFile(ctx, a, "picture"); err != nil || len(s.files) != 0 {
		t.Errorf("after DeleteFile: %d files, %v", len(s.files), err)
	}
}
