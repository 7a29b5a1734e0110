// Package blog is the tutorial's running example as a real blog: its
// models, managers and signals, the public pages, and their admin.
package blog

import (
	"context"
	"net/url"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// Category groups posts: a post keeps its text when its category goes.
type Category struct {
	ID   int64
	Name string
	Slug string
}

func (c *Category) String() string { return c.Name }

var Categories = orm.Define("blog", func(c *Category, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100), orm.Verbose("name"))
	m.Slug(&c.Slug, orm.Unique(), orm.Verbose("slug"))
	m.Meta(orm.VerboseNamePlural("categories"), orm.Ordering("name"), orm.Index("name", "id"))
})

// Tag labels posts, many to many.
type Tag struct {
	ID   int64
	Name string
	Slug string
}

func (t *Tag) String() string { return t.Name }

var Tags = orm.Define("blog", func(t *Tag, m *orm.Schema) {
	m.Char(&t.Name, orm.MaxLength(50), orm.Unique(), orm.Verbose("name"))
	m.Slug(&t.Slug, orm.Unique(), orm.Verbose("slug"))
	m.Meta(orm.Ordering("name"))
})

// Post is the tutorial's Post.
type Post struct {
	ID        int64
	Title     string
	Slug      string
	Body      string
	Author    orm.FK[auth.User]
	Category  orm.FK[Category]
	Tags      orm.M2M[Tag]
	ViewCount int32
	IsActive  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (p *Post) String() string { return p.Title }

// AbsoluteURL is the post's page on the blog (Django's get_absolute_url):
// the feed, the lists and the admin's "View on site" link to it.
func (p *Post) AbsoluteURL() string { return "/blog/" + url.PathEscape(p.Slug) + "/" }

var Posts = orm.Define("blog", func(p *Post, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200), orm.Verbose("title"))
	m.Slug(&p.Slug, orm.Unique(), orm.Verbose("slug"))
	m.Text(&p.Body, orm.Verbose("body"))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"), orm.Verbose("author"))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.SetNull), orm.Null(), orm.Blank(), orm.RelatedName("posts"), orm.Verbose("category"))
	m.ManyToMany(&p.Tags, orm.RelatedName("posts"), orm.Blank(), orm.Verbose("tags"))
	m.PositiveInteger(&p.ViewCount, orm.Default(0), orm.Verbose("view count"))
	m.Boolean(&p.IsActive, orm.Default(true), orm.Verbose("active"))
	m.DateTime(&p.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	m.DateTime(&p.UpdatedAt, orm.AutoNow(), orm.Verbose("updated at"))
	m.Meta(orm.Ordering("-created_at"), orm.VerboseName("Post"), orm.VerboseNamePlural("Posts"),
		// The indexes of the lists: the blog's pages (active, newest
		// first) and the admin's sorts and filters.
		orm.Index("slug"), orm.Index("created_at", "id"), orm.Index("title", "id"),
		orm.Index("author", "id"), orm.Index("category", "id"),
		orm.Index("is_active", "created_at", "id").Named("post_active_date_idx"),
		orm.SearchIndex("title", "body").Weights("A", "B"))
})

// PostQS is the tutorial's PostQuerySet: Active, ByAuthor and Popular
// chain with each other and with every built-in method.
type PostQS struct {
	orm.QuerySet[Post, PostQS]
}

func (q PostQS) Active() PostQS { return q.Filter(orm.Q{"is_active": true}) }

func (q PostQS) ByAuthor(u *auth.User) PostQS { return q.Filter(orm.Q{"author": u.ID}) }

func (q PostQS) Popular(minViews int) PostQS { return q.Filter(orm.Q{"view_count__gte": minViews}) }

// PostObjects is Post.objects = PostManager(): the default manager, which
// the admin lists too.
var PostObjects = orm.AddManager(Posts, "objects", func() PostQS {
	return orm.NewQuerySet(Posts, func(q orm.QuerySet[Post, PostQS]) PostQS { return PostQS{q} })
})

