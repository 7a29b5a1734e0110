package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
)

type sleeps struct{ got []time.Duration }

func (s *sleeps) Sleep(_ context.Context, d time.Duration) error {
	s.got = append(s.got, d)
	return nil
}

func testThrottle(clk *clock, sl *sleeps) Throttle {
	return Throttle{MaxFailures: 4, Window: 10 * time.Minute, Lockout: 15 * time.Minute,
		SlowAfter: 2, SlowDelay: time.Second, MaxDelay: 3 * time.Second, Now: clk.Now, Sleep: sl.Sleep}
}

func TestAuthenticate(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		mustUser(t, ctx, "alice", "pw-alice-123")
		mustUser(t, ctx, "ghost", "pw-ghost-123", func(u *User) { u.IsActive = false })

		u, err := th.Authenticate(ctx, "alice", "pw-alice-123", "10.0.0.1")
		if err != nil || u.Username != "alice" {
			t.Fatalf("good login: %v, %v", u, err)
		}
		// Unknown user, wrong password, inactive user: one error.
		for _, tc := range [][2]string{{"alice", "wrong"}, {"mallory", "pw-alice-123"}, {"ghost", "pw-ghost-123"}, {"alice", ""}} {
			u, err := th.Authenticate(ctx, tc[0], tc[1], "")
			if u != nil || err != ErrInvalidCredentials {
				t.Errorf("%v: %v, %v", tc, u, err)
			}
		}
		if _, err := th.Authenticate(ctx, "mallory", "x", ""); err != ErrInvalidCredentials {
			t.Errorf("unknown user, second try: %v", err)
		}
		// Oversized input is an ordinary failure, not a database error.
		long := strings.Repeat("x", 1000)
		if _, err := th.Authenticate(ctx, long, long, long); err != ErrInvalidCredentials {
			t.Errorf("long username: %v", err)
		}
		// So is text PostgreSQL cannot store: a NUL, bytes not UTF-8.
		for _, bad := range []string{"ali\x00ce", "\xff\xfe", "alice\x00"} {
			if _, err := th.Authenticate(ctx, bad, "pw-alice-123", bad); err != ErrInvalidCredentials {
				t.Errorf("username %q: %v", bad, err)
			}
		}
	})
}

func TestThrottleLocksUsername(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		mustUser(t, ctx, "alice", "pw-alice-123")

		for i := 1; i <= 3; i++ {
			if _, err := th.Authenticate(ctx, "alice", "bad", "10.0.0."+string(rune('0'+i))); err != ErrInvalidCredentials {
				t.Fatalf("failure %d: %v", i, err)
			}
			clk.Advance(time.Minute)
		}
		// Slow down from the SlowAfter-th failure on, capped.
		if len(sl.got) != 1 || sl.got[0] != time.Second {
			t.Fatalf("sleeps %v", sl.got)
		}
		_, err := th.Authenticate(ctx, "Alice", "bad", "10.0.0.9") // usernames count case-insensitively
		var te *ThrottledError
		if !errors.Is(err, ErrThrottled) || !errors.As(err, &te) {
			t.Fatalf("4th failure: %v", err)
		}
		if err.Error() != "Too many failed login attempts; try again in 15 minutes." {
			t.Fatalf("message %q", err)
		}
		// Locked: even the right password is refused, from any address.
		clk.Advance(10 * time.Minute)
		_, err = th.Authenticate(ctx, "alice", "pw-alice-123", "192.0.2.1")
		if !errors.Is(err, ErrThrottled) || err.Error() != "Too many failed login attempts; try again in 5 minutes." {
			t.Fatalf("while locked: %v", err)
		}
		// Other users are not affected.
		mustUser(t, ctx, "bob", "pw-bob-1234")
		if _, err := th.Authenticate(ctx, "bob", "pw-bob-1234", "192.0.2.1"); err != nil {
			t.Fatalf("bob: %v", err)
		}
		// After the lock: back in, and the count starts over.
		clk.Advance(5*time.Minute + time.Second)
		if u, err := th.Authenticate(ctx, "alice", "pw-alice-123", "192.0.2.1"); err != nil || u == nil {
			t.Fatalf("after lock: %v", err)
		}
		if n, _ := LoginAttempts.Objects().Filter(orm.Q{"key": "username:alice"}).Count(ctx); n != 0 {
			t.Fatal("success did not reset the username's count")
		}
		if _, err := th.Authenticate(ctx, "alice", "bad", "192.0.2.1"); err != ErrInvalidCredentials {
			t.Fatalf("first failure after reset: %v", err)
		}
	})
}

