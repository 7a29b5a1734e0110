package orm_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/migrations")

// The migration tests' models, in an app of their own.

type MigAuthor struct {
	ID   int64
	Name string
}

var MigAuthors = orm.Define("migt", func(p *MigAuthor, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(100))
})

type MigTag struct {
	ID    int64
	Label string
}

var MigTags = orm.Define("migt", func(p *MigTag, m *orm.Schema) {
	m.Slug(&p.Label, orm.Unique())
	m.Meta(orm.DBTable("migt_tag"))
})

type MigArticle struct {
	ID       int64
	Title    string
	Subtitle *string
	Body     string
	Rating   int
	Score    decimal.Decimal
	Author   orm.FK[MigAuthor]
	Tags     orm.M2M[MigTag]
}

var MigArticles = orm.Define("migt", func(p *MigArticle, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200), orm.DBIndex())
	m.Char(&p.Subtitle, orm.MaxLength(200), orm.Null())
	m.Text(&p.Body)
	m.PositiveInteger(&p.Rating, orm.Default(0))
	m.Decimal(&p.Score, 8, 2)
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade))
	m.ManyToMany(&p.Tags)
	m.Meta(
		orm.DBTable("migt_article"),
		orm.Index("-rating"),
		orm.UniqueConstraint("migt_article_title_author", "title", "author"),
		orm.CheckConstraint("migt_article_score_positive", orm.Q{"score__gte": 0}),
	)
})

func migModels() []*orm.Meta { return []*orm.Meta{MigArticles.Meta, MigAuthors.Meta, MigTags.Meta} }

