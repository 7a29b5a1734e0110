package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/quarry-go/quarry/orm"
)

// The annotation and aggregation cases, on the data of the related-objects
// case (related_test.go: relUsers users, relPosts posts, post i by user
// i%relUsers+1):
//
//   - AnnotateCount: every user with the number of their posts (Annotate
//     with a Count over the reverse foreign key "posts"), by that count
//     descending, then by id; the ORM side reads each count with
//     orm.Annotation;
//   - AnnotateCountScan: the same query read with Scan into a struct that
//     embeds the user beside its count;
//   - Aggregate: four aggregates over all the posts, one row, read into a
//     struct.

// RelUserPostCount is a user with the number of their posts, the row of
// AnnotateCountScan: Scan loads the embedded model whole and post_count
// beside it.
type RelUserPostCount struct {
	*RelUser
	PostCount int64
}

// RelPostStats is the row of Aggregate. RelPost has no number field but
// its keys, hence the counts and maxima.
type RelPostStats struct {
	N       int64     // COUNT(id)
	MaxID   int64     // MAX(id)
	Authors int64     // COUNT(DISTINCT author_id)
	Latest  time.Time // MAX(created_at)
}

// The raw side's statements.
const (
	rawAnnotateCount = "SELECT u.id, u.username, u.email, u.is_staff, COUNT(p.id) " +
		"FROM benchrel_reluser u LEFT JOIN benchrel_relpost p ON p.author_id = u.id " +
		"GROUP BY u.id ORDER BY 5 DESC, u.id"
	rawAggregate = "SELECT COUNT(id), MAX(id), COUNT(DISTINCT author_id), MAX(created_at) FROM benchrel_relpost"
)

// Sinks for these cases.
var (
	sinkRelUsers  []*RelUser
	sinkRelCounts []RelUserPostCount
	sinkStats     RelPostStats
)

// ormAnnotateQS is the ORM side's queryset of both AnnotateCount cases.
func ormAnnotateQS() orm.QS[RelUser] {
	return RelUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).OrderBy("-post_count", "id")
}

// ormAnnotateCount is the ORM side of AnnotateCount: the users, and their
// counts index-aligned, read with orm.Annotation.
func ormAnnotateCount(ctx context.Context) ([]*RelUser, []int64, error) {
	users, err := ormAnnotateQS().All(ctx)
	if err != nil {
		return nil, nil, err
	}
	counts := make([]int64, len(users))
	for i, u := range users {
		if counts[i], err = orm.Annotation[int64](u, "post_count"); err != nil {
			return nil, nil, err
		}
	}
	return users, counts, nil
}

// rawAnnotateCountRows is the raw side of AnnotateCount, as a pgx user writes
// it: a GROUP BY over a LEFT JOIN, scanned into users and their counts.
func rawAnnotateCountRows(ctx context.Context, pool *pgxpool.Pool) ([]*RelUser, []int64, error) {
	rows, err := pool.Query(ctx, rawAnnotateCount)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	users := make([]*RelUser, 0, relUsers)
	counts := make([]int64, 0, relUsers)
	for rows.Next() {
		u := new(RelUser)
		var n int64
		if err := rows.Scan(&u.ID, &u.Username, &u.Email, &u.IsStaff, &n); err != nil {
			return nil, nil, err
		}
		users, counts = append(users, u), append(counts, n)
	}
	return users, counts, rows.Err()
}

// ormAnnotateScan is the ORM side of AnnotateCountScan.
func ormAnnotateScan(ctx context.Context) ([]RelUserPostCount, error) {
	var out []RelUserPostCount
	err := ormAnnotateQS().Scan(ctx, &out)
	return out, err
}

