package orm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The full-text search tests' models, in an app of their own.

type FTSDoc struct {
	ID          int64
	Name        string
	Description string
	Note        *string
}

var FTSDocs = orm.Define("fts", func(d *FTSDoc, m *orm.Schema) {
	m.Char(&d.Name, orm.MaxLength(200))
	m.Text(&d.Description, orm.Blank())
	m.Char(&d.Note, orm.MaxLength(100), orm.Null(), orm.Blank())
	m.Meta(orm.SearchIndex("name", "description").Weights("A", "B"), orm.SearchIndex("note").Config("simple"))
})

func ftsNames(t *testing.T, ctx context.Context, qs orm.QS[FTSDoc]) []string {
	t.Helper()
	docs, err := qs.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	return names
}

func createDocs(t *testing.T, ctx context.Context, docs ...FTSDoc) {
	t.Helper()
	for i := range docs {
		if err := FTSDocs.Save(ctx, &docs[i]); err != nil {
			t.Fatal(err)
		}
	}
}

func strp(s string) *string { return &s }

func docSearch(q string) orm.Cond {
	return orm.Search(orm.SearchVector("name", "description"), orm.SearchQuery(q))
}

func TestSearchMatches(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSDocs.Meta}, func(t *testing.T, ctx context.Context) {
		createDocs(t, ctx,
			FTSDoc{Name: "Trail running shoes", Description: "Light shoes for muddy paths"},
			FTSDoc{Name: "Leather boots", Description: "Warm boots for winter walks", Note: strp("running late")},
			FTSDoc{Name: "Coffee mug", Description: "A mug that keeps coffee warm"},
			FTSDoc{Name: "Wool socks", Description: "Warm socks for running in winter"},
		)
		cases := []struct {
			q    string
			want []string
		}{
			{"shoe", []string{"Trail running shoes"}},               // stemmed: shoe finds shoes
			{"RUNS", []string{"Trail running shoes", "Wool socks"}}, // and runs finds running, in any field
			{"warm winter", []string{"Leather boots", "Wool socks"}},
			{"warm -socks", []string{"Coffee mug", "Leather boots"}},
			{`"warm boots"`, []string{"Leather boots"}},
			{`"winter boots"`, nil},
			{"mug or socks", []string{"Coffee mug", "Wool socks"}},
			{"mug OR boots -leather", []string{"Coffee mug"}},
			{"late", nil}, // the note has an index of its own
		}
		for _, c := range cases {
			if got := ftsNames(t, ctx, FTSDocs.Objects().Filter(docSearch(c.q))); !slices.Equal(got, c.want) {
				t.Errorf("Search(%q) = %q, want %q", c.q, got, c.want)
			}
		}
		if got := ftsNames(t, ctx, FTSDocs.Objects().Exclude(docSearch("warm"))); !slices.Equal(got, []string{"Trail running shoes"}) {
			t.Errorf("Exclude(warm) = %q", got)
		}
		// The simple configuration does not stem.
		if got := ftsNames(t, ctx, FTSDocs.Objects().Filter(orm.Q{"note__search": "running"})); !slices.Equal(got, []string{"Leather boots"}) {
			t.Errorf("note__search running = %q", got)
		}
		if got := ftsNames(t, ctx, FTSDocs.Objects().Filter(orm.Q{"note__search": "run"})); got != nil {
			t.Errorf("note__search run = %q, want nothing (simple does not stem)", got)
		}
		if got := ftsNames(t, ctx, FTSDocs.Objects().Filter(orm.Q{"note__search": orm.SearchQuery("LATE")})); !slices.Equal(got, []string{"Leather boots"}) {
			t.Errorf("note__search SearchQuery(LATE) = %q", got)
		}
	})
}

