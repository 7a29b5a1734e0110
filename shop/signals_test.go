package shop_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

func newReview(t *testing.T, ctx context.Context, p *shop.Product, c *shop.Customer, rating int16, approved bool) *shop.Review {
	t.Helper()
	r := shop.Reviews.New()
	r.Product.ID, r.Customer.ID, r.Rating, r.Approved = p.ID, c.ID, rating, approved
	r.Title = fmt.Sprintf("%d stars", rating)
	if err := shop.Reviews.Save(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func ratingOf(t *testing.T, ctx context.Context, p *shop.Product) string {
	t.Helper()
	got, err := shop.Products.Objects().Get(ctx, orm.Q{"pk": p.ID})
	if err != nil {
		t.Fatal(err)
	}
	return got.AverageRating.StringFixed(2)
}

func customers(t *testing.T, ctx context.Context, n int) []*shop.Customer {
	t.Helper()
	cs := make([]*shop.Customer, n)
	for i := range cs {
		cs[i] = newCustomer(t, ctx, fmt.Sprintf("reviewer%d", i))
	}
	return cs
}

func TestAverageRatingFollowsApprovedReviews(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		p := newProduct(t, ctx, cat, "Novel", "20", "", 5)
		other := newProduct(t, ctx, cat, "Atlas", "40", "", 5)
		cs := customers(t, ctx, 4)
		step := func(what, want string) {
			t.Helper()
			if got := ratingOf(t, ctx, p); got != want {
				t.Fatalf("after %s: average = %s, want %s", what, got, want)
			}
		}
		five := newReview(t, ctx, p, cs[0], 5, true)
		step("one approved 5", "5.00")
		newReview(t, ctx, p, cs[1], 1, false)
		step("an unapproved 1", "5.00")
		newReview(t, ctx, p, cs[2], 4, true)
		step("an approved 4", "4.50")
		newReview(t, ctx, p, cs[3], 4, true)
		step("another approved 4", "4.33")
		newReview(t, ctx, other, cs[1], 1, true)
		step("a review of another product", "4.33")
		five.Rating = 2
		if err := shop.Reviews.Save(ctx, five); err != nil {
			t.Fatal(err)
		}
		step("the 5 edited to 2", "3.33")
		five.Product.ID = other.ID
		if err := shop.Reviews.Save(ctx, five); err != nil {
			t.Fatal(err)
		}
		step("the 2 moved to another product", "4.00")
		if got := ratingOf(t, ctx, other); got != "1.50" {
			t.Fatalf("the product the 2 moved to = %s, want 1.50", got)
		}
		five.Product.ID = p.ID
		if err := shop.Reviews.Save(ctx, five); err != nil {
			t.Fatal(err)
		}
		step("the 2 moved back", "3.33")
		if _, err := shop.Reviews.Delete(ctx, five); err != nil {
			t.Fatal(err)
		}
		step("deleting the 2", "4.00")
		if _, err := shop.Reviews.Objects().Filter(orm.Q{"product": p.ID}).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		step("deleting every review", "0.00")
		if got := ratingOf(t, ctx, other); got != "1.00" { // cs[1]'s 1; the moved 2 is gone
			t.Fatalf("other product = %s, want 1.00", got)
		}
	})
}

// TestAverageRatingRoundsHalfUp: 33/8 is 4.125 exactly, 4.13 to two places.
func TestAverageRatingRoundsHalfUp(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		p := newProduct(t, ctx, cat, "Novel", "20", "", 5)
		for i, c := range customers(t, ctx, 8) {
			rating := int16(4)
			if i == 0 {
				rating = 5
			}
			newReview(t, ctx, p, c, rating, true)
		}
		if got := ratingOf(t, ctx, p); got != "4.13" {
			t.Fatalf("average = %s, want 4.13", got)
		}
	})
}

// TestFailingReceiverUndoesReviewAndRating: the recompute runs in the
// save's transaction, so a failure after it takes both back.
func TestFailingReceiverUndoesReviewAndRating(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		p := newProduct(t, ctx, cat, "Novel", "20", "", 5)
		cs := customers(t, ctx, 2)
		newReview(t, ctx, p, cs[0], 2, true)
		refused := errors.New("refused")
		disconnect := shop.Reviews.PostSave.Connect(func(context.Context, orm.SaveEvent[shop.Review]) error { return refused })
		defer disconnect()
		r := shop.Reviews.New()
		r.Product.ID, r.Customer.ID, r.Rating, r.Approved, r.Title = p.ID, cs[1].ID, 5, true, "great"
		if err := shop.Reviews.Save(ctx, r); !errors.Is(err, refused) {
			t.Fatalf("save = %v, want the receiver's error", err)
		}
		disconnect()
		if n := count(t, ctx, shop.Reviews); n != 1 {
			t.Fatalf("%d reviews, want 1", n)
		}
		if got := ratingOf(t, ctx, p); got != "2.00" {
			t.Fatalf("average = %s, want 2.00 (the recompute undone)", got)
		}
	})
}

