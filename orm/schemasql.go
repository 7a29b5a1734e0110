package orm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// CreateSQL returns the statements that create the table, its constraints
// and its indexes on the named engine.
func (t *TableState) CreateSQL(vendor string) ([]string, error) {
	d, err := dialectFor(vendor)
	if err != nil {
		return nil, err
	}
	create, err := createTableStmt(d, t, t.Name)
	if err != nil {
		return nil, err
	}
	stmts := []string{create}
	for _, ix := range t.Indexes {
		stmts = append(stmts, indexSQL(d, t, ix)...)
	}
	return stmts, nil
}

func createTableStmt(d dialect, t *TableState, name string) (string, error) {
	var parts []string
	for i := range t.Columns {
		def, err := columnDef(d, &t.Columns[i], "")
		if err != nil {
			return "", fmt.Errorf("orm: table %s: %w", t.Name, err)
		}
		parts = append(parts, def)
	}
	for _, c := range t.Constraints {
		def, err := constraintDef(d, c)
		if err != nil {
			return "", fmt.Errorf("orm: table %s: %w", t.Name, err)
		}
		parts = append(parts, def)
	}
	for _, c := range t.Columns {
		if c.Unique {
			parts = append(parts, "CONSTRAINT "+quote(uniqueName(t.Name, c.Name))+" UNIQUE ("+quote(c.Name)+")")
		}
	}
	return "CREATE TABLE " + quote(name) + " (\n    " + strings.Join(parts, ",\n    ") + "\n)", nil
}

// columnDef is a column's definition in CREATE TABLE or ADD COLUMN; a
// non-empty fill is a default for the rows that exist when the column is
// added.
func columnDef(d dialect, c *ColumnState, fill string) (string, error) {
	k, ok := kindByName[c.Kind]
	if !ok {
		return "", fmt.Errorf("column %s has unknown kind %q", c.Name, c.Kind)
	}
	if c.PrimaryKey && k == KindAuto {
		return quote(c.Name) + " " + d.autoPK(), nil
	}
	s := quote(c.Name) + " " + d.columnType(c.field())
	switch {
	case fill != "":
		s += " DEFAULT " + fill
	case c.Default != "":
		s += " DEFAULT " + c.Default
	}
	switch {
	case c.PrimaryKey:
		s += " NOT NULL PRIMARY KEY"
	case c.Null:
		s += " NULL"
	default:
		s += " NOT NULL"
	}
	if c.ForeignKey != nil {
		// Deferred, as Django makes them: rows may point at each other
		// within a transaction, and the deletion collector's order only
		// has to be right by commit.
		s += " REFERENCES " + quote(c.ForeignKey.Table) + " (" + quote(c.ForeignKey.Column) + ") DEFERRABLE INITIALLY DEFERRED"
	}
	return s, nil
}

func constraintDef(d dialect, c ConstraintState) (string, error) {
	switch c.Kind {
	case "unique":
		return "CONSTRAINT " + quote(c.Name) + " UNIQUE (" + quoteColumns(c.Columns) + ")", nil
	case "check":
		sql, ok := c.Check[d.name()]
		if !ok {
			return "", fmt.Errorf("check constraint %s has no SQL for %s", c.Name, d.name())
		}
		return "CONSTRAINT " + quote(c.Name) + " CHECK " + sql, nil
	}
	return "", fmt.Errorf("constraint %s has unknown kind %q", c.Name, c.Kind)
}

func createIndexStmt(d dialect, table string, ix IndexState) string {
	keys, ok := ix.Expressions[d.name()]
	if !ok {
		keys = quoteColumns(ix.Columns)
	}
	return "CREATE INDEX " + quote(ix.Name) + " ON " + quote(table) + " (" + keys + ")"
}

