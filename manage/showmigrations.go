package manage

import (
	"context"
	"fmt"
	"time"
)

// runShowMigrations is Django's showmigrations: every migration of every
// app, [X] when applied (with when, as goose recorded it) and [ ] when
// pending. With several apps, each app's list follows its label.
func runShowMigrations(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("showmigrations")
	var cfg migrationsConfig
	cfg.register(fs, env)
	if err := ParseFlags(fs, args); err != nil {
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
	units, err := cfg.units(env, db.Vendor())
	if err != nil {
		return err
	}
	if len(units) == 0 {
		fmt.Fprintln(env.Stdout, " (no migrations)")
	}
	for _, u := range units {
		if len(units) > 1 {
			fmt.Fprintln(env.Stdout, u.app.Label)
		}
		m, err := u.migrator(db)
		if err != nil {
			return err
		}
		status, err := m.Status(ctx)
		m.Close()
		if err != nil {
			return err
		}
		if len(status) == 0 {
			fmt.Fprintln(env.Stdout, " (no migrations)")
		}
		for _, s := range status {
			if s.Applied {
				fmt.Fprintf(env.Stdout, " [X] %s (applied %s)\n", s.Name, s.AppliedAt.UTC().Format(time.DateTime+" UTC"))
			} else {
				fmt.Fprintf(env.Stdout, " [ ] %s\n", s.Name)
			}
		}
	}
	return nil
}
