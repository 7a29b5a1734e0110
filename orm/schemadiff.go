package orm

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DiffOptions are the questions makemigrations asks the user.
type DiffOptions struct {
	// Rename is asked when a table loses a column and gains one of the
	// same kind: true renames instead of dropping and adding. When it is
	// nil, such a pair is an error, because guessing either way can lose
	// a column's data.
	Rename func(table, from, to, kind string) (bool, error)
	// Default is asked for a one-off default (an SQLLiteral or a Go value)
	// when a NOT NULL column without a default is added to an existing
	// table, whose rows need a value; nil or an error fails the diff.
	Default func(table, column, kind string) (any, error)
}

// MigrationPlan is the operations that take the schema from one state to
// the next.
type MigrationPlan struct {
	Ops []Operation

	initial bool
}

// Operation is one schema change, described as Django describes it.
type Operation interface {
	// Describe says what the operation does: "Add field rating to blog.Post".
	Describe() string
	// SQL is the operation's statements on the named engine.
	SQL(vendor string) ([]string, error)
	// Reverse is the operation that undoes this one.
	Reverse() Operation
}

type opKind int

const (
	opCreateTable opKind = iota
	opDropTable
	opRenameTable
	opAddColumn
	opRemoveColumn
	opAlterColumn
	opRenameColumn
	opAddIndex
	opRemoveIndex
	opAlterIndex // only Stored changed: index is the old one, index2 the new
	opAddConstraint
	opRemoveConstraint
)

// schemaOp carries the whole table before and after the change, because
// SQLite rebuilds a table from its full definition.
type schemaOp struct {
	kind          opKind
	before, after TableState // before is empty for a create, after for a drop
	col, col2     ColumnState
	index, index2 IndexState
	constraint    ConstraintState
	fill          any // add column: the value existing rows get
}

func (o *schemaOp) model() string {
	if o.after.Model != "" {
		return o.after.Model
	}
	return o.before.Model
}

func (o *schemaOp) Describe() string {
	switch o.kind {
	case opCreateTable:
		return "Create model " + o.model()
	case opDropTable:
		return "Delete model " + o.model()
	case opRenameTable:
		return fmt.Sprintf("Rename table for %s to %s", o.model(), o.after.Name)
	case opAddColumn:
		return fmt.Sprintf("Add field %s to %s", o.col.Field, o.model())
	case opRemoveColumn:
		return fmt.Sprintf("Remove field %s from %s", o.col.Field, o.model())
	case opAlterColumn:
		return fmt.Sprintf("Alter field %s on %s", o.col2.Field, o.model())
	case opRenameColumn:
		return fmt.Sprintf("Rename field %s on %s to %s", o.col.Field, o.model(), o.col2.Field)
	case opAddIndex:
		on := strings.Join(o.index.Columns, ", ")
		if len(o.index.Columns) == 0 {
			on = "expressions"
		}
		return fmt.Sprintf("Create index %s on %s of model %s", o.index.Name, on, o.model())
	case opRemoveIndex:
		return fmt.Sprintf("Remove index %s from model %s", o.index.Name, o.model())
	case opAlterIndex:
		if o.index2.Stored {
			return fmt.Sprintf("Store the search vector of index %s of model %s", o.index.Name, o.model())
		}
		return fmt.Sprintf("Compute the search vector of index %s of model %s", o.index.Name, o.model())
	case opAddConstraint:
		return fmt.Sprintf("Create constraint %s on model %s", o.constraint.Name, o.model())
	case opRemoveConstraint:
		return fmt.Sprintf("Remove constraint %s from model %s", o.constraint.Name, o.model())
	}
	return "?"
}

