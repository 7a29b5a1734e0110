package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

func TestChangePassword(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		vars := map[string]string{"DATABASE_URL": url}
		if code, _, stderr := runWeb(t, t.Context(), vars, "changepassword", "bob"); code != 1 || !strings.Contains(stderr, "web migrate") {
			t.Fatalf("before migrate: %d %s", code, stderr)
		}
		webAt(t, url, 0, "migrate")
		ctx := migrationstest.OpenURL(t, url)
		bob, err := auth.CreateUser(ctx, "bob", "", "old password")
		if err != nil {
			t.Fatal(err)
		}
		carol, err := auth.CreateUser(ctx, "carol", "", "carol password")
		if err != nil {
			t.Fatal(err)
		}
		store := &auth.Store{}
		for _, u := range []*auth.User{bob, bob, carol} {
			if err := store.Login(ctx, &auth.Session{}, u); err != nil {
				t.Fatal(err)
			}
		}
		sessionsOf := func(u *auth.User) int64 {
			t.Helper()
			n, err := auth.Sessions.Objects().Filter(orm.Q{"user": u.ID}).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		passwordIs := func(raw string) bool {
			t.Helper()
			u, err := auth.Users.Objects().Get(ctx, orm.Q{"pk": bob.ID})
			if err != nil {
				t.Fatal(err)
			}
			ok, err := auth.CheckPassword(ctx, u, raw)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		// change runs the command as on a terminal, answering with input.
		change := func(input string, args ...string) (stdout, stderr string, err error) {
			t.Helper()
			var out, errOut bytes.Buffer
			env := &manage.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] },
				Interactive: true, Stdin: strings.NewReader(input)}
			err = project.Call(context.Background(), env, "changepassword", append([]string{"--database", url}, args...)...)
			return out.String(), errOut.String(), err
		}

		// Usernames are case-sensitive, and one the database cannot store
		// is as unknown as any other.
		for _, name := range []string{"nobody", "BOB", "bad\x00\xff"} {
			code, _, stderr := runWeb(t, t.Context(), vars, "changepassword", name)
			if want := "web changepassword: user " + fmt.Sprintf("%q", name) + " does not exist\n"; code != 1 || !strings.HasSuffix(stderr, want) {
				t.Fatalf("unknown user %q: exit %d, stderr %q; want 1 and %q", name, code, stderr, want)
			}
		}
		if code, _, stderr := runWeb(t, t.Context(), vars, "changepassword"); code != 2 || !strings.Contains(stderr, "missing argument") {
			t.Fatalf("no username: exit %d, want 2; stderr:\n%s", code, stderr)
		}
		var out, errOut bytes.Buffer
		env := &manage.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }, Stdin: strings.NewReader("new password\nnew password\n")}
		if err := project.Call(context.Background(), env, "changepassword", "--database", url, "bob"); err == nil || !strings.Contains(err.Error(), "terminal") {
			t.Fatalf("without a terminal: %v, want it refused", err)
		}

		// Three mismatches, or too short a password, and it gives up.
		_, stderr, err := change("one password\nanother one\nshort\nshort\nthird one\nthird two\n", "bob")
		if err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
			t.Fatalf("three failed attempts: %v, want it to give up", err)
		}
		if strings.Count(stderr, "Passwords do not match. Please try again.") != 2 ||
			!strings.Contains(stderr, "This password is too short. It must contain at least 8 characters.") {
			t.Fatalf("messages:\n%s", stderr)
		}
		if !passwordIs("old password") || sessionsOf(bob) != 2 {
			t.Fatal("a failed changepassword changed the password or ended sessions")
		}
		if _, _, err := change("new password\n", "bob"); err == nil || !strings.Contains(err.Error(), "input ended") || !passwordIs("old password") {
			t.Fatalf("input ending early: %v", err)
		}

		stdout, stderr, err := change("new password\nnew passwort\nnew password\nnew password\n", "bob")
		if err != nil {
			t.Fatalf("changepassword: %v\n%s", err, stderr)
		}
		for _, want := range []string{`Changing password for user "bob"`, `Password changed successfully for user "bob"`, "Signed out of 2 sessions."} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "Passwords do not match.") {
			t.Errorf("the mismatch was not reported:\n%s", stderr)
		}
		if strings.Contains(stdout+stderr, "new password") {
			t.Fatal("the password was printed")
		}
		if !passwordIs("new password") || passwordIs("old password") {
			t.Fatal("the password did not change")
		}
		if sessionsOf(bob) != 0 || sessionsOf(carol) != 1 {
			t.Fatalf("sessions after the change: bob %d (want 0), carol %d (want 1)", sessionsOf(bob), sessionsOf(carol))
		}
	})
}
