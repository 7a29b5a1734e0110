package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

const (
	oldPassword = "old horse battery staple"
	newPassword = "new horse battery staple"
)

// withPassword gives u a usable password, saved.
func (v *env) withPassword(u *auth.User, raw string) *auth.User {
	v.t.Helper()
	auth.SetPassword(u, raw)
	if err := auth.Users.Save(v.ctx, u, orm.UpdateFields("password")); err != nil {
		v.t.Fatal(err)
	}
	return u
}

func passwordURL(u *auth.User) string { return fmt.Sprintf("/admin/auth/user/%d/password/", u.ID) }

func passwordForm(p1, p2 string) url.Values {
	return url.Values{"password1": {p1}, "password2": {p2}}
}

// passwordIs fails the test unless raw is u's password in the database.
func (v *env) passwordIs(u *auth.User, raw string) {
	v.t.Helper()
	got, err := auth.Users.Objects().Get(v.ctx, orm.Q{"pk": u.ID})
	if err != nil {
		v.t.Fatal(err)
	}
	if ok, err := auth.CheckPassword(v.ctx, got, raw); err != nil || !ok {
		v.t.Fatalf("%s's password is not %q (%v)", u.Username, raw, err)
	}
}

func (v *env) sessionsOf(u *auth.User) int64 {
	v.t.Helper()
	n, err := auth.Sessions.Objects().Filter(orm.Q{"user": u.ID}).Count(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}

func TestPasswordPage(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		root := v.as(v.user("root", true, true))
		ann := v.user("ann<b>", false, false)
		res := root.get(passwordURL(ann))
		res.expect(t, http.StatusOK,
			"<title>Change password: ann&lt;b&gt; | ",
			"<h1>Change password: ann&lt;b&gt;</h1>",
			"Enter a new password for the user <strong>ann&lt;b&gt;</strong>.",
			fmt.Sprintf(`<form id="password-form" class="change-form" method="post" action="%s">`, passwordURL(ann)),
			`name="_csrf" value="`+root.cookies["csrftoken"].Value+`"`,
			`<label for="id_password1" class="field-label required">Password `,
			`<label for="id_password2" class="field-label required">Password (again) `,
			`<input type="password" autocomplete="new-password" id="id_password1" name="password1" required>`,
			`<div class="help" id="id_password2_helptext">Enter the same password as before, for verification.</div>`,
			`<button type="submit" class="button default">Change password</button>`)
		crumbs := res.body[strings.Index(res.body, `<nav class="breadcrumbs"`):strings.Index(res.body, "</nav>")]
		for _, want := range []string{`<a href="/admin/">Home</a>`, `<a href="/admin/auth/">Auth</a>`, `<a href="/admin/auth/user/">Users</a>`,
			fmt.Sprintf(`<a href="/admin/auth/user/%d/change/">ann&lt;b&gt;</a>`, ann.ID), `<li aria-current="page">Change password</li>`} {
			if !strings.Contains(crumbs, want) {
				t.Errorf("breadcrumbs lack %s: %s", want, crumbs)
			}
		}
	})
}

func TestPasswordRefusals(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		ann := v.withPassword(v.user("ann", false, false), oldPassword)
		v.as(ann)
		path := passwordURL(ann)
		form := passwordForm(newPassword, newPassword)
		unchanged := func(what string) {
			t.Helper()
			v.passwordIs(ann, oldPassword)
			if n := v.sessionsOf(ann); n != 1 {
				t.Fatalf("%s: ann has %d sessions, want 1", what, n)
			}
			if n, _ := LogEntries.Objects().Count(v.ctx); n != 0 {
				t.Fatalf("%s: %d history entries", what, n)
			}
		}

		anon := v.anonymous()
		anon.get(path).redirectsTo(t, "/admin/login/?next="+url.QueryEscape(path))
		anon.post(path, form).redirectsTo(t, "/admin/login/?next="+url.QueryEscape(path))
		unchanged("anonymous")

		// Neither no permission, nor viewing users, nor every other user
		// permission is enough: changing a password is changing the user.
		for _, perms := range [][]string{nil, {"auth.view_user"}, {"auth.view_user", "auth.add_user", "auth.delete_user"}} {
			name := "clerk" + fmt.Sprint(len(perms))
			c := v.as(v.user(name, true, false, perms...))
			c.get(path).expect(t, http.StatusForbidden, "You do not have permission")
			c.post(path, form).expect(t, http.StatusForbidden, "You do not have permission")
			unchanged(name)
		}

		root := v.as(v.user("root", true, true))
		root.get("/admin/")
		for _, token := range []string{"", "forged"} {
			f := cloneValues(form)
			if token != "" {
				f.Set("_csrf", token)
			}
			root.postRaw(path, f).expect(t, http.StatusForbidden)
			unchanged("CSRF " + token)
		}

		// Another model has no password page, whoever asks; a user that
		// does not exist has none either.
		p := v.fixtures(1).products[0]
		clerk := v.as(v.user("tagger", true, false, "admintest.view_tag"))
		for _, c := range []*client{root, clerk} {
			product := fmt.Sprintf("/admin/admintest/product/%d/password/", p.ID)
			c.get(product).expect(t, http.StatusNotFound, "Products have no password to change.")
			c.post(product, form).expect(t, http.StatusNotFound)
		}
		for _, key := range []string{"999999", "abc", "-1", "%3Cb%3E"} {
			path := "/admin/auth/user/" + key + "/password/"
			root.get(path).expect(t, http.StatusNotFound, "doesn’t exist")
			root.post(path, form).expect(t, http.StatusNotFound)
		}
		unchanged("not found")
	})
}

