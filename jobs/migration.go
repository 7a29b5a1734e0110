package jobs

import (
	"fmt"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Migration is one of River's schema versions as a goose migration.
type Migration struct {
	Version int    // River's: 1, 2, …
	Name    string // River's: "create_river_migration"
	SQL     string // the goose file
}

// Migrations are River's schema versions of its "main" line, up to the
// version this module requires, each as the text of one goose migration
// for vendor ("postgres" or "sqlite"). One goose migration per River
// version, because River applies each in its own transaction and some
// need it (PostgreSQL cannot use an enum value in the transaction that
// added it). Each records its version in river_migration, as River's own
// migrator does, so that River's tools see the schema as migrated.
//
// A version's SQL is one goose statement (StatementBegin/End), sent as
// River sends it: several statements, function bodies included, in one
// call.
func Migrations(vendor string) ([]Migration, error) {
	var versions []rivermigrate.Migration
	var err error
	switch vendor {
	case "postgres":
		versions, err = allVersions(riverpgxv5.New(nil))
	case "sqlite":
		versions, err = allVersions(riversqlite.New(nil))
	default:
		return nil, fmt.Errorf("jobs: no River migrations for %s", vendor)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Migration, len(versions))
	for i, v := range versions {
		// river_migration gained its line column in version 5.
		record := fmt.Sprintf("INSERT INTO river_migration (version) VALUES (%d);", v.Version)
		forget := fmt.Sprintf("DELETE FROM river_migration WHERE version = %d;", v.Version)
		if v.Version >= 5 {
			record = fmt.Sprintf("INSERT INTO river_migration (line, version) VALUES ('main', %d);", v.Version)
			forget = fmt.Sprintf("DELETE FROM river_migration WHERE line = 'main' AND version = %d;", v.Version)
		}
		out[i] = Migration{Version: v.Version, Name: v.Name, SQL: fmt.Sprintf(
			"-- River's job queue, version %d (github.com/riverqueue/river), written by jobs.Migrations.\n\n"+
				"-- +goose Up\n-- +goose StatementBegin\n%s\n%s\n-- +goose StatementEnd\n\n"+
				"-- +goose Down\n-- +goose StatementBegin\n%s\n%s\n-- +goose StatementEnd\n",
			v.Version, template(v.SQLUp), record, forget, template(v.SQLDown))}
	}
	return out, nil
}

func allVersions[TTx any](d riverdriver.Driver[TTx]) ([]rivermigrate.Migration, error) {
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		return nil, err
	}
	return m.AllVersions(), nil
}

// template fills River's templates for the schema on the search path.
func template(sql string) string {
	return strings.TrimSpace(strings.ReplaceAll(sql, "/* TEMPLATE: schema */", ""))
}
