package orm

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// AnyModel is a Model[T] seen without T, for code that holds only a *Meta
// (the admin). Every obj argument and result is a *T; a value of another
// type (or a nil *T) is an error, never a panic. The methods without an
// error result give their zero value for one: Display and String "", PK
// and Related nil.
type AnyModel interface {
	Meta() *Meta
	New() any // Model[T].New: defaults applied
	Save(ctx context.Context, obj any, opts ...SaveOption) error
	Delete(ctx context.Context, obj any) (Deleted, error)
	DeletePreview(ctx context.Context, obj any) (*DeletePlan, error)
	FullClean(ctx context.Context, obj any, exclude ...string) error
	Get(obj any, field string) (any, error) // as Model[T].Get
	Set(obj any, field string, v any) error // as Model[T].Set
	Display(obj any, field string) string   // as Model[T].Display
	// SaveFile is Model[T].SaveFile: an upload for a File or Image field.
	SaveFile(ctx context.Context, obj any, field, filename string, content io.Reader) error
	// String is the object's display string, Django's __str__: its own
	// String when *T is a fmt.Stringer, else "Tag object (3)", and
	// "Tag object (None)" while its primary key is unset.
	String(obj any) string
	// PK is the primary key in canonical form (int64 for an automatic
	// key); nil while it is unset.
	PK(obj any) any
	// Related returns the object a ForeignKey/OneToOne field of obj points at if it is
	// already loaded (SelectRelated or Get cached it), else nil; no query.
	Related(obj any, field string) any
	// RelatedKeys returns the primary keys of the objects related through the
	// many-to-many field (prefetched objects when PrefetchRelated loaded them, else one query).
	RelatedKeys(ctx context.Context, obj any, field string) ([]any, error)
	// SetRelated makes exactly the objects with these primary keys related through the
	// many-to-many field (M2M.Set semantics, signals included); an unknown key is an error naming it.
	// Keys may be strings, as a form sends them; a bad or unknown one is a
	// *ValidationError on the field, with Django's form messages.
	SetRelated(ctx context.Context, obj any, field string, keys []any) error
}

// Model returns the model's untyped operations; nil for an auto-created
// junction table, which Define did not make.
func (m *Meta) Model() AnyModel { return m.untyped }

// anyModel is AnyModel for a model of T; Define makes it, being the last
// place T is known.
type anyModel[T any] struct{ m *Model[T] }

// instance is obj as a *T, or the error every method gives for another value.
func (a anyModel[T]) instance(obj any) (*T, error) {
	p, ok := obj.(*T)
	switch {
	case !ok:
		return nil, fmt.Errorf("orm: %s: the object is a %T, not a *%s", a.m.Label(), obj, a.m.typ)
	case p == nil:
		return nil, fmt.Errorf("orm: %s: the object is a nil *%s", a.m.Label(), a.m.typ)
	}
	return p, nil
}

func (a anyModel[T]) Meta() *Meta { return a.m.Meta }
func (a anyModel[T]) New() any    { return a.m.New() }

func (a anyModel[T]) Save(ctx context.Context, obj any, opts ...SaveOption) error {
	p, err := a.instance(obj)
	if err != nil {
		return err
	}
	return a.m.Save(ctx, p, opts...)
}

func (a anyModel[T]) Delete(ctx context.Context, obj any) (Deleted, error) {
	p, err := a.instance(obj)
	if err != nil {
		return Deleted{}, err
	}
	return a.m.Delete(ctx, p)
}

func (a anyModel[T]) DeletePreview(ctx context.Context, obj any) (*DeletePlan, error) {
	p, err := a.instance(obj)
	if err != nil {
		return nil, err
	}
	return a.m.DeletePreview(ctx, p)
}

func (a anyModel[T]) FullClean(ctx context.Context, obj any, exclude ...string) error {
	p, err := a.instance(obj)
	if err != nil {
		return err
	}
	return a.m.FullClean(ctx, p, exclude...)
}

func (a anyModel[T]) Get(obj any, field string) (any, error) {
	p, err := a.instance(obj)
	if err != nil {
		return nil, err
	}
	return a.m.Get(p, field)
}

func (a anyModel[T]) Set(obj any, field string, v any) error {
	p, err := a.instance(obj)
	if err != nil {
		return err
	}
	return a.m.Set(p, field, v)
}

func (a anyModel[T]) Display(obj any, field string) string {
	p, err := a.instance(obj)
	if err != nil {
		return ""
	}
	return a.m.Display(p, field)
}

func (a anyModel[T]) SaveFile(ctx context.Context, obj any, field, filename string, content io.Reader) error {
	p, err := a.instance(obj)
	if err != nil {
		return err
	}
	return a.m.SaveFile(ctx, p, field, filename, content)
}

