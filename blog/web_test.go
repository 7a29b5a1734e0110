package blog

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/webtest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// site is the blog behind the site's middleware, driven through
// ServeHTTP so that each request runs on the test's context (its database
// and its query counter).
type site struct {
	t        *testing.T
	e        *echo.Echo
	jar      *cookiejar.Jar
	formPage string // a page that sets the CSRF cookie
}

var siteURL, _ = url.Parse("http://blog.test/")

func newSite(t *testing.T) *site {
	e := echo.New()
	e.HTTPErrorHandler = webtest.ErrorHandler
	e.Use((&auth.Store{}).Sessions(), auth.CSRF(false), auth.Chrome())
	Mount(e)
	jar, _ := cookiejar.New(nil)
	return &site{t: t, e: e, jar: jar, formPage: "/blog/"}
}

func (s *site) do(ctx context.Context, method, path string, form url.Values) *httptest.ResponseRecorder {
	s.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req = req.WithContext(ctx)
	for _, c := range s.jar.Cookies(siteURL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	s.jar.SetCookies(siteURL, rec.Result().Cookies())
	return rec
}

func (s *site) get(ctx context.Context, path string) *httptest.ResponseRecorder {
	s.t.Helper()
	return s.do(ctx, http.MethodGet, path, nil)
}

// post sends form with the CSRF token the page's form carries.
func (s *site) post(ctx context.Context, path string, form url.Values) *httptest.ResponseRecorder {
	s.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		s.get(ctx, s.formPage)
		for _, c := range s.jar.Cookies(siteURL) {
			if c.Name == "csrftoken" {
				form.Set("_csrf", c.Value)
			}
		}
	}
	return s.do(ctx, http.MethodPost, path, form)
}

// login signs u in as auth's login view would, through the session cookie.
func (s *site) login(ctx context.Context, u *auth.User) {
	s.t.Helper()
	store := &auth.Store{}
	sess, err := store.Load(ctx, "")
	if err != nil {
		s.t.Fatal(err)
	}
	if err := store.Login(ctx, sess, u); err != nil {
		s.t.Fatal(err)
	}
	s.jar.SetCookies(siteURL, []*http.Cookie{auth.Cookie(sess, false)})
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status %d, want %d\n%s", rec.Code, want, rec.Body)
	}
}

func wantBody(t *testing.T, rec *httptest.ResponseRecorder, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(rec.Body.String(), w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func refuseBody(t *testing.T, rec *httptest.ResponseRecorder, refuse ...string) {
	t.Helper()
	for _, r := range refuse {
		if strings.Contains(rec.Body.String(), r) {
			t.Errorf("page shows %q", r)
		}
	}
}

func TestIndexPaginatesInConstantQueries(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		golang := mustCategory(t, ctx, "Go")
		tags := []*Tag{mustTag(t, ctx, "orm"), mustTag(t, ctx, "sql")}
		start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		for i := range 25 {
			author := alice
			if i%2 == 1 {
				author = bob
			}
			p := post(t, ctx, author, fmt.Sprintf("Post %02d", i), func(p *Post) {
				if i%3 == 0 {
					p.Category.Set(golang)
				}
			})
			backdate(t, ctx, p, start.Add(time.Duration(i)*time.Hour))
			if err := p.Tags.Add(ctx, tags[:i%3]...); err != nil {
				t.Fatal(err)
			}
		}
		post(t, ctx, alice, "Hidden draft", func(p *Post) { p.IsActive = false })

		s := newSite(t)
		// A count, the page's posts with author and category joined, and
		// one query for all their tags: 3 for page 1 and page 3 alike.
		for _, tc := range []struct {
			path  string
			first string
			last  string
			n     int
		}{
			{"/blog/", "Post 24", "Post 15", 10},
			{"/blog/?page=3", "Post 04", "Post 00", 5},
		} {
			var rec *httptest.ResponseRecorder
			ormtest.AssertNumQueries(t, ctx, 3, func(ctx context.Context) {
				rec = s.get(ctx, tc.path)
			})
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			if got := strings.Count(body, `class="post-card"`); got != tc.n {
				t.Errorf("%s shows %d posts, want %d", tc.path, got, tc.n)
			}
			if i, j := strings.Index(body, tc.first), strings.Index(body, tc.last); i < 0 || j < i {
				t.Errorf("%s: want %q first and %q last, newest first", tc.path, tc.first, tc.last)
			}
			refuseBody(t, rec, "Hidden draft")
		}
		rec := s.get(ctx, "/blog/?page=2")
		wantBody(t, rec, "Page 2 of 3", `href="?after=`+postID(t, ctx, "Post 05")+`&amp;page=3"`, `href="?"`, `href="/blog/author/bob/"`,
			`href="/blog/category/go/"`, `href="/blog/tag/orm/"`, "#sql")
		// Next names the page's last post, and the next page is read from
		// it: one query more (that post's date), however deep the page.
		after := "/blog/?page=3&after=" + postID(t, ctx, "Post 05")
		ormtest.AssertNumQueries(t, ctx, 4, func(ctx context.Context) {
			rec = s.get(ctx, after)
		})
		wantBody(t, rec, "Page 3 of 3", "Post 04", "Post 00", `href="?before=`+postID(t, ctx, "Post 04")+`&amp;page=2"`)
		refuseBody(t, rec, "Post 05")
		rec = s.get(ctx, "/blog/?page=2&before="+postID(t, ctx, "Post 04"))
		wantBody(t, rec, "Page 2 of 3", "Post 14", "Post 05", `href="?"`)
		refuseBody(t, rec, "Post 15", "Post 04")

		for _, bad := range []string{"/blog/?page=4", "/blog/?page=0", "/blog/?page=x"} {
			wantStatus(t, s.get(ctx, bad), http.StatusNotFound)
		}
	})
}

