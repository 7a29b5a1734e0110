package orm_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The tutorial's aggregation, expression and subquery examples run on
// models of their own.

type AggUser struct {
	ID       int64
	Username string
	IsStaff  bool
}

var AggUsers = orm.Define("agg", func(u *AggUser, m *orm.Schema) {
	m.Char(&u.Username, orm.MaxLength(150), orm.Unique())
	m.Boolean(&u.IsStaff)
})

type AggCategory struct {
	ID   int64
	Name string
}

var AggCategories = orm.Define("agg", func(c *AggCategory, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100))
})

type AggPost struct {
	ID         int64
	Title      string
	Author     orm.FK[AggUser]
	Category   orm.FK[AggCategory]
	ViewCount  int
	IsActive   bool
	IsFeatured bool
	CreatedAt  time.Time
}

var AggPosts = orm.Define("agg", func(p *AggPost, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.SetNull), orm.Null(), orm.RelatedName("posts"))
	m.PositiveInteger(&p.ViewCount)
	m.Boolean(&p.IsActive)
	m.Boolean(&p.IsFeatured)
	m.DateTime(&p.CreatedAt)
	m.Meta(orm.Ordering("-created_at"))
})

type AggProduct struct {
	ID           int64
	Name         string
	Category     orm.FK[AggCategory]
	SellingPrice decimal.Decimal
	CostPrice    decimal.Decimal
	Stock        int
	ReorderLevel int
}

var AggProducts = orm.Define("agg", func(p *AggProduct, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(100))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.Cascade), orm.RelatedName("products"))
	m.Decimal(&p.SellingPrice, 10, 2)
	m.Decimal(&p.CostPrice, 10, 2)
	m.Integer(&p.Stock)
	m.Integer(&p.ReorderLevel)
})

type AggCustomer struct {
	ID   int64
	Name string
}

var AggCustomers = orm.Define("agg", func(c *AggCustomer, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100))
})

type AggOrder struct {
	ID        int64
	Customer  orm.FK[AggCustomer]
	CreatedAt time.Time
}

var AggOrders = orm.Define("agg", func(o *AggOrder, m *orm.Schema) {
	m.ForeignKey(&o.Customer, orm.OnDelete(orm.Cascade), orm.RelatedName("orders"))
	m.DateTime(&o.CreatedAt)
})

type AggItem struct {
	ID       int64
	Order    orm.FK[AggOrder]
	Product  orm.FK[AggProduct]
	Quantity int
	Price    decimal.Decimal
}

var AggItems = orm.Define("agg", func(i *AggItem, m *orm.Schema) {
	m.ForeignKey(&i.Order, orm.OnDelete(orm.Cascade), orm.RelatedName("items"))
	m.ForeignKey(&i.Product, orm.OnDelete(orm.Cascade), orm.RelatedName("order_items"))
	m.Integer(&i.Quantity)
	m.Decimal(&i.Price, 10, 2)
})

var aggModels = []*orm.Meta{AggUsers.Meta, AggCategories.Meta, AggPosts.Meta, AggProducts.Meta,
	AggCustomers.Meta, AggOrders.Meta, AggItems.Meta}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(d int) time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

type aggFixture struct {
	alice, bob, carol *AggUser
	tech, life        *AggCategory
	posts             []*AggPost
	laptop, mouse     *AggProduct
	ann, ben, cid     *AggCustomer
}

// seedAgg: alice has 3 posts (2 active), bob 1, carol none. Ann ordered
// twice (55.00 + 20.00), Ben once (100.00), Cid never.
func seedAgg(t *testing.T, ctx context.Context) *aggFixture {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &aggFixture{}
	users := AggUsers.Objects()
	f.alice, f.bob, f.carol = &AggUser{Username: "alice"}, &AggUser{Username: "bob", IsStaff: true}, &AggUser{Username: "carol"}
	for _, u := range []*AggUser{f.alice, f.bob, f.carol} {
		must(users.Create(ctx, u))
	}
	f.tech, f.life = &AggCategory{Name: "tech"}, &AggCategory{Name: "life"}
	must(AggCategories.Objects().Create(ctx, f.tech))
	must(AggCategories.Objects().Create(ctx, f.life))
	mk := func(title string, author *AggUser, cat *AggCategory, views int, active, featured bool, created time.Time) {
		p := &AggPost{Title: title, ViewCount: views, IsActive: active, IsFeatured: featured, CreatedAt: created}
		p.Author.Set(author)
		if cat != nil {
			p.Category.Set(cat)
		}
		must(AggPosts.Objects().Create(ctx, p))
		f.posts = append(f.posts, p)
	}
	mk("Learning Python", f.alice, f.tech, 12000, true, false, day(0))
	mk("Django tips", f.alice, f.tech, 1500, true, true, day(40))
	mk("Old news", f.alice, f.life, 50, false, false, day(45))
	mk("Gardening", f.bob, f.life, 300, true, false, day(10))

	f.laptop = &AggProduct{Name: "Laptop", SellingPrice: dec("1200.00"), CostPrice: dec("900.50"), Stock: 3, ReorderLevel: 5}
	f.laptop.Category.Set(f.tech)
	f.mouse = &AggProduct{Name: "Mouse", SellingPrice: dec("25.00"), CostPrice: dec("10.25"), Stock: 40, ReorderLevel: 10}
	f.mouse.Category.Set(f.tech)
	must(AggProducts.Objects().Create(ctx, f.laptop))
	must(AggProducts.Objects().Create(ctx, f.mouse))

	f.ann, f.ben, f.cid = &AggCustomer{Name: "Ann"}, &AggCustomer{Name: "Ben"}, &AggCustomer{Name: "Cid"}
	for _, c := range []*AggCustomer{f.ann, f.ben, f.cid} {
		must(AggCustomers.Objects().Create(ctx, c))
	}
	order := func(c *AggCustomer, at time.Time, lines ...any) {
		o := &AggOrder{CreatedAt: at}
		o.Customer.Set(c)
		must(AggOrders.Objects().Create(ctx, o))
		for i := 0; i < len(lines); i += 3 {
			it := &AggItem{Quantity: lines[i+1].(int), Price: dec(lines[i+2].(string))}
			it.Order.Set(o)
			it.Product.Set(lines[i].(*AggProduct))
			must(AggItems.Objects().Create(ctx, it))
		}
	}
	order(f.ann, day(1), f.mouse, 1, "25.00", f.mouse, 1, "30.00")
	order(f.ann, day(35), f.mouse, 2, "20.00")
	order(f.ben, day(20), f.laptop, 1, "100.00")
	return f
}

