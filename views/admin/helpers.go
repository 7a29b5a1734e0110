package admin

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/quarry-go/quarry/views"
)

// The ids the admin.js script and htmx find things by. The handlers do not
// need them, except as documented on the components that use them.
const (
	// resultsID wraps a change list's table and pagination: htmx sorting
	// and paging swap just this element.
	resultsID = "changelist-results"
	// detachedForm is the form attribute of autocomplete search boxes. No
	// element has this id, so the boxes have no form owner: their text is
	// never posted with the change form, and Enter in them submits nothing.
	detachedForm = "autocomplete-search-detached"
)

// htmxConfig turns off what the Content-Security-Policy would block or
// what the admin does not want: the inline <style> htmx injects for
// indicators, eval (hx-on, js: values, event filters), script tags in
// swapped content, and copies of admin pages in localStorage.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0,"refreshOnHistoryMiss":true}`

// csrfHeaders is the hx-headers value that sends the CSRF token with any
// htmx request, for handlers that one day accept an htmx POST.
func csrfHeaders(token string) (string, error) {
	return templ.JSONString(map[string]string{"X-CSRF-Token": token})
}

func pageTitle(p Page) string {
	if p.SiteHeader == "" {
		return p.Title
	}
	return p.Title + " | " + p.SiteHeader
}

// crumbOf is the page's own breadcrumb.
func crumbOf(p Page) string {
	if p.Crumb != "" {
		return p.Crumb
	}
	return p.Title
}

func siteHeader(p Page) string {
	if p.SiteHeader == "" {
		return "Administration"
	}
	return p.SiteHeader
}

// messageClass is a message's CSS class; unknown levels show as info.
func messageClass(level string) string {
	switch level {
	case "success", "warning", "error", "info":
		return "message message-" + level
	}
	return "message message-info"
}

// Field ids of the text around an input.

func helpID(f Field) string  { return f.ID + "_helptext" }
func errorID(f Field) string { return f.ID + "_error" }

// radioID is the id of a radio widget's i-th button: Django's "id_status_0".
func radioID(f Field, i int) string { return f.ID + "_" + strconv.Itoa(i) }
func displayID(f Field) string      { return f.ID + "_display" }
func searchID(f Field) string       { return f.ID + "_search" }
func resultsOf(f Field) string      { return f.ID + "_results" }

// describedBy lists the ids of the help text and errors the field shows.
func describedBy(f Field) string {
	var ids []string
	if len(f.Errors) > 0 {
		ids = append(ids, errorID(f))
	}
	if f.HelpText != "" {
		ids = append(ids, helpID(f))
	}
	return strings.Join(ids, " ")
}

// inputAttrs are the attributes every input, select and textarea of a
// field carries. labelled adds an aria-label, for inputs in table cells
// whose visible label is the column header.
func inputAttrs(f Field, labelled bool) templ.Attributes {
	a := templ.Attributes{"name": f.Name, "id": f.ID}
	if f.Required {
		a["required"] = true
	}
	if d := describedBy(f); d != "" {
		a["aria-describedby"] = d
	}
	if len(f.Errors) > 0 {
		a["aria-invalid"] = "true"
	}
	if labelled && f.Label != "" {
		a["aria-label"] = f.Label
	}
	return a
}

// textAttrs adds maxlength to inputAttrs, for inputs that take text.
func textAttrs(f Field, labelled bool) templ.Attributes {
	a := inputAttrs(f, labelled)
	if f.MaxLength > 0 {
		a["maxlength"] = strconv.Itoa(f.MaxLength)
	}
	return a
}

// numberAttrs adds step, min and max to inputAttrs.
func numberAttrs(f Field, labelled bool) templ.Attributes {
	a := inputAttrs(f, labelled)
	if f.Step != "" {
		a["step"] = f.Step
	}
	if f.Min != "" {
		a["min"] = f.Min
	}
	if f.Max != "" {
		a["max"] = f.Max
	}
	return a
}

// inputType maps the widgets that are a plain <input> to its type.
func inputType(widget string) string {
	switch widget {
	case "date", "datetime-local", "time", "email", "url":
		return widget
	}
	return "text"
}

