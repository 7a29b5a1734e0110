package manage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// changePasswordTries is how many times changepassword asks before it
// gives up, as Django's MAX_TRIES.
const changePasswordTries = 3

// runChangePassword is Django's changepassword: it asks for the user's new
// password twice on the terminal, without echo, and saves it once it
// passes the rules sign-up applies. Every session of the user ends, so
// whoever was signed in with the old password, on any browser, is signed
// out. The password is only ever read from the terminal, never taken
// from the command line or the environment.
func runChangePassword(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("changepassword")
	var cfg Config
	cfg.Register(fs, env)
	pos, err := ParseFlagsArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	username := pos[0]
	ctx, done, err := cfg.Connect(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	if err := env.RequireTable(ctx, "auth_user", "users"); err != nil {
		return err
	}
	var u *auth.User
	err = orm.ErrDoesNotExist // no stored username has what the database cannot store
	if auth.Storable(username) {
		u, err = auth.Users.Objects().Get(ctx, orm.Q{"username": username})
	}
	if errors.Is(err, orm.ErrDoesNotExist) {
		return fmt.Errorf("user %q does not exist", username)
	}
	if err != nil {
		return err
	}
	if !env.Interactive {
		return errors.New("the new password is asked for on a terminal, and there is none: run the command from one")
	}

	fmt.Fprintf(env.Stdout, "Changing password for user %q\n", u.Username)
	in := bufio.NewReader(env.Stdin)
	for range changePasswordTries {
		password, err := readPassword(env, in, "Password: ")
		if err != nil {
			return inputEnded(err)
		}
		again, err := readPassword(env, in, "Password (again): ")
		if err != nil {
			return inputEnded(err)
		}
		if password != again {
			fmt.Fprintln(env.Stderr, "Passwords do not match. Please try again.")
			continue
		}
		ended, err := (&auth.Store{}).ChangePassword(ctx, u, password, nil)
		var verr *orm.ValidationError
		if errors.As(err, &verr) {
			for _, msg := range verr.Fields["password"] {
				fmt.Fprintln(env.Stderr, msg)
			}
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Password changed successfully for user %q\n", u.Username)
		fmt.Fprintf(env.Stdout, "Signed out of %d %s.\n", ended, plural(ended, "session", "sessions"))
		return nil
	}
	return fmt.Errorf("aborting the password change for user %q after %d attempts", u.Username, changePasswordTries)
}

// inputEnded says so when the answers ran out, rather than a bare "EOF".
func inputEnded(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("the input ended before a new password was given: nothing was changed")
	}
	return err
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
