package orm

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/errs"
)

// ErrDoesNotExist is matched (errors.Is) by every model's DoesNotExist: Get
// found no row, or First/Last ran on an empty queryset. Its kind is
// errs.NotFound, so a page whose object is missing is a 404 without the
// handler saying so.
var ErrDoesNotExist error = &kindedError{"orm: object does not exist", errs.NotFound}

// ErrMultipleObjectsReturned: Get matched more than one row.
var ErrMultipleObjectsReturned = errors.New("orm: get() returned more than one object")

// ErrLockOutsideTransaction: SelectForUpdate ran outside Atomic.
var ErrLockOutsideTransaction = errors.New("orm: select_for_update cannot be used outside of a transaction (wrap it in orm.Atomic)")

// kindedError is a sentinel error with a kind (errs.KindOf).
type kindedError struct {
	msg  string
	kind errs.Kind
}

func (e *kindedError) Error() string { return e.msg }

func (e *kindedError) ErrorKind() errs.Kind { return e.kind }

// The kinds of the ORM's errors, for the web layer's one mapping to a
// status: a missing row is the visitor's 404, a refused write the
// visitor's 400 or 409, a lost database a 503 worth retrying. Errors that
// are the program's fault (MultipleObjectsReturned, FieldError,
// ValueError, a lock outside a transaction) say no kind and stay
// errs.Internal.

func (e *notFoundError) ErrorKind() errs.Kind { return errs.NotFound }

// ErrorKind is errs.Invalid: the values do not pass the model's checks.
func (e *ValidationError) ErrorKind() errs.Kind { return errs.Invalid }

// ErrorKind is errs.Conflict: the statement is well formed, and rows
// already in the database refuse it.
func (e *IntegrityError) ErrorKind() errs.Kind { return errs.Conflict }

// ErrorKind is errs.Conflict: rows that point at the object keep it.
func (e *ProtectedError) ErrorKind() errs.Kind { return errs.Conflict }

// ErrorKind is errs.Conflict, as for ProtectedError.
func (e *RestrictedError) ErrorKind() errs.Kind { return errs.Conflict }

// ErrorKind is errs.Unavailable: trying again later may work.
func (e *UnavailableError) ErrorKind() errs.Kind { return errs.Unavailable }

type notFoundError struct{ model *Meta }

func (e *notFoundError) Error() string {
	return e.model.Name + " matching query does not exist."
}

func (e *notFoundError) Is(target error) bool { return target == ErrDoesNotExist }

type multipleError struct {
	model *Meta
	n     int
}

func (e *multipleError) Error() string {
	n := fmt.Sprint(e.n)
	if e.n > 20 {
		n = "more than 20"
	}
	return fmt.Sprintf("get() returned more than one %s -- it returned %s!", e.model.Name, n)
}

func (e *multipleError) Is(target error) bool { return target == ErrMultipleObjectsReturned }

// FieldError reports a name that does not resolve against a model: an
// unknown field, or a lookup the field does not support. It lists the
// valid choices, as Django's "Cannot resolve keyword" does.
type FieldError struct {
	Model   string // "blog.Post"
	Field   string // the name as given
	Lookup  string // for an unsupported lookup
	Kind    string // the field's kind, for an unsupported lookup
	Choices []string

	// For a relation, the model it leads to and its names.
	Related        string
	RelatedChoices []string
}

func (e *FieldError) Error() string {
	if e.Lookup != "" || e.Kind != "" { // Kind tells a lookup error even for "title__"
		msg := fmt.Sprintf("orm: %s.%s: unsupported lookup %q for %s; valid lookups are: %s",
			e.Model, e.Field, e.Lookup, e.Kind, strings.Join(e.Choices, ", "))
		if e.Related != "" {
			msg += fmt.Sprintf("; or a field of %s: %s", e.Related, strings.Join(e.RelatedChoices, ", "))
		}
		return msg
	}
	return fmt.Sprintf("orm: %s: cannot resolve keyword %q into field; choices are: %s",
		e.Model, e.Field, strings.Join(e.Choices, ", "))
}

func (m *Meta) unknownField(name string) error {
	return &FieldError{Model: m.Label(), Field: name, Choices: append(m.fieldNames(), "pk")}
}

