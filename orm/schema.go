package orm

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// SchemaState is the database schema the models need, as makemigrations
// records it next to each migration: the next migration is the difference
// between the recorded state and the models' state. It is written as
// indented JSON in a stable order so that a schema change reads well in
// code review.
type SchemaState struct {
	Tables []TableState `json:"tables"`
}

// TableState is one table: a model's, or the junction table of a
// many-to-many field without a through model.
type TableState struct {
	Name    string        `json:"name"`
	Model   string        `json:"model"` // the model label, "blog.Post"; it follows a table rename
	Columns []ColumnState `json:"columns"`
	Indexes []IndexState  `json:"indexes,omitempty"`
	// Constraints are table constraints in creation order. A column's own
	// unique flag is not listed here: it lives on the column (Django's
	// unique=True), so altering it is an AlterField.
	Constraints []ConstraintState `json:"constraints,omitempty"`
}

// ColumnState is one column and the field it stores.
type ColumnState struct {
	Name          string           `json:"name"`
	Field         string           `json:"field"` // the model field's name, for messages
	Kind          string           `json:"kind"`  // Django's class name: "CharField"
	Null          bool             `json:"null,omitempty"`
	Unique        bool             `json:"unique,omitempty"`
	PrimaryKey    bool             `json:"primary_key,omitempty"`
	MaxLength     int              `json:"max_length,omitempty"`
	MaxDigits     int              `json:"max_digits,omitempty"`
	DecimalPlaces int              `json:"decimal_places,omitempty"`
	ForeignKey    *ForeignKeyState `json:"foreign_key,omitempty"`
	// Default is an SQL literal the database applies. Model defaults are
	// applied in Go, so StateOf leaves it empty; it exists for states
	// edited by hand and for schemas that need a database-side default.
	Default string `json:"default,omitempty"`
}

// ForeignKeyState is where a key column points. OnDelete is the ORM's rule
// ("CASCADE", …): the deletion collector enforces it, so it changes no SQL,
// but it is recorded so that changing it is a migration, as in Django.
type ForeignKeyState struct {
	Table    string `json:"table"`
	Column   string `json:"column"`
	OnDelete string `json:"on_delete"`
}

// IndexState is an index; a column written "-price" is descending.
// Expressions, when set, are the index's keys as each engine writes them
// ({"postgres": "(…), \"id\""}): keys on expressions, and on SQLite the
// decimal columns, which it stores as text and sorts through a CAST that
// the index must repeat for the planner to use it.
type IndexState struct {
	Name        string            `json:"name"`
	Columns     []string          `json:"columns"`
	Expressions map[string]string `json:"expressions,omitempty"`
	// Kind is empty for an ordinary index, "search" for a full-text
	// index (Weights and Config as SearchIndex declares them) or
	// "trigram".
	Kind    string   `json:"kind,omitempty"`
	Weights []string `json:"weights,omitempty"`
	Config  string   `json:"config,omitempty"`
	// Stored says that on PostgreSQL a search index's tsvector is a
	// stored generated column, named as the index, that the GIN index is
	// built on: ranking then reads each match's vector instead of
	// computing it again from the text (16x faster for a common word at
	// 200,000 rows). Indexes made before it keep the expression index
	// until a migration replaces them.
	Stored bool `json:"stored,omitempty"`
}

// ConstraintState is a named table constraint: "unique" over Columns, or
// "check" with its condition rendered per engine ({"postgres": "(…)",
// "sqlite": "(…)"}), because lookups compile differently on each.
type ConstraintState struct {
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Columns []string          `json:"columns,omitempty"`
	Check   map[string]string `json:"check,omitempty"`
}

