package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/quarry-go/quarry/orm"
)

// The related-objects case: posts with a foreign key to their author and
// a many-to-many to their tags, in their own app ("benchrel") so that the
// single-table cases above keep their table to themselves.

// RelUser is a post's author.
type RelUser struct {
	ID       int64
	Username string
	Email    string
	IsStaff  bool
}

// RelTag is a tag; each post has three.
type RelTag struct {
	ID   int64
	Name string
	Slug string
}

// RelPost is a blog post with its author (a foreign key) and tags (a
// many-to-many through the auto-created junction table
// benchrel_relpost_tags (relpost_id, reltag_id)).
type RelPost struct {
	ID        int64
	Title     string
	Slug      string
	Body      string
	CreatedAt time.Time
	Author    orm.FK[RelUser]
	Tags      orm.M2M[RelTag]
}

var (
	RelUsers = orm.Define("benchrel", func(u *RelUser, m *orm.Schema) {
		m.Char(&u.Username, orm.MaxLength(150), orm.Unique())
		m.Char(&u.Email, orm.MaxLength(254))
		m.Boolean(&u.IsStaff, orm.Default(false))
	})
	RelTags = orm.Define("benchrel", func(t *RelTag, m *orm.Schema) {
		m.Char(&t.Name, orm.MaxLength(50), orm.Unique())
		m.Slug(&t.Slug, orm.Unique())
	})
	RelPosts = orm.Define("benchrel", func(p *RelPost, m *orm.Schema) {
		m.Char(&p.Title, orm.MaxLength(200))
		m.Slug(&p.Slug, orm.Unique())
		m.Text(&p.Body)
		m.DateTime(&p.CreatedAt)
		m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
		m.ManyToMany(&p.Tags, orm.RelatedName("posts"))
	})
)

// relModels are created in the bench schema by open, the junction table
// with them.
var relModels = []*orm.Meta{RelUsers.Meta, RelTags.Meta, RelPosts.Meta}

const (
	relUsers     = 10
	relTags      = 20
	relPosts     = 150 // the case reads the first 100
	relPostTags  = 3
	relReadLimit = 100
)

// The raw side's statements: one join for posts and authors, one query
// for the tags of the posts read.
const (
	rawRelPosts = "SELECT p.id, p.title, p.slug, p.body, p.created_at, p.author_id, " +
		"u.id, u.username, u.email, u.is_staff " +
		"FROM benchrel_relpost p JOIN benchrel_reluser u ON u.id = p.author_id ORDER BY p.id LIMIT 100"
	rawRelTags = "SELECT t.id, t.name, t.slug, j.relpost_id " +
		"FROM benchrel_reltag t JOIN benchrel_relpost_tags j ON j.reltag_id = t.id WHERE j.relpost_id = ANY($1)"
)

// Sinks for the related case.
var (
	sinkRelPosts []*RelPost
	sinkRelN     int
)

// resetRelated empties the related tables and loads the seed data with
// COPY: relUsers users, relTags tags, relPosts posts (post i by user
// i%relUsers+1), each post tagged with relPostTags distinct tags.
func resetRelated(tb testing.TB, pool *pgxpool.Pool) {
	tb.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "TRUNCATE benchrel_relpost_tags, benchrel_relpost, benchrel_reltag, "+
		"benchrel_reluser RESTART IDENTITY"); err != nil {
		tb.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	var users, tags, posts, links [][]any
	for i := range relUsers {
		users = append(users, []any{"user" + strconv.Itoa(i), "user" + strconv.Itoa(i) + "@example.com", i == 0})
	}
	for i := range relTags {
		tags = append(tags, []any{"Tag " + strconv.Itoa(i), "tag-" + strconv.Itoa(i)})
	}
	for i := range relPosts {
		posts = append(posts, []any{"Post number " + strconv.Itoa(i) + ": notes on Go and PostgreSQL",
			"rel-" + strconv.Itoa(i), benchBody, base.Add(time.Duration(i) * time.Minute), int64(i%relUsers + 1)})
		for k := range relPostTags {
			links = append(links, []any{int64(i + 1), int64((i*7+k*5)%relTags + 1)})
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"benchrel_reluser", []string{"username", "email", "is_staff"}, users},
		{"benchrel_reltag", []string{"name", "slug"}, tags},
		{"benchrel_relpost", []string{"title", "slug", "body", "created_at", "author_id"}, posts},
		{"benchrel_relpost_tags", []string{"relpost_id", "reltag_id"}, links},
	} {
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			tb.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "ANALYZE "+c.table); err != nil {
			tb.Fatal(err)
		}
	}
}

// ormRelated is the ORM side: posts with their authors (SelectRelated)
// and tags (PrefetchRelated), two queries.
func ormRelated(ctx context.Context) ([]*RelPost, error) {
	return RelPosts.Objects().SelectRelated("author").PrefetchRelated("tags").OrderBy("id").Limit(relReadLimit).All(ctx)
}

