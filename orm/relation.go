package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// FK is a foreign key (or one-to-one key) to a T: the related row's id,
// and the related object once SelectRelated or Get has loaded it. Reading
// ID costs no query; Get is the one call that may, so a Go reader sees the
// I/O that Django hides behind post.author.
//
// ID 0 is NULL: automatic primary keys start at 1.
type FK[T any] struct {
	ID  int64
	obj *T
}

// Set points the key at obj (its primary key must be set) and caches it.
func (r *FK[T]) Set(obj *T) {
	r.obj = obj
	r.ID = 0
	if obj != nil {
		if m := metaOfType(reflect.TypeFor[T]()); m != nil {
			r.ID, _ = m.PK.value(unsafe.Pointer(obj)).(int64)
		}
	}
}

func (r FK[T]) key() int64 { return r.ID }

// Cached returns the related object if it is already loaded.
func (r FK[T]) Cached() (*T, bool) { return r.obj, r.obj != nil }

// Get returns the related object: the cached one, else one query by id.
// A NULL key gives the target's DoesNotExist.
func (r *FK[T]) Get(ctx context.Context) (*T, error) {
	if r.obj != nil {
		return r.obj, nil
	}
	m := metaOfType(reflect.TypeFor[T]())
	if m == nil {
		return nil, fmt.Errorf("orm: %s is not a defined model", reflect.TypeFor[T]())
	}
	if r.ID == 0 {
		return nil, m.DoesNotExist
	}
	obj, err := (&Model[T]{Meta: m}).Objects().Get(ctx, Q{"pk": r.ID})
	if err != nil {
		return nil, err
	}
	r.obj = obj
	return obj, nil
}

// fkTarget lets the schema learn T from a *FK[T] without reflection on
// unexported fields.
type fkTarget interface{ targetType() reflect.Type }

func (*FK[T]) targetType() reflect.Type { return reflect.TypeFor[T]() }

// OnDeleteRule is what happens to rows pointing at a deleted row.
type OnDeleteRule int

const (
	Cascade    OnDeleteRule = iota + 1 // delete them too
	Protect                            // refuse the delete with a ProtectedError
	Restrict                           // refuse, unless they are deleted by cascade in the same operation
	SetNull                            // set the key to NULL (needs Null())
	SetDefault                         // set the key to its default (needs Default)
	SetValue                           // set the key to what OnDeleteSet's function returns
	DoNothing                          // leave them; the database may refuse
)

var onDeleteNames = map[OnDeleteRule]string{Cascade: "CASCADE", Protect: "PROTECT", Restrict: "RESTRICT",
	SetNull: "SET_NULL", SetDefault: "SET_DEFAULT", SetValue: "SET", DoNothing: "DO_NOTHING"}

func (r OnDeleteRule) String() string { return onDeleteNames[r] }

// Relation is the metadata of a ForeignKey or OneToOneField.
type Relation struct {
	To          *Meta // the target model (set once it is defined)
	OnDelete    OnDeleteRule
	SetFunc     func(ctx context.Context) (any, error) // for SetValue
	RelatedName string                                 // the reverse accessor's name; "+" means none
	OneToOne    bool

	// A ManyToMany's junction model and its keys to the owner and the target.
	Through   *Meta
	FromField *Field
	ToField   *Field

	target       reflect.Type
	throughLabel string
}

// Reverse is the reverse side of a relation, seen from its target: the
// name a lookup on the target uses ("posts" in User.objects.filter(
// posts__title=…)), and the field that points back.
//
// Without a related_name Django names the two differently: lookups use the
// model name (filter(comment__body=…)), the accessor adds "_set"
// (post.comment_set); a one-to-one's accessor is the bare model name.
type Reverse struct {
	Name     string // in lookups
	Accessor string // Django's accessor attribute: related_name, or "comment_set"
	Field    *Field // the ForeignKey on the other model
	Many     bool   // a reverse ForeignKey (many rows); false for one-to-one
}

// OnDelete sets a relation's on_delete rule (required, as in Django).
func OnDelete(rule OnDeleteRule) FieldOption {
	return func(f *Field) {
		if f.Rel != nil {
			f.Rel.OnDelete = rule
		}
	}
}

// OnDeleteSet is Django's on_delete=SET(func): the key is set to what fn
// returns (an id, or a pointer to an instance of the target). fn runs once
// per delete, inside its transaction, with its context, so it can read or
// make the row it names, as the tutorial's get_sentinel_user does with
// get_or_create; an error from it undoes the delete.
func OnDeleteSet(fn func(ctx context.Context) (any, error)) FieldOption {
	return func(f *Field) {
		if f.Rel != nil {
			f.Rel.OnDelete, f.Rel.SetFunc = SetValue, fn
		}
	}
}

// RelatedName names the reverse relation ("posts"); "+" switches it off.
// Without it, lookups use the model name ("post") and the accessor is
// "post_set" (see Reverse).
func RelatedName(name string) FieldOption {
	return func(f *Field) {
		if f.Rel != nil {
			f.Rel.RelatedName = name
		}
	}
}