func TestAggregate(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// Post.objects.aggregate(total=Count('id'), avg_views=Avg('view_count'), …)
		row, err := AggPosts.Objects().Aggregate(ctx, orm.A{
			"total":       orm.Count("id"),
			"avg_views":   orm.Avg("view_count"),
			"max_views":   orm.Max("view_count"),
			"total_views": orm.Sum("view_count"),
			"first":       orm.Min("created_at"),
		})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Total      int64
			AvgViews   float64
			MaxViews   int
			TotalViews int64
			First      time.Time
		}
		if err := row.Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got.Total != 4 || got.AvgViews != 3462.5 || got.MaxViews != 12000 || got.TotalViews != 13850 || !got.First.Equal(day(0)) {
			t.Fatalf("aggregate = %+v", got)
		}

		// An empty set: Count is 0, the others "no value", not zero.
		row, err = AggPosts.Objects().Filter(orm.Q{"view_count__gt": 1_000_000}).Aggregate(ctx, orm.A{
			"n": orm.Count("id"), "sum": orm.Sum("view_count"), "avg": orm.Avg("view_count"), "max": orm.Max("created_at"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if row["n"] != int64(0) || row["sum"] != nil || row["avg"] != nil || row["max"] != nil {
			t.Fatalf("empty aggregate = %#v", row)
		}
		var empty struct {
			N   int64
			Sum *int64
			Avg *float64
		}
		if err := row.Scan(&empty); err != nil || empty.Sum != nil || empty.Avg != nil {
			t.Fatalf("empty scan = %+v, %v", empty, err)
		}
		var strict struct{ Sum int64 }
		if err := row.Scan(&strict); err == nil || !strings.Contains(err.Error(), "NULL") {
			t.Fatalf("NULL into an int64: %v", err)
		}
		none, err := AggPosts.Objects().None().Aggregate(ctx, orm.A{"n": orm.Count("*"), "s": orm.Sum("view_count")})
		if err != nil || none["n"] != int64(0) || none["s"] != nil {
			t.Fatalf("None().Aggregate = %v, %v", none, err)
		}

		// Across relations, decimals stay exact.
		row, err = AggCustomers.Objects().Aggregate(ctx, orm.A{
			"revenue":  orm.Sum("orders__items__price"),
			"avg_line": orm.Avg("orders__items__price"),
			"top_line": orm.Max("orders__items__price"),
			"buyers":   orm.Count("orders__customer", orm.Distinct()),
			"lines":    orm.Count("orders__items"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if rev := row["revenue"].(decimal.Decimal); !rev.Equal(dec("175.00")) {
			t.Fatalf("revenue = %v", rev)
		}
		if avg := row["avg_line"].(decimal.Decimal); !avg.Round(4).Equal(dec("43.75")) {
			t.Fatalf("avg line = %v", avg)
		}
		if top := row["top_line"].(decimal.Decimal); !top.Equal(dec("100")) {
			t.Fatalf("top line = %v (text order would say 30.00)", top)
		}
		if row["buyers"] != int64(2) || row["lines"] != int64(4) {
			t.Fatalf("counts = %v", row)
		}

		// Aggregating a slice aggregates its rows only.
		row, err = AggPosts.Objects().OrderBy("-view_count").Limit(2).Aggregate(ctx, orm.A{"s": orm.Sum("view_count")})
		if err != nil || row["s"] != int64(13500) {
			t.Fatalf("sliced sum = %v, %v", row, err)
		}
		// Where (Django's filter=Q(…)) narrows one aggregate.
		row, err = AggPosts.Objects().Aggregate(ctx, orm.A{
			"active":   orm.Count("id", orm.Where(orm.Q{"is_active": true})),
			"inactive": orm.Count("id", orm.Where(orm.Q{"is_active": false})),
		})
		if err != nil || row["active"] != int64(3) || row["inactive"] != int64(1) {
			t.Fatalf("filtered counts = %v, %v", row, err)
		}
	})
}

func TestAnnotateCount(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		f := seedAgg(t, ctx)
		// authors = User.objects.annotate(post_count=Count('posts'))
		var authors []*AggUser
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			var err error
			authors, err = AggUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).OrderBy("username").All(ctx)
			if err != nil {
				t.Fatal(err)
			}
		})
		var got []string
		for _, a := range authors {
			n, err := orm.Annotation[int64](a, "post_count")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, a.Username+"="+itoa(n))
		}
		if want := []string{"alice=3", "bob=1", "carol=0"}; !slices.Equal(got, want) {
			t.Fatalf("post counts = %v, want %v", got, want)
		}
		if _, err := orm.Annotation[int64](f.alice, "post_count"); err == nil {
			t.Fatal("an instance not loaded with Annotate has no annotation")
		}
		if _, err := orm.Annotation[string](authors[0], "post_count"); err == nil {
			t.Fatal("an int64 annotation read as a string")
		}

		// Category.objects.annotate(post_count=Count('posts')).order_by('-post_count')
		cats, err := orm.Flat[string](ctx, AggCategories.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).OrderBy("-post_count", "name"), "name")
		if err != nil || !slices.Equal(cats, []string{"life", "tech"}) {
			// life: Old news, Gardening; tech: two — a tie broken by name.
			t.Fatalf("categories by post count = %v, %v", cats, err)
		}

		// popular_authors = User.objects.annotate(post_count=Count('posts')).filter(post_count__gte=2)
		popular, err := orm.Flat[string](ctx, AggUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).Filter(orm.Q{"post_count__gte": 2}), "username")
		if err != nil || !slices.Equal(popular, []string{"alice"}) {
			t.Fatalf("popular authors = %v, %v", popular, err)
		}
		n, err := AggUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).Filter(orm.Q{"post_count__gte": 1}).Count(ctx)
		if err != nil || n != 2 {
			t.Fatalf("count of authors with posts = %d, %v", n, err)
		}
		ok, err := AggUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).Filter(orm.Q{"post_count__gt": 3}).Exists(ctx)
		if err != nil || ok {
			t.Fatalf("exists(post_count > 3) = %v, %v", ok, err)
		}
		lazy, err := orm.Flat[string](ctx, AggUsers.Objects().Annotate(orm.A{"post_count": orm.Count("posts")}).Exclude(orm.Q{"post_count__gt": 0}), "username")
		if err != nil || !slices.Equal(lazy, []string{"carol"}) {
			t.Fatalf("authors without posts = %v, %v", lazy, err)
		}

		// Category.objects.filter(posts__is_active=True).annotate(active_post_count=Count('posts'))
		// .filter(active_post_count__gt=1).order_by('-active_post_count'): the
		// count is of the active posts, as the join is the filter's.
		rows, err := AggCategories.Objects().Filter(orm.Q{"posts__is_active": true}).
			Annotate(orm.A{"active_post_count": orm.Count("posts")}).OrderBy("-active_post_count").
			Values(ctx, "name", "active_post_count")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0]["name"] != "tech" || rows[0]["active_post_count"] != int64(2) || rows[1]["active_post_count"] != int64(1) {
			t.Fatalf("active posts per category = %v", rows)
		}

		// With SelectRelated, and ordered by the annotation under Distinct.
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			posts, err := AggPosts.Objects().SelectRelated("author").Annotate(orm.A{"same_category": orm.Count("category__posts")}).
				OrderBy("-same_category", "title").All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			author, _ := posts[0].Author.Cached()
			n, _ := orm.Annotation[int64](posts[0], "same_category")
			if len(posts) != 4 || posts[0].Title != "Django tips" || author.Username != "alice" || n != 2 {
				t.Fatalf("posts with related author and count = %v", posts)
			}
		})
		cnts, err := orm.Flat[int64](ctx, AggPosts.Objects().Annotate(orm.A{"n": orm.Count("category__posts")}).Distinct().OrderBy("-n"), "n")
		if err != nil || !slices.Equal(cnts, []int64{2}) {
			t.Fatalf("distinct counts = %v, %v", cnts, err)
		}

		// Order.objects.annotate(item_count=Count('items'), product_count=Count('items__product', distinct=True))
		type orderCounts struct {
			ID           int64
			ItemCount    int64
			ProductCount int64
		}
		var oc []orderCounts
		err = AggOrders.Objects().Annotate(orm.A{
			"item_count":    orm.Count("items"),
			"product_count": orm.Count("items__product", orm.Distinct()),
		}).OrderBy("created_at").Scan(ctx, &oc)
		if err != nil {
			t.Fatal(err)
		}
		if len(oc) != 3 || oc[0].ItemCount != 2 || oc[0].ProductCount != 1 || oc[2].ItemCount != 1 {
			t.Fatalf("order counts = %+v", oc)
		}
	})
}

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

