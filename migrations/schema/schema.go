// Package schema is the migration history of Quarry's own apps (auth,
// admin, blog, shop and the job queue) as one installable unit: the goose
// folders of package migrations, recorded in goose's default table,
// goose_db_version. A project installs it beside the apps, before its own
// apps' migrations, which may point at its tables (auth_user).
package schema

import (
	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/shop"
)

// App holds the migrations of Quarry's apps: it has no models of its own
// to serve, but its migrations are written for all of theirs, so
// makemigrations diffs them together against migrations/state.json.
var App = app.App{
	Label:           "quarry",
	Models:          app.Models([]app.App{auth.App, admin.App, blog.App, shop.App}),
	Migrations:      migrations.Files(),
	MigrationsDir:   "migrations",
	MigrationsTable: "goose_db_version",
}
