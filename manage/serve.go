package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/riverqueue/river"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/mail"
	"github.com/quarry-go/quarry/orm"
)

// ShutdownTimeout bounds how long in-flight requests may finish after a
// SIGINT or SIGTERM; container runtimes kill the process after about 10s.
const ShutdownTimeout = 8 * time.Second

// startupPingTimeout bounds the database check at start.
const startupPingTimeout = 5 * time.Second

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("serve")
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start; refuse to start while any is pending (run migrate instead)")
	return env.Serve(ctx, fs, args, func() bool { return !*noMigrate }, nil)
}

// Serve is the serve command, for a project's commands that serve too
// (Quarry's demo): it parses fs (with the flags every server has added)
// from args, opens and migrates the database (when migrate says so), runs
// prepare, and serves until ctx ends.
func (env *Env) Serve(ctx context.Context, fs *flag.FlagSet, args []string, migrate func() bool,
	prepare func(ctx context.Context, db *orm.DB) error) error {
	var cfg migrationsConfig
	cfg.register(fs, env)
	addr := fs.String("addr", envOr(env, "ADDR", ":8000"), "address to listen on, [HOST]:PORT (env ADDR)")
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.Resolve(env); err != nil {
		return err
	}
	log := cfg.Logger(env.Stderr)
	siteName, siteURL = envOr(env, "SITE_NAME", siteName), strings.TrimSuffix(env.Getenv("SITE_URL"), "/")
	if siteURL != "" {
		if u, err := url.Parse(siteURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("SITE_URL=%q: want scheme://host, as https://shop.example.com", siteURL)
		}
	}
	// Packages that log through slog's default (the shop's order
	// confirmations) then write the server's format, at its level.
	slog.SetDefault(log)

	db, err := cfg.OpenDB(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()

	// An unreachable database is reported but does not stop the server:
	// /healthz then answers 503, and the site recovers on its own when the
	// database comes up, which is what orchestrators expect.
	pingCtx, cancel := context.WithTimeout(ctx, startupPingTimeout)
	err = db.Ping(pingCtx)
	cancel()
	reachable := err == nil
	if err != nil {
		// Migrations wait for the next start then: failing here would
		// turn a database outage into a crash loop.
		log.Error("database unreachable; migrations not checked", "error", err)
	} else if err := migrateAtStart(ctx, env, &cfg, db, migrate(), log); err != nil {
		// A half-migrated or outdated schema must not serve requests.
		return err
	} else if prepare != nil {
		if err := prepare(ctx, db); err != nil {
			return err
		}
	}

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", *addr)
	if err != nil {
		return err
	}
	site := env.project.site()
	if err == nil {
		if err := printSetupLink(ctx, env, db, site, ln.Addr()); err != nil {
			log.Warn("could not check for a first user", "error", err)
		}
	}
	queue := &jobQueue{}
	if reachable {
		if queue.runner, err = startJobs(ctx, env, db, log); err != nil {
			ln.Close()
			return err
		}
	} else {
		go queue.startWhenReachable(ctx, env, db, log)
	}
	e, err := env.project.Handler(db, log)
	if err != nil {
		ln.Close()
		queue.stop(ctx, log)
		return err
	}
	err = serve(ctx, e, ln, log)
	queue.stop(ctx, log)
	return err
}

// jobsRetryEvery is how often a server that started without its database
// tries again to start the job queue.
var jobsRetryEvery = 2 * time.Second

// jobQueue is the server's job worker: started with the server, or, when
// the database could not be reached then, as soon as it can, so that an
// outage at start does not leave mail unsent (and the project's Jobs hook
// uninstalled) until the next restart.
type jobQueue struct {
	mu      sync.Mutex
	runner  *jobs.Runner
	stopped bool
}

func (q *jobQueue) startWhenReachable(ctx context.Context, env *Env, db *orm.DB, log *slog.Logger) {
	t := time.NewTicker(jobsRetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pingCtx, cancel := context.WithTimeout(ctx, startupPingTimeout)
		err := db.Ping(pingCtx)
		cancel()
		if err != nil {
			continue
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		if q.stopped {
			return
		}
		if q.runner, err = startJobs(ctx, env, db, log); err != nil {
			log.Error("the job queue did not start: mail is not sent until the next start", "error", err)
		} else if q.runner != nil {
			log.Info("database reachable: the job queue started")
		}
		return
	}
}

// stop drains the worker after the last request: a job a request
// enqueued is kept in the database for the next start if it cannot be
// worked now.
func (q *jobQueue) stop(ctx context.Context, log *slog.Logger) {
	q.mu.Lock()
	q.stopped = true
	r := q.runner
	q.mu.Unlock()
	if r == nil {
		return
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := r.Stop(stopCtx); err != nil {
		log.Warn("jobs did not stop in time; they run again at the next start", "error", err)
	}
}

// startJobs starts the worker of the job queue (mail among its jobs) once
// its tables exist, sending mail through EMAIL_URL's backend: the log by
// default, as Django's console backend.
func startJobs(ctx context.Context, env *Env, db *orm.DB, log *slog.Logger) (*jobs.Runner, error) {
	if !HasTable(orm.WithDB(ctx, db), "river_job") {
		log.Warn("the job queue's tables do not exist yet (migrate): mail is not sent")
		return nil, nil
	}
	backend, err := mail.FromURL(env.Getenv("EMAIL_URL"), env.Stderr)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.EmailWorker{Backend: backend, From: envOr(env, "DEFAULT_FROM_EMAIL", "webmaster@localhost")})
	if env.project.Jobs != nil {
		env.project.Jobs(workers, app.Server{Site: env.project.site(), Name: siteName, URL: siteURL})
	}
	r, err := jobs.NewRunner(db, workers, jobs.Config{Logger: log})
	if err != nil {
		return nil, err
	}
	// The runner outlives ctx's cancellation until Stop drains it.
	if err := r.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	return r, nil
}

// printSetupLink prints, on a database without a superuser, the one-time
// link that creates the first superuser in the browser.
func printSetupLink(ctx context.Context, env *Env, db *orm.DB, site *admin.Site, addr net.Addr) error {
	ctx = orm.WithDB(ctx, db)
	if !HasTable(ctx, "auth_user") {
		return nil
	}
	token, err := site.SetupToken(ctx)
	if err != nil || token == "" {
		return err
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	fmt.Fprintf(env.Stdout, "\nNo superuser exists yet. Create the first one at:\n\n    http://%s/admin/setup/%s/\n\nThe link works once, until the server stops. Or run: %s createsuperuser\n\n",
		net.JoinHostPort(host, port), token, env.project.name())
	return nil
}

// serve runs e on ln until ctx is cancelled, then shuts it down gracefully:
// it stops accepting connections and waits up to ShutdownTimeout for the
// requests in flight.
func serve(ctx context.Context, e *echo.Echo, ln net.Listener, log *slog.Logger) error {
	e.Listener = ln
	errc := make(chan error, 1)
	go func() { errc <- e.Start(ln.Addr().String()) }()
	log.Info("serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := e.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
