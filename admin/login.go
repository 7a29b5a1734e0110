package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// errStaffOnly is Django admin's wording for a good password of a user who
// may not use the admin: it does not tell which of the two was wrong.
const errStaffOnly = "Please enter the correct username and password for a staff account. Note that both fields may be case-sensitive."

func (s *Site) loginPage(c echo.Context) error {
	r := requestOf(c)
	next := auth.SafeNext(c.QueryParam("next"), "/admin/")
	if r.user != nil && r.user.IsStaff {
		return c.Redirect(http.StatusFound, next)
	}
	p := ui.Login{Page: r.page("Log in"), Next: next, PasswordResetURL: s.PasswordResetURL}
	if r.user != nil {
		p.Error = "You are authenticated as " + r.user.Username + ", but are not authorized to access this page. Would you like to login to a different account?"
	}
	return r.render(http.StatusOK, ui.LoginPage(p))
}

func (s *Site) loginPost(c echo.Context) error {
	r := requestOf(c)
	username, password := c.FormValue("username"), c.FormValue("password")
	next := auth.SafeNext(c.FormValue("next"), "/admin/")
	fail := func(status int, msg string) error {
		return r.render(status, ui.LoginPage(ui.Login{Page: r.page("Log in"), Username: username, Next: next, Error: msg, PasswordResetURL: s.PasswordResetURL}))
	}
	if strings.TrimSpace(username) == "" || password == "" {
		return fail(http.StatusOK, errStaffOnly)
	}
	u, err := s.Throttle.Authenticate(r.ctx, username, password, c.RealIP())
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Response().Header().Set(echo.HeaderRetryAfter, throttled.RetryAfterSeconds())
		return fail(http.StatusTooManyRequests, throttled.Error())
	case errors.Is(err, auth.ErrInvalidCredentials):
		return fail(http.StatusOK, errStaffOnly)
	case err != nil:
		return err
	}
	if !u.IsStaff {
		return fail(http.StatusOK, errStaffOnly)
	}
	if err := s.Store.Login(r.ctx, r.sess, u); err != nil {
		return err
	}
	c.SetCookie(auth.Cookie(r.sess, s.secure(c)))
	auth.RotateCSRF(c, s.Secure)
	return r.redirect(next)
}

// secure reports whether the request's cookies must be Secure.
func (s *Site) secure(c echo.Context) bool { return s.Secure || auth.OverTLS(c) }

func (s *Site) logout(c echo.Context) error {
	r := requestOf(c)
	if err := s.Store.Logout(r.ctx, r.sess); err != nil {
		return err
	}
	c.SetCookie(auth.Cookie(r.sess, s.secure(c)))
	return r.redirect("/admin/login/")
}

// setupToken is the one-time secret in the first-superuser link; it is
// good while no user exists and until it is used once.
type setupToken struct {
	mu    sync.Mutex
	token string
}

// SetupToken returns the secret of the one-time link that creates the
// first superuser (/admin/setup/TOKEN/), or "" when the database already
// has a superuser. Users without admin rights (a site's customers, demo
// authors) leave the way open: the admin still has nobody to run it. Each
// call makes a new secret and voids the previous one.
func (s *Site) SetupToken(ctx context.Context) (string, error) {
	n, err := auth.Users.Objects().Filter(orm.Q{"is_superuser": true}).Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	b := make([]byte, 24)
	rand.Read(b)
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	s.setup.token = base64.RawURLEncoding.EncodeToString(b)
	return s.setup.token, nil
}

// validSetup reports whether token is the live setup secret.
func (s *Site) validSetup(token string) bool {
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	return s.setup.token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.setup.token)) == 1
}

func (s *Site) setupPage(c echo.Context) error {
	r := requestOf(c)
	if !s.validSetup(c.Param("token")) {
		return r.notFound("This setup link has been used or has expired. Create users with: web createsuperuser")
	}
	return r.render(http.StatusOK, ui.SetupPage(ui.Setup{Page: r.page("Create the first superuser"), Token: c.Param("token")}))
}

func (s *Site) setupPost(c echo.Context) error {
	r := requestOf(c)
	token := c.Param("token")
	if !s.validSetup(token) {
		return r.notFound("This setup link has been used or has expired. Create users with: web createsuperuser")
	}
	form := ui.Setup{Page: r.page("Create the first superuser"), Token: token,
		Username: strings.TrimSpace(c.FormValue("username")), Email: strings.TrimSpace(c.FormValue("email")),
		Errors: map[string][]string{}}
	p1, p2 := c.FormValue("password1"), c.FormValue("password2")
	if p1 == "" {
		form.Errors["password1"] = append(form.Errors["password1"], "This field is required.")
	}
	if p2 == "" {
		form.Errors["password2"] = append(form.Errors["password2"], "This field is required.")
	} else if p1 != p2 {
		form.Errors["password2"] = append(form.Errors["password2"], "The two password fields didn’t match.")
	}
	if len(form.Errors) > 0 {
		return r.render(http.StatusOK, ui.SetupPage(form))
	}
	// Claim the token for the length of the attempt, so two browsers
	// posting at once make one superuser; a failed attempt gives it back.
	if !s.claimSetup(token) {
		return r.notFound("This setup link has been used or has expired. Create users with: web createsuperuser")
	}
	u, err := s.createFirstSuperuser(r.ctx, form.Username, form.Email, p1)
	var verr *orm.ValidationError
	switch {
	case errors.Is(err, errSetupUsed):
		return r.notFound("This setup link has been used or has expired. Create users with: web createsuperuser")
	case errors.As(err, &verr):
		s.releaseSetup(token)
		for name, msgs := range verr.Fields {
			key := name
			if name == "password" {
				key = "password1"
			} else if name == orm.NonFieldErrors {
				key = ""
			}
			form.Errors[key] = append(form.Errors[key], msgs...)
		}
		return r.render(http.StatusOK, ui.SetupPage(form))
	case err != nil:
		s.releaseSetup(token)
		return err
	}
	if err := s.Store.Login(r.ctx, r.sess, u); err != nil {
		return err
	}
	c.SetCookie(auth.Cookie(r.sess, s.secure(c)))
	auth.RotateCSRF(c, s.Secure)
	if err := r.message("success", "The superuser “"+u.Username+"” was created and is signed in."); err != nil {
		return err
	}
	return r.redirect("/admin/")
}

// createFirstSuperuser creates the superuser unless one appeared since
// the link was printed (createsuperuser run meanwhile), which voids it.
func (s *Site) createFirstSuperuser(ctx context.Context, username, email, password string) (*auth.User, error) {
	var u *auth.User
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		n, err := auth.Users.Objects().Filter(orm.Q{"is_superuser": true}).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errSetupUsed
		}
		u, err = auth.CreateSuperuser(ctx, username, email, password)
		return err
	})
	return u, err
}

func (s *Site) claimSetup(token string) bool {
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	if s.setup.token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.setup.token)) != 1 {
		return false
	}
	s.setup.token = ""
	return true
}

func (s *Site) releaseSetup(token string) {
	s.setup.mu.Lock()
	defer s.setup.mu.Unlock()
	if s.setup.token == "" {
		s.setup.token = token
	}
}

var errSetupUsed = errors.New("admin: setup link already used")
