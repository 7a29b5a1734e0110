package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// A names expressions for Annotate and Aggregate, as Django's keyword
// arguments do: Annotate(orm.A{"post_count": orm.Count("posts")}) is
// annotate(post_count=Count("posts")).
type A map[string]Expr

// exprField is the type of a computed value. DecimalPlaces -1 leaves a
// decimal as it is (a column's places would round it).
func exprField(name string, k Kind, m *Meta) *Field {
	return &Field{Name: name, Kind: k, model: m, Null: true, DecimalPlaces: -1}
}

// arg reads a function's argument: a string names a field ("price",
// "items__price"), an Expr is used as it is.
func arg(x any) Expr {
	switch x := x.(type) {
	case Expr:
		return x
	case string:
		return F(x)
	}
	return Expr{badSpec{fmt.Errorf("orm: want a field name or an orm expression, not %T", x)}}
}

type badSpec struct{ err error }

func (s badSpec) resolve(*resolver, *Field) (resolvedExpr, error) { return nil, s.err }

// Aggregates

// AggOption modifies an aggregate: Distinct, Where.
type AggOption func(*aggSpec)

// Distinct aggregates each distinct value once: Count("items__product",
// orm.Distinct()) is Django's distinct=True.
func Distinct() AggOption { return func(a *aggSpec) { a.distinct = true } }

// Where aggregates only the rows matching the conditions (Django's
// filter=Q(…); SQL's FILTER (WHERE …)).
func Where(conds ...Cond) AggOption { return func(a *aggSpec) { a.filter = And(conds...) } }

// Count counts the non-NULL values of a field or expression; Count("*")
// counts rows. It is 0, never NULL, over no rows.
func Count(x any, opts ...AggOption) Expr {
	if x == "*" {
		return newAgg("COUNT", Expr{}, opts)
	}
	return newAgg("COUNT", arg(x), opts)
}

// Sum adds up a number field or expression. Over no rows it is NULL, which
// reads as nil (or a nil pointer), not 0.
func Sum(x any, opts ...AggOption) Expr { return newAgg("SUM", arg(x), opts) }

// Avg is the mean of a number field: a float64 for integers and floats, a
// decimal.Decimal for decimals. NULL over no rows.
func Avg(x any, opts ...AggOption) Expr { return newAgg("AVG", arg(x), opts) }

// Max is the largest value (of the field's own type). NULL over no rows.
func Max(x any, opts ...AggOption) Expr { return newAgg("MAX", arg(x), opts) }

// Min is the smallest value (of the field's own type). NULL over no rows.
func Min(x any, opts ...AggOption) Expr { return newAgg("MIN", arg(x), opts) }

func newAgg(fn string, x Expr, opts []AggOption) Expr {
	a := &aggSpec{fn: fn, arg: x}
	for _, o := range opts {
		o(a)
	}
	return Expr{a}
}

type aggSpec struct {
	fn       string
	arg      Expr // zero: COUNT(*)
	distinct bool
	filter   Cond
}

func (s *aggSpec) name() string {
	return strings.ToUpper(s.fn[:1]) + strings.ToLower(s.fn[1:])
}

func (s *aggSpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	if r.q == nil {
		return nil, fmt.Errorf("orm: %s is not allowed here (only in Annotate and Aggregate)", s.name())
	}
	e := &aggExpr{spec: s}
	if s.arg.spec != nil {
		var err error
		if e.arg, err = s.arg.resolve(r, nil); err != nil {
			return nil, err
		}
		if e.arg.hasAgg() && !r.overGroups {
			return nil, fmt.Errorf("orm: %s of an aggregate: aggregates cannot be nested", s.name())
		}
	} else if s.fn != "COUNT" {
		return nil, fmt.Errorf("orm: %s needs a field or an expression", s.name())
	}
	if s.filter != nil {
		n, err := r.cond(s.filter)
		if err != nil {
			return nil, err
		}
		e.filter = n
	}
	var in Kind
	if e.arg != nil {
		in = e.arg.field().Kind
		if in == KindForeignKey || in == KindOneToOne {
			in = KindBigInteger
		}
	}
	out := KindBigInteger
	bad := func(want string) error {
		what := "the expression"
		if f, ok := s.arg.spec.(fieldSpec); ok {
			what = strconv.Quote(string(f))
		}
		return fmt.Errorf("orm: %s(%s): %s is a %s; %s needs %s", s.name(), what, what, e.arg.field().Kind, s.name(), want)
	}
	switch s.fn {
	case "SUM":
		switch {
		case in.isInteger():
			out = KindBigInteger
		case in == KindFloat, in == KindDecimal, in == KindDuration:
			out = in
		default:
			return nil, bad("a number")
		}
	case "AVG":
		switch {
		case in.isInteger(), in == KindFloat:
			out = KindFloat
		case in == KindDecimal:
			out = KindDecimal
		default:
			return nil, bad("a number")
		}
	case "MAX", "MIN":
		switch in {
		case KindBoolean, KindJSON, KindManyToMany:
			return nil, bad("values that can be ordered")
		}
		out = in
	}
	e.out = exprField(strings.ToLower(s.fn), out, r.meta)
	e.out.Null = s.fn != "COUNT"
	return e, nil
}

