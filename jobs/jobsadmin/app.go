package jobsadmin

import (
	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
)

// App adds the job queue's page to the admin: the job queue is not a
// model, so it is a view of its own.
var App = app.App{
	Label:    "jobsadmin",
	Requires: []string{"admin", "jobs"},
	Admin:    func(s app.Site) { s.(*admin.Site).AddView(View) },
}
