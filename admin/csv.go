package admin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// CSV export and import of a model, as django-import-export does them:
// the export is the change list's rows; the import previews what a file
// would create and update, then applies it on confirmation, all or nothing.

// exportChunk is how many rows each export query reads, so a large table
// streams instead of being held in memory. A variable for the tests.
var exportChunk = 500

const (
	// maxImportRows bounds a file's data rows: each is validated by a form
	// with its own queries, and the preview lists every row.
	maxImportRows = 10000
	// importTTL is how long an uploaded file waits for its confirmation.
	importTTL = 30 * time.Minute
	// maxPendingImports per user bounds the memory uploads can hold: each
	// may be 16 MiB, and a preview that is never confirmed stays until it
	// expires.
	maxPendingImports = 3
	// m2mSeparator joins the keys of a many-to-many cell.
	m2mSeparator = "|"
)

const errImportExpired = "The upload has expired; choose the file again."

func (s *Site) export(r *request) error {
	if err := r.require("view"); err != nil {
		return err
	}
	e := r.e
	query := r.c.QueryParams()
	cl, err := r.newChangeList(query)
	if err != nil {
		return err
	}
	qs := cl.qs
	if keys := query["_selected_action"]; len(keys) > 0 {
		pks := make([]any, 0, len(keys))
		for _, k := range keys {
			if pk, err := parseKey(e.meta.PK, k); err == nil {
				pks = append(pks, pk)
			}
		}
		qs = qs.Filter(orm.Q{"pk__in": pks})
	}
	// The order ends with the primary key, so the chunks neither overlap
	// nor skip rows that tie on the chosen columns.
	qs = qs.OrderBy(cl.ordering()...)
	var m2m []string
	for _, f := range e.meta.ManyToMany {
		m2m = append(m2m, f.Name)
	}
	if len(m2m) > 0 {
		qs = qs.PrefetchRelated(m2m...)
	}
	fields := exportFields(e.meta)

	// The first chunk is read before anything is sent, so a failing query
	// is still an error page rather than an empty download.
	chunk, err := qs.Offset(0).Limit(exportChunk).List(r.ctx)
	if err != nil {
		return err
	}
	res := r.c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`,
		fileSlug(e.meta.VerboseNamePlural), time.Now().UTC().Format("20060102")))
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set(echo.HeaderXContentTypeOptions, "nosniff")
	res.WriteHeader(http.StatusOK)

	w := csv.NewWriter(res)
	header := make([]string, 0, len(fields)+len(m2m))
	for _, f := range fields {
		header = append(header, f.Name)
	}
	header = append(header, m2m...)
	if err := w.Write(header); err != nil {
		return err
	}
	record := make([]string, len(header))
	for offset := 0; ; {
		for _, obj := range chunk {
			for i, f := range fields {
				v, err := e.model.Get(obj, f.Name)
				if err != nil {
					return err
				}
				record[i] = exportCell(f, v)
			}
			for j, f := range e.meta.ManyToMany {
				keys, err := e.model.RelatedKeys(r.ctx, obj, f.Name)
				if err != nil {
					return err
				}
				record[len(fields)+j] = joinKeys(f, keys)
			}
			if err := w.Write(record); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err // the client went away
		}
		// Through the controller: echo's Flush panics when a wrapping
		// writer cannot flush, and an unflushed chunk is merely buffered.
		_ = http.NewResponseController(res.Writer).Flush()
		if len(chunk) < exportChunk {
			return nil
		}
		offset += len(chunk)
		// The status is sent: an error now can only end the download short.
		if chunk, err = qs.Offset(offset).Limit(exportChunk).List(r.ctx); err != nil {
			return err
		}
	}
}

// exportFields are the model's columns, the primary key first: every one,
// editable or not, so that an export is the data and not the form.
func exportFields(meta *orm.Meta) []*orm.Field {
	out := []*orm.Field{meta.PK}
	for _, f := range meta.Fields {
		if f != meta.PK {
			out = append(out, f)
		}
	}
	return out
}

// exportCell is a value as import reads it back: inputValue, except that
// booleans are django-import-export's 1 and 0 (inputValue's "" for false
// would read back as NULL in a nullable field) and JSON is kept on one line.
func exportCell(f *orm.Field, v any) string {
	var s string
	switch x := v.(type) {
	case bool:
		s = "0"
		if x {
			s = "1"
		}
	default:
		s = inputValue(f, v)
		if f.Kind == orm.KindJSON && v != nil {
			if b, err := json.Marshal(v); err == nil {
				s = string(b)
			}
		}
	}
	if numericField(f) {
		return s
	}
	return escapeFormula(s)
}

// joinKeys is a many-to-many cell: the related keys in order, joined.
func joinKeys(f *orm.Field, keys []any) string {
	texts := make([]string, len(keys))
	ints := make([]int64, 0, len(keys))
	for i, k := range keys {
		texts[i] = fmt.Sprint(k)
		if n, ok := k.(int64); ok {
			ints = append(ints, n)
		}
	}
	if len(ints) == len(keys) {
		slices.Sort(ints)
		for i, n := range ints {
			texts[i] = strconv.FormatInt(n, 10)
		}
	} else {
		slices.Sort(texts)
	}
	s := strings.Join(texts, m2mSeparator)
	if numericField(f) {
		return s
	}
	return escapeFormula(s)
}

// numericField reports whether the field's text is a number (a relation's
// is its target's key), which a spreadsheet never reads as a formula and
// whose minus sign must survive.
func numericField(f *orm.Field) bool {
	if f.Rel != nil {
		return f.Rel.To != nil && f.Rel.To.PK != nil && numericField(f.Rel.To.PK)
	}
	return widgetOf(f) == "number"
}

// formulaStart reports whether a spreadsheet would run s as a formula once
// the quotes escapeFormula adds are gone (OWASP's CSV injection list).
func formulaStart(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// escapeFormula prefixes a cell a spreadsheet would run with "'". A cell
// that already starts with quotes before such a character gets one more,
// so that unescapeFormula gives back exactly what was exported.
func escapeFormula(s string) string {
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

func unescapeFormula(s string) string {
	if strings.HasPrefix(s, "'") && formulaStart(s[1:]) {
		return s[1:]
	}
	return s
}

// fileSlug makes a verbose name safe in a Content-Disposition filename.
func fileSlug(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "export"
	}
	return b.String()
}

// requireImport: an import creates and changes, so it needs both.
func (r *request) requireImport() error {
	if err := r.require("add"); err != nil {
		return err
	}
	return r.require("change")
}

func (s *Site) importPage(r *request) error {
	if err := r.requireImport(); err != nil {
		return err
	}
	return r.renderImport("", nil)
}

// renderImport shows the upload form, with an error or a preview.
func (r *request) renderImport(errText string, pv *ui.ImportPreview) error {
	e := r.e
	v := ui.Import{Page: r.page("Import "+e.meta.VerboseNamePlural, r.crumbs()...), Action: e.url("import/"),
		Columns: importColumns(e), Preview: pv, Error: errText}
	return r.render(http.StatusOK, ui.ImportPage(v))
}

// importFields are the fields a file may set: those of the add form that
// take typed input. File fields are left out, as a cell could only name a
// path in storage, never upload the file.
func importFields(e *entry) []formField {
	var out []formField
	for _, ff := range e.allFormFields(true) {
		if ff.readonly || ff.method != nil || ff.f.Kind == orm.KindFile || ff.f.Kind == orm.KindImage {
			continue
		}
		out = append(out, ff)
	}
	return out
}

// importColumns is the header import takes: the key, then importFields.
func importColumns(e *entry) []string {
	out := []string{e.meta.PK.Name}
	for _, ff := range importFields(e) {
		if ff.name != e.meta.PK.Name {
			out = append(out, ff.name)
		}
	}
	return out
}

// requiredColumn reports whether a file must have the field's column: a
// row without it could not be created.
func requiredColumn(ff formField) bool {
	if ff.m2m {
		return !ff.f.Blank
	}
	return !ff.f.Blank && !ff.f.HasDefault() && ff.f.Kind != orm.KindBoolean && !ff.f.PrimaryKey
}

// importFile is a parsed upload: the columns it imports and its rows.
type importFile struct {
	header []string    // the imported columns, in the file's order
	fields []formField // importFields that have a column
	byName map[string]*orm.Field
	rows   []importLine // data rows, blank lines left out
}

type importLine struct {
	line  int               // in the file, 1-based, for the user
	cells map[string]string // by column, as written
	raw   []string          // the imported columns' cells, in header order
}

// parseImport reads an upload; a problem with the file as a whole is an
// inputError for the page.
func parseImport(e *entry, data []byte) (*importFile, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, inputError("The submitted file is empty.")
	}
	if !utf8.Valid(data) {
		return nil, inputError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // counted below, with a message that names the line
	head, err := cr.Read()
	if err != nil {
		return nil, csvError(err)
	}
	importable := importFields(e)
	wanted := map[string]formField{}
	for _, ff := range importable {
		wanted[ff.name] = ff
	}
	// Columns of the model that import does not set (the export's
	// created_at, a file field) are passed over, so an export imports back.
	known := map[string]bool{e.meta.PK.Name: true}
	for _, f := range e.meta.Fields {
		known[f.Name] = true
	}
	for _, f := range e.meta.ManyToMany {
		known[f.Name] = true
	}
	f := &importFile{byName: map[string]*orm.Field{}}
	var unknown []string
	seen := map[string]bool{}
	var cols []int // the record index of each imported column
	for i, name := range head {
		name = strings.TrimSpace(name)
		if name == "" {
			continue // a spreadsheet's unnamed trailing column
		}
		if seen[name] {
			return nil, inputError(fmt.Sprintf("The column “%s” appears more than once.", name))
		}
		seen[name] = true
		ff, ok := wanted[name]
		switch {
		case ok:
			f.byName[name] = ff.f
		case name == e.meta.PK.Name:
			f.byName[name] = e.meta.PK
		case known[name]:
			continue
		default:
			unknown = append(unknown, "“"+name+"”")
			continue
		}
		f.header = append(f.header, name)
		cols = append(cols, i)
	}
	if len(unknown) > 0 {
		return nil, inputError(fmt.Sprintf("The file has unknown column%s: %s. The columns this model takes are listed below.",
			plural(len(unknown)), strings.Join(unknown, ", ")))
	}
	var missing []string
	for _, ff := range importable {
		if seen[ff.name] {
			f.fields = append(f.fields, ff)
		} else if requiredColumn(ff) {
			missing = append(missing, "“"+ff.name+"”")
		}
	}
	if len(missing) > 0 {
		return nil, inputError(fmt.Sprintf("The file lacks the required column%s %s.",
			plural(len(missing)), strings.Join(missing, ", ")))
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue // a spreadsheet's trailing ",,,," line
		}
		if len(rec) != len(head) {
			return nil, inputError(fmt.Sprintf("Line %d has %d columns; the header has %d.", line, len(rec), len(head)))
		}
		if len(f.rows) == maxImportRows {
			return nil, inputError(fmt.Sprintf("The file has more than %s rows. Split it into smaller files.", thousands(maxImportRows)))
		}
		l := importLine{line: line, cells: make(map[string]string, len(cols)), raw: make([]string, len(cols))}
		for j, i := range cols {
			l.cells[f.header[j]] = rec[i]
			l.raw[j] = rec[i]
		}
		f.rows = append(f.rows, l)
	}
	if len(f.rows) == 0 {
		return nil, inputError("The file has no rows to import.")
	}
	return f, nil
}

// thousands writes n with Django's thousand separator: "10,000".
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return inputError(fmt.Sprintf("The file is not valid CSV: line %d, column %d: %v.", pe.Line, pe.Column, pe.Err))
	}
	return inputError("The file is not valid CSV.")
}

// cell is a row's value for a column as a form would have sent it: the
// export's formula escaping undone.
func (f *importFile) cell(l importLine, name string) string {
	s := l.cells[name]
	if fd := f.byName[name]; fd != nil && !numericField(fd) {
		s = unescapeFormula(s)
	}
	return s
}

// importRow is a validated row the apply step saves.
type importRow struct {
	index int // in the preview
	fm    *form
}

// validateImport binds every row to a form, as the add or change page
// would, and builds the preview. Nothing is written.
func (r *request) validateImport(ctx context.Context, f *importFile) (*ui.ImportPreview, []importRow, error) {
	e := r.e
	pk := e.meta.PK
	_, hasKey := f.byName[pk.Name]
	keyIsField := slices.ContainsFunc(f.fields, func(ff formField) bool { return ff.name == pk.Name })

	existing, err := r.existingObjects(ctx, f, hasKey)
	if err != nil {
		return nil, nil, err
	}
	pv := &ui.ImportPreview{Headers: f.header}
	var valid []importRow
	seenKeys := map[string]int{}
	seenUnique := map[string]map[string]bool{} // constraint -> value tuple
	exists := map[string]bool{}                // related keys found, shared by the rows' forms
	for i, l := range f.rows {
		row := ui.ImportRow{Line: l.line, Values: l.raw}
		var obj any
		adding := true
		var keyErr string
		if raw := strings.TrimSpace(f.cell(l, pk.Name)); hasKey && raw != "" {
			k, err := parseKey(pk, raw)
			if err == nil {
				obj = existing[fmt.Sprint(k)]
			}
			switch {
			case obj == nil && !keyIsField:
				keyErr = fmt.Sprintf("No %s with %s %s.", e.name(), pk.Name, raw)
			case seenKeys[fmt.Sprint(k)] > 0:
				keyErr = fmt.Sprintf("%s with this %s already exists.", capFirst(e.name()), pk.VerboseName)
			}
			if err == nil {
				seenKeys[fmt.Sprint(k)] = l.line
			}
			adding = obj == nil
		}
		if keyErr != "" {
			row.Action, row.Errors = "error", []string{keyErr}
			pv.Invalid++
			pv.Rows = append(pv.Rows, row)
			continue
		}
		if obj == nil {
			obj = e.model.New()
		}
		fm := e.newForm(obj, adding, "")
		fm.exists = exists
		get := func(name string) string { return f.cell(l, name) }
		getAll := func(name string) []string {
			var out []string
			for _, k := range strings.Split(f.cell(l, name), m2mSeparator) {
				if k = strings.TrimSpace(k); k != "" {
					out = append(out, k)
				}
			}
			return out
		}
		ok, err := fm.bind(ctx, f.fields, get, getAll)
		if err != nil {
			return nil, nil, err
		}
		// FullClean compares a row with the database only; two new rows
		// with the same value would pass it and fail on the insert.
		ok = fm.uniqueInFile(seenUnique) && ok
		switch {
		case !ok:
			row.Action, row.Errors = "error", fm.errorList(f.header)
			pv.Invalid++
		case adding:
			row.Action = "create"
			pv.Creates++
		default:
			row.Action = "update"
			pv.Updates++
		}
		if ok {
			valid = append(valid, importRow{index: i, fm: fm})
		}
		pv.Rows = append(pv.Rows, row)
	}
	pv.CanApply = pv.Invalid == 0 && len(pv.Rows) > 0
	return pv, valid, nil
}

// existingObjects loads the objects the file's keys name, a batch of keys
// per query, with the many-to-many keys the forms compare against.
func (r *request) existingObjects(ctx context.Context, f *importFile, hasKey bool) (map[string]any, error) {
	out := map[string]any{}
	if !hasKey {
		return out, nil
	}
	e := r.e
	var keys []any
	for _, l := range f.rows {
		if raw := strings.TrimSpace(f.cell(l, e.meta.PK.Name)); raw != "" {
			if k, err := parseKey(e.meta.PK, raw); err == nil {
				keys = append(keys, k)
			}
		}
	}
	var m2m []string
	for _, ff := range f.fields {
		if ff.m2m {
			m2m = append(m2m, ff.name)
		}
	}
	const batch = 500 // well under SQLite's bound on parameters
	for start := 0; start < len(keys); start += batch {
		qs := e.meta.DefaultManager().Filter(orm.Q{"pk__in": keys[start:min(start+batch, len(keys))]})
		if len(m2m) > 0 {
			qs = qs.PrefetchRelated(m2m...)
		}
		objs, err := qs.OrderBy("pk").List(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			out[fmt.Sprint(e.model.PK(o))] = o
		}
	}
	return out, nil
}

// uniqueInFile records the form's values of the model's unique fields and
// unique constraints, and reports a value an earlier row of the file has
// with FullClean's message; seen is shared by the file's rows. A field
// whose input was refused holds no value of the row's to compare.
func (fm *form) uniqueInFile(seen map[string]map[string]bool) bool {
	meta := fm.e.meta
	cons := slices.Clone(meta.Constraints)
	for _, f := range meta.Fields {
		if f.Unique && !f.PrimaryKey {
			cons = append(cons, orm.ConstraintDef{Kind: "unique", Fields: []string{f.Name}})
		}
	}
	ok := true
	for _, c := range cons {
		if c.Kind != "unique" || len(c.Fields) == 0 {
			continue
		}
		parts := make([]string, 0, len(c.Fields))
		labels := make([]string, 0, len(c.Fields))
		for _, name := range c.Fields {
			f := meta.Field(name)
			if f == nil || len(fm.errors[name]) > 0 {
				break
			}
			v, err := fm.e.model.Get(fm.obj, name)
			if err != nil || v == nil {
				break // NULLs never collide
			}
			parts = append(parts, inputValue(f, v))
			labels = append(labels, capFirst(f.VerboseName))
		}
		if len(parts) != len(c.Fields) {
			continue
		}
		key := strings.Join(c.Fields, ",")
		tuple := strings.Join(parts, "\x00")
		if seen[key] == nil {
			seen[key] = map[string]bool{}
		}
		if !seen[key][tuple] {
			seen[key][tuple] = true
			continue
		}
		ok = false
		field := ""
		list := strings.Join(labels, "")
		if len(labels) == 1 {
			field = c.Fields[0]
		} else {
			list = strings.Join(labels[:len(labels)-1], ", ") + " and " + labels[len(labels)-1]
		}
		msg := fmt.Sprintf("%s with this %s already exists.", capFirst(fm.e.name()), list)
		if !slices.Contains(fm.errors[field], msg) {
			fm.errors[field] = append(fm.errors[field], msg)
		}
	}
	return ok
}

// errorList is the form's errors for the preview: the row's own first,
// then each column's, named by the column as the file names it.
func (fm *form) errorList(header []string) []string {
	out := slices.Clone(fm.errors[""])
	names := slices.Clone(header)
	var rest []string
	for name := range fm.errors {
		if name != "" && !slices.Contains(names, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range append(names, rest...) {
		for _, msg := range fm.errors[name] {
			out = append(out, name+": "+msg)
		}
	}
	return out
}

func (s *Site) importPost(r *request) error {
	if err := r.requireImport(); err != nil {
		return err
	}
	if r.c.FormValue("_confirm") != "" {
		return r.applyImport()
	}
	fh, err := r.c.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile):
		return r.renderImport(string(errRequired), nil)
	case errors.Is(err, http.ErrNotMultipart):
		return r.renderImport("No file was submitted. Check the encoding type on the form.", nil)
	case err != nil:
		var he *echo.HTTPError // the body limit's 413
		if errors.As(err, &he) {
			return err
		}
		return echoBadRequest("The form could not be read.")
	}
	src, err := fh.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	data, err := io.ReadAll(src)
	if err != nil {
		return err
	}
	f, err := parseImport(r.e, data)
	var ie inputError
	if errors.As(err, &ie) {
		return r.renderImport(ie.Error(), nil)
	}
	if err != nil {
		return err
	}
	pv, _, err := r.validateImport(r.ctx, f)
	if err != nil {
		return err
	}
	if pv.CanApply {
		pv.Token = pendingImports.put(r.user.ID, r.e.meta.Label(), data)
	}
	return r.renderImport("", pv)
}

// errImportInvalid rolls the apply back when a row no longer validates.
var errImportInvalid = errors.New("admin: import rows are invalid")

// applyImport is the confirmation: the stored file validated again and
// saved in one transaction, so that it is imported whole or not at all.
func (r *request) applyImport() error {
	e := r.e
	data, ok := pendingImports.take(r.c.FormValue("token"), r.user.ID, e.meta.Label())
	if !ok {
		return r.renderImport(errImportExpired, nil)
	}
	f, err := parseImport(e, data)
	var ie inputError
	if errors.As(err, &ie) {
		return r.renderImport(ie.Error(), nil) // the model's admin changed since the upload
	}
	if err != nil {
		return err
	}
	var pv *ui.ImportPreview
	var failed *importRow
	err = orm.Atomic(r.ctx, func(ctx context.Context) error {
		var rows []importRow
		var err error
		// Validated again inside the transaction: the database may have
		// changed since the preview.
		if pv, rows, err = r.validateImport(ctx, f); err != nil {
			return err
		}
		if !pv.CanApply {
			return errImportInvalid
		}
		for i := range rows {
			fm := rows[i].fm
			failed = &rows[i]
			if err := e.save(ctx, fm.obj, fm.adding); err != nil {
				return err
			}
			if err := fm.saveImportRelated(ctx, f.fields); err != nil {
				return err
			}
			pk, repr := e.model.PK(fm.obj), e.model.String(fm.obj)
			if fm.adding {
				err = logAction(ctx, r.user, e.meta, pk, repr, Addition, "Added.")
			} else {
				err = logAction(ctx, r.user, e.meta, pk, repr, Change, changeMessage(fm.changed))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errImportInvalid):
		return r.renderImport("", pv)
	case err != nil:
		if failed == nil || !failed.fm.rowFailure(err) {
			return err
		}
		// A row the database refused (a concurrent insert took its unique
		// value): everything was rolled back; show which row and why.
		row := &pv.Rows[failed.index]
		if row.Action == "create" {
			pv.Creates--
		} else {
			pv.Updates--
		}
		row.Action, row.Errors = "error", failed.fm.errorList(f.header)
		pv.Invalid++
		pv.CanApply = false
		return r.renderImport("", pv)
	}
	msg := fmt.Sprintf("Import finished: %d created, %d updated.", pv.Creates, pv.Updates)
	if err := r.message("success", msg); err != nil {
		return err
	}
	return r.redirect(e.url(""))
}

// saveImportRelated is saveRelated for an import row, skipping the
// relations the row leaves as they are: a file re-imported from an export
// would otherwise rewrite every row's junction rows, several statements
// each.
func (fm *form) saveImportRelated(ctx context.Context, fields []formField) error {
	for _, ff := range fields {
		if !ff.m2m || ff.readonly {
			continue
		}
		chosen := fm.multi[ff.name]
		if fm.adding && len(chosen) == 0 {
			continue
		}
		if !fm.adding {
			// The keys the form compared against, prefetched: no query.
			keys, err := fm.e.model.RelatedKeys(ctx, fm.obj, ff.name)
			if err != nil {
				return err
			}
			old := make([]string, len(keys))
			for i, k := range keys {
				old[i] = fmt.Sprint(k)
			}
			if sameSet(old, chosen) {
				continue
			}
		}
		keys := make([]any, len(chosen))
		for i, k := range chosen {
			keys[i] = k
		}
		if err := fm.e.model.SetRelated(ctx, fm.obj, ff.name, keys); err != nil {
			return err
		}
	}
	return nil
}

// rowFailure turns a save's refusal into the form's errors: a unique
// violation, or a many-to-many key that no longer exists.
func (fm *form) rowFailure(err error) bool {
	if fm.integrity(err) {
		return true
	}
	var verr *orm.ValidationError
	if !errors.As(err, &verr) {
		return false
	}
	for name, msgs := range verr.Fields {
		if name == orm.NonFieldErrors {
			name = ""
		}
		fm.errors[name] = append(fm.errors[name], msgs...)
	}
	return true
}

// pendingImports keeps uploaded files between the preview and the
// confirmation. It lives in this process: behind a load balancer the
// confirmation must reach the same instance (or the user uploads again).
var pendingImports = &importStore{m: map[string]*pendingImport{}}

type importStore struct {
	mu sync.Mutex
	m  map[string]*pendingImport
}

type pendingImport struct {
	data    []byte
	userID  int64
	model   string // the label: a token is good for one model's import only
	expires time.Time
}

// put stores an upload and returns its token, evicting the user's oldest
// pending upload beyond maxPendingImports.
func (s *importStore) put(userID int64, model string, data []byte) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand since Go 1.24)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	for {
		oldest, n := "", 0
		for t, p := range s.m {
			if p.userID != userID {
				continue
			}
			n++
			if oldest == "" || p.expires.Before(s.m[oldest].expires) {
				oldest = t
			}
		}
		if n < maxPendingImports {
			break
		}
		delete(s.m, oldest)
	}
	s.m[token] = &pendingImport{data: data, userID: userID, model: model, expires: now.Add(importTTL)}
	return token
}

// take removes and returns the upload a token names, if it is the user's
// and for this model. Taking it makes a second confirmation (a double
// click) find nothing rather than import the file twice. Another user's
// token is left alone, so guessing at tokens cannot spoil one.
func (s *importStore) take(token string, userID int64, model string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(time.Now())
	p := s.m[token]
	if token == "" || p == nil || p.userID != userID || p.model != model {
		return nil, false
	}
	delete(s.m, token)
	return p.data, true
}

func (s *importStore) prune(now time.Time) {
	for t, p := range s.m {
		if !now.Before(p.expires) {
			delete(s.m, t)
		}
	}
}