type aggExpr struct {
	spec   *aggSpec
	arg    resolvedExpr // nil: COUNT(*)
	filter node
	out    *Field
}

func (e *aggExpr) field() *Field { return e.out }
func (e *aggExpr) hasAgg() bool  { return true }

func (e *aggExpr) sql(c *compiler) (string, error) {
	x, in := "*", (*Field)(nil)
	if e.arg != nil {
		var err error
		if x, err = e.arg.sql(c); err != nil {
			return "", err
		}
		in = e.arg.field()
	}
	filter := ""
	if e.filter != nil {
		cond, err := c.capture(e.filter.compile)
		if err != nil {
			return "", err
		}
		filter = " FILTER (WHERE " + cond + ")"
	}
	return c.d.aggregate(e.spec.fn, x, e.spec.distinct, filter, in, e.out), nil
}

// Output types

// Output gives an expression its result type, as Django's output_field: a
// Case whose branches differ, arithmetic mixing integers and decimals.
// Constants in the expression take that type.
func (e Expr) Output(k Kind) Expr { return Expr{outputSpec{e, k}} }

type outputSpec struct {
	e Expr
	k Kind
}

func (s outputSpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	f := exprField("output", s.k, r.meta)
	re, err := s.e.resolve(r, f)
	if err != nil {
		return nil, err
	}
	if err := checkExprType(s.k, f, re, s.e); err != nil {
		return nil, err
	}
	return outputExpr{re, f}, nil
}

type outputExpr struct {
	resolvedExpr
	f *Field
}

func (e outputExpr) field() *Field { return e.f }

// typedSQL is an expression where nothing around it gives its bind
// parameters a type (a CASE branch, a function argument, a select-list
// constant): PostgreSQL would take them for text, so constants are cast to
// their type.
func typedSQL(c *compiler, re resolvedExpr, f *Field) (string, error) {
	k, ok := re.(constExpr)
	if !ok {
		return re.sql(c)
	}
	if k.v == nil {
		return "NULL", nil
	}
	ph, err := k.sql(c)
	if err != nil {
		return "", err
	}
	if f == nil {
		f = k.f
	}
	return c.d.cast(ph, f), nil
}

// Case / When

// CaseClause is a branch of Case: When or Else.
type CaseClause struct {
	cond   Cond
	then   any
	isElse bool
}

// When is a branch of Case: then's value where cond holds. A plain Go value
// is a constant; use F for a field.
func When(cond Cond, then any) CaseClause { return CaseClause{cond: cond, then: then} }

// Else is the value of Case when no When holds (NULL without it).
func Else(v any) CaseClause { return CaseClause{then: v, isElse: true} }

// Case is SQL's CASE WHEN … THEN … ELSE … END, Django's Case(When(…)). The
// branches must agree on a type, or the Case must be given one with Output.
func Case(clauses ...CaseClause) Expr { return Expr{caseSpec(clauses)} }

type caseSpec []CaseClause

type caseExpr struct {
	conds []node
	thens []resolvedExpr
	els   resolvedExpr // nil: NULL
	out   *Field
}

