package blog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
	pages "github.com/quarry-go/quarry/views/blog"
)

// PerPage is how many posts a list page shows.
const PerPage = 10

// maxQuery bounds the search text: longer input is cut, not refused.
const maxQuery = 200

// Mount registers the blog's public pages on e. They expect the site's
// middleware in front (database, sessions, CSRF, chrome), as cmd/web sets
// it up.
func Mount(e *echo.Echo) {
	e.GET("/blog/", index)
	e.GET("/blog/feed/", feed)
	e.GET("/blog/tag/:slug/", byTag)
	e.GET("/blog/category/:slug/", byCategory)
	e.GET("/blog/author/:username/", byAuthor)
	e.GET("/blog/:slug/", detail)
	e.POST("/blog/:slug/", comment)
}

// index is the newest active posts, or a full-text search across titles
// and bodies with ?q= (web search syntax: every word, "a phrase", -not).
func index(c echo.Context) error {
	qs := PostObjects().Active()
	l := pages.List{Title: "Blog", Empty: "No posts yet."}
	if q := strings.TrimSpace(c.QueryParam("q")); q != "" && auth.Storable(q) {
		if utf8.RuneCountInString(q) > maxQuery {
			q = string([]rune(q)[:maxQuery])
		}
		qs = qs.Filter(orm.Search(orm.SearchVector("title", "body"), orm.SearchQuery(q)))
		l.Title, l.Query = "Search", q
		l.Empty = "No posts match “" + q + "”."
	}
	return list(c, qs, l)
}

func byTag(c echo.Context) error {
	ctx := c.Request().Context()
	if !auth.Storable(c.Param("slug")) {
		return errs.E(errs.NotFound, "No tag here.")
	}
	tag, err := Tags.Objects().Get(ctx, orm.Q{"slug": c.Param("slug")})
	if err != nil {
		return errs.Explain(err, errs.NotFound, "No tag here.")
	}
	return list(c, PostObjects().Active().Filter(orm.Q{"tags": tag.ID}),
		pages.List{Title: "Posts tagged “" + tag.Name + "”", Empty: "No posts with this tag yet."})
}

func byCategory(c echo.Context) error {
	ctx := c.Request().Context()
	if !auth.Storable(c.Param("slug")) {
		return errs.E(errs.NotFound, "No category here.")
	}
	cat, err := Categories.Objects().Get(ctx, orm.Q{"slug": c.Param("slug")})
	if err != nil {
		return errs.Explain(err, errs.NotFound, "No category here.")
	}
	return list(c, PostObjects().Active().Filter(orm.Q{"category": cat.ID}),
		pages.List{Title: cat.Name, Empty: "No posts in this category yet."})
}

// byAuthor is an active author's posts, headed by their count: one query
// that annotates the user, as User.objects.annotate(post_count=Count("posts")).
func byAuthor(c echo.Context) error {
	ctx := c.Request().Context()
	if !auth.Storable(c.Param("username")) {
		return errs.E(errs.NotFound, "No author here.")
	}
	author, err := auth.Users.Objects().
		Filter(orm.Q{"username": c.Param("username"), "is_active": true}).
		Annotate(orm.A{"post_count": orm.Count("posts", orm.Where(orm.Q{"posts__is_active": true}))}).
		Get(ctx)
	if err != nil {
		return errs.Explain(err, errs.NotFound, "No author here.")
	}
	n, err := orm.Annotation[int64](author, "post_count")
	if err != nil {
		return err
	}
	name := author.FullName()
	if name == "" {
		name = author.Username
	}
	return list(c, PostObjects().Active().ByAuthor(author), pages.List{
		Title: "Posts by " + name,
		Intro: fmt.Sprintf("%s has written %d %s.", name, n, plural(n, "post", "posts")),
		Empty: "No posts yet.",
	})
}

// errNoSuchPage answers a page number past a list's last page.
var errNoSuchPage = errs.E(errs.NotFound, "There is no such page.")

// listCountUpTo is where a post list stops counting: past it, the page
// says only that more pages follow.
const listCountUpTo = 1000

// list renders one page of qs, newest first: a count (up to
// listCountUpTo), then the page's posts with their author and category
// joined and their tags prefetched — three queries however many posts the
// page shows, each served by an index on (created_at, id).
func list(c echo.Context, qs PostQS, l pages.List) error {
	ctx := c.Request().Context()
	count, err := orm.CountUpTo(ctx, qs, listCountUpTo)
	if err != nil {
		return err
	}
	page, ok := views.NewPageUpTo(int(count.N), count.AtLeast, PerPage, c.QueryParam("page"), c.QueryParams())
	if !ok {
		return errNoSuchPage
	}
	l.FeedURL = "/blog/feed/"
	if count.N > 0 {
		posts, more, err := views.ReadPage(ctx, Posts.Meta, qs.SelectRelated("author", "category").PrefetchRelated("tags"),
			PostQS.All, listOrder, page.Number, PerPage, c.QueryParams(), count)
		if err != nil {
			return err
		}
		if len(posts) == 0 && page.Number > 1 {
			return errNoSuchPage
		}
		if more {
			page.NumPages = max(page.NumPages, page.Number+1)
		} else if page.Open {
			page.NumPages = max(page.NumPages, page.Number)
		}
		if len(posts) > 0 {
			page.First, page.Last = strconv.FormatInt(posts[0].ID, 10), strconv.FormatInt(posts[len(posts)-1].ID, 10)
		}
		l.Posts = make([]pages.PostCard, len(posts))
		for i, p := range posts {
			if l.Posts[i], err = card(ctx, p); err != nil {
				return err
			}
		}
	}
	l.Page = page
	return views.Render(c, http.StatusOK, pages.ListPage(l))
}

