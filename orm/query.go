package orm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// query is the immutable state behind a QuerySet: every chaining method
// copies it and changes the copy.
type query struct {
	meta     *Meta
	where    []node // ANDed
	order    []orderTerm
	ordered  bool // OrderBy was called (else the model's Meta.Ordering)
	offset   int
	limit    int // -1: no limit
	distinct bool
	fields   []*Field // columns loaded into instances; nil = all
	deferred []*Field // fields Only/Defer left out
	subField *Field   // set by Only/Defer: the field selected as a subquery (Only(x): x, else the pk)
	lock     *lockOpts
	none     bool
	joins    []join
	related  []relatedNode // SelectRelated, in join order
	prefetch []Prefetch    // PrefetchRelated, run after the query
	filters  int           // Filter calls so far: multi-valued joins are not shared between them
	err      error         // the first error made while chaining, returned on evaluation

	annotations []*annotation // Annotate, in call order
	having      []node        // conditions on aggregates (HAVING), ANDed
	groupBy     []colRef      // GroupBy (Django's values() before annotate)
	groupNames  []string      // the names GroupBy was given
	groupAt     int           // the annotations made after GroupBy start here
	outerRefs   []*outerRef   // OuterRefs in the conditions, bound by Subquery or Exists
	joinAny     bool          // resolving an annotation: reuse the multi-valued joins of earlier filters
}

// annotation is a named expression computed per row (per group when it
// aggregates).
type annotation struct {
	name string
	expr resolvedExpr
	agg  bool
}

// join is a related table a lookup path reached. Single-valued joins
// (forward keys) are shared by every use of the same path; a multi-valued
// join (reverse key) is shared only within one Filter call, so
// Filter(a).Filter(b) on posts__… may match a and b on different posts,
// as in Django.
type join struct {
	key       string // the path from the base model: "author", "posts__author"
	alias     string
	table     string
	col       string // joined on alias.col = leftAlias.leftCol
	leftAlias string
	leftCol   string
	multi     bool
	call      int // the Filter call that made a multi-valued join
	// forRows: only SelectRelated uses it. Such a join (to one row at
	// most) never changes which rows match, so a count leaves it out.
	forRows bool
}

type orderTerm struct {
	col    colRef
	desc   bool
	random bool
}

type lockOpts struct {
	nowait, skipLocked bool
	of                 []string
}

func newQuery(m *Meta) *query { return &query{meta: m, limit: -1} }

func (q *query) clone() *query {
	c := *q
	c.where = slices.Clip(q.where)
	c.joins = slices.Clip(q.joins)
	c.related = slices.Clip(q.related)
	c.annotations = slices.Clip(q.annotations)
	c.having = slices.Clip(q.having)
	c.outerRefs = slices.Clip(q.outerRefs)
	return &c
}

// relatedNode is one object SelectRelated loads with each row: the target
// of field, a key on the base instance (parent -1) or on another node's
// object.
type relatedNode struct {
	key      string
	field    *Field // the key: on the parent (forward), or on the loaded model (a reverse one-to-one)
	to       *Meta  // the model loaded
	from     *Meta  // the parent's model
	reverse  bool   // a reverse one-to-one (user → profile)
	parent   int
	alias    string
	nullable bool // a key on the way may be NULL: the row may have no object
}

