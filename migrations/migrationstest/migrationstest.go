// Package migrationstest gives tests a fresh database of each engine
// migrated by the apps' own migrations, in dependency order: the schema
// those apps run on, River's job queue included when the jobs app is
// among them, rather than tables made from a few models.
package migrationstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Each runs fn as a subtest on each engine the tests reach (SQLite, and
// PostgreSQL when QUARRY_TEST_POSTGRES names one), with a context
// carrying a database the apps migrated, dropped when the test ends.
func Each(t *testing.T, apps []app.App, fn func(t *testing.T, ctx context.Context)) {
	t.Helper()
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) { fn(t, Open(t, vendor, apps...)) })
	}
}

// Open is a database of the vendor in a context, with every migration of
// the apps applied, each app's after those of the apps it requires (all
// of which must be given).
func Open(t testing.TB, vendor string, apps ...app.App) context.Context {
	t.Helper()
	sorted, err := app.Sort(apps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ormtest.Open(t, vendor)
	for _, a := range sorted {
		if a.Migrations == nil {
			continue
		}
		files, err := migrations.Sub(a.Migrations, vendor)
		if err != nil {
			t.Fatal(err)
		}
		m, err := migrations.NewWithTable(orm.FromContext(ctx), files, a.Table())
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Up(ctx, io.Discard)
		m.Close()
		if err != nil {
			t.Fatalf("migrating %s: %v", a.Label, err)
		}
	}
	return ctx
}

// URL is the address of a new, empty database of the vendor, dropped when
// the test ends: a file in the test's temporary folder for SQLite, and for
// PostgreSQL a schema of its own in QUARRY_TEST_POSTGRES's database, set
// as the search_path, so that each test has its own goose version tables.
func URL(t testing.TB, vendor string) string {
	t.Helper()
	if vendor == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	}
	url := ormtest.PostgresURL(t)
	admin, err := orm.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	actx := orm.WithDB(context.Background(), admin)
	var b [6]byte
	rand.Read(b[:])
	schema := "quarry_migrate_" + hex.EncodeToString(b[:])
	if _, err := orm.Exec(actx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		orm.Exec(actx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

// EachURL runs fn as a subtest on each engine the tests reach with the
// URL of an empty database of its own (URL), for tests that run the
// commands that migrate it.
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) { fn(t, URL(t, vendor)) })
	}
}

// OpenURL opens the database at url, closed when the test ends, in a
// context: to check what a command did to it, as the ORM sees it.
func OpenURL(t testing.TB, url string) context.Context {
	t.Helper()
	db, err := orm.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return orm.WithDB(context.Background(), db)
}
