package orm

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// DB is a connection pool to one database, PostgreSQL or SQLite. It is safe
// for concurrent use. Queries find it in their context (see WithDB).
type DB struct {
	dialect dialect  // writes the engine's SQL
	drv     dbDriver // runs it
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
	if url == "" {
		return nil, errors.New("orm: empty database URL")
	}
	for _, en := range engines {
		if en.accepts(url) {
			drv, dl, err := en.open(ctx, url)
			if err != nil {
				return nil, err
			}
			db.drv, db.dialect = drv, dl
			break
		}
	}
	return db, nil
}

// Close releases the pool.
func (db *DB) Close() { db.drv.close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.drv.ping(ctx) }

// Vendor names the database engine: "postgres" or "sqlite".
func (db *DB) Vendor() string { return db.dialect.name() }

// SQLDB returns a *sql.DB over the same database (for goose and other
// database/sql tools). On PostgreSQL the caller must close it.
func (db *DB) SQLDB() *sql.DB { return db.drv.sqlDB() }

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

// on is where c's statements run: its transaction, or the pool.
func (c conn) on() execer {
	if c.tx != nil {
		return c.tx.x
	}
	return c.db.drv
}

// rows is the part of pgx.Rows and *sql.Rows the ORM reads through. The
// drivers' rows report constraint errors from Err as IntegrityError: pgx
// and SQLite often raise them only while the rows are read.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Values() ([]any, error)
	Columns() []string
	Err() error
	Close()
}

// query runs a statement that returns rows. Outside a transaction, one that
// fails because its pooled connection was dead (the server restarted, an
// operator ended the backend) is run once more, on a fresh connection, when
// the driver says doing so cannot apply anything twice: the statement was
// never sent, or it is a SELECT. Inside a transaction the connection is the
// transaction's, so its failure stands.
func (c conn) query(ctx context.Context, query string, args []any) (rows, error) {
	start := time.Now()
	r, err := c.on().query(ctx, query, args)
	err = c.db.translate(err)
	c.db.trace(ctx, query, args, start, err)
	if err != nil && c.tx == nil && c.db.drv.retryable(ctx, err, isSelect(query)) {
		start = time.Now()
		r, err = c.db.drv.queryAgain(ctx, query, args)
		err = c.db.translate(err)
		c.db.trace(ctx, query, args, start, err)
	}
	return r, err
}

// isSelect reports whether query is a plain SELECT, which has no effect to
// repeat: the ORM's writes start with INSERT, UPDATE or DELETE (or WITH,
// for the ones that read too), and a lock outside a transaction is refused.
func isSelect(query string) bool {
	q := strings.TrimSpace(query)
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// exec runs a statement for its effect. Outside a transaction, one the
// driver never sent, because the pooled connection was found dead first,
// runs once more on a fresh connection; one that may have reached the
// server is never repeated.
func (c conn) exec(ctx context.Context, query string, args []any) (int64, error) {
	start := time.Now()
	n, err := c.on().exec(ctx, query, args)
	err = c.db.translate(err)
	c.db.trace(ctx, query, args, start, err)
	if err != nil && c.tx == nil && c.db.drv.retryable(ctx, err, false) {
		start = time.Now()
		n, err = c.db.drv.exec(ctx, query, args)
		err = c.db.translate(err)
		c.db.trace(ctx, query, args, start, err)
	}
	return n, err
}
