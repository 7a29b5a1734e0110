package orm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// Storage keeps the files of File and Image fields: Django's
// django.core.files.storage.Storage. Names are relative and
// slash-separated ("products/kettle.png"), as the fields store them.
//
// FileSystemStorage, a folder on the local disk, is the default (see
// SetMedia). An object store (S3, GCS, Azure Blob) plugs in by
// implementing Storage and passing it to SetStorage at start:
//
//   - Save uploads with a conditional put (S3's If-None-Match: *), and on
//     a conflict tries AlternativeName(name, 1), 2, … so that an upload
//     never replaces another;
//   - Open returns a ranged reader over the object and its size and
//     modification time, for the rare server that streams media itself;
//   - URL returns the bucket's or the CDN's public address, so that
//     browsers fetch the files from there and the web server's /media/
//     handler is not involved.
//
// Methods that may reach the network take a context.
type Storage interface {
	// Save stores content under name or, when name is taken, under an
	// unused name derived from it (AlternativeName), and returns the name
	// used. It never replaces an existing file.
	Save(ctx context.Context, name string, content io.Reader) (string, error)
	// Open reads a stored file. A missing one is an error that wraps
	// fs.ErrNotExist.
	Open(ctx context.Context, name string) (StoredFile, error)
	// Delete removes a stored file; a missing one is not an error.
	Delete(ctx context.Context, name string) error
	// Exists reports whether name is taken.
	Exists(ctx context.Context, name string) (bool, error)
	// URL is where browsers fetch the file.
	URL(name string) string
}

// StoredFile is an open stored file: what http.ServeContent needs to serve
// it with ranges and conditional requests. *os.File is one.
type StoredFile interface {
	io.ReadSeekCloser
	Stat() (fs.FileInfo, error)
}

// ErrInvalidFileName is returned for a stored file's name that is not a
// clean relative path ("../x", "/etc/passwd", "a//b", `a\b`): Django's
// SuspiciousFileOperation.
var ErrInvalidFileName = errors.New("orm: invalid stored file name")

// ValidFileName reports whether name can name a stored file: relative,
// slash-separated, without "." or ".." elements, backslashes or NULs.
func ValidFileName(name string) bool {
	return name != "." && fs.ValidPath(name) && !strings.ContainsAny(name, "\\\x00")
}

// AlternativeName is the n-th name tried when name is taken: "a/b.png"
// gives "a/b_1.png", "a/b_2.png", …
func AlternativeName(name string, n int) string {
	ext := path.Ext(name)
	return fmt.Sprintf("%s_%d%s", strings.TrimSuffix(name, ext), n, ext)
}

var storage = struct {
	sync.RWMutex
	s Storage
}{s: NewFileSystemStorage("media", "/media/")}

// SetStorage sets where the files of File and Image fields are kept. Call
// it once at start, before any request.
func SetStorage(s Storage) {
	storage.Lock()
	defer storage.Unlock()
	storage.s = s
}

// DefaultStorage is the Storage set by SetStorage or SetMedia.
func DefaultStorage() Storage {
	storage.RLock()
	defer storage.RUnlock()
	return storage.s
}

// SetMedia keeps uploaded files in a folder (Django's MEDIA_ROOT, default
// "media" in the working directory) served under url (MEDIA_URL, default
// "/media/"): SetStorage with a FileSystemStorage.
func SetMedia(root, url string) { SetStorage(NewFileSystemStorage(root, url)) }

// FileSystemStorage keeps files in a folder on the local disk (Django's
// FileSystemStorage). Every access goes through os.Root, so no name, nor a
// symbolic link inside the folder, reaches a file outside it.
type FileSystemStorage struct {
	root, baseURL string
}

// NewFileSystemStorage keeps files under root, served under baseURL. The
// folder is made on the first Save.
func NewFileSystemStorage(root, baseURL string) *FileSystemStorage {
	return &FileSystemStorage{root: root, baseURL: strings.TrimSuffix(baseURL, "/") + "/"}
}

// Root is the folder the files are kept in.
func (s *FileSystemStorage) Root() string { return s.root }

// Path is the file's location on disk; "" for an invalid name.
func (s *FileSystemStorage) Path(name string) string {
	if !ValidFileName(name) {
		return ""
	}
	return filepath.Join(s.root, filepath.FromSlash(name))
}

// URL is baseURL followed by name.
func (s *FileSystemStorage) URL(name string) string { return s.baseURL + name }

func (s *FileSystemStorage) open() (*os.Root, error) { return os.OpenRoot(s.root) }

// Save writes content to a file created exclusively (O_EXCL), so that two
// uploads of one name at once both keep their files.
func (s *FileSystemStorage) Save(ctx context.Context, name string, content io.Reader) (string, error) {
	if !ValidFileName(name) {
		return "", fmt.Errorf("%w: %q", ErrInvalidFileName, name)
	}
	if err := os.MkdirAll(s.root, 0o755); err != nil {
		return "", err
	}
	r, err := s.open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	if dir := path.Dir(name); dir != "." {
		if err := r.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
	}
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		candidate := name
		if n > 0 {
			candidate = AlternativeName(name, n)
		}
		f, err := r.OpenFile(candidate, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = io.Copy(f, content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.Remove(candidate) // no half-written file under a name that looks stored
			return "", err
		}
		return candidate, nil
	}
}

// Open opens the file for reading.
func (s *FileSystemStorage) Open(_ context.Context, name string) (StoredFile, error) {
	if !ValidFileName(name) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidFileName, name)
	}
	r, err := s.open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(name)
	if err != nil && escapes(err) {
		return nil, fmt.Errorf("%w: %q leads out of the folder", ErrInvalidFileName, name)
	}
	return f, err
}

// escapes reports whether os.Root refused a name for leading out of its
// folder (through a symbolic link), which it reports with an error of its
// own that the os package does not export.
func escapes(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes")
}

// Delete removes the file.
func (s *FileSystemStorage) Delete(_ context.Context, name string) error {
	if !ValidFileName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidFileName, name)
	}
	r, err := s.open()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Exists reports whether a file or folder has the name.
func (s *FileSystemStorage) Exists(_ context.Context, name string) (bool, error) {
	if !ValidFileName(name) {
		return false, fmt.Errorf("%w: %q", ErrInvalidFileName, name)
	}
	r, err := s.open()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer r.Close()
	_, err = r.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