// TestApprovingInBulk: QuerySet.Update sends no post_save (as in Django),
// so the rating goes stale; ApproveReviews, the admin's action, updates it.
func TestApprovingInBulk(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		p := newProduct(t, ctx, cat, "Novel", "20", "", 5)
		q := newProduct(t, ctx, cat, "Atlas", "40", "", 5)
		cs := customers(t, ctx, 3)
		a := newReview(t, ctx, p, cs[0], 5, false)
		b := newReview(t, ctx, p, cs[1], 2, false)
		c := newReview(t, ctx, q, cs[2], 3, false)
		if _, err := shop.Reviews.Objects().Filter(orm.Q{"pk": a.ID}).Update(ctx, orm.Values{"approved": true}); err != nil {
			t.Fatal(err)
		}
		if got := ratingOf(t, ctx, p); got != "0.00" {
			t.Fatalf("after QuerySet.Update: average = %s, want 0.00 (no signal)", got)
		}
		n, err := shop.ApproveReviews(ctx, []*shop.Review{a, b, c})
		if err != nil || n != 2 {
			t.Fatalf("approved %d, %v; want 2 (one already was)", n, err)
		}
		if ratingOf(t, ctx, p) != "3.50" || ratingOf(t, ctx, q) != "3.00" {
			t.Fatalf("averages = %s, %s; want 3.50, 3.00", ratingOf(t, ctx, p), ratingOf(t, ctx, q))
		}
	})
}

func TestCustomerFor(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		made := newCustomer(t, ctx, "new")
		u, _ := made.User.Cached()
		got, err := shop.CustomerFor(ctx, u)
		if err != nil || got.ID != made.ID {
			t.Fatalf("CustomerFor a new user = %+v, %v; want the signal's customer %d", got, err, made.ID)
		}
		if cu, ok := got.User.Cached(); !ok || cu.Username != "new" || got.String() != "new" {
			t.Fatalf("customer's user = %v, %v; string %q", cu, ok, got.String())
		}
		if err := auth.Users.Save(ctx, u); err != nil { // an update makes no second customer
			t.Fatal(err)
		}

		// A user from before the shop: no customer until asked for.
		old := newCustomer(t, ctx, "old")
		oldUser, _ := old.User.Cached()
		if _, err := shop.Customers.Delete(ctx, old); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		for i := range ids {
			wg.Go(func() {
				c, err := shop.CustomerFor(ctx, oldUser)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = c.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] || id == 0 {
				t.Fatalf("concurrent CustomerFor gave customers %v, want one", ids)
			}
		}
		if n := count(t, ctx, shop.Customers); n != 2 {
			t.Fatalf("%d customers, want 2", n)
		}
	})
}

// averageOf is the mean of the ratings to two places, as RecomputeRating
// stores it.
func averageOf(ratings []int16) string {
	var sum int64
	for _, r := range ratings {
		sum += int64(r)
	}
	return decimal.NewFromInt(sum).DivRound(decimal.NewFromInt(int64(len(ratings))), 2).StringFixed(2)
}