func migState(t *testing.T) *orm.SchemaState {
	t.Helper()
	s, err := orm.StateOf(migModels())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// editing helpers for hand-made "before" states

func table(t *testing.T, s *orm.SchemaState, name string) *orm.TableState {
	t.Helper()
	tb := s.Table(name)
	if tb == nil {
		t.Fatalf("no table %s", name)
	}
	return tb
}

func dropTable(s *orm.SchemaState, name string) {
	s.Tables = slices.DeleteFunc(s.Tables, func(t orm.TableState) bool { return t.Name == name })
}

func dropColumn(tb *orm.TableState, name string) {
	tb.Columns = slices.DeleteFunc(tb.Columns, func(c orm.ColumnState) bool { return c.Name == name })
}

func dropIndex(tb *orm.TableState, name string) {
	tb.Indexes = slices.DeleteFunc(tb.Indexes, func(c orm.IndexState) bool { return c.Name == name })
}

func dropConstraint(tb *orm.TableState, name string) {
	tb.Constraints = slices.DeleteFunc(tb.Constraints, func(c orm.ConstraintState) bool { return c.Name == name })
}

func yes(table, from, to, kind string) (bool, error) { return true, nil }
func no(table, from, to, kind string) (bool, error)  { return false, nil }

type migCase struct {
	name   string
	before func(t *testing.T, s *orm.SchemaState) // edits the models' state into the state before
	opts   orm.DiffOptions
	// describe lists what the plan's operations must say, in order
	describe []string
	name_    string // the plan's expected Name()
	// kept maps a column of the state after to the column its values
	// came from, where it is not the same column ("table.col": "table.old")
	kept map[string]string
}

func migCases() []migCase {
	withDefault := func(v any) orm.DiffOptions {
		return orm.DiffOptions{Default: func(table, column, kind string) (any, error) { return v, nil }}
	}
	return []migCase{
		{name: "initial", before: func(t *testing.T, s *orm.SchemaState) { s.Tables = nil },
			describe: []string{"Create model migt.MigAuthor", "Create model migt.MigArticle", "Create model migt.MigTag",
				"Create model migt.MigArticle_tags"}, name_: "initial"},
		{name: "create_table", before: func(t *testing.T, s *orm.SchemaState) {
			dropTable(s, "migt_tag")
			dropTable(s, "migt_article_tags")
		}, describe: []string{"Create model migt.MigTag", "Create model migt.MigArticle_tags"}, name_: "migtag_migarticle_tags"},
		{name: "drop_table", before: func(t *testing.T, s *orm.SchemaState) {
			legacy := *table(t, s, "migt_article_tags")
			legacy.Name, legacy.Model = "migt_legacy", "migt.Legacy"
			legacy.Constraints = nil
			legacy.Indexes = nil
			s.Tables = append(s.Tables, legacy)
		}, describe: []string{"Delete model migt.Legacy"}, name_: "delete_legacy"},
		{name: "add_column_null", before: func(t *testing.T, s *orm.SchemaState) {
			dropColumn(table(t, s, "migt_article"), "subtitle")
		}, describe: []string{"Add field subtitle to migt.MigArticle"}, name_: "migarticle_subtitle"},
		{name: "add_column_default", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			dropColumn(a, "rating")
			dropConstraint(a, "migt_article_rating_check")
			dropIndex(a, "migt_article_rating_desc_idx")
		}, opts: withDefault(5), describe: []string{
			"Add field rating to migt.MigArticle",
			"Create constraint migt_article_rating_check on model migt.MigArticle",
			"Create index migt_article_rating_desc_idx on -rating of model migt.MigArticle"}, name_: "auto"},
		{name: "add_fk_column", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			dropColumn(a, "author_id")
			dropConstraint(a, "migt_article_title_author")
			dropIndex(a, "migt_article_author_id_idx")
		}, opts: withDefault(101), describe: []string{
			"Add field author to migt.MigArticle",
			"Create constraint migt_article_title_author on model migt.MigArticle",
			"Create index migt_article_author_id_idx on author_id of model migt.MigArticle"}, name_: "auto"},
		{name: "remove_column", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			a.Columns = append(a.Columns, orm.ColumnState{Name: "legacy", Field: "legacy", Kind: "TextField"})
		}, describe: []string{"Remove field legacy from migt.MigArticle"}, name_: "remove_migarticle_legacy"},
		{name: "rename_column", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			renameColumn(a, "title", "headline")
		}, opts: orm.DiffOptions{Rename: yes}, describe: []string{
			"Rename field headline on migt.MigArticle to title",
			"Remove index migt_article_headline_idx from model migt.MigArticle",
			"Create index migt_article_title_idx on title of model migt.MigArticle"},
			name_: "auto", kept: map[string]string{"migt_article.title": "migt_article.headline"}},
		{name: "rename_key_and_unique", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			renameColumn(a, "author_id", "writer_id")
			a.Column("writer_id").Field = "writer"
			renameColumn(table(t, s, "migt_tag"), "label", "name")
		}, opts: orm.DiffOptions{Rename: yes}, describe: []string{
			"Rename field writer on migt.MigArticle to author",
			"Remove index migt_article_writer_id_idx from model migt.MigArticle",
			"Create index migt_article_author_id_idx on author_id of model migt.MigArticle",
			"Rename field name on migt.MigTag to label"},
			name_: "auto", kept: map[string]string{"migt_article.author_id": "migt_article.writer_id", "migt_tag.label": "migt_tag.name"}},
		{name: "rename_declined", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			renameColumn(a, "title", "headline")
		}, opts: orm.DiffOptions{Rename: no, Default: func(table, column, kind string) (any, error) { return "untitled", nil }},
			describe: []string{
				"Remove index migt_article_headline_idx from model migt.MigArticle",
				"Remove constraint migt_article_title_author from model migt.MigArticle",
				"Remove field headline from migt.MigArticle",
				"Add field title to migt.MigArticle",
				"Create constraint migt_article_title_author on model migt.MigArticle",
				"Create index migt_article_title_idx on title of model migt.MigArticle"}, name_: "auto"},
		{name: "alter_column", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			c := a.Column("title")
			c.MaxLength, c.Null = 100, true
			a.Column("score").MaxDigits = 6
			table(t, s, "migt_tag").Column("label").Unique = false
		}, opts: withDefault("untitled"), describe: []string{"Alter field title on migt.MigArticle", "Alter field score on migt.MigArticle",
			"Alter field label on migt.MigTag"}, name_: "auto"},
		{name: "alter_on_delete", before: func(t *testing.T, s *orm.SchemaState) {
			table(t, s, "migt_article").Column("author_id").ForeignKey.OnDelete = "PROTECT"
		}, describe: []string{"Alter field author on migt.MigArticle"}, name_: "alter_migarticle_author"},
		{name: "rename_table", before: func(t *testing.T, s *orm.SchemaState) {
			table(t, s, "migt_article").Name = "migt_post"
			for _, c := range table(t, s, "migt_article_tags").Columns {
				if c.ForeignKey != nil && c.ForeignKey.Table == "migt_article" {
					c.ForeignKey.Table = "migt_post"
				}
			}
		}, describe: []string{"Rename table for migt.MigArticle to migt_article"}, name_: "rename_migarticle_table"},
		{name: "indexes", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			dropIndex(a, "migt_article_rating_desc_idx")
			a.Indexes = append(a.Indexes, orm.IndexState{Name: "migt_article_body_score_idx", Columns: []string{"body", "-score"}})
		}, describe: []string{
			"Remove index migt_article_body_score_idx from model migt.MigArticle",
			"Create index migt_article_rating_desc_idx on -rating of model migt.MigArticle"}, name_: "auto"},
		{name: "constraints", before: func(t *testing.T, s *orm.SchemaState) {
			a := table(t, s, "migt_article")
			dropConstraint(a, "migt_article_score_positive")
			dropConstraint(a, "migt_article_title_author")
			a.Constraints = append(a.Constraints, orm.ConstraintState{Name: "migt_article_body_uniq", Kind: "unique", Columns: []string{"body"}})
		}, describe: []string{
			"Remove constraint migt_article_body_uniq from model migt.MigArticle",
			"Create constraint migt_article_title_author on model migt.MigArticle",
			"Create constraint migt_article_score_positive on model migt.MigArticle"}, name_: "auto"},
		{name: "m2m", before: func(t *testing.T, s *orm.SchemaState) {
			dropTable(s, "migt_article_tags")
		}, describe: []string{"Create model migt.MigArticle_tags"}, name_: "migarticle_tags"},
	}
}