func (o *schemaOp) Reverse() Operation {
	r := *o
	r.before, r.after = o.after, o.before
	r.fill = nil
	switch o.kind {
	case opCreateTable:
		r.kind = opDropTable
	case opDropTable:
		r.kind = opCreateTable
	case opAddColumn:
		r.kind = opRemoveColumn
	case opRemoveColumn:
		r.kind = opAddColumn
		if !o.col.Null && o.col.Default == "" && !o.col.PrimaryKey {
			r.fill = zeroValue(&o.col)
		}
	case opAlterColumn, opRenameColumn:
		r.col, r.col2 = o.col2, o.col
	case opAddIndex:
		r.kind = opRemoveIndex
	case opRemoveIndex:
		r.kind = opAddIndex
	case opAlterIndex:
		r.index, r.index2 = o.index2, o.index
	case opAddConstraint:
		r.kind = opRemoveConstraint
	case opRemoveConstraint:
		r.kind = opAddConstraint
	}
	return &r
}

// Empty reports whether the models and the recorded state agree.
func (p *MigrationPlan) Empty() bool { return len(p.Ops) == 0 }

// SQL returns the statements of the plan on the named engine: up applies
// it, down undoes it (the operations reversed, last first).
func (p *MigrationPlan) SQL(vendor string) (up, down []string, err error) {
	if _, err := dialectFor(vendor); err != nil {
		return nil, nil, err
	}
	reversed := make([]Operation, len(p.Ops))
	for i, o := range p.Ops {
		reversed[len(p.Ops)-1-i] = o.Reverse()
	}
	if vendor == "sqlite" {
		if up, err = sqlitePlanSQL(p.Ops); err != nil {
			return nil, nil, err
		}
		if down, err = sqlitePlanSQL(reversed); err != nil {
			return nil, nil, err
		}
		return up, down, nil
	}
	for _, o := range p.Ops {
		s, err := o.SQL(vendor)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", o.Describe(), err)
		}
		up = append(up, s...)
	}
	for _, r := range reversed {
		s, err := r.SQL(vendor)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", r.Describe(), err)
		}
		down = append(down, s...)
	}
	return up, down, nil
}

// Name is a default migration name, as Django makes it: "initial" for the
// first migration, "post_rating" for an added field, fragments joined for
// a few operations, and "auto" when they would make it too long.
func (p *MigrationPlan) Name() string {
	if p.initial {
		return "initial"
	}
	var parts []string
	for _, o := range p.Ops {
		so, ok := o.(*schemaOp)
		if !ok {
			return "auto"
		}
		parts = append(parts, so.nameFragment())
	}
	name := strings.Join(parts, "_")
	if name == "" || len(name) > 52 {
		return "auto"
	}
	return name
}

func (o *schemaOp) nameFragment() string {
	model := strings.ToLower(o.model())
	if _, n, ok := strings.Cut(model, "."); ok {
		model = n
	}
	switch o.kind {
	case opCreateTable:
		return model
	case opDropTable:
		return "delete_" + model
	case opRenameTable:
		return "rename_" + model + "_table"
	case opAddColumn:
		return model + "_" + o.col.Field
	case opRemoveColumn:
		return "remove_" + model + "_" + o.col.Field
	case opAlterColumn:
		return "alter_" + model + "_" + o.col2.Field
	case opRenameColumn:
		return "rename_" + o.col.Field + "_" + model + "_" + o.col2.Field
	case opAddIndex, opAddConstraint:
		return model + "_" + strings.ToLower(o.index.Name+o.constraint.Name)
	case opRemoveIndex, opRemoveConstraint:
		return "remove_" + model + "_" + strings.ToLower(o.index.Name+o.constraint.Name)
	case opAlterIndex:
		return "alter_" + model + "_" + strings.ToLower(o.index.Name)
	}
	return "auto"
}

