package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Cond is a filter condition: a Q, or And/Or/Not of conditions.
type Cond interface{ isCond() }

// Q is Django's Q object: each key is a lookup ("title__icontains",
// "view_count__gte", "created_at__year"), each value what it compares with;
// the entries are ANDed. Combine Qs with And, Or and Not.
type Q map[string]any

func (Q) isCond() {}

type junction struct {
	or    bool
	conds []Cond
}

func (junction) isCond() {}

type negation struct{ c Cond }

func (negation) isCond() {}

// And is true when every condition is; And() with none is no condition at
// all (true, and Not(And()) or Exclude(And()) keep every row too, as
// Django's ~Q() does), which makes it the start of a dynamically built filter.
func And(conds ...Cond) Cond { return junction{conds: conds} }

// Or is true when any condition is. Or() with none matches nothing; an
// empty And among its conditions is left out (Django's Q() | Q(x) is Q(x)),
// and an Or of nothing but empty Ands is no condition.
func Or(conds ...Cond) Cond { return junction{or: true, conds: conds} }

// Not negates a condition (Django's ~Q).
func Not(c Cond) Cond { return negation{c} }

// node is a resolved condition, ready to compile.
type node interface {
	compile(c *compiler) error
}

type group struct {
	or       bool
	not      bool
	children []node
}

type leaf struct {
	col       colRef
	transform string // year, month, date, …
	lookup    string
	value     any // canonical value; []any for in/range; resolvedExpr; *query for in
	valField  *Field
}

// colRef is a column of the query's model (relations add joins and aliases).
type colRef struct {
	table string // "" in DDL, where columns stand alone
	field *Field
	ann   *annotation // set for a name that is an annotation: field is its type
}

func (r colRef) sql() string {
	if r.table == "" {
		return quote(r.field.Column)
	}
	return quote(r.table) + "." + quote(r.field.Column)
}

// resolver resolves names against a model.
type resolver struct {
	meta       *Meta
	table      string // qualifier for columns; "" for DDL
	q          *query // where joins go; nil where relations cannot be followed (DDL)
	overGroups bool   // resolving Aggregate over grouped rows: an aggregate annotation is a column there
}

// walk follows a lookup path through relations ("author__profile__city",
// "posts__tags__name") to the field it ends on, joining the tables on the
// way, and returns what remains (transforms and the lookup). A path that
// ends on a relation compares its key ("author" → author_id; "posts" →
// the related posts' ids).
func (r *resolver) walk(path string) (colRef, []string, error) {
	parts := strings.Split(path, "__")
	meta, alias, key := r.meta, r.table, ""
	for i, name := range parts {
		if i > 0 {
			key += "__"
		} else if r.q != nil && len(r.q.annotations) > 0 {
			if a := r.q.annotation(name); a != nil {
				return colRef{field: a.expr.field(), ann: a}, parts[1:], nil
			}
		}
		key += name
		f := meta.Field(name)
		if m2m, forward := meta.m2mByName[name], true; f == nil && (m2m != nil || meta.reverseM2M[name] != nil) {
			if m2m == nil {
				m2m, forward = meta.reverseM2M[name], false
			}
			if r.q == nil || m2m.Rel.To == nil {
				return colRef{}, nil, fmt.Errorf("orm: %s: %q follows a relation, which is not allowed here", r.meta.Label(), path)
			}
			alias, meta = r.joinM2M(m2m, forward, strings.TrimSuffix(key, name), key, alias, meta)
			if i == len(parts)-1 || !meta.hasName(parts[i+1]) {
				return colRef{table: alias, field: meta.PK}, parts[i+1:], nil
			}
			continue
		}
		if f == nil {
			rv := meta.reverseByName[name]
			if rv == nil {
				if i > 0 {
					return colRef{}, nil, &FieldError{Model: meta.Label(), Field: name, Choices: append(meta.fieldNames(), "pk")}
				}
				return colRef{}, nil, meta.unknownField(name)
			}
			if r.q == nil {
				return colRef{}, nil, fmt.Errorf("orm: %s: %q follows a relation, which is not allowed here", r.meta.Label(), path)
			}
			other := rv.Field.model
			alias = r.q.addJoin(key, other.Table, alias, meta.PK.Column, rv.Field.Column, rv.Many)
			meta = other
			if i == len(parts)-1 || !meta.hasName(parts[i+1]) {
				return colRef{table: alias, field: meta.PK}, parts[i+1:], nil
			}
			continue
		}
		if f.Rel != nil && i+1 < len(parts) && f.Rel.To.hasName(parts[i+1]) {
			if r.q == nil {
				return colRef{}, nil, fmt.Errorf("orm: %s: %q follows a relation, which is not allowed here", r.meta.Label(), path)
			}
			to := f.Rel.To
			if parts[i+1] == "pk" || parts[i+1] == to.PK.Name {
				if i+2 == len(parts) || !to.hasName(parts[i+2]) {
					// author__id is author_id: no join needed
					return colRef{table: alias, field: f}, parts[i+2:], nil
				}
			}
			alias = r.q.addJoin(key, to.Table, alias, f.Column, to.PK.Column, false)
			meta = to
			continue
		}
		return colRef{table: alias, field: f}, parts[i+1:], nil
	}
	return colRef{}, nil, r.meta.unknownField(path) // unreachable: the loop returns
}

