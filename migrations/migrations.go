// Package migrations runs goose migrations (the Migrator that manage's
// migrate, showmigrations, sqlmigrate and serve use), and keeps Quarry's
// migrations as they were before each app had a folder of its own: one
// history for auth, the admin, the blog, the shop and the job queue,
// folders postgres/ and sqlite/ of files NNNNN_name.sql with
// "-- +goose Up" and "-- +goose Down" sections, recorded in goose's
// default table, goose_db_version. That history is frozen: it is kept so
// that a database it migrated is carried over to the apps' own histories
// (see Legacy), and new migrations go to the apps' folders.
//
// The folders are plain goose folders: the goose CLI works on them too
// (goose -dir migrations/postgres postgres "$DATABASE_URL" status). goose
// reads only *.sql files, so each folder carries a README.md, which also
// keeps go:embed from failing while a folder holds no migration yet.
//
// Choices a Django user may want to know about:
//   - goose records applied versions in a table of its own per history
//     (goose_db_version, goose_blog_version, …), the counterpart of
//     django_migrations.
//   - Each file runs in its own transaction, on both engines, unless it
//     says "-- +goose NO TRANSACTION": a failing file leaves the database at
//     the last version that succeeded.
//   - On PostgreSQL every run holds goose's session-level advisory lock, so
//     several processes starting at once apply each migration once. On
//     SQLite there is no such lock; run one migrator at a time.
//   - goose has no --fake: Fake writes (or deletes) version rows the way
//     goose itself does, through goose's own version store.
package migrations

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/quarry-go/quarry/orm"
)

// The pattern is "*" rather than "postgres sqlite state.json" because a
// go:embed pattern that matches nothing is a build error, and state.json
// only exists once makemigrations has run; it also embeds this package's Go
// files, a few kilobytes nobody reads. Keep testdata out of this folder.
//
//go:embed *
var files embed.FS

// LegacyTable is the version table of the single history.
const LegacyTable = "goose_db_version"

// Legacy says, for each app whose tables the single history made, the
// last of the app's own migrations that history covers: a database it
// migrated has the schema those migrations make, so they are recorded as
// applied, not run, when the database is carried over. The history's last
// migration is 00020; the apps' migrations after these are new to every
// database.
var Legacy = map[string]int64{"auth": 1, "admin": 1, "jobs": 8, "blog": 1, "shop": 1}

// Vendors are the engines with a migrations folder, named as orm.DB.Vendor
// names them.
var Vendors = []string{"postgres", "sqlite"}

// Files returns the embedded migrations folder: postgres/, sqlite/ and,
// once makemigrations has written it, state.json.
func Files() fs.FS { return files }

// FS returns the embedded folder of the engine named vendor ("postgres" or
// "sqlite"), the files at its root as goose expects.
func FS(vendor string) (fs.FS, error) { return Sub(files, vendor) }

// Sub returns the vendor's folder of root, a tree laid out like this
// package's (web's --dir flag points at one on disk).
func Sub(root fs.FS, vendor string) (fs.FS, error) {
	if !slices.Contains(Vendors, vendor) {
		return nil, fmt.Errorf("migrations: no migrations folder for database %q (want postgres or sqlite)", vendor)
	}
	if _, err := fs.Stat(root, vendor); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return fs.Sub(root, vendor)
}

// State returns the schema state that makemigrations recorded with the last
// migration (state.json), or an error wrapping fs.ErrNotExist before the
// first one.
func State() ([]byte, error) { return fs.ReadFile(files, "state.json") }

// Migration is one migration file.
type Migration struct {
	Version int64
	Name    string // the file name without .sql: "00002_post_rating"
	Path    string // the file name within its folder
}

func (m Migration) String() string { return m.Name }

// List returns the migrations in fsys in version order, as goose sees them:
// *.sql files at the root whose name starts with a number and an underscore.
func List(fsys fs.FS) ([]Migration, error) {
	paths, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int64]string{}
	for _, p := range paths {
		v, err := goose.NumericComponent(p)
		if err != nil {
			continue // goose ignores such files too
		}
		if prev, ok := seen[v]; ok {
			return nil, fmt.Errorf("migrations: version %d is used twice: %s and %s", v, prev, p)
		}
		seen[v] = p
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(p, ".sql"), Path: p})
	}
	slices.SortFunc(out, func(a, b Migration) int { return int(a.Version - b.Version) })
	return out, nil
}

