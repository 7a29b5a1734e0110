package auth

import (
	"context"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

func TestPasswordUpgrade(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		hashParams = argon2Params{Memory: 32, Time: 1, Threads: 1}
		u := mustUser(t, ctx, "old", "old-password")
		hashParams = cheapParams
		t.Cleanup(func() { hashParams = cheapParams })
		weak := u.Password

		if ok, err := CheckPassword(ctx, u, "wrong-password"); ok || err != nil {
			t.Fatalf("wrong password: %v, %v", ok, err)
		}
		if u.Password != weak {
			t.Fatal("a wrong password upgraded the hash")
		}
		ok, err := CheckPassword(ctx, u, "old-password")
		if !ok || err != nil {
			t.Fatalf("right password: %v, %v", ok, err)
		}
		stored, err := Users.Objects().Get(ctx, orm.Q{"pk": u.ID})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := decode(stored.Password)
		if stored.Password == weak || d.params != cheapParams {
			t.Fatalf("stored hash not upgraded: %s", stored.Password)
		}
		if ok, _ := CheckPassword(ctx, stored, "old-password"); !ok {
			t.Fatal("upgraded hash does not check")
		}
		// A current hash is left alone: no write on every login.
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			if ok, _ := CheckPassword(ctx, stored, "old-password"); !ok {
				t.Fatal("check failed")
			}
		})
	})
}

func countPerms(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	n, err := Permissions.Objects().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncPermissions(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		if err := SyncPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		models := 0
		for _, m := range orm.Models() {
			if !m.AutoCreated {
				models++
			}
		}
		if got := countPerms(t, ctx); got != int64(4*models) {
			t.Fatalf("%d permissions for %d models", got, models)
		}
		p, err := Permissions.Objects().Get(ctx, orm.Q{"content_type": "authtest.article", "codename": "add_article"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Can add news article" || p.Perm() != "authtest.add_article" {
			t.Fatalf("got %q %q", p.Name, p.Perm())
		}
		if _, err := Permissions.Objects().Get(ctx, orm.Q{"content_type": "auth.user", "codename": "change_user"}); err != nil {
			t.Fatal("auth's own permissions: ", err)
		}
		if n, _ := Permissions.Objects().Filter(orm.Q{"content_type": "auth.user_groups"}).Count(ctx); n != 0 {
			t.Fatal("junction tables got permissions")
		}

		// Idempotent, and it fills gaps.
		if _, err := Permissions.Objects().Filter(orm.Q{"codename": "view_article"}).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := SyncPermissions(ctx); err != nil {
				t.Fatal(err)
			}
			if got := countPerms(t, ctx); got != int64(4*models) {
				t.Fatalf("after re-sync: %d permissions", got)
			}
		}
	})
}

func TestHasPerm(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		if err := SyncPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		perm := func(ct, code string) *Permission {
			p, err := Permissions.Objects().Get(ctx, orm.Q{"content_type": ct, "codename": code})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		check := func(u *User, p string, want bool) {
			t.Helper()
			got, err := HasPerm(ctx, u, p)
			if err != nil || got != want {
				t.Errorf("%s HasPerm(%q) = %v, %v; want %v", u.Username, p, got, err, want)
			}
		}

		super := mustUser(t, ctx, "root", "pw-root-123", func(u *User) { u.IsSuperuser = true })
		check(super, "authtest.add_article", true)
		check(super, "anything.at_all", true)
		super.IsActive = false
		check(super, "authtest.add_article", false)

		g, _, err := Groups.Objects().GetOrCreate(ctx, orm.Q{"name": "editors"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Permissions.Add(ctx, perm("authtest.article", "change_article"), perm("authtest.article", "view_article")); err != nil {
			t.Fatal(err)
		}
		alice := mustUser(t, ctx, "alice", "pw-alice-123")
		if err := alice.UserPermissions.Add(ctx, perm("authtest.article", "add_article")); err != nil {
			t.Fatal(err)
		}
		if err := alice.Groups.Add(ctx, g); err != nil {
			t.Fatal(err)
		}
		bob := mustUser(t, ctx, "bob", "pw-bob-1234")
		if err := bob.Groups.Add(ctx, g); err != nil {
			t.Fatal(err)
		}
		carol := mustUser(t, ctx, "carol", "pw-carol-123")
		if err := carol.UserPermissions.Add(ctx, perm("auth.user", "view_user")); err != nil {
			t.Fatal(err)
		}
		nobody := mustUser(t, ctx, "nobody", "pw-nobody-12")

		check(alice, "authtest.add_article", true)    // own
		check(alice, "authtest.change_article", true) // group's
		check(alice, "authtest.delete_article", false)
		check(bob, "authtest.view_article", true) // group only
		check(bob, "authtest.add_article", false)
		check(carol, "auth.view_user", true) // own only
		check(carol, "authtest.view_article", false)
		check(nobody, "authtest.view_article", false)

		if ok, err := HasModelPerm(ctx, alice, articles.Meta, "change"); !ok || err != nil {
			t.Errorf("HasModelPerm change = %v, %v", ok, err)
		}
		if ok, _ := HasModulePerms(ctx, carol, "authtest"); ok {
			t.Error("carol has module perms for authtest")
		}
		if ok, _ := HasModulePerms(ctx, carol, "auth"); !ok {
			t.Error("carol lacks module perms for auth")
		}
		all, err := AllPermissions(ctx, alice)
		if err != nil || len(all) != 3 {
			t.Errorf("alice's permissions: %v, %v", all, err)
		}

		inactive := mustUser(t, ctx, "gone", "pw-gone-1234", func(u *User) { u.IsActive = false })
		if err := inactive.UserPermissions.Add(ctx, perm("authtest.article", "add_article")); err != nil {
			t.Fatal(err)
		}
		check(inactive, "authtest.add_article", false)

		// One query for the whole permission set, however many checks.
		fresh, err := Users.Objects().Get(ctx, orm.Q{"username": "alice"})
		if err != nil {
			t.Fatal(err)
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			for _, m := range allModels() {
				for _, a := range Actions {
					if _, err := HasModelPerm(ctx, fresh, m, a); err != nil {
						t.Fatal(err)
					}
				}
			}
			HasModulePerms(ctx, fresh, "authtest")
		})
		ormtest.AssertNumQueries(t, ctx, 0, func(ctx context.Context) {
			check(fresh, "authtest.add_article", true)
		})
		// A permission granted later shows after ClearPermCache (or on the
		// next request's freshly loaded user).
		if err := fresh.UserPermissions.Add(ctx, perm("authtest.article", "delete_article")); err != nil {
			t.Fatal(err)
		}
		check(fresh, "authtest.delete_article", false)
		ClearPermCache(fresh)
		check(fresh, "authtest.delete_article", true)
	})
}
