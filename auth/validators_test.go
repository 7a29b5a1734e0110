package auth

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// TestQuickRatio holds quickRatio to Python's difflib: the values are
// SequenceMatcher(a=a, b=b).quick_ratio() as CPython prints them.
func TestQuickRatio(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"alice123x", "alice", 0.7142857142857143},
		{"testclient", "testclient", 1.0},
		{"passwordx", "password", 0.9411764705882353},
		{"ålice-1", "ålice", 0.8333333333333334},
		{"abcdefgh", "hgfedcba", 1.0}, // order does not count in the quick ratio
		{"anna1234", "ann", 0.5454545454545454},
		{"valjean24601", "valjean", 0.7368421052631579},
		{"", "", 1.0},
		{"abc", "", 0.0},
	} {
		if got := quickRatio([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("quickRatio(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPasswordValidators(t *testing.T) {
	const (
		short   = "This password is too short. It must contain at least 8 characters."
		common  = "This password is too common."
		numeric = "This password is entirely numeric."
	)
	alice := &User{Username: "alice.smith", FirstName: "Alice", LastName: "Wonderland", Email: "alice@example.com"}
	for _, tc := range []struct {
		name, pw string
		user     *User
		want     []string
	}{
		{"fine", "correct horse battery", alice, nil},
		{"minimum length", "Zx9!kq2", nil, []string{short}},
		{"minimum length counts characters", "żółćżółć", nil, nil},
		{"common", "password", nil, []string{common}},
		{"common ignores case and spaces", " PassWord1 ", nil, []string{common}},
		{"common from the list's tail", "bigpimpin1", nil, []string{common}},
		{"numeric", "90210873651", nil, []string{numeric}},
		{"numeric and common", "12345678", nil, []string{common, numeric}},
		{"all four", "1234567", &User{Username: "1234567"}, []string{short, "The password is too similar to the username.", common, numeric}},
		{"username", "alice.smith1", alice, []string{"The password is too similar to the username."}},
		{"part of the username", "smith22x", alice, []string{"The password is too similar to the username."}},
		{"unlike every part", "tr0mbone-Sky", alice, nil},
		{"first name", "alicee!x", alice, []string{"The password is too similar to the username."}},
		{"last name", "Wonderland!", alice, []string{"The password is too similar to the last name."}},
		{"email", "alice@example.org", alice, []string{"The password is too similar to the email address."}},
		{"no user", "alice.smith1", nil, nil},
		{"attribute much shorter than the password", "al-long-enough-password-xyz", &User{Username: "al"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword(tc.pw, tc.user)
			got := PasswordMessages(err)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ValidatePassword(%q) = %q, want %q", tc.pw, got, tc.want)
			}
			if (err == nil) != (len(tc.want) == 0) {
				t.Errorf("error %v", err)
			}
		})
	}
	if n := len(commonPasswords()); n < 19000 {
		t.Errorf("the common password list has %d entries, want Django's 20,000", n)
	}
}

// TestPasswordRulesEverywhere: CreateUser (sign-up) and ChangePassword
// (the password change pages, changepassword) both apply the rules, with
// the user's own attributes.
func TestPasswordRulesEverywhere(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		_, err := CreateUser(ctx, "ann", "", "password")
		var verr *orm.ValidationError
		if !errors.As(err, &verr) || !slices.Contains(verr.Fields["password"], "This password is too common.") {
			t.Fatalf("sign-up with \"password\": %v", err)
		}
		_, err = CreateUser(ctx, "margaret", "", "margaret1")
		if !errors.As(err, &verr) || !slices.Contains(verr.Fields["password"], "The password is too similar to the username.") {
			t.Fatalf("sign-up with the username: %v", err)
		}
		u, err := CreateUser(ctx, "margaret", "maggie@example.com", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&Store{}).ChangePassword(ctx, u, "maggie@example", nil)
		if !errors.As(err, &verr) || !slices.Equal(verr.Fields["password"], []string{"The password is too similar to the email address."}) {
			t.Fatalf("password change to the email: %v", err)
		}
		if _, err := CreateSuperuserSkippingPasswordRules(ctx, "root", "", "password"); err != nil {
			t.Fatalf("createsuperuser's bypass: %v", err)
		}
		if _, err := CreateSuperuserSkippingPasswordRules(ctx, "root2", "", ""); err == nil {
			t.Fatal("the bypass made a superuser without a password")
		}
	})
}
