package orm

import (
	"context"
	"slices"
	"strings"
)

// RowCount is a number of rows and how it was found: exactly, or up to a
// bound (CountUpTo) where counting stopped.
type RowCount struct {
	N       int64
	AtLeast bool // counting stopped at N: there are more
}

// Pageable is what CountUpTo and Page read: a typed queryset (QS[T], an
// app's own S) or the untyped Manager.
type Pageable[Q any] interface {
	OrderBy(fields ...string) Q
	Offset(n int) Q
	Limit(n int) Q
	Count(ctx context.Context) (int64, error)
}

// CountUpTo counts the rows of qs, stopping at limit: a list of a big
// table reads at most limit index entries to say "more than 1,000"
// (Django's admin has show_full_result_count for the same reason).
func CountUpTo[Q Pageable[Q]](ctx context.Context, qs Q, limit int64) (RowCount, error) {
	n, err := qs.OrderBy().Limit(int(limit) + 1).Count(ctx)
	if n > limit {
		return RowCount{N: limit, AtLeast: true}, err
	}
	return RowCount{N: n}, err
}

// Page reads page n (from 1) of per rows of qs in the given order, which
// should end with the primary key so that pages neither share nor skip a
// row. Past the middle of a list counted exactly, the page is read in the
// reverse order from the end, so the database skips the rows after it,
// fewer than those before: the last page costs what the first does.
// After a count that stopped at its bound, one row more is read, and more
// tells whether a next page exists; but a page ten bounds deep is found
// by counting exactly first, since a count reads the narrowest index and
// skipping rows reads the table, and the page may then be read from the
// end. all runs a query: QS[T].All, an app's S.All, or Manager.List.
func Page[Q Pageable[Q], R any](ctx context.Context, qs Q, all func(Q, context.Context) ([]R, error), order []string, n, per int, total RowCount) (rows []R, more bool, err error) {
	if total.AtLeast && int64((n-1)*per) >= 10*total.N {
		all, err := qs.OrderBy().Count(ctx)
		if err != nil {
			return nil, false, err
		}
		total = RowCount{N: all}
	}
	before, after := (n-1)*per, total.N-int64(n*per)
	if !total.AtLeast && int64(before) >= total.N {
		return nil, false, nil // past the end: only a bounded count let it be asked for
	}
	if total.AtLeast || after >= int64(before) {
		rows, err = all(qs.OrderBy(order...).Offset(before).Limit(per+1), ctx)
		if len(rows) > per {
			return rows[:per], true, err
		}
		return rows, false, err
	}
	size := per
	if after < 0 {
		size, after = per+int(after), 0
	}
	rows, err = all(qs.OrderBy(ReverseOrder(order)...).Offset(int(after)).Limit(size), ctx)
	slices.Reverse(rows)
	return rows, n*per < int(total.N), err
}

// ReverseOrder is an order read backwards: "-name", "pk" becomes "name",
// "-pk".
func ReverseOrder(order []string) []string {
	out := make([]string, len(order))
	for i, f := range order {
		if name, desc := strings.CutPrefix(f, "-"); desc {
			out[i] = name
		} else {
			out[i] = "-" + f
		}
	}
	return out
}

// Seekable is what Seek reads: Pageable, filtered, and read as values.
type Seekable[S any] interface {
	Pageable[S]
	Filter(conds ...Cond) S
	Values(ctx context.Context, fields ...string) ([]map[string]any, error)
}

// Seek reads the per rows of qs that follow the row whose primary key is
// key in the given order, or precede it with before: keyset pagination.
// It compares with the key row's values (fetched by primary key, one index
// read) instead of skipping rows, so the next page after page 5,000 costs
// what page 2 does wherever an index serves the order. more tells whether
// rows lie beyond the page in the direction read.
//
// ok is false when the page cannot be found this way, and the caller reads
// it by number (Page) instead: the order names a column that may be NULL,
// a relation's or an annotation's (NULLs do not compare, so rows would be
// lost), or the key row is no longer in qs. The order must end with the
// primary key, as Page's should.
func Seek[S Seekable[S], R any](ctx context.Context, meta *Meta, qs S, all func(S, context.Context) ([]R, error), order []string, key any, before bool, per int) (rows []R, more, ok bool, err error) {
	names := make([]string, len(order))
	desc := make([]bool, len(order))
	for i, o := range order {
		names[i], desc[i] = strings.CutPrefix(o, "-")
		f := meta.Field(names[i])
		if f == nil || f.Null || f.Rel != nil && !f.PrimaryKey {
			return nil, false, false, nil
		}
	}
	if len(names) == 0 || meta.Field(names[len(names)-1]) != meta.PK {
		return nil, false, false, nil
	}
	anchor, err := qs.OrderBy().Filter(Q{"pk": key}).Limit(1).Values(ctx, names...)
	if err != nil || len(anchor) == 0 {
		return nil, false, false, err
	}
	values := make([]any, len(names))
	for i, name := range names {
		if values[i] = anchor[0][name]; values[i] == nil {
			return nil, false, false, nil
		}
	}
	if before {
		for i := range desc {
			desc[i] = !desc[i]
		}
		order = ReverseOrder(order)
	}
	rows, err = all(qs.Filter(seekCond(names, desc, values)).OrderBy(order...).Limit(per+1), ctx)
	if more = len(rows) > per; more {
		rows = rows[:per]
	}
	if before {
		slices.Reverse(rows)
	}
	return rows, more, true, err
}

// seekCond is the rows after values in the order of names (each descending
// where desc says): a > x OR (a = x AND (b > y OR (b = y AND pk > z))),
// led by a >= x, the range an index on (a, b, pk) starts reading at.
func seekCond(names []string, desc []bool, values []any) Cond {
	op := func(i int, strict bool) string {
		switch {
		case desc[i] && strict:
			return "__lt"
		case desc[i]:
			return "__lte"
		case strict:
			return "__gt"
		}
		return "__gte"
	}
	last := len(names) - 1
	var c Cond = Q{names[last] + op(last, true): values[last]}
	for i := last - 1; i >= 0; i-- {
		c = Or(Q{names[i] + op(i, true): values[i]}, And(Q{names[i]: values[i]}, c))
	}
	if last == 0 {
		return c
	}
	return And(Q{names[0] + op(0, false): values[0]}, c)
}
