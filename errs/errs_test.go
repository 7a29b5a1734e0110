package errs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/quarry-go/quarry/errs"
)

// kindedCause stands for another package's error that says its kind
// without being an *errs.Error, as the ORM's do.
type kindedCause struct{ k errs.Kind }

func (e kindedCause) Error() string        { return "orm: object does not exist" }
func (e kindedCause) ErrorKind() errs.Kind { return e.k }

func TestKindAndMessage(t *testing.T) {
	cause := errors.New("pq: relation shop_product at db.internal")
	notFound := kindedCause{errs.NotFound}
	unavailable := kindedCause{errs.Unavailable}

	tests := []struct {
		name    string
		err     error
		kind    errs.Kind
		message string
		text    string // Error(), for the log
		isCause error  // errors.Is must still find it
	}{
		{"nil", nil, errs.Internal, "", "", nil},
		{"plain error", cause, errs.Internal, "", cause.Error(), cause},
		{"context", context.Canceled, errs.Internal, "", "context canceled", context.Canceled},
		{"E", errs.E(errs.Conflict, "Only 2 left of Kettle"), errs.Conflict, "Only 2 left of Kettle", "Only 2 left of Kettle", nil},
		{"Ef", errs.Ef(errs.Invalid, "Only %d left of %s", 2, "Kettle"), errs.Invalid, "Only 2 left of Kettle", "Only 2 left of Kettle", nil},
		{"wrapped by fmt", fmt.Errorf("placing order: %w", errs.E(errs.Conflict, "Sold out.")), errs.Conflict, "Sold out.", "placing order: Sold out.", nil},
		{"Wrap keeps the cause", errs.Wrap(cause, errs.Unavailable, "Payments are down."), errs.Unavailable, "Payments are down.",
			"Payments are down.: " + cause.Error(), cause},
		{"Wrap nil", errs.Wrap(nil, errs.Conflict, "x"), errs.Internal, "", "", nil},
		{"kind from another package", fmt.Errorf("tag: %w", notFound), errs.NotFound, "", "tag: orm: object does not exist", notFound},
		{"outermost kind wins", errs.Wrap(notFound, errs.Forbidden, "Not yours."), errs.Forbidden, "Not yours.", "Not yours.: orm: object does not exist", notFound},
		{"Explain of its kind", errs.Explain(fmt.Errorf("get: %w", notFound), errs.NotFound, "No tag here."), errs.NotFound, "No tag here.",
			"No tag here.: get: orm: object does not exist", notFound},
		{"Explain of another kind", errs.Explain(unavailable, errs.NotFound, "No tag here."), errs.Unavailable, "", "orm: object does not exist", unavailable},
		{"Explain of an unclassified error", errs.Explain(cause, errs.NotFound, "No tag here."), errs.Internal, "", cause.Error(), cause},
		{"Explain nil", errs.Explain(nil, errs.NotFound, "No tag here."), errs.Internal, "", "", nil},
		{"message found past an unworded Error", errs.Wrap(errs.E(errs.Invalid, "Bad date."), errs.Invalid, ""), errs.Invalid, "Bad date.", "Bad date.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errs.KindOf(tt.err); got != tt.kind {
				t.Errorf("KindOf = %v, want %v", got, tt.kind)
			}
			if got := errs.Message(tt.err); got != tt.message {
				t.Errorf("Message = %q, want %q", got, tt.message)
			}
			if tt.err == nil {
				return
			}
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
			if tt.isCause != nil && !errors.Is(tt.err, tt.isCause) {
				t.Errorf("errors.Is(err, cause) = false; the cause is lost")
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[errs.Kind]string{errs.Internal: "internal", errs.NotFound: "not found", errs.Unavailable: "unavailable", 200: "kind(200)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", k, got, want)
		}
	}
}
