// Package browsertest drives Debian's Chromium headless (chromedp) for the
// project's browser tests: each step runs with a timeout, leaves a
// full-page screenshot in the test's artifact directory (go test
// -artifacts -outputdir DIR keeps them), and fails the test on any
// JavaScript exception, console error or Content-Security-Policy
// violation the page reports.
//
// Waits poll the page through DevTools (Until) and never sleep a fixed
// time. chromedp.Poll is not used: it builds its predicate with new
// Function, which the site's CSP refuses.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	browserTimeout = 3 * time.Minute  // one browser's whole run
	stepTimeout    = 30 * time.Second // one step
)

// SkipMessage is what a test skips with when no Chromium is installed; CI
// fails on seeing it, because CI installs Chromium.
const SkipMessage = "chromium not installed: apt-get install chromium"

// Chromium is the browser's path, or "" when it is not installed.
func Chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Start opens a browser on base (a server's URL) for t, or skips t when
// Chromium is not installed. It closes when t ends.
func Start(t *testing.T, base string) *Browser {
	t.Helper()
	chromium := Chromium()
	if chromium == "" {
		t.Skip(SkipMessage)
	}
	b := New(t, chromium, base)
	t.Cleanup(b.Close)
	return b
}

// Browser is one headless Chromium tab, driven step by step.
type Browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
	base   string
	dir    string // screenshots
	n      int    // steps taken

	mu       sync.Mutex
	problems []string // console errors, exceptions and CSP violations not yet reported
}

// New starts chromium for t, on the server at base.
func New(t *testing.T, chromium, base string) *Browser {
	b := &Browser{t: t, base: base, dir: t.ArtifactDir()}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	ctx, cancelTab := chromedp.NewContext(ctx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	b.cancel = func() { cancelTab(); cancelAlloc(); cancelTimeout() }
	// The first run starts the Browser, bound to ctx and not to a step's.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		b.cancel()
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return b
}

// Close stops the browser.
func (b *Browser) Close() { b.cancel() }

// listen records what the page reports that a test must not let pass. It
// runs in the tab's event loop: no commands here.
func (b *Browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" (%s:%d:%d)", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			var str string
			switch {
			case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal([]byte(a.Value), &str) == nil:
				parts = append(parts, str)
			case a.Description != "":
				parts = append(parts, a.Description)
			default:
				parts = append(parts, string(a.Value))
			}
		}
		msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
	case *log.EventEntryAdded:
		// CSP violations are security errors; failed loads are network ones.
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("%s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.problems = append(b.problems, msg)
	b.mu.Unlock()
}

// Step runs fn with a step's timeout, then takes a full-page screenshot named
// after the step and fails the test if fn did or the page reported an error.
func (b *Browser) Step(name string, fn func(ctx context.Context) error) {
	b.t.Helper()
	b.n++
	file := fmt.Sprintf("%02d-%s", b.n, name)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	started := time.Now()
	err := fn(ctx)
	if err != nil {
		file += "-failed"
	}
	shot, serr := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if serr == nil {
		serr = os.WriteFile(filepath.Join(b.dir, file+".png"), shot, 0o644)
	}
	if serr != nil {
		b.t.Errorf("screenshot %s: %v", file, serr)
	}
	b.mu.Lock()
	problems := b.problems
	b.problems = nil
	b.mu.Unlock()
	for _, p := range problems {
		b.t.Errorf("step %s: the Browser reported %s", file, p)
	}
	if err != nil {
		where, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("step %s (at %s): %v", file, where, err)
	}
	if len(problems) > 0 {
		b.t.FailNow()
	}
	b.t.Logf("step %s: %s", file, time.Since(started).Round(time.Millisecond))
}

// URL is path on the server under test.
func (b *Browser) URL(path string) string { return b.base + path }

// Navigate runs the actions, which must load a page (a click on a link or
// a submit button), and waits for it; the page must be a 200.
func (b *Browser) Navigate(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	res, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		return err
	}
	if res.Status != 200 {
		return fmt.Errorf("%s answered %d", res.URL, res.Status)
	}
	return nil
}

// Until polls the JavaScript expression until it is true. chromedp.Poll
// compiles its predicate with new Function, which the CSP forbids, so this
// evaluates through DevTools instead.
func (b *Browser) Until(ctx context.Context, expr string) error {
	var last error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Peek evaluates expr for an error message, after the step's time is up.
func (b *Browser) Peek(expr string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return got
}

// JS quotes s as a JavaScript string.
func JS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// WantText waits until the first element sel selects contains text.
func (b *Browser) WantText(ctx context.Context, sel, text string) error {
	err := b.Until(ctx, fmt.Sprintf(`document.querySelector(%s)?.textContent.replace(/\s+/g, ' ').includes(%s)`, JS(sel), JS(text)))
	if err != nil {
		got := b.Peek(fmt.Sprintf(`document.querySelector(%s)?.textContent ?? '(no element)'`, JS(sel)))
		return fmt.Errorf("%s does not show %q: it has %q: %w", sel, text, strings.Join(strings.Fields(got), " "), err)
	}
	return nil
}

// WantTexts waits until the elements sel selects have exactly texts.
func (b *Browser) WantTexts(ctx context.Context, sel string, texts ...string) error {
	want, _ := json.Marshal(texts)
	err := b.Until(ctx, fmt.Sprintf(
		`JSON.stringify(Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\s+/g, ' ').trim())) === %s`,
		JS(sel), JS(string(want))))
	if err != nil {
		got := b.Peek(fmt.Sprintf(`JSON.stringify(Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\s+/g, ' ').trim()))`, JS(sel)))
		return fmt.Errorf("%s: %s, want %s: %w", sel, got, want, err)
	}
	return nil
}

// WantValue waits until the form field sel selects holds value.
func (b *Browser) WantValue(ctx context.Context, sel, value string) error {
	err := b.Until(ctx, fmt.Sprintf(`document.querySelector(%s)?.value === %s`, JS(sel), JS(value)))
	if err != nil {
		got := b.Peek(fmt.Sprintf(`document.querySelector(%s)?.value ?? '(no element)'`, JS(sel)))
		return fmt.Errorf("%s holds %q, want %q: %w", sel, got, value, err)
	}
	return nil
}

// WantPath waits until the page's path and query are path.
func (b *Browser) WantPath(ctx context.Context, path string) error {
	err := b.Until(ctx, `location.pathname + location.search === `+JS(path))
	if err != nil {
		got := b.Peek(`location.href`)
		return fmt.Errorf("at %s, want %s: %w", got, path, err)
	}
	return nil
}

// WantQuery waits until the page's query has each of the parameters.
func (b *Browser) WantQuery(ctx context.Context, params ...string) error {
	want, _ := json.Marshal(params)
	err := b.Until(ctx, fmt.Sprintf(`%s.every(p => location.search.slice(1).split('&').includes(p))`, want))
	if err != nil {
		got := b.Peek(`location.href`)
		return fmt.Errorf("at %s, want the parameters %s: %w", got, strings.Join(params, " "), err)
	}
	return nil
}