func resolveCond(m *Meta, c Cond) (node, error) {
	return (&resolver{meta: m}).cond(c)
}

func (r *resolver) cond(c Cond) (node, error) {
	switch c := c.(type) {
	case nil:
		return &group{}, nil
	case Q:
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		slices.Sort(keys) // stable SQL, so statements cache
		g := &group{}
		for _, k := range keys {
			n, err := r.lookup(k, c[k])
			if err != nil {
				return nil, err
			}
			g.children = append(g.children, n)
		}
		return g, nil
	case junction:
		g := &group{or: c.or}
		for _, sub := range c.conds {
			n, err := r.cond(sub)
			if err != nil {
				return nil, err
			}
			if sub, ok := n.(*group); ok && c.or && sub.noCondition() {
				// Q() | Q(x) is Q(x) in Django: no condition is no
				// alternative, not one that matches every row.
				continue
			}
			g.children = append(g.children, n)
		}
		if c.or && len(g.children) == 0 && len(c.conds) > 0 {
			return &group{}, nil // only empty Ands: no condition (Or() alone still matches nothing)
		}
		return g, nil
	case Expr:
		return r.exprCond(c)
	case searchCond:
		return c.resolveNode(r)
	case negation:
		n, err := r.cond(c.c)
		if err != nil {
			return nil, err
		}
		return &group{not: true, children: []node{n}}, nil
	}
	return nil, fmt.Errorf("orm: unknown condition type %T", c)
}

var (
	textLookups    = []string{"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact", "regex", "iregex"}
	compareLookups = []string{"exact", "gt", "gte", "lt", "lte", "in", "range", "isnull"}
	dateTransforms = []string{"year", "quarter", "month", "week", "week_day", "day"}
	timeTransforms = []string{"hour", "minute", "second"}
)

// lookupsFor lists what may follow a field of kind k in a lookup key.
func lookupsFor(k Kind) []string {
	out := slices.Clone(compareLookups)
	switch {
	case k.isText():
		out = append(out, textLookups...)
	case k == KindBoolean, k == KindJSON:
		out = []string{"exact", "in", "isnull"}
	case k == KindDate:
		out = append(out, dateTransforms...)
	case k == KindDateTime:
		out = append(append(append(out, dateTransforms...), timeTransforms...), "date")
	case k == KindTime:
		out = append(out, timeTransforms...)
	}
	slices.Sort(out)
	return out
}

var (
	intField  = &Field{Name: "part", Kind: KindBigInteger, model: &Meta{}}
	dateField = &Field{Name: "date", Kind: KindDate, model: &Meta{}}
)

// lookup resolves one "field__transform__lookup" key and its value.
func (r *resolver) lookup(key string, value any) (node, error) {
	col, rest, err := r.walk(key)
	if err != nil {
		return nil, err
	}
	f := col.field
	n := &leaf{col: col, lookup: "exact", valField: f}
	unsupported := func(name string) error {
		choices := lookupsFor(f.Kind)
		if n.transform != "" { // created_at__year__…: only a comparison may follow
			choices = slices.Sorted(slices.Values(compareLookups))
		}
		fe := &FieldError{Model: f.model.Label(), Field: f.Name, Lookup: name, Kind: f.Kind.String(), Choices: choices}
		if f.Rel != nil && n.transform == "" {
			fe.Related, fe.RelatedChoices = f.Rel.To.Label(), append(f.Rel.To.fieldNames(), "pk")
		}
		return fe
	}
	if len(rest) > 0 && (slices.Contains(dateTransforms, rest[0]) || slices.Contains(timeTransforms, rest[0]) || rest[0] == "date") {
		if !slices.Contains(lookupsFor(f.Kind), rest[0]) {
			return nil, unsupported(rest[0])
		}
		n.transform, rest = rest[0], rest[1:]
		n.valField = intField
		if n.transform == "date" {
			n.valField = dateField
		}
	}
	// Not among lookupsFor's choices: they need an index (search.go).
	if len(rest) == 1 && n.transform == "" && (rest[0] == "search" || rest[0] == "trigram_similar") && f.Kind.isText() {
		return r.textLookup(col, rest[0], value)
	}
	if len(rest) > 1 {
		return nil, unsupported(strings.Join(rest, "__"))
	}
	if len(rest) == 1 {
		n.lookup = rest[0]
		allowed := compareLookups
		if n.transform == "" {
			allowed = lookupsFor(f.Kind)
		}
		if !slices.Contains(allowed, n.lookup) {
			return nil, unsupported(n.lookup)
		}
	}
	v, err := r.lookupValue(n, value)
	if err != nil {
		return nil, err
	}
	n.value = v
	return n, nil
}

