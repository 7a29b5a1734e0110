package manage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
)

// runMakemigrations is Django's makemigrations: for each installed app
// with a migrations folder, it diffs the app's models against the schema
// state recorded with its latest migration (DIR/state.json) and writes
// the app's next migration for each engine, as goose files, into the
// app's folder (App.MigrationsDir, under the module's root). No database
// is needed.
func runMakemigrations(ctx context.Context, env *Env, args []string) error {
	fs := env.FlagSet("makemigrations")
	only := fs.String("app", "", "only this app (needed with --dir or --empty when several apps have migrations)")
	dir := fs.String("dir", "", "the app's migrations folder: DIR/postgres, DIR/sqlite and DIR/state.json (default: the app's own, under the module's root)")
	name := fs.String("name", "", "the migration's name (default: made from its operations)")
	empty := fs.Bool("empty", false, "write an empty migration to fill in by hand (a data migration)")
	dryRun := fs.Bool("dry-run", false, "print the migration instead of writing it")
	check := fs.Bool("check", false, "write nothing; exit 1, naming the changes, when the models and the migrations disagree")
	noRename := fs.Bool("no-rename", false, "answer every rename question no: drop the old column and add the new one")
	var renames, defaults listFlag
	fs.Var(&renames, "rename", "answer a rename question yes without asking: TABLE.OLD:NEW (repeatable)")
	fs.Var(&defaults, "default", "a one-off default for the existing rows of a new NOT NULL column: TABLE.COLUMN=SQL (repeatable)")
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	if *name != "" && !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(*name) {
		return fmt.Errorf("--name %q: use lower-case letters, digits and _", *name)
	}

	// The apps to write for, each with its folder.
	type target struct {
		app app.App
		dir string
	}
	var targets []target
	if *only != "" || *dir != "" || *empty {
		cfg := migrationsConfig{app: *only}
		a, err := cfg.chosen(env)
		if err != nil {
			return err
		}
		d := *dir
		if d == "" {
			if d, err = appDir(a); err != nil {
				return err
			}
		}
		targets = append(targets, target{a, d})
	} else {
		_, module := moduleRoot()
		for _, a := range migrationApps(env) {
			if a.MigrationsDir == "" || !inModule(a, module) {
				continue // an app of another module, shipped with its migrations
			}
			d, err := appDir(a)
			if err != nil {
				return err
			}
			targets = append(targets, target{a, d})
		}
	}
	if len(targets) == 0 {
		return errors.New("no installed app of this module has a migrations folder to write to (App.MigrationsDir)")
	}
	in := bufio.NewReader(env.Stdin)
	var changes []string
	for _, t := range targets {
		mk := makeMigration{env: env, in: in, app: t.app, dir: t.dir, name: *name, empty: *empty, dryRun: *dryRun, check: *check,
			noRename: *noRename, renames: renames, defaults: defaults, several: len(targets) > 1}
		changed, err := mk.run()
		if err != nil {
			if len(targets) > 1 {
				return fmt.Errorf("app %s: %w", t.app.Label, err)
			}
			return err
		}
		if changed {
			changes = append(changes, t.app.Label)
		}
	}
	if len(changes) == 0 {
		fmt.Fprintln(env.Stdout, "No changes detected")
		return nil
	}
	if *check {
		return fmt.Errorf("the models and the migrations disagree: run %s makemigrations", env.project.name())
	}
	return nil
}

