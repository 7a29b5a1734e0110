package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// runWeb runs web with args and the environment vars, and returns its exit
// code, stdout and stderr.
func runWeb(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut, func(k string) string { return vars[k] })
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runWeb(t, t.Context(), nil, args...)
			if code != 0 {
				t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: web [COMMAND] [FLAGS]") {
				t.Errorf("stdout does not start with the usage line:\n%s", stdout)
			}
			for _, c := range project.CommandList() {
				if !strings.Contains(stdout, "  "+c.Name+" ") || !strings.Contains(stdout, c.Summary) {
					t.Errorf("help does not list %q with its summary %q:\n%s", c.Name, c.Summary, stdout)
				}
			}
		})
	}
}

func TestHelpCommand(t *testing.T) {
	code, _, stderr := runWeb(t, t.Context(), nil, "help", "serve")
	if code != 0 {
		t.Fatalf("exit code = %d, want 0", code)
	}
	for _, want := range []string{"Usage: web serve [FLAGS]", "-addr", "-database", "-debug"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("web help serve lacks %q:\n%s", want, stderr)
		}
	}
}

// TestCommandsAreWellFormed guards the table that later commands are added to.
func TestCommandsAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range project.CommandList() {
		switch {
		case c.Name == "" || strings.HasPrefix(c.Name, "-"):
			t.Errorf("command %q: a name must be non-empty and not look like a flag", c.Name)
		case seen[c.Name]:
			t.Errorf("command %q is listed twice", c.Name)
		case c.Summary == "" || strings.Contains(c.Summary, "\n"):
			t.Errorf("command %q: summary must be one non-empty line", c.Name)
		case c.Run == nil:
			t.Errorf("command %q has no run function", c.Name)
		}
		seen[c.Name] = true
	}
	if defaultCommand := "serve"; !seen[defaultCommand] {
		t.Errorf("default command %q is not in the table", defaultCommand)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr []string
	}{
		{"unknown command", []string{"frobnicate"}, []string{`web: unknown command "frobnicate"`, "Commands:", "serve"}},
		{"unknown help topic", []string{"help", "frobnicate"}, []string{`unknown command "frobnicate"`, "Commands:"}},
		{"unknown flag", []string{"serve", "--no-such-flag"}, []string{"flag provided but not defined", "Usage: web serve"}},
		{"unknown flag, default command", []string{"--no-such-flag"}, []string{"flag provided but not defined"}},
		{"stray argument", []string{"serve", "extra"}, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runWeb(t, t.Context(), nil, tt.args...)
			if code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestServeFailsOnBusyAddress checks that a listen error ends serve with
// exit code 1 instead of a server that never answers.
func TestServeFailsOnBusyAddress(t *testing.T) {
	ln := listenLocal(t)
	vars := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")}
	code, _, stderr := runWeb(t, context.Background(), vars, "serve", "--addr", ln.Addr().String())
	if code != 1 {
		t.Errorf("exit code = %d, want 1; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "address already in use") {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
}