// IntegrityError is a constraint the database refused, from either engine,
// with the constraint and the fields it covers when the ORM knows them.
type IntegrityError struct {
	Kind       string   // "unique", "check", "not_null", "foreign_key"
	Model      string   // "shop.Product", when known
	Constraint string   // the constraint name, when the database gives it
	Fields     []string // the fields the constraint covers
	Err        error    // the driver's error
}

func (e *IntegrityError) Error() string {
	var b strings.Builder
	b.WriteString("orm: integrity error: " + strings.ReplaceAll(e.Kind, "_", " ") + " constraint")
	if e.Constraint != "" {
		b.WriteString(" " + e.Constraint)
	}
	if e.Model != "" {
		b.WriteString(" on " + e.Model)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (" + strings.Join(e.Fields, ", ") + ")")
	}
	b.WriteString(": " + e.Err.Error())
	return b.String()
}

func (e *IntegrityError) Unwrap() error { return e.Err }

// translate turns the driver's errors into the ORM's (see dbDriver).
func (db *DB) translate(err error) error {
	if err == nil {
		return nil
	}
	return db.drv.translate(err)
}

// unavailable is err, which says the database is out of reach, as an
// UnavailableError; a cancelled or expired context stays itself.
func unavailable(err error) error {
	var ue *UnavailableError
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &UnavailableError{Err: err}
}

// fill names the model, the fields and (on SQLite, which does not say) the
// constraint, from the registry.
func (e *IntegrityError) fill(m *Meta, cols []string) {
	if m == nil && e.Constraint != "" {
		m = modelByConstraint(e.Constraint)
	}
	if m == nil {
		return
	}
	e.Model = m.Label()
	for _, c := range m.allConstraints() {
		if c.Name == e.Constraint || (e.Constraint == "" && c.Kind == e.Kind && sameSet(columnsOf(m, c.Fields), cols)) {
			e.Constraint, e.Fields = c.Name, c.Fields
			return
		}
	}
	if f := m.positiveCheck(e.Constraint); f != nil {
		e.Fields = []string{f.Name}
		return
	}
	for _, col := range cols {
		for _, f := range m.Fields {
			if f.Column == col {
				e.Fields = append(e.Fields, f.Name)
			}
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

func modelByConstraint(name string) *Meta {
	for _, m := range Models() {
		for _, c := range m.allConstraints() {
			if c.Name == name {
				return m
			}
		}
		if m.positiveCheck(name) != nil {
			return m
		}
	}
	return nil
}

// positiveCheck returns the PositiveInteger field whose implicit ">= 0"
// check (see CreateTableSQL) is named name, or nil.
func (m *Meta) positiveCheck(name string) *Field {
	for _, f := range m.Fields {
		if (f.Kind == KindPositiveInteger || f.Kind == KindPositiveSmallInteger) &&
			name == indexName(m.Table, []string{f.Column}, "check") {
			return f
		}
	}
	return nil
}

// allConstraints is Meta.Constraints plus the unique constraint of every
// unique field, under the names the DDL gives them.
func (m *Meta) allConstraints() []ConstraintDef {
	out := slices.Clone(m.Constraints)
	for _, f := range m.Fields {
		if f.Unique && !f.PrimaryKey {
			out = append(out, ConstraintDef{Name: indexName(m.Table, []string{f.Column}, "key"), Kind: "unique", Fields: []string{f.Name}})
		}
	}
	return out
}

// UnavailableError is a statement that failed because the database could
// not be reached or could not serve it for now (a refused or dropped
// connection, a server shutting down, SQLite busy or locked), rather than
// because the statement was wrong: trying again later may work.
type UnavailableError struct {
	Err error // the driver's error
}

func (e *UnavailableError) Error() string { return "orm: database unavailable: " + e.Err.Error() }

func (e *UnavailableError) Unwrap() error { return e.Err }

// IsUnavailable reports whether err is, or wraps, an UnavailableError, or a
// failure to connect at all: a web page answers it with 503 and
// Retry-After, not 500.
func IsUnavailable(err error) bool {
	var ue *UnavailableError
	if errors.As(err, &ue) {
		return true
	}
	for _, en := range engines {
		if en.connectFailed(err) {
			return true
		}
	}
	return false
}

// connectionLost is the part of the drivers' classification (pgLost,
// sqliteLost) that rests on the standard library's errors. An EOF counts
// only here, where it comes from the database connection: elsewhere it may
// be a client's request body ending early.
func connectionLost(err error) bool {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr):
		return true
	case errors.Is(err, net.ErrClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn):
		return true
	}
	return false
}
