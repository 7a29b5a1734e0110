package admin

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// filterKind is how a field is filtered in the sidebar, or "" when it
// cannot be.
func filterKind(f *orm.Field) string {
	switch {
	case f.Rel != nil:
		return "related"
	case len(f.Choices) > 0:
		return "choices"
	case f.Kind == orm.KindBoolean:
		return "boolean"
	case f.Kind == orm.KindDate || f.Kind == orm.KindDateTime:
		return "date"
	}
	return ""
}

// listFilter is one ListFilter entry on one request. Its parameters are
// Django's: "is_active__exact=1", "category__id__exact=3",
// "status__exact=paid", "created_at__gte=…&created_at__lt=…", and
// "<field>__isnull=True" for the empty choice.
type listFilter struct {
	path  string
	f     *orm.Field
	kind  string
	value string // the chosen value; "" for all
	null  bool   // the "empty" choice is chosen
	since string // date filters: the chosen range's start ("" for any)
	until string
}

func newListFilter(e *entry, path string) (*listFilter, error) {
	f, _, err := resolvePath(e.meta, path)
	if err != nil {
		return nil, err
	}
	return &listFilter{path: path, f: f, kind: filterKind(f)}, nil
}

func (lf *listFilter) exactParam() string {
	if lf.kind == "related" {
		return lf.path + "__" + lf.f.Rel.To.PK.Name + "__exact"
	}
	return lf.path + "__exact"
}

func (lf *listFilter) nullParam() string { return lf.path + "__isnull" }

// read takes the filter's parameters from the query into kept, and returns
// its condition; a value that does not parse is ignored.
func (lf *listFilter) read(query, kept url.Values) orm.Cond {
	if query.Get(lf.nullParam()) == "True" && lf.f.Null {
		lf.null = true
		kept.Set(lf.nullParam(), "True")
		return orm.Q{lf.path + "__isnull": true}
	}
	if lf.kind == "date" {
		return lf.readDates(query, kept)
	}
	raw := query.Get(lf.exactParam())
	if raw == "" {
		return nil
	}
	field := lf.f
	if lf.kind == "related" {
		field = lf.f.Rel.To.PK
	}
	v, err := parseScalar(field, raw)
	if lf.kind == "boolean" {
		v, err = raw == "1", nil
		if raw != "1" && raw != "0" {
			return nil
		}
	}
	if err != nil || (lf.kind == "choices" && !isChoice(lf.f, v)) {
		return nil
	}
	lf.value = raw
	kept.Set(lf.exactParam(), raw)
	return orm.Q{lf.path: v}
}

func (lf *listFilter) readDates(query, kept url.Values) orm.Cond {
	since, until := query.Get(lf.path+"__gte"), query.Get(lf.path+"__lt")
	var conds []orm.Cond
	if t, err := time.Parse(time.DateOnly, since); err == nil {
		lf.since = since
		kept.Set(lf.path+"__gte", since)
		conds = append(conds, orm.Q{lf.path + "__gte": t})
	}
	if t, err := time.Parse(time.DateOnly, until); err == nil {
		lf.until = until
		kept.Set(lf.path+"__lt", until)
		conds = append(conds, orm.Q{lf.path + "__lt": t})
	}
	if query.Get(lf.nullParam()) == "False" && lf.f.Null {
		kept.Set(lf.nullParam(), "False")
		lf.value = "has"
		conds = append(conds, orm.Q{lf.path + "__isnull": false})
	}
	if len(conds) == 0 {
		return nil
	}
	return orm.And(conds...)
}

// params lists every parameter the filter may set, so a choice's link
// can clear them all before setting its own.
func (lf *listFilter) params() map[string][]string {
	return map[string][]string{lf.exactParam(): nil, lf.nullParam(): nil, lf.path + "__gte": nil, lf.path + "__lt": nil}
}

func (lf *listFilter) link(cl *changeList, set map[string]string) string {
	p := lf.params()
	for k, v := range set {
		p[k] = []string{v}
	}
	return cl.url(p)
}