func TestSearchRank(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSDocs.Meta}, func(t *testing.T, ctx context.Context) {
		createDocs(t, ctx,
			FTSDoc{Name: "Blue kettle", Description: "Boils water fast"},
			FTSDoc{Name: "Teapot", Description: "Pairs well with a kettle"},
			FTSDoc{Name: "Kettle descaler", Description: "Cleans any kettle"},
			FTSDoc{Name: "Toaster", Description: "Two slots"},
		)
		v, q := orm.SearchVector("description", "name"), orm.SearchQuery("kettle")
		docs, err := FTSDocs.Objects().Filter(orm.Search(v, q)).
			Annotate(orm.A{"rank": orm.SearchRank(v, q)}).OrderBy("-rank", "pk").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		ranks := map[string]float64{}
		for _, d := range docs {
			names = append(names, d.Name)
			if ranks[d.Name], err = orm.Annotation[float64](d, "rank"); err != nil {
				t.Fatal(err)
			}
		}
		// A hit in the name (weight A) ranks above a hit in the
		// description (B) alone; name and description above both.
		if want := []string{"Kettle descaler", "Blue kettle", "Teapot"}; !slices.Equal(names, want) {
			t.Errorf("by rank: %q (%v), want %q", names, ranks, want)
		}
		// A row that does not match ranks 0.
		all, err := FTSDocs.Objects().Annotate(orm.A{"rank": orm.SearchRank(v, q)}).OrderBy("rank", "pk").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := orm.Annotation[float64](all[0], "rank"); all[0].Name != "Toaster" || r != 0 {
			t.Errorf("lowest rank: %s %v, want Toaster 0", all[0].Name, r)
		}
	})
}

// Nothing a visitor types is syntax to either engine, and no input fails.
func TestSearchHostileInput(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSDocs.Meta}, func(t *testing.T, ctx context.Context) {
		createDocs(t, ctx,
			FTSDoc{Name: "Near field reader", Description: "Reads tags"},
			FTSDoc{Name: "Star chart", Description: "a * b"},
		)
		thousand := strings.Repeat("reader ", 1000)
		cases := []struct {
			q    string
			want []string
		}{
			{"", nil}, {"   ", nil}, {`"`, nil}, {`""`, nil}, {"*", nil}, {"-", nil}, {"--", nil},
			{"NEAR(", []string{"Near field reader"}}, {"NEAR(reader field)", nil}, // words joined by punctuation are a phrase
			{"AND", nil}, {"or", nil}, {"NOT", nil}, {"-reader", nil},
			{`"near field`, []string{"Near field reader"}}, // an unbalanced quote ends at the end
			{`star"chart`, []string{"Star chart"}},
			{"name:star", nil},                // not a column filter: a phrase
			{"star*", []string{"Star chart"}}, // not a prefix query
			{"^star", []string{"Star chart"}},
			{"star\x00chart", []string{"Star chart"}},
			{"st\xffar", nil},
			{"(star) {chart} [x]", nil},
			{"'; DROP TABLE fts_ftsdoc; --", nil},
			{thousand, []string{"Near field reader"}},
			{strings.Repeat(`"a" -`, 500), nil},
			{"reader " + strings.Repeat("-x ", 1000), []string{"Near field reader"}},
			{strings.Repeat("x or ", 1000) + "star", []string{"Star chart"}},
		}
		for _, c := range cases {
			got := ftsNames(t, ctx, FTSDocs.Objects().Filter(docSearch(c.q)))
			if !slices.Equal(got, c.want) {
				t.Errorf("Search(%.40q) = %q, want %q", c.q, got, c.want)
			}
			ranked := FTSDocs.Objects().Annotate(orm.A{"rank": orm.SearchRank(orm.SearchVector("name", "description"), orm.SearchQuery(c.q))})
			if _, err := ranked.OrderBy("-rank").All(ctx); err != nil {
				t.Errorf("SearchRank(%.40q): %v", c.q, err)
			}
		}
		if n, err := FTSDocs.Objects().Count(ctx); err != nil || n != 2 {
			t.Errorf("after the searches: %d rows, %v", n, err)
		}
	})
}

