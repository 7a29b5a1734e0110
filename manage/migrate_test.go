package manage

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

const (
	goodMigrations   = "testdata/migrations/good"
	brokenMigrations = "testdata/migrations/broken"
)

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

func tableExists(t *testing.T, ctx context.Context, table string) bool {
	t.Helper()
	return HasTable(ctx, table)
}

// wantLines fails unless out holds each pattern, in order, a line each.
func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(patterns) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(patterns), out)
	}
	for i, p := range patterns {
		if !regexp.MustCompile("^" + p + "$").MatchString(lines[i]) {
			t.Errorf("line %d = %q, want it to match %q\nall output:\n%s", i+1, lines[i], p, out)
		}
	}
}

const (
	okLine      = `\.\.\. OK \([0-9.]+(µs|ms|s)\)`
	appliedMark = ` \(applied \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)`
)

func TestMigrate(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		out, _ := webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		wantLines(t, out, ` \[ \] 00001_create_author`, ` \[ \] 00002_post_rating`, ` \[ \] 00003_post_slug`)

		out, _ = webAt(t, url, 0, "migrate", "--dir", goodMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Applying 00001_create_author"+okLine,
			"  Applying 00002_post_rating"+okLine,
			"  Applying 00003_post_slug"+okLine)

		out, _ = webAt(t, url, 0, "migrate", "--dir", goodMigrations)
		wantLines(t, out, "Running migrations:", "  No migrations to apply.")

		out, _ = webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		wantLines(t, out,
			` \[X\] 00001_create_author`+appliedMark,
			` \[X\] 00002_post_rating`+appliedMark,
			` \[X\] 00003_post_slug`+appliedMark)

		// The StatementBegin/End block arrived whole: the trigger clamps.
		ctx := migrationstest.OpenURL(t, url)
		if _, err := orm.Exec(ctx, "INSERT INTO author (id, name) VALUES (1, 'ann')"); err != nil {
			t.Fatal(err)
		}
		if _, err := orm.Exec(ctx, "INSERT INTO post (author_id, title, rating, slug) VALUES (1, 't', 9, 's')"); err != nil {
			t.Fatal(err)
		}
		var rating int
		if err := orm.QueryRow(ctx, "SELECT rating FROM post", nil, &rating); err != nil {
			t.Fatal(err)
		}
		if rating != 5 {
			t.Errorf("rating = %d, want 5 (clamped by the trigger of 00002)", rating)
		}

		// Back to version 1, newest first.
		out, _ = webAt(t, url, 0, "migrate", "1", "--dir", goodMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Unapplying 00003_post_slug"+okLine,
			"  Unapplying 00002_post_rating"+okLine)
		if tableExists(t, ctx, "post") || !tableExists(t, ctx, "author") {
			t.Error("after migrate 1: want table author and no table post")
		}
		out, _ = webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		wantLines(t, out, ` \[X\] 00001_create_author`+appliedMark, ` \[ \] 00002_post_rating`, ` \[ \] 00003_post_slug`)

		// Forward to a version named by its file, flags after it.
		out, _ = webAt(t, url, 0, "migrate", "00002_post_rating", "--dir", goodMigrations)
		wantLines(t, out, "Running migrations:", "  Applying 00002_post_rating"+okLine)

		out, _ = webAt(t, url, 0, "migrate", "zero", "--dir", goodMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Unapplying 00002_post_rating"+okLine,
			"  Unapplying 00001_create_author"+okLine)
		if tableExists(t, ctx, "author") {
			t.Error("after migrate zero: table author still exists")
		}
	})
}

func TestMigrateFake(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		out, _ := webAt(t, url, 0, "migrate", "--fake", "2", "--dir", goodMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Applying 00001_create_author... FAKED",
			"  Applying 00002_post_rating... FAKED")
		ctx := migrationstest.OpenURL(t, url)
		if tableExists(t, ctx, "author") {
			t.Error("--fake ran the migration: table author exists")
		}
		// goose itself must read the rows as applied.
		if got := gooseApplied(t, ctx, url); got != "1,2" {
			t.Errorf("goose sees versions %q applied, want 1,2", got)
		}
		out, _ = webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		wantLines(t, out, ` \[X\] 00001_create_author`+appliedMark, ` \[X\] 00002_post_rating`+appliedMark, ` \[ \] 00003_post_slug`)

		out, _ = webAt(t, url, 0, "migrate", "1", "--fake", "--dir", goodMigrations)
		wantLines(t, out, "Running migrations:", "  Unapplying 00002_post_rating... FAKED")
		if got := gooseApplied(t, ctx, url); got != "1" {
			t.Errorf("goose sees versions %q applied, want 1", got)
		}

		// Faked 1 is skipped by a real migrate, which runs 2 and 3.
		if _, err := orm.Exec(ctx, "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		out, _ = webAt(t, url, 0, "migrate", "--dir", goodMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Applying 00002_post_rating"+okLine,
			"  Applying 00003_post_slug"+okLine)

		out, _ = webAt(t, url, 0, "migrate", "--fake", "--dir", goodMigrations)
		wantLines(t, out, "Running migrations:", "  No migrations to apply.")
	})
}

