// Package app declares what an installed app is, as Django's AppConfig:
// a label, its models, its admin registrations, its signal receivers, its
// routes and its migrations, and the apps it needs. An app's package
// declares one value (blog.App, shop.App); the program's entry point
// lists the apps it installs (manage.Project.Apps), which is Django's
// INSTALLED_APPS: nothing is wired when a package is merely imported.
//
// The package imports no app, so that every app (auth and the admin among
// them) can declare its App with it.
package app

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
)

// App is one installed app.
type App struct {
	// Label names the app, as its models' Meta.App does: "blog".
	Label string
	// Requires are the labels of the apps this one needs installed first:
	// their tables before its migrations, their admin before its own.
	Requires []string
	// Models are the app's models, which makemigrations writes migrations
	// for and check inspects.
	Models []*orm.Meta
	// Migrations is the app's migrations folder: postgres/ and sqlite/ of
	// goose files, and state.json (an embed.FS of the app's "migrations"
	// folder, or a sub-tree of one). Nil for an app without tables of its
	// own, or whose tables another app's migrations create.
	Migrations fs.FS
	// MigrationsDir is where makemigrations writes the app's next
	// migration, relative to the root of the Go module the project is
	// built from (the folder holding go.mod): "notes/migrations".
	MigrationsDir string
	// MigrationsTable is the goose version table of the app's
	// migrations; empty means "goose_" + Label + "_version" (goose_blog_version).
	MigrationsTable string
	// Admin registers the app's models with the admin site (a
	// *admin.Site), as Django's admin.py.
	Admin func(site Site)
	// Ready connects the app's signal receivers, as Django's
	// AppConfig.ready. It runs once per process however often the app is
	// installed.
	Ready func()
	// Routes mounts the app's pages.
	Routes func(e *echo.Echo, s Server)
}

// Table is the goose version table of the app's migrations.
func (a App) Table() string {
	if a.MigrationsTable != "" {
		return a.MigrationsTable
	}
	return "goose_" + a.Label + "_version"
}

// Site is the admin site apps register their models with: a *admin.Site
// (the interface keeps this package free of the admin, which imports
// auth, which declares an App).
type Site interface {
	Registered(meta *orm.Meta) bool
}

// Server is what an app's routes may need from the program serving them.
type Server struct {
	// Site is the admin site (a *admin.Site), whose session store the
	// site's pages share.
	Site Site
	// Name and URL name the site in the mail it sends and start its
	// links (SITE_NAME, SITE_URL); URL may be empty.
	Name, URL string
}

// Sort returns apps in an order where each comes after the apps it
// requires, keeping the given order otherwise. It fails on a label given
// twice, a requirement not among apps, or a cycle.
func Sort(apps []App) ([]App, error) {
	byLabel := map[string]App{}
	for _, a := range apps {
		if a.Label == "" {
			return nil, fmt.Errorf("app: an app has no label")
		}
		if _, dup := byLabel[a.Label]; dup {
			return nil, fmt.Errorf("app: %s is installed twice", a.Label)
		}
		byLabel[a.Label] = a
	}
	var out []App
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(a App, path []string) error
	visit = func(a App, path []string) error {
		switch state[a.Label] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("app: the apps require each other: %s", strings.Join(append(path, a.Label), " -> "))
		}
		state[a.Label] = 1
		for _, r := range a.Requires {
			dep, ok := byLabel[r]
			if !ok {
				return fmt.Errorf("app: %s requires %s, which is not installed", a.Label, r)
			}
			if err := visit(dep, append(path, a.Label)); err != nil {
				return err
			}
		}
		state[a.Label] = 2
		out = append(out, a)
		return nil
	}
	for _, a := range apps {
		if err := visit(a, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Models returns the models of apps, in order.
func Models(apps []App) []*orm.Meta {
	var out []*orm.Meta
	for _, a := range apps {
		for _, m := range a.Models {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

var installed struct {
	sync.Mutex
	ready map[string]bool
	admin map[Site]map[string]bool
}

// Install readies apps in dependency order (their Ready runs once per
// process) and registers their admin with site (once per site; a nil
// site registers nothing). A test installs the apps it relies on, in
// TestMain or its setup helper, as the program's entry point does.
func Install(site Site, apps ...App) error {
	sorted, err := Sort(withRequired(apps))
	if err != nil {
		return err
	}
	installed.Lock()
	defer installed.Unlock()
	if installed.ready == nil {
		installed.ready, installed.admin = map[string]bool{}, map[Site]map[string]bool{}
	}
	for _, a := range sorted {
		if !installed.ready[a.Label] {
			installed.ready[a.Label] = true
			if a.Ready != nil {
				a.Ready()
			}
		}
		if site == nil || a.Admin == nil {
			continue
		}
		done := installed.admin[site]
		if done == nil {
			done = map[string]bool{}
			installed.admin[site] = done
		}
		if !done[a.Label] {
			done[a.Label] = true
			a.Admin(site)
		}
	}
	return nil
}

// MustInstall is Install for a program's start and tests' setup, where a
// failure is a programming mistake.
func MustInstall(site Site, apps ...App) {
	if err := Install(site, apps...); err != nil {
		panic(err)
	}
}

// withRequired lets Install take apps whose requirements were installed
// by an earlier call: only the given apps are sorted among themselves.
func withRequired(apps []App) []App {
	labels := map[string]bool{}
	for _, a := range apps {
		labels[a.Label] = true
	}
	out := make([]App, len(apps))
	for i, a := range apps {
		a.Requires = slices.DeleteFunc(slices.Clone(a.Requires), func(r string) bool { return !labels[r] })
		out[i] = a
	}
	return out
}

// Folder returns the folder dir of an embedded tree, for App.Migrations:
//
//	//go:embed migrations
//	var migrationFiles embed.FS
//
//	var App = app.App{Migrations: app.Folder(migrationFiles, "migrations"), …}
//
// It panics when the tree has no such folder, a mistake the program
// finds when it starts.
func Folder(fsys fs.FS, dir string) fs.FS {
	if _, err := fs.Stat(fsys, dir); err != nil {
		panic(fmt.Sprintf("app: %v", err))
	}
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("app: %v", err))
	}
	return sub
}
