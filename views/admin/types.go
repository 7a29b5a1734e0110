// Package admin renders the admin console's pages: the login page, the
// index, change lists, add/change forms, delete confirmations, history and
// CSV import. Every page is generic: the admin package (the Go one at the
// repository's top level) turns model metadata into the view models below,
// and these components never see a model, a database or a request.
package admin

// Page is what every admin page shares: the shell's header, breadcrumbs
// and messages.
type Page struct {
	Title       string // the <title> and <h1>
	SiteHeader  string // "Quarry administration"
	User        string // the signed-in user's display name; "" on the login page
	CSRF        string // the token every POST form carries as _csrf
	Breadcrumbs []Link // from the index to the page's parent; the page itself is Crumb
	// Crumb is the page's own, last breadcrumb: "Change password" under
	// the user's; Title when "".
	Crumb    string
	Messages []Message
}

// Link is a labelled URL.
type Link struct {
	Label string
	URL   string
}

// Message is a one-time notice shown at the top of the next page (Django's
// messages framework).
type Message struct {
	Level string // "success", "warning", "error" or "info"
	Text  string
}

// Login is the sign-in page.
type Login struct {
	Page
	Username string // kept after a failed attempt
	Next     string // where to go after signing in
	Error    string // the failure, in words the user can act on
	// PasswordResetURL, when set, is linked under the form (Django's
	// password_reset_url).
	PasswordResetURL string
}

// Setup is the one-time page that creates the first superuser.
type Setup struct {
	Page
	Token    string // the one-time token, posted back
	Username string
	Email    string
	Errors   map[string][]string // by field: "username", "email", "password1", "password2", "" for the form
}

// Index lists the apps and models the user may see, and the user's recent
// actions.
type Index struct {
	Page
	Apps   []App
	Recent []LogEntry
}

// App is one application's models on the index.
type App struct {
	Label  string // verbose app name: "Shop"
	Models []ModelLink
}

// ModelLink is one model on the index: its change list and add links,
// empty when the user may not use them.
type ModelLink struct {
	Name    string // verbose_name_plural, capitalised
	ListURL string
	AddURL  string
	// ViewOnly: the list may be seen, not changed (a user with the view
	// permission alone, an app's own page): its link says "View".
	ViewOnly bool
}

// LogEntry is one line of history.
type LogEntry struct {
	Time      string // formatted
	ISOTime   string // for <time datetime>
	User      string
	Action    string // "Added", "Changed", "Deleted"
	Object    string // the object's display string when it was logged
	ObjectURL string // its change page; "" once deleted
	Model     string // verbose name, for the index's recent actions
	Message   string // "Changed price and stock."
}

// ChangeList is a model's list page.
type ChangeList struct {
	Page
	ModelName   string // verbose_name, for "Add <name>" and counts
	AddURL      string // "" without the add permission
	ExportURL   string // CSV of the current filter/search/selection; "" without the view permission
	ImportURL   string // "" without the add and change permissions
	SearchQuery string
	HasSearch   bool // the model has search_fields
	Columns     []Column
	Rows        []Row
	Filters     []Filter
	Dates       *DateHierarchy // nil without date_hierarchy
	Actions     []Link         // Label and action name in URL; empty hides the checkboxes
	Pagination  Pagination
	// Editable is true when the list has list_editable columns: the rows
	// are then one form, posted with a Save button.
	Editable bool
	// Hidden are the current query's parameters (filters, search, order,
	// page) that forms on the page carry along.
	Hidden []Param
	// FormErrors is set after a list_editable save failed.
	FormErrors []string
}

// Param is a name and value, for hidden inputs.
type Param struct {
	Name, Value string
}

// Column is a change-list header.
type Column struct {
	Label     string
	SortURL   string // "" when the column cannot be sorted
	Sorted    string // "asc", "desc" or ""
	Priority  int    // 1-based position among the sort keys; 0 when not sorted
	RemoveURL string // removes this column from the sort
	Numeric   bool   // right-aligned
}

// Row is one object in the change list.
type Row struct {
	PK    string // the checkbox value
	Cells []Cell
}

