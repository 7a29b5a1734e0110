package manage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// runCreateSuperuser is Django's createsuperuser: it asks for a username,
// an email address and a password (twice, not echoed) on a terminal; with
// --noinput it takes --username, --email and the password from
// QUARRY_SUPERUSER_PASSWORD, so that scripts never put it on a command line.
func runCreateSuperuser(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("createsuperuser")
	var cfg Config
	cfg.Register(fs, env)
	username := fs.String("username", "", "the superuser's username")
	email := fs.String("email", "", "the superuser's email address")
	noInput := fs.Bool("noinput", false, "ask nothing: take --username, --email and the password from QUARRY_SUPERUSER_PASSWORD")
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	ctx, done, err := cfg.Connect(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	if err := env.RequireTable(ctx, "auth_user", "users"); err != nil {
		return err
	}

	if *noInput || !env.Interactive {
		password := env.Getenv("QUARRY_SUPERUSER_PASSWORD")
		switch {
		case *username == "":
			return errors.New("--username is required when nothing is asked (--noinput, or no terminal)")
		case password == "":
			return errors.New("set QUARRY_SUPERUSER_PASSWORD to the password when nothing is asked (--noinput, or no terminal)")
		}
		return createSuperuser(ctx, env, *username, *email, password)
	}

	in := bufio.NewReader(env.Stdin)
	ask := func(prompt, preset string) (string, error) {
		if preset != "" {
			return preset, nil
		}
		fmt.Fprint(env.Stdout, prompt)
		line, err := readLine(in)
		return strings.TrimSpace(line), err
	}
	for {
		name, err := ask("Username: ", *username)
		if err != nil {
			return err
		}
		addr, err := ask("Email address: ", *email)
		if err != nil {
			return err
		}
		password, err := readPassword(env, in, "Password: ")
		if err != nil {
			return err
		}
		again, err := readPassword(env, in, "Password (again): ")
		if err != nil {
			return err
		}
		if password != again {
			fmt.Fprintln(env.Stderr, "Error: Your passwords didn't match.")
			continue
		}
		err = createSuperuser(ctx, env, name, addr, password)
		var verr *orm.ValidationError
		if !errors.As(err, &verr) {
			return err
		}
		if _, ok := verr.Fields["password"]; ok && len(verr.Fields) == 1 && password != "" {
			// As Django's createsuperuser: the rules advise, and whoever
			// types at the terminal may overrule them for this account.
			fmt.Fprint(env.Stdout, "Bypass password validation and create user anyway? [y/N]: ")
			answer, err := readLine(in)
			if err != nil {
				return err
			}
			if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" {
				if _, err := auth.CreateSuperuserSkippingPasswordRules(ctx, name, addr, password); err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, "Superuser created successfully.")
				return nil
			}
		}
		// Asked again, as Django does, with only what was wrong to fix.
		if _, ok := verr.Fields["username"]; ok {
			*username = ""
		} else {
			*username = name
		}
		if _, ok := verr.Fields["email"]; ok {
			*email = ""
		} else {
			*email = addr
		}
	}
}

func createSuperuser(ctx context.Context, env *Env, username, email, password string) error {
	_, err := auth.CreateSuperuser(ctx, username, email, password)
	var verr *orm.ValidationError
	if errors.As(err, &verr) {
		fields := make([]string, 0, len(verr.Fields))
		for f := range verr.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			for _, msg := range verr.Fields[f] {
				fmt.Fprintf(env.Stderr, "Error (%s): %s\n", f, msg)
			}
		}
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "Superuser created successfully.")
	return nil
}

// readPassword reads a password without echoing it when stdin is the
// terminal itself, and as a plain line otherwise (tests, pipes).
func readPassword(env *Env, in *bufio.Reader, prompt string) (string, error) {
	fmt.Fprint(env.Stdout, prompt)
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stdout)
		return string(b), err
	}
	return readLine(in)
}