// indexSQL is the statements that create index ix of table t.
func indexSQL(d dialect, t *TableState, ix IndexState) []string {
	switch {
	case ix.Kind == "":
		return []string{createIndexStmt(d, t.Name, ix)}
	case d.name() == "sqlite":
		return sqliteFTSCreate(t, ix)
	case ix.Kind == IndexSearch && ix.Stored:
		return []string{
			alterTable(t.Name) + "ADD COLUMN " + quote(ix.Name) + " tsvector GENERATED ALWAYS AS (" +
				pgTSVector(ix.Config, quoteAll(ix.Columns), ix.Weights) + ") STORED",
			"CREATE INDEX " + quote(ix.Name) + " ON " + quote(t.Name) + " USING gin (" + quote(ix.Name) + ")",
		}
	case ix.Kind == IndexSearch:
		return []string{"CREATE INDEX " + quote(ix.Name) + " ON " + quote(t.Name) + " USING gin ((" +
			pgTSVector(ix.Config, quoteAll(ix.Columns), ix.Weights) + "))"}
	}
	// On UPPER(column), which icontains and its kin compare, so that the
	// index serves them as well as the trigram lookups.
	return append(slices.Clone(pgTrgmStmts),
		"CREATE INDEX "+quote(ix.Name)+" ON "+quote(t.Name)+" USING gin (UPPER("+quote(ix.Columns[0])+") public.gin_trgm_ops)")
}

// pgTrgmStmts install pg_trgm once per database, in schema public rather
// than the current schema, which a test drops with CASCADE while other
// schemas use the extension; its names are written qualified, so a
// search_path without public finds them too. The lock makes
// transactions that create it at the same time wait for each other, where
// IF NOT EXISTS alone lets the second fail on a duplicate key.
var pgTrgmStmts = []string{
	"SELECT pg_advisory_xact_lock(7283510917)",
	"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
}

// dropIndexSQL is the statements that drop index ix of table.
func dropIndexSQL(d dialect, table string, ix IndexState) []string {
	switch {
	case ix.Kind != "" && d.name() == "sqlite":
		return append(sqliteFTSDropTriggers(ix), "DROP TABLE "+quote(ix.Name))
	case ix.Kind == IndexSearch && ix.Stored:
		return []string{"DROP INDEX " + quote(ix.Name), alterTable(table) + "DROP COLUMN " + quote(ix.Name)}
	}
	return []string{"DROP INDEX " + quote(ix.Name)}
}

// pgAroundStoredVectors runs stmts between dropping and making again the
// stored search vectors of t that read column: PostgreSQL refuses to
// change the type of a column a generated column reads.
func pgAroundStoredVectors(d dialect, t *TableState, column string, stmts []string) []string {
	var drop, create []string
	for _, ix := range t.Indexes {
		if ix.Kind == IndexSearch && ix.Stored && slices.Contains(ix.Columns, column) {
			drop = append(drop, dropIndexSQL(d, t.Name, ix)...)
			create = append(create, indexSQL(d, t, ix)...)
		}
	}
	return append(append(drop, stmts...), create...)
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quote(n)
	}
	return out
}

// sqliteFTSCreate makes a full-text or trigram index on SQLite: an FTS5
// table that reads its text from t (external content, so the text is not
// stored twice) keyed by t's row id, triggers that keep it current on
// every write, whatever makes it, and its filling from the rows already
// there.
func sqliteFTSCreate(t *TableState, ix IndexState) []string {
	tokenize := "trigram"
	if ix.Kind == IndexSearch {
		tokenize = searchTokenizers[ix.Config]
	}
	fts := quote(ix.Name)
	stmts := []string{"CREATE VIRTUAL TABLE " + fts + " USING fts5(" + strings.Join(quoteAll(ix.Columns), ", ") +
		", content=" + quoteString(t.Name) + ", content_rowid=" + quoteString(t.pkColumn().Name) + ", tokenize=" + quoteString(tokenize) + ")"}
	return append(append(stmts, sqliteFTSTriggers(t, ix)...), sqliteFTSRebuild(ix))
}

func sqliteFTSRebuild(ix IndexState) string {
	return "INSERT INTO " + quote(ix.Name) + " (" + quote(ix.Name) + ") VALUES ('rebuild')"
}