// view lists the filter's choices. A related filter costs one query.
func (lf *listFilter) view(ctx context.Context, cl *changeList) (ui.Filter, error) {
	f := ui.Filter{Title: lf.f.VerboseName}
	chosen := lf.value != "" || lf.null || lf.since != "" || lf.until != ""
	add := func(label string, set map[string]string, selected bool) {
		f.Choices = append(f.Choices, ui.FilterChoice{Label: label, URL: lf.link(cl, set), Selected: selected})
	}
	if lf.kind == "date" {
		lf.dateChoices(add)
		return f, nil
	}
	add("All", nil, !chosen)
	switch lf.kind {
	case "boolean":
		add("Yes", map[string]string{lf.exactParam(): "1"}, lf.value == "1")
		add("No", map[string]string{lf.exactParam(): "0"}, lf.value == "0")
	case "choices":
		for _, c := range lf.f.Choices {
			v := fmt.Sprint(c.Value)
			add(c.Label, map[string]string{lf.exactParam(): v}, lf.value == v)
		}
	case "related":
		to := lf.f.Rel.To
		objs, err := to.DefaultManager().List(ctx)
		if err != nil {
			return f, err
		}
		for _, o := range objs {
			v := fmt.Sprint(to.Model().PK(o))
			add(to.Model().String(o), map[string]string{lf.exactParam(): v}, lf.value == v)
		}
	}
	if lf.f.Null {
		label := "Empty"
		if lf.kind == "boolean" {
			label = "Unknown"
		}
		add(label, map[string]string{lf.nullParam(): "True"}, lf.null)
	}
	return f, nil
}

// dateChoices are Django's DateFieldListFilter choices, by UTC day.
func (lf *listFilter) dateChoices(add func(string, map[string]string, bool)) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	month := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	ranges := []struct {
		label        string
		since, until time.Time
	}{
		{"Today", today, today.AddDate(0, 0, 1)},
		{"Past 7 days", today.AddDate(0, 0, -7), today.AddDate(0, 0, 1)},
		{"This month", month, month.AddDate(0, 1, 0)},
		{"This year", year, year.AddDate(1, 0, 0)},
	}
	add("Any date", nil, lf.since == "" && lf.until == "" && lf.value == "" && !lf.null)
	for _, rg := range ranges {
		s, u := day(rg.since), day(rg.until)
		add(rg.label, map[string]string{lf.path + "__gte": s, lf.path + "__lt": u}, lf.since == s && lf.until == u)
	}
	if lf.f.Null {
		add("No date", map[string]string{lf.nullParam(): "True"}, lf.null)
		add("Has date", map[string]string{lf.nullParam(): "False"}, lf.value == "has")
	}
}

// dateDrill is the date hierarchy: year, then month, then day links.
type dateDrill struct {
	f                *orm.Field
	year, month, day int
}

func newDateDrill(f *orm.Field) *dateDrill { return &dateDrill{f: f} }

func (d *dateDrill) read(query, kept url.Values) orm.Cond {
	num := func(suffix string, lo, hi int) int {
		n, err := strconv.Atoi(query.Get(d.f.Name + "__" + suffix))
		if err != nil || n < lo || n > hi {
			return 0
		}
		return n
	}
	if d.year = num("year", 1, 9999); d.year == 0 {
		return nil
	}
	kept.Set(d.f.Name+"__year", strconv.Itoa(d.year))
	since := time.Date(d.year, 1, 1, 0, 0, 0, 0, time.UTC)
	until := since.AddDate(1, 0, 0)
	if d.month = num("month", 1, 12); d.month != 0 {
		kept.Set(d.f.Name+"__month", strconv.Itoa(d.month))
		since = time.Date(d.year, time.Month(d.month), 1, 0, 0, 0, 0, time.UTC)
		until = since.AddDate(0, 1, 0)
		if d.day = num("day", 1, 31); d.day != 0 {
			kept.Set(d.f.Name+"__day", strconv.Itoa(d.day))
			since = time.Date(d.year, time.Month(d.month), d.day, 0, 0, 0, 0, time.UTC)
			until = since.AddDate(0, 0, 1)
		}
	}
	return orm.Q{d.f.Name + "__gte": since, d.f.Name + "__lt": until}
}