func isChecked(f Field) bool {
	return f.Value == "on" || strings.EqualFold(f.Value, "true")
}

func isHidden(f Field) bool   { return f.Widget == "hidden" }
func isReadOnly(f Field) bool { return f.ReadOnly || f.Widget == "readonly" }

// initialName is Django's html_initial_name: "initial-form-0-stock".
func initialName(f Field) string { return "initial-" + f.Name }

func optionSelected(f Field, o Option) bool {
	if o.Selected {
		return true
	}
	for _, v := range f.Values {
		if v == o.Value {
			return true
		}
	}
	return false
}

// selectSize is a multiple select's height: all its options, up to ten.
func selectSize(f Field) string {
	return strconv.Itoa(min(max(len(f.Choices), 2), 10))
}

func rowClass(f Field) string {
	c := "form-row field-" + f.Name
	if len(f.Errors) > 0 {
		c += " has-errors"
	}
	if f.Widget == "checkbox" && !isReadOnly(f) {
		c += " checkbox-row"
	}
	return c
}

func fieldsetHasErrors(fs Fieldset) bool {
	for _, f := range fs.Fields {
		if len(f.Errors) > 0 {
			return true
		}
	}
	return false
}

func hiddenFields(fields []Field) []Field {
	var out []Field
	for _, f := range fields {
		if isHidden(f) {
			out = append(out, f)
		}
	}
	return out
}

func visibleFields(fields []Field) []Field {
	var out []Field
	for _, f := range fields {
		if !isHidden(f) {
			out = append(out, f)
		}
	}
	return out
}

// Inline formsets.

func managementID(in Inline, name string) string { return "id_" + in.Prefix + "-" + name }
func rowsID(in Inline) string                    { return in.Prefix + "-rows" }
func addRowID(in Inline) string                  { return in.Prefix + "-add" }
func inlineHeadingID(in Inline) string           { return in.Prefix + "-heading" }

func inlineSingular(in Inline) string {
	if in.VerboseName != "" {
		return in.VerboseName
	}
	return in.Name
}

// inlineCanDelete is whether any form has a DELETE box: the tabular
// inline then has a Delete column.
func inlineCanDelete(in Inline) bool { return in.CanDelete }

// inlineColumns is a tabular row's cell count, for error rows.
func inlineColumns(in Inline, f InlineForm) string {
	n := 1 + len(visibleFields(f.Fields))
	if inlineCanDelete(in) {
		n++
	}
	return strconv.Itoa(n)
}

// inlineTitle is a stacked form's legend: the object, or "Image #3"
// numbered from the form's prefix ("images-2").
func inlineTitle(in Inline, f InlineForm) string {
	if f.Title != "" {
		return f.Title
	}
	n := f.Prefix[strings.LastIndexByte(f.Prefix, '-')+1:]
	if i, err := strconv.Atoi(n); err == nil {
		return capFirst(inlineSingular(in)) + " #" + strconv.Itoa(i+1)
	}
	return capFirst(inlineSingular(in))
}

func capFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// Change lists.

// hasPOSTForm is whether the list is a form: it has actions or
// list_editable columns.
func hasPOSTForm(cl ChangeList) bool { return len(cl.Actions) > 0 || cl.Editable }

// searchParams are the hidden parameters the search form carries: the
// filters and order, not the old search or page.
func searchParams(ps []Param) []Param {
	var out []Param
	for _, p := range ps {
		switch p.Name {
		case "q", "p", "page", "_csrf":
			continue
		}
		out = append(out, p)
	}
	return out
}

func ariaSort(sorted string) string {
	switch sorted {
	case "asc":
		return "ascending"
	case "desc":
		return "descending"
	}
	return ""
}

func columnClass(c Column) string {
	cl := "column"
	if c.Numeric {
		cl += " numeric"
	}
	if c.SortURL != "" {
		cl += " sortable"
	}
	if c.Sorted != "" {
		cl += " sorted sorted-" + c.Sorted
	}
	return cl
}

