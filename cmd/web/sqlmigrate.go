package main

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/migrations"
)

// runSQLMigrate is Django's sqlmigrate: the SQL a migration runs, for the
// engine DATABASE_URL names. It reads the file only; the database is opened
// to learn its engine, not queried.
func runSQLMigrate(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "sqlmigrate")
	var cfg migrationsConfig
	cfg.register(fs, env)
	down := fs.Bool("down", false, "print the SQL that unapplies the migration (its -- +goose Down section)")
	pos, err := parseFlagsArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cfg.resolve(env); err != nil {
		return err
	}
	db, err := cfg.openDB(ctx, cfg.logger(env.stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	files, err := cfg.files(db.Vendor())
	if err != nil {
		return err
	}
	m, err := migrations.New(db, files)
	if err != nil {
		return err
	}
	defer m.Close()
	mig, err := m.Lookup(pos[0])
	if err != nil {
		return err
	}
	if mig.Version == 0 {
		return fmt.Errorf("%q is not a migration; give a version such as %s", pos[0], m.Latest().Name)
	}
	sql, err := migrations.SQL(files, mig, !*down)
	if err != nil {
		return err
	}
	fmt.Fprint(env.stdout, sql)
	return nil
}
