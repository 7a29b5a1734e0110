package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// New returns an instance with every field at its default, as Django's
// Post() does. Zero values set on it afterwards are kept on insert; an
// instance made any other way gets a field's default wherever it is left
// at the zero value.
func (m *Model[T]) New() *T {
	p := new(T)
	base := unsafe.Pointer(p)
	for _, f := range m.Fields {
		if f.HasDefault() {
			f.set(base, f.Default()) // checked when the model was defined
		}
	}
	setState(p, func(s *instanceState) { s.fromNew, s.adding = true, true })
	return p
}

// Copy returns a copy of obj to be saved as a new row (Django's
// "obj.pk = None; obj.save()"): its automatic primary key is zeroed (a
// primary key with a default gets a fresh one; any other primary key is
// kept, to be set anew before saving) and, like an instance from
// New, its zero values are kept on insert rather than replaced by
// defaults. M2M fields are left unbound until the copy is saved; fields
// that Only/Defer left unloaded on obj are copied as zero values.
func (m *Model[T]) Copy(obj *T) *T {
	c := new(T)
	*c = *obj
	base := unsafe.Pointer(c)
	switch {
	case m.PK.HasDefault():
		m.PK.set(base, m.PK.Default()) // checked when the model was defined
	case m.PK.Kind == KindAuto:
		m.PK.rvalue(base).SetZero()
	}
	m.bindM2M(base)
	setState(c, func(s *instanceState) { s.fromNew, s.adding = true, true })
	return c
}

// SaveOption modifies Save.
type SaveOption func(*saveOpts)

type saveOpts struct {
	updateFields    []string
	updateFieldsSet bool // UpdateFields was given, maybe with no names
	forceInsert     bool
}

// UpdateFields saves only the named fields (Django's update_fields). With
// no names Save does nothing.
func UpdateFields(fields ...string) SaveOption {
	return func(o *saveOpts) { o.updateFields, o.updateFieldsSet = fields, true }
}

// ForceInsert makes Save insert even when the primary key is set.
func ForceInsert() SaveOption { return func(o *saveOpts) { o.forceInsert = true } }

// Save inserts obj when its primary key is zero, else updates its
// row (inserting it when no row has that key, as Django does). Defaults,
// auto_now and auto_now_add are applied; the new primary key is set on obj.
// An instance from New whose primary key has a default (a UUID) is
// inserted directly until it has been saved once.
//
// To save a loaded row as a new one, use Copy rather than zeroing the
// primary key: an instance that was not made by New gets a field's
// default wherever it holds the zero value (a stored false would become a
// default true), while a Copy keeps its values as they are.
//
// Save sends PreSave before it writes and PostSave after. With a receiver
// connected to either, it runs in Atomic (a savepoint inside another):
// a receiver's error undoes the save and what the receivers wrote, and an
// automatic key the rolled-back insert gave obj is zeroed again.
func (m *Model[T]) Save(ctx context.Context, obj *T, opts ...SaveOption) error {
	var o saveOpts
	for _, opt := range opts {
		opt(&o)
	}
	if o.updateFieldsSet && len(o.updateFields) == 0 {
		return nil // Django: update_fields=[] saves nothing
	}
	if s := m.sigs(); s != nil && (s.preSave.HasReceivers() || s.postSave.HasReceivers()) {
		return m.saveSignalled(ctx, obj, o, s)
	}
	_, err := m.save(ctx, obj, o, nil)
	return err
}

// saveSignalled is Save with receivers: the row and what they write commit
// or roll back together.
func (m *Model[T]) saveSignalled(ctx context.Context, obj *T, o saveOpts, s *modelSignals[T]) error {
	base := unsafe.Pointer(obj)
	pkZero, adding := isZero(m.PK, base), false
	if m.PK.HasDefault() { // as in save: no other model has an adding state
		if st := stateOf(obj); st != nil {
			adding = st.adding
		}
	}
	err := Atomic(ctx, func(ctx context.Context) error {
		_, err := m.save(ctx, obj, o, s)
		return err
	})
	if err != nil {
		// The rollback took the inserted row with it: a key left on obj
		// would make the next Save update a row that is not there.
		if pkZero && m.PK.Kind == KindAuto {
			m.PK.rvalue(base).SetZero()
			m.unbindM2M(base)
		}
		if adding {
			setState(obj, func(st *instanceState) { st.adding = true })
		}
	}
	return err
}

