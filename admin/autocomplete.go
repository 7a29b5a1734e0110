package admin

import (
	"fmt"
	"net/http"
	"slices"

	ui "github.com/quarry-go/quarry/views/admin"
)

// autocompleteLimit is how many matches one answer lists.
const autocompleteLimit = 20

// autocomplete answers an autocomplete widget (htmx): the objects of a
// foreign key's target whose search fields match term. The field is the
// model's, or with inline=<prefix> the rows' of that inline. The target
// must be registered with SearchFields, as Django requires, and the user
// must be allowed to use the form the widget is on and to view the target.
func (s *Site) autocomplete(r *request) error {
	if !r.can("add") && !r.can("change") {
		return r.forbidden()
	}
	e := r.e
	if prefix := r.c.QueryParam("inline"); prefix != "" {
		i := slices.IndexFunc(e.opts.Inlines, func(in Inline) bool { return in.prefix() == prefix })
		if i < 0 {
			return echoBadRequest("No inline “" + prefix + "”.")
		}
		in := &e.opts.Inlines[i]
		perms, err := in.perms(r.ctx, r.user, true)
		if err != nil {
			return err
		}
		if !perms.add && !perms.change {
			return r.forbidden()
		}
		e = in.entry
	}
	name := r.c.QueryParam("field")
	f := e.meta.Field(name)
	if f == nil || f.Rel == nil || !slices.Contains(e.opts.AutocompleteFields, name) {
		return echoBadRequest("No autocomplete field “" + name + "”.")
	}
	target := s.lookup(f.Rel.To.App, f.Rel.To.ModelName())
	if target == nil || len(target.opts.SearchFields) == 0 {
		return echoBadRequest("The target of “" + name + "” has no search fields.")
	}
	// The answers are the target's objects: listing them is viewing them.
	if ok, err := target.can(r.ctx, r.user, "view"); err != nil {
		return err
	} else if !ok {
		return r.forbidden()
	}
	qs := s.labelled(target.meta)
	if term := boundSearch(r.c.QueryParam("term")); term != "" {
		qs = qs.Filter(searchCond(target.opts.SearchFields, term))
	}
	cl := &changeList{e: target}
	objs, err := qs.OrderBy(cl.ordering()...).Limit(autocompleteLimit + 1).List(r.ctx)
	if err != nil {
		return err
	}
	v := ui.Options{Field: "id_" + name, More: len(objs) > autocompleteLimit}
	for _, o := range objs[:min(len(objs), autocompleteLimit)] {
		v.Options = append(v.Options, ui.Option{Value: fmt.Sprint(target.model.PK(o)), Label: target.model.String(o)})
	}
	return r.render(http.StatusOK, ui.AutocompleteOptions(v))
}