func reverse(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[v] = k
	}
	return out
}

func renameColumn(tb *orm.TableState, from, to string) {
	c := tb.Column(from)
	c.Name, c.Field = to, to
	for i, ix := range tb.Indexes {
		if slices.Equal(ix.Columns, []string{from}) {
			tb.Indexes[i].Name = strings.Replace(ix.Name, from, to, 1)
			tb.Indexes[i].Columns = []string{to}
		}
	}
	for i := range tb.Constraints {
		for j, c := range tb.Constraints[i].Columns {
			if c == from {
				tb.Constraints[i].Columns[j] = to
			}
		}
	}
}

func (c migCase) states(t *testing.T) (before, after *orm.SchemaState) {
	t.Helper()
	after = migState(t)
	before = after.Clone()
	c.before(t, before)
	return before, after
}

func (c migCase) plan(t *testing.T) (*orm.SchemaState, *orm.SchemaState, *orm.MigrationPlan) {
	t.Helper()
	before, after := c.states(t)
	plan, err := orm.Diff(before, after, c.opts)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	return before, after, plan
}

func TestDiffDescribe(t *testing.T) {
	for _, c := range migCases() {
		t.Run(c.name, func(t *testing.T) {
			_, _, plan := c.plan(t)
			var got []string
			for _, o := range plan.Ops {
				got = append(got, o.Describe())
			}
			if !slices.Equal(got, c.describe) {
				t.Errorf("operations:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.describe, "\n  "))
			}
			if n := plan.Name(); n != c.name_ {
				t.Errorf("Name() = %q, want %q", n, c.name_)
			}
		})
	}
}

func TestDiffNoChanges(t *testing.T) {
	s := migState(t)
	plan, err := orm.Diff(s, s.Clone(), orm.DiffOptions{})
	if err != nil || !plan.Empty() {
		t.Fatalf("plan = %v, %v; want empty", plan, err)
	}
}

func TestMigrationGolden(t *testing.T) {
	for _, c := range migCases() {
		for _, vendor := range ormtest.Vendors {
			t.Run(c.name+"/"+vendor, func(t *testing.T) {
				_, _, plan := c.plan(t)
				up, down, err := plan.SQL(vendor)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				for _, o := range plan.Ops {
					fmt.Fprintf(&b, "-- %s\n", o.Describe())
				}
				b.WriteString("-- +goose Up\n")
				for _, s := range up {
					b.WriteString(s + ";\n")
				}
				b.WriteString("\n-- +goose Down\n")
				for _, s := range down {
					b.WriteString(s + ";\n")
				}
				path := filepath.Join("testdata", "migrations", c.name+"."+vendor+".sql")
				if *updateGolden {
					if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./orm -run Golden -update)", err)
				}
				if string(want) != b.String() {
					t.Errorf("%s differs (go test ./orm -run Golden -update rewrites it):\ngot:\n%s\nwant:\n%s", path, b.String(), want)
				}
			})
		}
	}
}