// A long blog stops counting at a thousand posts, and its pages go on
// past that to the real end.
func TestIndexCountsUpToABound(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice := user(t, ctx, "alice")
		posts := make([]*Post, 1005)
		for i := range posts {
			p := Posts.New()
			p.Title, p.Slug, p.Body, p.Author.ID = fmt.Sprintf("Post %04d", i), fmt.Sprintf("post-%04d", i), "Body.", alice.ID
			posts[i] = p
		}
		if err := Posts.Objects().BulkCreate(ctx, posts, 0); err != nil {
			t.Fatal(err)
		}
		s := newSite(t)
		rec := s.get(ctx, "/blog/")
		wantBody(t, rec, "Page 1<", `href="?after=`+fmt.Sprint(posts[995].ID)+`&amp;page=2"`)
		refuseBody(t, rec, "Page 1 of")
		// Page 100 is the last the count knows, and a next one follows;
		// page 101 holds the last five posts, the oldest first created.
		wantBody(t, s.get(ctx, "/blog/?page=100"), `href="?after=`+fmt.Sprint(posts[5].ID)+`&amp;page=101"`)
		rec = s.get(ctx, "/blog/?page=101")
		wantBody(t, rec, "Post 0004", "Post 0000")
		refuseBody(t, rec, `rel="next"`, "Post 0005")
		wantStatus(t, s.get(ctx, "/blog/?page=102"), http.StatusNotFound)
	})
}

// postID is the key of the post titled title, as a link carries it.
func postID(t *testing.T, ctx context.Context, title string) string {
	t.Helper()
	p, err := Posts.Objects().Get(ctx, orm.Q{"title": title})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(p.ID)
}

func TestSearch(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice := user(t, ctx, "alice")
		post(t, ctx, alice, "Learning Django")
		post(t, ctx, alice, "Go generics", func(p *Post) { p.Body = "Why DJANGO users like Go" })
		post(t, ctx, alice, "Gardening")
		post(t, ctx, alice, "Django drafts", func(p *Post) { p.IsActive = false })
		post(t, ctx, alice, "100% coverage_")
		s := newSite(t)
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"django", []string{"Learning Django", "Go generics"}},
			{"  GARDEN ", []string{"Gardening"}},
			{"gardens", []string{"Gardening"}}, // other forms of the word
			{"django -generics", []string{"Learning Django"}},
			{`"users like"`, []string{"Go generics"}},
			{"100%", []string{"100% coverage_"}},
			{"%", nil}, // punctuation is no word
			{"_", nil},
			{"' OR 1=1 --", nil},
			{"<script>alert(1)</script>", nil},
			{strings.Repeat("é", 5000), nil},
			{"a\x00b", []string{"Learning Django", "Go generics", "Gardening", "100% coverage_"}},
			{"\xff\xfe", []string{"Learning Django", "Go generics", "Gardening", "100% coverage_"}},
		} {
			rec := s.get(ctx, "/blog/?q="+url.QueryEscape(tc.q))
			wantStatus(t, rec, http.StatusOK)
			if got := strings.Count(rec.Body.String(), `class="post-card"`); got != len(tc.want) {
				t.Errorf("q=%.20q: %d results, want %d", tc.q, got, len(tc.want))
			}
			wantBody(t, rec, tc.want...)
			refuseBody(t, rec, "Django drafts", "<script>alert")
		}
		// The query is kept in the box, escaped, and in the page links.
		rec := s.get(ctx, "/blog/?q="+url.QueryEscape(`"><b>`))
		wantBody(t, rec, `value="&#34;&gt;&lt;b&gt;"`)
	})
}