// The index follows every write, however it is made.
func TestSearchIndexKeptCurrent(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSDocs.Meta}, func(t *testing.T, ctx context.Context) {
		find := func(q string) []string { return ftsNames(t, ctx, FTSDocs.Objects().Filter(docSearch(q))) }
		doc := FTSDoc{Name: "Copper kettle", Description: "Whistles"}
		createDocs(t, ctx, doc)
		if got := find("copper"); !slices.Equal(got, []string{"Copper kettle"}) {
			t.Fatalf("after Save (insert): %q", got)
		}
		got, err := FTSDocs.Objects().Get(ctx, orm.Q{"name": "Copper kettle"})
		if err != nil {
			t.Fatal(err)
		}
		got.Name = "Brass kettle"
		if err := FTSDocs.Save(ctx, got); err != nil {
			t.Fatal(err)
		}
		if g := find("copper"); g != nil {
			t.Errorf("after Save (update): copper finds %q", g)
		}
		if g := find("brass"); !slices.Equal(g, []string{"Brass kettle"}) {
			t.Errorf("after Save (update): brass finds %q", g)
		}
		if _, err := FTSDocs.Objects().Filter(orm.Q{"pk": got.ID}).Update(ctx, orm.Values{"description": "Sings when hot"}); err != nil {
			t.Fatal(err)
		}
		if g := find("whistles"); g != nil {
			t.Errorf("after Update: whistles finds %q", g)
		}
		if g := find("sings"); !slices.Equal(g, []string{"Brass kettle"}) {
			t.Errorf("after Update: sings finds %q", g)
		}
		if err := FTSDocs.Objects().BulkCreate(ctx, []*FTSDoc{{Name: "Iron pan"}, {Name: "Iron pot"}}, 0); err != nil {
			t.Fatal(err)
		}
		if g := find("iron"); !slices.Equal(g, []string{"Iron pan", "Iron pot"}) {
			t.Errorf("after BulkCreate: iron finds %q", g)
		}
		if _, err := orm.Exec(ctx, `INSERT INTO "fts_ftsdoc" ("name", "description") VALUES (?, ?)`, "Raw iron wok", ""); err != nil {
			t.Fatal(err)
		}
		if g := find("wok"); !slices.Equal(g, []string{"Raw iron wok"}) {
			t.Errorf("after a raw INSERT: wok finds %q", g)
		}
		if _, err := FTSDocs.Delete(ctx, got); err != nil {
			t.Fatal(err)
		}
		if g := find("brass"); g != nil {
			t.Errorf("after Delete: brass finds %q", g)
		}
		if _, err := FTSDocs.Objects().Filter(orm.Q{"name__startswith": "Iron"}).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if g := find("iron"); !slices.Equal(g, []string{"Raw iron wok"}) {
			t.Errorf("after QuerySet.Delete: iron finds %q", g)
		}
	})
}

// A search needs a SearchIndex over exactly its fields, and says which
// ones the model has; the same on both engines.
func TestSearchUndeclared(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSDocs.Meta, LookupRows.Meta}, func(t *testing.T, ctx context.Context) {
		q := orm.SearchQuery("x")
		cases := []struct {
			name string
			err  error
			want string
		}{
			{"vector", err2(FTSDocs.Objects().Filter(orm.Search(orm.SearchVector("name"), q)).Count(ctx)),
				"fts.FTSDoc has no SearchIndex over (name); it declares (name, description), (note)"},
			{"lookup", err2(FTSDocs.Objects().Filter(orm.Q{"description__search": "x"}).Count(ctx)),
				"fts.FTSDoc has no SearchIndex over (description); it declares (name, description), (note)"},
			{"rank", err2(FTSDocs.Objects().Annotate(orm.A{"r": orm.SearchRank(orm.SearchVector("name", "note"), q)}).Count(ctx)),
				"fts.FTSDoc has no SearchIndex over (name, note)"},
			{"none", err2(LookupRows.Objects().Filter(orm.Q{"title__search": "x"}).Count(ctx)),
				"lookups.LookupRow has no SearchIndex over (title); it declares none"},
			{"trigram", err2(LookupRows.Objects().Filter(orm.Q{"title__trigram_similar": "x"}).Count(ctx)),
				"lookups.LookupRow has no TrigramIndex over (title); it declares none"},
			{"unknown", err2(FTSDocs.Objects().Filter(orm.Search(orm.SearchVector("titel"), q)).Count(ctx)), "titel"},
			{"not text", err2(LookupRows.Objects().Filter(orm.Q{"views__search": "x"}).Count(ctx)), `unsupported lookup "search"`},
			{"value", err2(FTSDocs.Objects().Filter(orm.Q{"note__search": 5}).Count(ctx)), "a string for __search"},
		}
		for _, c := range cases {
			if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
				t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
			}
		}
	})
}

