package manage

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/auth"
)

// runClearSessions is Django's clearsessions: it deletes expired sessions,
// and the login-throttling rows that no longer count, so neither table
// grows forever. Run it from cron or a scheduler; logins also clean
// sessions up once an hour.
func runClearSessions(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("clearsessions")
	var cfg Config
	cfg.Register(fs, env)
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	ctx, done, err := cfg.Connect(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	if err := env.RequireTable(ctx, "auth_session", "sessions"); err != nil {
		return err
	}
	sessions, err := (&auth.Store{}).Cleanup(ctx)
	if err != nil {
		return err
	}
	attempts, err := auth.DefaultThrottle.Cleanup(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Deleted %d expired sessions and %d stale login attempts.\n", sessions, attempts)
	return nil
}