// sqliteFTSTriggers keep an external-content FTS5 table current: FTS5
// removes a row's words given the values it indexed, so an update removes
// the old values before adding the new ones. Each statement is on one
// line, which goose reads as one statement despite the semicolons inside.
func sqliteFTSTriggers(t *TableState, ix IndexState) []string {
	fts := quote(ix.Name)
	pk := quote(t.pkColumn().Name)
	cols := strings.Join(quoteAll(ix.Columns), ", ")
	values := func(row string) string {
		vals := []string{row + "." + pk}
		for _, c := range ix.Columns {
			vals = append(vals, row+"."+quote(c))
		}
		return strings.Join(vals, ", ")
	}
	insert := "INSERT INTO " + fts + " (rowid, " + cols + ") VALUES (" + values("new") + ");"
	remove := "INSERT INTO " + fts + " (" + fts + ", rowid, " + cols + ") VALUES ('delete', " + values("old") + ");"
	on := " ON " + quote(t.Name) + " BEGIN "
	names := sqliteFTSTriggerNames(ix)
	return []string{
		"CREATE TRIGGER " + names[0] + " AFTER INSERT" + on + insert + " END",
		"CREATE TRIGGER " + names[1] + " AFTER DELETE" + on + remove + " END",
		"CREATE TRIGGER " + names[2] + " AFTER UPDATE OF " + pk + ", " + cols + on + remove + " " + insert + " END",
	}
}

func sqliteFTSTriggerNames(ix IndexState) []string {
	return []string{quote(ix.Name + "_ai"), quote(ix.Name + "_ad"), quote(ix.Name + "_au")}
}

func sqliteFTSDropTriggers(ix IndexState) []string {
	var stmts []string
	for _, name := range sqliteFTSTriggerNames(ix) {
		stmts = append(stmts, "DROP TRIGGER "+name)
	}
	return stmts
}

// sqliteFTSTables is the FTS5 tables of t, which dropping t leaves behind.
func sqliteFTSTables(t *TableState) []IndexState {
	var out []IndexState
	for _, ix := range t.Indexes {
		if ix.Kind != "" {
			out = append(out, ix)
		}
	}
	return out
}

func quoteColumns(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if name, ok := strings.CutPrefix(c, "-"); ok {
			parts[i] = quote(name) + " DESC"
		} else {
			parts[i] = quote(c)
		}
	}
	return strings.Join(parts, ", ")
}

// uniqueName is the name CREATE TABLE gives a unique column's constraint.
func uniqueName(table, column string) string { return indexName(table, []string{column}, "key") }

// pgFKName is the name PostgreSQL gives an unnamed column REFERENCES
// constraint (makeObjectName: the longer part is cut until the name fits
// in 63 bytes), which ALTER statements need to find it again.
func pgFKName(table, column string) string {
	a, b := table, column
	avail := 63 - len("fkey") - 2
	for len(a)+len(b) > avail {
		if len(a) > len(b) {
			a = a[:len(a)-1]
		} else {
			b = b[:len(b)-1]
		}
	}
	return a + "_" + b + "_fkey"
}

// SQLLiteral is a default written into SQL as it is ("now()", "'draft'");
// any other value given to DiffOptions.Default is quoted for the engine.
type SQLLiteral string

// defaultLiteral renders a Go value as an SQL literal for column c.
func defaultLiteral(d dialect, c *ColumnState, v any) (string, error) {
	if s, ok := v.(SQLLiteral); ok {
		return string(s), nil
	}
	f := c.field()
	if d.name() == "sqlite" {
		b, err := d.bind(f, v)
		if err != nil {
			return "", err
		}
		v = b
	} else {
		switch x := v.(type) {
		case time.Time:
			switch f.Kind {
			case KindDate:
				v = x.Format(time.DateOnly)
			case KindTime:
				v = x.Format("15:04:05.999999")
			default:
				v = x.Format(time.RFC3339Nano)
			}
		case time.Duration:
			return quoteString(strconv.FormatInt(x.Microseconds(), 10)+" microseconds") + "::interval", nil
		case decimal.Decimal:
			return x.String(), nil
		case uuid.UUID:
			v = x.String()
		}
		if f.Kind == KindJSON {
			b, err := d.bind(f, v)
			if err != nil {
				return "", err
			}
			v = b
		}
	}
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case string:
		return quoteString(x), nil
	case []byte:
		return quoteString(string(x)), nil
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	case float32, float64:
		f := fmt.Sprint(x)
		if fv, _ := strconv.ParseFloat(f, 64); math.IsInf(fv, 0) || math.IsNaN(fv) {
			return "", fmt.Errorf("orm: %v cannot be a default", x)
		}
		return f, nil
	}
	return "", fmt.Errorf("orm: a default of type %T cannot be written as SQL; pass an orm.SQLLiteral", v)
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// zeroValue fills a NOT NULL column that a down migration adds back: the
// dropped data is gone, and the rows need some value.
func zeroValue(c *ColumnState) any {
	switch k := c.kind(); {
	case k.isText():
		return ""
	case k.isInteger(), k == KindFloat:
		return 0
	case k == KindDecimal:
		return decimal.Zero
	case k == KindBoolean:
		return false
	case k == KindDate, k == KindDateTime, k == KindTime:
		return time.Unix(0, 0).UTC()
	case k == KindDuration:
		return time.Duration(0)
	case k == KindUUID:
		return uuid.Nil
	case k == KindJSON:
		return SQLLiteral("'null'")
	}
	return SQLLiteral("NULL")
}