// save is Save once its options are read; s, when not nil, are the
// signals to send. created reports an insert.
func (m *Model[T]) save(ctx context.Context, obj *T, o saveOpts, s *modelSignals[T]) (created bool, err error) {
	c, err := connFrom(ctx)
	if err != nil {
		return false, err
	}
	base := unsafe.Pointer(obj)
	pkZero := isZero(m.PK, base)
	adding := false
	if !pkZero && !o.forceInsert && len(o.updateFields) == 0 && m.PK.HasDefault() {
		// New set the key from its default: there is no row to update yet.
		if st := stateOf(obj); st != nil {
			adding = st.adding
		}
	}
	inserting := o.forceInsert || pkZero || adding
	var fields []*Field
	if inserting {
		if len(o.updateFields) > 0 {
			return false, errors.New("orm: cannot force an update in save() with no primary key")
		}
	} else if fields, err = m.updateFieldsOf(obj, o.updateFields); err != nil {
		return false, err
	}
	if s == nil {
		return m.write(ctx, c, obj, o, inserting, fields)
	}
	// Sent before any value is read, so that a receiver may still set some
	// (a slug from the title).
	ev := SaveEvent[T]{Instance: obj, Created: inserting, UpdateFields: slices.Clone(o.updateFields)}
	if err := s.preSave.send(ctx, ev); err != nil {
		return false, err
	}
	if ev.Created, err = m.write(ctx, c, obj, o, inserting, fields); err != nil {
		return false, err
	}
	return ev.Created, s.postSave.send(ctx, ev)
}

// write runs Save's INSERT or UPDATE; created reports an insert.
func (m *Model[T]) write(ctx context.Context, c conn, obj *T, o saveOpts, inserting bool, fields []*Field) (created bool, err error) {
	base := unsafe.Pointer(obj)
	if inserting {
		return true, m.insert(ctx, c, obj, true)
	}
	if len(fields) == 0 {
		// Nothing to update (a pk-only model, or only the pk loaded): the
		// row is there or it is inserted, as Django does.
		found, err := m.Objects().Filter(Q{"pk": m.PK.value(base)}).Exists(ctx)
		if err != nil {
			return false, err
		}
		if !found {
			return true, m.insert(ctx, c, obj, false)
		}
		m.bindM2M(base)
		return false, nil
	}
	now := time.Now()
	for _, f := range fields {
		if f.AutoNow {
			f.set(base, now)
		}
	}
	n, err := m.updateRow(ctx, c, base, fields)
	if err != nil {
		return false, err
	}
	if n == 0 {
		if len(o.updateFields) > 0 {
			return false, fmt.Errorf("orm: save with update_fields did not affect any rows: %w", m.DoesNotExist)
		}
		// The instance holds the row as it should be: its zero values are
		// not replaced by defaults.
		return true, m.insert(ctx, c, obj, false)
	}
	m.bindM2M(base)
	return false, nil
}

func (m *Model[T]) updateFieldsOf(obj *T, names []string) ([]*Field, error) {
	var deferred []*Field
	if s := stateOf(obj); s != nil {
		deferred = s.deferred
	}
	if len(names) == 0 {
		out := make([]*Field, 0, len(m.Fields))
		for _, f := range m.Fields {
			if !f.PrimaryKey && !slices.Contains(deferred, f) {
				out = append(out, f)
			}
		}
		return out, nil
	}
	out := make([]*Field, 0, len(names))
	for _, name := range names {
		f := m.Field(name)
		if f == nil {
			return nil, m.unknownField(name)
		}
		if f.PrimaryKey {
			return nil, fmt.Errorf("orm: update_fields cannot include the primary key %s", f)
		}
		out = append(out, f)
	}
	return out, nil
}

