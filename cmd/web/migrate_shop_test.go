package main

import (
	"context"
	"testing"

	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

// Migration 00019 of the single history (package migrations, before each
// app had its own) gives the orders placed before references the reference
// their pages showed (the number's first 8 characters, in capitals) and,
// where two numbers begin alike, the later one its whole number; the
// unique constraint then holds, and the orders' pages keep their names.
func TestMigrationBackfillsOrderReferences(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		ctx := migrationstest.OpenURL(t, url)
		files, err := migrations.FS(orm.FromContext(ctx).Vendor())
		if err != nil {
			t.Fatal(err)
		}
		legacy, err := migrations.New(orm.FromContext(ctx), files)
		if err != nil {
			t.Fatal(err)
		}
		defer legacy.Close()
		to := func(v string) {
			t.Helper()
			mig, err := legacy.Lookup(v)
			if err == nil {
				_, err = legacy.To(ctx, nil, mig)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		to("8")
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := orm.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
			VALUES (1, '!', false, 'ann', '', '', '', false, true, CURRENT_TIMESTAMP)`)
		exec(`INSERT INTO shop_customer (id, user_id, phone, address, city, postal_code, country) VALUES (1, 1, '', '1 Main St', 'Springfield', '12345', 'USA')`)
		for i, number := range []string{
			"4103e163-0000-4000-8000-000000000001",
			"4103e163-0000-4000-8000-000000000002", // the same first 8
			"9abcdef0-0000-4000-8000-000000000003",
		} {
			exec(`INSERT INTO shop_order (id, number, customer_id, status, shipping_address, total, created_at)
				VALUES (?, ?, 1, 'pending', '1 Main St', 10, CURRENT_TIMESTAMP)`, i+1, number)
		}

		to("20")
		want := []string{"4103E163", "4103E163000040008000000000000002", "9ABCDEF0"}
		checkReferences(t, ctx, want)
		// A new order cannot take a reference an old one has.
		if _, err := orm.Exec(ctx, `INSERT INTO shop_order (number, reference, customer_id, status, shipping_address, total, created_at,
				shipping_name, shipping_line1, shipping_line2, shipping_city, shipping_postal_code, shipping_country)
				VALUES ('00000000-0000-4000-8000-000000000004', '9ABCDEF0', 1, 'pending', '', 10, CURRENT_TIMESTAMP, '', '', '', '', '', '')`); err == nil {
			t.Error("a second order took the reference 9ABCDEF0")
		}

		// Down and up again: the same references, from the same numbers.
		to("8")
		to("20")
		checkReferences(t, ctx, want)
		// Carried over to the apps' own migrations, the rows stay.
		webAt(t, url, 0, "migrate")
		checkReferences(t, ctx, want)
	})
}

func checkReferences(t *testing.T, ctx context.Context, want []string) {
	t.Helper()
	rows, err := orm.Query(ctx, "SELECT reference FROM shop_order ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if len(got) != len(want) {
		t.Fatalf("references %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("references %q, want %q", got, want)
			break
		}
	}
}
