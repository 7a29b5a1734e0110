package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/shopspring/decimal"
)

// The PostgreSQL driver: a pgx pool (the SQL it is sent is postgres.go's).

var pgxEngine = engine{
	accepts: func(url string) bool {
		return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
	},
	open: openPgx,
	connectFailed: func(err error) bool {
		var connectErr *pgconn.ConnectError
		return errors.As(err, &connectErr)
	},
}

func openPgx(ctx context.Context, url string) (dbDriver, dialect, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("orm: %w", err)
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		pgxdecimal.Register(c.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("orm: %w", err)
	}
	return &pgxDriver{pool: pool}, postgres{}, nil
}

type pgxDriver struct{ pool *pgxpool.Pool }

var (
	_ dbDriver = (*pgxDriver)(nil)
	_ txDriver = pgxTx{}
	_ pgCopier = (*pgxDriver)(nil)
	_ pgCopier = pgxTx{}
)

// Pool returns the underlying pgx pool, or nil on SQLite.
func (db *DB) Pool() *pgxpool.Pool {
	if d, ok := db.drv.(*pgxDriver); ok {
		return d.pool
	}
	return nil
}

// PgxTx is the PostgreSQL transaction ctx carries, and SQLTx the SQLite
// one, for a library that must write in the same transaction as the ORM
// (a job queue's InsertTx): ok is false outside Atomic or on the other
// engine. Statements run through it are not traced.
func PgxTx(ctx context.Context) (tx pgx.Tx, ok bool) {
	if t := txFrom(ctx); t != nil {
		if pt, ok := t.x.(pgxTx); ok {
			return pt.tx, true
		}
	}
	return nil, false
}

func (pgxDriver) caps() capabilities {
	return capabilities{cursors: true, arrayParams: true, numberedParams: true, maxParams: pgMaxVars}
}

// pgMaxVars is PostgreSQL's limit on a statement's parameters.
const pgMaxVars = 65535

func (d *pgxDriver) close() { d.pool.Close() }

func (d *pgxDriver) sqlDB() *sql.DB { return stdlib.OpenDBFromPool(d.pool) }

func (d *pgxDriver) ping(ctx context.Context) error {
	err := d.pool.Ping(ctx)
	// One dead pooled connection is not a database down: the ping is
	// tried again, as a read would be, past the dead ones.
	if err != nil && ctx.Err() == nil && pgLost(err) {
		d.dropDeadIdle(ctx)
		err = d.pool.Ping(ctx)
	}
	return err
}

// query reads the first row before it returns: a failure to run the
// statement at all, which pgx reports only when the rows are read, shows
// here, while the statement can still be retried.
func (d *pgxDriver) query(ctx context.Context, query string, args []any) (rows, error) {
	pr, err := d.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	peeked := &peekedRows{Rows: pr, pending: pr.Next()}
	if !peeked.pending {
		if err := pr.Err(); err != nil {
			return nil, err
		}
	}
	return pgRows{peeked}, nil
}