func (m *Model[T]) updateRow(ctx context.Context, c conn, base unsafe.Pointer, fields []*Field) (int64, error) {
	d := c.db.dialect
	cmp := newCompiler(d)
	cmp.sql.WriteString("UPDATE " + quote(m.Table) + " SET ")
	for i, f := range fields {
		if i > 0 {
			cmp.sql.WriteString(", ")
		}
		ph, err := cmp.bindField(f, base)
		if err != nil {
			return 0, err
		}
		cmp.sql.WriteString(quote(f.Column) + " = " + ph)
	}
	ph, err := cmp.bindField(m.PK, base)
	if err != nil {
		return 0, err
	}
	cmp.sql.WriteString(" WHERE " + quote(m.PK.Column) + " = " + ph)
	return c.exec(ctx, cmp.sql.String(), cmp.args)
}

// bindField binds the value of field f in instance base.
func (c *compiler) bindField(f *Field, base unsafe.Pointer) (string, error) {
	v := f.value(base)
	switch v.(type) {
	case string, int64, bool, float64: // already canonical: the hot path
	default:
		var err error
		if v, err = f.canonical(v); err != nil {
			return "", err
		}
	}
	return c.bind(f, v)
}

// prepareInsert applies auto_now and auto_now_add, and defaults when
// defaults is set.
func (m *Model[T]) prepareInsert(obj *T, now time.Time, defaults bool) {
	base := unsafe.Pointer(obj)
	fromNew, looked := false, false
	for _, f := range m.Fields {
		switch {
		case f.AutoNow || f.AutoNowAdd:
			f.set(base, now)
		case defaults && f.HasDefault() && isZero(f, base):
			// The instance's state is looked up only when it decides
			// something: making its weak pointer costs more than the rest
			// of this loop (BulkCreate of 10,000 objects: 1ms).
			if !looked {
				if s := stateOf(obj); s != nil {
					fromNew = s.fromNew
				}
				looked = true
			}
			if !fromNew {
				f.set(base, f.Default())
			}
		}
	}
}

func (m *Model[T]) insertFields(obj *T) []*Field { return m.insertFieldsAt(unsafe.Pointer(obj)) }

// insertFieldsAt is the fields an INSERT of the instance at base lists:
// all but an automatic key the database is to assign.
func (m *Meta) insertFieldsAt(base unsafe.Pointer) []*Field {
	fields := make([]*Field, 0, len(m.Fields))
	for _, f := range m.Fields {
		if f == m.PK && f.Kind == KindAuto && isZero(f, base) {
			continue
		}
		fields = append(fields, f)
	}
	return fields
}

// insert inserts obj; defaults says whether fields left at the zero value
// get their defaults (see prepareInsert).
func (m *Model[T]) insert(ctx context.Context, c conn, obj *T, defaults bool) error {
	m.prepareInsert(obj, time.Now(), defaults)
	base := unsafe.Pointer(obj)
	fields := m.insertFields(obj)
	cmp := newCompiler(c.db.dialect)
	cmp.sql.WriteString("INSERT INTO " + quote(m.Table))
	if len(fields) == 0 {
		cmp.sql.WriteString(" DEFAULT VALUES")
	} else {
		cmp.sql.WriteString(" (")
		for i, f := range fields {
			if i > 0 {
				cmp.sql.WriteString(", ")
			}
			cmp.sql.WriteString(quote(f.Column))
		}
		cmp.sql.WriteString(") VALUES (")
		for i, f := range fields {
			if i > 0 {
				cmp.sql.WriteString(", ")
			}
			ph, err := cmp.bindField(f, base)
			if err != nil {
				return err
			}
			cmp.sql.WriteString(ph)
		}
		cmp.sql.WriteString(")")
	}
	cmp.sql.WriteString(" RETURNING " + quote(m.PK.Column))
	r, err := c.query(ctx, cmp.sql.String(), cmp.args)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return errors.New("orm: insert returned no primary key")
	}
	if err := r.Scan(c.db.dialect.scanTarget(m.PK, base)); err != nil {
		return err
	}
	r.Close()
	if err := r.Err(); err != nil {
		return err
	}
	m.clearAdding(obj)
	m.bindM2M(base) // a saved instance's M2M fields are its managers
	return nil
}

