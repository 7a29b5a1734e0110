package orm

import (
	"context"
	"fmt"
	"time"
)

// txState is the transaction a context carries. Statements of one
// transaction run on one connection, one at a time: do not share a
// transaction's context between goroutines.
type txState struct {
	db       *DB
	x        txDriver
	depth    int // savepoints open
	cursors  int // cursors declared, for unique names
	onCommit []func()
	done     bool // committed or rolled back
	// broken is a ROLLBACK TO SAVEPOINT that failed: the work it should
	// have undone may still be there, so the transaction must not commit.
	broken error
}

type txKey struct{}

// txFrom returns the open transaction ctx carries. A context that outlives
// its transaction (captured by an OnCommit callback) runs in autocommit.
func txFrom(ctx context.Context) *txState {
	tx, _ := ctx.Value(txKey{}).(*txState)
	if tx != nil && tx.done {
		return nil
	}
	return tx
}

// InTransaction reports whether ctx carries a transaction.
func InTransaction(ctx context.Context) bool { return txFrom(ctx) != nil }

// Atomic runs fn in a transaction that travels in fn's context, so every
// query fn makes (through managers, signals, services) joins it. fn
// returning an error, or panicking, rolls everything back. Inside another
// Atomic it is a savepoint: its failure undoes only its own work, as a
// nested transaction.atomic() does in Django.
func Atomic(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if tx := txFrom(ctx); tx != nil {
		return tx.savepoint(ctx, fn)
	}
	db := FromContext(ctx)
	if db == nil {
		return ErrNoDB
	}
	tx := &txState{db: db}
	start := time.Now()
	tx.x, err = db.drv.begin(ctx)
	if err != nil {
		return fmt.Errorf("orm: begin: %w", db.translate(err))
	}
	db.trace(ctx, "BEGIN", nil, start, nil)
	defer func() {
		if !tx.done { // a failed COMMIT has closed the transaction already
			tx.rollback(ctx)
		}
	}()
	if err = fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
		return err
	}
	if tx.broken != nil {
		return fmt.Errorf("orm: transaction rolled back: a savepoint could not be undone: %w", tx.broken)
	}
	start = time.Now()
	err = tx.x.commit(ctx)
	db.trace(ctx, "COMMIT", nil, start, err)
	tx.done = true
	if err != nil {
		return fmt.Errorf("orm: commit: %w", db.translate(err))
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}

func (tx *txState) rollback(ctx context.Context) {
	start := time.Now()
	err := tx.x.rollback(ctx)
	tx.done = true
	tx.db.trace(ctx, "ROLLBACK", nil, start, err)
}

func (tx *txState) savepoint(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	tx.depth++
	name := fmt.Sprintf("quarry_sp_%d", tx.depth)
	c := conn{db: tx.db, tx: tx}
	hooks := len(tx.onCommit)
	defer func() { tx.depth-- }()
	if _, err := c.exec(ctx, "SAVEPOINT "+name, nil); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			// Undo this block only; callbacks it registered die with it.
			if _, err := c.exec(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name, nil); err != nil {
				if tx.broken == nil {
					tx.broken = err
				}
			} else {
				c.exec(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name, nil)
			}
			tx.onCommit = tx.onCommit[:hooks]
		}
	}()
	if err = fn(ctx); err != nil {
		return err
	}
	if _, err = c.exec(ctx, "RELEASE SAVEPOINT "+name, nil); err != nil {
		return err
	}
	done = true
	return nil
}

// OnCommit runs fn after the outermost transaction in ctx commits, and not
// at all if it rolls back (or if the savepoint fn was registered in rolls
// back). Outside a transaction fn runs at once, as in Django.
func OnCommit(ctx context.Context, fn func()) {
	if tx := txFrom(ctx); tx != nil {
		tx.onCommit = append(tx.onCommit, fn)
		return
	}
	fn()
}
