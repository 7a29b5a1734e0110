package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Meta is a model's metadata (Django's Model._meta): what migrations, the
// validator and the admin read. It is built once, when the model is defined.
type Meta struct {
	App               string
	Name              string // the Go type name: "Post"
	Table             string
	VerboseName       string
	VerboseNamePlural string
	Fields            []*Field // in declaration order, the primary key first
	PK                *Field
	Ordering          []string
	Indexes           []IndexDef
	Constraints       []ConstraintDef

	// Reverses are the relations of other models that point here, by
	// their related_name ("posts", "profile", "post_set").
	Reverses []*Reverse
	// ManyToMany are the model's many-to-many fields (not columns).
	ManyToMany []*Field
	// AutoCreated marks the junction table of a many-to-many made without
	// a through model, which the admin does not list.
	AutoCreated bool

	// DoesNotExist is the error Get returns for this model; it matches
	// ErrDoesNotExist under errors.Is, as Django's Post.DoesNotExist does.
	DoesNotExist error

	typ           reflect.Type
	setState      func(base unsafe.Pointer, update func(*instanceState)) // the state of an instance, for untyped code
	objects       func() Manager                                         // the plain manager, for untyped code
	untyped       AnyModel                                               // Model's answer; nil for a junction table
	managers      []*managerEntry                                        // AddManager's, in order; guarded by managersMu
	byName        map[string]*Field                                      // also by column for relations: "author_id"
	reverseByName map[string]*Reverse
	m2mByName     map[string]*Field
	reverseM2M    map[string]*Field // many-to-many fields of other models pointing here, by related name
	defaultOrder  []orderTerm       // Ordering, resolved once: every unordered query uses it
	signals       signalSender      // the model's signals (signals.go); nil for a junction table
}

// Label is "app.Model", as Django writes it: "blog.Post".
func (m *Meta) Label() string { return m.App + "." + m.Name }

// ModelName is the lower-cased model name Django uses in URLs: "post".
func (m *Meta) ModelName() string { return strings.ToLower(m.Name) }

// Field returns the field with the given name ("view_count"; "pk" is the
// primary key), or nil.
func (m *Meta) Field(name string) *Field {
	if name == "pk" {
		return m.PK
	}
	return m.byName[name]
}

// hasName reports whether name is a field or a reverse relation of m.
func (m *Meta) hasName(name string) bool {
	return m.Field(name) != nil || m.reverseByName[name] != nil || m.m2mByName[name] != nil || m.reverseM2M[name] != nil
}