// rawAnnotateScan is the raw side of AnnotateCountScan: the same query
// scanned into the same struct.
func rawAnnotateScan(ctx context.Context, pool *pgxpool.Pool) ([]RelUserPostCount, error) {
	rows, err := pool.Query(ctx, rawAnnotateCount)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]RelUserPostCount, 0, relUsers)
	for rows.Next() {
		r := RelUserPostCount{RelUser: new(RelUser)}
		if err := rows.Scan(&r.ID, &r.Username, &r.Email, &r.IsStaff, &r.PostCount); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ormAggregate is the ORM side of Aggregate: Aggregate, then Row.Scan into
// the struct.
func ormAggregate(ctx context.Context) (RelPostStats, error) {
	var s RelPostStats
	row, err := RelPosts.Objects().Aggregate(ctx, orm.A{
		"n":       orm.Count("id"),
		"max_id":  orm.Max("id"),
		"authors": orm.Count("author", orm.Distinct()),
		"latest":  orm.Max("created_at"),
	})
	if err == nil {
		err = row.Scan(&s)
	}
	return s, err
}

// rawAggregateRow is the raw side of Aggregate: one QueryRow.
func rawAggregateRow(ctx context.Context, pool *pgxpool.Pool) (RelPostStats, error) {
	var s RelPostStats
	err := pool.QueryRow(ctx, rawAggregate).Scan(&s.N, &s.MaxID, &s.Authors, &s.Latest)
	return s, err
}

// checkAnnotateAgree fails unless both sides of the two AnnotateCount
// cases read the same users with the same counts, the ones the seed data
// implies, and the ORM sides run one query each.
func checkAnnotateAgree(tb testing.TB, ctx context.Context, pool *pgxpool.Pool) {
	tb.Helper()
	ctx2, counter := orm.CountQueries(ctx)
	gotUsers, gotCounts, err := ormAnnotateCount(ctx2)
	if err != nil {
		tb.Fatal(err)
	}
	gotScan, err := ormAnnotateScan(ctx2)
	if err != nil {
		tb.Fatal(err)
	}
	if n := counter.Count(); n != 2 {
		tb.Fatalf("the ORM sides ran %d queries, want 1 each:\n  %s", n, strings.Join(counter.Queries(), "\n  "))
	}
	users, counts, err := rawAnnotateCountRows(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	scan, err := rawAnnotateScan(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	if len(gotUsers) != relUsers || len(gotScan) != relUsers || len(users) != relUsers || len(scan) != relUsers {
		tb.Fatalf("users: orm %d (Scan %d), pgx %d (Scan %d), want %d",
			len(gotUsers), len(gotScan), len(users), len(scan), relUsers)
	}
	for i := range users {
		want := RelUser{ID: int64(i + 1), Username: fmt.Sprintf("user%d", i),
			Email: fmt.Sprintf("user%d@example.com", i), IsStaff: i == 0}
		wantN := int64(relPosts / relUsers)
		if *gotUsers[i] != want || gotCounts[i] != wantN || *users[i] != want || counts[i] != wantN ||
			*gotScan[i].RelUser != want || gotScan[i].PostCount != wantN || *scan[i].RelUser != want || scan[i].PostCount != wantN {
			tb.Fatalf("row %d: orm %+v %d, orm Scan %+v %d, pgx %+v %d, pgx Scan %+v %d; want %+v %d", i,
				*gotUsers[i], gotCounts[i], *gotScan[i].RelUser, gotScan[i].PostCount,
				*users[i], counts[i], *scan[i].RelUser, scan[i].PostCount, want, wantN)
		}
	}
}

// checkAggregateAgree fails unless both sides of Aggregate return the
// numbers the seed data implies, the ORM side in one query.
func checkAggregateAgree(tb testing.TB, ctx context.Context, pool *pgxpool.Pool) {
	tb.Helper()
	ctx2, counter := orm.CountQueries(ctx)
	got, err := ormAggregate(ctx2)
	if err != nil {
		tb.Fatal(err)
	}
	if n := counter.Count(); n != 1 {
		tb.Fatalf("the ORM side ran %d queries, want 1:\n  %s", n, strings.Join(counter.Queries(), "\n  "))
	}
	raw, err := rawAggregateRow(ctx, pool)
	if err != nil {
		tb.Fatal(err)
	}
	want := RelPostStats{N: relPosts, MaxID: relPosts, Authors: relUsers,
		Latest: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).Add((relPosts - 1) * time.Minute)}
	same := func(s RelPostStats) bool {
		return s.N == want.N && s.MaxID == want.MaxID && s.Authors == want.Authors && s.Latest.Equal(want.Latest)
	}
	if !same(got) || !same(raw) {
		tb.Fatalf("orm %+v, pgx %+v, want %+v", got, raw, want)
	}
}

func BenchmarkAnnotateCount(b *testing.B) {
	ctx, pool := setup(b)
	resetRelated(b, pool)
	checkAnnotateAgree(b, ctx, pool)
	// Each side reads every user's count.
	check := func(users []*RelUser, counts []int64, err error) error {
		if err == nil && len(users) != relUsers {
			err = fmt.Errorf("read %d users, want %d", len(users), relUsers)
		}
		n := 0
		for i, u := range users {
			n += len(u.Username) + int(counts[i])
		}
		sinkRelUsers, sinkRelN = users, n
		return err
	}
	compare(b, nil, side{op: func(int) error {
		return check(ormAnnotateCount(ctx))
	}}, side{op: func(int) error {
		return check(rawAnnotateCountRows(ctx, pool))
	}})
}

func BenchmarkAnnotateCountScan(b *testing.B) {
	ctx, pool := setup(b)
	resetRelated(b, pool)
	checkAnnotateAgree(b, ctx, pool)
	check := func(rows []RelUserPostCount, err error) error {
		if err == nil && len(rows) != relUsers {
			err = fmt.Errorf("read %d users, want %d", len(rows), relUsers)
		}
		n := 0
		for _, r := range rows {
			n += len(r.Username) + int(r.PostCount)
		}
		sinkRelCounts, sinkRelN = rows, n
		return err
	}
	compare(b, nil, side{op: func(int) error {
		return check(ormAnnotateScan(ctx))
	}}, side{op: func(int) error {
		return check(rawAnnotateScan(ctx, pool))
	}})
}

func BenchmarkAggregate(b *testing.B) {
	ctx, pool := setup(b)
	resetRelated(b, pool)
	checkAggregateAgree(b, ctx, pool)
	compare(b, nil, side{op: func(int) error {
		s, err := ormAggregate(ctx)
		sinkStats = s
		return err
	}}, side{op: func(int) error {
		s, err := rawAggregateRow(ctx, pool)
		sinkStats = s
		return err
	}})
}

// TestAggregateSidesAgree runs the checks the three benchmarks above make
// before they start, without -bench. It is quick.
func TestAggregateSidesAgree(t *testing.T) {
	ctx, pool := setup(t)
	resetRelated(t, pool)
	checkAnnotateAgree(t, ctx, pool)
	checkAggregateAgree(t, ctx, pool)
}
