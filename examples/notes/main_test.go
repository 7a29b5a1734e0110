package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/examples/notes/notes"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// notesCmd runs the example's command line against the database at url.
func notesCmd(t *testing.T, url string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	vars := map[string]string{"DATABASE_URL": url}
	if code := project.Run(t.Context(), args, &out, &errOut, func(k string) string { return vars[k] }); code != 0 {
		t.Fatalf("notes %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// TestExample migrates the example project on each engine, with its own
// app's migrations beside auth's and the admin's only, and serves its
// admin and its page.
func TestExample(t *testing.T) {
	for _, vendor := range ormtest.Vendors {
		t.Run(vendor, func(t *testing.T) {
			url := migrationstest.URL(t, vendor)
			out := notesCmd(t, url, "migrate")
			for _, want := range []string{"Applying auth 00001_initial... OK", "Applying notes 00001_initial... OK"} {
				if !strings.Contains(out, want) {
					t.Errorf("migrate's output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "blog") || strings.Contains(out, "shop") {
				t.Errorf("the example migrated an app it does not install:\n%s", out)
			}
			if out := notesCmd(t, url, "showmigrations"); strings.Contains(out, "[ ]") || !strings.Contains(out, "notes\n [X] 00001_initial") {
				t.Errorf("showmigrations:\n%s", out)
			}

			db, err := orm.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := orm.WithDB(context.Background(), db)
			for table, want := range map[string]bool{"notes_note": true, "notes_notebook": true, "auth_user": true, "blog_post": false, "shop_product": false} {
				if _, err := orm.Exec(ctx, "SELECT 1 FROM "+table+" WHERE 1 = 0"); (err == nil) != want {
					t.Errorf("table %s exists: %v, want %v", table, err == nil, want)
				}
			}
			u, err := auth.CreateSuperuser(ctx, "ann", "ann@example.com", "a long password")
			if err != nil {
				t.Fatal(err)
			}
			book := &notes.Notebook{Title: "Errands"}
			book.Owner.Set(u)
			if err := notes.Notebooks.Objects().Create(ctx, book); err != nil {
				t.Fatal(err)
			}
			note := &notes.Note{Text: "Buy milk", Pinned: true}
			note.Notebook.Set(book)
			if err := notes.Notes.Objects().Create(ctx, note); err != nil {
				t.Fatal(err)
			}

			e, err := project.Handler(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			sess := &auth.Session{Data: map[string]any{}}
			if err := admin.Default.Store.Login(ctx, sess, u); err != nil {
				t.Fatal(err)
			}
			get := func(path string, signedIn bool) (int, string) {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				if signedIn {
					req.AddCookie(auth.Cookie(sess, false))
				}
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, req)
				return rec.Code, rec.Body.String()
			}
			if code, body := get("/admin/", true); code != http.StatusOK || !strings.Contains(body, "Notebooks") || !strings.Contains(body, "Users") {
				t.Errorf("GET /admin/: %d\n%.2000s", code, body)
			}
			if code, body := get("/admin/notes/note/", true); code != http.StatusOK || !strings.Contains(body, "Buy milk") {
				t.Errorf("GET /admin/notes/note/: %d\n%.2000s", code, body)
			}
			if code, body := get("/admin/blog/post/", true); code != http.StatusNotFound {
				t.Errorf("GET /admin/blog/post/ of an app not installed: %d\n%.500s", code, body)
			}
			if code, _ := get("/admin/notes/note/", false); code != http.StatusFound {
				t.Errorf("GET /admin/notes/note/ signed out: %d, want a redirect to the login", code)
			}
			if code, body := get("/", false); code != http.StatusOK || !strings.Contains(body, "- Buy milk (Errands)") {
				t.Errorf("GET /: %d\n%s", code, body)
			}
		})
	}
	// The app's migrations are up to date with its models.
	var out, errOut bytes.Buffer
	if code := project.Run(t.Context(), []string{"makemigrations", "--check"}, &out, &errOut, func(string) string { return "" }); code != 0 || !strings.Contains(out.String(), "No changes detected") {
		t.Errorf("makemigrations --check: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
