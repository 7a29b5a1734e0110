package admin

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// A money field is written with its format where the admin shows it, and
// stays a plain number where it is typed or exported.
func TestDisplayMoney(t *testing.T) {
	f := &orm.Field{Kind: orm.KindDecimal, MaxDigits: 10, DecimalPlaces: 2}
	other := &orm.Field{Kind: orm.KindDecimal, MaxDigits: 10, DecimalPlaces: 2}
	DisplayMoney(func(d decimal.Decimal) string { return "€" + d.StringFixed(2) }, f, &orm.Field{Kind: orm.KindChar})
	defer moneyFields.Delete(f)
	d := decimal.RequireFromString("12.5")
	if got, _ := displayText(f, d); got != "€12.50" {
		t.Errorf("displayed %q, want €12.50", got)
	}
	if got, _ := displayText(f, &d); got != "€12.50" {
		t.Errorf("a nullable one displayed %q, want €12.50", got)
	}
	if got, ok := displayText(f, nil); ok || got != "" {
		t.Errorf("no value displayed %q", got)
	}
	if got := inputValue(f, d); got != "12.50" {
		t.Errorf("input %q, want 12.50", got)
	}
	if got, _ := displayText(other, d); got != "12.50" {
		t.Errorf("another decimal displayed %q, want 12.50", got)
	}
}

// SearchWord is one more way a word matches, beside SearchFields'.
func TestSearchWord(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		for _, title := range []string{"A1", "B2"} {
			if err := documents.Save(v.ctx, &Document{Title: title, Contact: strings.ToLower(title) + "@example.com"}); err != nil {
				t.Fatal(err)
			}
		}
		ref := func(word string) orm.Cond { return orm.Q{"title": strings.ToUpper(strings.TrimPrefix(word, "#"))} }
		for q, want := range map[string][]string{"#a1": {"A1"}, "b2@": {"B2"}, "#c3": nil} {
			docs, err := documents.Objects().Filter(searchCondWith([]string{"contact"}, q, ref)).OrderBy("title").All(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				got = append(got, d.Title)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q: %q, want %q", q, got, want)
			}
		}
	})
}
