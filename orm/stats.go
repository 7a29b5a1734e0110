package orm

import (
	"context"
	"fmt"
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
	return c.db.drv.estimateRows(ctx, c, m.Table)
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
		if err := c.db.drv.analyze(ctx, c, m.Table); err != nil {
			return fmt.Errorf("orm: analysing %s: %w", m.Table, err)
		}
	}
	return nil
}
