package mail_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/mail"
)

var msg = mail.Message{
	From:    "Quarry Shop <shop@example.com>",
	To:      []string{"Zoë Müller <zoe@example.com>"},
	Subject: "Your order Q7K2-M9PX — thank you, Zoë",
	Text:    "Hello Zoë,\n\nYour order is on its way. A line that is long enough to be wrapped by quoted-printable encoding, which keeps lines under 76 characters.\n",
	HTML:    "<p>Hello Zoë,</p><p>Your order is on its way.</p>",
}

// Through a real SMTP server: STARTTLS first, then AUTH, and the message
// arrives with its subject, text and HTML intact.
func TestSMTPDelivers(t *testing.T) {
	srv := smtptest.Start(t)
	if err := srv.Backend().Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if !got.TLS || !got.Authed {
		t.Errorf("TLS %v, authenticated %v; want both", got.TLS, got.Authed)
	}
	if got.From != "shop@example.com" || len(got.To) != 1 || got.To[0] != "zoe@example.com" {
		t.Errorf("envelope from %q to %v", got.From, got.To)
	}
	if got.Subject != msg.Subject || got.Text != strings.ReplaceAll(msg.Text, "\r\n", "\n") || got.HTML != msg.HTML {
		t.Errorf("got subject %q\ntext %q\nhtml %q", got.Subject, got.Text, got.HTML)
	}
	if got.Header.Get("Message-Id") == "" || got.Header.Get("Date") == "" {
		t.Errorf("no Message-ID or Date: %v", got.Header)
	}
}

func TestSMTPRefusals(t *testing.T) {
	srv := smtptest.Start(t)
	ctx := context.Background()

	// A temporary refusal is an error a retry may overcome.
	srv.FailNext(1)
	err := srv.Backend().Send(ctx, msg)
	if err == nil || mail.Permanent(err) {
		t.Fatalf("a 451: err %v, permanent %v", err, mail.Permanent(err))
	}
	if err := srv.Backend().Send(ctx, msg); err != nil {
		t.Fatalf("after the refusal: %v", err)
	}

	// A wrong password; a server not trusted; a message that can never go.
	b := srv.Backend()
	b.Password = "wrong"
	if err := b.Send(ctx, msg); err == nil || !mail.Permanent(err) {
		t.Errorf("a wrong password: %v, want a permanent error", err)
	}
	b = srv.Backend()
	b.Config.RootCAs = nil
	if err := b.Send(ctx, msg); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
	bad := msg
	bad.Subject = "Hi\r\nBcc: victim@example.com"
	if err := srv.Backend().Send(ctx, bad); !errors.Is(err, mail.ErrInvalid) || !mail.Permanent(err) {
		t.Errorf("a header in the subject: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}

func TestFromURL(t *testing.T) {
	var log bytes.Buffer
	for _, tc := range []struct {
		url, want string
	}{
		{"", "*mail.Console"},
		{"console:", "*mail.Console"},
		{"memory:", "*mail.Memory"},
		{"smtp://u:p%40ss@mail.example.com", "smtp mail.example.com:587 starttls u p@ss"},
		{"smtps://mail.example.com", "smtp mail.example.com:465 tls  "},
		{"smtp://relay:25?tls=none&timeout=5s", "smtp relay:25 none  "},
		{"smtp://relay?tls=maybe", "error"},
		{"ftp://x", "error"},
		{"smtp://", "error"},
	} {
		b, err := mail.FromURL(tc.url, &log)
		got := "error"
		switch b := b.(type) {
		case *mail.SMTP:
			got = strings.Join([]string{"smtp", b.Addr, b.TLS, b.Username, b.Password}, " ")
		case *mail.Console:
			got = "*mail.Console"
		case *mail.Memory:
			got = "*mail.Memory"
		}
		if got != tc.want {
			t.Errorf("FromURL(%q) = %s (%v), want %s", tc.url, got, err, tc.want)
		}
	}
}

func TestConsoleAndMemory(t *testing.T) {
	var log bytes.Buffer
	c := &mail.Console{W: &log}
	if err := c.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if out := log.String(); !strings.Contains(out, "Subject: "+msg.Subject) || !strings.Contains(out, "To: Zoë Müller <zoe@example.com>") ||
		!strings.Contains(out, msg.Text) || !strings.Contains(out, "[and an HTML version") {
		t.Errorf("console output:\n%s", out)
	}
	// On the wire, headers that are not ASCII are encoded words.
	if raw := string(msg.Bytes(time.Now())); !strings.Contains(raw, "Subject: =?utf-8?q?") || !strings.Contains(raw, "To: =?utf-8?q?Zo=C3=AB_M=C3=BCller?= <zoe@example.com>") {
		t.Errorf("the message:\n%s", raw)
	}
	m := &mail.Memory{}
	m.Send(context.Background(), msg)
	if err := m.Send(context.Background(), mail.Message{From: "x@example.com", Subject: "no one"}); err == nil {
		t.Error("a message without recipients was accepted")
	}
	if out := m.Outbox(); len(out) != 1 || out[0].Subject != msg.Subject {
		t.Errorf("outbox %v", out)
	}
}
