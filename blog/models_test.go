package blog

import (
	"context"
	"slices"
	"testing"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

func titles(t *testing.T) func([]*Post, error) []string {
	return func(posts []*Post, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(posts))
		for i, p := range posts {
			out[i] = p.Title
		}
		return out
	}
}

// TestPostQuerySetChains: Post.objects.active().popular().order_by(…) and
// the same steps in other orders, mixed with built-ins.
func TestPostQuerySetChains(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		post(t, ctx, alice, "a-hit", func(p *Post) { p.ViewCount = 5000 })
		post(t, ctx, alice, "a-quiet", func(p *Post) { p.ViewCount = 10 })
		post(t, ctx, alice, "a-hidden-hit", func(p *Post) { p.ViewCount = 9000; p.IsActive = false })
		post(t, ctx, bob, "b-hit", func(p *Post) { p.ViewCount = 1000 })
		post(t, ctx, bob, "b-hidden", func(p *Post) { p.IsActive = false })

		for _, tc := range []struct {
			name string
			qs   PostQS
			want []string
		}{
			{"active", PostObjects().Active().OrderBy("title"), []string{"a-hit", "a-quiet", "b-hit"}},
			{"active popular", PostObjects().Active().Popular(1000).OrderBy("-view_count"), []string{"a-hit", "b-hit"}},
			{"popular active, reversed", PostObjects().OrderBy("-view_count").Popular(1000).Active(), []string{"a-hit", "b-hit"}},
			{"by author, popular", PostObjects().ByAuthor(alice).Popular(1000), []string{"a-hidden-hit", "a-hit"}},
			{"built-ins between", PostObjects().Filter(orm.Q{"title__startswith": "a"}).Active().Exclude(orm.Q{"view_count__lt": 100}).ByAuthor(alice), []string{"a-hit"}},
			{"by author, active, sliced", PostObjects().ByAuthor(bob).OrderBy("title").Active().Limit(1), []string{"b-hit"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := titles(t)(tc.qs.All(ctx))
				if tc.name == "by author, popular" {
					slices.Sort(got)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
		// The admin lists through the default manager: the same rows.
		if n, err := Posts.DefaultManager().Count(ctx); err != nil || n != 5 {
			t.Fatalf("default manager counts %d, %v", n, err)
		}
	})
}

// TestSignals: every new user gets a Profile; deleting a post, however it
// happens, writes a DeletionLog first.
func TestSignals(t *testing.T) {
	each(t, func(t *testing.T, ctx context.Context) {
		alice, bob := user(t, ctx, "alice"), user(t, ctx, "bob")
		for _, u := range []*auth.User{alice, bob} {
			if ok, err := Profiles.Objects().Filter(orm.Q{"user": u.ID}).Exists(ctx); err != nil || !ok {
				t.Fatalf("no profile for %s (%v)", u.Username, err)
			}
		}
		// Saving again makes no second profile.
		alice.Email = "alice@example.com"
		if err := auth.Users.Save(ctx, alice); err != nil {
			t.Fatal(err)
		}
		if n, _ := Profiles.Objects().Count(ctx); n != 2 {
			t.Fatalf("%d profiles, want 2", n)
		}

		one := post(t, ctx, alice, "One")
		post(t, ctx, bob, "Two")
		post(t, ctx, bob, "Three")
		if _, err := Posts.Delete(ctx, one); err != nil {
			t.Fatal(err)
		}
		// Deleting bob cascades to his posts (and his profile): each
		// post is logged.
		if _, err := auth.Users.Delete(ctx, bob); err != nil {
			t.Fatal(err)
		}
		logs, err := DeletionLogs.Objects().OrderBy("title").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range logs {
			if l.Model != "Post" || l.ObjectID == 0 || l.DeletedAt.IsZero() {
				t.Fatalf("log row = %+v", l)
			}
			got = append(got, l.Title)
		}
		if want := []string{"One", "Three", "Two"}; !slices.Equal(got, want) {
			t.Fatalf("logged %v, want %v", got, want)
		}
		if n, _ := Profiles.Objects().Count(ctx); n != 1 {
			t.Fatalf("%d profiles after deleting bob, want 1", n)
		}
	})
}
