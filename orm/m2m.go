package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// M2M is a many-to-many relation to T, declared with Schema.ManyToMany. On
// an instance loaded from or saved to the database it is the relation's
// manager, as post.tags is in Django: Add, Remove, Set, Clear, All, Query.
// The rows live in a junction table (made automatically, or a through
// model given with Through); a through model's rows are created directly.
type M2M[T any] struct {
	owner  int64            // the instance's primary key
	rel    *Field           // the ManyToMany field
	inst   unsafe.Pointer   // the instance, for m2m_changed
	cache  []unsafe.Pointer // what PrefetchRelated loaded (each a *T)
	cached bool
}

func (*M2M[T]) targetType() reflect.Type { return reflect.TypeFor[T]() }

// m2m header offsets: the layout of M2M[T] does not depend on T.
var (
	m2mOwnerOffset = unsafe.Offsetof(M2M[struct{}]{}.owner)
	m2mRelOffset   = unsafe.Offsetof(M2M[struct{}]{}.rel)
	m2mInstOffset  = unsafe.Offsetof(M2M[struct{}]{}.inst)
)

// bindM2M makes the M2M fields of the instance at base its managers.
func (m *Meta) bindM2M(base unsafe.Pointer) {
	if len(m.ManyToMany) == 0 {
		return
	}
	pk, _ := m.PK.value(base).(int64)
	for _, f := range m.ManyToMany {
		*(*int64)(unsafe.Add(base, f.offset+m2mOwnerOffset)) = pk
		*(**Field)(unsafe.Add(base, f.offset+m2mRelOffset)) = f
		*(*unsafe.Pointer)(unsafe.Add(base, f.offset+m2mInstOffset)) = base
	}
}

// unbindM2M undoes bindM2M, for an instance whose insert was rolled back.
func (m *Meta) unbindM2M(base unsafe.Pointer) {
	for _, f := range m.ManyToMany {
		*(*int64)(unsafe.Add(base, f.offset+m2mOwnerOffset)) = 0
		*(**Field)(unsafe.Add(base, f.offset+m2mRelOffset)) = nil
		*(*unsafe.Pointer)(unsafe.Add(base, f.offset+m2mInstOffset)) = nil
	}
}

// Through makes a ManyToMany use an existing model ("school.Enrollment")
// as its junction table: one with a ForeignKey to each side.
func Through(label string) FieldOption {
	return func(f *Field) {
		if f.Rel != nil {
			f.Rel.throughLabel = label
		}
	}
}

// ManyToMany declares a many-to-many relation held in an orm.M2M[T] field.
// Without Through, a junction table owner_field (owner_id, target_id,
// unique together) is made and registered as an auto-created model.
func (s *Schema) ManyToMany(ptr any, opts ...FieldOption) {
	t, ok := ptr.(fkTarget)
	if !ok {
		s.fail("ManyToMany needs a pointer to an orm.M2M field, got %T", ptr)
		return
	}
	sf, ok := s.locate(ptr)
	if !ok {
		return
	}
	f := &Field{Kind: KindManyToMany, GoName: sf.Name, Name: snakeCase(sf.Name), Editable: true,
		model: s.meta, index: sf.Index, offset: sf.Offset, typ: sf.Type,
		Rel: &Relation{target: t.targetType(), OnDelete: Cascade}}
	for _, o := range opts {
		o(f)
	}
	if f.VerboseName == "" {
		f.VerboseName = strings.ReplaceAll(f.Name, "_", " ")
	}
	if s.meta.byName[f.Name] != nil || s.meta.m2mByName[f.Name] != nil {
		s.fail("field %s declared twice", sf.Name)
	}
	if s.meta.m2mByName == nil {
		s.meta.m2mByName = map[string]*Field{}
	}
	s.meta.m2mByName[f.Name] = f
	s.meta.ManyToMany = append(s.meta.ManyToMany, f)
}

