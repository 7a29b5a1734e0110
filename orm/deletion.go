package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// The deletion collector, after Django's django/db/models/deletion.py.
//
// A delete starts from some rows of one model and collects, by primary key
// and model, every row that goes with them: it follows each key that
// points at a collected model (related_name "+" ones too) and applies its
// on_delete rule. CASCADE collects the referring rows in turn (transitively,
// self-referential keys included: a row is collected once, so cycles end);
// SET_NULL, SET_DEFAULT and SET(func) plan an UPDATE of the key; PROTECT
// and RESTRICT load the referring rows as blockers; DO_NOTHING leaves them
// to the database. Every lookup goes through the ORM's own query builder,
// deleteBatchSize keys at a time, so no statement outgrows the bind limits
// and no statement is spent on a single row.
//
// Once everything is collected, RESTRICT is resolved as Django does: a
// restricting row blocks the delete only if it is not itself collected for
// deletion (by a CASCADE from elsewhere in the same operation). PROTECT
// always blocks. A blocked delete changes nothing.
//
// Executing the plan runs in one transaction (Atomic): the key updates
// first, then the deletes, children before parents. The keys are
// DEFERRABLE INITIALLY DEFERRED, so the order only has to be right by
// commit, but it is kept sane anyway.
//
// Signals: the rows of a model with delete receivers are loaded whole
// while collecting (never fast-deleted, never deleted in one statement by
// QuerySet.Delete), pre_delete goes to every one of them before the plan
// changes anything, and post_delete once their model's rows are deleted,
// all inside the transaction, as Django's Collector.delete sends them.
//
// DeletePreview runs the same collection without executing it.

// deleteBatchSize is how many keys one statement of a delete carries
// (Django's get_del_batches): far below SQLite's 32766 and PostgreSQL's
// 65535 bind parameters.
const deleteBatchSize = 1000

// BlockingObject is a row that stops a delete: it points through a PROTECT
// or RESTRICT key at a row that would be deleted.
type BlockingObject struct {
	Model  *Meta  // the blocking row's model ("blog.Post")
	Field  *Field // its key that points at the row being deleted ("author")
	PK     any
	Object any // the loaded instance, a *T of Model
}

// String is the object's own String (a fmt.Stringer, Django's __str__),
// else Django's default: "Post object (3)".
func (o BlockingObject) String() string {
	if s, ok := o.Object.(fmt.Stringer); ok {
		return s.String()
	}
	return defaultString(o.Model, o.PK)
}

// ProtectedError refuses a delete because rows point at what it would
// delete through PROTECT keys. It lists them; nothing was deleted.
type ProtectedError struct {
	Objects []BlockingObject
}

func (e *ProtectedError) Error() string { return blockedMessage("protected", e.Objects) }

// PKs groups the protected objects' primary keys by model label.
func (e *ProtectedError) PKs() map[string][]any { return blockedPKs(e.Objects) }

// RestrictedError refuses a delete because rows point at what it would
// delete through RESTRICT keys and are not deleted themselves by a CASCADE
// of the same operation. It lists them; nothing was deleted.
type RestrictedError struct {
	Objects []BlockingObject
}

func (e *RestrictedError) Error() string { return blockedMessage("restricted", e.Objects) }

// PKs groups the restricting objects' primary keys by model label.
func (e *RestrictedError) PKs() map[string][]any { return blockedPKs(e.Objects) }

// blockedMessage is Django's: "Cannot delete some instances of model
// 'User' because they are referenced through protected foreign keys:
// 'Post.author'." It names the model whose rows are referenced and each
// blocking key; unlike Django, a block found deeper in a cascade names the
// key that actually blocks, not the first hop of the cascade.
func blockedMessage(kind string, objs []BlockingObject) string {
	var models, keys []string
	for _, o := range objs {
		if name := "'" + o.Field.Rel.To.Name + "'"; !slices.Contains(models, name) {
			models = append(models, name)
		}
		if key := "'" + o.Model.Name + "." + o.Field.Name + "'"; !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	}
	noun := "model"
	if len(models) > 1 {
		noun = "models"
	}
	return fmt.Sprintf("Cannot delete some instances of %s %s because they are referenced through %s foreign keys: %s.",
		noun, strings.Join(models, ", "), kind, strings.Join(keys, ", "))
}