// Migrator runs the migrations of one folder against one database.
type Migrator struct {
	vendor     string
	db         *sql.DB
	ownsDB     bool // on PostgreSQL, orm.DB.SQLDB opens a *sql.DB that is ours to close
	fsys       fs.FS
	migrations []Migration
	provider   *goose.Provider    // nil while the folder holds no migration
	locker     lock.SessionLocker // nil on SQLite
	store      database.Store
	stmts      *statementRecorder
}

// statementRecorder keeps the statement goose ran last. goose's Provider
// reports a failing statement's database error without the statement, but
// logs each statement before running it when verbose; listening to that log
// lets an error name the statement.
type statementRecorder struct {
	mu   sync.Mutex
	last string
}

func (r *statementRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *statementRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *statementRecorder) WithGroup(string) slog.Handler            { return r }

func (r *statementRecorder) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "executing statement" {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "statement" {
			r.mu.Lock()
			r.last = a.Value.String()
			r.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

func (r *statementRecorder) reset() {
	r.mu.Lock()
	r.last = ""
	r.mu.Unlock()
}

func (r *statementRecorder) lastStatement() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// lockPollSeconds is how often a migrator waiting for another one's lock
// retries; goose's default of 5s would make every contended start slow.
const lockPollSeconds = 1

// lockTimeoutSeconds bounds the wait for another migrator, as goose's
// default does (5 minutes).
const lockTimeoutSeconds = 300

// New returns a Migrator for db with the migrations in fsys (FS(db.Vendor())
// for the embedded ones). Close it when done; it does not close db.
func New(db *orm.DB, fsys fs.FS) (*Migrator, error) {
	return NewWithTable(db, fsys, goose.DefaultTablename)
}

// NewWithTable is New recording the applied versions in the named table
// instead of goose's default, goose_db_version: each app's migrations
// have their own (the goose CLI's -table flag names it).
func NewWithTable(db *orm.DB, fsys fs.FS, table string) (*Migrator, error) {
	m := &Migrator{vendor: db.Vendor(), fsys: fsys}
	var dialect goose.Dialect
	var opts []goose.ProviderOption
	switch m.vendor {
	case "postgres":
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(lockPollSeconds, lockTimeoutSeconds/lockPollSeconds))
		if err != nil {
			return nil, err
		}
		m.locker = locker
		opts = append(opts, goose.WithSessionLocker(locker))
		m.ownsDB = true
	case "sqlite":
		dialect = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrations: goose has no dialect for %q", m.vendor)
	}
	store, err := database.NewStore(dialect, table)
	if err != nil {
		return nil, err
	}
	m.store = store
	if m.migrations, err = List(fsys); err != nil {
		return nil, err
	}
	m.db = db.SQLDB()
	if len(m.migrations) == 0 {
		// goose refuses to build a provider for an empty folder; an empty
		// folder is simply a project with no migration yet.
		return m, nil
	}
	// Go migrations registered globally (goose.AddMigration) are not ours.
	m.stmts = &statementRecorder{}
	opts = append(opts, goose.WithTableName(table), goose.WithDisableGlobalRegistry(true),
		goose.WithVerbose(true), goose.WithSlog(slog.New(m.stmts)))
	if m.provider, err = goose.NewProvider(dialect, m.db, fsys, opts...); err != nil {
		m.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return m, nil
}

// Close releases the *sql.DB opened for goose on PostgreSQL.
func (m *Migrator) Close() error {
	if m.ownsDB {
		return m.db.Close()
	}
	return nil
}

// Provider returns the goose Provider, or nil when there is no migration.
func (m *Migrator) Provider() *goose.Provider { return m.provider }

// Migrations returns the known migrations in version order.
func (m *Migrator) Migrations() []Migration { return slices.Clone(m.migrations) }

// Lookup finds a migration by version: a number ("2", "00002") or a file
// name with or without .sql ("00002_post_rating"). "zero" and "0" mean
// before the first migration and return a zero Migration. An unknown
// version is an error that lists the known ones.
func (m *Migrator) Lookup(s string) (Migration, error) {
	if s == "zero" || s == "0" {
		return Migration{}, nil
	}
	s = strings.TrimSuffix(s, ".sql")
	for _, mig := range m.migrations {
		if v, err := strconv.ParseInt(s, 10, 64); (err == nil && v == mig.Version) || s == mig.Name {
			return mig, nil
		}
	}
	return Migration{}, m.unknown(s)
}

func (m *Migrator) unknown(s string) error {
	if len(m.migrations) == 0 {
		return fmt.Errorf("unknown migration %q: there are no migrations", s)
	}
	names := make([]string, len(m.migrations))
	for i, mig := range m.migrations {
		names[i] = mig.Name
	}
	return fmt.Errorf("unknown migration %q; known migrations: %s (or zero, to unapply them all)", s, strings.Join(names, ", "))
}

// Status is the state of one migration.
type Status struct {
	Migration
	Applied   bool
	AppliedAt time.Time // when goose recorded it (UTC), if Applied
}

// Status returns every migration, applied or pending, in version order.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	if m.provider == nil {
		return nil, nil
	}
	st, err := m.provider.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		mig, _ := m.byVersion(s.Source.Version)
		out = append(out, Status{Migration: mig, Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt})
	}
	return out, nil
}

