package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/quarry-go/quarry/orm"
)

// A command is one subcommand of web, like one of Django's management
// commands. Its run function gets the arguments after the command's name and
// returns nil, errUsage for a command line it could not understand (already
// reported), flag.ErrHelp after printing its flags, or any other error.
type command struct {
	name    string
	args    string // the positional arguments for the usage line, like "[VERSION]"; empty for none
	summary string // one line, shown by `web help`
	run     func(ctx context.Context, env *environment, args []string) error
}

// commands is the table of subcommands, in the order `web help` lists them.
// To add one, write its run function in its own file and add a line here.
// It is a function rather than a variable because help reads the table it
// belongs to, which Go does not allow in a variable's initializer.
func commands() []command {
	return []command{
		{name: "serve", summary: "run the web server (the default when no command is given)", run: runServe},
		{name: "demo", summary: "serve with demo content: migrate, seed the blog and the shop, make a demo shopper", run: runDemo},
		{name: "seed", summary: "fill the database with demo blog posts, products, customers, orders and reviews (idempotent)", run: runSeed},
		{name: "makemigrations", summary: "write the next migration from the changes to the models (no database needed)", run: runMakemigrations},
		{name: "migrate", args: "[VERSION]", summary: "apply pending migrations, or migrate forward or back to VERSION (0 or zero: none)", run: runMigrate},
		{name: "showmigrations", summary: "list the migrations, applied or pending", run: runShowMigrations},
		{name: "sqlmigrate", args: "VERSION", summary: "print the SQL of one migration (--down: of its rollback)", run: runSQLMigrate},
		{name: "createsuperuser", summary: "create a user who can do everything in the admin (asks, or --noinput with QUARRY_SUPERUSER_PASSWORD)", run: runCreateSuperuser},
		{name: "changepassword", args: "USERNAME", summary: "set a user's password (asked twice on the terminal) and sign them out everywhere", run: runChangePassword},
		{name: "check", summary: "check the models and the admin for problems, such as lists no index serves (--fail-level warning for CI)", run: runCheck},
		{name: "clearsessions", summary: "delete expired sessions and stale login-throttling rows (run it from cron)", run: runClearSessions},
		{name: "help", args: "[COMMAND]", summary: "list the commands, or show one command's flags: web help COMMAND", run: runHelp},
	}
}

// defaultCommand runs when web is given no command, or only flags, so that
// `go run ./cmd/web` serves the site as Django's runserver would.
const defaultCommand = "serve"

// environment is the part of the process a command may use. Commands get it
// instead of reaching for os.Stdout and os.Getenv so tests can run them.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	stdin          io.Reader
	interactive    bool // stdin is a terminal: a command may ask questions
}

// errUsage means the command line was wrong and the command has already said
// why on stderr; web exits with status 2, as flag-parsing tools do.
var errUsage = errors.New("usage error")

// run executes the command named by args and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	installApps()
	env := &environment{stdout: stdout, stderr: stderr, getenv: getenv, stdin: os.Stdin, interactive: isTerminal(os.Stdin)}
	name := defaultCommand
	if len(args) > 0 {
		switch {
		case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
			name, args = "help", args[1:]
		case !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		}
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "web: unknown command %q\n\n", name)
		printHelp(stderr)
		return 2
	}
	err := cmd.run(ctx, env, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "web %s: %v\n", name, err)
		return 1
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func runHelp(ctx context.Context, env *environment, args []string) error {
	switch len(args) {
	case 0:
		printHelp(env.stdout)
		return nil
	case 1:
		cmd, ok := lookup(args[0])
		if !ok {
			fmt.Fprintf(env.stderr, "web help: unknown command %q\n\n", args[0])
			printHelp(env.stderr)
			return errUsage
		}
		// Every command's flag set answers -h with its usage.
		return cmd.run(ctx, env, []string{"-h"})
	default:
		fmt.Fprintln(env.stderr, "usage: web help [COMMAND]")
		return errUsage
	}
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, "Usage: web [COMMAND] [FLAGS]\n\n")
	fmt.Fprint(w, "Quarry's command line, like Django's manage.py. With no command, web serves the site.\n\n")
	fmt.Fprint(w, "Commands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun 'web help COMMAND' for a command's flags.\n")
}

// newFlagSet returns the flag set for the named command, reporting to stderr
// and returning errors instead of exiting, so run decides the exit code.
func newFlagSet(env *environment, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		cmd, _ := lookup(name)
		args := ""
		if cmd.args != "" {
			args = " " + cmd.args
		}
		fmt.Fprintf(fs.Output(), "Usage: web %s%s [FLAGS]\n\n%s\n\nFlags:\n", name, args, cmd.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs and rejects positional arguments, which no
// command takes yet.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "web %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}

// parseFlagsArgs parses args into fs, allowing flags before and after the
// positional arguments (`web migrate 3 --fake` as well as `web migrate
// --fake 3`, which the flag package alone stops reading at "3"), and
// returns the positional ones. It rejects fewer than min or more than max.
func parseFlagsArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) > max:
		fmt.Fprintf(fs.Output(), "web %s: unexpected argument %q\n", fs.Name(), pos[max])
	case len(pos) < min:
		fmt.Fprintf(fs.Output(), "web %s: missing argument\n", fs.Name())
	default:
		return pos, nil
	}
	fs.Usage()
	return nil, errUsage
}

// isTerminal asks the terminal driver: /dev/null is a character device too,
// and a command run with it as stdin must not wait for answers.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readLine reads one answer; io.EOF only when the input ended before any
// character of it.
func readLine(in *bufio.Reader) (string, error) {
	line, err := in.ReadString('\n')
	if errors.Is(err, io.EOF) && line != "" {
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}

// hasTable reports whether the database has the table yet (a command may
// run before the migration that creates it).
func hasTable(ctx context.Context, table string) bool {
	_, err := orm.Exec(ctx, "SELECT 1 FROM "+quoteIdent(table)+" WHERE 1 = 0")
	return err == nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