func TestThrottleWindowForgets(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		for range 3 {
			th.Authenticate(ctx, "carol", "bad", "")
		}
		clk.Advance(11 * time.Minute) // past Window: the three are forgotten
		for i := range 3 {
			if _, err := th.Authenticate(ctx, "carol", "bad", ""); err != ErrInvalidCredentials {
				t.Fatalf("failure %d after the window: %v", i+1, err)
			}
		}
		th.Authenticate(ctx, "dave", "bad", "") // fresh: kept by Cleanup
		th.Authenticate(ctx, "erin", "bad", "")
		clk.Advance(11 * time.Minute)
		for range 4 {
			th.Authenticate(ctx, "dave", "bad", "") // locked: kept
		}
		if n, err := th.Cleanup(ctx); err != nil || n != 2 {
			t.Fatalf("cleanup removed %d, %v; want carol and erin", n, err)
		}
		if n, _ := LoginAttempts.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d attempts left, want dave's", n)
		}
	})
}

func TestThrottleLocksAddressAndHidesUnknownUsers(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		mustUser(t, ctx, "alice", "pw-alice-123")
		// Spraying many usernames, real or not, from one address locks it.
		var last error
		for _, name := range []string{"alice", "nobody1", "nobody2", "nobody3"} {
			_, last = th.Authenticate(ctx, name, "guess", "203.0.113.7")
		}
		if !errors.Is(last, ErrThrottled) {
			t.Fatalf("address not locked: %v", last)
		}
		if _, err := th.Authenticate(ctx, "alice", "pw-alice-123", "203.0.113.7"); !errors.Is(err, ErrThrottled) {
			t.Fatalf("locked address let a login through: %v", err)
		}
		if _, err := th.Authenticate(ctx, "alice", "pw-alice-123", "198.51.100.1"); err != nil {
			t.Fatalf("another address: %v", err)
		}
		// Unknown usernames are counted like known ones: the lock does
		// not tell them apart either.
		for range 4 {
			th.Authenticate(ctx, "nobody9", "guess", "")
		}
		_, errUnknown := th.Authenticate(ctx, "nobody9", "guess", "")
		for range 4 {
			th.Authenticate(ctx, "alice", "guess", "")
		}
		_, errKnown := th.Authenticate(ctx, "alice", "guess", "")
		if errUnknown == nil || errKnown == nil || errUnknown.Error() != errKnown.Error() {
			t.Fatalf("unknown %v vs known %v", errUnknown, errKnown)
		}
	})
}

func TestCreateSuperuser(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		u, err := CreateSuperuser(ctx, "admin", "Admin@Example.COM", "long-enough-pw")
		if err != nil {
			t.Fatal(err)
		}
		if !u.IsSuperuser || !u.IsStaff || !u.IsActive || u.ID == 0 || u.Email != "Admin@example.com" {
			t.Fatalf("%+v", u)
		}
		if strings.Contains(u.Password, "long-enough-pw") {
			t.Fatal("raw password stored")
		}
		if got, err := noSleepDefaultThrottle().Authenticate(ctx, "admin", "long-enough-pw", ""); err != nil || got.ID != u.ID {
			t.Fatalf("login: %v", err)
		}
		if ok, _ := HasPerm(ctx, u, "authtest.delete_article"); !ok {
			t.Fatal("superuser lacks a permission")
		}

		for _, tc := range []struct {
			username, email, password string
			field, msg                string
		}{
			{"admin", "", "long-enough-pw", "username", "A user with that username already exists."},
			{"", "", "long-enough-pw", "username", "This field is required."},
			{"bad name!", "", "long-enough-pw", "username", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."},
			{"nul\x00", "", "long-enough-pw", "username", "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."},
			{"x", "", "", "password", "This field is required."},
			{"x", "", "short", "password", "This password is too short. It must contain at least 8 characters."},
			{"x", "not-an-email", "long-enough-pw", "email", "Enter a valid email address."},
		} {
			_, err := CreateSuperuser(ctx, tc.username, tc.email, tc.password)
			var ve *orm.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%+v: %v", tc, err)
				continue
			}
			if msgs := ve.Fields[tc.field]; len(msgs) != 1 || msgs[0] != tc.msg {
				t.Errorf("%+v: %v", tc, ve.Fields)
			}
		}
		if n, _ := Users.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d users after failed creations", n)
		}
	})
}

// noSleepDefaultThrottle is the default throttle without its real sleep.
func noSleepDefaultThrottle() Throttle {
	th := DefaultThrottle
	th.Sleep = func(context.Context, time.Duration) error { return nil }
	return th
}
