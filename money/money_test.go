package money_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/money"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct{ code, lang, amount, want string }{
		{"", "", "1234.5", "$1,234.50"},
		{"USD", "en-US", "0", "$0.00"},
		{"USD", "en_US.UTF-8", "-5.5", "-$5.50"},
		{"EUR", "de-DE", "1234.5", "€1.234,50"},
		{"EUR", "de_DE:en", "1234567.891", "€1.234.567,89"},
		{"GBP", "en-GB", "12", "£12.00"},
		{"USD", "C.UTF-8", "1000", "$1,000.00"},
		{"JPY", "en-US", "1234.5", "¥1,235"},
	} {
		s, err := money.New(c.code, c.lang)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Format(decimal.RequireFromString(c.amount)); got != c.want {
			t.Errorf("%s in %s/%s is %q, want %q", c.amount, c.code, c.lang, got, c.want)
		}
	}
}

func TestPlain(t *testing.T) {
	s, _ := money.New("EUR", "de-DE")
	if got := s.Plain(decimal.RequireFromString("1234.5")); got != "1234.50" {
		t.Errorf("Plain is %q", got)
	}
	s, _ = money.New("JPY", "")
	if got := s.Plain(decimal.RequireFromString("1234.5")); got != "1235" {
		t.Errorf("Plain in JPY is %q", got)
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	if _, err := money.New("DOLLARS", ""); err == nil {
		t.Error("a bad currency code is accepted")
	}
	if _, err := money.New("", "not a tag!"); err == nil {
		t.Error("a bad language is accepted")
	}
}

func TestSet(t *testing.T) {
	eur, _ := money.New("EUR", "de-DE")
	old := money.Set(eur)
	defer money.Set(old)
	if got := money.Format(decimal.RequireFromString("3")); got != "€3,00" {
		t.Errorf("after Set, Format is %q", got)
	}
	if money.Code() != "EUR" {
		t.Errorf("Code is %q", money.Code())
	}
}