func TestSchemaStateJSON(t *testing.T) {
	s := migState(t)
	var b bytes.Buffer
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "migt_article"`, `"kind": "PositiveIntegerField"`, `"on_delete": "CASCADE"`,
		`"-rating"`, `"model": "migt.MigArticle_tags"`, `"max_digits": 8`, `"postgres": "(`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
	back, err := orm.ReadSchemaState(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	back.WriteJSON(&b2)
	if b.String() != b2.String() {
		t.Errorf("round trip changed the state:\n%s\n%s", b.String(), b2.String())
	}
	plan, err := orm.Diff(back, s, orm.DiffOptions{})
	if err != nil || !plan.Empty() {
		t.Errorf("diff after round trip: %v %v", plan, err)
	}
	if _, err := orm.ReadSchemaState(strings.NewReader(`{"tables": [{"name": "x", "columns": [{"name": "a", "kind": "Nope"}]}]}`)); err == nil {
		t.Error("unknown kind accepted")
	}
	// stable order: sorted by table name whatever the model order
	s2, err := orm.StateOf([]*orm.Meta{MigTags.Meta, MigAuthors.Meta, MigArticles.Meta})
	if err != nil {
		t.Fatal(err)
	}
	var b3 bytes.Buffer
	s2.WriteJSON(&b3)
	if b3.String() != b.String() {
		t.Error("state depends on the order of the models")
	}
}

func TestDiffBadInput(t *testing.T) {
	c := migCases()[4] // add_column_default
	if c.name != "add_column_default" {
		t.Fatal(c.name)
	}
	before, after := c.states(t)
	plan, err := orm.Diff(before, after, orm.DiffOptions{})
	if err == nil || plan != nil || !strings.Contains(err.Error(), "rating") || !strings.Contains(err.Error(), "default") {
		t.Errorf("NOT NULL add without Default: plan %v, err %v", plan, err)
	}
	plan, err = orm.Diff(before, after, orm.DiffOptions{Default: func(table, column, kind string) (any, error) {
		return nil, fmt.Errorf("no answer")
	}})
	if err == nil || plan != nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("Default failing: plan %v, err %v", plan, err)
	}
	plan, err = orm.Diff(before, after, orm.DiffOptions{Default: func(table, column, kind string) (any, error) {
		return struct{}{}, nil
	}})
	if err == nil || plan != nil {
		t.Errorf("unrenderable default: plan %v, err %v", plan, err)
	}

	rc := migCases()[7] // rename_column
	if rc.name != "rename_column" {
		t.Fatal(rc.name)
	}
	before, after = rc.states(t)
	plan, err = orm.Diff(before, after, orm.DiffOptions{Default: func(string, string, string) (any, error) { return "x", nil }})
	if err == nil || plan != nil || !strings.Contains(err.Error(), "headline") || !strings.Contains(err.Error(), "title") ||
		!strings.Contains(err.Error(), "rename") {
		t.Errorf("rename without a Rename callback: plan %v, err %v", plan, err)
	}
	var asked []string
	plan, err = orm.Diff(before, after, orm.DiffOptions{
		Rename: func(table, from, to, kind string) (bool, error) {
			asked = append(asked, table+"."+from+"→"+to+" "+kind)
			return false, nil
		},
		Default: func(string, string, string) (any, error) { return "x", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"migt_article.headline→title CharField"}) {
		t.Errorf("asked %v", asked)
	}
	var descr []string
	for _, o := range plan.Ops {
		descr = append(descr, o.Describe())
	}
	if !slices.Contains(descr, "Remove field headline from migt.MigArticle") || !slices.Contains(descr, "Add field title to migt.MigArticle") {
		t.Errorf("declined rename: %v", descr)
	}
}

// CreateTableSQL and the first migration are one code path.
func TestCreateTableSQLIsInitialMigration(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		plan, err := orm.Diff(nil, migState(t), orm.DiffOptions{})
		if err != nil {
			t.Fatal(err)
		}
		up, _, err := plan.SQL(vendor)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []*orm.Meta{MigAuthors.Meta, MigArticles.Meta, MigTags.Meta} {
			stmts, err := orm.CreateTableSQL(vendor, m)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range stmts {
				if !slices.Contains(up, s) {
					t.Errorf("%s: initial migration lacks %s", vendor, s)
				}
			}
		}
	}
}

