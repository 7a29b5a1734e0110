package orm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	modsqlite "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// The SQLite driver: modernc.org/sqlite through database/sql (the SQL it
// is sent is sqlite.go's).

var sqliteEngine = engine{
	accepts:       func(string) bool { return true },
	open:          openSQLite,
	connectFailed: func(error) bool { return false },
}

func openSQLite(_ context.Context, url string) (dbDriver, dialect, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
	if path == "" {
		return nil, nil, errors.New("orm: sqlite URL names no file")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	dsn := "file:" + strings.TrimPrefix(path, "file:") + sep +
		"_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("orm: %w", err)
	}
	if path == ":memory:" || strings.HasPrefix(path, ":memory:?") || strings.Contains(path, "mode=memory") {
		// Each connection to an in-memory database has a database of its
		// own: one connection, so every query sees the same one.
		sdb.SetMaxOpenConns(1)
	}
	return sqliteDriver{sdb}, sqlite{}, nil
}

type sqliteDriver struct{ db *sql.DB }

var (
	_ dbDriver = sqliteDriver{}
	_ txDriver = sqliteTx{}
)

// SQLTx is PgxTx for SQLite.
func SQLTx(ctx context.Context) (tx *sql.Tx, ok bool) {
	if t := txFrom(ctx); t != nil {
		if st, ok := t.x.(sqliteTx); ok {
			return st.tx, true
		}
	}
	return nil, false
}

func (sqliteDriver) caps() capabilities { return capabilities{maxParams: sqliteMaxVars} }

func (d sqliteDriver) close() { d.db.Close() }

func (d sqliteDriver) sqlDB() *sql.DB { return d.db }

func (d sqliteDriver) ping(ctx context.Context) error { return d.db.PingContext(ctx) }

