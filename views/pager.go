package views

import (
	"net/url"
	"strconv"
	"strings"
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

	query url.Values
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