func TestTagCategoryAuthorPages(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		alice.FirstName, alice.LastName = "Alice", "Liddell"
		if err := auth.Users.Save(ctx, alice); err != nil {
			t.Fatal(err)
		}
		golang, news := mustCategory(t, ctx, "Go"), mustCategory(t, ctx, "News")
		orm1 := mustTag(t, ctx, "orm")
		p1 := post(t, ctx, alice, "Tagged Go post", func(p *Post) { p.Category.Set(golang) })
		if err := p1.Tags.Add(ctx, orm1); err != nil {
			t.Fatal(err)
		}
		post(t, ctx, bob, "Plain news", func(p *Post) { p.Category.Set(news) })
		post(t, ctx, alice, "Alice's second")
		post(t, ctx, alice, "Alice's draft", func(p *Post) { p.IsActive = false; p.Category.Set(golang) })
		s := newSite(t)

		rec := s.get(ctx, "/blog/tag/orm/")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, "Posts tagged “orm”", "Tagged Go post")
		refuseBody(t, rec, "Plain news")

		rec = s.get(ctx, "/blog/category/go/")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, "Tagged Go post")
		refuseBody(t, rec, "Plain news", "Alice&#39;s draft")

		// The author's count is the active posts only, by annotation.
		var recA *httptest.ResponseRecorder
		ormtest.AssertNumQueries(t, ctx, 4, func(ctx context.Context) {
			recA = s.get(ctx, "/blog/author/alice/")
		})
		wantStatus(t, recA, http.StatusOK)
		wantBody(t, recA, "Posts by Alice Liddell", "Alice Liddell has written 2 posts.", "Tagged Go post", "Alice&#39;s second")
		refuseBody(t, recA, "Plain news", "draft")
		wantBody(t, s.get(ctx, "/blog/author/bob/"), "bob has written 1 post.")

		for _, missing := range []string{"/blog/tag/nope/", "/blog/category/nope/", "/blog/author/nobody/", "/blog/author/%3Cscript%3E/",
			"/blog/tag/%00/", "/blog/category/%FF/", "/blog/author/%00/", "/blog/%00/", "/blog/%FF/"} {
			wantStatus(t, s.get(ctx, missing), http.StatusNotFound)
		}
		bob.IsActive = false
		if err := auth.Users.Save(ctx, bob); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, s.get(ctx, "/blog/author/bob/"), http.StatusNotFound)
	})
}

func TestDetailCountsViewsAndShowsApprovedComments(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		p := post(t, ctx, alice, "Hello <script>alert('x')</script>", func(p *Post) {
			p.Slug = "hello"
			p.Body = "First paragraph.\n\nSecond <b>paragraph</b>."
		})
		for i, approved := range []bool{true, false, true} {
			c := Comments.New()
			c.Post.Set(p)
			c.Author.Set(bob)
			c.Body, c.Approved = fmt.Sprintf("Comment %d", i), approved
			if err := Comments.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		s := newSite(t)
		rec := s.get(ctx, "/blog/hello/")
		wantStatus(t, rec, http.StatusOK)
		wantBody(t, rec, "Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "<p>First paragraph.</p>",
			"Second &lt;b&gt;paragraph&lt;/b&gt;.", "Comment 0", "Comment 2", "2 comments", "Log in</a> to comment", "1 view")
		refuseBody(t, rec, "Comment 1", "<script>alert", "<b>paragraph")
		s.get(ctx, "/blog/hello/")
		if err := Posts.RefreshFromDB(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ViewCount != 2 {
			t.Fatalf("view_count = %d after two reads, want 2", p.ViewCount)
		}

		post(t, ctx, alice, "Draft", func(p *Post) { p.Slug, p.IsActive = "draft", false })
		for _, missing := range []string{"/blog/nope/", "/blog/draft/"} {
			wantStatus(t, s.get(ctx, missing), http.StatusNotFound)
			wantStatus(t, s.post(ctx, missing, url.Values{"body": {"hi"}}), http.StatusNotFound)
		}
	})
}

