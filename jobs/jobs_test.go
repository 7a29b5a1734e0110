package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/mail"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

// quiet drops River's own log lines.
var quiet = slog.New(slog.DiscardHandler)

func message(subject string) mail.Message {
	return mail.Message{From: "shop@example.com", To: []string{"ann@example.com"}, Subject: subject, Text: "Hello."}
}

// Mail enqueued in a transaction that rolls back is never sent; mail
// enqueued in one that commits is, through a real SMTP server, and a
// temporary refusal is retried.
func TestMailIsSentOnceCommitted(t *testing.T) {
	migrationstest.Each(t, []app.App{jobs.App}, func(t *testing.T, ctx context.Context) {
		srv := smtptest.Start(t)
		errBoom := errors.New("the order failed")
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			if err := jobs.SendMail(ctx, message("rolled back")); err != nil {
				t.Fatal(err)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatal(err)
		}
		if err := orm.Atomic(ctx, func(ctx context.Context) error {
			return jobs.SendMail(ctx, message("committed"))
		}); err != nil {
			t.Fatal(err)
		}
		if err := jobs.SendMail(ctx, message("no transaction")); err != nil {
			t.Fatal(err)
		}
		if err := jobs.SendMail(ctx, mail.Message{From: "shop@example.com", Subject: "to nobody"}); !errors.Is(err, mail.ErrInvalid) {
			t.Errorf("a message without recipients: %v", err)
		}

		// The first delivery is refused; River retries it after its
		// backoff, made short here.
		srv.FailNext(1)
		workers := river.NewWorkers()
		river.AddWorker(workers, &jobs.EmailWorker{Backend: srv.Backend()})
		r, err := jobs.NewRunner(orm.FromContext(ctx), workers, jobs.Config{PollInterval: 100 * time.Millisecond, RetryDelay: 100 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(context.Background())
		got := srv.Wait(t, 2, 20*time.Second)
		subjects := map[string]bool{}
		for _, m := range got {
			subjects[m.Subject] = true
		}
		if !subjects["committed"] || !subjects["no transaction"] || subjects["rolled back"] {
			t.Errorf("sent %v", subjects)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(srv.Messages()); n != 2 {
			t.Errorf("%d messages, want 2", n)
		}
	})
}

// A message the server refuses for good is not retried, and the admin's
// list of failed jobs shows it.
func TestFailedJobsAreListed(t *testing.T) {
	migrationstest.Each(t, []app.App{jobs.App}, func(t *testing.T, ctx context.Context) {
		srv := smtptest.Start(t)
		backend := srv.Backend()
		backend.Password = "wrong" // 535: permanent
		if err := jobs.SendMail(ctx, message("never")); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &jobs.EmailWorker{Backend: backend})
		r, err := jobs.NewRunner(orm.FromContext(ctx), workers, jobs.Config{PollInterval: 100 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(context.Background())
		var failed []*rivertype.JobRow
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if failed, err = jobs.Failed(ctx, 10); err != nil {
				t.Fatal(err)
			}
			if len(failed) > 0 && failed[0].State == rivertype.JobStateCancelled {
				break
			}
		}
		if len(failed) != 1 || failed[0].Kind != "send_email" || failed[0].Attempt != 1 || len(failed[0].Errors) != 1 {
			t.Fatalf("failed jobs: %+v", failed)
		}
	})
}