// TestConcurrentReviewsKeepTheAverage: reviews of one product saved at
// once, each in its own transaction, leave the average of all of them,
// not that of whichever transaction wrote last without seeing the others;
// and saves, bulk approvals, moves between products and orders of those
// products lock rows in one order, so they wait for each other instead of
// deadlocking.
func TestConcurrentReviewsKeepTheAverage(t *testing.T) {
	eachDB(t, func(t *testing.T, ctx context.Context) {
		cat := newCategory(t, ctx, "books", nil)
		cs := customers(t, ctx, 12)
		rating := func(i int) int16 { return int16(1 + i%5) }
		all := make([]int16, len(cs))
		for i := range cs {
			all[i] = rating(i)
		}
		want := averageOf(all)
		// atOnce runs fn for every customer in goroutines of their own.
		atOnce := func(t *testing.T, fn func(i int, c *shop.Customer) error) {
			t.Helper()
			var wg sync.WaitGroup
			for i, c := range cs {
				wg.Go(func() {
					if err := fn(i, c); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				t.FailNow()
			}
		}

		t.Run("approving", func(t *testing.T) {
			for round := range 3 {
				p := newProduct(t, ctx, cat, fmt.Sprintf("Approved novel %d", round), "20", "", 5)
				pending := make([]*shop.Review, len(cs))
				for i, c := range cs {
					pending[i] = newReview(t, ctx, p, c, rating(i), false)
				}
				atOnce(t, func(i int, _ *shop.Customer) error {
					pending[i].Approved = true
					return shop.Reviews.Save(ctx, pending[i])
				})
				if got := ratingOf(t, ctx, p); got != want {
					t.Fatalf("round %d: %d reviews approved at once: average = %s, want %s", round, len(cs), got, want)
				}
			}
		})

		// One by one and in bulk (the admin's action), some reviews twice.
		t.Run("approving in bulk", func(t *testing.T) {
			p := newProduct(t, ctx, cat, "Almanac", "20", "", 5)
			q := newProduct(t, ctx, cat, "Breviary", "20", "", 5)
			onP, onQ := make([]*shop.Review, len(cs)), make([]*shop.Review, len(cs))
			for i, c := range cs {
				onP[i] = newReview(t, ctx, p, c, rating(i), false)
				onQ[i] = newReview(t, ctx, q, c, rating(i), false)
			}
			atOnce(t, func(i int, _ *shop.Customer) error {
				if i%2 == 1 {
					_, err := shop.ApproveReviews(ctx, []*shop.Review{onQ[i], onP[i], onP[i-1], onQ[i-1]})
					return err
				}
				for _, r := range []*shop.Review{onP[i], onQ[i]} {
					r.Approved = true
					if err := shop.Reviews.Save(ctx, r); err != nil {
						return err
					}
				}
				return nil
			})
			if got, gotQ := ratingOf(t, ctx, p), ratingOf(t, ctx, q); got != want || gotQ != want {
				t.Fatalf("averages = %s, %s; want %s", got, gotQ, want)
			}
		})

		t.Run("creating", func(t *testing.T) {
			for round := range 3 {
				p := newProduct(t, ctx, cat, fmt.Sprintf("Reviewed novel %d", round), "20", "", 5)
				atOnce(t, func(i int, c *shop.Customer) error {
					r := shop.Reviews.New()
					r.Product.ID, r.Customer.ID, r.Rating, r.Approved, r.Title = p.ID, c.ID, rating(i), true, "at once"
					return shop.Reviews.Save(ctx, r)
				})
				if got := ratingOf(t, ctx, p); got != want {
					t.Fatalf("round %d: %d reviews made at once: average = %s, want %s", round, len(cs), got, want)
				}
			}
		})

		// Half the reviews move from a to b and half from b to a, while
		// orders lock both products.
		t.Run("moving", func(t *testing.T) {
			quiet := shop.WithConfirmer(ctx, shop.ConfirmerFunc(func(context.Context, *shop.Order, []*shop.OrderItem) error { return nil }))
			a := newProduct(t, ctx, cat, "Atlas", "40", "", 100)
			b := newProduct(t, ctx, cat, "Bestiary", "30", "", 100)
			half := len(cs) / 2
			moving := make([]*shop.Review, len(cs))
			for i, c := range cs {
				on := a
				if i >= half {
					on = b
				}
				moving[i] = newReview(t, ctx, on, c, rating(i), true)
			}
			atOnce(t, func(i int, c *shop.Customer) error {
				if i%3 == 0 {
					if _, err := shop.PlaceOrder(quiet, c, []shop.CartLine{{b.ID, 1}, {a.ID, 1}}, shop.Checkout{}); err != nil {
						return err
					}
				}
				to := b
				if i >= half {
					to = a
				}
				moving[i].Product.ID = to.ID
				return shop.Reviews.Save(ctx, moving[i])
			})
			if got, want := ratingOf(t, ctx, a), averageOf(all[half:]); got != want {
				t.Fatalf("after the moves: a's average = %s, want %s", got, want)
			}
			if got, want := ratingOf(t, ctx, b), averageOf(all[:half]); got != want {
				t.Fatalf("after the moves: b's average = %s, want %s", got, want)
			}
		})
	})
}