// IncrementViews adds one to the post's view count in a single UPDATE
// with F(), so concurrent readers never lose a count, and reflects it in
// p.
func IncrementViews(ctx context.Context, p *Post) error {
	if _, err := Posts.Objects().Filter(orm.Q{"pk": p.ID}).Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(1)}); err != nil {
		return err
	}
	return Posts.RefreshFromDB(ctx, p, "view_count")
}

// MaxCommentLength bounds a comment's body.
const MaxCommentLength = 3000

// Comment is a reader's comment; it shows once approved.
type Comment struct {
	ID        int64
	Post      orm.FK[Post]
	Author    orm.FK[auth.User]
	Body      string
	Approved  bool
	CreatedAt time.Time
}

func (c *Comment) String() string {
	body := []rune(c.Body)
	if len(body) > 40 {
		return string(body[:40]) + "…"
	}
	return string(body)
}

var Comments = orm.Define("blog", func(c *Comment, m *orm.Schema) {
	m.ForeignKey(&c.Post, orm.OnDelete(orm.Cascade), orm.RelatedName("comments"), orm.Verbose("post"))
	m.ForeignKey(&c.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("comments"), orm.Verbose("author"))
	m.Text(&c.Body, orm.MaxLength(MaxCommentLength), orm.Verbose("body"))
	m.Boolean(&c.Approved, orm.Default(false), orm.Verbose("approved"))
	m.DateTime(&c.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	m.Meta(orm.Ordering("created_at"), orm.Index("post", "approved", "created_at"),
		orm.Index("created_at", "id"), orm.Index("approved", "created_at", "id"))
})

// Profile is the tutorial's one-to-one extension of a user, made for every
// new user by a signal.
type Profile struct {
	ID       int64
	User     orm.FK[auth.User]
	Bio      string
	Avatar   orm.File
	Website  string
	Location string
}

func (p *Profile) String() string {
	if u, ok := p.User.Cached(); ok {
		return "Profile of " + u.Username
	}
	return "Profile"
}

var Profiles = orm.Define("blog", func(p *Profile, m *orm.Schema) {
	m.OneToOne(&p.User, orm.OnDelete(orm.Cascade), orm.RelatedName("profile"), orm.Verbose("user"))
	m.Text(&p.Bio, orm.Blank(), orm.Verbose("bio"))
	m.Image(&p.Avatar, orm.UploadTo("avatars/"), orm.Blank(), orm.Verbose("avatar"))
	m.URL(&p.Website, orm.Blank(), orm.Verbose("website"))
	m.Char(&p.Location, orm.MaxLength(100), orm.Blank(), orm.Verbose("location"))
	m.Meta(orm.VerboseName("User Profile"), orm.VerboseNamePlural("User Profiles"))
})

// DeletionLog records each deleted post, written by a pre_delete signal.
type DeletionLog struct {
	ID        int64
	Model     string
	ObjectID  int64
	Title     string
	DeletedAt time.Time
}

func (d *DeletionLog) String() string { return d.Model + " “" + d.Title + "”" }

var DeletionLogs = orm.Define("blog", func(d *DeletionLog, m *orm.Schema) {
	m.Char(&d.Model, orm.MaxLength(50), orm.Verbose("model"))
	m.BigInteger(&d.ObjectID, orm.Verbose("object id"))
	m.Char(&d.Title, orm.MaxLength(200), orm.Verbose("title"))
	m.DateTime(&d.DeletedAt, orm.AutoNowAdd(), orm.Verbose("deleted at"))
	m.Meta(orm.Ordering("-deleted_at"), orm.Index("deleted_at", "id"))
})

// Models are the blog's models, junction table included.
func Models() []*orm.Meta {
	return []*orm.Meta{Categories.Meta, Tags.Meta, Posts.Meta, Posts.ManyToMany[0].Rel.Through, Comments.Meta,
		Profiles.Meta, DeletionLogs.Meta}
}
