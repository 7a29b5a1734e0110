package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quarry-go/quarry/orm"
)

// ErrInvalidCredentials is the one error for an unknown username, a wrong
// password and an inactive user alike, so that a login form cannot be
// used to find out which usernames exist.
var ErrInvalidCredentials = errors.New("Please enter a correct username and password. Note that both fields may be case-sensitive.")

// ErrThrottled matches (errors.Is) the *ThrottledError of a locked login.
var ErrThrottled = errors.New("auth: too many failed login attempts")

// ThrottledError says a username or address is locked, and until when.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	minutes := int(math.Ceil(e.RetryAfter.Minutes()))
	if minutes <= 1 {
		return "Too many failed login attempts; try again in 1 minute."
	}
	return fmt.Sprintf("Too many failed login attempts; try again in %d minutes.", minutes)
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// RetryAfterSeconds is the lock's remaining time for a Retry-After header.
func (e *ThrottledError) RetryAfterSeconds() string {
	return strconv.Itoa(max(1, int(math.Ceil(e.RetryAfter.Seconds()))))
}

// Throttle limits failed logins. Failures are counted per (username,
// client address): after SlowAfter of them within Window each attempt of
// that pair waits SlowDelay per extra failure (at most MaxDelay) before
// checking, and at MaxFailures the pair is locked for Lockout. The user's
// own correct password from another address still works, so a guesser
// cannot lock a user out. Each address also has a count across usernames,
// with a higher threshold, AddrSlowAfter: past it the address's attempts
// are slowed the same way, but never locked, so that the many users
// behind one shared address (an office, a carrier's NAT) still sign in.
// Counts live in the database (LoginAttempt) so that the limits hold
// across processes.
type Throttle struct {
	MaxFailures   int           // failures of one username from one address within Window that lock the pair; default 5
	Window        time.Duration // failures older than this are forgotten; default 15m
	Lockout       time.Duration // how long a lock lasts; default 15m
	SlowAfter     int           // failures of the pair before its attempts slow down; default 3
	AddrSlowAfter int           // failures from one address, any username, before its attempts slow down; default 20
	SlowDelay     time.Duration // added wait per failure past the threshold; default 1s, negative for none
	MaxDelay      time.Duration // cap on the wait; default 5s

	Now   func() time.Time                                 // clock; time.Now when nil
	Sleep func(ctx context.Context, d time.Duration) error // the wait; a timer honouring ctx when nil
}

// DefaultThrottle is the one Authenticate uses.
var DefaultThrottle = Throttle{}

