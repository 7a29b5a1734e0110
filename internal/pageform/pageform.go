// Package pageform reads a form out of an HTML page the way a browser
// submits it, for tests that post a page back as it was served: every
// input with the value the page gave it, before the user types anything.
package pageform

import (
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Values are the name-value pairs the form with this id submits: text-like
// and hidden inputs with their value, ticked checkboxes and radios, each
// select's selected options (a single select with none selected sends its
// first), and textareas' text. Buttons and file inputs send nothing, nor
// disabled controls or those the form attribute gives to another form; a
// control outside the form joined to it by its form attribute is not
// looked for.
func Values(page, id string) (url.Values, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return nil, err
	}
	var form *html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Form && attr(n, "id") == id {
			form = n
			break
		}
	}
	if form == nil {
		return nil, fmt.Errorf("pageform: the page has no form with id %q", id)
	}
	out := url.Values{}
	for n := range form.Descendants() {
		name := attr(n, "name")
		if n.Type != html.ElementNode || name == "" || has(n, "disabled") || (has(n, "form") && attr(n, "form") != id) {
			continue
		}
		switch n.DataAtom {
		case atom.Input:
			switch strings.ToLower(attr(n, "type")) {
			case "checkbox", "radio":
				if has(n, "checked") {
					value := attr(n, "value")
					if !has(n, "value") {
						value = "on"
					}
					out.Add(name, value)
				}
			case "submit", "button", "image", "reset", "file":
			default:
				out.Add(name, attr(n, "value"))
			}
		case atom.Textarea:
			var text strings.Builder
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				text.WriteString(c.Data)
			}
			out.Add(name, text.String())
		case atom.Select:
			var first *html.Node
			chosen := false
			for o := range n.Descendants() {
				if o.DataAtom != atom.Option {
					continue
				}
				if first == nil {
					first = o
				}
				if has(o, "selected") {
					out.Add(name, optionValue(o))
					chosen = true
				}
			}
			if !chosen && first != nil && !has(n, "multiple") {
				out.Add(name, optionValue(first))
			}
		}
	}
	return out, nil
}

// optionValue is an option's value attribute, or its text without one.
func optionValue(o *html.Node) string {
	if has(o, "value") {
		return attr(o, "value")
	}
	var text strings.Builder
	for c := range o.Descendants() {
		if c.Type == html.TextNode {
			text.WriteString(c.Data)
		}
	}
	return strings.Join(strings.Fields(text.String()), " ")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func has(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
