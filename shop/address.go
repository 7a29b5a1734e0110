package shop

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// Address is a shipping address in the parts the checkout asks for.
type Address struct {
	Name       string
	Line1      string
	Line2      string
	City       string
	PostalCode string
	Country    string // an ISO 3166-1 alpha-2 code, one of Countries
}

// Text is the address as lines, the way a label is written: name, street
// lines, postal code and city, country name. Order.ShippingAddress keeps
// it for the readers that came before the parts.
func (a Address) Text() string {
	var lines []string
	for _, l := range []string{a.Name, a.Line1, a.Line2,
		strings.TrimSpace(a.PostalCode + " " + a.City), CountryName(a.Country)} {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// IsZero reports whether no part is filled: an order placed before the
// parts, whose address is only ShippingAddress.
func (a Address) IsZero() bool { return a == Address{} }

// ShippingAddressParts is the order's address in parts.
func (o *Order) ShippingAddressParts() Address {
	return Address{Name: o.ShippingName, Line1: o.ShippingLine1, Line2: o.ShippingLine2,
		City: o.ShippingCity, PostalCode: o.ShippingPostalCode, Country: o.ShippingCountry}
}

// SetShippingAddress writes a into the order's parts and its text.
func (o *Order) SetShippingAddress(a Address) {
	o.ShippingName, o.ShippingLine1, o.ShippingLine2 = a.Name, a.Line1, a.Line2
	o.ShippingCity, o.ShippingPostalCode, o.ShippingCountry = a.City, a.PostalCode, a.Country
	o.ShippingAddress = a.Text()
}

// Countries are the countries the shop ships to, by ISO 3166-1 alpha-2
// code, in the order the checkout's select lists them. A short list: the
// ones a shop of this size ships to, not the world.
var Countries = orm.NewChoices(
	orm.C("AT", "Austria"),
	orm.C("AU", "Australia"),
	orm.C("BE", "Belgium"),
	orm.C("CA", "Canada"),
	orm.C("CH", "Switzerland"),
	orm.C("CZ", "Czechia"),
	orm.C("DE", "Germany"),
	orm.C("DK", "Denmark"),
	orm.C("ES", "Spain"),
	orm.C("FI", "Finland"),
	orm.C("FR", "France"),
	orm.C("GB", "United Kingdom"),
	orm.C("IE", "Ireland"),
	orm.C("IT", "Italy"),
	orm.C("JP", "Japan"),
	orm.C("MX", "Mexico"),
	orm.C("NL", "Netherlands"),
	orm.C("NO", "Norway"),
	orm.C("NZ", "New Zealand"),
	orm.C("PL", "Poland"),
	orm.C("PT", "Portugal"),
	orm.C("SE", "Sweden"),
	orm.C("US", "United States"),
)

// CountryName is the name of the country with code; a value that is no
// known code (an address typed before codes) is returned as it is.
func CountryName(code string) string {
	for _, c := range Countries.Items() {
		if c.Value == code {
			return c.Label
		}
	}
	return code
}

// countryCode is the code of a country written as a code or a name, any
// case, with the names customers typed before the select ("USA", "UK");
// "" when it is none of Countries.
func countryCode(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToUpper(strings.ReplaceAll(s, ".", "")) {
	case "USA", "UNITED STATES OF AMERICA":
		return "US"
	case "UK", "GREAT BRITAIN", "ENGLAND", "SCOTLAND", "WALES":
		return "GB"
	}
	for _, c := range Countries.Items() {
		if strings.EqualFold(c.Value, s) || strings.EqualFold(c.Label, s) {
			return c.Value
		}
	}
	return ""
}

// referenceAlphabet is Crockford's base32: digits and capitals without I,
// L, O and U, so that a reference read out on the phone or copied by hand
// cannot be mistaken for another.
const referenceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// referenceLength gives 32^8, about 10^12, references: the chance that a
// new order draws one already taken stays below one in a million up to a
// million orders, and PlaceOrder draws again when it does.
const referenceLength = 8

// NewReference draws an order reference: 8 random characters of
// Crockford's base32, "7KQ2M9XD". References are random rather than
// derived from the id so that they tell nothing of how many orders the
// shop takes, and short rather than the order's UUID so that a customer
// can read one out.
func NewReference() string {
	b := make([]byte, referenceLength)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on the systems Go supports
	}
	for i := range b {
		b[i] = referenceAlphabet[b[i]%32]
	}
	return string(b)
}

// NormalizeReference is a reference as typed by a customer or staff
// member, the way it is stored: a leading '#', spaces and dashes dropped,
// upper case, and the letters Crockford's base32 reads as digits (O as 0,
// I and L as 1) read so.
func NormalizeReference(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "#")
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	return strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(s)
}

// maxReferenceDraws bounds the references PlaceOrder tries for one order.
const maxReferenceDraws = 5

// createOrder inserts o, drawing a new reference as long as the one drawn
// is taken. Each try runs in a savepoint, so that on PostgreSQL the
// refused insert leaves the order's transaction usable.
func createOrder(ctx context.Context, o *Order) error {
	for draw := 1; ; draw++ {
		err := orm.Atomic(ctx, func(ctx context.Context) error { return Orders.Objects().Create(ctx, o) })
		var ie *orm.IntegrityError
		if err == nil || draw == maxReferenceDraws || !errors.As(err, &ie) || !slices.Contains(ie.Fields, "reference") {
			return err
		}
		o.Reference = NewReference()
	}
}
