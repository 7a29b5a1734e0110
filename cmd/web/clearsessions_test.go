package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

func TestClearSessions(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite3")
	getenv := func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] }
	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"clearsessions"}, &stdout, &stderr, getenv); code != 1 || !strings.Contains(stderr.String(), "web migrate") {
		t.Fatalf("before migrate: exit %d, stderr:\n%s", code, stderr.String())
	}
	if code := run(ctx, []string{"migrate"}, &stdout, &stderr, getenv); code != 0 {
		t.Fatalf("migrate: exit %d, stderr:\n%s", code, stderr.String())
	}

	db, err := orm.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dctx := orm.WithDB(ctx, db)
	old := &auth.Store{Now: func() time.Time { return time.Now().Add(-30 * 24 * time.Hour) }}
	for _, store := range []*auth.Store{old, old, {}} {
		if err := store.Save(dctx, &auth.Session{}); err != nil {
			t.Fatal(err)
		}
	}

	stdout.Reset()
	if code := run(ctx, []string{"clearsessions"}, &stdout, &stderr, getenv); code != 0 {
		t.Fatalf("clearsessions: exit %d, stderr:\n%s", code, stderr.String())
	}
	if want := "Deleted 2 expired sessions and 0 stale login attempts."; !strings.Contains(stdout.String(), want) {
		t.Fatalf("clearsessions said %q, want %q", stdout.String(), want)
	}
	if n, _ := auth.Sessions.Objects().Count(dctx); n != 1 {
		t.Fatalf("%d sessions left, want the live one", n)
	}
}