// The round trips: the state before is created and filled, then the
// migration is applied up, down and up again on each engine.

func TestMigrationRoundTrip(t *testing.T) {
	for _, c := range migCases() {
		t.Run(c.name, func(t *testing.T) {
			for _, vendor := range ormtest.Vendors {
				t.Run(vendor, func(t *testing.T) {
					ctx := ormtest.Open(t, vendor)
					before, after, plan := c.plan(t)
					up, down, err := plan.SQL(vendor)
					if err != nil {
						t.Fatal(err)
					}
					initial, _ := orm.Diff(nil, before, orm.DiffOptions{})
					create, _, err := initial.SQL(vendor)
					if err != nil {
						t.Fatal(err)
					}
					run(t, ctx, create)
					seed(t, ctx, before)
					rows := snapshot(t, ctx, before)

					run(t, ctx, up)
					checkSchema(t, ctx, vendor, after)
					checkKept(t, ctx, rows, before, after, c.kept, nil)
					checkORM(t, ctx)

					run(t, ctx, down)
					checkSchema(t, ctx, vendor, before)
					checkKept(t, ctx, rows, before, before, reverse(c.kept), after)

					run(t, ctx, up)
					checkSchema(t, ctx, vendor, after)
					checkKept(t, ctx, rows, before, after, c.kept, nil)
				})
			}
		})
	}
}

