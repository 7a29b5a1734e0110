package auth

import (
	"embed"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/app"
)

// App is the auth app (Django's django.contrib.auth): users, groups,
// permissions, sessions, and the /accounts/ pages. Its models' admin is
// registered by the admin app, which imports auth.
var App = app.App{
	Label:         "auth",
	Models:        Models(),
	Migrations:    app.Folder(migrationFiles, "migrations"),
	MigrationsDir: "auth/migrations",
	Routes:        mountAccounts,
}

// PasswordResetPath is the page where a forgotten password is reset.
const PasswordResetPath = "/accounts/password_reset/"

// SessionSite is a site whose session store and throttle the account
// pages share, so that one sign-in serves both: the admin's site.
type SessionSite interface {
	Sessions() (store *Store, throttle Throttle, secure bool)
}

// mountAccounts mounts the /accounts/ pages, signing users into the admin
// site's session store.
func mountAccounts(e *echo.Echo, s app.Server) {
	a := &Accounts{Store: &Store{}, SiteName: s.Name, SiteURL: s.URL}
	if site, ok := s.Site.(SessionSite); ok {
		a.Store, a.Throttle, a.Secure = site.Sessions()
	}
	a.Mount(e)
}

// migrationFiles holds the app's migrations folder: postgres/, sqlite/
// and state.json.
//
//go:embed migrations
var migrationFiles embed.FS
