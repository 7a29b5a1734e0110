package manage

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// defaultDatabaseURL is used when DATABASE_URL is unset: an SQLite file in the
// working directory, so that a fresh checkout runs with no configuration.
const defaultDatabaseURL = "sqlite:db.sqlite3"

// Config is the configuration every command that touches the database
// shares. Flags win over the environment, which wins over the defaults.
type Config struct {
	databaseURL string
	mediaRoot   string
	debug       bool
	logLevel    slog.Level
}

// Register adds the shared flags to fs, with defaults read from env.
func (c *Config) Register(fs *flag.FlagSet, env *Env) {
	fs.StringVar(&c.databaseURL, "database", envOr(env, "DATABASE_URL", defaultDatabaseURL),
		"database URL: postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=… or sqlite:PATH (env DATABASE_URL)")
	fs.StringVar(&c.mediaRoot, "media", envOr(env, "MEDIA_ROOT", "media"),
		"folder of uploaded files, served under "+mediaPrefix+" (env MEDIA_ROOT)")
	fs.BoolVar(&c.debug, "debug", false, "log at debug level, every SQL statement included (env LOG_LEVEL=debug)")
}

// Resolve finishes the configuration after the flags are parsed.
func (c *Config) Resolve(env *Env) error {
	c.logLevel = slog.LevelInfo
	if s := env.Getenv("LOG_LEVEL"); s != "" {
		if err := c.logLevel.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", s)
		}
	}
	if c.debug {
		c.logLevel = slog.LevelDebug
	}
	orm.SetMedia(c.mediaRoot, mediaPrefix)
	return nil
}

// Logger returns the process's logger: text, to w, at the configured level.
func (c *Config) Logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: c.logLevel}))
}

// OpenDB opens the configured database. The ORM logs its SQL on log at debug
// level, so --debug shows every statement.
func (c *Config) OpenDB(ctx context.Context, log *slog.Logger) (*orm.DB, error) {
	db, err := orm.Open(ctx, c.databaseURL, orm.WithLogger(log))
	if err != nil {
		return nil, err
	}
	log.Info("database", "vendor", db.Vendor(), "url", redact(c.databaseURL))
	return db, nil
}

// Connect resolves the configuration and opens its database, for a command
// that logs to stderr and queries through the returned context; done
// closes the database.
func (c *Config) Connect(ctx context.Context, env *Env) (_ context.Context, done func(), err error) {
	if err := c.Resolve(env); err != nil {
		return ctx, nil, err
	}
	db, err := c.OpenDB(ctx, c.Logger(env.Stderr))
	if err != nil {
		return ctx, nil, err
	}
	return orm.WithDB(ctx, db), func() { db.Close() }, nil
}

func envOr(env *Env, key, fallback string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// redact hides the password of a database URL so that it can be logged.
func redact(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// url.Parse errors quote the input, password and all.
		return "(unparsable URL)"
	}
	return u.Redacted()
}
