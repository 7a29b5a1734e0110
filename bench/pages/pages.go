package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// page is one address to time. Its name is the same at every size; its
// path may differ (the last page of a longer list has a higher number).
type page struct {
	name, path string
}

// Page sizes of the lists whose last page is computed from a count: the
// storefront's default (shop's perPageChoices[0]) and the blog's PerPage.
const (
	catalogPerPage = 12
	blogPerPage    = 10
)

const productsAdmin = "/admin/shop/product/"

// pages are the addresses to time on this instance. The admin's sortable
// columns and its last page come from the product change list itself, as
// a visitor would find them; the rest from the facts of the data:
// <category> is the first active product's, <last> the list's last page.
func (in *instance) pages(ctx context.Context, cfg config) ([]page, error) {
	status, body, _, err := in.get(ctx, productsAdmin)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("%s: GET %s: status %d\n%s", in, productsAdmin, status, snippet(body))
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	sorts, err := sortColumns(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", in, productsAdmin, err)
	}
	last := lastPage(doc)

	f := in.facts
	q := func(k, v string) string { return "?" + url.Values{k: {v}}.Encode() }
	ps := []page{
		{productsAdmin, productsAdmin},
		{productsAdmin + "?q=" + cfg.productWord, productsAdmin + q("q", cfg.productWord)},
		{productsAdmin + "?is_active__exact=1", productsAdmin + "?is_active__exact=1"},
		{productsAdmin + "?category__id__exact=<category>", productsAdmin + q("category__id__exact", strconv.FormatInt(f.categoryID, 10))},
	}
	for _, s := range sorts {
		for _, o := range []string{s.col, "-" + s.col} {
			ps = append(ps, page{fmt.Sprintf("%s?o=%s (%s)", productsAdmin, o, s.label), productsAdmin + q("o", o)})
		}
	}
	adminNext, err := in.nextLink(ctx, productsAdmin+q("p", strconv.Itoa(last/2)), last/2+1)
	if err != nil {
		return nil, err
	}
	ps = append(ps,
		page{productsAdmin + "?p=<last>", productsAdmin + q("p", strconv.Itoa(last))},
		page{productsAdmin + "?p=<middle+1>&_after=… (next link)", adminNext},
		page{"/admin/shop/order/", "/admin/shop/order/"},
		page{"/admin/blog/post/", "/admin/blog/post/"},
		page{"/", "/"},
		page{"/products/", "/products/"},
		page{"/products/?q=" + cfg.productWord, "/products/" + q("q", cfg.productWord)},
	)
	for _, s := range []string{"price", "-price", "rating", "newest"} {
		ps = append(ps, page{"/products/?sort=" + s, "/products/" + q("sort", s)})
	}
	middle := lastOf(f.activeProducts, catalogPerPage) / 2
	catalogNext, err := in.nextLink(ctx, "/products/"+q("page", strconv.FormatInt(middle, 10)), int(middle)+1)
	if err != nil {
		return nil, err
	}
	middle = lastOf(f.activePosts, blogPerPage) / 2
	blogNext, err := in.nextLink(ctx, "/blog/"+q("page", strconv.FormatInt(middle, 10)), int(middle)+1)
	if err != nil {
		return nil, err
	}
	ps = append(ps,
		page{"/products/?category=<category>", "/products/" + q("category", f.categorySlug)},
		page{"/products/?page=<last>", "/products/" + q("page", strconv.FormatInt(lastOf(f.activeProducts, catalogPerPage), 10))},
		page{"/products/?page=<middle+1>&after=… (next link)", catalogNext},
		page{"/blog/", "/blog/"},
		page{"/blog/?q=" + cfg.postWord, "/blog/" + q("q", cfg.postWord)},
		page{"/blog/?page=<last>", "/blog/" + q("page", strconv.FormatInt(lastOf(f.activePosts, blogPerPage), 10))},
		page{"/blog/?page=<middle+1>&after=… (next link)", blogNext},
	)
	return ps, nil
}

// nextLink is the address the page at path links to for page n, a
// visitor's click on Next: the middle of a list, reached the way a visitor
// walking it would.
func (in *instance) nextLink(ctx context.Context, path string, n int) (string, error) {
	status, body, _, err := in.get(ctx, path)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("%s: GET %s: status %d\n%s", in, path, status, snippet(body))
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	base, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	var found string
	walk(doc, func(a *html.Node) {
		if a.Data != "a" || found != "" {
			return
		}
		href, err := url.Parse(attr(a, "href"))
		if err != nil {
			return
		}
		v := href.Query()
		if p := v.Get("page") + v.Get("p"); p == strconv.Itoa(n) && v.Get("after")+v.Get("_after") != "" {
			found = base.ResolveReference(href).RequestURI()
		}
	})
	if found == "" {
		return "", fmt.Errorf("%s: GET %s: no link to page %d that seeks", in, path, n)
	}
	return found, nil
}

// lastOf is the number of the last page of n items, per to a page.
func lastOf(n, per int64) int64 { return max((n+per-1)/per, 1) }

type sortColumn struct{ col, label string }

// sortColumns are the change list's sortable columns, from the headers'
// sort links: on a list in its default order each links to ?o=N.
func sortColumns(doc *html.Node) ([]sortColumn, error) {
	var out []sortColumn
	var err error
	walk(doc, func(n *html.Node) {
		if n.Data != "a" || !hasClass(n, "sort-link") || err != nil {
			return
		}
		href, perr := url.Parse(attr(n, "href"))
		if perr != nil {
			err = perr
			return
		}
		o := href.Query().Get("o")
		if _, aerr := strconv.Atoi(o); aerr != nil {
			err = fmt.Errorf("sort link %q: want ?o=N", attr(n, "href"))
			return
		}
		out = append(out, sortColumn{o, strings.TrimSpace(text(n))})
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no sortable column found")
	}
	return out, err
}

// lastPage is the highest page number in the change list's paginator
// (its list of page links, not the count beside it): 1 when it shows none.
func lastPage(doc *html.Node) int {
	last := 1
	walk(doc, func(n *html.Node) {
		if n.Data != "ul" || !hasClass(n, "pages") {
			return
		}
		walk(n, func(n *html.Node) {
			if n.Type == html.TextNode {
				if p, err := strconv.Atoi(strings.TrimSpace(n.Data)); err == nil {
					last = max(last, p)
				}
			}
		})
	})
	return last
}

func walk(n *html.Node, visit func(*html.Node)) {
	visit(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, visit)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), class)
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return b.String()
}

// samePages checks that every instance has the same pages, in the same
// order: the tables compare them by row.
func samePages(insts []*instance, pages [][]page) error {
	for i := 1; i < len(pages); i++ {
		if !slices.EqualFunc(pages[0], pages[i], func(a, b page) bool { return a.name == b.name }) {
			return fmt.Errorf("%s and %s offer different pages (their sortable columns differ?)", insts[0], insts[i])
		}
	}
	return nil
}
