package orm_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Walking every page, counted exactly or up to a bound, shows each row
// once and in order, though pages past the middle are read from the end.
func TestPageAndCountUpTo(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{Gadgets.Meta}, func(t *testing.T, ctx context.Context) {
		seedGadgets(t, ctx, 23)
		qs := Gadgets.Objects().Filter(orm.Q{"price__gte": 0})
		for _, order := range [][]string{{"name", "pk"}, {"-price", "-pk"}} {
			all, err := qs.OrderBy(order...).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, limit := range []int64{100, 12, 2} {
				total, err := orm.CountUpTo(ctx, qs, limit)
				if err != nil {
					t.Fatal(err)
				}
				if want := (orm.RowCount{N: min(23, limit), AtLeast: limit < 23}); total != want {
					t.Fatalf("CountUpTo(%d) = %+v, want %+v", limit, total, want)
				}
				var walked []*Gadget
				for n := 1; ; n++ {
					rows, more, err := orm.Page(ctx, qs, orm.QS[Gadget].All, order, n, 5, total)
					if err != nil {
						t.Fatal(err)
					}
					walked = append(walked, rows...)
					if !more {
						break
					}
				}
				if !slices.EqualFunc(walked, all, func(a, b *Gadget) bool { return a.ID == b.ID }) {
					t.Errorf("order %v, count up to %d: the pages do not walk the rows in order", order, limit)
				}
			}
		}
		if got := orm.ReverseOrder([]string{"-name", "pk"}); !slices.Equal(got, []string{"name", "-pk"}) {
			t.Errorf("ReverseOrder = %v", got)
		}
	})
}