func (t Throttle) withDefaults() Throttle {
	if t.MaxFailures <= 0 {
		t.MaxFailures = 5
	}
	if t.Window <= 0 {
		t.Window = 15 * time.Minute
	}
	if t.Lockout <= 0 {
		t.Lockout = 15 * time.Minute
	}
	if t.SlowAfter <= 0 {
		t.SlowAfter = 3
	}
	if t.AddrSlowAfter <= 0 {
		t.AddrSlowAfter = 20
	}
	if t.SlowDelay < 0 {
		t.SlowDelay = 0
	} else if t.SlowDelay == 0 {
		t.SlowDelay = time.Second
	}
	if t.MaxDelay <= 0 {
		t.MaxDelay = 5 * time.Second
	}
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.Sleep == nil {
		t.Sleep = sleep
	}
	return t
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Authenticate is DefaultThrottle.Authenticate.
func Authenticate(ctx context.Context, username, password, addr string) (*User, error) {
	return DefaultThrottle.Authenticate(ctx, username, password, addr)
}

// throttleKeys are the LoginAttempt keys of an attempt: the pair's, which
// locks, and the address's, which only slows ("" without an address).
func throttleKeys(username, addr string) (pair, address string) {
	pair = throttleKey("pair:", addr+" "+strings.ToLower(username))
	if addr != "" {
		address = throttleKey("addr:", addr)
	}
	return pair, address
}

// Storable reports whether text can be stored and compared as text:
// PostgreSQL refuses a NUL or bytes that are not UTF-8, which a form can
// still send.
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// throttleKey digests values too long for LoginAttempt.Key, or that
// PostgreSQL could not store: a kilobyte-long username, or one with a NUL,
// must be an ordinary failed login, not a database error.
func throttleKey(prefix, value string) string {
	if len(prefix)+len(value) <= 255 && Storable(value) {
		return prefix + value
	}
	sum := sha256.Sum256([]byte(value))
	return prefix + "sha256:" + hex.EncodeToString(sum[:])
}

// Authenticate returns the active user with the username and password
// (Django's authenticate with ModelBackend), or ErrInvalidCredentials, or a
// *ThrottledError when the username or the client address addr (the
// caller's: it knows which proxy headers to trust; may be "") is locked.
// An unknown username costs a password hash like a known one, so neither
// the error nor the timing tells them apart.
func (t Throttle) Authenticate(ctx context.Context, username, password, addr string) (*User, error) {
	t = t.withDefaults()
	now := t.Now().UTC()
	pairKey, addrKey := throttleKeys(username, addr)
	keys := []string{pairKey}
	if addrKey != "" {
		keys = append(keys, addrKey)
	}
	attempts, err := LoginAttempts.Objects().Filter(orm.Q{"key__in": keys}).All(ctx)
	if err != nil {
		return nil, err
	}
	var delay time.Duration
	for _, a := range attempts {
		if a.LockedUntil != nil && a.LockedUntil.After(now) {
			return nil, &ThrottledError{RetryAfter: a.LockedUntil.Sub(now)}
		}
		if now.Sub(a.FirstFailure) >= t.Window {
			continue
		}
		threshold := t.SlowAfter
		if a.Key == addrKey {
			threshold = t.AddrSlowAfter
		}
		if a.Failures >= threshold {
			delay = max(delay, t.SlowDelay*time.Duration(a.Failures-threshold+1))
		}
	}
	if delay > 0 {
		if err := t.Sleep(ctx, min(delay, t.MaxDelay)); err != nil {
			return nil, err
		}
	}

	var u *User
	err = orm.ErrDoesNotExist // no username is stored that the database cannot store
	if Storable(username) {
		u, err = Users.Objects().Get(ctx, orm.Q{"username": username})
	}
	switch {
	case errors.Is(err, orm.ErrDoesNotExist):
		runDummyCheck(password)
		u = nil
	case err != nil:
		return nil, err
	}
	ok := false
	if u != nil {
		if ok, err = CheckPassword(ctx, u, password); err != nil {
			return nil, err
		}
	}
	if ok && u.IsActive {
		// Only the pair's count resets: one valid account of their own
		// must not let an attacker clear their address's count.
		if _, err := LoginAttempts.Objects().Filter(orm.Q{"key": pairKey}).Delete(ctx); err != nil {
			return nil, err
		}
		return u, nil
	}
	locked, err := t.recordFailure(ctx, keys, now)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, &ThrottledError{RetryAfter: t.Lockout}
	}
	return nil, ErrInvalidCredentials
}

