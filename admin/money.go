package admin

import (
	"sync"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// moneyFields are the decimal fields that hold amounts of money, with how
// the admin writes them where it shows them.
var moneyFields sync.Map // *orm.Field → func(decimal.Decimal) string

// DisplayMoney has the admin write the fields' values with format in the
// change list and in read-only fields ("$1,234.50"), where a bare
// "1234.50" would leave the currency to guess. Inputs, CSV exports and
// imports, and the history keep plain numbers, which parse back. A field
// that is not a decimal field is ignored.
func DisplayMoney(format func(decimal.Decimal) string, fields ...*orm.Field) {
	for _, f := range fields {
		if f != nil && f.Kind == orm.KindDecimal {
			moneyFields.Store(f, format)
		}
	}
}

// moneyText is v written as money, when f is a money field.
func moneyText(f *orm.Field, v any) (string, bool) {
	if f == nil {
		return "", false
	}
	format, ok := moneyFields.Load(f)
	if !ok {
		return "", false
	}
	switch d := v.(type) {
	case decimal.Decimal:
		return format.(func(decimal.Decimal) string)(d), true
	case *decimal.Decimal:
		if d != nil {
			return format.(func(decimal.Decimal) string)(*d), true
		}
	}
	return "", false
}
