package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarry-go/quarry/auth"
)

// runClearSessions is Django's clearsessions: it deletes expired sessions,
// and the login-throttling rows that no longer count, so neither table
// grows forever. Run it from cron or a scheduler; logins also clean
// sessions up once an hour.
func runClearSessions(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "clearsessions")
	var cfg baseConfig
	cfg.register(fs, env)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, done, err := cfg.connect(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	if !hasTable(ctx, "auth_session") {
		return errors.New("the database has no sessions table yet: run `web migrate` first")
	}
	sessions, err := (&auth.Store{}).Cleanup(ctx)
	if err != nil {
		return err
	}
	attempts, err := auth.DefaultThrottle.Cleanup(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "Deleted %d expired sessions and %d stale login attempts.\n", sessions, attempts)
	return nil
}
