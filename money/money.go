// Package money is the shop's one currency and how amounts are written in
// it. The currency comes from the CURRENCY environment variable (an ISO
// 4217 code, default USD) and the way digits are grouped from LANGUAGE (a
// BCP 47 tag such as en-US or de-DE, default en-US), read once at start.
//
// The rule is simple on purpose: the currency's symbol as the language
// writes it, then the amount with no space, grouped and rounded to the
// currency's minor unit as the language writes numbers: "$1,234.50" in
// USD and en-US, "€1.234,50" in EUR and de-DE, "¥1,235" in JPY. CSV
// exports and form inputs never use it: they carry plain numbers
// (Plain).
package money

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shopspring/decimal"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Settings are a currency and the language its amounts are written in.
type Settings struct {
	Currency currency.Unit
	Language language.Tag
}

// New reads a currency code and a language tag; empty ones take the
// defaults, USD and en-US.
func New(code, lang string) (Settings, error) {
	s := Settings{Currency: currency.USD, Language: language.AmericanEnglish}
	if code = strings.TrimSpace(code); code != "" {
		u, err := currency.ParseISO(code)
		if err != nil {
			return s, fmt.Errorf("money: %q is not an ISO 4217 currency code", code)
		}
		s.Currency = u
	}
	if lang = strings.TrimSpace(lang); lang != "" {
		// LANGUAGE may be a POSIX locale ("de_DE.UTF-8") or a list
		// ("de_DE:en"), as shells set it: the first tag counts.
		lang, _, _ = strings.Cut(lang, ":")
		lang, _, _ = strings.Cut(lang, ".")
		if lang == "C" || lang == "POSIX" {
			return s, nil // the shell's "no locale"
		}
		t, err := language.Parse(strings.ReplaceAll(lang, "_", "-"))
		if err != nil {
			return s, fmt.Errorf("money: %q is not a language tag", lang)
		}
		s.Language = t
	}
	return s, nil
}

var current atomic.Pointer[Settings]

func init() {
	s, err := New(os.Getenv("CURRENCY"), os.Getenv("LANGUAGE"))
	if err != nil {
		// A bad setting must not take the shop down; the default is
		// written where every amount shows it.
		fmt.Fprintln(os.Stderr, err, "- using", s.Currency)
	}
	current.Store(&s)
}

// Current is the shop's settings.
func Current() Settings { return *current.Load() }

// Set makes s the shop's settings and returns the previous ones, for
// tests and for a command line flag that overrides the environment.
func Set(s Settings) Settings { return *current.Swap(&s) }

// Code is the shop's currency code, "USD".
func Code() string { return Current().Currency.String() }

// Format writes d in the shop's currency: "$1,234.50".
func Format(d decimal.Decimal) string { return Current().Format(d) }

// Plain writes d with the currency's decimals and no symbol or grouping,
// as a CSV cell or a form input carries it: "1234.50".
func Plain(d decimal.Decimal) string { return Current().Plain(d) }

// Digits is how many decimals the currency's amounts show.
func (s Settings) Digits() int {
	scale, _ := currency.Standard.Rounding(s.Currency)
	return scale
}

// Plain writes d rounded to the currency's decimals.
func (s Settings) Plain(d decimal.Decimal) string { return d.StringFixed(int32(s.Digits())) }

// Format writes d with the currency's symbol, grouped as the language
// groups numbers.
func (s Settings) Format(d decimal.Decimal) string {
	p := message.NewPrinter(s.Language)
	sign := ""
	if d.IsNegative() {
		sign, d = "-", d.Neg()
	}
	// Rounded as decimals before the float: an amount of at most 15
	// digits goes through a float64 exactly.
	f, _ := strconv.ParseFloat(s.Plain(d), 64)
	digits := s.Digits()
	amount := p.Sprint(number.Decimal(f, number.Scale(digits)))
	return sign + p.Sprint(currency.Symbol(s.Currency)) + amount
}