// junctionRow is the Go shape of every auto-created junction table.
type junctionRow struct {
	ID   int64
	From int64
	To   int64
}

// autoJunction makes the junction model of an auto-created many-to-many.
func autoJunction(f *Field) *Meta {
	owner := f.model
	j := &Meta{App: owner.App, Name: owner.Name + "_" + f.Name, Table: owner.Table + "_" + f.Name,
		typ: reflect.TypeFor[junctionRow](), byName: map[string]*Field{}, AutoCreated: true}
	j.VerboseName = strings.ToLower(owner.Name) + "-" + f.Name + " relationship"
	j.VerboseNamePlural = j.VerboseName + "s"
	j.DoesNotExist = &notFoundError{model: j}
	from, to := strings.ToLower(owner.Name), strings.ToLower(f.Rel.target.Name())
	if from == to {
		from, to = "from_"+from, "to_"+to
	}
	key := func(name string, off uintptr, target reflect.Type) *Field {
		k := &Field{Name: name, GoName: name, Column: name + "_id", Kind: KindForeignKey, VerboseName: name,
			Editable: true, DBIndex: true, model: j, offset: off, typ: reflect.TypeFor[int64](),
			// hidden reverse names ("+"-suffixed) let the deletion
			// collector find junction rows without offering them to lookups
			Rel: &Relation{target: target, OnDelete: Cascade, RelatedName: j.Table + "_" + name + "+"}}
		k.acc = newAccessor(k)
		j.byName[name], j.byName[k.Column] = k, k
		return k
	}
	pk := &Field{Name: "id", GoName: "ID", Column: "id", Kind: KindAuto, PrimaryKey: true, Blank: true,
		VerboseName: "ID", model: j, offset: unsafe.Offsetof(junctionRow{}.ID), typ: reflect.TypeFor[int64]()}
	pk.acc = newAccessor(pk)
	j.byName["id"] = pk
	fromField := key(from, unsafe.Offsetof(junctionRow{}.From), owner.typ)
	toField := key(to, unsafe.Offsetof(junctionRow{}.To), f.Rel.target)
	j.PK, j.Fields = pk, []*Field{pk, fromField, toField}
	j.Constraints = []ConstraintDef{{Name: indexName(j.Table, []string{fromField.Column, toField.Column}, "uniq"),
		Kind: "unique", Fields: []string{from, to}}}
	f.Rel.Through, f.Rel.FromField, f.Rel.ToField = j, fromField, toField
	return j
}

// linkThrough finds the keys of an explicit through model once it and the
// target are defined; called with the registry locked.
func linkThrough(f *Field) (done bool, err error) {
	through := registry.byName[strings.ToLower(f.Rel.throughLabel)]
	to := registry.types[f.Rel.target]
	if through == nil || to == nil {
		return false, nil
	}
	var from, toKey *Field
	for _, k := range through.Fields {
		switch {
		case k.Rel == nil:
		case k.Rel.target == f.model.typ && from == nil:
			from = k
		case k.Rel.target == f.Rel.target && toKey == nil:
			toKey = k
		}
	}
	if from == nil || toKey == nil {
		return false, fmt.Errorf("through model %s needs a ForeignKey to %s and one to %s", through.Label(), f.model.Name, f.Rel.target.Name())
	}
	f.Rel.Through, f.Rel.FromField, f.Rel.ToField = through, from, toKey
	return true, nil
}

// pendingM2M wait for their target (and through) models.
var pendingM2M []*Field