// Diff works out the operations that take the schema from state from (nil
// or empty for a first migration) to state to. Tables are matched by model
// label, so a changed db_table is a rename.
func Diff(from, to *SchemaState, opts DiffOptions) (*MigrationPlan, error) {
	if from == nil {
		from = &SchemaState{}
	}
	if to == nil {
		to = &SchemaState{}
	}
	plan := &MigrationPlan{initial: len(from.Tables) == 0 && len(to.Tables) > 0}
	match := map[int]int{} // to index → from index
	used := map[int]bool{}
	for pass := 0; pass < 2; pass++ {
		for i, t := range to.Tables {
			if _, ok := match[i]; ok {
				continue
			}
			for j, f := range from.Tables {
				if used[j] {
					continue
				}
				if (pass == 0 && f.Model == t.Model) || (pass == 1 && f.Name == t.Name) {
					match[i], used[j] = j, true
					break
				}
			}
		}
	}
	// Renames first, so that a new table's keys find renamed targets;
	// then creates, so that new keys find new tables; drops last, after
	// the keys pointing at them are gone.
	var created, dropped []TableState
	renamedTo := map[string]string{}
	for i, t := range to.Tables {
		j, ok := match[i]
		if !ok {
			created = append(created, t.clone())
			continue
		}
		if f := from.Tables[j]; f.Name != t.Name {
			after := f.clone()
			after.Name, after.Model = t.Name, t.Model
			renamedTo[f.Name] = t.Name
			plan.Ops = append(plan.Ops, &schemaOp{kind: opRenameTable, before: f.clone(), after: after})
		}
	}
	for _, t := range tablesInDependencyOrder(created) {
		plan.Ops = append(plan.Ops, &schemaOp{kind: opCreateTable, after: t})
	}
	for i, t := range to.Tables {
		j, ok := match[i]
		if !ok {
			continue
		}
		w := from.Tables[j].clone()
		w.Name, w.Model = t.Name, t.Model
		// Both engines repoint keys at a renamed table themselves.
		for k, c := range w.Columns {
			if c.ForeignKey != nil && renamedTo[c.ForeignKey.Table] != "" {
				w.Columns[k].ForeignKey.Table = renamedTo[c.ForeignKey.Table]
			}
		}
		ops, err := diffTable(w, t, opts)
		if err != nil {
			return nil, err
		}
		plan.Ops = append(plan.Ops, ops...)
	}
	for j, f := range from.Tables {
		if !used[j] {
			dropped = append(dropped, f.clone())
		}
	}
	dropped = tablesInDependencyOrder(dropped)
	for i := len(dropped) - 1; i >= 0; i-- {
		plan.Ops = append(plan.Ops, &schemaOp{kind: opDropTable, before: dropped[i]})
	}
	return plan, nil
}

// tablesInDependencyOrder puts every table after the tables among ts its
// keys point at.
func tablesInDependencyOrder(ts []TableState) []TableState {
	byName := map[string]int{}
	for i, t := range ts {
		byName[t.Name] = i
	}
	seen := make([]bool, len(ts))
	var out []TableState
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		for _, c := range ts[i].Columns {
			if c.ForeignKey != nil {
				if j, ok := byName[c.ForeignKey.Table]; ok {
					visit(j)
				}
			}
		}
		out = append(out, ts[i])
	}
	for i := range ts {
		visit(i)
	}
	return out
}