// selectRelated adds chains of single-valued relations: forward keys
// ("author", "category__parent") and reverse one-to-ones ("author__profile").
func (q *query) selectRelated(paths []string) *query {
	c := q.clone()
	for _, path := range paths {
		meta, parent, alias, key, nullable := q.meta, -1, q.meta.Table, "", false
		for _, name := range strings.Split(path, "__") {
			node := relatedNode{from: meta, parent: parent}
			if f := meta.Field(name); f != nil && f.Rel != nil {
				node.field, node.to = f, f.Rel.To
				nullable = nullable || f.Null
			} else if rv := meta.reverseByName[name]; rv != nil && !rv.Many {
				node.field, node.to, node.reverse = rv.Field, rv.Field.model, true
				nullable = true // the other side may have no row
			} else {
				var choices []string
				for _, g := range meta.Fields {
					if g.Rel != nil {
						choices = append(choices, g.Name)
					}
				}
				for _, r := range meta.Reverses {
					if !r.Many && !strings.HasSuffix(r.Name, "+") {
						choices = append(choices, r.Name)
					}
				}
				return q.fail(fmt.Errorf("orm: %s: invalid field name %q in SelectRelated(%q); choices are: %s",
					meta.Label(), name, path, strings.Join(choices, ", ")))
			}
			if key != "" {
				key += "__"
			}
			key += name
			node.key, node.nullable = key, nullable
			i := slices.IndexFunc(c.related, func(n relatedNode) bool { return n.key == key })
			if i < 0 {
				if node.reverse {
					node.alias = c.join(key, node.to.Table, alias, meta.PK.Column, node.field.Column, false, true)
				} else {
					node.alias = c.join(key, node.to.Table, alias, node.field.Column, node.to.PK.Column, false, true)
				}
				c.related = append(c.related, node)
				i = len(c.related) - 1
			}
			parent, alias, meta = i, c.related[i].alias, c.related[i].to
		}
	}
	return c
}

// relatedCols are the columns of the SelectRelated objects, node by node.
func (q *query) relatedCols() []colRef {
	var cols []colRef
	for _, n := range q.related {
		for _, f := range n.to.Fields {
			cols = append(cols, colRef{table: n.alias, field: f})
		}
	}
	return cols
}

// addJoin returns the alias of the join for key, reusing one when allowed.
// An annotation reuses the latest multi-valued join of the path, so that
// Filter(posts__is_active=true).Annotate(Count("posts")) counts the
// active posts, as in Django.
func (q *query) addJoin(key, table, leftAlias, leftCol, col string, multi bool) string {
	return q.join(key, table, leftAlias, leftCol, col, multi, false)
}

func (q *query) join(key, table, leftAlias, leftCol, col string, multi, forRows bool) string {
	for i := len(q.joins) - 1; i >= 0; i-- {
		if j := q.joins[i]; j.key == key && (!j.multi || j.call == q.filters || q.joinAny) {
			if j.forRows && !forRows {
				q.joins = slices.Clone(q.joins) // shared with the query this one was cloned from
				q.joins[i].forRows = false
			}
			return j.alias
		}
	}
	alias := "T" + strconv.Itoa(len(q.joins)+1)
	q.joins = append(q.joins, join{key: key, alias: alias, table: table, multi: multi, call: q.filters,
		col: col, leftAlias: leftAlias, leftCol: leftCol, forRows: forRows})
	return alias
}

func (q *query) fail(err error) *query {
	c := q.clone()
	if c.err == nil {
		c.err = err
	}
	return c
}

func (q *query) sliced() bool { return q.offset > 0 || q.limit >= 0 }