// Cell is one value of a row.
type Cell struct {
	Text    string // the value as text
	URL     string // set on list_display_links columns: the change page
	Bool    *bool  // a boolean shown as an icon; nil otherwise
	Empty   bool   // no value: Text is the empty-value display ("-")
	Numeric bool
	// Input is set for a list_editable column.
	Input *Field
}

// Filter is one list_filter in the sidebar.
type Filter struct {
	Title   string
	Choices []FilterChoice
}

// FilterChoice is one option of a filter: "All", "Yes", a category, "Today".
type FilterChoice struct {
	Label    string
	URL      string
	Selected bool
}

// DateHierarchy is the date drill-down above the list: years, then months,
// then days.
type DateHierarchy struct {
	Back    *Link // up one level; nil at the top
	Choices []Link
}

// Pagination is the list's page links and counts.
type Pagination struct {
	Count     int64  // matching objects
	Total     int64  // all objects, when a filter or search is active; -1 when not shown
	Estimated bool   // Count is the planner's estimate, not COUNT(*)
	AtLeast   bool   // counting stopped at Count: there are more
	ExactURL  string // counts exactly, when Count is estimated or bounded
	// TotalEstimated: Total is the planner's estimate.
	TotalEstimated bool
	Pages          []PageLink
	ShowAll        string // the "Show all" URL; "" when not offered
	Noun           string // "product" or "products", agreeing with Count
}

// PageLink is one page number, or an ellipsis when Number is 0.
type PageLink struct {
	Number  int
	URL     string
	Current bool
}

// ChangeForm is the add or change page of one object.
type ChangeForm struct {
	Page
	Action       string // the form's URL
	Add          bool   // adding rather than changing
	ObjectName   string // the object's display string, on change
	Fieldsets    []Fieldset
	Inlines      []Inline
	Errors       []string // errors not tied to one field
	HasErrors    bool     // show "Please correct the errors below."
	DeleteURL    string   // "" without the delete permission or when adding
	HistoryURL   string   // "" when adding
	SiteURL      string   // the object on the site ("View on site"); "" for none
	CanSave      bool     // false for a view-only user: no buttons
	SaveAddOther bool     // offer "Save and add another"
	SaveOnTop    bool     // the buttons above the form too
	// SaveAsNew offers "Save as new" (name _saveasnew), which saves the
	// form as a new object (Django's save_as); OnlySaveAsNew leaves it the
	// only button, after a "Save as new" the form refused.
	SaveAsNew, OnlySaveAsNew bool
	// Multipart: the form uploads files.
	Multipart bool
	// Prepopulated maps a slug field's input id to the ids of the inputs it
	// is filled from, for the script that fills it in the browser.
	Prepopulated []Prepopulated
}

// Prepopulated is one prepopulated_fields entry, by input ids.
type Prepopulated struct {
	Target string
	Source []string
}

// Fieldset is a titled group of form rows; Name "" is the unnamed first set.
type Fieldset struct {
	Name        string
	Description string
	Collapsed   bool
	Fields      []Field
}

// Field is one form input, generated from a model field.
type Field struct {
	Name      string // the input's name
	ID        string // the input's id: "id_" + Name
	Label     string
	Widget    string   // text, textarea, number, checkbox, date, datetime-local, time, email, url, select, select-multiple, radio, autocomplete, file, json, readonly, password, hidden
	Value     string   // the value as the input shows it
	Values    []string // selected values of a select-multiple
	Choices   []Option // for select, select-multiple and radio
	Required  bool
	MaxLength int    // 0: no maxlength attribute
	Step      string // for number inputs: "1", "0.01", "any"
	Min, Max  string // for number inputs, when bounded
	HelpText  string
	Errors    []string
	// ReadOnly fields show Value as text, with Link as its target when set.
	// Parts, when set, are shown instead of Value: text of which some
	// pieces are links.
	ReadOnly bool
	Link     string
	Parts    []TextPart
	// AutocompleteURL is where an autocomplete widget fetches choices
	// (htmx); Value is the key and Display the chosen object's text.
	AutocompleteURL string
	Display         string
	// LookupURL, on an autocomplete widget without AutocompleteURL (a key
	// typed, Django's raw_id_fields), links the related model's change
	// list, where the key is found.
	LookupURL string
	// Horizontal lays a radio widget's buttons side by side; they are
	// stacked otherwise.
	Horizontal bool
	// Filter, "horizontal" or "vertical", makes a select-multiple the
	// two-list selector (admin.js) of Django's filter_horizontal.
	Filter string
	// FileURL is the current file of a file field, when it has one;
	// PreviewURL its thumbnail, for an image. Clearable adds Django's
	// "Clear" box (named Name + "-clear") to a file field that may be
	// left empty.
	FileURL    string
	PreviewURL string
	Clearable  bool
	// ShowInitial adds hidden "initial-<Name>" inputs holding the value
	// the page showed (Initial; Initials for a select-multiple), Django's
	// show_hidden_initial: the save compares the input with them to tell
	// what the user changed from what someone else changed meanwhile.
	ShowInitial bool
	Initial     string
	Initials    []string
}

