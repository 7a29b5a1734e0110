package manage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

// The models makemigrations sees in this test binary: the registry is the
// process's, as it is web's.
type MkAuthor struct {
	ID   int64
	Name string
}

var MkAuthors = orm.Define("mk", func(a *MkAuthor, m *orm.Schema) {
	m.Char(&a.Name, orm.MaxLength(100))
})

type MkPost struct {
	ID     int64
	Title  string
	Author orm.FK[MkAuthor]
	Views  int
}

var MkPosts = orm.Define("mk", func(p *MkPost, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
	m.Integer(&p.Views)
	m.Meta(orm.Index("title"))
})

// makemigrations runs the command with stdin answers; interactive says
// whether it may ask.
func makemigrations(t *testing.T, stdin string, interactive bool, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
		Stdin: strings.NewReader(stdin), Interactive: interactive}
	err = testProject.Call(context.Background(), env, "makemigrations", args...)
	return out.String(), errOut.String(), err
}

// seedHistory writes a first migration as if the models had once been
// different (edit changes their state): the way to test a later migration
// without changing Go types.
func seedHistory(t *testing.T, dir string, edit func(s *orm.SchemaState)) {
	t.Helper()
	s, err := orm.StateOf(mkApp.Models)
	if err != nil {
		t.Fatal(err)
	}
	edit(s)
	plan, err := orm.Diff(nil, s, orm.DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, vendor := range []string{"postgres", "sqlite"} {
		up, down, err := plan.SQL(vendor)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, vendor), 0o755)
		if err := os.WriteFile(filepath.Join(dir, vendor, "00001_initial.sql"), []byte("-- +goose Up\n"+strings.Join(up, ";\n")+";\n\n-- +goose Down\n"+strings.Join(down, ";\n")+";\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// oldPosts is the posts table as it was: no views, and title called headline.
func oldPosts(s *orm.SchemaState) {
	for i := range s.Tables {
		tb := &s.Tables[i]
		if tb.Name != "mk_mkpost" {
			continue
		}
		var cols []orm.ColumnState
		for _, c := range tb.Columns {
			switch c.Name {
			case "views":
				continue
			case "title":
				c.Name, c.Field = "headline", "headline"
			}
			cols = append(cols, c)
		}
		tb.Columns = cols
		for j := range tb.Indexes {
			for k, col := range tb.Indexes[j].Columns {
				if col == "title" {
					tb.Indexes[j].Columns[k] = "headline"
				}
			}
		}
	}
}

func TestMakemigrations(t *testing.T) {
	dir := t.TempDir()
	out, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"00001_initial.sql", "mk.MkAuthor", "mk.MkPost"} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	for _, vendor := range []string{"postgres", "sqlite"} {
		b, err := os.ReadFile(filepath.Join(dir, vendor, "00001_initial.sql"))
		if err != nil {
			t.Fatal(err)
		}
		if s := string(b); !strings.Contains(s, "-- +goose Up\nCREATE TABLE") || !strings.Contains(s, "-- +goose Down\nDROP TABLE") {
			t.Fatalf("%s migration:\n%s", vendor, s)
		}
	}
	if out, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir); err != nil || !strings.Contains(out, "No changes detected") {
		t.Fatalf("second run: %q, %v", out, err)
	}
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--check"); err != nil {
		t.Fatalf("--check with nothing to do: %v", err)
	}
}

