package orm_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// TestReadRetriedAfterBackendTerminated: a pooled connection the server
// closed (pg_terminate_backend, a restart, a failover) fails the statement
// that next uses it; a read outside a transaction is run again once on a
// fresh connection, so the caller sees no error.
func TestReadRetriedAfterBackendTerminated(t *testing.T) {
	ctx := ormtest.Open(t, "postgres", Products.Meta)
	db := orm.FromContext(ctx)
	for i, name := range []string{"Lamp", "Desk", "Chair"} {
		p := &Product{Name: name, SKU: name, Price: decimal.NewFromInt(int64(i + 1))}
		if err := Products.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	reads := map[string]func(ctx context.Context) error{
		"all": func(ctx context.Context) error {
			ps, err := Products.Objects().OrderBy("name").All(ctx)
			if err == nil && len(ps) < 3 {
				t.Errorf("All = %d products, want at least 3", len(ps))
			}
			return err
		},
		"get": func(ctx context.Context) error {
			_, err := Products.Objects().Get(ctx, orm.Q{"sku": "Desk"})
			return err
		},
		"count": func(ctx context.Context) error {
			n, err := Products.Objects().Count(ctx)
			if err == nil && n < 3 {
				t.Errorf("Count = %d, want at least 3", n)
			}
			return err
		},
		"empty": func(ctx context.Context) error {
			_, err := Products.Objects().Filter(orm.Q{"sku": "none"}).All(ctx)
			return err
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			// Run it once so that the pool holds a connection that has
			// prepared the statement, as a warm server's does.
			if err := read(ctx); err != nil {
				t.Fatal(err)
			}
			if n := ormtest.TerminateBackends(t, db); n == 0 {
				t.Fatal("no backend to terminate")
			}
			if err := read(ctx); err != nil {
				t.Errorf("read after its connection was terminated: %v", err)
			}
		})
	}

	t.Run("every pooled connection", func(t *testing.T) {
		// A restart ends all of them: the retry must not meet another.
		var held []*pgxpool.Conn
		for range 4 {
			c, err := db.Pool().Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Release()
		}
		if n := ormtest.TerminateBackends(t, db); n < 4 {
			t.Fatalf("terminated %d backends, want the pool's 4", n)
		}
		for name, read := range reads {
			if err := read(ctx); err != nil {
				t.Errorf("%s after the pool's connections were terminated: %v", name, err)
			}
		}
		// A transaction's BEGIN is safe to send again too.
		ormtest.TerminateBackends(t, db)
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			return Products.Save(ctx, &Product{Name: "Shelf", SKU: "Shelf", Price: decimal.NewFromInt(9)})
		})
		if err != nil {
			t.Errorf("a transaction after the pool's connections were terminated: %v", err)
		}
	})

	t.Run("not in a transaction", func(t *testing.T) {
		// Inside one the connection is the transaction's: running the
		// statement elsewhere would leave the transaction, so it fails.
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			if _, err := Products.Objects().Count(ctx); err != nil {
				return err
			}
			ormtest.TerminateBackends(t, db)
			_, err := Products.Objects().Count(ctx)
			return err
		})
		if !orm.IsUnavailable(err) {
			t.Errorf("a read in a transaction whose connection was terminated: %v, want the connection's failure", err)
		}
	})
}
