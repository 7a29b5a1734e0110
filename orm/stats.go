package orm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// EstimatedCount is the number of rows in m's table by the planner's
// statistics (PostgreSQL's pg_class, scaled to the table's current size as
// the planner does; SQLite's sqlite_stat1): one cheap read instead of a
// COUNT(*) that visits every row. ok is false while the table has never
// been analysed (Analyze, autovacuum, or PRAGMA optimize), when only an
// exact count can tell.
func EstimatedCount(ctx context.Context, m *Meta) (n int64, ok bool, err error) {
	c, err := connFrom(ctx)
	if err != nil {
		return 0, false, err
	}
	return c.db.dialect.estimateRows(ctx, c, m.Table)
}

// Analyze brings the planner's statistics for the models' tables up to
// date (ANALYZE on both). Run it after a bulk load: until
// then PostgreSQL may plan for an empty table, and SQLite has no
// statistics at all. Outside a transaction, PostgreSQL's tables are
// vacuumed too: that marks the new rows visible to all in the visibility
// map, without which a COUNT(*) reads every row of the table rather than
// only its narrowest index, until autovacuum gets round to it.
func Analyze(ctx context.Context, models ...*Meta) error {
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	for _, m := range withJunctions(models) {
		for _, stmt := range c.db.dialect.analyze(m.Table, c.tx == nil) {
			if _, err := c.exec(ctx, stmt, nil); err != nil {
				return fmt.Errorf("orm: analysing %s: %w", m.Table, err)
			}
		}
	}
	return nil
}

func (postgres) analyze(table string, vacuum bool) []string {
	if vacuum {
		return []string{"VACUUM (ANALYZE) " + quote(table)}
	}
	return []string{"ANALYZE " + quote(table)}
}

// The planner's own estimate: reltuples per page times the pages the
// table has now, so a table that grew since it was analysed is not
// under-counted. reltuples is -1 before the first ANALYZE.
const pgEstimateSQL = `SELECT CASE WHEN c.reltuples < 0 THEN -1
	WHEN c.relpages = 0 THEN c.reltuples::bigint
	ELSE (c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::bigint))::bigint END
	FROM pg_class c WHERE c.oid = to_regclass($1)`

func (postgres) estimateRows(ctx context.Context, c conn, table string) (int64, bool, error) {
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

// The whole table is read (analysis_limit 0): a sample, as PRAGMA
// optimize takes, misjudges how many rows share a value, and the
// planner's choice between an index and a sort rests on exactly that.
func (sqlite) analyze(table string, _ bool) []string {
	return []string{"PRAGMA analysis_limit = 0", "ANALYZE " + quote(table)}
}

func (sqlite) estimateRows(ctx context.Context, c conn, table string) (int64, bool, error) {
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