// SQL returns the operation's statements on the named engine.
func (o *schemaOp) SQL(vendor string) ([]string, error) {
	d, err := dialectFor(vendor)
	if err != nil {
		return nil, err
	}
	if vendor == "sqlite" {
		return o.sqliteSQL(d)
	}
	return o.postgresSQL(d)
}

func alterTable(table string) string { return "ALTER TABLE " + quote(table) + " " }

func (o *schemaOp) postgresSQL(d dialect) ([]string, error) {
	t := o.after.Name
	switch o.kind {
	case opCreateTable:
		return o.after.CreateSQL(d.name())
	case opDropTable:
		return []string{"DROP TABLE " + quote(o.before.Name)}, nil
	case opRenameTable:
		// Constraint names are derived from the table's name; renaming
		// them keeps later migrations able to find them.
		stmts := []string{alterTable(o.before.Name) + "RENAME TO " + quote(t)}
		for _, c := range o.before.Columns {
			stmts = append(stmts, pgRenameColumnConstraints(t, o.before.Name, c.Name, t, c.Name, c)...)
		}
		return stmts, nil
	case opRenameColumn:
		stmts := []string{alterTable(t) + "RENAME COLUMN " + quote(o.col.Name) + " TO " + quote(o.col2.Name)}
		return append(stmts, pgRenameColumnConstraints(t, t, o.col.Name, t, o.col2.Name, o.col)...), nil
	case opAddColumn:
		fill := ""
		if o.fill != nil {
			var err error
			if fill, err = defaultLiteral(d, &o.col, o.fill); err != nil {
				return nil, err
			}
		}
		def, err := columnDef(d, &o.col, fill)
		if err != nil {
			return nil, err
		}
		stmts := []string{alterTable(t) + "ADD COLUMN " + def}
		if fill != "" {
			// As Django does: the default is for the rows that exist now;
			// new rows get their value from the application.
			stmts = append(stmts, alterTable(t)+"ALTER COLUMN "+quote(o.col.Name)+" DROP DEFAULT")
		}
		if o.col.Unique {
			stmts = append(stmts, alterTable(t)+"ADD CONSTRAINT "+quote(uniqueName(t, o.col.Name))+" UNIQUE ("+quote(o.col.Name)+")")
		}
		return stmts, nil
	case opRemoveColumn:
		return []string{alterTable(t) + "DROP COLUMN " + quote(o.col.Name)}, nil
	case opAlterColumn:
		var stmts []string
		if o.fill != nil {
			fill, err := defaultLiteral(d, &o.col2, o.fill)
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, "UPDATE "+quote(t)+" SET "+quote(o.col.Name)+" = "+fill+" WHERE "+quote(o.col.Name)+" IS NULL")
		}
		alter, err := pgAlterColumn(d, t, &o.col, &o.col2)
		if d.columnType(o.col.field()) != d.columnType(o.col2.field()) {
			alter = pgAroundStoredVectors(d, &o.before, o.col.Name, alter)
		}
		return append(stmts, alter...), err
	case opAddIndex:
		return indexSQL(d, &o.after, o.index), nil
	case opRemoveIndex:
		return dropIndexSQL(d, t, o.index), nil
	case opAlterIndex:
		return append(dropIndexSQL(d, t, o.index), indexSQL(d, &o.after, o.index2)...), nil
	case opAddConstraint:
		def, err := constraintDef(d, o.constraint)
		if err != nil {
			return nil, err
		}
		return []string{alterTable(t) + "ADD " + def}, nil
	case opRemoveConstraint:
		return []string{alterTable(t) + "DROP CONSTRAINT " + quote(o.constraint.Name)}, nil
	}
	return nil, fmt.Errorf("orm: unknown operation %d", o.kind)
}

