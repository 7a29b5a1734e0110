package notes

import (
	"embed"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
)

// App is the notes app, as the project's main installs it.
var App = app.App{
	Label:    "notes",
	Requires: []string{"auth", "admin"},
	Models:   Models(),
	// makemigrations writes here, a path from the module's root (go.mod);
	// the program embeds the same folder.
	Migrations:    app.Folder(migrationFiles, "migrations"),
	MigrationsDir: "examples/notes/notes/migrations",
	Admin:         registerAdmin,
	Routes:        func(e *echo.Echo, _ app.Server) { e.GET("/", pinned) },
}

// registerAdmin is the app's admin.py.
func registerAdmin(s app.Site) {
	site := s.(*admin.Site)
	admin.Register(site, Notebooks, admin.ModelAdmin[Notebook]{Options: admin.Options{
		ListDisplay:        []string{"title", "owner", "created_at"},
		SearchFields:       []string{"title"},
		SortableBy:         []string{"title"},
		AutocompleteFields: []string{"owner"},
		Inlines:            []admin.Inline{admin.Tabular(Notes, admin.InlineOptions{Fields: []string{"text", "pinned"}})},
	}})
	admin.Register(site, Notes, admin.ModelAdmin[Note]{Options: admin.Options{
		ListDisplay:  []string{"__str__", "notebook", "pinned", "updated_at"},
		ListFilter:   []string{"pinned"},
		SearchFields: []string{"text"},
		SortableBy:   []string{"updated_at"},
	}})
}

// pinned is the site's one page: the pinned notes, as plain text.
func pinned(c echo.Context) error {
	notes, err := Notes.Objects().Filter(orm.Q{"pinned": true}).SelectRelated("notebook").Limit(50).All(c.Request().Context())
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("Pinned notes\n")
	for _, n := range notes {
		book, _ := n.Notebook.Cached() // joined by SelectRelated
		fmt.Fprintf(&b, "- %s (%s)\n", n, book)
	}
	return c.String(http.StatusOK, b.String())
}

// migrationFiles holds the app's migrations folder: postgres/, sqlite/
// and state.json, written by makemigrations.
//
//go:embed migrations
var migrationFiles embed.FS
