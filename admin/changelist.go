package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// Query parameters of a change list, Django's names.
const (
	paramSearch = "q"
	paramOrder  = "o"
	paramPage   = "p"
	paramAll    = "all"
	// paramCount asks for an exact count where the list would bound or
	// estimate it.
	paramCount = "_count"
	// paramAfter and paramBefore name the row a neighbouring page's link
	// continues from, so that page is read by seeking to it (orm.Seek)
	// rather than by skipping every row before it.
	paramAfter, paramBefore = "_after", "_before"
)

// changeList is one change-list request: its parameters, the filtered
// queryset and the columns.
type changeList struct {
	r       *request
	e       *entry
	params  url.Values // the recognised parameters, for building links
	qs      orm.Manager
	search  string
	columns []string
	order   []orderKey // the sort, by column
	page    int
	seek    string // the key of paramAfter or paramBefore
	before  bool   // seek ends the page before its row
	showAll bool
	exact   bool // count exactly, whatever the table's size
	filters []*listFilter
	simple  []*simpleFilter // the admin's own filters, after filters
	dates   *dateDrill
	// choices are the options of the editable columns' selects, shared by
	// the rows so that a page loads each relation's options once.
	choices map[string][]ui.Option
}

// orderKey is one column of the sort: its index and direction.
type orderKey struct {
	col  int
	desc bool
}

// newChangeList reads the request's parameters and builds the queryset;
// unknown parameters are ignored, as a stale bookmark should still open.
func (r *request) newChangeList(query url.Values) (*changeList, error) {
	e := r.e
	cl := &changeList{r: r, e: e, params: url.Values{}, columns: e.opts.displayColumns(), page: 1, choices: map[string][]ui.Option{}}
	qs := e.meta.DefaultManager()
	var conds []orm.Cond
	for _, name := range e.opts.ListFilter {
		lf, err := newListFilter(e, name)
		if err != nil {
			return nil, err
		}
		if c := lf.read(query, cl.params); c != nil {
			conds = append(conds, c)
		}
		cl.filters = append(cl.filters, lf)
	}
	if e.opts.DateHierarchy != "" {
		cl.dates = newDateDrill(e.meta.Field(e.opts.DateHierarchy))
		if c := cl.dates.read(query, cl.params); c != nil {
			conds = append(conds, c)
		}
	}
	if q := boundSearch(query.Get(paramSearch)); q != "" && len(e.opts.SearchFields) > 0 {
		cl.search = q
		cl.params.Set(paramSearch, q)
		conds = append(conds, searchCondWith(e.opts.SearchFields, q, e.opts.SearchWord))
	}
	if len(conds) > 0 {
		qs = qs.Filter(conds...)
	}
	for i := range e.opts.Filters {
		sf, err := newSimpleFilter(r.ctx, &e.opts.Filters[i], query, cl.params)
		if err != nil {
			return nil, err
		}
		if qs, err = sf.apply(r.ctx, qs); err != nil {
			return nil, err
		}
		cl.simple = append(cl.simple, sf)
	}
	cl.order = cl.readOrder(query.Get(paramOrder))
	if len(cl.order) > 0 {
		cl.params.Set(paramOrder, formatOrder(cl.order))
	}
	if n, err := strconv.Atoi(query.Get(paramPage)); err == nil && n > 0 {
		cl.page = n
		if n > 1 {
			cl.seek, cl.before = query.Get(paramAfter), false
			if cl.seek == "" {
				cl.seek, cl.before = query.Get(paramBefore), true
			}
		}
	}
	cl.showAll = query.Has(paramAll)
	if query.Has(paramCount) {
		cl.exact = true
		cl.params.Set(paramCount, "exact")
	}
	cl.qs = qs
	return cl, nil
}

// filtered reports whether a filter or search narrows the list.
func (cl *changeList) filtered() bool {
	for k := range cl.params {
		if k != paramOrder && k != paramCount {
			return true
		}
	}
	return false
}

