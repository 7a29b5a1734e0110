package orm

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	modsqlite "modernc.org/sqlite"
)

type sqlite struct{}

// Stored forms on SQLite: times as UTC text with fixed microseconds, so that
// text order is time order; decimals as text, so no digit is lost.
const (
	sqliteDateTime = "2006-01-02 15:04:05.000000"
	sqliteDate     = "2006-01-02"
	sqliteTime     = "15:04:05.000000"
)

func init() {
	// SQLite folds only ASCII in upper() and LIKE; these give both engines
	// the same answers for "É" and friends, and REGEXP its implementation.
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_upper", 1,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if s, ok := sqliteText(args[0]); ok {
				return strings.ToUpper(s), nil
			}
			return args[0], nil
		})
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_lower", 1,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if s, ok := sqliteText(args[0]); ok {
				return strings.ToLower(s), nil
			}
			return args[0], nil
		})
	modsqlite.MustRegisterDeterministicScalarFunction("regexp", 2,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			pattern, _ := sqliteText(args[0])
			if args[1] == nil {
				return nil, nil
			}
			s, ok := sqliteText(args[1])
			if !ok {
				s = fmt.Sprint(args[1]) // a number is matched as its text
			}
			re, err := compileRegexp(pattern)
			if err != nil {
				return nil, err
			}
			return re.MatchString(s), nil
		})
	// Decimals are text on SQLite; arithmetic on them goes through these
	// rather than REAL, so that money stays exact (1.50 * 1.10 is 1.65, not
	// 1.6500000000000001) and matches PostgreSQL's numeric.
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_decimal", 3,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			op, _ := args[0].(string)
			a, okA, err := sqliteDecimalArg(args[1])
			if err != nil {
				return nil, err
			}
			b, okB, err := sqliteDecimalArg(args[2])
			if err != nil || !okA || !okB {
				return nil, err // NULL in, NULL out
			}
			switch op {
			case "+":
				return a.Add(b).String(), nil
			case "-":
				return a.Sub(b).String(), nil
			case "*":
				return a.Mul(b).String(), nil
			case "/":
				if b.IsZero() {
					return nil, fmt.Errorf("division by zero")
				}
				return a.DivRound(b, 20).String(), nil
			}
			return nil, fmt.Errorf("quarry_decimal: unknown operator %q", op)
		})
	// quarry_dt_add(datetime, micros) is timestamptz + interval: stored
	// datetimes are text, durations integer microseconds, and the result
	// keeps the stored layout so that text order stays time order.
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_dt_add", 2,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if args[0] == nil {
				return nil, nil
			}
			s, ok := sqliteText(args[0])
			if !ok {
				return nil, fmt.Errorf("quarry_dt_add: not a datetime: %v", args[0])
			}
			var us int64
			switch x := args[1].(type) {
			case nil:
				return nil, nil
			case int64:
				us = x
			case float64:
				us = int64(math.Round(x))
			default:
				return nil, fmt.Errorf("quarry_dt_add: not a duration: %v", x)
			}
			t, err := time.Parse(sqliteDateTime, s)
			if err != nil {
				if t, err = parseTime(s); err != nil {
					return nil, fmt.Errorf("quarry_dt_add: %w", err)
				}
			}
			return t.UTC().Add(time.Duration(us) * time.Microsecond).Format(sqliteDateTime), nil
		})
	// quarry_decimal_round(x, places) is what a numeric(p, s) column does to
	// a value assigned to it on PostgreSQL.
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_decimal_round", 2,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			d, ok, err := sqliteDecimalArg(args[0])
			places, _ := args[1].(int64)
			if err != nil || !ok {
				return nil, err
			}
			return d.StringFixed(int32(places)), nil
		})
}

// decimalAgg is SUM, AVG, MAX or MIN of decimals stored as text, exact as
// PostgreSQL's numeric. NULLs are skipped; no value is NULL.
type decimalAgg struct {
	fn  string
	acc decimal.Decimal
	n   int64
}

func (a *decimalAgg) Step(_ *modsqlite.FunctionContext, args []driver.Value) error {
	d, ok, err := sqliteDecimalArg(args[0])
	if err != nil || !ok {
		return err
	}
	switch {
	case a.n == 0:
		a.acc = d
	case a.fn == "sum", a.fn == "avg":
		a.acc = a.acc.Add(d)
	case a.fn == "max" && d.GreaterThan(a.acc), a.fn == "min" && d.LessThan(a.acc):
		a.acc = d
	}
	a.n++
	return nil
}

func (a *decimalAgg) WindowInverse(*modsqlite.FunctionContext, []driver.Value) error {
	return fmt.Errorf("quarry_decimal_%s cannot be used as a window function", a.fn)
}

