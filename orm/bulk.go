package orm

import (
	"context"
	"fmt"
	"time"
	"unsafe"
)

// BulkCreate inserts objs in batches of batchSize (all at once when
// batchSize <= 0) and sets their primary keys. PostgreSQL inserts a batch
// of up to pgUnnestMax rows with one INSERT … SELECT FROM unnest(…) that
// also takes the keys from the table's sequence, and streams a larger one
// with COPY after reserving its keys; SQLite runs one multi-row INSERT …
// RETURNING per batch. Several statements run in one transaction (a
// savepoint inside one); a single statement, atomic by itself, runs alone
// outside a transaction. Like Django's bulk_create it calls no Save and
// sends no signals; defaults and auto_now(_add) are still applied.
func (qs QuerySet[T, S]) BulkCreate(ctx context.Context, objs []*T, batchSize int) (err error) {
	if len(objs) == 0 {
		return nil
	}
	m := qs.model
	now := time.Now()
	unsaved := make([]*T, 0, len(objs)) // the objects whose keys the database assigns
	for _, obj := range objs {
		m.prepareInsert(obj, now, true)
		if isZero(m.PK, unsafe.Pointer(obj)) {
			unsaved = append(unsaved, obj)
		}
	}
	if batchSize <= 0 {
		batchSize = len(objs)
	}
	// On failure every row is rolled back: so are the keys they were given,
	// as in Django, which sets them only once all batches are in.
	defer func() {
		if err != nil {
			for _, obj := range unsaved {
				m.PK.rvalue(unsafe.Pointer(obj)).SetZero()
			}
			return
		}
		for _, obj := range objs {
			m.clearAdding(obj) // a no-op unless the primary key has a default
			m.bindM2M(unsafe.Pointer(obj))
		}
	}()
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	ptrs := asPointers(objs)
	if c.tx == nil && batchSize >= len(objs) && c.db.drv.oneStatement(m.Meta, ptrs) {
		// BEGIN and COMMIT around one statement would be two of its three
		// round trips on PostgreSQL.
		return c.db.drv.insertRows(ctx, c, m.Meta, ptrs)
	}
	return Atomic(ctx, func(ctx context.Context) error {
		c, err := connFrom(ctx)
		if err != nil {
			return err
		}
		for start := 0; start < len(ptrs); start += batchSize {
			if err := c.db.drv.insertRows(ctx, c, m.Meta, ptrs[start:min(start+batchSize, len(ptrs))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// BulkUpdate saves the named fields of objs in batches (all at once when
// batchSize <= 0), one UPDATE … SET f = CASE pk WHEN … per batch, and
// returns the number of rows updated. No signals, as in Django.
func (qs QuerySet[T, S]) BulkUpdate(ctx context.Context, objs []*T, fields []string, batchSize int) (int64, error) {
	m := qs.model
	if len(fields) == 0 {
		return 0, fmt.Errorf("orm: BulkUpdate needs field names")
	}
	fs, err := m.updateFieldsOf(new(T), fields)
	if err != nil {
		return 0, err
	}
	for _, obj := range objs {
		if isZero(m.PK, unsafe.Pointer(obj)) {
			return 0, fmt.Errorf("orm: BulkUpdate: all %s objects must have a primary key", m.Name)
		}
	}
	if len(objs) == 0 {
		return 0, nil
	}
	if batchSize <= 0 {
		batchSize = len(objs)
	}
	var total int64
	err = Atomic(ctx, func(ctx context.Context) error {
		c, err := connFrom(ctx)
		if err != nil {
			return err
		}
		d := c.db.dialect
		// Each object binds its key and value per field, and its key in
		// the IN list: keep a batch under the engine's variable limit.
		batchSize := min(batchSize, max(1, c.db.drv.caps().maxParams/(2*len(fs)+1)))
		for start := 0; start < len(objs); start += batchSize {
			batch := objs[start:min(start+batchSize, len(objs))]
			cmp := newCompiler(d)
			cmp.sql.WriteString("UPDATE " + quote(m.Table) + " SET ")
			for i, f := range fs {
				if i > 0 {
					cmp.sql.WriteString(", ")
				}
				cmp.sql.WriteString(quote(f.Column) + " = CASE " + quote(m.PK.Column))
				for _, obj := range batch {
					pk, err := cmp.bindField(m.PK, unsafe.Pointer(obj))
					if err != nil {
						return err
					}
					v, err := cmp.bindField(f, unsafe.Pointer(obj))
					if err != nil {
						return err
					}
					cmp.sql.WriteString(" WHEN " + pk + " THEN " + d.cast(v, f))
				}
				cmp.sql.WriteString(" END")
			}
			cmp.sql.WriteString(" WHERE " + quote(m.PK.Column) + " IN (")
			for i, obj := range batch {
				if i > 0 {
					cmp.sql.WriteString(", ")
				}
				pk, err := cmp.bindField(m.PK, unsafe.Pointer(obj))
				if err != nil {
					return err
				}
				cmp.sql.WriteString(pk)
			}
			cmp.sql.WriteString(")")
			n, err := c.exec(ctx, cmp.sql.String(), cmp.args)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}