func TestPasswordErrors(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		ann := v.withPassword(v.user("ann", false, false), oldPassword)
		root := v.as(v.user("root", true, true))
		const required, mismatch = "This field is required.", "The two password fields didn’t match."
		for _, tc := range []struct {
			name, p1, p2 string
			errs1, errs2 []string
		}{
			{"both empty", "", "", []string{required}, []string{required}},
			{"first empty", "", newPassword, []string{required}, nil},
			{"second empty", newPassword, "", nil, []string{required}},
			{"mismatch", newPassword, newPassword + "!", nil, []string{mismatch}},
			{"too short", "short", "short", nil, []string{"This password is too short. It must contain at least 8 characters."}},
			// Django's four rules, the user's own attributes among them.
			{"rules", "password", "password", nil, []string{"This password is too common."}},
			{"numeric", "20262026", "20262026", nil, []string{"This password is entirely numeric."}},
			{"the username", "AnnaN", "AnnaN", nil, []string{"This password is too short. It must contain at least 8 characters.",
				"The password is too similar to the username."}},
			{"NUL", "long enough\x00pw", "long enough\x00pw", []string{"Null characters are not allowed."}, []string{"Null characters are not allowed."}},
			{"not UTF-8", "long enough \xff\xfe", "long enough \xff\xfe", []string{"Enter the password as text: it has bytes that are not UTF-8."},
				[]string{"Enter the password as text: it has bytes that are not UTF-8."}},
			{"NUL and mismatch", "long enough\x00pw", newPassword, []string{"Null characters are not allowed."}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := root.post(passwordURL(ann), passwordForm(tc.p1, tc.p2))
				res.expect(t, http.StatusOK, "Please correct the errors below.")
				for name, errs := range map[string][]string{"password1": tc.errs1, "password2": tc.errs2} {
					list := fmt.Sprintf(`<ul class="errorlist" id="id_%s_error">`, name)
					if len(errs) == 0 {
						if strings.Contains(res.body, list) {
							t.Errorf("%s has errors:\n%s", name, res.body)
						}
						continue
					}
					want := list
					for _, e := range errs {
						want += "<li>" + e + "</li>"
					}
					if !strings.Contains(res.body, want+"</ul>") {
						t.Errorf("%s: want %s in\n%s", name, want, res.body)
					}
					if !strings.Contains(res.body, fmt.Sprintf(`aria-invalid="true" id="id_%s"`, name)) {
						t.Errorf("%s is not marked invalid", name)
					}
				}
				if strings.Contains(res.body, "long enough") || strings.Contains(res.body, newPassword) {
					t.Error("a typed password is sent back")
				}
				v.passwordIs(ann, oldPassword)
			})
		}
		if n, _ := LogEntries.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d history entries", n)
		}
	})
}

func TestPasswordChangeEndsTheUsersSessions(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		ann := v.withPassword(v.user("ann", true, false), oldPassword)
		annBrowsers := []*client{v.as(ann), v.as(ann)}
		bob := v.as(v.user("bob", true, true))
		clerkUser := v.user("clerk", true, false, "auth.change_user")
		clerk := v.as(clerkUser)

		clerk.post(passwordURL(ann), passwordForm(newPassword, newPassword)).
			redirectsTo(t, fmt.Sprintf("/admin/auth/user/%d/change/", ann.ID))
		clerk.get(fmt.Sprintf("/admin/auth/user/%d/change/", ann.ID)).expect(t, http.StatusOK,
			`<li class="message message-success">Password changed successfully.</li>`)
		v.passwordIs(ann, newPassword)

		if n := v.sessionsOf(ann); n != 0 {
			t.Fatalf("ann has %d sessions left", n)
		}
		for _, c := range annBrowsers {
			c.get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")
		}
		// Everyone else stays signed in, the one who changed it included.
		clerk.get("/admin/").expect(t, http.StatusOK, "Site administration")
		bob.get("/admin/").expect(t, http.StatusOK, "Site administration")

		entries, err := LogEntries.Objects().All(v.ctx)
		if err != nil || len(entries) != 1 {
			t.Fatalf("history %v, %v", entries, err)
		}
		l := entries[0]
		if l.ContentType != "auth.user" || l.ObjectID != fmt.Sprint(ann.ID) || l.ObjectRepr != "ann" || l.ActionFlag != Change ||
			l.ChangeMessage != "Changed password." || l.User.ID != clerkUser.ID {
			t.Fatalf("history entry %+v", l)
		}
		clerk.get(fmt.Sprintf("/admin/auth/user/%d/history/", ann.ID)).expect(t, http.StatusOK, "Changed password.")
	})
}

