package orm_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Edge cases of the SQL a query writes: NULL in CHECKs and comparisons,
// JSON scalars, empty ORs, NaN, zero expressions, time literals, date
// arithmetic and raw SQL placeholders (cond, convert, expr, compiler,
// dialects, raw).

// SQLEdgeDiscount has a CHECK constraint on a nullable column.
type SQLEdgeDiscount struct {
	ID       int64
	Discount *int
}

var SQLEdgeDiscounts = orm.Define("sqledge", func(r *SQLEdgeDiscount, m *orm.Schema) {
	m.Integer(&r.Discount, orm.Null(), orm.Blank())
	m.Meta(orm.CheckConstraint("sqledge_discount_non_negative", orm.Q{"discount__gte": 0}))
})

// SQLEdgeJSONDoc holds JSON fields whose values are not objects.
type SQLEdgeJSONDoc struct {
	ID   int64
	Flag bool
	Doc  map[string]any
}

var SQLEdgeJSONDocs = orm.Define("sqledge", func(r *SQLEdgeJSONDoc, m *orm.Schema) {
	m.JSON(&r.Flag)
	m.JSON(&r.Doc)
})

// SQLEdgePair compares a column with a nullable one.
type SQLEdgePair struct {
	ID    int64
	Name  string
	A     int
	B     *int
	Price decimal.Decimal
}

var SQLEdgePairs = orm.Define("sqledge", func(r *SQLEdgePair, m *orm.Schema) {
	m.Char(&r.Name, orm.MaxLength(50))
	m.Integer(&r.A)
	m.Integer(&r.B, orm.Null(), orm.Blank())
	m.Decimal(&r.Price, 10, 2)
})

// SQLEdgeShift has a CHECK on a time of day and datetimes for arithmetic.
type SQLEdgeShift struct {
	ID        int64
	Start     time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

var SQLEdgeShifts = orm.Define("sqledge", func(r *SQLEdgeShift, m *orm.Schema) {
	m.Time(&r.Start)
	m.DateTime(&r.CreatedAt)
	m.DateTime(&r.UpdatedAt)
	m.Meta(orm.CheckConstraint("sqledge_shift_morning", orm.Q{"start__lt": "12:00"}))
})

var revaModels = []*orm.Meta{SQLEdgeDiscounts.Meta, SQLEdgeJSONDocs.Meta, SQLEdgePairs.Meta, SQLEdgeShifts.Meta}

func TestSQLEdgeCheckLetsNullThrough(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		if err := SQLEdgeDiscounts.Save(ctx, &SQLEdgeDiscount{}); err != nil {
			t.Fatalf("saving a NULL discount: %v", err)
		}
		ok := 5
		if err := SQLEdgeDiscounts.Save(ctx, &SQLEdgeDiscount{Discount: &ok}); err != nil {
			t.Fatalf("saving 5: %v", err)
		}
		bad := -1
		if err := orm.Atomic(ctx, func(ctx context.Context) error {
			return SQLEdgeDiscounts.Save(ctx, &SQLEdgeDiscount{Discount: &bad})
		}); err == nil {
			t.Fatal("saving -1 passed the CHECK constraint")
		}
	})
}

func TestSQLEdgeJSONScalarsRoundTrip(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		obj := &SQLEdgeJSONDoc{Flag: true, Doc: map[string]any{"at": at, "n": 1}}
		if err := SQLEdgeJSONDocs.Save(ctx, obj); err != nil {
			t.Fatal(err)
		}
		got, err := SQLEdgeJSONDocs.Objects().Get(ctx, orm.Q{"id": obj.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Flag {
			t.Errorf("Flag = %v, want true", got.Flag)
		}
		if got.Doc["at"] != at.Format(time.RFC3339Nano) || got.Doc["n"] != float64(1) {
			t.Errorf("Doc = %#v", got.Doc)
		}
		n, err := SQLEdgeJSONDocs.Objects().Filter(orm.Q{"flag": true}).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("Filter(flag=true).Count() = %d, %v; want 1", n, err)
		}
	})
}

func revaPairs(t *testing.T, ctx context.Context) {
	t.Helper()
	one := 1
	for _, p := range []*SQLEdgePair{
		{Name: "a0-bnull", A: 0},
		{Name: "a1-bnull", A: 1},
		{Name: "a1-b1", A: 1, B: &one},
	} {
		if err := SQLEdgePairs.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSQLEdgeExcludeNullableColumnExpr(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		revaPairs(t, ctx)
		rows, err := SQLEdgePairs.Objects().Exclude(orm.Q{"a": orm.F("b")}).OrderBy("name").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rows {
			names = append(names, r.Name)
		}
		if strings.Join(names, ",") != "a0-bnull,a1-bnull" {
			t.Errorf("Exclude(a=F(b)) = %v, want [a0-bnull a1-bnull]", names)
		}
		n, err := SQLEdgePairs.Objects().Filter(orm.Q{"a": orm.F("b")}).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("Filter(a=F(b)).Count() = %d, %v; want 1", n, err)
		}
	})
}

