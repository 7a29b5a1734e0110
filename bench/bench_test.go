package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

// Post is a realistic blog-post row: text of three sizes, an integer, a
// bool, a timestamp and a NUMERIC decimal.
type Post struct {
	ID        int64
	Title     string
	Slug      string
	Body      string
	ViewCount int
	IsActive  bool
	CreatedAt time.Time
	Price     decimal.Decimal
}

// Posts is the model; its table is bench_post, created by the ORM's DDL in
// a private schema. The raw side uses the same table.
var Posts = orm.Define("bench", func(p *Post, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200))
	m.Slug(&p.Slug, orm.Unique())
	m.Text(&p.Body)
	m.Integer(&p.ViewCount, orm.Default(0))
	m.Boolean(&p.IsActive, orm.Default(true))
	m.DateTime(&p.CreatedAt, orm.AutoNowAdd())
	m.Decimal(&p.Price, 10, 2)
})

// The raw side's statements: what a careful pgx user writes by hand.
const (
	rawColumns = "id, title, slug, body, view_count, is_active, created_at, price"
	rawGet     = "SELECT " + rawColumns + " FROM bench_post WHERE id = $1"
	rawRead    = "SELECT " + rawColumns + " FROM bench_post WHERE is_active = $1 ORDER BY id LIMIT 100"
	rawInsert  = "INSERT INTO bench_post (title, slug, body, view_count, is_active, created_at, price) " +
		"VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
	rawUpdate = "UPDATE bench_post SET title = $1, slug = $2, body = $3, view_count = $4, is_active = $5, " +
		"created_at = $6, price = $7 WHERE id = $8"
)

var copyColumns = []string{"title", "slug", "body", "view_count", "is_active", "created_at", "price"}

const (
	seedRows      = 1000
	bulkRows      = 10000
	smallBulkRows = 100
)

// env is the shared database: one schema, an ORM DB and a raw pgx pool
// built from the same URL with the same settings.
var env struct {
	once   sync.Once
	err    error
	url    string
	schema string
	db     *orm.DB
	ctx    context.Context // carries db
	pool   *pgxpool.Pool
}

// Sinks keep results alive so the compiler cannot drop the work.
var (
	sinkPost  *Post
	sinkPosts []*Post
)

// measure wraps one side of a case: it reports allocations, and the
// client's CPU time per operation (cpu-ns/op: user and system time of this
// process, GC included), which waiting on the server does not inflate as
// it does the wall-clock ns/op.
func measure(b *testing.B, loop func(b *testing.B)) {
	b.ReportAllocs()
	start := cpuTime()
	loop(b)
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	teardown()
	os.Exit(code)
}

// setup returns the ORM context and the raw pool, or skips.
func setup(tb testing.TB) (context.Context, *pgxpool.Pool) {
	tb.Helper()
	url := os.Getenv("QUARRY_TEST_POSTGRES")
	if url == "" {
		tb.Skip("QUARRY_TEST_POSTGRES not set")
	}
	env.once.Do(func() { env.err = open(url) })
	if env.err != nil {
		tb.Fatal(env.err)
	}
	return env.ctx, env.pool
}

func open(url string) error {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "quarry_bench_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	env.url, env.schema = url, schema

	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	// synchronous_commit=off keeps the single-row writes from measuring
	// the disk's fsync latency (milliseconds, and very noisy) instead of
	// the client: the server still does all the work, it just does not
	// wait for the WAL flush. Both sides get it.
	surl := url + sep + "search_path=" + schema + "&synchronous_commit=off"
	if env.db, err = orm.Open(ctx, surl); err != nil {
		return err
	}
	env.ctx = orm.WithDB(ctx, env.db)
	if err := orm.CreateTables(env.ctx, append([]*orm.Meta{Posts.Meta}, relModels...)...); err != nil {
		return err
	}
	// The same configuration orm.Open builds: pgxpool defaults, pgx's
	// default statement cache mode, shopspring decimals registered.
	cfg, err := pgxpool.ParseConfig(surl)
	if err != nil {
		return err
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		pgxdecimal.Register(c.TypeMap())
		return nil
	}
	env.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	return err
}

func teardown() {
	if env.schema == "" {
		return
	}
	if env.pool != nil {
		env.pool.Close()
	}
	if env.db != nil {
		env.db.Close()
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, env.url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: dropping schema:", err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP SCHEMA "+env.schema+" CASCADE"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: dropping schema:", err)
	}
}

// makePosts builds n posts whose slugs start with prefix.
func makePosts(n int, prefix string) []*Post {
	base := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	out := make([]*Post, n)
	for i := range out {
		out[i] = newPost(i, prefix, benchBody)
		out[i].CreatedAt = base.Add(time.Duration(i) * time.Minute)
		out[i].IsActive = i%10 != 0
	}
	return out
}

func newPost(i int, prefix, body string) *Post {
	return &Post{
		Title:     "Post number " + strconv.Itoa(i) + ": notes on Go and PostgreSQL",
		Slug:      prefix + "-" + strconv.Itoa(i),
		Body:      body,
		ViewCount: i * 7 % 1000,
		IsActive:  true,
		Price:     decimal.New(int64(1000+i%5000), -2),
	}
}