func blockedPKs(objs []BlockingObject) map[string][]any {
	out := map[string][]any{}
	for _, o := range objs {
		out[o.Model.Label()] = append(out[o.Model.Label()], o.PK)
	}
	return out
}

// DeletePlan is what a delete would do, worked out without changing
// anything: what the admin's confirmation page shows.
type DeletePlan struct {
	// Delete lists the rows that would be deleted, per model, in the
	// order they were collected (the rows asked for first).
	Delete []PlannedDelete
	// Update lists the rows whose key would be set (SET_NULL, SET_DEFAULT,
	// SET); rows that are deleted anyway are left out.
	Update []PlannedUpdate
	// Protected and Restricted are what would refuse the delete (nil when
	// nothing does); Delete returns them as its error.
	Protected  *ProtectedError
	Restricted *RestrictedError
}

// PlannedDelete is the rows of one model a delete would remove.
type PlannedDelete struct {
	Model *Meta
	PKs   []any
}

// PlannedUpdate is the rows whose key a delete would change.
type PlannedUpdate struct {
	Model *Meta
	Field *Field       // the key
	Rule  OnDeleteRule // SetNull, SetDefault or SetValue
	// Value is what the key would be set to: nil for SET_NULL, the default
	// for SET_DEFAULT. SET's function is not called by a preview (it may
	// have effects of its own), so it is nil there too.
	Value any
	PKs   []any
}

// Err is the error the delete would return: a *ProtectedError, a
// *RestrictedError, or nil when it would go ahead.
func (p *DeletePlan) Err() error {
	switch {
	case p.Protected != nil:
		return p.Protected
	case p.Restricted != nil:
		return p.Restricted
	}
	return nil
}

// Counts is what Delete would report: the total and the count per model
// label.
func (p *DeletePlan) Counts() Deleted {
	res := Deleted{ByModel: map[string]int64{}}
	for _, d := range p.Delete {
		if n := int64(len(d.PKs)); n > 0 {
			res.ByModel[d.Model.Label()] += n
			res.Total += n
		}
	}
	return res
}

// PKs returns the primary keys of the rows of a model (by label,
// "blog.Post") that would be deleted.
func (p *DeletePlan) PKs(label string) []any {
	for _, d := range p.Delete {
		if strings.EqualFold(d.Model.Label(), label) {
			return d.PKs
		}
	}
	return nil
}

// DeletePreview collects what Delete would remove, update and be blocked
// by, without changing anything (Django admin's delete confirmation).
func (qs QuerySet[T, S]) DeletePreview(ctx context.Context) (*DeletePlan, error) {
	q := qs.q
	if q.err != nil {
		return nil, q.err
	}
	col, err := newCollector(ctx, true)
	if err != nil {
		return nil, err
	}
	if !q.none {
		if err := col.collectQuery(ctx, q); err != nil {
			return nil, err
		}
	}
	return col.plan(), nil
}

// DeletePreview is QuerySet.DeletePreview for one object: what Delete(obj)
// would remove, update and be blocked by, without changing anything.
func (m *Model[T]) DeletePreview(ctx context.Context, obj *T) (*DeletePlan, error) {
	pk, err := m.deletePK(obj)
	if err != nil {
		return nil, err
	}
	col, err := newCollector(ctx, true)
	if err != nil {
		return nil, err
	}
	if err := col.collect(ctx, m.Meta, []any{pk}); err != nil {
		return nil, err
	}
	return col.plan(), nil
}

// deletePK is obj's primary key in canonical form, or Django's error for
// an unsaved object.
func (m *Model[T]) deletePK(obj *T) (any, error) {
	base := unsafe.Pointer(obj)
	if isZero(m.PK, base) {
		return nil, fmt.Errorf("orm: %s object can't be deleted because its %s attribute is not set", m.Name, m.PK.Name)
	}
	return m.PK.canonical(m.PK.value(base))
}

// deleteObject deletes one row by primary key and what depends on it;
// obj is the instance delete receivers get for it.
func deleteObject(ctx context.Context, m *Meta, pk any, obj unsafe.Pointer) (Deleted, error) {
	if !needsCollector(m) {
		// Nothing points here that needs handling: one DELETE, as before.
		res := Deleted{ByModel: map[string]int64{}}
		n, err := deleteWhere(ctx, newQuery(m).filter([]Cond{Q{"pk": pk}}, false))
		if err != nil {
			return res, err
		}
		res.add(m, n)
		return res, nil
	}
	return collectAndDelete(ctx, func(ctx context.Context, col *collector) error {
		if deleteReceivers(m) {
			col.keep(m, pk, obj)
		}
		return col.collect(ctx, m, []any{pk})
	})
}

