package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/quarry-go/quarry/orm"
)

// CookieName is the session cookie's name, Django's default.
const CookieName = "sessionid"

// DefaultAge is how long a session lives after its last save: Django's
// SESSION_COOKIE_AGE, two weeks.
const DefaultAge = 14 * 24 * time.Hour

// Store keeps sessions in the database through the ORM (Django's db
// session backend). The zero Store is usable: DefaultAge and time.Now.
type Store struct {
	Age time.Duration    // lifetime from the last Save; DefaultAge when 0
	Now func() time.Time // the clock; time.Now when nil (tests inject one)
	// CleanupEvery is how often a Login also runs Cleanup, so that expired
	// sessions do not pile up without a clearsessions job: an hour when 0,
	// never when negative.
	CleanupEvery time.Duration

	mu          sync.Mutex
	lastCleanup time.Time
}

func (s *Store) now() time.Time {
	if s != nil && s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Store) age() time.Duration {
	if s != nil && s.Age > 0 {
		return s.Age
	}
	return DefaultAge
}

// newKey is 32 random bytes, base64url: 256 bits cannot be guessed, and
// the alphabet is safe in a cookie without quoting.
func newKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Load returns the session with the key, or a new empty session (Key "")
// when there is none or it has expired, as Django treats a stale cookie:
// a caller never has to tell "no session" from "anonymous". Only a
// database error is an error.
func (s *Store) Load(ctx context.Context, key string) (*Session, error) {
	if key == "" || len(key) > 64 {
		return &Session{Data: map[string]any{}}, nil
	}
	sess, err := Sessions.Objects().Get(ctx, orm.Q{"key": key, "expire_at__gt": s.now()})
	if errors.Is(err, orm.ErrDoesNotExist) {
		return &Session{Data: map[string]any{}}, nil
	}
	if err != nil {
		return nil, err
	}
	if sess.Data == nil {
		sess.Data = map[string]any{}
	}
	return sess, nil
}

// ErrSessionEnded is Save's answer when the session's row is gone since
// the request loaded it: a logout (or Cleanup) in a concurrent request
// ended it. Writing it back would undo the logout, so Save leaves the
// session new, empty and anonymous, as Logout does, and the caller tells
// the user to try again (Django's SessionInterrupted).
var ErrSessionEnded = errors.New("auth: the session ended in another request")

// Save writes the session's data and pushes its expiry to now + Age; a
// session without a key gets a new random one. Only Login changes a
// session's user, under a new key, so an existing session is updated and
// never re-created: see ErrSessionEnded.
func (s *Store) Save(ctx context.Context, sess *Session) error {
	if sess.Data == nil {
		sess.Data = map[string]any{}
	}
	sess.ExpireAt = s.now().Add(s.age())
	if sess.Key == "" {
		sess.Key = newKey()
		return Sessions.Save(ctx, sess, orm.ForceInsert())
	}
	err := Sessions.Save(ctx, sess, orm.UpdateFields("data", "expire_at"))
	if errors.Is(err, orm.ErrDoesNotExist) {
		sess.reset()
		return ErrSessionEnded
	}
	return err
}

// Delete removes the session with the key; a missing one is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	_, err := Sessions.Objects().Filter(orm.Q{"key": key}).Delete(ctx)
	return err
}

// Rotate gives the session a new key, keeping its data, and removes the
// old row. Login calls it so that a key an attacker planted before login
// (session fixation) is worthless afterwards.
func (s *Store) Rotate(ctx context.Context, sess *Session) error {
	return orm.Atomic(ctx, func(ctx context.Context) error {
		if err := s.Delete(ctx, sess.Key); err != nil {
			return err
		}
		sess.Key = ""
		return s.Save(ctx, sess)
	})
}

// Cleanup deletes expired sessions (Django's clearsessions) and returns
// how many.
func (s *Store) Cleanup(ctx context.Context) (int64, error) {
	d, err := Sessions.Objects().Filter(orm.Q{"expire_at__lte": s.now()}).Delete(ctx)
	if err != nil {
		return 0, err
	}
	return d.ByModel[Sessions.Label()], nil
}