// view lists the next level's links from the dates present, one query:
// the distinct days (or months) of the current selection.
func (d *dateDrill) view(ctx context.Context, cl *changeList) (*ui.DateHierarchy, error) {
	name := d.f.Name
	link := func(set map[string][]string) string {
		p := map[string][]string{name + "__year": nil, name + "__month": nil, name + "__day": nil}
		for k, v := range set {
			p[k] = v
		}
		return cl.url(p)
	}
	out := &ui.DateHierarchy{}
	if d.day != 0 {
		out.Back = &ui.Link{Label: "‹ " + time.Month(d.month).String() + " " + strconv.Itoa(d.year),
			URL: link(map[string][]string{name + "__year": {strconv.Itoa(d.year)}, name + "__month": {strconv.Itoa(d.month)}})}
		return out, nil
	}
	// The first and the last date come off the field's index, and the
	// periods between them are offered: two index reads at any table
	// size, where grouping the rows by period would read them all. A
	// period between them may hold no row.
	first, ok, err := d.edge(ctx, cl, name)
	if err != nil || !ok {
		return out, err
	}
	last, _, err := d.edge(ctx, cl, "-"+name)
	if err != nil {
		return out, err
	}
	var periods []time.Time
	switch {
	case d.year == 0:
		for y := first.Year(); y <= last.Year(); y++ {
			periods = append(periods, time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC))
		}
	case d.month == 0:
		for m := first.Month(); m <= last.Month(); m++ {
			periods = append(periods, time.Date(d.year, m, 1, 0, 0, 0, 0, time.UTC))
		}
	default:
		for day := first.Day(); day <= last.Day(); day++ {
			periods = append(periods, time.Date(d.year, time.Month(d.month), day, 0, 0, 0, 0, time.UTC))
		}
	}
	switch {
	case d.year == 0:
		for _, t := range periods {
			y := strconv.Itoa(t.Year())
			out.Choices = append(out.Choices, ui.Link{Label: y, URL: link(map[string][]string{name + "__year": {y}})})
		}
	case d.month == 0:
		out.Back = &ui.Link{Label: "‹ All dates", URL: link(nil)}
		for _, t := range periods {
			out.Choices = append(out.Choices, ui.Link{Label: t.Month().String() + " " + strconv.Itoa(t.Year()),
				URL: link(map[string][]string{name + "__year": {strconv.Itoa(d.year)}, name + "__month": {strconv.Itoa(int(t.Month()))}})})
		}
	default:
		out.Back = &ui.Link{Label: "‹ " + strconv.Itoa(d.year), URL: link(map[string][]string{name + "__year": {strconv.Itoa(d.year)}})}
		for _, t := range periods {
			out.Choices = append(out.Choices, ui.Link{Label: t.Format("January 2"),
				URL: link(map[string][]string{name + "__year": {strconv.Itoa(d.year)}, name + "__month": {strconv.Itoa(d.month)}, name + "__day": {strconv.Itoa(t.Day())}})})
		}
	}
	return out, nil
}

// edge is the list's first date in the given order ("created_at" or
// "-created_at"), in UTC; ok is false for an empty list.
func (d *dateDrill) edge(ctx context.Context, cl *changeList, order string) (time.Time, bool, error) {
	rows, err := cl.qs.OrderBy(orm.WithPK(cl.e.meta, []string{order})...).Limit(1).Values(ctx, d.f.Name)
	if err != nil || len(rows) == 0 {
		return time.Time{}, false, err
	}
	t, ok := rows[0][d.f.Name].(time.Time)
	return t.UTC(), ok, nil
}

// SimpleFilter is a sidebar filter of the admin's own making, Django's
// SimpleListFilter: a title, the query parameter it sets, the choices it
// offers, and what choosing one does to the list.
//
//	admin.SimpleFilter{
//		Title: "on sale", ParameterName: "on_sale",
//		Lookups: admin.StaticLookups(admin.Choice{Value: "yes", Label: "Yes"}, admin.Choice{Value: "no", Label: "No"}),
//		Queryset: func(ctx context.Context, qs orm.Manager, value string) (orm.Manager, error) {
//			onSale := orm.Q{"pk__in": ProductObjects().OnSale()}
//			if value == "yes" {
//				return qs.Filter(onSale), nil
//			}
//			return qs.Exclude(onSale), nil
//		},
//	}
type SimpleFilter struct {
	// Title follows "By" in the sidebar, as a field filter's verbose name
	// does: "on sale".
	Title string
	// ParameterName is the query parameter the choices set: "on_sale".
	// It is lower-case letters, digits and underscores, without the "__"
	// that every field filter's parameters have (so the two never
	// collide), and none of the change list's own (q, o, p, all, and
	// action, select_across and post, which its POSTs read).
	ParameterName string
	// Lookups are the choices offered after "All", each with a value that
	// is not empty and unique. The change list asks once per request; a
	// lookup that queries costs that one query.
	Lookups func(ctx context.Context) ([]Choice, error)
	// Queryset narrows the list to the chosen value, always one of
	// Lookups'. qs is the change list's queryset: the model's default
	// manager with the other filters and the search applied. A value in
	// the URL that Lookups does not offer is ignored, as a field filter
	// ignores one that does not parse: the list shows all, and Queryset
	// is not called.
	Queryset func(ctx context.Context, qs orm.Manager, value string) (orm.Manager, error)
}