func err2[V any](_ V, err error) error { return err }

func TestSearchIndexDefineErrors(t *testing.T) {
	type uuidKey struct {
		Code string
		Name string
	}
	type plain struct {
		ID    int64
		Name  string
		Views int
	}
	tests := []struct {
		name   string
		define func()
		want   string
	}{
		{"no integer key", func() {
			orm.Define("ftsbad", func(p *uuidKey, m *orm.Schema) {
				m.Char(&p.Code, orm.MaxLength(10), orm.PrimaryKey())
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.SearchIndex("name"))
			})
		}, "SearchIndex(name) needs an integer primary key, and code is a CharField"},
		{"not text", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Integer(&p.Views)
				m.Meta(orm.SearchIndex("name", "views"))
			})
		}, "SearchIndex(name, views): views is not a text field"},
		{"weights", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.SearchIndex("name").Weights("A", "B"))
			})
		}, "2 weights for 1 fields"},
		{"weight label", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.SearchIndex("name").Weights("E"))
			})
		}, `weight "E" is not one of A, B, C, D`},
		{"config", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.SearchIndex("name").Config("english'; --"))
			})
		}, "is not supported"},
		{"twice", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.SearchIndex("name"), orm.SearchIndex("name").Named("other"))
			})
		}, "SearchIndex(name) is declared twice"},
		{"trigram of two", func() {
			orm.Define("ftsbad", func(p *plain, m *orm.Schema) {
				m.Char(&p.Name, orm.MaxLength(10))
				m.Meta(orm.IndexOption{Kind: orm.IndexTrigram, Fields: []string{"name", "name"}})
			})
		}, "name is listed twice"},
	}
	for _, tt := range tests {
		msg, ok := recoverPanic(t, tt.define)
		if !ok || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: panic %q (%v), want one containing %q", tt.name, msg, ok, tt.want)
		}
	}
}

