package blog

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// TestMain installs the blog as the program does: its admin on the
// default site, its receivers connected.
func TestMain(m *testing.M) {
	app.MustInstall(admin.Default, admin.App, App)
	os.Exit(m.Run())
}

// allModels are the tables the blog's tests need: auth's, the admin's log
// (the blog registers its admin) and the blog's own.
func allModels() []*orm.Meta {
	return append(append(auth.Models(), admin.Models()...), Models()...)
}

func each(t *testing.T, fn func(t *testing.T, ctx context.Context)) {
	ormtest.Each(t, allModels(), fn)
}

// user makes an active user (and, through the signal, its profile).
func user(t *testing.T, ctx context.Context, username string) *auth.User {
	t.Helper()
	u := auth.Users.New()
	u.Username, u.IsActive = username, true
	auth.SetUnusablePassword(u)
	if err := auth.Users.Save(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// post makes a post by author; edit adjusts it before the save.
func post(t *testing.T, ctx context.Context, author *auth.User, title string, edit ...func(*Post)) *Post {
	t.Helper()
	p := Posts.New()
	p.Title, p.Slug, p.Body = title, slugify(title), "Body of "+title
	p.Author.Set(author)
	for _, f := range edit {
		f(p)
	}
	if err := Posts.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// backdate sets a post's created_at, which auto_now_add fixes at insert.
func backdate(t *testing.T, ctx context.Context, p *Post, when time.Time) {
	t.Helper()
	if _, err := Posts.Objects().Filter(orm.Q{"pk": p.ID}).Update(ctx, orm.Values{"created_at": when}); err != nil {
		t.Fatal(err)
	}
	p.CreatedAt = when
}

func slugify(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r >= 'A' && r <= 'Z':
			out = append(out, r+'a'-'A')
		case len(out) > 0 && out[len(out)-1] != '-':
			out = append(out, '-')
		}
	}
	return fmt.Sprint(string(out))
}
