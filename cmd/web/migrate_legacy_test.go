package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// A database migrated with the single history Quarry had before each app
// had its own migrations (package migrations, goose_db_version) is
// carried over by migrate: brought to that history's end, then each app's
// initial migrations recorded as applied. Its rows stay, and its schema is
// the one a new database gets from the apps' own migrations.
func TestMigrateCarriesOverTheSingleHistory(t *testing.T) {
	migrationstest.EachURL(t, func(t *testing.T, url string) {
		ctx := migrationstest.OpenURL(t, url)
		db := orm.FromContext(ctx)
		files, err := migrations.FS(db.Vendor())
		if err != nil {
			t.Fatal(err)
		}
		legacy, err := migrations.New(db, files)
		if err != nil {
			t.Fatal(err)
		}
		defer legacy.Close()
		// One short of the end: migrate runs the rest of the old history
		// before it records the apps' own.
		if _, err := legacy.To(ctx, nil, mustLookup(t, legacy, "19")); err != nil {
			t.Fatal(err)
		}
		u, err := auth.CreateUser(ctx, "ann", "ann@example.com", "a long password")
		if err != nil {
			t.Fatal(err)
		}
		post := &blog.Post{Title: "Hello", Slug: "hello", Body: "Carried over"}
		post.Author.Set(u)
		if err := blog.Posts.Objects().Create(ctx, post); err != nil {
			t.Fatal(err)
		}
		cat := &shop.Category{Name: "Tools", Slug: "tools"}
		if err := shop.Categories.Objects().Create(ctx, cat); err != nil {
			t.Fatal(err)
		}
		p := shop.Products.New()
		p.Name, p.Slug, p.SKU = "Hammer", "hammer", "HAM-1"
		p.Category.Set(cat)
		if err := shop.Products.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		before := rowCounts(t, ctx)

		out, _ := webAt(t, url, 0, "migrate")
		for _, want := range []string{"00020_search_vectors_stored... OK", "Applying auth 00001_initial... FAKED",
			"Applying jobs 00008_river_job_id_autoincrement... FAKED", "Applying shop 00001_initial... FAKED"} {
			if !strings.Contains(out, want) {
				t.Errorf("migrate's output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "... OK") && strings.Contains(out, "Applying blog 00001_initial... OK") {
			t.Errorf("migrate ran the blog's initial migration on tables that exist:\n%s", out)
		}
		if after := rowCounts(t, ctx); !slices.Equal(before, after) {
			t.Errorf("rows before %v, after %v", before, after)
		}
		got, err := shop.Products.Objects().Filter(orm.Q{"category__slug": "tools"}).Get(ctx)
		if err != nil || got.SKU != "HAM-1" || got.Name != "Hammer" {
			t.Errorf("the product after the upgrade: %+v, %v", got, err)
		}
		if out, _ := webAt(t, url, 0, "migrate"); !strings.Contains(out, "No migrations to apply.") {
			t.Errorf("a second migrate:\n%s", out)
		}
		out, _ = webAt(t, url, 0, "showmigrations")
		if strings.Contains(out, "[ ]") {
			t.Errorf("showmigrations lists a pending migration:\n%s", out)
		}

		// An app migrated back to nothing since is not recorded again:
		// its migrations run.
		webAt(t, url, 0, "migrate", "--app", "blog", "zero")
		if out, _ := webAt(t, url, 0, "migrate"); !strings.Contains(out, "Applying blog 00001_initial... OK") {
			t.Errorf("migrate after the blog went back to zero:\n%s", out)
		}
		if _, err := blog.Posts.Objects().Count(ctx); err != nil {
			t.Errorf("the blog's tables after migrating it again: %v", err)
		}

		// The schema is the one a new database gets.
		fresh := migrationstest.URL(t, db.Vendor())
		webAt(t, fresh, 0, "migrate")
		want, got2 := describeSchema(t, migrationstest.OpenURL(t, fresh)), describeSchema(t, ctx)
		for _, line := range got2 {
			if !slices.Contains(want, line) {
				t.Errorf("only the carried-over database has %s", line)
			}
		}
		for _, line := range want {
			if !slices.Contains(got2, line) {
				t.Errorf("only a new database has %s", line)
			}
		}
	})
	// The models and the apps' migrations agree.
	if code, out, stderr := runWeb(t, t.Context(), nil, "makemigrations", "--check"); code != 0 {
		t.Errorf("makemigrations --check: exit %d\n%s%s", code, out, stderr)
	}
}

func mustLookup(t *testing.T, m *migrations.Migrator, v string) migrations.Migration {
	t.Helper()
	mig, err := m.Lookup(v)
	if err != nil {
		t.Fatal(err)
	}
	return mig
}

// rowCounts counts the rows of a few tables of each app.
func rowCounts(t *testing.T, ctx context.Context) []int64 {
	t.Helper()
	var out []int64
	for _, table := range []string{"auth_user", "blog_post", "blog_profile", "shop_category", "shop_product", "shop_customer", "river_migration"} {
		rows, err := orm.Query(ctx, "SELECT COUNT(*) FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		out = append(out, n)
	}
	return out
}

// describeSchema lists the schema's tables, columns, indexes, constraints
// and triggers, one line each, goose's version tables left out.
func describeSchema(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var queries []string
	if orm.FromContext(ctx).Vendor() == "sqlite" {
		queries = []string{
			`SELECT m.type || ' ' || m.name || ' ' || p.name || ' ' || p.type || ' notnull=' || p."notnull" || ' pk=' || p.pk || ' default=' || COALESCE(p.dflt_value, '')
			 FROM sqlite_master m, pragma_table_xinfo(m.name) p WHERE m.type = 'table'`,
			`SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger')`,
		}
	} else {
		queries = []string{
			`SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || ' default=' || COALESCE(column_default, '') ||
			 ' generated=' || COALESCE(generation_expression, '') || ' identity=' || is_identity
			 FROM information_schema.columns WHERE table_schema = current_schema()`,
			`SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()`,
			`SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ': ' || pg_get_constraintdef(c.oid)
			 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()`,
			`SELECT 'trigger ' || event_object_table || ' ' || trigger_name || ' ' || event_manipulation || ': ' || action_statement
			 FROM information_schema.triggers WHERE trigger_schema = current_schema()`,
			`SELECT 'function ' || p.proname || '(' || pg_get_function_arguments(p.oid) || ')' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			 WHERE n.nspname = current_schema()`,
			`SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = current_schema() AND t.typtype = 'e'`,
		}
	}
	var schema string
	if orm.FromContext(ctx).Vendor() == "postgres" {
		rows, err := orm.Query(ctx, "SELECT current_schema()")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&schema)
		}
		rows.Close()
	}
	var out []string
	for _, q := range queries {
		rows, err := orm.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(line, "goose_") {
				continue
			}
			if schema != "" {
				line = strings.ReplaceAll(line, schema+".", "")
			}
			// The single history added NOT NULL text columns to tables
			// that had rows with '' as their default, which the columns
			// kept; the models apply their defaults in Go, so a new
			// database's columns have none.
			if strings.HasSuffix(line, " default=''") {
				line = strings.TrimSuffix(line, "''")
			}
			line = strings.ReplaceAll(line, " default=''::character varying ", " default= ")
			out = append(out, line)
		}
		rows.Close()
	}
	slices.Sort(out)
	if len(out) < 50 {
		t.Fatalf("the schema has %d lines: %s", len(out), fmt.Sprint(out))
	}
	return out
}