// diffTable changes w (the old table, already renamed) into t one step at
// a time, recording each step with the table before and after it.
func diffTable(w, t TableState, opts DiffOptions) ([]Operation, error) {
	var ops []Operation
	step := func(o *schemaOp, change func(*TableState)) {
		o.before = w.clone()
		change(&w)
		o.after = w.clone()
		ops = append(ops, o)
	}
	// Renames first: the database carries indexes and constraints over
	// to the new name, so they compare equal afterwards.
	var removed, added []ColumnState
	for _, c := range w.Columns {
		if t.Column(c.Name) == nil {
			removed = append(removed, c)
		}
	}
	for _, c := range t.Columns {
		if w.Column(c.Name) == nil {
			added = append(added, c)
		}
	}
	renamed := map[string]bool{} // added columns that are renames
	for _, r := range slices.Clone(removed) {
		for _, a := range added {
			if renamed[a.Name] || a.Kind != r.Kind {
				continue
			}
			if opts.Rename == nil {
				return nil, fmt.Errorf("orm: %s (%s): column %s is gone and column %s of the same kind %s is new; "+
					"say whether it was renamed (pass a rename flag/answer) rather than dropping %s and its data",
					t.Model, t.Name, r.Name, a.Name, a.Kind, r.Name)
			}
			yes, err := opts.Rename(t.Name, r.Name, a.Name, a.Kind)
			if err != nil {
				return nil, err
			}
			if !yes {
				continue
			}
			renamed[a.Name] = true
			removed = slices.DeleteFunc(removed, func(x ColumnState) bool { return x.Name == r.Name })
			from, to := r.Name, a.Name
			renamedCol := r
			renamedCol.Name, renamedCol.Field = a.Name, a.Field
			step(&schemaOp{kind: opRenameColumn, col: r, col2: renamedCol}, func(w *TableState) {
				*w.Column(from) = renamedCol
				renameRefs(w, from, to)
			})
			break
		}
	}
	// Indexes and constraints that go away first: they may cover columns
	// that are about to be dropped or altered.
	for _, ix := range slices.Clone(w.Indexes) {
		stored := ix
		stored.Stored = !ix.Stored
		if i := slices.IndexFunc(t.Indexes, func(x IndexState) bool { return indexEqual(x, stored) }); i >= 0 {
			// Only the way PostgreSQL keeps a search vector changed:
			// SQLite has nothing to do.
			step(&schemaOp{kind: opAlterIndex, index: ix, index2: t.Indexes[i]}, func(w *TableState) {
				w.Indexes[slices.IndexFunc(w.Indexes, func(x IndexState) bool { return x.Name == ix.Name })] = stored
			})
			continue
		}
		if !slices.ContainsFunc(t.Indexes, func(x IndexState) bool { return indexEqual(x, ix) }) {
			step(&schemaOp{kind: opRemoveIndex, index: ix}, func(w *TableState) {
				w.Indexes = slices.DeleteFunc(w.Indexes, func(x IndexState) bool { return x.Name == ix.Name })
			})
		}
	}
	for _, c := range slices.Clone(w.Constraints) {
		if !slices.ContainsFunc(t.Constraints, func(x ConstraintState) bool { return constraintEqual(x, c) }) {
			step(&schemaOp{kind: opRemoveConstraint, constraint: c}, func(w *TableState) {
				w.Constraints = slices.DeleteFunc(w.Constraints, func(x ConstraintState) bool { return x.Name == c.Name })
			})
		}
	}
	for _, r := range removed {
		if r.PrimaryKey {
			return nil, fmt.Errorf("orm: %s: dropping the primary key %s is not supported", t.Model, r.Name)
		}
		step(&schemaOp{kind: opRemoveColumn, col: r}, func(w *TableState) {
			w.Columns = slices.DeleteFunc(w.Columns, func(x ColumnState) bool { return x.Name == r.Name })
		})
	}
	for _, a := range added {
		if renamed[a.Name] {
			continue
		}
		if a.PrimaryKey {
			return nil, fmt.Errorf("orm: %s: adding the primary key %s to an existing table is not supported", t.Model, a.Name)
		}
		o := &schemaOp{kind: opAddColumn, col: a}
		if !a.Null && a.Default == "" {
			v, err := askDefault(opts, t, &a, "add non-nullable field", "existing rows need a value; give a one-off default or make the field Null()")
			if err != nil {
				return nil, err
			}
			o.fill = v
		}
		step(o, func(w *TableState) { w.Columns = append(w.Columns, a) })
	}
	for _, c := range t.Columns {
		old := w.Column(c.Name)
		if old == nil || columnEqual(*old, c) {
			continue
		}
		if old.PrimaryKey != c.PrimaryKey || (c.PrimaryKey && old.Kind != c.Kind) {
			return nil, fmt.Errorf("orm: %s: changing the primary key (%s) is not supported", t.Model, c.Name)
		}
		prev := *old
		o := &schemaOp{kind: opAlterColumn, col: prev, col2: c}
		if prev.Null && !c.Null && c.Default == "" {
			// As Django asks: rows holding NULL need a value first.
			v, err := askDefault(opts, t, &c, "make non-nullable field", "the rows that hold NULL need a value; give a one-off default")
			if err != nil {
				return nil, err
			}
			o.fill = v
		}
		step(o, func(w *TableState) { *w.Column(c.Name) = c })
	}
	for _, c := range t.Constraints {
		if !slices.ContainsFunc(w.Constraints, func(x ConstraintState) bool { return constraintEqual(x, c) }) {
			step(&schemaOp{kind: opAddConstraint, constraint: c}, func(w *TableState) { w.Constraints = append(w.Constraints, c) })
		}
	}
	for _, ix := range t.Indexes {
		if !slices.ContainsFunc(w.Indexes, func(x IndexState) bool { return indexEqual(x, ix) }) {
			step(&schemaOp{kind: opAddIndex, index: ix}, func(w *TableState) { w.Indexes = append(w.Indexes, ix) })
		}
	}
	return ops, nil
}

