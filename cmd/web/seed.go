package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/manage"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// seedCounts is how much demo content seed makes.
type seedCounts struct {
	posts, products, customers, orders, reviews int
}

func (s *seedCounts) register(fs interface {
	IntVar(p *int, name string, value int, usage string)
}) {
	fs.IntVar(&s.posts, "posts", 60, "blog posts in all")
	fs.IntVar(&s.products, "products", 120, "shop products in all")
	fs.IntVar(&s.customers, "customers", 12, "shop customers in all")
	fs.IntVar(&s.orders, "orders", 60, "shop orders in all")
	fs.IntVar(&s.reviews, "reviews", 40, "product reviews in all")
}

// runSeed fills the database with demo content for the blog and the shop.
// It is idempotent: what exists is kept, so running it again (or with
// larger counts) only adds what is missing.
func runSeed(ctx context.Context, env *manage.Env, args []string) error {
	fs := env.FlagSet("seed")
	var cfg manage.Config
	cfg.Register(fs, env)
	var counts seedCounts
	counts.register(fs)
	if err := manage.ParseFlags(fs, args); err != nil {
		return err
	}
	if counts.posts < 0 || counts.products < 0 || counts.customers < 0 || counts.orders < 0 || counts.reviews < 0 {
		fmt.Fprintln(env.Stderr, "web seed: counts cannot be negative")
		return manage.ErrUsage
	}
	ctx, done, err := cfg.Connect(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	return seed(ctx, env, counts)
}

func seed(ctx context.Context, env *manage.Env, counts seedCounts) error {
	for _, table := range []string{"blog_post", "shop_product"} {
		if err := env.RequireTable(ctx, table, table); err != nil {
			return err
		}
	}
	start := time.Now()
	posts := newProgress(env.Stderr, "posts")
	if err := blog.Seed(ctx, blog.SeedOptions{Posts: counts.posts, Progress: posts.update}); err != nil {
		return fmt.Errorf("blog: %w", err)
	}
	posts.finish()
	shopProgress := newProgress(env.Stderr, "shop")
	report, err := shop.Seed(ctx, shop.SeedOptions{Products: counts.products, Customers: counts.customers,
		Orders: counts.orders, Reviews: counts.reviews, Progress: shopProgress.update})
	if err != nil {
		return fmt.Errorf("shop: %w", err)
	}
	shopProgress.finish()
	// Until the planner learns the new sizes, PostgreSQL plans for the
	// empty tables autovacuum last saw, and SQLite has no statistics.
	if err := orm.Analyze(ctx, append(append(auth.Models(), blog.Models()...), shop.Models()...)...); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Seeded in %s: the blog has %d posts; the shop made %d products, %d customers, %d orders and %d reviews (existing ones kept).\n",
		time.Since(start).Round(time.Millisecond), counts.posts, report.Products, report.Customers, report.Orders, report.Reviews)
	return nil
}

// progress draws a bar on a terminal and, elsewhere (a log, CI), a line
// at every tenth of the way, so a long seed shows it is alive.
type progress struct {
	w        io.Writer
	label    string
	terminal bool
	lastTick int // tenths reported so far, off a terminal
	drawn    bool
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label, lastTick: -1}
	if f, ok := w.(*os.File); ok {
		p.terminal = term.IsTerminal(int(f.Fd()))
	}
	return p
}

const barWidth = 30

func (p *progress) update(done, total int) {
	if total == 0 {
		return
	}
	pct := done * 100 / total
	if p.terminal {
		filled := done * barWidth / total
		fmt.Fprintf(p.w, "\r  %-9s [%s%s] %3d%%  %d/%d", p.label,
			strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), pct, done, total)
		p.drawn = true
		return
	}
	if tick := pct / 10; tick > p.lastTick {
		p.lastTick = tick
		fmt.Fprintf(p.w, "  %s: %d/%d (%d%%)\n", p.label, done, total, pct)
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
