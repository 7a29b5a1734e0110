package admin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// formField is one entry of a model's form: a model field, a
// many-to-many field, or a read-only Method.
type formField struct {
	name     string
	f        *orm.Field // the field; for a many-to-many, its Field
	m2m      bool
	readonly bool
	method   *method
}

// fieldsetNames lists the field names of each fieldset: Fieldsets, Fields,
// or every editable field (with read-only and non-editable ones shown on
// a change form), minus Exclude.
func (e *entry) fieldsetNames(adding bool) [][]string {
	o := e.opts
	if len(o.Fieldsets) > 0 {
		out := make([][]string, len(o.Fieldsets))
		for i, fs := range o.Fieldsets {
			out[i] = e.without(fs.Fields)
		}
		return out
	}
	if len(o.Fields) > 0 {
		return [][]string{e.without(o.Fields)}
	}
	var names []string
	for _, f := range e.meta.Fields {
		if f.PrimaryKey && f.Kind == orm.KindAuto {
			continue
		}
		if f.Editable || (!adding && !f.PrimaryKey) || slices.Contains(o.ReadonlyFields, f.Name) {
			names = append(names, f.Name)
		}
	}
	for _, f := range e.meta.ManyToMany {
		if f.Editable && f.Rel.Through != nil && f.Rel.Through.AutoCreated {
			names = append(names, f.Name)
		}
	}
	for _, name := range o.ReadonlyFields {
		if _, ok := o.Methods[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return [][]string{e.without(names)}
}

func (e *entry) without(names []string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(e.opts.Exclude, n) })
}

// formFields resolves names to form fields; adding decides whether
// non-editable fields are left out (add) or shown read-only (change).
func (e *entry) formFields(names []string, adding bool) []formField {
	var out []formField
	for _, name := range names {
		ff := formField{name: name, readonly: slices.Contains(e.opts.ReadonlyFields, name)}
		if m, ok := e.opts.Methods[name]; ok {
			ff.method, ff.readonly = &m, true
		} else if f := e.meta.Field(name); f != nil {
			ff.f = f
			if !f.Editable || f.Kind == orm.KindUUID {
				if adding && !ff.readonly {
					continue
				}
				ff.readonly = true
			}
		} else if i := slices.IndexFunc(e.meta.ManyToMany, func(f *orm.Field) bool { return f.Name == name }); i >= 0 {
			ff.f, ff.m2m = e.meta.ManyToMany[i], true
		} else {
			continue
		}
		out = append(out, ff)
	}
	return out
}

// allFormFields is every form field of the add or change form, in order.
func (e *entry) allFormFields(adding bool) []formField {
	var out []formField
	for _, names := range e.fieldsetNames(adding) {
		out = append(out, e.formFields(names, adding)...)
	}
	return out
}

// form is a bound or unbound model form: its fields' inputs and errors.
type form struct {
	e       *entry
	adding  bool
	obj     any
	prefix  string              // "" for the main form, "comments-0-" for an inline row
	values  map[string]string   // the submitted (or initial) text by field name
	multi   map[string][]string // the selected keys of many-to-many fields
	errors  map[string][]string // by field name; "" for the whole form
	changed []string            // verbose names of changed fields, for the history
	files   map[string]*multipart.FileHeader
	choices map[string][]ui.Option // the options of selects, loaded once per form
	// exists, when set, remembers the related keys found to exist, so
	// the rows of one CSV import look each key up once.
	exists map[string]bool
	// changedFields are the names of the fields the user changed: on an
	// existing object, only these are written back (see write.go).
	changedFields []string
	// initials are the values the page showed an existing object's fields
	// with (initialMulti: the keys of many-to-many fields), by name: the
	// object's own on a GET; on a POST the page's initial-<name> inputs,
	// or the object's values where a request sent none (an older page, a
	// script), which compares the input with the database as Django's
	// forms without show_hidden_initial do.
	initials     map[string]string
	initialMulti map[string][]string
	// page is set on forms bound from an admin page, which sends the
	// initial-<name> inputs; a CSV row has none to read.
	page bool
	// asNewOf is the object whose change form was posted with "Save as
	// new", when this form adds its copy.
	asNewOf any
}

