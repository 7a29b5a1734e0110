// Package jobs runs work after the request that asked for it, from a
// queue kept in the database: River (github.com/riverqueue/river), on
// PostgreSQL through pgx and on SQLite through database/sql.
//
// A job is enqueued in the transaction of the change it belongs to
// (Enqueue joins the ORM's orm.Atomic transaction in the context), so a
// rolled-back change enqueues nothing and a committed one is never lost,
// even if the process dies right after the commit. A Runner, started by
// `web serve`, works the jobs, retrying a failure with growing backoff
// (River's default: the attempt number to the fourth power, in seconds)
// until MaxAttempts, after which the job is discarded and shown on the
// admin's failed-jobs page.
//
// River's tables are created by a goose migration like every other
// (MigrationSQL writes it; a test keeps the file in step with River).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/quarry-go/quarry/orm"
)

// client is a River client without its transaction type, which differs
// by engine (pgx.Tx, *sql.Tx).
type client interface {
	insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	list(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

type riverClient[TTx any] struct {
	c  *river.Client[TTx]
	tx func(context.Context) (TTx, bool)
}

func (r riverClient[TTx]) insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if tx, ok := r.tx(ctx); ok {
		return r.c.InsertTx(ctx, tx, args, opts)
	}
	return r.c.Insert(ctx, args, opts)
}

func (r riverClient[TTx]) start(ctx context.Context) error { return r.c.Start(ctx) }
func (r riverClient[TTx]) stop(ctx context.Context) error  { return r.c.Stop(ctx) }
func (r riverClient[TTx]) list(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error) {
	return r.c.JobList(ctx, p)
}

// newClient is a River client on db's pool. With no workers it only
// inserts and lists.
func newClient(db *orm.DB, cfg *river.Config) (client, error) {
	switch db.Vendor() {
	case "postgres":
		c, err := river.NewClient(riverpgxv5.New(db.Pool()), cfg)
		return riverClient[pgx.Tx]{c, orm.PgxTx}, err
	case "sqlite":
		// SQLite has no LISTEN: River's workers poll.
		cfg.PollOnly = true
		c, err := river.NewClient(riversqlite.New(db.SQLDB()), cfg)
		return riverClient[*sql.Tx]{c, orm.SQLTx}, err
	}
	return nil, fmt.Errorf("jobs: no River driver for %s", db.Vendor())
}

// inserters are the clients that insert and list, one per database, made on first
// use: enqueueing needs only the database the context carries.
var inserters sync.Map // *orm.DB → client

// inserter is the insert-only client of the context's database.
func inserter(ctx context.Context) (client, error) {
	db := orm.FromContext(ctx)
	if db == nil {
		return nil, errors.New("jobs: no database in the context")
	}
	if c, ok := inserters.Load(db); ok {
		return c.(client), nil
	}
	c, err := newClient(db, &river.Config{SkipUnknownJobCheck: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	actual, _ := inserters.LoadOrStore(db, c)
	return actual.(client), nil
}

// Enqueue adds a job to the queue of the context's database, in the
// context's transaction when there is one.
func Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	c, err := inserter(ctx)
	if err != nil {
		return err
	}
	_, err = c.insert(ctx, args, opts)
	return err
}

// Config is how a Runner works.
type Config struct {
	Workers int // jobs worked at once; 4 when 0
	// PollInterval is how often an idle runner looks for new jobs where
	// the database cannot notify it (SQLite); one second when 0.
	PollInterval time.Duration
	// RetryDelay, when set, is the wait before every retry instead of
	// River's growing backoff: for tests, and for queues that must not
	// wait hours.
	RetryDelay time.Duration
	Logger     *slog.Logger
}

// fixedDelay retries after the same delay each time.
type fixedDelay time.Duration

func (d fixedDelay) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }

// Runner works the queue's jobs in the background.
type Runner struct {
	c client
}

// NewRunner is a runner of the jobs registered in workers (river.AddWorker),
// on db.
func NewRunner(db *orm.DB, workers *river.Workers, cfg Config) (*Runner, error) {
	n := cfg.Workers
	if n <= 0 {
		n = 4
	}
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	rc := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}},
		Workers:           workers,
		FetchPollInterval: poll,
		Logger:            log,
	}
	if cfg.RetryDelay > 0 {
		rc.RetryPolicy = fixedDelay(cfg.RetryDelay)
	}
	c, err := newClient(db, rc)
	if err != nil {
		return nil, err
	}
	return &Runner{c: c}, nil
}

// Start begins working jobs until ctx ends or Stop is called.
func (r *Runner) Start(ctx context.Context) error { return r.c.start(ctx) }

// Stop stops fetching jobs and waits for the running ones to finish, or
// for ctx to end.
func (r *Runner) Stop(ctx context.Context) error { return r.c.stop(ctx) }

// Failed are the jobs that gave up (discarded after their last attempt,
// or cancelled by a permanent error) or wait for another attempt after an
// error (retryable), latest first, at most n, from the database in ctx.
func Failed(ctx context.Context, n int) ([]*rivertype.JobRow, error) {
	c, err := inserter(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.list(ctx, river.NewJobListParams().
		States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(n))
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}
