package admin

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// This file converts between field values and the text of form inputs,
// CSV cells and list cells, with Django's messages for bad input.

// inputValue is a field's value as its input shows it.
func inputValue(f *orm.Field, v any) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "on"
		}
		return ""
	case time.Time:
		switch f.Kind {
		case orm.KindDate:
			return x.Format(time.DateOnly)
		case orm.KindTime:
			if x.Second() != 0 {
				return x.Format(time.TimeOnly)
			}
			return x.Format("15:04")
		}
		if x.Second() != 0 {
			return x.UTC().Format("2006-01-02T15:04:05")
		}
		return x.UTC().Format("2006-01-02T15:04")
	case decimal.Decimal:
		if f.DecimalPlaces > 0 {
			return x.StringFixed(int32(f.DecimalPlaces))
		}
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Duration:
		return formatDuration(x)
	case orm.File:
		return x.Name
	}
	if f.Kind == orm.KindJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// formatDuration is Django's duration_string: "[D ]HH:MM:SS[.ffffff]".
func formatDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	s := fmt.Sprintf("%02d:%02d:%02d", d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second)
	if us := d % time.Second / time.Microsecond; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	if days > 0 {
		s = fmt.Sprintf("%d %s", days, s)
	}
	return sign + s
}

func parseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var days int64
	rest := s
	if before, after, ok := strings.Cut(s, " "); ok {
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil {
			return 0, err
		}
		days, rest = n, after
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("bad duration")
	}
	var total float64
	for _, p := range parts {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration")
		}
		total = total*60 + n
	}
	return time.Duration(days)*24*time.Hour + time.Duration(total*float64(time.Second)), nil
}

// inputError is a user's input that does not parse, with Django's words.
type inputError string

func (e inputError) Error() string { return string(e) }

const errRequired inputError = "This field is required."

// errFileContradiction is an upload sent with its field's Clear box ticked.
const errFileContradiction inputError = "Please either submit a file or check the clear checkbox, not both."

// parseInput turns an input's text into a value for Set. Empty text is nil
// (NULL) for a nullable field, the zero value for a blank one, and
// errRequired otherwise; booleans are never required (an unticked box is
// false). A value Set would refuse is an inputError too.
func parseInput(f *orm.Field, raw string) (any, error) {
	if strings.ContainsRune(raw, 0) {
		return nil, inputError("Null characters are not allowed.")
	}
	raw = strings.ToValidUTF8(raw, "\uFFFD")
	if f.Kind != orm.KindText && f.Kind != orm.KindJSON {
		raw = strings.TrimSpace(raw)
	}
	if f.Kind == orm.KindBoolean {
		switch strings.ToLower(raw) {
		case "on", "true", "1", "yes":
			return true, nil
		case "", "off", "false", "0", "no":
			if raw == "" && f.Null {
				return nil, nil
			}
			return false, nil
		}
		return nil, inputError("“" + raw + "” value must be either True or False.")
	}
	if raw == "" {
		switch {
		case !f.Blank:
			return nil, errRequired
		case f.Null || f.Rel != nil:
			return nil, nil
		case f.Kind == orm.KindJSON:
			return nil, nil
		}
		return emptyValue(f), nil
	}
	if len(f.Choices) > 0 && f.Rel == nil {
		v, err := parseScalar(f, raw)
		if err != nil || !isChoice(f, v) {
			return nil, inputError(fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", raw))
		}
		return v, nil
	}
	return parseScalar(f, raw)
}

func parseScalar(f *orm.Field, raw string) (any, error) {
	switch f.Kind {
	case orm.KindChar, orm.KindText, orm.KindSlug, orm.KindEmail, orm.KindURL, orm.KindFile, orm.KindImage:
		return raw, nil
	case orm.KindAuto, orm.KindInteger, orm.KindBigInteger, orm.KindSmallInteger, orm.KindPositiveInteger,
		orm.KindPositiveSmallInteger, orm.KindForeignKey, orm.KindOneToOne:
		if f.Rel != nil && f.Rel.To != nil && f.Rel.To.PK.Kind == orm.KindUUID {
			return parseScalar(f.Rel.To.PK, raw)
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			if f.Rel != nil {
				return nil, inputError("Select a valid choice. That choice is not one of the available choices.")
			}
			return nil, inputError("Enter a whole number.")
		}
		return n, nil
	case orm.KindFloat:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, inputError("Enter a number.")
		}
		return x, nil
	case orm.KindDecimal:
		d, err := decimal.NewFromString(raw)
		if err != nil {
			return nil, inputError("Enter a number.")
		}
		return d, nil
	case orm.KindDate:
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			return nil, inputError("Enter a valid date.")
		}
		return t, nil
	case orm.KindDateTime:
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", time.RFC3339, time.RFC3339Nano, time.DateOnly} {
			if t, err := time.Parse(layout, raw); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, inputError("Enter a valid date/time.")
	case orm.KindTime:
		for _, layout := range []string{"15:04", "15:04:05", "15:04:05.999999"} {
			if t, err := time.Parse(layout, raw); err == nil {
				return t, nil
			}
		}
		return nil, inputError("Enter a valid time.")
	case orm.KindDuration:
		d, err := parseDuration(raw)
		if err != nil {
			return nil, inputError("Enter a valid duration.")
		}
		return d, nil
	case orm.KindUUID:
		u, err := uuid.Parse(raw)
		if err != nil {
			return nil, inputError("Enter a valid UUID.")
		}
		return u, nil
	case orm.KindJSON:
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, inputError("Enter a valid JSON.")
		}
		return v, nil
	}
	return nil, inputError("Enter a valid value.")
}

