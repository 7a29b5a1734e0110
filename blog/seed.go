package blog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// SeedOptions say how much demo content Seed makes.
type SeedOptions struct {
	Posts int // posts in all, the hand-written ones included
	// Progress, when set, is told how many of the posts exist so far.
	Progress func(done, total int)
}

// seedBatch is how many posts one BulkCreate statement inserts.
const seedBatch = 1000

// taggedPosts bounds how many generated posts get tags: tags are added
// one post at a time, and the tag pages need only a few.
const taggedPosts = 300

// Seed fills the blog with demo authors, categories, tags, posts and
// comments. It is idempotent: what exists (by username, slug) is kept, and
// running it again with the same options adds nothing.
func Seed(ctx context.Context, opt SeedOptions) error {
	authors, err := seedAuthors(ctx)
	if err != nil {
		return err
	}
	cats, err := seedBySlug(ctx, Categories, []string{"Django", "Go", "Databases", "Web"},
		func(name, slug string) *Category { return &Category{Name: name, Slug: slug} },
		func(c *Category) string { return c.Slug })
	if err != nil {
		return err
	}
	tags, err := seedBySlug(ctx, Tags, []string{"orm", "sql", "performance", "tutorial", "postgresql", "sqlite"},
		func(name, slug string) *Tag { return &Tag{Name: name, Slug: slug} },
		func(t *Tag) string { return t.Slug })
	if err != nil {
		return err
	}

	existing, err := orm.Flat[string](ctx, Posts.Objects().Filter(orm.Q{"slug__startswith": "demo-"}), "slug")
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(existing))
	for _, s := range existing {
		have[s] = true
	}
	report := func(done int) {
		if opt.Progress != nil {
			opt.Progress(done, opt.Posts)
		}
	}
	done := 0
	var batch []*Post
	var created []*Post
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := Posts.Objects().BulkCreate(ctx, batch, seedBatch); err != nil {
			return err
		}
		if len(created) < taggedPosts {
			created = append(created, batch[:min(len(batch), taggedPosts-len(created))]...)
		}
		done += len(batch)
		report(done)
		batch = batch[:0]
		return nil
	}
	for i := range opt.Posts {
		p := demoPost(i, authors, cats)
		if have[p.Slug] {
			done++
			continue
		}
		batch = append(batch, p)
		if len(batch) == seedBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	report(done)
	return seedExtras(ctx, created, authors, tags)
}