// rawRelated is the raw side, as a pgx user writes it: posts and their
// authors (index-aligned) from one join, then the tags of those posts
// grouped by post id.
func rawRelated(ctx context.Context, pool *pgxpool.Pool) ([]*RelPost, []*RelUser, map[int64][]*RelTag, error) {
	rows, err := pool.Query(ctx, rawRelPosts)
	if err != nil {
		return nil, nil, nil, err
	}
	posts := make([]*RelPost, 0, relReadLimit)
	authors := make([]*RelUser, 0, relReadLimit)
	ids := make([]int64, 0, relReadLimit)
	for rows.Next() {
		p, u := new(RelPost), new(RelUser)
		if err := rows.Scan(&p.ID, &p.Title, &p.Slug, &p.Body, &p.CreatedAt, &p.Author.ID,
			&u.ID, &u.Username, &u.Email, &u.IsStaff); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		p.CreatedAt = p.CreatedAt.UTC() // as the ORM reads it
		posts, authors, ids = append(posts, p), append(authors, u), append(ids, p.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	rows, err = pool.Query(ctx, rawRelTags, ids)
	if err != nil {
		return nil, nil, nil, err
	}
	defer rows.Close()
	tags := make(map[int64][]*RelTag, len(ids))
	for rows.Next() {
		t := new(RelTag)
		var post int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Slug, &post); err != nil {
			return nil, nil, nil, err
		}
		tags[post] = append(tags[post], t)
	}
	return posts, authors, tags, rows.Err()
}

func BenchmarkRelated(b *testing.B) {
	ctx, pool := setup(b)
	resetRelated(b, pool)
	// Each side reads every post's author and tags, as a template would.
	compare(b, nil, side{op: func(int) error {
		posts, err := ormRelated(ctx)
		if err != nil {
			return err
		}
		if len(posts) != relReadLimit {
			return fmt.Errorf("read %d posts, want %d", len(posts), relReadLimit)
		}
		n := 0
		for _, p := range posts {
			a, ok := p.Author.Cached()
			if !ok {
				return fmt.Errorf("post %d: author not loaded", p.ID)
			}
			tags, err := p.Tags.All(ctx)
			if err != nil {
				return err
			}
			n += len(a.Username) + len(tags)
		}
		sinkRelPosts, sinkRelN = posts, n
		return nil
	}}, side{op: func(int) error {
		posts, authors, tags, err := rawRelated(ctx, pool)
		if err != nil {
			return err
		}
		if len(posts) != relReadLimit {
			return fmt.Errorf("read %d posts, want %d", len(posts), relReadLimit)
		}
		n := 0
		for i, p := range posts {
			n += len(authors[i].Username) + len(tags[p.ID])
		}
		sinkRelPosts, sinkRelN = posts, n
		return nil
	}})
}

// TestRelatedSidesAgree checks that both sides of BenchmarkRelated load
// the same posts, authors and tags, and that the ORM side runs exactly
// two queries with nothing left to load lazily. It is quick.
func TestRelatedSidesAgree(t *testing.T) {
	ctx, pool := setup(t)
	resetRelated(t, pool)
	ctx2, counter := orm.CountQueries(ctx)
	got, err := ormRelated(ctx2)
	if err != nil {
		t.Fatal(err)
	}
	posts, authors, tags, err := rawRelated(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != relReadLimit || len(posts) != relReadLimit {
		t.Fatalf("orm %d posts, pgx %d posts, want %d", len(got), len(posts), relReadLimit)
	}
	for i, g := range got {
		w := posts[i]
		if g.ID != w.ID || g.Title != w.Title || g.Slug != w.Slug || g.Body != w.Body ||
			!g.CreatedAt.Equal(w.CreatedAt) || g.Author.ID != w.Author.ID {
			t.Fatalf("post %d differs: orm %+v, pgx %+v", i, g, w)
		}
		a, ok := g.Author.Cached()
		if !ok || *a != *authors[i] {
			t.Fatalf("post %d: orm author %+v (loaded %v), pgx %+v", g.ID, a, ok, authors[i])
		}
		gt, err := g.Tags.All(ctx2)
		if err != nil {
			t.Fatal(err)
		}
		wt := tags[w.ID]
		if len(gt) != relPostTags || len(wt) != relPostTags {
			t.Fatalf("post %d: orm %d tags, pgx %d tags, want %d", g.ID, len(gt), len(wt), relPostTags)
		}
		want := map[RelTag]bool{}
		for _, x := range wt {
			want[*x] = true
		}
		for _, x := range gt {
			if !want[*x] {
				t.Fatalf("post %d: orm tag %+v not among pgx's", g.ID, *x)
			}
		}
	}
	if n := counter.Count(); n != 2 {
		t.Fatalf("the ORM side ran %d queries, want 2:\n  %s", n, strings.Join(counter.Queries(), "\n  "))
	}
}