// deleteQuery deletes the rows q matches and what depends on them.
func deleteQuery(ctx context.Context, q *query) (Deleted, error) {
	return collectAndDelete(ctx, func(ctx context.Context, col *collector) error {
		return col.collectQuery(ctx, q)
	})
}

// collectAndDelete runs a collection and then the delete it plans, in one
// transaction (a savepoint inside another).
func collectAndDelete(ctx context.Context, collect func(context.Context, *collector) error) (Deleted, error) {
	var res Deleted
	err := Atomic(ctx, func(ctx context.Context) error {
		col, err := newCollector(ctx, false)
		if err != nil {
			return err
		}
		if err := collect(ctx, col); err != nil {
			return err
		}
		if err := col.blocked(); err != nil {
			return err
		}
		res, err = col.execute(ctx)
		return err
	})
	if err != nil {
		return Deleted{ByModel: map[string]int64{}}, err
	}
	return res, nil
}

// deleteWhere runs DELETE FROM … WHERE q's conditions.
func deleteWhere(ctx context.Context, q *query) (int64, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return 0, err
	}
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("DELETE FROM " + quote(q.meta.Table))
	if err := q.writeWhere(cmp); err != nil {
		return 0, err
	}
	return c.exec(ctx, cmp.sql.String(), cmp.args)
}

func (d *Deleted) add(m *Meta, n int64) {
	if n <= 0 {
		return
	}
	if d.ByModel == nil {
		d.ByModel = map[string]int64{}
	}
	d.ByModel[m.Label()] += n
	d.Total += n
}

// relationsTo lists every key that points at m, hidden ones (related_name
// "+") included: Django's get_candidate_relations_to_delete.
func relationsTo(m *Meta) []*Field {
	registry.RLock()
	defer registry.RUnlock()
	var out []*Field
	for _, other := range registry.models {
		for _, f := range other.Fields {
			if f.Rel != nil && f.Rel.To == m {
				out = append(out, f)
			}
		}
	}
	return out
}

// needsCollector reports whether deleting rows of m has consequences the
// database does not take care of: a key pointing at m with a rule other
// than DO_NOTHING, or delete receivers, which get each object. Without
// them, a delete is a single DELETE statement.
func needsCollector(m *Meta) bool {
	if deleteReceivers(m) {
		return true
	}
	for _, f := range relationsTo(m) {
		if f.Rel.OnDelete != DoNothing {
			return true
		}
	}
	return false
}

// canFastDelete reports whether the rows of m that a CASCADE reaches can be
// deleted by that key (DELETE … WHERE key IN …) without loading their
// primary keys, as Django's Collector.can_fast_delete: nothing needs to
// follow them, and they restrict nothing (a RESTRICT is resolved by
// looking for the restricting rows among the collected ones).
func canFastDelete(m *Meta) bool {
	if needsCollector(m) {
		return false
	}
	for _, f := range m.Fields {
		if f.Rel != nil && f.Rel.OnDelete == Restrict {
			return false
		}
	}
	return true
}

// collector gathers what a delete does; see the comment at the top.
type collector struct {
	c       conn
	preview bool // collect only; also look up the rows fast deletes and updates would touch

	models  []*Meta         // in the order first collected
	rows    map[*Meta][]any // primary keys to delete
	seen    map[*Meta]map[any]bool
	pending map[*Meta][]any // collected, relations not yet followed
	todo    []*Meta         // models with pending keys, in order
	deps    map[*Meta]map[*Meta]bool

	fast    byKey // cascades deleted by key, without loading the rows
	updates byKey // keys to set (SET_NULL, SET_DEFAULT, SET)
	updated byKey // preview: the rows the updates would change

	// instances are the loaded rows of models with delete receivers, by
	// primary key: what pre_delete and post_delete are sent with.
	instances map[*Meta]map[any]unsafe.Pointer

	protected  []BlockingObject
	restricted []BlockingObject
}

// byKey holds, per key, the parent rows whose referring rows something
// happens to, in the order the keys were met.
type byKey struct {
	keys []*Field
	pks  map[*Field][]any
}

