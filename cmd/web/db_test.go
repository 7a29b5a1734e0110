package main

import (
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// eachDatabase runs fn as a subtest on each database the tests can reach:
// always SQLite, and PostgreSQL when QUARRY_TEST_POSTGRES names one.
func eachDatabase(t *testing.T, fn func(t *testing.T, db *orm.DB)) {
	t.Helper()
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) { fn(t, orm.FromContext(ormtest.Open(t, vendor))) })
	}
}

// openSQLite opens a new SQLite database in a temporary file, closed when
// the test ends.
func openSQLite(t *testing.T) *orm.DB {
	t.Helper()
	return orm.FromContext(ormtest.Open(t, "sqlite"))
}

// webAt runs web against the database at url and fails the test unless the
// exit code is want.
func webAt(t *testing.T, url string, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runWeb(t, t.Context(), map[string]string{"DATABASE_URL": url}, args...)
	if code != want {
		t.Fatalf("web %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}