func TestTopCustomers(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// customers = Customer.objects.annotate(total_spent=Sum('orders__items__price')).order_by('-total_spent')
		// with the last order date, read as a typed struct with the customer in it.
		type TopCustomer struct {
			*AggCustomer
			TotalSpent decimal.Decimal
			LastOrder  *time.Time
			Orders     int64 `orm:"order_count"`
		}
		var top []TopCustomer
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			err := AggCustomers.Objects().Annotate(orm.A{
				"total_spent": orm.Coalesce(orm.Sum("orders__items__price"), orm.Value(0)),
				"last_order":  orm.Max("orders__created_at"),
				"order_count": orm.Count("orders", orm.Distinct()),
			}).OrderBy("-total_spent", "name").Limit(10).Scan(ctx, &top)
			if err != nil {
				t.Fatal(err)
			}
		})
		if len(top) != 3 {
			t.Fatalf("top customers = %+v", top)
		}
		if top[0].Name != "Ben" || !top[0].TotalSpent.Equal(dec("100")) || top[0].Orders != 1 ||
			top[1].Name != "Ann" || !top[1].TotalSpent.Equal(dec("75")) || top[1].Orders != 2 || !top[1].LastOrder.Equal(day(35)) {
			t.Fatalf("top customers = %+v %+v", top[0], top[1])
		}
		if top[2].Name != "Cid" || !top[2].TotalSpent.IsZero() || top[2].LastOrder != nil || top[2].ID == 0 {
			t.Fatalf("a customer without orders = %+v", top[2])
		}
		// Without Coalesce the sum of no orders is NULL: a non-pointer field refuses it.
		var strict []struct {
			Name       string
			TotalSpent decimal.Decimal
		}
		err := AggCustomers.Objects().Annotate(orm.A{"total_spent": orm.Sum("orders__items__price")}).Scan(ctx, &strict)
		if err == nil || !strings.Contains(err.Error(), "total_spent is NULL") {
			t.Fatalf("NULL sum into a decimal: %v", err)
		}
	})
}

