package main

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

// baseConfig is the configuration every command that touches the database
// shares. Flags win over the environment, which wins over the defaults.
type baseConfig struct {
	databaseURL string
	mediaRoot   string
	debug       bool
	logLevel    slog.Level
}

// register adds the shared flags to fs, with defaults read from env.
func (c *baseConfig) register(fs *flag.FlagSet, env *environment) {
	fs.StringVar(&c.databaseURL, "database", envOr(env, "DATABASE_URL", defaultDatabaseURL),
		"database URL: postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=… or sqlite:PATH (env DATABASE_URL)")
	fs.StringVar(&c.mediaRoot, "media", envOr(env, "MEDIA_ROOT", "media"),
		"folder of uploaded files, served under "+mediaPrefix+" (env MEDIA_ROOT)")
	fs.BoolVar(&c.debug, "debug", false, "log at debug level, every SQL statement included (env LOG_LEVEL=debug)")
}

// resolve finishes the configuration after the flags are parsed.
func (c *baseConfig) resolve(env *environment) error {
	c.logLevel = slog.LevelInfo
	if s := env.getenv("LOG_LEVEL"); s != "" {
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

// logger returns the process's logger: text, to w, at the configured level.
func (c *baseConfig) logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: c.logLevel}))
}

// openDB opens the configured database. The ORM logs its SQL on log at debug
// level, so --debug shows every statement.
func (c *baseConfig) openDB(ctx context.Context, log *slog.Logger) (*orm.DB, error) {
	db, err := orm.Open(ctx, c.databaseURL, orm.WithLogger(log))
	if err != nil {
		return nil, err
	}
	log.Info("database", "vendor", db.Vendor(), "url", redact(c.databaseURL))
	return db, nil
}

// connect resolves the configuration and opens its database, for a command
// that logs to stderr and queries through the returned context; done
// closes the database.
func (c *baseConfig) connect(ctx context.Context, env *environment) (_ context.Context, done func(), err error) {
	if err := c.resolve(env); err != nil {
		return ctx, nil, err
	}
	db, err := c.openDB(ctx, c.logger(env.stderr))
	if err != nil {
		return ctx, nil, err
	}
	return orm.WithDB(ctx, db), func() { db.Close() }, nil
}

func envOr(env *environment, key, fallback string) string {
	if v := env.getenv(key); v != "" {
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