func pgRenameColumnConstraints(t, oldTable, oldCol, newTable, newCol string, c ColumnState) []string {
	var stmts []string
	rename := func(from, to string) {
		if from != to {
			stmts = append(stmts, alterTable(t)+"RENAME CONSTRAINT "+quote(from)+" TO "+quote(to))
		}
	}
	if c.Unique {
		rename(uniqueName(oldTable, oldCol), uniqueName(newTable, newCol))
	}
	if c.ForeignKey != nil {
		rename(pgFKName(oldTable, oldCol), pgFKName(newTable, newCol))
	}
	return stmts
}

func pgAlterColumn(d dialect, t string, old, new *ColumnState) ([]string, error) {
	var stmts []string
	col := alterTable(t) + "ALTER COLUMN " + quote(new.Name) + " "
	fkChanged := (old.ForeignKey == nil) != (new.ForeignKey == nil) ||
		(old.ForeignKey != nil && (old.ForeignKey.Table != new.ForeignKey.Table || old.ForeignKey.Column != new.ForeignKey.Column))
	if old.ForeignKey != nil && fkChanged {
		stmts = append(stmts, alterTable(t)+"DROP CONSTRAINT "+quote(pgFKName(t, old.Name)))
	}
	if old.Unique && !new.Unique {
		stmts = append(stmts, alterTable(t)+"DROP CONSTRAINT "+quote(uniqueName(t, old.Name)))
	}
	if ot, nt := d.columnType(old.field()), d.columnType(new.field()); ot != nt {
		stmts = append(stmts, col+"TYPE "+nt+" USING "+quote(new.Name)+"::"+nt)
	}
	if old.Null != new.Null {
		if new.Null {
			stmts = append(stmts, col+"DROP NOT NULL")
		} else {
			stmts = append(stmts, col+"SET NOT NULL")
		}
	}
	if old.Default != new.Default {
		if new.Default == "" {
			stmts = append(stmts, col+"DROP DEFAULT")
		} else {
			stmts = append(stmts, col+"SET DEFAULT "+new.Default)
		}
	}
	if new.Unique && !old.Unique {
		stmts = append(stmts, alterTable(t)+"ADD CONSTRAINT "+quote(uniqueName(t, new.Name))+" UNIQUE ("+quote(new.Name)+")")
	}
	if new.ForeignKey != nil && fkChanged {
		stmts = append(stmts, alterTable(t)+"ADD CONSTRAINT "+quote(pgFKName(t, new.Name))+" FOREIGN KEY ("+quote(new.Name)+
			") REFERENCES "+quote(new.ForeignKey.Table)+" ("+quote(new.ForeignKey.Column)+") DEFERRABLE INITIALLY DEFERRED")
	}
	return stmts, nil
}

func (o *schemaOp) sqliteSQL(d dialect) ([]string, error) {
	return o.sqliteStmts(d, func(before, after *TableState, fills map[string]string) ([]string, error) {
		return sqliteRebuild(d, before, after, fills)
	})
}

// rebuildFunc makes the statements of a table rebuild; MigrationPlan.SQL
// passes one that collects the rebuilds instead, to merge a run of them.
type rebuildFunc func(before, after *TableState, fills map[string]string) ([]string, error)

