package views

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// Page is one page of a paginated list (Django's Paginator.page): which
// page it is, how many there are, and the links to the neighbours, which
// keep the rest of the query string.
type Page struct {
	Number   int // 1-based
	NumPages int // at least 1, even for an empty list
	Count    int // items in the whole list
	PerPage  int
	// Open: counting stopped at Count, so pages may follow NumPages; the
	// handler raises NumPages as it finds them.
	Open bool
	// First and Last are the keys of the page's first and last rows, which
	// its Previous and Next links carry (SeekParams) so that the neighbour
	// is read by seeking to them (orm.Seek), not by skipping the rows
	// before it: the page after page 5,000 costs what page 2 does.
	First, Last string

	query url.Values
}

// The parameters a Previous or Next link seeks with.
const (
	ParamAfter  = "after"
	ParamBefore = "before"
)

// SeekParams is where a link asks the page to start: after the row with
// key, or ending before it. ok is false for a link with neither.
func SeekParams(q url.Values) (key string, before, ok bool) {
	if k := q.Get(ParamAfter); k != "" {
		return k, false, true
	}
	if k := q.Get(ParamBefore); k != "" {
		return k, true, true
	}
	return "", false, false
}

// ReadPage reads page n of qs, per rows in order: by seeking from the row
// a Previous or Next link names (SeekParams), where orm.Seek can, or by
// number (orm.Page). Keys are integer primary keys; a list keyed
// otherwise is read by number. more tells whether a page follows.
func ReadPage[S orm.Seekable[S], R any](ctx context.Context, meta *orm.Meta, qs S, all func(S, context.Context) ([]R, error), order []string, n, per int, query url.Values, count orm.RowCount) (rows []R, more bool, err error) {
	if key, before, ok := SeekParams(query); ok && n > 1 {
		if id, err := strconv.ParseInt(key, 10, 64); err == nil {
			rows, more, ok, err := orm.Seek(ctx, meta, qs, all, order, id, before, per)
			if ok || err != nil {
				return rows, more || before, err // the page a Previous link left follows
			}
		}
	}
	return orm.Page(ctx, qs, all, order, n, per, count)
}

// WithSeek is the URL u with the parameter that seeks after (or before)
// key; u unchanged when key is "".
func WithSeek(u, key string, before bool) string {
	if key == "" {
		return u
	}
	param := ParamAfter
	if before {
		param = ParamBefore
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + param + "=" + url.QueryEscape(key)
}

// NewPage is page `requested` (the ?page= text; "" is the first) of count
// items, perPage to a page, within the list whose query string is query.
// ok is false for a page that does not exist (not a number, or past the
// end), which handlers answer with 404 as Django's ListView does.
func NewPage(count, perPage int, requested string, query url.Values) (p Page, ok bool) {
	return NewPageUpTo(count, false, perPage, requested, query)
}

// NewPageUpTo is NewPage after a count that may have stopped at its bound
// (atLeast): any page past it may exist, and the handler finds out.
func NewPageUpTo(count int, atLeast bool, perPage int, requested string, query url.Values) (p Page, ok bool) {
	p = Page{Number: 1, NumPages: max(1, (count+perPage-1)/perPage), Count: count, PerPage: perPage, Open: atLeast, query: query}
	if requested == "" {
		return p, true
	}
	n, err := strconv.Atoi(requested)
	if err != nil || n < 1 || n > p.NumPages && !atLeast {
		return p, false
	}
	p.Number = n
	return p, true
}

// Offset is the index of the page's first item.
func (p Page) Offset() int { return (p.Number - 1) * p.PerPage }

// HasPrev and HasNext tell whether there are neighbours to link to.
func (p Page) HasPrev() bool { return p.Number > 1 }
func (p Page) HasNext() bool { return p.Number < p.NumPages }

// URL is the query string of page n, keeping the other parameters.
func (p Page) URL(n int) string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	q.Del(ParamAfter)
	q.Del(ParamBefore)
	switch {
	case n == p.Number+1 && p.Last != "":
		q.Set(ParamAfter, p.Last)
	case n == p.Number-1 && n > 1 && p.First != "":
		q.Set(ParamBefore, p.First)
	}
	if n == 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "?"
	}
	return "?" + q.Encode()
}

// Intcomma groups digits in threes: 1234567 is "1,234,567".
func Intcomma(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
