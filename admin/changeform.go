package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

func (s *Site) addPage(r *request) error {
	if err := r.require("add"); err != nil {
		return err
	}
	obj := r.e.model.New()
	fm := r.e.newForm(obj, true, "")
	fields := r.e.allFormFields(true)
	if err := fm.initial(r.ctx, fields); err != nil {
		return err
	}
	// Django fills the add form from the query string: ?category=3.
	for _, ff := range fields {
		if v := r.c.QueryParam(ff.name); v != "" && !ff.readonly && !ff.m2m && ff.method == nil {
			fm.values[ff.name] = v
		}
	}
	sets, err := r.inlineFormsets(nil, true)
	if err != nil {
		return err
	}
	return r.renderForm(http.StatusOK, fm, sets)
}

func (s *Site) changePage(r *request, obj any) error {
	fm := r.e.newForm(obj, false, "")
	if err := fm.initial(r.ctx, r.e.allFormFields(false)); err != nil {
		return err
	}
	sets, err := r.inlineFormsets(r.e.model.PK(obj), r.can("change"))
	if err != nil {
		return err
	}
	return r.renderForm(http.StatusOK, fm, sets)
}

// inlineFormsets are the inlines of a GET that the user may see.
func (r *request) inlineFormsets(parentPK any, parentEditable bool) ([]*formset, error) {
	var out []*formset
	for i := range r.e.opts.Inlines {
		in := &r.e.opts.Inlines[i]
		perms, err := in.perms(r.ctx, r.user, parentEditable)
		if err != nil {
			return nil, err
		}
		if !perms.shown() {
			continue
		}
		fs, err := in.unbound(r.ctx, parentPK, perms)
		if err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, nil
}

func (s *Site) addPost(r *request) error {
	if err := r.require("add"); err != nil {
		return err
	}
	return r.saveForm(r.e.model.New(), true)
}

func (s *Site) changePost(r *request, obj any) error {
	if r.c.FormValue("_saveasnew") != "" {
		// Django's save_as: the form is validated and saved as a new
		// object, which needs the add permission besides the change one.
		if !r.e.opts.SaveAs {
			return echoBadRequest("Save as new is not offered for " + r.e.plural() + ".")
		}
		if err := r.require("add"); err != nil {
			return err
		}
		return r.saveAsNew(obj)
	}
	return r.saveForm(obj, false)
}

// saveAsNew saves the change form of original as a new object, its inline
// rows as new rows of it; original is left as it is.
func (r *request) saveAsNew(original any) error {
	return r.save(r.e.model.New(), true, original)
}

// saveForm binds the posted form (and its inlines) to obj, and saves it
// all in one transaction when everything is valid; otherwise it shows the
// form again with the errors and the user's input.
func (r *request) saveForm(obj any, adding bool) error {
	return r.save(obj, adding, nil)
}

// save is saveForm; asNewOf, when set, is the object whose change form
// was posted with "Save as new" (obj is then a new object).
func (r *request) save(obj any, adding bool, asNewOf any) error {
	c := r.c
	mf, err := c.MultipartForm()
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	get := c.FormValue
	getAll := func(name string) []string {
		params, _ := c.FormParams()
		return params[name]
	}
	fm := r.e.newForm(obj, adding, "")
	fm.page = true
	fm.asNewOf = asNewOf
	if mf != nil {
		for name, fhs := range mf.File {
			if len(fhs) > 0 && fhs[0].Size > 0 {
				fm.files[name] = fhs[0]
			}
		}
	}
	fields := r.e.allFormFields(adding)
	valid, err := fm.bind(r.ctx, fields, get, getAll)
	if err != nil {
		return err
	}
	var parentPK any
	if !adding {
		parentPK = r.e.model.PK(obj)
	}
	var sets []*formset
	for i := range r.e.opts.Inlines {
		in := &r.e.opts.Inlines[i]
		perms, err := in.perms(r.ctx, r.user, true)
		if err != nil {
			return err
		}
		if !perms.shown() {
			continue // not on the form: its inputs, if any, are forged
		}
		fs, ok, err := in.bound(r.ctx, parentPK, perms, asNewOf != nil, get, getAll)
		var ie inputError
		if errors.As(err, &ie) {
			return echo.NewHTTPError(http.StatusBadRequest, ie.Error())
		}
		if err != nil {
			return err
		}
		sets = append(sets, fs)
		valid = valid && ok
	}
	if !valid {
		return r.renderForm(http.StatusOK, fm, sets)
	}
	var saveErr error // the object's own save failed, not an inline's
	err = orm.Atomic(r.ctx, func(ctx context.Context) error {
		if adding {
			saveErr = r.e.save(ctx, obj, true)
		} else if saveErr = fm.lockCurrent(ctx, fields); saveErr == nil {
			saveErr = fm.saveCurrent(ctx)
		}
		if saveErr != nil {
			return saveErr
		}
		if err := fm.saveRelated(ctx, fields); err != nil {
			return err
		}
		pk := r.e.model.PK(obj)
		msg := changeMessage(fm.changed)
		var inlineMsgs []string
		for _, fs := range sets {
			m, err := fs.save(ctx, pk)
			if err != nil {
				return err
			}
			inlineMsgs = append(inlineMsgs, m...)
		}
		if adding {
			return logAction(ctx, r.user, r.e.meta, pk, r.e.model.String(obj), Addition, joinMessages("Added.", inlineMsgs))
		}
		if len(fm.changed) == 0 && len(inlineMsgs) > 0 {
			msg = ""
		}
		return logAction(ctx, r.user, r.e.meta, pk, r.e.model.String(obj), Change, joinMessages(msg, inlineMsgs))
	})
	if err != nil {
		if errors.Is(err, errStale) || fm.integrity(err) || (saveErr != nil && fm.refused(saveErr, fields)) {
			return r.renderForm(http.StatusOK, fm, sets)
		}
		var pe *orm.ProtectedError
		if errors.As(err, &pe) {
			fm.errors[""] = append(fm.errors[""], "A row could not be deleted because other objects still refer to it.")
			return r.renderForm(http.StatusOK, fm, sets)
		}
		return err
	}
	return r.afterSave(obj, adding)
}

func joinMessages(first string, more []string) string {
	out := first
	for _, m := range more {
		if out != "" {
			out += " "
		}
		out += m
	}
	return out
}

// afterSave redirects as Django does for each of the three buttons, with
// its message.
func (r *request) afterSave(obj any, adding bool) error {
	pk := r.e.model.PK(obj)
	link := fmt.Sprintf("The %s “%s” was %s successfully.", r.e.name(), r.e.model.String(obj), map[bool]string{true: "added", false: "changed"}[adding])
	to := r.e.url("")
	switch {
	case r.c.FormValue("_continue") != "" || (r.c.FormValue("_saveasnew") != "" && r.can("change")):
		link += " You may edit it again below."
		to = r.e.objectURL(pk, "change/")
	case r.c.FormValue("_addanother") != "":
		link += fmt.Sprintf(" You may add another %s below.", r.e.name())
		to = r.e.url("add/")
	}
	if err := r.message("success", link); err != nil {
		return err
	}
	return r.redirect(to)
}

// renderForm shows the add or change page of fm's object.
func (r *request) renderForm(status int, fm *form, sets []*formset) error {
	e := r.e
	canChange := r.can("change")
	title := "Add " + e.name()
	if !fm.adding {
		title = "Change " + e.name()
		if !canChange {
			title = "View " + e.name()
		}
	}
	v := ui.ChangeForm{Add: fm.adding, CanSave: fm.adding || canChange, SaveAddOther: r.can("add"), SaveOnTop: e.opts.SaveOnTop}
	if !fm.adding && e.opts.SaveAs && canChange && r.can("add") {
		// Django's save_as: "Save as new" in place of "Save and add another".
		v.SaveAsNew, v.SaveAddOther = true, false
	}
	if fm.asNewOf != nil {
		// A "Save as new" that failed: the new object's form, posting to
		// the original's page again, with "Save as new" its only button.
		v.SaveAsNew, v.OnlySaveAsNew, v.SaveAddOther = true, true, false
		v.Action = e.objectURL(e.model.PK(fm.asNewOf), "change/")
	}
	if !fm.adding {
		v.ObjectName = e.model.String(fm.obj)
		v.HistoryURL = e.objectURL(e.model.PK(fm.obj), "history/")
		v.SiteURL = e.opts.viewOnSite(fm.obj)
		v.Action = e.objectURL(e.model.PK(fm.obj), "change/")
		if r.can("delete") {
			v.DeleteURL = e.objectURL(e.model.PK(fm.obj), "delete/")
		}
	} else if v.Action == "" {
		v.Action = e.url("add/")
	}
	v.Page = r.page(title, r.crumbs()...)
	names := e.fieldsetNames(fm.adding)
	for i, list := range names {
		fields := e.formFields(list, fm.adding)
		if !v.CanSave {
			for j := range fields {
				fields[j].readonly = true
			}
		}
		uf, err := fm.view(r.ctx, fields)
		if err != nil {
			return err
		}
		set := ui.Fieldset{Fields: uf}
		if len(e.opts.Fieldsets) > 0 {
			fs := e.opts.Fieldsets[i]
			set.Name, set.Description, set.Collapsed = fs.Name, fs.Description, fs.Collapsed
		}
		for _, f := range uf {
			if f.Widget == "file" {
				v.Multipart = true
			}
		}
		v.Fieldsets = append(v.Fieldsets, set)
	}
	v.Errors = fm.errors[""]
	v.HasErrors = len(fm.errors) > 0
	for target, sources := range e.opts.PrepopulatedFields {
		if !fm.adding {
			continue // Django prepopulates only new objects
		}
		p := ui.Prepopulated{Target: "id_" + target}
		for _, src := range sources {
			p.Source = append(p.Source, "id_"+src)
		}
		v.Prepopulated = append(v.Prepopulated, p)
	}
	for i, fs := range sets {
		iv, err := fs.view(r.ctx, e.url("inline/"+fs.in.prefix()+"/")+"?index="+strconv.Itoa(i))
		if err != nil {
			return err
		}
		if len(fs.errors) > 0 {
			v.HasErrors = true
		}
		for _, f := range fs.forms {
			if len(f.errors) > 0 {
				v.HasErrors = true
			}
		}
		v.Inlines = append(v.Inlines, iv)
	}
	return r.render(status, ui.ChangeFormPage(v))
}

// inlineRow answers htmx's "Add another" with one more empty row; the
// button sends the inline's current <prefix>-TOTAL_FORMS.
func (s *Site) inlineRow(r *request) error {
	if !r.can("add") && !r.can("change") {
		return r.forbidden()
	}
	prefix := r.c.Param("prefix")
	for i := range r.e.opts.Inlines {
		in := &r.e.opts.Inlines[i]
		if in.prefix() != prefix {
			continue
		}
		perms, err := in.perms(r.ctx, r.user, true)
		if err != nil {
			return err
		}
		if !perms.add {
			return r.forbidden()
		}
		n, err := strconv.Atoi(r.c.QueryParam(prefix + "-TOTAL_FORMS"))
		if err != nil || n < 0 || n >= maxForms || (in.opts.Max > 0 && n >= in.opts.Max) {
			return echoBadRequest("No more rows can be added.")
		}
		fm := in.entry.newForm(in.entry.model.New(), true, in.rowPrefix(n))
		if err := fm.initial(r.ctx, in.fields(true)); err != nil {
			return err
		}
		row, err := fm.inlineRow(r.ctx, in.fields(true))
		if err != nil {
			return err
		}
		iv, err := (&formset{in: in, perms: perms}).view(r.ctx, r.c.Request().URL.Path+"?index="+strconv.Itoa(i))
		if err != nil {
			return err
		}
		iv.Total = n + 1
		if in.opts.Max > 0 && iv.Total >= in.opts.Max {
			iv.AddURL = ""
		}
		return r.render(http.StatusOK, ui.InlineFormRow(iv, row))
	}
	return r.notFound("No such inline.")
}
