package orm

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"
)

// Scan reads the queryset's rows into the slice dst points to: a []R or
// []*R of a struct R whose fields are named values of the query, fields,
// relations ("author__username") or annotations. A field's name is its
// `orm:"name"` tag, else its Go name in snake case (TotalSpent →
// total_spent); `orm:"-"` skips it. An embedded model struct (T or *T) is
// loaded whole, with the values beside it:
//
//	type TopCustomer struct {
//		*Customer
//		TotalSpent decimal.Decimal
//		LastOrder  *time.Time // nil: no orders
//	}
//
// A NULL goes only into a pointer (or interface) field: anything else is an
// error, so that "no value" is never read as zero.
func (qs QuerySet[T, S]) Scan(ctx context.Context, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Slice {
		return fmt.Errorf("orm: Scan wants a pointer to a slice of structs, not %T", dst)
	}
	slice := rv.Elem()
	elem, ptrElems := slice.Type().Elem(), false
	if elem.Kind() == reflect.Pointer {
		elem, ptrElems = elem.Elem(), true
	}
	if elem.Kind() != reflect.Struct {
		return fmt.Errorf("orm: Scan wants a pointer to a slice of structs, not %T", dst)
	}
	q := qs.q
	if q.err != nil {
		return q.err
	}
	plan, err := scanPlanOf(elem, q.meta)
	if err != nil {
		return err
	}
	if plan.model != nil && q.groupBy != nil {
		return fmt.Errorf("orm: Scan: a GroupBy queryset has groups, not %s instances", q.meta.Label())
	}
	if q.none {
		slice.SetLen(0)
		return nil
	}
	var fields []*Field
	if plan.model != nil {
		fields = q.selected()
	}
	rs, cols, d, err := qs.q.selectValues(ctx, fields, plan.names)
	if err != nil {
		return err
	}
	defer rs.Close()
	vals := make([]any, len(cols))
	targets := make([]any, len(fields)+len(cols))
	for i, col := range cols {
		targets[len(fields)+i] = d.valueTarget(col.field, &vals[i])
	}
	out := slice.Slice(0, 0)
	for rs.Next() {
		item := reflect.New(elem)
		s := item.Elem()
		var obj unsafe.Pointer
		if plan.model != nil {
			mv := s.FieldByIndex(plan.model)
			if plan.modelPtr {
				mv.Set(reflect.New(q.meta.typ))
				mv = mv.Elem()
			}
			obj = mv.Addr().UnsafePointer()
			for i, f := range fields {
				targets[i] = d.scanTarget(f, obj)
			}
		}
		if err := rs.Scan(targets...); err != nil {
			return fmt.Errorf("orm: scanning %s: %w", q.meta.Label(), err)
		}
		if obj != nil {
			q.meta.bindM2M(obj)
			if q.deferred != nil {
				q.meta.setState(obj, func(st *instanceState) { st.deferred = q.deferred })
			}
		}
		for i, name := range plan.names {
			if err := assign(s.FieldByIndex(plan.index[i]), vals[i], name); err != nil {
				return err
			}
		}
		if ptrElems {
			out = reflect.Append(out, item)
		} else {
			out = reflect.Append(out, s)
		}
	}
	if err := rs.Err(); err != nil {
		return err
	}
	slice.Set(out)
	return nil
}

// scanPlan maps a struct's fields to value names.
type scanPlan struct {
	names    []string
	index    [][]int
	model    []int // the embedded model struct, if any
	modelPtr bool
}

func scanPlanOf(t reflect.Type, m *Meta) (*scanPlan, error) {
	p := &scanPlan{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		if m != nil && sf.Anonymous && (sf.Type == m.typ || sf.Type == reflect.PointerTo(m.typ)) {
			p.model, p.modelPtr = sf.Index, sf.Type.Kind() == reflect.Pointer
			continue
		}
		name := sf.Tag.Get("orm")
		if name == "-" {
			continue
		}
		if name == "" {
			name = snakeCase(sf.Name)
		}
		p.names = append(p.names, name)
		p.index = append(p.index, sf.Index)
	}
	if len(p.names) == 0 && p.model == nil {
		return nil, fmt.Errorf("orm: %s has no exported field to scan into", t)
	}
	return p, nil
}