// maxSearchWords bounds the words a search looks for, as the storefront
// does: each word adds conditions, and past some hundreds SQLite refuses
// the statement ("Expression tree is too large").
const maxSearchWords = 8

// maxSearchWordLength bounds one word, in characters: no name or SKU is
// longer, and a LIKE pattern of a hundred thousand characters costs the
// database a scan of every row with it.
const maxSearchWordLength = 100

// maxSearchLength bounds the whole search as read and shown back, in
// characters: more than maxSearchWords words of maxSearchWordLength.
const maxSearchLength = 1000

// boundSearch is a search parameter cleaned (searchText) and cut to
// maxSearchLength characters.
func boundSearch(raw string) string {
	q := searchText(raw)
	if utf8.RuneCountInString(q) > maxSearchLength {
		q = strings.TrimSpace(string([]rune(q)[:maxSearchLength]))
	}
	return q
}

// searchWords are the words a search looks for: the first maxSearchWords,
// each cut to maxSearchWordLength characters.
func searchWords(q string) []string {
	words := strings.Fields(q)
	words = words[:min(len(words), maxSearchWords)]
	for i, w := range words {
		if utf8.RuneCountInString(w) > maxSearchWordLength {
			words[i] = string([]rune(w)[:maxSearchWordLength])
		}
	}
	return words
}

// searchCond is Django's search: every word must match one of the search
// fields; "^f" matches the start, "=f" the whole value, "@f" the words
// (full-text, through the SearchIndex over the "@" fields together), else
// anywhere. Words past maxSearchWords are ignored, and long ones cut.
func searchCond(fields []string, q string) orm.Cond { return searchCondWith(fields, q, nil) }

// searchCondWith is searchCond with a ModelAdmin's SearchWord, which a
// word may match instead.
func searchCondWith(fields []string, q string, extra func(string) orm.Cond) orm.Cond {
	var terms []orm.Cond
	for _, word := range searchWords(q) {
		var any []orm.Cond
		var fullText []string
		for _, f := range fields {
			switch {
			case strings.HasPrefix(f, "^"):
				any = append(any, orm.Q{f[1:] + "__istartswith": word})
			case strings.HasPrefix(f, "="):
				any = append(any, orm.Q{f[1:] + "__iexact": word})
			case strings.HasPrefix(f, "@"):
				fullText = append(fullText, f[1:])
			default:
				any = append(any, orm.Q{f + "__icontains": word})
			}
		}
		if len(fullText) > 0 {
			any = append(any, orm.Search(orm.SearchVector(fullText...), orm.SearchQuery(word)))
		}
		if extra != nil {
			if c := extra(word); c != nil {
				any = append(any, c)
			}
		}
		terms = append(terms, orm.Or(any...))
	}
	return orm.And(terms...)
}

// sortField is the field a column sorts by, or "" when it cannot sort.
func (cl *changeList) sortField(col string) string {
	if cl.e.opts.SortableBy != nil && !slices.Contains(cl.e.opts.SortableBy, col) {
		return ""
	}
	if m, ok := cl.e.opts.Methods[col]; ok {
		return m.orderField
	}
	if col == "__str__" {
		return ""
	}
	if f, _, err := resolvePath(cl.e.meta, col); err == nil && f.Kind != orm.KindJSON {
		return col
	}
	return ""
}

// readOrder parses Django's "o" parameter: 1-based column numbers, "-"
// for descending, joined by ".": "2.-1".
func (cl *changeList) readOrder(s string) []orderKey {
	var out []orderKey
	for _, part := range strings.Split(s, ".") {
		desc := strings.HasPrefix(part, "-")
		n, err := strconv.Atoi(strings.TrimPrefix(part, "-"))
		if err != nil || n < 1 || n > len(cl.columns) || cl.sortField(cl.columns[n-1]) == "" {
			continue
		}
		if slices.ContainsFunc(out, func(k orderKey) bool { return k.col == n-1 }) {
			continue
		}
		out = append(out, orderKey{col: n - 1, desc: desc})
	}
	return out
}