func TestGroupBy(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// Post.objects.values('author__username').annotate(n=Count('id'), views=Sum('view_count'))
		qs := AggPosts.Objects().GroupBy("author__username").Annotate(orm.A{"n": orm.Count("id"), "views": orm.Sum("view_count")}).OrderBy("author__username")
		rows, err := qs.Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0]["author__username"] != "alice" || rows[0]["n"] != int64(3) || rows[0]["views"] != int64(13550) ||
			rows[1]["author__username"] != "bob" || rows[1]["n"] != int64(1) {
			t.Fatalf("posts per author = %v", rows)
		}
		if n, err := qs.Count(ctx); err != nil || n != 2 {
			t.Fatalf("group count = %d, %v", n, err)
		}
		if _, err := qs.All(ctx); err == nil || !strings.Contains(err.Error(), "GroupBy") {
			t.Fatalf("All on groups: %v", err)
		}
		// HAVING on a group
		big, err := AggPosts.Objects().GroupBy("author").Annotate(orm.A{"n": orm.Count("id")}).Filter(orm.Q{"n__gt": 1}).ValuesList(ctx)
		if err != nil || len(big) != 1 || big[0][1] != int64(3) {
			t.Fatalf("authors with more than one post = %v, %v", big, err)
		}

		// A monthly report: annotate(month=TruncMonth('created_at')).values('month').annotate(n=Count('id'))
		type month struct {
			Month time.Time
			N     int64
			Views int64
		}
		var months []month
		err = AggPosts.Objects().Annotate(orm.A{"month": orm.TruncMonth("created_at")}).GroupBy("month").
			Annotate(orm.A{"n": orm.Count("id"), "views": orm.Sum("view_count")}).OrderBy("month").Scan(ctx, &months)
		if err != nil {
			t.Fatal(err)
		}
		jan, feb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		if len(months) != 2 || !months[0].Month.Equal(jan) || months[0].N != 2 || months[0].Views != 12300 ||
			!months[1].Month.Equal(feb) || months[1].N != 2 {
			t.Fatalf("posts per month = %+v", months)
		}
		// Sales per day with TruncDate, on a relation.
		rows, err = AggItems.Objects().Annotate(orm.A{"day": orm.TruncDate("order__created_at")}).GroupBy("day").
			Annotate(orm.A{"revenue": orm.Sum("price")}).OrderBy("day").Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || !rows[0]["day"].(time.Time).Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || !rows[0]["revenue"].(decimal.Decimal).Equal(dec("55")) {
			t.Fatalf("revenue per day = %v", rows)
		}
	})
}