// StateOf describes the tables of the given models and of their
// auto-created many-to-many junction tables, sorted by table name.
func StateOf(models []*Meta) (*SchemaState, error) {
	s := &SchemaState{Tables: []TableState{}}
	for _, m := range withJunctions(models) {
		t, err := tableStateOf(m)
		if err != nil {
			return nil, err
		}
		s.Tables = append(s.Tables, t)
	}
	slices.SortFunc(s.Tables, func(a, b TableState) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(s.Tables); i++ {
		if s.Tables[i].Name == s.Tables[i-1].Name {
			return nil, fmt.Errorf("orm: models %s and %s share table %s", s.Tables[i-1].Model, s.Tables[i].Model, s.Tables[i].Name)
		}
	}
	return s, nil
}

var checkVendors = []string{"postgres", "sqlite"}

func tableStateOf(m *Meta) (TableState, error) {
	t := TableState{Name: m.Table, Model: m.Label()}
	for _, f := range m.Fields {
		c := ColumnState{Name: f.Column, Field: f.Name, Kind: f.Kind.String(), Null: f.Null,
			Unique: f.Unique && !f.PrimaryKey, PrimaryKey: f.PrimaryKey}
		switch {
		case f.Kind.isText():
			c.MaxLength = f.MaxLength
		case f.Kind == KindDecimal:
			c.MaxDigits, c.DecimalPlaces = f.MaxDigits, f.DecimalPlaces
		}
		if f.Rel != nil {
			if f.Rel.To == nil {
				return t, fmt.Errorf("orm: %s points at %s, which is not a defined model", f, f.Rel.target)
			}
			c.ForeignKey = &ForeignKeyState{Table: f.Rel.To.Table, Column: f.Rel.To.PK.Column, OnDelete: f.Rel.OnDelete.String()}
		}
		t.Columns = append(t.Columns, c)
	}
	// Checks first, then the declared constraints: the order CREATE TABLE
	// has always written them in.
	for _, f := range m.Fields {
		switch f.Kind {
		case KindPositiveInteger, KindPositiveSmallInteger:
			sql := "(" + quote(f.Column) + " >= 0)"
			t.Constraints = append(t.Constraints, ConstraintState{Name: indexName(m.Table, []string{f.Column}, "check"),
				Kind: "check", Check: map[string]string{"postgres": sql, "sqlite": sql}})
		}
	}
	for _, c := range m.Constraints {
		cs := ConstraintState{Name: c.Name, Kind: c.Kind}
		switch c.Kind {
		case "unique":
			cs.Columns = columnsOf(m, c.Fields)
		case "check":
			n, err := resolveCond(m, c.Check)
			if err != nil {
				return t, err
			}
			cs.Check = map[string]string{}
			for _, vendor := range checkVendors {
				d, _ := dialectFor(vendor)
				cmp := &compiler{d: d, literal: true, check: true}
				if err := n.compile(cmp); err != nil {
					return t, err
				}
				if cmp.err != nil {
					return t, fmt.Errorf("orm: %s: constraint %s: %w", m.Label(), c.Name, cmp.err)
				}
				cs.Check[vendor] = cmp.sql.String()
			}
		default:
			return t, fmt.Errorf("orm: %s: constraint %s has unknown kind %q", m.Label(), c.Name, c.Kind)
		}
		t.Constraints = append(t.Constraints, cs)
	}
	for _, ix := range m.allIndexes() {
		is, err := indexStateOf(m, ix)
		if err != nil {
			return t, fmt.Errorf("orm: %s: index %s: %w", m.Label(), ix.Name, err)
		}
		t.Indexes = append(t.Indexes, is)
	}
	return t, nil
}

// indexStateOf renders an index's keys: columns, and per engine the
// expressions where plain column names do not say it all.
func indexStateOf(m *Meta, ix IndexDef) (IndexState, error) {
	if ix.Exprs == nil {
		cols := columnsOf(m, ix.Fields)
		var sqliteKeys []string
		decimal := false
		for i, name := range ix.Fields {
			f := m.Field(strings.TrimPrefix(name, "-"))
			key := sqlite{}.comparable(quote(cols[i]), f)
			decimal = decimal || f != nil && f.Kind == KindDecimal
			if strings.HasPrefix(name, "-") {
				cols[i] = "-" + cols[i]
				key += " DESC"
			}
			sqliteKeys = append(sqliteKeys, key)
		}
		is := IndexState{Name: ix.Name, Columns: cols, Kind: ix.Kind, Weights: ix.Weights, Config: ix.Config,
			Stored: ix.Kind == IndexSearch}
		if decimal && ix.Kind == "" {
			is.Expressions = map[string]string{"sqlite": strings.Join(sqliteKeys, ", ")}
		}
		return is, nil
	}
	is := IndexState{Name: ix.Name, Expressions: map[string]string{}}
	for _, vendor := range checkVendors {
		d, _ := dialectFor(vendor)
		keys := make([]string, len(ix.Exprs))
		for i, e := range ix.Exprs {
			re, err := e.resolve(&resolver{meta: m}, nil)
			if err != nil {
				return is, err
			}
			// Compiled as a query compiles it, values aside: the planner
			// matches an index only on the very same expression.
			cmp := &compiler{d: d, literal: true}
			sql, err := re.sql(cmp)
			if err == nil {
				err = cmp.err
			}
			if err != nil {
				return is, err
			}
			// As ORDER BY writes it, so that the planner finds the index.
			keys[i] = "(" + d.comparable(sql, re.field()) + ")"
		}
		is.Expressions[vendor] = strings.Join(keys, ", ")
	}
	return is, nil
}

// ReadSchemaState reads a state written by WriteJSON.
func ReadSchemaState(r io.Reader) (*SchemaState, error) {
	var s SchemaState
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("orm: reading schema state: %w", err)
	}
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			if _, ok := kindByName[c.Kind]; !ok {
				return nil, fmt.Errorf("orm: reading schema state: %s.%s has unknown kind %q", t.Name, c.Name, c.Kind)
			}
		}
		for _, ix := range t.Indexes {
			if err := ix.check(&t); err != nil {
				return nil, fmt.Errorf("orm: reading schema state: %s: index %s: %w", t.Name, ix.Name, err)
			}
		}
	}
	return &s, nil
}

