package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MinPasswordLength is Django's MinimumLengthValidator default.
const MinPasswordLength = 8

// MaxPasswordSimilarity is Django's UserAttributeSimilarityValidator
// default: a password whose quick ratio to a user attribute reaches it is
// too similar.
const MaxPasswordSimilarity = 0.7

// PasswordError lists every password rule a password breaks, in Django's
// words and order.
type PasswordError struct {
	Messages []string
}

func (e *PasswordError) Error() string { return strings.Join(e.Messages, " ") }

// PasswordMessages returns the messages of a *PasswordError in err, or nil.
func PasswordMessages(err error) []string {
	var pe *PasswordError
	if errors.As(err, &pe) {
		return pe.Messages
	}
	return nil
}

// ValidatePassword is Django's validate_password with its four default
// validators (AUTH_PASSWORD_VALIDATORS): MinimumLength, UserAttribute-
// Similarity, CommonPassword and NumericPassword. u, when given, is the
// user the password is for: it need not be saved yet. Sign-up,
// createsuperuser, the first-superuser link, the password change pages and
// changepassword all apply it, so a rule holds wherever a password is
// chosen. It returns a *PasswordError, or nil when the password passes.
func ValidatePassword(raw string, u *User) error {
	var msgs []string
	if utf8.RuneCountInString(raw) < MinPasswordLength {
		msgs = append(msgs, fmt.Sprintf(
			"This password is too short. It must contain at least %d characters.", MinPasswordLength))
	}
	if name := similarAttribute(raw, u, MaxPasswordSimilarity); name != "" {
		msgs = append(msgs, "The password is too similar to the "+name+".")
	}
	if isCommonPassword(raw) {
		msgs = append(msgs, "This password is too common.")
	}
	if isNumeric(raw) {
		msgs = append(msgs, "This password is entirely numeric.")
	}
	if len(msgs) > 0 {
		return &PasswordError{Messages: msgs}
	}
	return nil
}

// nonWord is Python's \W+ on str: anything but letters, digits and "_".
var nonWord = regexp.MustCompile(`[^\p{L}\p{N}_]+`)

// similarAttribute is UserAttributeSimilarityValidator: the verbose name
// of the first attribute (username, first name, last name, email address)
// the password is too similar to, whole or in parts split at non-word
// characters, or "".
func similarAttribute(raw string, u *User, maxSimilarity float64) string {
	if u == nil {
		return ""
	}
	password := []rune(strings.ToLower(raw))
	for _, attr := range []struct{ value, verbose string }{
		{u.Username, "username"},
		{u.FirstName, "first name"},
		{u.LastName, "last name"},
		{u.Email, "email address"},
	} {
		if attr.value == "" {
			continue
		}
		lower := strings.ToLower(attr.value)
		for _, part := range append(nonWord.Split(lower, -1), lower) {
			value := []rune(part)
			if exceedsMaximumLengthRatio(len(password), maxSimilarity, len(value)) {
				continue
			}
			if quickRatio(password, value) >= maxSimilarity {
				return attr.verbose
			}
		}
	}
	return ""
}

// exceedsMaximumLengthRatio is Django's shortcut: a value much shorter
// than the password cannot reach the ratio, so it is not compared.
func exceedsMaximumLengthRatio(passwordLen int, maxSimilarity float64, valueLen int) bool {
	lengthBoundSimilarity := maxSimilarity / 2 * float64(passwordLen)
	return passwordLen >= 10*valueLen && float64(valueLen) < lengthBoundSimilarity
}

// quickRatio is Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio():
// 2·M/T, where M counts the characters the two have in common (as
// multisets, ignoring order) and T is their total length; 1 for two empty
// strings. Django compares with it, and so the same passwords pass.
func quickRatio(a, b []rune) float64 {
	total := len(a) + len(b)
	if total == 0 {
		return 1
	}
	avail := make(map[rune]int, len(b))
	for _, r := range b {
		avail[r]++
	}
	matches := 0
	for _, r := range a {
		if avail[r] > 0 {
			avail[r]--
			matches++
		}
	}
	return 2 * float64(matches) / float64(total)
}

// isNumeric is NumericPasswordValidator's str.isdigit: non-empty and every
// character a digit.
func isNumeric(raw string) bool {
	if raw == "" {
		return false
	}
	for _, r := range raw {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// commonPasswordsGz is Django's own list, django/contrib/auth/
// common-passwords.txt.gz as Django 3.2 ships it (Debian's python3-django
// package; BSD licence): the 20,000 most common passwords of Royce
// Williams' 2018 compilation, lower-cased and deduplicated.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: the embedded common password list is corrupt: " + err.Error())
	}
	set := make(map[string]struct{}, 20000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		set[strings.TrimSpace(sc.Text())] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		panic("auth: the embedded common password list is corrupt: " + err.Error())
	}
	return set
})

// isCommonPassword is CommonPasswordValidator: the password, lower-cased
// and trimmed, is on the list.
func isCommonPassword(raw string) bool {
	_, ok := commonPasswords()[strings.TrimSpace(strings.ToLower(raw))]
	return ok
}