func (a *decimalAgg) WindowValue(*modsqlite.FunctionContext) (driver.Value, error) {
	switch {
	case a.n == 0:
		return nil, nil
	case a.fn == "avg":
		// PostgreSQL's numeric average keeps 16 significant places at least
		return a.acc.DivRound(decimal.NewFromInt(a.n), 16).String(), nil
	}
	return a.acc.String(), nil
}

func (a *decimalAgg) Final(*modsqlite.FunctionContext) {}

func init() {
	for _, fn := range []string{"sum", "avg", "max", "min"} {
		modsqlite.MustRegisterFunction("quarry_decimal_"+fn, &modsqlite.FunctionImpl{
			NArgs:         1,
			Deterministic: true,
			MakeAggregate: func(modsqlite.FunctionContext) (modsqlite.AggregateFunction, error) {
				return &decimalAgg{fn: fn}, nil
			},
		})
	}
}

// sqliteDecimalArg reads a decimal from what SQLite hands a function: the
// stored text, or an integer or REAL from other arithmetic.
func sqliteDecimalArg(v driver.Value) (decimal.Decimal, bool, error) {
	switch x := v.(type) {
	case nil:
		return decimal.Decimal{}, false, nil
	case int64:
		return decimal.NewFromInt(x), true, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return decimal.Decimal{}, false, fmt.Errorf("not a finite decimal: %v", x)
		}
		return decimal.NewFromFloat(x), true, nil
	case []byte:
		v = string(x)
	}
	s, _ := v.(string)
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Decimal{}, false, fmt.Errorf("not a decimal: %q", s)
	}
	return d, true, nil
}

// sqliteText reads a text argument of a registered function.
func sqliteText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// regexpCache holds compiled patterns; user-supplied patterns make its size
// unbounded, so it is emptied when it grows past a limit.
var regexpCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