func cellClass(cl ChangeList, i int, c Cell) string {
	s := "cell"
	if c.Numeric || (i < len(cl.Columns) && cl.Columns[i].Numeric) {
		s += " numeric"
	}
	if c.Empty {
		s += " empty"
	}
	return s
}

func columnLabel(cl ChangeList, i int) string {
	if i < len(cl.Columns) {
		return cl.Columns[i].Label
	}
	return ""
}

// rowLabel names a row for its checkbox's accessible name.
func rowLabel(r Row) string {
	for _, c := range r.Cells {
		if c.Text != "" {
			return c.Text
		}
	}
	return r.PK
}

// withLabel gives a list_editable input its column's name when the
// handler left Label empty.
func withLabel(f Field, label string) Field {
	if f.Label == "" {
		f.Label = label
	}
	return f
}

// swapResults are the htmx attributes of a link that replaces the change
// list's results with the same part of the page it points to.
func swapResults(url string) templ.Attributes {
	return templ.Attributes{
		"hx-get":       url,
		"hx-target":    "#" + resultsID,
		"hx-select":    "#" + resultsID,
		"hx-swap":      "outerHTML",
		"hx-push-url":  "true",
		"hx-indicator": "#" + resultsID,
	}
}

// countText is "12 products", "about 1,200 products".
// totalText is the unfiltered count beside it: "(130 total)".
func totalText(p Pagination) string {
	if p.TotalEstimated {
		return "(about " + views.Intcomma(p.Total) + " total)"
	}
	return "(" + views.Intcomma(p.Total) + " total)"
}

func countText(p Pagination) string {
	s := views.Intcomma(p.Count) + " " + p.Noun
	switch {
	case p.Estimated:
		s = "about " + s
	case p.AtLeast:
		s = "more than " + s
	}
	return s
}

// Delete confirmation.

func deleteMany(d DeleteConfirm) bool { return len(d.Objects) > 1 || d.ActionName != "" }

// deletePlural names the selected objects: the verbose name for one, the
// plural for several.
func deletePlural(d DeleteConfirm) string {
	if len(d.Objects) == 1 {
		return d.ModelName
	}
	if d.ModelPlural != "" {
		return d.ModelPlural
	}
	return d.ModelName + "s"
}

func firstObject(d DeleteConfirm) Link {
	if len(d.Objects) > 0 {
		return d.Objects[0]
	}
	return Link{}
}

func blocked(d DeleteConfirm) bool { return len(d.Protected) > 0 || len(d.Forbidden) > 0 }

func actionClass(action string) string {
	switch strings.ToLower(action) {
	case "added":
		return "entry entry-added"
	case "changed":
		return "entry entry-changed"
	case "deleted":
		return "entry entry-deleted"
	}
	return "entry"
}

func entryText(e LogEntry) string {
	if e.Message != "" {
		return e.Message
	}
	return e.Action
}

func setupErrors(s Setup, field string) []string { return s.Errors[field] }

func setupDescribedBy(s Setup, field, help string) string {
	var ids []string
	if len(s.Errors[field]) > 0 {
		ids = append(ids, "id_"+field+"_error")
	}
	if help != "" {
		ids = append(ids, help)
	}
	return strings.Join(ids, " ")
}

func importRowClass(r ImportRow) string { return "import-row import-" + r.Action }

// statusText is "404 Not Found".
func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return strconv.Itoa(status) + " " + t
	}
	return strconv.Itoa(status)
}

func setupHelpID(name, help string) string {
	if help == "" {
		return ""
	}
	return "id_" + name + "_helptext"
}

// autocompleteAttrs are the key input's attributes: the chosen object's
// text describes it.
func autocompleteAttrs(f Field, labelled bool) templ.Attributes {
	a := inputAttrs(f, labelled)
	d := displayID(f)
	if v, ok := a["aria-describedby"].(string); ok {
		d = v + " " + d
	}
	a["aria-describedby"] = d
	return a
}

// previewAlt names a file field's thumbnail for screen readers.
func previewAlt(f Field) string {
	if f.Label == "" {
		return "Current file"
	}
	return "Current " + strings.ToLower(f.Label)
}
