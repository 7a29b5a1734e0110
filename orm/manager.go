package orm

import (
	"context"
	"fmt"
	"sync"
)

// A manager is Django's Model.objects: where a model's querysets start.
// Go cannot add attributes to a model, so an app's query methods live on a
// queryset type of its own (see QuerySet) and a manager is a function that
// starts one; AddManager names it, so that code knowing only the model's
// *Meta (the admin) can find it. Model.Objects stays the plain manager
// whatever is registered: related-object access and deletion use it, as
// Django's _base_manager is used.

// Manager is a model's manager seen without its Go type, for code that
// holds only a *Meta. The chaining methods behave as the typed queryset's;
// Get's object and List's elements are *T. PrefetchRelated takes lookup
// strings only: a Prefetch's queryset is typed.
type Manager interface {
	Filter(conds ...Cond) Manager
	Exclude(conds ...Cond) Manager
	OrderBy(fields ...string) Manager
	Limit(n int) Manager
	Offset(n int) Manager
	SelectRelated(paths ...string) Manager
	PrefetchRelated(lookups ...string) Manager
	Distinct() Manager
	Annotate(exprs A) Manager
	GroupBy(fields ...string) Manager
	SelectForUpdate(opts ...LockOption) Manager
	Count(ctx context.Context) (int64, error)
	Exists(ctx context.Context) (bool, error)
	Get(ctx context.Context, conds ...Cond) (any, error)
	List(ctx context.Context) ([]any, error)
	Values(ctx context.Context, fields ...string) ([]map[string]any, error)
	Aggregate(ctx context.Context, aggs A) (Row, error)
	Delete(ctx context.Context) (Deleted, error)
	DeletePreview(ctx context.Context) (*DeletePlan, error)
	Err() error
}

// ManagerQuerySet is the queryset a registered manager starts: QS[T], or an
// app's own S embedding QuerySet[T, S]. It names only methods QuerySet
// already has, so an app type satisfies it by embedding.
type ManagerQuerySet[T, S any] interface {
	Filter(conds ...Cond) S
	Exclude(conds ...Cond) S
	OrderBy(fields ...string) S
	Limit(n int) S
	Offset(n int) S
	SelectRelated(paths ...string) S
	PrefetchRelated(lookups ...any) S
	Distinct() S
	Annotate(exprs A) S
	GroupBy(fields ...string) S
	SelectForUpdate(opts ...LockOption) S
	Count(ctx context.Context) (int64, error)
	Exists(ctx context.Context) (bool, error)
	Get(ctx context.Context, conds ...Cond) (*T, error)
	All(ctx context.Context) ([]*T, error)
	Values(ctx context.Context, fields ...string) ([]map[string]any, error)
	Aggregate(ctx context.Context, aggs A) (Row, error)
	Delete(ctx context.Context) (Deleted, error)
	DeletePreview(ctx context.Context) (*DeletePlan, error)
	Err() error
}

// ManagerOption modifies AddManager.
type ManagerOption func(*managerEntry)

// AsDefault makes the manager the model's default even if it is not the
// first registered: Django's Meta.default_manager_name.
func AsDefault() ManagerOption { return func(e *managerEntry) { e.isDefault = true } }

type managerEntry struct {
	name      string
	isDefault bool
	view      func() Manager
}

// managersMu guards Meta.managers: registration normally happens while
// packages initialise, but nothing stops a later call racing a reader.
var managersMu sync.RWMutex

// AddManager registers a named manager of m and returns get, so that one
// declaration gives the app its typed manager and the admin its view:
//
//	var PublishedPosts = orm.AddManager(Posts, "published", func() PostQS {
//		return PostObjects().Filter(orm.Q{"status": "published"})
//	})
//
// The first manager registered is the default (Meta.DefaultManager)
// unless another is registered with AsDefault. get runs each time the
// manager is used, never here: its conditions may name relations to
// models not defined yet, and a bad one is an error of the evaluating
// call, like any other chaining mistake.
//
// AddManager panics on an empty or repeated name, a nil get, or a second
// AsDefault: like Define's errors, those are mistakes in the program,
// found when its packages load.
func AddManager[T any, S ManagerQuerySet[T, S]](m *Model[T], name string, get func() S, opts ...ManagerOption) func() S {
	e := &managerEntry{name: name, view: func() Manager { return erase[T](get()) }}
	for _, o := range opts {
		o(e)
	}
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("orm: AddManager %s: ", m.Label()) + fmt.Sprintf(format, args...))
	}
	if name == "" {
		fail("a manager needs a name")
	}
	if get == nil {
		fail("manager %q has no queryset function", name)
	}
	managersMu.Lock()
	defer managersMu.Unlock()
	for _, other := range m.managers {
		if other.name == name {
			fail("manager %q registered twice", name)
		}
		if e.isDefault && other.isDefault {
			fail("managers %q and %q are both marked AsDefault", other.name, name)
		}
	}
	m.managers = append(m.managers, e)
	return get
}

