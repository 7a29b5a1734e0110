package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// InlineOptions are an inline's options (Django's InlineModelAdmin).
type InlineOptions struct {
	// FKName is the foreign key to the parent, needed only when the
	// inline model has several.
	FKName string
	// Fields, ReadonlyFields and Exclude shape each row as ModelAdmin's do.
	Fields, ReadonlyFields, Exclude []string
	// AutocompleteFields are the rows' foreign keys chosen by searching,
	// as ModelAdmin's: the widget for a target too large for a select.
	AutocompleteFields []string
	// SelectRelated are relations the rows' query joins besides those it
	// joins by itself, Django's list_select_related for an inline. By
	// itself it joins every foreign key the rows show, with what those
	// objects' String reads (their StringSelectRelated), and what the
	// inline model's own registration's StringSelectRelated names; this
	// is for what none of that reveals, such as a relation the inline
	// model's String reads when it is not registered (an order item's
	// "product").
	SelectRelated []string
	// Extra is how many empty rows are offered: 3 when 0, none when
	// negative. Min and Max bound the number of rows (0: no bound).
	Extra, Min, Max int
	// NoAdd and NoDelete take adding and deleting rows away from every
	// user, whatever their permissions: Django's has_add_permission
	// returning False and can_delete = False, for rows that only the
	// application writes. The form then has no empty rows, no "Add
	// another" and no Delete boxes, and a POST that adds a row anyway is
	// refused while a Delete flag in it is ignored, as they are for a user
	// without the permission.
	NoAdd, NoDelete bool
}

// Inline edits the objects of a related model on the parent's form.
type Inline struct {
	meta    *orm.Meta
	stacked bool
	opts    InlineOptions
	fk      *orm.Field // the child's key to the parent; set by bind
	entry   *entry     // the child model with the inline's field options
}

// Tabular shows the related objects as table rows (Django's TabularInline).
func Tabular[C any](m *orm.Model[C], o InlineOptions) Inline { return Inline{meta: m.Meta, opts: o} }

// Stacked shows each related object as its own block (StackedInline).
func Stacked[C any](m *orm.Model[C], o InlineOptions) Inline {
	return Inline{meta: m.Meta, opts: o, stacked: true}
}

// bind finds the inline's key to parent's model and checks its options.
func (in *Inline) bind(parentEntry *entry) error {
	parent := parentEntry.meta
	for _, f := range in.meta.Fields {
		if f.Rel == nil || f.Rel.To != parent || (in.opts.FKName != "" && f.Name != in.opts.FKName) {
			continue
		}
		if in.fk != nil {
			return fmt.Errorf("inline %s has more than one foreign key to %s: set FKName", in.meta.Label(), parent.Label())
		}
		in.fk = f
	}
	if in.fk == nil {
		return fmt.Errorf("inline %s has no foreign key to %s", in.meta.Label(), parent.Label())
	}
	in.entry = &entry{site: parentEntry.site, meta: in.meta, model: in.meta.Model(), parent: parentEntry, inline: in.prefix(), opts: options{
		Options: Options{Fields: in.opts.Fields, ReadonlyFields: in.opts.ReadonlyFields, AutocompleteFields: in.opts.AutocompleteFields,
			Exclude: append(slices.Clone(in.opts.Exclude), in.fk.Name), EmptyValueDisplay: parentEntry.opts.EmptyValueDisplay},
		Methods: map[string]method{},
	}}
	if err := checkRelations(in.meta, "inline "+in.meta.Label()+" SelectRelated", in.opts.SelectRelated); err != nil {
		return err
	}
	return in.entry.check()
}

func (in *Inline) prefix() string {
	if in.fk.Rel.RelatedName != "" && !strings.HasSuffix(in.fk.Rel.RelatedName, "+") {
		return in.fk.Rel.RelatedName
	}
	return in.meta.ModelName() + "_set"
}

func (in *Inline) extra() int {
	switch {
	case in.opts.Extra < 0:
		return 0
	case in.opts.Extra == 0:
		return 3
	}
	return in.opts.Extra
}

// inlinePerms are what the user may do with an inline's objects: the
// child model's own permissions, as Django's InlineModelAdmin checks them.
// A user who may not change the parent gets none but view.
type inlinePerms struct{ view, add, change, delete bool }

