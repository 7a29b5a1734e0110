package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

func TestCreateSuperuser(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"DATABASE_URL": url}
		if code, _, stderr := runWeb(t, t.Context(), vars, "createsuperuser", "--noinput", "--username", "root"); code != 1 || !strings.Contains(stderr, "web migrate") {
			t.Fatalf("before migrate: %d %s", code, stderr)
		}
		webAt(t, url, 0, "migrate")
		ctx := migrationstest.OpenURL(t, url)
		// migrate made every model's permissions, as Django's post_migrate does.
		if n, err := auth.Permissions.Objects().Filter(orm.Q{"content_type": "auth.user"}).Count(ctx); err != nil || n != 4 {
			t.Fatalf("auth.user permissions = %d, %v", n, err)
		}

		if code, _, stderr := runWeb(t, t.Context(), vars, "createsuperuser", "--noinput", "--username", "root"); code != 1 || !strings.Contains(stderr, "QUARRY_SUPERUSER_PASSWORD") {
			t.Fatalf("no password: %d %s", code, stderr)
		}
		vars["QUARRY_SUPERUSER_PASSWORD"] = "correct horse battery"
		code, stdout, stderr := runWeb(t, t.Context(), vars, "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com")
		if code != 0 || !strings.Contains(stdout, "Superuser created successfully.") {
			t.Fatalf("createsuperuser: %d %s %s", code, stdout, stderr)
		}
		u, err := auth.Users.Objects().Get(ctx, orm.Q{"username": "root"})
		if err != nil || !u.IsSuperuser || !u.IsStaff || !u.IsActive || u.Email != "root@example.com" {
			t.Fatalf("the superuser: %+v, %v", u, err)
		}
		if ok, err := auth.CheckPassword(ctx, u, "correct horse battery"); !ok || err != nil {
			t.Fatalf("password check: %v, %v", ok, err)
		}
		if strings.Contains(stdout+stderr, "correct horse") {
			t.Fatal("the password was printed")
		}
		code, _, stderr = runWeb(t, t.Context(), vars, "createsuperuser", "--noinput", "--username", "root")
		if code != 1 || !strings.Contains(stderr, "A user with that username already exists.") {
			t.Fatalf("duplicate: %d %s", code, stderr)
		}

		// On a terminal: the passwords must match, a short one is refused
		// and asked again, then the user is made.
		var out, errOut bytes.Buffer
		env := &manage.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }, Interactive: true,
			Stdin: strings.NewReader("admin\nadmin@example.com\nsecret-one\nsecret-two\nadmin\nadmin@example.com\nshort\nshort\nn\nlong enough pw\nlong enough pw\n")}
		if err := project.Call(context.Background(), env, "createsuperuser", []string{"--database", url}...); err != nil {
			t.Fatalf("Interactive: %v\n%s", err, errOut.String())
		}
		for _, want := range []string{"Your passwords didn't match.", "This password is too short."} {
			if !strings.Contains(errOut.String(), want) {
				t.Fatalf("interactive errors lack %q:\n%s", want, errOut.String())
			}
		}
		if _, err := auth.Users.Objects().Get(ctx, orm.Q{"username": "admin", "is_superuser": true}); err != nil {
			t.Fatal(err)
		}

		// Django's four rules apply, without a terminal too.
		vars["QUARRY_SUPERUSER_PASSWORD"] = "12345678"
		code, _, stderr = runWeb(t, t.Context(), vars, "createsuperuser", "--noinput", "--username", "ops")
		if code != 1 || !strings.Contains(stderr, "This password is too common.") || !strings.Contains(stderr, "This password is entirely numeric.") {
			t.Fatalf("a common numeric password: %d %s", code, stderr)
		}
		// On a terminal the person typing may overrule them, as in Django.
		out.Reset()
		errOut.Reset()
		env.Stdin = strings.NewReader("operator\n\noperator1\noperator1\ny\n")
		if err := project.Call(context.Background(), env, "createsuperuser", []string{"--database", url}...); err != nil {
			t.Fatalf("bypass: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "The password is too similar to the username.") ||
			!strings.Contains(out.String(), "Bypass password validation and create user anyway? [y/N]") ||
			!strings.Contains(out.String(), "Superuser created successfully.") {
			t.Fatalf("bypass: stdout %q, stderr %q", out.String(), errOut.String())
		}
		if u, err := auth.Users.Objects().Get(ctx, orm.Q{"username": "operator", "is_superuser": true}); err != nil {
			t.Fatal(err)
		} else if ok, _ := auth.CheckPassword(ctx, u, "operator1"); !ok {
			t.Fatal("the bypassed password was not set")
		}
	})
}
