package orm

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// File is the value of a FileField or ImageField: the stored file's name,
// relative to the media root.
type File struct {
	Name string
}

// canonical converts a value given for field f (in a filter, a default, a
// Set) to the one Go type the ORM binds for its kind:
// string, int64, float64, bool, decimal.Decimal, time.Time, time.Duration,
// uuid.UUID, or any JSON-encodable value. nil stays nil.
func (f *Field) canonical(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if f.Kind == KindJSON {
		return v, nil
	}
	if f.Rel != nil {
		return f.relatedKey(v)
	}
	if f.PrimaryKey && rv.Kind() == reflect.Pointer && rv.Type().Elem() == f.model.typ && !rv.IsNil() {
		// filter(students=ann) at the end of a path: the instance's key
		return f.value(rv.UnsafePointer()), nil
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
		rv = rv.Elem()
		v = rv.Interface()
	}
	bad := func(want string) (any, error) {
		return nil, &ValueError{Field: f, Value: v, Want: want}
	}
	switch k := f.Kind; {
	case k == KindFile || k == KindImage:
		switch x := v.(type) {
		case File:
			return x.Name, nil
		case string:
			return x, nil
		}
		return bad("an orm.File or a file name")
	case k.isText():
		if rv.Kind() == reflect.String {
			return rv.String(), nil
		}
		return bad("a string")
	case k.isInteger():
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			if rv.Type() == typDuration {
				return bad("an integer")
			}
			return rv.Int(), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			if rv.Uint() > math.MaxInt64 {
				return bad("an integer that fits in 64 bits")
			}
			return int64(rv.Uint()), nil
		}
		return bad("an integer")
	case k == KindFloat:
		switch rv.Kind() {
		case reflect.Float32, reflect.Float64:
			return rv.Float(), nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return float64(rv.Int()), nil
		}
		return bad("a number")
	case k == KindBoolean:
		if rv.Kind() == reflect.Bool {
			return rv.Bool(), nil
		}
		return bad("a bool")
	case k == KindDecimal:
		switch x := v.(type) {
		case decimal.Decimal:
			return v, nil // not x: boxing it again would allocate
		case string:
			d, err := decimal.NewFromString(x)
			if err != nil {
				return bad("a decimal number")
			}
			return d, nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return bad("a finite decimal number")
			}
			return decimal.NewFromFloat(x), nil
		}
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return decimal.NewFromInt(rv.Int()), nil
		}
		return bad("a decimal.Decimal")
	case k == KindDate, k == KindDateTime, k == KindTime:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			var err error
			if t, err = parseTime(x); err != nil {
				return bad("a time.Time")
			}
		default:
			return bad("a time.Time")
		}
		switch k {
		case KindDate:
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		case KindTime:
			return time.Date(0, 1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000*1000, time.UTC), nil
		}
		return t.Truncate(time.Microsecond), nil
	case k == KindDuration:
		if d, ok := v.(time.Duration); ok {
			return d, nil
		}
		return bad("a time.Duration")
	case k == KindUUID:
		switch x := v.(type) {
		case uuid.UUID:
			return v, nil // not x: boxing it again would allocate
		case [16]byte:
			return uuid.UUID(x), nil
		case string:
			u, err := uuid.Parse(x)
			if err != nil {
				return bad("a UUID")
			}
			return u, nil
		}
		return bad("a uuid.UUID")
	}
	return bad(f.Kind.String())
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
	"15:04:05.999999999",
	"15:04",
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot parse %q as a time", s)
}