func TestFExpressionsTutorial(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		f := seedAgg(t, ctx)
		// Post.objects.filter(pk=1).update(view_count=F('view_count') + 1)
		if n, err := AggPosts.Objects().Filter(orm.Q{"pk": f.posts[3].ID}).Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(1)}); err != nil || n != 1 {
			t.Fatalf("update = %d, %v", n, err)
		}
		p, _ := AggPosts.Objects().Get(ctx, orm.Q{"pk": f.posts[3].ID})
		if p.ViewCount != 301 {
			t.Fatalf("view count = %d", p.ViewCount)
		}
		// Product.objects.filter(stock__lt=F('reorder_level'))
		low, err := orm.Flat[string](ctx, AggProducts.Objects().Filter(orm.Q{"stock__lt": orm.F("reorder_level")}), "name")
		if err != nil || !slices.Equal(low, []string{"Laptop"}) {
			t.Fatalf("low stock = %v, %v", low, err)
		}
		// Product.objects.annotate(diff=F('selling_price') - F('cost_price')).order_by('-diff')
		type margin struct {
			Name string
			Diff decimal.Decimal
		}
		var ms []margin
		if err := AggProducts.Objects().Annotate(orm.A{"diff": orm.F("selling_price").Sub(orm.F("cost_price"))}).OrderBy("-diff").Scan(ctx, &ms); err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].Name != "Laptop" || ms[0].Diff.String() != "299.5" || ms[1].Diff.String() != "14.75" {
			t.Fatalf("margins = %+v", ms)
		}
		// F in a filter against an annotation, and arithmetic on an aggregate.
		rows, err := AggOrders.Objects().Annotate(orm.A{"total": orm.Sum("items__price")}).
			Annotate(orm.A{"with_tax": orm.F("total").Mul(orm.Value(dec("1.10")))}).
			Filter(orm.Q{"total__gte": dec("55")}).OrderBy("total").ValuesList(ctx, "total", "with_tax")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || !rows[0][0].(decimal.Decimal).Equal(dec("55")) || !rows[0][1].(decimal.Decimal).Equal(dec("60.5")) {
			t.Fatalf("totals with tax = %v", rows)
		}
		// Stock value: an integer times a decimal, typed with Output.
		row, err := AggProducts.Objects().Aggregate(ctx, orm.A{"value": orm.Sum(orm.F("stock").Mul(orm.F("cost_price")).Output(orm.KindDecimal))})
		if err != nil {
			t.Fatal(err)
		}
		if v := row["value"].(decimal.Decimal); !v.Equal(dec("3111.50")) {
			t.Fatalf("stock value = %v", v)
		}
	})
}

func TestCaseWhen(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// posts = Post.objects.annotate(popularity=Case(When(view_count__gte=10000, then=Value('viral')), …, default=Value('new'), output_field=CharField()))
		popularity := orm.Case(
			orm.When(orm.Q{"view_count__gte": 10000}, "viral"),
			orm.When(orm.Q{"view_count__gte": 1000}, "popular"),
			orm.When(orm.Q{"view_count__gte": 100}, "growing"),
			orm.Else("new"),
		).Output(orm.KindChar)
		rows, err := AggPosts.Objects().Annotate(orm.A{"popularity": popularity}).OrderBy("title").ValuesList(ctx, "title", "popularity")
		if err != nil {
			t.Fatal(err)
		}
		want := [][]any{{"Django tips", "popular"}, {"Gardening", "growing"}, {"Learning Python", "viral"}, {"Old news", "new"}}
		if len(rows) != 4 {
			t.Fatalf("popularity = %v", rows)
		}
		for i := range want {
			if !slices.Equal(rows[i], want[i]) {
				t.Fatalf("popularity = %v, want %v", rows, want)
			}
		}
		// Conditional ordering: active posts first, then newest.
		titles, err := orm.Flat[string](ctx, AggPosts.Objects().Annotate(orm.A{"priority": orm.Case(
			orm.When(orm.Q{"is_active": true}, 0),
			orm.Else(1),
		)}).OrderBy("priority", "-created_at"), "title")
		if err != nil || !slices.Equal(titles, []string{"Django tips", "Gardening", "Learning Python", "Old news"}) {
			t.Fatalf("active first = %v, %v", titles, err)
		}
		// A Case filtered on, and counted per group with Where.
		n, err := AggPosts.Objects().Annotate(orm.A{"popularity": popularity}).Filter(orm.Q{"popularity": "viral"}).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("viral posts = %d, %v", n, err)
		}
		// A Case over decimals keeps them decimal.
		row, err := AggProducts.Objects().Aggregate(ctx, orm.A{"discounted": orm.Sum(orm.Case(
			orm.When(orm.Q{"stock__lt": orm.F("reorder_level")}, orm.F("selling_price").Mul(dec("0.9"))),
			orm.Else(orm.F("selling_price")),
		))})
		if err != nil {
			t.Fatal(err)
		}
		if v := row["discounted"].(decimal.Decimal); !v.Equal(dec("1105")) {
			t.Fatalf("discounted sum = %v", v)
		}
	})
}

