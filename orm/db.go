package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DB is a connection pool to one database, PostgreSQL or SQLite. It is safe
// for concurrent use. Queries find it in their context (see WithDB).
type DB struct {
	dialect dialect
	pg      *pgxpool.Pool // PostgreSQL
	sql     *sql.DB       // SQLite
	tracer  Tracer
	log     *slog.Logger
}

// Option configures Open.
type Option func(*DB)

// WithTracer sends every statement the DB runs to t.
func WithTracer(t Tracer) Option { return func(db *DB) { db.tracer = t } }

// WithLogger logs every statement at debug level on l (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// Open connects to the database named by url:
//
//	postgres://user@host:5432/name?sslmode=disable   PostgreSQL, through a pgx pool
//	sqlite:path/to/file.sqlite3  (or sqlite://path, or a bare file path)   SQLite
//	sqlite::memory:   an in-memory SQLite database, on a single connection
//	                  (a query outside a transaction waits for it to end)
//
// SQLite databases are opened in WAL mode with foreign keys on and a busy
// timeout, so that concurrent writers wait instead of failing.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	db := &DB{log: slog.Default()}
	for _, o := range opts {
		o(db)
	}
	switch {
	case url == "":
		return nil, errors.New("orm: empty database URL")
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			return nil, fmt.Errorf("orm: %w", err)
		}
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			pgxdecimal.Register(c.TypeMap())
			return nil
		}
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("orm: %w", err)
		}
		db.pg, db.dialect = pool, postgres{}
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
		if path == "" {
			return nil, errors.New("orm: sqlite URL names no file")
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		dsn := "file:" + strings.TrimPrefix(path, "file:") + sep +
			"_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		sdb, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("orm: %w", err)
		}
		if path == ":memory:" || strings.HasPrefix(path, ":memory:?") || strings.Contains(path, "mode=memory") {
			// Each connection to an in-memory database has a database of
			// its own: one connection, so every query sees the same one.
			sdb.SetMaxOpenConns(1)
		}
		db.sql, db.dialect = sdb, sqlite{}
	}
	return db, nil
}

// Close releases the pool.
func (db *DB) Close() {
	if db.pg != nil {
		db.pg.Close()
	}
	if db.sql != nil {
		db.sql.Close()
	}
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if db.pg != nil {
		err := db.pg.Ping(ctx)
		// One dead pooled connection is not a database down: the ping
		// is tried again, as a read would be, past the dead ones.
		if err != nil && ctx.Err() == nil && connectionLost(err) {
			db.dropDeadIdle(ctx)
			err = db.pg.Ping(ctx)
		}
		return err
	}
	return db.sql.PingContext(ctx)
}

// Vendor names the database engine: "postgres" or "sqlite".
func (db *DB) Vendor() string { return db.dialect.name() }

// Pool returns the underlying pgx pool, or nil on SQLite.
func (db *DB) Pool() *pgxpool.Pool { return db.pg }

// SQLDB returns a *sql.DB over the same database (for goose and other
// database/sql tools). On PostgreSQL the caller must close it.
func (db *DB) SQLDB() *sql.DB {
	if db.sql != nil {
		return db.sql
	}
	return stdlibOpen(db.pg)
}

type dbKey struct{}

// WithDB returns a context whose queries run on db. A transaction started
// by Atomic travels in the context the same way.
func WithDB(ctx context.Context, db *DB) context.Context {
	return context.WithValue(ctx, dbKey{}, db)
}

// FromContext returns the DB that ctx carries, or nil.
func FromContext(ctx context.Context) *DB {
	db, _ := ctx.Value(dbKey{}).(*DB)
	return db
}

// ErrNoDB is returned when a query runs on a context that carries no DB.
var ErrNoDB = errors.New("orm: no database in context (use orm.WithDB)")

// conn is what statements run on: the pool, or the transaction in ctx.
type conn struct {
	db *DB
	tx *txState // nil outside a transaction
}

func connFrom(ctx context.Context) (conn, error) {
	if tx := txFrom(ctx); tx != nil {
		return conn{db: tx.db, tx: tx}, nil
	}
	db := FromContext(ctx)
	if db == nil {
		return conn{}, ErrNoDB
	}
	return conn{db: db}, nil
}