func (q *query) filter(conds []Cond, negate bool) *query {
	if q.err != nil {
		return q
	}
	if q.sliced() {
		return q.fail(errors.New("orm: cannot filter a query once a slice has been taken"))
	}
	c := q.clone()
	c.filters++
	if negate {
		// Resolved on a query of its own: a condition across a relation
		// excludes the rows for which any related row matches (NOT IN a
		// subquery), not those whose one joined row does, as in Django.
		sub := newQuery(q.meta)
		sub.annotations = q.annotations
		n, err := (&resolver{meta: q.meta, table: q.meta.Table, q: sub}).cond(And(conds...))
		if err != nil {
			return q.fail(err)
		}
		c.outerRefs = append(c.outerRefs, sub.outerRefs...)
		if hasAgg(n) {
			if len(sub.joins) > 0 {
				return q.fail(errors.New("orm: Exclude: a condition on an aggregate cannot also follow a multi-valued relation; use Filter(Not(…))"))
			}
			c.having = append(c.having, &group{not: true, children: []node{n}})
			return c
		}
		if len(sub.joins) == 0 {
			c.where = append(c.where, &group{not: true, children: []node{n}})
			return c
		}
		sub.where = []node{n}
		c.where = append(c.where, &group{not: true, children: []node{&leaf{
			col: colRef{table: q.meta.Table, field: q.meta.PK}, lookup: "in", value: sub, valField: q.meta.PK}}})
		return c
	}
	r := &resolver{meta: q.meta, table: q.meta.Table, q: c}
	for _, cond := range conds {
		n, err := r.cond(cond)
		if err != nil {
			return q.fail(err)
		}
		if hasAgg(n) {
			c.having = append(c.having, n)
		} else {
			c.where = append(c.where, n)
		}
	}
	return c
}

func (q *query) orderBy(names []string) *query {
	c := q.clone()
	c.ordered, c.order = true, nil
	r := &resolver{meta: q.meta, table: q.meta.Table, q: c}
	for _, name := range names {
		if name == "?" {
			c.order = append(c.order, orderTerm{random: true})
			continue
		}
		// "" and "-" fall through to the unknown-field error, which lists the choices
		desc := strings.HasPrefix(name, "-")
		col, rest, err := r.walk(strings.TrimPrefix(name, "-"))
		if err != nil {
			return q.fail(err)
		}
		if len(rest) > 0 {
			return q.fail(q.meta.unknownField(strings.TrimPrefix(name, "-")))
		}
		c.order = append(c.order, orderTerm{col: col, desc: desc})
	}
	return c
}

// ordering is the effective ORDER BY: explicit, else the model's default.
// A GroupBy query ignores Meta.Ordering (Django 3.1+): its fields would
// split the groups.
func (q *query) ordering() []orderTerm {
	if q.ordered {
		return q.order
	}
	if q.groupBy != nil {
		return nil
	}
	return q.meta.defaultOrder
}

// reversed flips the effective order; an unordered query is reversed
// primary key order.
func (q *query) reversed() *query {
	c := q.clone()
	order := q.ordering()
	if len(order) == 0 {
		order = []orderTerm{{col: colRef{table: q.meta.Table, field: q.meta.PK}}}
	}
	c.order, c.ordered = make([]orderTerm, len(order)), true
	for i, o := range order {
		o.desc = !o.desc
		c.order[i] = o
	}
	return c
}

// slice narrows the window like Python's qs[lo:hi] on an already sliced
// queryset; hi < 0 means no upper bound.
func (q *query) slice(lo, hi int) *query {
	if lo < 0 || (hi >= 0 && hi < lo) {
		return q.fail(fmt.Errorf("orm: invalid slice [%d:%d] (negative indexing is not supported)", lo, hi))
	}
	c := q.clone()
	c.offset = q.offset + lo
	switch {
	case hi >= 0 && q.limit >= 0:
		c.limit = max(0, min(hi, q.limit)-lo)
	case hi >= 0:
		c.limit = hi - lo
	case q.limit >= 0:
		c.limit = max(0, q.limit-lo)
	}
	return c
}

func (q *query) loadFields(names []string, only bool) *query {
	c := q.clone()
	set := map[*Field]bool{}
	for _, name := range names {
		f := q.meta.Field(name)
		if f == nil {
			return q.fail(q.meta.unknownField(name))
		}
		set[f] = true
	}
	c.fields, c.deferred, c.subField = nil, nil, q.meta.PK
	if only && len(names) == 1 {
		c.subField = q.meta.Field(names[0])
	}
	for _, f := range q.meta.Fields {
		if f.PrimaryKey || set[f] == only {
			c.fields = append(c.fields, f)
		} else {
			c.deferred = append(c.deferred, f)
		}
	}
	return c
}

