package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// ModelAdmin is a model's admin options, Django's ModelAdmin attributes
// under Go names. Field names are the ORM's ("view_count"); a list_display
// entry may also name a related field ("category__name") or a Method.
//
// Options holds the options that are names and settings; beside it sit
// the few that are code taking the model's type (Actions, Methods,
// SaveModel):
//
//	admin.ModelAdmin[Comment]{
//		Options: admin.Options{
//			ListDisplay:  []string{"__str__", "post", "approved"},
//			SearchFields: []string{"body"},
//		},
//		Actions: []admin.Action[Comment]{{Name: "approve", Label: "Approve selected comments", Run: approve}},
//	}
//
// The options read as fields of the ModelAdmin too: ma.ListDisplay.
type ModelAdmin[T any] struct {
	Options
	// Actions are offered for the selected rows, after "Delete selected".
	Actions []Action[T]
	// Methods are computed columns and read-only fields, by the name
	// ListDisplay and ReadonlyFields use.
	Methods map[string]Method[T]
	// SaveModel, when set, saves an object in place of the model's Save
	// wherever the admin saves one it has validated: the add and change
	// forms, the change list's editable rows and a CSV import. It is
	// Django's save_model, for saves that must do more than write the
	// row. It runs inside the admin's transaction, and auth.UserFrom(ctx)
	// is the staff user. On a form or the editable list, an existing
	// object comes with the user's changes applied to the row as the
	// database holds it then, read under a lock (SELECT … FOR UPDATE)
	// that lasts until the transaction ends: every field the user did not
	// change holds its current value, so saving the object whole writes
	// back nothing stale. A *orm.ValidationError it returns is shown with
	// the form's (or the import row's) errors and nothing is saved; any
	// other error is a server error.
	SaveModel func(ctx context.Context, obj *T, adding bool) error
	// ViewOnSite is the address of obj on the site, linked as "View on
	// site" from its change page (Django's view_on_site). Unset, a model
	// whose objects have an AbsoluteURL() string method (Django's
	// get_absolute_url) links that; a func returning "" shows no link.
	ViewOnSite func(obj *T) string
}

