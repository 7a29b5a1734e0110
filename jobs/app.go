package jobs

import (
	"embed"

	"github.com/quarry-go/quarry/app"
)

// App is the job queue (River): it has no models, only River's tables;
// its page of failed jobs in the admin is jobsadmin.App.
var App = app.App{
	Label:      "jobs",
	Migrations: app.Folder(migrationFiles, "migrations"),
}

// migrationFiles holds River's migrations, as jobs.Migrations writes
// them (go test ./jobs -run TestRiverMigration -update).
//
//go:embed migrations
var migrationFiles embed.FS