// benchBody is a ~500-byte body.
var benchBody = strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 9)

// reset empties the table and loads n seed rows (ids 1..n) with COPY.
func reset(tb testing.TB, pool *pgxpool.Pool, n int) {
	tb.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "TRUNCATE bench_post RESTART IDENTITY"); err != nil {
		tb.Fatal(err)
	}
	if n == 0 {
		return
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_post"}, copyColumns,
		postRows(makePosts(n, "seed"))); err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "ANALYZE bench_post"); err != nil {
		tb.Fatal(err)
	}
}

// postRows is the raw side's COPY source, as a pgx user writes it.
func postRows(posts []*Post) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(posts), func(i int) ([]any, error) {
		p := posts[i]
		return []any{p.Title, p.Slug, p.Body, p.ViewCount, p.IsActive, p.CreatedAt, p.Price}, nil
	})
}

// rawGetPost is the raw side's get-by-pk.
func rawGetPost(ctx context.Context, pool *pgxpool.Pool, id int64) (*Post, error) {
	p := new(Post)
	err := pool.QueryRow(ctx, rawGet, id).Scan(&p.ID, &p.Title, &p.Slug, &p.Body, &p.ViewCount,
		&p.IsActive, &p.CreatedAt, &p.Price)
	if err != nil {
		return nil, err
	}
	p.CreatedAt = p.CreatedAt.UTC() // as the ORM reads it, whatever the local zone
	return p, nil
}

