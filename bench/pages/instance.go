package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The superuser every database gets, to sign in to the admin with.
const (
	adminUser     = "bench"
	adminPassword = "bench-pages-password"
)

// dropTimeout bounds DROP DATABASE, which waits for a checkpoint of the
// whole server: after seeding 200,000 rows on a busy machine, 30 seconds
// were too few.
const dropTimeout = 3 * time.Minute

// stopTimeout is how long a server may take to shut down after SIGTERM;
// web serve itself gives requests in flight 8 seconds.
const stopTimeout = 10 * time.Second

// instance is one seeded database and the server in front of it.
type instance struct {
	engine string
	size   int
	dir    string // the server's log, and the SQLite database
	dbURL  string
	bin    string

	dropDB func(context.Context) error // nil when there is nothing to drop

	server *exec.Cmd
	exited chan struct{} // closed when the server has exited
	base   string        // http://127.0.0.1:PORT
	client *http.Client

	seedTime time.Duration
	facts    facts
}

// newInstance creates the database of one size. The caller closes the
// instance, also after an error.
func newInstance(ctx context.Context, cfg config, engine string, size int, bin, tmp string) (*instance, error) {
	in := &instance{engine: engine, size: size, bin: bin, dir: fmt.Sprintf("%s/%s-%d", tmp, engine, size)}
	if err := os.Mkdir(in.dir, 0o755); err != nil {
		return in, err
	}
	if engine == "sqlite" {
		in.dbURL = "sqlite:" + in.dir + "/db.sqlite3"
		return in, nil
	}
	// The process id keeps two runs on one server apart.
	name := fmt.Sprintf("quarry_pages_%d_%d", size, os.Getpid())
	u, err := url.Parse(cfg.postgres)
	if err != nil {
		return in, fmt.Errorf("-postgres: %w", err)
	}
	u.Path = "/" + name
	in.dbURL = u.String()
	if err := adminExec(ctx, cfg.postgres, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return in, err
	}
	in.dropDB = func(ctx context.Context) error {
		// FORCE: a server that did not stop in time must not keep the
		// database alive.
		return adminExec(ctx, cfg.postgres, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return in, nil
}

// adminExec runs one statement on the PostgreSQL server's maintenance
// database; CREATE and DROP DATABASE cannot run in the database they name.
func adminExec(ctx context.Context, connURL, sql string) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgres: %s: %w", sql, err)
	}
	return nil
}

func (in *instance) String() string { return fmt.Sprintf("%s %d", in.engine, in.size) }

// env is the environment of every web command of this instance.
func (in *instance) env() []string {
	// Later entries win over the caller's own DATABASE_URL and LOG_LEVEL.
	// At warn the server logs only failures, not a line per request.
	return append(os.Environ(), "DATABASE_URL="+in.dbURL, "LOG_LEVEL=warn", "QUARRY_SUPERUSER_PASSWORD="+adminPassword)
}

// web runs one web command to completion.
func (in *instance) web(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, in.bin, args...)
	cmd.Env = in.env()
	cmd.SysProcAttr = childAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: web %s: %w\n%s", in, strings.Join(args, " "), err, out)
	}
	return nil
}

