package blog

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// feedSize is how many of the newest posts the feed carries.
const feedSize = 20

// Atom 1.0 (RFC 4287), the parts a feed reader needs.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	Title     string     `xml:"title"`
	ID        string     `xml:"id"`
	Link      atomLink   `xml:"link"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Author    atomPerson `xml:"author"`
	Summary   string     `xml:"summary"`
	Category  []atomTerm `xml:"category"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomTerm struct {
	Term string `xml:"term,attr"`
}

// feed is the newest active posts as an Atom feed. Its links are absolute,
// as feed readers need, built from the request's own scheme and host.
func feed(c echo.Context) error {
	ctx := c.Request().Context()
	posts, err := PostObjects().Active().SelectRelated("author").PrefetchRelated("tags").Limit(feedSize).All(ctx)
	if err != nil {
		return err
	}
	base := c.Scheme() + "://" + c.Request().Host
	f := atomFeed{Title: "Quarry blog", ID: base + "/blog/", Links: []atomLink{
		{Href: base + "/blog/feed/", Rel: "self"}, {Href: base + "/blog/"}}}
	updated := time.Unix(0, 0).UTC()
	for _, p := range posts {
		e := atomEntry{Title: p.Title, ID: base + p.AbsoluteURL(), Link: atomLink{Href: base + p.AbsoluteURL()},
			Published: p.CreatedAt.UTC().Format(time.RFC3339), Updated: p.UpdatedAt.UTC().Format(time.RFC3339),
			Summary: excerpt(p.Body, 500)}
		if u, ok := p.Author.Cached(); ok {
			e.Author.Name = u.Username
		}
		tags, err := p.Tags.All(ctx)
		if err != nil {
			return err
		}
		for _, t := range tags {
			e.Category = append(e.Category, atomTerm{Term: t.Name})
		}
		if p.UpdatedAt.After(updated) {
			updated = p.UpdatedAt.UTC()
		}
		f.Entries = append(f.Entries, e)
	}
	f.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", append([]byte(xml.Header), out...))
}
