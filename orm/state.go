package orm

import (
	"runtime"
	"sync"
	"weak"
)

// Django keeps per-instance state in _state; a Go struct has no room for
// it, so the little the ORM needs lives here, keyed by weak pointers and
// dropped when the instance is collected:
//   - which fields Only/Defer left unloaded, so Save does not overwrite
//     their columns with zero values;
//   - that an instance came from Model.New, so its zero values are the
//     caller's choice and not "unset" (defaults are not applied again).
type instanceState struct {
	deferred   []*Field
	prefetched map[string]prefetchedObjs // PrefetchRelated results by name
	annNames   []string                  // Annotate's values, by name
	annVals    []any
	fromNew    bool
	adding     bool // from New (or Copy) and not inserted yet
}

var states sync.Map // weak.Pointer[T] → *instanceState

func stateOf[T any](p *T) *instanceState {
	if s, ok := states.Load(weak.Make(p)); ok {
		return s.(*instanceState)
	}
	return nil
}

func setState[T any](p *T, update func(*instanceState)) {
	key := weak.Make(p)
	s, loaded := states.LoadOrStore(key, &instanceState{})
	if !loaded {
		runtime.AddCleanup(p, func(k weak.Pointer[T]) { states.Delete(k) }, key)
	}
	update(s.(*instanceState))
}

func markDeferred[T any](p *T, fields []*Field) {
	setState(p, func(s *instanceState) { s.deferred = fields })
}