func TestComment(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		p := post(t, ctx, alice, "Hello", func(p *Post) { p.Slug = "hello" })
		s := newSite(t)

		// Anonymous: sent to log in, and back to the post afterwards.
		rec := s.post(ctx, "/blog/hello/", url.Values{"body": {"hi"}})
		wantStatus(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/accounts/login/?next=%2Fblog%2Fhello%2F" {
			t.Fatalf("anonymous comment sent to %q", loc)
		}

		s.login(ctx, bob)
		wantBody(t, s.get(ctx, "/blog/hello/"), `name="body"`, `name="_csrf"`)
		wantStatus(t, s.do(ctx, http.MethodPost, "/blog/hello/", url.Values{"body": {"no token"}}), http.StatusForbidden)

		for _, tc := range []struct {
			body string
			want string
		}{
			{"   ", "This field is required."},
			{"hello\x00world", "Null characters are not allowed."},
			{strings.Repeat("x", MaxCommentLength+1), fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", MaxCommentLength, MaxCommentLength+1)},
		} {
			rec := s.post(ctx, "/blog/hello/", url.Values{"body": {tc.body}})
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			wantBody(t, rec, tc.want)
		}
		if n, _ := Comments.Objects().Count(ctx); n != 0 {
			t.Fatalf("%d comments saved from invalid forms", n)
		}

		rec = s.post(ctx, "/blog/hello/", url.Values{"body": {"Nice <i>post</i>"}})
		wantStatus(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/blog/hello/?commented=1#comments" {
			t.Fatalf("after commenting, sent to %q", loc)
		}
		c, err := Comments.Objects().Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Body != "Nice <i>post</i>" || c.Approved || c.Author.ID != bob.ID || c.Post.ID != p.ID {
			t.Fatalf("saved comment = %+v", c)
		}
		rec = s.get(ctx, "/blog/hello/?commented=1")
		wantBody(t, rec, "your comment will appear once a moderator approves it")
		refuseBody(t, rec, "Nice &lt;i&gt;post") // not approved yet
	})
}

func TestFeed(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice := user(t, ctx, "alice")
		for i := range feedSize + 3 {
			post(t, ctx, alice, fmt.Sprintf("Post %d & more", i))
		}
		post(t, ctx, alice, "Draft", func(p *Post) { p.IsActive = false })
		rec := newSite(t).get(ctx, "/blog/feed/")
		wantStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/atom+xml") {
			t.Fatalf("Content-Type %q", ct)
		}
		var f atomFeed
		if err := xml.Unmarshal(rec.Body.Bytes(), &f); err != nil {
			t.Fatalf("the feed is not XML: %v", err)
		}
		if len(f.Entries) != feedSize || f.Entries[0].Title != fmt.Sprintf("Post %d & more", feedSize+2) {
			t.Fatalf("feed has %d entries, first %q", len(f.Entries), f.Entries[0].Title)
		}
		if !strings.HasPrefix(f.Entries[0].Link.Href, "http://example.com/blog/post-") || f.Entries[0].Author.Name != "alice" {
			t.Fatalf("entry = %+v", f.Entries[0])
		}
	})
}

// TestConcurrentReadsLoseNoViews: every read adds one with a single UPDATE
// … SET view_count = view_count + 1, so parallel readers lose nothing.
func TestConcurrentReadsLoseNoViews(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		p := post(t, ctx, user(t, ctx, "alice"), "Popular")
		const readers, reads = 20, 5
		var wg sync.WaitGroup
		errs := make(chan error, readers*reads)
		for range readers {
			wg.Go(func() {
				for range reads {
					mine := *p
					errs <- IncrementViews(ctx, &mine)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := Posts.RefreshFromDB(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ViewCount != readers*reads {
			t.Fatalf("view_count = %d, want %d", p.ViewCount, readers*reads)
		}
	})
}

func mustCategory(t *testing.T, ctx context.Context, name string) *Category {
	t.Helper()
	c := &Category{Name: name, Slug: slugify(name)}
	if err := Categories.Save(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTag(t *testing.T, ctx context.Context, name string) *Tag {
	t.Helper()
	tag := &Tag{Name: name, Slug: slugify(name)}
	if err := Tags.Save(ctx, tag); err != nil {
		t.Fatal(err)
	}
	return tag
}