func TestPasswordChangeOfOnesOwnKeepsThisBrowser(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		root := v.withPassword(v.user("root", true, true), oldPassword)
		here, elsewhere := v.as(root), v.as(root)
		ann := v.as(v.user("ann", true, true))
		before := here.cookies[auth.CookieName].Value

		here.post(passwordURL(root), passwordForm(newPassword, newPassword)).
			redirectsTo(t, fmt.Sprintf("/admin/auth/user/%d/change/", root.ID))
		v.passwordIs(root, newPassword)

		after := here.cookies[auth.CookieName]
		if after == nil || after.Value == before || !after.HttpOnly || after.Path != "/" {
			t.Fatalf("session cookie after the change: %+v (was %q)", after, before)
		}
		here.get(fmt.Sprintf("/admin/auth/user/%d/change/", root.ID)).expect(t, http.StatusOK, "Password changed successfully.")
		here.get("/admin/").expect(t, http.StatusOK, "Site administration")
		if n := v.sessionsOf(root); n != 1 {
			t.Fatalf("root has %d sessions, want this browser's alone", n)
		}
		elsewhere.get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")
		stale := v.anonymous()
		stale.cookies[auth.CookieName] = &http.Cookie{Name: auth.CookieName, Value: before}
		stale.get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")
		ann.get("/admin/").expect(t, http.StatusOK, "Site administration")

		// The new password signs in; the old one no longer does.
		c := v.anonymous()
		c.post("/admin/login/", url.Values{"username": {"root"}, "password": {oldPassword}}).
			expect(t, http.StatusOK, "Please enter the correct username and password")
		c.post("/admin/login/", url.Values{"username": {"root"}, "password": {newPassword}}).redirectsTo(t, "/admin/")
	})
}

func TestPasswordCookieSecureOverTLS(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		root := v.user("root", true, true)
		c := v.as(root)
		c.get("/admin/")
		form := passwordForm(newPassword, newPassword)
		form.Set("_csrf", c.cookies["csrftoken"].Value)
		req, _ := http.NewRequest(http.MethodPost, passwordURL(root), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-Proto", "https")
		res := c.do(req)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d: %s", res.StatusCode, res.body)
		}
		var sess *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == auth.CookieName {
				sess = ck
			}
		}
		if sess == nil || !sess.Secure {
			t.Fatalf("session cookie over TLS: %+v", sess)
		}
	})
}

// TestPasswordSummaryLinks: the user admin's password row links to the
// form, as a link element beside escaped text.
func TestPasswordSummaryLinks(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		site := NewSite()
		Register(site, auth.Users, userAdmin)
		w := siteEnv(t, v.ctx, site)
		rootUser := v.withPassword(v.user("root", true, true), oldPassword)
		root := w.as(rootUser)
		ann := v.user("ann", false, false)
		link := `<a href="../password/">this form</a>.`

		res := root.get(fmt.Sprintf("/admin/auth/user/%d/change/", rootUser.ID))
		res.expect(t, http.StatusOK, `<div class="readonly">Algorithm: argon2. Raw passwords are not stored, so there is no way to see this user’s password, but you can change the password using `+link+`</div>`)
		if strings.Contains(res.body, "&lt;a") || strings.Contains(res.body, rootUser.Password) {
			t.Error("the summary shows markup as text, or the hash")
		}
		res = root.get(fmt.Sprintf("/admin/auth/user/%d/change/", ann.ID))
		res.expect(t, http.StatusOK, `<div class="readonly">No password set. You can set the password using `+link+`</div>`)

		// The link, resolved as a browser does, is the form.
		base, _ := url.Parse(fmt.Sprintf("/admin/auth/user/%d/change/", ann.ID))
		target := base.ResolveReference(&url.URL{Path: "../password/"})
		if target.Path != passwordURL(ann) {
			t.Fatalf("the link leads to %s", target.Path)
		}
		root.get(target.Path).expect(t, http.StatusOK, "Change password: ann")

		// A user being added has no form to link to yet.
		res = root.get("/admin/auth/user/add/")
		res.expect(t, http.StatusOK, `<div class="readonly">No password set.</div>`)
		if strings.Contains(res.body, "../password/") {
			t.Error("the add form links to a password form")
		}
	})
}