func TestMakemigrationsThenMigrate(t *testing.T) {
	dir := t.TempDir()
	seedHistory(t, dir, oldPosts)

	out, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--check")
	if err == nil || !strings.Contains(out, "views") {
		t.Fatalf("--check with changes: %q, %v", out, err)
	}
	// Without a terminal, the likely rename and the NOT NULL column need
	// flags; nothing is written until they are given.
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir); err == nil || !strings.Contains(err.Error(), "--rename mk_mkpost.headline:title") {
		t.Fatalf("rename without an answer: %v", err)
	}
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--rename", "mk_mkpost.headline:title"); err == nil || !strings.Contains(err.Error(), "--default mk_mkpost.views=") {
		t.Fatalf("NOT NULL without a default: %v", err)
	}
	out, _, err = makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--dry-run", "--rename", "mk_mkpost.headline:title", "--default", "mk_mkpost.views=0")
	if err != nil || !strings.Contains(out, "RENAME COLUMN") {
		t.Fatalf("--dry-run: %q, %v", out, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "sqlite")); len(entries) != 1 {
		t.Fatalf("a refused or dry run wrote files: %v", entries)
	}
	// On a terminal the questions are asked.
	out, _, err = makemigrations(t, "y\n0\n", true, "--app", "mk", "--dir", dir, "--name", "post_views")
	if err != nil || !strings.Contains(out, "Did you rename mk_mkpost.headline to mk_mkpost.title") {
		t.Fatalf("asked: %q, %v", out, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "postgres", "00002_post_views.sql"))
	if err != nil || !strings.Contains(string(b), "RENAME COLUMN") {
		t.Fatalf("migration:\n%s %v", b, err)
	}
	if out, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--check"); err != nil {
		t.Fatalf("--check after the migration: %q, %v", out, err)
	}

	// The files migrate both engines, and the ORM works on the result.
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		webAt(t, url, 0, "migrate", "--app", "mk", "--dir", dir, "1")
		ctx := migrationstest.OpenURL(t, url)
		if _, err := orm.Exec(ctx, `INSERT INTO mk_mkauthor (name) VALUES ('bob')`); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Exec(ctx, `INSERT INTO mk_mkpost (headline, author_id) SELECT 'Old', id FROM mk_mkauthor`); err != nil {
			t.Fatal(err)
		}
		out, _ := webAt(t, url, 0, "migrate", "--app", "mk", "--dir", dir)
		if !strings.Contains(out, "00002_post_views") {
			t.Fatalf("migrate:\n%s", out)
		}
		old, err := MkPosts.Objects().Get(ctx, orm.Q{"title": "Old"})
		if err != nil || old.Views != 0 {
			t.Fatalf("the old row after the migration: %+v, %v", old, err)
		}
		a := &MkAuthor{Name: "alice"}
		if err := MkAuthors.Objects().Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		p := &MkPost{Title: "Hello", Views: 3}
		p.Author.Set(a)
		if err := MkPosts.Objects().Create(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := MkPosts.Objects().Filter(orm.Q{"author__name": "alice", "title": "Hello"}).Get(ctx)
		if err != nil || got.Views != 3 {
			t.Fatalf("read back: %+v, %v", got, err)
		}
		// Back before the change and forward again keeps the rows.
		webAt(t, url, 0, "migrate", "--app", "mk", "--dir", dir, "1")
		webAt(t, url, 0, "migrate", "--app", "mk", "--dir", dir)
		if n, err := MkPosts.Objects().Count(ctx); err != nil || n != 2 {
			t.Fatalf("rows after down and up: %d, %v", n, err)
		}
	})

	// A data migration: an empty body to fill in, the state unchanged.
	before, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--empty", "--name", "seed_categories"); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	b, err = os.ReadFile(filepath.Join(dir, "sqlite", "00003_seed_categories.sql"))
	if err != nil || !bytes.Equal(before, after) || !strings.Contains(string(b), "-- +goose Down") {
		t.Fatalf("--empty: %s, %v", b, err)
	}
}

func TestMakemigrationsBadInput(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir, "--name", "Bad Name"); err == nil {
		t.Fatal("a name with spaces was taken")
	}
	os.MkdirAll(filepath.Join(dir, "postgres"), 0o755)
	os.WriteFile(filepath.Join(dir, "postgres", "00001_x.sql"), []byte("-- +goose Up\n"), 0o644)
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir); err == nil || !strings.Contains(err.Error(), "sqlite") {
		t.Fatalf("folders that disagree: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, "sqlite"), 0o755)
	os.WriteFile(filepath.Join(dir, "sqlite", "00001_x.sql"), []byte("-- +goose Up\n"), 0o644)
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir); err == nil || !strings.Contains(err.Error(), "state.json") {
		t.Fatalf("migrations without a state: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "state.json"), []byte("{not json"), 0o644)
	if _, _, err := makemigrations(t, "", false, "--app", "mk", "--dir", dir); err == nil || !strings.Contains(err.Error(), "state.json") {
		t.Fatalf("a broken state: %v", err)
	}
}
