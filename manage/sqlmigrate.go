package manage

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/migrations"
)

// runSQLMigrate is Django's sqlmigrate: the SQL a migration runs, for the
// engine DATABASE_URL names; --app names the app when several have migrations. It reads the file only; the database is opened
// to learn its engine, not queried.
func runSQLMigrate(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("sqlmigrate")
	var cfg migrationsConfig
	cfg.register(fs, env)
	down := fs.Bool("down", false, "print the SQL that unapplies the migration (its -- +goose Down section)")
	pos, err := ParseFlagsArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := cfg.Resolve(env); err != nil {
		return err
	}
	db, err := cfg.OpenDB(ctx, cfg.Logger(env.Stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := cfg.chosen(env)
	if err != nil {
		return err
	}
	units, err := cfg.units(env, db.Vendor())
	if err != nil {
		return err
	}
	var u unit
	for _, u = range units {
		if u.app.Label == a.Label {
			break
		}
	}
	if u.app.Label != a.Label {
		return fmt.Errorf("app %s has no migrations", a.Label)
	}
	files := u.files
	m, err := u.migrator(db)
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
	fmt.Fprint(env.Stdout, sql)
	return nil
}