// run applies statements in one transaction, as goose runs a migration.
func run(t *testing.T, ctx context.Context, stmts []string) {
	t.Helper()
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		for _, s := range stmts {
			if _, err := orm.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var seedIDs = []int64{101, 102}

// seed puts two rows in every table, with ids the sequences will not hand
// out soon; keys point at the rows of the same id.
func seed(t *testing.T, ctx context.Context, s *orm.SchemaState) {
	t.Helper()
	for _, tb := range dependencyOrder(s) {
		for _, id := range seedIDs {
			var cols, vals []string
			for _, c := range tb.Columns {
				cols = append(cols, `"`+c.Name+`"`)
				vals = append(vals, seedValue(c, id))
			}
			q := fmt.Sprintf(`INSERT INTO "%s" (%s) VALUES (%s)`, tb.Name, strings.Join(cols, ", "), strings.Join(vals, ", "))
			if _, err := orm.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

func seedValue(c orm.ColumnState, id int64) string {
	switch c.Kind {
	case "CharField", "TextField", "SlugField":
		return fmt.Sprintf("'%s-%d'", c.Name, id)
	case "DecimalField":
		return fmt.Sprintf("'%d.5'", id)
	}
	return fmt.Sprint(id)
}

func dependencyOrder(s *orm.SchemaState) []orm.TableState {
	var out []orm.TableState
	done := map[string]bool{}
	var visit func(tb orm.TableState)
	visit = func(tb orm.TableState) {
		if done[tb.Name] {
			return
		}
		done[tb.Name] = true
		for _, c := range tb.Columns {
			if c.ForeignKey != nil && c.ForeignKey.Table != tb.Name {
				if target := s.Table(c.ForeignKey.Table); target != nil {
					visit(*target)
				}
			}
		}
		out = append(out, tb)
	}
	for _, tb := range s.Tables {
		visit(tb)
	}
	return out
}

// snapshot reads every seeded value as text: "table.column" → id → value.
func snapshot(t *testing.T, ctx context.Context, s *orm.SchemaState) map[string]map[int64]string {
	t.Helper()
	out := map[string]map[int64]string{}
	for _, tb := range s.Tables {
		for _, c := range tb.Columns {
			vals := map[int64]string{}
			r, err := orm.Query(ctx, fmt.Sprintf(`SELECT "id", CAST("%s" AS TEXT) FROM "%s"`, c.Name, tb.Name))
			if err != nil {
				t.Fatal(err)
			}
			for r.Next() {
				var id int64
				var v *string
				if err := r.Scan(&id, &v); err != nil {
					t.Fatal(err)
				}
				if v != nil {
					vals[id] = *v
				} else {
					vals[id] = "NULL"
				}
			}
			r.Close()
			out[tb.Name+"."+c.Name] = vals
		}
	}
	return out
}

// checkKept compares the seeded rows with the snapshot for every column
// the migration keeps unchanged (or renames, per kept).
func checkKept(t *testing.T, ctx context.Context, rows map[string]map[int64]string, before, after *orm.SchemaState, kept map[string]string, via *orm.SchemaState) {
	t.Helper()
	if via != nil {
		// after a down: only what the up kept has survived
		var keep []orm.TableState
		for _, tb := range after.Tables {
			tb.Columns = slices.Clone(tb.Columns)
			var v *orm.TableState
			for i := range via.Tables {
				if via.Tables[i].Model == tb.Model {
					v = &via.Tables[i]
				}
			}
			if v == nil {
				continue
			}
			tb.Columns = slices.DeleteFunc(tb.Columns, func(c orm.ColumnState) bool {
				name := c.Name
				if k, ok := kept[tb.Name+"."+c.Name]; ok {
					name = strings.SplitN(k, ".", 2)[1]
				}
				vc := v.Column(name)
				return vc == nil || vc.Kind != c.Kind || vc.MaxDigits != c.MaxDigits
			})
			keep = append(keep, tb)
		}
		after, kept = &orm.SchemaState{Tables: keep}, nil
	}
	now := snapshot(t, ctx, after)
	for _, tb := range after.Tables {
		var old *orm.TableState
		for i := range before.Tables {
			if before.Tables[i].Model == tb.Model {
				old = &before.Tables[i]
			}
		}
		if old == nil {
			continue
		}
		for _, c := range tb.Columns {
			key := tb.Name + "." + c.Name
			src := old.Column(c.Name)
			oldKey := old.Name + "." + c.Name
			if k, ok := kept[key]; ok {
				oldKey = k
				src = old.Column(strings.SplitN(k, ".", 2)[1])
			}
			if src == nil || src.Kind != c.Kind || src.MaxDigits != c.MaxDigits {
				continue
			}
			for _, id := range seedIDs {
				if got, want := now[key][id], rows[oldKey][id]; got != want {
					t.Errorf("%s of row %d = %q, was %q", key, id, got, want)
				}
			}
		}
	}
}

// checkSchema compares the database's tables, columns, nullability and
// indexes with the state.
func checkSchema(t *testing.T, ctx context.Context, vendor string, s *orm.SchemaState) {
	t.Helper()
	var wantTables []string
	for _, tb := range s.Tables {
		wantTables = append(wantTables, tb.Name)
	}
	listQ := map[string]string{
		"postgres": `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`,
		"sqlite":   `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
	}[vendor]
	if got := strings1(t, ctx, listQ); !equalSets(got, wantTables) {
		t.Fatalf("tables %v, want %v", got, wantTables)
	}
	for _, tb := range s.Tables {
		var want []string
		for _, c := range tb.Columns {
			want = append(want, fmt.Sprintf("%s null=%v", c.Name, c.Null && !c.PrimaryKey))
		}
		colQ := map[string]string{
			"postgres": `SELECT column_name || ' null=' || CASE WHEN is_nullable = 'YES' THEN 'true' ELSE 'false' END
				FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?`,
			"sqlite": `SELECT name || ' null=' || CASE WHEN "notnull" = 0 AND pk = 0 THEN 'true' ELSE 'false' END FROM pragma_table_info(?)`,
		}[vendor]
		if got := strings1(t, ctx, colQ, tb.Name); !equalSets(got, want) {
			t.Errorf("%s columns %v, want %v", tb.Name, got, want)
		}
		var wantIx []string
		for _, ix := range tb.Indexes {
			wantIx = append(wantIx, ix.Name)
		}
		ixQ := map[string]string{
			"postgres": `SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
				WHERE c.relname = ? AND c.relnamespace = current_schema()::regnamespace AND NOT x.indisunique`,
			"sqlite": `SELECT name FROM pragma_index_list(?) WHERE origin = 'c'`,
		}[vendor]
		if got := strings1(t, ctx, ixQ, tb.Name); !equalSets(got, wantIx) {
			t.Errorf("%s indexes %v, want %v", tb.Name, got, wantIx)
		}
		if vendor == "postgres" {
			var wantC []string
			for _, c := range tb.Constraints {
				wantC = append(wantC, c.Name)
			}
			for _, c := range tb.Columns {
				if c.Unique {
					wantC = append(wantC, tb.Name+"_"+c.Name+"_key")
				}
				if c.ForeignKey != nil {
					wantC = append(wantC, tb.Name+"_"+c.Name+"_fkey")
				}
			}
			got := strings1(t, ctx, `SELECT conname FROM pg_constraint WHERE conrelid = (current_schema() || '.' || ?)::regclass AND contype IN ('c', 'u', 'f')`, tb.Name)
			if !equalSets(got, wantC) {
				t.Errorf("%s constraints %v, want %v", tb.Name, got, wantC)
			}
		}
	}
	if vendor == "sqlite" {
		if bad := strings1(t, ctx, `SELECT "table" || ' ' || rowid FROM pragma_foreign_key_check`); len(bad) > 0 {
			t.Errorf("broken references: %v", bad)
		}
	}
}

func strings1(t *testing.T, ctx context.Context, q string, args ...any) []string {
	t.Helper()
	r, err := orm.Query(ctx, q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer r.Close()
	var out []string
	for r.Next() {
		var s string
		if err := r.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equalSets(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// checkORM writes and reads a full row of every model through Objects().
func checkORM(t *testing.T, ctx context.Context) {
	t.Helper()
	author := &MigAuthor{Name: "Ann"}
	if err := MigAuthors.Objects().Create(ctx, author); err != nil {
		t.Fatal(err)
	}
	tag := &MigTag{Label: "go"}
	if err := MigTags.Objects().Create(ctx, tag); err != nil {
		t.Fatal(err)
	}
	sub := "sub"
	a := &MigArticle{Title: "Hello", Subtitle: &sub, Body: "body", Rating: 4, Score: decimal.RequireFromString("12.25")}
	a.Author.Set(author)
	if err := MigArticles.Objects().Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := a.Tags.Add(ctx, tag); err != nil {
		t.Fatal(err)
	}
	got, err := MigArticles.Objects().Get(ctx, orm.Q{"pk": a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Hello" || got.Subtitle == nil || *got.Subtitle != "sub" || got.Body != "body" || got.Rating != 4 ||
		!got.Score.Equal(a.Score) || got.Author.ID != author.ID {
		t.Errorf("read back %+v", got)
	}
	tags, err := got.Tags.All(ctx)
	if err != nil || len(tags) != 1 || tags[0].Label != "go" {
		t.Errorf("tags %v, %v", tags, err)
	}
	// the ORM's rows go again, so that down finds only the seeded rows
	for _, q := range []string{`DELETE FROM "migt_article_tags" WHERE "migarticle_id" = ?`, `DELETE FROM "migt_article" WHERE "id" = ?`} {
		if _, err := orm.Exec(ctx, q, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	orm.Exec(ctx, `DELETE FROM "migt_tag" WHERE "id" = ?`, tag.ID)
	orm.Exec(ctx, `DELETE FROM "migt_author" WHERE "id" = ?`, author.ID)
}

// A column made NOT NULL gets the one-off default in the rows that hold
// NULL, on both engines.
func TestMigrationNotNullFillsNulls(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := ormtest.Open(t, vendor)
			after := migState(t)
			before := after.Clone()
			table(t, before, "migt_migauthor").Column("name").Null = true
			initial, _ := orm.Diff(nil, before, orm.DiffOptions{})
			create, _, err := initial.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, create)
			if _, err := orm.Exec(ctx, `INSERT INTO "migt_migauthor" ("id", "name") VALUES (1, NULL), (2, 'Bo')`); err != nil {
				t.Fatal(err)
			}
			if _, err := orm.Diff(before, after, orm.DiffOptions{}); err == nil || !strings.Contains(err.Error(), "non-nullable") {
				t.Errorf("no Default: err = %v", err)
			}
			plan, err := orm.Diff(before, after, orm.DiffOptions{Default: func(table, column, kind string) (any, error) {
				return "anonymous", nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			up, down, err := plan.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, up)
			checkSchema(t, ctx, vendor, after)
			got := strings1(t, ctx, `SELECT "name" FROM "migt_migauthor" ORDER BY "id"`)
			if !slices.Equal(got, []string{"anonymous", "Bo"}) {
				t.Errorf("names %v", got)
			}
			run(t, ctx, down)
			checkSchema(t, ctx, vendor, before)
		})
	}
}
