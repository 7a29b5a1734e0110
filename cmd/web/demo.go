package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/orm"
)

// The demo shopper's sign-in, printed by demo. It exists only in databases
// that demo has seeded, which are for trying the site out.
const (
	demoUsername = "demo"
	demoPassword = "quarry-demo"
)

// runDemo is serve on a database filled with demo content: it migrates,
// seeds the blog and the shop (idempotently, so restarting keeps what was
// done in the browser), makes a shopper to sign in as, and serves.
func runDemo(ctx context.Context, env *manage.Env, args []string) error {
	fs := env.FlagSet("demo")
	var counts seedCounts
	counts.register(fs)
	return env.Serve(ctx, fs, args, func() bool { return true }, func(ctx context.Context, db *orm.DB) error {
		ctx = orm.WithDB(ctx, db)
		if err := seed(ctx, env, counts); err != nil {
			return err
		}
		if err := demoShopper(ctx); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Shop and comment as %q with the password %q.\n", demoUsername, demoPassword)
		return nil
	})
}

// demoShopper makes the demo user unless it exists; a password changed
// since is kept.
func demoShopper(ctx context.Context) error {
	_, err := auth.Users.Objects().Get(ctx, orm.Q{"username": demoUsername})
	if !errors.Is(err, orm.ErrDoesNotExist) {
		return err
	}
	_, err = auth.CreateUser(ctx, demoUsername, "demo@example.com", demoPassword)
	return err
}