// rows is the part of pgx.Rows and *sql.Rows the ORM reads through.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Values() ([]any, error)
	Columns() []string
	Err() error
	Close()
}

// pgRows and sqlRows report constraint errors as IntegrityError: pgx and
// SQLite often raise them only while the rows are read.
type pgRows struct {
	pgx.Rows
	db *DB
}

func (r pgRows) Err() error { return r.db.translate(r.Rows.Err()) }

func (r pgRows) Columns() []string {
	fds := r.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	return cols
}

type sqlRows struct {
	*sql.Rows
	db *DB
}

func (r sqlRows) Err() error { return r.db.translate(r.Rows.Err()) }

func (r sqlRows) Close() { r.Rows.Close() }

func (r sqlRows) Columns() []string {
	cols, _ := r.Rows.Columns()
	return cols
}

func (r sqlRows) Values() ([]any, error) {
	vals := make([]any, len(r.Columns()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.Rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	return vals, nil
}

// query runs a statement that returns rows. Outside a transaction, one that
// fails because its pooled connection was dead (the server restarted, an
// operator ended the backend) is run once more, on a fresh connection, when
// doing so cannot apply anything twice: pgx says the statement was never
// sent, or it is a SELECT. Inside a transaction the connection is the
// transaction's, so its failure stands.
func (c conn) query(ctx context.Context, query string, args []any) (rows, error) {
	r, err := c.queryOnce(ctx, query, args)
	if err != nil && c.retryable(ctx, err, isSelect(query)) {
		r, err = c.queryAgain(ctx, query, args)
	}
	return r, err
}

// queryAgain is the one retry, on a connection that has just answered a
// ping: others of the pool may have died with the first, and be in use
// still, out of reach of dropDeadIdle.
func (c conn) queryAgain(ctx context.Context, query string, args []any) (rows, error) {
	start := time.Now()
	var r rows
	pc, err := c.db.liveConn(ctx)
	if err == nil {
		var pr pgx.Rows
		if pr, err = pc.Query(ctx, query, args...); err == nil {
			held := &heldRows{peekedRows: peekedRows{Rows: pr}, conn: pc}
			held.pending = pr.Next()
			if !held.pending {
				err = pr.Err()
			}
			if err == nil {
				r = pgRows{held, c.db}
			} else {
				held.Close()
			}
		} else {
			pc.Release()
		}
	}
	err = c.db.translate(err)
	c.db.trace(ctx, query, args, start, err)
	return r, err
}

// liveConn acquires a pooled connection that answers a ping, closing the
// dead ones it meets on the way.
func (db *DB) liveConn(ctx context.Context) (*pgxpool.Conn, error) {
	var err error
	for range 3 {
		var pc *pgxpool.Conn
		if pc, err = db.pg.Acquire(ctx); err != nil {
			return nil, err
		}
		if err = pc.Ping(ctx); err == nil {
			return pc, nil
		}
		pc.Conn().Close(ctx)
		pc.Release()
	}
	return nil, err
}

// heldRows returns its connection to the pool once read, as the pool's
// own Query does.
type heldRows struct {
	peekedRows
	conn *pgxpool.Conn
}

func (h *heldRows) Next() bool {
	if h.peekedRows.Next() {
		return true
	}
	h.Close()
	return false
}

func (h *heldRows) Close() {
	h.Rows.Close()
	if h.conn != nil {
		h.conn.Release()
		h.conn = nil
	}
}

// retryable reports whether a statement that failed with err may run again
// on another connection; read says it changes nothing. A lost connection
// rarely dies alone (a restart or failover ends them all), so the idle ones
// are checked first: the retry, and the statements after it, must not
// meet another dead one.
func (c conn) retryable(ctx context.Context, err error, read bool) bool {
	if c.tx != nil || c.db.pg == nil || ctx.Err() != nil {
		return false
	}
	safe := pgconn.SafeToRetry(err) || (read && connectionLost(err))
	if safe || connectionLost(err) {
		c.db.dropDeadIdle(ctx)
	}
	return safe
}

// dropDeadIdle pings the pool's idle connections and closes those that do
// not answer, so that the pool makes new ones instead of handing them out.
func (db *DB) dropDeadIdle(ctx context.Context) {
	for _, ic := range db.pg.AcquireAllIdle(ctx) {
		if err := ic.Ping(ctx); err != nil {
			ic.Conn().Close(ctx)
		}
		ic.Release()
	}
}

// isSelect reports whether query is a plain SELECT, which has no effect to
// repeat: the ORM's writes start with INSERT, UPDATE or DELETE (or WITH,
// for the ones that read too), and a lock outside a transaction is refused.
func isSelect(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// peekedRows has read its first row already, so that a failure to run the
// statement at all, which pgx reports only when the rows are read, shows
// in query while the statement can still be retried.
type peekedRows struct {
	pgx.Rows
	pending bool
}

func (p *peekedRows) Next() bool {
	if p.pending {
		p.pending = false
		return true
	}
	return p.Rows.Next()
}

func (c conn) queryOnce(ctx context.Context, query string, args []any) (rows, error) {
	start := time.Now()
	var (
		r   rows
		err error
	)
	switch {
	case c.tx != nil && c.tx.pg != nil:
		var pr pgx.Rows
		if pr, err = c.tx.pg.Query(ctx, query, args...); err == nil {
			r = pgRows{pr, c.db}
		}
	case c.tx != nil:
		var sr *sql.Rows
		if sr, err = c.tx.sql.QueryContext(ctx, query, args...); err == nil {
			r = sqlRows{sr, c.db}
		}
	case c.db.pg != nil:
		var pr pgx.Rows
		if pr, err = c.db.pg.Query(ctx, query, args...); err == nil {
			peeked := &peekedRows{Rows: pr, pending: pr.Next()}
			if !peeked.pending {
				err = pr.Err()
			}
			if err == nil {
				r = pgRows{peeked, c.db}
			}
		}
	default:
		var sr *sql.Rows
		if sr, err = c.db.sql.QueryContext(ctx, query, args...); err == nil {
			r = sqlRows{sr, c.db}
		}
	}
	err = c.db.translate(err)
	c.db.trace(ctx, query, args, start, err)
	return r, err
}

// exec runs a statement for its effect. Outside a transaction, one pgx
// never sent, because the pooled connection was found dead first, runs
// once more on a fresh connection; one that may have reached the server is
// never repeated.
func (c conn) exec(ctx context.Context, query string, args []any) (int64, error) {
	n, err := c.execOnce(ctx, query, args)
	if err != nil && c.retryable(ctx, err, false) {
		n, err = c.execOnce(ctx, query, args)
	}
	return n, err
}

func (c conn) execOnce(ctx context.Context, query string, args []any) (int64, error) {
	start := time.Now()
	var (
		n   int64
		err error
	)
	switch {
	case c.tx != nil && c.tx.pg != nil:
		var tag pgconn.CommandTag
		if tag, err = c.tx.pg.Exec(ctx, query, args...); err == nil {
			n = tag.RowsAffected()
		}
	case c.tx != nil:
		var res sql.Result
		if res, err = c.tx.sql.ExecContext(ctx, query, args...); err == nil {
			n, _ = res.RowsAffected()
		}
	case c.db.pg != nil:
		var tag pgconn.CommandTag
		if tag, err = c.db.pg.Exec(ctx, query, args...); err == nil {
			n = tag.RowsAffected()
		}
	default:
		var res sql.Result
		if res, err = c.db.sql.ExecContext(ctx, query, args...); err == nil {
			n, _ = res.RowsAffected()
		}
	}
	err = c.db.translate(err)
	c.db.trace(ctx, query, args, start, err)
	return n, err
}

// copyFrom runs PostgreSQL's COPY through the pool or the transaction.
func (c conn) copyFrom(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error) {
	start := time.Now()
	var (
		n   int64
		err error
	)
	if c.tx != nil {
		n, err = c.tx.pg.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	} else {
		n, err = c.db.pg.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	}
	err = c.db.translate(err)
	c.db.trace(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(cols, ", ")), nil, start, err)
	return n, err
}