func TestSubqueryAndExists(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		f := seedAgg(t, ctx)
		// latest_post = Post.objects.filter(author=OuterRef('pk')).order_by('-created_at').values('title')[:1]
		// authors = User.objects.annotate(latest_post_title=Subquery(latest_post))
		latest := AggPosts.Objects().Filter(orm.Q{"author": orm.OuterRef("pk")}).OrderBy("-created_at").Limit(1)
		type authorLatest struct {
			Username        string
			LatestPostTitle *string
		}
		var got []authorLatest
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			if err := AggUsers.Objects().Annotate(orm.A{"latest_post_title": orm.Subquery(latest, "title")}).OrderBy("username").Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
		})
		if len(got) != 3 || *got[0].LatestPostTitle != "Old news" || *got[1].LatestPostTitle != "Gardening" || got[2].LatestPostTitle != nil {
			t.Fatalf("latest titles = %+v", got)
		}
		// A subquery on the same table: each post with its author's post count.
		sameAuthor := AggPosts.Objects().Filter(orm.Q{"author": orm.OuterRef("author")}).GroupBy("author").Annotate(orm.A{"n": orm.Count("id")})
		rows, err := AggPosts.Objects().Annotate(orm.A{"siblings": orm.Subquery(sameAuthor, "n")}).OrderBy("title").ValuesList(ctx, "title", "siblings")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 || rows[0][1] != int64(3) || rows[1][1] != int64(1) {
			t.Fatalf("siblings = %v", rows)
		}
		// Exists as a condition and as a value.
		hasPopular := orm.Exists(AggPosts.Objects().Filter(orm.Q{"author": orm.OuterRef("pk"), "view_count__gte": 1000}))
		names, err := orm.Flat[string](ctx, AggUsers.Objects().Filter(hasPopular).OrderBy("username"), "username")
		if err != nil || !slices.Equal(names, []string{"alice"}) {
			t.Fatalf("authors with a popular post = %v, %v", names, err)
		}
		names, err = orm.Flat[string](ctx, AggUsers.Objects().Filter(orm.Not(hasPopular)).OrderBy("username"), "username")
		if err != nil || !slices.Equal(names, []string{"bob", "carol"}) {
			t.Fatalf("authors without = %v, %v", names, err)
		}
		flags, err := AggUsers.Objects().Annotate(orm.A{"has_popular": hasPopular}).OrderBy("username").ValuesList(ctx, "username", "has_popular")
		if err != nil || flags[0][1] != true || flags[1][1] != false {
			t.Fatalf("has_popular = %v, %v", flags, err)
		}
		// Update from a subquery: each customer's... each product's units sold.
		sold := AggItems.Objects().Filter(orm.Q{"product": orm.OuterRef("pk")}).GroupBy("product").Annotate(orm.A{"units": orm.Sum("quantity")})
		if _, err := AggProducts.Objects().Update(ctx, orm.Values{"reorder_level": orm.Coalesce(orm.Subquery(sold, "units"), orm.Value(0))}); err != nil {
			t.Fatal(err)
		}
		m, _ := AggProducts.Objects().Get(ctx, orm.Q{"pk": f.mouse.ID})
		l, _ := AggProducts.Objects().Get(ctx, orm.Q{"pk": f.laptop.ID})
		if m.ReorderLevel != 4 || l.ReorderLevel != 1 {
			t.Fatalf("units sold = %d, %d", m.ReorderLevel, l.ReorderLevel)
		}
	})
}

func TestFunctions(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		if err := AggUsers.Objects().Create(ctx, &AggUser{Username: "Émile"}); err != nil {
			t.Fatal(err)
		}
		type names struct {
			Username string
			Lower    string
			Upper    string
			Length   int
			Label    string
		}
		var got []names
		err := AggUsers.Objects().Annotate(orm.A{
			"lower":  orm.Lower("username"),
			"upper":  orm.Upper("username"),
			"length": orm.Length("username"),
			"label":  orm.Concat("username", orm.Value(" #"), "id"),
		}).Filter(orm.Q{"username__in": []string{"alice", "Émile"}}).OrderBy("length").Scan(ctx, &got)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Upper != "ALICE" || got[0].Length != 5 || !strings.HasPrefix(got[0].Label, "alice #") ||
			got[1].Lower != "émile" || got[1].Upper != "ÉMILE" || got[1].Length != 5 {
			t.Fatalf("text functions = %+v", got)
		}
		// Filter on a function of a field.
		n, err := AggUsers.Objects().Annotate(orm.A{"l": orm.Lower("username")}).Filter(orm.Q{"l": "émile"}).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("lower(username) = 'émile': %d, %v", n, err)
		}
		// Now: posts older than the database's clock.
		n, err = AggPosts.Objects().Filter(orm.Q{"created_at__lt": orm.Now()}).Count(ctx)
		if err != nil || n != 4 {
			t.Fatalf("posts before now = %d, %v", n, err)
		}
		row, err := AggPosts.Objects().Aggregate(ctx, orm.A{"latest": orm.Max(orm.Now())})
		if err != nil {
			t.Fatal(err)
		}
		if now := row["latest"].(time.Time); time.Since(now).Abs() > time.Hour {
			t.Fatalf("Now() = %v", now)
		}
		// Coalesce of a nullable relation's field.
		cats, err := AggPosts.Objects().Annotate(orm.A{"cat": orm.Coalesce("category__name", orm.Value("none"))}).OrderBy("title").ValuesList(ctx, "cat")
		if err != nil || cats[0][0] != "tech" {
			t.Fatalf("coalesced categories = %v, %v", cats, err)
		}
	})
}