// renameRefs follows a column rename in the indexes and unique
// constraints that cover it, as the database does.
func renameRefs(w *TableState, from, to string) {
	fix := func(cols []string) {
		for i, c := range cols {
			if c == from {
				cols[i] = to
			} else if c == "-"+from {
				cols[i] = "-" + to
			}
		}
	}
	for i := range w.Indexes {
		fix(w.Indexes[i].Columns)
	}
	for i := range w.Constraints {
		fix(w.Constraints[i].Columns)
	}
}

func indexEqual(a, b IndexState) bool {
	return a.Name == b.Name && slices.Equal(a.Columns, b.Columns) && maps.Equal(a.Expressions, b.Expressions) &&
		a.Kind == b.Kind && slices.Equal(a.Weights, b.Weights) && a.Config == b.Config && a.Stored == b.Stored
}

func constraintEqual(a, b ConstraintState) bool {
	if a.Name != b.Name || a.Kind != b.Kind || !slices.Equal(a.Columns, b.Columns) || len(a.Check) != len(b.Check) {
		return false
	}
	for k, v := range a.Check {
		if b.Check[k] != v {
			return false
		}
	}
	return true
}

func columnEqual(a, b ColumnState) bool {
	if (a.ForeignKey == nil) != (b.ForeignKey == nil) || (a.ForeignKey != nil && *a.ForeignKey != *b.ForeignKey) {
		return false
	}
	a.ForeignKey, b.ForeignKey = nil, nil
	return a == b
}

// checkLiteral makes sure a one-off default can be written on every
// engine, so that a plan never fails later in SQL.
func checkLiteral(c *ColumnState, v any) error {
	for _, vendor := range checkVendors {
		d, _ := dialectFor(vendor)
		if _, err := defaultLiteral(d, c, v); err != nil {
			return err
		}
	}
	return nil
}

// askDefault asks opts.Default for the one-off value that fills the
// existing rows of column c, which is becoming NOT NULL; doing names the
// change in errors ("add non-nullable field").
func askDefault(opts DiffOptions, t TableState, c *ColumnState, doing, why string) (any, error) {
	if opts.Default == nil {
		return nil, fmt.Errorf("orm: %s: cannot %s %s (column %s of %s) without a default: %s", t.Model, doing, c.Field, c.Name, t.Name, why)
	}
	v, err := opts.Default(t.Name, c.Name, c.Kind)
	if err != nil {
		return nil, fmt.Errorf("orm: %s: %s %s: %w", t.Model, doing, c.Field, err)
	}
	if err := checkLiteral(c, v); err != nil {
		return nil, fmt.Errorf("orm: %s: default for %s: %w", t.Model, c.Field, err)
	}
	return v, nil
}
