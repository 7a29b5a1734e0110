// Package migrationstest gives tests a fresh database of each engine with
// every migration applied: the schema the app runs on, River's job queue
// included, rather than tables made from a few models.
package migrationstest

import (
	"context"
	"io"
	"testing"

	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Each runs fn as a subtest on each engine the tests reach (SQLite, and
// PostgreSQL when QUARRY_TEST_POSTGRES names one), with a context
// carrying a migrated database that is dropped when the test ends.
func Each(t *testing.T, fn func(t *testing.T, ctx context.Context)) {
	t.Helper()
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) { fn(t, Open(t, vendor)) })
	}
}

// Open is a migrated database of the vendor in a context.
func Open(t testing.TB, vendor string) context.Context {
	t.Helper()
	ctx := ormtest.Open(t, vendor)
	files, err := migrations.FS(vendor)
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrations.New(orm.FromContext(ctx), files)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	return ctx
}
