package migrations

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/quarry-go/quarry/orm"
)

// TestEmbeddedFolders checks that both folders and the state are embedded
// (each folder keeps a README, so that go:embed works before the first
// migration) and that the project's migrations apply on SQLite.
func TestEmbeddedFolders(t *testing.T) {
	db, err := orm.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, vendor := range Vendors {
		fsys, err := FS(vendor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Stat(fsys, "README.md"); err != nil {
			t.Errorf("%s: %v", vendor, err)
		}
		if _, err := List(fsys); err != nil {
			t.Errorf("%s: %v", vendor, err)
		}
	}
	fsys, _ := FS("sqlite")
	m, err := New(db, fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n, err := m.Up(t.Context(), nil); err != nil || n != len(m.Migrations()) || n == 0 {
		t.Fatalf("Up = %d, %v (of %d migrations)", n, err, len(m.Migrations()))
	}
	if n, err := m.Up(t.Context(), nil); err != nil || n != 0 {
		t.Fatalf("Up again = %d, %v", n, err)
	}
	// Fake, like Up and To, takes no writer.
	if n, err := m.Fake(t.Context(), nil, Migration{}); err != nil || n != len(m.Migrations()) {
		t.Fatalf("Fake back to zero = %d, %v", n, err)
	}
	if n, err := m.Fake(t.Context(), nil, m.Latest()); err != nil || n != len(m.Migrations()) {
		t.Fatalf("Fake forward = %d, %v", n, err)
	}
	if _, err := FS("mysql"); err == nil {
		t.Error("FS(mysql) succeeded")
	}
	if b, err := State(); err != nil || !bytes.Contains(b, []byte(`"auth_user"`)) {
		t.Errorf("State: %.80s, %v", b, err)
	}
}

func TestListAndSQL(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":      {Data: []byte("not a migration")},
		"notes.sql":      {Data: []byte("-- no version: goose skips it")},
		"00010_late.sql": {Data: []byte("-- +goose Up\nSELECT 10;\n-- +goose Down\nSELECT -10;\n")},
		"00002_fn.sql": {Data: []byte(`-- +goose NO TRANSACTION
-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE INDEX CONCURRENTLY i ON t (c);

-- +goose Down
DROP FUNCTION f();
`)},
	}
	list, err := List(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "00002_fn" || list[1].Version != 10 {
		t.Fatalf("List = %v, want 00002_fn, 00010_late", list)
	}
	up, err := SQL(fsys, list[0], true)
	if err != nil {
		t.Fatal(err)
	}
	want := "-- 00002_fn.sql (up)\n-- +goose NO TRANSACTION: runs outside a transaction\n" +
		"CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\nCREATE INDEX CONCURRENTLY i ON t (c);\n"
	if up != want {
		t.Errorf("SQL up =\n%s\nwant\n%s", up, want)
	}
	down, _ := SQL(fsys, list[1], false)
	if down != "-- 00010_late.sql (down)\nBEGIN;\nSELECT -10;\nCOMMIT;\n" {
		t.Errorf("SQL down =\n%s", down)
	}
	if strings.Contains(up, "+goose Statement") {
		t.Error("annotations left in the SQL")
	}
}