// assignCanonical stores a canonical value (see canonical) into rv, a
// settable struct field of f's Go type.
func assignCanonical(f *Field, rv reflect.Value, cv any) error {
	if cv == nil {
		rv.SetZero()
		return nil
	}
	if f.Kind == KindJSON {
		src := reflect.ValueOf(cv)
		if src.Type().AssignableTo(rv.Type()) {
			rv.Set(src)
			return nil
		}
		// A value of another shape (a map for a struct field): round-trip it.
		b, err := json.Marshal(cv)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		return json.Unmarshal(b, rv.Addr().Interface())
	}
	if f.ptr {
		p := reflect.New(rv.Type().Elem())
		if err := assignCanonical(&Field{Kind: f.Kind, model: f.model, Name: f.Name}, p.Elem(), cv); err != nil {
			return err
		}
		rv.Set(p)
		return nil
	}
	if d, ok := cv.(time.Duration); ok { // an Int64 kind, but not an int64
		rv.SetInt(int64(d))
		return nil
	}
	switch rv.Kind() {
	case reflect.String:
		rv.SetString(cv.(string))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := cv.(int64)
		if rv.OverflowInt(n) {
			return &ValueError{Field: f, Value: cv, Want: "an integer that fits in " + rv.Type().String()}
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := cv.(int64)
		if n < 0 || rv.OverflowUint(uint64(n)) {
			return &ValueError{Field: f, Value: cv, Want: "an integer that fits in " + rv.Type().String()}
		}
		rv.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		rv.SetFloat(cv.(float64))
	case reflect.Bool:
		rv.SetBool(cv.(bool))
	default:
		if rv.Type() == typFile {
			rv.Set(reflect.ValueOf(File{Name: cv.(string)}))
			return nil
		}
		rv.Set(reflect.ValueOf(cv))
	}
	return nil
}

// fromDB converts what a driver returned for field f to its canonical value.
func (f *Field) fromDB(src any) (any, error) {
	if src == nil {
		return nil, nil
	}
	switch f.Kind {
	case KindJSON:
		var b []byte
		switch x := src.(type) {
		case []byte:
			b = x
		case string:
			b = []byte(x)
		default:
			return x, nil
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		return v, nil
	case KindDuration:
		switch x := src.(type) {
		case int64:
			return time.Duration(x) * time.Microsecond, nil
		case pgtype.Interval:
			return intervalDuration(x), nil
		}
	case KindTime:
		switch x := src.(type) {
		case pgtype.Time:
			return time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(x.Microseconds) * time.Microsecond), nil
		}
	case KindUUID:
		switch x := src.(type) {
		case [16]byte:
			return uuid.UUID(x), nil
		case []byte:
			if len(x) == 16 {
				return uuid.UUID(x), nil
			}
			return f.canonical(string(x))
		}
	case KindBoolean:
		if n, ok := src.(int64); ok {
			return n != 0, nil
		}
	case KindDecimal:
		switch x := src.(type) {
		case int64:
			return decimal.NewFromInt(x), nil
		case []byte:
			return f.canonical(string(x))
		}
	case KindDate, KindDateTime:
		if t, ok := src.(time.Time); ok && f.Kind == KindDateTime {
			// pgx gives timestamptz in the process's local zone, SQLite's
			// text parses as UTC: both read as UTC, as Django's USE_TZ
			// does, so a page shows the same date whatever the server's TZ.
			return t.UTC(), nil
		}
	case KindInteger, KindBigInteger, KindSmallInteger, KindPositiveInteger, KindPositiveSmallInteger, KindAuto:
		switch x := src.(type) {
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		}
	}
	if b, ok := src.([]byte); ok {
		src = string(b)
	}
	return f.canonical(src)
}

func intervalDuration(iv pgtype.Interval) time.Duration {
	return time.Duration(iv.Microseconds)*time.Microsecond +
		time.Duration(iv.Days)*24*time.Hour + time.Duration(iv.Months)*30*24*time.Hour
}

// dbScanner scans one column into one field, converting whatever the
// driver hands over. SQLite uses it for every field; PostgreSQL for the few
// kinds pgx cannot scan straight into the struct.
type dbScanner struct {
	f  *Field
	rv reflect.Value
}

func (s *dbScanner) Scan(src any) (err error) {
	// A panic here would cross into the driver, which holds its row lock
	// (database/sql then hangs in Close): report it as an error instead.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("orm: scanning %s: %v", s.f, r)
		}
	}()
	cv, err := s.f.fromDB(src)
	if err != nil {
		return err
	}
	if cv == nil {
		s.rv.SetZero()
		return nil
	}
	return assignCanonical(s.f, s.rv, cv)
}

// pgx's binary scanners for time-of-day and interval
func (s *dbScanner) ScanTime(v pgtype.Time) error {
	if !v.Valid {
		return s.Scan(nil)
	}
	return s.Scan(v)
}

// utcScanner and nullUTCScanner read a timestamptz into a time.Time or a
// *time.Time field as UTC: pgx gives it in the process's local zone (see
// fromDB). Each is the field's own address under another type, so handing
// one to pgx as an interface costs no allocation per row.
type (
	utcScanner     time.Time
	nullUTCScanner struct{ t *time.Time }
)

func (s *utcScanner) ScanTimestamptz(v pgtype.Timestamptz) error {
	*s = utcScanner{}
	if v.Valid {
		*s = utcScanner(v.Time.UTC())
	}
	return nil
}

func (s *nullUTCScanner) ScanTimestamptz(v pgtype.Timestamptz) error {
	s.t = nil
	if v.Valid {
		t := v.Time.UTC()
		s.t = &t
	}
	return nil
}

func (s *dbScanner) ScanInterval(v pgtype.Interval) error {
	if !v.Valid {
		return s.Scan(nil)
	}
	return s.Scan(v)
}

// valueScanner scans one column of a Values query into a canonical value.
type valueScanner struct {
	f   *Field
	out *any
}

// pgx hands interval and time-of-day to a plain sql.Scanner as text
// ("26:03:04.000005"); these binary scanners get the values instead.
func (s *valueScanner) ScanInterval(v pgtype.Interval) error {
	if !v.Valid {
		return s.Scan(nil)
	}
	return s.Scan(v)
}

func (s *valueScanner) ScanTime(v pgtype.Time) error {
	if !v.Valid {
		return s.Scan(nil)
	}
	return s.Scan(v)
}

func (s *valueScanner) Scan(src any) error {
	v, err := s.f.fromDB(src)
	*s.out = v
	return err
}

// ValueError reports a value of the wrong type for a field.
type ValueError struct {
	Field *Field
	Value any
	Want  string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("orm: %s (%s) expects %s, got %T %s", e.Field, e.Field.Kind, e.Want, e.Value,
		strconv.Quote(fmt.Sprint(e.Value)))
}

// relatedKey converts what a relation may be compared with or set to (an
// id, an FK, or a pointer to an instance of the target) to the key; the id
// 0 is NULL.
func (f *Field) relatedKey(v any) (any, error) {
	var id int64
	switch x := v.(type) {
	case interface{ key() int64 }:
		id = x.key()
	default:
		rv := reflect.ValueOf(v)
		switch {
		case rv.Kind() == reflect.Pointer && rv.Type().Elem() == f.Rel.target:
			if rv.IsNil() {
				return nil, nil
			}
			to := metaOfType(f.Rel.target)
			if to == nil {
				return nil, &ValueError{Field: f, Value: v, Want: "an instance of a defined model"}
			}
			id, _ = to.PK.value(rv.UnsafePointer()).(int64)
		case rv.CanInt():
			id = rv.Int()
		case rv.CanUint() && rv.Uint() <= math.MaxInt64:
			id = int64(rv.Uint())
		default:
			return nil, &ValueError{Field: f, Value: v, Want: "an id, an orm.FK or a *" + f.Rel.target.Name()}
		}
	}
	if id == 0 {
		return nil, nil
	}
	return id, nil
}
