package main

import (
	"github.com/riverqueue/river"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/jobs/jobsadmin"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/shop"
)

// project is Quarry's site: the apps it installs, as Django's
// INSTALLED_APPS, and its own commands.
var project = manage.Project{
	Name: "web",
	Apps: []app.App{
		auth.App,
		admin.App,
		jobs.App,
		jobsadmin.App,
		blog.App, // posts, comments, profiles
		shop.App, // catalog, customers, orders, reviews
	},
	Commands: []manage.Command{
		{Name: "demo", Summary: "serve with demo content: migrate, seed the blog and the shop, make a demo shopper", Run: runDemo},
		{Name: "seed", Summary: "fill the database with demo blog posts, products, customers, orders and reviews (idempotent)", Run: runSeed},
	},
	Jobs: func(_ *river.Workers, s app.Server) {
		// Orders are confirmed by mail, queued with the order.
		shop.OnOrderPlaced = shop.ConfirmByMail(s.Name, s.URL)
	},
}