func (b *byKey) add(f *Field, pks []any) {
	if _, ok := b.pks[f]; !ok {
		if b.pks == nil {
			b.pks = map[*Field][]any{}
		}
		b.keys = append(b.keys, f)
	}
	b.pks[f] = append(b.pks[f], pks...)
}

func newCollector(ctx context.Context, preview bool) (*collector, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	return &collector{c: c, preview: preview, rows: map[*Meta][]any{}, seen: map[*Meta]map[any]bool{},
		pending: map[*Meta][]any{}, deps: map[*Meta]map[*Meta]bool{}}, nil
}

// add collects the rows of m with the given keys; those already collected
// are skipped, which is what ends a cycle of self-referential cascades.
func (col *collector) add(m *Meta, pks []any) {
	seen := col.seen[m]
	if seen == nil {
		seen = map[any]bool{}
		col.seen[m] = seen
	}
	for _, pk := range pks {
		if seen[pk] {
			continue
		}
		seen[pk] = true
		if _, ok := col.rows[m]; !ok {
			col.models = append(col.models, m)
		}
		col.rows[m] = append(col.rows[m], pk)
		if len(col.pending[m]) == 0 {
			col.todo = append(col.todo, m)
		}
		col.pending[m] = append(col.pending[m], pk)
	}
}

// dependOn records that rows of child go before rows of parent.
func (col *collector) dependOn(parent, child *Meta) {
	if parent == child {
		return
	}
	if col.deps[parent] == nil {
		col.deps[parent] = map[*Meta]bool{}
	}
	col.deps[parent][child] = true
}

// collectQuery collects the rows q matches.
func (col *collector) collectQuery(ctx context.Context, q *query) error {
	if !q.sliced() {
		q = q.orderBy(nil) // the order of the keys does not matter
	}
	pks, err := col.keys(ctx, q)
	if err != nil {
		return err
	}
	if !col.preview && deleteReceivers(q.meta) {
		// The receivers need the rows whole. They are loaded by key rather
		// than by q itself, whose joins or slice may not select them.
		var loaded []any
		for batch := range slices.Chunk(pks, deleteBatchSize) {
			got, err := col.load(ctx, newQuery(q.meta).filter([]Cond{Q{"pk__in": batch}}, false))
			if err != nil {
				return err
			}
			loaded = append(loaded, got...)
		}
		pks = loaded
	}
	return col.collect(ctx, q.meta, pks)
}

// collect collects the rows of m with the given keys and, breadth first,
// everything that follows from them.
func (col *collector) collect(ctx context.Context, m *Meta, pks []any) error {
	col.add(m, pks)
	for len(col.todo) > 0 {
		m := col.todo[0]
		col.todo = col.todo[1:]
		pks := col.pending[m]
		delete(col.pending, m)
		for _, f := range relationsTo(m) {
			if err := col.follow(ctx, f, pks); err != nil {
				return err
			}
		}
	}
	// RESTRICT, resolved once everything is collected: a restricting row
	// that is deleted anyway does not block.
	col.restricted = slices.DeleteFunc(col.restricted, func(o BlockingObject) bool { return col.seen[o.Model][o.PK] })
	return nil
}

// follow applies the on_delete rule of key f to the rows pointing at the
// collected parents.
func (col *collector) follow(ctx context.Context, f *Field, parents []any) error {
	child := f.model
	if f.Rel.OnDelete == DoNothing {
		return nil // the database may refuse at commit
	}
	for batch := range slices.Chunk(parents, deleteBatchSize) {
		switch f.Rel.OnDelete {
		case Cascade:
			col.dependOn(f.Rel.To, child)
			if !col.preview && canFastDelete(child) {
				col.fast.add(f, batch)
				continue
			}
			load := col.keys
			if !col.preview && deleteReceivers(child) {
				load = col.load
			}
			pks, err := load(ctx, referring(f, batch))
			if err != nil {
				return err
			}
			col.add(child, pks)
		case Protect:
			objs, err := col.objects(ctx, f, batch)
			if err != nil {
				return err
			}
			col.protected = append(col.protected, objs...)
		case Restrict:
			col.dependOn(f.Rel.To, child)
			objs, err := col.objects(ctx, f, batch)
			if err != nil {
				return err
			}
			col.restricted = append(col.restricted, objs...)
		case SetNull, SetDefault, SetValue:
			col.updates.add(f, batch)
			if !col.preview {
				continue
			}
			pks, err := col.keys(ctx, referring(f, batch))
			if err != nil {
				return err
			}
			col.updated.add(f, pks)
		default:
			return fmt.Errorf("orm: %s: unknown on_delete rule %d", f, f.Rel.OnDelete)
		}
	}
	return nil
}

