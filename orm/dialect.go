package orm

import (
	"strings"
	"time"
	"unsafe"
)

// dialect is everything that differs between PostgreSQL and SQLite: the
// contract each engine file (postgres.go, sqlite.go) fulfils. Model code
// never sees it.
type dialect interface {
	name() string
	placeholder(n int) string
	// bind converts a canonical value of field f to what the driver sends.
	bind(f *Field, cv any) (any, error)
	// scanTarget is where a column of field f is scanned for instance base.
	scanTarget(f *Field, base unsafe.Pointer) any
	// valueTarget scans a column of field f into a canonical value.
	valueTarget(f *Field, out *any) any

	columnType(f *Field) string
	autoPK() string

	// upper folds case the same way on both engines, non-ASCII included.
	upper(expr string) string
	// textMatch writes a contains/startswith/endswith test of expr
	// against the user's text (with % and _ taken literally), or with
	// fold an exact test too (iexact).
	textMatch(c *compiler, op, expr string, f *Field, text string, fold bool)
	regex(c *compiler, expr string, f *Field, pattern string, fold bool)
	// searchMatch writes the test that the columns of a SearchIndex match
	// q, which has a term to find; searchRank is how well they match.
	searchMatch(c *compiler, t *textTarget, q webQuery) error
	searchRank(c *compiler, t *textTarget, q webQuery) (string, error)
	// trigramSimilar writes the trigram_similar test of a TrigramIndex's
	// column against text; trigramSimilarity is the similarity of a
	// column and a bound text.
	trigramSimilar(c *compiler, t *textTarget, text string) error
	trigramSimilarity(col, text string) string
	// extract is a date part (year, month, day, week_day, hour, …) of expr.
	extract(part, expr string, f *Field) string
	toDate(expr string) string
	// comparable wraps a column whose stored form does not sort as its
	// value does (decimals stored as text on SQLite).
	comparable(expr string, f *Field) string
	// cast gives a bind parameter the column's type where the engine
	// cannot infer it (inside CASE).
	cast(ph string, f *Field) string
	// arith is l op r for expressions of fields lf and rf (exact decimal
	// arithmetic on SQLite, where decimals are text).
	arith(op, l, r string, lf, rf *Field) string
	// aggregate is fn (COUNT, SUM, AVG, MAX, MIN) of x, of field in, giving
	// a value of field out; filter is "" or " FILTER (WHERE …)".
	aggregate(fn, x string, distinct bool, filter string, in, out *Field) string
	// function is a database function of funcs.go (Coalesce, Lower, …) on
	// compiled arguments.
	function(name string, args []string) string
	forUpdate(l *lockOpts) string
	explain(opts string) string
	// noLimit is what stands for LIMIT before an OFFSET without one.
	noLimit() string
	// keysIn writes the test that col is one of ids (a non-empty list).
	keysIn(c *compiler, col string, ids []int64)
	// dateTimeLiteral and durationLiteral are values of DateTime and
	// Duration fields in DDL (defaults, check constraints).
	dateTimeLiteral(t time.Time) string
	durationLiteral(d time.Duration) string
}

func quote(ident string) string { return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"` }

func aggCall(fn, x string, distinct bool, filter string) string {
	if distinct {
		x = "DISTINCT " + x
	}
	return fn + "(" + x + ")" + filter
}