func (s caseSpec) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	e := &caseExpr{}
	var elseClause *CaseClause
	for i, cl := range s {
		if cl.isElse {
			if elseClause != nil {
				return nil, errors.New("orm: Case has more than one Else")
			}
			elseClause = &s[i]
			continue
		}
		if cl.cond == nil {
			return nil, errors.New("orm: When needs a condition")
		}
		n, err := r.cond(cl.cond)
		if err != nil {
			return nil, err
		}
		e.conds = append(e.conds, n)
	}
	if len(e.conds) == 0 {
		return nil, errors.New("orm: Case needs at least one When")
	}
	branches := make([]Expr, 0, len(s))
	for _, cl := range s {
		if !cl.isElse {
			branches = append(branches, toExpr(cl.then))
		}
	}
	if elseClause != nil {
		branches = append(branches, toExpr(elseClause.then))
	}
	out := hint
	if out == nil {
		// The type is the branches' own when they agree: constants first
		// resolved without a type, then again with the one found.
		for _, b := range branches {
			re, err := b.resolve(r, nil)
			if err != nil {
				return nil, err
			}
			if k, ok := re.(constExpr); ok && k.v == nil {
				continue
			}
			switch f := re.field(); {
			case out == nil:
				out = f
			case numberClass(f.Kind) != numberClass(out.Kind):
				return nil, fmt.Errorf("orm: Case: the branches have different types (%s and %s); give the result a type with .Output(orm.KindX)", out.Kind, f.Kind)
			}
		}
		if out == nil {
			return nil, errors.New("orm: Case: every branch is NULL, so the result has no type; give it one with .Output(orm.KindX)")
		}
	}
	for i, b := range branches {
		re, err := b.resolve(r, out)
		if err != nil {
			return nil, err
		}
		if err := checkExprType(out.Kind, out, re, b); err != nil {
			return nil, err
		}
		if i < len(e.conds) {
			e.thens = append(e.thens, re)
		} else {
			e.els = re
		}
	}
	e.out = exprField("case", out.Kind, r.meta)
	e.out.MaxLength, e.out.MaxDigits, e.out.DecimalPlaces = out.MaxLength, out.MaxDigits, out.DecimalPlaces
	return e, nil
}

// numberClass tells apart the types a Case cannot mix without an Output:
// integers, floats and decimals are all numbers but read back differently.
func numberClass(k Kind) string {
	switch {
	case k.isText():
		return "text"
	case k.isInteger(), k == KindForeignKey, k == KindOneToOne:
		return "integer"
	}
	return k.String()
}

func (e *caseExpr) field() *Field { return e.out }

func (e *caseExpr) hasAgg() bool {
	for i, n := range e.conds {
		if hasAgg(n) || e.thens[i].hasAgg() {
			return true
		}
	}
	return e.els != nil && e.els.hasAgg()
}

func (e *caseExpr) sql(c *compiler) (string, error) {
	var sb strings.Builder
	sb.WriteString("CASE")
	for i, n := range e.conds {
		cond, err := c.capture(n.compile)
		if err != nil {
			return "", err
		}
		then, err := typedSQL(c, e.thens[i], e.out)
		if err != nil {
			return "", err
		}
		sb.WriteString(" WHEN " + cond + " THEN " + then)
	}
	if e.els != nil {
		els, err := typedSQL(c, e.els, e.out)
		if err != nil {
			return "", err
		}
		sb.WriteString(" ELSE " + els)
	}
	sb.WriteString(" END")
	return sb.String(), nil
}

// Subquery, OuterRef, Exists

// OuterRef refers, inside a queryset given to Subquery or Exists, to a
// field of the row of the query around it: Django's OuterRef("pk").
func OuterRef(name string) Expr { return Expr{outerRefSpec(name)} }

type outerRefSpec string

func (s outerRefSpec) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	if r.q == nil {
		return nil, fmt.Errorf("orm: OuterRef(%q) is only allowed in the conditions of a queryset given to Subquery or Exists", string(s))
	}
	if hint == nil {
		hint = exprField(string(s), KindBigInteger, r.meta)
	}
	ref := &outerRef{name: string(s), f: hint}
	r.q.outerRefs = append(r.q.outerRefs, ref)
	return ref, nil
}

type outerRef struct {
	name string
	f    *Field
}

func (e *outerRef) field() *Field { return e.f }
func (e *outerRef) hasAgg() bool  { return false }

func (e *outerRef) sql(c *compiler) (string, error) {
	for s := c.scope; s != nil; s = s.parent {
		if col, ok := s.outer[e]; ok {
			inner := c.scope
			c.scope = s.parent
			out, err := c.colSQL(col)
			c.scope = inner
			return out, err
		}
	}
	return "", fmt.Errorf("orm: OuterRef(%q) is only allowed in the conditions of a queryset given to Subquery or Exists", e.name)
}

