package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/quarry-go/quarry/mail"
)

// EmailArgs is a job that sends one message.
type EmailArgs struct {
	Message mail.Message `json:"message"`
}

func (EmailArgs) Kind() string { return "send_email" }

// InsertOpts: mail is retried for about a day (the backoff after attempt
// n is n⁴ seconds: 12 attempts span ~16 hours), as a mail server keeps a
// deferred message.
func (EmailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

// SendMail enqueues m, in the context's transaction when there is one:
// call it inside the orm.Atomic that makes the change the mail is about.
// A message without From is sent from the worker's From
// (DEFAULT_FROM_EMAIL).
func SendMail(ctx context.Context, m mail.Message) error {
	check := m
	if check.From == "" {
		check.From = "webmaster@localhost"
	}
	if err := check.Validate(); err != nil {
		return err // a message that can never go is the caller's mistake, now
	}
	return Enqueue(ctx, EmailArgs{Message: m}, nil)
}

// EmailWorker sends EmailArgs jobs through a mail backend.
type EmailWorker struct {
	river.WorkerDefaults[EmailArgs]
	Backend mail.Backend
	From    string // for messages without one: Django's DEFAULT_FROM_EMAIL
}

func (w *EmailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	m := job.Args.Message
	if m.From == "" {
		m.From = w.From
	}
	err := w.Backend.Send(ctx, m)
	if err != nil && mail.Permanent(err) {
		return river.JobCancel(err) // refused for good: no more attempts
	}
	return err
}

func (w *EmailWorker) Timeout(*river.Job[EmailArgs]) time.Duration { return 2 * time.Minute }
