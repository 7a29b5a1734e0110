package orm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"strings"
	"unsafe"
)

// QuerySet is a lazy, immutable query for instances of T. Every chaining
// method returns a new S; only methods that take a context touch the
// database. S is the queryset type the chaining methods return: QS[T] for
// the plain case, or an app's own type that adds query methods:
//
//	type PostQS struct{ orm.QuerySet[Post, PostQS] }
//	func (q PostQS) Active() PostQS { return q.Filter(orm.Q{"is_active": true}) }
//	func PostObjects() PostQS { return orm.NewQuerySet(Posts, func(q orm.QuerySet[Post, PostQS]) PostQS { return PostQS{q} }) }
//
// Errors made while chaining (an unknown field, a value of the wrong type)
// are kept and returned by the method that evaluates the queryset.
type QuerySet[T any, S any] struct {
	model *Model[T]
	q     *query
	wrap  func(QuerySet[T, S]) S
}

// QS is the plain queryset, the one Model.Objects returns.
type QS[T any] struct{ QuerySet[T, QS[T]] }

// NewQuerySet starts a queryset of an app's own type S (see QuerySet).
func NewQuerySet[T, S any](m *Model[T], wrap func(QuerySet[T, S]) S) S {
	return wrap(QuerySet[T, S]{model: m, q: newQuery(m.Meta), wrap: wrap})
}

// Objects is the model's plain manager: a queryset of all its rows,
// whatever managers AddManager registers (Django's base manager).
func (m *Model[T]) Objects() QS[T] {
	return NewQuerySet(m, func(q QuerySet[T, QS[T]]) QS[T] { return QS[T]{q} })
}

// Queryable is any queryset; it is what __in accepts as a subquery.
type Queryable interface{ querySpec() *query }

func (qs QuerySet[T, S]) querySpec() *query { return qs.q }

func (qs QuerySet[T, S]) with(q *query) S {
	qs.q = q
	return qs.wrap(qs)
}

// Err returns the first error made while building the queryset.
func (qs QuerySet[T, S]) Err() error { return qs.q.err }

// Model returns the queryset's model.
func (qs QuerySet[T, S]) Model() *Model[T] { return qs.model }

// Filter keeps the rows matching every condition.
func (qs QuerySet[T, S]) Filter(conds ...Cond) S { return qs.with(qs.q.filter(conds, false)) }

// Exclude drops the rows matching all the conditions (NOT (a AND b)).
func (qs QuerySet[T, S]) Exclude(conds ...Cond) S {
	return qs.with(qs.q.filter([]Cond{And(conds...)}, true))
}

// OrderBy sets the order: "title", "-created_at" (descending), "?" (random).
// With no names the rows come unordered, ignoring Meta.Ordering.
// As in Django, a sliced queryset cannot be reordered (the slice would
// silently pick other rows).
func (qs QuerySet[T, S]) OrderBy(fields ...string) S {
	if qs.q.sliced() {
		return qs.with(qs.q.fail(errSlicedReorder))
	}
	return qs.with(qs.q.orderBy(fields))
}

// Reverse flips the order (the default ordering if none was set). A sliced
// queryset cannot be reversed.
func (qs QuerySet[T, S]) Reverse() S {
	if qs.q.sliced() {
		return qs.with(qs.q.fail(errSlicedReverse))
	}
	return qs.with(qs.q.reversed())
}

var (
	errSlicedReorder = errors.New("orm: cannot reorder a query once a slice has been taken")
	errSlicedReverse = errors.New("orm: cannot reverse a query once a slice has been taken")
)

// Limit keeps at most n rows; Offset skips n. Django's qs[5:10] is
// Offset(5).Limit(5).
func (qs QuerySet[T, S]) Limit(n int) S {
	if n < 0 { // slice treats a negative bound as "none"; here it is a mistake
		return qs.with(qs.q.fail(fmt.Errorf("orm: Limit(%d): negative indexing is not supported", n)))
	}
	return qs.with(qs.q.slice(0, n))
}

// Offset skips the first n rows.
func (qs QuerySet[T, S]) Offset(n int) S { return qs.with(qs.q.slice(n, -1)) }

