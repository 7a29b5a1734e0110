// Package blog renders the blog's public pages. Its components take the
// plain view models below, which the blog's handlers fill from the models.
package blog

import (
	"time"

	"github.com/quarry-go/quarry/views"
)

// Link is a labelled URL.
type Link struct {
	Label string
	URL   string
}

// PostCard is a post as a list shows it.
type PostCard struct {
	Title    string
	URL      string
	Author   Link
	Category *Link // nil when the post has none
	Tags     []Link
	Created  time.Time
	Excerpt  string
	Views    int32
}

// List is a page of posts: the index, a search, a tag, a category or an
// author.
type List struct {
	Title   string // the page's heading
	Intro   string // a line under the heading; may be ""
	Query   string // the search text, kept in the search box
	Posts   []PostCard
	Page    views.Page
	Empty   string // what to say when Posts is empty
	FeedURL string
}

// Comment is an approved comment under a post.
type Comment struct {
	Author  string
	Body    string
	Created time.Time
}

// CommentForm is the form under a post: shown to signed-in readers, with
// what they typed kept when it comes back with errors.
type CommentForm struct {
	Action   string
	Body     string
	Errors   []string
	MaxChars int
}

// Detail is one post's page.
type Detail struct {
	Post       PostCard
	Paragraphs []string
	Updated    time.Time
	Comments   []Comment
	SignedIn   bool
	LoginURL   string // where an anonymous reader signs in to comment
	Form       CommentForm
	Notice     string // a line after a comment was sent
}
