package orm

import (
	"context"
	"fmt"
	"slices"
)

// CreateTableSQL returns the statements that create m's table, its
// constraints and its indexes on the named engine ("postgres", "sqlite").
// Migrations are generated from the same definitions.
func CreateTableSQL(vendor string, m *Meta) ([]string, error) {
	if _, err := dialectFor(vendor); err != nil {
		return nil, err
	}
	// Through the schema state, so that the tables tests create and the
	// tables migrations create come from one definition.
	s, err := StateOf([]*Meta{m})
	if err != nil {
		return nil, err
	}
	t := s.Table(m.Table)
	if t == nil {
		return nil, fmt.Errorf("orm: no table state for %s", m.Label())
	}
	return t.CreateSQL(vendor)
}

// allIndexes is Meta.Indexes plus an index for every db_index field (a
// foreign key among them) that is not already unique or the first
// column of a declared index, which serves its lookups as well.
func (m *Meta) allIndexes() []IndexDef {
	var out []IndexDef
	for _, f := range m.Fields {
		declared := slices.ContainsFunc(m.Indexes, func(ix IndexDef) bool { return len(ix.Fields) > 0 && ix.Fields[0] == f.Name })
		if f.DBIndex && !f.Unique && !f.PrimaryKey && !declared {
			out = append(out, IndexDef{Name: indexName(m.Table, []string{f.Column}, "idx"), Fields: []string{f.Name}})
		}
	}
	return append(out, m.Indexes...)
}

func dialectFor(vendor string) (dialect, error) {
	switch vendor {
	case "postgres":
		return postgres{}, nil
	case "sqlite":
		return sqlite{}, nil
	}
	return nil, fmt.Errorf("orm: unknown database vendor %q", vendor)
}

// CreateTables creates the tables of the given models (all defined models
// when none are given) on the context's database, in one transaction.
func CreateTables(ctx context.Context, models ...*Meta) error {
	if len(models) == 0 {
		models = Models()
	}
	models = dependencyOrder(withJunctions(models))
	return Atomic(ctx, func(ctx context.Context) error {
		c, err := connFrom(ctx)
		if err != nil {
			return err
		}
		for _, m := range models {
			stmts, err := CreateTableSQL(c.db.dialect.name(), m)
			if err != nil {
				return err
			}
			for _, s := range stmts {
				if _, err := c.exec(ctx, s, nil); err != nil {
					return fmt.Errorf("orm: creating %s: %w", m.Label(), err)
				}
			}
		}
		return nil
	})
}

// DropTables drops the tables of the given models, if they exist.
func DropTables(ctx context.Context, models ...*Meta) error {
	c, err := connFrom(ctx)
	if err != nil {
		return err
	}
	models = dependencyOrder(withJunctions(models))
	for i := len(models) - 1; i >= 0; i-- {
		if _, err := c.exec(ctx, "DROP TABLE IF EXISTS "+quote(models[i].Table), nil); err != nil {
			return err
		}
	}
	return nil
}

// dependencyOrder puts every model after the models its keys point at, so
// that each CREATE TABLE finds the tables it references; DropTables walks
// the same order backwards.
func dependencyOrder(models []*Meta) []*Meta {
	in := map[*Meta]bool{}
	for _, m := range models {
		in[m] = true
	}
	var out []*Meta
	seen := map[*Meta]bool{}
	var visit func(m *Meta)
	visit = func(m *Meta) {
		if seen[m] {
			return
		}
		seen[m] = true
		for _, f := range m.Fields {
			if f.Rel != nil && f.Rel.To != nil && f.Rel.To != m && in[f.Rel.To] {
				visit(f.Rel.To)
			}
		}
		out = append(out, m)
	}
	for _, m := range models {
		visit(m)
	}
	return out
}

// withJunctions adds the auto-created junction tables of the models'
// many-to-many fields.
func withJunctions(models []*Meta) []*Meta {
	out := slices.Clone(models)
	for _, m := range models {
		for _, f := range m.ManyToMany {
			if j := f.Rel.Through; j != nil && j.AutoCreated && !slices.Contains(out, j) {
				out = append(out, j)
			}
		}
	}
	return out
}