// gooseApplied lists the versions a fresh goose Provider reads as applied,
// joined by commas.
func gooseApplied(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	db := orm.FromContext(ctx)
	dialect, dir := goose.DialectSQLite3, goodMigrations+"/sqlite"
	if db.Vendor() == "postgres" {
		dialect, dir = goose.DialectPostgres, goodMigrations+"/postgres"
	}
	sqlDB := db.SQLDB()
	if db.Vendor() == "postgres" {
		defer sqlDB.Close()
	}
	p, err := goose.NewProvider(dialect, sqlDB, os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, s := range st {
		if s.State == goose.StateApplied {
			vs = append(vs, strings.TrimLeft(filepath.Base(s.Source.Path)[:5], "0"))
		}
	}
	return strings.Join(vs, ",")
}

func TestMigrateUnknownVersion(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		for _, args := range [][]string{
			{"migrate", "7", "--dir", goodMigrations},
			{"migrate", "00002_no_such", "--dir", goodMigrations},
			{"sqlmigrate", "7", "--dir", goodMigrations},
		} {
			_, stderr := webAt(t, url, 1, args...)
			for _, want := range []string{"unknown migration", "known migrations: 00001_create_author, 00002_post_rating, 00003_post_slug"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("web %s: stderr lacks %q:\n%s", strings.Join(args, " "), want, stderr)
				}
			}
		}
		// Nothing was applied on the way.
		out, _ := webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		if strings.Contains(out, "[X]") {
			t.Errorf("a failed migrate applied something:\n%s", out)
		}
	})
}

func TestMigrateBrokenFile(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		out, stderr := webAt(t, url, 1, "migrate", "--dir", brokenMigrations)
		wantLines(t, out,
			"Running migrations:",
			"  Applying 00001_create_author"+okLine,
			"  Applying 00002_post_rating"+okLine,
			`  Applying 00003_broken_tag\.\.\. FAILED`)
		for _, want := range []string{
			"migration 00003_broken_tag.sql failed",
			"the database stays at 00002_post_rating",
			"INSERT INTO no_such_table", // the statement, as goose quotes it
			"no_such_table",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		out, _ = webAt(t, url, 0, "showmigrations", "--dir", brokenMigrations)
		wantLines(t, out,
			` \[X\] 00001_create_author`+appliedMark,
			` \[X\] 00002_post_rating`+appliedMark,
			` \[ \] 00003_broken_tag`,
			` \[ \] 00004_post_slug`)
		// The file ran in a transaction: its first statement is undone.
		if tableExists(t, migrationstest.OpenURL(t, url), "tag") {
			t.Error("table tag exists: the failed migration was not rolled back")
		}
	})
}

func TestSQLMigrate(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		up, _ := webAt(t, url, 0, "sqlmigrate", "2", "--dir", goodMigrations)
		down, _ := webAt(t, url, 0, "sqlmigrate", "--down", "00002_post_rating", "--dir", goodMigrations)
		if !strings.HasPrefix(up, "-- 00002_post_rating.sql (up)\nBEGIN;\nCREATE TABLE post (") || !strings.HasSuffix(up, "COMMIT;\n") {
			t.Errorf("sqlmigrate 2 is not the Up section between BEGIN and COMMIT:\n%s", up)
		}
		for _, want := range []string{"CREATE INDEX post_rating_idx ON post (rating);", "CREATE TRIGGER post_rating_clamp", "END;"} {
			if !strings.Contains(up, want) {
				t.Errorf("sqlmigrate 2 lacks %q:\n%s", want, up)
			}
		}
		if strings.Contains(up, "+goose") || strings.Contains(up, "DROP TABLE") {
			t.Errorf("sqlmigrate 2 shows annotations or the Down section:\n%s", up)
		}
		if !strings.HasPrefix(down, "-- 00002_post_rating.sql (down)\nBEGIN;\n") || !strings.Contains(down, "DROP TABLE post;") || strings.Contains(down, "CREATE") {
			t.Errorf("sqlmigrate --down 2 is not the Down section:\n%s", down)
		}
		// sqlmigrate reads files only.
		out, _ := webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		if strings.Contains(out, "[X]") {
			t.Errorf("sqlmigrate applied something:\n%s", out)
		}
		webAt(t, url, 2, "sqlmigrate", "--dir", goodMigrations) // VERSION is required
	})
}

