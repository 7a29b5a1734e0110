package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"unsafe"
)

// RelatedSet is a reverse relation as a value of its own: Django's user.posts,
// the related manager a ForeignKey adds to its target. Go cannot add a
// field to the target's type (auth.User knows nothing of blog.Post), so
// the accessor is declared beside the model that holds the key, once:
//
//	var PostsOf = orm.ReverseOf[auth.User](Posts, "author")
//
//	posts, err := PostsOf.All(ctx, user)                  // user.posts.all()
//	n, err := PostsOf.Of(user).Filter(orm.Q{"is_active": true}).Count(ctx)
//
// All reads what PrefetchRelated loaded under the relation's name, when
// the instance came from a query that prefetched it, as Django's related
// manager does; Of is always a fresh query.
type RelatedSet[P, T any] struct {
	model *Model[T]
	key   *Field
}

// ReverseOf is the reverse of m's foreign key (or one-to-one) field fk,
// which must point at P. A wrong name or target panics, as a bad model
// definition does: it is a mistake in the program, found when it starts.
func ReverseOf[P, T any](m *Model[T], fk string) RelatedSet[P, T] {
	f := m.Field(fk)
	if f == nil || f.Rel == nil || f.Rel.Through != nil {
		panic(fmt.Sprintf("orm: ReverseOf: %s has no foreign key %q", m.Label(), fk))
	}
	if want := reflect.TypeFor[P](); f.Rel.target != want {
		panic(fmt.Sprintf("orm: ReverseOf: %s.%s points at %s, not %s", m.Label(), fk, f.Rel.target, want))
	}
	return RelatedSet[P, T]{model: m, key: f}
}

// Of is the rows of T whose key points at obj: Django's
// user.posts.all() as a queryset to chain. An obj without a primary key
// (never saved) has no rows; the queryset says so when evaluated.
func (r RelatedSet[P, T]) Of(obj *P) QS[T] {
	qs := r.model.Objects()
	if obj == nil || r.key.Rel.To.PK.rvalue(unsafe.Pointer(obj)).IsZero() {
		qs.q = qs.q.fail(fmt.Errorf("orm: %s needs a saved %s before its %s can be read",
			r.model.Label(), r.key.Rel.To.Label(), r.name()))
		return qs
	}
	return qs.Filter(Q{r.key.Name: obj})
}

// All returns the rows of T pointing at obj: those PrefetchRelated loaded
// for obj under the relation's name, without a query, or else those a
// query finds, in T's default order.
func (r RelatedSet[P, T]) All(ctx context.Context, obj *P) ([]*T, error) {
	if obj != nil {
		if objs, ok := Prefetched[T](obj, r.name()); ok {
			return slices.Clone(objs), nil
		}
	}
	return r.Of(obj).All(ctx)
}

// name is the relation's name on P: its related_name, or the lookup name
// Django derives from T.
func (r RelatedSet[P, T]) name() string {
	for _, rv := range r.key.Rel.To.Reverses {
		if rv.Field == r.key {
			return rv.Name
		}
	}
	return r.key.Rel.RelatedName
}