// Subquery is the value of field in the first row of qs, computed for each
// row of the outer query: with OuterRef in qs's conditions it is Django's
// Subquery(Post.objects.filter(author=OuterRef("pk")).values("title")[:1]).
// No row gives NULL.
func Subquery(qs Queryable, field string) Expr { return Expr{subquerySpec{qs: qs, field: field}} }

// Exists is true when qs has a row (for the outer row, with OuterRef). It is
// a condition too: Filter(orm.Exists(…)), Filter(orm.Not(orm.Exists(…))).
func Exists(qs Queryable) Expr { return Expr{subquerySpec{qs: qs, exists: true}} }

type subquerySpec struct {
	qs     Queryable
	field  string
	exists bool
}

var boolField = &Field{Name: "exists", Kind: KindBoolean, model: &Meta{}}

func (s subquerySpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	what := "Subquery"
	if s.exists {
		what = "Exists"
	}
	var q *query
	if s.qs != nil {
		q = s.qs.querySpec()
	}
	if q == nil {
		return nil, fmt.Errorf("orm: %s needs a queryset from a manager (Objects())", what)
	}
	if q.err != nil {
		return nil, q.err
	}
	inner := q.clone()
	e := &subqueryExpr{q: inner, exists: s.exists, bind: map[*outerRef]colRef{}}
	for _, ref := range inner.outerRefs {
		col, rest, err := r.walk(ref.name)
		if err != nil {
			return nil, err
		}
		if len(rest) > 0 {
			return nil, r.meta.unknownField(ref.name)
		}
		if numberClass(col.field.Kind) != numberClass(ref.f.Kind) && !(ref.f.Kind.isText() && col.field.Kind.isText()) {
			return nil, fmt.Errorf("orm: OuterRef(%q) is a %s, compared with a %s", ref.name, col.field.Kind, ref.f.Kind)
		}
		e.bind[ref] = col
	}
	if s.exists {
		e.out = boolField
		return e, nil
	}
	if s.field == "" {
		return nil, errors.New("orm: Subquery needs the field it returns")
	}
	col, rest, err := (&resolver{meta: inner.meta, table: inner.meta.Table, q: inner}).walk(s.field)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, inner.meta.unknownField(s.field)
	}
	e.col = col
	out := *col.field
	out.Null = true // no row is NULL
	e.out = &out
	return e, nil
}

type subqueryExpr struct {
	q      *query
	col    colRef
	exists bool
	bind   map[*outerRef]colRef
	out    *Field
}

func (e *subqueryExpr) field() *Field { return e.out }
func (e *subqueryExpr) hasAgg() bool  { return false }

func (e *subqueryExpr) sql(c *compiler) (string, error) {
	return c.capture(func(sc *compiler) error {
		// The inner tables are renamed so that a subquery on the outer
		// query's own table (or a join alias it also uses) cannot capture
		// the columns OuterRef names.
		rename := map[string]string{}
		next := func() string { sc.aliases++; return "U" + strconv.Itoa(sc.aliases-1) }
		rename[e.q.meta.Table] = next()
		for _, j := range e.q.joins {
			rename[j.alias] = next()
		}
		sc.scope = &scope{rename: rename, outer: e.bind, parent: c.scope}
		sc.derived = nil // the subquery reads its own tables
		order := e.q.ordering()
		if e.exists {
			if !e.q.sliced() {
				order = nil
			}
			sc.sql.WriteString("EXISTS(")
			if err := e.q.writeSelect(sc, []*Field{e.q.meta.PK}, nil, order); err != nil {
				return err
			}
		} else {
			sc.sql.WriteString("(")
			if err := e.q.writeSelect(sc, nil, []colRef{e.col}, order); err != nil {
				return err
			}
		}
		sc.sql.WriteString(")")
		return nil
	})
}

// An Expr is a condition when it is boolean (Exists, a BooleanField):
// Filter(orm.Exists(…)).
func (Expr) isCond() {}

type exprNode struct{ re resolvedExpr }

func (n *exprNode) compile(c *compiler) error {
	s, err := n.re.sql(c)
	if err != nil {
		return err
	}
	c.sql.WriteString(s)
	return nil
}

func (r *resolver) exprCond(e Expr) (node, error) {
	re, err := e.resolve(r, boolField)
	if err != nil {
		return nil, err
	}
	if k := re.field().Kind; k != KindBoolean {
		return nil, fmt.Errorf("orm: an expression used as a condition must be boolean (Exists, a BooleanField), not a %s", k)
	}
	if _, ok := re.(constExpr); ok {
		return nil, errors.New("orm: a constant is not a condition; use orm.And() for no condition")
	}
	return &exprNode{re}, nil
}