// emptyValue is what a blank, non-null field holds when left empty.
func emptyValue(f *orm.Field) any {
	switch f.Kind {
	case orm.KindChar, orm.KindText, orm.KindSlug, orm.KindEmail, orm.KindURL, orm.KindFile, orm.KindImage:
		return ""
	case orm.KindDecimal:
		return decimal.Zero
	case orm.KindFloat:
		return 0.0
	case orm.KindDate, orm.KindDateTime, orm.KindTime:
		return time.Time{}
	case orm.KindDuration:
		return time.Duration(0)
	case orm.KindUUID:
		return uuid.Nil
	}
	return int64(0)
}

func isChoice(f *orm.Field, v any) bool {
	want := fmt.Sprint(v)
	for _, c := range f.Choices {
		if fmt.Sprint(c.Value) == want {
			return true
		}
	}
	return false
}

// searchText is a search term as the database can take it: PostgreSQL
// refuses a NUL or bytes that are not UTF-8 in text, which a user can
// still type into a URL.
func searchText(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD"))
}

// parseKey parses a primary key from a URL or a checkbox.
func parseKey(pk *orm.Field, raw string) (any, error) {
	if raw == "" {
		return nil, inputError("empty key")
	}
	return parseScalar(pk, raw)
}

// displayText is a value as the change list and read-only fields show it;
// ok is false for no value (Django's empty_value_display, "-").
func displayText(f *orm.Field, v any) (string, bool) {
	if v == nil {
		return "", false
	}
	if f != nil && len(f.Choices) > 0 {
		want := fmt.Sprint(v)
		for _, c := range f.Choices {
			if fmt.Sprint(c.Value) == want {
				return c.Label, true
			}
		}
	}
	switch x := v.(type) {
	case string:
		return x, x != ""
	case time.Time:
		if x.IsZero() {
			return "", false
		}
		if f != nil {
			switch f.Kind {
			case orm.KindDate:
				return x.Format("Jan. 2, 2006"), true
			case orm.KindTime:
				return x.Format("15:04"), true
			}
		}
		return x.UTC().Format("Jan. 2, 2006, 15:04"), true
	case orm.File:
		return x.Name, x.Name != ""
	}
	if text, ok := moneyText(f, v); ok {
		return text, true
	}
	if f != nil {
		return inputValue(f, v), true
	}
	return fmt.Sprint(v), true
}