func (in *Inline) perms(ctx context.Context, u *auth.User, parentEditable bool) (inlinePerms, error) {
	var p inlinePerms
	for _, a := range []struct {
		action string
		ok     *bool
	}{{"view", &p.view}, {"add", &p.add}, {"change", &p.change}, {"delete", &p.delete}} {
		ok, err := auth.HasModelPerm(ctx, u, in.meta, a.action)
		if err != nil {
			return p, err
		}
		*a.ok = ok
	}
	p.view = p.view || p.change
	if !parentEditable {
		p.add, p.change, p.delete = false, false, false
	}
	p.add = p.add && !in.opts.NoAdd
	p.delete = p.delete && !in.opts.NoDelete
	return p, nil
}

// shown reports whether the inline is on the form at all.
func (p inlinePerms) shown() bool { return p.view || p.add || p.change || p.delete }

// formset is an inline's rows on one request.
type formset struct {
	in    *Inline
	perms inlinePerms
	// choices are the selects' options, shared by the rows: loaded once
	// per page, not once per row.
	choices map[string][]ui.Option
	forms   []*form
	deleted []bool // per form: the DELETE box was ticked, or a new row was left empty
	initial int    // forms for existing objects
	errors  []string
}

// rowFields are a row's fields, all read-only on an existing row the
// user may not change.
func (fs *formset) rowFields(adding bool) []formField {
	fields := fs.in.fields(adding)
	if !adding && !fs.perms.change {
		for i := range fields {
			fields[i].readonly = true
		}
	}
	return fields
}

// existing loads the parent's related objects with the objects their rows
// name, in one query (and one per many-to-many field).
func (in *Inline) existing(ctx context.Context, parentPK any) ([]any, error) {
	if parentPK == nil {
		return nil, nil
	}
	qs := in.meta.DefaultManager().Filter(orm.Q{in.fk.Name: parentPK})
	if rel := in.selectRelated(); len(rel) > 0 {
		qs = qs.SelectRelated(rel...)
	}
	var m2m []string
	for _, ff := range in.fields(true) {
		if ff.m2m && !ff.readonly {
			m2m = append(m2m, ff.name)
		}
	}
	if len(m2m) > 0 {
		// Each row's chosen keys: one query per field, not per row.
		qs = qs.PrefetchRelated(m2m...)
	}
	return qs.OrderBy("pk").List(ctx)
}

// selectRelated are the rows' joins: SelectRelated, what the inline
// model's String reads, and the relations the rows' fields show.
func (in *Inline) selectRelated() []string {
	out := slices.Clone(in.opts.SelectRelated)
	for _, path := range append(slices.Clone(in.entry.site.labelRelated(in.meta)), in.entry.selectRelated(in.fields(true))...) {
		if !slices.Contains(out, path) {
			out = append(out, path)
		}
	}
	return out
}

// fields are the same on every row, new or not, so a tabular inline's
// columns line up: the add form's fields.
func (in *Inline) fields(bool) []formField {
	return in.entry.allFormFields(true)
}

// unbound is the formset of a GET: the existing rows and Extra empty ones
// (none when the user may not add).
func (in *Inline) unbound(ctx context.Context, parentPK any, perms inlinePerms) (*formset, error) {
	objs, err := in.existing(ctx, parentPK)
	if err != nil {
		return nil, err
	}
	fs := &formset{in: in, perms: perms, initial: len(objs), choices: map[string][]ui.Option{}}
	for i, obj := range objs {
		fm := fs.newForm(obj, false, in.rowPrefix(i))
		if err := fm.initial(ctx, fs.rowFields(false)); err != nil {
			return nil, err
		}
		fs.forms = append(fs.forms, fm)
		fs.deleted = append(fs.deleted, false)
	}
	extra := in.extra()
	if in.opts.Max > 0 {
		extra = min(extra, max(in.opts.Max-len(objs), 0))
	}
	if !perms.add {
		extra = 0
	}
	for range extra {
		fs.addEmpty(ctx)
	}
	return fs, nil
}

func (in *Inline) rowPrefix(i int) string { return in.prefix() + "-" + strconv.Itoa(i) + "-" }

// newForm is a row's form, sharing the formset's choices.
func (fs *formset) newForm(obj any, adding bool, prefix string) *form {
	fm := fs.in.entry.newForm(obj, adding, prefix)
	fm.choices = fs.choices
	return fm
}

func (fs *formset) addEmpty(ctx context.Context) {
	fm := fs.newForm(fs.in.entry.model.New(), true, fs.in.rowPrefix(len(fs.forms)))
	_ = fm.initial(ctx, fs.in.fields(true))
	fs.forms = append(fs.forms, fm)
	fs.deleted = append(fs.deleted, false)
}

