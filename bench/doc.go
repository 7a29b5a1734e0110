// Package bench holds go test benchmarks that compare the ORM with raw pgx
// on PostgreSQL, case by case, in one run. Every benchmark has three
// sub-benchmarks: "orm" and "pgx" run one side alone (for benchstat), and
// "interleaved" runs both sides alternately, op by op, and reports their
// median times and ratio, which a busy machine disturbs far less. Both
// sides do the same work against the same table with the same pool
// settings. See README.md for the command and the latest numbers.
//
// The package has no code of its own; everything is in the _test files.
// The page benchmark, which times the site's pages over HTTP at two data
// sizes, is a program of its own: go run ./bench/pages.
package bench
