package manage

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
)

// migrationsConfig is the configuration of the commands that read
// migrations: the database, which app's migrations a version names, and
// where its migration files come from.
type migrationsConfig struct {
	Config
	app string
	dir string
}

func (c *migrationsConfig) register(fs *flag.FlagSet, env *Env) {
	c.Config.Register(fs, env)
	fs.StringVar(&c.app, "app", "", "the app whose migrations a VERSION or --dir names (needed when several apps have migrations)")
	fs.StringVar(&c.dir, "dir", "", "read the app's migrations from DIR/postgres or DIR/sqlite on disk instead of those built into the program")
}

// unit is one app's migrations on one engine.
type unit struct {
	app   app.App
	files fs.FS
}

// migrationApps are the installed apps that have migrations, in
// dependency order.
func migrationApps(env *Env) []app.App {
	var out []app.App
	for _, a := range env.apps {
		if a.Migrations != nil {
			out = append(out, a)
		}
	}
	return out
}

// chosen is the app --app names, or the only app with migrations.
func (c *migrationsConfig) chosen(env *Env) (app.App, error) {
	apps := migrationApps(env)
	if c.app != "" {
		for _, a := range env.apps {
			if a.Label == c.app {
				return a, nil
			}
		}
		return app.App{}, fmt.Errorf("--app %s: no such app is installed", c.app)
	}
	switch len(apps) {
	case 0:
		return app.App{}, errors.New("no installed app has migrations")
	case 1:
		return apps[0], nil
	}
	labels := make([]string, len(apps))
	for i, a := range apps {
		labels[i] = a.Label
	}
	return app.App{}, fmt.Errorf("several apps have migrations (%s): name one with --app", strings.Join(labels, ", "))
}

// units returns the migrations of every installed app for vendor, in
// dependency order; --dir replaces the chosen app's folder.
func (c *migrationsConfig) units(env *Env, vendor string) ([]unit, error) {
	var dirApp string
	if c.dir != "" {
		a, err := c.chosen(env)
		if err != nil {
			return nil, err
		}
		dirApp = a.Label
	}
	var out []unit
	for _, a := range env.apps {
		root := a.Migrations
		if a.Label == dirApp {
			root = os.DirFS(c.dir)
		}
		if root == nil {
			continue
		}
		files, err := migrations.Sub(root, vendor)
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", a.Label, err)
		}
		out = append(out, unit{app: a, files: files})
	}
	return out, nil
}

// migrator is a Migrator over one app's migrations.
func (u unit) migrator(db *orm.DB) (*migrations.Migrator, error) {
	m, err := migrations.NewWithTable(db, u.files, u.app.Table())
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", u.app.Label, err)
	}
	return m, nil
}

// runMigrate is Django's migrate: with no VERSION it applies every pending
// migration of every app, in dependency order; with one it migrates the
// app (--app) forward or back until VERSION is its last applied; --fake
// records the change without running any SQL.
func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("migrate")
	var cfg migrationsConfig
	cfg.register(fs, env)
	fake := fs.Bool("fake", false, "record the migrations as applied (or unapplied) without running their SQL")
	pos, err := ParseFlagsArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := cfg.Resolve(env); err != nil {
		return err
	}
	log := cfg.Logger(env.Stderr)
	db, err := cfg.OpenDB(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	units, err := cfg.units(env, db.Vendor())
	if err != nil {
		return err
	}
	only := ""
	if len(pos) == 1 || *fake {
		a, err := cfg.chosen(env)
		if err != nil {
			return err
		}
		only = a.Label
	}
	fmt.Fprintln(env.Stdout, "Running migrations:")
	var total int
	if !*fake {
		n, err := upgradeLegacy(ctx, env.Stdout, db, units)
		total += n
		if err != nil {
			return err
		}
	}
	for _, u := range units {
		if only != "" && u.app.Label != only {
			continue
		}
		n, err := migrateUnit(ctx, env.Stdout, db, u, pos, *fake, len(units) > 1)
		total += n
		if err != nil {
			return err
		}
	}
	if total == 0 {
		fmt.Fprintln(env.Stdout, "  No migrations to apply.")
	}
	return afterMigrate(ctx, db)
}

func migrateUnit(ctx context.Context, w io.Writer, db *orm.DB, u unit, pos []string, fake, named bool) (int, error) {
	m, err := u.migrator(db)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	target := m.Latest()
	if len(pos) == 1 {
		if target, err = m.Lookup(pos[0]); err != nil {
			return 0, err
		}
	}
	if named {
		w = &prefixed{w: w, label: u.app.Label}
	}
	if fake {
		return m.Fake(ctx, w, target)
	}
	return m.To(ctx, w, target)
}

// prefixed names the app on each progress line of its migrations, when
// several apps have some: "  Applying blog 00002_post_rating... OK".
type prefixed struct {
	w     io.Writer
	label string
}

func (p *prefixed) Write(b []byte) (int, error) {
	s := string(b)
	for _, verb := range []string{"Applying ", "Unapplying "} {
		if i := strings.Index(s, verb); i >= 0 {
			s = s[:i+len(verb)] + p.label + " " + s[i+len(verb):]
			break
		}
	}
	if _, err := io.WriteString(p.w, s); err != nil {
		return 0, err
	}
	return len(b), nil
}

// migrateAtStart brings the database up to date before serve listens, or,
// with apply false, refuses to start while migrations are pending.
func migrateAtStart(ctx context.Context, env *Env, cfg *migrationsConfig, db *orm.DB, apply bool, log *slog.Logger) error {
	units, err := cfg.units(env, db.Vendor())
	if err != nil {
		return err
	}
	if apply {
		if _, err := upgradeLegacy(ctx, &logWriter{log: log}, db, units); err != nil {
			return err
		}
	}
	var pending []string
	for _, u := range units {
		m, err := u.migrator(db)
		if err != nil {
			return err
		}
		if !apply {
			p, err := m.Pending(ctx)
			m.Close()
			if err != nil {
				return fmt.Errorf("checking migrations: %w", err)
			}
			for _, mig := range p {
				name := mig.Name
				if len(units) > 1 {
					name = u.app.Label + " " + name
				}
				pending = append(pending, name)
			}
			continue
		}
		// Progress goes to the log, which is where serve reports.
		n, err := m.Up(ctx, &logWriter{log: log})
		if err == nil && n > 0 {
			v, _ := m.Version(ctx)
			log.Info("migrations applied", "count", n, "version", v, "app", u.app.Label)
		}
		m.Close()
		if err != nil {
			return err
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("%d migration(s) not applied (%v): run `%s migrate` first, or start without --no-migrate", len(pending), pending, env.project.name())
	}
	return afterMigrate(ctx, db)
}

// afterMigrate is Django's post_migrate: once the auth tables exist, every
// model has its view/add/change/delete permissions. It is quiet and
// idempotent, so it runs after every migrate and at every start.
func afterMigrate(ctx context.Context, db *orm.DB) error {
	ctx = orm.WithDB(ctx, db)
	if !HasTable(ctx, "auth_permission") {
		return nil // migrated back before auth, or from another folder (--dir)
	}
	return auth.SyncPermissions(ctx)
}

// logWriter turns the Migrator's progress lines into log records.
type logWriter struct{ log *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	w.log.Info("migrate", "step", strings.TrimSpace(string(p)))
	return len(p), nil
}