// ForeignKey declares a many-to-one relation held in an orm.FK[T] field;
// the column is the field's name with "_id". Its on_delete rule is
// required: orm.OnDelete(orm.Cascade).
func (s *Schema) ForeignKey(ptr any, opts ...FieldOption) { s.relation(KindForeignKey, ptr, opts) }

// OneToOne declares a one-to-one relation: a unique ForeignKey whose
// reverse side is a single object.
func (s *Schema) OneToOne(ptr any, opts ...FieldOption) { s.relation(KindOneToOne, ptr, opts) }

func (s *Schema) relation(kind Kind, ptr any, opts []FieldOption) {
	t, ok := ptr.(fkTarget)
	if !ok {
		s.fail("%s needs a pointer to an orm.FK field, got %T", kind, ptr)
		return
	}
	rel := &Relation{target: t.targetType(), OneToOne: kind == KindOneToOne}
	first := []FieldOption{func(f *Field) { f.Rel = rel; f.DBIndex = true }}
	if kind == KindOneToOne {
		first = append(first, Unique())
	}
	s.add(kind, ptr, append(first, opts...))
}

// pending relations wait for their target model to be defined (a model
// may point at one defined later, or at itself).
var pendingRelations []*Field

// metaOfType finds the model defined for a Go type.
func metaOfType(t reflect.Type) *Meta {
	registry.RLock()
	defer registry.RUnlock()
	return registry.types[t]
}

// linkRelations resolves every pending relation whose target now exists
// and registers its reverse side; called with the registry locked. It
// checks every clash before it changes anything, so a failed Define leaves
// the registry as it was.
func linkRelations() error {
	type link struct {
		f    *Field
		to   *Meta
		name string
	}
	var links []link
	taken := map[*Meta]map[string]*Field{}
	for _, f := range pendingRelations {
		to := registry.types[f.Rel.target]
		if to == nil {
			continue
		}
		name := reverseName(f)
		if name == "" {
			links = append(links, link{f, to, name})
			continue
		}
		if other := to.reverseByName[name]; other != nil {
			return clashError(to, name, f, other.Field.String())
		}
		if other := taken[to][name]; other != nil {
			return clashError(to, name, f, other.String())
		}
		if to.byName[name] != nil {
			return fmt.Errorf("reverse accessor %s.%s for %s clashes with field %s.%s: add or change a related_name",
				to.Name, name, f, to.Name, name)
		}
		if taken[to] == nil {
			taken[to] = map[string]*Field{}
		}
		taken[to][name] = f
		links = append(links, link{f, to, name})
	}
	for _, l := range links {
		l.f.Rel.To = l.to
		if l.name == "" {
			continue
		}
		rv := &Reverse{Name: l.name, Accessor: l.name, Field: l.f, Many: !l.f.Rel.OneToOne}
		if l.f.Rel.RelatedName == "" && rv.Many {
			rv.Accessor += "_set"
		}
		if l.to.reverseByName == nil {
			l.to.reverseByName = map[string]*Reverse{}
		}
		l.to.reverseByName[l.name] = rv
		l.to.Reverses = append(l.to.Reverses, rv)
	}
	pendingRelations = slices.DeleteFunc(pendingRelations, func(f *Field) bool { return f.Rel.To != nil })
	return nil
}

func clashError(to *Meta, name string, f *Field, other string) error {
	return fmt.Errorf("reverse accessor %s.%s for %s clashes with reverse accessor for %s: add or change a related_name",
		to.Name, name, f, other)
}

// reverseName is the lookup name of f's reverse side, with Django's
// default; "" for "+".
func reverseName(f *Field) string {
	switch name := f.Rel.RelatedName; {
	case name == "+":
		return ""
	case name != "":
		return name
	default:
		return f.model.ModelName()
	}
}

// checkRelation validates a relation's options when its model is defined.
func checkRelation(f *Field) error {
	rel := f.Rel
	switch {
	case rel.OnDelete == 0:
		return fmt.Errorf("field %s: a relation needs orm.OnDelete(...)", f.GoName)
	case rel.OnDelete == SetNull && !f.Null:
		return fmt.Errorf("field %s specifies on_delete=SET_NULL, but cannot be null: set orm.Null(), or change the on_delete rule", f.GoName)
	case rel.OnDelete == SetDefault && !f.HasDefault():
		return fmt.Errorf("field %s specifies on_delete=SET_DEFAULT, but has no default value: set a default, or change the on_delete rule", f.GoName)
	case rel.OnDelete == SetValue && rel.SetFunc == nil:
		return fmt.Errorf("field %s: on_delete=SET needs a function (orm.OnDeleteSet)", f.GoName)
	case strings.Contains(rel.RelatedName, "__"):
		return fmt.Errorf("field %s: related_name %q must not contain \"__\"", f.GoName, rel.RelatedName)
	}
	return nil
}