func (e *entry) newForm(obj any, adding bool, prefix string) *form {
	return &form{e: e, adding: adding, obj: obj, prefix: prefix, values: map[string]string{},
		multi: map[string][]string{}, errors: map[string][]string{}, files: map[string]*multipart.FileHeader{},
		choices: map[string][]ui.Option{}, initials: map[string]string{}, initialMulti: map[string][]string{}}
}

// initial fills the form's inputs from its object.
func (fm *form) initial(ctx context.Context, fields []formField) error {
	for _, ff := range fields {
		if ff.method != nil || ff.readonly {
			continue
		}
		if ff.m2m {
			if fm.adding {
				continue
			}
			keys, err := fm.e.model.RelatedKeys(ctx, fm.obj, ff.name)
			if err != nil {
				return err
			}
			fm.multi[ff.name] = keyStrings(keys)
			fm.initialMulti[ff.name] = fm.multi[ff.name]
			continue
		}
		if fm.adding && !ff.f.HasDefault() && ff.f.Kind != orm.KindBoolean {
			// A new object's zero value is not a choice the user made: an
			// empty input lets "required" and untouched inline rows work.
			continue
		}
		v, err := fm.e.model.Get(fm.obj, ff.name)
		if err != nil {
			return err
		}
		fm.values[ff.name] = inputValue(ff.f, v)
		if !fm.adding {
			fm.initials[ff.name] = fm.values[ff.name]
		}
	}
	return nil
}