// appDir is the app's migrations folder on disk: App.MigrationsDir under
// the root of the module in the working directory (the folder holding
// go.mod), so that makemigrations runs from anywhere in the module.
func appDir(a app.App) (string, error) {
	if a.MigrationsDir == "" {
		return "", fmt.Errorf("app %s has no migrations folder (App.MigrationsDir): give one with --dir", a.Label)
	}
	if filepath.IsAbs(a.MigrationsDir) {
		return a.MigrationsDir, nil
	}
	root, _ := moduleRoot()
	if root == "" {
		return a.MigrationsDir, nil // no module: relative to the working directory
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return filepath.Rel(wd, filepath.Join(root, a.MigrationsDir))
}

// moduleRoot finds the Go module the working directory is in: its folder
// and its path, or empty strings outside any module.
func moduleRoot() (dir, path string) {
	wd, err := os.Getwd()
	if err != nil {
		return "", ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					return d, strings.Trim(f[1], `"`)
				}
			}
			return d, ""
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

// inModule reports whether the app's models are declared in the module
// (its package path starts with the module's): makemigrations writes only
// for the project's own apps, as those of other modules, Quarry's when it
// is a dependency, ship with their migrations. Outside a module every app
// with a folder counts.
func inModule(a app.App, module string) bool {
	if module == "" {
		return true
	}
	for _, m := range a.Models {
		am := m.Model()
		if am == nil {
			continue
		}
		t := reflect.TypeOf(am.New())
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil || t.PkgPath() == "" {
			continue
		}
		return t.PkgPath() == module || strings.HasPrefix(t.PkgPath(), module+"/")
	}
	return false
}

// makeMigration is one app's run of makemigrations.
type makeMigration struct {
	env                  *Env
	in                   *bufio.Reader
	app                  app.App
	dir, name            string
	empty, dryRun, check bool
	noRename             bool
	renames, defaults    listFlag
	several              bool // several apps are written for: name the app in the output
}

// run writes (or prints, or checks) the app's next migration and reports
// whether there was one.
func (mk *makeMigration) run() (bool, error) {
	env, dir := mk.env, mk.dir
	prev, err := readState(filepath.Join(dir, "state.json"))
	if err != nil {
		return false, err
	}
	next, err := nextVersion(dir)
	if err != nil {
		return false, err
	}
	if prev == nil && next > 1 {
		return false, fmt.Errorf("%s has migrations but no state.json: it is written with each migration and cannot be rebuilt from them", dir)
	}
	models, err := orm.StateOf(mk.app.Models)
	if err != nil {
		return false, err
	}

	var plan *orm.MigrationPlan
	if mk.empty {
		plan = &orm.MigrationPlan{}
	} else {
		opts := orm.DiffOptions{
			Rename:  renameAnswer(env, mk.in, mk.renames, mk.noRename),
			Default: defaultAnswer(env, mk.in, mk.defaults),
		}
		if mk.check {
			// Only whether there are changes matters: nothing is asked.
			opts = orm.DiffOptions{
				Rename:  func(string, string, string, string) (bool, error) { return false, nil },
				Default: func(string, string, string) (any, error) { return orm.SQLLiteral("NULL"), nil },
			}
		}
		plan, err = orm.Diff(prev, models, opts)
		if err != nil {
			return false, err
		}
		if plan.Empty() {
			return false, nil
		}
	}
	if mk.check {
		if mk.several {
			fmt.Fprintf(env.Stdout, "Changes to %s not in a migration yet:\n", mk.app.Label)
		} else {
			fmt.Fprintln(env.Stdout, "Changes not in a migration yet:")
		}
		for _, op := range plan.Ops {
			fmt.Fprintln(env.Stdout, "  - "+op.Describe())
		}
		return true, nil
	}

	base := mk.name
	switch {
	case base != "":
	case mk.empty:
		base = "data"
	default:
		base = plan.Name()
	}
	file := fmt.Sprintf("%05d_%s.sql", next, base)
	contents := map[string][]byte{}
	for _, vendor := range []string{"postgres", "sqlite"} {
		up, down, err := plan.SQL(vendor)
		if err != nil {
			return false, err
		}
		contents[vendor] = migrationFile(env.project.name(), plan, up, down, mk.empty)
	}
	if mk.dryRun {
		for _, vendor := range []string{"postgres", "sqlite"} {
			fmt.Fprintf(env.Stdout, "-- %s\n%s\n", filepath.Join(dir, vendor, file), contents[vendor])
		}
		return true, nil
	}
	var state bytes.Buffer
	if mk.empty && prev != nil {
		models = prev // a data migration changes no schema
	}
	if err := models.WriteJSON(&state); err != nil {
		return false, err
	}
	for _, vendor := range []string{"postgres", "sqlite"} {
		if err := os.MkdirAll(filepath.Join(dir, vendor), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(filepath.Join(dir, vendor, file), contents[vendor], 0o644); err != nil {
			return false, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "state.json"), state.Bytes(), 0o644); err != nil {
		return false, err
	}
	if mk.several {
		fmt.Fprintf(env.Stdout, "Migrations for %s:\n  %s\n  %s\n", mk.app.Label, filepath.Join(dir, "postgres", file), filepath.Join(dir, "sqlite", file))
	} else {
		fmt.Fprintf(env.Stdout, "Migrations written:\n  %s\n  %s\n", filepath.Join(dir, "postgres", file), filepath.Join(dir, "sqlite", file))
	}
	for _, op := range plan.Ops {
		fmt.Fprintln(env.Stdout, "    - "+op.Describe())
	}
	return true, nil
}

// migrationFile is a goose migration: the operations as comments, then the
// Up and Down sections.
func migrationFile(program string, plan *orm.MigrationPlan, up, down []string, empty bool) []byte {
	var b bytes.Buffer
	b.WriteString("-- Generated by " + program + " makemigrations.\n")
	for _, op := range plan.Ops {
		b.WriteString("-- " + op.Describe() + "\n")
	}
	b.WriteString("\n-- +goose Up\n")
	if empty {
		b.WriteString("-- Write the migration's SQL here, and what undoes it under Down.\n")
	}
	for _, s := range up {
		b.WriteString(s + ";\n")
	}
	b.WriteString("\n-- +goose Down\n")
	for _, s := range down {
		b.WriteString(s + ";\n")
	}
	return b.Bytes()
}

// readState reads the recorded schema state; nil when there is none yet.
func readState(path string) (*orm.SchemaState, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := orm.ReadSchemaState(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// nextVersion is one more than the latest migration's number, as goose
// reads the folders; both engines' folders must agree on it.
func nextVersion(dir string) (int64, error) {
	latest := map[string]int64{}
	for _, vendor := range migrations.Vendors {
		list, err := migrations.List(os.DirFS(filepath.Join(dir, vendor)))
		if err != nil {
			return 0, err
		}
		if len(list) > 0 {
			latest[vendor] = list[len(list)-1].Version
		}
	}
	if latest["postgres"] != latest["sqlite"] {
		return 0, fmt.Errorf("%s/postgres ends at migration %d but %s/sqlite at %d: each migration is written for both", dir, latest["postgres"], dir, latest["sqlite"])
	}
	return latest["postgres"] + 1, nil
}

// renameAnswer answers "did you rename this column?" from --rename and
// --no-rename, else by asking on a terminal; with neither it refuses, as
// guessing could drop a column's data.
func renameAnswer(env *Env, in *bufio.Reader, renames listFlag, no bool) func(table, from, to, kind string) (bool, error) {
	return func(table, from, to, kind string) (bool, error) {
		if slices.Contains(renames, table+"."+from+":"+to) {
			return true, nil
		}
		if no {
			return false, nil
		}
		if !env.Interactive {
			return false, fmt.Errorf("%s.%s is gone and %s.%s (a %s) is new: pass --rename %s.%s:%s to rename the column and keep its data, or --no-rename to drop it and add the new one",
				table, from, table, to, kind, table, from, to)
		}
		fmt.Fprintf(env.Stdout, "Did you rename %s.%s to %s.%s (a %s)? [y/N] ", table, from, table, to, kind)
		line, err := readLine(in)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		answer := strings.ToLower(strings.TrimSpace(line))
		return answer == "y" || answer == "yes", nil
	}
}

// defaultAnswer supplies the one-off default that fills the existing rows
// of a new NOT NULL column, from --default or asked on a terminal.
func defaultAnswer(env *Env, in *bufio.Reader, defaults listFlag) func(table, column, kind string) (any, error) {
	return func(table, column, kind string) (any, error) {
		if v, ok := defaults.value(table + "." + column); ok {
			return orm.SQLLiteral(v), nil
		}
		if !env.Interactive {
			return nil, fmt.Errorf("the new column %s.%s (a %s) is NOT NULL and has no default, so the table's existing rows need a value: pass --default %s.%s=VALUE (an SQL literal), or give the field a default or Null()",
				table, column, kind, table, column)
		}
		fmt.Fprintf(env.Stdout, "The new column %s.%s (a %s) is NOT NULL and has no default; the existing rows need one.\n"+
			"Enter a one-off default as an SQL literal (0, 'none', CURRENT_TIMESTAMP), or nothing to stop: ", table, column, kind)
		line, err := readLine(in)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if v := strings.TrimSpace(line); v != "" {
			return orm.SQLLiteral(v), nil
		}
		return nil, errors.New("stopped: no default given, nothing written")
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// value finds KEY=VALUE for key.
func (l listFlag) value(key string) (string, bool) {
	for _, s := range l {
		if k, v, ok := strings.Cut(s, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
