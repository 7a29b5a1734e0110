package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
)

// migrationsConfig is the configuration of the commands that read
// migrations: the database, and where the migration files come from.
type migrationsConfig struct {
	baseConfig
	dir string
}

func (c *migrationsConfig) register(fs *flag.FlagSet, env *environment) {
	c.baseConfig.register(fs, env)
	fs.StringVar(&c.dir, "dir", "", "read the migrations from DIR/postgres or DIR/sqlite on disk instead of those built into web")
}

// files returns the migration folder for vendor.
func (c *migrationsConfig) files(vendor string) (fs.FS, error) {
	if c.dir == "" {
		return migrations.FS(vendor)
	}
	return migrations.Sub(os.DirFS(c.dir), vendor)
}

// openMigrator opens the database and a Migrator over it; close both with
// the returned function.
func (c *migrationsConfig) openMigrator(ctx context.Context, log *slog.Logger) (*orm.DB, *migrations.Migrator, func(), error) {
	db, err := c.openDB(ctx, log)
	if err != nil {
		return nil, nil, nil, err
	}
	files, err := c.files(db.Vendor())
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	m, err := migrations.New(db, files)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return db, m, func() { m.Close(); db.Close() }, nil
}

// runMigrate is Django's migrate: with no VERSION it applies every pending
// migration; with one it migrates forward or back until VERSION is the
// last applied; --fake records the change without running any SQL.
func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "migrate")
	var cfg migrationsConfig
	cfg.register(fs, env)
	fake := fs.Bool("fake", false, "record the migrations as applied (or unapplied) without running their SQL")
	pos, err := parseFlagsArgs(fs, args, 0, 1)
	if err != nil {
		return err
	}
	if err := cfg.resolve(env); err != nil {
		return err
	}
	db, m, closeAll, err := cfg.openMigrator(ctx, cfg.logger(env.stderr))
	if err != nil {
		return err
	}
	defer closeAll()

	target := m.Latest()
	if len(pos) == 1 {
		if target, err = m.Lookup(pos[0]); err != nil {
			return err
		}
	}
	fmt.Fprintln(env.stdout, "Running migrations:")
	var n int
	if *fake {
		n, err = m.Fake(ctx, env.stdout, target)
	} else {
		n, err = m.To(ctx, env.stdout, target)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.stdout, "  No migrations to apply.")
	}
	return afterMigrate(ctx, db)
}

// migrateAtStart brings the database up to date before serve listens, or,
// with apply false, refuses to start while migrations are pending.
func migrateAtStart(ctx context.Context, cfg *migrationsConfig, db *orm.DB, apply bool, log *slog.Logger) error {
	files, err := cfg.files(db.Vendor())
	if err != nil {
		return err
	}
	m, err := migrations.New(db, files)
	if err != nil {
		return err
	}
	defer m.Close()
	if !apply {
		pending, err := m.Pending(ctx)
		if err != nil {
			return fmt.Errorf("checking migrations: %w", err)
		}
		if len(pending) > 0 {
			names := make([]string, len(pending))
			for i, p := range pending {
				names[i] = p.Name
			}
			return fmt.Errorf("%d migration(s) not applied (%v): run `web migrate` first, or start without --no-migrate", len(pending), names)
		}
		return nil
	}
	// Progress goes to the log, which is where serve reports.
	w := &logWriter{log: log}
	n, err := m.Up(ctx, w)
	if err != nil {
		return err
	}
	if n > 0 {
		v, _ := m.Version(ctx)
		log.Info("migrations applied", "count", n, "version", v)
	}
	return afterMigrate(ctx, db)
}

// logWriter turns the Migrator's progress lines into log records.
type logWriter struct{ log *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	w.log.Info("migrate", "step", strings.TrimSpace(string(p)))
	return len(p), nil
}
