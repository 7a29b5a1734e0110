package orm

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// Prefetch is Django's Prefetch(lookup, queryset, to_attr): prefetch the
// relation named by Lookup with QuerySet (a queryset of the related model:
// filtered, ordered, with SelectRelated of its own), and keep the result
// under ToAttr (read it with orm.Prefetched) instead of on the relation.
type Prefetch struct {
	Lookup   string
	QuerySet Queryable
	ToAttr   string
}

// PrefetchRelated loads related objects for all the rows at once, one query
// per relation, after the main query: many-to-many fields ("tags"), reverse
// keys ("posts", "comment"), forward keys, and paths through them
// ("posts__tags"). Each lookup is a string or a Prefetch. A many-to-many's
// objects are then what its All returns without a query; reverse relations
// and ToAttr results are read with orm.Prefetched.
func (qs QuerySet[T, S]) PrefetchRelated(lookups ...any) S {
	c := qs.q.clone()
	c.prefetch = slices.Clip(c.prefetch)
	for _, l := range lookups {
		var p Prefetch
		switch x := l.(type) {
		case string:
			p = Prefetch{Lookup: x}
		case Prefetch:
			p = x
		default:
			return qs.with(c.fail(fmt.Errorf("orm: PrefetchRelated takes lookup strings or orm.Prefetch, got %T", l)))
		}
		if err := checkPrefetchPath(c.meta, p.Lookup); err != nil {
			return qs.with(c.fail(err))
		}
		c.prefetch = append(c.prefetch, p)
	}
	return qs.with(c)
}

// prefetchStep is one relation a prefetch follows from a model.
type prefetchStep struct {
	name    string
	m2m     *Field   // forward (owner → target) or, with reverse, target → owner
	reverse bool     // m2m seen from its target
	rev     *Reverse // a reverse key
	fk      *Field   // a forward key
	to      *Meta
}

func prefetchStepOf(m *Meta, name string) (prefetchStep, bool) {
	switch {
	case m.m2mByName[name] != nil:
		f := m.m2mByName[name]
		return prefetchStep{name: name, m2m: f, to: f.Rel.To}, f.Rel.To != nil
	case m.reverseM2M[name] != nil:
		f := m.reverseM2M[name]
		return prefetchStep{name: name, m2m: f, reverse: true, to: f.model}, true
	case m.reverseByName[name] != nil && !strings.HasSuffix(name, "+"):
		rv := m.reverseByName[name]
		return prefetchStep{name: name, rev: rv, to: rv.Field.model}, true
	case m.Field(name) != nil && m.Field(name).Rel != nil:
		f := m.Field(name)
		return prefetchStep{name: name, fk: f, to: f.Rel.To}, true
	}
	return prefetchStep{}, false
}

func checkPrefetchPath(m *Meta, path string) error {
	for _, name := range strings.Split(path, "__") {
		step, ok := prefetchStepOf(m, name)
		if !ok {
			var choices []string
			for _, n := range m.fieldNames() {
				if _, ok := prefetchStepOf(m, n); ok {
					choices = append(choices, n)
				}
			}
			return fmt.Errorf("orm: %s: cannot prefetch %q in %q: it is not a relation; choices are: %s",
				m.Label(), name, path, strings.Join(choices, ", "))
		}
		m = step.to
	}
	return nil
}

// Prefetched returns what PrefetchRelated loaded for obj under name (the
// relation's name, or a Prefetch's ToAttr): the related objects, or
// ok=false when nothing was prefetched there.
func Prefetched[R, T any](obj *T, name string) (objs []*R, ok bool) {
	s := stateOf(obj)
	if s == nil {
		return nil, false
	}
	v, ok := s.prefetched[name]
	if !ok {
		return nil, false
	}
	if want := reflect.TypeFor[R](); v.typ != want {
		return nil, false
	}
	return *(*[]*R)(unsafe.Pointer(&v.objs)), true
}

type prefetchedObjs struct {
	typ  reflect.Type
	objs []unsafe.Pointer
}

// storePrefetched records objs under name for an instance of model m.
func storePrefetched(m *Meta, base unsafe.Pointer, name string, to *Meta, objs []unsafe.Pointer) {
	m.setState(base, func(s *instanceState) {
		if s.prefetched == nil {
			s.prefetched = map[string]prefetchedObjs{}
		}
		s.prefetched[name] = prefetchedObjs{typ: to.typ, objs: objs}
	})
}

// runPrefetch carries out the prefetch lookups for instances of m.
func runPrefetch(ctx context.Context, m *Meta, objs []unsafe.Pointer, lookups []Prefetch) error {
	if len(objs) == 0 {
		return nil
	}
	done := map[string][]unsafe.Pointer{} // path prefix → the objects loaded there
	for _, p := range lookups {
		parts := strings.Split(p.Lookup, "__")
		level, meta, prefix := objs, m, ""
		for i, name := range parts {
			path := prefix + name
			last := i == len(parts)-1
			step, _ := prefetchStepOf(meta, name)
			loaded, ok := done[path]
			if !ok || (last && (p.QuerySet != nil || p.ToAttr != "")) {
				var sub *query
				if last && p.QuerySet != nil {
					sub = p.QuerySet.querySpec()
					if sub.meta != step.to {
						return fmt.Errorf("orm: Prefetch(%q): the queryset is of %s, not %s", p.Lookup, sub.meta.Label(), step.to.Label())
					}
				}
				attr := ""
				if last {
					attr = p.ToAttr
				}
				var err error
				if loaded, err = prefetchStepRun(ctx, meta, level, step, sub, attr); err != nil {
					return err
				}
				if attr == "" {
					done[path] = loaded
				}
			}
			level, meta, prefix = loaded, step.to, path+"__"
		}
	}
	return nil
}