// maxForms bounds TOTAL_FORMS, as Django's absolute_max, so a forged
// count cannot make the server build a million forms.
const maxForms = 1000

// bound reads the submitted rows. Rows for existing objects are matched by
// key among the parent's objects only; a new row left empty is skipped.
// What perms do not allow is not done: an existing row the user may not
// change is kept as it is, a Delete box they may not tick is ignored, and
// a new row they may not add is refused.
//
// asNew binds the rows of a "Save as new": every row is a new one (its key
// ignored), except a ticked Delete, which is not copied.
func (in *Inline) bound(ctx context.Context, parentPK any, perms inlinePerms, asNew bool, get func(string) string, getAll func(string) []string) (*formset, bool, error) {
	objs, err := in.existing(ctx, parentPK)
	if err != nil {
		return nil, false, err
	}
	byKey := map[string]any{}
	for _, o := range objs {
		byKey[fmt.Sprint(in.entry.model.PK(o))] = o
	}
	total, err := strconv.Atoi(get(in.prefix() + "-TOTAL_FORMS"))
	if err != nil || total < 0 {
		return nil, false, errManagementForm
	}
	total = min(total, maxForms)
	fs := &formset{in: in, perms: perms, choices: map[string][]ui.Option{}}
	valid := true
	kept := 0
	for i := range total {
		p := in.rowPrefix(i)
		id := get(p + "id")
		if asNew && id != "" {
			if get(p+"DELETE") != "" {
				fs.forms = append(fs.forms, fs.newForm(in.entry.model.New(), true, p))
				fs.deleted = append(fs.deleted, true)
				continue
			}
			id = ""
		}
		obj, adding := byKey[id], false
		if id != "" && obj == nil {
			fs.errors = append(fs.errors, "The inline value did not match the parent instance.")
			valid = false
			// Keep the row's place, so the rows after it keep their numbers.
			fs.forms = append(fs.forms, fs.newForm(in.entry.model.New(), true, p))
			fs.deleted = append(fs.deleted, true)
			continue
		}
		fields := fs.rowFields(obj == nil)
		if obj == nil {
			if !rowFilled(p, fields, get, getAll) {
				// Shown again as it was, neither validated nor saved.
				fm := fs.newForm(in.entry.model.New(), true, p)
				if err := fm.initial(ctx, fields); err != nil {
					return nil, false, err
				}
				fs.forms = append(fs.forms, fm)
				fs.deleted = append(fs.deleted, true)
				continue
			}
			if !perms.add {
				msg := fmt.Sprintf("You do not have permission to add %s.", in.meta.VerboseNamePlural)
				if in.opts.NoAdd {
					msg = fmt.Sprintf("%s cannot be added here.", capFirst(in.meta.VerboseNamePlural))
				}
				fs.errors = append(fs.errors, msg)
				valid = false
				fm := fs.newForm(in.entry.model.New(), true, p)
				fs.forms = append(fs.forms, fm)
				fs.deleted = append(fs.deleted, true)
				continue
			}
			obj, adding = in.entry.model.New(), true
		} else {
			fs.initial++
		}
		fm := fs.newForm(obj, adding, p)
		fm.page = true
		del := get(p+"DELETE") != "" && !adding && perms.delete
		fs.forms = append(fs.forms, fm)
		fs.deleted = append(fs.deleted, del)
		if del || (!adding && !perms.change) {
			if err := fm.initial(ctx, fields); err != nil {
				return nil, false, err
			}
			if !del {
				kept++
			}
			continue
		}
		kept++
		ok, err := fm.bind(ctx, fields, get, getAll)
		if err != nil {
			return nil, false, err
		}
		valid = valid && ok
	}
	if in.opts.Min > 0 && kept < in.opts.Min {
		fs.errors = append(fs.errors, fmt.Sprintf("Please submit at least %d form%s.", in.opts.Min, plural(in.opts.Min)))
		valid = false
	}
	if in.opts.Max > 0 && kept > in.opts.Max {
		fs.errors = append(fs.errors, fmt.Sprintf("Please submit at most %d form%s.", in.opts.Max, plural(in.opts.Max)))
		valid = false
	}
	return fs, valid, nil
}

