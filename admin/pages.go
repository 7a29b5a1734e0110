package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// recentActions is how many of the user's actions the index lists.
const recentActions = 10

func (s *Site) index(r *request) error {
	return s.renderIndex(r, "")
}

// appIndex is the index narrowed to one app: /admin/shop/.
func (s *Site) appIndex(r *request) error {
	return s.renderIndex(r, r.c.Param("app"))
}

func (s *Site) renderIndex(r *request, only string) error {
	v := ui.Index{}
	for _, app := range s.apps() {
		if only != "" && !strings.EqualFold(app[0].meta.App, only) {
			continue
		}
		a := ui.App{Label: capFirst(app[0].meta.App)}
		for _, e := range app {
			l := ui.ModelLink{Name: e.plural()}
			if ok, err := e.can(r.ctx, r.user, "view"); err != nil {
				return err
			} else if ok {
				l.ListURL = e.url("")
				change, err := e.can(r.ctx, r.user, "change")
				if err != nil {
					return err
				}
				l.ViewOnly = !change
			}
			if ok, err := e.can(r.ctx, r.user, "add"); err != nil {
				return err
			} else if ok {
				l.AddURL = e.url("add/")
			}
			if l.ListURL != "" || l.AddURL != "" {
				a.Models = append(a.Models, l)
			}
		}
		views, err := s.viewsOf(r.ctx, r.user, app[0].meta.App)
		if err != nil {
			return err
		}
		a.Models = append(a.Models, views...)
		if len(a.Models) > 0 {
			v.Apps = append(v.Apps, a)
		}
	}
	if only != "" && len(v.Apps) == 0 {
		return r.notFound("No app “" + only + "” is registered, or you may not see it.")
	}
	title := "Site administration"
	crumbs := []ui.Link(nil)
	if only != "" {
		title = capFirst(only) + " administration"
		crumbs = []ui.Link{{Label: "Home", URL: "/admin/"}}
	}
	v.Page = r.page(title, crumbs...)
	entries, err := LogEntries.Objects().Filter(orm.Q{"user": r.user.ID}).OrderBy("-action_time", "-id").Limit(recentActions).All(r.ctx)
	if err != nil {
		return err
	}
	v.Recent = s.logView(r.ctx, entries)
	return r.render(http.StatusOK, ui.IndexPage(v))
}