// TestPasswordChangeAfterSignOutElsewhere: the browser's session ended
// (a logout in another tab) after this request loaded it. Nothing changes,
// and the browser is sent to sign in again, its cookie removed.
func TestPasswordChangeAfterSignOutElsewhere(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		root := v.withPassword(v.user("root", true, true), oldPassword)
		c := v.as(root)
		c.get("/admin/")
		key := c.cookies[auth.CookieName].Value
		ended := false
		v.observer = func(ev orm.QueryEvent) {
			if !ended && strings.Contains(ev.SQL, "auth_session") {
				ended = true
				if err := v.site.Store.Delete(v.ctx, key); err != nil {
					t.Error(err)
				}
			}
		}
		res := c.post(passwordURL(root), passwordForm(newPassword, newPassword))
		v.observer = nil
		path := passwordURL(root)
		res.redirectsTo(t, "/admin/login/?next="+url.QueryEscape(path))
		if !ended {
			t.Fatal("the session was not ended during the request")
		}
		if _, ok := c.cookies[auth.CookieName]; ok {
			t.Error("the ended session's cookie is kept")
		}
		v.passwordIs(root, oldPassword)
		if n, _ := LogEntries.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d history entries", n)
		}
	})
}

// TestAddedUserGetsPasswordOnTheForm: the add form asks for no password,
// so the new user has none that works until the password form sets one.
func TestAddedUserGetsPasswordOnTheForm(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		site := NewSite()
		Register(site, auth.Users, userAdmin)
		w := siteEnv(t, v.ctx, site)
		root := w.as(v.user("root", true, true))
		root.post("/admin/auth/user/add/", url.Values{"username": {"newbie"}, "is_active": {"on"}, "is_staff": {"on"},
			"date_joined": {"2026-01-02T03:04"}, "_save": {"1"}}).redirectsTo(t, "/admin/auth/user/")
		u, err := auth.Users.Objects().Get(v.ctx, orm.Q{"username": "newbie"})
		if err != nil {
			t.Fatal(err)
		}
		if auth.HasUsablePassword(u) {
			t.Fatalf("an added user has a usable password %q", u.Password)
		}
		root.post(passwordURL(u), passwordForm(newPassword, newPassword)).
			redirectsTo(t, fmt.Sprintf("/admin/auth/user/%d/change/", u.ID))
		w.anonymous().post("/admin/login/", url.Values{"username": {"newbie"}, "password": {newPassword}}).redirectsTo(t, "/admin/")
	})
}

// Staff change their own password at /admin/password_change/, as in
// Django's admin: the old password first, the new one twice; this browser
// stays signed in, every other session of theirs ends.
func TestOwnPasswordChange(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		// A staff user without any model permission may change it too.
		ann := v.withPassword(v.user("ann", true, false), oldPassword)
		here, elsewhere := v.as(ann), v.as(ann)
		here.get("/admin/").expect(t, http.StatusOK, `href="/admin/password_change/"`)
		here.get("/admin/password_change/").expect(t, http.StatusOK, "Please enter your old password", `name="old_password"`,
			`name="new_password1"`, `name="new_password2"`)
		v.anonymous().get("/admin/password_change/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2Fpassword_change%2F")

		form := func(old, p1, p2 string) url.Values {
			return url.Values{"old_password": {old}, "new_password1": {p1}, "new_password2": {p2}}
		}
		for _, tt := range []struct {
			form url.Values
			want string
		}{
			{form("wrong horse", newPassword, newPassword), "Your old password was entered incorrectly"},
			{form("", newPassword, newPassword), "This field is required."},
			{form(oldPassword, newPassword, "other horse battery"), "The two password fields didn’t match."},
			{form(oldPassword, "12345678", "12345678"), "This password is entirely numeric."},
			{form(oldPassword, "ann", "ann"), "too short"},
		} {
			res := here.post("/admin/password_change/", tt.form)
			res.expect(t, http.StatusOK, tt.want, "Please correct the errors below.")
			if strings.Contains(res.body, newPassword) || strings.Contains(res.body, oldPassword) {
				t.Errorf("a password typed was sent back: %s", tt.want)
			}
			v.passwordIs(ann, oldPassword)
		}

		here.post("/admin/password_change/", form(oldPassword, newPassword, newPassword)).
			redirectsTo(t, "/admin/password_change/done/")
		v.passwordIs(ann, newPassword)
		here.get("/admin/password_change/done/").expect(t, http.StatusOK, "Your password was changed.")
		elsewhere.get("/admin/").redirectsTo(t, "/admin/login/?next=%2Fadmin%2F")
		if n := v.sessionsOf(ann); n != 1 {
			t.Fatalf("ann has %d sessions, want this browser's alone", n)
		}
	})
}