// rawReadPosts is the raw side's read of 100 rows.
func rawReadPosts(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) ([]*Post, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]*Post, 0, 100)
	for rows.Next() {
		p := new(Post)
		if err := rows.Scan(&p.ID, &p.Title, &p.Slug, &p.Body, &p.ViewCount,
			&p.IsActive, &p.CreatedAt, &p.Price); err != nil {
			return nil, err
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// side is one implementation of a case: op is the timed operation (i
// counts the operations of a run); prep, if set, is untimed work before
// each op.
type side struct {
	prep func(tb testing.TB)
	op   func(i int) error
}

// compare runs a case three ways, each a sub-benchmark:
//
//   - orm and pgx: each side alone, the usual ns/op, B/op and allocs/op
//     (and cpu-ns/op, see measure) that benchstat compares;
//   - interleaved: the two sides alternately, op by op (which goes first
//     alternates too), reporting the median time of an op on each side
//     (orm-p50-ns/op, pgx-p50-ns/op) and their ratio (orm/pgx). Both sides
//     then see the same machine, and the medians ignore the stalls a busy
//     one causes: where orm and pgx measured a few seconds apart can
//     differ by 2x from load alone, this ratio still holds.
//
// start, if set, runs at the start of each sub-benchmark.
func compare(b *testing.B, start func(tb testing.TB), orm, raw side) {
	alone := func(s side) func(b *testing.B) {
		return func(b *testing.B) {
			if start != nil {
				start(b)
			}
			measure(b, func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					if s.prep != nil {
						b.StopTimer()
						s.prep(b)
						b.StartTimer()
					}
					if err := s.op(i); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("orm", alone(orm))
	b.Run("pgx", alone(raw))
	b.Run("interleaved", func(b *testing.B) {
		if start != nil {
			start(b)
		}
		sides := [2]side{orm, raw}
		var spent [2][]time.Duration
		for i := 0; b.Loop(); i++ {
			for k := range 2 {
				j := (i + k) % 2
				if sides[j].prep != nil {
					sides[j].prep(b)
				}
				t := time.Now()
				if err := sides[j].op(i); err != nil {
					b.Fatal(err)
				}
				spent[j] = append(spent[j], time.Since(t))
			}
		}
		o, r := median(spent[0]), median(spent[1])
		b.ReportMetric(0, "ns/op") // both sides and the preps: meaningless here
		b.ReportMetric(float64(o), "orm-p50-ns/op")
		b.ReportMetric(float64(r), "pgx-p50-ns/op")
		b.ReportMetric(float64(o)/float64(r), "orm/pgx")
	})
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func BenchmarkGetByPK(b *testing.B) {
	ctx, pool := setup(b)
	reset(b, pool, seedRows)
	compare(b, nil, side{op: func(i int) error {
		p, err := Posts.Objects().Get(ctx, orm.Q{"pk": int64(i%seedRows + 1)})
		sinkPost = p
		return err
	}}, side{op: func(i int) error {
		p, err := rawGetPost(ctx, pool, int64(i%seedRows+1))
		sinkPost = p
		return err
	}})
}

func BenchmarkRead100(b *testing.B) {
	ctx, pool := setup(b)
	reset(b, pool, seedRows)
	check := func(ps []*Post, err error) error {
		if err == nil && len(ps) != 100 {
			err = fmt.Errorf("read %d rows, want 100", len(ps))
		}
		sinkPosts = ps
		return err
	}
	compare(b, nil, side{op: func(int) error {
		return check(Posts.Objects().Filter(orm.Q{"is_active": true}).OrderBy("id").Limit(100).All(ctx))
	}}, side{op: func(int) error {
		return check(rawReadPosts(ctx, pool, rawRead, true))
	}})
}

func BenchmarkInsert(b *testing.B) {
	ctx, pool := setup(b)
	empty := func(tb testing.TB) { reset(tb, pool, 0) }
	compare(b, empty, side{op: func(i int) error {
		p := newPost(i, "orm", benchBody)
		sinkPost = p
		return Posts.Save(ctx, p)
	}}, side{op: func(i int) error {
		p := newPost(i, "pgx", benchBody)
		p.CreatedAt = time.Now() // the ORM's auto_now_add
		sinkPost = p
		return pool.QueryRow(ctx, rawInsert, p.Title, p.Slug, p.Body, p.ViewCount, p.IsActive,
			p.CreatedAt, p.Price).Scan(&p.ID)
	}})
}

func BenchmarkUpdate(b *testing.B) {
	ctx, pool := setup(b)
	reset(b, pool, seedRows)
	// Each side updates the rows it loaded its own way, in turn.
	ormPosts, err := Posts.Objects().OrderBy("id").All(ctx)
	if err != nil || len(ormPosts) != seedRows {
		b.Fatal(len(ormPosts), err)
	}
	rawPosts, err := rawReadPosts(ctx, pool, "SELECT "+rawColumns+" FROM bench_post ORDER BY id")
	if err != nil || len(rawPosts) != seedRows {
		b.Fatal(len(rawPosts), err)
	}
	compare(b, nil, side{op: func(i int) error {
		p := ormPosts[i%seedRows]
		p.ViewCount++
		return Posts.Save(ctx, p)
	}}, side{op: func(i int) error {
		p := rawPosts[i%seedRows]
		p.ViewCount++
		tag, err := pool.Exec(ctx, rawUpdate, p.Title, p.Slug, p.Body, p.ViewCount, p.IsActive,
			p.CreatedAt, p.Price, p.ID)
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("updated %d rows, want 1", tag.RowsAffected())
		}
		return err
	}})
}

func BenchmarkBulkInsert10k(b *testing.B) { benchBulk(b, bulkRows) }

// BenchmarkBulkCreate100 is a small batch, where the round trips weigh
// more than the rows.
func BenchmarkBulkCreate100(b *testing.B) { benchBulk(b, smallBulkRows) }

// bulkResetEvery is how many ops of a small batch run between two
// TRUNCATEs: right after one, the server writes new files and the first
// writes cost more than 100 rows do.
const bulkResetEvery = 50

// benchBulk inserts n new posts per op: BulkCreate against pgx's COPY.
// Every op starts from an empty table when n is large; small batches
// give their rows slugs of their own and empty the table every
// bulkResetEvery ops (untimed, as the TRUNCATE always is).
func benchBulk(b *testing.B, n int) {
	ctx, pool := setup(b)
	ormPosts, rawPosts := makePosts(n, "bulk"), makePosts(n, "bulk")
	prep := func(posts []*Post, prefix string) func(tb testing.TB) {
		op := 0
		return func(tb testing.TB) {
			if n == bulkRows {
				reset(tb, pool, 0)
			} else {
				if op%bulkResetEvery == 0 {
					reset(tb, pool, 0)
				}
				for i, p := range posts {
					p.Slug = prefix + "-" + strconv.Itoa(op) + "-" + strconv.Itoa(i)
				}
				op++
			}
			for _, p := range posts {
				p.ID = 0 // BulkCreate sets the keys: start from new objects
			}
		}
	}
	compare(b, nil, side{
		prep: prep(ormPosts, "orm"),
		op:   func(int) error { return Posts.Objects().BulkCreate(ctx, ormPosts, 0) },
	}, side{
		prep: prep(rawPosts, "pgx"),
		op: func(int) error {
			copied, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_post"}, copyColumns, postRows(rawPosts))
			if err == nil && copied != int64(n) {
				err = fmt.Errorf("copied %d rows, want %d", copied, n)
			}
			return err
		},
	})
}

// TestSidesAgree checks that the two sides of each read benchmark return
// the same rows, so that they are doing the same work. It is quick.
func TestSidesAgree(t *testing.T) {
	ctx, pool := setup(t)
	reset(t, pool, 150)
	got, err := Posts.Objects().Get(ctx, orm.Q{"pk": int64(7)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := rawGetPost(ctx, pool, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("get: orm %+v, pgx %+v", got, want)
	}
	gotAll, err := Posts.Objects().Filter(orm.Q{"is_active": true}).OrderBy("id").Limit(100).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAll, err := rawReadPosts(ctx, pool, rawRead, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotAll) != 100 || !reflect.DeepEqual(gotAll, wantAll) {
		t.Fatalf("read: orm %d rows, pgx %d rows, or they differ", len(gotAll), len(wantAll))
	}
}