// cleanupDue reports whether this Login should run Cleanup, and if so
// marks it done, so that one Login per period does it.
func (s *Store) cleanupDue() bool {
	every := s.CleanupEvery
	if every < 0 {
		return false
	}
	if every == 0 {
		every = time.Hour
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastCleanup.IsZero() && now.Sub(s.lastCleanup) < every {
		return false
	}
	s.lastCleanup = now
	return true
}

// Login records u in the session after a successful Authenticate: the
// key rotates, the session is saved with the user, and u.LastLogin is
// set and saved (Django's login() and update_last_login). Logins are what
// add sessions, so once per CleanupEvery a Login also deletes the
// expired ones.
func (s *Store) Login(ctx context.Context, sess *Session, u *User) error {
	if u == nil || u.ID == 0 {
		return errors.New("auth: Login needs a saved user")
	}
	if s.cleanupDue() {
		if _, err := s.Cleanup(ctx); err != nil {
			return err
		}
	}
	return orm.Atomic(ctx, func(ctx context.Context) error {
		if sess.User.ID != 0 && sess.User.ID != u.ID {
			// Another user's data must not leak into this login.
			clear(sess.Data)
		}
		sess.User.Set(u)
		if err := s.Rotate(ctx, sess); err != nil {
			return err
		}
		now := s.now()
		u.LastLogin = &now
		return Users.Save(ctx, u, orm.UpdateFields("last_login"))
	})
}

// ChangePassword sets u's password to raw, after ValidatePassword
// (an *orm.ValidationError keyed "password" when it fails), saving only
// the password column, and ends u's sessions, as Django's
// update_session_auth_hash does for a session that holds a password hash:
// whoever signed in with the old password, a thief of a session included,
// is signed out. keep, when not nil, is the session of the request that
// changed the password: it stays signed in under a new key. It returns how
// many sessions it ended, keep not counted.
//
// If keep's row is already gone (a logout or another password change in a
// concurrent request ended it), nothing changes: keep is left new, empty
// and anonymous and the error is ErrSessionEnded.
func (s *Store) ChangePassword(ctx context.Context, u *User, raw string, keep *Session) (int64, error) {
	if u == nil || u.ID == 0 {
		return 0, errors.New("auth: ChangePassword needs a saved user")
	}
	if keep != nil && keep.User.ID != u.ID {
		return 0, errors.New("auth: ChangePassword can keep only a session of the user")
	}
	if msgs := PasswordMessages(ValidatePassword(raw, u)); len(msgs) > 0 {
		return 0, &orm.ValidationError{Fields: map[string][]string{"password": msgs}}
	}
	oldPassword, oldKey := u.Password, ""
	if keep != nil {
		oldKey = keep.Key
	}
	var ended int64
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		if keep != nil {
			d, err := Sessions.Objects().Filter(orm.Q{"key": keep.Key}).Delete(ctx)
			if err != nil {
				return err
			}
			if d.Total == 0 {
				return ErrSessionEnded
			}
		}
		d, err := Sessions.Objects().Filter(orm.Q{"user": u.ID}).Delete(ctx)
		if err != nil {
			return err
		}
		ended = d.Total
		SetPassword(u, raw)
		if err := Users.Save(ctx, u, orm.UpdateFields("password")); err != nil {
			return err
		}
		if keep == nil {
			return nil
		}
		keep.Key = ""
		return s.Save(ctx, keep)
	})
	switch {
	case errors.Is(err, ErrSessionEnded):
		u.Password = oldPassword
		keep.reset()
		return 0, err
	case err != nil:
		// Rolled back: the old row and password are what the database holds.
		u.Password = oldPassword
		if keep != nil {
			keep.Key = oldKey
		}
		return 0, err
	}
	return ended, nil
}

// Logout deletes the session's row and empties it (Django's flush): the
// old key is void, and the next Save makes a new anonymous session.
func (s *Store) Logout(ctx context.Context, sess *Session) error {
	if err := s.Delete(ctx, sess.Key); err != nil {
		return err
	}
	sess.reset()
	return nil
}

// reset makes sess new, empty and anonymous.
func (sess *Session) reset() {
	sess.Key, sess.Data, sess.User = "", map[string]any{}, orm.FK[User]{}
	sess.ExpireAt = time.Time{}
}

// SessionUser returns the session's user, or nil for an anonymous
// session or a user since made inactive or deleted.
func SessionUser(ctx context.Context, sess *Session) (*User, error) {
	if sess == nil || sess.User.ID == 0 {
		return nil, nil
	}
	u, err := sess.User.Get(ctx)
	if errors.Is(err, orm.ErrDoesNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.IsActive {
		return nil, nil
	}
	return u, nil
}

// Cookie is the session cookie for sess: HttpOnly so scripts cannot read
// the key, SameSite=Lax against cross-site form posts, Secure when served
// over TLS, and expiring with the session. A session without a key (after
// Logout) gives a cookie that deletes the browser's copy.
func Cookie(sess *Session, secure bool) *http.Cookie {
	c := &http.Cookie{Name: CookieName, Value: sess.Key, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secure}
	if sess.Key == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(0, 0)
		return c
	}
	c.Expires = sess.ExpireAt
	c.MaxAge = max(int(time.Until(sess.ExpireAt).Seconds()), 1)
	return c
}

type sessionKey struct{}

// WithSession returns a context carrying sess.
func WithSession(ctx context.Context, sess *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, sess)
}

// SessionFrom returns the session Middleware put in the context, or nil.
func SessionFrom(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// Middleware loads the request's session (from the cookie, or a new empty
// one) into the request context for SessionFrom. It does not save: the
// handler that changes the session saves it and sets Cookie, so a plain
// page view writes nothing. The request context must carry the database.
func (s *Store) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		if c, err := r.Cookie(CookieName); err == nil {
			key = c.Value
		}
		sess, err := s.Load(r.Context(), key)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithSession(r.Context(), sess)))
	})
}