func (a anyModel[T]) String(obj any) string {
	p, err := a.instance(obj)
	if err != nil {
		return ""
	}
	if s, ok := any(p).(fmt.Stringer); ok {
		return s.String()
	}
	return defaultString(a.m.Meta, pkOf(a.m.Meta, unsafe.Pointer(p)))
}

// defaultString is Django's Model.__str__: "Tag object (3)".
func defaultString(m *Meta, pk any) string {
	if pk == nil {
		return m.Name + " object (None)"
	}
	return fmt.Sprintf("%s object (%v)", m.Name, pk)
}

func (a anyModel[T]) PK(obj any) any {
	p, err := a.instance(obj)
	if err != nil {
		return nil
	}
	return pkOf(a.m.Meta, unsafe.Pointer(p))
}

// pkOf is the primary key of the instance at base, canonical; nil while
// it is unset, as Django's pk is None.
func pkOf(m *Meta, base unsafe.Pointer) any {
	if isZero(m.PK, base) {
		return nil
	}
	v, err := m.PK.canonical(m.PK.value(base))
	if err != nil {
		return nil // a key held in its field's own Go type always converts
	}
	return v
}

func (a anyModel[T]) Related(obj any, field string) any {
	p, err := a.instance(obj)
	if err != nil {
		return nil
	}
	f := a.m.Field(field)
	if f == nil || f.Rel == nil || f.Rel.To == nil {
		return nil
	}
	base := unsafe.Pointer(p)
	target := *(*unsafe.Pointer)(unsafe.Add(base, f.offset+fkObjOffset))
	if target == nil {
		return nil
	}
	// Assigning FK.ID directly leaves the old object cached: it is no
	// longer the one the key points at.
	if id, _ := f.Rel.To.PK.value(target).(int64); id != *(*int64)(unsafe.Add(base, f.offset)) {
		return nil
	}
	return reflect.NewAt(f.Rel.To.typ, target).Interface()
}

func (a anyModel[T]) RelatedKeys(ctx context.Context, obj any, field string) ([]any, error) {
	r, err := a.m2m(obj, field)
	if err != nil {
		return nil, err
	}
	return r.relatedKeys(ctx)
}

func (a anyModel[T]) SetRelated(ctx context.Context, obj any, field string, keys []any) error {
	r, err := a.m2m(obj, field)
	if err != nil {
		return err
	}
	return r.setKeys(ctx, keys)
}

// m2mKeys is an M2M[T] field seen without T.
type m2mKeys interface {
	relatedKeys(ctx context.Context) ([]any, error)
	setKeys(ctx context.Context, keys []any) error
}

// m2m is the many-to-many field of obj named field.
func (a anyModel[T]) m2m(obj any, field string) (m2mKeys, error) {
	p, err := a.instance(obj)
	if err != nil {
		return nil, err
	}
	f := a.m.m2mByName[field]
	if f == nil {
		return nil, fmt.Errorf("orm: %s has no many-to-many field %q", a.m.Label(), field)
	}
	return reflect.NewAt(f.typ, unsafe.Add(unsafe.Pointer(p), f.offset)).Interface().(m2mKeys), nil
}

func (r *M2M[T]) relatedKeys(ctx context.Context) ([]any, error) {
	if r.cached {
		to := metaOfType(reflect.TypeFor[T]())
		keys := make([]any, len(r.cache))
		for i, p := range r.cache {
			keys[i] = pkOf(to, p)
		}
		return keys, nil
	}
	return Flat[any](ctx, r.Query(), "pk")
}

// setKeys is Set by primary key. The keys are checked before anything
// changes: each must convert to the target's key and name a row.
func (r *M2M[T]) setKeys(ctx context.Context, keys []any) error {
	if err := r.check(); err != nil {
		return err
	}
	to := r.rel.Rel.To
	verr := &ValidationError{}
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		v, err := to.PK.keyValue(k)
		id, ok := v.(int64) // what a junction row holds
		if err != nil || !ok {
			verr.add(r.rel.Name, fmt.Sprintf("“%v” is not a valid value.", k))
			continue
		}
		ids = append(ids, id)
	}
	if len(verr.Fields) > 0 {
		return verr
	}
	if len(ids) > 0 {
		found, err := Flat[int64](ctx, (&Model[T]{Meta: to}).Objects().Filter(Q{"pk__in": ids}).OrderBy(), "pk")
		if err != nil {
			return err
		}
		for _, id := range minus(ids, found) {
			verr.add(r.rel.Name, fmt.Sprintf("Select a valid choice. %d is not one of the available choices.", id))
		}
		if len(verr.Fields) > 0 {
			return verr
		}
	}
	return r.set(ctx, ids)
}

// keyValue converts a primary key as Go holds it, or as a form or URL
// sends it (a string, even for an integer key), to f's canonical value.
func (f *Field) keyValue(v any) (any, error) {
	if s, ok := v.(string); ok && f.Kind.isInteger() {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, &ValueError{Field: f, Value: v, Want: "an integer"}
		}
		v = n
	}
	return f.canonical(v)
}