// Pending returns the migrations not applied yet.
func (m *Migrator) Pending(ctx context.Context) ([]Migration, error) {
	st, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, s := range st {
		if !s.Applied {
			out = append(out, s.Migration)
		}
	}
	return out, nil
}

// Version returns the highest applied version, 0 when none is.
func (m *Migrator) Version(ctx context.Context) (int64, error) {
	if m.provider == nil {
		return 0, nil
	}
	return m.provider.GetDBVersion(ctx)
}

func (m *Migrator) byVersion(v int64) (Migration, bool) {
	for _, mig := range m.migrations {
		if mig.Version == v {
			return mig, true
		}
	}
	return Migration{Version: v, Name: strconv.FormatInt(v, 10)}, false
}

// Up applies every pending migration, printing a line per migration on w
// (nil: nowhere). It returns the number applied.
func (m *Migrator) Up(ctx context.Context, w io.Writer) (int, error) {
	if m.provider == nil {
		return 0, nil
	}
	if w == nil {
		w = io.Discard
	}
	return m.upTo(ctx, w, m.migrations[len(m.migrations)-1].Version)
}

// To migrates forward or back so that target is the last applied
// migration; the zero Migration unapplies them all.
func (m *Migrator) To(ctx context.Context, w io.Writer, target Migration) (int, error) {
	if m.provider == nil {
		return 0, nil
	}
	if w == nil {
		w = io.Discard
	}
	current, err := m.provider.GetDBVersion(ctx)
	if err != nil {
		return 0, err
	}
	m.stmts.reset()
	if target.Version >= current {
		return m.upTo(ctx, w, target.Version)
	}
	res, err := m.provider.DownTo(ctx, target.Version)
	return m.report(ctx, w, "Unapplying", res, err)
}

func (m *Migrator) upTo(ctx context.Context, w io.Writer, version int64) (int, error) {
	if version == 0 {
		return 0, nil
	}
	m.stmts.reset()
	res, err := m.provider.UpTo(ctx, version)
	return m.report(ctx, w, "Applying", res, err)
}

// report prints a line per migration goose ran and, for a failed one, turns
// goose's error into one that names the file.
func (m *Migrator) report(ctx context.Context, w io.Writer, verb string, res []*goose.MigrationResult, err error) (int, error) {
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		res = partial.Applied
	}
	for _, r := range res {
		fmt.Fprintf(w, "  %s %s... OK (%s)\n", verb, name(r.Source.Path), round(r.Duration))
	}
	if partial != nil {
		file := path.Base(partial.Failed.Source.Path)
		fmt.Fprintf(w, "  %s %s... FAILED\n", verb, name(file))
		last := "no migration"
		if v, verr := m.Version(context.WithoutCancel(ctx)); verr == nil && v > 0 {
			mig, _ := m.byVersion(v)
			last = mig.Name
		}
		stmt := ""
		if s := m.stmts.lastStatement(); s != "" {
			stmt = fmt.Sprintf(" in statement %q", strings.TrimSpace(s))
		}
		return len(res), fmt.Errorf("migration %s failed (the database stays at %s)%s: %w", file, last, stmt, unwrapGoose(partial.Err))
	}
	return len(res), err
}

