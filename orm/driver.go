package orm

import (
	"context"
	"database/sql"
	"unsafe"
)

// The ORM talks to an engine through two contracts. dialect (dialect.go)
// is the SQL-writing half: stateless, it compiles queries and DDL without
// a connection. dbDriver is the execution half: it owns the engine's pool,
// runs statements, opens transactions, streams bulk inserts and turns the
// client library's errors into the ORM's. Each engine fulfils both in its
// own files (postgres.go and pgx.go, sqlite.go and sqlitedriver.go); the
// rest of the package reaches an engine through them.

// execer is where a statement runs: an engine's pool, in autocommit, or
// one of its transactions. Errors come back as the client library gave
// them; conn translates and traces them.
type execer interface {
	query(ctx context.Context, sql string, args []any) (rows, error)
	exec(ctx context.Context, sql string, args []any) (int64, error)
}

// dbDriver is one engine's connection pool.
type dbDriver interface {
	execer
	// begin starts a transaction on a connection of its own.
	begin(ctx context.Context) (txDriver, error)
	// retryable reports whether a statement that failed with err outside
	// a transaction may run once more, through queryAgain or exec; read
	// says it changes nothing. It may first clear the pool of the
	// connections the failure suggests are dead.
	retryable(ctx context.Context, err error, read bool) bool
	// queryAgain is the one retry of a query, on a connection known to be
	// alive.
	queryAgain(ctx context.Context, sql string, args []any) (rows, error)
	// translate turns the client library's errors into the ORM's:
	// constraint violations into IntegrityError, an unreachable or busy
	// database into UnavailableError. nil stays nil.
	translate(err error) error
	// insertRows inserts objs, instances of m whose values are prepared,
	// in as few statements as the engine allows, and sets the keys the
	// database assigns. oneStatement says whether insertRows takes them
	// in a single statement, atomic without a transaction around it.
	insertRows(ctx context.Context, c conn, m *Meta, objs []unsafe.Pointer) error
	oneStatement(m *Meta, objs []unsafe.Pointer) bool
	// estimateRows reads the planner's row count for a table
	// (EstimatedCount); ok is false before the table was ever analysed.
	estimateRows(ctx context.Context, c conn, table string) (n int64, ok bool, err error)
	// analyze refreshes a table's statistics (Analyze), vacuuming it too
	// outside a transaction where the engine can.
	analyze(ctx context.Context, c conn, table string) error
	caps() capabilities
	ping(ctx context.Context) error
	// sqlDB is a database/sql handle on the same database (see
	// DB.SQLDB).
	sqlDB() *sql.DB
	close()
}

// txDriver is a transaction of an engine.
type txDriver interface {
	execer
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

// capabilities are what the ORM asks of an engine beyond plain SQL.
type capabilities struct {
	// cursors: DECLARE … CURSOR and FETCH, so that Iter reads a large
	// result a chunk at a time.
	cursors bool
	// arrayParams: a list of keys binds as one array parameter, so that
	// any number of them fit one statement (prefetching).
	arrayParams bool
	// numberedParams: placeholders are $1, $2, …, and a raw query's ?
	// are rewritten to them.
	numberedParams bool
	// maxParams is the most bound parameters a statement may have.
	maxParams int
}

// engine is how Open recognises an engine's URLs and connects to it.
type engine struct {
	accepts func(url string) bool
	open    func(ctx context.Context, url string) (dbDriver, dialect, error)
	// connectFailed reports whether err is the client library's failure
	// to connect at all (see IsUnavailable).
	connectFailed func(err error) bool
}

// engines in the order Open tries them: SQLite, last, takes any path.
var engines = [...]*engine{&pgxEngine, &sqliteEngine}

// asPointers views a slice of pointers to model instances as the untyped
// pointers the drivers take, without copying it.
func asPointers[T any](objs []*T) []unsafe.Pointer {
	return unsafe.Slice((*unsafe.Pointer)(unsafe.Pointer(unsafe.SliceData(objs))), len(objs))
}
