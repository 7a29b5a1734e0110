package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func TestMakePasswordFormat(t *testing.T) {
	enc := MakePassword("correct horse")
	re := regexp.MustCompile(`^argon2\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("encoded %q does not match Django's argon2 format", enc)
	}
	if strings.Contains(enc, "correct horse") {
		t.Fatal("encoded password contains the raw one")
	}
	if other := MakePassword("correct horse"); other == enc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestDefaultParams(t *testing.T) {
	got := encode(argon2Params{Memory: 65536, Time: 2, Threads: 1}, make([]byte, 16), make([]byte, 32))
	if !strings.HasPrefix(got, "argon2$argon2id$v=19$m=65536,t=2,p=1$") {
		t.Fatalf("format %q", got)
	}
	// The production default must not be lowered by accident.
	if (argon2Params{Memory: 65536, Time: 2, Threads: 1}) == cheapParams {
		t.Fatal("test parameters equal production ones")
	}
}

func TestCheckPassword(t *testing.T) {
	u := &User{}
	SetPassword(u, "s3cret-pass")
	for _, tc := range []struct {
		raw  string
		want bool
	}{{"s3cret-pass", true}, {"s3cret-Pass", false}, {"", false}, {"s3cret-pass ", false}} {
		ok, err := CheckPassword(t.Context(), u, tc.raw)
		if err != nil || ok != tc.want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", tc.raw, ok, err, tc.want)
		}
	}
	if !HasUsablePassword(u) {
		t.Error("HasUsablePassword = false for a set password")
	}
}

func TestUnusablePassword(t *testing.T) {
	u := &User{}
	SetPassword(u, "")
	if !strings.HasPrefix(u.Password, "!") || HasUsablePassword(u) {
		t.Fatalf("empty password gave %q, usable=%v", u.Password, HasUsablePassword(u))
	}
	for _, raw := range []string{"", "!", u.Password, u.Password[1:]} {
		if ok, _ := CheckPassword(t.Context(), u, raw); ok {
			t.Errorf("unusable password matched %q", raw)
		}
	}
	SetUnusablePassword(u)
	if HasUsablePassword(u) {
		t.Error("SetUnusablePassword left a usable password")
	}
	// "!" in front of a valid hash (how an admin disables a password)
	// must not match either.
	u.Password = "!" + MakePassword("pw")
	if ok, _ := CheckPassword(t.Context(), u, "pw"); ok {
		t.Error("a !-prefixed hash matched")
	}
}

func TestCorruptHashesNeverMatchNorPanic(t *testing.T) {
	valid := MakePassword("pw")
	parts := strings.Split(valid, "$")
	for _, enc := range []string{
		"", "pw", "argon2", "md5$x$y",
		"argon2$argon2id$v=19$m=0,t=0,p=0$" + parts[4] + "$" + parts[5],
		"argon2$argon2id$v=19$m=64,t=1,p=300$" + parts[4] + "$" + parts[5],
		"argon2$argon2i$" + strings.Join(parts[2:], "$"),
		"argon2$argon2id$v=16$" + strings.Join(parts[3:], "$"),
		"argon2$argon2id$v=19$m=64,t=1,p=1$***$" + parts[5],
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
		"argon2$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5][:8],
		"argon2$argon2id$v=19$m=4294967295,t=1,p=1$" + parts[4] + "$" + parts[5],
	} {
		if ok, _ := checkEncoded("pw", enc); ok {
			t.Errorf("%q matched", enc)
		}
	}
}

func TestSecretIsNeverPrinted(t *testing.T) {
	type form struct {
		Username string
		Password Secret
	}
	f := form{"alice", Secret("hunter2-secret")}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("login", "form", f, "pw", f.Password)
	js, _ := json.Marshal(f)
	for _, out := range []string{
		fmt.Sprint(f.Password), fmt.Sprintf("%v %+v %#v %s %q %x", f, f, f, f.Password, f.Password, f.Password),
		f.Password.String(), f.Password.GoString(), buf.String(), string(js),
	} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("secret revealed: %s", out)
		}
	}
	if string(f.Password) != "hunter2-secret" {
		t.Error("conversion to string must still give the password")
	}
}
