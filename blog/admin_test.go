package blog

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// adminSite is the admin the blog registers with, signed in as a
// superuser.
func adminSite(t *testing.T, ctx context.Context) *site {
	t.Helper()
	if err := auth.SyncPermissions(ctx); err != nil {
		t.Fatal(err)
	}
	boss := user(t, ctx, "boss")
	boss.IsStaff, boss.IsSuperuser = true, true
	if err := auth.Users.Save(ctx, boss); err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	admin.Default.Mount(e)
	s := &site{t: t, e: e, jar: newSite(t).jar, formPage: "/admin/"}
	s.login(ctx, boss)
	return s
}

// TestBlogAdmin: the Post admin lists in a constant number of queries, its
// form has the prepopulated slug, the tags multi-select and the comments
// inline, and the Comment admin's action approves in one UPDATE.
func TestBlogAdmin(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		s := adminSite(t, ctx)
		alice := user(t, ctx, "alice")
		news := mustCategory(t, ctx, "News")
		mustTag(t, ctx, "orm")

		// The change list costs the same with 3 posts as with 15.
		list := func() int {
			t.Helper()
			qctx, counter := orm.CountQueries(ctx)
			wantStatus(t, s.get(qctx, "/admin/blog/post/"), http.StatusOK)
			return counter.Count()
		}
		for i := range 3 {
			post(t, ctx, alice, fmt.Sprintf("Post %d", i), func(p *Post) { p.Category.Set(news) })
		}
		few := list()
		for i := 3; i < 15; i++ {
			post(t, ctx, alice, fmt.Sprintf("Post %d", i), func(p *Post) { p.Category.Set(news) })
		}
		if many := list(); many != few {
			t.Fatalf("the change list ran %d queries for 15 posts and %d for 3", many, few)
		}

		// Titles and bodies are searched full-text: whole words, any form.
		rec := s.get(ctx, "/admin/blog/post/?is_active__exact=1&q=posts+12")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, "Post 12")
		refuseBody(t, rec, "Post 1<", "Post 11")

		rec = s.get(ctx, "/admin/blog/post/add/")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, `data-prepopulated=`, `<select multiple`, `name="tags"`, `comments-TOTAL_FORMS`, "View count")

		p := post(t, ctx, alice, "Commented")
		var ids []string
		for i := range 3 {
			c := Comments.New()
			c.Post.Set(p)
			c.Author.Set(alice)
			c.Body = fmt.Sprintf("comment %d", i)
			if err := Comments.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
			if i < 2 {
				ids = append(ids, strconv.FormatInt(c.ID, 10))
			}
		}
		rec = s.post(ctx, "/admin/blog/comment/", url.Values{"action": {"approve"}, "_selected_action": ids})
		wantStatus(t, rec, http.StatusSeeOther)
		if n, _ := Comments.Objects().Filter(orm.Q{"approved": true}).Count(ctx); n != 2 {
			t.Fatalf("%d comments approved, want 2", n)
		}
		wantBody(t, s.get(ctx, rec.Header().Get("Location")), "2 comments were approved.")
	})
}