// fieldNames lists the names queries accept, sorted, for error messages.
func (m *Meta) fieldNames() []string {
	names := make([]string, 0, len(m.Fields)+len(m.Reverses))
	for _, f := range m.Fields {
		names = append(names, f.Name)
	}
	for _, r := range m.Reverses {
		if !strings.HasSuffix(r.Name, "+") { // a junction table's hidden key
			names = append(names, r.Name)
		}
	}
	for _, f := range m.ManyToMany {
		names = append(names, f.Name)
	}
	for name := range m.reverseM2M {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// IndexDef is a database index from Meta.indexes or a field's db_index.
type IndexDef struct {
	Name   string
	Fields []string // "-created_at" is descending
	// Exprs, when set, are the index's keys instead of Fields (Django's
	// Index(*expressions)): an order or a filter on the same expression
	// can then read the index.
	Exprs []Expr
	// Kind is "" for an ordinary (B-tree) index, IndexSearch for a
	// full-text index (SearchIndex) or IndexTrigram (TrigramIndex).
	Kind    string
	Weights []string // IndexSearch: "A" to "D" per field, or none
	Config  string   // IndexSearch: the text search configuration
}

// ConstraintDef is a named constraint from Meta.constraints or unique_together.
type ConstraintDef struct {
	Name   string
	Kind   string   // "unique" or "check"
	Fields []string // unique: the fields covered
	Check  Cond     // check: the condition every row must satisfy
}

// MetaOption sets a model-level option (Django's class Meta).
type MetaOption func(*Meta) error

func DBTable(name string) MetaOption { return func(m *Meta) error { m.Table = name; return nil } }

// Ordering is the default order of the model's querysets: "-created_at".
func Ordering(fields ...string) MetaOption {
	return func(m *Meta) error { m.Ordering = fields; return nil }
}

func VerboseName(name string) MetaOption {
	return func(m *Meta) error { m.VerboseName = name; return nil }
}

func VerboseNamePlural(name string) MetaOption {
	return func(m *Meta) error { m.VerboseNamePlural = name; return nil }
}

// Index declares an index on fields ("-price" for descending); its name is
// derived from the table and fields unless given with Named.
func Index(fields ...string) IndexOption { return IndexOption{Fields: fields} }

// IndexOn declares an index on expressions of the row's fields, e.g. the
// price a customer pays: orm.IndexOn(priceExpr, orm.F("id")).Named("…").
// It needs a name, as Django's functional indexes do.
func IndexOn(exprs ...Expr) IndexOption { return IndexOption{Exprs: exprs} }

// IndexOption is an index declaration in Meta.
type IndexOption IndexDef

// Named gives an index its name.
func (o IndexOption) Named(name string) IndexOption { o.Name = name; return o }

func (o IndexOption) apply(m *Meta) error {
	m.Indexes = append(m.Indexes, IndexDef(o))
	return nil
}

// UniqueConstraint declares that the fields together are unique.
func UniqueConstraint(name string, fields ...string) MetaOption {
	return func(m *Meta) error {
		m.Constraints = append(m.Constraints, ConstraintDef{Name: name, Kind: "unique", Fields: fields})
		return nil
	}
}

// UniqueTogether is Django's older unique_together; the constraint is named
// after the table and fields.
func UniqueTogether(fields ...string) MetaOption {
	return func(m *Meta) error {
		m.Constraints = append(m.Constraints, ConstraintDef{Kind: "unique", Fields: fields})
		return nil
	}
}

// CheckConstraint declares a condition every row must satisfy, written as a
// filter: orm.CheckConstraint("price_positive", orm.Q{"price__gte": 0}).
func CheckConstraint(name string, check Cond) MetaOption {
	return func(m *Meta) error {
		m.Constraints = append(m.Constraints, ConstraintDef{Name: name, Kind: "check", Check: check})
		return nil
	}
}

func columnsOf(m *Meta, fields []string) []string {
	cols := make([]string, len(fields))
	for i, name := range fields {
		name = strings.TrimPrefix(name, "-")
		if f := m.Field(name); f != nil {
			cols[i] = f.Column
		} else {
			cols[i] = name
		}
	}
	return cols
}

// Model is a defined model: its metadata and the entry point to its
// queries (Objects) and instance operations (Save, Delete, FullClean).
type Model[T any] struct {
	*Meta

	// Signals (Django's pre_save, post_save, pre_delete, post_delete and
	// m2m_changed): see signals.go.
	PreSave, PostSave     *Signal[SaveEvent[T]]
	PreDelete, PostDelete *Signal[DeleteEvent[T]]
	M2MChanged            *Signal[M2MChangedEvent[T]]
}

var registry struct {
	sync.RWMutex
	models []*Meta
	byName map[string]*Meta
	tables map[string]*Meta
	types  map[reflect.Type]*Meta
}

// Models returns every defined model, in definition order.
func Models() []*Meta {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Clone(registry.models)
}

// LookupModel finds a model by its label ("blog.Post", case-insensitive).
func LookupModel(label string) *Meta {
	registry.RLock()
	defer registry.RUnlock()
	return registry.byName[strings.ToLower(label)]
}

func modelByTable(table string) *Meta {
	registry.RLock()
	defer registry.RUnlock()
	return registry.tables[table]
}

// Define declares a model: declare binds metadata to the struct's fields
// through pointers into a zero instance, so renaming a Go field is a compile
// error. A struct field ID of type int64 is the automatic primary key unless
// another field is declared with PrimaryKey().
//
// Define panics on a declaration error (an unknown field pointer, a Go type
// that cannot hold the field, a duplicate model): those are programming
// mistakes found the moment the package loads, as Django finds them at start.
func Define[T any](app string, declare func(p *T, m *Schema)) *Model[T] {
	typ := reflect.TypeFor[T]()
	if typ.Kind() != reflect.Struct {
		panic(fmt.Sprintf("orm: Define: %s is not a struct", typ))
	}
	meta := &Meta{App: app, Name: typ.Name(), typ: typ, byName: map[string]*Field{}}
	meta.Table = app + "_" + strings.ToLower(typ.Name())
	meta.VerboseName = strings.ReplaceAll(snakeCase(typ.Name()), "_", " ")
	meta.DoesNotExist = &notFoundError{model: meta}
	meta.setState = func(base unsafe.Pointer, update func(*instanceState)) { setState((*T)(base), update) }
	meta.objects = plainManager[T](meta)
	meta.untyped = anyModel[T]{&Model[T]{Meta: meta}}

	p := new(T)
	s := &Schema{meta: meta, base: unsafe.Pointer(p)}
	declare(p, s)
	if s.err != nil {
		panic(fmt.Sprintf("orm: Define %s.%s: %v", app, typ.Name(), s.err))
	}
	if err := meta.finish(s.metaOpts); err != nil {
		panic(fmt.Sprintf("orm: Define %s: %v", meta.Label(), err))
	}

	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName, registry.tables = map[string]*Meta{}, map[string]*Meta{}
		registry.types = map[reflect.Type]*Meta{}
	}
	if _, dup := registry.byName[strings.ToLower(meta.Label())]; dup {
		panic("orm: model " + meta.Label() + " defined twice")
	}
	if other, dup := registry.tables[meta.Table]; dup {
		panic("orm: models " + other.Label() + " and " + meta.Label() + " share table " + meta.Table)
	}
	if other := registry.types[typ]; other != nil {
		panic("orm: " + typ.String() + " is already defined as model " + other.Label())
	}
	registry.types[typ] = meta
	pending := len(pendingRelations)
	for _, f := range meta.Fields {
		if f.Rel != nil {
			pendingRelations = append(pendingRelations, f)
		}
	}
	if err := linkRelations(); err != nil {
		delete(registry.types, typ)
		pendingRelations = pendingRelations[:pending]
		panic("orm: Define " + meta.Label() + ": " + err.Error())
	}
	registry.models = append(registry.models, meta)
	registry.byName[strings.ToLower(meta.Label())] = meta
	registry.tables[meta.Table] = meta
	for _, f := range meta.ManyToMany {
		if f.Rel.throughLabel == "" {
			j := autoJunction(f)
			if other := registry.tables[j.Table]; other != nil {
				panic("orm: Define " + meta.Label() + ": junction table " + j.Table + " is taken by " + other.Label())
			}
			registry.models = append(registry.models, j)
			registry.byName[strings.ToLower(j.Label())] = j
			registry.tables[j.Table] = j
			pendingRelations = append(pendingRelations, j.Fields[1], j.Fields[2])
		}
		pendingM2M = append(pendingM2M, f)
	}
	if err := linkRelations(); err != nil {
		panic("orm: Define " + meta.Label() + ": " + err.Error())
	}
	if err := linkM2M(); err != nil {
		panic("orm: Define " + meta.Label() + ": " + err.Error())
	}
	return newModel[T](meta)
}

// finish applies Meta options and defaults, then checks the whole model.
func (m *Meta) finish(opts []MetaOption) error {
	if m.PK == nil {
		sf, ok := m.typ.FieldByName("ID")
		if !ok || sf.Type.Kind() != reflect.Int64 {
			return fmt.Errorf("no primary key: add an ID int64 field or declare one with orm.PrimaryKey()")
		}
		pk := &Field{Name: "id", GoName: "ID", Column: "id", Kind: KindAuto, PrimaryKey: true,
			Blank: true, VerboseName: "ID", model: m, index: sf.Index, offset: sf.Offset, typ: sf.Type}
		pk.acc = newAccessor(pk)
		m.PK = pk
		m.Fields = append([]*Field{pk}, m.Fields...)
		m.byName["id"] = pk
	}
	for _, o := range opts {
		if err := o(m); err != nil {
			return err
		}
	}
	if m.VerboseNamePlural == "" {
		m.VerboseNamePlural = m.VerboseName + "s"
	}
	for _, name := range m.Ordering {
		if name == "?" {
			m.defaultOrder = append(m.defaultOrder, orderTerm{random: true})
			continue
		}
		f := m.Field(strings.TrimPrefix(name, "-"))
		if f == nil {
			return m.unknownField(strings.TrimPrefix(name, "-"))
		}
		m.defaultOrder = append(m.defaultOrder, orderTerm{col: colRef{table: m.Table, field: f}, desc: strings.HasPrefix(name, "-")})
	}
	for i, ix := range m.Indexes {
		if ix.Exprs != nil {
			if ix.Name == "" {
				return fmt.Errorf("an index on expressions needs a name: orm.IndexOn(…).Named(…)")
			}
			if len(ix.Exprs) == 0 {
				return fmt.Errorf("index %s has no expressions", ix.Name)
			}
			continue // resolved when the schema state renders them
		}
		if len(ix.Fields) == 0 {
			return fmt.Errorf("index with no fields")
		}
		for _, name := range ix.Fields {
			if m.Field(strings.TrimPrefix(name, "-")) == nil {
				return m.unknownField(strings.TrimPrefix(name, "-"))
			}
		}
		if ix.Kind != "" {
			if err := m.checkTextIndex(&m.Indexes[i]); err != nil {
				return err
			}
			continue
		}
		if ix.Name == "" {
			cols := columnsOf(m, ix.Fields)
			for j, name := range ix.Fields {
				if strings.HasPrefix(name, "-") {
					cols[j] += "_desc" // Index("price") and Index("-price") differ
				}
			}
			m.Indexes[i].Name = indexName(m.Table, cols, "idx")
		}
	}
	for i, c := range m.Constraints {
		switch {
		case c.Name == "" && c.Kind == "unique": // unique_together
			m.Constraints[i].Name = indexName(m.Table, columnsOf(m, c.Fields), "uniq")
		case c.Name == "":
			return fmt.Errorf("a constraint needs a name")
		}
		for _, name := range c.Fields {
			if m.Field(name) == nil {
				return m.unknownField(name)
			}
		}
		if c.Check != nil {
			if _, err := resolveCond(m, c.Check); err != nil {
				return fmt.Errorf("check constraint %s: %w", c.Name, err)
			}
		}
	}
	// The database keeps index and constraint names in one namespace.
	names := map[string]bool{}
	for _, ix := range m.allIndexes() {
		if names[ix.Name] {
			return fmt.Errorf("index name %s used twice", ix.Name)
		}
		names[ix.Name] = true
	}
	for _, c := range m.allConstraints() {
		if names[c.Name] {
			return fmt.Errorf("constraint name %s used twice", c.Name)
		}
		names[c.Name] = true
	}
	return nil
}

// indexName builds a stable identifier within PostgreSQL's 63 bytes.
func indexName(table string, cols []string, suffix string) string {
	name := table + "_" + strings.Join(cols, "_") + "_" + suffix
	if len(name) > 63 {
		name = fmt.Sprintf("%s_%08x_%s", name[:50], fnv32(name), suffix)
	}
	return name
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// Schema collects a model's field declarations inside Define.
type Schema struct {
	meta     *Meta
	base     unsafe.Pointer
	err      error
	metaOpts []MetaOption
}

// Meta sets model-level options: Ordering, Index, UniqueConstraint, …
// Index declarations (orm.Index(...)) are accepted here too.
func (s *Schema) Meta(opts ...interface{ apply(*Meta) error }) {
	for _, o := range opts {
		s.metaOpts = append(s.metaOpts, o.apply)
	}
}

func (o MetaOption) apply(m *Meta) error { return o(m) }

func (s *Schema) Char(ptr any, opts ...FieldOption) { s.add(KindChar, ptr, opts) }
func (s *Schema) Text(ptr any, opts ...FieldOption) { s.add(KindText, ptr, opts) }

// Slug is a CharField of letters, digits, hyphens and underscores
// (max_length 50 unless set), indexed.
func (s *Schema) Slug(ptr any, opts ...FieldOption) {
	s.add(KindSlug, ptr, append([]FieldOption{MaxLength(50), DBIndex()}, opts...))
}
func (s *Schema) Email(ptr any, opts ...FieldOption) {
	s.add(KindEmail, ptr, append([]FieldOption{MaxLength(254)}, opts...))
}
func (s *Schema) URL(ptr any, opts ...FieldOption) {
	s.add(KindURL, ptr, append([]FieldOption{MaxLength(200)}, opts...))
}
func (s *Schema) Integer(ptr any, opts ...FieldOption)      { s.add(KindInteger, ptr, opts) }
func (s *Schema) BigInteger(ptr any, opts ...FieldOption)   { s.add(KindBigInteger, ptr, opts) }
func (s *Schema) SmallInteger(ptr any, opts ...FieldOption) { s.add(KindSmallInteger, ptr, opts) }
func (s *Schema) PositiveInteger(ptr any, opts ...FieldOption) {
	s.add(KindPositiveInteger, ptr, opts)
}
func (s *Schema) PositiveSmallInteger(ptr any, opts ...FieldOption) {
	s.add(KindPositiveSmallInteger, ptr, opts)
}
func (s *Schema) Float(ptr any, opts ...FieldOption) { s.add(KindFloat, ptr, opts) }

// Decimal is a fixed-point number (decimal.Decimal in Go, NUMERIC in SQL).
func (s *Schema) Decimal(ptr any, maxDigits, decimalPlaces int, opts ...FieldOption) {
	s.add(KindDecimal, ptr, append([]FieldOption{func(f *Field) {
		f.MaxDigits, f.DecimalPlaces = maxDigits, decimalPlaces
	}}, opts...))
}
func (s *Schema) Boolean(ptr any, opts ...FieldOption)  { s.add(KindBoolean, ptr, opts) }
func (s *Schema) Date(ptr any, opts ...FieldOption)     { s.add(KindDate, ptr, opts) }
func (s *Schema) DateTime(ptr any, opts ...FieldOption) { s.add(KindDateTime, ptr, opts) }

// Time is a time of day, held in a time.Time whose date part is ignored.
func (s *Schema) Time(ptr any, opts ...FieldOption)     { s.add(KindTime, ptr, opts) }
func (s *Schema) Duration(ptr any, opts ...FieldOption) { s.add(KindDuration, ptr, opts) }

// UUID is a uuid.UUID; declare orm.Default(uuid.New) for Django's
// default=uuid.uuid4.
func (s *Schema) UUID(ptr any, opts ...FieldOption) { s.add(KindUUID, ptr, opts) }

// JSON holds any Go value that encoding/json can round-trip (a map, a slice,
// a struct); orm.Default(func() map[string]any { return map[string]any{} })
// is Django's default=dict.
func (s *Schema) JSON(ptr any, opts ...FieldOption) { s.add(KindJSON, ptr, opts) }

// File stores an uploaded file's name; the file lives under the media root
// (see SaveFile). UploadTo sets its folder.
func (s *Schema) File(ptr any, opts ...FieldOption) {
	s.add(KindFile, ptr, append([]FieldOption{MaxLength(100)}, opts...))
}

// Image is a File that must decode as an image.
func (s *Schema) Image(ptr any, opts ...FieldOption) {
	s.add(KindImage, ptr, append([]FieldOption{MaxLength(100)}, opts...))
}

func (s *Schema) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
	}
}

