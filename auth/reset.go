package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/mail"
	"github.com/quarry-go/quarry/orm"
)

// PasswordReset is an outstanding password-reset link (Django's
// PasswordResetTokenGenerator, kept in the database instead of signed
// with a secret key): the link's token is 256 random bits that only the
// mail holds; the row keeps its SHA-256, so a copy of the table opens no
// account. A token works once, for ResetTimeout, and not after the
// password changed.
type PasswordReset struct {
	ID        int64
	User      orm.FK[User]
	TokenHash string // hex SHA-256 of the token
	// Password is the hex SHA-256 of the user's password hash when the
	// link was made: a password changed since voids the link, as
	// Django's token does.
	Password  string
	CreatedAt time.Time
}

// PasswordResets is the auth_passwordreset model.
var PasswordResets = orm.Define("auth", func(r *PasswordReset, m *orm.Schema) {
	m.ForeignKey(&r.User, orm.OnDelete(orm.Cascade), orm.RelatedName("password_resets"), orm.Verbose("user"))
	m.Char(&r.TokenHash, orm.MaxLength(64), orm.Unique(), orm.Verbose("token hash"))
	m.Char(&r.Password, orm.MaxLength(64), orm.Verbose("password state"))
	m.DateTime(&r.CreatedAt, orm.AutoNowAdd(), orm.Verbose("created at"))
	m.Meta(orm.VerboseName("password reset"))
})

// ResetTimeout is how long a reset link works: Django's
// PASSWORD_RESET_TIMEOUT, three days.
const ResetTimeout = 3 * 24 * time.Hour

// ErrResetLinkInvalid is the answer to a reset link that is unknown,
// used, expired, or made before the password last changed.
var ErrResetLinkInvalid = errors.New("The password reset link was invalid, possibly because it has already been used. Please request a new password reset.")

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// ResetMail says what a reset mail is sent as: SiteName names the site in
// it, SiteURL is the scheme and host its links start with
// ("https://shop.example.com").
type ResetMail struct {
	SiteName string
	SiteURL  string
}

// RequestPasswordReset mails a reset link to each active user whose email
// is email (ignoring case) and who has a usable password, as Django's
// PasswordResetForm does; it says nothing about whether there was one, so
// the page that calls it cannot tell a visitor which addresses have
// accounts. Each mail is enqueued in the transaction that stores its
// token.
func RequestPasswordReset(ctx context.Context, email string, rm ResetMail) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil
	}
	users, err := Users.Objects().Filter(orm.Q{"email__iexact": email, "is_active": true}).All(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if !HasUsablePassword(u) || !strings.EqualFold(u.Email, email) {
			continue
		}
		token := newResetToken()
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			r := PasswordResets.New()
			r.User.ID, r.TokenHash, r.Password = u.ID, sha256Hex(token), sha256Hex(u.Password)
			if err := PasswordResets.Objects().Create(ctx, r); err != nil {
				return err
			}
			return jobs.SendMail(ctx, resetMessage(u, rm, token))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func newResetToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func resetMessage(u *User, rm ResetMail, token string) mail.Message {
	link := strings.TrimSuffix(rm.SiteURL, "/") + "/accounts/reset/" + url.PathEscape(token) + "/"
	return mail.Message{
		To:      []string{u.Email},
		Subject: "Password reset on " + rm.SiteName,
		Text: fmt.Sprintf("You're receiving this email because you requested a password reset for your user account at %s.\n\n"+
			"Please go to the following page and choose a new password:\n\n%s\n\n"+
			"The link works once, for %d days.\n\n"+
			"Your username, in case you've forgotten: %s\n\n"+
			"If you did not ask for this, you can ignore this email: your password stays as it is.\n\n"+
			"Thanks for using our site!\n\nThe %s team\n",
			rm.SiteName, link, int(ResetTimeout/(24*time.Hour)), u.Username, rm.SiteName),
	}
}

// CheckResetToken returns the user a reset token was made for, or
// ErrResetLinkInvalid.
func CheckResetToken(ctx context.Context, token string) (*User, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrResetLinkInvalid
	}
	r, err := PasswordResets.Objects().SelectRelated("user").Get(ctx, orm.Q{
		"token_hash": sha256Hex(token), "created_at__gt": time.Now().Add(-ResetTimeout), "user__is_active": true})
	if errors.Is(err, orm.ErrDoesNotExist) {
		return nil, ErrResetLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	u, _ := r.User.Cached()
	if u == nil || r.Password != sha256Hex(u.Password) {
		return nil, ErrResetLinkInvalid
	}
	return u, nil
}

// ResetPassword sets the password of the user token was made for,
// validated as every password is, ends all their sessions and voids every
// reset link they have, in one transaction. A token already used (by a
// concurrent request too) is ErrResetLinkInvalid.
func (s *Store) ResetPassword(ctx context.Context, token, raw string) (*User, error) {
	var u *User
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if u, err = CheckResetToken(ctx, token); err != nil {
			return err
		}
		d, err := PasswordResets.Objects().Filter(orm.Q{"token_hash": sha256Hex(token)}).Delete(ctx)
		if err != nil {
			return err
		}
		if d.Total == 0 {
			return ErrResetLinkInvalid // used by a request that committed first
		}
		if _, err := s.ChangePassword(ctx, u, raw, nil); err != nil {
			return err
		}
		_, err = PasswordResets.Objects().Filter(orm.Q{"user": u.ID}).Delete(ctx)
		return err
	})
	return u, err
}

// loopback reports whether host (with or without a port) is this machine,
// where a request's own Host can make a reset link without SiteURL.
func loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// AllowReset counts a password-reset request for the address email and
// the client address addr, and refuses it with a *ThrottledError at the
// login's limits: the MaxFailures-th request for one email address within
// Window (so nobody can fill an inbox with reset mail), or the
// AddrSlowAfter-th from one client address, whatever it asks for; either
// is then refused for Lockout. Every request counts, for an account or not, so
// the limits say nothing about which addresses have accounts.
func (t Throttle) AllowReset(ctx context.Context, email, addr string) error {
	t = t.withDefaults()
	now := t.Now().UTC()
	locked, err := t.recordFailure(ctx, []string{throttleKey("reset-email:", strings.ToLower(strings.TrimSpace(email)))}, now)
	if err != nil || locked {
		return lockedErr(t, err, locked)
	}
	if addr != "" {
		perAddr := t
		perAddr.MaxFailures = t.AddrSlowAfter
		locked, err = perAddr.recordFailure(ctx, []string{throttleKey("reset-addr:", addr)}, now)
	}
	return lockedErr(t, err, locked)
}

func lockedErr(t Throttle, err error, locked bool) error {
	if err != nil || !locked {
		return err
	}
	return &ThrottledError{RetryAfter: t.Lockout}
}