func TestSearchSchemaState(t *testing.T) {
	s, err := orm.StateOf([]*orm.Meta{FTSDocs.Meta})
	if err != nil {
		t.Fatal(err)
	}
	ixs := s.Table("fts_ftsdoc").Indexes
	want := []orm.IndexState{
		{Name: "fts_ftsdoc_name_description_search", Columns: []string{"name", "description"}, Kind: "search", Weights: []string{"A", "B"}, Config: "english", Stored: true},
		{Name: "fts_ftsdoc_note_search", Columns: []string{"note"}, Kind: "search", Config: "simple", Stored: true},
	}
	if fmt.Sprint(ixs) != fmt.Sprint(want) {
		t.Errorf("indexes %+v, want %+v", ixs, want)
	}
	var b strings.Builder
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := orm.ReadSchemaState(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if plan, _ := orm.Diff(s, back, orm.DiffOptions{}); !plan.Empty() {
		t.Errorf("the state read back differs: %v", plan.Ops)
	}
	// An ordinary index is written as before: old states stay valid.
	if j, _ := json.Marshal(orm.IndexState{Name: "x", Columns: []string{"a"}}); string(j) != `{"name":"x","columns":["a"]}` {
		t.Errorf("an ordinary index is written as %s", j)
	}
	bad := strings.Replace(b.String(), `"config": "english"`, `"config": "english'') --"`, 1)
	if _, err := orm.ReadSchemaState(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("reading a bad configuration: %v", err)
	}
}

// A database whose search indexes were made before the stored vectors
// gets them from the next migration, with the rows it has, and back.
func TestSearchIndexStoredUpgrade(t *testing.T) {
	after, err := orm.StateOf([]*orm.Meta{FTSDocs.Meta})
	if err != nil {
		t.Fatal(err)
	}
	before := after.Clone()
	for i := range before.Table("fts_ftsdoc").Indexes {
		before.Table("fts_ftsdoc").Indexes[i].Stored = false
	}
	plan, err := orm.Diff(before, after, orm.DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Ops) != 2 || plan.Ops[0].Describe() != "Store the search vector of index fts_ftsdoc_name_description_search of model fts.FTSDoc" {
		t.Errorf("plan: %v, want each index's vector stored", plan.Ops)
	}
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := ormtest.Open(t, vendor)
			initial, _ := orm.Diff(nil, before, orm.DiffOptions{})
			create, _, err := initial.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, create)
			createDocs(t, ctx, FTSDoc{Name: "Old lamp", Description: "Brass"}, FTSDoc{Name: "Desk", Description: "lamp included"})
			up, down, err := plan.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			if vendor == "sqlite" && len(up)+len(down) != 0 {
				t.Errorf("SQLite rebuilds its full-text tables for nothing: %q", up)
			}
			run(t, ctx, up)
			ranked := func() []string {
				v, q := orm.SearchVector("name", "description"), orm.SearchQuery("lamp")
				return ftsNames(t, ctx, FTSDocs.Objects().Filter(orm.Search(v, q)).
					Annotate(orm.A{"rank": orm.SearchRank(v, q)}).OrderBy("-rank", "id"))
			}
			if got := ranked(); len(got) != 2 || !slices.Contains(got, "Desk") || !slices.Contains(got, "Old lamp") {
				t.Errorf("ranked after the upgrade: %q", got)
			}
			hasVector := func() bool {
				if vendor != "postgres" {
					return false
				}
				var n int
				if err := orm.QueryRow(ctx, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?",
					[]any{"fts_ftsdoc", "fts_ftsdoc_name_description_search"}, &n); err != nil {
					t.Fatal(err)
				}
				return n == 1
			}
			if vendor == "postgres" && !hasVector() {
				t.Error("no stored vector column after the upgrade")
			}
			run(t, ctx, down)
			if hasVector() {
				t.Error("the stored vector column outlives its index")
			}
		})
	}
}