// Choice is one of a SimpleFilter's lookups: the parameter's value and
// the label the sidebar shows.
type Choice struct {
	Value, Label string
}

// StaticLookups is Lookups for choices that never change.
func StaticLookups(choices ...Choice) func(context.Context) ([]Choice, error) {
	return func(context.Context) ([]Choice, error) { return choices, nil }
}

// reservedParams are the change list's own query parameters, and the
// names its POSTs read: a POST reads its form through the URL's query
// too, so a filter named "post" whose value is "yes" would skip the
// delete confirmation.
var reservedParams = []string{paramSearch, paramOrder, paramPage, paramAll, "action", "select_across", "post"}

// checkFilters finds SimpleFilters that cannot work, when Register runs.
func checkFilters(filters []SimpleFilter) error {
	seen := map[string]bool{}
	for _, sf := range filters {
		name := sf.ParameterName
		switch {
		case sf.Title == "" || sf.Lookups == nil || sf.Queryset == nil:
			return fmt.Errorf("filter %q needs a Title, Lookups and a Queryset func", name)
		case !validParamName(name):
			return fmt.Errorf("filter %q: a ParameterName is lower-case letters, digits and single underscores, starting with a letter", name)
		case slices.Contains(reservedParams, name):
			return fmt.Errorf("filter %q: the change list uses that parameter itself", name)
		case seen[name]:
			return fmt.Errorf("two filters have the ParameterName %q", name)
		}
		seen[name] = true
	}
	return nil
}

func validParamName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// simpleFilter is a SimpleFilter on one request.
type simpleFilter struct {
	sf      *SimpleFilter
	choices []Choice
	value   string // the chosen value; "" for all
}

// newSimpleFilter asks for the filter's choices and takes its parameter
// from the query into kept when it names one of them.
func newSimpleFilter(ctx context.Context, sf *SimpleFilter, query, kept url.Values) (*simpleFilter, error) {
	choices, err := sf.Lookups(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: filter %q: %w", sf.ParameterName, err)
	}
	seen := map[string]bool{}
	for _, c := range choices {
		if c.Value == "" || seen[c.Value] {
			return nil, fmt.Errorf("admin: filter %q offers an empty or repeated value %q", sf.ParameterName, c.Value)
		}
		seen[c.Value] = true
	}
	f := &simpleFilter{sf: sf, choices: choices}
	if raw := query.Get(sf.ParameterName); seen[raw] {
		f.value = raw
		kept.Set(sf.ParameterName, raw)
	}
	return f, nil
}

// apply narrows qs to the chosen value; with none chosen it is qs.
func (f *simpleFilter) apply(ctx context.Context, qs orm.Manager) (orm.Manager, error) {
	if f.value == "" {
		return qs, nil
	}
	out, err := f.sf.Queryset(ctx, qs, f.value)
	if err != nil {
		return nil, fmt.Errorf("admin: filter %q: %w", f.sf.ParameterName, err)
	}
	if out == nil {
		return nil, fmt.Errorf("admin: filter %q returned no queryset", f.sf.ParameterName)
	}
	return out, nil
}

// view lists "All" and the filter's choices; it runs no query.
func (f *simpleFilter) view(cl *changeList) ui.Filter {
	name := f.sf.ParameterName
	v := ui.Filter{Title: f.sf.Title}
	v.Choices = append(v.Choices, ui.FilterChoice{Label: "All", URL: cl.url(map[string][]string{name: nil}), Selected: f.value == ""})
	for _, c := range f.choices {
		v.Choices = append(v.Choices, ui.FilterChoice{Label: c.Label, URL: cl.url(map[string][]string{name: {c.Value}}),
			Selected: f.value == c.Value})
	}
	return v
}