// referring is the query of the rows whose key f holds one of parents.
func referring(f *Field, parents []any) *query {
	return newQuery(f.model).filter([]Cond{Q{f.Name + "__in": parents}}, false)
}

// keys runs q for its primary keys, in primary key order.
func (col *collector) keys(ctx context.Context, q *query) ([]any, error) {
	if !q.sliced() {
		q = q.orderBy([]string{"pk"})
	}
	pk := q.meta.PK
	// Not selectSQL: a SelectRelated queryset's related columns are not wanted.
	sql, args, err := q.selectColsSQL(col.c.db.dialect, []*Field{pk}, nil)
	if err != nil {
		return nil, err
	}
	r, err := col.c.query(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []any
	for r.Next() {
		var v any
		if err := r.Scan(col.c.db.dialect.valueTarget(pk, &v)); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, r.Err()
}

// objects loads the rows whose key f holds one of parents, as blockers.
func (col *collector) objects(ctx context.Context, f *Field, parents []any) ([]BlockingObject, error) {
	m := f.model
	var out []BlockingObject
	err := col.scanRows(ctx, referring(f, parents), func(pk any, base unsafe.Pointer) {
		out = append(out, BlockingObject{Model: m, Field: f, PK: pk, Object: reflect.NewAt(m.typ, base).Interface()})
	})
	return out, err
}

// load loads the rows q matches, in primary key order, for the delete
// receivers of their model, and returns their keys.
func (col *collector) load(ctx context.Context, q *query) ([]any, error) {
	var pks []any
	err := col.scanRows(ctx, q, func(pk any, base unsafe.Pointer) {
		col.keep(q.meta, pk, base)
		pks = append(pks, pk)
	})
	return pks, err
}

// keep records obj as the instance of the row pk of m; the first one kept
// stays (Model.Delete's own object, which receivers get as Django gives
// them the instance delete() was called on).
func (col *collector) keep(m *Meta, pk any, obj unsafe.Pointer) {
	if col.instances == nil {
		col.instances = map[*Meta]map[any]unsafe.Pointer{}
	}
	objs := col.instances[m]
	if objs == nil {
		objs = map[any]unsafe.Pointer{}
		col.instances[m] = objs
	}
	if _, ok := objs[pk]; !ok {
		objs[pk] = obj
	}
}

// scanRows loads whole rows of the model q selects, in primary key
// order, and hands each to fn with its primary key.
func (col *collector) scanRows(ctx context.Context, q *query, fn func(pk any, base unsafe.Pointer)) error {
	m := q.meta
	q = q.orderBy([]string{"pk"})
	d := col.c.db.dialect
	sql, args, err := q.selectColsSQL(d, m.Fields, nil)
	if err != nil {
		return err
	}
	r, err := col.c.query(ctx, sql, args)
	if err != nil {
		return err
	}
	defer r.Close()
	sc := newRowScanner(d, m.Fields, nil)
	for r.Next() {
		base := reflect.New(m.typ).UnsafePointer()
		if err := sc.scan(r, base); err != nil {
			return fmt.Errorf("orm: scanning %s: %w", m.Label(), err)
		}
		pk, err := m.PK.canonical(m.PK.value(base))
		if err != nil {
			return err
		}
		fn(pk, base)
	}
	return r.Err()
}

// blocked is the error that refuses the delete, if any: PROTECT first, as
// Django raises it while collecting and RESTRICT only at the end.
func (col *collector) blocked() error {
	if len(col.protected) > 0 {
		return &ProtectedError{Objects: col.protected}
	}
	if len(col.restricted) > 0 {
		return &RestrictedError{Objects: col.restricted}
	}
	return nil
}

// plan describes the collection for DeletePreview.
func (col *collector) plan() *DeletePlan {
	p := &DeletePlan{}
	for _, m := range col.models {
		p.Delete = append(p.Delete, PlannedDelete{Model: m, PKs: col.rows[m]})
	}
	for _, f := range col.updated.keys {
		pks := slices.DeleteFunc(col.updated.pks[f], func(pk any) bool { return col.seen[f.model][pk] })
		if len(pks) == 0 {
			continue
		}
		u := PlannedUpdate{Model: f.model, Field: f, Rule: f.Rel.OnDelete, PKs: pks}
		if f.Rel.OnDelete == SetDefault {
			u.Value = f.Default()
		}
		p.Update = append(p.Update, u)
	}
	if len(col.protected) > 0 {
		p.Protected = &ProtectedError{Objects: col.protected}
	}
	if len(col.restricted) > 0 {
		p.Restricted = &RestrictedError{Objects: col.restricted}
	}
	return p
}

// deleteOrder is the collected models with the referring ones before
// those they point at, as far as the keys allow (a cycle is left to the
// deferred constraints): Django's Collector.sort.
func (col *collector) deleteOrder() []*Meta {
	out := make([]*Meta, 0, len(col.models))
	done := map[*Meta]bool{}
	for len(out) < len(col.models) {
		found := false
		for _, m := range col.models {
			if done[m] {
				continue
			}
			ready := true
			for child := range col.deps[m] {
				if !done[child] && len(col.rows[child]) > 0 {
					ready = false
					break
				}
			}
			if ready {
				out, done[m], found = append(out, m), true, true
			}
		}
		if !found {
			for _, m := range col.models {
				if !done[m] {
					out, done[m] = append(out, m), true
				}
			}
		}
	}
	return out
}

// execute carries out the collected delete: pre_delete for every object,
// the key updates, then the deletes, children before parents, each
// model's post_delete once its rows are gone (Django's order). It runs
// inside collectAndDelete's transaction, and so do the receivers.
func (col *collector) execute(ctx context.Context) (Deleted, error) {
	res := Deleted{ByModel: map[string]int64{}}
	order := col.deleteOrder()
	for _, m := range order {
		if err := col.signal(ctx, m, false); err != nil {
			return res, err
		}
	}
	for _, f := range col.updates.keys {
		var v any // SET_NULL
		switch f.Rel.OnDelete {
		case SetDefault:
			v = f.Default()
		case SetValue:
			var err error
			if v, err = f.Rel.SetFunc(ctx); err != nil { // once per key and delete
				return res, fmt.Errorf("orm: on_delete=SET of %s: %w", f, err)
			}
		}
		for batch := range slices.Chunk(col.updates.pks[f], deleteBatchSize) {
			cmp := newCompiler(col.c.db.dialect)
			cmp.sql.WriteString("UPDATE " + quote(f.model.Table) + " SET ")
			if err := writeAssignments(cmp, f.model, Values{f.Name: v}); err != nil {
				return res, fmt.Errorf("orm: on_delete of %s: %w", f, err)
			}
			if err := referring(f, batch).writeWhere(cmp); err != nil {
				return res, err
			}
			if _, err := col.c.exec(ctx, cmp.sql.String(), cmp.args); err != nil {
				return res, err
			}
		}
	}
	// Rows nothing needs to follow, deleted by the key that cascades to
	// them. A model with delete receivers is never among them
	// (canFastDelete): its rows go through the batches below.
	for _, f := range col.fast.keys {
		for batch := range slices.Chunk(col.fast.pks[f], deleteBatchSize) {
			n, err := deleteWhere(ctx, referring(f, batch))
			if err != nil {
				return res, err
			}
			res.add(f.model, n)
		}
	}
	for _, m := range order {
		for batch := range slices.Chunk(col.rows[m], deleteBatchSize) {
			n, err := deleteWhere(ctx, newQuery(m).filter([]Cond{Q{"pk__in": batch}}, false))
			if err != nil {
				return res, err
			}
			res.add(m, n)
		}
		if err := col.signal(ctx, m, true); err != nil {
			return res, err
		}
	}
	return res, nil
}

// signal sends pre_delete (post_delete when post) for each collected row
// of m, in the order collected. Only the rows loaded for receivers have
// an instance: a receiver connected while the delete was collecting
// misses the rows collected before it, rather than the delete loading
// them late.
func (col *collector) signal(ctx context.Context, m *Meta, post bool) error {
	objs := col.instances[m]
	if len(objs) == 0 || m.signals == nil {
		return nil
	}
	for _, pk := range col.rows[m] {
		if obj, ok := objs[pk]; ok {
			if err := m.signals.sendDelete(ctx, post, obj); err != nil {
				return err
			}
		}
	}
	return nil
}