func (s *Schema) add(kind Kind, ptr any, opts []FieldOption) {
	sf, ok := s.locate(ptr)
	if !ok {
		return
	}
	f := &Field{Kind: kind, GoName: sf.Name, Name: snakeCase(sf.Name), Editable: true,
		model: s.meta, index: sf.Index, offset: sf.Offset, typ: sf.Type}
	for _, o := range opts {
		o(f)
	}
	if f.Column == "" {
		f.Column = f.Name
		if f.Rel != nil {
			f.Column += "_id"
		}
	}
	if f.VerboseName == "" {
		f.VerboseName = strings.ReplaceAll(f.Name, "_", " ")
	}
	elem := f.typ
	if f.Rel != nil {
		// The key is FK[T]'s first field: stored and scanned as an int64,
		// 0 standing for NULL.
		f.typ, elem = reflect.TypeFor[int64](), reflect.TypeFor[int64]()
	} else if elem.Kind() == reflect.Pointer && kind != KindJSON {
		f.ptr, elem = true, elem.Elem()
	}
	if f.Rel != nil {
		if err := checkRelation(f); err != nil {
			s.fail("%v", err)
		}
	}
	switch {
	case f.Rel == nil && !checkType(kind, elem):
		s.fail("field %s: a %s cannot be held in a Go %s", sf.Name, kind, sf.Type)
	case f.Null && !f.ptr && kind != KindJSON && f.Rel == nil:
		s.fail("field %s: Null() needs a pointer type (*%s) to hold NULL", sf.Name, sf.Type)
	case f.ptr && !f.Null:
		s.fail("field %s: a pointer type means NULL is allowed; add orm.Null()", sf.Name)
	case kind == KindChar && f.MaxLength <= 0:
		s.fail("field %s: CharField needs orm.MaxLength", sf.Name)
	case kind == KindDecimal && (f.MaxDigits <= 0 || f.DecimalPlaces < 0 || f.DecimalPlaces > f.MaxDigits):
		s.fail("field %s: DecimalField needs max_digits >= decimal_places >= 0", sf.Name)
	case s.meta.byName[f.Name] != nil:
		s.fail("field %s declared twice", sf.Name)
	}
	if f.HasDefault() && s.err == nil {
		if _, err := f.canonical(f.Default()); err != nil {
			s.fail("field %s: default: %v", sf.Name, err)
		}
	}
	for _, c := range f.Choices {
		if _, err := f.canonical(c.Value); err != nil && s.err == nil {
			s.fail("field %s: choice %v: %v", sf.Name, c.Value, err)
		}
	}
	if f.PrimaryKey {
		if s.meta.PK != nil {
			s.fail("field %s: a second primary key", sf.Name)
		}
		f.Unique, f.Blank = true, f.Blank || f.HasDefault()
		s.meta.PK = f
		s.meta.Fields = append([]*Field{f}, s.meta.Fields...)
	} else {
		s.meta.Fields = append(s.meta.Fields, f)
	}
	f.acc = newAccessor(f)
	s.meta.byName[f.Name] = f
	if f.Rel != nil {
		s.meta.byName[f.Column] = f // filter(author_id=5) works as in Django
	}
}