// SelectRelated loads related objects in the same query, through JOINs:
// forward keys ("author", "category") and reverse one-to-ones, in chains
// ("author__profile"). FK fields then answer Get and Cached without a
// query; a reverse one-to-one's object is read with orm.Prefetched(user,
// "profile"). A NULL key or a missing row loads no object.
func (qs QuerySet[T, S]) SelectRelated(paths ...string) S {
	return qs.with(qs.q.selectRelated(paths))
}

// Distinct removes duplicate rows. SELECT DISTINCT can only be ordered by
// the selected fields: with Values, ValuesList or Flat the model's default
// ordering is dropped when it names others, and an explicit OrderBy of
// them is an error (on both engines; PostgreSQL refuses it).
func (qs QuerySet[T, S]) Distinct() S {
	q := qs.q.clone()
	q.distinct = true
	return qs.with(q)
}

// Only loads just the named fields (and the primary key). The others stay
// at their zero value until RefreshFromDB loads them; Save leaves their
// columns untouched.
func (qs QuerySet[T, S]) Only(fields ...string) S { return qs.with(qs.q.loadFields(fields, true)) }

// Defer loads every field except the named ones (see Only).
func (qs QuerySet[T, S]) Defer(fields ...string) S { return qs.with(qs.q.loadFields(fields, false)) }

// None is an empty queryset that runs no query.
func (qs QuerySet[T, S]) None() S {
	q := qs.q.clone()
	q.none = true
	return qs.with(q)
}

// LockOption modifies SelectForUpdate.
type LockOption func(*lockOpts)

// NoWait fails at once instead of waiting for a locked row.
func NoWait() LockOption { return func(l *lockOpts) { l.nowait = true } }

// SkipLocked leaves out rows another transaction holds.
func SkipLocked() LockOption { return func(l *lockOpts) { l.skipLocked = true } }

// SelectForUpdate locks the selected rows until the transaction ends
// (SELECT … FOR UPDATE on PostgreSQL; SQLite locks the whole database for
// writing from the start of the transaction). It is an error outside Atomic.
func (qs QuerySet[T, S]) SelectForUpdate(opts ...LockOption) S {
	q := qs.q.clone()
	q.lock = &lockOpts{}
	for _, o := range opts {
		o(q.lock)
	}
	if q.lock.nowait && q.lock.skipLocked {
		return qs.with(q.fail(errors.New("orm: SelectForUpdate: NoWait and SkipLocked cannot both be set")))
	}
	return qs.with(q)
}

// All evaluates the queryset.
func (qs QuerySet[T, S]) All(ctx context.Context) ([]*T, error) {
	return qs.fetch(ctx, qs.q)
}

// Get returns the one row matching the conditions: the model's
// DoesNotExist error when there is none, ErrMultipleObjectsReturned when
// there are more.
func (qs QuerySet[T, S]) Get(ctx context.Context, conds ...Cond) (*T, error) {
	q := qs.q
	if len(conds) > 0 {
		q = q.filter(conds, false)
	}
	if !q.ordered && !q.sliced() && len(q.meta.Ordering) > 0 {
		// Django's get() drops the default ordering: one row is wanted
		// (a slice keeps it, as it picks the rows).
		q = q.clone()
		q.ordered, q.order = true, nil
	}
	q = q.slice(0, 21) // enough to say "more than 20"; a slice composes
	// One row is expected: room for 21 would be 20 instances allocated and
	// zeroed for nothing (more rows, if they come, get room of their own).
	objs, err := qs.fetchChunk(ctx, q, 1)
	switch {
	case err != nil:
		return nil, err
	case len(objs) == 0:
		return nil, q.meta.DoesNotExist
	case len(objs) > 1:
		return nil, &multipleError{model: q.meta, n: len(objs)}
	}
	return objs[0], nil
}

// First returns the first row, in primary key order when the queryset is
// unordered; DoesNotExist when there is none.
func (qs QuerySet[T, S]) First(ctx context.Context) (*T, error) {
	q := qs.q
	if len(q.ordering()) == 0 {
		q = q.orderBy([]string{"pk"})
	}
	return qs.one(ctx, q)
}

