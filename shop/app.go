package shop

import (
	"embed"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/app"
)

// App is the shop app: the catalog, customers, orders and reviews, their
// admin and reports, the receivers that make customers and keep ratings
// current, and the storefront's pages.
var App = app.App{
	Label:         "shop",
	Requires:      []string{"auth", "admin", "jobs"},
	Models:        Models(),
	Migrations:    app.Folder(migrationFiles, "migrations"),
	MigrationsDir: "shop/migrations",
	Admin:         registerAdmin,
	Ready:         connectSignals,
	Routes:        func(e *echo.Echo, _ app.Server) { Mount(e) },
}

// migrationFiles holds the app's migrations folder: postgres/, sqlite/
// and state.json.
//
//go:embed migrations
var migrationFiles embed.FS
