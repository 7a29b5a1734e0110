package orm

import (
	"fmt"
	"strings"
)

// Database functions, as Django's django.db.models.functions. An argument
// given as a string names a field ("title", "author__username"); an Expr
// is used as it is (orm.Value("-") for a constant).

// Coalesce is the first of its arguments that is not NULL:
// Coalesce(orm.Sum("orders__total"), orm.Value(0)). The arguments must
// share a type (or the result is given one with Output).
func Coalesce(args ...any) Expr { return newFunc("Coalesce", args, coalesceType) }

// Lower is text in lower case (non-ASCII letters too, on SQLite as well).
func Lower(x any) Expr { return newFunc("Lower", []any{x}, textIn(KindText)) }

// Upper is text in upper case.
func Upper(x any) Expr { return newFunc("Upper", []any{x}, textIn(KindText)) }

// Length is the number of characters of text (NULL for NULL).
func Length(x any) Expr { return newFunc("Length", []any{x}, textIn(KindBigInteger)) }

// Concat joins its arguments as text; a NULL counts as "" (as in Django).
func Concat(args ...any) Expr { return newFunc("Concat", args, concatType) }

// Now is the current date and time on the database: the start of the
// transaction on PostgreSQL (CURRENT_TIMESTAMP), as Django's Now.
func Now() Expr { return newFunc("Now", nil, nowType) }

// TruncDate is the date (in UTC) of a DateTimeField.
func TruncDate(x any) Expr { return newFunc("TruncDate", []any{x}, truncType(false)) }

// TruncMonth is the first day of the month, at midnight UTC for a
// DateTimeField: the key of a monthly report, GroupBy a TruncMonth
// annotation.
func TruncMonth(x any) Expr { return newFunc("TruncMonth", []any{x}, truncType(true)) }

type funcSpec struct {
	name   string
	args   []Expr
	typeOf func(name string, args []resolvedExpr, r *resolver) (*Field, error)
}

func newFunc(name string, args []any, typeOf func(string, []resolvedExpr, *resolver) (*Field, error)) Expr {
	s := &funcSpec{name: name, typeOf: typeOf}
	for _, a := range args {
		s.args = append(s.args, arg(a))
	}
	return Expr{s}
}

func (s *funcSpec) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	e := &funcExpr{name: s.name}
	for _, a := range s.args {
		re, err := a.resolve(r, nil)
		if err != nil {
			return nil, err
		}
		e.args = append(e.args, re)
	}
	out, err := s.typeOf(s.name, e.args, r)
	if err != nil {
		return nil, err
	}
	if s.name == "Coalesce" {
		// Constants take the type of the other arguments (Coalesce of a
		// decimal sum and 0 is a decimal).
		for i, a := range s.args {
			if _, ok := e.args[i].(constExpr); ok {
				if e.args[i], err = a.resolve(r, out); err != nil {
					return nil, err
				}
			}
		}
	}
	e.out = out
	return e, nil
}

type funcExpr struct {
	name string
	args []resolvedExpr
	out  *Field
}

func (e *funcExpr) field() *Field { return e.out }

func (e *funcExpr) hasAgg() bool {
	for _, a := range e.args {
		if a.hasAgg() {
			return true
		}
	}
	return false
}

func (e *funcExpr) sql(c *compiler) (string, error) {
	args := make([]string, len(e.args))
	for i, a := range e.args {
		var err error
		f := a.field()
		if e.name == "Coalesce" {
			f = e.out
		}
		if args[i], err = typedSQL(c, a, f); err != nil {
			return "", err
		}
	}
	name := e.name
	if name == "TruncMonth" && e.args[0].field().Kind == KindDate {
		name = "TruncMonthDate"
	}
	if name == "TruncDate" && e.args[0].field().Kind == KindDate {
		return args[0], nil
	}
	return c.d.function(name, args), nil
}

func textIn(out Kind) func(string, []resolvedExpr, *resolver) (*Field, error) {
	return func(name string, args []resolvedExpr, r *resolver) (*Field, error) {
		if k := args[0].field().Kind; !k.isText() {
			return nil, fmt.Errorf("orm: %s needs text, not a %s", name, k)
		}
		return exprField(strings.ToLower(name), out, r.meta), nil
	}
}

func coalesceType(name string, args []resolvedExpr, r *resolver) (*Field, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("orm: Coalesce needs at least two arguments")
	}
	var out *Field
	for _, a := range args {
		if k, ok := a.(constExpr); ok && k.v == nil {
			continue
		}
		if _, ok := a.(constExpr); ok {
			continue // a constant takes the type of the others
		}
		if out == nil {
			out = a.field()
		} else if numberClass(a.field().Kind) != numberClass(out.Kind) {
			return nil, fmt.Errorf("orm: Coalesce: the arguments have different types (%s and %s); give the result a type with .Output(orm.KindX)", out.Kind, a.field().Kind)
		}
	}
	if out == nil {
		for _, a := range args {
			if k, ok := a.(constExpr); ok && k.v != nil {
				out = a.field()
				break
			}
		}
	}
	if out == nil {
		return nil, fmt.Errorf("orm: Coalesce of nothing but NULL")
	}
	f := *out
	f.Null = true
	for _, a := range args {
		if !a.field().Null {
			f.Null = false
		}
	}
	return &f, nil
}

func concatType(_ string, args []resolvedExpr, r *resolver) (*Field, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("orm: Concat needs at least two arguments")
	}
	f := exprField("concat", KindText, r.meta)
	f.Null = false
	return f, nil
}

func nowType(_ string, _ []resolvedExpr, r *resolver) (*Field, error) {
	f := exprField("now", KindDateTime, r.meta)
	f.Null = false
	return f, nil
}

func truncType(month bool) func(string, []resolvedExpr, *resolver) (*Field, error) {
	return func(name string, args []resolvedExpr, r *resolver) (*Field, error) {
		k := args[0].field().Kind
		if k != KindDate && k != KindDateTime {
			return nil, fmt.Errorf("orm: %s needs a DateField or DateTimeField, not a %s", name, k)
		}
		if !month {
			k = KindDate
		}
		return exprField(strings.ToLower(name), k, r.meta), nil
	}
}
