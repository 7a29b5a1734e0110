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

// TestThrottleLocksThePair: failures lock the username from the address
// that made them; the user's own correct password from another address
// still works, so a guesser cannot lock anyone out.
func TestThrottleLocksThePair(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		mustUser(t, ctx, "alice", "pw-alice-123")
		const guesser = "203.0.113.7"

		for i := 1; i <= 3; i++ {
			if _, err := th.Authenticate(ctx, "alice", "bad", guesser); err != ErrInvalidCredentials {
				t.Fatalf("failure %d: %v", i, err)
			}
			clk.Advance(time.Minute)
		}
		// Slow down from the SlowAfter-th failure on, capped.
		if len(sl.got) != 1 || sl.got[0] != time.Second {
			t.Fatalf("sleeps %v", sl.got)
		}
		_, err := th.Authenticate(ctx, "Alice", "bad", guesser) // usernames count case-insensitively
		var te *ThrottledError
		if !errors.Is(err, ErrThrottled) || !errors.As(err, &te) {
			t.Fatalf("4th failure: %v", err)
		}
		if err.Error() != "Too many failed login attempts; try again in 15 minutes." || te.RetryAfterSeconds() != "900" {
			t.Fatalf("message %q, Retry-After %s", err, te.RetryAfterSeconds())
		}
		// The guesser is locked, even with the right password.
		clk.Advance(10 * time.Minute)
		_, err = th.Authenticate(ctx, "alice", "pw-alice-123", guesser)
		if !errors.Is(err, ErrThrottled) || err.Error() != "Too many failed login attempts; try again in 5 minutes." {
			t.Fatalf("guesser while locked: %v", err)
		}
		// Alice, from her own address, signs in meanwhile, unslowed.
		sl.got = nil
		if u, err := th.Authenticate(ctx, "alice", "pw-alice-123", "198.51.100.1"); err != nil || u == nil {
			t.Fatalf("alice from a clean address while the guesser is locked: %v", err)
		}
		if len(sl.got) != 0 {
			t.Errorf("alice was slowed: %v", sl.got)
		}
		// Her success does not clear the guesser's lock.
		if _, err := th.Authenticate(ctx, "alice", "bad", guesser); !errors.Is(err, ErrThrottled) {
			t.Fatalf("guesser after alice signed in: %v", err)
		}
		// After the lock: back in, and the count starts over.
		clk.Advance(5*time.Minute + time.Second)
		if u, err := th.Authenticate(ctx, "alice", "pw-alice-123", guesser); err != nil || u == nil {
			t.Fatalf("after lock: %v", err)
		}
		pair, _ := throttleKeys("alice", guesser)
		if n, _ := LoginAttempts.Objects().Filter(orm.Q{"key": pair}).Count(ctx); n != 0 {
			t.Fatal("success did not reset the pair's count")
		}
		if _, err := th.Authenticate(ctx, "alice", "bad", guesser); err != ErrInvalidCredentials {
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

// TestThrottleSlowsAddress: many usernames tried from one address slow
// that address past AddrSlowAfter, but lock nobody: the other users behind
// the same address still sign in, while each guessed pair locks.
func TestThrottleSlowsAddress(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		clk, sl := newClock(), &sleeps{}
		th := testThrottle(clk, sl)
		th.AddrSlowAfter = 6
		const shared = "203.0.113.7"
		for _, name := range []string{"alice", "bob", "carol"} {
			mustUser(t, ctx, name, "pw-"+name+"-123")
		}
		// A guesser behind the shared address sprays usernames.
		for i := range 8 {
			if _, err := th.Authenticate(ctx, "nobody"+string(rune('a'+i)), "guess", shared); err != ErrInvalidCredentials {
				t.Fatalf("spray %d: %v", i, err)
			}
		}
		// Slowed from the 6th failure of the address on: 1s, 2s, 3s (capped).
		if want := []time.Duration{time.Second, 2 * time.Second}; len(sl.got) != 2 || sl.got[0] != want[0] || sl.got[1] != want[1] {
			t.Fatalf("sleeps %v, want %v", sl.got, want)
		}
		// The other users behind it sign in, slowed like the address but
		// never refused.
		for _, name := range []string{"alice", "bob", "carol"} {
			if u, err := th.Authenticate(ctx, name, "pw-"+name+"-123", shared); err != nil || u == nil {
				t.Fatalf("%s from the shared address: %v", name, err)
			}
		}
		if last := sl.got[len(sl.got)-1]; last != 3*time.Second {
			t.Errorf("the address's attempts were not slowed: %v", sl.got)
		}
		// The guesser going after one of them is still locked out of it.
		var err error
		for range 4 {
			_, err = th.Authenticate(ctx, "bob", "guess", shared)
		}
		if !errors.Is(err, ErrThrottled) {
			t.Fatalf("the guesser is not locked: %v", err)
		}
		// And bob, from elsewhere, still signs in.
		if _, err := th.Authenticate(ctx, "bob", "pw-bob-123", "198.51.100.1"); err != nil {
			t.Fatalf("bob from elsewhere: %v", err)
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