func (d sqliteDriver) query(ctx context.Context, query string, args []any) (rows, error) {
	r, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (d sqliteDriver) exec(ctx context.Context, query string, args []any) (int64, error) {
	res, err := d.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (d sqliteDriver) begin(ctx context.Context) (txDriver, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return sqliteTx{tx}, nil
}

// retryable is false: a busy database is waited for (busy_timeout), and
// there is no server whose restart would leave dead connections behind.
func (sqliteDriver) retryable(context.Context, error, bool) bool { return false }

func (d sqliteDriver) queryAgain(ctx context.Context, query string, args []any) (rows, error) {
	return d.query(ctx, query, args)
}

type sqliteTx struct{ tx *sql.Tx }

func (t sqliteTx) query(ctx context.Context, query string, args []any) (rows, error) {
	r, err := t.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (t sqliteTx) exec(ctx context.Context, query string, args []any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (t sqliteTx) commit(context.Context) error { return t.tx.Commit() }

func (t sqliteTx) rollback(context.Context) error { return t.tx.Rollback() }

// sqlRows reports constraint errors as IntegrityError: SQLite often
// raises them only while the rows are read.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Err() error { return sqliteTranslate(r.Rows.Err()) }

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

func (sqliteDriver) translate(err error) error { return sqliteTranslate(err) }

var sqliteFailure = regexp.MustCompile(`(UNIQUE|CHECK|NOT NULL|FOREIGN KEY) constraint failed(?:: (.*?))?(?: \(\d+\))?$`)

func sqliteTranslate(err error) error {
	if err == nil {
		return nil
	}
	if sqliteLost(err) {
		return unavailable(err)
	}
	var sqErr *modsqlite.Error
	if !errors.As(err, &sqErr) {
		return err
	}
	sub := sqliteFailure.FindStringSubmatch(sqErr.Error())
	if sub == nil {
		return err
	}
	ie := &IntegrityError{Kind: strings.ToLower(strings.ReplaceAll(sub[1], " ", "_")), Err: err}
	var m *Meta
	var cols []string
	if ie.Kind == "check" {
		ie.Constraint = sub[2]
	} else if sub[2] != "" {
		for _, tc := range strings.Split(sub[2], ", ") {
			table, col, _ := strings.Cut(tc, ".")
			m = modelByTable(table)
			cols = append(cols, col)
		}
	}
	ie.fill(m, cols)
	return ie
}

// sqliteLost classifies SQLite's errors (see connectionLost): another
// connection holding the database counts, as a server out of reach does.
func sqliteLost(err error) bool {
	if connectionLost(err) || strings.Contains(err.Error(), "sql: database is closed") {
		return true
	}
	var sqErr *modsqlite.Error
	if errors.As(err, &sqErr) {
		// The primary code is the low byte; extended codes such as
		// SQLITE_BUSY_SNAPSHOT keep it.
		switch sqErr.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
	}
	return false
}

// SQLite's primary result codes for a database another connection holds.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// Statistics: SQLite keeps them in sqlite_stat1.

// analyze reads the whole table (analysis_limit 0): a sample, as PRAGMA
// optimize takes, misjudges how many rows share a value, and the
// planner's choice between an index and a sort rests on exactly that.
func (sqliteDriver) analyze(ctx context.Context, c conn, table string) error {
	for _, stmt := range []string{"PRAGMA analysis_limit = 0", "ANALYZE " + quote(table)} {
		if _, err := c.exec(ctx, stmt, nil); err != nil {
			return err
		}
	}
	return nil
}

func (sqliteDriver) estimateRows(ctx context.Context, c conn, table string) (int64, bool, error) {
	r, err := c.query(ctx, "SELECT stat FROM sqlite_stat1 WHERE tbl = ? ORDER BY idx IS NOT NULL LIMIT 1", []any{table})
	if err != nil {
		// The table appears with the first ANALYZE; a failed prepare
		// leaves a SQLite transaction as it was.
		if strings.Contains(err.Error(), "no such table: sqlite_stat1") {
			return 0, false, nil
		}
		return 0, false, err
	}
	defer r.Close()
	var stat *string
	if r.Next() {
		if err := r.Scan(&stat); err != nil {
			return 0, false, err
		}
	}
	if err := r.Err(); err != nil || stat == nil {
		return 0, false, err
	}
	// "rows [rows per distinct prefix …]": the first figure is the table's.
	first, _, _ := strings.Cut(*stat, " ")
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return 0, false, nil
	}
	return n, true, nil
}

// sqliteMaxVars keeps a multi-row INSERT under SQLite's bound-variable limit.
const sqliteMaxVars = 32766

// sqliteChunks splits a batch into the multi-row INSERTs SQLite runs:
// objects with and without an automatic key apart (those with one list one
// more column), each group in chunks under the bound-variable limit.
func sqliteChunks(m *Meta, objs []unsafe.Pointer) [][]unsafe.Pointer {
	groups := [][]unsafe.Pointer{objs}
	if m.PK.Kind == KindAuto {
		var with, without []unsafe.Pointer
		for _, obj := range objs {
			if isZero(m.PK, obj) {
				without = append(without, obj)
			} else {
				with = append(with, obj)
			}
		}
		if len(with) > 0 && len(without) > 0 {
			groups = [][]unsafe.Pointer{with, without}
		}
	}
	var chunks [][]unsafe.Pointer
	for _, g := range groups {
		per := max(1, sqliteMaxVars/max(1, len(m.insertFieldsAt(g[0]))))
		for start := 0; start < len(g); start += per {
			chunks = append(chunks, g[start:min(start+per, len(g))])
		}
	}
	return chunks
}

func (sqliteDriver) oneStatement(m *Meta, objs []unsafe.Pointer) bool {
	return len(sqliteChunks(m, objs)) == 1
}

func (sqliteDriver) insertRows(ctx context.Context, c conn, m *Meta, objs []unsafe.Pointer) error {
	for _, chunk := range sqliteChunks(m, objs) {
		if err := sqliteInsertChunk(ctx, c, m, chunk); err != nil {
			return err
		}
	}
	return nil
}

// sqliteInsertChunk runs one multi-row INSERT … RETURNING of objects that all
// have an automatic key or all have none.
func sqliteInsertChunk(ctx context.Context, c conn, m *Meta, chunk []unsafe.Pointer) error {
	fields := m.insertFieldsAt(chunk[0])
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("INSERT INTO " + quote(m.Table) + " (")
	for i, f := range fields {
		if i > 0 {
			cmp.sql.WriteString(", ")
		}
		cmp.sql.WriteString(quote(f.Column))
	}
	cmp.sql.WriteString(") VALUES ")
	for i, obj := range chunk {
		if len(m.insertFieldsAt(obj)) != len(fields) {
			return fmt.Errorf("orm: BulkCreate: mix of %s objects with and without primary keys", m.Name)
		}
		if i > 0 {
			cmp.sql.WriteString(", ")
		}
		cmp.sql.WriteByte('(')
		for j, f := range fields {
			if j > 0 {
				cmp.sql.WriteString(", ")
			}
			ph, err := cmp.bindField(f, obj)
			if err != nil {
				return err
			}
			cmp.sql.WriteString(ph)
		}
		cmp.sql.WriteByte(')')
	}
	cmp.sql.WriteString(" RETURNING " + quote(m.PK.Column))
	r, err := c.query(ctx, cmp.sql.String(), cmp.args)
	if err != nil {
		return err
	}
	i := 0
	for r.Next() && i < len(chunk) {
		if err := r.Scan(c.db.dialect.scanTarget(m.PK, chunk[i])); err != nil {
			r.Close()
			return err
		}
		i++
	}
	r.Close()
	if err := r.Err(); err != nil {
		return err
	}
	return nil
}