func TestExpressionErrors(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		cases := []struct {
			name string
			run  func() error
			want string
		}{
			{"Sum of text", func() error {
				_, err := AggPosts.Objects().Aggregate(ctx, orm.A{"s": orm.Sum("title")})
				return err
			}, `Sum("title"): "title" is a CharField; Sum needs a number`},
			{"Avg of a bool", func() error {
				_, err := AggPosts.Objects().Aggregate(ctx, orm.A{"s": orm.Avg("is_active")})
				return err
			}, "Avg needs a number"},
			{"nested aggregate", func() error {
				_, err := AggPosts.Objects().Aggregate(ctx, orm.A{"s": orm.Sum(orm.Count("id"))})
				return err
			}, "cannot be nested"},
			{"not an aggregate", func() error {
				_, err := AggPosts.Objects().Aggregate(ctx, orm.A{"s": orm.F("view_count")})
				return err
			}, "not an aggregate"},
			{"unknown field", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"n": orm.Count("comments")}).All(ctx)
				return err
			}, "comments"},
			{"Case of mixed types", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"x": orm.Case(orm.When(orm.Q{"is_active": true}, 1), orm.Else("no"))}).All(ctx)
				return err
			}, "Output"},
			{"Case of only NULL", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"x": orm.Case(orm.When(orm.Q{"is_active": true}, nil))}).All(ctx)
				return err
			}, "Output"},
			{"OuterRef outside a subquery", func() error {
				_, err := AggPosts.Objects().Filter(orm.Q{"author": orm.OuterRef("pk")}).All(ctx)
				return err
			}, "OuterRef(\"pk\") is only allowed"},
			{"OuterRef in an update", func() error {
				_, err := AggPosts.Objects().Update(ctx, orm.Values{"view_count": orm.OuterRef("pk")})
				return err
			}, "only allowed"},
			{"OuterRef to a missing field", func() error {
				_, err := AggUsers.Objects().Annotate(orm.A{"t": orm.Subquery(AggPosts.Objects().Filter(orm.Q{"author": orm.OuterRef("nope")}), "title")}).All(ctx)
				return err
			}, "nope"},
			{"annotation clashes with a field", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"title": orm.Count("id")}).All(ctx)
				return err
			}, "conflicts with a field"},
			{"Lower of a number", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"x": orm.Lower("view_count")}).All(ctx)
				return err
			}, "Lower needs text"},
			{"a non-boolean expression as a condition", func() error {
				_, err := AggPosts.Objects().Filter(orm.F("view_count")).All(ctx)
				return err
			}, "must be boolean"},
			{"Subquery of a zero queryset", func() error {
				_, err := AggUsers.Objects().Annotate(orm.A{"t": orm.Subquery(orm.QS[AggPost]{}, "title")}).All(ctx)
				return err
			}, "needs a queryset"},
			{"an aggregate in an update", func() error {
				_, err := AggPosts.Objects().Update(ctx, orm.Values{"view_count": orm.Count("id")})
				return err
			}, "not allowed here"},
			{"a function's bad argument", func() error {
				_, err := AggPosts.Objects().Annotate(orm.A{"x": orm.Lower(42)}).All(ctx)
				return err
			}, "want a field name"},
		}
		for _, tc := range cases {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error = %v, want it to mention %q", tc.name, err, tc.want)
			}
			var fe *orm.FieldError
			_ = errors.As(err, &fe)
		}
	})
}

func TestAnnotatedPrefetch(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// Each customer's orders, prefetched with their item totals: two queries.
		ormtest.AssertNumQueries(t, ctx, 2, func(ctx context.Context) {
			customers, err := AggCustomers.Objects().OrderBy("name").PrefetchRelated(orm.Prefetch{
				Lookup:   "orders",
				QuerySet: AggOrders.Objects().Annotate(orm.A{"total": orm.Sum("items__price")}).OrderBy("created_at"),
			}).All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			orders, _ := orm.Prefetched[AggOrder](customers[0], "orders")
			if len(orders) != 2 {
				t.Fatalf("Ann's orders = %v", orders)
			}
			var totals []string
			for _, o := range orders {
				total, err := orm.Annotation[decimal.Decimal](o, "total")
				if err != nil {
					t.Fatal(err)
				}
				totals = append(totals, total.StringFixed(2))
			}
			if !slices.Equal(totals, []string{"55.00", "20.00"}) {
				t.Fatalf("order totals = %v", totals)
			}
		})
	})
}

