package blog

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
)

// registerAdmin is the blog's admin, as Django's blog/admin.py.
func registerAdmin(s app.Site) {
	site := s.(*admin.Site)
	admin.Register(site, Posts, admin.ModelAdmin[Post]{Options: admin.Options{
		ListDisplay: []string{"title", "author", "category", "is_active", "view_count", "created_at"},
		ListFilter:  []string{"is_active", "category", "created_at"},
		// Not by view count: an index on it would be rewritten on every
		// page view.
		SortableBy:         []string{"title", "author", "category", "created_at"},
		SearchFields:       []string{"@title", "@body"},
		DateHierarchy:      "created_at",
		PrepopulatedFields: map[string][]string{"slug": {"title"}},
		AutocompleteFields: []string{"author"},
		ReadonlyFields:     []string{"view_count"},
		Inlines: []admin.Inline{admin.Tabular(Comments, admin.InlineOptions{
			Fields: []string{"author", "body", "approved"}, Extra: 1, AutocompleteFields: []string{"author"}})},
	}})
	admin.Register(site, Categories, admin.ModelAdmin[Category]{Options: admin.Options{
		ListDisplay:        []string{"name", "slug"},
		SearchFields:       []string{"name"},
		PrepopulatedFields: map[string][]string{"slug": {"name"}},
	}})
	admin.Register(site, Tags, admin.ModelAdmin[Tag]{Options: admin.Options{
		ListDisplay:        []string{"name", "slug"},
		SearchFields:       []string{"name"},
		PrepopulatedFields: map[string][]string{"slug": {"name"}},
	}})
	admin.Register(site, Comments, admin.ModelAdmin[Comment]{
		Options: admin.Options{
			ListDisplay:        []string{"__str__", "post", "author", "approved", "created_at"},
			ListFilter:         []string{"approved", "created_at"},
			SortableBy:         []string{"created_at"},
			SearchFields:       []string{"body", "author__username", "post__title"},
			AutocompleteFields: []string{"post", "author"},
		},
		Actions: []admin.Action[Comment]{{Name: "approve", Label: "Approve selected comments", Run: approveComments}},
	})
	admin.Register(site, Profiles, admin.ModelAdmin[Profile]{Options: admin.Options{
		ListDisplay:         []string{"user", "location", "website"},
		SortableBy:          []string{"user"},
		SearchFields:        []string{"user__username", "location"},
		AutocompleteFields:  []string{"user"},
		StringSelectRelated: []string{"user"}, // Profile.String names its user
	}})
	admin.Register(site, DeletionLogs, admin.ModelAdmin[DeletionLog]{Options: admin.Options{
		ListDisplay:  []string{"title", "model", "object_id", "deleted_at"},
		SortableBy:   []string{"deleted_at"},
		SearchFields: []string{"title"},
	}})
}

// approveComments is the Comment admin's action: one UPDATE.
func approveComments(ctx context.Context, objs []*Comment) (string, error) {
	ids := make([]int64, len(objs))
	for i, c := range objs {
		ids[i] = c.ID
	}
	n, err := Comments.Objects().Filter(orm.Q{"pk__in": ids}).Update(ctx, orm.Values{"approved": true})
	if err != nil {
		return "", err
	}
	if n == 1 {
		return "1 comment was approved.", nil
	}
	return fmt.Sprintf("%d comments were approved.", n), nil
}
