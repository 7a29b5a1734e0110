// Command notes is an example project built on Quarry: its own app
// (package notes) beside Quarry's auth and admin, run by package manage,
// Django's manage.py. From the module's root:
//
//	go run ./examples/notes makemigrations   # after changing a model
//	go run ./examples/notes migrate
//	go run ./examples/notes createsuperuser
//	go run ./examples/notes                  # serves on :8000, the admin at /admin/
package main

import (
	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/examples/notes/notes"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/manage"
)

// project is the installed apps: Django's INSTALLED_APPS. The job queue
// sends auth's password-reset mail.
var project = manage.Project{
	Name: "notes",
	Apps: []app.App{auth.App, admin.App, jobs.App, notes.App},
}

func main() { manage.Main(project) }