// Options are the ModelAdmin options that do not depend on the model's
// Go type. An option is declared here once: the admin reads it from the
// registered ModelAdmin as it is.
type Options struct {
	// ListDisplay are the change list's columns; default: the object's
	// display string.
	ListDisplay []string
	// ListDisplayLinks are the columns linking to the change page;
	// default: the first column.
	ListDisplayLinks []string
	// ListEditable are columns edited in place on the change list.
	ListEditable []string
	// ListFilter are the sidebar filters: booleans, fields with choices,
	// foreign keys and dates.
	ListFilter []string
	// Filters are sidebar filters of the admin's own, shown after
	// ListFilter's: Django's SimpleListFilter.
	Filters []SimpleFilter
	// SearchFields are searched by the search box, case-insensitively:
	// "name" contains, "^name" starts with, "=sku" equals, "@name" has
	// the word in any form (full-text: the "@" fields together need an
	// orm.SearchIndex over exactly them); a related field is written
	// "category__name". A search looks for its first 8 words.
	SearchFields []string
	// SearchWord, when set, is one more condition a word of a search may
	// match besides SearchFields', for a value typed in a form the fields
	// cannot match: an order reference written "#7kq2m9xd" against the
	// stored "7KQ2M9XD". Nil for a word it does not apply to.
	SearchWord func(word string) orm.Cond
	// DateHierarchy is a date or datetime field to drill down by.
	DateHierarchy string
	// Ordering is the change list's default order; default: the model's.
	Ordering []string
	// SortableBy, when set, are the only ListDisplay columns the change
	// list sorts by (Django's sortable_by); an empty, non-nil list sorts
	// by none. Each sortable column wants an index (Site.Check).
	SortableBy []string
	// ListPerPage is the page size (100); ListMaxShowAll is the most rows
	// "Show all" will show (200).
	ListPerPage, ListMaxShowAll int
	// ListSelectRelated are the relations the list query joins; default:
	// the foreign keys among ListDisplay, so the page costs the same number
	// of queries whatever its length.
	ListSelectRelated []string
	// ReadonlyFields are shown, not edited, on the form; they may be
	// Methods too.
	ReadonlyFields []string
	// Fields are the form's fields in order; default: every editable
	// field. Fieldsets, when set, replaces it with titled groups.
	Fields    []string
	Fieldsets []Fieldset
	// Exclude leaves fields out of the form.
	Exclude []string
	// PrepopulatedFields fills a field from others in the browser:
	// {"slug": {"title"}}.
	PrepopulatedFields map[string][]string
	// AutocompleteFields are foreign keys chosen by searching the target's
	// SearchFields instead of from a select of every row: the widget for
	// a target that may hold more rows than a page can list.
	AutocompleteFields []string
	// StringSelectRelated are the relations the model's String reads
	// (a customer's "user"), which no field list reveals. Wherever the
	// admin names this model's objects (the change and delete pages, a
	// related field on another model's form, a select's options, an
	// autocomplete's answers, an inline's rows) it loads them in the same
	// query, so a name costs no query of its own.
	StringSelectRelated []string
	// Inlines edit related objects on this model's form (Tabular, Stacked).
	Inlines []Inline
	// EmptyValueDisplay is shown for a value that is not there (NULL, an
	// empty text, a Method's nil): "-" when unset, as Django's
	// empty_value_display.
	EmptyValueDisplay string
	// SaveOnTop repeats the save buttons above the form, for long forms
	// (Django's save_on_top).
	SaveOnTop bool
	// SaveAs offers "Save as new" on the change form (Django's save_as),
	// in place of "Save and add another", to a user who may add objects:
	// the form is validated as an add and saved as a new object, the
	// original left unchanged, with the inline rows submitted saved as new
	// rows of it (a row ticked for deletion is not copied). A unique value
	// the copy still shares with the original is the form's usual error.
	// The user is then taken to the new object's change page. A
	// "_saveasnew" POST is refused without the add permission, or where
	// SaveAs is not set.
	SaveAs bool
	// RadioFields shows a field with choices, or a foreign key, as radio
	// buttons laid out Horizontal or Vertical instead of a select
	// (Django's radio_fields): {"status": admin.Horizontal}. A field that
	// may be empty gets a "None" button.
	RadioFields map[string]Orientation
	// RawIDFields are foreign keys typed as the related object's key, and
	// many-to-many fields as keys separated by commas, with a "Lookup"
	// link to the related model's change list and, for a foreign key, the
	// chosen object's name beside the input (Django's raw_id_fields): no
	// select lists every related row, so the form costs the same whatever
	// the number of related rows. A key that names no object is the form's
	// "Select a valid choice" error.
	RawIDFields []string
	// FilterHorizontal and FilterVertical show a many-to-many field as
	// two lists, the available and the chosen, with a filter box and
	// buttons to move entries between them, side by side or stacked
	// (Django's filter_horizontal and filter_vertical): the widget for
	// hundreds of choices, such as a group's permissions. Without
	// JavaScript it is the plain multiple select.
	FilterHorizontal, FilterVertical []string
	// NoAdd: objects are not added in the admin (Django's
	// has_add_permission returning False), for a model the application
	// creates, such as orders: no Add button, and the add form and the
	// CSV import, which could add, are refused.
	NoAdd bool
	// CountUpTo: a filtered or searched change list counts its matches up
	// to this many (default 10,000) and past it says "more than 10,000",
	// so that a search on a big table does not read every match; the
	// exact count is a link away. -1 always counts exactly.
	CountUpTo int64
	// EstimateCountOver: a change list without filters shows the database's
	// estimate of the row count instead of counting, once the estimate
	// passes this (default 100,000; -1 always counts).
	EstimateCountOver int64
}

// Orientation lays out the radio buttons of RadioFields.
type Orientation int

