package main

// The apps web installs, as Django's INSTALLED_APPS: installing an app
// registers its admin and connects its receivers; makemigrations, migrate
// and the admin then see its models.
import (
	"context"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/jobs/jobsadmin"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// apps are the installed apps.
var apps = []app.App{auth.App, admin.App, jobs.App, jobsadmin.App, blog.App, shop.App}

// installApps installs the apps on the default admin site; it may run any
// number of times.
func installApps() {
	app.MustInstall(admin.Default, apps...)
	// Staff reset a forgotten password as everyone does (newServer mounts
	// auth.Accounts).
	admin.Default.PasswordResetURL = auth.PasswordResetPath
}

// afterMigrate is Django's post_migrate: once the auth tables exist, every
// model has its view/add/change/delete permissions. It is quiet and
// idempotent, so it runs after every migrate and at every start.
func afterMigrate(ctx context.Context, db *orm.DB) error {
	ctx = orm.WithDB(ctx, db)
	if !hasTable(ctx, "auth_permission") {
		return nil // migrated back before auth, or from another folder (--dir)
	}
	return auth.SyncPermissions(ctx)
}
