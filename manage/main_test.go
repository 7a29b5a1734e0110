package manage

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
)

// The test project: an app of three hand-written migrations
// (testdata/migrations/good, recorded in goose's default table, as the
// goose CLI reads them) and mk, whose models makemigrations writes for
// (makemigrations_test.go).
var (
	testApp = app.App{Label: "test", Migrations: os.DirFS("testdata/migrations/good"), MigrationsTable: "goose_db_version"}
	mkApp   = app.App{Label: "mk", Models: []*orm.Meta{MkAuthors.Meta, MkPosts.Meta}}

	testProject = &Project{Name: "web", Apps: []app.App{testApp, mkApp}}
)

// run is the program's main without the process: the command's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return testProject.Run(ctx, args, stdout, stderr, getenv)
}

// runWeb runs the test project with args and the environment vars, and
// returns its exit code, stdout and stderr.
func runWeb(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut, func(k string) string { return vars[k] })
	return code, out.String(), errOut.String()
}

// syncBuffer is a bytes.Buffer that the server's goroutines and the test can
// share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// waitForAddr returns the address the server logs once it listens.
func waitForAddr(t *testing.T, log *syncBuffer, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingAddr.FindStringSubmatch(log.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before listening; stderr:\n%s", code, log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not log its address; stderr:\n%s", log.String())
	return ""
}