func (o *schemaOp) sqliteStmts(d dialect, rebuild rebuildFunc) ([]string, error) {
	t := o.after.Name
	switch o.kind {
	case opCreateTable:
		return o.after.CreateSQL(d.name())
	case opDropTable:
		stmts := []string{"DROP TABLE " + quote(o.before.Name)}
		for _, ix := range sqliteFTSTables(&o.before) {
			stmts = append(stmts, "DROP TABLE "+quote(ix.Name))
		}
		return stmts, nil
	case opRenameTable:
		// An FTS5 table names its content table and columns, which no
		// ALTER follows: it is made again around the rename.
		return sqliteAroundFTS(d, &o.before, &o.after, func(IndexState) bool { return true },
			alterTable(o.before.Name)+"RENAME TO "+quote(t)), nil
	case opRenameColumn:
		return sqliteAroundFTS(d, &o.before, &o.after, func(ix IndexState) bool { return slices.Contains(ix.Columns, o.col.Name) },
			alterTable(t)+"RENAME COLUMN "+quote(o.col.Name)+" TO "+quote(o.col2.Name)), nil
	case opAddColumn:
		fill := ""
		if o.fill != nil {
			var err error
			if fill, err = defaultLiteral(d, &o.col, o.fill); err != nil {
				return nil, err
			}
		}
		// ADD COLUMN cannot add a unique column, nor a key with a
		// non-NULL default while keys are enforced. With a one-off
		// default the column keeps it as its SQLite default: harmless,
		// since the ORM always writes the column.
		if !o.col.Unique && (o.col.ForeignKey == nil || (o.col.Null && fill == "")) {
			def, err := columnDef(d, &o.col, fill)
			if err != nil {
				return nil, err
			}
			return []string{alterTable(t) + "ADD COLUMN " + def}, nil
		}
		return rebuild(&o.before, &o.after, map[string]string{o.col.Name: fill})
	case opRemoveColumn:
		// DROP COLUMN refuses a column that is unique, a key, or named in
		// a CHECK; those tables are rebuilt.
		if !o.col.Unique && o.col.ForeignKey == nil &&
			!slices.ContainsFunc(o.before.Constraints, func(c ConstraintState) bool { return c.Kind == "check" }) {
			return []string{alterTable(t) + "DROP COLUMN " + quote(o.col.Name)}, nil
		}
		return rebuild(&o.before, &o.after, nil)
	case opAlterColumn:
		od, err := columnDef(d, &o.col, "")
		if err != nil {
			return nil, err
		}
		nd, err := columnDef(d, &o.col2, "")
		if err != nil {
			return nil, err
		}
		if od == nd && o.col.Unique == o.col2.Unique {
			return nil, nil // nothing the database stores changed (on_delete, the kind's name)
		}
		var fills map[string]string
		if o.fill != nil {
			fill, err := defaultLiteral(d, &o.col2, o.fill)
			if err != nil {
				return nil, err
			}
			fills = map[string]string{o.col2.Name: "COALESCE(" + quote(o.col.Name) + ", " + fill + ")"}
		}
		return rebuild(&o.before, &o.after, fills)
	case opAddIndex:
		return indexSQL(d, &o.after, o.index), nil
	case opRemoveIndex:
		return dropIndexSQL(d, t, o.index), nil
	case opAlterIndex:
		return nil, nil
	case opAddConstraint, opRemoveConstraint:
		return rebuild(&o.before, &o.after, nil)
	}
	return nil, fmt.Errorf("orm: unknown operation %d", o.kind)
}