// assign sets dst to a value read from the database, converting between
// Go types of the same sort (int64 into int, a string into a named string
// type).
func assign(dst reflect.Value, v any, name string) error {
	if v == nil {
		switch dst.Kind() {
		case reflect.Pointer, reflect.Interface:
			dst.SetZero()
			return nil
		}
		return fmt.Errorf("orm: %s is NULL; scan it into a pointer (*%s) to tell no value from zero", name, dst.Type())
	}
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := assign(p.Elem(), v, name); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	src := reflect.ValueOf(v)
	switch {
	case src.Type().AssignableTo(dst.Type()):
		dst.Set(src)
	case src.Type().ConvertibleTo(dst.Type()) && (src.Kind() == reflect.String) == (dst.Kind() == reflect.String) &&
		(dst.Kind() != reflect.Struct || src.Type() == dst.Type()):
		dst.Set(src.Convert(dst.Type()))
	default:
		return fmt.Errorf("orm: %s is a %T, which does not go into a %s", name, v, dst.Type())
	}
	return nil
}

// Annotation returns the value of an annotation on an instance loaded by a
// queryset with Annotate, typed: orm.Annotation[int64](author,
// "post_count"). A NULL reads as an error unless V is a pointer (nil).
func Annotation[V, T any](obj *T, name string) (V, error) {
	var v V
	s := stateOf(obj)
	if s != nil {
		for i, n := range s.annNames {
			if n == name {
				err := assign(reflect.ValueOf(&v).Elem(), s.annVals[i], name)
				return v, err
			}
		}
	}
	return v, fmt.Errorf("orm: the instance has no annotation %q", name)
}

// selectValues runs a select of the base model's fields and the named
// values (fields, relations, annotations), returning the rows and the
// values' columns.
func (q *query) selectValues(ctx context.Context, fields []*Field, names []string) (rows, []colRef, dialect, error) {
	if q.err != nil {
		return nil, nil, nil, q.err
	}
	q = q.clone()
	r := &resolver{meta: q.meta, table: q.meta.Table, q: q}
	cols := make([]colRef, 0, len(names))
	for _, name := range names {
		col, rest, err := r.walk(name)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(rest) > 0 {
			return nil, nil, nil, q.meta.unknownField(name)
		}
		cols = append(cols, col)
	}
	c, err := connFrom(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if q.lock != nil && c.tx == nil {
		return nil, nil, nil, ErrLockOutsideTransaction
	}
	sql, args, err := q.selectColsSQL(c.db.dialect, fields, cols)
	if err != nil {
		return nil, nil, nil, err
	}
	rs, err := c.query(ctx, sql, args)
	if err != nil {
		return nil, nil, nil, err
	}
	return rs, cols, c.db.dialect, nil
}

// valueNames are the names Values gives when none are asked for: the
// GroupBy names and the annotations after it, else every field and every
// annotation.
func (q *query) valueNames() []string {
	var names []string
	if q.groupBy != nil {
		names = append(names, q.groupNames...)
		for _, a := range q.annotations[q.groupAt:] {
			names = append(names, a.name)
		}
		return names
	}
	for _, f := range q.meta.Fields {
		names = append(names, f.Name)
	}
	for _, a := range q.annotations {
		names = append(names, a.name)
	}
	return names
}

// annotationCols are the annotations an instance select loads.
func (q *query) annotationCols() []colRef {
	cols := make([]colRef, len(q.annotations))
	for i, a := range q.annotations {
		cols[i] = colRef{field: a.expr.field(), ann: a}
	}
	return cols
}