// TextPart is a piece of a read-only value: plain text, or a link when
// URL is set.
type TextPart struct {
	Text string
	URL  string
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Inline is a formset of related objects on the parent's form (tabular or
// stacked).
type Inline struct {
	Name string // verbose_name_plural
	// VerboseName is the singular, for "Add another comment"; Name when "".
	VerboseName string
	Prefix      string // form field prefix: "comments"
	Stacked     bool
	Headers     []string // column labels, for tabular inlines
	Forms       []InlineForm
	CanDelete   bool   // existing rows have a Delete box: the table has its column
	AddURL      string // the htmx endpoint that returns one more empty form; "" when at max
	Total       int    // forms submitted: the TOTAL_FORMS value
	Initial     int    // forms for existing objects
	Min, Max    int
	Errors      []string
}

// InlineForm is one related object's row in an inline.
type InlineForm struct {
	Prefix    string // "comments-0"
	PK        string // "" for a new row
	Title     string // the object's display string, for stacked inlines
	Fields    []Field
	CanDelete bool
	Delete    bool // the DELETE box was ticked
	Errors    []string
}

// DeleteConfirm is the page that asks before a delete, listing everything
// that would go with it.
type DeleteConfirm struct {
	Page
	ModelName string
	// ModelPlural is verbose_name_plural, for "the selected products";
	// ModelName + "s" when "".
	ModelPlural string
	Objects     []Link   // what the user asked to delete
	Summary     []Count  // objects per model that would be deleted
	Deleted     []Group  // everything that would be deleted, by model
	Updated     []Group  // rows whose keys would be set to NULL or a default
	Protected   []Group  // what blocks the delete (PROTECT or RESTRICT)
	Forbidden   []string // models the user may not delete but the cascade reaches
	Action      string   // the form's URL
	Selected    []string // for "delete selected": the keys, carried as hidden inputs
	ActionName  string   // for "delete selected": the action's name
	CancelURL   string
}

// Count is a model and a number.
type Count struct {
	Model string
	N     int
}

// Group is objects of one model.
type Group struct {
	Model   string
	Objects []Link // URL set when the user may change the object
	More    int    // objects not listed, beyond the page's limit
}

// PasswordChange is the form that sets a user's password (Django's
// user_change_password): the new password twice.
type PasswordChange struct {
	Page
	Action    string   // the form's URL
	Username  string   // whose password it is
	Own       bool     // the signed-in user's own: the old password comes first
	Fields    []Field  // the password inputs
	Errors    []string // errors not tied to one field
	HasErrors bool     // show "Please correct the errors below."
}

// History is an object's change history.
type History struct {
	Page
	Entries []LogEntry
}

// Import is the CSV import page: the upload form, then a preview of what
// the file would do, then the result.
type Import struct {
	Page
	Action  string
	Columns []string // the CSV header the model expects
	Preview *ImportPreview
	Error   string
}

// ImportPreview is what an uploaded file would create and update.
type ImportPreview struct {
	Token    string // names the uploaded file on the confirm POST
	Headers  []string
	Rows     []ImportRow
	Creates  int
	Updates  int
	Invalid  int
	CanApply bool // no row has errors
}

// ImportRow is one line of the uploaded file.
type ImportRow struct {
	Line   int
	Action string // "create", "update" or "error"
	Values []string
	Errors []string
}

// Options is an autocomplete's result list, returned to htmx.
type Options struct {
	Field   string // the input the choice goes to
	Options []Option
	More    bool
}
