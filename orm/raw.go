package orm

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// Raw SQL takes ? placeholders on both engines (rewritten to $1, $2… for
// PostgreSQL; a ? inside quotes or comments is left alone) and binds every
// argument: never format input into the SQL text.

// Raw runs a SELECT and maps its columns onto instances by column name, as
// Django's Model.objects.raw. The primary key column is required; columns
// that are not fields of the model are ignored.
func (m *Model[T]) Raw(ctx context.Context, query string, args ...any) ([]*T, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.query(ctx, c.db.rebind(query), args)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cols := r.Columns()
	fields := make([]*Field, len(cols))
	hasPK := false
	for i, col := range cols {
		for _, f := range m.Fields {
			if f.Column == col {
				fields[i] = f
				hasPK = hasPK || f.PrimaryKey
			}
		}
	}
	if !hasPK {
		return nil, fmt.Errorf("orm: raw query for %s must include the primary key column %q", m.Label(), m.PK.Column)
	}
	// Fields the query did not select are deferred, as in Django: Save
	// must not overwrite their columns with zero values.
	var missing []*Field
	for _, f := range m.Fields {
		if !slices.Contains(fields, f) {
			missing = append(missing, f)
		}
	}
	var out []*T
	targets := make([]any, len(cols))
	for r.Next() {
		p := new(T)
		if missing != nil {
			markDeferred(p, missing)
		}
		for i, f := range fields {
			if f == nil {
				targets[i] = new(any)
			} else {
				targets[i] = c.db.dialect.scanTarget(f, unsafe.Pointer(p))
			}
		}
		if err := r.Scan(targets...); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, r.Err()
}

// Exec runs a statement on the context's database or transaction and
// returns the number of rows it affected.
func Exec(ctx context.Context, query string, args ...any) (int64, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return 0, err
	}
	return c.exec(ctx, c.db.rebind(query), args)
}

// Rows is a cursor over a raw query's result (Django's cursor.fetchone /
// fetchall): Next, then Scan or Values; always Close.
type Rows struct{ r rows }

// Query runs a raw query on the context's database or transaction.
func Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	c, err := connFrom(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.query(ctx, c.db.rebind(query), args)
	if err != nil {
		return nil, err
	}
	return &Rows{r}, nil
}

func (r *Rows) Next() bool             { return r.r.Next() }
func (r *Rows) Scan(dest ...any) error { return r.r.Scan(dest...) }
func (r *Rows) Values() ([]any, error) { return r.r.Values() }
func (r *Rows) Columns() []string      { return r.r.Columns() }
func (r *Rows) Err() error             { return r.r.Err() }
func (r *Rows) Close()                 { r.r.Close() }

// QueryRow runs a raw query and scans its first row into dest.
func QueryRow(ctx context.Context, query string, args []any, dest ...any) error {
	r, err := Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return ErrDoesNotExist
	}
	if err := r.Scan(dest...); err != nil {
		return err
	}
	return r.Err()
}

// rebind rewrites ? placeholders for PostgreSQL. A doubled ?? is a literal
// ? (PostgreSQL's jsonb operators ?, ?| and ?& are written ??, ??| and
// ??&); on SQLite, where ? stays the placeholder, the query is not
// rewritten.
func (db *DB) rebind(query string) string {
	if !db.drv.caps().numberedParams || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case ch == '\'' || ch == '"':
			end := strings.IndexByte(query[i+1:], ch)
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case ch == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case ch == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i:], "*/")
			if end < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case ch == '?' && i+1 < len(query) && query[i+1] == '?':
			b.WriteByte('?')
			i++
		case ch == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}
