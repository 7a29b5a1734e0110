package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
	"github.com/quarry-go/quarry/static"
)

// loggedServer is testServer with its log kept for the test to read.
func loggedServer(t *testing.T, db *orm.DB) (*echo.Echo, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(buf, t.Output()), &slog.HandlerOptions{Level: slog.LevelInfo}))
	return newServer(db, log, admin.Default), buf
}

// TestHead: every GET page answers HEAD with the GET's status and headers
// and no body, as Django does; before, pages and /healthz answered 405.
func TestHead(t *testing.T) {
	ctx := ormtest.Open(t, "sqlite", orm.Models()...)
	_, lamp, _ := siteFixtures(t, ctx)
	e := testServer(t, orm.FromContext(ctx))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Values that differ from one response to the next by design.
	varying := []string{"Date", "Set-Cookie", echo.HeaderXRequestID}
	for _, path := range []string{
		"/", "/products/", "/products/" + lamp.Slug + "/", "/blog/", "/healthz",
		"/admin/", "/admin/shop/product/", static.URL("css/quarry.css"), "/static/css/quarry.css",
		"/no/such/page",
	} {
		t.Run(path, func(t *testing.T) {
			do := func(method string) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, nil)
				// Go's client asks for gzip on its own, but not for HEAD.
				req.Header.Set("Accept-Encoding", "gzip")
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res
			}
			g, h := do(http.MethodGet), do(http.MethodHead)
			if h.StatusCode != g.StatusCode {
				t.Fatalf("HEAD %s = %d, GET = %d", path, h.StatusCode, g.StatusCode)
			}
			for name := range g.Header {
				if slices.Contains(varying, name) {
					continue
				}
				if got, want := h.Header.Values(name), g.Header.Values(name); !slices.Equal(got, want) {
					t.Errorf("HEAD %s: %s = %q, GET has %q", path, name, got, want)
				}
			}
			for name := range h.Header {
				if _, ok := g.Header[name]; !ok {
					t.Errorf("HEAD %s: %s = %q, which GET does not send", path, name, h.Header.Get(name))
				}
			}
			if g.Header.Get("Set-Cookie") != "" && h.Header.Get("Set-Cookie") == "" {
				t.Errorf("HEAD %s sends no cookie where GET does", path)
			}

			// And no body, even through a writer that would keep one.
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, path, nil))
			if rec.Code != g.StatusCode || rec.Body.Len() != 0 {
				t.Errorf("HEAD %s through ServeHTTP: %d with %d bytes of body, want %d and none", path, rec.Code, rec.Body.Len(), g.StatusCode)
			}
		})
	}

	// On the wire, nothing follows the header.
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "HEAD /products/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !bytes.HasPrefix(raw, []byte("HTTP/1.1 200")) || len(body) != 0 {
		t.Errorf("HEAD /products/ on the wire:\n%s", raw)
	}
}

// TestDatabaseDownPages: a page the database cannot serve is a 503 with
// Retry-After and the site's error page, and the log says why; a 500 would
// say the page itself is broken.
func TestDatabaseDownPages(t *testing.T) {
	check := func(t *testing.T, db *orm.DB) {
		t.Helper()
		e, log := loggedServer(t, db)
		for _, path := range []string{"/", "/products/", "/products/lamp/", "/blog/", "/blog/feed/"} {
			rec := get(t, e, path, echo.HeaderAccept, "text/html")
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("GET %s = %d, want 503", path, rec.Code)
				continue
			}
			if ra := rec.Header().Get(echo.HeaderRetryAfter); ra == "" {
				t.Errorf("GET %s: no Retry-After", path)
			}
			if body := rec.Body.String(); !strings.Contains(body, "The site is unavailable for a moment.") || !strings.Contains(body, "</html>") {
				t.Errorf("GET %s: not the site's 503 page:\n%.400s", path, body)
			}
		}
		if !strings.Contains(log.String(), "status=503") || !strings.Contains(log.String(), "database unavailable") {
			t.Errorf("the log does not say why:\n%s", log)
		}
	}
	t.Run("unreachable", func(t *testing.T) {
		db, err := orm.Open(context.Background(), "postgres://quarry@127.0.0.1:1/quarry?sslmode=disable&connect_timeout=1")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		check(t, db)
	})
	t.Run("closed", func(t *testing.T) {
		eachDatabase(t, func(t *testing.T, db *orm.DB) {
			db.Close()
			check(t, db)
		})
	})
}

// TestSQLiteBusyIsUnavailable: a database another process holds locked
// past the busy timeout is "try again", not a broken page.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.sqlite3")
	db, err := orm.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	ctx := orm.WithDB(context.Background(), db)
	if _, err := orm.Exec(ctx, "CREATE TABLE t (n integer)"); err != nil {
		t.Fatal(err)
	}
	// Another process's connection, with no busy timeout: it fails at once
	// where ours would wait.
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = orm.Atomic(ctx, func(ctx context.Context) error {
		if _, err := orm.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
			return err
		}
		_, err := other.Exec("INSERT INTO t VALUES (2)")
		if err == nil || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("the other connection wrote past a write lock: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same refusal as the ORM meets it: our connection holds the lock.
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (3)"); err != nil {
		t.Fatal(err)
	}
	short, err := orm.Open(context.Background(), "sqlite:"+path+"?_pragma=busy_timeout(50)")
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	_, err = orm.Exec(orm.WithDB(context.Background(), short), "INSERT INTO t VALUES (4)")
	if !orm.IsUnavailable(err) {
		t.Errorf("a locked database gives %v (%T), which IsUnavailable does not recognise", err, err)
	}
}

