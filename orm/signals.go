package orm

import (
	"context"
	"fmt"
	"path"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Signals, after Django's django.db.models.signals: pre_save, post_save,
// pre_delete, post_delete and m2m_changed. Each model has its own, typed
// by the model (Posts.PostSave receives SaveEvent[Post]), so a receiver
// names its sender by the signal it connects to and needs no type switch.
//
//	disconnect := Users.PostSave.Connect(func(ctx context.Context, e orm.SaveEvent[User]) error {
//		if !e.Created {
//			return nil
//		}
//		return Profiles.Objects().Create(ctx, &Profile{User: orm.FK[User]{ID: e.Instance.ID}})
//	})
//
// Receivers run synchronously, in the order they were connected, with the
// context of the operation that sends the signal: a receiver that queries
// with it joins the sender's transaction (using another context would wait
// on the sender's locks, or not see its rows). The first receiver error
// stops the others and is returned by the operation as a *ReceiverError;
// the operation runs in a transaction whenever one of its signals has a
// receiver, so the error undoes the operation and whatever the receivers
// wrote, and inside Atomic it rolls back as any other error does.
//
// Who sends what:
//   - Save (and Create, GetOrCreate, UpdateOrCreate, which save) sends
//     PreSave before its INSERT or UPDATE and PostSave after it.
//   - Model.Delete and QuerySet.Delete send PreDelete for every row they
//     delete, rows deleted by CASCADE included, before they change
//     anything, and PostDelete for each once its model's rows are gone.
//   - Add, Remove, Set and Clear of a many-to-many send M2MChanged of the
//     model that declares the field.
//   - QuerySet.Update, BulkCreate, BulkUpdate, on_delete's key updates and
//     the junction rows a delete removes send nothing, as in Django.
//
// With no receiver connected, sending is one atomic load: Save stays one
// statement, outside any transaction, and allocates nothing more.

// Signal is one signal of one model: the receivers that are called with
// an event E when it is sent. The zero Signal is not usable; every model's
// signals are made by Define.
type Signal[E any] struct {
	name  string // "post_save", for errors
	model *Meta
	mu    sync.Mutex // serialises Connect and disconnects; sending does not take it
	// recv is copied on every change, never changed in place, so a send
	// reads it without a lock and finishes with the receivers it started
	// with. nil when there are none: the check the hot paths make.
	recv atomic.Pointer[[]*receiver[E]]
}

type receiver[E any] struct {
	fn func(context.Context, E) error
}

// Connect adds fn after the receivers already connected and returns the
// function that disconnects it again (calling that twice is harmless).
// Receivers are global to the model: a test that connects one should
// disconnect it in t.Cleanup.
func (s *Signal[E]) Connect(fn func(ctx context.Context, e E) error) (disconnect func()) {
	if fn == nil {
		panic("orm: " + s.name + ".Connect of a nil receiver")
	}
	r := &receiver[E]{fn: fn}
	s.mu.Lock()
	defer s.mu.Unlock()
	var next []*receiver[E]
	if old := s.recv.Load(); old != nil {
		next = slices.Clip(*old) // append copies: a send in progress keeps its slice
	}
	next = append(next, r)
	s.recv.Store(&next)
	return func() { s.disconnect(r) }
}

func (s *Signal[E]) disconnect(r *receiver[E]) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.recv.Load()
	if old == nil {
		return
	}
	i := slices.Index(*old, r)
	if i < 0 {
		return
	}
	if len(*old) == 1 {
		s.recv.Store(nil)
		return
	}
	next := slices.Delete(slices.Clone(*old), i, i+1)
	s.recv.Store(&next)
}

// HasReceivers reports whether a receiver is connected.
func (s *Signal[E]) HasReceivers() bool { return s.recv.Load() != nil }

// send calls the receivers in order; the first error stops it.
func (s *Signal[E]) send(ctx context.Context, e E) error {
	rs := s.recv.Load()
	if rs == nil {
		return nil
	}
	for _, r := range *rs {
		if err := r.fn(ctx, e); err != nil {
			return &ReceiverError{Signal: s.name, Model: s.model, Receiver: funcName(r.fn), Err: err}
		}
	}
	return nil
}

// ReceiverError is the error a signal receiver returned, with where it
// came from; errors.Is and errors.As see the receiver's own error through
// it.
type ReceiverError struct {
	Signal   string // "pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed"
	Model    *Meta  // the sender
	Receiver string // the receiving function, as the runtime names it: "blog.createProfile", "blog.init.func1"
	Err      error
}

func (e *ReceiverError) Error() string {
	return fmt.Sprintf("orm: %s receiver %s of %s: %v", e.Signal, e.Receiver, e.Model.Label(), e.Err)
}

func (e *ReceiverError) Unwrap() error { return e.Err }

// funcName names fn for an error message; only failures pay for it.
func funcName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return "?"
	}
	return path.Base(f.Name()) // the package name, not its whole import path
}

// SaveEvent is what PreSave and PostSave receivers get (Django's pre_save
// and post_save).
type SaveEvent[T any] struct {
	Instance *T
	// Created, in PostSave, reports that Save inserted the row. In PreSave
	// it reports that Save is about to insert (the primary key is unset,
	// ForceInsert was given, or an instance from New has not been saved
	// yet); an update that finds no row inserts after all, which only
	// PostSave can tell.
	Created bool
	// UpdateFields are the names given with UpdateFields; nil when Save
	// writes every field.
	UpdateFields []string
}