func (q *query) selected() []*Field {
	if q.fields != nil {
		return q.fields
	}
	return q.meta.Fields
}

func (q *query) writeFrom(c *compiler) error { return q.writeFromJoins(c, true) }

// writeFromJoins writes FROM and WHERE; withRows false leaves out the joins
// only SelectRelated needs.
func (q *query) writeFromJoins(c *compiler, withRows bool) error {
	c.sql.WriteString(" FROM " + quote(q.meta.Table))
	if a := c.alias(q.meta.Table); a != q.meta.Table {
		c.sql.WriteString(" " + quote(a))
	}
	for _, j := range q.joins {
		if j.forRows && !withRows {
			continue
		}
		// LEFT: a missing related row must still let isnull=True match.
		alias := quote(c.alias(j.alias))
		c.sql.WriteString(" LEFT JOIN " + quote(j.table) + " " + alias + " ON " + alias + "." + quote(j.col) +
			" = " + quote(c.alias(j.leftAlias)) + "." + quote(j.leftCol))
	}
	return q.writeConds(c)
}

func (q *query) writeConds(c *compiler) error {
	if q.none {
		c.sql.WriteString(" WHERE (1 = 0)")
		return nil
	}
	for i, n := range q.where {
		if i == 0 {
			c.sql.WriteString(" WHERE ")
		} else {
			c.sql.WriteString(" AND ")
		}
		if err := n.compile(c); err != nil {
			return err
		}
	}
	return nil
}

func (q *query) writeOrderLimit(c *compiler, order []orderTerm) error {
	for i, o := range order {
		if i == 0 {
			c.sql.WriteString(" ORDER BY ")
		} else {
			c.sql.WriteString(", ")
		}
		if o.random {
			c.sql.WriteString("RANDOM()")
			continue
		}
		var col string
		if o.col.ann != nil && slices.Contains(c.out, o.col.ann) {
			// By its name: under DISTINCT, PostgreSQL accepts only what is
			// selected, and a repeated expression binds its values anew.
			col = quote(o.col.ann.name)
		} else {
			var err error
			if col, err = c.colSQL(o.col); err != nil {
				return err
			}
		}
		c.sql.WriteString(c.d.comparable(col, o.col.field))
		if o.desc {
			c.sql.WriteString(" DESC")
		}
	}
	switch {
	case q.limit >= 0:
		c.sql.WriteString(" LIMIT " + strconv.Itoa(q.limit))
	case q.offset > 0:
		c.sql.WriteString(c.d.noLimit())
	}
	if q.offset > 0 {
		c.sql.WriteString(" OFFSET " + strconv.Itoa(q.offset))
	}
	return nil
}

// selectSQL compiles SELECT cols FROM … for the given columns.
func (q *query) selectSQL(d dialect, fields []*Field) (string, []any, error) {
	return q.selectColsSQL(d, fields, q.relatedCols())
}

// instanceSQL is selectSQL with the annotations, for a rowScanner made
// annotated.
func (q *query) instanceSQL(d dialect, fields []*Field) (string, []any, error) {
	extra := q.relatedCols()
	if len(q.annotations) > 0 {
		extra = append(extra, q.annotationCols()...)
	}
	return q.selectColsSQL(d, fields, extra)
}

// selectColsSQL compiles SELECT of the base model's fields and extra
// columns of joined tables, with the query's order, slice and lock.
func (q *query) selectColsSQL(d dialect, fields []*Field, extra []colRef) (string, []any, error) {
	c := newCompiler(d)
	order, err := q.distinctOrder(fields, extra)
	if err != nil {
		return "", nil, err
	}
	if err := q.writeSelect(c, fields, extra, order); err != nil {
		return "", nil, err
	}
	if q.lock != nil {
		c.sql.WriteString(d.forUpdate(q.lock))
	}
	return c.sql.String(), c.args, nil
}