func formatOrder(keys []orderKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Itoa(k.col + 1)
		if k.desc {
			parts[i] = "-" + parts[i]
		}
	}
	return strings.Join(parts, ".")
}

// ordering is the queryset's order: the chosen columns, else the admin's
// or the model's default, made total (orm.WithPK) so that pages never
// overlap, in a way one index on (column, key) serves both ways.
func (cl *changeList) ordering() []string {
	var out []string
	for _, k := range cl.order {
		f := cl.sortField(cl.columns[k.col])
		if k.desc {
			f = "-" + strings.TrimPrefix(f, "-")
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		out = slices.Clone(cl.e.opts.Ordering)
		if len(out) == 0 {
			out = slices.Clone(cl.e.meta.Ordering)
		}
	}
	return orm.WithPK(cl.e.meta, out)
}

// selectRelated are the joins the list needs: ListSelectRelated, or the
// relations the columns cross.
func (cl *changeList) selectRelated() []string {
	if len(cl.e.opts.ListSelectRelated) > 0 {
		return cl.e.opts.ListSelectRelated
	}
	var out []string
	for _, col := range cl.columns {
		f, rels, err := resolvePath(cl.e.meta, col)
		if err != nil {
			continue
		}
		path := make([]string, 0, len(rels)+1)
		for _, r := range rels {
			path = append(path, r.Name)
		}
		if f.Rel != nil {
			path = append(path, f.Name)
		}
		if len(path) > 0 && !slices.Contains(out, strings.Join(path, "__")) {
			out = append(out, strings.Join(path, "__"))
		}
	}
	return out
}

// url is the list's URL with the current parameters changed by set
// (a nil value removes a parameter); every change but paging goes back
// to the first page.
func (cl *changeList) url(set map[string][]string) string {
	v := url.Values{}
	for k, vals := range cl.params {
		v[k] = vals
	}
	if _, paging := set[paramPage]; !paging {
		delete(v, paramPage)
	}
	for k, vals := range set {
		if vals == nil {
			delete(v, k)
		} else {
			v[k] = vals
		}
	}
	if len(v) == 0 {
		return "?"
	}
	return "?" + v.Encode()
}

func (s *Site) changeList(r *request) error {
	if err := r.require("view"); err != nil {
		return err
	}
	cl, err := r.newChangeList(r.c.QueryParams())
	if err != nil {
		return err
	}
	v, err := cl.view(r.ctx, nil, nil)
	if err != nil {
		return err
	}
	if r.c.Request().Header.Get("HX-Request") == "true" && r.c.Request().Header.Get("HX-Target") == "changelist-results" {
		return r.render(http.StatusOK, ui.ChangeListResults(v))
	}
	return r.render(http.StatusOK, ui.ChangeListPage(v))
}

// view runs the list's queries and builds the page. editForms, when set,
// are the bound list_editable forms of a failed save, shown with errors.
func (cl *changeList) view(ctx context.Context, editForms map[string]*form, formErrors []string) (ui.ChangeList, error) {
	r, e := cl.r, cl.e
	v := ui.ChangeList{Page: r.page(e.plural(), r.crumbs()[:2]...), ModelName: e.name(), SearchQuery: cl.search,
		HasSearch: len(e.opts.SearchFields) > 0, FormErrors: formErrors}
	v.Page.Title = "Select " + e.name() + " to change"
	if r.can("add") {
		v.AddURL = e.url("add/")
	}
	v.ExportURL = e.url("export/") + cl.url(map[string][]string{paramPage: nil})
	if r.can("add") && r.can("change") {
		v.ImportURL = e.url("import/")
	}
	for _, a := range cl.actions() {
		v.Actions = append(v.Actions, ui.Link{Label: a.label, URL: a.name})
	}
	v.Editable = len(e.opts.ListEditable) > 0 && r.can("change")
	for k, vals := range cl.params {
		for _, val := range vals {
			v.Hidden = append(v.Hidden, ui.Param{Name: k, Value: val})
		}
	}
	slices.SortFunc(v.Hidden, func(a, b ui.Param) int { return strings.Compare(a.Name, b.Name) })

	count, err := cl.count(ctx)
	if err != nil {
		return v, err
	}
	v.Pagination = ui.Pagination{Count: count.n, Estimated: count.estimated, AtLeast: count.atLeast, Total: -1, Noun: e.name()}
	if count.n != 1 || count.atLeast {
		v.Pagination.Noun = e.meta.VerboseNamePlural
	}
	if !count.exact() {
		v.Pagination.ExactURL = cl.url(map[string][]string{paramCount: {"exact"}})
	}
	if cl.filtered() {
		total, err := cl.total(ctx)
		if err != nil {
			return v, err
		}
		v.Pagination.Total, v.Pagination.TotalEstimated = total.n, total.estimated
	}
	per := e.opts.ListPerPage
	var key any
	if cl.seek != "" && !cl.showAll {
		key, _ = parseKey(e.meta.PK, cl.seek) // a key that does not parse: the page by number
	}
	if count.estimated && key == nil && int64(cl.page*per) > count.n/2 {
		// A page in the second half of an estimated list: an exact count
		// reads the narrowest index, and lets the page be read from the
		// end rather than by skipping half a table's rows.
		n, err := cl.qs.Count(ctx)
		if err != nil {
			return v, err
		}
		count = rowCount{n: n}
		v.Pagination.Count, v.Pagination.Estimated, v.Pagination.ExactURL = n, false, ""
	}
	pages := max(int((count.n+int64(per)-1)/int64(per)), 1)
	order := cl.ordering()
	qs := cl.qs
	if rel := cl.selectRelated(); len(rel) > 0 {
		qs = qs.SelectRelated(rel...)
	}
	var objs []any
	switch {
	case cl.showAll && count.exact() && count.n <= int64(e.opts.ListMaxShowAll):
		pages = 1
		objs, err = qs.OrderBy(order...).List(ctx)
	default:
		cl.showAll = false
		page := min(cl.page, pages)
		if count.atLeast {
			page = cl.page // the pages past the bound are there to walk to
		}
		// An estimate left here lies past the page (a later page was
		// counted exactly above), so orm.Page reads it forwards, as it
		// would a count that reached the page's end.
		sought := false
		if key != nil && page > 1 {
			objs, _, sought, err = orm.Seek(ctx, e.meta, qs, orm.Manager.List, order, key, cl.before, per)
		}
		if !sought && err == nil {
			objs, _, err = orm.Page(ctx, qs, orm.Manager.List, order, page, per, orm.RowCount{N: count.n, AtLeast: count.atLeast})
		}
		var first, last string
		if len(objs) > 0 {
			first, last = fmt.Sprint(e.model.PK(objs[0])), fmt.Sprint(e.model.PK(objs[len(objs)-1]))
		}
		v.Pagination.Pages = pageLinks(cl, page, pages, count.atLeast, first, last)
		if pages > 1 && count.exact() && count.n <= int64(e.opts.ListMaxShowAll) {
			v.Pagination.ShowAll = cl.url(map[string][]string{paramAll: {""}})
		}
	}
	if err != nil {
		return v, err
	}
	v.Columns = cl.headers()
	for i, obj := range objs {
		row, err := cl.row(ctx, i, obj, editForms)
		if err != nil {
			return v, err
		}
		v.Rows = append(v.Rows, row)
	}
	for _, lf := range cl.filters {
		f, err := lf.view(ctx, cl)
		if err != nil {
			return v, err
		}
		v.Filters = append(v.Filters, f)
	}
	for _, sf := range cl.simple {
		v.Filters = append(v.Filters, sf.view(cl))
	}
	if cl.dates != nil {
		d, err := cl.dates.view(ctx, cl)
		if err != nil {
			return v, err
		}
		v.Dates = d
	}
	return v, nil
}

// rowCount is a number of rows, and how it was found.
type rowCount struct {
	n int64
	// estimated: the planner's estimate; atLeast: counting stopped at n.
	estimated, atLeast bool
}

func (c rowCount) exact() bool { return !c.estimated && !c.atLeast }

// count is the number of matching rows, found at a cost that does not
// grow with the table: without filters, the planner's estimate once it
// passes EstimateCountOver; with them, a count that stops at CountUpTo
// (Django's show_full_result_count = False, bounded). The exact count is
// one click away (paramCount).
func (cl *changeList) count(ctx context.Context) (rowCount, error) {
	switch {
	case cl.exact:
	case !cl.filtered(): // the list is the table
		return cl.total(ctx)
	case cl.e.opts.CountUpTo >= 0:
		c, err := orm.CountUpTo(ctx, cl.qs, cl.e.opts.CountUpTo)
		return rowCount{n: c.N, atLeast: c.AtLeast}, err
	}
	n, err := cl.qs.Count(ctx)
	return rowCount{n: n}, err
}

// total is the number of rows with no filter, the count of an unfiltered
// list and shown beside a filtered one: the planner's estimate once it
// passes EstimateCountOver.
func (cl *changeList) total(ctx context.Context) (rowCount, error) {
	if cl.e.opts.EstimateCountOver >= 0 {
		if n, ok, err := orm.EstimatedCount(ctx, cl.e.meta); err != nil {
			return rowCount{}, err
		} else if ok && n > cl.e.opts.EstimateCountOver {
			return rowCount{n: n, estimated: true}, nil
		}
	}
	n, err := cl.e.meta.DefaultManager().Count(ctx)
	return rowCount{n: n}, err
}

// pageLinks is Django's paginator: the first and last two pages and three
// around the current one, with ellipses between. After a count that
// stopped at its bound (open), more pages may follow the last one known:
// an ellipsis says so, and the next page is always linked.
//
// The links to the neighbouring pages name the current page's first and
// last rows (paramBefore, paramAfter), which they continue from.
func pageLinks(cl *changeList, current, pages int, open bool, firstKey, lastKey string) []ui.PageLink {
	if open {
		pages = max(pages, current+1)
	}
	if pages <= 1 {
		return nil
	}
	var out []ui.PageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n > 2 && n < pages-1 && (n < current-3 || n > current+3) {
			continue
		}
		if last != 0 && n != last+1 {
			out = append(out, ui.PageLink{})
		}
		set := map[string][]string{paramPage: {strconv.Itoa(n)}}
		switch {
		case n == current+1 && lastKey != "":
			set[paramAfter] = []string{lastKey}
		case n == current-1 && n > 1 && firstKey != "":
			set[paramBefore] = []string{firstKey}
		}
		out = append(out, ui.PageLink{Number: n, Current: n == current, URL: cl.url(set)})
		last = n
	}
	if open {
		out = append(out, ui.PageLink{})
	}
	return out
}