func (r *resolver) lookupValue(n *leaf, value any) (any, error) {
	f := n.valField
	// canonical converts v to the compared field's type; after a transform
	// (created_at__year) the error still names the model's field.
	canonical := func(v any) (any, error) {
		cv, err := f.canonical(v)
		if err != nil && (f == intField || f == dateField) {
			return nil, &ValueError{Field: n.col.field, Value: v, Want: map[bool]string{true: "an integer", false: "a date"}[f == intField] + " for __" + n.transform}
		}
		return cv, err
	}
	if e, ok := value.(Expr); ok {
		if !slices.Contains([]string{"exact", "gt", "gte", "lt", "lte"}, n.lookup) {
			return nil, &ValueError{Field: n.col.field, Value: value, Want: "a value, not an expression, for __" + n.lookup}
		}
		re, err := e.resolve(r, f)
		if err != nil {
			return nil, err
		}
		return re, checkExprType(f.Kind, n.col.field, re, value)
	}
	switch n.lookup {
	case "isnull":
		b, ok := value.(bool)
		if !ok {
			return nil, &ValueError{Field: n.col.field, Value: value, Want: "a bool for __isnull"}
		}
		return b, nil
	case "in":
		if sub, ok := value.(Queryable); ok {
			q := sub.querySpec()
			if q == nil { // a zero QuerySet, not one from a manager
				return nil, &ValueError{Field: n.col.field, Value: value, Want: "a queryset from a manager (Objects()) for __in"}
			}
			if q.err != nil {
				return nil, q.err
			}
			return q, nil
		}
		rv := reflect.ValueOf(value)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return nil, &ValueError{Field: n.col.field, Value: value, Want: "a slice or a queryset for __in"}
		}
		vals := make([]any, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			cv, err := canonical(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			if cv != nil { // as in SQL, NULL is in nothing
				vals = append(vals, cv)
			}
		}
		return vals, nil
	case "range":
		rv := reflect.ValueOf(value)
		if (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) || rv.Len() != 2 {
			return nil, &ValueError{Field: n.col.field, Value: value, Want: "two values (low, high) for __range"}
		}
		lo, err := canonical(rv.Index(0).Interface())
		if err != nil {
			return nil, err
		}
		hi, err := canonical(rv.Index(1).Interface())
		if err != nil {
			return nil, err
		}
		if lo == nil || hi == nil {
			return nil, &ValueError{Field: n.col.field, Value: value, Want: "non-nil bounds for __range"}
		}
		return []any{lo, hi}, nil
	}
	if slices.Contains(textLookups, n.lookup) {
		if s, ok := value.(string); ok {
			return s, nil
		}
		if rv := reflect.ValueOf(value); rv.IsValid() && rv.Kind() == reflect.String {
			return rv.String(), nil
		}
		return nil, &ValueError{Field: n.col.field, Value: value, Want: "a string for __" + n.lookup}
	}
	cv, err := canonical(value)
	if err != nil {
		return nil, err
	}
	if cv == nil && n.lookup != "exact" {
		return nil, &ValueError{Field: n.col.field, Value: value, Want: "a non-nil value for __" + n.lookup + " (use __isnull)"}
	}
	return cv, nil
}

// noCondition reports an And with nothing in it (at any depth): it filters
// nothing, negated or not, as Django's empty Q() and ~Q() do, so that
// Exclude of a dynamically built And() with no parts keeps every row.
func (g *group) noCondition() bool {
	if g.or {
		return false
	}
	for _, ch := range g.children {
		if sub, ok := ch.(*group); !ok || !sub.noCondition() {
			return false
		}
	}
	return true
}

func (g *group) compile(c *compiler) error {
	if g.noCondition() {
		c.sql.WriteString("(1 = 1)")
		return nil
	}
	if g.not {
		c.sql.WriteString("NOT ")
	}
	if len(g.children) == 0 {
		if g.or {
			c.sql.WriteString("(1 = 0)")
		} else {
			c.sql.WriteString("(1 = 1)")
		}
		return nil
	}
	c.sql.WriteByte('(')
	for i, ch := range g.children {
		if i > 0 {
			if g.or {
				c.sql.WriteString(" OR ")
			} else {
				c.sql.WriteString(" AND ")
			}
		}
		if err := ch.compile(c); err != nil {
			return err
		}
	}
	c.sql.WriteByte(')')
	return nil
}