// listOrder is every post list's order, served by the index on
// (created_at, id).
var listOrder = []string{"-created_at", "-pk"}

// card is a post with its author, category and tags already loaded.
func card(ctx context.Context, p *Post) (pages.PostCard, error) {
	pc := pages.PostCard{Title: p.Title, URL: p.AbsoluteURL(), Created: p.CreatedAt, Excerpt: excerpt(p.Body, 240), Views: p.ViewCount}
	if u, ok := p.Author.Cached(); ok {
		pc.Author = pages.Link{Label: u.Username, URL: "/blog/author/" + url.PathEscape(u.Username) + "/"}
	}
	if cat, ok := p.Category.Cached(); ok {
		pc.Category = &pages.Link{Label: cat.Name, URL: "/blog/category/" + url.PathEscape(cat.Slug) + "/"}
	}
	tags, err := p.Tags.All(ctx)
	if err != nil {
		return pc, err
	}
	for _, t := range tags {
		pc.Tags = append(pc.Tags, pages.Link{Label: t.Name, URL: "/blog/tag/" + url.PathEscape(t.Slug) + "/"})
	}
	return pc, nil
}

// activePost is the active post with the URL's slug, with its author and
// category, or a 404.
func activePost(c echo.Context) (*Post, error) {
	if !auth.Storable(c.Param("slug")) {
		return nil, errs.E(errs.NotFound, "No post here.")
	}
	p, err := PostObjects().Active().SelectRelated("author", "category").PrefetchRelated("tags").
		Get(c.Request().Context(), orm.Q{"slug": c.Param("slug")})
	if err != nil {
		return nil, errs.Explain(err, errs.NotFound, "No post here.")
	}
	return p, nil
}

// detail shows a post and its approved comments, and counts the read.
func detail(c echo.Context) error {
	p, err := activePost(c)
	if err != nil {
		return err
	}
	if err := IncrementViews(c.Request().Context(), p); err != nil {
		// The write is not retried, as it may have been applied; a lost
		// count must not cost the reader the post they have just read.
		if !orm.IsUnavailable(err) {
			return err
		}
		slog.WarnContext(c.Request().Context(), "view not counted", "post", p.ID, "error", err)
	}
	d := pages.Detail{Form: pages.CommentForm{}}
	if c.QueryParam("commented") != "" {
		d.Notice = "Thank you: your comment will appear once a moderator approves it."
	}
	return renderDetail(c, p, d, http.StatusOK)
}

// comment adds a signed-in reader's comment to a post, unapproved, and
// sends them back to the post (post/redirect/get).
func comment(c echo.Context) error {
	p, err := activePost(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := auth.UserFrom(ctx)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/accounts/login/?next="+url.QueryEscape(p.AbsoluteURL()))
	}
	body := strings.TrimSpace(c.FormValue("body"))
	if !auth.Storable(body) {
		return renderDetail(c, p, pages.Detail{Form: pages.CommentForm{Errors: []string{"Null characters are not allowed."}}}, http.StatusUnprocessableEntity)
	}
	cm := Comments.New()
	cm.Post.Set(p)
	cm.Author.Set(u)
	cm.Body = body
	if err := Comments.FullClean(ctx, cm); err != nil {
		var verr *orm.ValidationError
		if !errors.As(err, &verr) {
			return err
		}
		d := pages.Detail{Form: pages.CommentForm{Body: body, Errors: verr.Fields["body"]}}
		for field, msgs := range verr.Fields {
			if field != "body" {
				d.Form.Errors = append(d.Form.Errors, msgs...)
			}
		}
		return renderDetail(c, p, d, http.StatusUnprocessableEntity)
	}
	if err := Comments.Save(ctx, cm); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.AbsoluteURL()+"?commented=1#comments")
}

// renderDetail fills in what every rendering of a post's page shows.
func renderDetail(c echo.Context, p *Post, d pages.Detail, status int) error {
	ctx := c.Request().Context()
	var err error
	if d.Post, err = card(ctx, p); err != nil {
		return err
	}
	d.Paragraphs = paragraphs(p.Body)
	d.Updated = p.UpdatedAt
	comments, err := Comments.Objects().Filter(orm.Q{"post": p.ID, "approved": true}).
		SelectRelated("author").OrderBy("created_at").All(ctx)
	if err != nil {
		return err
	}
	for _, cm := range comments {
		name := ""
		if u, ok := cm.Author.Cached(); ok {
			name = u.Username
		}
		d.Comments = append(d.Comments, pages.Comment{Author: name, Body: cm.Body, Created: cm.CreatedAt})
	}
	d.SignedIn = auth.UserFrom(ctx) != nil
	d.LoginURL = "/accounts/login/?next=" + url.QueryEscape(p.AbsoluteURL()+"#comments")
	d.Form.Action = p.AbsoluteURL()
	d.Form.MaxChars = MaxCommentLength
	return views.Render(c, status, pages.DetailPage(d))
}

// paragraphs splits a body at blank lines: the body is plain text, shown
// escaped, never as HTML.
func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// excerpt is the start of s, cut at a word boundary, at most n runes.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