const (
	// Vertical stacks the buttons, one per line (Django's admin.VERTICAL).
	Vertical Orientation = iota + 1
	// Horizontal puts the buttons side by side (admin.HORIZONTAL).
	Horizontal
)

// Fieldset is a titled group of the form's fields.
type Fieldset struct {
	Name        string
	Fields      []string
	Description string
	Collapsed   bool // Django's classes=["collapse"]
}

// Method is a computed value shown in the change list or as a read-only
// field: Django's ModelAdmin methods and @admin.display.
type Method[T any] struct {
	Label string
	// Value computes the shown value; a bool shows as an icon, nil as "-",
	// Linked as text with links on the change form.
	// It must not query: use ListSelectRelated or an annotation.
	Value func(obj *T) any
	// OrderField makes the column sortable by that field.
	OrderField string
}

// Linked is a Method value of text with links in it: its spans are shown
// side by side, a span with a URL as a link to it. It is how a read-only
// field links somewhere (Django's format_html with an <a>) without HTML
// in a string: the text is escaped like any value, and a URL that is not
// safe (javascript:) is replaced. The change list and the CSV export show
// its text alone.
type Linked []Span

// Span is a piece of Linked text. URL may be relative to the object's
// change page: "../password/".
type Span struct {
	Text string
	URL  string
}

