package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// deleteSelected is the built-in action's name, Django's.
const deleteSelected = "delete_selected"

// maxListed bounds how many objects of one model the confirmation page
// names; the rest are counted.
const maxListed = 100

func (s *Site) deletePage(r *request, obj any) error {
	plan, err := r.e.model.DeletePreview(r.ctx, obj)
	if err != nil {
		return err
	}
	v, err := r.deleteView(plan, []any{obj})
	if err != nil {
		return err
	}
	v.Action = r.e.objectURL(r.e.model.PK(obj), "delete/")
	v.CancelURL = r.e.objectURL(r.e.model.PK(obj), "change/")
	return r.render(http.StatusOK, ui.DeleteConfirmPage(v))
}

func (s *Site) deletePost(r *request, obj any) error {
	repr := r.e.model.String(obj)
	pk := r.e.model.PK(obj)
	blocked := false
	err := orm.Atomic(r.ctx, func(ctx context.Context) error {
		ok, err := r.mayDelete(ctx, obj)
		if err != nil || !ok {
			blocked = !ok
			return err
		}
		if _, err := r.e.model.Delete(ctx, obj); err != nil {
			return err
		}
		return logAction(ctx, r.user, r.e.meta, pk, repr, Deletion, "")
	})
	if blocked || isBlocked(err) {
		// Something came to depend on the object since the page was shown:
		// show the page again, which now explains what blocks it.
		return s.deletePage(r, obj)
	}
	if err != nil {
		return err
	}
	if err := r.message("success", fmt.Sprintf("The %s “%s” was deleted successfully.", r.e.name(), repr)); err != nil {
		return err
	}
	return r.redirect(r.e.url(""))
}

func isBlocked(err error) bool {
	var pe *orm.ProtectedError
	var re *orm.RestrictedError
	return errors.As(err, &pe) || errors.As(err, &re)
}

// mayDelete checks, inside the delete's transaction, that the cascade is
// not blocked and reaches no model the user may not delete.
func (r *request) mayDelete(ctx context.Context, objs ...any) (bool, error) {
	for _, obj := range objs {
		plan, err := r.e.model.DeletePreview(ctx, obj)
		if err != nil {
			return false, err
		}
		if plan.Err() != nil {
			return false, nil
		}
		forbidden, err := r.forbiddenModels(ctx, plan)
		if err != nil || len(forbidden) > 0 {
			return false, err
		}
	}
	return true, nil
}

// forbiddenModels are the models the cascade reaches that the user may not
// delete; Django refuses the delete for them too.
func (r *request) forbiddenModels(ctx context.Context, plan *orm.DeletePlan) ([]string, error) {
	var out []string
	for _, d := range plan.Delete {
		if len(d.PKs) == 0 || d.Model.AutoCreated || d.Model == r.e.meta {
			continue
		}
		if !r.site.Registered(d.Model) {
			continue // Django checks only models the admin manages
		}
		ok, err := auth.HasModelPerm(ctx, r.user, d.Model, "delete")
		if err != nil {
			return nil, err
		}
		if !ok {
			out = append(out, d.Model.VerboseName)
		}
	}
	return out, nil
}

// deleteView describes a delete plan: what goes, what changes, what
// blocks, grouped by model, with links to what the user may change.
func (r *request) deleteView(plan *orm.DeletePlan, objs []any) (ui.DeleteConfirm, error) {
	e := r.e
	title := "Are you sure?"
	v := ui.DeleteConfirm{Page: r.page(title, r.crumbs()...), ModelName: e.name(), ModelPlural: e.meta.VerboseNamePlural}
	for _, obj := range objs {
		v.Objects = append(v.Objects, ui.Link{Label: e.model.String(obj), URL: e.objectURL(e.model.PK(obj), "change/")})
	}
	for _, d := range plan.Delete {
		if len(d.PKs) == 0 || d.Model.AutoCreated {
			continue
		}
		v.Summary = append(v.Summary, ui.Count{Model: capFirst(d.Model.VerboseNamePlural), N: len(d.PKs)})
		g, err := r.group(d.Model, d.PKs)
		if err != nil {
			return v, err
		}
		v.Deleted = append(v.Deleted, g)
	}
	for _, u := range plan.Update {
		if len(u.PKs) == 0 {
			continue
		}
		g, err := r.group(u.Model, u.PKs)
		if err != nil {
			return v, err
		}
		g.Model = capFirst(u.Model.VerboseName) + ": " + u.Field.VerboseName + " will be " + updatedTo(u)
		v.Updated = append(v.Updated, g)
	}
	var blocking []orm.BlockingObject
	if plan.Protected != nil {
		blocking = append(blocking, plan.Protected.Objects...)
	}
	if plan.Restricted != nil {
		blocking = append(blocking, plan.Restricted.Objects...)
	}
	groups, err := r.blockers(blocking)
	if err != nil {
		return v, err
	}
	v.Protected = groups
	v.Forbidden, err = r.forbiddenModels(r.ctx, plan)
	return v, nil
}

func updatedTo(u orm.PlannedUpdate) string {
	switch {
	case u.Rule == orm.SetNull:
		return "emptied"
	case u.Value == nil:
		return "set by its on_delete rule"
	}
	return fmt.Sprintf("set to %v", u.Value)
}