// distinctOrder is the ORDER BY of a select of fields. SELECT DISTINCT can
// only be ordered by selected columns (PostgreSQL refuses others, SQLite
// would order by an arbitrary row of each group), so there the model's
// default ordering is dropped when it names other fields, and an explicit
// OrderBy of them is an error on both engines.
func (q *query) distinctOrder(fields []*Field, extra []colRef) ([]orderTerm, error) {
	order := q.ordering()
	if !q.distinct {
		return order, nil
	}
	for _, o := range order {
		if !o.random && (o.col.table == q.meta.Table && slices.Contains(fields, o.col.field) || slices.Contains(extra, o.col)) {
			continue
		}
		if !q.ordered {
			return nil, nil
		}
		name := "?"
		if !o.random {
			name = o.col.field.Name
		}
		return nil, fmt.Errorf("orm: Distinct: cannot order by %q, which is not among the selected fields", name)
	}
	return order, nil
}

// writeSelect writes SELECT with the base model's fields, then the extra
// columns (of joined tables), then FROM … ORDER BY … LIMIT.
func (q *query) writeSelect(c *compiler, fields []*Field, extra []colRef, order []orderTerm) error {
	c.sql.WriteString("SELECT ")
	if q.distinct {
		c.sql.WriteString("DISTINCT ")
	}
	savedOut := c.out
	c.out = nil
	defer func() { c.out = savedOut }()
	for i, f := range fields {
		if i > 0 {
			c.sql.WriteString(", ")
		}
		c.writeCol(colRef{table: q.meta.Table, field: f})
	}
	for i, col := range extra {
		if i > 0 || len(fields) > 0 {
			c.sql.WriteString(", ")
		}
		if col.ann == nil {
			c.writeCol(col)
			continue
		}
		s, err := col.ann.expr.sql(c)
		if err != nil {
			return err
		}
		c.sql.WriteString(s + " AS " + quote(col.ann.name))
		c.out = append(c.out, col.ann)
	}
	if err := q.writeFrom(c); err != nil {
		return err
	}
	if err := q.writeGroupBy(c, len(fields), extra); err != nil {
		return err
	}
	return q.writeOrderLimit(c, order)
}

// aggregated reports a query whose rows are groups: it has an aggregate
// annotation or a GroupBy.
func (q *query) aggregated() bool {
	if q.groupBy != nil || len(q.having) > 0 {
		return true
	}
	for _, a := range q.annotations {
		if a.agg {
			return true
		}
	}
	return false
}

// writeGroupBy writes GROUP BY and HAVING for a select of nFields base
// fields and the extra columns. A group is the GroupBy columns (else the
// row's primary key) and every other column selected that does not
// aggregate, named by its position in the select list: a repeated
// expression would bind its values anew, and PostgreSQL would not see it
// as the same.
func (q *query) writeGroupBy(c *compiler, nFields int, extra []colRef) error {
	if !q.aggregated() {
		return nil
	}
	var terms []string
	if q.groupBy != nil {
		for _, g := range q.groupBy {
			s, err := c.colSQL(g)
			if err != nil {
				return err
			}
			terms = append(terms, s)
		}
	} else {
		s, _ := c.colSQL(colRef{table: q.meta.Table, field: q.meta.PK})
		terms = append(terms, s)
	}
	for i := range nFields {
		terms = append(terms, strconv.Itoa(i+1))
	}
	for i, col := range extra {
		if col.ann == nil || !col.ann.agg {
			terms = append(terms, strconv.Itoa(nFields+i+1))
		}
	}
	c.sql.WriteString(" GROUP BY " + strings.Join(terms, ", "))
	for i, n := range q.having {
		if i == 0 {
			c.sql.WriteString(" HAVING ")
		} else {
			c.sql.WriteString(" AND ")
		}
		if err := n.compile(c); err != nil {
			return err
		}
	}
	return nil
}

