package main

import (
	"context"
	"fmt"
	"time"
)

// runShowMigrations is Django's showmigrations: every migration, [X] when
// applied (with when, as goose recorded it) and [ ] when pending.
func runShowMigrations(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "showmigrations")
	var cfg migrationsConfig
	cfg.register(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.resolve(env); err != nil {
		return err
	}
	_, m, closeAll, err := cfg.openMigrator(ctx, cfg.logger(env.stderr))
	if err != nil {
		return err
	}
	defer closeAll()

	status, err := m.Status(ctx)
	if err != nil {
		return err
	}
	if len(status) == 0 {
		fmt.Fprintln(env.stdout, " (no migrations)")
		return nil
	}
	for _, s := range status {
		if s.Applied {
			fmt.Fprintf(env.stdout, " [X] %s (applied %s)\n", s.Name, s.AppliedAt.UTC().Format(time.DateTime+" UTC"))
		} else {
			fmt.Fprintf(env.stdout, " [ ] %s\n", s.Name)
		}
	}
	return nil
}