// Last returns the last row (the order reversed, primary key order when
// unordered); DoesNotExist when there is none.
func (qs QuerySet[T, S]) Last(ctx context.Context) (*T, error) {
	if qs.q.sliced() { // reversing would take the slice from the other end
		return nil, qs.q.fail(errSlicedReverse).err
	}
	return qs.one(ctx, qs.q.reversed())
}

func (qs QuerySet[T, S]) one(ctx context.Context, q *query) (*T, error) {
	objs, err := qs.fetch(ctx, q.slice(0, 1))
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, q.meta.DoesNotExist
	}
	return objs[0], nil
}

// Count runs SELECT COUNT(*) (never loads the rows).
func (qs QuerySet[T, S]) Count(ctx context.Context) (int64, error) {
	q := qs.q
	if q.err != nil {
		return 0, q.err
	}
	if q.none {
		return 0, nil
	}
	c, err := connFrom(ctx)
	if err != nil {
		return 0, err
	}
	sql, args, err := q.countSQL(c.db.dialect)
	if err != nil {
		return 0, err
	}
	var n int64
	return n, c.scalar(ctx, sql, args, &n)
}

// Exists runs SELECT 1 … LIMIT 1.
func (qs QuerySet[T, S]) Exists(ctx context.Context) (bool, error) {
	q := qs.q
	if q.err != nil {
		return false, q.err
	}
	if q.none {
		return false, nil
	}
	c, err := connFrom(ctx)
	if err != nil {
		return false, err
	}
	sql, args, err := q.existsSQL(c.db.dialect)
	if err != nil {
		return false, err
	}
	r, err := c.query(ctx, sql, args)
	if err != nil {
		return false, err
	}
	defer r.Close()
	found := r.Next()
	return found, r.Err()
}

// scalar runs a query that returns one value.
func (c conn) scalar(ctx context.Context, sql string, args []any, dst any) error {
	r, err := c.query(ctx, sql, args)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return errors.New("orm: query returned no row")
	}
	if err := r.Scan(dst); err != nil {
		return err
	}
	return r.Err()
}

// fetch runs q and scans its rows into new instances, allocated room for
// q's limit at a time (8 at first when it has none).
func (qs QuerySet[T, S]) fetch(ctx context.Context, q *query) ([]*T, error) {
	chunk := 8
	if q.limit >= 0 {
		chunk = max(1, q.limit)
	}
	return qs.fetchChunk(ctx, q, chunk)
}