// TestMigrateConcurrent starts two migrators at once, as two web processes
// deploying together would: goose's advisory lock makes one wait, and each
// migration runs once.
func TestMigrateConcurrent(t *testing.T) {
	url := migrationstest.URL(t, "postgres")
	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i := range outs {
		wg.Go(func() {
			var out, errOut strings.Builder
			code := run(t.Context(), []string{"migrate", "--dir", goodMigrations}, &out, &errOut, func(k string) string {
				return map[string]string{"DATABASE_URL": url}[k]
			})
			if code != 0 {
				t.Errorf("migrator %d: exit code %d; stderr:\n%s", i, code, errOut.String())
			}
			outs[i] = out.String()
		})
	}
	wg.Wait()
	all := outs[0] + outs[1]
	for _, name := range []string{"00001_create_author", "00002_post_rating", "00003_post_slug"} {
		if n := strings.Count(all, "Applying "+name+"..."); n != 1 {
			t.Errorf("%s applied %d times, want once:\n%s\n---\n%s", name, n, outs[0], outs[1])
		}
	}
	ctx := migrationstest.OpenURL(t, url)
	var rows, versions int
	if err := orm.QueryRow(ctx, "SELECT count(*), count(DISTINCT version_id) FROM goose_db_version", nil, &rows, &versions); err != nil {
		t.Fatal(err)
	}
	if rows != 4 || versions != 4 { // 0, 1, 2, 3
		t.Errorf("goose_db_version has %d rows for %d versions, want 4 and 4", rows, versions)
	}
}

// TestServeMigratesAtStart checks that serve brings an SQLite database up
// to date before it listens.
func TestServeMigratesAtStart(t *testing.T) {
	url := migrationstest.URL(t, "sqlite")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--dir", goodMigrations}, io.Discard, &stderr,
			func(k string) string { return map[string]string{"DATABASE_URL": url}[k] })
	}()
	waitForAddr(t, &stderr, done)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit code %d; stderr:\n%s", code, stderr.String())
	}
	log := stderr.String()
	for _, want := range []string{`step="Applying 00001_create_author... OK`, `step="Applying 00003_post_slug... OK`, "msg=\"migrations applied\" count=3 version=3"} {
		if !strings.Contains(log, want) {
			t.Errorf("serve's log lacks %q:\n%s", want, log)
		}
	}
	out, _ := webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
	if strings.Contains(out, "[ ]") {
		t.Errorf("serve left migrations pending:\n%s", out)
	}
}

// TestServeNoMigrate checks that serve --no-migrate refuses an outdated
// database, naming the command to run, and starts once it is migrated.
func TestServeNoMigrate(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		_, stderr := webAt(t, url, 1, "serve", "--no-migrate", "--addr", "127.0.0.1:0", "--dir", goodMigrations)
		for _, want := range []string{"3 migration(s) not applied", "00001_create_author", "run `web migrate` first"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		out, _ := webAt(t, url, 0, "showmigrations", "--dir", goodMigrations)
		if strings.Contains(out, "[X]") {
			t.Errorf("serve --no-migrate applied something:\n%s", out)
		}

		webAt(t, url, 0, "migrate", "--dir", goodMigrations)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var log syncBuffer
		done := make(chan int, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--no-migrate", "--addr", "127.0.0.1:0", "--dir", goodMigrations}, io.Discard, &log,
				func(k string) string { return map[string]string{"DATABASE_URL": url}[k] })
		}()
		waitForAddr(t, &log, done)
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit code %d; stderr:\n%s", code, log.String())
			}
		case <-time.After(ShutdownTimeout + 2*time.Second):
			t.Fatal("serve did not stop")
		}
	})
}

// TestGooseCLIReadsFiles runs the test migrations through goose's classic
// API, the code the goose command line runs, so the files stay usable with
// plain `goose -dir … up`.
func TestGooseCLIReadsFiles(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			ctx := migrationstest.OpenURL(t, migrationstest.URL(t, vendor))
			db := orm.FromContext(ctx)
			sqlDB := db.SQLDB()
			dialect := "sqlite3"
			if vendor == "postgres" {
				dialect = "postgres"
				defer sqlDB.Close()
			}
			goose.SetLogger(goose.NopLogger())
			if err := goose.SetDialect(dialect); err != nil {
				t.Fatal(err)
			}
			dir := goodMigrations + "/" + vendor
			if err := goose.UpContext(t.Context(), sqlDB, dir); err != nil {
				t.Fatalf("goose up: %v", err)
			}
			if v, err := goose.GetDBVersionContext(t.Context(), sqlDB); err != nil || v != 3 {
				t.Fatalf("goose version = %d, %v; want 3", v, err)
			}
			if err := goose.DownToContext(t.Context(), sqlDB, dir, 0); err != nil {
				t.Fatalf("goose down-to 0: %v", err)
			}
		})
	}
}
