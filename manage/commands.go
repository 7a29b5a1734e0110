// Package manage is Django's manage.py for a Go module built on Quarry:
// a project lists its apps and its own commands in a Project, and its main
// calls Main. The commands (serve, makemigrations, migrate, …) work on
// the installed apps: their models, their migrations folders, their
// admin and their routes.
package manage

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/riverqueue/river"
	"golang.org/x/term"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
)

// Project is a program built on Quarry, as a Django project: its apps
// (INSTALLED_APPS) and its own commands. Its main is a few lines:
//
//	func main() {
//		manage.Main(manage.Project{
//			Name: "notes",
//			Apps: []app.App{auth.App, admin.App, jobs.App, schema.App, notes.App},
//		})
//	}
//
// The program then answers Django's management commands: serve (the
// default), makemigrations, migrate, showmigrations, sqlmigrate,
// createsuperuser, changepassword, check, clearsessions and help, and
// the project's own.
type Project struct {
	// Name is the program's name in its usage lines: "notes".
	Name string
	// Apps are the installed apps; each is installed once, after the apps
	// it requires, and their migrations run in that order.
	Apps []app.App
	// Commands are the project's own commands, listed after the built-in
	// ones; one with a built-in command's name replaces it.
	Commands []Command
	// Jobs, when set, runs as the job queue starts in serve: it may add
	// the project's workers, and wire what enqueues jobs (the site's name
	// and address are s.Name and s.URL).
	Jobs func(workers *river.Workers, s app.Server)

	// Site is the admin site the apps register with; nil means
	// admin.Default.
	Site *admin.Site
}

// A Command is one subcommand, like one of Django's management commands.
// Run gets the arguments after the command's name and returns nil,
// ErrUsage for a command line it could not understand (already
// reported), flag.ErrHelp after printing its flags, or any other error.
type Command struct {
	Name    string
	Args    string // the positional arguments for the usage line, like "[VERSION]"; empty for none
	Summary string // one line, shown by help
	Run     func(ctx context.Context, env *Env, args []string) error
}

// builtins is the table of built-in commands, in the order help lists
// them. To add one, write its run function in its own file and add a
// line here.
func builtins() []Command {
	return []Command{
		{Name: "serve", Summary: "run the web server (the default when no command is given)", Run: runServe},
		{Name: "makemigrations", Summary: "write the next migration of each app from the changes to its models (no database needed)", Run: runMakemigrations},
		{Name: "migrate", Args: "[VERSION]", Summary: "apply pending migrations, or migrate forward or back to VERSION (0 or zero: none)", Run: runMigrate},
		{Name: "showmigrations", Summary: "list the migrations, applied or pending", Run: runShowMigrations},
		{Name: "sqlmigrate", Args: "VERSION", Summary: "print the SQL of one migration (--down: of its rollback)", Run: runSQLMigrate},
		{Name: "createsuperuser", Summary: "create a user who can do everything in the admin (asks, or --noinput with QUARRY_SUPERUSER_PASSWORD)", Run: runCreateSuperuser},
		{Name: "changepassword", Args: "USERNAME", Summary: "set a user's password (asked twice on the terminal) and sign them out everywhere", Run: runChangePassword},
		{Name: "check", Summary: "check the models and the admin for problems, such as lists no index serves (--fail-level warning for CI)", Run: runCheck},
		{Name: "clearsessions", Summary: "delete expired sessions and stale login-throttling rows (run it from cron)", Run: runClearSessions},
		{Name: "help", Args: "[COMMAND]", Summary: "list the commands, or show one command's flags: help COMMAND", Run: runHelp},
	}
}

// CommandList returns the project's commands in the order help lists
// them: serve first, then the project's own, then the other built-in ones.
func (p *Project) CommandList() []Command { return p.commands() }

func (p *Project) commands() []Command {
	var out []Command
	own := map[string]bool{}
	for _, c := range p.Commands {
		own[c.Name] = true
	}
	for i, c := range builtins() {
		if !own[c.Name] {
			out = append(out, c)
		}
		if i == 0 {
			out = append(out, p.Commands...)
		}
	}
	return out
}

// defaultCommand runs when the program is given no command, or only
// flags, so that `go run .` serves the site as Django's runserver would.
const defaultCommand = "serve"

// Env is the part of the process a command may use. Commands get it
// instead of reaching for os.Stdout and os.Getenv so tests can run them.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Stdin          io.Reader
	Interactive    bool // Stdin is a terminal: a command may ask questions

	project *Project
	apps    []app.App // the project's apps, each after those it requires
}

// Project is the project the command runs for.
func (env *Env) Project() *Project { return env.project }

// Apps are the installed apps, each after the apps it requires.
func (env *Env) Apps() []app.App { return env.apps }

// ErrUsage means the command line was wrong and the command has already
// said why on stderr; the program exits with status 2, as flag-parsing
// tools do.
var ErrUsage = errors.New("usage error")

// Main runs the command named by os.Args and exits with its status.
// SIGINT and SIGTERM cancel the command's context: serve then stops
// gracefully; a second signal ends the process at once.
func Main(p Project) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal starts a graceful shutdown, restore the
		// default handling so that a second Ctrl-C ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := p.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Run executes the command named by args and returns the process exit
