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
