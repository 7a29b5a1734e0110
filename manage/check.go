package manage

import (
	"context"
	"fmt"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
)

// runCheck is Django's check: it inspects the installed models and admin
// options without a database and prints what it finds. Today it finds the
// orders and filters no index serves, which make a list page's cost grow
// with its table. --fail-level warning makes findings fail the run (CI).
func runCheck(_ context.Context, env *Env, args []string) error {
	fs := env.FlagSet("check")
	failLevel := fs.String("fail-level", "error", "exit with status 1 on findings of this level or worse: error or warning")
	if err := ParseFlags(fs, args); err != nil {
		return err
	}
	if *failLevel != "error" && *failLevel != "warning" {
		fmt.Fprintf(env.Stderr, "%s check: --fail-level must be error or warning, not %q\n", env.project.name(), *failLevel)
		return ErrUsage
	}
	warnings := append(orm.Check(app.Models(env.apps)...), env.project.site().Check()...)
	for _, w := range warnings {
		fmt.Fprintln(env.Stdout, w)
	}
	switch {
	case len(warnings) == 0:
		fmt.Fprintln(env.Stdout, "System check identified no issues.")
	case *failLevel == "warning":
		return fmt.Errorf("system check identified %d warnings", len(warnings))
	default:
		fmt.Fprintf(env.Stdout, "System check identified %d warnings.\n", len(warnings))
	}
	return nil
}
