package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"time"
)

// TLS modes of an SMTP backend.
const (
	StartTLS    = "starttls" // upgrade a plain connection; refuse a server that cannot
	ImplicitTLS = "tls"      // TLS from the first byte (port 465)
	NoTLS       = "none"     // plain text: a local relay only
)

// SMTP delivers through an SMTP server (Django's smtp backend). Passwords
// never cross a connection that is not encrypted: with NoTLS, no AUTH is
// attempted unless the server is on the loopback interface.
type SMTP struct {
	Addr     string // host:port
	Username string
	Password string
	TLS      string      // StartTLS (default), ImplicitTLS or NoTLS
	Config   *tls.Config // nil: verify the server's name against the system roots
	Timeout  time.Duration
	// LocalName is what the client says in HELO/EHLO; "localhost" when "".
	LocalName string
}

func smtpFromURL(u *url.URL) (*SMTP, error) {
	s := &SMTP{Addr: u.Host, TLS: StartTLS, Timeout: 30 * time.Second}
	if u.Scheme == "smtps" {
		s.TLS = ImplicitTLS
	}
	if u.Port() == "" {
		port := "587"
		if s.TLS == ImplicitTLS {
			port = "465"
		}
		s.Addr = net.JoinHostPort(u.Hostname(), port)
	}
	if u.Hostname() == "" {
		return nil, errors.New("mail: EMAIL_URL: no host")
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	q := u.Query()
	if t := q.Get("tls"); t != "" {
		if t != StartTLS && t != ImplicitTLS && t != NoTLS {
			return nil, fmt.Errorf("mail: EMAIL_URL: tls=%q (starttls, tls or none)", t)
		}
		s.TLS = t
	}
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("mail: EMAIL_URL: timeout=%q", t)
		}
		s.Timeout = d
	}
	return s, nil
}

// Send delivers m in one SMTP session.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	cfg := s.Config
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	d := net.Dialer{}
	var conn net.Conn
	if s.TLS == ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: cfg}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	// The context's deadline bounds the whole session; cancelling it
	// closes the connection under a blocked read.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	name := s.LocalName
	if name == "" {
		name = "localhost"
	}
	if err := c.Hello(name); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if s.TLS == StartTLS || s.TLS == "" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail: %s does not offer STARTTLS (EMAIL_URL ?tls=none sends in plain text)", s.Addr)
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: %w", err)
		}
	}
	if s.Username != "" {
		// net/smtp's PlainAuth refuses to send the password unencrypted
		// except to localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("mail: %w", err)
		}
	}
	from, _ := parseAddress(m.From)
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	for _, to := range m.To {
		addr, _ := parseAddress(to)
		if err := c.Rcpt(addr); err != nil {
			return fmt.Errorf("mail: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if _, err := w.Write(m.Bytes(time.Now())); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return c.Quit()
}

// Permanent reports whether err is an SMTP rejection that a retry will
// not change (a 5xx reply), or a message that can never be sent.
func Permanent(err error) bool {
	var tp *textproto.Error
	return errors.Is(err, ErrInvalid) || errors.As(err, &tp) && tp.Code >= 500
}