// hasAgg reports a condition on an aggregate, which belongs in HAVING.
func hasAgg(n node) bool {
	switch n := n.(type) {
	case *group:
		for _, ch := range n.children {
			if hasAgg(ch) {
				return true
			}
		}
	case *leaf:
		if n.col.ann != nil && n.col.ann.agg {
			return true
		}
		if re, ok := n.value.(resolvedExpr); ok {
			return re.hasAgg()
		}
	case *exprNode:
		return n.re.hasAgg()
	}
	return false
}

// QuerySet methods

// Annotate adds a value computed per row, read with orm.Annotation, Values,
// ValuesList or Scan, and usable by name in Filter, Exclude and OrderBy
// after it. An aggregate (Count("posts")) makes each row a group of the
// related rows; a condition on it becomes HAVING. Names are applied in
// sorted order, so one annotation may use another only from an earlier
// Annotate call. As in Django, an aggregate reuses the multi-valued joins
// of the Filter calls before it, and is not narrowed by those after it.
func (qs QuerySet[T, S]) Annotate(exprs A) S { return qs.with(qs.q.annotate(exprs)) }

func (q *query) annotate(exprs A) *query {
	if q.err != nil {
		return q
	}
	if q.sliced() {
		return q.fail(errors.New("orm: cannot annotate a query once a slice has been taken"))
	}
	if len(exprs) == 0 {
		return q.fail(errors.New("orm: Annotate needs at least one expression"))
	}
	c := q.clone()
	c.joinAny = true
	r := &resolver{meta: q.meta, table: q.meta.Table, q: c}
	for _, name := range sortedKeys(exprs) {
		if err := q.checkAnnotationName(name); err != nil {
			return q.fail(err)
		}
		re, err := exprs[name].resolve(r, nil)
		if err != nil {
			return q.fail(err)
		}
		c.annotations = append(c.annotations, &annotation{name: name, expr: re, agg: re.hasAgg()})
	}
	c.joinAny = false
	return c
}

func (q *query) checkAnnotationName(name string) error {
	if name == "" || strings.Contains(name, "__") || strings.ContainsAny(name, `" `) {
		return fmt.Errorf("orm: %q is not a valid annotation name", name)
	}
	if q.meta.hasName(name) || q.meta.reverseByName[name] != nil || q.meta.m2mByName[name] != nil || q.meta.reverseM2M[name] != nil {
		return fmt.Errorf("orm: the annotation %q conflicts with a field of %s", name, q.meta.Label())
	}
	if q.annotation(name) != nil {
		return fmt.Errorf("orm: the annotation %q is already set", name)
	}
	return nil
}

func (q *query) annotation(name string) *annotation {
	for _, a := range q.annotations {
		if a.name == name {
			return a
		}
	}
	return nil
}

// GroupBy makes the rows groups of equal values of the named fields or
// annotations, as Django's values("author") before annotate(…): the
// aggregates annotated after it are computed per group. The groups are
// read with Values, ValuesList or Scan (not All), ordered only by OrderBy.
func (qs QuerySet[T, S]) GroupBy(fields ...string) S {
	q := qs.q
	if q.err != nil {
		return qs.with(q)
	}
	if len(fields) == 0 {
		return qs.with(q.fail(errors.New("orm: GroupBy needs at least one field")))
	}
	c := q.clone()
	c.groupBy = nil
	r := &resolver{meta: q.meta, table: q.meta.Table, q: c}
	for _, name := range fields {
		col, rest, err := r.walk(name)
		if err != nil {
			return qs.with(q.fail(err))
		}
		if len(rest) > 0 {
			return qs.with(q.fail(q.meta.unknownField(name)))
		}
		if col.ann != nil && col.ann.agg {
			return qs.with(q.fail(fmt.Errorf("orm: GroupBy(%q): cannot group by an aggregate", name)))
		}
		c.groupBy = append(c.groupBy, col)
		c.groupNames = append(c.groupNames, name)
	}
	c.groupAt = len(c.annotations)
	return qs.with(c)
}