// recordFailure counts one failure for each key and reports whether the
// first, the pair's, is now locked: the address's count only slows. The row is read under SELECT … FOR UPDATE so that
// concurrent failures in other processes are all counted.
func (t Throttle) recordFailure(ctx context.Context, keys []string, now time.Time) (locked bool, err error) {
	err = orm.Atomic(ctx, func(ctx context.Context) error {
		for i, key := range keys {
			if _, _, err := LoginAttempts.Objects().GetOrCreate(ctx, orm.Q{"key": key},
				orm.Values{"failures": 0, "first_failure": now}); err != nil {
				return err
			}
			a, err := LoginAttempts.Objects().SelectForUpdate().Get(ctx, orm.Q{"key": key})
			if err != nil {
				return err
			}
			if a.Failures == 0 || now.Sub(a.FirstFailure) >= t.Window ||
				(a.LockedUntil != nil && !a.LockedUntil.After(now)) {
				a.Failures, a.FirstFailure, a.LockedUntil = 0, now, nil
			}
			a.Failures++
			if i == 0 && a.Failures >= t.MaxFailures {
				until := now.Add(t.Lockout)
				a.LockedUntil = &until
				locked = true
			}
			if err := LoginAttempts.Save(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	return locked, err
}

// UsernameTakenMessage is Django's message for a duplicate username.
const UsernameTakenMessage = "A user with that username already exists."

// CreateUser makes and saves an active user, validated as Django's
// UserCreationForm would (see CreateSuperuser). An empty password makes an
// unusable one.
func CreateUser(ctx context.Context, username, email, password string) (*User, error) {
	return createUser(ctx, username, email, password, false)
}

// CreateSuperuser makes and saves an active staff superuser (Django's
// createsuperuser): the username is required and unique, the password at
// least 8 characters, the email valid when given. Validation problems are
// an *orm.ValidationError keyed by field, with Django's messages.
func CreateSuperuser(ctx context.Context, username, email, password string) (*User, error) {
	return createUser(ctx, username, email, password, true)
}

// CreateSuperuserSkippingPasswordRules is CreateSuperuser without
// ValidatePassword, for createsuperuser's "Bypass password validation and
// create user anyway?": the person at the terminal chose to overrule them.
// The password is still required, and everything else still validated.
func CreateSuperuserSkippingPasswordRules(ctx context.Context, username, email, password string) (*User, error) {
	return createUserChecked(ctx, username, email, password, true, false)
}

func createUser(ctx context.Context, username, email, password string, super bool) (*User, error) {
	return createUserChecked(ctx, username, email, password, super, true)
}

func createUserChecked(ctx context.Context, username, email, password string, super, passwordRules bool) (*User, error) {
	u := Users.New()
	u.Username, u.Email = strings.TrimSpace(username), normalizeEmail(email)
	u.IsActive, u.IsStaff, u.IsSuperuser = true, super, super
	verr := &orm.ValidationError{Fields: map[string][]string{}}
	switch {
	case password == "" && super:
		verr.Fields["password"] = []string{"This field is required."}
	case password != "" && passwordRules:
		if msgs := PasswordMessages(ValidatePassword(password, u)); len(msgs) > 0 {
			verr.Fields["password"] = msgs
		}
	}
	if u.Username != "" && !usernameRe.MatchString(u.Username) {
		verr.Fields["username"] = []string{"Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."}
	}
	// Hashed before FullClean, which requires the field.
	SetPassword(u, password)
	// A field found invalid above is not checked again: its uniqueness
	// query could fail on text PostgreSQL cannot store (a NUL).
	var exclude []string
	for field := range verr.Fields {
		exclude = append(exclude, field)
	}
	if err := Users.FullClean(ctx, u, exclude...); err != nil {
		var ve *orm.ValidationError
		if !errors.As(err, &ve) {
			return nil, err
		}
		for field, msgs := range ve.Fields {
			if field == "username" {
				for i, m := range msgs {
					if strings.HasSuffix(m, "already exists.") {
						msgs[i] = UsernameTakenMessage
					}
				}
			}
			verr.Fields[field] = append(verr.Fields[field], msgs...)
		}
	}
	if len(verr.Fields) > 0 {
		return nil, verr
	}
	if err := Users.Save(ctx, u); err != nil {
		var ie *orm.IntegrityError
		if errors.As(err, &ie) && ie.Kind == "unique" {
			// Lost a race with another createsuperuser after FullClean.
			return nil, &orm.ValidationError{Fields: map[string][]string{"username": {UsernameTakenMessage}}}
		}
		return nil, err
	}
	return u, nil
}

// usernameRe is Django's UnicodeUsernameValidator.
var usernameRe = regexp.MustCompile(`^[\pL\pN_.@+-]+$`)

// normalizeEmail lower-cases the domain, as Django's normalize_email.
func normalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	local, domain, ok := strings.Cut(email, "@")
	if !ok {
		return email
	}
	return local + "@" + strings.ToLower(domain)
}

// Cleanup deletes the LoginAttempt rows that no longer count (window over,
// no lock in force), so that the table does not grow with every username
// ever tried; run it beside Store.Cleanup.
func (t Throttle) Cleanup(ctx context.Context) (int64, error) {
	t = t.withDefaults()
	now := t.Now().UTC()
	d, err := LoginAttempts.Objects().Filter(
		orm.Q{"first_failure__lte": now.Add(-t.Window)},
		orm.Or(orm.Q{"locked_until__isnull": true}, orm.Q{"locked_until__lte": now}),
	).Delete(ctx)
	if err != nil {
		return 0, err
	}
	return d.ByModel[LoginAttempts.Label()], nil
}
