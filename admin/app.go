package admin

import (
	"embed"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
)

// App is the admin app (Django's django.contrib.admin): its log of
// changes, the admin of auth's users and groups, and the site's pages
// under /admin/.
var App = app.App{
	Label:         "admin",
	Requires:      []string{"auth"},
	Models:        Models(),
	Migrations:    app.Folder(migrationFiles, "migrations"),
	MigrationsDir: "admin/migrations",
	Admin:         func(s app.Site) { registerAuth(s.(*Site)) },
	Routes: func(e *echo.Echo, s app.Server) {
		site := s.Site.(*Site)
		// Staff reset a forgotten password as everyone does, on the
		// auth app's page.
		site.PasswordResetURL = auth.PasswordResetPath
		site.Mount(e)
	},
}

// Sessions returns the session store and the sign-in throttle the site
// signs users in with, which the site's own pages share
// (auth.SessionSite).
func (s *Site) Sessions() (*auth.Store, auth.Throttle, bool) { return s.Store, s.Throttle, s.Secure }

// migrationFiles holds the app's migrations folder: postgres/, sqlite/
// and state.json.
//
//go:embed migrations
var migrationFiles embed.FS