// Aggregate computes aggregates over the whole queryset in one query and
// returns them by name: Django's aggregate(total=Count("id")). Over no rows
// Count is 0 and the others are nil; Row.Scan reads them into a struct.
func (qs QuerySet[T, S]) Aggregate(ctx context.Context, aggs A) (Row, error) {
	q := qs.q
	if q.err != nil {
		return nil, q.err
	}
	if len(aggs) == 0 {
		return nil, errors.New("orm: Aggregate needs at least one aggregate")
	}
	// Over a grouped queryset (annotate(n=Count(…)).aggregate(Avg("n"))),
	// the aggregates read the grouped rows from a derived table.
	grouped := q.aggregated()
	base := q.clone()
	if (q.sliced() || q.distinct) && !grouped {
		// The rows of the slice (or the distinct rows), by primary key.
		base = newQuery(q.meta)
		base.where = []node{&leaf{col: colRef{table: q.meta.Table, field: q.meta.PK}, lookup: "in", value: q, valField: q.meta.PK}}
	}
	base.joinAny = !grouped
	r := &resolver{meta: q.meta, table: q.meta.Table, q: base, overGroups: grouped}
	names := sortedKeys(aggs)
	exprs := make([]resolvedExpr, len(names))
	for i, name := range names {
		re, err := aggs[name].resolve(r, nil)
		if err != nil {
			return nil, err
		}
		if !re.hasAgg() {
			return nil, fmt.Errorf("orm: Aggregate: %q is not an aggregate (Count, Sum, Avg, Max, Min)", name)
		}
		exprs[i] = re
	}
	if grouped && len(base.joins) > len(q.joins) {
		return nil, errGroupedAggregate
	}
	row := make(Row, len(names))
	if q.none {
		for i, name := range names {
			if a, ok := exprs[i].(*aggExpr); ok && a.spec.fn == "COUNT" {
				row[name] = int64(0)
			} else {
				row[name] = nil
			}
		}
		return row, nil
	}
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	cmp := newCompiler(c.db.dialect)
	var fields []*Field // the base fields the derived table has
	if grouped && q.groupBy == nil {
		fields = q.selected()
	}
	if grouped {
		cmp.derived = &derivedTable{alias: "quarry_sub", base: q.meta.Table, fields: fields}
	}
	cmp.sql.WriteString("SELECT ")
	for i, re := range exprs {
		if i > 0 {
			cmp.sql.WriteString(", ")
		}
		s, err := re.sql(cmp)
		if err != nil {
			return nil, err
		}
		cmp.sql.WriteString(s)
	}
	if grouped {
		cmp.derived = nil
		var order []orderTerm
		if q.sliced() {
			order = q.ordering() // it picks the groups of the slice
		}
		cmp.sql.WriteString(" FROM (")
		if err := q.writeSelect(cmp, fields, q.annotationCols(), order); err != nil {
			return nil, err
		}
		cmp.sql.WriteString(") AS quarry_sub")
	} else if err := base.writeFrom(cmp); err != nil {
		return nil, err
	}
	rs, err := c.query(ctx, cmp.sql.String(), cmp.args)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	vals := make([]any, len(names))
	targets := make([]any, len(names))
	for i, re := range exprs {
		targets[i] = c.db.dialect.valueTarget(re.field(), &vals[i])
	}
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("orm: Aggregate: the query returned no row")
	}
	if err := rs.Scan(targets...); err != nil {
		return nil, err
	}
	for i, name := range names {
		row[name] = vals[i]
	}
	return row, rs.Err()
}

var errGroupedAggregate = errors.New("orm: Aggregate over a grouped queryset (an aggregate Annotate or GroupBy) can use its annotations and, without GroupBy, the model's own fields")

// derivedTable is the grouped query an Aggregate reads from: annotations
// and the base model's fields are its columns.
type derivedTable struct {
	alias, base string
	fields      []*Field
}

// Row is one result of Aggregate: name → value, nil for NULL.
type Row map[string]any

// Scan copies the row into the struct dst points to, by field name (see
// QuerySet.Scan for how names match).
func (r Row) Scan(dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("orm: Row.Scan wants a pointer to a struct, not %T", dst)
	}
	plan, err := scanPlanOf(rv.Elem().Type(), nil)
	if err != nil {
		return err
	}
	for i, name := range plan.names {
		v, ok := r[name]
		if !ok {
			return fmt.Errorf("orm: Row.Scan: the row has no %q (it has %s)", name, strings.Join(sortedKeys(r), ", "))
		}
		if err := assign(rv.Elem().FieldByIndex(plan.index[i]), v, name); err != nil {
			return err
		}
	}
	return nil
}
