package orm

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
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
	if c.tx == nil && batchSize >= len(objs) {
		// BEGIN and COMMIT around one statement would be two of its three
		// round trips on PostgreSQL.
		if c.db.pg != nil && len(objs) <= pgUnnestMax {
			return m.unnestBatch(ctx, c, objs)
		}
		if c.db.pg == nil {
			if chunks := m.sqliteChunks(objs); len(chunks) == 1 {
				return m.insertChunk(ctx, c, chunks[0])
			}
		}
	}
	return Atomic(ctx, func(ctx context.Context) error {
		c, err := connFrom(ctx)
		if err != nil {
			return err
		}
		for start := 0; start < len(objs); start += batchSize {
			batch := objs[start:min(start+batchSize, len(objs))]
			switch {
			case c.db.pg == nil:
				err = m.insertBatch(ctx, c, batch)
			case len(batch) <= pgUnnestMax:
				err = m.unnestBatch(ctx, c, batch)
			default:
				err = m.copyBatch(ctx, c, batch)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// pgUnnestMax is the largest batch PostgreSQL gets as one INSERT of
// arrays. The INSERT saves three round trips but writes row by row, where
// COPY writes pages: measured against pgx's CopyFrom (bench), the INSERT
// is on par at 100 rows and COPY is ahead from 300 (1.35-1.6x against
// 0.9-1.3x at 300 rows, 1.5x against 1.2x at 1,000, 2.5x against 1.1-1.25x
// at 10,000).
const pgUnnestMax = 100

// unnestBatch inserts objs with one statement whatever their number: each
// column's values travel as one array parameter, so the SQL is the same
// for every batch of the model and pgx prepares it once. Objects without
// a key take one from the sequence inside the statement, which returns
// every key in the objects' order.
func (m *Model[T]) unnestBatch(ctx context.Context, c conn, objs []*T) error {
	st := m.unnestStatement()
	args := make([]any, 0, len(m.Fields)+2)
	if st.returning {
		args = append(args, quote(m.Table), m.PK.Column)
	}
	for _, f := range m.Fields {
		col := newPGArray(f, len(objs), c.db.dialect)
		for _, obj := range objs {
			if err := col.add(unsafe.Pointer(obj)); err != nil {
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
		dst[0] = c.db.dialect.scanTarget(m.PK, unsafe.Pointer(objs[i]))
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

// unnestStatement is, for an automatic key,
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
func (m *Model[T]) unnestStatement() *unnestStatement {
	if st, ok := unnestStatements.Load(m.Meta); ok {
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
	unnestStatements.Store(m.Meta, st)
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

// copyBatch reserves primary keys from the sequence, then COPYs the rows.
func (m *Model[T]) copyBatch(ctx context.Context, c conn, objs []*T) error {
	if m.PK.Kind == KindAuto {
		var missing []*T
		for _, obj := range objs {
			if isZero(m.PK, unsafe.Pointer(obj)) {
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
				if err := r.Scan(m.PK.acc.ptr(unsafe.Pointer(missing[i]))); err != nil {
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
	src := &copySource[T]{objs: objs, fields: fields, d: c.db.dialect, i: -1, row: make([]any, len(fields))}
	_, err := c.copyFrom(ctx, m.Table, cols, src)
	return err
}

type copySource[T any] struct {
	objs   []*T
	fields []*Field
	d      dialect
	i      int
	row    []any
	err    error
}

func (s *copySource[T]) Next() bool {
	s.i++
	return s.i < len(s.objs) && s.err == nil
}

func (s *copySource[T]) Values() ([]any, error) {
	base := unsafe.Pointer(s.objs[s.i])
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

func (s *copySource[T]) Err() error { return s.err }

// sqliteMaxVars keeps a multi-row INSERT under SQLite's bound-variable limit.
const sqliteMaxVars = 32766

// pgMaxVars is PostgreSQL's limit on a statement's parameters.
const pgMaxVars = 65535

// sqliteChunks splits a batch into the multi-row INSERTs SQLite runs:
// objects with and without an automatic key apart (those with one list one
// more column), each group in chunks under the bound-variable limit.
func (m *Model[T]) sqliteChunks(objs []*T) [][]*T {
	groups := [][]*T{objs}
	if m.PK.Kind == KindAuto {
		var with, without []*T
		for _, obj := range objs {
			if isZero(m.PK, unsafe.Pointer(obj)) {
				without = append(without, obj)
			} else {
				with = append(with, obj)
			}
		}
		if len(with) > 0 && len(without) > 0 {
			groups = [][]*T{with, without}
		}
	}
	var chunks [][]*T
	for _, g := range groups {
		per := max(1, sqliteMaxVars/max(1, len(m.insertFields(g[0]))))
		for start := 0; start < len(g); start += per {
			chunks = append(chunks, g[start:min(start+per, len(g))])
		}
	}
	return chunks
}

func (m *Model[T]) insertBatch(ctx context.Context, c conn, objs []*T) error {
	for _, chunk := range m.sqliteChunks(objs) {
		if err := m.insertChunk(ctx, c, chunk); err != nil {
			return err
		}
	}
	return nil
}

// insertChunk runs one multi-row INSERT … RETURNING of objects that all
// have an automatic key or all have none.
func (m *Model[T]) insertChunk(ctx context.Context, c conn, chunk []*T) error {
	fields := m.insertFields(chunk[0])
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
		if len(m.insertFields(obj)) != len(fields) {
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
			ph, err := cmp.bindField(f, unsafe.Pointer(obj))
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
		if err := r.Scan(c.db.dialect.scanTarget(m.PK, unsafe.Pointer(chunk[i]))); err != nil {
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
		limit := sqliteMaxVars
		if c.db.pg != nil {
			limit = pgMaxVars
		}
		batchSize := min(batchSize, max(1, limit/(2*len(fs)+1)))
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