// locate finds the struct field ptr points at, matching offset and type,
// since a struct's first field and an embedded struct share offset 0.
func (s *Schema) locate(ptr any) (reflect.StructField, bool) {
	pv := reflect.ValueOf(ptr)
	if pv.Kind() != reflect.Pointer || pv.IsNil() {
		s.fail("field declaration needs a pointer to a field of the model, got %T", ptr)
		return reflect.StructField{}, false
	}
	off := pv.Pointer() - uintptr(s.base)
	if pv.Pointer() < uintptr(s.base) || off >= s.meta.typ.Size() {
		s.fail("%T does not point into the model struct", ptr)
		return reflect.StructField{}, false
	}
	if sf, ok := findField(s.meta.typ, off, pv.Type().Elem(), nil); ok {
		return sf, true
	}
	s.fail("%T at offset %d is not a field of %s", ptr, off, s.meta.typ)
	return reflect.StructField{}, false
}

func findField(t reflect.Type, off uintptr, want reflect.Type, index []int) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if off < sf.Offset || off >= sf.Offset+sf.Type.Size() && !(sf.Type.Size() == 0 && off == sf.Offset) {
			continue
		}
		idx := append(slices.Clone(index), i)
		if off == sf.Offset && sf.Type == want {
			if !sf.IsExported() {
				return sf, false
			}
			sf.Index = idx
			return sf, true
		}
		if sf.Type.Kind() == reflect.Struct {
			if inner, ok := findField(sf.Type, off-sf.Offset, want, idx); ok {
				inner.Offset += sf.Offset
				return inner, true
			}
		}
	}
	return reflect.StructField{}, false
}

