package orm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// compiler accumulates one statement's SQL and its bind arguments.
type compiler struct {
	d       dialect
	sql     strings.Builder
	args    []any
	literal bool  // DDL: render values as literals (they come from code, never input)
	check   bool  // a CHECK constraint: NULL passes, so conditions need no NULL guard
	err     error // the first value arg could not render as a literal
	scope   *scope
	out     []*annotation // the annotations in the select list being written
	aliases int           // subquery table aliases handed out so far (U0, U1, …)
	derived *derivedTable // set while an Aggregate's select list reads a grouped query
}

// scope is a subquery being compiled inside another statement: its tables
// are renamed (U0, U1, …) so that they cannot capture the outer query's
// columns, and the OuterRefs of its conditions name columns of the
// enclosing scope.
type scope struct {
	rename map[string]string
	outer  map[*outerRef]colRef
	parent *scope
}

// alias is the name a table or join alias has in the current scope.
func (c *compiler) alias(table string) string {
	if c.scope != nil {
		if a, ok := c.scope.rename[table]; ok {
			return a
		}
	}
	return table
}

// colSQL is a column (or an annotation's expression) in the current scope.
func (c *compiler) colSQL(r colRef) (string, error) {
	if d := c.derived; d != nil {
		switch {
		case r.ann != nil:
			return quote(d.alias) + "." + quote(r.ann.name), nil
		case r.table == d.base && slices.Contains(d.fields, r.field):
			return quote(d.alias) + "." + quote(r.field.Column), nil
		}
		return "", errGroupedAggregate
	}
	if r.ann != nil {
		return r.ann.expr.sql(c)
	}
	if r.table == "" {
		return quote(r.field.Column), nil
	}
	return quote(c.alias(r.table)) + "." + quote(r.field.Column), nil
}

// capture compiles what write writes into a string of its own, sharing
// this statement's arguments, for expressions that contain conditions or
// whole queries.
func (c *compiler) capture(write func(*compiler) error) (string, error) {
	sub := &compiler{d: c.d, args: c.args, literal: c.literal, check: c.check, scope: c.scope, out: c.out, aliases: c.aliases, derived: c.derived}
	err := write(sub)
	c.args, c.aliases = sub.args, sub.aliases
	if c.err == nil {
		c.err = sub.err
	}
	return sub.sql.String(), err
}

func newCompiler(d dialect) *compiler {
	// Room for a typical statement and its arguments up front: one
	// allocation each instead of a chain of doublings.
	c := &compiler{d: d, args: make([]any, 0, 8)}
	c.sql.Grow(256)
	return c
}

// arg adds a bind argument (already in driver form) and returns its placeholder.
func (c *compiler) arg(v any) string {
	if c.literal {
		s, err := sqlLiteral(v)
		if err != nil && c.err == nil {
			c.err = err
		}
		return s
	}
	c.args = append(c.args, v)
	return c.d.placeholder(len(c.args))
}

// bind adds a canonical value of field f as an argument.
func (c *compiler) bind(f *Field, cv any) (string, error) {
	if c.literal {
		return c.literalOf(f, cv)
	}
	v, err := c.d.bind(f, cv)
	if err != nil {
		return "", err
	}
	return c.arg(v), nil
}

func (c *compiler) compare(lhs, op string, f *Field, cv any) error {
	ph, err := c.bind(f, cv)
	if err != nil {
		return err
	}
	c.sql.WriteString(lhs + op + c.d.comparable(ph, f))
	return nil
}

// literalOf renders a canonical value of field f for DDL from the value
// itself, not from the dialect's driver value (pgtype.Time, pgtype.Interval
// and pgtype.UUID have no literal form of their own).
func (c *compiler) literalOf(f *Field, cv any) (string, error) {
	switch x := cv.(type) {
	case time.Time:
		switch f.Kind {
		case KindDate:
			return "'" + x.Format(sqliteDate) + "'", nil
		case KindTime:
			return "'" + x.Format(sqliteTime) + "'", nil
		}
		return c.d.dateTimeLiteral(x), nil
	case time.Duration:
		return c.d.durationLiteral(x), nil
	case uuid.UUID:
		return "'" + x.String() + "'", nil
	}
	v, err := c.d.bind(f, cv)
	if err != nil {
		return "", err
	}
	return sqlLiteral(v)
}

// sqlLiteral renders a driver value for DDL (check constraints, defaults).
func sqlLiteral(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'", nil
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case decimal.Decimal:
		return x.String(), nil
	case time.Time:
		return "'" + x.UTC().Format("2006-01-02 15:04:05.999999Z07:00") + "'", nil
	case uuid.UUID:
		return "'" + x.String() + "'", nil
	}
	return "", fmt.Errorf("orm: cannot render %T as an SQL literal", v)
}