// DefaultManager is the manager the admin lists (Django's
// _default_manager): the one registered with AsDefault, else the first
// registered, else the plain Objects. It is nil for a model Define did not
// make (an auto-created many-to-many table).
func (m *Meta) DefaultManager() Manager {
	managersMu.RLock()
	var view func() Manager
	for i, e := range m.managers {
		if i == 0 || e.isDefault {
			view = e.view
		}
	}
	managersMu.RUnlock()
	if view == nil {
		view = m.objects
	}
	if view == nil {
		return nil
	}
	return view()
}

// Manager returns the manager registered under name, or nil.
func (m *Meta) Manager(name string) Manager {
	managersMu.RLock()
	var view func() Manager
	for _, e := range m.managers {
		if e.name == name {
			view = e.view
		}
	}
	managersMu.RUnlock()
	if view == nil {
		return nil
	}
	return view()
}

// plainManager is Meta.objects for a model of T; Define sets it, being
// the last place T is known.
func plainManager[T any](meta *Meta) func() Manager {
	return func() Manager { return erase[T]((&Model[T]{Meta: meta}).Objects()) }
}

func erase[T any, S ManagerQuerySet[T, S]](qs S) Manager { return erased[T, S]{qs} }

// erased goes through S's own methods rather than the QuerySet inside it,
// so an app type that redefines one is obeyed by the admin too.
type erased[T any, S ManagerQuerySet[T, S]] struct{ qs S }

func (e erased[T, S]) Filter(conds ...Cond) Manager     { return erased[T, S]{e.qs.Filter(conds...)} }
func (e erased[T, S]) Exclude(conds ...Cond) Manager    { return erased[T, S]{e.qs.Exclude(conds...)} }
func (e erased[T, S]) OrderBy(fields ...string) Manager { return erased[T, S]{e.qs.OrderBy(fields...)} }
func (e erased[T, S]) Limit(n int) Manager              { return erased[T, S]{e.qs.Limit(n)} }
func (e erased[T, S]) Offset(n int) Manager             { return erased[T, S]{e.qs.Offset(n)} }
func (e erased[T, S]) Distinct() Manager                { return erased[T, S]{e.qs.Distinct()} }
func (e erased[T, S]) Annotate(exprs A) Manager         { return erased[T, S]{e.qs.Annotate(exprs)} }
func (e erased[T, S]) GroupBy(fields ...string) Manager { return erased[T, S]{e.qs.GroupBy(fields...)} }

func (e erased[T, S]) SelectForUpdate(opts ...LockOption) Manager {
	return erased[T, S]{e.qs.SelectForUpdate(opts...)}
}

func (e erased[T, S]) SelectRelated(paths ...string) Manager {
	return erased[T, S]{e.qs.SelectRelated(paths...)}
}

func (e erased[T, S]) PrefetchRelated(lookups ...string) Manager {
	args := make([]any, len(lookups))
	for i, l := range lookups {
		args[i] = l
	}
	return erased[T, S]{e.qs.PrefetchRelated(args...)}
}

func (e erased[T, S]) Count(ctx context.Context) (int64, error) { return e.qs.Count(ctx) }
func (e erased[T, S]) Exists(ctx context.Context) (bool, error) { return e.qs.Exists(ctx) }
func (e erased[T, S]) Err() error                               { return e.qs.Err() }

func (e erased[T, S]) Values(ctx context.Context, fields ...string) ([]map[string]any, error) {
	return e.qs.Values(ctx, fields...)
}

func (e erased[T, S]) Aggregate(ctx context.Context, aggs A) (Row, error) {
	return e.qs.Aggregate(ctx, aggs)
}

func (e erased[T, S]) Delete(ctx context.Context) (Deleted, error) { return e.qs.Delete(ctx) }

func (e erased[T, S]) DeletePreview(ctx context.Context) (*DeletePlan, error) {
	return e.qs.DeletePreview(ctx)
}

func (e erased[T, S]) Get(ctx context.Context, conds ...Cond) (any, error) {
	obj, err := e.qs.Get(ctx, conds...)
	if err != nil {
		return nil, err // not a nil *T, which would be a non-nil any
	}
	return obj, nil
}

func (e erased[T, S]) List(ctx context.Context) ([]any, error) {
	objs, err := e.qs.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(objs))
	for i, p := range objs {
		out[i] = p
	}
	return out, nil
}