// clearAdding records that obj has a row now. Only a primary key with a
// default needs it (see Save): other models skip the state lookup.
func (m *Model[T]) clearAdding(obj *T) {
	if !m.PK.HasDefault() {
		return
	}
	if s := stateOf(obj); s != nil {
		s.adding = false
	}
}

func isZero(f *Field, base unsafe.Pointer) bool { return f.rvalue(base).IsZero() }

// Delete deletes obj's row with what its on_delete rules take along (see
// QuerySet.Delete: cascades, key updates, a *ProtectedError or
// *RestrictedError that deletes nothing), reports the count per model,
// and zeroes obj's automatic primary key, after PostDelete receivers
// have seen it. Delete receivers get obj itself. DeletePreview shows what
// it would do without doing it.
func (m *Model[T]) Delete(ctx context.Context, obj *T) (Deleted, error) {
	pk, err := m.deletePK(obj)
	if err != nil {
		return Deleted{}, err
	}
	res, err := deleteObject(ctx, m.Meta, pk, unsafe.Pointer(obj))
	if err == nil && m.PK.Kind == KindAuto {
		m.PK.rvalue(unsafe.Pointer(obj)).SetZero()
	}
	return res, err
}

// RefreshFromDB reloads obj's fields from its row (only the named ones, if
// any): how a field that Only or Defer left out is loaded, one query.
func (m *Model[T]) RefreshFromDB(ctx context.Context, obj *T, fields ...string) error {
	base := unsafe.Pointer(obj)
	qs := m.Objects().Filter(Q{"pk": m.PK.value(base)})
	if len(fields) > 0 {
		qs = qs.Only(fields...)
	}
	q := qs.querySpec()
	if q.err != nil {
		return q.err
	}
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	sel := q.selected()
	sql, args, err := q.selectSQL(c.db.dialect, sel)
	if err != nil {
		return err
	}
	r, err := c.query(ctx, sql, args)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return m.DoesNotExist
	}
	targets := make([]any, len(sel))
	for i, f := range sel {
		targets[i] = c.db.dialect.scanTarget(f, base)
	}
	if err := r.Scan(targets...); err != nil {
		return err
	}
	if s := stateOf(obj); s != nil && s.deferred != nil {
		s.deferred = slices.DeleteFunc(slices.Clone(s.deferred), func(f *Field) bool {
			return len(fields) == 0 || slices.Contains(sel, f)
		})
	}
	return r.Err()
}

// Deferred lists the fields of obj that Only/Defer left unloaded.
func (m *Model[T]) Deferred(obj *T) []string {
	s := stateOf(obj)
	if s == nil {
		return nil
	}
	names := make([]string, len(s.deferred))
	for i, f := range s.deferred {
		names[i] = f.Name
	}
	return names
}