// accessor reads and points at a field inside an instance without a
// reflection lookup by name: the hot path of scanning and binding.
type accessor struct {
	// ptr returns a typed pointer to the field (as *string, *int64, …).
	ptr func(base unsafe.Pointer) any
	// get returns the field's value.
	get func(base unsafe.Pointer) any
}

func typed[V any](off uintptr) accessor {
	return accessor{
		ptr: func(b unsafe.Pointer) any { return (*V)(unsafe.Add(b, off)) },
		get: func(b unsafe.Pointer) any { return *(*V)(unsafe.Add(b, off)) },
	}
}

func newAccessor(f *Field) accessor {
	switch f.typ {
	case reflect.TypeFor[string]():
		return typed[string](f.offset)
	case reflect.TypeFor[*string]():
		return typed[*string](f.offset)
	case reflect.TypeFor[int64]():
		return typed[int64](f.offset)
	case reflect.TypeFor[*int64]():
		return typed[*int64](f.offset)
	case reflect.TypeFor[int]():
		return typed[int](f.offset)
	case reflect.TypeFor[*int]():
		return typed[*int](f.offset)
	case reflect.TypeFor[int32]():
		return typed[int32](f.offset)
	case reflect.TypeFor[int16]():
		return typed[int16](f.offset)
	case reflect.TypeFor[bool]():
		return typed[bool](f.offset)
	case reflect.TypeFor[*bool]():
		return typed[*bool](f.offset)
	case reflect.TypeFor[float64]():
		return typed[float64](f.offset)
	case reflect.TypeFor[*float64]():
		return typed[*float64](f.offset)
	case typTime:
		return typed[time.Time](f.offset)
	case reflect.TypeFor[*time.Time]():
		return typed[*time.Time](f.offset)
	case typDecimal:
		return typed[decimal.Decimal](f.offset)
	case reflect.TypeFor[*decimal.Decimal]():
		return typed[*decimal.Decimal](f.offset)
	case typUUID:
		return typed[uuid.UUID](f.offset)
	}
	typ, off := f.typ, f.offset
	return accessor{
		ptr: func(b unsafe.Pointer) any { return reflect.NewAt(typ, unsafe.Add(b, off)).Interface() },
		get: func(b unsafe.Pointer) any { return reflect.NewAt(typ, unsafe.Add(b, off)).Elem().Interface() },
	}
}