// writeCol writes a column into the statement without building its string:
// a select list of n columns costs no allocations instead of n.
func (c *compiler) writeCol(r colRef) {
	if r.table != "" {
		writeQuoted(&c.sql, c.alias(r.table))
		c.sql.WriteByte('.')
	}
	writeQuoted(&c.sql, r.field.Column)
}

// writeQuoted writes quote(ident) into sb.
func writeQuoted(sb *strings.Builder, ident string) {
	sb.WriteByte('"')
	sb.WriteString(strings.ReplaceAll(ident, `"`, `""`)) // ident itself when it has no quote
	sb.WriteByte('"')
}

// compileSubquery writes the query as the inside of "x IN (…)": its
// primary keys, or the one field it was narrowed to with Only.
func (q *query) compileSubquery(c *compiler) error {
	if q.err != nil {
		return q.err
	}
	f := q.meta.PK
	if q.subField != nil {
		f = q.subField
	}
	order := q.ordering()
	if !q.sliced() {
		order = nil // order is meaningless inside IN unless it picks rows
	}
	if q.groupBy != nil { // the groups' values, as Django's values("x").annotate(…)
		return q.writeSelect(c, nil, q.groupBy[:1], order)
	}
	return q.writeSelect(c, []*Field{f}, nil, order)
}

func (q *query) countSQL(d dialect) (string, []any, error) {
	c := newCompiler(d)
	c.sql.WriteString("SELECT COUNT(*)")
	var err error
	if q.sliced() || q.distinct || q.aggregated() {
		err = q.writeFromRows(c)
	} else {
		err = q.writeFromJoins(c, false)
	}
	if err != nil {
		return "", nil, err
	}
	return c.sql.String(), c.args, nil
}

// writeFromRows writes FROM the query's rows as a derived table, for
// counting what a slice, DISTINCT or GROUP BY leaves: the groups' values
// under GroupBy, else the selected fields.
func (q *query) writeFromRows(c *compiler) error {
	fields, extra := q.selected(), []colRef(nil)
	if q.groupBy != nil {
		fields, extra = nil, q.groupBy
	}
	// Order matters only when it picks the rows of a slice; under
	// DISTINCT it must name selected columns (distinctOrder).
	var order []orderTerm
	if q.sliced() {
		var err error
		if order, err = q.distinctOrder(fields, extra); err != nil {
			return err
		}
	}
	c.sql.WriteString(" FROM (")
	if err := q.writeSelect(c, fields, extra, order); err != nil {
		return err
	}
	c.sql.WriteString(") AS quarry_count")
	return nil
}

func (q *query) existsSQL(d dialect) (string, []any, error) {
	c := newCompiler(d)
	if q.aggregated() {
		c.sql.WriteString("SELECT 1")
		if err := q.writeFromRows(c); err != nil {
			return "", nil, err
		}
		c.sql.WriteString(" LIMIT 1")
		return c.sql.String(), c.args, nil
	}
	c.sql.WriteString("SELECT 1")
	if err := q.writeFrom(c); err != nil {
		return "", nil, err
	}
	e := q.slice(0, 1)
	if err := e.writeOrderLimit(c, nil); err != nil {
		return "", nil, err
	}
	return c.sql.String(), c.args, nil
}

// writeWhere writes the WHERE of an UPDATE or DELETE; a sliced queryset
// is narrowed through its primary keys, as SQL has no LIMIT there.
func (q *query) writeWhere(c *compiler) error {
	if !q.sliced() && len(q.joins) == 0 && !q.aggregated() {
		return q.writeConds(c)
	}
	pk := quote(q.meta.PK.Column)
	c.sql.WriteString(" WHERE " + pk + " IN (SELECT " + pk + " FROM (")
	if err := q.writeSelect(c, []*Field{q.meta.PK}, nil, q.ordering()); err != nil {
		return err
	}
	c.sql.WriteString(") AS quarry_slice)")
	return nil
}
