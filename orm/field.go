package orm

import (
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Kind is a field's type in Django's terms (CharField, IntegerField, …).
type Kind int

const (
	KindAuto Kind = iota
	KindChar
	KindText
	KindSlug
	KindEmail
	KindURL
	KindInteger
	KindBigInteger
	KindSmallInteger
	KindPositiveInteger
	KindPositiveSmallInteger
	KindFloat
	KindDecimal
	KindBoolean
	KindDate
	KindDateTime
	KindTime
	KindDuration
	KindUUID
	KindJSON
	KindFile
	KindImage
	KindForeignKey
	KindOneToOne
	KindManyToMany
)

var kindNames = [...]string{
	KindAuto: "BigAutoField", KindChar: "CharField", KindText: "TextField", KindSlug: "SlugField",
	KindEmail: "EmailField", KindURL: "URLField", KindInteger: "IntegerField",
	KindBigInteger: "BigIntegerField", KindSmallInteger: "SmallIntegerField",
	KindPositiveInteger: "PositiveIntegerField", KindPositiveSmallInteger: "PositiveSmallIntegerField",
	KindFloat: "FloatField", KindDecimal: "DecimalField", KindBoolean: "BooleanField",
	KindDate: "DateField", KindDateTime: "DateTimeField", KindTime: "TimeField",
	KindDuration: "DurationField", KindUUID: "UUIDField", KindJSON: "JSONField",
	KindFile: "FileField", KindImage: "ImageField", KindForeignKey: "ForeignKey", KindOneToOne: "OneToOneField",
	KindManyToMany: "ManyToManyField",
}

// String returns Django's class name for the kind, e.g. "CharField".
func (k Kind) String() string { return kindNames[k] }

func (k Kind) isText() bool {
	switch k {
	case KindChar, KindText, KindSlug, KindEmail, KindURL, KindFile, KindImage:
		return true
	}
	return false
}

func (k Kind) isInteger() bool {
	switch k {
	case KindAuto, KindInteger, KindBigInteger, KindSmallInteger, KindPositiveInteger, KindPositiveSmallInteger,
		KindForeignKey, KindOneToOne:
		return true
	}
	return false
}

// integer bounds per kind, checked by validation (the database checks too)
func (k Kind) intRange() (lo, hi int64) {
	switch k {
	case KindInteger:
		return -1 << 31, 1<<31 - 1
	case KindPositiveInteger:
		return 0, 1<<31 - 1
	case KindSmallInteger:
		return -1 << 15, 1<<15 - 1
	case KindPositiveSmallInteger:
		return 0, 1<<15 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// Field is one model field's metadata. The schema differ, the validator and
// the admin all read it; it is fixed once the model is defined.
type Field struct {
	Name          string // the name queries use: "view_count"
	GoName        string // the struct field: "ViewCount"
	Column        string
	Kind          Kind
	VerboseName   string
	HelpText      string
	Null          bool
	Blank         bool
	Unique        bool
	DBIndex       bool
	Editable      bool
	PrimaryKey    bool
	MaxLength     int
	MaxDigits     int
	DecimalPlaces int
	AutoNow       bool
	AutoNowAdd    bool
	UploadTo      string
	Choices       []ChoiceItem
	Rel           *Relation // ForeignKey and OneToOneField

	defaultValue any
	defaultFunc  func() any

	model  *Meta
	index  []int // reflect field index path within the struct
	offset uintptr
	typ    reflect.Type // the Go type of the struct field
	ptr    bool         // the struct field is *V (nullable)
	acc    accessor
}

// HasDefault reports whether the field declares a default.
func (f *Field) HasDefault() bool { return f.defaultValue != nil || f.defaultFunc != nil }

// Default returns the field's default value (calling a default func anew).
func (f *Field) Default() any {
	if f.defaultFunc != nil {
		return f.defaultFunc()
	}
	return f.defaultValue
}

func (f *Field) String() string { return f.model.Label() + "." + f.Name }

// IntRange is the range of values an integer field holds, the one
// validation enforces (Django's integer_field_range): a form's number
// input takes its min and max from it. ok is false for a field that does
// not hold integers.
func (f *Field) IntRange() (lo, hi int64, ok bool) {
	if !f.Kind.isInteger() {
		return 0, 0, false
	}
	lo, hi = f.Kind.intRange()
	return lo, hi, true
}

// ChoiceItem is one allowed value of a field with choices, as the admin shows it.
type ChoiceItem struct {
	Value any
	Label string
}

// Choice pairs a typed value with its human label (Django's TextChoices /
// IntegerChoices member).
type Choice[V comparable] struct {
	Value V
	Label string
}

// C makes a Choice: orm.C(StatusPaid, "Paid").
func C[V comparable](v V, label string) Choice[V] { return Choice[V]{v, label} }

// ChoiceSet is a fixed, ordered set of choices for a field.
type ChoiceSet[V comparable] struct{ items []Choice[V] }

// NewChoices declares the choices of a field, in display order.
func NewChoices[V comparable](items ...Choice[V]) ChoiceSet[V] { return ChoiceSet[V]{items} }

// Label returns the human label of v (Django's get_FOO_display), or v
// formatted as text when v is not one of the choices.
func (s ChoiceSet[V]) Label(v V) string {
	for _, c := range s.items {
		if c.Value == v {
			return c.Label
		}
	}
	return fmt.Sprint(v)
}

// Values lists the allowed values in order.
func (s ChoiceSet[V]) Values() []V {
	out := make([]V, len(s.items))
	for i, c := range s.items {
		out[i] = c.Value
	}
	return out
}

// Items lists the choices in order.
func (s ChoiceSet[V]) Items() []Choice[V] { return append([]Choice[V](nil), s.items...) }

func (s ChoiceSet[V]) choiceItems() []ChoiceItem {
	out := make([]ChoiceItem, len(s.items))
	for i, c := range s.items {
		out[i] = ChoiceItem{Value: c.Value, Label: c.Label}
	}
	return out
}

// choiceLabel finds the label of a stored value among the field's choices.
func (f *Field) choiceLabel(v any) (string, bool) {
	cv, err := f.canonical(v)
	if err != nil {
		return "", false
	}
	for _, c := range f.Choices {
		if ccv, err := f.canonical(c.Value); err == nil && ccv == cv {
			return c.Label, true
		}
	}
	return "", false
}

// FieldOption sets a field option in a model declaration.
type FieldOption func(*Field)

func MaxLength(n int) FieldOption      { return func(f *Field) { f.MaxLength = n } }
func Verbose(name string) FieldOption  { return func(f *Field) { f.VerboseName = name } }
func HelpText(text string) FieldOption { return func(f *Field) { f.HelpText = text } }
func Null() FieldOption                { return func(f *Field) { f.Null = true } }
func Blank() FieldOption               { return func(f *Field) { f.Blank = true } }
func Unique() FieldOption              { return func(f *Field) { f.Unique = true } }
func DBIndex() FieldOption             { return func(f *Field) { f.DBIndex = true } }
func DBColumn(name string) FieldOption { return func(f *Field) { f.Column = name } }
func PrimaryKey() FieldOption          { return func(f *Field) { f.PrimaryKey = true } }
func UploadTo(dir string) FieldOption  { return func(f *Field) { f.UploadTo = dir } }

// Editable(false) keeps a field out of forms and the admin; it is still
// stored and can be set in code.
func Editable(b bool) FieldOption { return func(f *Field) { f.Editable = b } }

// AutoNow sets the field to now on every save; it implies Editable(false).
func AutoNow() FieldOption { return func(f *Field) { f.AutoNow, f.Editable = true, false } }

// AutoNowAdd sets the field to now when the row is inserted; it implies
// Editable(false).
func AutoNowAdd() FieldOption { return func(f *Field) { f.AutoNowAdd, f.Editable = true, false } }

// Default sets the value a new instance gets when the field is left at its
// zero value. A func() T (or func() any) is called for each new instance,
// like Django's callable defaults (uuid.New, a fresh map for a JSONField).
func Default(v any) FieldOption {
	return func(f *Field) {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Func && rv.Type().NumIn() == 0 && rv.Type().NumOut() == 1 {
			f.defaultFunc = func() any { return rv.Call(nil)[0].Interface() }
			return
		}
		f.defaultValue = v
	}
}

// Choices restricts the field to a ChoiceSet made with NewChoices.
func Choices[V comparable](set ChoiceSet[V]) FieldOption {
	return func(f *Field) { f.Choices = set.choiceItems() }
}

// snakeCase turns a Go name into a Django field name: ViewCount → view_count,
// HTMLBody → html_body, ID → id.
func snakeCase(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
				(i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var (
	typTime     = reflect.TypeFor[time.Time]()
	typDuration = reflect.TypeFor[time.Duration]()
	typDecimal  = reflect.TypeFor[decimal.Decimal]()
	typUUID     = reflect.TypeFor[uuid.UUID]()
	typFile     = reflect.TypeFor[File]()
)

// checkType reports whether a Go type can hold a field of kind k.
func checkType(k Kind, t reflect.Type) bool {
	switch {
	case k.isText() && k != KindFile && k != KindImage:
		return t.Kind() == reflect.String
	case k.isInteger():
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
			return t != typDuration
		}
		return false
	case k == KindFloat:
		return t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32
	case k == KindBoolean:
		return t.Kind() == reflect.Bool
	case k == KindDecimal:
		return t == typDecimal
	case k == KindDate, k == KindDateTime, k == KindTime:
		return t == typTime
	case k == KindDuration:
		return t == typDuration
	case k == KindUUID:
		return t == typUUID
	case k == KindFile, k == KindImage:
		return t == typFile
	case k == KindJSON:
		return true
	}
	return false
}