// prefetchStepRun loads one relation for the instances objs of m and
// attaches the results; it returns all the related objects loaded.
func prefetchStepRun(ctx context.Context, m *Meta, objs []unsafe.Pointer, step prefetchStep, sub *query, attr string) ([]unsafe.Pointer, error) {
	q := sub
	if q == nil {
		q = newQuery(step.to)
	}
	if q.err != nil {
		return nil, q.err
	}
	q = q.clone()
	var keyCol colRef // the column that says which instance a row belongs to
	var ids []int64
	switch {
	case step.m2m != nil:
		rel := step.m2m.Rel
		near, far := rel.FromField, rel.ToField // the far key points at the loaded rows
		if step.reverse {
			near, far = rel.ToField, rel.FromField
		}
		alias := q.addJoin("__prefetch", rel.Through.Table, q.meta.Table, q.meta.PK.Column, far.Column, true)
		keyCol = colRef{table: alias, field: near}
		ids = pks(m, objs)
	case step.rev != nil:
		keyCol = colRef{table: q.meta.Table, field: step.rev.Field}
		ids = pks(m, objs)
	default: // a forward key: load the targets by id
		keyCol = colRef{table: q.meta.Table, field: q.meta.PK}
		seen := map[int64]bool{}
		for _, o := range objs {
			if id, _ := step.fk.value(o).(int64); id != 0 && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	related, keys, err := fetchByKeys(ctx, q, keyCol, ids)
	if err != nil {
		return nil, err
	}
	name := step.name
	if attr != "" {
		name = attr
	}
	switch {
	case step.fk != nil:
		byID := map[int64]unsafe.Pointer{}
		for i, r := range related {
			byID[keys[i]] = r
		}
		for _, o := range objs {
			id, _ := step.fk.value(o).(int64)
			if r := byID[id]; r != nil && attr == "" {
				*(*unsafe.Pointer)(unsafe.Add(o, step.fk.offset+fkObjOffset)) = r
			} else if attr != "" {
				storePrefetched(m, o, name, step.to, []unsafe.Pointer{r})
			}
		}
	default:
		groups := map[int64][]unsafe.Pointer{}
		for i, r := range related {
			groups[keys[i]] = append(groups[keys[i]], r)
		}
		for _, o := range objs {
			id, _ := m.PK.value(o).(int64)
			group := groups[id]
			if step.m2m != nil && !step.reverse && attr == "" {
				setM2MCache(o, step.m2m, group)
				continue
			}
			storePrefetched(m, o, name, step.to, group)
		}
	}
	return related, nil
}

func pks(m *Meta, objs []unsafe.Pointer) []int64 {
	ids := make([]int64, len(objs))
	for i, o := range objs {
		ids[i], _ = m.PK.value(o).(int64)
	}
	return ids
}

// fetchByKeys runs q narrowed to rows whose keyCol is among ids, and
// returns the instances with each one's key. PostgreSQL binds the ids as
// one array (= ANY($1)), so any number fits in a statement; SQLite takes
// them in batches under its bound-variable limit.
func fetchByKeys(ctx context.Context, q *query, keyCol colRef, ids []int64) ([]unsafe.Pointer, []int64, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	batch := len(ids)
	if !c.db.drv.caps().arrayParams {
		batch = 10000
	}
	var (
		out  []unsafe.Pointer
		keys []int64
	)
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		bq := q.clone()
		bq.where = append(bq.where, &keysNode{col: keyCol, ids: part})
		fields := bq.selected()
		extra := append(bq.relatedCols(), bq.annotationCols()...)
		sql, args, err := bq.selectColsSQL(c.db.dialect, fields, append(extra, keyCol))
		if err != nil {
			return nil, nil, err
		}
		r, err := c.query(ctx, sql, args)
		if err != nil {
			return nil, nil, err
		}
		sc := newRowScanner(c.db.dialect, fields, bq.related)
		sc.annotated(bq)
		sc.targets = append(sc.targets, nil)
		for r.Next() {
			obj := reflect.New(bq.meta.typ).UnsafePointer()
			var key int64
			sc.targets[len(sc.targets)-1] = &key
			if err := sc.scan(r, obj); err != nil {
				r.Close()
				return nil, nil, err
			}
			out, keys = append(out, obj), append(keys, key)
		}
		r.Close()
		if err := r.Err(); err != nil {
			return nil, nil, err
		}
	}
	return out, keys, nil
}

// keysNode is "col IN ids" (see dialect.keysIn).
type keysNode struct {
	col colRef
	ids []int64
}

func (n *keysNode) compile(c *compiler) error {
	if len(n.ids) == 0 {
		c.sql.WriteString("(1 = 0)")
		return nil
	}
	c.d.keysIn(c, n.col.sql(), n.ids)
	return nil
}
