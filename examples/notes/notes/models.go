// Package notes is the example project's one app: notebooks of notes,
// each notebook kept by a user. It is all a Quarry app needs: models, their
// admin, a page, and its migrations, declared as App in app.go.
package notes

import (
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// Notebook is a user's collection of notes.
type Notebook struct {
	ID        int64
	Title     string
	Owner     orm.FK[auth.User]
	CreatedAt time.Time
}

func (n *Notebook) String() string { return n.Title }

var Notebooks = orm.Define("notes", func(n *Notebook, m *orm.Schema) {
	m.Char(&n.Title, orm.MaxLength(100))
	m.ForeignKey(&n.Owner, orm.OnDelete(orm.Cascade), orm.RelatedName("notebooks"))
	m.DateTime(&n.CreatedAt, orm.AutoNowAdd())
	m.Meta(orm.Ordering("title"), orm.Index("title", "id"))
})

// Note is one note in a notebook.
type Note struct {
	ID        int64
	Notebook  orm.FK[Notebook]
	Text      string
	Pinned    bool
	UpdatedAt time.Time
}

func (n *Note) String() string {
	if len(n.Text) > 40 {
		return n.Text[:40] + "…"
	}
	return n.Text
}

var Notes = orm.Define("notes", func(n *Note, m *orm.Schema) {
	m.ForeignKey(&n.Notebook, orm.OnDelete(orm.Cascade), orm.RelatedName("notes"))
	m.Text(&n.Text)
	m.Boolean(&n.Pinned, orm.Default(false))
	m.DateTime(&n.UpdatedAt, orm.AutoNow())
	m.Meta(orm.Ordering("-updated_at"), orm.Index("-updated_at", "-id"), orm.Index("pinned", "id"))
})

// Models lists the app's models.
func Models() []*orm.Meta { return []*orm.Meta{Notebooks.Meta, Notes.Meta} }
