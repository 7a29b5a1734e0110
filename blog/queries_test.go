package blog

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/pageform"
	"github.com/quarry-go/quarry/orm"
)

// queries fetches path, wants a 200 page containing every string in want,
// and returns the statements it ran.
func (s *site) queries(ctx context.Context, path string, want ...string) (int, []string) {
	s.t.Helper()
	qctx, counter := orm.CountQueries(ctx)
	rec := s.get(qctx, path)
	wantStatus(s.t, rec, http.StatusOK)
	wantBody(s.t, rec, want...)
	return counter.Count(), counter.Queries()
}

// sameQueries fails unless the pages small and large, the same page with
// few and with many rows, run as many statements: a query per row would
// show as a difference.
func (s *site) sameQueries(ctx context.Context, small, large string, want ...string) {
	s.t.Helper()
	n, qs := s.queries(ctx, small, want...)
	m, qm := s.queries(ctx, large, want...)
	if n != m {
		s.t.Fatalf("%s ran %d statements, %s ran %d:\n  %s\n---\n  %s", small, n, large, m,
			strings.Join(qs, "\n  "), strings.Join(qm, "\n  "))
	}
	s.t.Logf("%s and %s: %d statements each", small, large, n)
}

// sameSaveQueries posts the forms of the pages small and large back as
// they were served, and fails unless both saves run as many statements.
func (s *site) sameSaveQueries(ctx context.Context, small, large string) {
	s.t.Helper()
	var counts [2]int
	for i, path := range []string{small, large} {
		rec := s.get(ctx, path)
		wantStatus(s.t, rec, http.StatusOK)
		form, err := pageform.Values(rec.Body.String(), "changeform")
		if err != nil {
			s.t.Fatal(err)
		}
		qctx, counter := orm.CountQueries(ctx)
		wantStatus(s.t, s.do(qctx, http.MethodPost, path, form), http.StatusSeeOther)
		counts[i] = counter.Count()
	}
	if counts[0] != counts[1] {
		s.t.Fatalf("saving %s ran %d statements, saving %s ran %d", small, counts[0], large, counts[1])
	}
	s.t.Logf("saving %s and %s: %d statements each", small, large, counts[0])
}

// addComment adds an approved comment by author to p.
func addComment(t *testing.T, ctx context.Context, p *Post, author *auth.User, body string) *Comment {
	t.Helper()
	c := Comments.New()
	c.Post.Set(p)
	c.Author.Set(author)
	c.Body, c.Approved = body, true
	if err := Comments.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPagesQueries: every blog page, and every admin change page of the
// blog's, costs as many statements with many posts, comments and authors
// as with few.
func TestPagesQueries(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		admin := adminSite(t, ctx)
		s := newSite(t)
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		few, many := mustCategory(t, ctx, "Few"), mustCategory(t, ctx, "Many")
		fewTag, manyTag, other := mustTag(t, ctx, "few"), mustTag(t, ctx, "many"), mustTag(t, ctx, "other")
		var fewPosts []*Post
		for i := range 2 {
			p := post(t, ctx, alice, fmt.Sprintf("Few %d", i), func(p *Post) { p.Category.Set(few) })
			if err := p.Tags.Add(ctx, fewTag); err != nil {
				t.Fatal(err)
			}
			fewPosts = append(fewPosts, p)
		}
		addComment(t, ctx, fewPosts[0], alice, "First!")
		addComment(t, ctx, fewPosts[0], bob, "Second.")
		index, _ := s.queries(ctx, "/blog/", "Few 1")
		feed, _ := s.queries(ctx, "/blog/feed/", "Few 1")

		// Thirty posts by thirty authors, and one post with fifty comments
		// by fifty others.
		for i := range 30 {
			p := post(t, ctx, user(t, ctx, fmt.Sprintf("writer%02d", i)), fmt.Sprintf("Many %02d", i), func(p *Post) { p.Category.Set(many) })
			if err := p.Tags.Add(ctx, manyTag, other); err != nil {
				t.Fatal(err)
			}
		}
		busy := post(t, ctx, bob, "Busy", func(p *Post) { p.Category.Set(many) })
		for i := range 50 {
			addComment(t, ctx, busy, user(t, ctx, fmt.Sprintf("reader%02d", i)), fmt.Sprintf("Comment %02d", i))
		}
		for i := range 28 {
			post(t, ctx, bob, fmt.Sprintf("Bob %02d", i))
		}
		for path, was := range map[string]int{"/blog/": index, "/blog/feed/": feed} {
			if n, qs := s.queries(ctx, path); n != was {
				t.Fatalf("%s ran %d statements with 2 posts and %d with 61:\n  %s", path, was, n, strings.Join(qs, "\n  "))
			}
		}
		s.sameQueries(ctx, "/blog/"+fewPosts[0].Slug+"/", "/blog/"+busy.Slug+"/", "comments")
		s.sameQueries(ctx, "/blog/tag/few/", "/blog/tag/many/", "Posts tagged")
		s.sameQueries(ctx, "/blog/category/few/", "/blog/category/many/")
		s.sameQueries(ctx, "/blog/author/alice/", "/blog/author/bob/", "Posts by")

		change := func(model string, pk int64) string { return fmt.Sprintf("/admin/blog/%s/%d/change/", model, pk) }
		admin.sameQueries(ctx, change("post", fewPosts[0].ID), change("post", busy.ID), "comments-TOTAL_FORMS")
		admin.sameQueries(ctx, fmt.Sprintf("/admin/blog/post/%d/delete/", fewPosts[0].ID), fmt.Sprintf("/admin/blog/post/%d/delete/", busy.ID))
		admin.sameSaveQueries(ctx, change("post", fewPosts[0].ID), change("post", busy.ID))
		admin.get(ctx, "/admin/") // shows the saves' messages, which the next pages would save the session for
		rec := admin.get(ctx, change("post", busy.ID))
		wantBody(t, rec, ">reader00<", ">reader49<", "Comment 49", "autocomplete/?inline=comments&amp;field=author")
		refuseBody(t, rec, ">reader00</option>") // the authors are no select
		wantBody(t, admin.get(ctx, "/admin/blog/post/autocomplete/?inline=comments&field=author&term=reader4"), ">reader40<", ">reader49<")

		first, err := Comments.Objects().Filter(orm.Q{"post": fewPosts[0].ID}).OrderBy("id").First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last, err := Comments.Objects().Filter(orm.Q{"post": busy.ID}).OrderBy("-id").First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admin.sameQueries(ctx, change("comment", first.ID), change("comment", last.ID), "autocomplete/?field=post")
		wantBody(t, admin.get(ctx, change("comment", last.ID)), ">reader49<", ">Busy<")
		profile := func(u *auth.User) int64 {
			p, err := Profiles.Objects().Get(ctx, orm.Q{"user": u.ID})
			if err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		admin.sameQueries(ctx, change("profile", profile(alice)), change("profile", profile(bob)), "Profile of ")
		admin.sameQueries(ctx, change("category", few.ID), change("category", many.ID), "Change category")
		admin.sameQueries(ctx, change("tag", fewTag.ID), change("tag", manyTag.ID), "Change tag")
	})
}
