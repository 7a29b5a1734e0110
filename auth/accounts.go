package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
)

// Accounts serves the site's own sign-in pages, Django's auth views:
// /accounts/login/, /accounts/logout/ (POST only, as in Django 5),
// /accounts/signup/, for a signed-in user /accounts/password_change/ and
// its done/ page, and the password reset by mail: /accounts/password_reset/
// (and done/), the mailed link /accounts/reset/<token>/, its form
// /accounts/reset/set-password/ and /accounts/reset/done/. They expect Store.Sessions and CSRF in front of them.
type Accounts struct {
	Store    *Store
	Throttle Throttle
	Secure   bool // cookies are always Secure; without it, on requests over TLS
	// SiteName and SiteURL name the site in the mail a password reset
	// sends, and start its link ("https://shop.example.com"). Without
	// SiteURL, a reset is mailed only to a request made to this machine
	// (localhost): a request's own Host header can be forged.
	SiteName, SiteURL string
}

// Mount registers the pages on e.
func (a *Accounts) Mount(e *echo.Echo) {
	e.GET("/accounts/login/", a.loginPage)
	e.POST("/accounts/login/", a.loginPost)
	e.POST("/accounts/logout/", a.logout)
	e.GET("/accounts/signup/", a.signupPage)
	e.POST("/accounts/signup/", a.signupPost)
	e.GET("/accounts/password_change/", a.passwordChangePage)
	e.POST("/accounts/password_change/", a.passwordChangePost)
	e.GET("/accounts/password_change/done/", a.passwordChangeDone)
	e.GET("/accounts/password_reset/", a.passwordResetPage)
	e.POST("/accounts/password_reset/", a.passwordResetPost)
	e.GET("/accounts/password_reset/done/", a.passwordResetDone)
	e.GET("/accounts/reset/set-password/", a.setPasswordPage)
	e.POST("/accounts/reset/set-password/", a.setPasswordPost)
	e.GET("/accounts/reset/done/", a.passwordResetComplete)
	e.GET("/accounts/reset/:token/", a.passwordResetLink)
}

func (a *Accounts) loginPage(c echo.Context) error {
	next := SafeNext(c.QueryParam("next"), "/")
	if UserFrom(c.Request().Context()) != nil {
		return c.Redirect(http.StatusFound, next)
	}
	return views.Render(c, http.StatusOK, views.LoginPage(views.LoginForm{Next: next}))
}

func (a *Accounts) loginPost(c echo.Context) error {
	form := views.LoginForm{Username: c.FormValue("username"), Next: SafeNext(c.FormValue("next"), "/")}
	password := c.FormValue("password")
	if strings.TrimSpace(form.Username) == "" || password == "" {
		form.Error = ErrInvalidCredentials.Error()
		return views.Render(c, http.StatusOK, views.LoginPage(form))
	}
	ctx := c.Request().Context()
	u, err := a.Throttle.Authenticate(ctx, form.Username, password, c.RealIP())
	var throttled *ThrottledError
	switch {
	case errors.As(err, &throttled):
		form.Error = throttled.Error()
		c.Response().Header().Set(echo.HeaderRetryAfter, throttled.RetryAfterSeconds())
		return views.Render(c, http.StatusTooManyRequests, views.LoginPage(form))
	case errors.Is(err, ErrInvalidCredentials):
		form.Error = err.Error()
		return views.Render(c, http.StatusOK, views.LoginPage(form))
	case err != nil:
		return err
	}
	if err := a.login(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, form.Next)
}

func (a *Accounts) logout(c echo.Context) error {
	sess := SessionFrom(c.Request().Context())
	if sess == nil {
		return errors.New("auth: Accounts needs Store.Sessions in front of it")
	}
	if err := a.Store.Logout(c.Request().Context(), sess); err != nil {
		return err
	}
	c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
	return c.Redirect(http.StatusSeeOther, "/")
}

func (a *Accounts) signupPage(c echo.Context) error {
	next := SafeNext(c.QueryParam("next"), "/")
	if UserFrom(c.Request().Context()) != nil {
		return c.Redirect(http.StatusFound, next)
	}
	return views.Render(c, http.StatusOK, views.SignupPage(views.SignupForm{Next: next}))
}

// signupPost is Django's UserCreationForm: a username, an optional email
// and the password twice; the new user is signed in at once.
func (a *Accounts) signupPost(c echo.Context) error {
	form := views.SignupForm{
		Username: strings.TrimSpace(c.FormValue("username")),
		Email:    strings.TrimSpace(c.FormValue("email")),
		Next:     SafeNext(c.FormValue("next"), "/"),
		Errors:   map[string][]string{},
	}
	p1, p2 := c.FormValue("password1"), c.FormValue("password2")
	if form.Username == "" {
		form.Errors["username"] = []string{"This field is required."}
	}
	checkPasswordPair(form.Errors, "password1", p1, "password2", p2)
	if len(form.Errors) > 0 {
		return views.Render(c, http.StatusOK, views.SignupPage(form))
	}
	u, err := CreateUser(c.Request().Context(), form.Username, form.Email, p1)
	var verr *orm.ValidationError
	if errors.As(err, &verr) {
		for field, msgs := range verr.Fields {
			if field == "password" {
				field = "password1"
			}
			if field == "" {
				field = "__all__"
			}
			form.Errors[field] = append(form.Errors[field], msgs...)
		}
		return views.Render(c, http.StatusOK, views.SignupPage(form))
	}
	if err != nil {
		return err
	}
	if err := a.login(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, form.Next)
}

