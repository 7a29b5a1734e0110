package main

import (
	"bytes"
	"context"
	"github.com/quarry-go/quarry/manage"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// TestSeedCommand: seed wants the tables first, then fills them, a second
// run adds nothing, and one with more customers and orders adds only those.
func TestSeedCommand(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	media := filepath.Join(t.TempDir(), "media")
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3"), "MEDIA_ROOT": media}
	getenv := func(k string) string { return vars[k] }
	args := []string{"seed", "--posts", "15", "--products", "25", "--customers", "3", "--orders", "4", "--reviews", "2"}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, &stdout, &stderr, getenv); code != 1 || !strings.Contains(stderr.String(), "run `web migrate` first") {
		t.Fatalf("seed before migrate: exit %d, stderr:\n%s", code, stderr.String())
	}
	if code := run(ctx, []string{"migrate"}, &stdout, &stderr, getenv); code != 0 {
		t.Fatalf("migrate: exit %d, stderr:\n%s", code, stderr.String())
	}
	more := []string{"seed", "--posts", "15", "--products", "25", "--customers", "5", "--orders", "6", "--reviews", "2"}
	for i, step := range []struct {
		args []string
		want string
	}{
		{args, "made 25 products, 3 customers, 4 orders and 2 reviews"},
		{args, "made 0 products, 0 customers, 0 orders and 0 reviews"},
		// The orders already placed keep their customers.
		{more, "made 0 products, 2 customers, 2 orders and 0 reviews"},
	} {
		stdout.Reset()
		stderr.Reset()
		if code := run(ctx, step.args, &stdout, &stderr, getenv); code != 0 {
			t.Fatalf("seed run %d: exit %d, stderr:\n%s", i+1, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), step.want) {
			t.Fatalf("seed run %d said %q, want %q", i+1, stdout.String(), step.want)
		}
	}
	// Off a terminal, progress is a line per tenth, ending at 100%.
	if !strings.Contains(stderr.String(), "posts: 15/15 (100%)") {
		t.Errorf("no final progress line; stderr:\n%s", stderr.String())
	}

	db, err := orm.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dctx := orm.WithDB(ctx, db)
	for name, qs := range map[string]interface {
		Count(context.Context) (int64, error)
	}{"posts": blog.Posts.Objects(), "products": shop.Products.Objects()} {
		n, err := qs.Count(dctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int64{"posts": 15, "products": 25}[name]; n != want {
			t.Errorf("%d %s, want %d", n, name, want)
		}
	}
	// Each product has its picture, kept under MEDIA_ROOT.
	images, err := orm.Flat[string](dctx, shop.Products.Objects(), "image")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range images {
		if _, err := os.Stat(filepath.Join(media, filepath.FromSlash(name))); name == "" || err != nil {
			t.Errorf("product picture %q: %v", name, err)
		}
	}
	// The seed leaves the planner statistics current.
	if n, ok, err := orm.EstimatedCount(dctx, shop.Products.Meta); err != nil || !ok || n != 25 {
		t.Errorf("after seeding, the estimate is %d (ok %v, %v), want 25", n, ok, err)
	}

	if code := run(ctx, []string{"seed", "--posts", "-1"}, &stdout, &stderr, getenv); code != 2 {
		t.Errorf("a negative count: exit %d, want 2", code)
	}
}

var demoThumbnail = regexp.MustCompile(`/media/products/[a-z0-9-]+\.png\.thumb\.jpg`)

// TestDemo: demo migrates, seeds, makes the demo shopper, and still prints
// the way into the admin, since no superuser exists yet.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	vars := map[string]string{"DATABASE_URL": dbURL, "MEDIA_ROOT": filepath.Join(t.TempDir(), "media")}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--posts", "12", "--products", "10", "--customers", "2", "--orders", "2", "--reviews", "1"},
			&stdout, &stderr, func(k string) string { return vars[k] })
	}()
	addr := waitForAddr(t, &stderr, done)
	out := stdout.String()
	for _, want := range []string{"the blog has 12 posts", `"demo" with the password "quarry-demo"`} {
		if !strings.Contains(out, want) {
			t.Errorf("demo did not say %q; stdout:\n%s", want, out)
		}
	}
	link := setupLink.FindString(out)
	if link == "" {
		t.Fatalf("no setup link although no superuser exists; stdout:\n%s", out)
	}
	paths := []string{"/", "/products/", "/blog/", link}
	for i := 0; i < len(paths); i++ {
		path := paths[i]
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, resp.StatusCode)
		}
		// The catalog's cards show the demo pictures' thumbnails.
		if path == "/products/" {
			thumb := demoThumbnail.FindString(string(body))
			if thumb == "" {
				t.Errorf("no product thumbnail on /products/:\n%s", body)
				continue
			}
			paths = append(paths, thumb)
		}
		if strings.HasPrefix(path, "/media/") && resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET %s: Content-Type %q", path, resp.Header.Get("Content-Type"))
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(manage.ShutdownTimeout + 2*time.Second):
		t.Fatal("demo did not stop")
	}

	db, err := orm.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dctx := orm.WithDB(context.Background(), db)
	u, err := auth.Users.Objects().Get(dctx, orm.Q{"username": demoUsername})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.CheckPassword(dctx, u, demoPassword); !ok || err != nil || u.IsStaff {
		t.Fatalf("demo user: password ok %v (%v), staff %v", ok, err, u.IsStaff)
	}
}
