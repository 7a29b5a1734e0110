package orm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Warning is a finding of a system check (Django's checks.Warning): what
// is wrong, where, and what to do about it. Check and the admin's check
// return them; `web check` prints them.
type Warning struct {
	ID     string // stable, for silencing and for docs: "orm.W001"
	Object string // the model or option it is about: "shop.Product"
	Msg    string
	Hint   string
}

func (w Warning) String() string {
	s := w.Object + ": (" + w.ID + ") " + w.Msg
	if w.Hint != "" {
		s += "\n\tHINT: " + w.Hint
	}
	return s
}

// Check warns about each model whose default ordering no index serves:
// every list of such a model sorts the whole table before it can show a
// page. The order checked ends with the primary key, as a paginated list
// needs it to be total.
func Check(models ...*Meta) []Warning {
	var out []Warning
	for _, m := range models {
		if len(m.Ordering) == 0 || slices.Contains(m.Ordering, "?") {
			continue
		}
		if order := WithPK(m, m.Ordering); !m.OrderIndexed(order...) {
			out = append(out, Warning{ID: "orm.W001", Object: m.Label(),
				Msg:  fmt.Sprintf("Meta.Ordering %s is served by no index.", strings.Join(m.Ordering, ", ")),
				Hint: "Add " + IndexDecl(m, order) + " to the model's Meta."})
		}
	}
	return out
}

// WithPK is an order made total: it ends with the primary key, going the
// way of the last field (so that one index serves the order both ways),
// unless the key or a unique field that cannot be NULL already decides it.
func WithPK(m *Meta, order []string) []string {
	for _, name := range order {
		if f := m.Field(strings.TrimPrefix(name, "-")); f != nil && (f.PrimaryKey || f.Unique && !f.Null) {
			return slices.Clone(order)
		}
	}
	if len(order) > 0 && strings.HasPrefix(order[len(order)-1], "-") {
		return append(slices.Clone(order), "-pk")
	}
	return append(slices.Clone(order), "pk")
}

// IndexDecl is the declaration of an index that serves order, to add to
// a model's Meta: `orm.Index("name", "id")`. It reads the order
// ascending, since an index is read either way.
func IndexDecl(m *Meta, order []string) string {
	fields := slices.Clone(order)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "-") {
		fields = ReverseOrder(fields)
	}
	quoted := make([]string, len(fields))
	for i, f := range fields {
		if strings.TrimPrefix(f, "-") == "pk" {
			f = strings.Replace(f, "pk", m.PK.Name, 1)
		}
		quoted[i] = strconv.Quote(f)
	}
	return "orm.Index(" + strings.Join(quoted, ", ") + ")"
}

// OrderIndexed reports whether an index of m yields rows in this order
// (field names, "-" for descending), read forwards or backwards, so that
// the database reads a page without sorting the table.
func (m *Meta) OrderIndexed(order ...string) bool {
	want := make([]indexKey, 0, len(order))
	for _, name := range order {
		f := m.Field(strings.TrimPrefix(name, "-"))
		if f == nil || f.Rel != nil && strings.Contains(name, "__") {
			return false
		}
		want = append(want, indexKey{f, strings.HasPrefix(name, "-")})
		if f.PrimaryKey || f.Unique {
			break // the rest cannot change the order
		}
	}
	if len(want) == 0 {
		return true
	}
	for _, ix := range m.indexKeys() {
		w := want
		if len(ix.keys) < len(w) {
			if !ix.unique {
				continue
			}
			w = w[:len(ix.keys)] // a unique index's own columns decide the order
		}
		same, flipped := true, true
		for i, k := range w {
			same = same && ix.keys[i].f == k.f && ix.keys[i].desc == k.desc
			flipped = flipped && ix.keys[i].f == k.f && ix.keys[i].desc != k.desc
		}
		if same || flipped {
			return true
		}
	}
	return false
}

// FilterIndexed reports whether an index of m starts with the field, so
// that a filter on it reads only the matching rows.
func (m *Meta) FilterIndexed(field string) bool {
	f := m.Field(field)
	if f == nil {
		return false
	}
	for _, ix := range m.indexKeys() {
		if ix.keys[0].f == f {
			return true
		}
	}
	return false
}

type indexKey struct {
	f    *Field
	desc bool
}

type indexKeys struct {
	keys   []indexKey
	unique bool
}

// indexKeys are the key columns of every index of m on plain fields: the
// primary key's, unique fields' and unique constraints', and the declared
// ones. An index on expressions names no field an order could.
func (m *Meta) indexKeys() []indexKeys {
	out := []indexKeys{{keys: []indexKey{{f: m.PK}}, unique: true}}
	for _, f := range m.Fields {
		if f.Unique && !f.PrimaryKey {
			out = append(out, indexKeys{keys: []indexKey{{f: f}}, unique: true})
		}
	}
	add := func(fields []string, unique bool) {
		keys := make([]indexKey, 0, len(fields))
		for _, name := range fields {
			if f := m.Field(strings.TrimPrefix(name, "-")); f != nil {
				keys = append(keys, indexKey{f, strings.HasPrefix(name, "-")})
			}
		}
		if len(keys) > 0 {
			out = append(out, indexKeys{keys: keys, unique: unique})
		}
	}
	for _, c := range m.Constraints {
		if c.Kind == "unique" {
			add(c.Fields, true)
		}
	}
	for _, ix := range m.allIndexes() {
		if ix.Kind == "" { // a full-text or trigram index yields no order
			add(ix.Fields, false)
		}
	}
	return out
}
