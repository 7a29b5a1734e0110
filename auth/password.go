package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/quarry-go/quarry/orm"
	"golang.org/x/crypto/argon2"
)

// argon2Params are the cost parameters written into every encoded hash,
// so that raising them later upgrades old hashes on the next login
// instead of invalidating them.
type argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// hashParams are the parameters new hashes get (Django's defaults for
// Argon2PasswordHasher, OWASP's minimum is lower). A variable rather than a
// constant only so that tests can make hashing cheap.
var hashParams = argon2Params{Memory: 65536, Time: 2, Threads: 1}

const (
	algorithm  = "argon2"
	variant    = "argon2id"
	saltLen    = 16
	keyLen     = 32
	unusable   = "!"
	unusableID = 40 // random characters after "!", as Django
)

// Secret holds a raw password. Printing it in any way (fmt verbs, %#v,
// slog) shows a mask, so a struct carrying one can be logged safely.
type Secret string

func (Secret) String() string               { return "********" }
func (Secret) GoString() string             { return `auth.Secret("********")` }
func (Secret) LogValue() slog.Value         { return slog.StringValue("********") }
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, "********") }

// MarshalText masks too: encoding a form struct to JSON must not leak it.
func (Secret) MarshalText() ([]byte, error) { return []byte("********"), nil }

// MakePassword encodes raw as
// argon2$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash> (Django's format,
// unpadded standard base64), with a fresh random salt. An empty raw gives
// an unusable password, as Django's make_password(None).
func MakePassword(raw string) string {
	if raw == "" {
		return makeUnusable()
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	return encode(hashParams, salt, argon2.IDKey([]byte(raw), salt, hashParams.Time, hashParams.Memory, hashParams.Threads, keyLen))
}

func encode(p argon2Params, salt, key []byte) string {
	return fmt.Sprintf("%s$%s$v=%d$m=%d,t=%d,p=%d$%s$%s", algorithm, variant, argon2.Version,
		p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func makeUnusable() string {
	b := make([]byte, 30)
	rand.Read(b)
	return unusable + base64.RawURLEncoding.EncodeToString(b)[:unusableID]
}

type decoded struct {
	params    argon2Params
	version   int
	salt, key []byte
}

func decode(encoded string) (decoded, bool) {
	var d decoded
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != algorithm || parts[1] != variant {
		return d, false
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return d, false
	}
	var err error
	if d.version, err = strconv.Atoi(v); err != nil {
		return d, false
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, val, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(val, 10, 32)
		if err != nil {
			return d, false
		}
		switch k {
		case "m":
			d.params.Memory = uint32(n)
		case "t":
			d.params.Time = uint32(n)
		case "p":
			if n > 255 {
				return d, false
			}
			d.params.Threads = uint8(n)
		default:
			return d, false
		}
	}
	// argon2 panics on zero time or threads, and a huge memory cost would
	// exhaust the machine: a corrupt row must not take the process down.
	if d.params.Time == 0 || d.params.Threads == 0 || d.params.Memory == 0 ||
		d.params.Time > 64 || d.params.Memory > 4<<20 {
		return d, false
	}
	if d.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return d, false
	}
	// A truncated hash would be easy to collide with.
	if d.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(d.key) < 16 {
		return d, false
	}
	return d, true
}

// checkEncoded reports whether raw matches encoded, and whether encoded
// should be re-hashed with the current parameters.
func checkEncoded(raw, encoded string) (ok, upgrade bool) {
	if raw == "" || encoded == "" || strings.HasPrefix(encoded, unusable) {
		return false, false
	}
	d, valid := decode(encoded)
	if !valid || d.version != argon2.Version {
		return false, false
	}
	key := argon2.IDKey([]byte(raw), d.salt, d.params.Time, d.params.Memory, d.params.Threads, uint32(len(d.key)))
	if subtle.ConstantTimeCompare(key, d.key) != 1 {
		return false, false
	}
	p := hashParams
	upgrade = d.params.Memory < p.Memory || d.params.Time < p.Time || d.params.Threads < p.Threads ||
		len(d.key) < keyLen || len(d.salt) < saltLen
	return true, upgrade
}

// dummyHash is checked against when the user does not exist, so that a
// missing user costs the same time as a wrong password (Django's
// "run the default password hasher once" in ModelBackend).
var dummyHash = sync.OnceValue(func() string { return MakePassword("quarry-dummy-password") })

func runDummyCheck(raw string) { checkEncoded(raw, dummyHash()) }

// SetPassword hashes raw into u.Password without saving u (as Django's
// set_password). An empty raw makes the password unusable.
func SetPassword(u *User, raw string) { u.Password = MakePassword(raw) }

// SetUnusablePassword marks u as unable to log in with a password.
func SetUnusablePassword(u *User) { u.Password = makeUnusable() }

// HasUsablePassword is Django's has_usable_password.
func HasUsablePassword(u *User) bool {
	_, ok := decode(u.Password)
	return ok && !strings.HasPrefix(u.Password, unusable)
}

// CheckPassword reports whether raw is u's password. When it is and the
// stored hash uses weaker parameters than the current ones, the password
// is re-hashed and saved (only the password column), as Django upgrades
// hashes on login: raw is available nowhere else.
func CheckPassword(ctx context.Context, u *User, raw string) (bool, error) {
	ok, upgrade := checkEncoded(raw, u.Password)
	if !ok {
		return false, nil
	}
	if upgrade {
		SetPassword(u, raw)
		if u.ID != 0 {
			if err := Users.Save(ctx, u, orm.UpdateFields("password")); err != nil {
				return true, err
			}
		}
	}
	return true, nil
}