func (d *pgxDriver) exec(ctx context.Context, query string, args []any) (int64, error) {
	tag, err := d.pool.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (d *pgxDriver) begin(ctx context.Context) (txDriver, error) {
	tx, err := d.pool.Begin(ctx)
	// Nothing has happened yet, so a BEGIN that met a dead pooled
	// connection is always safe to send again.
	if err != nil && ctx.Err() == nil && pgLost(err) {
		d.dropDeadIdle(ctx)
		tx, err = d.pool.Begin(ctx)
	}
	if err != nil {
		return nil, err
	}
	return pgxTx{tx.(*pgxpool.Tx)}, nil
}

// retryable: pgx says the statement was never sent, or it is a read and
// its connection was lost. A lost connection rarely dies alone (a restart
// or failover ends them all), so the idle ones are checked first: the
// retry, and the statements after it, must not meet another dead one.
func (d *pgxDriver) retryable(ctx context.Context, err error, read bool) bool {
	if ctx.Err() != nil {
		return false
	}
	lost := pgLost(err)
	safe := pgconn.SafeToRetry(err) || (read && lost)
	if safe || lost {
		d.dropDeadIdle(ctx)
	}
	return safe
}

// queryAgain runs on a connection that has just answered a ping: others
// of the pool may have died with the first, and be in use still, out of
// reach of dropDeadIdle.
func (d *pgxDriver) queryAgain(ctx context.Context, query string, args []any) (rows, error) {
	pc, err := d.liveConn(ctx)
	if err != nil {
		return nil, err
	}
	pr, err := pc.Query(ctx, query, args...)
	if err != nil {
		pc.Release()
		return nil, err
	}
	held := &heldRows{peekedRows: peekedRows{Rows: pr}, conn: pc}
	held.pending = pr.Next()
	if !held.pending {
		if err := pr.Err(); err != nil {
			held.Close()
			return nil, err
		}
	}
	return pgRows{held}, nil
}

// liveConn acquires a pooled connection that answers a ping, closing the
// dead ones it meets on the way.
func (d *pgxDriver) liveConn(ctx context.Context) (*pgxpool.Conn, error) {
	var err error
	for range 3 {
		var pc *pgxpool.Conn
		if pc, err = d.pool.Acquire(ctx); err != nil {
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

// dropDeadIdle pings the pool's idle connections and closes those that do
// not answer, so that the pool makes new ones instead of handing them out.
func (d *pgxDriver) dropDeadIdle(ctx context.Context) {
	for _, ic := range d.pool.AcquireAllIdle(ctx) {
		if err := ic.Ping(ctx); err != nil {
			ic.Conn().Close(ctx)
		}
		ic.Release()
	}
}

// pgxTx holds pgxpool's own transaction, a pointer, so that it makes a
// txDriver without an allocation.
type pgxTx struct{ tx *pgxpool.Tx }

func (t pgxTx) query(ctx context.Context, query string, args []any) (rows, error) {
	pr, err := t.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{pr}, nil
}

func (t pgxTx) exec(ctx context.Context, query string, args []any) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (t pgxTx) commit(ctx context.Context) error { return t.tx.Commit(ctx) }

func (t pgxTx) rollback(ctx context.Context) error {
	return t.tx.Rollback(context.WithoutCancel(ctx))
}

// pgRows reports constraint errors as IntegrityError: pgx often raises
// them only while the rows are read.
type pgRows struct{ pgx.Rows }

func (r pgRows) Err() error { return pgTranslate(r.Rows.Err()) }

func (r pgRows) Columns() []string {
	fds := r.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	return cols
}

// peekedRows has read its first row already (see pgxDriver.query).
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

func (pgxDriver) translate(err error) error { return pgTranslate(err) }

var pgKeyDetail = regexp.MustCompile(`^Key \((.+?)\)=`)

var pgIntegrityKinds = map[string]string{"23505": "unique", "23514": "check", "23502": "not_null", "23503": "foreign_key"}

func pgTranslate(err error) error {
	if err == nil {
		return nil
	}
	if pgLost(err) {
		return unavailable(err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	kind := pgIntegrityKinds[pgErr.Code]
	if kind == "" {
		return err
	}
	ie := &IntegrityError{Kind: kind, Constraint: pgErr.ConstraintName, Err: err}
	var cols []string
	if sub := pgKeyDetail.FindStringSubmatch(pgErr.Detail); sub != nil {
		cols = strings.Split(sub[1], ", ")
	} else if pgErr.ColumnName != "" {
		cols = []string{pgErr.ColumnName}
	}
	ie.fill(modelByTable(pgErr.TableName), cols)
	return ie
}

// pgLost classifies pgx's errors (see connectionLost).
func pgLost(err error) bool {
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case connectionLost(err), errors.As(err, &connectErr), errors.Is(err, pgconn.ErrConnClosed):
		return true
	case errors.As(err, &pgErr):
		return pgUnavailable(pgErr.Code)
	}
	// pgxpool says a closed pool only in words.
	return strings.Contains(err.Error(), "closed pool")
}

// pgUnavailable is true for PostgreSQL's connection exceptions (class 08),
// too many connections, and the shutdown codes a terminated backend sends.
func pgUnavailable(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "53300", // too_many_connections
		code == "57P01", // admin_shutdown: pg_terminate_backend, a fast shutdown
		code == "57P02", // crash_shutdown
		code == "57P03": // cannot_connect_now: starting up or shutting down
		return true
	}
	return false
}

// Statistics: PostgreSQL's planner keeps them in pg_class.

// analyze vacuums too outside a transaction, where VACUUM may run.
func (pgxDriver) analyze(ctx context.Context, c conn, table string) error {
	stmt := "ANALYZE " + quote(table)
	if c.tx == nil {
		stmt = "VACUUM (ANALYZE) " + quote(table)
	}
	_, err := c.exec(ctx, stmt, nil)
	return err
}

// The planner's own estimate: reltuples per page times the pages the
// table has now, so a table that grew since it was analysed is not
// under-counted. reltuples is -1 before the first ANALYZE.
const pgEstimateSQL = `SELECT CASE WHEN c.reltuples < 0 THEN -1
	WHEN c.relpages = 0 THEN c.reltuples::bigint
	ELSE (c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::bigint))::bigint END
	FROM pg_class c WHERE c.oid = to_regclass($1)`

func (pgxDriver) estimateRows(ctx context.Context, c conn, table string) (int64, bool, error) {
	r, err := c.query(ctx, pgEstimateSQL, []any{quote(table)})
	if err != nil {
		return 0, false, err
	}
	defer r.Close()
	var n *int64
	if r.Next() {
		if err := r.Scan(&n); err != nil {
			return 0, false, err
		}
	}
	if err := r.Err(); err != nil {
		return 0, false, err
	}
	if n == nil || *n < 0 {
		return 0, false, nil
	}
	return *n, true, nil
}

// Bulk inserts: a batch of up to pgUnnestMax rows is one INSERT … SELECT
// FROM unnest(…), which also takes the keys from the table's sequence; a
// larger one reserves its keys, then streams with COPY.

func (pgxDriver) oneStatement(_ *Meta, objs []unsafe.Pointer) bool { return len(objs) <= pgUnnestMax }

func (pgxDriver) insertRows(ctx context.Context, c conn, m *Meta, objs []unsafe.Pointer) error {
	if len(objs) <= pgUnnestMax {
		return pgUnnestBatch(ctx, c, m, objs)
	}
	return pgCopyBatch(ctx, c, m, objs)
}

// pgCopier is the pool or a transaction, which COPY can run through.
type pgCopier interface {
	copyFrom(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error)
}

func (d *pgxDriver) copyFrom(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error) {
	return d.pool.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
}

func (t pgxTx) copyFrom(ctx context.Context, table string, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
}

// pgUnnestMax is the largest batch PostgreSQL gets as one INSERT of
// arrays. The INSERT saves three round trips but writes row by row, where
// COPY writes pages: measured against pgx's CopyFrom (bench), the INSERT
// is on par at 100 rows and COPY is ahead from 300 (1.35-1.6x against
// 0.9-1.3x at 300 rows, 1.5x against 1.2x at 1,000, 2.5x against 1.1-1.25x
// at 10,000).
const pgUnnestMax = 100

// pgUnnestBatch inserts objs with one statement whatever their number: each
// column's values travel as one array parameter, so the SQL is the same
// for every batch of the model and pgx prepares it once. Objects without
// a key take one from the sequence inside the statement, which returns
// every key in the objects' order.
func pgUnnestBatch(ctx context.Context, c conn, m *Meta, objs []unsafe.Pointer) error {
	st := pgUnnestStatement(m)
	args := make([]any, 0, len(m.Fields)+2)
	if st.returning {
		args = append(args, quote(m.Table), m.PK.Column)
	}
	for _, f := range m.Fields {
		col := newPGArray(f, len(objs), c.db.dialect)
		for _, obj := range objs {
			if err := col.add(obj); err != nil {
				return err
			}
		}
		args = append(args, col.value())
	}
	if !st.returning {
		_, err := c.exec(ctx, st.sql, args)
		return err
	}
	r, err := c.query(ctx, st.sql, args)
	if err != nil {
		return err
	}
	dst := make([]any, 1) // one slice for every row: Scan's variadic argument escapes
	i := 0
	for r.Next() && i < len(objs) {
		dst[0] = c.db.dialect.scanTarget(m.PK, objs[i])
		if err := r.Scan(dst...); err != nil {
			r.Close()
			return err
		}
		i++
	}
	r.Close()
	return r.Err()
}

type unnestStatement struct {
	sql       string
	returning bool // the key is automatic: $1 and $2 name its sequence
}

// unnestStatements caches each model's unnestStatement (*Meta → it), so
// that a batch does not render the column types and the SQL again.
var unnestStatements sync.Map

// pgUnnestStatement is, for an automatic key,
//
//	WITH s AS (SELECT COALESCE(NULLIF(c1, 0), nextval(…)) AS c1, c2, …, o
//	  FROM unnest($3::bigint[], $4::text[], …) WITH ORDINALITY AS u(c1, c2, …, o)),
//	i AS (INSERT INTO t (id, …) SELECT c1, c2, … FROM s)
//	SELECT c1 FROM s ORDER BY o
//
// PostgreSQL does not promise RETURNING rows in the order of the input:
// here each row's key is drawn in s, next to its position o in the
// arrays, and s is computed once for both the INSERT and the SELECT, so
// the keys come back exactly in the objects' order. A key given on an
// object is kept (its slot is 0 when it has none). Any other primary key
// is a plain column and nothing is returned.
func pgUnnestStatement(m *Meta) *unnestStatement {
	if st, ok := unnestStatements.Load(m); ok {
		return st.(*unnestStatement)
	}
	st := &unnestStatement{returning: m.PK.Kind == KindAuto}
	var b strings.Builder
	n := 1
	if st.returning {
		n = 3
	}
	cols, names, arrays := make([]string, len(m.Fields)), make([]string, len(m.Fields)), make([]string, len(m.Fields))
	for i, f := range m.Fields {
		cols[i] = quote(f.Column)
		names[i] = "c" + strconv.Itoa(i+1)
		t, _, _ := strings.Cut(postgres{}.columnType(f), "(") // typmods are checked on insert
		arrays[i] = "$" + strconv.Itoa(n+i) + "::" + t + "[]"
	}
	insert := "INSERT INTO " + quote(m.Table) + " (" + strings.Join(cols, ", ") + ") SELECT "
	if !st.returning {
		b.WriteString(insert + "* FROM unnest(" + strings.Join(arrays, ", ") + ")")
	} else {
		b.WriteString("WITH s AS (SELECT COALESCE(NULLIF(c1, 0), nextval((SELECT pg_get_serial_sequence($1, $2)::regclass))) AS c1")
		for _, name := range names[1:] {
			b.WriteString(", " + name)
		}
		b.WriteString(", o FROM unnest(" + strings.Join(arrays, ", ") + ") WITH ORDINALITY AS u(" +
			strings.Join(names, ", ") + ", o)), i AS (" + insert + strings.Join(names, ", ") +
			" FROM s) SELECT c1 FROM s ORDER BY o")
	}
	st.sql = b.String()
	unnestStatements.Store(m, st)
	return st
}

// pgArray gathers one field's values of a batch into an array parameter.
type pgArray interface {
	add(base unsafe.Pointer) error
	value() any
}

// newPGArray is a typed slice of the field's own values where pgx would
// send them unchanged (see copyReady), which copies them without boxing
// each one; any other field's values are converted and bound one by one.
func newPGArray(f *Field, n int, d dialect) pgArray {
	switch {
	case f.PrimaryKey && f.Kind == KindAuto:
		return &autoKeyArray{f: f, vals: make([]int64, 0, n)}
	case f.Rel != nil || f.ptr || f.Kind == KindJSON:
		// converted: a relation's 0 and a nil pointer are NULL, JSON is encoded
	case f.typ == typString:
		return newFieldArray[string](f, n)
	case f.typ == typInt64:
		return newFieldArray[int64](f, n)
	case f.typ == typInt:
		return newFieldArray[int](f, n)
	case f.typ == typBool:
		return newFieldArray[bool](f, n)
	case f.typ == typFloat64:
		return newFieldArray[float64](f, n)
	case f.typ == typTime && f.Kind == KindDateTime:
		return newFieldArray[time.Time](f, n)
	case f.typ == typDecimal:
		return newFieldArray[decimal.Decimal](f, n)
	}
	return &boundArray{f: f, d: d, vals: make([]any, 0, n)}
}

var (
	typString  = reflect.TypeFor[string]()
	typInt64   = reflect.TypeFor[int64]()
	typInt     = reflect.TypeFor[int]()
	typBool    = reflect.TypeFor[bool]()
	typFloat64 = reflect.TypeFor[float64]()
)

type fieldArray[V any] struct {
	off  uintptr
	vals []V
}

func newFieldArray[V any](f *Field, n int) *fieldArray[V] {
	return &fieldArray[V]{off: f.offset, vals: make([]V, 0, n)}
}

func (a *fieldArray[V]) add(base unsafe.Pointer) error {
	a.vals = append(a.vals, *(*V)(unsafe.Add(base, a.off)))
	return nil
}

func (a *fieldArray[V]) value() any { return a.vals }

// autoKeyArray holds the automatic keys, 0 where the sequence gives one.
type autoKeyArray struct {
	f    *Field
	vals []int64
}

func (a *autoKeyArray) add(base unsafe.Pointer) error {
	rv := a.f.rvalue(base)
	if rv.CanInt() {
		a.vals = append(a.vals, rv.Int())
	} else {
		a.vals = append(a.vals, int64(rv.Uint()))
	}
	return nil
}

func (a *autoKeyArray) value() any { return a.vals }

type boundArray struct {
	f    *Field
	d    dialect
	vals []any
}

func (a *boundArray) add(base unsafe.Pointer) error {
	v, err := bulkValue(a.f, a.d, a.f.value(base))
	a.vals = append(a.vals, v)
	return err
}

func (a *boundArray) value() any { return a.vals }

// pgCopyBatch reserves primary keys from the sequence, then COPYs the rows.
func pgCopyBatch(ctx context.Context, c conn, m *Meta, objs []unsafe.Pointer) error {
	if m.PK.Kind == KindAuto {
		var missing []unsafe.Pointer
		for _, obj := range objs {
			if isZero(m.PK, obj) {
				missing = append(missing, obj)
			}
		}
		if len(missing) > 0 {
			// The sequence is looked up once, in an InitPlan: called per
			// row, pg_get_serial_sequence costs ~4µs a row (40ms for 10,000).
			r, err := c.query(ctx, "SELECT nextval((SELECT pg_get_serial_sequence($1, $2)::regclass)) FROM generate_series(1, $3)",
				[]any{quote(m.Table), m.PK.Column, len(missing)})
			if err != nil {
				return err
			}
			i := 0
			for r.Next() {
				if err := r.Scan(m.PK.acc.ptr(missing[i])); err != nil {
					r.Close()
					return err
				}
				i++
			}
			r.Close()
			if err := r.Err(); err != nil {
				return err
			}
		}
	}
	fields := m.Fields
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = f.Column
	}
	src := &copySource{objs: objs, fields: fields, d: c.db.dialect, i: -1, row: make([]any, len(fields))}
	start := time.Now()
	_, err := c.on().(pgCopier).copyFrom(ctx, m.Table, cols, src)
	err = c.db.translate(err)
	c.db.trace(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", m.Table, strings.Join(cols, ", ")), nil, start, err)
	return err
}

type copySource struct {
	objs   []unsafe.Pointer
	fields []*Field
	d      dialect
	i      int
	row    []any
	err    error
}

func (s *copySource) Next() bool {
	s.i++
	return s.i < len(s.objs) && s.err == nil
}

func (s *copySource) Values() ([]any, error) {
	base := s.objs[s.i]
	for j, f := range s.fields {
		v, err := bulkValue(f, s.d, f.value(base))
		if err != nil {
			return nil, err
		}
		s.row[j] = v
	}
	return s.row, nil
}

// bulkValue is what the driver gets for v, the value of field f.
func bulkValue(f *Field, d dialect, v any) (any, error) {
	if copyReady(f, v) {
		return v, nil
	}
	cv, err := f.canonical(v)
	if err != nil {
		return nil, err
	}
	return d.bind(f, cv)
}

// copyReady reports whether v, the value of field f, goes to COPY as it
// is: converting and binding it would give pgx the same value, boxed anew
// (two or three allocations a row for an int, a decimal and a time).
func copyReady(f *Field, v any) bool {
	if f.Kind == KindJSON {
		return false // any Go value, a string too, is encoded as JSON
	}
	switch v.(type) {
	case string, int64, bool, float64:
		return true
	case int:
		return f.Kind.isInteger()
	case decimal.Decimal:
		return f.Kind == KindDecimal
	case time.Time:
		// pgx sends a timestamptz in whole microseconds, rounding down as
		// canonical's Truncate does.
		return f.Kind == KindDateTime
	}
	return false
}

func (s *copySource) Err() error { return s.err }