// headers are the column headings with their sort links.
func (cl *changeList) headers() []ui.Column {
	out := make([]ui.Column, len(cl.columns))
	for i, col := range cl.columns {
		h := ui.Column{Label: cl.label(col)}
		if f, _, err := resolvePath(cl.e.meta, col); err == nil {
			h.Numeric = widgetOf(f) == "number" && f.Rel == nil && len(f.Choices) == 0
		}
		if cl.sortField(col) != "" {
			pos := slices.IndexFunc(cl.order, func(k orderKey) bool { return k.col == i })
			// Clicking a column puts it first; clicking the first one flips it.
			next := []orderKey{{col: i}}
			if pos >= 0 {
				h.Priority = pos + 1
				h.Sorted = "asc"
				if cl.order[pos].desc {
					h.Sorted = "desc"
				}
				next[0].desc = !cl.order[pos].desc
				rest := slices.Delete(slices.Clone(cl.order), pos, pos+1)
				h.RemoveURL = cl.orderURL(rest)
				next = append(next, rest...)
			} else {
				next = append(next, cl.order...)
			}
			h.SortURL = cl.orderURL(next)
		}
		out[i] = h
	}
	return out
}

func (cl *changeList) orderURL(keys []orderKey) string {
	if len(keys) == 0 {
		return cl.url(map[string][]string{paramOrder: nil})
	}
	return cl.url(map[string][]string{paramOrder: {formatOrder(keys)}})
}

