package admin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// Check is the site's part of Django's system checks: it warns about
// each change list option that makes a page sort or filter a table
// through no index, so that the page's cost grows with the table. A
// sortable column or the list's ordering needs an index that yields the
// order (with the primary key after it); a list filter or date hierarchy
// needs one that starts with its field. Columns and filters across a
// relation are not checked: no index of this table can serve them. Nor
// are filters on a boolean: the list's order index serves them as it is
// read, while an index on a two-valued column would tempt a planner to
// read half the table and sort it.
func (s *Site) Check() []orm.Warning {
	s.mu.RLock()
	entries := append([]*entry(nil), s.entries...)
	s.mu.RUnlock()
	var out []orm.Warning
	for _, e := range entries {
		out = append(out, e.checkIndexes()...)
	}
	return out
}

func (e *entry) checkIndexes() []orm.Warning {
	m := e.meta
	var out []orm.Warning
	warn := func(id, msg string, order []string) {
		w := orm.Warning{ID: id, Object: "admin " + m.Label(), Msg: msg}
		if order != nil {
			w.Hint = "Add " + orm.IndexDecl(m, order) + " to the model's Meta, or leave the column out of SortableBy."
		} else {
			w.Hint = "Add an orm.Index starting with the field to the model's Meta."
		}
		out = append(out, w)
	}
	if len(e.opts.Ordering) > 0 {
		if order := orm.WithPK(m, e.opts.Ordering); !m.OrderIndexed(order...) {
			warn("admin.W001", fmt.Sprintf("Ordering %s is served by no index.", strings.Join(e.opts.Ordering, ", ")), order)
		}
	}
	cl := &changeList{e: e}
	for _, col := range e.opts.displayColumns() {
		field := cl.sortField(col)
		if field == "" || strings.Contains(field, "__") {
			continue
		}
		if order := orm.WithPK(m, []string{field}); !m.OrderIndexed(order...) {
			warn("admin.W002", fmt.Sprintf("The column %q sorts by %s, which no index serves.", col, field), order)
		}
	}
	filters := append([]string(nil), e.opts.ListFilter...)
	if h := e.opts.DateHierarchy; h != "" && !slices.Contains(filters, h) {
		filters = append(filters, e.opts.DateHierarchy)
	}
	for _, name := range filters {
		if f := m.Field(name); strings.Contains(name, "__") || f != nil && f.Kind == orm.KindBoolean {
			continue
		}
		if !m.FilterIndexed(name) {
			warn("admin.W003", fmt.Sprintf("The list filter %q reads a column no index starts with.", name), nil)
		}
	}
	return out
}