// logView renders history entries, linking objects that still exist and
// are registered.
func (s *Site) logView(ctx context.Context, entries []*LogEntry) []ui.LogEntry {
	out := make([]ui.LogEntry, 0, len(entries))
	for _, l := range entries {
		v := ui.LogEntry{Time: l.ActionTime.UTC().Format("Jan. 2, 2006, 15:04"), ISOTime: l.ActionTime.UTC().Format("2006-01-02T15:04:05Z"),
			Object: l.ObjectRepr, Message: l.ChangeMessage}
		if u, ok := l.User.Cached(); ok {
			v.User = u.Username
		}
		v.Action = map[int16]string{Addition: "Added", Change: "Changed", Deletion: "Deleted"}[l.ActionFlag]
		if app, model, ok := strings.Cut(l.ContentType, "."); ok {
			if e := s.lookup(app, model); e != nil {
				v.Model = capFirst(e.name())
				if l.ActionFlag != Deletion {
					v.ObjectURL = e.url(url.PathEscape(l.ObjectID) + "/change/")
				}
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Site) history(r *request, obj any) error {
	entries, err := LogEntries.Objects().SelectRelated("user").
		Filter(orm.Q{"content_type": auth.ContentType(r.e.meta), "object_id": fmt.Sprint(r.e.model.PK(obj))}).
		OrderBy("action_time", "id").All(r.ctx)
	if err != nil {
		return err
	}
	repr := r.e.model.String(obj)
	v := ui.History{Page: r.page("Change history: "+repr, r.crumbs(ui.Link{Label: repr, URL: r.e.objectURL(r.e.model.PK(obj), "change/")})...),
		Entries: s.logView(r.ctx, entries)}
	return r.render(http.StatusOK, ui.HistoryPage(v))
}

// actions are the change list's actions the user may run: "Delete
// selected" first, then the admin's own.
func (cl *changeList) actions() []action {
	var out []action
	if cl.r.can("delete") {
		out = append(out, action{name: deleteSelected, label: "Delete selected " + cl.e.meta.VerboseNamePlural, perm: "delete"})
	}
	for _, a := range cl.e.opts.Actions {
		if cl.r.can(a.perm) {
			out = append(out, a)
		}
	}
	return out
}

// changeListPost runs a bulk action on the selected rows, or saves the
// list_editable rows.
func (s *Site) changeListPost(r *request) error {
	if err := r.require("view"); err != nil {
		return err
	}
	cl, err := r.newChangeList(r.c.QueryParams())
	if err != nil {
		return err
	}
	back := r.c.Request().URL.RequestURI()
	if r.c.FormValue("_save") != "" && len(r.e.opts.ListEditable) > 0 {
		return cl.saveEditable()
	}
	name := r.c.FormValue("action")
	var act *action
	for _, a := range cl.actions() {
		if a.name == name {
			act = &a
		}
	}
	if act == nil {
		if err := r.message("warning", "No action selected."); err != nil {
			return err
		}
		return r.redirect(back)
	}
	if err := r.require(act.perm); err != nil {
		return err
	}
	params, err := r.c.FormParams()
	if err != nil {
		return err
	}
	keys := params["_selected_action"]
	qs := cl.qs
	if r.c.FormValue("select_across") != "1" {
		if len(keys) == 0 {
			if err := r.message("warning", "Items must be selected in order to perform actions on them. No items have been changed."); err != nil {
				return err
			}
			return r.redirect(back)
		}
		pks := make([]any, 0, len(keys))
		for _, k := range keys {
			if pk, err := parseKey(r.e.meta.PK, k); err == nil {
				pks = append(pks, pk)
			}
		}
		qs = qs.Filter(orm.Q{"pk__in": pks})
	}
	objs, err := qs.OrderBy("pk").List(r.ctx)
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		if err := r.message("warning", "Items must be selected in order to perform actions on them. No items have been changed."); err != nil {
			return err
		}
		return r.redirect(back)
	}
	if act.name == deleteSelected {
		return r.deleteSelectedAction(objs, keys)
	}
	var msg string
	err = orm.Atomic(r.ctx, func(ctx context.Context) error {
		var err error
		msg, err = act.run(ctx, objs)
		return err
	})
	if err != nil {
		var ve *orm.ValidationError
		if !errors.As(err, &ve) {
			var ae ActionError
			if !errors.As(err, &ae) {
				return err
			}
		}
		if err := r.message("error", err.Error()); err != nil {
			return err
		}
		return r.redirect(back)
	}
	if msg != "" {
		if err := r.message("success", msg); err != nil {
			return err
		}
	}
	return r.redirect(back)
}

// ActionError is an action's refusal, shown to the user as it is; any
// other error from an action is a server error.
type ActionError string

func (e ActionError) Error() string { return string(e) }

// saveEditable saves the list_editable inputs of the page's rows, all or
// none: Django's changelist formset.
func (cl *changeList) saveEditable() error {
	r, e := cl.r, cl.e
	if err := r.require("change"); err != nil {
		return err
	}
	total, err := strconv.Atoi(r.c.FormValue("form-TOTAL_FORMS"))
	if err != nil || total < 0 {
		return echoBadRequest("ManagementForm data is missing or has been tampered with.")
	}
	total = min(total, maxForms)
	keys := make([]any, 0, total)
	for i := range total {
		if pk, err := parseKey(e.meta.PK, r.c.FormValue("form-"+strconv.Itoa(i)+"-id")); err == nil {
			keys = append(keys, pk)
		}
	}
	// Saved in key order, so that two list saves (or a SaveModel that
	// locks rows) take their locks in one order and cannot deadlock.
	objs, err := cl.qs.Filter(orm.Q{"pk__in": keys}).OrderBy("pk").List(r.ctx)
	if err != nil {
		return err
	}
	byKey := map[string]any{}
	for _, o := range objs {
		byKey[fmt.Sprint(e.model.PK(o))] = o
	}
	fields := e.formFields(e.opts.ListEditable, false)
	params, _ := r.c.FormParams()
	forms := map[string]*form{}
	exists := map[string]bool{} // related keys found, checked once for all rows
	valid := true
	for i := range total {
		p := "form-" + strconv.Itoa(i) + "-"
		obj := byKey[r.c.FormValue(p+"id")]
		if obj == nil {
			continue // deleted or filtered out since the page was shown
		}
		fm := e.newForm(obj, false, p)
		fm.exists, fm.page = exists, true
		ok, err := fm.bind(r.ctx, fields, r.c.FormValue, func(n string) []string { return params[n] })
		if err != nil {
			return err
		}
		valid = valid && ok
		forms[fmt.Sprint(e.model.PK(obj))] = fm
	}
	if !valid {
		v, err := cl.view(r.ctx, forms, []string{"Please correct the errors below."})
		if err != nil {
			return err
		}
		return r.render(http.StatusOK, ui.ChangeListPage(v))
	}
	changed := 0
	var failed *form
	err = orm.Atomic(r.ctx, func(ctx context.Context) error {
		var edited []*form
		for _, obj := range objs {
			if fm := forms[fmt.Sprint(e.model.PK(obj))]; fm != nil && len(fm.changed) > 0 {
				edited = append(edited, fm)
			}
		}
		// Every edited row is locked and checked before any is saved, so
		// that a refusal shows each row someone else changed meanwhile.
		stale := false
		for _, fm := range edited {
			err := fm.lockCurrent(ctx, fields)
			if errors.Is(err, errStale) {
				stale = true
			} else if err != nil {
				return err
			}
		}
		if stale {
			return errStale
		}
		for _, fm := range edited {
			failed = fm
			if err := fm.saveCurrent(ctx); err != nil {
				return err
			}
			changed++
			if err := logAction(ctx, r.user, e.meta, e.model.PK(fm.obj), e.model.String(fm.obj), Change, changeMessage(fm.changed)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		top := []string{"Please correct the errors below."}
		switch {
		case errors.Is(err, errStale):
			// Rows changed or deleted by someone else meanwhile: nothing
			// was saved; the errors are on those rows, or above the list
			// for a row that is gone.
			for _, obj := range objs {
				if fm := forms[fmt.Sprint(e.model.PK(obj))]; fm != nil {
					top = append(top, fm.errors[""]...)
				}
			}
		case failed == nil || !(failed.integrity(err) || failed.refused(err, fields)):
			return err
		default:
			// A row the database or SaveModel refused: everything was
			// rolled back; its errors are shown on it, or above the list
			// when they are not about its editable columns.
			top = append(top, failed.errors[""]...)
		}
		v, verr := cl.view(r.ctx, forms, top)
		if verr != nil {
			return verr
		}
		return r.render(http.StatusOK, ui.ChangeListPage(v))
	}
	noun := e.meta.VerboseNamePlural
	if changed == 1 {
		noun = e.name()
	}
	msg := fmt.Sprintf("%d %s was changed successfully.", changed, noun)
	if changed != 1 {
		msg = fmt.Sprintf("%d %s were changed successfully.", changed, noun)
	}
	if err := r.message("success", msg); err != nil {
		return err
	}
	return r.redirect(r.c.Request().URL.RequestURI())
}