func compileRegexp(pattern string) (*regexp.Regexp, error) {
	regexpCache.Lock()
	defer regexpCache.Unlock()
	if re, ok := regexpCache.m[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	if regexpCache.m == nil || len(regexpCache.m) >= 256 {
		regexpCache.m = map[string]*regexp.Regexp{}
	}
	regexpCache.m[pattern] = re
	return re, nil
}

func (sqlite) name() string { return "sqlite" }

func (sqlite) placeholder(int) string { return "?" }

func (sqlite) bind(f *Field, cv any) (any, error) {
	if f.Kind == KindJSON && cv != nil {
		// Before the type switch: a JSON true, time or UUID is JSON text,
		// not SQLite's 1 or a bare string.
		b, err := json.Marshal(cv)
		if err != nil {
			return nil, fmt.Errorf("orm: %s: %w", f, err)
		}
		return string(b), nil
	}
	switch x := cv.(type) {
	case nil:
		return nil, nil
	case time.Time:
		switch f.Kind {
		case KindDate:
			return x.Format(sqliteDate), nil
		case KindTime:
			return x.Format(sqliteTime), nil
		}
		return x.UTC().Format(sqliteDateTime), nil
	case time.Duration:
		return x.Microseconds(), nil
	case decimal.Decimal:
		if f.Kind == KindDecimal && f.DecimalPlaces >= 0 {
			return x.StringFixed(int32(f.DecimalPlaces)), nil
		}
		return x.String(), nil
	case uuid.UUID:
		return x.String(), nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	}
	if f.Kind == KindJSON {
		b, err := json.Marshal(cv)
		if err != nil {
			return nil, fmt.Errorf("orm: %s: %w", f, err)
		}
		return string(b), nil
	}
	return cv, nil
}

func (sqlite) scanTarget(f *Field, base unsafe.Pointer) any {
	return &dbScanner{f: f, rv: f.rvalue(base)}
}

func (sqlite) valueTarget(f *Field, out *any) any { return &valueScanner{f: f, out: out} }

func (sqlite) columnType(f *Field) string {
	switch f.Kind {
	case KindChar, KindSlug, KindEmail, KindURL, KindFile, KindImage:
		return fmt.Sprintf("varchar(%d)", f.MaxLength)
	case KindText, KindJSON, KindDecimal:
		return "text"
	case KindUUID:
		return "char(36)"
	case KindAuto, KindInteger, KindBigInteger, KindSmallInteger, KindPositiveInteger,
		KindPositiveSmallInteger, KindDuration, KindForeignKey, KindOneToOne:
		return "integer"
	case KindFloat:
		return "real"
	case KindBoolean:
		return "bool"
	case KindDate:
		return "date"
	case KindDateTime:
		return "datetime"
	case KindTime:
		return "time"
	}
	panic("orm: no column type for " + f.Kind.String())
}

func (sqlite) autoPK() string { return "integer PRIMARY KEY AUTOINCREMENT" }

func (sqlite) upper(expr string) string { return "quarry_upper(" + expr + ")" }

// sqliteMaxLike is SQLite's limit on the length of a LIKE pattern
// (SQLITE_MAX_LIKE_PATTERN_LENGTH).
const sqliteMaxLike = 50000

// textMatch folds ASCII text with LIKE, which ignores ASCII case inside
// SQLite, with no call into Go for each row; the same answers as
// PostgreSQL's UPPER for such text, unless a value holds a non-ASCII letter
// that upper-cases to an ASCII one (the Turkish dotless ı). Other text is
// folded by quarry_upper (non-ASCII letters too) and matched with instr
// and substr, which need no escaping; so is matching that keeps case,
// since LIKE cannot.
func (d sqlite) textMatch(c *compiler, op, expr string, f *Field, text string, fold bool) {
	if fold && isASCII(text) && 2*len(text)+2 <= sqliteMaxLike {
		c.sql.WriteString(expr + " LIKE " + c.arg(likePattern(op, text)) + ` ESCAPE '\'`)
		return
	}
	if fold {
		expr, text = d.upper(expr), strings.ToUpper(text)
	}
	switch op {
	case "exact":
		c.sql.WriteString(expr + " = " + c.arg(text))
	case "contains":
		c.sql.WriteString("instr(" + expr + ", " + c.arg(text) + ") > 0")
	case "startswith":
		c.sql.WriteString("substr(" + expr + ", 1, " + fmt.Sprint(len([]rune(text))) + ") = " + c.arg(text))
	case "endswith":
		if text == "" {
			c.sql.WriteString(expr + " IS NOT NULL")
			return
		}
		c.sql.WriteString("substr(" + expr + ", " + fmt.Sprint(-len([]rune(text))) + ") = " + c.arg(text))
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (sqlite) regex(c *compiler, expr string, f *Field, pattern string, fold bool) {
	if fold {
		pattern = "(?i)" + pattern
	}
	c.sql.WriteString(expr + " REGEXP " + c.arg(pattern))
}

func (sqlite) extract(part, expr string, f *Field) string {
	format := map[string]string{"year": "%Y", "month": "%m", "day": "%d", "week_day": "%w",
		"week": "%V", "hour": "%H", "minute": "%M", "second": "%S", "quarter": "%m"}[part]
	s := "CAST(strftime('" + format + "', " + expr + ") AS INTEGER)"
	switch part {
	case "week_day":
		s = "(" + s + " + 1)"
	case "quarter":
		s = "((" + s + " + 2) / 3)"
	}
	return s
}

func (sqlite) cast(ph string, f *Field) string {
	if f != nil && f.Kind == KindDecimal && f.DecimalPlaces >= 0 {
		return fmt.Sprintf("quarry_decimal_round(%s, %d)", ph, f.DecimalPlaces)
	}
	return ph
}

func (d sqlite) arith(op, l, r string, lf, rf *Field) string {
	if lf != nil && rf != nil && lf.Kind == KindDateTime && rf.Kind == KindDuration {
		if op == "-" {
			r = "-(" + r + ")"
		}
		return "quarry_dt_add(" + l + ", " + r + ")"
	}
	if (lf != nil && lf.Kind == KindDecimal) || (rf != nil && rf.Kind == KindDecimal) {
		return "quarry_decimal('" + op + "', " + l + ", " + r + ")"
	}
	return "(" + d.comparable(l, lf) + " " + op + " " + d.comparable(r, rf) + ")"
}

func (sqlite) toDate(expr string) string { return "date(" + expr + ")" }

func (sqlite) comparable(expr string, f *Field) string {
	if f != nil && f.Kind == KindDecimal {
		return "CAST(" + expr + " AS REAL)"
	}
	return expr
}

// aggregate uses Quarry's own aggregates for decimals, which are text on
// SQLite: its SUM and AVG would go through REAL, and MAX and MIN compare
// text ("9.00" > "10.00").
func (sqlite) aggregate(fn, x string, distinct bool, filter string, in, out *Field) string {
	if in != nil && in.Kind == KindDecimal && fn != "COUNT" {
		fn = "quarry_decimal_" + strings.ToLower(fn)
	}
	return aggCall(fn, x, distinct, filter)
}

// function keeps SQLite's results in the stored layouts (times as
// sqliteDateTime text) and its text functions Unicode-aware.
func (sqlite) function(name string, args []string) string {
	switch name {
	case "Lower":
		return "quarry_lower(" + args[0] + ")"
	case "Upper":
		return "quarry_upper(" + args[0] + ")"
	case "Concat":
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = "COALESCE(" + a + ", '')"
		}
		return "(" + strings.Join(parts, " || ") + ")"
	case "Now":
		return "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
	case "TruncDate":
		return "date(" + args[0] + ")"
	case "TruncMonth":
		return "strftime('%Y-%m-01 00:00:00.000000', " + args[0] + ")"
	case "TruncMonthDate":
		return "strftime('%Y-%m-01', " + args[0] + ")"
	}
	return strings.ToUpper(name) + "(" + strings.Join(args, ", ") + ")" // COALESCE, LENGTH
}

// SQLite has no row locks: a transaction takes the write lock when it
// begins (BEGIN IMMEDIATE), which serialises writers.
func (sqlite) forUpdate(*lockOpts) string { return "" }

func (sqlite) explain(string) string { return "EXPLAIN QUERY PLAN " }

// noLimit: SQLite needs a LIMIT before an OFFSET.
func (sqlite) noLimit() string { return " LIMIT -1" }

func (sqlite) keysIn(c *compiler, col string, ids []int64) {
	c.sql.WriteString(col + " IN (")
	for i, id := range ids {
		if i > 0 {
			c.sql.WriteString(", ")
		}
		c.sql.WriteString(c.arg(id))
	}
	c.sql.WriteByte(')')
}

func (sqlite) dateTimeLiteral(t time.Time) string { return "'" + t.UTC().Format(sqliteDateTime) + "'" }

// durationLiteral: a duration is stored as its microseconds.
func (sqlite) durationLiteral(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }

func init() {
	// Scores only the candidates the trigram FTS5 table found, never a
	// whole table.
	modsqlite.MustRegisterDeterministicScalarFunction("quarry_similarity", 2,
		func(_ *modsqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			a, okA := sqliteText(args[0])
			b, okB := sqliteText(args[1])
			if !okA || !okB {
				return nil, nil
			}
			return similarity(a, b), nil
		})
}

// searchMatch looks the query up in the index's FTS5 table, whose row ids
// are the primary keys.
func (sqlite) searchMatch(c *compiler, t *textTarget, q webQuery) error {
	pk, err := c.colSQL(t.pk)
	if err != nil {
		return err
	}
	fts := quote(t.ix.Name)
	c.sql.WriteString(pk + " IN (SELECT rowid FROM " + fts + " WHERE " + fts + " MATCH " + c.arg(q.fts5()) + ")")
	return nil
}

// searchRank is bm25, negated so that a better match is higher as with
// ts_rank, for the row's own entry of the FTS5 table. The matches are
// ranked once, in a materialized table the row looks itself up in: a
// MATCH per row, narrowed to the row's id, still walks the term's whole
// posting list, which made ranking 16,000 matches take 17 s instead of
// 60 ms.
func (sqlite) searchRank(c *compiler, t *textTarget, q webQuery) (string, error) {
	pk, err := c.colSQL(t.pk)
	if err != nil {
		return "", err
	}
	fts := quote(t.ix.Name)
	ranked := quote(t.ix.Name + "_rank")
	return "COALESCE((WITH " + ranked + "(id, r) AS MATERIALIZED (SELECT rowid, -bm25(" + fts + bm25Weights(t.ix) + ") FROM " + fts +
		" WHERE " + fts + " MATCH " + c.arg(q.fts5()) + ") SELECT r FROM " + ranked + " WHERE id = " + pk + "), 0.0)", nil
}

// trigramSimilar narrows the rows to those sharing a trigram with text,
// through the index's FTS5 table, and scores only those.
func (d sqlite) trigramSimilar(c *compiler, t *textTarget, text string) error {
	match := trigramCandidates(text)
	if match == "" {
		c.sql.WriteString("(1 = 0)")
		return nil
	}
	pk, err := c.colSQL(t.pk)
	if err != nil {
		return err
	}
	col, err := c.colSQL(t.cols[0])
	if err != nil {
		return err
	}
	fts := quote(t.ix.Name)
	c.sql.WriteString("(" + pk + " IN (SELECT rowid FROM " + fts + " WHERE " + fts + " MATCH " + c.arg(match) + ") AND " +
		d.trigramSimilarity(col, c.arg(text)) + " >= " + formatFloat(trigramThreshold) + ")")
	return nil
}

func (sqlite) trigramSimilarity(col, text string) string {
	return "quarry_similarity(" + col + ", " + text + ")"
}