// prepare migrates and seeds the database and creates the superuser.
func (in *instance) prepare(ctx context.Context, cfg config, log io.Writer) error {
	if err := in.web(ctx, "migrate"); err != nil {
		return err
	}
	fmt.Fprintf(log, "%s: seeding %d products and %d posts\n", in, in.size, cfg.postsFor(in.size))
	start := time.Now()
	err := in.web(ctx, "seed", "--products", fmt.Sprint(in.size), "--posts", fmt.Sprint(cfg.postsFor(in.size)),
		"--customers", fmt.Sprint(cfg.customers), "--orders", fmt.Sprint(cfg.orders), "--reviews", fmt.Sprint(cfg.reviews))
	if err != nil {
		return err
	}
	in.seedTime = time.Since(start)
	fmt.Fprintf(log, "%s: seeded in %s\n", in, in.seedTime.Round(100*time.Millisecond))
	if err := in.web(ctx, "createsuperuser", "--noinput", "--username", adminUser, "--email", adminUser+"@example.com"); err != nil {
		return err
	}
	in.facts, err = lookUp(ctx, in.dbURL, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return nil
}

// start runs web serve on a free port and waits until it answers.
func (in *instance) start(ctx context.Context) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	logFile, err := os.Create(in.dir + "/server.log")
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own copy
	in.server = exec.Command(in.bin, "serve", "--no-migrate", "--addr", addr)
	in.server.Env = in.env()
	in.server.Stdout, in.server.Stderr = logFile, logFile
	in.server.SysProcAttr = childAttr()
	if err := in.server.Start(); err != nil {
		in.server = nil
		return fmt.Errorf("%s: web serve: %w", in, err)
	}
	in.exited = make(chan struct{})
	go func() {
		in.server.Wait()
		close(in.exited)
	}()
	in.base = "http://" + addr
	jar, _ := cookiejar.New(nil)
	// A client per server: cookies are per host, not per port, so servers
	// on one host would overwrite each other's session in a shared jar.
	in.client = &http.Client{
		Jar:       jar,
		Transport: &http.Transport{MaxIdleConnsPerHost: 2},
		Timeout:   5 * time.Minute,
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		status, _, _, err := in.get(ctx, "/healthz")
		if err == nil && status == http.StatusOK {
			return nil
		}
		select {
		case <-in.exited:
			return fmt.Errorf("%s: web serve exited at start:\n%s", in, in.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: web serve did not answer /healthz within a minute:\n%s", in, in.logTail())
		}
	}
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// close stops the server and drops the database; it is safe to call on
// an instance that got only part of the way.
func (in *instance) close(ctx context.Context) error {
	var errs []error
	if in.client != nil {
		in.client.CloseIdleConnections()
	}
	if in.server != nil {
		in.server.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.exited:
		case <-time.After(stopTimeout):
			in.server.Process.Kill()
			<-in.exited
			errs = append(errs, fmt.Errorf("%s: web serve did not stop within %s; killed", in, stopTimeout))
		}
	}
	if in.dropDB != nil {
		// Cleanup must run after an interrupt too, with a bound.
		dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dropTimeout)
		defer cancel()
		if err := in.dropDB(dropCtx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w; drop it by hand", in, err))
		}
	}
	return errors.Join(errs...)
}

// logTail is the end of the server's log, for error messages.
func (in *instance) logTail() string {
	b, err := os.ReadFile(in.dir + "/server.log")
	if err != nil {
		return err.Error()
	}
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// get requests path and reads the whole body; elapsed is the time from
// sending the request to the body's last byte, what a visitor waits.
func (in *instance) get(ctx context.Context, path string) (status int, body []byte, elapsed time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.base+path, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	start := time.Now()
	resp, err := in.client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, body, time.Since(start), err
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn logs in to the admin as a browser does: the login form's CSRF
// token (its cookie is in the jar), then the POST; the session cookie
// stays in the jar.
func (in *instance) signIn(ctx context.Context) error {
	status, body, _, err := in.get(ctx, "/admin/login/")
	if err != nil {
		return fmt.Errorf("%s: GET /admin/login/: %w", in, err)
	}
	m := csrfField.FindSubmatch(body)
	if status != http.StatusOK || m == nil {
		return fmt.Errorf("%s: GET /admin/login/: status %d, CSRF field found: %t", in, status, m != nil)
	}
	form := url.Values{"username": {adminUser}, "password": {adminPassword}, "next": {"/admin/"}, "_csrf": {string(m[1])}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.base+"/admin/login/", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := in.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: POST /admin/login/: %w", in, err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	// A refused login renders the form again, with status 200.
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/admin/" {
		return fmt.Errorf("%s: sign-in failed: status %d at %s\n%s", in, resp.StatusCode, resp.Request.URL.Path, snippet(body))
	}
	return nil
}

// snippet is the start of a response body, for error messages.
func snippet(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) > 600 {
		return string(body[:600]) + "…"
	}
	return string(body)
}