// bind reads the submitted inputs into the form's object and validates it:
// conversion errors first, then the model's own validation (FullClean)
// for the fields on the form. It reports whether the form is valid.
//
// On an existing object a field counts as changed when its input differs
// from the value the page showed (Django's has_changed), and only changed
// fields are set on the object: the others keep the database's values,
// whatever the page showed.
func (fm *form) bind(ctx context.Context, fields []formField, get func(string) string, getAll func(string) []string) (bool, error) {
	var onForm []string
	for _, ff := range fields {
		if ff.readonly || ff.method != nil {
			continue
		}
		onForm = append(onForm, ff.name)
		key := fm.prefix + ff.name
		shown, hasShown := fm.shown(key, getAll)
		if ff.m2m {
			raw := fm.rawID(ff) && fm.page
			if raw {
				// RawIDFields: the keys typed in one input, "3, 7" (a CSV
				// row gives them as any many-to-many cell).
				fm.multi[ff.name] = splitKeys(get(key))
				fm.values[ff.name] = get(key)
			} else {
				fm.multi[ff.name] = slices.DeleteFunc(getAll(key), func(s string) bool { return s == "" })
			}
			if len(fm.multi[ff.name]) == 0 && !ff.f.Blank {
				fm.errors[ff.name] = append(fm.errors[ff.name], string(errRequired))
			}
			if fm.adding {
				continue
			}
			if hasShown {
				if raw {
					shown = splitKeys(shown[0])
				}
				fm.initialMulti[ff.name] = slices.DeleteFunc(shown, func(s string) bool { return s == "" })
				continue
			}
			keys, err := fm.e.model.RelatedKeys(ctx, fm.obj, ff.name)
			if err != nil {
				return false, err
			}
			fm.initialMulti[ff.name] = keyStrings(keys)
			continue
		}
		before, _ := fm.e.model.Get(fm.obj, ff.name)
		if !fm.adding {
			fm.initials[ff.name] = inputValue(ff.f, before)
			if hasShown {
				fm.initials[ff.name] = shown[0]
			}
		}
		if ff.f.Kind == orm.KindFile || ff.f.Kind == orm.KindImage {
			// A file changes only by an upload or a clear (Django's
			// ClearableFileInput), never by both at once.
			clear := get(key+"-clear") != "" && ff.f.Blank
			if fh := fm.files[ff.name]; fh != nil {
				if clear {
					fm.errors[ff.name] = append(fm.errors[ff.name], string(errFileContradiction))
					continue
				}
				if err := fm.saveFile(ctx, ff, fh); err != nil {
					fm.errors[ff.name] = append(fm.errors[ff.name], err.Error())
				}
				continue
			}
			if clear {
				_ = fm.e.model.Set(fm.obj, ff.name, emptyValue(ff.f))
				fm.markChanged(ff)
			}
			if v, _ := fm.e.model.Get(fm.obj, ff.name); inputValue(ff.f, v) == "" && !ff.f.Blank {
				fm.errors[ff.name] = append(fm.errors[ff.name], string(errRequired))
			}
			continue
		}
		raw := get(key)
		fm.values[ff.name] = raw
		v, err := parseInput(ff.f, raw)
		var ie inputError
		if errors.As(err, &ie) {
			fm.errors[ff.name] = append(fm.errors[ff.name], ie.Error())
			continue
		}
		if err != nil {
			return false, err
		}
		if !fm.adding && canon(ff.f, raw) == canon(ff.f, fm.initials[ff.name]) {
			continue
		}
		if err := fm.e.model.Set(fm.obj, ff.name, v); err != nil {
			fm.errors[ff.name] = append(fm.errors[ff.name], "Enter a valid value.")
			continue
		}
		after, _ := fm.e.model.Get(fm.obj, ff.name)
		if !fm.adding || inputValue(ff.f, before) != inputValue(ff.f, after) {
			fm.markChanged(ff)
		}
	}
	if err := fm.checkRelations(ctx, fields); err != nil {
		return false, err
	}
	var exclude []string
	for _, f := range fm.e.meta.Fields {
		if !slices.Contains(onForm, f.Name) || len(fm.errors[f.Name]) > 0 {
			exclude = append(exclude, f.Name)
		}
	}
	err := fm.e.model.FullClean(ctx, fm.obj, exclude...)
	var verr *orm.ValidationError
	if errors.As(err, &verr) {
		for name, msgs := range verr.Fields {
			if name == orm.NonFieldErrors {
				name = ""
			}
			fm.errors[name] = append(fm.errors[name], msgs...)
		}
	} else if err != nil {
		return false, err
	}
	if len(fm.errors) > 0 {
		return false, nil
	}
	for _, ff := range fields {
		if ff.m2m && !ff.readonly && !fm.adding && !sameSet(fm.initialMulti[ff.name], fm.multi[ff.name]) {
			fm.markChanged(ff)
		}
	}
	return true, nil
}

// shown is what the page's initial-<key> inputs held; ok is false when the
// request sent none, or the form is not an existing object's on a page.
func (fm *form) shown(key string, getAll func(string) []string) (vals []string, ok bool) {
	if !fm.page || fm.adding {
		return nil, false
	}
	vals = getAll("initial-" + key)
	return vals, len(vals) > 0
}

// rawID reports whether ff is one of RawIDFields: typed as keys.
func (fm *form) rawID(ff formField) bool {
	return ff.f != nil && ff.f.Rel != nil && slices.Contains(fm.e.opts.RawIDFields, ff.name)
}

// splitKeys reads the keys of a many-to-many field typed as "3, 7".
func splitKeys(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

func (fm *form) markChanged(ff formField) {
	fm.changed = append(fm.changed, ff.f.VerboseName)
	fm.changedFields = append(fm.changedFields, ff.name)
}

func keyStrings(keys []any) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprint(k)
	}
	return out
}

