package orm_test

import (
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// Unindexed sorts by a column no index serves.
type Unindexed struct {
	ID   int64
	Name string
}

var Unindexeds = orm.Define("stats", func(u *Unindexed, m *orm.Schema) {
	m.Char(&u.Name, orm.MaxLength(50))
	m.Meta(orm.Ordering("name"))
})

func TestOrderAndFilterIndexed(t *testing.T) {
	m := Gadgets.Meta
	for order, want := range map[string]bool{
		"name,id": true, "-name,-id": true, "name": true, "name,-id": false, "-name,id": false,
		"price,id": true, "-price,-id": true, "price,-id": false, "sale,id": false, "pk": true, "-id": true,
	} {
		if got := m.OrderIndexed(strings.Split(order, ",")...); got != want {
			t.Errorf("OrderIndexed(%s) = %v, want %v", order, got, want)
		}
	}
	for field, want := range map[string]bool{"name": true, "price": true, "sale": false, "id": true, "nope": false} {
		if got := m.FilterIndexed(field); got != want {
			t.Errorf("FilterIndexed(%s) = %v, want %v", field, got, want)
		}
	}
	if got := orm.WithPK(m, []string{"-price"}); strings.Join(got, ",") != "-price,-pk" {
		t.Errorf("WithPK(-price) = %v", got)
	}
}

func TestCheck(t *testing.T) {
	if ws := orm.Check(Gadgets.Meta); len(ws) != 0 {
		t.Errorf("Gadget's ordering has its index, yet: %v", ws)
	}
	ws := orm.Check(Unindexeds.Meta)
	if len(ws) != 1 || ws[0].ID != "orm.W001" || !strings.Contains(ws[0].Hint, `orm.Index("name", "id")`) {
		t.Fatalf("Check(Unindexed) = %v", ws)
	}
}