// seedExtras tags the new posts, comments on the first ones, and spreads
// their dates over the past weeks so the lists look lived in.
func seedExtras(ctx context.Context, posts []*Post, authors []*auth.User, tags []*Tag) error {
	now := time.Now().UTC()
	for i, p := range posts {
		var pick []*Tag
		for j, t := range tags {
			if (i+j)%3 == 0 {
				pick = append(pick, t)
			}
		}
		if err := p.Tags.Add(ctx, pick...); err != nil {
			return err
		}
		if _, err := Posts.Objects().Filter(orm.Q{"pk": p.ID}).
			Update(ctx, orm.Values{"created_at": now.Add(-time.Duration(len(posts)-i) * 7 * time.Hour)}); err != nil {
			return err
		}
		if i >= 20 {
			continue
		}
		for j := range 2 {
			c := Comments.New()
			c.Post.Set(p)
			c.Author.Set(authors[(i+j+1)%len(authors)])
			c.Body = []string{"Thanks, this cleared it up for me.", "Does this work on SQLite as well?"}[j]
			c.Approved = j == 0 || i%2 == 0
			if err := Comments.Save(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func seedAuthors(ctx context.Context) ([]*auth.User, error) {
	var out []*auth.User
	for _, a := range []struct{ username, first, last string }{
		{"alice", "Alice", "Liddell"}, {"bob", "Bob", "Marley"}, {"carol", "Carol", "Danvers"},
	} {
		u, err := auth.Users.Objects().Get(ctx, orm.Q{"username": a.username})
		if err != nil && !errors.Is(err, orm.ErrDoesNotExist) {
			return nil, err
		}
		if err != nil {
			// No usable password: demo authors exist to own posts, and
			// nobody can sign in as them.
			if u, err = auth.CreateUser(ctx, a.username, a.username+"@example.com", ""); err != nil {
				return nil, err
			}
			u.FirstName, u.LastName = a.first, a.last
			if err := auth.Users.Save(ctx, u, orm.UpdateFields("first_name", "last_name")); err != nil {
				return nil, err
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// seedBySlug returns the rows named names, making those that are missing.
func seedBySlug[T any](ctx context.Context, m *orm.Model[T], names []string, newRow func(name, slug string) *T, slugOf func(*T) string) ([]*T, error) {
	slugs := make([]string, len(names))
	for i, n := range names {
		slugs[i] = strings.ToLower(n)
	}
	rows, err := m.Objects().Filter(orm.Q{"slug__in": slugs}).All(ctx)
	if err != nil {
		return nil, err
	}
	bySlug := map[string]*T{}
	for _, r := range rows {
		bySlug[slugOf(r)] = r
	}
	out := make([]*T, len(names))
	for i, n := range names {
		if r, ok := bySlug[slugs[i]]; ok {
			out[i] = r
			continue
		}
		out[i] = newRow(n, slugs[i])
		if err := m.Save(ctx, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

var demoTopics = []struct{ title, body string }{
	{"Getting started with Quarry", "Quarry brings Django's ORM to Go: models declared once drive the schema, the migrations and the admin.\n\nThis post walks through defining a model and querying it."},
	{"QuerySets are lazy", "A QuerySet does nothing until you ask for rows. Chain Filter, Exclude and OrderBy freely; only All, Get, Count and friends touch the database."},
	{"The N+1 problem and SelectRelated", "Looping over posts and loading each author costs one query per post. SelectRelated joins the author in, and the page costs one query."},
	{"PrefetchRelated for tags", "Many-to-many relations cannot be joined without multiplying rows. PrefetchRelated loads all the tags of a page of posts in one more query."},
	{"F expressions: no lost updates", "UPDATE blog_post SET view_count = view_count + 1 is atomic. Reading the count into Go and saving it back is not."},
	{"Q objects for search", "Or, And and Not combine conditions. A search box across titles and bodies is one Or of two icontains lookups."},
	{"Aggregates and annotations", "Annotate adds a value per row, Aggregate one value for the whole set. Count the posts of every author in one query."},
	{"Transactions and savepoints", "orm.Atomic runs a function in a transaction that travels in the context; a nested Atomic is a savepoint."},
	{"Signals, used sparingly", "A post_save receiver that creates a profile is handy. Business logic belongs in services, where it can be read and tested."},
	{"Migrations without surprises", "makemigrations diffs the models against the recorded state and writes a goose migration for each engine."},
	{"SQLite in development, PostgreSQL in production", "The same tests run on both engines, so the embedded default behaves like production."},
	{"Indexes that pay for themselves", "Index what you filter and sort on. A composite index on (is_active, -created_at) serves the blog's front page."},
}

// demoPost is the i-th demo post: the hand-written topics first, then
// numbered notes.
func demoPost(i int, authors []*auth.User, cats []*Category) *Post {
	p := Posts.New()
	if i < len(demoTopics) {
		p.Title, p.Body = demoTopics[i].title, demoTopics[i].body
	} else {
		p.Title = fmt.Sprintf("Field notes #%d", i-len(demoTopics)+1)
		p.Body = fmt.Sprintf("Notes from day %d of building with Quarry.\n\nQuerySets, relations and migrations, one small step at a time.", i)
	}
	p.Slug = fmt.Sprintf("demo-%d", i+1)
	p.Author.Set(authors[i%len(authors)])
	if i%5 != 4 {
		p.Category.Set(cats[i%len(cats)])
	}
	p.ViewCount = int32((i * 37) % 1500)
	p.IsActive = i%11 != 10
	return p
}