// sqliteRebuild remakes a table whose definition SQLite cannot ALTER,
// keeping every row. The rows are copied aside and put back only once the
// new table has the old name: inserting into the parent then settles the
// deferred key counts that dropping the old table raised for rows of other
// tables pointing at it, so the references are checked again at commit,
// all inside the migration's transaction (where PRAGMA foreign_keys cannot
// be switched off). fills gives SQL expressions for columns that need
// values: new NOT NULL columns, or NULLs in a column made NOT NULL.
func sqliteRebuild(d dialect, before, after *TableState, fills map[string]string) ([]string, error) {
	name := after.Name
	newName, oldName := "new__"+name, "old__"+name
	create, err := createTableStmt(d, after, newName)
	if err != nil {
		return nil, err
	}
	var cols, exprs []string
	for _, c := range after.Columns {
		switch {
		case fills[c.Name] != "":
			cols, exprs = append(cols, quote(c.Name)), append(exprs, fills[c.Name])
		case before.Column(c.Name) != nil:
			cols, exprs = append(cols, quote(c.Name)), append(exprs, quote(c.Name))
		case c.Null || c.Default != "":
		default:
			return nil, fmt.Errorf("orm: rebuilding %s: NOT NULL column %s has no value for existing rows", name, c.Name)
		}
	}
	stmts := []string{
		"PRAGMA defer_foreign_keys = ON",
		create,
		"CREATE TABLE " + quote(oldName) + " AS SELECT * FROM " + quote(before.Name),
		"DROP TABLE " + quote(before.Name),
		alterTable(newName) + "RENAME TO " + quote(name),
		"INSERT INTO " + quote(name) + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(exprs, ", ") + " FROM " + quote(oldName),
		"DROP TABLE " + quote(oldName),
	}
	// Dropping the old table dropped the triggers of its FTS5 tables, and
	// the rows came back without them.
	for _, ix := range after.Indexes {
		switch {
		case ix.Kind == "":
			stmts = append(stmts, createIndexStmt(d, name, ix))
		case slices.ContainsFunc(before.Indexes, func(b IndexState) bool { return indexEqual(b, ix) }):
			stmts = append(append(stmts, sqliteFTSTriggers(after, ix)...), sqliteFTSRebuild(ix))
		default:
			stmts = append(stmts, sqliteFTSCreate(after, ix)...)
		}
	}
	for _, ix := range sqliteFTSTables(before) {
		if !slices.ContainsFunc(after.Indexes, func(a IndexState) bool { return indexEqual(a, ix) }) {
			stmts = append(stmts, "DROP TABLE "+quote(ix.Name))
		}
	}
	return stmts, nil
}

// sqliteAroundFTS runs stmt between dropping the FTS5 indexes of before
// that affected selects and making them again as after has them.
func sqliteAroundFTS(d dialect, before, after *TableState, affected func(IndexState) bool, stmt string) []string {
	var stmts []string
	remade := map[string]bool{}
	for _, ix := range sqliteFTSTables(before) {
		if affected(ix) {
			stmts = append(stmts, dropIndexSQL(d, before.Name, ix)...)
			remade[ix.Name] = true
		}
	}
	stmts = append(stmts, stmt)
	for _, ix := range sqliteFTSTables(after) {
		if remade[ix.Name] {
			stmts = append(stmts, sqliteFTSCreate(after, ix)...)
		}
	}
	return stmts
}

// pendingRebuild is one pending table rebuild in a run being merged.
type pendingRebuild struct {
	before, after TableState
	fills         map[string]string
}

// sqlitePlanSQL renders operations for SQLite, doing a run of rebuilds of
// one table (an added column and its check, say) as a single rebuild: the
// rows are copied once instead of once per operation.
func sqlitePlanSQL(ops []Operation) ([]string, error) {
	d := sqlite{}
	var out []string
	var run *pendingRebuild
	flush := func() error {
		if run == nil {
			return nil
		}
		s, err := sqliteRebuild(d, &run.before, &run.after, run.fills)
		run = nil
		out = append(out, s...)
		return err
	}
	for _, op := range ops {
		o, ok := op.(*schemaOp)
		if !ok {
			if err := flush(); err != nil {
				return nil, err
			}
			s, err := op.SQL("sqlite")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op.Describe(), err)
			}
			out = append(out, s...)
			continue
		}
		var rb *pendingRebuild
		stmts, err := o.sqliteStmts(d, func(before, after *TableState, fills map[string]string) ([]string, error) {
			rb = &pendingRebuild{before: *before, after: *after, fills: fills}
			return nil, nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Describe(), err)
		}
		if rb == nil {
			if err := flush(); err != nil {
				return nil, err
			}
			out = append(out, stmts...)
			continue
		}
		// A fill reads the old table's columns; one for a column the run
		// has added itself cannot be merged.
		mergeable := run != nil && run.after.Name == rb.before.Name
		for col := range rb.fills {
			if mergeable && run.before.Column(col) == nil && rb.before.Column(col) != nil {
				mergeable = false
			}
		}
		if !mergeable {
			if err := flush(); err != nil {
				return nil, err
			}
			run = &pendingRebuild{before: rb.before, fills: map[string]string{}}
		}
		run.after = rb.after
		for k, v := range rb.fills {
			if v != "" {
				run.fills[k] = v
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