var errManagementForm = inputError("ManagementForm data is missing or has been tampered with.")

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// rowFilled reports whether a new row has any input, so empty extra rows
// are ignored rather than failing as "required".
func rowFilled(prefix string, fields []formField, get func(string) string, getAll func(string) []string) bool {
	for _, ff := range fields {
		if ff.readonly || ff.method != nil {
			continue
		}
		if ff.m2m {
			if len(getAll(prefix+ff.name)) > 0 {
				return true
			}
			continue
		}
		v := get(prefix + ff.name)
		if ff.f.Kind == orm.KindBoolean {
			// An unticked default: only a box ticked against its default counts.
			def, _ := ff.f.Default().(bool)
			if (v != "") != def {
				return true
			}
			continue
		}
		if strings.TrimSpace(v) != "" && (!ff.f.HasDefault() || v != inputValue(ff.f, ff.f.Default())) {
			return true
		}
	}
	return false
}

// save writes the rows once the parent is saved: new and changed rows
// pointing at it, ticked rows deleted. It returns the history's words, or
// errStale when a changed row was changed by someone else too (every row
// is checked, so that the form shows each such row's errors).
func (fs *formset) save(ctx context.Context, parentPK any) ([]string, error) {
	var msgs []string
	stale := false
	name := fs.in.meta.VerboseName
	for i, fm := range fs.forms {
		model := fs.in.entry.model
		switch {
		case fs.deleted[i]:
			if fm.adding {
				continue
			}
			repr := model.String(fm.obj)
			if _, err := model.Delete(ctx, fm.obj); err != nil {
				return nil, err
			}
			msgs = append(msgs, fmt.Sprintf("Deleted %s “%s”.", name, repr))
		case fm.adding:
			if err := model.Set(fm.obj, fs.in.fk.Name, parentPK); err != nil {
				return nil, err
			}
			if err := model.Save(ctx, fm.obj); err != nil {
				return nil, err
			}
			if err := fm.saveRelated(ctx, fs.rowFields(true)); err != nil {
				return nil, err
			}
			msgs = append(msgs, fmt.Sprintf("Added %s “%s”.", name, model.String(fm.obj)))
		case len(fm.changed) > 0:
			err := fm.lockCurrent(ctx, fs.rowFields(false))
			if errors.Is(err, errStale) {
				stale = true
				continue
			}
			if err != nil {
				return nil, err
			}
			if stale {
				continue // rolled back anyway
			}
			if err := fm.saveCurrent(ctx); err != nil {
				return nil, err
			}
			if err := fm.saveRelated(ctx, fs.rowFields(false)); err != nil {
				return nil, err
			}
			msgs = append(msgs, fmt.Sprintf("Changed %s for %s “%s”.", strings.Join(fm.changed, ", "), name, model.String(fm.obj)))
		}
	}
	if stale {
		return nil, errStale
	}
	return msgs, nil
}

// view renders the formset; addURL is the htmx endpoint for one more row.
func (fs *formset) view(ctx context.Context, addURL string) (ui.Inline, error) {
	in := fs.in
	v := ui.Inline{Name: capFirst(in.meta.VerboseNamePlural), VerboseName: in.meta.VerboseName, Prefix: in.prefix(), Stacked: in.stacked,
		Total: len(fs.forms), Initial: fs.initial, Min: in.opts.Min, Max: in.opts.Max, Errors: fs.errors, CanDelete: fs.perms.delete}
	if v.Max == 0 {
		v.Max = maxForms
	}
	for _, ff := range in.fields(true) {
		if ff.method != nil {
			v.Headers = append(v.Headers, ff.method.label)
		} else {
			v.Headers = append(v.Headers, capFirst(ff.f.VerboseName))
		}
	}
	for i, fm := range fs.forms {
		row, err := fm.inlineRow(ctx, fs.rowFields(fm.adding))
		if err != nil {
			return v, err
		}
		row.Delete = fs.deleted[i] && !fm.adding
		row.CanDelete = row.CanDelete && fs.perms.delete
		v.Forms = append(v.Forms, row)
	}
	if fs.perms.add && (in.opts.Max == 0 || len(fs.forms) < in.opts.Max) {
		v.AddURL = addURL
	}
	return v, nil
}

// inlineRow renders one row of an inline.
func (fm *form) inlineRow(ctx context.Context, fields []formField) (ui.InlineForm, error) {
	row := ui.InlineForm{Prefix: strings.TrimSuffix(fm.prefix, "-"), Errors: fm.errors[""], CanDelete: !fm.adding}
	if !fm.adding {
		row.PK = fmt.Sprint(fm.e.model.PK(fm.obj))
		row.Title = fm.e.model.String(fm.obj)
	}
	fields2, err := fm.view(ctx, fields)
	row.Fields = fields2
	return row, err
}
