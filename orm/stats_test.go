package orm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Gadget has indexes for its sorts: plain columns, a decimal column
// (text on SQLite, sorted through a CAST), and an expression.
type Gadget struct {
	ID    int64
	Name  string
	Price decimal.Decimal
	Sale  *decimal.Decimal
}

// gadgetPrice is what a customer pays, as the shop's catalog sorts.
func gadgetPrice() orm.Expr {
	return orm.Case(orm.When(orm.Q{"sale__lt": orm.F("price")}, orm.F("sale")), orm.Else(orm.F("price")))
}

var Gadgets = orm.Define("stats", func(g *Gadget, m *orm.Schema) {
	m.Char(&g.Name, orm.MaxLength(50))
	m.Decimal(&g.Price, 10, 2)
	m.Decimal(&g.Sale, 10, 2, orm.Null())
	m.Meta(orm.Ordering("name"), orm.Index("name", "id"), orm.Index("-price", "-id"),
		orm.IndexOn(gadgetPrice(), orm.F("id")).Named("stats_gadget_paid_idx"))
})

func seedGadgets(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	gs := make([]*Gadget, n)
	for i := range gs {
		gs[i] = &Gadget{Name: fmt.Sprintf("gadget %05d", i), Price: decimal.NewFromInt(int64(i%97 + 1))}
		if i%3 == 0 {
			s := gs[i].Price.Sub(decimal.NewFromFloat(0.5))
			gs[i].Sale = &s
		}
	}
	if err := Gadgets.Objects().BulkCreate(ctx, gs, 0); err != nil {
		t.Fatal(err)
	}
}

func TestEstimatedCountAndAnalyze(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{Gadgets.Meta}, func(t *testing.T, ctx context.Context) {
		if _, ok, err := orm.EstimatedCount(ctx, Gadgets.Meta); err != nil || ok {
			t.Fatalf("before any ANALYZE: ok %v, err %v; want no estimate", ok, err)
		}
		seedGadgets(t, ctx, 300)
		if err := orm.Analyze(ctx, Gadgets.Meta); err != nil {
			t.Fatal(err)
		}
		n, ok, err := orm.EstimatedCount(ctx, Gadgets.Meta)
		if err != nil || !ok || n != 300 {
			t.Fatalf("after ANALYZE: %d, ok %v, err %v; want 300", n, ok, err)
		}
		// Inside a transaction too: the estimate must not break it.
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			if _, _, err := orm.EstimatedCount(ctx, Gadgets.Meta); err != nil {
				return err
			}
			_, err := Gadgets.Objects().Count(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The planner reads the indexes for the sorts they were made for: by a
// column in either direction, by a decimal column (a CAST on SQLite), and
// by an expression annotated under the same definition.
func TestIndexesServeTheirOrders(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{Gadgets.Meta}, func(t *testing.T, ctx context.Context) {
		seedGadgets(t, ctx, 3000)
		if err := orm.Analyze(ctx, Gadgets.Meta); err != nil {
			t.Fatal(err)
		}
		cases := map[string]orm.QS[Gadget]{
			"stats_gadget_name_id_idx":            Gadgets.Objects().OrderBy("-name", "-id").Limit(10),
			"stats_gadget_price_desc_id_desc_idx": Gadgets.Objects().OrderBy("price", "id").Limit(10),
			"stats_gadget_paid_idx": Gadgets.Objects().Annotate(orm.A{"paid": gadgetPrice()}).
				OrderBy("-paid", "-id").Limit(10),
		}
		for index, qs := range cases {
			plan, err := qs.Explain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan, index) || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
				t.Errorf("the order for %s is not read from it:\n%s", index, plan)
			}
			rows, err := qs.All(ctx)
			if err != nil || len(rows) != 10 {
				t.Fatalf("%s: %d rows, %v", index, len(rows), err)
			}
		}
	})
}
