// Package mail sends email the way Django's django.core.mail does: a
// Message, and a Backend chosen by configuration (EMAIL_URL) that delivers
// it — to the log (the default), to an SMTP server, or into memory for
// tests (Django's locmem backend and mail.outbox).
//
// Pages do not send mail themselves: they enqueue it as a job in the
// database, in the same transaction as the change the mail is about
// (package jobs), and a worker hands it to the Backend, retrying with
// backoff. A rolled-back order sends nothing, and a crash after commit
// still sends.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Message is one email. Text is required; HTML, when set, is sent as the
// alternative part, as Django's EmailMultiAlternatives does.
type Message struct {
	From    string   `json:"from"`
	To      []string `json:"to"`
	Subject string   `json:"subject"`
	Text    string   `json:"text"`
	HTML    string   `json:"html,omitempty"`
}

// Backend delivers messages.
type Backend interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalid is wrapped by the errors of a message that can never be
// sent: retrying it is pointless.
var ErrInvalid = errors.New("mail: invalid message")

// Validate checks what every backend needs: a sender, recipients that
// are addresses, a subject without line breaks.
func (m Message) Validate() error {
	if _, err := netmail.ParseAddress(m.From); err != nil {
		return fmt.Errorf("%w: from %q: %v", ErrInvalid, m.From, err)
	}
	if len(m.To) == 0 {
		return fmt.Errorf("%w: no recipient", ErrInvalid)
	}
	for _, to := range m.To {
		if _, err := netmail.ParseAddress(to); err != nil {
			return fmt.Errorf("%w: to %q: %v", ErrInvalid, to, err)
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: a line break in the subject", ErrInvalid) // header injection
	}
	return nil
}

// Bytes is the message in Internet Message Format (RFC 5322), with its
// Date and Message-ID: text/plain, or multipart/alternative with HTML.
// Headers are encoded as RFC 2047 words where they are not ASCII; bodies
// are quoted-printable.
func (m Message) Bytes(now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", encodeAddress(m.From))
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = encodeAddress(a)
	}
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(m.From))
	header("MIME-Version", "1.0")
	if m.HTML == "" {
		header("Content-Type", `text/plain; charset="utf-8"`)
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
		return b.Bytes()
	}
	boundary := randomHex(12)
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary, part.typ)
		writeQP(&b, part.body)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func writeQP(w io.Writer, s string) {
	qp := quotedprintable.NewWriter(w)
	qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")))
	qp.Close()
}

// encodeAddress encodes the display name of "Name <addr>" when it is not
// ASCII; an address that does not parse is left as written (Validate
// refuses it before sending).
func encodeAddress(a string) string {
	addr, err := netmail.ParseAddress(a)
	if err != nil {
		return a
	}
	return addr.String()
}

// parseAddress is the bare address of "Name <addr>" or "addr".
func parseAddress(a string) (string, error) {
	addr, err := netmail.ParseAddress(a)
	if err != nil {
		return "", err
	}
	return addr.Address, nil
}

func messageID(from string) string {
	domain := "localhost"
	if addr, err := netmail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(addr.Address, "@"); ok {
			domain = d
		}
	}
	return "<" + randomHex(16) + "@" + domain + ">"
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Console writes each message to W, as Django's console backend does: the
// embedded default, so a developer sees the mail the app would send, and
// can follow its links.
type Console struct {
	mu sync.Mutex
	W  io.Writer
}

func (c *Console) Send(_ context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Decoded, not as the wire carries it: quoted-printable would break
	// a long link across lines with "=", and a developer copies it.
	html := ""
	if m.HTML != "" {
		html = fmt.Sprintf("\n[and an HTML version, %d bytes]", len(m.HTML))
	}
	_, err := fmt.Fprintf(c.W, "From: %s\nTo: %s\nSubject: %s\nDate: %s\n\n%s%s\n%s\n",
		m.From, strings.Join(m.To, ", "), m.Subject, time.Now().Format(time.RFC1123Z), m.Text, html, strings.Repeat("-", 79))
	return err
}

// Memory keeps the messages it is given, in order: Django's locmem
// backend, for tests.
type Memory struct {
	mu     sync.Mutex
	outbox []Message
}

func (m *Memory) Send(_ context.Context, msg Message) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outbox = append(m.outbox, msg)
	return nil
}

// Outbox is a copy of the messages sent so far.
func (m *Memory) Outbox() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.outbox...)
}

// FromURL is the backend an EMAIL_URL names:
//
//	console:                        the log (w), the default
//	memory:                         kept in memory (tests)
//	smtp://user:pass@host:587       SMTP, upgraded with STARTTLS, which
//	                                must be offered unless ?tls=none
//	smtps://user:pass@host:465      SMTP over TLS from the start
//
// The user and password are URL-escaped; ?timeout=10s bounds a delivery.
func FromURL(raw string, w io.Writer) (Backend, error) {
	if raw == "" || raw == "console:" || raw == "console://" {
		return &Console{W: w}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mail: EMAIL_URL: %v", err)
	}
	switch u.Scheme {
	case "memory":
		return &Memory{}, nil
	case "smtp", "smtps":
		s, err := smtpFromURL(u)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("mail: EMAIL_URL: unknown scheme %q (console, memory, smtp or smtps)", u.Scheme)
}