// code. It installs the project's apps first.
func (p *Project) Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	env := &Env{Stdout: stdout, Stderr: stderr, Getenv: getenv, Stdin: os.Stdin, Interactive: isTerminal(os.Stdin), project: p}
	apps, err := p.Install()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", p.name(), err)
		return 1
	}
	env.apps = apps
	name := defaultCommand
	if len(args) > 0 {
		switch {
		case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
			name, args = "help", args[1:]
		case !strings.HasPrefix(args[0], "-"):
			name, args = args[0], args[1:]
		}
	}
	cmd, ok := p.lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", p.name(), name)
		p.printHelp(stderr)
		return 2
	}
	err = cmd.Run(ctx, env, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "%s %s: %v\n", p.name(), name, err)
		return 1
	}
}

// Call runs the named command with env's output, input and environment
// variables, as Django's call_command: for tests, and for a command that
// runs another. Its apps are installed first.
func (p *Project) Call(ctx context.Context, env *Env, name string, args ...string) error {
	apps, err := p.Install()
	if err != nil {
		return err
	}
	cmd, ok := p.lookup(name)
	if !ok {
		return fmt.Errorf("unknown command %q", name)
	}
	e := *env
	e.project, e.apps = p, apps
	if e.Getenv == nil {
		e.Getenv = func(string) string { return "" }
	}
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	return cmd.Run(ctx, &e, args)
}

// Install installs the project's apps on its admin site (their admin
// registered, their receivers connected) and returns them in dependency
// order. Run calls it; it may run any number of times.
func (p *Project) Install() ([]app.App, error) {
	apps, err := app.Sort(p.Apps)
	if err != nil {
		return nil, err
	}
	if err := app.Install(p.site(), apps...); err != nil {
		return nil, err
	}
	return apps, nil
}

func (p *Project) site() *admin.Site {
	if p != nil && p.Site != nil {
		return p.Site
	}
	return admin.Default
}

func (p *Project) name() string {
	if p != nil && p.Name != "" {
		return p.Name
	}
	return "manage"
}

func (p *Project) lookup(name string) (Command, bool) {
	for _, c := range p.commands() {
		if c.Name == name {
			return c, true
		}
	}
	return Command{}, false
}

func runHelp(ctx context.Context, env *Env, args []string) error {
	p := env.project
	switch len(args) {
	case 0:
		p.printHelp(env.Stdout)
		return nil
	case 1:
		cmd, ok := p.lookup(args[0])
		if !ok {
			fmt.Fprintf(env.Stderr, "%s help: unknown command %q\n\n", p.name(), args[0])
			p.printHelp(env.Stderr)
			return ErrUsage
		}
		// Every command's flag set answers -h with its usage.
		return cmd.Run(ctx, env, []string{"-h"})
	default:
		fmt.Fprintf(env.Stderr, "usage: %s help [COMMAND]\n", p.name())
		return ErrUsage
	}
}

func (p *Project) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s [COMMAND] [FLAGS]\n\n", p.name())
	fmt.Fprintf(w, "The project's command line, like Django's manage.py. With no command, %s serves the site.\n\n", p.name())
	fmt.Fprint(w, "Commands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range p.commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.Summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help COMMAND' for a command's flags.\n", p.name())
}

// FlagSet returns the flag set for the named command, reporting to stderr
// and returning errors instead of exiting, so run decides the exit code.
func (env *Env) FlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		cmd, _ := env.project.lookup(name)
		args := ""
		if cmd.Args != "" {
			args = " " + cmd.Args
		}
		fmt.Fprintf(fs.Output(), "Usage: %s %s%s [FLAGS]\n\n%s\n\nFlags:\n", env.project.name(), name, args, cmd.Summary)
		fs.PrintDefaults()
	}
	return fs
}

// ParseFlags parses args into fs and rejects positional arguments.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return ErrUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return ErrUsage
	}
	return nil
}

// ParseFlagsArgs parses args into fs, allowing flags before and after the
// positional arguments (`migrate 3 --fake` as well as `migrate
// --fake 3`, which the flag package alone stops reading at "3"), and
// returns the positional ones. It rejects fewer than min or more than max.
func ParseFlagsArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, ErrUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(pos) > max:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), pos[max])
	case len(pos) < min:
		fmt.Fprintf(fs.Output(), "%s: missing argument\n", fs.Name())
	default:
		return pos, nil
	}
	fs.Usage()
	return nil, ErrUsage
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

// HasTable reports whether the database has the table yet (a command may
// run before the migration that creates it).
func HasTable(ctx context.Context, table string) bool {
	_, err := orm.Exec(ctx, "SELECT 1 FROM "+quoteIdent(table)+" WHERE 1 = 0")
	return err == nil
}

// RequireTable is nil once the database has table, and otherwise says to
// migrate first: a command that needs an app's tables refuses to run
// before its migrations. what names the table for people ("users").
func (env *Env) RequireTable(ctx context.Context, table, what string) error {
	if HasTable(ctx, table) {
		return nil
	}
	return fmt.Errorf("the database has no %s table yet: run `%s migrate` first", what, env.project.name())
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