// label is a column's heading: the field's verbose name, the Method's
// label, or the model's name for the object itself.
func (cl *changeList) label(col string) string {
	if m, ok := cl.e.opts.Methods[col]; ok {
		return m.label
	}
	if col == "__str__" {
		return capFirst(cl.e.name())
	}
	if f, _, err := resolvePath(cl.e.meta, col); err == nil {
		return capFirst(f.VerboseName)
	}
	return col
}

// row renders one object's cells.
func (cl *changeList) row(ctx context.Context, i int, obj any, editForms map[string]*form) (ui.Row, error) {
	e := cl.e
	pk := fmt.Sprint(e.model.PK(obj))
	row := ui.Row{PK: pk}
	var fm *form
	if len(e.opts.ListEditable) > 0 && cl.r.can("change") {
		fm = editForms[pk]
		if fm == nil {
			fm = e.newForm(obj, false, "form-"+strconv.Itoa(i)+"-")
			if err := fm.initial(ctx, e.formFields(e.opts.ListEditable, false)); err != nil {
				return row, err
			}
		}
		fm.prefix = "form-" + strconv.Itoa(i) + "-"
		fm.choices = cl.choices
	}
	links := e.opts.links()
	for _, col := range cl.columns {
		var cell ui.Cell
		if fm != nil && slices.Contains(e.opts.ListEditable, col) {
			ffs := e.formFields([]string{col}, false)
			if len(ffs) == 1 {
				uf, err := fm.field(ctx, ffs[0])
				if err != nil {
					return row, err
				}
				cell.Input = &uf
				row.Cells = append(row.Cells, cell)
				continue
			}
		}
		cell = cellOf(e, col, obj)
		if cell.Empty {
			cell.Text = e.opts.EmptyValueDisplay
		}
		if slices.Contains(links, col) {
			cell.URL = e.objectURL(pk, "change/")
			cell.Empty = false
		}
		row.Cells = append(row.Cells, cell)
	}
	return row, nil
}

