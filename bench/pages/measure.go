package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// result is one engine's measurements: times[page][size] holds the timed
// requests of that page on the instance of that size, sorted.
type result struct {
	engine     string
	insts      []*instance
	pages      [][]page // per instance
	times      [][][]time.Duration
	loadBefore string
	loadAfter  string
	started    time.Time
}

// runEngine seeds a database per size, serves them all at once, and
// times every page on each of them in turn.
func runEngine(ctx context.Context, cfg config, engine, bin, tmp string, log io.Writer) (_ *result, err error) {
	res := &result{engine: engine}
	defer func() {
		// Servers stop and databases go whatever happened, newest first.
		for _, in := range slices.Backward(res.insts) {
			err = errors.Join(err, in.close(ctx))
		}
	}()
	// One database at a time: seeding keeps both cores busy.
	for _, size := range cfg.sizes {
		in, err := newInstance(ctx, cfg, engine, size, bin, tmp)
		res.insts = append(res.insts, in)
		if err != nil {
			return nil, err
		}
		if err := in.prepare(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	for _, in := range res.insts {
		if err := in.start(ctx); err != nil {
			return nil, err
		}
		if err := in.signIn(ctx); err != nil {
			return nil, err
		}
		ps, err := in.pages(ctx, cfg)
		if err != nil {
			return nil, err
		}
		res.pages = append(res.pages, ps)
	}
	if err := samePages(res.insts, res.pages); err != nil {
		return nil, err
	}

	fmt.Fprintf(log, "%s: %d pages, %d warm-up and %d timed requests each per size\n", engine, len(res.pages[0]), cfg.warmup, cfg.reps)
	res.started = time.Now().UTC()
	res.loadBefore = load()
	if err := res.warmUp(ctx, cfg.warmup, log); err != nil {
		return nil, err
	}
	if err := res.measure(ctx, cfg.reps, log); err != nil {
		return nil, err
	}
	res.loadAfter = load()
	return res, nil
}

// each requests every page once on every instance: the pages one after
// the other, each on all the sizes in a row, the order of the sizes
// turning with the round and the page, so that none is always first.
func (res *result) each(ctx context.Context, round int, visit func(p, i int, status int, body []byte, d time.Duration) error) error {
	n := len(res.insts)
	for p := range res.pages[0] {
		for k := range n {
			i := (k + round + p) % n
			status, body, d, err := res.insts[i].get(ctx, res.pages[i][p].path)
			if err != nil {
				return fmt.Errorf("%s: GET %s: %w", res.insts[i], res.pages[i][p].path, err)
			}
			if err := visit(p, i, status, body, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// warmUp requests every page rounds times untimed, and fails with every
// page that did not answer 200, not just the first.
func (res *result) warmUp(ctx context.Context, rounds int, log io.Writer) error {
	var bad []string
	for r := range rounds {
		err := res.each(ctx, r, func(p, i int, status int, body []byte, _ time.Duration) error {
			if status != http.StatusOK && r == 0 {
				in := res.insts[i]
				bad = append(bad, fmt.Sprintf("%s: GET %s: status %d\n%s\nserver log:\n%s", in, res.pages[i][p].path, status, snippet(body), in.logTail()))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(bad) > 0 {
			return fmt.Errorf("%d responses were not 200:\n%s", len(bad), strings.Join(bad, "\n\n"))
		}
		res.progress(log, "warm-up", r, rounds)
	}
	return nil
}

func (res *result) measure(ctx context.Context, rounds int, log io.Writer) error {
	res.times = make([][][]time.Duration, len(res.pages[0]))
	for p := range res.times {
		res.times[p] = make([][]time.Duration, len(res.insts))
	}
	for r := range rounds {
		err := res.each(ctx, r, func(p, i int, status int, body []byte, d time.Duration) error {
			if status != http.StatusOK {
				return fmt.Errorf("%s: GET %s: status %d\n%s", res.insts[i], res.pages[i][p].path, status, snippet(body))
			}
			res.times[p][i] = append(res.times[p][i], d)
			return nil
		})
		if err != nil {
			return err
		}
		res.progress(log, "timed", r, rounds)
	}
	for _, bySize := range res.times {
		for _, ds := range bySize {
			slices.Sort(ds)
		}
	}
	return nil
}

// progress says that round r of a phase is done: a run at large sizes
// takes minutes.
func (res *result) progress(log io.Writer, phase string, r, rounds int) {
	fmt.Fprintf(log, "%s: %s round %d/%d done after %s\n", res.engine, phase, r+1, rounds, time.Since(res.started).Round(time.Second))
}

// quantile of sorted durations, interpolated between neighbours.
func quantile(ds []time.Duration, q float64) time.Duration {
	x := q * float64(len(ds)-1)
	lo := int(x)
	if lo+1 >= len(ds) {
		return ds[len(ds)-1]
	}
	return ds[lo] + time.Duration((x-float64(lo))*float64(ds[lo+1]-ds[lo]))
}

// ratio is page p's median at instance i over its median at the first.
func (res *result) ratio(p, i int) float64 {
	return float64(quantile(res.times[p][i], 0.5)) / float64(quantile(res.times[p][0], 0.5))
}

// over are the pages whose ratio passes limit at some size.
func (res *result) over(limit float64) []string {
	var out []string
	for p := range res.times {
		for i := 1; i < len(res.insts); i++ {
			if res.ratio(p, i) > limit {
				out = append(out, res.pages[0][p].name)
				break
			}
		}
	}
	return out
}

// load is the machine's load averages (1, 5 and 15 minutes) as uptime
// prints them, or "?" where uptime is missing.
func load() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		return "?"
	}
	s := strings.TrimSpace(string(out))
	if _, after, ok := strings.Cut(s, "load average"); ok {
		return strings.TrimLeft(after, "s: ")
	}
	return s
}