// signInFirst sends an anonymous visitor to the login page, to come back
// here afterwards (Django's login_required).
func signInFirst(c echo.Context) error {
	return c.Redirect(http.StatusFound, "/accounts/login/?next="+url.QueryEscape(c.Request().URL.RequestURI()))
}

func (a *Accounts) passwordChangePage(c echo.Context) error {
	if UserFrom(c.Request().Context()) == nil {
		return signInFirst(c)
	}
	return views.Render(c, http.StatusOK, views.PasswordChangePage(views.PasswordChangeForm{}))
}

// wrongOldPassword is Django's PasswordChangeForm message.
const wrongOldPassword = "Your old password was entered incorrectly. Please enter it again."

// passwordChangePost is Django's PasswordChangeView. The old password is
// checked through the Throttle, as a login is: a stolen session must not
// be a way to guess the password without limit, and the failures count
// toward the same lock as failed logins of the user.
func (a *Accounts) passwordChangePost(c echo.Context) error {
	ctx := c.Request().Context()
	u, sess := UserFrom(ctx), SessionFrom(ctx)
	if u == nil || sess == nil {
		return signInFirst(c)
	}
	old, p1, p2 := c.FormValue("old_password"), c.FormValue("new_password1"), c.FormValue("new_password2")
	form := views.PasswordChangeForm{Errors: map[string][]string{}}
	status := http.StatusOK
	if checkPasswordPair(form.Errors, "new_password1", p1, "new_password2", p2) {
		if msgs := PasswordMessages(ValidatePassword(p1, u)); len(msgs) > 0 {
			form.Errors["new_password2"] = msgs
		}
	}
	if old == "" {
		form.Errors["old_password"] = []string{"This field is required."}
	} else {
		checked, err := a.Throttle.Authenticate(ctx, u.Username, old, c.RealIP())
		var throttled *ThrottledError
		switch {
		case errors.As(err, &throttled):
			form.Errors["old_password"] = []string{throttled.Error()}
			status = http.StatusTooManyRequests
			c.Response().Header().Set(echo.HeaderRetryAfter, throttled.RetryAfterSeconds())
		case errors.Is(err, ErrInvalidCredentials):
			form.Errors["old_password"] = []string{wrongOldPassword}
		case err != nil:
			return err
		default:
			u = checked
		}
	}
	if len(form.Errors) > 0 {
		return views.Render(c, status, views.PasswordChangePage(form))
	}
	_, err := a.Store.ChangePassword(ctx, u, p1, sess)
	if errors.Is(err, ErrSessionEnded) {
		// Signed out by another request meanwhile: nothing was changed.
		c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
		return signInFirst(c)
	}
	if err != nil {
		return err
	}
	c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
	return c.Redirect(http.StatusSeeOther, "/accounts/password_change/done/")
}

func (a *Accounts) passwordChangeDone(c echo.Context) error {
	if UserFrom(c.Request().Context()) == nil {
		return signInFirst(c)
	}
	return views.Render(c, http.StatusOK, views.PasswordChangeDonePage())
}

// login signs u in on the request's session and sends the rotated
// session cookie and a new CSRF token, as Django's login() does.
func (a *Accounts) login(c echo.Context, u *User) error {
	ctx := c.Request().Context()
	sess := SessionFrom(ctx)
	if sess == nil {
		return errors.New("auth: Accounts needs Store.Sessions in front of it")
	}
	if err := a.Store.Login(ctx, sess, u); err != nil {
		return err
	}
	c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
	RotateCSRF(c, a.Secure)
	c.SetRequest(c.Request().WithContext(WithUser(c.Request().Context(), u)))
	return nil
}

// SafeNext is next when it is a path on this site, else fallback: a
// ?next= that could send the user to another host after signing in is
// ignored (Django's url_has_allowed_host_and_scheme).
func SafeNext(next, fallback string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return fallback
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return next
}

// checkPasswordPair adds to errs the messages of a new password typed
// twice, under the fields' names (Django's SetPasswordForm): each is
// required, and the second must match the first. It reports whether both
// were given and match.
func checkPasswordPair(errs map[string][]string, name1, p1, name2, p2 string) bool {
	if p1 == "" {
		errs[name1] = []string{"This field is required."}
	}
	switch {
	case p2 == "":
		errs[name2] = []string{"This field is required."}
	case p1 == "":
	case p1 != p2:
		errs[name2] = []string{"The two password fields didn’t match."}
	default:
		return true
	}
	return false
}
