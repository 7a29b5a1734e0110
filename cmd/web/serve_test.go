package main

import (
	"bytes"
	"context"
	"github.com/quarry-go/quarry/manage"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that the server's goroutines and the test can
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestServe runs `web serve` as the binary would, on a free port, answers a
// request over TCP, then cancels the context as SIGTERM does and expects a
// clean exit.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, &stdout, &stderr, func(k string) string { return vars[k] })
	}()

	addr := waitForAddr(t, &stderr, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz status = %d, want 200", resp.StatusCode)
	}

	// On an empty database, serve prints the one-time link to the first
	// superuser's form; the admin itself asks for a login.
	link := setupLink.FindString(stdout.String())
	if link == "" {
		t.Fatalf("no setup link printed; stdout:\n%s", stdout.String())
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{link: http.StatusOK, "/admin/": http.StatusFound, "/static/js/htmx.min.js": http.StatusOK} {
		resp, err := noFollow.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s status = %d, want %d", path, resp.StatusCode, want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code = %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(manage.ShutdownTimeout + 2*time.Second):
		t.Fatalf("serve did not stop after cancel; stderr:\n%s", stderr.String())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
}

var setupLink = regexp.MustCompile(`/admin/setup/[A-Za-z0-9_-]+/`)

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// waitForAddr returns the address the server logs once it listens.
func waitForAddr(t *testing.T, log *syncBuffer, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingAddr.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening; stderr:\n%s", code, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not log its address; stderr:\n%s", log.String())
	return ""
}
