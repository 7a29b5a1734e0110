// Command pages measures how the cost of the site's list pages grows with
// the data. For each engine it seeds one database per size, serves each
// with its own `web serve`, signs in to the admin over HTTP, and requests
// every page from all the servers in turn, so that every size sees the
// same machine at the same moment. It prints, per engine, each page's
// median time at every size and its ratio to the smallest size, and
// flags the ratios over a limit.
//
//	go run ./bench/pages                          # sqlite and postgres, 2,000 and 200,000 products
//	go run ./bench/pages -engines sqlite -sizes 500,5000 -n 5
//
// It is a program rather than a benchmark of `go test`: a run builds the
// binary, seeds databases and starts servers, which no test run should do.
// See bench/README.md for what it measures and the latest results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

type config struct {
	engines                    []string
	sizes                      []int
	posts                      int // 0: as many posts as products
	customers, orders, reviews int
	reps, warmup               int
	limit                      float64
	markdown                   bool
	postgres                   string
	productWord, postWord      string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "quarry-pages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(stderr, "building web")
	bin := tmp + "/web"
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/quarry-go/quarry/cmd/web")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	for _, engine := range cfg.engines {
		res, err := runEngine(ctx, cfg, engine, bin, tmp, stderr)
		// A failed cleanup after a complete run leaves results worth
		// printing.
		if res != nil {
			res.print(stdout, cfg)
			if over := res.over(cfg.limit); len(over) > 0 {
				fmt.Fprintf(stderr, "%s: %d of %d pages over %gx\n", engine, len(over), len(res.pages[0]), cfg.limit)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	return nil
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("pages", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	engines := fs.String("engines", "sqlite,postgres", "engines to measure, one after the other: sqlite, postgres")
	sizes := fs.String("sizes", "2000,200000", "products per database, comma-separated; the first is the baseline of the ratios")
	fs.IntVar(&cfg.posts, "posts", 0, "blog posts per database (0: as many as products)")
	fs.IntVar(&cfg.customers, "customers", 12, "shop customers per database")
	fs.IntVar(&cfg.orders, "orders", 60, "shop orders per database")
	fs.IntVar(&cfg.reviews, "reviews", 40, "product reviews per database")
	fs.IntVar(&cfg.reps, "n", 15, "timed requests per page and size")
	fs.IntVar(&cfg.warmup, "warmup", 3, "untimed requests per page and size before timing")
	fs.Float64Var(&cfg.limit, "limit", 3, "flag pages whose time grows more than this many times from the first size")
	fs.BoolVar(&cfg.markdown, "markdown", false, "print the tables as Markdown")
	fs.StringVar(&cfg.postgres, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server to create the databases on, as the URL of a database to connect to for CREATE and DROP DATABASE")
	fs.StringVar(&cfg.productWord, "product-word", "kettle", "search word for the product lists; must occur in seeded product names")
	fs.StringVar(&cfg.postWord, "post-word", "notes", "search word for the blog; must occur in seeded posts")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for e := range strings.SplitSeq(*engines, ",") {
		e = strings.TrimSpace(e)
		if e != "sqlite" && e != "postgres" {
			return cfg, fmt.Errorf("-engines: unknown engine %q (want sqlite, postgres)", e)
		}
		if !slices.Contains(cfg.engines, e) {
			cfg.engines = append(cfg.engines, e)
		}
	}
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		if slices.Contains(cfg.sizes, n) {
			return cfg, fmt.Errorf("-sizes: %d given twice", n)
		}
		cfg.sizes = append(cfg.sizes, n)
	}
	if len(cfg.sizes) < 2 {
		return cfg, errors.New("-sizes: give at least two sizes to compare")
	}
	switch {
	case cfg.reps < 1:
		return cfg, errors.New("-n must be at least 1")
	case cfg.warmup < 1:
		// The warm-up requests are where every page's status is checked.
		return cfg, errors.New("-warmup must be at least 1")
	case cfg.posts < 0 || cfg.customers < 0 || cfg.orders < 0 || cfg.reviews < 0:
		return cfg, errors.New("counts cannot be negative")
	case strings.TrimSpace(cfg.productWord) == "" || strings.TrimSpace(cfg.postWord) == "":
		return cfg, errors.New("search words cannot be empty")
	}
	return cfg, nil
}

// postsFor is how many blog posts the database with n products gets.
func (cfg config) postsFor(n int) int {
	if cfg.posts > 0 {
		return cfg.posts
	}
	return n
}