// linkM2M resolves pending many-to-many relations and registers their
// reverse names on the target; called with the registry locked.
func linkM2M() error {
	for _, f := range pendingM2M {
		to := registry.types[f.Rel.target]
		if to == nil {
			continue
		}
		if f.Rel.throughLabel != "" && f.Rel.Through == nil {
			done, err := linkThrough(f)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if !done {
				continue
			}
		}
		name := f.Rel.RelatedName
		if name == "" {
			name = f.model.ModelName()
		}
		if name != "+" {
			if to.hasName(name) {
				return fmt.Errorf("reverse accessor %s.%s for %s clashes with a field or reverse accessor of %s: add or change a related_name",
					to.Name, name, f, to.Name)
			}
			if to.reverseM2M == nil {
				to.reverseM2M = map[string]*Field{}
			}
			to.reverseM2M[name] = f
		}
		f.Rel.To = to
	}
	pendingM2M = slices.DeleteFunc(pendingM2M, func(f *Field) bool { return f.Rel.To != nil })
	return nil
}

// joinM2M joins the junction and the far side of a many-to-many, walking
// from the owner (forward) or from the target (reverse). The junction's
// join key is the junction's own reverse name, so that, as in Django,
// student.courses.filter(enrollment__completed=True) in one Filter call
// tests the same enrollment row.
func (r *resolver) joinM2M(f *Field, forward bool, prefix, key, alias string, from *Meta) (string, *Meta) {
	rel := f.Rel
	near, far, farMeta := rel.FromField, rel.ToField, rel.To
	if !forward {
		near, far, farMeta = rel.ToField, rel.FromField, f.model
	}
	jkey := prefix + reverseName(near)
	if rel.Through.AutoCreated {
		jkey = prefix + rel.Through.Table
	}
	j := r.q.addJoin(jkey, rel.Through.Table, alias, from.PK.Column, near.Column, true)
	return r.q.addJoin(key, farMeta.Table, j, far.Column, farMeta.PK.Column, true), farMeta
}

// Query is the related objects as a queryset (post.tags.all() in Django,
// before evaluation), which filters, orders and counts like any other.
func (r *M2M[T]) Query() QS[T] {
	m := &Model[T]{Meta: metaOfType(reflect.TypeFor[T]())}
	qs := m.Objects()
	if r.rel == nil {
		qs.q = qs.q.fail(fmt.Errorf("orm: %s many-to-many used on an instance that was neither saved nor loaded", reflect.TypeFor[T]().Name()))
		return qs
	}
	rel := r.rel.Rel
	sub := newQuery(rel.Through)
	sub.where = []node{&leaf{col: colRef{table: rel.Through.Table, field: rel.FromField}, lookup: "exact", value: r.owner, valField: rel.FromField}}
	sub.fields, sub.subField = []*Field{rel.Through.PK, rel.ToField}, rel.ToField
	qs.q = qs.q.clone()
	qs.q.where = append(qs.q.where, &leaf{col: colRef{table: m.Table, field: m.PK}, lookup: "in", value: sub, valField: m.PK})
	return qs
}

// All returns the related objects: those PrefetchRelated loaded, without
// a query, else one query.
func (r *M2M[T]) All(ctx context.Context) ([]*T, error) {
	if r.cached {
		return slices.Clone(*(*[]*T)(unsafe.Pointer(&r.cache))), nil
	}
	return r.Query().All(ctx)
}

var (
	m2mCacheOffset  = unsafe.Offsetof(M2M[struct{}]{}.cache)
	m2mCachedOffset = unsafe.Offsetof(M2M[struct{}]{}.cached)
)

// setM2MCache stores prefetched objects in the M2M field f of an instance.
func setM2MCache(base unsafe.Pointer, f *Field, objs []unsafe.Pointer) {
	*(*[]unsafe.Pointer)(unsafe.Add(base, f.offset+m2mCacheOffset)) = objs
	*(*bool)(unsafe.Add(base, f.offset+m2mCachedOffset)) = true
}