func ftsCount(t *testing.T, ctx context.Context, q string) int64 {
	t.Helper()
	n, err := FTSDocs.Objects().Filter(docSearch(q)).Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// makemigrations adds and removes a search index on both engines; the
// rows already there are indexed, and a SQLite table rebuild keeps it.
func TestSearchIndexMigration(t *testing.T) {
	after, err := orm.StateOf([]*orm.Meta{FTSDocs.Meta})
	if err != nil {
		t.Fatal(err)
	}
	before := after.Clone()
	before.Table("fts_ftsdoc").Indexes = nil
	plan, err := orm.Diff(before, after, orm.DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var describe []string
	for _, op := range plan.Ops {
		describe = append(describe, op.Describe())
	}
	if want := []string{"Create index fts_ftsdoc_name_description_search on name, description of model fts.FTSDoc",
		"Create index fts_ftsdoc_note_search on note of model fts.FTSDoc"}; !slices.Equal(describe, want) {
		t.Errorf("plan: %q, want %q", describe, want)
	}
	// A changed weight is a new index.
	reweighted := after.Clone()
	reweighted.Table("fts_ftsdoc").Indexes[0].Weights = []string{"B", "A"}
	if p, _ := orm.Diff(after, reweighted, orm.DiffOptions{}); len(p.Ops) != 2 {
		t.Errorf("changing a weight: %d operations, want remove and add", len(p.Ops))
	}
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := ormtest.Open(t, vendor)
			initial, _ := orm.Diff(nil, before, orm.DiffOptions{})
			create, _, err := initial.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, create)
			createDocs(t, ctx, FTSDoc{Name: "Old lamp", Description: "Brass"})
			up, down, err := plan.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, up)
			if n := ftsCount(t, ctx, "lamp"); n != 1 {
				t.Errorf("after adding the index: the existing row found %d times", n)
			}
			createDocs(t, ctx, FTSDoc{Name: "New lamp"})
			if n := ftsCount(t, ctx, "lamp"); n != 2 {
				t.Errorf("after adding the index: lamp found %d rows, want 2", n)
			}
			run(t, ctx, down)
			ix := catalogIndexes(t, ctx, "fts_ftsdoc")
			delete(ix, "fts_ftsdoc_pkey")
			if len(ix) != 0 || tableExists(t, ctx, "fts_ftsdoc_name_description_search") {
				t.Errorf("after removing the index: indexes %v remain", sortedMapKeys(ix))
			}
			createDocs(t, ctx, FTSDoc{Name: "Third lamp"}) // no trigger left behind
			run(t, ctx, up)
			if n := ftsCount(t, ctx, "lamp"); n != 3 {
				t.Errorf("after adding the index again: lamp found %d rows, want 3", n)
			}

			// An altered column rebuilds the table on SQLite.
			altered := after.Clone()
			altered.Table("fts_ftsdoc").Column("name").MaxLength = 150
			alter, err := orm.Diff(after, altered, orm.DiffOptions{})
			if err != nil {
				t.Fatal(err)
			}
			up2, down2, err := alter.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			if vendor == "sqlite" && !slices.ContainsFunc(up2, func(s string) bool { return strings.HasPrefix(s, "DROP TABLE") }) {
				t.Fatalf("no rebuild: %q", up2)
			}
			run(t, ctx, up2)
			if n := ftsCount(t, ctx, "lamp"); n != 3 {
				t.Errorf("after a rebuild: lamp found %d rows, want 3", n)
			}
			createDocs(t, ctx, FTSDoc{Name: "Fourth lamp"})
			if _, err := FTSDocs.Objects().Filter(orm.Q{"name": "Old lamp"}).Update(ctx, orm.Values{"name": "Old lantern"}); err != nil {
				t.Fatal(err)
			}
			if n := ftsCount(t, ctx, "lamp"); n != 3 {
				t.Errorf("after a rebuild and writes: lamp found %d rows, want 3", n)
			}
			if n := ftsCount(t, ctx, "lantern"); n != 1 {
				t.Errorf("after a rebuild and an update: lantern found %d rows, want 1", n)
			}
			run(t, ctx, down2)
			if n := ftsCount(t, ctx, "lamp"); n != 3 {
				t.Errorf("after undoing the rebuild: lamp found %d rows, want 3", n)
			}

			// A renamed column and a renamed table keep their index.
			renamed := after.Clone()
			tb := renamed.Table("fts_ftsdoc")
			tb.Column("description").Name = "details"
			tb.Indexes[0].Columns[1] = "details"
			rename, err := orm.Diff(after, renamed, orm.DiffOptions{Rename: yes})
			if err != nil {
				t.Fatal(err)
			}
			up3, down3, err := rename.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, up3)
			if _, err := orm.Exec(ctx, `UPDATE "fts_ftsdoc" SET "details" = ? WHERE "name" = ?`, "glows green", "Fourth lamp"); err != nil {
				t.Fatal(err)
			}
			run(t, ctx, down3)
			if n := ftsCount(t, ctx, "green"); n != 1 {
				t.Errorf("after renaming a column and back: green found %d rows, want 1", n)
			}
			moved := after.Clone()
			moved.Table("fts_ftsdoc").Name = "fts_moved"
			move, err := orm.Diff(after, moved, orm.DiffOptions{})
			if err != nil {
				t.Fatal(err)
			}
			up4, down4, err := move.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, up4)
			if _, err := orm.Exec(ctx, `INSERT INTO "fts_moved" ("name", "description") VALUES (?, ?)`, "Moved lamp", ""); err != nil {
				t.Fatal(err)
			}
			run(t, ctx, down4)
			if n := ftsCount(t, ctx, "lamp"); n != 4 {
				t.Errorf("after renaming the table and back: lamp found %d rows, want 4", n)
			}

			// Dropping the model drops its full-text tables too.
			drop, _ := orm.Diff(after, &orm.SchemaState{}, orm.DiffOptions{})
			up5, _, err := drop.SQL(vendor)
			if err != nil {
				t.Fatal(err)
			}
			run(t, ctx, up5)
			if tableExists(t, ctx, "fts_ftsdoc_name_description_search") {
				t.Errorf("the FTS5 table outlived its model's table")
			}
		})
	}
}