// cellOf is one column's value for obj: a field (across loaded relations),
// a Method, or the object's string.
func cellOf(e *entry, col string, obj any) ui.Cell {
	if col == "__str__" {
		return ui.Cell{Text: e.model.String(obj)}
	}
	if m, ok := e.opts.Methods[col]; ok {
		v := m.value(obj)
		if b, ok := v.(bool); ok {
			return ui.Cell{Bool: &b}
		}
		text, ok := methodText(v)
		return ui.Cell{Text: text, Empty: !ok}
	}
	meta, model, cur := e.meta, e.model, obj
	parts := strings.Split(col, "__")
	for i, name := range parts {
		f := meta.Field(name)
		if f == nil {
			return ui.Cell{Empty: true}
		}
		if f.Rel != nil {
			rel := model.Related(cur, name)
			if i == len(parts)-1 {
				if rel != nil {
					return ui.Cell{Text: f.Rel.To.Model().String(rel)}
				}
				v, _ := model.Get(cur, name)
				text, ok := displayText(nil, v)
				return ui.Cell{Text: text, Empty: !ok}
			}
			if rel == nil {
				return ui.Cell{Empty: true}
			}
			meta, model, cur = f.Rel.To, f.Rel.To.Model(), rel
			continue
		}
		v, err := model.Get(cur, name)
		if err != nil {
			return ui.Cell{Empty: true}
		}
		if b, ok := v.(bool); ok && len(f.Choices) == 0 {
			return ui.Cell{Bool: &b}
		}
		text, ok := displayText(f, v)
		numeric := widgetOf(f) == "number" && len(f.Choices) == 0
		return ui.Cell{Text: text, Empty: !ok, Numeric: numeric}
	}
	return ui.Cell{Empty: true}
}