func TestSQLEdgeOrWithEmptyAnd(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		revaPairs(t, ctx)
		for _, tc := range []struct {
			name string
			cond orm.Cond
			want int64
		}{
			{"Or(And(), name)", orm.Or(orm.And(), orm.Q{"name": "zzz"}), 0},
			{"Or(And(), name) matching", orm.Or(orm.And(), orm.Q{"name": "a1-b1"}), 1},
			{"Or(Not(And()), name)", orm.Or(orm.Not(orm.And()), orm.Q{"name": "a1-b1"}), 1},
			{"Or(And()) is no condition", orm.Or(orm.And()), 3},
			{"Or() matches nothing", orm.Or(), 0},
			{"Not(Or(And(), name))", orm.Not(orm.Or(orm.And(), orm.Q{"name": "a1-b1"})), 2},
		} {
			n, err := SQLEdgePairs.Objects().Filter(tc.cond).Count(ctx)
			if err != nil || n != tc.want {
				t.Errorf("%s: Count() = %d, %v; want %d", tc.name, n, err, tc.want)
			}
		}
	})
}

func TestSQLEdgeDecimalNaN(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			_, err := SQLEdgePairs.Objects().Filter(orm.Q{"price__gt": v}).Count(ctx)
			var ve *orm.ValueError
			if !errors.As(err, &ve) {
				t.Errorf("price > %v: err = %v, want a *orm.ValueError", v, err)
			}
		}
	})
}

func TestSQLEdgeZeroExpr(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		revaPairs(t, ctx)
		if _, err := SQLEdgePairs.Objects().Filter(orm.Q{"name": orm.Expr{}}).Count(ctx); err == nil || !strings.Contains(err.Error(), "zero Expr") {
			t.Errorf("Filter(name=Expr{}): err = %v", err)
		}
		if _, err := SQLEdgePairs.Objects().Update(ctx, orm.Values{"a": orm.Expr{}}); err == nil || !strings.Contains(err.Error(), "zero Expr") {
			t.Errorf("Update(a=Expr{}): err = %v", err)
		}
		if _, err := SQLEdgePairs.Objects().Update(ctx, orm.Values{"a": orm.F("a").Add(orm.Expr{})}); err == nil || !strings.Contains(err.Error(), "zero Expr") {
			t.Errorf("Update(a=F(a)+Expr{}): err = %v", err)
		}
	})
}

func TestSQLEdgeTimeCheckLiteral(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		stmts, err := orm.CreateTableSQL(vendor, SQLEdgeShifts.Meta)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stmts[0], `"start" < '12:00:00`) {
			t.Errorf("%s: CHECK does not render the time literal:\n%s", vendor, stmts[0])
		}
	}
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		now := time.Now().UTC()
		if err := SQLEdgeShifts.Save(ctx, &SQLEdgeShift{Start: time.Date(0, 1, 1, 9, 30, 0, 0, time.UTC), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatalf("a morning shift: %v", err)
		}
		if err := orm.Atomic(ctx, func(ctx context.Context) error {
			return SQLEdgeShifts.Save(ctx, &SQLEdgeShift{Start: time.Date(0, 1, 1, 13, 0, 0, 0, time.UTC), CreatedAt: now, UpdatedAt: now})
		}); err == nil {
			t.Error("an afternoon shift passed the CHECK constraint")
		}
	})
}

func TestSQLEdgeDateTimeArithmetic(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		base := time.Date(2024, 1, 31, 23, 30, 0, 250000000, time.UTC)
		rows := []*SQLEdgeShift{
			{Start: time.Date(0, 1, 1, 8, 0, 0, 0, time.UTC), CreatedAt: base, UpdatedAt: base.Add(30 * time.Second)},
			{Start: time.Date(0, 1, 1, 8, 0, 0, 0, time.UTC), CreatedAt: base, UpdatedAt: base.Add(2 * time.Hour)},
		}
		for _, r := range rows {
			if err := SQLEdgeShifts.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		n, err := SQLEdgeShifts.Objects().Filter(orm.Q{"created_at__lt": orm.F("updated_at").Sub(time.Minute)}).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("created_at < updated_at - 1m: Count() = %d, %v; want 1", n, err)
		}
		if _, err := SQLEdgeShifts.Objects().Update(ctx, orm.Values{"created_at": orm.F("created_at").Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		got, err := SQLEdgeShifts.Objects().OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			if !g.CreatedAt.Equal(base.Add(time.Hour)) {
				t.Errorf("created_at = %v, want %v", g.CreatedAt, base.Add(time.Hour))
			}
		}
		// The stored form still sorts and compares as a time.
		n, err = SQLEdgeShifts.Objects().Filter(orm.Q{"created_at": base.Add(time.Hour)}).Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("created_at = base+1h: Count() = %d, %v; want 2", n, err)
		}
		_, err = SQLEdgeShifts.Objects().Update(ctx, orm.Values{"created_at": orm.F("created_at").Add(1)})
		if err == nil || !strings.Contains(err.Error(), "created_at") {
			t.Errorf("created_at + 1: err = %v, want one naming created_at", err)
		}
	})
}

func TestSQLEdgeRawDoubledQuestionMark(t *testing.T) {
	ormtest.Each(t, revaModels, func(t *testing.T, ctx context.Context) {
		var ok bool
		if strings.HasSuffix(t.Name(), "/postgres") {
			if err := orm.QueryRow(ctx, `SELECT ('{"a": 1}'::jsonb ?? ?) AND ? = 2`, []any{"a", 2}, &ok); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := orm.QueryRow(ctx, `SELECT ? = 2`, []any{2}, &ok); err != nil {
				t.Fatal(err)
			}
		}
		if !ok {
			t.Error("got false, want true")
		}
	})
}