// fetchChunk is fetch with the first allocation sized for chunk rows.
func (qs QuerySet[T, S]) fetchChunk(ctx context.Context, q *query, chunk int) ([]*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	if q.none {
		return nil, nil
	}
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	if q.lock != nil && c.tx == nil {
		return nil, ErrLockOutsideTransaction
	}
	if q.groupBy != nil {
		return nil, errGroupedInstances
	}
	fields := q.selected()
	sql, args, err := q.instanceSQL(c.db.dialect, fields)
	if err != nil {
		return nil, err
	}
	r, err := c.query(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out, err := scanAll[T](r, c.db.dialect, q, fields, chunk)
	if err != nil {
		return nil, err
	}
	if q.deferred != nil {
		for _, p := range out {
			markDeferred(p, q.deferred)
		}
	}
	if err := prefetchAll(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// scanAll reads every row into instances allocated a chunk at a time, so
// that a page of rows costs a few allocations, not one per row.
func scanAll[T any](r rows, d dialect, q *query, fields []*Field, chunk int) ([]*T, error) {
	var (
		out  []*T
		slab []T
		sc   = newRowScanner(d, fields, q.related)
	)
	sc.annotated(q)
	for r.Next() {
		if len(slab) == cap(slab) {
			slab = make([]T, 0, chunk)
			chunk = min(chunk*2, 1024)
		}
		slab = slab[:len(slab)+1]
		p := &slab[len(slab)-1]
		if err := sc.scan(r, unsafe.Pointer(p)); err != nil {
			return nil, fmt.Errorf("orm: scanning %s: %w", q.meta.Label(), err)
		}
		out = append(out, p)
	}
	return out, r.Err()
}

// rowScanner scans one row into an instance and the objects SelectRelated
// loads with it, reusing its target slice from row to row.
type rowScanner struct {
	d       dialect
	fields  []*Field
	related []relatedNode
	targets []any
	objs    []unsafe.Pointer // this row's related objects, by node
	anns    []*annotation    // Annotate's values, kept in the instance's state
	annN    []string
}

var errGroupedInstances = errors.New("orm: a GroupBy queryset returns groups, not instances: read it with Values, ValuesList or Scan")

// annotated makes the scanner read q's annotations after the other columns.
func (s *rowScanner) annotated(q *query) {
	if len(q.annotations) == 0 {
		return
	}
	s.anns = q.annotations
	s.annN = make([]string, len(q.annotations))
	for i, a := range q.annotations {
		s.annN[i] = a.name
	}
	s.targets = append(s.targets, make([]any, len(q.annotations))...)
}

func newRowScanner(d dialect, fields []*Field, related []relatedNode) *rowScanner {
	n := len(fields)
	for _, node := range related {
		n += len(node.to.Fields)
	}
	return &rowScanner{d: d, fields: fields, related: related, targets: make([]any, n), objs: make([]unsafe.Pointer, len(related))}
}

// fkObjOffset is where FK[T] keeps its loaded object; the layout of FK[T]
// does not depend on T.
var fkObjOffset = unsafe.Offsetof(FK[struct{}]{}.obj)

func (s *rowScanner) scan(r rows, base unsafe.Pointer) error {
	n := 0
	for _, f := range s.fields {
		s.targets[n] = s.d.scanTarget(f, base)
		n++
	}
	for i, node := range s.related {
		to := node.to
		obj := reflect.New(to.typ).UnsafePointer()
		s.objs[i] = obj
		for _, f := range to.Fields {
			if node.nullable {
				s.targets[n] = &dbScanner{f: f, rv: f.rvalue(obj)} // a missing row is all NULLs
			} else {
				s.targets[n] = s.d.scanTarget(f, obj)
			}
			n++
		}
	}
	var vals []any
	if s.anns != nil {
		vals = make([]any, len(s.anns))
		for i, a := range s.anns {
			s.targets[n+i] = s.d.valueTarget(a.expr.field(), &vals[i])
		}
	}
	if err := r.Scan(s.targets...); err != nil {
		return err
	}
	if len(s.fields) > 0 {
		s.fields[0].model.bindM2M(base)
		if vals != nil {
			names := s.annN
			s.fields[0].model.setState(base, func(st *instanceState) { st.annNames, st.annVals = names, vals })
		}
	}
	for i, node := range s.related {
		parent := base
		if node.parent >= 0 {
			parent = s.objs[node.parent]
		}
		if parent == nil || isZero(node.to.PK, s.objs[i]) {
			s.objs[i] = nil // a NULL key: no related object
			continue
		}
		node.to.bindM2M(s.objs[i])
		if node.reverse {
			// The parent has no field for it (auth's User knows nothing of
			// blog's Profile): it is kept beside the instance, read with
			// orm.Prefetched.
			storePrefetched(node.from, parent, reverseName(node.field), node.to, []unsafe.Pointer{s.objs[i]})
			continue
		}
		*(*unsafe.Pointer)(unsafe.Add(parent, node.field.offset+fkObjOffset)) = s.objs[i]
	}
	return nil
}

// Iter streams the rows chunkSize at a time (2000 when chunkSize <= 0)
// without holding them all in memory: through a server-side cursor on
// PostgreSQL, stepping the statement on SQLite. The loop body may run
// queries of its own. PrefetchRelated runs once per chunk, one query per
// lookup, as Django's iterator(chunk_size=…) does.
func (qs QuerySet[T, S]) Iter(ctx context.Context, chunkSize int) iter.Seq2[*T, error] {
	if chunkSize <= 0 {
		chunkSize = 2000
	}
	return func(yield func(*T, error) bool) {
		q := qs.q
		if q.err != nil {
			yield(nil, q.err)
			return
		}
		if q.none {
			return
		}
		c, err := connFrom(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		if q.lock != nil && c.tx == nil {
			yield(nil, ErrLockOutsideTransaction)
			return
		}
		if q.groupBy != nil {
			yield(nil, errGroupedInstances)
			return
		}
		if c.db.drv.caps().cursors {
			qs.iterCursor(ctx, q, chunkSize, yield)
			return
		}
		fields := q.selected()
		sql, args, err := q.instanceSQL(c.db.dialect, fields)
		if err != nil {
			yield(nil, err)
			return
		}
		r, err := c.query(ctx, sql, args)
		if err != nil {
			yield(nil, err)
			return
		}
		defer r.Close()
		var slab []T
		sc := newRowScanner(c.db.dialect, fields, q.related)
		sc.annotated(q)
		for r.Next() {
			if len(slab) == cap(slab) {
				slab = make([]T, 0, chunkSize)
			}
			slab = slab[:len(slab)+1]
			p := &slab[len(slab)-1]
			if err := sc.scan(r, unsafe.Pointer(p)); err != nil {
				yield(nil, err)
				return
			}
			if q.deferred != nil {
				markDeferred(p, q.deferred)
			}
			if len(q.prefetch) > 0 {
				// Prefetching needs the chunk's rows: they are yielded once
				// it is full (or the rows end).
				if len(slab) == chunkSize && !yieldChunk(ctx, q, slab, yield) {
					return
				}
				continue
			}
			if !yield(p, nil) {
				return
			}
		}
		if err := r.Err(); err != nil {
			yield(nil, err)
			return
		}
		if len(q.prefetch) > 0 && len(slab) < chunkSize {
			yieldChunk(ctx, q, slab, yield)
		}
	}
}

// yieldChunk runs q's PrefetchRelated for a chunk of rows, one query per
// lookup as for All, then yields the rows; false when the loop stopped.
func yieldChunk[T any](ctx context.Context, q *query, slab []T, yield func(*T, error) bool) bool {
	objs := make([]*T, len(slab))
	for i := range slab {
		objs[i] = &slab[i]
	}
	if err := prefetchAll(ctx, q, objs); err != nil {
		yield(nil, err)
		return false
	}
	for _, p := range objs {
		if !yield(p, nil) {
			return false
		}
	}
	return true
}

// prefetchAll runs q's PrefetchRelated lookups for objs.
func prefetchAll[T any](ctx context.Context, q *query, objs []*T) error {
	if len(q.prefetch) == 0 || len(objs) == 0 {
		return nil
	}
	ptrs := make([]unsafe.Pointer, len(objs))
	for i, p := range objs {
		ptrs[i] = unsafe.Pointer(p)
	}
	return runPrefetch(ctx, q.meta, ptrs, q.prefetch)
}

// iterCursor declares a cursor (in the caller's transaction, or one of its
// own) and fetches it a chunk at a time, so the connection is free for the
// loop body's queries between chunks.
func (qs QuerySet[T, S]) iterCursor(ctx context.Context, q *query, chunk int, yield func(*T, error) bool) {
	fields := q.selected()
	stopped := false // the loop broke: yield must not be called again
	err := Atomic(ctx, func(ctx context.Context) error {
		c, _ := connFrom(ctx)
		sql, args, err := q.instanceSQL(c.db.dialect, fields)
		if err != nil {
			return err
		}
		c.tx.cursors++ // nested loops each get a cursor of their own
		name := fmt.Sprintf("quarry_cursor_%d", c.tx.cursors)
		if _, err := c.exec(ctx, "DECLARE "+name+" NO SCROLL CURSOR FOR "+sql, args); err != nil {
			return err
		}
		for {
			r, err := c.query(ctx, fmt.Sprintf("FETCH %d FROM %s", chunk, name), nil)
			if err != nil {
				return err
			}
			objs, err := scanAll[T](r, c.db.dialect, q, fields, chunk)
			r.Close()
			if err != nil {
				return err
			}
			if err := prefetchAll(ctx, q, objs); err != nil {
				return err
			}
			for _, p := range objs {
				if q.deferred != nil {
					markDeferred(p, q.deferred)
				}
				if !yield(p, nil) {
					stopped = true
					_, err := c.exec(ctx, "CLOSE "+name, nil)
					return err
				}
			}
			if len(objs) < chunk {
				_, err := c.exec(ctx, "CLOSE "+name, nil)
				return err
			}
		}
	})
	if err != nil && !stopped {
		yield(nil, err)
	}
}

// Values returns one map per row, field name → value, for the named fields
// (all fields when none are named).
func (qs QuerySet[T, S]) Values(ctx context.Context, fields ...string) ([]map[string]any, error) {
	names, rowsOut, err := qs.values(ctx, fields)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(rowsOut))
	for i, row := range rowsOut {
		m := make(map[string]any, len(names))
		for j, name := range names {
			m[name] = row[j] // as asked for: Values("pk") gives "pk"
		}
		out[i] = m
	}
	return out, nil
}

// ValuesList returns one slice per row with the named fields' values.
func (qs QuerySet[T, S]) ValuesList(ctx context.Context, fields ...string) ([][]any, error) {
	_, rowsOut, err := qs.values(ctx, fields)
	return rowsOut, err
}

func (qs QuerySet[T, S]) values(ctx context.Context, names []string) ([]string, [][]any, error) {
	q := qs.q
	if q.err != nil {
		return nil, nil, q.err
	}
	if len(names) == 0 {
		names = q.valueNames()
	}
	if q.none {
		return names, nil, nil
	}
	rs, cols, d, err := q.selectValues(ctx, nil, names)
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	var out [][]any
	targets := make([]any, len(cols))
	for rs.Next() {
		row := make([]any, len(cols))
		for i, col := range cols {
			targets[i] = d.valueTarget(col.field, &row[i])
		}
		if err := rs.Scan(targets...); err != nil {
			return nil, nil, err
		}
		out = append(out, row)
	}
	return names, out, rs.Err()
}

// Flat returns one field's values, typed: orm.Flat[int64](ctx, qs, "id") is
// Django's values_list("id", flat=True).
func Flat[V any](ctx context.Context, qs interface {
	ValuesList(context.Context, ...string) ([][]any, error)
}, field string) ([]V, error) {
	rowsOut, err := qs.ValuesList(ctx, field)
	if err != nil {
		return nil, err
	}
	out := make([]V, len(rowsOut))
	want := reflect.TypeFor[V]()
	for i, row := range rowsOut {
		if row[0] == nil {
			continue
		}
		if v, ok := row[0].(V); ok && want.Kind() == reflect.Interface {
			out[i] = v // Flat[any] and the like: the value as it is
			continue
		}
		rv := reflect.ValueOf(row[0])
		// reflect converts an integer to a string as a rune: not a value.
		if !rv.Type().ConvertibleTo(want) || (want.Kind() == reflect.String) != (rv.Kind() == reflect.String) {
			return nil, fmt.Errorf("orm: Flat: %s values are %T, not %s", field, row[0], want)
		}
		out[i] = rv.Convert(want).Interface().(V)
	}
	return out, nil
}

// Values maps field names to new values for Update, GetOrCreate and
// UpdateOrCreate; a value may be an expression (F("view_count").Add(1)).
type Values map[string]any

// Update sets fields on every matching row in one UPDATE and returns how
// many rows changed. Like Django's it calls no Save and sends no signals,
// and leaves auto_now fields alone.
func (qs QuerySet[T, S]) Update(ctx context.Context, set Values) (int64, error) {
	q := qs.q
	if q.err != nil {
		return 0, q.err
	}
	if len(set) == 0 {
		return 0, errors.New("orm: Update needs at least one field")
	}
	if q.none {
		return 0, nil
	}
	c, err := connFrom(ctx)
	if err != nil {
		return 0, err
	}
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("UPDATE " + quote(q.meta.Table) + " SET ")
	if err := writeAssignments(cmp, q.meta, set); err != nil {
		return 0, err
	}
	if err := q.writeWhere(cmp); err != nil {
		return 0, err
	}
	return c.exec(ctx, cmp.sql.String(), cmp.args)
}

func writeAssignments(c *compiler, m *Meta, set Values) error {
	// Columns are qualified: a Subquery's OuterRef("pk") must name the
	// updated row, not the subquery's own.
	r := &resolver{meta: m, table: m.Table}
	for i, name := range sortedKeys(set) {
		f := m.Field(name)
		if f == nil {
			return m.unknownField(name)
		}
		if i > 0 {
			c.sql.WriteString(", ")
		}
		c.sql.WriteString(quote(f.Column) + " = ")
		if e, ok := set[name].(Expr); ok {
			re, err := e.resolve(r, f)
			if err != nil {
				return err
			}
			if err := checkExprType(f.Kind, f, re, set[name]); err != nil {
				return err
			}
			s, err := re.sql(c)
			if err != nil {
				return err
			}
			if f.Kind == KindDecimal { // rounded to the column's places, on SQLite too
				s = c.d.cast(s, f)
			}
			c.sql.WriteString(s)
			continue
		}
		cv, err := f.canonical(set[name])
		if err != nil {
			return err
		}
		if cv == nil && !f.Null {
			return &ValueError{Field: f, Value: nil, Want: "a non-nil value (the field is not null)"}
		}
		ph, err := c.bind(f, cv)
		if err != nil {
			return err
		}
		c.sql.WriteString(ph)
	}
	return nil
}

// Deleted reports what a delete removed: the total and the count per model
// label ("blog.Post").
type Deleted struct {
	Total   int64
	ByModel map[string]int64
}

// Delete removes every matching row and carries out the on_delete rules of
// the keys that point at them, as Django's deletion collector does (see
// deletion.go): CASCADE deletes the referring rows too, transitively;
// SET_NULL, SET_DEFAULT and SET update their key; PROTECT and RESTRICT
// refuse the delete with a *ProtectedError or *RestrictedError listing the
// blocking rows, and then nothing is deleted; DO_NOTHING leaves them to
// the database, which refuses at commit if they still point here. It all
// runs in one transaction, a batch of keys per statement, and reports the
// total and the count per model label. A model nothing points at (or only
// DO_NOTHING keys) and without delete signal receivers is deleted in one
// DELETE. DeletePreview shows what a
// delete would do without doing it.
func (qs QuerySet[T, S]) Delete(ctx context.Context) (Deleted, error) {
	q := qs.q
	if q.err != nil {
		return Deleted{}, q.err
	}
	res := Deleted{ByModel: map[string]int64{}}
	if q.none {
		return res, nil
	}
	if needsCollector(q.meta) {
		return deleteQuery(ctx, q)
	}
	c, err := connFrom(ctx)
	if err != nil {
		return res, err
	}
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("DELETE FROM " + quote(q.meta.Table))
	if err := q.writeWhere(cmp); err != nil {
		return res, err
	}
	n, err := c.exec(ctx, cmp.sql.String(), cmp.args)
	if err != nil {
		return res, err
	}
	res.Total = n
	if n > 0 {
		res.ByModel[q.meta.Label()] = n
	}
	return res, nil
}

// Explain returns the database's plan for the query. On PostgreSQL, opts
// are EXPLAIN's options ("ANALYZE, BUFFERS"); SQLite ignores them.
func (qs QuerySet[T, S]) Explain(ctx context.Context, opts ...string) (string, error) {
	q := qs.q
	if q.err != nil {
		return "", q.err
	}
	c, err := connFrom(ctx)
	if err != nil {
		return "", err
	}
	for _, o := range opts {
		for _, word := range strings.FieldsFunc(o, func(r rune) bool { return r == ',' || r == ' ' }) {
			switch strings.ToUpper(word) {
			case "ANALYZE", "VERBOSE", "COSTS", "BUFFERS", "TIMING", "SUMMARY", "SETTINGS", "WAL", "TRUE", "FALSE", "ON", "OFF", "FORMAT", "TEXT":
			default:
				return "", fmt.Errorf("orm: Explain: unknown option %q", word)
			}
		}
	}
	sql, args, err := q.instanceSQL(c.db.dialect, q.selected())
	if err != nil {
		return "", err
	}
	r, err := c.query(ctx, c.db.dialect.explain(strings.Join(opts, ", "))+sql, args)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var lines []string
	for r.Next() {
		vals, err := r.Values()
		if err != nil {
			return "", err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		lines = append(lines, strings.Join(parts, " "))
	}
	return strings.Join(lines, "\n"), r.Err()
}
