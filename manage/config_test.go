package manage

import (
	"flag"
	"log/slog"
	"testing"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name      string
		vars      map[string]string
		args      []string
		wantURL   string
		wantLevel slog.Level
		wantErr   bool
	}{
		{name: "defaults", wantURL: "sqlite:db.sqlite3", wantLevel: slog.LevelInfo},
		{
			name:      "environment",
			vars:      map[string]string{"DATABASE_URL": "postgres://u@h/d", "LOG_LEVEL": "DEBUG"},
			wantURL:   "postgres://u@h/d",
			wantLevel: slog.LevelDebug,
		},
		{
			name:      "flags win over environment",
			vars:      map[string]string{"DATABASE_URL": "postgres://u@h/d", "LOG_LEVEL": "warn"},
			args:      []string{"--database", "sqlite:other.sqlite3", "--debug"},
			wantURL:   "sqlite:other.sqlite3",
			wantLevel: slog.LevelDebug,
		},
		{name: "bad LOG_LEVEL", vars: map[string]string{"LOG_LEVEL": "loud"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &Env{Stdout: t.Output(), Stderr: t.Output(), Getenv: func(k string) string { return tt.vars[k] }}
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var cfg Config
			cfg.Register(fs, env)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := cfg.Resolve(env)
			if tt.wantErr {
				if err == nil {
					t.Fatal("resolve succeeded, want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.databaseURL != tt.wantURL || cfg.logLevel != tt.wantLevel {
				t.Errorf("got URL %q level %v, want %q %v", cfg.databaseURL, cfg.logLevel, tt.wantURL, tt.wantLevel)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://quarry:s3cret@db:5432/quarry?sslmode=disable", "postgres://quarry:xxxxx@db:5432/quarry?sslmode=disable"},
		{"postgres://postgres@127.0.0.1/test", "postgres://postgres@127.0.0.1/test"},
		{"sqlite:db.sqlite3", "sqlite:db.sqlite3"},
		{"postgres://u:s3cret@[bad", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
