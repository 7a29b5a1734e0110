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
				// A page past the end, which a bounded count cannot rule
				// out, is empty, however deep: not an error.
				for _, n := range []int{6, 7, 30} {
					rows, more, err := orm.Page(ctx, qs, orm.QS[Gadget].All, order, n, 5, total)
					if err != nil || len(rows) != 0 || more {
						t.Errorf("order %v, count up to %d: page %d past the end = %d rows, %v, %v", order, limit, n, len(rows), more, err)
					}
				}
			}
		}
		if got := orm.ReverseOrder([]string{"-name", "pk"}); !slices.Equal(got, []string{"name", "-pk"}) {
			t.Errorf("ReverseOrder = %v", got)
		}
	})
}

// Seeking after each page's last row, and back before each page's first,
// walks every row once and in order, ties in the order included.
func TestSeek(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{Gadgets.Meta}, func(t *testing.T, ctx context.Context) {
		seedGadgets(t, ctx, 23)
		qs := Gadgets.Objects().Filter(orm.Q{"price__lte": 96})
		ids := func(gs []*Gadget) []int64 {
			out := make([]int64, len(gs))
			for i, g := range gs {
				out[i] = g.ID
			}
			return out
		}
		for _, order := range [][]string{{"name", "pk"}, {"-price", "-pk"}, {"price", "pk"}, {"-pk"}} {
			want, err := qs.OrderBy(order...).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			walked, _, err := orm.Page(ctx, qs, orm.QS[Gadget].All, order, 1, 5, orm.RowCount{N: 23})
			if err != nil {
				t.Fatal(err)
			}
			for page := walked; ; {
				rows, more, ok, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, order, page[len(page)-1].ID, false, 5)
				if err != nil || !ok {
					t.Fatalf("order %v: Seek after: ok %v, err %v", order, ok, err)
				}
				walked, page = append(walked, rows...), rows
				if !more {
					break
				}
			}
			if !slices.Equal(ids(walked), ids(want)) {
				t.Errorf("order %v: walking forwards gives %v, want %v", order, ids(walked), ids(want))
			}
			back := want[len(want)-3:]
			for page := back; ; {
				rows, more, ok, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, order, page[0].ID, true, 5)
				if err != nil || !ok {
					t.Fatalf("order %v: Seek before: ok %v, err %v", order, ok, err)
				}
				back, page = append(rows, back...), rows
				if !more {
					break
				}
			}
			if !slices.Equal(ids(back), ids(want)) {
				t.Errorf("order %v: walking backwards gives %v, want %v", order, ids(back), ids(want))
			}
		}

		// What cannot be sought is read by number instead.
		all, err := qs.OrderBy("pk").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, []string{"sale", "pk"}, all[0].ID, false, 5); ok || err != nil {
			t.Errorf("a nullable column: ok %v, err %v; want not sought", ok, err)
		}
		if _, _, ok, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, []string{"name"}, all[0].ID, false, 5); ok || err != nil {
			t.Errorf("an order without the key: ok %v, err %v; want not sought", ok, err)
		}
		if _, _, ok, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, []string{"pk"}, -1, false, 5); ok || err != nil {
			t.Errorf("a key not in the list: ok %v, err %v; want not sought", ok, err)
		}
		if _, _, _, err := orm.Seek(ctx, Gadgets.Meta, qs, orm.QS[Gadget].All, []string{"pk"}, "x'; --", false, 5); err == nil {
			t.Errorf("a key of the wrong type: no error")
		}
	})
}
