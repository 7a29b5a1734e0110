package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// print writes the engine's table, as text or Markdown: a row per page,
// for every size the median and the interquartile range in milliseconds,
// and for every size after the first the ratio of its median to the
// first's. Under the table, what the placeholders in the names stand for.
func (res *result) print(w io.Writer, cfg config) {
	posts := "as many posts"
	if cfg.posts > 0 {
		posts = commas(int64(cfg.posts)) + " posts"
	}
	var sizes, seeds []string
	for _, in := range res.insts {
		sizes = append(sizes, commas(int64(in.size)))
		seeds = append(seeds, in.seedTime.Round(100*time.Millisecond).String())
	}
	header := []string{"page"}
	for i, s := range sizes {
		header = append(header, s)
		if i > 0 {
			header = append(header, "ratio")
		}
	}
	intro := fmt.Sprintf("%s, %s products (%s), measured %s; median of %d requests in ms (p25–p75); seeding took %s; load average %s before, %s after",
		res.engine, strings.Join(sizes, " vs "), posts, res.started.Format("2006-01-02 15:04 UTC"), cfg.reps,
		strings.Join(seeds, ", "), res.loadBefore, res.loadAfter)

	rows := make([][]string, len(res.times))
	flagged := make([]bool, len(res.times))
	for p, bySize := range res.times {
		row := []string{quote(res.pages[0][p].name, cfg.markdown)}
		for i, ds := range bySize {
			row = append(row, fmt.Sprintf("%s (%s–%s)", ms(quantile(ds, 0.5)), ms(quantile(ds, 0.25)), ms(quantile(ds, 0.75))))
			if i == 0 {
				continue
			}
			r := res.ratio(p, i)
			cell := strconv.FormatFloat(r, 'f', 1, 64) + "x"
			if r > cfg.limit {
				flagged[p] = true
				if cfg.markdown {
					cell = "**" + cell + "**"
				}
			}
			row = append(row, cell)
		}
		rows[p] = row
	}

	if cfg.markdown {
		fmt.Fprintf(w, "%s.\n\n| %s |\n|---%s|\n", intro, strings.Join(header, " | "), strings.Repeat("|---:", len(header)-1))
		for _, row := range rows {
			fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		}
	} else {
		fmt.Fprintf(w, "%s\n\n", intro)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
		for p, row := range rows {
			mark := ""
			if flagged[p] {
				mark = fmt.Sprintf("over %gx", cfg.limit)
			}
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t"+mark)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	for p, pg := range res.pages[0] {
		if !strings.Contains(pg.name, "<") {
			continue
		}
		var paths []string
		same := true
		for i, in := range res.insts {
			paths = append(paths, quote(res.pages[i][p].path, cfg.markdown)+" at "+commas(int64(in.size)))
			same = same && res.pages[i][p].path == pg.path
		}
		if same {
			paths = []string{quote(pg.path, cfg.markdown)}
		}
		fmt.Fprintf(w, "%s is %s.\n", quote(pg.name, cfg.markdown), strings.Join(paths, ", "))
	}
	fmt.Fprintln(w)
}

func quote(s string, markdown bool) string {
	if markdown {
		return "`" + s + "`"
	}
	return s
}

// ms formats d in milliseconds with three significant digits or so.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 10:
		return strconv.FormatFloat(f, 'f', 2, 64)
	case f < 100:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// commas groups digits in threes: 200000 is "200,000".
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