// Display returns the label of a field's value among its choices (Django's
// get_FOO_display), or the value as text when it has none.
func (m *Model[T]) Display(obj *T, field string) string {
	f := m.Field(field)
	if f == nil {
		return ""
	}
	v := f.value(unsafe.Pointer(obj))
	if label, ok := f.choiceLabel(v); ok {
		return label
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Get reads field values by name from obj (for forms and the admin).
func (m *Model[T]) Get(obj *T, field string) (any, error) {
	f := m.Field(field)
	if f == nil {
		return nil, m.unknownField(field)
	}
	return f.value(unsafe.Pointer(obj)), nil
}

// Set stores a value into obj's field by name, converting it to the
// field's Go type; a value of the wrong type is an error, not a panic.
func (m *Model[T]) Set(obj *T, field string, v any) error {
	f := m.Field(field)
	if f == nil {
		return m.unknownField(field)
	}
	return f.set(unsafe.Pointer(obj), v)
}

// Create inserts obj (Django's objects.create).
func (qs QuerySet[T, S]) Create(ctx context.Context, obj *T) error {
	return qs.model.Save(ctx, obj, ForceInsert())
}

// GetOrCreate returns the row matching lookup, or creates one from the
// lookup's exact values and defaults. created tells which. A concurrent
// creator that wins the race is found, not duplicated: the insert runs in
// a savepoint and a unique violation falls back to Get.
func (qs QuerySet[T, S]) GetOrCreate(ctx context.Context, lookup Q, defaults Values) (obj *T, created bool, err error) {
	// Bad defaults are an error before any query, found or not (Django
	// only notices them when it creates).
	if _, err := qs.newFrom(nil, defaults); err != nil && qs.q.err == nil {
		return nil, false, err
	}
	obj, err = qs.Get(ctx, lookup)
	if !errors.Is(err, ErrDoesNotExist) {
		return obj, false, err
	}
	obj, err = qs.newFrom(lookup, defaults)
	if err != nil {
		return nil, false, err
	}
	err = Atomic(ctx, func(ctx context.Context) error { return qs.Create(ctx, obj) })
	var ie *IntegrityError
	if errors.As(err, &ie) && ie.Kind == "unique" {
		if found, gerr := qs.Get(ctx, lookup); gerr == nil {
			return found, false, nil
		}
	}
	if err != nil {
		return nil, false, err
	}
	return obj, true, nil
}

// UpdateOrCreate updates the row matching lookup with defaults, or creates
// one from both. The row is locked while it is updated.
func (qs QuerySet[T, S]) UpdateOrCreate(ctx context.Context, lookup Q, defaults Values) (obj *T, created bool, err error) {
	if _, err := qs.newFrom(nil, defaults); err != nil && qs.q.err == nil {
		return nil, false, err // bad defaults: an error before the transaction starts
	}
	err = Atomic(ctx, func(ctx context.Context) error {
		locked := qs
		locked.q = qs.q.clone()
		locked.q.lock = &lockOpts{}
		obj, err = locked.Get(ctx, lookup)
		if errors.Is(err, ErrDoesNotExist) {
			obj, created, err = locked.GetOrCreate(ctx, lookup, defaults)
			if err != nil || created {
				return err
			}
		} else if err != nil {
			return err
		}
		names := sortedKeys(defaults)
		for _, name := range names {
			if err := qs.model.Set(obj, name, defaults[name]); err != nil {
				return err
			}
		}
		if len(names) == 0 {
			return nil
		}
		for _, f := range qs.model.Fields {
			if f.AutoNow && !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
		return qs.model.Save(ctx, obj, UpdateFields(names...))
	})
	if err != nil {
		return nil, false, err
	}
	return obj, created, nil
}

// newFrom builds an instance from a lookup's plain field=value entries and
// the defaults.
func (qs QuerySet[T, S]) newFrom(lookup Q, defaults Values) (*T, error) {
	// From New, as Django's Post(**kwargs): a default given as a zero value
	// (is_active=False) is kept, not replaced by the field's own default.
	obj := qs.model.New()
	for _, k := range sortedKeys(lookup) {
		if strings.Contains(k, "__") && !strings.HasSuffix(k, "__exact") {
			continue
		}
		if err := qs.model.Set(obj, strings.TrimSuffix(k, "__exact"), lookup[k]); err != nil {
			return nil, err
		}
	}
	for _, k := range sortedKeys(defaults) {
		if _, isExpr := defaults[k].(Expr); isExpr {
			return nil, fmt.Errorf("orm: default for %s is an expression; give a value", k)
		}
		if err := qs.model.Set(obj, k, defaults[k]); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
