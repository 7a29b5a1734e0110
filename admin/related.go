package admin

import (
	"slices"

	"github.com/quarry-go/quarry/orm"
)

// labelRelated are the relations the String of meta's objects reads: its
// registration's StringSelectRelated, none for a model not registered.
func (s *Site) labelRelated(meta *orm.Meta) []string {
	if s == nil {
		return nil
	}
	if e := s.lookup(meta.App, meta.ModelName()); e != nil {
		return e.opts.StringSelectRelated
	}
	return nil
}

// labelled is meta's default manager loading, with each object, what its
// String reads: the query for objects the admin names.
func (s *Site) labelled(meta *orm.Meta) orm.Manager {
	qs := meta.DefaultManager()
	if rel := s.labelRelated(meta); len(rel) > 0 && qs != nil {
		qs = qs.SelectRelated(rel...)
	}
	return qs
}

// selectRelated are the joins that load, with an object of e, the related
// objects its form names: every foreign key among fields, each with what
// its target's String reads, and what e's own String reads. A page of
// such objects then costs the same whatever their number.
func (e *entry) selectRelated(fields []formField) []string {
	out := slices.Clone(e.opts.StringSelectRelated)
	add := func(path string) {
		if !slices.Contains(out, path) {
			out = append(out, path)
		}
	}
	for _, ff := range fields {
		if ff.method != nil || ff.m2m || ff.f.Rel == nil || ff.f.Rel.To == nil {
			continue
		}
		add(ff.name)
		for _, rel := range e.site.labelRelated(ff.f.Rel.To) {
			add(ff.name + "__" + rel)
		}
	}
	return out
}
