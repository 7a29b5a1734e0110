// Package ormtest runs tests against real databases: SQLite always, and
// PostgreSQL when QUARRY_TEST_POSTGRES names one. Each test gets fresh
// tables (a temporary SQLite file; a schema of its own on PostgreSQL), so
// test packages can run in parallel against one PostgreSQL database.
package ormtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
)

// PostgresEnv names the environment variable with the PostgreSQL test URL.
const PostgresEnv = "QUARRY_TEST_POSTGRES"

// SkipMessage is what a PostgreSQL test says when it is skipped; CI fails
// when it finds it in the test output.
const SkipMessage = PostgresEnv + " not set"

// Vendors are the engines Each runs on.
var Vendors = []string{"sqlite", "postgres"}

// Each runs fn once per engine, as subtests named "sqlite" and "postgres",
// with the given models' tables created in a fresh database. The context
// carries the DB.
func Each(t *testing.T, models []*orm.Meta, fn func(t *testing.T, ctx context.Context)) {
	t.Helper()
	for _, vendor := range Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := Open(t, vendor, models...)
			fn(t, ctx)
		})
	}
}

// Open returns a context carrying a fresh database of the vendor with the
// models' tables; it is closed and removed when the test ends.
func Open(t testing.TB, vendor string, models ...*orm.Meta) context.Context {
	t.Helper()
	ctx := context.Background()
	var db *orm.DB
	switch vendor {
	case "sqlite":
		var err error
		db, err = orm.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "test.sqlite3"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
	case "postgres":
		db = openPostgresSchema(t)
	default:
		t.Fatalf("ormtest: unknown vendor %q", vendor)
	}
	ctx = orm.WithDB(ctx, db)
	if len(models) > 0 {
		if err := orm.CreateTables(ctx, models...); err != nil {
			t.Fatal(err)
		}
	}
	return ctx
}

// PostgresURL returns the PostgreSQL test URL, or skips the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(PostgresEnv)
	if url == "" {
		t.Skip(SkipMessage)
	}
	return url
}

func openPostgresSchema(t testing.TB) *orm.DB {
	t.Helper()
	url := PostgresURL(t)
	ctx := context.Background()
	admin, err := orm.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "quarry_test_" + hex.EncodeToString(b[:])
	actx := orm.WithDB(ctx, admin)
	if _, err := orm.Exec(actx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	// public stays on the path after the test's schema: extensions such
	// as pg_trgm live there, shared by every schema (orm.TrigramIndex).
	// The schema's name is the connections' application_name too, so that
	// a test can find its own backends (TerminateBackends) among those of
	// the tests running beside it.
	db, err := orm.Open(ctx, url+sep+"search_path="+schema+",public&application_name="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		orm.Exec(actx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return db
}

// AssertNumQueries fails the test unless fn runs exactly want statements
// with the context it is given, like Django's assertNumQueries; the
// failure lists them.
func AssertNumQueries(t testing.TB, ctx context.Context, want int, fn func(ctx context.Context)) {
	t.Helper()
	cctx, counter := orm.CountQueries(ctx)
	fn(cctx)
	if got := counter.Count(); got != want {
		t.Fatalf("%d queries executed, %d expected:\n  %s", got, want, strings.Join(counter.Queries(), "\n  "))
	}
}

// TerminateBackends ends every PostgreSQL backend of db's pool from another
// connection, as pg_terminate_backend by an operator or a failover does,
// and waits until they are gone. It returns how many it ended. The pool
// does not know: its connections fail at their next statement.
func TerminateBackends(t testing.TB, db *orm.DB) int {
	t.Helper()
	ctx := context.Background()
	var name string
	if err := orm.QueryRow(orm.WithDB(ctx, db), "SELECT current_setting('application_name')", nil, &name); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(name, "quarry_test_") {
		t.Fatalf("ormtest: TerminateBackends needs a database from Open, whose backends it can tell apart; application_name is %q", name)
	}
	admin, err := orm.Open(ctx, PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	actx := orm.WithDB(ctx, admin)
	r, err := orm.Query(actx, "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()", name)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int32
	for r.Next() {
		var ok bool
		var pid int32
		if err := r.Scan(&ok, &pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	r.Close()
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	// Wait for those backends only: under load the pool opens new ones.
	for range 250 {
		var left int
		if err := orm.QueryRow(actx, "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(?)", []any{pids}, &left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return len(pids)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("ormtest: the backends of %s outlived pg_terminate_backend", name)
	return len(pids)
}