func (n *leaf) compile(c *compiler) error {
	if c.check {
		// A CHECK constraint passes when its test is unknown, so NULL gets
		// through as in Django; a guard here would refuse it.
		return n.compileTest(c)
	}
	// "col <> x" is unknown for NULL, so NOT (col = x) would drop the NULL
	// rows; Django's exclude keeps them, and so does this: a nullable column
	// on either side is tested for NOT NULL inside the condition.
	lhsNull := n.col.field.Null && n.lookup != "isnull" && n.value != nil
	rhs, rhsNull := n.value.(colExpr)
	rhsNull = rhsNull && rhs.col.field.Null
	if !lhsNull && !rhsNull {
		return n.compileTest(c)
	}
	// The guards are compiled after the test, in the order of the text:
	// an annotation's expression binds values, and SQLite's ? take them in
	// that order.
	c.sql.WriteByte('(')
	if err := n.compileTest(c); err != nil {
		return err
	}
	if lhsNull {
		if err := c.notNull(n.col); err != nil {
			return err
		}
	}
	if rhsNull {
		if err := c.notNull(rhs.col); err != nil {
			return err
		}
	}
	c.sql.WriteByte(')')
	return nil
}

func (c *compiler) notNull(col colRef) error {
	g, err := c.colSQL(col)
	c.sql.WriteString(" AND " + g + " IS NOT NULL")
	return err
}

func (n *leaf) compileTest(c *compiler) error {
	f := n.col.field
	lhs, err := c.colSQL(n.col)
	if err != nil {
		return err
	}
	switch n.transform {
	case "":
		if n.lookup != "isnull" && !slices.Contains(textLookups, n.lookup) {
			lhs = c.d.comparable(lhs, f)
		}
	case "date":
		lhs = c.d.toDate(lhs)
	default:
		lhs = c.d.extract(n.transform, lhs, f)
	}
	if e, ok := n.value.(resolvedExpr); ok {
		op := map[string]string{"exact": " = ", "gt": " > ", "gte": " >= ", "lt": " < ", "lte": " <= "}[n.lookup]
		if op == "" {
			return fmt.Errorf("orm: %s: __%s does not take an expression", f, n.lookup)
		}
		rhs, err := e.sql(c)
		if err != nil {
			return err
		}
		c.sql.WriteString(lhs + op + c.d.comparable(rhs, e.field()))
		return nil
	}
	switch n.lookup {
	case "exact":
		if n.value == nil {
			c.sql.WriteString(lhs + " IS NULL")
			return nil
		}
		return c.compare(lhs, " = ", n.valField, n.value)
	case "gt":
		return c.compare(lhs, " > ", n.valField, n.value)
	case "gte":
		return c.compare(lhs, " >= ", n.valField, n.value)
	case "lt":
		return c.compare(lhs, " < ", n.valField, n.value)
	case "lte":
		return c.compare(lhs, " <= ", n.valField, n.value)
	case "isnull":
		if n.value.(bool) {
			c.sql.WriteString(lhs + " IS NULL")
		} else {
			c.sql.WriteString(lhs + " IS NOT NULL")
		}
	case "range":
		vals := n.value.([]any)
		lo, err := c.bind(n.valField, vals[0])
		if err != nil {
			return err
		}
		hi, err := c.bind(n.valField, vals[1])
		if err != nil {
			return err
		}
		c.sql.WriteString(lhs + " BETWEEN " + c.d.comparable(lo, n.valField) + " AND " + c.d.comparable(hi, n.valField))
	case "in":
		if sub, ok := n.value.(*query); ok {
			c.sql.WriteString(lhs + " IN (")
			if err := sub.compileSubquery(c); err != nil {
				return err
			}
			c.sql.WriteByte(')')
			return nil
		}
		vals := n.value.([]any)
		if len(vals) == 0 {
			c.sql.WriteString("(1 = 0)") // as Django: an empty IN matches nothing
			return nil
		}
		c.sql.WriteString(lhs + " IN (")
		for i, v := range vals {
			if i > 0 {
				c.sql.WriteString(", ")
			}
			ph, err := c.bind(n.valField, v)
			if err != nil {
				return err
			}
			c.sql.WriteString(c.d.comparable(ph, n.valField))
		}
		c.sql.WriteByte(')')
	case "iexact":
		c.d.textMatch(c, "exact", lhs, f, n.value.(string), true)
	case "contains", "startswith", "endswith":
		c.d.textMatch(c, n.lookup, lhs, f, n.value.(string), false)
	case "icontains", "istartswith", "iendswith":
		c.d.textMatch(c, n.lookup[1:], lhs, f, n.value.(string), true)
	case "regex", "iregex":
		c.d.regex(c, lhs, f, n.value.(string), n.lookup == "iregex")
	default:
		return fmt.Errorf("orm: unsupported lookup %q", n.lookup)
	}
	return nil
}
