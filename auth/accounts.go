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
// /accounts/login/, /accounts/logout/ (POST only, as in Django 5) and
// /accounts/signup/. They expect Store.Sessions and CSRF in front of them.
type Accounts struct {
	Store    *Store
	Throttle Throttle
	Secure   bool // cookies are always Secure; without it, on requests over TLS
}

// Mount registers the pages on e.
func (a *Accounts) Mount(e *echo.Echo) {
	e.GET("/accounts/login/", a.loginPage)
	e.POST("/accounts/login/", a.loginPost)
	e.POST("/accounts/logout/", a.logout)
	e.GET("/accounts/signup/", a.signupPage)
	e.POST("/accounts/signup/", a.signupPost)
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
	if p1 == "" {
		form.Errors["password1"] = []string{"This field is required."}
	}
	if p2 == "" {
		form.Errors["password2"] = []string{"This field is required."}
	} else if p1 != "" && p1 != p2 {
		form.Errors["password2"] = []string{"The two password fields didn’t match."}
	}
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
