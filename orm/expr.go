package orm

import (
	"fmt"
	"reflect"
)

// Expr is a value computed in the database: a field (F), a constant
// (Value), or arithmetic on them. It appears as a filter value
// (Q{"stock__lt": F("reorder_level")}) and in updates
// (Values{"view_count": F("view_count").Add(1)}).
type Expr struct{ spec exprSpec }

type exprSpec interface {
	// resolve binds names to fields; hint is the field the result is
	// compared with or assigned to, which types bare constants.
	resolve(r *resolver, hint *Field) (resolvedExpr, error)
}

type resolvedExpr interface {
	sql(c *compiler) (string, error)
	field() *Field // the type of the result (for binding and comparisons)
	hasAgg() bool  // contains an aggregate: the query groups, conditions on it go to HAVING
}

// F refers to a field of the row itself, as Django's F("view_count").
func F(name string) Expr { return Expr{fieldSpec(name)} }

// Value is a constant expression.
func Value(v any) Expr { return Expr{valueSpec{v}} }

func (e Expr) Add(x any) Expr { return Expr{arith{"+", e, toExpr(x)}} }
func (e Expr) Sub(x any) Expr { return Expr{arith{"-", e, toExpr(x)}} }
func (e Expr) Mul(x any) Expr { return Expr{arith{"*", e, toExpr(x)}} }
func (e Expr) Div(x any) Expr { return Expr{arith{"/", e, toExpr(x)}} }

// resolve resolves the expression; a zero Expr (orm.Expr{}) is an error
// rather than a nil dereference.
func (e Expr) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	if e.spec == nil {
		return nil, fmt.Errorf("orm: zero Expr; use orm.F or orm.Value")
	}
	return e.spec.resolve(r, hint)
}

func toExpr(x any) Expr {
	if e, ok := x.(Expr); ok {
		return e
	}
	return Value(x)
}

type fieldSpec string

func (s fieldSpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	col, rest, err := r.walk(string(s))
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, r.meta.unknownField(string(s))
	}
	return colExpr{col}, nil
}

type colExpr struct{ col colRef }

func (e colExpr) sql(c *compiler) (string, error) { return c.colSQL(e.col) }
func (e colExpr) field() *Field                   { return e.col.field }
func (e colExpr) hasAgg() bool                    { return e.col.ann != nil && e.col.ann.agg }

type valueSpec struct{ v any }

func (s valueSpec) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	if hint != nil {
		if cv, err := hint.canonical(s.v); err == nil {
			return constExpr{f: hint, v: cv}, nil
		}
	}
	f := exprField("value", KindAuto, r.meta)
	if f.Kind = kindOfValue(s.v); f.Kind != KindAuto {
		// time.Duration is an int64 and decimal.Decimal a struct: the
		// named types come first.
		cv, err := f.canonical(s.v)
		if err != nil {
			return nil, err
		}
		return constExpr{f: f, v: cv}, nil
	}
	switch rv := reflect.ValueOf(s.v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.Kind = KindBigInteger
	case reflect.Float32, reflect.Float64:
		f.Kind = KindFloat
	case reflect.String:
		f.Kind = KindText
	case reflect.Bool:
		f.Kind = KindBoolean
	default:
		switch s.v.(type) {
		case nil:
			return constExpr{f: f}, nil
		default:
			f.Kind = kindOfValue(s.v)
		}
	}
	if f.Kind == KindAuto {
		return nil, fmt.Errorf("orm: Value(%T): unsupported constant type", s.v)
	}
	cv, err := f.canonical(s.v)
	if err != nil {
		return nil, err
	}
	return constExpr{f: f, v: cv}, nil
}

func kindOfValue(v any) Kind {
	switch reflect.TypeOf(v) {
	case typDecimal:
		return KindDecimal
	case typTime:
		return KindDateTime
	case typDuration:
		return KindDuration
	case typUUID:
		return KindUUID
	}
	return KindAuto
}

type constExpr struct {
	f *Field
	v any
}

func (e constExpr) sql(c *compiler) (string, error) {
	if e.v == nil {
		return "NULL", nil
	}
	return c.bind(e.f, e.v)
}
func (e constExpr) field() *Field { return e.f }
func (constExpr) hasAgg() bool    { return false }

type arith struct {
	op   string
	l, r Expr
}

func (a arith) resolve(r *resolver, hint *Field) (resolvedExpr, error) {
	l, err := a.l.resolve(r, hint)
	if err != nil {
		return nil, err
	}
	rr, err := a.r.resolve(r, l.field())
	if err != nil {
		return nil, err
	}
	if _, isConst := l.(constExpr); isConst {
		// A constant on the left takes its type from the right.
		if l, err = a.l.resolve(r, rr.field()); err != nil {
			return nil, err
		}
	}
	// Dates and times take only a duration added or subtracted: anything
	// else is an integer sum on SQLite's text and an error on PostgreSQL.
	lk, rk := l.field().Kind, rr.field().Kind
	temporal := func(k Kind) bool { return k == KindDate || k == KindDateTime || k == KindTime }
	if temporal(lk) || temporal(rk) {
		if lk != KindDateTime || rk != KindDuration || (a.op != "+" && a.op != "-") {
			f := l.field()
			if !temporal(lk) {
				f = rr.field()
			}
			return nil, fmt.Errorf("orm: %s: %s %s %s is not supported; only a time.Duration can be added to or subtracted from a DateTimeField", f, lk, a.op, rk)
		}
	}
	return arithExpr{a.op, l, rr}, nil
}

type arithExpr struct {
	op   string
	l, r resolvedExpr
}

func (e arithExpr) sql(c *compiler) (string, error) {
	l, err := e.l.sql(c)
	if err != nil {
		return "", err
	}
	r, err := e.r.sql(c)
	if err != nil {
		return "", err
	}
	return c.d.arith(e.op, l, r, e.l.field(), e.r.field()), nil
}

func (e arithExpr) field() *Field { return e.l.field() }
func (e arithExpr) hasAgg() bool  { return e.l.hasAgg() || e.r.hasAgg() }

// checkExprType refuses an expression whose result cannot be a value of
// kind want (created_at = F("view_count"), view_count = Value("abc")),
// naming the field f it is compared with or assigned to: SQLite would
// store it and leave a row that does not read back; PostgreSQL would fail.
func checkExprType(want Kind, f *Field, re resolvedExpr, v any) error {
	if c, ok := re.(constExpr); ok && c.v == nil {
		return nil // NULL
	}
	if _, ok := re.(*outerRef); ok {
		return nil // typed by what it is compared with; checked when bound
	}
	family := func(k Kind) string {
		switch {
		case k.isText():
			return "text"
		case k.isInteger(), k == KindFloat, k == KindDecimal:
			return "number"
		case k == KindDate, k == KindDateTime:
			return "date"
		}
		return k.String()
	}
	if got := re.field().Kind; family(got) != family(want) {
		return &ValueError{Field: f, Value: v, Want: "an expression of a matching type, not a " + got.String()}
	}
	return nil
}
