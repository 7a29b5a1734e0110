package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// The password form is Django's UserAdmin.user_change_password with its
// AdminPasswordChangeForm: someone who may change users sets a user's
// password without knowing the old one, at /admin/auth/user/<pk>/password/.

func (s *Site) passwordPage(r *request, u *auth.User) error {
	return r.renderPassword(u, nil)
}

func (s *Site) passwordPost(r *request, u *auth.User) error {
	p1, p2 := r.c.FormValue("password1"), r.c.FormValue("password2")
	if errs := passwordErrors(p1, p2, u); len(errs) > 0 {
		return r.renderPassword(u, errs)
	}
	// Changing one's own password keeps this browser signed in, under a
	// new key; anyone else's ends every session they have.
	var keep *auth.Session
	if u.ID == r.user.ID {
		keep = r.sess
	}
	err := orm.Atomic(r.ctx, func(ctx context.Context) error {
		if _, err := r.site.Store.ChangePassword(ctx, u, p1, keep); err != nil {
			return err
		}
		return logAction(ctx, r.user, r.e.meta, u.ID, r.e.model.String(u), Change,
			changeMessage([]string{r.e.meta.Field("password").VerboseName}))
	})
	if err != nil {
		return r.passwordNotChanged(err)
	}
	if err := r.message("success", "Password changed successfully."); err != nil {
		return err
	}
	if keep != nil {
		r.c.SetCookie(auth.Cookie(keep, r.site.secure(r.c)))
	}
	return r.redirect(r.e.objectURL(u.ID, "change/"))
}

// passwordNotChanged answers a password change that failed with err. A
// session that ended meanwhile (signed out in another tab) changed
// nothing: the browser is asked to sign in again.
func (r *request) passwordNotChanged(err error) error {
	if !errors.Is(err, auth.ErrSessionEnded) {
		return err
	}
	r.c.SetCookie(auth.Cookie(r.sess, r.site.secure(r.c)))
	return r.c.Redirect(http.StatusSeeOther, "/admin/login/?next="+url.QueryEscape(r.c.Request().URL.RequestURI()))
}

// passwordErrors checks the two inputs as Django's SetPasswordMixin does:
// each required, then the same, then the password rules, the last two on
// password2, u's attributes among them. Text no one could type again (a NUL, bytes that are not
// UTF-8) is refused on its field.
func passwordErrors(p1, p2 string, u *auth.User) map[string][]string {
	errs := map[string][]string{}
	for name, raw := range map[string]string{"password1": p1, "password2": p2} {
		switch {
		case raw == "":
			errs[name] = []string{string(errRequired)}
		case strings.ContainsRune(raw, 0):
			errs[name] = []string{"Null characters are not allowed."}
		case !auth.Storable(raw):
			errs[name] = []string{"Enter the password as text: it has bytes that are not UTF-8."}
		}
	}
	switch {
	case len(errs) > 0:
	case p1 != p2:
		errs["password2"] = []string{"The two password fields didn’t match."}
	default:
		if msgs := auth.PasswordMessages(auth.ValidatePassword(p1, u)); len(msgs) > 0 {
			errs["password2"] = msgs
		}
	}
	return errs
}

// renderPassword shows the form, with errs by input name. The passwords
// typed are never sent back.
func (r *request) renderPassword(u *auth.User, errs map[string][]string) error {
	repr := r.e.model.String(u)
	p := r.page("Change password: "+repr, r.crumbs(ui.Link{Label: repr, URL: r.e.objectURL(u.ID, "change/")})...)
	p.Crumb = "Change password"
	v := ui.PasswordChange{Page: p, Action: r.e.objectURL(u.ID, "password/"), Username: repr, HasErrors: len(errs) > 0,
		Fields: []ui.Field{
			{Name: "password1", ID: "id_password1", Label: "Password", Widget: "password", Required: true,
				Errors: errs["password1"]},
			{Name: "password2", ID: "id_password2", Label: "Password (again)", Widget: "password", Required: true,
				HelpText: "Enter the same password as before, for verification.", Errors: errs["password2"]},
		}}
	return r.render(http.StatusOK, ui.PasswordChangePage(v))
}

// The own-password form is Django's admin password_change view with its
// PasswordChangeForm: staff change their own password at
// /admin/password_change/, giving the old one first, and stay signed in.

func (s *Site) ownPasswordPage(r *request) error { return r.renderOwnPassword(nil) }

func (s *Site) ownPasswordPost(r *request) error {
	old := r.c.FormValue("old_password")
	p1, p2 := r.c.FormValue("new_password1"), r.c.FormValue("new_password2")
	errs := map[string][]string{}
	if old == "" {
		errs["old_password"] = []string{string(errRequired)}
	} else if ok, err := auth.CheckPassword(r.ctx, r.user, old); err != nil {
		return err
	} else if !ok {
		errs["old_password"] = []string{"Your old password was entered incorrectly. Please enter it again."}
	}
	for name, msgs := range passwordErrors(p1, p2, r.user) {
		errs["new_"+name] = msgs
	}
	if len(errs) > 0 {
		return r.renderOwnPassword(errs)
	}
	if _, err := r.site.Store.ChangePassword(r.ctx, r.user, p1, r.sess); err != nil {
		return r.passwordNotChanged(err)
	}
	r.c.SetCookie(auth.Cookie(r.sess, r.site.secure(r.c)))
	return r.redirect("/admin/password_change/done/")
}

func (s *Site) ownPasswordDone(r *request) error {
	p := r.page("Password change successful", ui.Link{Label: "Home", URL: "/admin/"})
	p.Crumb = "Password change"
	return r.render(http.StatusOK, ui.PasswordChangeDone(p))
}

// renderOwnPassword shows the form, with errs by input name. The passwords
// typed are never sent back.
func (r *request) renderOwnPassword(errs map[string][]string) error {
	p := r.page("Password change", ui.Link{Label: "Home", URL: "/admin/"})
	v := ui.PasswordChange{Page: p, Action: "/admin/password_change/", Username: r.user.String(), Own: true, HasErrors: len(errs) > 0,
		Fields: []ui.Field{
			{Name: "old_password", ID: "id_old_password", Label: "Old password", Widget: "password", Required: true,
				Errors: errs["old_password"]},
			{Name: "new_password1", ID: "id_new_password1", Label: "New password", Widget: "password", Required: true,
				Errors: errs["new_password1"]},
			{Name: "new_password2", ID: "id_new_password2", Label: "New password confirmation", Widget: "password", Required: true,
				Errors: errs["new_password2"]},
		}}
	return r.render(http.StatusOK, ui.PasswordChangePage(v))
}