// String is the text without the links.
func (l Linked) String() string {
	var b strings.Builder
	for _, s := range l {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Action is a bulk action on the selected rows of a change list.
type Action[T any] struct {
	Name  string // the form value: "mark_approved"
	Label string // "Mark selected reviews as approved"
	// Permission is the model permission needed ("change" when empty).
	Permission string
	// Run does the work; its message is shown on the next page.
	Run func(ctx context.Context, objs []*T) (message string, err error)
}

// options is ModelAdmin without its Go type: the Options as registered
// (with defaults filled in), and methods and actions taking the object as
// any (always a *T).
type options struct {
	Options
	Actions    []action
	Methods    map[string]method
	saveModel  func(ctx context.Context, obj any, adding bool) error
	viewOnSite func(obj any) string
}

type method struct {
	label      string
	value      func(obj any) any
	orderField string
}

type action struct {
	name, label, perm string
	run               func(ctx context.Context, objs []any) (string, error)
}

func (ma ModelAdmin[T]) erase() options {
	o := options{Options: ma.Options, Methods: map[string]method{}}
	if save := ma.SaveModel; save != nil {
		o.saveModel = func(ctx context.Context, obj any, adding bool) error {
			p, ok := obj.(*T)
			if !ok || p == nil {
				return fmt.Errorf("admin: SaveModel got a %T, not a %T", obj, new(T))
			}
			return save(ctx, p, adding)
		}
	}
	o.viewOnSite = func(obj any) string {
		p, ok := obj.(*T)
		switch {
		case !ok || p == nil:
			return ""
		case ma.ViewOnSite != nil:
			return ma.ViewOnSite(p)
		}
		if u, ok := obj.(interface{ AbsoluteURL() string }); ok {
			return u.AbsoluteURL()
		}
		return ""
	}
	if o.EmptyValueDisplay == "" {
		o.EmptyValueDisplay = "-"
	}
	if o.ListPerPage <= 0 {
		o.ListPerPage = 100
	}
	if o.ListMaxShowAll <= 0 {
		o.ListMaxShowAll = 200
	}
	if o.EstimateCountOver == 0 {
		o.EstimateCountOver = 100_000
	}
	if o.CountUpTo == 0 {
		o.CountUpTo = 10_000
	}
	for name, m := range ma.Methods {
		value := m.Value
		o.Methods[name] = method{label: m.Label, orderField: m.OrderField, value: func(obj any) any {
			if p, ok := obj.(*T); ok && value != nil {
				return value(p)
			}
			return nil
		}}
	}
	for _, a := range ma.Actions {
		run, perm := a.Run, a.Permission
		if perm == "" {
			perm = "change"
		}
		o.Actions = append(o.Actions, action{name: a.Name, label: a.Label, perm: perm,
			run: func(ctx context.Context, objs []any) (string, error) {
				typed := make([]*T, 0, len(objs))
				for _, obj := range objs {
					if p, ok := obj.(*T); ok {
						typed = append(typed, p)
					}
				}
				return run(ctx, typed)
			}})
	}
	return o
}

// check finds options naming what the model does not have.
func (e *entry) check() error {
	o, m := &e.opts, e.meta
	field := func(what, name string) error {
		if m.Field(name) == nil && !slices.ContainsFunc(m.ManyToMany, func(f *orm.Field) bool { return f.Name == name }) {
			return fmt.Errorf("%s names %q, which is not a field of %s", what, name, m.Label())
		}
		return nil
	}
	column := func(what, name string) error {
		if _, ok := o.Methods[name]; ok || name == "__str__" {
			return nil
		}
		if _, _, err := resolvePath(m, name); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	for _, name := range o.ListDisplay {
		if err := column("ListDisplay", name); err != nil {
			return err
		}
	}
	for _, name := range o.ListDisplayLinks {
		if !slices.Contains(o.displayColumns(), name) {
			return fmt.Errorf("ListDisplayLinks names %q, which is not in ListDisplay", name)
		}
	}
	for _, name := range o.SortableBy {
		if !slices.Contains(o.displayColumns(), name) {
			return fmt.Errorf("SortableBy names %q, which is not in ListDisplay", name)
		}
	}
	for _, name := range o.ListEditable {
		if err := field("ListEditable", name); err != nil {
			return err
		}
		if !slices.Contains(o.displayColumns(), name) {
			return fmt.Errorf("ListEditable names %q, which is not in ListDisplay", name)
		}
		if slices.Contains(o.links(), name) {
			return fmt.Errorf("ListEditable names %q, which is also a link to the change page", name)
		}
	}
	for _, name := range o.ListFilter {
		f, _, err := resolvePath(m, name)
		if err != nil {
			return fmt.Errorf("ListFilter: %w", err)
		}
		if filterKind(f) == "" {
			return fmt.Errorf("ListFilter names %q, a %s, which cannot be filtered on (booleans, choices, foreign keys and dates can)", name, f.Kind)
		}
	}
	if err := checkFilters(o.Filters); err != nil {
		return err
	}
	var fullText []string
	for _, name := range o.SearchFields {
		if f, ok := strings.CutPrefix(name, "@"); ok {
			fullText = append(fullText, f)
			continue
		}
		if _, _, err := resolvePath(m, strings.TrimLeft(name, "^=")); err != nil {
			return fmt.Errorf("SearchFields: %w", err)
		}
	}
	if len(fullText) > 0 {
		if _, err := m.SearchIndexOver(fullText...); err != nil {
			return fmt.Errorf("SearchFields: %w", err)
		}
	}
	if o.DateHierarchy != "" {
		f := m.Field(o.DateHierarchy)
		if f == nil || (f.Kind != orm.KindDate && f.Kind != orm.KindDateTime) {
			return fmt.Errorf("DateHierarchy names %q, which is not a date field of %s", o.DateHierarchy, m.Label())
		}
	}
	for _, name := range o.ReadonlyFields {
		if _, ok := o.Methods[name]; !ok {
			if err := field("ReadonlyFields", name); err != nil {
				return err
			}
		}
	}
	formFields := slices.Clone(o.Fields)
	for _, fs := range o.Fieldsets {
		formFields = append(formFields, fs.Fields...)
	}
	for _, name := range append(formFields, o.Exclude...) {
		if _, ok := o.Methods[name]; ok && slices.Contains(o.ReadonlyFields, name) {
			continue
		}
		if err := field("Fields", name); err != nil {
			return err
		}
	}
	for target, sources := range o.PrepopulatedFields {
		for _, name := range append([]string{target}, sources...) {
			if err := field("PrepopulatedFields", name); err != nil {
				return err
			}
		}
	}
	for _, name := range o.AutocompleteFields {
		f := m.Field(name)
		if f == nil || f.Rel == nil {
			if err := field("AutocompleteFields", name); err != nil {
				return err
			}
			return fmt.Errorf("AutocompleteFields names %q, which is not a foreign key", name)
		}
	}
	for name, orient := range o.RadioFields {
		f := m.Field(name)
		if f == nil {
			return fmt.Errorf("RadioFields names %q, which is not a field of %s", name, m.Label())
		}
		if len(f.Choices) == 0 && (f.Rel == nil || f.Rel.To == nil) {
			return fmt.Errorf("RadioFields names %q, which is neither a field with choices nor a foreign key", name)
		}
		if orient != Horizontal && orient != Vertical {
			return fmt.Errorf("RadioFields gives %q an orientation other than admin.Horizontal or admin.Vertical", name)
		}
	}
	for _, names := range [][]string{o.FilterHorizontal, o.FilterVertical} {
		for _, name := range names {
			if !slices.ContainsFunc(m.ManyToMany, func(f *orm.Field) bool { return f.Name == name }) {
				return fmt.Errorf("FilterHorizontal and FilterVertical name %q, which is not a many-to-many field of %s", name, m.Label())
			}
			if slices.Contains(o.FilterHorizontal, name) && slices.Contains(o.FilterVertical, name) {
				return fmt.Errorf("FilterHorizontal and FilterVertical both name %q", name)
			}
		}
	}
	for _, name := range o.RawIDFields {
		if err := field("RawIDFields", name); err != nil {
			return err
		}
		if f := m.Field(name); f != nil && f.Rel == nil {
			return fmt.Errorf("RawIDFields names %q, which is not a foreign key or many-to-many field", name)
		}
		if slices.Contains(o.AutocompleteFields, name) {
			return fmt.Errorf("RawIDFields names %q, which AutocompleteFields names too", name)
		}
	}
	if err := checkRelations(m, "StringSelectRelated", o.StringSelectRelated); err != nil {
		return err
	}
	for _, a := range o.Actions {
		if a.name == "" || a.name == deleteSelected || a.run == nil {
			return fmt.Errorf("action %q needs a name other than %q and a Run func", a.label, deleteSelected)
		}
	}
	for i := range o.Inlines {
		if err := o.Inlines[i].bind(e); err != nil {
			return err
		}
	}
	return nil
}

// checkRelations finds a select_related path that does not end at a
// relation.
func checkRelations(m *orm.Meta, what string, paths []string) error {
	for _, path := range paths {
		f, _, err := resolvePath(m, path)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if f.Rel == nil || f.Rel.To == nil {
			return fmt.Errorf("%s names %q, which is not a relation", what, path)
		}
	}
	return nil
}

// displayColumns is ListDisplay, or the object's string alone.
func (o *options) displayColumns() []string {
	if len(o.ListDisplay) == 0 {
		return []string{"__str__"}
	}
	return o.ListDisplay
}

// links is ListDisplayLinks, or the first column.
func (o *options) links() []string {
	if len(o.ListDisplayLinks) > 0 {
		return o.ListDisplayLinks
	}
	return o.displayColumns()[:1]
}

// resolvePath follows "category__name" through foreign keys to the last
// field; rels are the relation fields crossed.
func resolvePath(m *orm.Meta, path string) (*orm.Field, []*orm.Field, error) {
	parts := strings.Split(path, "__")
	var rels []*orm.Field
	for i, name := range parts {
		f := m.Field(name)
		if f == nil {
			return nil, nil, fmt.Errorf("%q is not a field of %s", path, m.Label())
		}
		if i == len(parts)-1 {
			return f, rels, nil
		}
		if f.Rel == nil || f.Rel.To == nil {
			return nil, nil, fmt.Errorf("%q: %s is not a relation", path, name)
		}
		rels = append(rels, f)
		m = f.Rel.To
	}
	return nil, nil, fmt.Errorf("empty field path")
}