// check starts every change: it drops what PrefetchRelated cached (the
// change outdates it) and refuses instances that cannot be changed.
func (r *M2M[T]) check() error {
	r.cache, r.cached = nil, false
	if r.rel == nil {
		return fmt.Errorf("orm: %s many-to-many used on an instance that was neither saved nor loaded", reflect.TypeFor[T]().Name())
	}
	if !r.rel.Rel.Through.AutoCreated {
		return fmt.Errorf("orm: %s uses the through model %s: create its rows directly", r.rel, r.rel.Rel.Through.Label())
	}
	return nil
}

func (r *M2M[T]) ids(objs []*T) ([]int64, error) {
	to := r.rel.Rel.To
	ids := make([]int64, 0, len(objs))
	for _, o := range objs {
		id, _ := to.PK.value(unsafe.Pointer(o)).(int64)
		if id == 0 {
			return nil, fmt.Errorf("orm: cannot add an unsaved %s to %s", to.Name, r.rel)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// signals are the owner model's signals when an M2MChanged receiver is
// connected, else nil: the changes below then run as they are, without a
// transaction or a look at what is related already.
func (r *M2M[T]) signals() signalSender {
	if s := r.rel.model.signals; s != nil && s.m2mReceivers() {
		return s
	}
	return nil
}

// send sends m2m_changed with this relation's instance and field.
func (r *M2M[T]) send(ctx context.Context, s signalSender, action M2MAction, ids []int64) error {
	return s.sendM2M(ctx, r.inst, action, r.rel, ids)
}

// Add relates objs (already saved) to the instance; ones already related
// are ignored. One INSERT; with M2MChanged receivers, a transaction that
// first looks up which of objs are related already, as the event reports
// only the others.
func (r *M2M[T]) Add(ctx context.Context, objs ...*T) error {
	if err := r.check(); err != nil {
		return err
	}
	ids, err := r.ids(objs)
	if err != nil || len(ids) == 0 {
		return err
	}
	s := r.signals()
	if s == nil {
		return r.insert(ctx, ids)
	}
	return Atomic(ctx, func(ctx context.Context) error {
		related, err := r.related(ctx, ids)
		if err != nil {
			return err
		}
		return r.add(ctx, s, minus(ids, related))
	})
}

// add inserts the junction rows to ids, not related yet, between pre_add
// and post_add; Django sends both even when there is nothing to add.
func (r *M2M[T]) add(ctx context.Context, s signalSender, ids []int64) error {
	if err := r.send(ctx, s, PreAdd, ids); err != nil {
		return err
	}
	if len(ids) > 0 {
		if err := r.insert(ctx, ids); err != nil {
			return err
		}
	}
	return r.send(ctx, s, PostAdd, ids)
}

// insert adds the instance's junction rows to ids.
func (r *M2M[T]) insert(ctx context.Context, ids []int64) error {
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	rel := r.rel.Rel
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("INSERT INTO " + quote(rel.Through.Table) + " (" + quote(rel.FromField.Column) + ", " + quote(rel.ToField.Column) + ") VALUES ")
	for i, id := range ids {
		if i > 0 {
			cmp.sql.WriteString(", ")
		}
		cmp.sql.WriteString("(" + cmp.arg(r.owner) + ", " + cmp.arg(id) + ")")
	}
	cmp.sql.WriteString(" ON CONFLICT DO NOTHING")
	_, err = c.exec(ctx, cmp.sql.String(), cmp.args)
	return err
}

// related returns which of ids (all the related keys, when ids is nil) the
// instance is related to.
func (r *M2M[T]) related(ctx context.Context, ids []int64) ([]int64, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	rel := r.rel.Rel
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("SELECT " + quote(rel.ToField.Column) + " FROM " + quote(rel.Through.Table) + " WHERE " + quote(rel.FromField.Column) + " = " + cmp.arg(r.owner))
	if ids != nil {
		cmp.sql.WriteString(" AND (")
		if err := (&keysNode{col: colRef{field: rel.ToField}, ids: ids}).compile(cmp); err != nil {
			return nil, err
		}
		cmp.sql.WriteString(")")
	}
	rows, err := c.query(ctx, cmp.sql.String(), cmp.args)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// minus returns the ids not in drop, each once, in order.
func minus(ids, drop []int64) []int64 {
	skip := make(map[int64]bool, len(ids)+len(drop))
	for _, id := range drop {
		skip[id] = true
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !skip[id] {
			skip[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Remove unrelates objs from the instance. One DELETE (in a transaction
// between pre_remove and post_remove when M2MChanged has receivers).
func (r *M2M[T]) Remove(ctx context.Context, objs ...*T) error {
	if err := r.check(); err != nil {
		return err
	}
	ids, err := r.ids(objs)
	if err != nil || len(ids) == 0 {
		return err
	}
	s := r.signals()
	if s == nil {
		return r.delete(ctx, ids, false)
	}
	return Atomic(ctx, func(ctx context.Context) error { return r.remove(ctx, s, minus(ids, nil)) })
}

// remove deletes the junction rows to ids between pre_remove and
// post_remove.
func (r *M2M[T]) remove(ctx context.Context, s signalSender, ids []int64) error {
	if err := r.send(ctx, s, PreRemove, ids); err != nil {
		return err
	}
	if err := r.delete(ctx, ids, false); err != nil {
		return err
	}
	return r.send(ctx, s, PostRemove, ids)
}

// Clear unrelates every object from the instance. One DELETE (in a
// transaction between pre_clear and post_clear when M2MChanged has
// receivers).
func (r *M2M[T]) Clear(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	s := r.signals()
	if s == nil {
		return r.delete(ctx, nil, false)
	}
	return Atomic(ctx, func(ctx context.Context) error {
		if err := r.send(ctx, s, PreClear, nil); err != nil {
			return err
		}
		if err := r.delete(ctx, nil, false); err != nil {
			return err
		}
		return r.send(ctx, s, PostClear, nil)
	})
}

// delete removes the instance's junction rows: those to ids, or with
// except, all but those (all when ids is empty).
func (r *M2M[T]) delete(ctx context.Context, ids []int64, except bool) error {
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	rel := r.rel.Rel
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("DELETE FROM " + quote(rel.Through.Table) + " WHERE " + quote(rel.FromField.Column) + " = " + cmp.arg(r.owner))
	if len(ids) > 0 {
		cmp.sql.WriteString(" AND ")
		if except {
			cmp.sql.WriteString("NOT ")
		}
		cmp.sql.WriteString("(")
		if err := (&keysNode{col: colRef{field: rel.ToField}, ids: ids}).compile(cmp); err != nil {
			return err
		}
		cmp.sql.WriteString(")")
	}
	_, err = c.exec(ctx, cmp.sql.String(), cmp.args)
	return err
}

// Set makes objs exactly the related objects, in one transaction: the
// others are removed, the missing added. With M2MChanged receivers it is
// Django's set(): a Remove of the related objects not in objs, then an Add
// of those of objs not related yet, each sent only when it has keys.
func (r *M2M[T]) Set(ctx context.Context, objs []*T) error {
	if err := r.check(); err != nil {
		return err
	}
	ids, err := r.ids(objs)
	if err != nil {
		return err
	}
	return r.set(ctx, ids)
}

// set is Set once the objects are keys (AnyModel.SetRelated has only
// keys); check has run.
func (r *M2M[T]) set(ctx context.Context, ids []int64) error {
	s := r.signals()
	return Atomic(ctx, func(ctx context.Context) error {
		if s == nil {
			if err := r.delete(ctx, ids, true); err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			return r.insert(ctx, ids)
		}
		related, err := r.related(ctx, nil)
		if err != nil {
			return err
		}
		if gone := minus(related, ids); len(gone) > 0 {
			if err := r.remove(ctx, s, gone); err != nil {
				return err
			}
		}
		if added := minus(ids, related); len(added) > 0 {
			return r.add(ctx, s, added)
		}
		return nil
	})
}
