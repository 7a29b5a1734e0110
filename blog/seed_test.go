package blog

import (
	"context"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

func TestSeedIsIdempotent(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		var last [2]int
		opt := SeedOptions{Posts: 30, Progress: func(done, total int) { last = [2]int{done, total} }}
		if err := Seed(ctx, opt); err != nil {
			t.Fatal(err)
		}
		if last != [2]int{30, 30} {
			t.Fatalf("last progress %v, want [30 30]", last)
		}
		counts := func() [5]int64 {
			var out [5]int64
			for i, qs := range []interface {
				Count(context.Context) (int64, error)
			}{Posts.Objects(), Categories.Objects(), Tags.Objects(), Comments.Objects(), PostObjects().Filter(orm.Q{"tags__isnull": false}).Distinct()} {
				n, err := qs.Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				out[i] = n
			}
			return out
		}
		first := counts()
		if first[0] != 30 || first[1] != 4 || first[2] != 6 || first[3] != 40 || first[4] != 30 {
			t.Fatalf("posts, categories, tags, comments, tagged posts = %v", first)
		}
		if err := Seed(ctx, opt); err != nil {
			t.Fatal(err)
		}
		if again := counts(); again != first {
			t.Fatalf("a second run changed the counts: %v, then %v", first, again)
		}
		// Growing the count adds only the new posts.
		if err := Seed(ctx, SeedOptions{Posts: 35}); err != nil {
			t.Fatal(err)
		}
		if n, _ := Posts.Objects().Count(ctx); n != 35 {
			t.Fatalf("%d posts after seeding 35, want 35", n)
		}
	})
}