// checkRelations verifies that chosen foreign keys and many-to-many keys
// exist, one query per relation, with Django's message when one does not.
// A key an existing object already holds is not looked up: unchanged, it
// is not written, so an inline's unchanged rows cost nothing here.
func (fm *form) checkRelations(ctx context.Context, fields []formField) error {
	for _, ff := range fields {
		if ff.readonly || ff.method != nil || ff.f.Rel == nil || len(fm.errors[ff.name]) > 0 {
			continue
		}
		var keys []string
		if ff.m2m {
			keys = fm.multi[ff.name]
			if !fm.adding && sameSet(keys, fm.initialMulti[ff.name]) {
				continue
			}
		} else if v := strings.TrimSpace(fm.values[ff.name]); v != "" {
			keys = []string{v}
			if !fm.adding && !slices.Contains(fm.changedFields, ff.name) {
				continue
			}
		}
		if len(keys) == 0 {
			continue
		}
		to := ff.f.Rel.To
		keys = slices.DeleteFunc(uniq(keys), func(k string) bool { return fm.exists[ff.name+"\x00"+k] })
		if len(keys) == 0 {
			continue
		}
		parsed := make([]any, 0, len(keys))
		bad := ""
		for _, k := range keys {
			v, err := parseKey(to.PK, k)
			if err != nil {
				bad = k
				break
			}
			parsed = append(parsed, v)
		}
		if bad == "" {
			n, err := to.DefaultManager().Filter(orm.Q{"pk__in": parsed}).Count(ctx)
			if err != nil {
				return err
			}
			if int(n) != len(keys) {
				bad = "?"
			} else if fm.exists != nil {
				for _, k := range keys {
					fm.exists[ff.name+"\x00"+k] = true
				}
			}
		}
		if bad != "" {
			msg := "Select a valid choice. That choice is not one of the available choices."
			if ff.m2m && bad != "?" {
				msg = fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", bad)
			}
			fm.errors[ff.name] = append(fm.errors[ff.name], msg)
		}
	}
	return nil
}

