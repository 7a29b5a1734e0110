package admin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/quarry-go/quarry/static"
	"github.com/quarry-go/quarry/views"
)

const (
	token = "tok-123"
	xss   = `<script>alert("x")</script>'"`
)

func page(title string) Page {
	return Page{
		Title:       title,
		SiteHeader:  "Quarry administration",
		User:        "Ada " + xss,
		CSRF:        token,
		Breadcrumbs: []Link{{Label: "Home", URL: "/admin/"}, {Label: "Shop", URL: "/admin/shop/"}},
		Messages: []Message{
			{Level: "success", Text: "The product " + xss + " was added."},
			{Level: "bogus", Text: "Unknown level"},
		},
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func changeForm() ChangeForm {
	return ChangeForm{
		Page:       page("Change product"),
		Action:     "/admin/shop/product/1/change/",
		ObjectName: xss,
		HasErrors:  true,
		Errors:     []string{"Name and slug together must be unique."},
		DeleteURL:  "/admin/shop/product/1/delete/",
		HistoryURL: "/admin/shop/product/1/history/",
		CanSave:    true, SaveAddOther: true, Multipart: true,
		Prepopulated: []Prepopulated{{Target: "id_slug", Source: []string{"id_name"}}},
		Fieldsets: []Fieldset{
			{Fields: []Field{
				{Name: "name", ID: "id_name", Label: "Name", Widget: "text", Value: xss, Required: true, MaxLength: 100,
					HelpText: "The name customers see.", Errors: []string{"This field is required."},
					ShowInitial: true, Initial: "was " + xss},
				{Name: "slug", ID: "id_slug", Label: "Slug", Widget: "text", MaxLength: 50},
				{Name: "description", ID: "id_description", Label: "Description", Widget: "textarea", Value: "\nstarts with a newline"},
				{Name: "price", ID: "id_price", Label: "Price", Widget: "number", Value: "9.99", Step: "0.01", Min: "0", Required: true},
				{Name: "active", ID: "id_active", Label: "Active", Widget: "checkbox", Value: "on"},
				{Name: "featured", ID: "id_featured", Label: "Featured", Widget: "checkbox", Value: "true"},
				{Name: "archived", ID: "id_archived", Label: "Archived", Widget: "checkbox", Value: ""},
				{Name: "released", ID: "id_released", Label: "Released", Widget: "date", Value: "2024-05-01"},
				{Name: "updated", ID: "id_updated", Label: "Updated", Widget: "datetime-local", Value: "2024-05-01T10:00"},
				{Name: "opens", ID: "id_opens", Label: "Opens", Widget: "time", Value: "09:00"},
				{Name: "contact", ID: "id_contact", Label: "Contact", Widget: "email", Value: "a@example.com"},
				{Name: "site", ID: "id_site", Label: "Site", Widget: "url", Value: "https://example.com"},
				{Name: "secret", ID: "id_secret", Label: "Secret", Widget: "password", Value: "hunter2"},
				{Name: "version", ID: "id_version", Widget: "hidden", Value: "7"},
				{Name: "category", ID: "id_category", Label: "Category", Widget: "select", Choices: []Option{
					{Value: "", Label: "---------"}, {Value: "1", Label: "Books", Selected: true}, {Value: "2", Label: xss}}},
				{Name: "tags", ID: "id_tags", Label: "Tags", Widget: "select-multiple", Values: []string{"3"}, Choices: []Option{
					{Value: "3", Label: "New"}, {Value: "4", Label: "Sale"}}, ShowInitial: true, Initials: []string{"4"}},
				{Name: "maker", ID: "id_maker", Label: "Maker", Widget: "autocomplete", Value: "42", Display: "Acme " + xss,
					AutocompleteURL: "/admin/shop/maker/autocomplete/?field=maker"},
				{Name: "photo", ID: "id_photo", Label: "Photo", Widget: "file", FileURL: "/media/p.png", Value: "p.png",
					PreviewURL: "/media/p.png.thumb.jpg", Clearable: true},
				{Name: "specs", ID: "id_specs", Label: "Specs", Widget: "json", Value: `{"a": "<b>"}`},
				{Name: "homepage", ID: "id_homepage", Label: "Homepage", Widget: "readonly", Value: "evil", Link: "javascript:alert(1)"},
				{Name: "created", ID: "id_created", Label: "Created", ReadOnly: true, Widget: "text", Value: "1 May 2024"},
				{Name: "summary", ID: "id_summary", Label: "Summary", Widget: "readonly", Value: "Set in " + xss + " or here.",
					Parts: []TextPart{{Text: "Set in " + xss + " or "}, {Text: "here", URL: "../password/"}, {Text: "."},
						{Text: " Not ", URL: "javascript:alert(1)"}}},
			}},
			{Name: "Advanced", Description: "Rarely needed.", Collapsed: true, Fields: []Field{
				{Name: "weight", ID: "id_weight", Label: "Weight", Widget: "number", Errors: []string{"Too heavy."}},
			}},
		},
		Inlines: []Inline{
			{
				Name: "comments", VerboseName: "comment", Prefix: "comments", CanDelete: true, Headers: []string{"Body", "Author"},
				AddURL: "/admin/shop/product/inline/comments/", Total: 2, Initial: 1, Min: 0, Max: 1000,
				Errors: []string{"Please submit at most 1000 forms."},
				Forms: []InlineForm{
					{Prefix: "comments-0", PK: "5", Title: "First " + xss, CanDelete: true, Delete: true, Errors: []string{"Row error."}, Fields: []Field{
						{Name: "comments-0-body", ID: "id_comments-0-body", Label: "Body", Widget: "textarea", Value: "hi", Required: true},
						{Name: "comments-0-author", ID: "id_comments-0-author", Label: "Author", Widget: "autocomplete", Value: "9",
							Display: "Bob", AutocompleteURL: "/admin/auth/user/autocomplete/?field=author"},
					}},
					{Prefix: "comments-1", Fields: []Field{
						{Name: "comments-1-body", ID: "id_comments-1-body", Label: "Body", Widget: "textarea", Required: true},
						{Name: "comments-1-author", ID: "id_comments-1-author", Label: "Author", Widget: "autocomplete",
							AutocompleteURL: "/admin/auth/user/autocomplete/?field=author"},
					}},
				},
			},
			{
				Name: "images", Prefix: "images", Stacked: true, Total: 1, Initial: 1, Max: 3, AddURL: "/admin/shop/product/inline/images/",
				Forms: []InlineForm{{Prefix: "images-0", PK: "3", Title: "Front", CanDelete: true, Fields: []Field{
					{Name: "images-0-caption", ID: "id_images-0-caption", Label: "Caption", Widget: "text", Value: "front", MaxLength: 80},
				}}},
			},
		},
	}
}

func passwordChange() PasswordChange {
	p := page("Change password: " + xss)
	p.Crumb = "Change password"
	return PasswordChange{Page: p, Action: "/admin/auth/user/1/password/", Username: xss, HasErrors: true,
		Errors: []string{"Form " + xss},
		Fields: []Field{
			{Name: "password1", ID: "id_password1", Label: "Password", Widget: "password", Required: true, Value: "hunter2",
				Errors: []string{"This field is required."}},
			{Name: "password2", ID: "id_password2", Label: "Password (again)", Widget: "password", Required: true,
				HelpText: "Enter the same password as before, for verification.", Errors: []string{"The two password fields didn’t match."}},
		}}
}

func changeList() ChangeList {
	return ChangeList{
		Page:        page("Select product to change"),
		ModelName:   "product",
		AddURL:      "/admin/shop/product/add/",
		ExportURL:   "/admin/shop/product/export/?q=x",
		ImportURL:   "/admin/shop/product/import/",
		SearchQuery: xss,
		HasSearch:   true,
		Columns: []Column{
			{Label: "Name", SortURL: "?o=-1", Sorted: "asc", Priority: 1, RemoveURL: "?o="},
			{Label: "Price", SortURL: "?o=2.1", Numeric: true},
			{Label: "Active"},
			{Label: "Stock"},
		},
		Rows: []Row{
			{PK: "1", Cells: []Cell{
				{Text: xss, URL: "/admin/shop/product/1/change/"},
				{Text: "9.99", Numeric: true},
				{Bool: yes()},
				{Input: &Field{Name: "form-0-stock", ID: "id_form-0-stock", Widget: "number", Value: "3", Errors: []string{"Must be positive."},
					ShowInitial: true, Initial: "124"}},
			}},
			{PK: "2", Cells: []Cell{
				{Text: "Lamp", URL: "/admin/shop/product/2/change/"},
				{Empty: true},
				{Bool: no()},
				{Input: &Field{Name: "form-1-stock", ID: "id_form-1-stock", Widget: "number", Value: "0"}},
			}},
		},
		Filters: []Filter{{Title: "active", Choices: []FilterChoice{
			{Label: "All", URL: "?"}, {Label: "Yes", URL: "?active=1", Selected: true}, {Label: "No", URL: "?active=0"}}}},
		Dates:   &DateHierarchy{Back: &Link{Label: "All dates", URL: "?date=all"}, Choices: []Link{{Label: "2024", URL: "?y=2024"}}},
		Actions: []Link{{Label: "Delete selected products", URL: "delete_selected"}},
		Pagination: Pagination{Count: 1234, Total: 5000, Estimated: true, Noun: "products", ShowAll: "?all=",
			Pages: []PageLink{{Number: 1, URL: "?p=1", Current: true}, {Number: 2, URL: "?p=2"}, {Number: 0}, {Number: 9, URL: "?p=9"}}},
		Editable:   true,
		Hidden:     []Param{{Name: "q", Value: xss}, {Name: "active", Value: "1"}, {Name: "p", Value: "1"}},
		FormErrors: []string{"Please correct the errors below."},
	}
}

func deleteConfirm() DeleteConfirm {
	return DeleteConfirm{
		Page:      page("Are you sure?"),
		ModelName: "product",
		Objects:   []Link{{Label: xss, URL: "/admin/shop/product/1/change/"}},
		Summary:   []Count{{Model: "products", N: 1}, {Model: "comments", N: 2}},
		Deleted:   []Group{{Model: "comment", Objects: []Link{{Label: "c1", URL: "/c/1/"}, {Label: "c2"}}, More: 3}},
		Updated:   []Group{{Model: "order line", Objects: []Link{{Label: "line 1"}}}},
		Action:    "/admin/shop/product/1/delete/",
		CancelURL: "/admin/shop/product/1/change/",
	}
}

// pages renders every page with representative data.
func pages() map[string]templ.Component {
	protected := deleteConfirm()
	protected.Protected = []Group{{Model: "order", Objects: []Link{{Label: "Order 1"}}}}
	forbidden := deleteConfirm()
	forbidden.Forbidden = []string{"comments"}
	many := deleteConfirm()
	many.Objects = append(many.Objects, Link{Label: "Lamp"})
	many.Selected, many.ActionName = []string{"1", "2"}, "delete_selected"
	many.ModelPlural = "products"
	login := page("Log in")
	login.User, login.Breadcrumbs = "", nil
	f := changeForm()
	cl := changeList()
	plain := changeList()
	plain.Actions, plain.Editable, plain.Filters, plain.Dates, plain.FormErrors = nil, false, nil, nil, nil
	plain.Rows = nil
	return map[string]templ.Component{
		"login": LoginPage(Login{Page: login, Username: xss, Next: "/admin/?x=" + xss, Error: "Please enter the correct username and password."}),
		"setup": SetupPage(Setup{Page: login, Token: "t0k", Username: xss, Email: "a@b.c",
			Errors: map[string][]string{"password2": {"The two password fields didn’t match."}, "": {"Form " + xss}}}),
		"index": IndexPage(Index{Page: page("Site administration"),
			Apps: []App{{Label: "Shop", Models: []ModelLink{
				{Name: "Products", ListURL: "/admin/shop/product/", AddURL: "/admin/shop/product/add/"},
				{Name: "Orders", ListURL: "/admin/shop/order/"}}}},
			Recent: []LogEntry{{Time: "1 May 2024, 10:00", ISOTime: "2024-05-01T10:00:00Z", Action: "Added", Object: xss,
				ObjectURL: "/admin/shop/product/1/change/", Model: "product"}}}),
		"index-empty":      IndexPage(Index{Page: page("Site administration")}),
		"changelist":       ChangeListPage(cl),
		"changelist-plain": ChangeListPage(plain),
		"results":          ChangeListResults(cl),
		"changeform":       ChangeFormPage(f),
		"addform":          ChangeFormPage(ChangeForm{Page: page("Add product"), Add: true, Action: "/admin/shop/product/add/", CanSave: true}),
		"delete":           DeleteConfirmPage(deleteConfirm()),
		"delete-protected": DeleteConfirmPage(protected),
		"delete-forbidden": DeleteConfirmPage(forbidden),
		"delete-many":      DeleteConfirmPage(many),
		"history": HistoryPage(History{Page: page("Change history: Lamp"), Entries: []LogEntry{
			{Time: "1 May 2024", ISOTime: "2024-05-01", User: "ada", Action: "Changed", Message: "Changed " + xss}}}),
		"history-empty": HistoryPage(History{Page: page("Change history: Lamp")}),
		"password":      PasswordChangePage(passwordChange()),
		"import": ImportPage(Import{Page: page("Import products"), Action: "/admin/shop/product/import/",
			Columns: []string{"id", "name"}, Error: "Row 3: " + xss,
			Preview: &ImportPreview{Token: "up-1", Headers: []string{"id", "name"}, Creates: 1, Updates: 1, CanApply: true,
				Rows: []ImportRow{{Line: 2, Action: "create", Values: []string{"", xss}}, {Line: 3, Action: "update", Values: []string{"4", "b"}}}}}),
		"import-invalid": ImportPage(Import{Page: page("Import products"), Action: "/x/",
			Preview: &ImportPreview{Invalid: 1, Rows: []ImportRow{{Line: 2, Action: "error", Errors: []string{"Bad " + xss}}}}}),
		"error":             ErrorPage(page("Not found"), 404, "Product with ID “"+xss+"” doesn’t exist."),
		"autocomplete":      AutocompleteOptions(Options{Field: "id_maker", Options: []Option{{Value: "1", Label: xss}}, More: true}),
		"autocomplete-none": AutocompleteOptions(Options{Field: "id_maker"}),
		"inline-row":        InlineFormRow(f.Inlines[0], f.Inlines[0].Forms[1]),
		"inline-stacked":    InlineFormRow(f.Inlines[1], f.Inlines[1].Forms[0]),
	}
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// parse parses a page, or a fragment in a <tbody> context when it is a
// table row, so rows are not dropped.
func parse(t *testing.T, s string) *html.Node {
	t.Helper()
	if strings.HasPrefix(strings.TrimSpace(s), "<tr") {
		ctx := &html.Node{Type: html.ElementNode, Data: "tbody", DataAtom: atom.Tbody}
		nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
		if err != nil {
			t.Fatal(err)
		}
		root := &html.Node{Type: html.DocumentNode}
		for _, n := range nodes {
			root.AppendChild(n)
		}
		return root
	}
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func all(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func tag(name string, attrs ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Data != name {
			return false
		}
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, ok := attr(n, attrs[i]); !ok || v != attrs[i+1] {
				return false
			}
		}
		return true
	}
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && blocks[n.Data] {
			b.WriteString(" ")
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// blocks are the elements text() separates with a space, as a browser
// separates them on screen.
var blocks = map[string]bool{"li": true, "p": true, "div": true, "h1": true, "h2": true, "h3": true,
	"td": true, "th": true, "tr": true, "title": true, "caption": true, "ul": true, "label": true}

func byID(doc *html.Node, id string) *html.Node {
	if ns := all(doc, func(n *html.Node) bool { return attrOf(n, "id") == id }); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func one(t *testing.T, doc *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	ns := all(doc, match)
	if len(ns) != 1 {
		t.Fatalf("%s: found %d, want 1", what, len(ns))
	}
	return ns[0]
}

// rawForbidden are what the CSP blocks, looked for in the markup as well
// as in the parsed tree.
var rawForbidden = map[*regexp.Regexp]string{
	regexp.MustCompile(`(?is)<script\b[^>]*>[^<]+</script>`): "inline script",
	regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`):              "style attribute",
	regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`):           "event handler attribute",
	regexp.MustCompile(`(?i)<style\b`):                       "style element",
}

// TestEveryPage checks what must hold on every page: the CSP (no inline
// script or style, no event handler attributes, no javascript: URLs), the
// CSRF token in every POST form, escaping, unique ids, and labels and
// aria-describedby that point at something.
func TestEveryPage(t *testing.T) {
	dump := os.Getenv("ADMIN_VIEWS_DUMP")
	for name, c := range pages() {
		t.Run(name, func(t *testing.T) {
			out := render(t, c)
			if dump != "" {
				_ = os.WriteFile(filepath.Join(dump, name+".html"), []byte(out), 0o644)
			}
			if strings.Contains(out, "<script>alert") || strings.Contains(out, `alert("x")`) {
				t.Error("unescaped script in output")
			}
			if strings.Contains(strings.ToLower(out), "javascript:") {
				t.Error("javascript: URL in output")
			}
			for re, what := range rawForbidden {
				if m := re.FindString(out); m != "" {
					t.Errorf("%s: %s", what, m)
				}
			}
			doc := parse(t, out)
			ids := map[string]bool{}
			for _, n := range all(doc, func(*html.Node) bool { return true }) {
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					if k == "style" {
						t.Errorf("<%s> has a style attribute", n.Data)
					}
					if strings.HasPrefix(k, "on") || strings.HasPrefix(k, "hx-on") {
						t.Errorf("<%s> has event handler attribute %s", n.Data, a.Key)
					}
					if k == "id" {
						if ids[a.Val] {
							t.Errorf("duplicate id %q", a.Val)
						}
						ids[a.Val] = true
					}
				}
				switch n.Data {
				case "style":
					t.Error("inline <style> element")
				case "script":
					if src, _ := attr(n, "src"); src == "" || n.FirstChild != nil {
						t.Errorf("inline script: %s", text(n))
					}
				}
			}
			for _, n := range all(doc, func(*html.Node) bool { return true }) {
				if v, ok := attr(n, "aria-describedby"); ok {
					for id := range strings.FieldsSeq(v) {
						if !ids[id] {
							t.Errorf("<%s> aria-describedby names missing id %q", n.Data, id)
						}
					}
				}
				if n.Data == "label" {
					if v, ok := attr(n, "for"); ok && !ids[v] {
						t.Errorf("label for missing id %q", v)
					}
				}
			}
			for _, form := range all(doc, tag("form")) {
				if m, _ := attr(form, "method"); strings.ToLower(m) != "post" {
					continue
				}
				csrf := all(form, tag("input", "type", "hidden", "name", "_csrf"))
				if len(csrf) != 1 {
					t.Errorf("POST form %v has %d _csrf inputs", form.Attr, len(csrf))
					continue
				}
				if v, _ := attr(csrf[0], "value"); v != token {
					t.Errorf("_csrf value %q", v)
				}
			}
		})
	}
}

func TestShell(t *testing.T) {
	doc := parse(t, render(t, pages()["index"]))
	if len(all(doc, tag("meta", "name", "viewport"))) != 1 {
		t.Error("no viewport meta")
	}
	cfg := one(t, doc, "htmx-config", tag("meta", "name", "htmx-config"))
	if v, _ := attr(cfg, "content"); !strings.Contains(v, `"includeIndicatorStyles":false`) {
		t.Errorf("htmx-config %q", v)
	}
	for _, src := range []string{static.URL("js/htmx.min.js"), static.URL("js/admin.js")} {
		s := one(t, doc, src, tag("script", "src", src))
		if _, ok := attr(s, "defer"); !ok {
			t.Errorf("%s not deferred", src)
		}
	}
	one(t, doc, "stylesheet", tag("link", "href", static.URL("css/admin.css")))
	logout := one(t, doc, "logout form", tag("form", "action", "/admin/logout/"))
	if m, _ := attr(logout, "method"); m != "post" {
		t.Error("logout is not a POST")
	}
	if len(all(doc, tag("a", "href", "/admin/logout/"))) > 0 {
		t.Error("logout is a link")
	}
	one(t, doc, "view site", tag("a", "href", "/"))
	one(t, doc, "header link", tag("a", "href", "/admin/", "class", "site-name"))
	status := one(t, doc, "messages", tag("ul", "role", "status"))
	if got := text(status); !strings.Contains(got, `The product <script>alert("x")</script>'" was added.`) {
		t.Errorf("message text %q", got)
	}
	crumbs := one(t, doc, "breadcrumbs", tag("nav", "aria-label", "Breadcrumbs"))
	if got := text(crumbs); got != "Home Shop Site administration" {
		t.Errorf("breadcrumbs %q", got)
	}

	login := parse(t, render(t, pages()["login"]))
	if len(all(login, tag("form", "action", "/admin/logout/"))) != 0 {
		t.Error("login page has a logout form")
	}
	one(t, login, "username", tag("input", "name", "username", "autocomplete", "username"))
	one(t, login, "password", tag("input", "name", "password", "type", "password", "autocomplete", "current-password"))
	next := one(t, login, "next", tag("input", "name", "next", "type", "hidden"))
	if v, _ := attr(next, "value"); v != `/admin/?x=`+xss {
		t.Errorf("next %q", v)
	}
}

func TestSetup(t *testing.T) {
	doc := parse(t, render(t, pages()["setup"]))
	one(t, doc, "token", tag("input", "type", "hidden", "name", "token", "value", "t0k"))
	for name, label := range map[string]string{"username": "Username", "email": "Email address", "password1": "Password", "password2": "Password confirmation"} {
		one(t, doc, name, tag("input", "name", name, "id", "id_"+name))
		l := one(t, doc, name+" label", tag("label", "for", "id_"+name))
		if got := strings.TrimSuffix(text(l), " *"); got != label {
			t.Errorf("label %q, want %q", got, label)
		}
	}
	p2 := one(t, doc, "password2", tag("input", "name", "password2", "aria-invalid", "true"))
	if v, _ := attr(p2, "aria-describedby"); !strings.Contains(v, "id_password2_error") {
		t.Errorf("password2 aria-describedby %q", v)
	}
	errs := one(t, doc, "password2 errors", tag("ul", "id", "id_password2_error"))
	if text(errs) != "The two password fields didn’t match." {
		t.Errorf("errors %q", text(errs))
	}
}

func TestChangeForm(t *testing.T) {
	out := render(t, pages()["changeform"])
	doc := parse(t, out)
	form := one(t, doc, "change form", tag("form", "id", "changeform"))
	if v, _ := attr(form, "enctype"); v != "multipart/form-data" {
		t.Errorf("enctype %q", v)
	}
	if v, _ := attr(form, "data-prepopulated"); v != `[{"Target":"id_slug","Source":["id_name"]}]` {
		t.Errorf("data-prepopulated %q", v)
	}
	if !strings.Contains(text(doc), "Please correct the errors below.") {
		t.Error("no error note")
	}

	name := one(t, doc, "name", tag("input", "name", "name", "id", "id_name", "type", "text"))
	for k, want := range map[string]string{"maxlength": "100", "required": "", "aria-invalid": "true",
		"aria-describedby": "id_name_error id_name_helptext", "value": xss} {
		if v, ok := attr(name, k); !ok || v != want {
			t.Errorf("name %s = %q, %v; want %q", k, v, ok, want)
		}
	}
	if el := byID(doc, "id_name_error"); el == nil || text(el) != "This field is required." || !strings.Contains(attrOf(el, "class"), "errorlist") {
		t.Error("name errorlist missing")
	}
	if el := byID(doc, "id_name_helptext"); el == nil || attrOf(el, "class") != "help" {
		t.Error("name help missing")
	}
	if _, ok := attr(one(t, doc, "slug", tag("input", "name", "slug")), "required"); ok {
		t.Error("slug is required")
	}
	one(t, doc, "label", tag("label", "for", "id_name"))

	// The textarea keeps its leading newline.
	ta := one(t, doc, "textarea", tag("textarea", "name", "description"))
	if ta.FirstChild == nil || ta.FirstChild.Data != "\nstarts with a newline" {
		t.Errorf("textarea %q", text(ta))
	}
	one(t, doc, "json", tag("textarea", "name", "specs", "class", "json"))
	num := one(t, doc, "price", tag("input", "name", "price", "type", "number", "step", "0.01", "min", "0"))
	if _, ok := attr(num, "max"); ok {
		t.Error("unbounded price has max")
	}
	for name, want := range map[string]bool{"active": true, "featured": true, "archived": false} {
		cb := one(t, doc, name, tag("input", "name", name, "type", "checkbox", "value", "on"))
		if _, ok := attr(cb, "checked"); ok != want {
			t.Errorf("%s checked = %v", name, ok)
		}
	}
	for name, typ := range map[string]string{"released": "date", "updated": "datetime-local", "opens": "time",
		"contact": "email", "site": "url", "version": "hidden"} {
		one(t, doc, name, tag("input", "name", name, "type", typ))
	}
	pw := one(t, doc, "password", tag("input", "name", "secret", "type", "password"))
	if _, ok := attr(pw, "value"); ok {
		t.Error("password value rendered")
	}
	// The values the page showed, beside the inputs, escaped; a
	// select-multiple's after an empty one; none for a field without
	// ShowInitial.
	one(t, doc, "initial name", tag("input", "type", "hidden", "name", "initial-name", "value", "was "+xss))
	var shown []string
	for _, n := range all(doc, tag("input", "type", "hidden", "name", "initial-tags")) {
		shown = append(shown, attrOf(n, "value"))
	}
	if strings.Join(shown, ",") != ",4" {
		t.Errorf("initial-tags inputs %q, want an empty one and 4", shown)
	}
	if len(all(doc, tag("input", "name", "initial-slug"))) != 0 {
		t.Error("a field without ShowInitial has an initial input")
	}
	one(t, doc, "selected option", tag("option", "value", "1", "selected", ""))
	multi := one(t, doc, "multiple", tag("select", "name", "tags", "multiple", ""))
	one(t, multi, "selected value", tag("option", "value", "3", "selected", ""))
	one(t, doc, "file", tag("input", "name", "photo", "type", "file"))
	if n := len(all(doc, tag("a", "href", "/media/p.png"))); n != 2 {
		t.Errorf("%d links to the current file, want the preview and the name", n)
	}
	preview := one(t, doc, "preview", tag("a", "class", "file-preview", "href", "/media/p.png"))
	one(t, preview, "thumbnail", tag("img", "src", "/media/p.png.thumb.jpg", "alt", "Current photo", "width", "200", "height", "150"))
	one(t, doc, "clear box", tag("input", "type", "checkbox", "name", "photo-clear", "id", "id_photo-clear_id"))
	one(t, doc, "clear label", tag("label", "for", "id_photo-clear_id"))

	// Read-only fields are text, and a dangerous link is sanitized.
	if len(all(doc, tag("input", "name", "homepage"))) != 0 || len(all(doc, tag("input", "name", "created"))) != 0 {
		t.Error("read-only field has an input")
	}
	if !strings.Contains(text(doc), "1 May 2024") {
		t.Error("read-only value missing")
	}

	// Autocomplete: without JavaScript a text input holds the key.
	key := one(t, doc, "autocomplete key", tag("input", "name", "maker", "id", "id_maker", "type", "text", "value", "42"))
	_ = key
	search := one(t, doc, "autocomplete search", tag("input", "id", "id_maker_search"))
	for k, want := range map[string]string{"hx-get": "/admin/shop/maker/autocomplete/?field=maker",
		"hx-trigger": "input changed delay:300ms, search", "hx-target": "#id_maker_results", "form": detachedForm,
		"name": "term"} {
		if v, _ := attr(search, k); v != want {
			t.Errorf("search %s = %q, want %q", k, v, want)
		}
	}
	one(t, doc, "autocomplete results", tag("div", "id", "id_maker_results"))

	// Collapsed fieldsets are <details>, open when they hold an error.
	det := one(t, doc, "collapsed", tag("details", "class", "module collapse"))
	if _, ok := attr(det, "open"); !ok {
		t.Error("collapsed fieldset with errors is closed")
	}

	// Buttons and links.
	for _, b := range []string{"_save", "_continue", "_addanother"} {
		one(t, form, b, tag("button", "type", "submit", "name", b))
	}
	one(t, doc, "delete link", tag("a", "href", "/admin/shop/product/1/delete/"))
	one(t, doc, "history link", tag("a", "href", "/admin/shop/product/1/history/"))

	// Inlines.
	for k, v := range map[string]string{"TOTAL_FORMS": "2", "INITIAL_FORMS": "1", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"} {
		one(t, form, k, tag("input", "type", "hidden", "name", "comments-"+k, "value", v))
	}
	one(t, form, "inline pk", tag("input", "type", "hidden", "name", "comments-0-id", "value", "5"))
	one(t, form, "new pk", tag("input", "type", "hidden", "name", "comments-1-id", "value", ""))
	one(t, form, "delete box", tag("input", "type", "checkbox", "name", "comments-0-DELETE", "checked", ""))
	if len(all(form, tag("input", "name", "comments-1-DELETE"))) != 0 {
		t.Error("new row has a DELETE box")
	}
	add := one(t, doc, "add another", tag("button", "hx-get", "/admin/shop/product/inline/comments/"))
	for k, want := range map[string]string{"hx-target": "#comments-rows", "hx-swap": "beforeend",
		"hx-include": "#id_comments-TOTAL_FORMS", "data-total-forms": "id_comments-TOTAL_FORMS"} {
		if v, _ := attr(add, k); v != want {
			t.Errorf("add %s = %q", k, v)
		}
	}
	if text(add) != "Add another comment" {
		t.Errorf("add text %q", text(add))
	}
	one(t, doc, "rows", tag("tbody", "id", "comments-rows"))
	one(t, doc, "stacked rows", tag("div", "id", "images-rows"))
	one(t, form, "stacked field", tag("input", "name", "images-0-caption", "maxlength", "80"))
	body := one(t, form, "inline field", tag("textarea", "name", "comments-0-body"))
	if v, _ := attr(body, "aria-label"); v != "Body" {
		t.Errorf("tabular input aria-label %q", v)
	}

	// A view-only user gets no buttons.
	ro := changeForm()
	ro.CanSave = false
	if n := all(parse(t, render(t, ChangeFormPage(ro))), tag("button", "type", "submit", "name", "_save")); len(n) != 0 {
		t.Error("view-only form has a Save button")
	}
	add2 := parse(t, render(t, pages()["addform"]))
	if f := one(t, add2, "add form", tag("form", "id", "changeform")); attrOf(f, "enctype") != "" {
		t.Error("non-multipart form has enctype")
	}
}

// TestReadonlyParts: a read-only value of text and links keeps its words
// and spaces, escapes its text and sanitizes its URLs.
func TestReadonlyParts(t *testing.T) {
	out := render(t, pages()["changeform"])
	if want := ` or <a href="../password/">here</a>.<a `; !strings.Contains(out, want) {
		t.Errorf("the parts are not side by side: want %q in\n%s", want, out)
	}
	doc := parse(t, out)
	row := one(t, doc, "summary row", func(n *html.Node) bool { return n.Data == "div" && attrOf(n, "class") == "form-row field-summary" })
	value := one(t, row, "value", tag("div", "class", "readonly"))
	if got, want := text(value), "Set in "+xss+" or here. Not"; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	one(t, value, "link", tag("a", "href", "../password/"))
	if links := all(value, tag("a")); len(links) != 2 || attrOf(links[1], "href") == "javascript:alert(1)" {
		t.Errorf("links %v", links)
	}
}

func TestPasswordChange(t *testing.T) {
	doc := parse(t, render(t, pages()["password"]))
	form := one(t, doc, "form", tag("form", "id", "password-form", "method", "post", "action", "/admin/auth/user/1/password/"))
	for name, label := range map[string]string{"password1": "Password", "password2": "Password (again)"} {
		in := one(t, form, name, tag("input", "name", name, "id", "id_"+name, "type", "password", "autocomplete", "new-password", "aria-invalid", "true"))
		if _, ok := attr(in, "value"); ok {
			t.Errorf("%s sends its value back", name)
		}
		if _, ok := attr(in, "required"); !ok {
			t.Errorf("%s is not required", name)
		}
		if got := strings.TrimSuffix(text(one(t, form, name+" label", tag("label", "for", "id_"+name))), " *"); got != label {
			t.Errorf("label %q, want %q", got, label)
		}
	}
	if v := attrOf(byID(doc, "id_password2"), "aria-describedby"); v != "id_password2_error id_password2_helptext" {
		t.Errorf("password2 aria-describedby %q", v)
	}
	if got := text(byID(doc, "id_password2_error")); got != "The two password fields didn’t match." {
		t.Errorf("password2 errors %q", got)
	}
	if got := text(byID(doc, "id_password2_helptext")); got != "Enter the same password as before, for verification." {
		t.Errorf("password2 help %q", got)
	}
	if got := text(one(t, doc, "breadcrumbs", tag("nav", "aria-label", "Breadcrumbs"))); got != "Home Shop Change password" {
		t.Errorf("breadcrumbs %q", got)
	}
	if got := text(one(t, doc, "h1", tag("h1"))); got != "Change password: "+xss {
		t.Errorf("h1 %q", got)
	}
	if got := text(one(t, form, "intro", tag("strong"))); got != xss {
		t.Errorf("username %q", got)
	}
	one(t, form, "note", tag("p", "class", "errornote", "role", "alert"))
	if got := text(one(t, form, "submit", tag("button", "type", "submit"))); got != "Change password" {
		t.Errorf("button %q", got)
	}
}

func attrOf(n *html.Node, k string) string { v, _ := attr(n, k); return v }

func TestInlineFormRow(t *testing.T) {
	out := render(t, pages()["inline-row"])
	doc := parse(t, out)
	row := one(t, doc, "row", tag("tr", "id", "comments-1"))
	one(t, row, "pk", tag("input", "type", "hidden", "name", "comments-1-id"))
	one(t, row, "body", tag("textarea", "name", "comments-1-body"))
	if strings.Contains(out, "TOTAL_FORMS") {
		t.Error("the fragment carries management inputs; admin.js counts the forms")
	}

	stacked := parse(t, render(t, pages()["inline-stacked"]))
	fs := one(t, stacked, "fieldset", tag("fieldset", "id", "images-0"))
	if got := text(one(t, fs, "legend", tag("legend"))); got != "Front" {
		t.Errorf("legend %q", got)
	}
	untitled := InlineForm{Prefix: "images-4"}
	legend := one(t, parse(t, render(t, InlineFormRow(Inline{Name: "images", VerboseName: "image", Stacked: true}, untitled))), "legend", tag("legend"))
	if got := text(legend); got != "Image #5" {
		t.Errorf("legend %q", got)
	}
}

func TestChangeList(t *testing.T) {
	doc := parse(t, render(t, pages()["changelist"]))
	form := one(t, doc, "changelist form", tag("form", "id", "changelist-form"))
	if _, ok := attr(form, "action"); ok {
		t.Error("changelist form has an action; it posts to the current URL")
	}
	sel := one(t, form, "action select", tag("select", "name", "action"))
	one(t, sel, "action option", tag("option", "value", "delete_selected"))
	one(t, form, "go", tag("button", "type", "submit", "name", "index"))
	one(t, form, "select all", tag("input", "id", "action-toggle", "type", "checkbox"))
	one(t, form, "row box", tag("input", "name", "_selected_action", "value", "2"))
	one(t, form, "save", tag("button", "type", "submit", "name", "_save"))
	for name, v := range map[string]string{"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "form-0-id": "1", "form-1-id": "2", "select_across": "0"} {
		one(t, form, name, tag("input", "type", "hidden", "name", name, "value", v))
	}
	if got := text(one(t, form, "select across", tag("button", "class", "link-button select-across-button"))); got != "Select all about 1,234 products" {
		t.Errorf("select across %q", got)
	}
	for _, p := range changeList().Hidden {
		one(t, form, "hidden "+p.Name, tag("input", "type", "hidden", "name", p.Name, "value", p.Value))
	}
	search := one(t, doc, "search form", tag("form", "role", "search"))
	one(t, search, "q", tag("input", "name", "q", "value", xss))
	if len(all(search, tag("input", "name", "p"))) != 0 {
		t.Error("search carries the page number")
	}
	one(t, search, "filter param", tag("input", "name", "active", "value", "1"))

	results := one(t, doc, "results", tag("div", "id", resultsID))
	th := one(t, results, "sorted header", tag("th", "aria-sort", "ascending"))
	link := one(t, th, "sort link", tag("a", "href", "?o=-1"))
	for k, want := range map[string]string{"hx-get": "?o=-1", "hx-target": "#" + resultsID, "hx-select": "#" + resultsID, "hx-push-url": "true"} {
		if v, _ := attr(link, k); v != want {
			t.Errorf("sort %s = %q", k, v)
		}
	}
	if !strings.Contains(text(th), "1") {
		t.Error("sort priority missing")
	}
	one(t, th, "remove sort", tag("a", "href", "?o="))
	if !strings.Contains(attrOf(one(t, doc, "numeric header", tag("th", "scope", "col", "class", "column numeric sortable")), "class"), "numeric") {
		t.Error("numeric header")
	}
	txt := text(results)
	for _, want := range []string{"Yes", "No", "about 1,234 products", "(5,000 total)", "Show all", "…"} {
		if !strings.Contains(txt, want) {
			t.Errorf("results lack %q: %s", want, txt)
		}
	}
	one(t, results, "yes icon", tag("span", "class", "icon icon-yes"))
	one(t, results, "current page", tag("span", "aria-current", "page"))
	one(t, results, "row link", tag("a", "href", "/admin/shop/product/2/change/"))
	stock := one(t, results, "editable", tag("input", "name", "form-0-stock", "type", "number", "aria-invalid", "true"))
	if v, _ := attr(stock, "aria-label"); v != "Stock" {
		t.Errorf("editable aria-label %q", v)
	}
	one(t, results, "row 0's initial stock", tag("input", "type", "hidden", "name", "initial-form-0-stock", "value", "124"))
	if el := byID(doc, "id_form-0-stock_error"); el == nil || text(el) != "Must be positive." {
		t.Error("editable errors missing")
	}

	filter := one(t, doc, "filters", tag("aside", "class", "changelist-filter"))
	if !strings.Contains(text(filter), "By active") {
		t.Error("filter title")
	}
	one(t, filter, "selected filter", tag("a", "href", "?active=1", "aria-current", "true"))
	one(t, doc, "add", tag("a", "href", "/admin/shop/product/add/"))
	one(t, doc, "export", tag("a", "href", "/admin/shop/product/export/?q=x"))
	one(t, doc, "import", tag("a", "href", "/admin/shop/product/import/"))
	one(t, doc, "date back", tag("a", "href", "?date=all"))
	one(t, doc, "date choice", tag("a", "href", "?y=2024"))

	// The fragment alone is the same element.
	frag := parse(t, render(t, pages()["results"]))
	one(t, frag, "fragment results", tag("div", "id", resultsID))

	// Without actions or list_editable there is no POST form.
	plain := parse(t, render(t, pages()["changelist-plain"]))
	if len(all(plain, tag("form", "id", "changelist-form"))) != 0 || len(all(plain, tag("input", "name", "_selected_action"))) != 0 {
		t.Error("plain list has the action form")
	}
}

func TestDeleteConfirm(t *testing.T) {
	confirm := func(doc *html.Node) []*html.Node {
		return all(doc, func(n *html.Node) bool { return n.Data == "button" && strings.Contains(text(n), "Yes, I'm sure") })
	}
	doc := parse(t, render(t, pages()["delete"]))
	if len(confirm(doc)) != 1 {
		t.Fatal("no confirm button")
	}
	form := one(t, doc, "delete form", tag("form", "action", "/admin/shop/product/1/delete/"))
	one(t, form, "post", tag("input", "type", "hidden", "name", "post", "value", "yes"))
	one(t, doc, "cancel", tag("a", "href", "/admin/shop/product/1/change/", "class", "button cancel-link"))
	txt := text(doc)
	for _, want := range []string{
		"Are you sure you want to delete the product “" + xss + "”? All of the following related items will be deleted:",
		"Products: 1", "Comments: 2", "…and 3 more", "line 1",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("missing %q in %s", want, txt)
		}
	}

	for name, want := range map[string]string{
		"delete-protected": "Deleting the product “" + xss + "” would require deleting the following protected related objects:",
		"delete-forbidden": "Deleting the product “" + xss + "” would result in deleting related objects, but your account doesn't have permission to delete the following types of objects:",
	} {
		doc := parse(t, render(t, pages()[name]))
		if len(confirm(doc)) != 0 || len(all(doc, tag("input", "name", "post"))) != 0 {
			t.Errorf("%s: confirm button shown", name)
		}
		if !strings.Contains(text(doc), want) {
			t.Errorf("%s: missing %q in %s", name, want, text(doc))
		}
	}

	many := parse(t, render(t, pages()["delete-many"]))
	if !strings.Contains(text(many), "Are you sure you want to delete the selected products?") {
		t.Errorf("several: %s", text(many))
	}
	one(t, many, "action", tag("input", "type", "hidden", "name", "action", "value", "delete_selected"))
	if n := all(many, tag("input", "type", "hidden", "name", "_selected_action")); len(n) != 2 {
		t.Errorf("%d selected inputs", len(n))
	}
}

func TestIndexHistoryImportError(t *testing.T) {
	ix := parse(t, render(t, pages()["index"]))
	one(t, ix, "app caption", func(n *html.Node) bool { return n.Data == "caption" && text(n) == "Shop" })
	if n := all(ix, tag("a", "class", "addlink")); len(n) != 1 {
		t.Errorf("%d add links, want 1", len(n))
	}
	if n := all(ix, tag("a", "class", "changelink")); len(n) != 2 {
		t.Errorf("%d change links, want 2", len(n))
	}
	if !strings.Contains(text(ix), "My actions") {
		t.Error("no recent actions")
	}
	if !strings.Contains(text(parse(t, render(t, pages()["index-empty"]))), "None available") {
		t.Error("empty recent actions")
	}

	h := parse(t, render(t, pages()["history"]))
	one(t, h, "time", tag("time", "datetime", "2024-05-01"))
	if !strings.Contains(text(h), "Changed "+xss) {
		t.Error("history message")
	}

	im := parse(t, render(t, pages()["import"]))
	up := one(t, im, "upload", tag("form", "class", "import-form"))
	if attrOf(up, "enctype") != "multipart/form-data" || attrOf(up, "method") != "post" {
		t.Error("upload form is not a multipart POST")
	}
	one(t, up, "file", tag("input", "type", "file", "name", "file"))
	conf := one(t, im, "confirm", tag("form", "class", "import-confirm"))
	one(t, conf, "token", tag("input", "name", "token", "value", "up-1"))
	one(t, conf, "confirm button", tag("button", "name", "_confirm"))
	if !strings.Contains(text(im), "Row 3: "+xss) || !strings.Contains(text(im), "1 to create, 1 to update, 0 with errors.") {
		t.Error("import text")
	}
	bad := parse(t, render(t, pages()["import-invalid"]))
	if len(all(bad, tag("form", "class", "import-confirm"))) != 0 {
		t.Error("invalid import can be confirmed")
	}

	e := parse(t, render(t, pages()["error"]))
	if !strings.Contains(text(e), "404 Not Found") || !strings.Contains(text(e), "Product with ID “"+xss+"” doesn’t exist.") {
		t.Errorf("error page: %s", text(e))
	}
}

func TestAutocompleteOptions(t *testing.T) {
	doc := parse(t, render(t, pages()["autocomplete"]))
	b := one(t, doc, "option", tag("button", "type", "button", "data-value", "1", "data-field", "id_maker"))
	if v, _ := attr(b, "data-label"); v != xss || text(b) != xss {
		t.Errorf("option label %q", v)
	}
	if !strings.Contains(text(doc), "More matches") {
		t.Error("More not shown")
	}
	if !strings.Contains(text(parse(t, render(t, pages()["autocomplete-none"]))), "No matches.") {
		t.Error("empty result not shown")
	}
}

func TestIntcomma(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := views.Intcomma(n); got != want {
			t.Errorf("Intcomma(%d) = %q", n, got)
		}
	}
}