// unwrapGoose drops goose's "ERROR 00003_x.sql: failed to run SQL
// migration:" prefix, which repeats what our message already says.
func unwrapGoose(err error) error {
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "ERROR ") {
		return inner
	}
	return err
}

func name(p string) string { return strings.TrimSuffix(path.Base(p), ".sql") }

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// Fake records target and every pending migration before it as applied
// without running them (Django's migrate --fake), or, when target is
// behind the database, forgets the applied migrations after it. The zero
// Migration forgets them all. It returns the number of versions recorded
// or forgotten, and prints a line for each on w (nil: nowhere).
func (m *Migrator) Fake(ctx context.Context, w io.Writer, target Migration) (n int, err error) {
	if m.provider == nil {
		return 0, nil
	}
	if w == nil {
		w = io.Discard
	}
	// GetDBVersion creates goose's version table (with its version-0 row)
	// the way goose does, so our rows land in a table goose made.
	if _, err := m.provider.GetDBVersion(ctx); err != nil {
		return 0, err
	}
	conn, err := m.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if m.locker != nil {
		if err := m.locker.SessionLock(ctx, conn); err != nil {
			return 0, err
		}
		defer func() {
			if uerr := m.locker.SessionUnlock(context.WithoutCancel(ctx), conn); err == nil {
				err = uerr
			}
		}()
	}
	// Read the state under the lock: another migrator may have moved it.
	applied := map[int64]bool{}
	rows, err := m.store.ListMigrations(ctx, conn)
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		if r.IsApplied {
			applied[r.Version] = true
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var lines []string
	for _, mig := range m.migrations {
		switch {
		case mig.Version <= target.Version && !applied[mig.Version]:
			if err := m.store.Insert(ctx, tx, database.InsertRequest{Version: mig.Version}); err != nil {
				return 0, err
			}
			lines = append(lines, fmt.Sprintf("  Applying %s... FAKED\n", mig.Name))
		case mig.Version > target.Version && applied[mig.Version]:
			if err := m.store.Delete(ctx, tx, mig.Version); err != nil {
				return 0, err
			}
			// Unapplied newest first, as a real migrate back would.
			lines = slices.Insert(lines, 0, fmt.Sprintf("  Unapplying %s... FAKED\n", mig.Name))
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	for _, l := range lines {
		io.WriteString(w, l)
	}
	return len(lines), nil
}

// Latest returns the last migration, or the zero Migration when there is
// none.
func (m *Migrator) Latest() Migration {
	if len(m.migrations) == 0 {
		return Migration{}
	}
	return m.migrations[len(m.migrations)-1]
}

// SQL returns the SQL of one direction of a migration file, as goose would
// run it, for sqlmigrate: the statements of the "-- +goose Up" (up) or
// "-- +goose Down" section with goose's annotations removed, between BEGIN
// and COMMIT unless the file says "-- +goose NO TRANSACTION". goose's own
// parser is internal to goose, hence this small reader of the same markers.
func SQL(fsys fs.FS, mig Migration, up bool) (string, error) {
	data, err := fs.ReadFile(fsys, mig.Path)
	if err != nil {
		return "", err
	}
	const (
		before = iota
		inUp
		inDown
	)
	section, noTx := before, false
	var body []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20) // long statements (data migrations) overflow the default 64 KiB
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") && strings.Contains(trimmed, "+goose") {
			switch strings.ToLower(strings.Join(strings.Fields(strings.SplitN(trimmed, "+goose", 2)[1]), " ")) {
			case "up":
				section = inUp
			case "down":
				section = inDown
			case "no transaction":
				noTx = true
			}
			continue
		}
		if (up && section == inUp) || (!up && section == inDown) {
			body = append(body, line)
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	text := strings.Trim(strings.Join(body, "\n"), "\n")
	direction := "down"
	if up {
		direction = "up"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- %s (%s)\n", mig.Path, direction)
	if noTx {
		b.WriteString("-- +goose NO TRANSACTION: runs outside a transaction\n")
	} else {
		b.WriteString("BEGIN;\n")
	}
	if text != "" {
		b.WriteString(text + "\n")
	} else {
		b.WriteString("-- (no statements)\n")
	}
	if !noTx {
		b.WriteString("COMMIT;\n")
	}
	return b.String(), nil
}
