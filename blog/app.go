package blog

import (
	"embed"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/app"
)

// App is the blog app: posts, comments and profiles, their admin, the
// receivers that give each user a profile and log deleted posts, and the
// pages under /blog/.
var App = app.App{
	Label:         "blog",
	Requires:      []string{"auth", "admin"},
	Models:        Models(),
	Migrations:    app.Folder(migrationFiles, "migrations"),
	MigrationsDir: "blog/migrations",
	Admin:         registerAdmin,
	Ready:         connectSignals,
	Routes:        func(e *echo.Echo, _ app.Server) { Mount(e) },
}

// migrationFiles holds the app's migrations folder: postgres/, sqlite/
// and state.json.
//
//go:embed migrations
var migrationFiles embed.FS
