package shop

import (
	"context"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// connectSignals connects the shop's receivers when the app is installed
// (Django's AppConfig.ready). They run in the sender's transaction: a failing one
// undoes the save or the delete.
//
// As in Django, QuerySet.Update and BulkCreate send no signal: code that
// approves or edits reviews in bulk calls RecomputeRating itself, as
// ApproveReviews (the admin's approve action) does.
func connectSignals() {
	auth.Users.PostSave.Connect(createCustomer)
	Reviews.PreSave.Connect(leaveProduct)
	Reviews.PostSave.Connect(func(ctx context.Context, e orm.SaveEvent[Review]) error {
		return RecomputeRating(ctx, e.Instance.Product.ID)
	})
	Reviews.PostDelete.Connect(func(ctx context.Context, e orm.DeleteEvent[Review]) error {
		return RecomputeRating(ctx, e.Instance.Product.ID)
	})
}

// RecomputeRating sets the product's average_rating to the mean of its
// approved reviews' ratings (0 when it has none), to two places, from one
// aggregate query. The mean is Sum/Count in decimal, so that 4.125 rounds
// to 4.13 on both engines, as PostgreSQL's numeric would.
//
// It locks the product's row first (in a transaction of its own when ctx
// has none) and aggregates under the lock: two transactions rating the
// same product then take turns, and the second, under READ COMMITTED,
// counts the reviews the first committed instead of writing an average
// that misses them.
func RecomputeRating(ctx context.Context, productID int64) error {
	return recomputeRating(ctx, productID, 0)
}

// leaveProduct recomputes the rating of the product a review is being
// moved away from, without the review: the post_save receiver only sees
// the product it goes to. Everywhere a review's row is locked before its
// product's (Save's UPDATE, ApproveReviews, a delete) and products in key
// order (PlaceOrder): so it locks the review, which also makes it read
// where a concurrent move has just put it, and then both products, as
// locking the one left here and the other at post_save would let two
// moves in opposite directions each wait for the other.
func leaveProduct(ctx context.Context, e orm.SaveEvent[Review]) error {
	if e.Instance.ID == 0 || (e.UpdateFields != nil && !slices.Contains(e.UpdateFields, "product")) {
		return nil
	}
	was, err := orm.Flat[int64](ctx, Reviews.Objects().Filter(orm.Q{"pk": e.Instance.ID}).OrderBy().SelectForUpdate(), "product")
	if err != nil || len(was) == 0 || was[0] == e.Instance.Product.ID {
		return err
	}
	if _, err := lockProducts(ctx, []int64{was[0], e.Instance.Product.ID}); err != nil {
		return err
	}
	return recomputeRating(ctx, was[0], e.Instance.ID)
}

// lockProducts locks the products' rows until the transaction ends, in key
// order, and returns the keys of those that exist.
func lockProducts(ctx context.Context, ids []int64) ([]int64, error) {
	return orm.Flat[int64](ctx, Products.Objects().Filter(orm.Q{"pk__in": ids}).OrderBy("pk").SelectForUpdate(), "id")
}

// recomputeRating is RecomputeRating leaving out one review (0: none).
func recomputeRating(ctx context.Context, productID, without int64) error {
	if !orm.InTransaction(ctx) {
		return orm.Atomic(ctx, func(ctx context.Context) error { return recomputeRating(ctx, productID, without) })
	}
	found, err := lockProducts(ctx, []int64{productID})
	if err != nil || len(found) == 0 { // no such product (any more): nothing to rate
		return err
	}
	row, err := Reviews.Objects().Filter(orm.Q{"product": productID, "approved": true}).
		Exclude(orm.Q{"pk": without}).
		Aggregate(ctx, orm.A{"sum": orm.Sum("rating"), "n": orm.Count("id")})
	if err != nil {
		return err
	}
	var agg struct {
		Sum *int64
		N   int64
	}
	if err := row.Scan(&agg); err != nil {
		return err
	}
	avg := decimal.Zero
	if agg.N > 0 && agg.Sum != nil {
		avg = decimal.NewFromInt(*agg.Sum).DivRound(decimal.NewFromInt(agg.N), 2)
	}
	_, err = Products.Objects().Filter(orm.Q{"pk": productID}).Update(ctx, orm.Values{"average_rating": avg})
	return err
}

// ApproveReviews approves the reviews in one UPDATE and, as that sends no
// signal, recomputes the rating of each of their products, all in one
// transaction. It returns how many reviews it approved. The products are
// locked in key order, the order PlaceOrder locks them in, so that the
// two cannot deadlock.
func ApproveReviews(ctx context.Context, reviews []*Review) (int64, error) {
	ids := make([]int64, len(reviews))
	var products []int64
	for i, r := range reviews {
		ids[i] = r.ID
		if !slices.Contains(products, r.Product.ID) {
			products = append(products, r.Product.ID)
		}
	}
	slices.Sort(products)
	var n int64
	err := orm.Atomic(ctx, func(ctx context.Context) error {
		var err error
		if n, err = Reviews.Objects().Filter(orm.Q{"pk__in": ids, "approved": false}).
			Update(ctx, orm.Values{"approved": true}); err != nil {
			return err
		}
		for _, id := range products {
			if err := RecomputeRating(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// createCustomer gives every new user a Customer.
func createCustomer(ctx context.Context, e orm.SaveEvent[auth.User]) error {
	if !e.Created {
		return nil
	}
	return Customers.Objects().Create(ctx, &Customer{User: orm.FK[auth.User]{ID: e.Instance.ID}})
}

// CustomerFor returns the user's Customer, creating it when missing (for
// users made before the shop existed); a concurrent creation is found,
// not duplicated.
func CustomerFor(ctx context.Context, u *auth.User) (*Customer, error) {
	c, _, err := Customers.Objects().GetOrCreate(ctx, orm.Q{"user": u.ID}, nil)
	if err != nil {
		return nil, err
	}
	c.User.Set(u)
	return c, nil
}
