package main

// The apps web manages are its imports here, as Django's INSTALLED_APPS:
// importing an app's package defines its models, which makemigrations,
// migrate and the admin then see.
import (
	"context"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	_ "github.com/quarry-go/quarry/blog" // posts, comments, profiles
	"github.com/quarry-go/quarry/jobs/jobsadmin"
	"github.com/quarry-go/quarry/orm"
	_ "github.com/quarry-go/quarry/shop" // catalog, customers, orders, reviews
)

func init() {
	// The job queue is not a model: its page in the admin is added here.
	admin.Default.AddView(jobsadmin.View)
	// Staff reset a forgotten password as everyone does (newServer mounts
	// auth.Accounts).
	admin.Default.PasswordResetURL = "/accounts/password_reset/"
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