// TestClientGone: a request whose client went away while its query ran is
// logged as cancelled (499, not an error) and never answered as a 500.
func TestClientGone(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db *orm.DB) {
		if err := orm.CreateTables(orm.WithDB(context.Background(), db), orm.Models()...); err != nil {
			t.Fatal(err)
		}
		e, log := loggedServer(t, db)
		slow := "SELECT pg_sleep(10)"
		if db.Vendor() == "sqlite" {
			slow = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000000000) SELECT count(*) FROM c"
		}
		e.GET("/slow", func(c echo.Context) error {
			var n any
			if err := orm.QueryRow(c.Request().Context(), slow, nil, &n); err != nil {
				return err
			}
			return c.String(http.StatusOK, "done")
		})

		run := func(path string, cancelWhen func(cancel context.CancelFunc, ctx context.Context) context.Context) *httptest.ResponseRecorder {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx = cancelWhen(cancel, ctx)
			rec := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx))
			}()
			select {
			case <-done:
			case <-time.After(8 * time.Second):
				t.Fatalf("GET %s went on after its client left", path)
			}
			return rec
		}
		// Mid-query: the statement is running when the client leaves.
		rec := run("/slow", func(cancel context.CancelFunc, ctx context.Context) context.Context {
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx
		})
		if rec.Code != 499 {
			t.Errorf("GET /slow, client gone mid-query: status %d, want %d", rec.Code, 499)
		}
		// Between statements of a real page: the session is read, then the
		// client is gone before the catalog's queries.
		rec = run("/products/", func(cancel context.CancelFunc, ctx context.Context) context.Context {
			return orm.Observe(ctx, func(orm.QueryEvent) { cancel() })
		})
		if rec.Code != 499 {
			t.Errorf("GET /products/, client gone: status %d, want %d", rec.Code, 499)
		}
		out := log.String()
		if strings.Count(out, "status=499") != 2 {
			t.Errorf("the log should have the two requests at status 499:\n%s", out)
		}
		if strings.Contains(out, "level=ERROR") || strings.Contains(out, "status=500") {
			t.Errorf("a cancelled request was logged as an error:\n%s", out)
		}
	})
}

// TestPagesSurviveTerminatedBackends: when PostgreSQL ends the app's
// connections (an operator's pg_terminate_backend, a restart, a failover)
// the pages that only read still answer 200, first one by one and then
// while the connections are killed under concurrent requests.
func TestPagesSurviveTerminatedBackends(t *testing.T) {
	ctx := ormtest.Open(t, "postgres", orm.Models()...)
	post, lamp, _ := siteFixtures(t, ctx)
	db := orm.FromContext(ctx)
	e, log := loggedServer(t, db)
	pages := []string{"/", "/products/", "/products/" + lamp.Slug + "/", "/blog/", "/blog/" + post.Slug + "/", "/blog/feed/", "/healthz"}

	for _, path := range pages {
		if rec := get(t, e, path); rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d before any fault", path, rec.Code)
		}
		ormtest.TerminateBackends(t, db)
		if rec := get(t, e, path); rec.Code != http.StatusOK {
			t.Errorf("GET %s after the backends were terminated = %d, want 200", path, rec.Code)
		}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	var mu sync.Mutex
	codes := map[int]int{}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				rec := get(t, e, pages[n%len(pages)])
				mu.Lock()
				codes[rec.Code]++
				mu.Unlock()
			}
		}()
	}
	for range 10 {
		time.Sleep(50 * time.Millisecond)
		ormtest.TerminateBackends(t, db)
	}
	close(stop)
	wg.Wait()
	// No 500 ever. A 503 is a statement whose one retry was killed too,
	// which ten kills in half a second make possible but rare.
	total := 0
	for _, n := range codes {
		total += n
	}
	if codes[http.StatusOK] == 0 || codes[http.StatusOK]+codes[http.StatusServiceUnavailable] != total ||
		codes[http.StatusServiceUnavailable]*100 > total {
		t.Errorf("answers while the backends were being terminated: %v, want 200 (and under 1%% 503)\n%s", codes, log)
	}
}

// A server started while its database is down serves 503s meanwhile and
// starts the job queue (mail, and the project's Jobs hook) as soon as the
// database can be reached, not at the next restart.
func TestJobQueueStartsWhenTheDatabaseComesUp(t *testing.T) {
	direct := migrationstest.URL(t, "postgres")
	webAt(t, direct, 0, "migrate")
	u, err := neturl.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	l, err := net.Listen("tcp", "127.0.0.1:0") // a port nothing listens on, yet
	if err != nil {
		t.Fatal(err)
	}
	u.Host = l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	vars := map[string]string{"DATABASE_URL": u.String(), "EMAIL_URL": "memory:"}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, &stdout, &stderr, func(k string) string { return vars[k] })
	}()
	waitForAddr(t, &stderr, done)
	if !strings.Contains(stderr.String(), "database unreachable") {
		t.Fatalf("the server did not notice the database was down:\n%s", stderr.String())
	}

	// The database comes up: a proxy to it on the address the server has.
	proxy, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	go func() {
		for {
			in, err := proxy.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stderr.String(), "the job queue started") {
		if time.Now().After(deadline) {
			t.Fatalf("the job queue did not start once the database was up:\n%s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code = %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(manage.ShutdownTimeout + 5*time.Second):
		t.Fatalf("serve did not stop; stderr:\n%s", stderr.String())
	}
}
