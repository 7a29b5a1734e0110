package orm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/shopspring/decimal"
)

// NonFieldErrors is the ValidationError key for errors of the whole
// instance (Django's NON_FIELD_ERRORS, "__all__").
const NonFieldErrors = "__all__"

// ValidationError maps field names to Django's messages for them.
type ValidationError struct {
	Fields map[string][]string
}

func (e *ValidationError) Error() string {
	var parts []string
	for _, name := range sortedKeys(e.Fields) {
		parts = append(parts, name+": "+strings.Join(e.Fields[name], " "))
	}
	return "orm: validation failed: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string][]string{}
	}
	e.Fields[field] = append(e.Fields[field], msg)
}

var slugRe = regexp.MustCompile(`^[-a-zA-Z0-9_]+$`)

// Cleaner is a model whose instances check themselves as a whole, Django's
// Model.clean: FullClean calls Clean after the fields' own checks. A
// *ValidationError it returns joins FullClean's (keyed by field, or
// NonFieldErrors); any other error is returned as it is.
type Cleaner interface {
	Clean(ctx context.Context) error
}

// FullClean validates obj as Django's full_clean does: every field's value
// (required, max_length, choices, formats, number ranges, decimal digits),
// then the instance's Clean when it is a Cleaner, then uniqueness of unique fields and unique constraints, checked by query
// (one per constraint, skipping any with an invalid or empty field). It
// returns a *ValidationError, or nil when obj is valid. Check constraints
// are left to the database, which reports them as IntegrityError.
func (m *Model[T]) FullClean(ctx context.Context, obj *T, exclude ...string) error {
	verr := &ValidationError{}
	base := unsafe.Pointer(obj)
	for _, f := range m.Fields {
		if f.PrimaryKey && f.Kind == KindAuto || f.AutoNow || f.AutoNowAdd || slices.Contains(exclude, f.Name) {
			continue
		}
		for _, msg := range f.clean(f.value(base)) {
			verr.add(f.Name, msg)
		}
	}
	if c, ok := any(obj).(Cleaner); ok {
		var cerr *ValidationError
		switch err := c.Clean(ctx); {
		case errors.As(err, &cerr):
			for field, msgs := range cerr.Fields {
				for _, msg := range msgs {
					verr.add(field, msg)
				}
			}
		case err != nil:
			return err
		}
	}
	if err := m.validateUnique(ctx, base, verr, exclude); err != nil {
		return err
	}
	if len(verr.Fields) > 0 {
		return verr
	}
	return nil
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case File:
		return x.Name == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	// a string type of the app's own (type OrderStatus string)
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.String && rv.Len() == 0
}