func uniq(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func sameSet(a, b []string) bool { return slices.Equal(uniq(a), uniq(b)) }

// saveRelated stores the many-to-many choices once the object is saved.
func (fm *form) saveRelated(ctx context.Context, fields []formField) error {
	for _, ff := range fields {
		if !ff.m2m || ff.readonly || (!fm.adding && !slices.Contains(fm.changedFields, ff.name)) {
			continue // an unchanged set is left as the database has it
		}
		keys := make([]any, len(fm.multi[ff.name]))
		for i, k := range fm.multi[ff.name] {
			keys[i] = k
		}
		if err := fm.e.model.SetRelated(ctx, fm.obj, ff.name, keys); err != nil {
			return err
		}
	}
	return nil
}

// integrity turns a violation the database found into Django's form
// error: a unique one a concurrent insert slipped past FullClean, or a
// check constraint, which FullClean leaves to the database (worded as
// Django's validate_constraints words it).
func (fm *form) integrity(err error) bool {
	var ie *orm.IntegrityError
	if !errors.As(err, &ie) {
		return false
	}
	if ie.Kind == "check" && ie.Constraint != "" {
		fm.errors[""] = append(fm.errors[""], "Constraint “"+ie.Constraint+"” is violated.")
		return true
	}
	if ie.Kind != "unique" {
		return false
	}
	label, field := "field", ""
	if len(ie.Fields) == 1 {
		field = ie.Fields[0]
		if f := fm.e.meta.Field(field); f != nil {
			label = f.VerboseName
		}
	}
	fm.errors[field] = append(fm.errors[field], fmt.Sprintf("%s with this %s already exists.", capFirst(fm.e.name()), label))
	return true
}

// refused turns a *orm.ValidationError from saving the form's object
// (SaveModel's refusal) into the form's errors: beside a field the form
// edits, else at the top, where they are seen. It reports whether err was
// one.
func (fm *form) refused(err error, fields []formField) bool {
	var verr *orm.ValidationError
	if !errors.As(err, &verr) {
		return false
	}
	for name, msgs := range verr.Fields {
		onForm := slices.ContainsFunc(fields, func(ff formField) bool { return ff.name == name && !ff.readonly && ff.method == nil })
		if !onForm {
			name = ""
		}
		fm.errors[name] = append(fm.errors[name], msgs...)
	}
	return true
}

// view renders the form's fields for the template.
func (fm *form) view(ctx context.Context, fields []formField) ([]ui.Field, error) {
	out := make([]ui.Field, 0, len(fields))
	for _, ff := range fields {
		uf, err := fm.field(ctx, ff)
		if err != nil {
			return nil, err
		}
		out = append(out, uf)
	}
	return out, nil
}

func (fm *form) field(ctx context.Context, ff formField) (ui.Field, error) {
	name := fm.prefix + ff.name
	uf := ui.Field{Name: name, ID: "id_" + name, Errors: fm.errors[ff.name]}
	if ff.method != nil {
		uf.Label, uf.Widget, uf.ReadOnly = ff.method.label, "readonly", true
		v := ff.method.value(fm.obj)
		text, ok := methodText(v)
		uf.Value = text
		if !ok {
			uf.Value = fm.e.opts.EmptyValueDisplay
		}
		if l, isLinked := v.(Linked); isLinked && ok {
			for _, s := range l {
				uf.Parts = append(uf.Parts, ui.TextPart{Text: s.Text, URL: s.URL})
			}
		}
		return uf, nil
	}
	f := ff.f
	uf.Label, uf.HelpText = capFirst(f.VerboseName), f.HelpText
	if ff.readonly {
		uf.Widget, uf.ReadOnly = "readonly", true
		uf.Value = fm.e.opts.EmptyValueDisplay
		if ff.m2m {
			return uf, nil
		}
		v, err := fm.e.model.Get(fm.obj, ff.name)
		if err != nil {
			return uf, err
		}
		if f.Rel != nil && v != nil {
			label, ok, err := fm.relatedLabel(ctx, f, v)
			if err != nil {
				return uf, err
			}
			if ok {
				v = label
			}
		}
		if text, ok := displayText(f, v); ok {
			uf.Value = text
		}
		return uf, nil
	}
	uf.Required = !f.Blank && f.Kind != orm.KindBoolean
	uf.Value = fm.values[ff.name]
	if !fm.adding {
		uf.ShowInitial, uf.Initial, uf.Initials = true, fm.initials[ff.name], fm.initialMulti[ff.name]
	}
	switch {
	case fm.rawID(ff) && ff.m2m:
		// Django's ManyToManyRawIdWidget: the keys, with no names, so that
		// the form loads none of the related rows.
		uf.Widget, uf.Value = "autocomplete", strings.Join(fm.multi[ff.name], ",")
		if typed, ok := fm.values[ff.name]; ok {
			uf.Value = typed // as the user typed it, on a form shown again
		}
		uf.LookupURL = fm.lookupURL(f)
		if !fm.adding {
			uf.Initial = strings.Join(fm.initialMulti[ff.name], ",")
		}
	case fm.rawID(ff):
		uf.LookupURL = fm.lookupURL(f)
		return uf, fm.rawIDInput(ctx, f, &uf)
	case ff.m2m:
		uf.Widget, uf.Values = "select-multiple", fm.multi[ff.name]
		switch {
		case slices.Contains(fm.e.opts.FilterHorizontal, f.Name):
			uf.Filter = "horizontal"
		case slices.Contains(fm.e.opts.FilterVertical, f.Name):
			uf.Filter = "vertical"
		}
		opts, err := fm.options(ctx, f)
		if err != nil {
			return uf, err
		}
		uf.Choices = selectOptions(opts, uf.Values)
	case f.Rel != nil && slices.Contains(fm.e.opts.AutocompleteFields, f.Name):
		uf.AutocompleteURL = fm.e.autocompleteURL(f.Name)
		return uf, fm.rawIDInput(ctx, f, &uf)
	case f.Rel != nil:
		opts, err := fm.options(ctx, f)
		if err != nil {
			return uf, err
		}
		if opts == nil {
			return uf, fm.rawIDInput(ctx, f, &uf)
		}
		if orient, ok := fm.e.opts.RadioFields[f.Name]; ok {
			// Django's radio_fields: "None" for a key that may be empty.
			if f.Blank {
				opts = append([]ui.Option{{Value: "", Label: "None"}}, opts...)
			}
			uf.Widget, uf.Horizontal = "radio", orient == Horizontal
			uf.Choices = selectOptions(opts, []string{uf.Value})
			return uf, nil
		}
		uf.Widget = "select"
		uf.Choices = selectOptions(append([]ui.Option{{Value: "", Label: "---------"}}, opts...), []string{uf.Value})
	case len(f.Choices) > 0 && fm.e.opts.RadioFields[f.Name] != 0:
		uf.Widget, uf.Horizontal = "radio", fm.e.opts.RadioFields[f.Name] == Horizontal
		var opts []ui.Option
		if f.Blank {
			opts = append(opts, ui.Option{Value: "", Label: "None"})
		}
		for _, c := range f.Choices {
			opts = append(opts, ui.Option{Value: fmt.Sprint(c.Value), Label: c.Label})
		}
		uf.Choices = selectOptions(opts, []string{uf.Value})
	default:
		fieldInput(f, &uf)
		if uf.Widget == "file" {
			if uf.Value != "" {
				file := orm.File{Name: uf.Value}
				uf.FileURL = file.URL()
				if f.Kind == orm.KindImage {
					uf.PreviewURL = file.ThumbnailURL()
				}
				uf.Clearable = f.Blank
			}
			uf.Required = uf.Required && uf.Value == ""
		}
	}
	return uf, nil
}

// fieldInput makes uf the input of a field that is not a relation, from
// what the field says of its values, as Django's Field.formfield(): a
// select of its choices (selecting uf.Value), or its kind's widget with
// the field's limits, a text's max length, an integer's range, a
// decimal's places as the step.
func fieldInput(f *orm.Field, uf *ui.Field) {
	if len(f.Choices) > 0 {
		uf.Widget = "select"
		var opts []ui.Option
		if f.Blank || !f.HasDefault() {
			opts = append(opts, ui.Option{Value: "", Label: "---------"})
		}
		for _, c := range f.Choices {
			opts = append(opts, ui.Option{Value: fmt.Sprint(c.Value), Label: c.Label})
		}
		uf.Choices = selectOptions(opts, []string{uf.Value})
		return
	}
	uf.Widget = widgetOf(f)
	switch uf.Widget {
	case "text", "email", "url":
		uf.MaxLength = f.MaxLength
	case "number":
		uf.Step = "1"
		switch {
		case f.Kind == orm.KindFloat:
			uf.Step = "any"
		case f.Kind == orm.KindDecimal && f.MaxDigits == 0 && f.DecimalPlaces == 0:
			uf.Step = "any" // a numeric without a precision: any places
		case f.Kind == orm.KindDecimal:
			uf.Step = decimal.New(1, -int32(f.DecimalPlaces)).String()
		}
		// A 64-bit bound is the parser's own, which a browser's number
		// cannot hold exactly: only a narrower one is written.
		if lo, hi, ok := f.IntRange(); ok {
			if lo != math.MinInt64 {
				uf.Min = strconv.FormatInt(lo, 10)
			}
			if hi != math.MaxInt64 {
				uf.Max = strconv.FormatInt(hi, 10)
			}
		}
	}
}

// lookupURL is the change list of the related model of f, where a key
// typed in a RawIDFields input is looked up; "" when it is not registered.
func (fm *form) lookupURL(f *orm.Field) string {
	to := f.Rel.To
	if e := fm.e.site.lookup(to.App, to.ModelName()); e != nil {
		return e.url("")
	}
	return ""
}

// rawIDInput makes uf the key's text input with the chosen object's name
// beside it (Django's raw_id_fields), which an AutocompleteURL turns into
// a search.
func (fm *form) rawIDInput(ctx context.Context, f *orm.Field, uf *ui.Field) error {
	uf.Widget = "autocomplete"
	if uf.Value == "" {
		return nil
	}
	uf.Display = uf.Value
	pk, err := parseKey(f.Rel.To.PK, uf.Value)
	if err != nil {
		return nil
	}
	label, ok, err := fm.relatedLabel(ctx, f, pk)
	if ok {
		uf.Display = label
	}
	return err
}

// relatedLabel names the object the relation f points at with key pk:
// the one loaded with the form's object (its select_related), or else
// fetched, in one query. ok is false when there is none.
func (fm *form) relatedLabel(ctx context.Context, f *orm.Field, pk any) (label string, ok bool, err error) {
	to := f.Rel.To.Model()
	if rel := fm.e.model.Related(fm.obj, f.Name); rel != nil && fmt.Sprint(to.PK(rel)) == fmt.Sprint(pk) {
		return to.String(rel), true, nil
	}
	rel, err := fm.e.site.labelled(f.Rel.To).Get(ctx, orm.Q{"pk": pk})
	if errors.Is(err, orm.ErrDoesNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return to.String(rel), true, nil
}

// maxSelectOptions is the most objects a foreign key's select lists. A
// target with more is chosen by its key (rawID) instead: a select of a
// catalogue of a million products would load the table on every page.
const maxSelectOptions = 1000

// options lists the objects a relation may point at, loaded once per form
// (or per inline, its rows sharing fm.choices); nil when a foreign key's
// target has more than maxSelectOptions.
func (fm *form) options(ctx context.Context, f *orm.Field) ([]ui.Option, error) {
	if opts, ok := fm.choices[f.Name]; ok {
		return opts, nil
	}
	to := f.Rel.To
	qs := fm.e.site.labelled(to)
	if f.Kind != orm.KindManyToMany {
		qs = qs.Limit(maxSelectOptions + 1)
	}
	objs, err := qs.List(ctx)
	if err != nil {
		return nil, err
	}
	if f.Kind != orm.KindManyToMany && len(objs) > maxSelectOptions {
		fm.choices[f.Name] = nil
		return nil, nil
	}
	opts := make([]ui.Option, len(objs))
	for i, o := range objs {
		m := to.Model()
		opts[i] = ui.Option{Value: fmt.Sprint(m.PK(o)), Label: m.String(o)}
	}
	fm.choices[f.Name] = opts
	return opts, nil
}

func selectOptions(opts []ui.Option, selected []string) []ui.Option {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = slices.Contains(selected, out[i].Value)
	}
	return out
}

// widgetOf is the input for a field without choices or relations.
func widgetOf(f *orm.Field) string {
	switch f.Kind {
	case orm.KindText:
		return "textarea"
	case orm.KindEmail:
		return "email"
	case orm.KindURL:
		return "url"
	case orm.KindAuto, orm.KindInteger, orm.KindBigInteger, orm.KindSmallInteger, orm.KindPositiveInteger,
		orm.KindPositiveSmallInteger, orm.KindFloat, orm.KindDecimal:
		return "number"
	case orm.KindBoolean:
		return "checkbox"
	case orm.KindDate:
		return "date"
	case orm.KindDateTime:
		return "datetime-local"
	case orm.KindTime:
		return "time"
	case orm.KindJSON:
		return "json"
	case orm.KindFile, orm.KindImage:
		return "file"
	case orm.KindUUID:
		return "readonly"
	}
	return "text"
}

// methodText formats a Method's value.
func methodText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case bool:
		if x {
			return "Yes", true
		}
		return "No", true
	case string:
		return x, x != ""
	case fmt.Stringer:
		return x.String(), true
	case int:
		return strconv.Itoa(x), true
	}
	return displayText(nil, v)
}

// saveFile stores an uploaded file for a File or Image field.
func (fm *form) saveFile(ctx context.Context, ff formField, fh *multipart.FileHeader) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fm.e.model.SaveFile(ctx, fm.obj, ff.name, fh.Filename, f); err != nil {
		if errors.Is(err, orm.ErrNotImage) {
			return inputError(err.Error())
		}
		return inputError("The submitted file could not be saved.")
	}
	fm.markChanged(ff)
	return nil
}
