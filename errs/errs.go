// Package errs classifies errors by what went wrong for the person who
// asked, not by where they came from, so that one place can turn them
// into an answer.
//
// A handler knows that a product is missing or a form is stale, but which
// HTTP status and page that means is the web layer's business, and
// deciding it in every handler made the same failure answer differently
// from page to page, and made an unexpected error from a lower layer a 500
// even when it was the visitor's mistake. So the layers that know what
// happened say it with a Kind (the ORM's DoesNotExist is NotFound wherever
// it surfaces) and, when they have one, a message worded for users; the
// web layer's error handler maps the kind to a status once.
//
// The message is kept apart from the error's text on purpose: Error()
// says everything a developer needs in the log, including the cause, while
// Message returns only what a handler wrote for users, so a table, a host
// or a file name never reaches a page.
//
// The package depends on nothing of the project and nothing of HTTP, so
// the ORM and the apps can use it without depending on the web layer.
package errs

import (
	"errors"
	"fmt"
)

// Kind is what went wrong, as the person who asked sees it.
type Kind uint8

// The kinds. Internal is the zero value: an error nobody classified is
// the server's fault until someone says otherwise.
const (
	Internal     Kind = iota // a fault on our side; its text is never shown
	NotFound                 // what was asked for does not exist
	Invalid                  // the request itself is wrong: a bad value, an incomplete form
	Conflict                 // the request is fine but the state does not allow it now
	Forbidden                // the user may not do this
	Unauthorized             // the user must sign in first
	Unavailable              // a service we depend on is down for now; trying again may work
)

var kindNames = [...]string{
	Internal:     "internal",
	NotFound:     "not found",
	Invalid:      "invalid",
	Conflict:     "conflict",
	Forbidden:    "forbidden",
	Unauthorized: "unauthorized",
	Unavailable:  "unavailable",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is a classified error with a message for users and, optionally,
// the cause that stays in the log.
type Error struct {
	Kind Kind
	Msg  string // safe to show the user
	Err  error  // the cause, for the log; may be nil
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Msg
	case e.Msg == "":
		return e.Err.Error()
	}
	return e.Msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind makes an *Error a kinded error for KindOf.
func (e *Error) ErrorKind() Kind { return e.Kind }

// E is an error of kind k with msg for the user.
func E(k Kind, msg string) error { return &Error{Kind: k, Msg: msg} }

// Ef is E with a formatted message. The arguments become part of what the
// user sees: pass user-facing values (a product's name, a count), not
// errors.
func Ef(k Kind, format string, args ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap is E keeping err as the cause: errors.Is and errors.As still find
// it, and the log shows its text after msg. A nil err gives nil.
func Wrap(err error, k Kind, msg string) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Msg: msg, Err: err}
}

// Explain gives err the message msg when err is of kind k, keeping it as
// the cause; an error of another kind, or nil, is returned as it is. It
// words a lower layer's error for one page, as "No tag here." for a tag's
// DoesNotExist, without turning a database outage into a 404 as well.
func Explain(err error, k Kind, msg string) error {
	if err == nil || KindOf(err) != k {
		return err
	}
	return &Error{Kind: k, Msg: msg, Err: err}
}

// kinded is what KindOf looks for: any error, in any package, can say its
// kind by having this method.
type kinded interface{ ErrorKind() Kind }

// KindOf is the kind of the outermost error in err's chain that says one,
// or Internal when none does (or err is nil).
func KindOf(err error) Kind {
	var k kinded
	if errors.As(err, &k) {
		return k.ErrorKind()
	}
	return Internal
}

// Message is the user's message of the outermost *Error in err's chain, or
// "" when there is none: an error nobody worded for users has no message,
// and the caller shows a generic one for its kind.
func Message(err error) string {
	var e *Error
	for errors.As(err, &e) {
		if e.Msg != "" {
			return e.Msg
		}
		err = e.Err
	}
	return ""
}