// value returns the field's value in instance base; a nil pointer field
// gives nil.
func (f *Field) value(base unsafe.Pointer) any {
	v := f.acc.get(base)
	if f.Rel != nil && v == int64(0) {
		return nil // FK.ID 0 is NULL
	}
	if f.ptr {
		rv := reflect.ValueOf(v)
		if rv.IsNil() {
			return nil
		}
		return rv.Elem().Interface()
	}
	return v
}

// rvalue is the settable reflect.Value of the field in instance base.
func (f *Field) rvalue(base unsafe.Pointer) reflect.Value {
	return reflect.NewAt(f.typ, unsafe.Add(base, f.offset)).Elem()
}

// set stores v (any value the field accepts, or nil for NULL) into the
// field of instance base.
func (f *Field) set(base unsafe.Pointer, v any) error {
	rv := f.rvalue(base)
	if v == nil {
		if !f.Null && f.Kind != KindJSON {
			return &ValueError{Field: f, Value: nil, Want: "a non-nil value (the field is not null)"}
		}
		rv.SetZero()
		f.dropStale(base)
		return nil
	}
	cv, err := f.canonical(v)
	if err != nil {
		return err
	}
	if err := assignCanonical(f, rv, cv); err != nil {
		return err
	}
	f.dropStale(base)
	return nil
}

// dropStale forgets a relation's cached object once the key no longer
// points at it, so FK.Get loads the new one (Django clears the cache on
// assignment too).
func (f *Field) dropStale(base unsafe.Pointer) {
	if f.Rel == nil || f.Rel.To == nil {
		return
	}
	obj := (*unsafe.Pointer)(unsafe.Add(base, f.offset+fkObjOffset))
	if *obj == nil {
		return
	}
	if id, _ := f.Rel.To.PK.value(*obj).(int64); id != *(*int64)(unsafe.Add(base, f.offset)) {
		*obj = nil
	}
}