// group loads up to maxListed objects of a model for the page (one query).
func (r *request) group(meta *orm.Meta, pks []any) (ui.Group, error) {
	g := ui.Group{Model: capFirst(meta.VerboseNamePlural)}
	shown := pks[:min(len(pks), maxListed)]
	g.More = len(pks) - len(shown)
	mgr := r.site.labelled(meta)
	if mgr == nil {
		return g, nil
	}
	objs, err := mgr.Filter(orm.Q{"pk__in": shown}).OrderBy("pk").List(r.ctx)
	if err != nil {
		return g, err
	}
	target := r.site.lookup(meta.App, meta.ModelName())
	canChange := false
	if target != nil {
		canChange, err = target.can(r.ctx, r.user, "change")
		if err != nil {
			return g, err
		}
	}
	for _, o := range objs {
		l := ui.Link{Label: meta.VerboseName + ": " + meta.Model().String(o)}
		if canChange {
			l.URL = target.objectURL(meta.Model().PK(o), "change/")
		}
		g.Objects = append(g.Objects, l)
	}
	return g, nil
}

// blockers groups the objects that block a delete by model.
func (r *request) blockers(objs []orm.BlockingObject) ([]ui.Group, error) {
	byModel := map[*orm.Meta][]any{}
	var order []*orm.Meta
	for _, b := range objs {
		if _, ok := byModel[b.Model]; !ok {
			order = append(order, b.Model)
		}
		byModel[b.Model] = append(byModel[b.Model], b.PK)
	}
	var out []ui.Group
	for _, m := range order {
		g, err := r.group(m, byModel[m])
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// deleteSelectedAction is the built-in "Delete selected" action: a
// confirmation page first, then the delete, all or nothing.
func (r *request) deleteSelectedAction(objs []any, keys []string) error {
	if err := r.require("delete"); err != nil {
		return err
	}
	if r.c.FormValue("post") != "yes" {
		plans := make([]*orm.DeletePlan, 0, len(objs))
		for _, obj := range objs {
			p, err := r.e.model.DeletePreview(r.ctx, obj)
			if err != nil {
				return err
			}
			plans = append(plans, p)
		}
		v, err := r.deleteView(mergePlans(plans), objs)
		if err != nil {
			return err
		}
		v.Action, v.CancelURL = r.c.Request().URL.RequestURI(), r.c.Request().URL.RequestURI()
		v.Selected, v.ActionName = keys, deleteSelected
		return r.render(http.StatusOK, ui.DeleteConfirmPage(v))
	}
	blocked := false
	err := orm.Atomic(r.ctx, func(ctx context.Context) error {
		ok, err := r.mayDelete(ctx, objs...)
		if err != nil || !ok {
			blocked = !ok
			return err
		}
		for _, obj := range objs {
			pk, repr := r.e.model.PK(obj), r.e.model.String(obj)
			if _, err := r.e.model.Delete(ctx, obj); err != nil {
				return err
			}
			if err := logAction(ctx, r.user, r.e.meta, pk, repr, Deletion, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if blocked || isBlocked(err) {
		if err := r.message("error", "The selected "+r.e.meta.VerboseNamePlural+" could not be deleted: other objects depend on them or you may not delete what depends on them."); err != nil {
			return err
		}
		return r.redirect(r.c.Request().URL.RequestURI())
	}
	if err != nil {
		return err
	}
	noun := r.e.meta.VerboseNamePlural
	if len(objs) == 1 {
		noun = r.e.name()
	}
	if err := r.message("success", fmt.Sprintf("Successfully deleted %d %s.", len(objs), noun)); err != nil {
		return err
	}
	return r.redirect(r.c.Request().URL.RequestURI())
}

// mergePlans joins the plans of several objects into one page's worth,
// each row once.
func mergePlans(plans []*orm.DeletePlan) *orm.DeletePlan {
	out := &orm.DeletePlan{}
	seen := map[string]bool{}
	add := func(m *orm.Meta, pk any) bool {
		k := m.Label() + "\x00" + fmt.Sprint(pk)
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	var protected, restricted []orm.BlockingObject
	for _, p := range plans {
		for _, d := range p.Delete {
			i := slices.IndexFunc(out.Delete, func(x orm.PlannedDelete) bool { return x.Model == d.Model })
			if i < 0 {
				out.Delete = append(out.Delete, orm.PlannedDelete{Model: d.Model})
				i = len(out.Delete) - 1
			}
			for _, pk := range d.PKs {
				if add(d.Model, pk) {
					out.Delete[i].PKs = append(out.Delete[i].PKs, pk)
				}
			}
		}
		out.Update = append(out.Update, p.Update...)
		if p.Protected != nil {
			protected = append(protected, p.Protected.Objects...)
		}
		if p.Restricted != nil {
			restricted = append(restricted, p.Restricted.Objects...)
		}
	}
	if len(protected) > 0 {
		out.Protected = &orm.ProtectedError{Objects: protected}
	}
	if len(restricted) > 0 {
		out.Restricted = &orm.RestrictedError{Objects: restricted}
	}
	return out
}