// clean returns the messages for one value of field f.
func (f *Field) clean(v any) []string {
	if isEmpty(v) {
		switch {
		case v == nil && !f.Null && f.Kind != KindJSON:
			return []string{"This field cannot be null."}
		case !f.Blank:
			return []string{"This field is required."}
		}
		return nil
	}
	cv, err := f.canonical(v)
	if err != nil {
		return []string{"Enter a valid value."}
	}
	var msgs []string
	if len(f.Choices) > 0 {
		if _, ok := f.choiceLabel(cv); !ok {
			msgs = append(msgs, fmt.Sprintf("Value %s is not a valid choice.", pyRepr(cv)))
		}
	}
	switch x := cv.(type) {
	case string:
		if n := utf8.RuneCountInString(x); f.MaxLength > 0 && n > f.MaxLength {
			msgs = append(msgs, fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", f.MaxLength, n))
		}
		switch f.Kind {
		case KindEmail:
			if !validEmail(x) {
				msgs = append(msgs, "Enter a valid email address.")
			}
		case KindURL:
			if !validURL(x) {
				msgs = append(msgs, "Enter a valid URL.")
			}
		case KindSlug:
			if !slugRe.MatchString(x) {
				msgs = append(msgs, "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.")
			}
		}
	case int64:
		lo, hi := f.Kind.intRange()
		if x < lo {
			msgs = append(msgs, fmt.Sprintf("Ensure this value is greater than or equal to %d.", lo))
		}
		if x > hi {
			msgs = append(msgs, fmt.Sprintf("Ensure this value is less than or equal to %d.", hi))
		}
	case decimal.Decimal:
		msgs = append(msgs, f.cleanDecimal(x)...)
	}
	return msgs
}

// cleanDecimal counts digits as Django's DecimalValidator does.
func (f *Field) cleanDecimal(d decimal.Decimal) []string {
	coef := d.Abs().Coefficient().String()
	exp := int(d.Exponent())
	var digits, places int
	switch {
	case exp >= 0:
		digits = len(coef)
		if coef != "0" {
			digits += exp
		}
	case -exp > len(coef):
		digits, places = -exp, -exp
	default:
		digits, places = len(coef), -exp
	}
	switch {
	case digits > f.MaxDigits:
		return []string{fmt.Sprintf("Ensure that there are no more than %d digits in total.", f.MaxDigits)}
	case places > f.DecimalPlaces:
		return []string{fmt.Sprintf("Ensure that there are no more than %d decimal places.", f.DecimalPlaces)}
	case digits-places > f.MaxDigits-f.DecimalPlaces:
		return []string{fmt.Sprintf("Ensure that there are no more than %d digits before the decimal point.", f.MaxDigits-f.DecimalPlaces)}
	}
	return nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && (strings.Contains(domain, ".") || domain == "localhost") && !strings.HasSuffix(domain, ".") &&
		!strings.ContainsFunc(domain, unicode.IsSpace)
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || strings.ContainsAny(s, " \t\n") {
		return false
	}
	// Django wants a domain with a TLD, localhost, or an IP address
	if host := u.Hostname(); host != "localhost" && !strings.Contains(host, ".") && net.ParseIP(host) == nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp", "ftps":
		return true
	}
	return false
}

// pyRepr quotes a value as Django's messages show it: 'pending', 3.
func pyRepr(v any) string {
	if s, ok := v.(string); ok {
		return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return fmt.Sprint(v)
}

func capFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// validateUnique checks unique fields and unique constraints by query.
func (m *Model[T]) validateUnique(ctx context.Context, base unsafe.Pointer, verr *ValidationError, exclude []string) error {
	for _, c := range m.allConstraints() {
		if c.Kind != "unique" || slices.ContainsFunc(c.Fields, func(name string) bool {
			return verr.Fields[name] != nil || slices.Contains(exclude, name)
		}) {
			continue
		}
		q := Q{}
		skip := false
		for _, name := range c.Fields {
			v := m.Field(name).value(base)
			if v == nil {
				skip = true // NULLs never collide
			}
			q[name] = v
		}
		if skip {
			continue
		}
		qs := m.Objects().Filter(q)
		if !isZero(m.PK, base) {
			qs = qs.Exclude(Q{"pk": m.PK.value(base)})
		}
		taken, err := qs.Exists(ctx)
		if err != nil {
			return err
		}
		if !taken {
			continue
		}
		labels := make([]string, len(c.Fields))
		for i, name := range c.Fields {
			labels[i] = capFirst(m.Field(name).VerboseName)
		}
		switch {
		case len(c.Fields) == 1:
			verr.add(c.Fields[0], fmt.Sprintf("%s with this %s already exists.", capFirst(m.VerboseName), labels[0]))
		default:
			// Django reports a fields-only UniqueConstraint as it does
			// unique_together, listing the fields with get_text_list:
			// "Venue, Row and Number".
			list := strings.Join(labels[:len(labels)-1], ", ") + " and " + labels[len(labels)-1]
			verr.add(NonFieldErrors, fmt.Sprintf("%s with this %s already exists.", capFirst(m.VerboseName), list))
		}
	}
	return nil
}