func TestWritesThroughAnnotations(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// Update and Delete of the rows an aggregate condition picks: the
		// statement narrows by primary key through the grouped query.
		n, err := AggUsers.Objects().Annotate(orm.A{"n": orm.Count("posts")}).Filter(orm.Q{"n__gte": 1}).Update(ctx, orm.Values{"is_staff": true})
		if err != nil || n != 2 {
			t.Fatalf("update of authors with posts = %d, %v", n, err)
		}
		staff, _ := orm.Flat[string](ctx, AggUsers.Objects().Filter(orm.Q{"is_staff": true}).OrderBy("username"), "username")
		if !slices.Equal(staff, []string{"alice", "bob"}) {
			t.Fatalf("staff = %v", staff)
		}
		res, err := AggUsers.Objects().Annotate(orm.A{"n": orm.Count("posts")}).Filter(orm.Q{"n": 0}).Delete(ctx)
		if err != nil || res.Total != 1 {
			t.Fatalf("delete of authors without posts = %+v, %v", res, err)
		}
		left, _ := orm.Flat[string](ctx, AggUsers.Objects().OrderBy("username"), "username")
		if !slices.Equal(left, []string{"alice", "bob"}) {
			t.Fatalf("users left = %v", left)
		}
	})
}

func TestIterPrefetchesPerChunk(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx) // 3 customers; Ann has 2 orders, Ben 1
		for _, chunk := range []int{1, 2, 3, 10} {
			// one query for the rows (a DECLARE and FETCHes on PostgreSQL),
			// then one prefetch query per chunk, however many rows
			counted, counter := orm.CountQueries(ctx)
			var orders []int
			for c, err := range AggCustomers.Objects().OrderBy("name").PrefetchRelated("orders").Iter(counted, chunk) {
				if err != nil {
					t.Fatal(err)
				}
				os, ok := orm.Prefetched[AggOrder](c, "orders")
				if !ok {
					t.Fatalf("chunk %d: %s has no prefetched orders", chunk, c.Name)
				}
				orders = append(orders, len(os))
			}
			if !slices.Equal(orders, []int{2, 1, 0}) {
				t.Fatalf("chunk %d: orders per customer = %v", chunk, orders)
			}
			prefetches := 0
			for _, q := range counter.Queries() {
				if strings.Contains(q, "agg_aggorder") {
					prefetches++
				}
			}
			if want := (3 + chunk - 1) / chunk; prefetches != want {
				t.Fatalf("chunk %d: %d prefetch queries, want %d:\n%s", chunk, prefetches, want, strings.Join(counter.Queries(), "\n"))
			}
		}
	})
}

func TestAggregateOverGroups(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		seedAgg(t, ctx)
		// User.objects.annotate(n=Count('posts')).aggregate(avg=Avg('n'), most=Max('n'))
		row, err := AggUsers.Objects().Annotate(orm.A{"n": orm.Count("posts")}).Aggregate(ctx, orm.A{
			"avg": orm.Avg("n"), "most": orm.Max("n"), "authors": orm.Count("id", orm.Where(orm.Q{"n__gt": 0})),
		})
		if err != nil {
			t.Fatal(err)
		}
		// alice 3, bob 1, carol 0
		if avg := row["avg"].(float64); avg < 1.33 || avg > 1.34 || row["most"] != int64(3) || row["authors"] != int64(2) {
			t.Fatalf("aggregate over annotated users = %v", row)
		}
		// Over GroupBy groups, and over a HAVING-filtered slice of them.
		row, err = AggItems.Objects().GroupBy("order").Annotate(orm.A{"total": orm.Sum("price")}).Aggregate(ctx, orm.A{"biggest": orm.Max("total"), "orders": orm.Count("*")})
		if err != nil || !row["biggest"].(decimal.Decimal).Equal(dec("100")) || row["orders"] != int64(3) {
			t.Fatalf("over order totals = %v, %v", row, err)
		}
		row, err = AggItems.Objects().GroupBy("order").Annotate(orm.A{"total": orm.Sum("price")}).Filter(orm.Q{"total__lt": 100}).
			OrderBy("total").Limit(1).Aggregate(ctx, orm.A{"smallest": orm.Sum("total")})
		if err != nil || !row["smallest"].(decimal.Decimal).Equal(dec("20")) {
			t.Fatalf("over a slice of groups = %v, %v", row, err)
		}
		// A relation is not among the grouped rows' columns.
		if _, err := AggUsers.Objects().Annotate(orm.A{"n": orm.Count("posts")}).Aggregate(ctx, orm.A{"v": orm.Sum("posts__view_count")}); err == nil || !strings.Contains(err.Error(), "grouped queryset") {
			t.Fatalf("a relation over groups: %v", err)
		}
		if _, err := AggItems.Objects().GroupBy("order").Annotate(orm.A{"total": orm.Sum("price")}).Aggregate(ctx, orm.A{"q": orm.Sum("quantity")}); err == nil || !strings.Contains(err.Error(), "grouped queryset") {
			t.Fatalf("a field over GroupBy groups: %v", err)
		}
	})
}