// DeleteEvent is what PreDelete and PostDelete receivers get (Django's
// pre_delete and post_delete). In PostDelete the row is gone but the
// instance still holds its primary key, as in Django, so a receiver can
// say which row it was; Model.Delete zeroes the key only afterwards.
//
// Instance is the object given to Model.Delete; the other rows a delete
// takes along, and those of QuerySet.Delete, are loaded whole (one query
// per batch of keys) only when their model has delete receivers.
type DeleteEvent[T any] struct {
	Instance *T
}

// M2MAction is what an M2MChanged event reports (Django's action
// argument).
type M2MAction int

const (
	PreAdd M2MAction = iota + 1
	PostAdd
	PreRemove
	PostRemove
	PreClear
	PostClear
)

var m2mActionNames = [...]string{PreAdd: "pre_add", PostAdd: "post_add", PreRemove: "pre_remove",
	PostRemove: "post_remove", PreClear: "pre_clear", PostClear: "post_clear"}

// String is Django's name of the action: "pre_add".
func (a M2MAction) String() string {
	if a > 0 && int(a) < len(m2mActionNames) {
		return m2mActionNames[a]
	}
	return fmt.Sprintf("M2MAction(%d)", int(a))
}

// M2MChangedEvent is what M2MChanged receivers get (Django's m2m_changed).
// The model that declares the many-to-many field sends it, for changes
// made through the field's manager (post.Tags.Add); a through model's rows,
// created directly, send save and delete signals of their own instead.
type M2MChangedEvent[T any] struct {
	// Instance is the instance whose relation changes: the one the manager
	// belongs to, bound when it was loaded or saved.
	Instance *T
	Action   M2MAction
	Field    string // the many-to-many field: "tags"
	// PKs are the primary keys of the related objects, each once, in the
	// order given. Add reports only those not related yet (Django's
	// pk_set): the same keys in PreAdd and PostAdd, possibly none. Remove
	// reports the keys it was given, related or not. Set reports the
	// removal of the keys that are not in the new set and the addition of
	// those that are new, as Django's set() does. Clear reports nil.
	PKs []int64
}

// modelSignals are the signals of one model. They belong to its Meta
// rather than to the Model value, so that code holding only the Meta (the
// deletion collector, a many-to-many manager) or another Model value over
// it (M2M.Query makes one) sends to the same receivers.
type modelSignals[T any] struct {
	preSave, postSave     Signal[SaveEvent[T]]
	preDelete, postDelete Signal[DeleteEvent[T]]
	m2mChanged            Signal[M2MChangedEvent[T]]
}

// signalSender is a model's signals as code that does not know T sends
// them; *modelSignals[T] implements it.
type signalSender interface {
	deleteReceivers() bool
	sendDelete(ctx context.Context, post bool, base unsafe.Pointer) error
	m2mReceivers() bool
	sendM2M(ctx context.Context, base unsafe.Pointer, action M2MAction, field *Field, pks []int64) error
}

func (s *modelSignals[T]) deleteReceivers() bool {
	return s.preDelete.HasReceivers() || s.postDelete.HasReceivers()
}

func (s *modelSignals[T]) sendDelete(ctx context.Context, post bool, base unsafe.Pointer) error {
	if post {
		return s.postDelete.send(ctx, DeleteEvent[T]{Instance: (*T)(base)})
	}
	return s.preDelete.send(ctx, DeleteEvent[T]{Instance: (*T)(base)})
}

func (s *modelSignals[T]) m2mReceivers() bool { return s.m2mChanged.HasReceivers() }

func (s *modelSignals[T]) sendM2M(ctx context.Context, base unsafe.Pointer, action M2MAction, field *Field, pks []int64) error {
	// Each receiver's changes to the slice stay its own: the manager goes
	// on with its copy.
	return s.m2mChanged.send(ctx, M2MChangedEvent[T]{Instance: (*T)(base), Action: action, Field: field.Name, PKs: slices.Clone(pks)})
}

// newModel makes the Model Define returns, with its signals.
func newModel[T any](meta *Meta) *Model[T] {
	s := &modelSignals[T]{}
	s.preSave.name, s.postSave.name = "pre_save", "post_save"
	s.preDelete.name, s.postDelete.name = "pre_delete", "post_delete"
	s.m2mChanged.name = "m2m_changed"
	s.preSave.model, s.postSave.model, s.preDelete.model, s.postDelete.model, s.m2mChanged.model = meta, meta, meta, meta, meta
	meta.signals = s
	return &Model[T]{Meta: meta, PreSave: &s.preSave, PostSave: &s.postSave,
		PreDelete: &s.preDelete, PostDelete: &s.postDelete, M2MChanged: &s.m2mChanged}
}

// sigs are m's signals, whichever Model value over the Meta m is.
func (m *Model[T]) sigs() *modelSignals[T] {
	s, _ := m.Meta.signals.(*modelSignals[T])
	return s
}

// deleteReceivers reports whether deleting rows of m sends signals; a
// junction table, which has no signals, never does.
func deleteReceivers(m *Meta) bool { return m.signals != nil && m.signals.deleteReceivers() }