// On PostgreSQL the search is the index's own expression, so the planner
// uses the GIN index rather than reading the table.
func TestSearchUsesIndexPostgres(t *testing.T) {
	ctx := ormtest.Open(t, "postgres", FTSDocs.Meta)
	docs := make([]*FTSDoc, 3000)
	for i := range docs {
		docs[i] = &FTSDoc{Name: fmt.Sprintf("Widget number%d", i), Description: fmt.Sprintf("A part of batch%d", i/10)}
	}
	if err := FTSDocs.Objects().BulkCreate(ctx, docs, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := orm.Exec(ctx, `VACUUM ANALYZE "fts_ftsdoc"`); err != nil {
		t.Fatal(err)
	}
	v, q := orm.SearchVector("name", "description"), orm.SearchQuery("number1234")
	qs := FTSDocs.Objects().Filter(orm.Search(v, q)).Annotate(orm.A{"rank": orm.SearchRank(v, q)}).OrderBy("-rank")
	plan, err := qs.Explain(ctx, "ANALYZE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "fts_ftsdoc_name_description_search") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("the search does not use its index:\n%s", plan)
	}
	t.Logf("plan:\n%s", plan)
	if n := ftsCount(t, ctx, "number1234"); n != 1 {
		t.Errorf("found %d rows, want 1", n)
	}
}

// On SQLite, folding ASCII text is LIKE's work, with no call into Go per
// row; only non-ASCII text needs quarry_upper.
func TestSQLiteFoldsASCIIWithLike(t *testing.T) {
	ctx := ormtest.Open(t, "sqlite", LookupRows.Meta)
	for _, lookup := range []string{"icontains", "istartswith", "iendswith", "iexact"} {
		for _, c := range []struct {
			text, want, not string
		}{
			{"Hello_50%", `LIKE ? ESCAPE '\'`, "quarry_upper"},
			{"Ébène", "quarry_upper", "LIKE"},
		} {
			cctx, counter := orm.CountQueries(ctx)
			if _, err := LookupRows.Objects().Filter(orm.Q{"title__" + lookup: c.text}).Count(cctx); err != nil {
				t.Fatal(err)
			}
			sql := strings.Join(counter.Queries(), "\n")
			if !strings.Contains(sql, c.want) || strings.Contains(sql, c.not) {
				t.Errorf("%s %q: %s", lookup, c.text, sql)
			}
		}
	}
}

type FTSWord struct {
	ID   int64
	Name string
}

var FTSWords = orm.Define("fts", func(w *FTSWord, m *orm.Schema) {
	m.Char(&w.Name, orm.MaxLength(100))
	m.Meta(orm.TrigramIndex("name"))
})

// Both engines compute pg_trgm's similarity, and agree on these.
func TestTrigramSimilarity(t *testing.T) {
	ormtest.Each(t, []*orm.Meta{FTSWords.Meta}, func(t *testing.T, ctx context.Context) {
		for _, name := range []string{"Laptop", "Desktop", "Tablet", "Phone", "Laptop stand"} {
			if err := FTSWords.Save(ctx, &FTSWord{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			text string
			want map[string]float64 // the similar names and their similarity
		}{
			{"labtop", map[string]float64{"Laptop": 4.0 / 10}},
			{"TABLETS", map[string]float64{"Tablet": 6.0 / 9}},
			{"laptop stnd", map[string]float64{"Laptop stand": 10.0 / 15, "Laptop": 7.0 / 12}},
			{"zebra", map[string]float64{}},
			{"", map[string]float64{}},
			{`"*" NEAR( %_`, map[string]float64{}},
		}
		for _, c := range cases {
			words, err := FTSWords.Objects().Filter(orm.Q{"name__trigram_similar": c.text}).
				Annotate(orm.A{"sim": orm.TrigramSimilarity("name", c.text)}).OrderBy("-sim", "pk").All(ctx)
			if err != nil {
				t.Fatalf("%q: %v", c.text, err)
			}
			got := map[string]float64{}
			for _, w := range words {
				got[w.Name], _ = orm.Annotation[float64](w, "sim")
			}
			if len(got) != len(c.want) {
				t.Errorf("%q: similar %v, want %v", c.text, got, c.want)
			}
			for name, sim := range c.want {
				if g, ok := got[name]; !ok || g < sim-1e-6 || g > sim+1e-6 {
					t.Errorf("%q: %s similarity %v, want %v", c.text, name, g, sim)
				}
			}
		}
		// The index follows writes.
		if _, err := FTSWords.Objects().Filter(orm.Q{"name": "Phone"}).Update(ctx, orm.Values{"name": "Smartphone"}); err != nil {
			t.Fatal(err)
		}
		if n, err := FTSWords.Objects().Filter(orm.Q{"name__trigram_similar": "smartfone"}).Count(ctx); err != nil || n != 1 {
			t.Errorf("after an update: %d similar to smartfone, %v", n, err)
		}
	})
}

// With a trigram index, PostgreSQL serves icontains from it too.
func TestTrigramIndexServesIcontainsPostgres(t *testing.T) {
	ctx := ormtest.Open(t, "postgres", FTSWords.Meta)
	words := make([]*FTSWord, 20000)
	for i := range words {
		// Words of no language, so that few rows share a trigram.
		var b []byte
		for h := uint32(i)*2654435761 + 1; len(b) < 8; h /= 26 {
			b = append(b, byte('a'+h%26))
		}
		words[i] = &FTSWord{Name: "Gadget " + string(b)}
	}
	if err := FTSWords.Objects().BulkCreate(ctx, words, 0); err != nil {
		t.Fatal(err)
	}
	// VACUUM also moves the rows COPY put in the GIN index's pending list
	// into the index proper, as autovacuum does, so that the planner
	// costs the index as it will be.
	if _, err := orm.Exec(ctx, `VACUUM ANALYZE "fts_ftsword"`); err != nil {
		t.Fatal(err)
	}
	typo := []byte(words[1234].Name)
	typo[len(typo)-2] = typo[len(typo)-1]
	for _, cond := range []orm.Q{{"name__icontains": strings.ToUpper(words[1234].Name[7:])}, {"name__trigram_similar": string(typo)}} {
		plan, err := FTSWords.Objects().Filter(cond).Explain(ctx, "ANALYZE")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "fts_ftsword_name_trgm") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%v does not use the trigram index:\n%s", cond, plan)
		}
		t.Logf("%v:\n%s", cond, plan)
	}
}