// WriteJSON writes the state as indented JSON ending in a newline.
func (s *SchemaState) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Table returns the table with the given name, or nil.
func (s *SchemaState) Table(name string) *TableState {
	for i := range s.Tables {
		if s.Tables[i].Name == name {
			return &s.Tables[i]
		}
	}
	return nil
}

// Clone returns a deep copy, for editing a state without touching s.
func (s *SchemaState) Clone() *SchemaState {
	out := &SchemaState{Tables: make([]TableState, len(s.Tables))}
	for i, t := range s.Tables {
		out.Tables[i] = t.clone()
	}
	return out
}

func (t TableState) clone() TableState {
	t.Columns = slices.Clone(t.Columns)
	for i, c := range t.Columns {
		if c.ForeignKey != nil {
			fk := *c.ForeignKey
			t.Columns[i].ForeignKey = &fk
		}
	}
	t.Indexes = slices.Clone(t.Indexes)
	for i := range t.Indexes {
		t.Indexes[i].Columns = slices.Clone(t.Indexes[i].Columns)
		t.Indexes[i].Expressions = maps.Clone(t.Indexes[i].Expressions)
		t.Indexes[i].Weights = slices.Clone(t.Indexes[i].Weights)
	}
	t.Constraints = slices.Clone(t.Constraints)
	for i, c := range t.Constraints {
		t.Constraints[i].Columns = slices.Clone(c.Columns)
		if c.Check != nil {
			m := make(map[string]string, len(c.Check))
			for k, v := range c.Check {
				m[k] = v
			}
			t.Constraints[i].Check = m
		}
	}
	return t
}

// check refuses what would write wrong SQL: the configuration and the
// weights are written into it, and SQLite keys its FTS5 table by an
// integer primary key.
func (ix IndexState) check(t *TableState) error {
	switch ix.Kind {
	case "":
		return nil
	case IndexSearch:
		if searchTokenizers[ix.Config] == "" {
			return fmt.Errorf("text search configuration %q is not supported", ix.Config)
		}
		if len(ix.Weights) > 0 && len(ix.Weights) != len(ix.Columns) {
			return fmt.Errorf("%d weights for %d columns", len(ix.Weights), len(ix.Columns))
		}
		for _, w := range ix.Weights {
			if searchWeights[w] == "" {
				return fmt.Errorf("weight %q is not one of A, B, C, D", w)
			}
		}
	case IndexTrigram:
		if len(ix.Columns) != 1 {
			return fmt.Errorf("a trigram index covers one column")
		}
	default:
		return fmt.Errorf("unknown kind %q", ix.Kind)
	}
	if pk := t.pkColumn(); pk == nil || !pk.kind().isInteger() {
		return fmt.Errorf("a %s index needs an integer primary key", ix.Kind)
	}
	return nil
}

func (t *TableState) pkColumn() *ColumnState {
	for i := range t.Columns {
		if t.Columns[i].PrimaryKey {
			return &t.Columns[i]
		}
	}
	return nil
}

// Column returns the column with the given name, or nil.
func (t *TableState) Column(name string) *ColumnState {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

var kindByName = func() map[string]Kind {
	m := map[string]Kind{}
	for k, name := range kindNames {
		m[name] = Kind(k)
	}
	return m
}()

// field is a stand-in Field for the dialects' column types and binds.
func (c *ColumnState) field() *Field {
	return &Field{Name: c.Field, Column: c.Name, Kind: kindByName[c.Kind], Null: c.Null,
		MaxLength: c.MaxLength, MaxDigits: c.MaxDigits, DecimalPlaces: c.DecimalPlaces, model: &Meta{}}
}

func (c ColumnState) kind() Kind { return kindByName[c.Kind] }
