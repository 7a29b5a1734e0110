package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/views"
)

// sessionResetToken holds a reset link's token in the session between the
// link and the form, so that the token leaves the address bar (and every
// Referer) at once, as Django's PasswordResetConfirmView does.
const sessionResetToken = "_password_reset_token"

func (a *Accounts) passwordResetPage(c echo.Context) error {
	return views.Render(c, http.StatusOK, views.PasswordResetPage(views.PasswordResetForm{}))
}

// passwordResetPost mails a link to the accounts with the address and
// answers the same page whether there were any: a visitor cannot learn
// which addresses have accounts.
func (a *Accounts) passwordResetPost(c echo.Context) error {
	ctx := c.Request().Context()
	form := views.PasswordResetForm{Email: c.FormValue("email")}
	if len(form.Email) > 254 {
		form.Email = form.Email[:254]
	}
	if err := a.Throttle.AllowReset(ctx, form.Email, c.RealIP()); err != nil {
		var throttled *ThrottledError
		if errors.As(err, &throttled) {
			form.Error = fmt.Sprintf("Too many password reset requests; try again in %d minutes.", int(math.Ceil(throttled.RetryAfter.Minutes())))
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(throttled.RetryAfter.Seconds()))))
			return views.Render(c, http.StatusTooManyRequests, views.PasswordResetPage(form))
		}
		return err
	}
	rm := ResetMail{SiteName: a.SiteName, SiteURL: a.SiteURL}
	if rm.SiteName == "" {
		rm.SiteName = "Quarry"
	}
	if rm.SiteURL == "" {
		// Without a configured address, a link may only point at this
		// machine: a forged Host header would otherwise mail the
		// victim a link to the forger's site, token and all.
		if !loopback(c.Request().Host) {
			slog.ErrorContext(ctx, "password reset not mailed: SITE_URL is not set", "host", c.Request().Host)
			return c.Redirect(http.StatusSeeOther, "/accounts/password_reset/done/")
		}
		rm.SiteURL = c.Scheme() + "://" + c.Request().Host
	}
	if err := RequestPasswordReset(ctx, form.Email, rm); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/accounts/password_reset/done/")
}

func (a *Accounts) passwordResetDone(c echo.Context) error {
	return views.Render(c, http.StatusOK, views.PasswordResetDonePage())
}

// passwordResetLink is the link from the mail: it keeps the token in the
// session and sends the browser on to the form, or says the link is dead.
func (a *Accounts) passwordResetLink(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if _, err := CheckResetToken(ctx, token); err != nil {
		if errors.Is(err, ErrResetLinkInvalid) {
			return views.Render(c, http.StatusOK, views.SetPasswordPage(views.SetPasswordForm{}))
		}
		return err
	}
	sess := SessionFrom(ctx)
	if sess == nil {
		return errors.New("auth: Accounts needs Store.Sessions in front of it")
	}
	sess.Data[sessionResetToken] = token
	if err := a.Store.Save(ctx, sess); err != nil {
		return err
	}
	c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
	return c.Redirect(http.StatusFound, "/accounts/reset/set-password/")
}

func (a *Accounts) resetToken(c echo.Context) string {
	if sess := SessionFrom(c.Request().Context()); sess != nil {
		token, _ := sess.Data[sessionResetToken].(string)
		return token
	}
	return ""
}

func (a *Accounts) setPasswordPage(c echo.Context) error {
	_, err := CheckResetToken(c.Request().Context(), a.resetToken(c))
	if err != nil && !errors.Is(err, ErrResetLinkInvalid) {
		return err
	}
	return views.Render(c, http.StatusOK, views.SetPasswordPage(views.SetPasswordForm{Valid: err == nil}))
}

func (a *Accounts) setPasswordPost(c echo.Context) error {
	ctx := c.Request().Context()
	form := views.SetPasswordForm{Valid: true, Errors: map[string][]string{}}
	p1, p2 := c.FormValue("new_password1"), c.FormValue("new_password2")
	token := a.resetToken(c)
	if !checkPasswordPair(form.Errors, "new_password1", p1, "new_password2", p2) {
		_, err := CheckResetToken(ctx, token)
		if err != nil && !errors.Is(err, ErrResetLinkInvalid) {
			return err
		}
		form.Valid = err == nil
		return views.Render(c, http.StatusOK, views.SetPasswordPage(form))
	}
	_, err := a.Store.ResetPassword(ctx, token, p1)
	var verr *orm.ValidationError
	switch {
	case errors.Is(err, ErrResetLinkInvalid):
		return views.Render(c, http.StatusOK, views.SetPasswordPage(views.SetPasswordForm{}))
	case errors.As(err, &verr):
		form.Errors["new_password2"] = verr.Fields["password"]
		return views.Render(c, http.StatusOK, views.SetPasswordPage(form))
	case err != nil:
		return err
	}
	// Every session of the user ended, this browser's too if it was
	// signed in; it continues anonymous, without the token.
	sess := SessionFrom(ctx)
	if sess != nil {
		delete(sess.Data, sessionResetToken)
		if sess.User.ID != 0 {
			*sess = Session{Data: map[string]any{}}
		}
		if err := a.Store.Save(ctx, sess); err != nil && !errors.Is(err, ErrSessionEnded) {
			return err
		}
		c.SetCookie(Cookie(sess, a.Secure || OverTLS(c)))
	}
	return c.Redirect(http.StatusSeeOther, "/accounts/reset/done/")
}

func (a *Accounts) passwordResetComplete(c echo.Context) error {
	return views.Render(c, http.StatusOK, views.PasswordResetCompletePage())
}
