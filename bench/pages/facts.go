package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/quarry-go/quarry/blog"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// facts are the values of the seeded data that the page addresses need.
type facts struct {
	activeProducts, activePosts int64
	categoryID                  int64
	categorySlug                string
}

// lookUp reads the facts from the database, before the server starts,
// and checks that the search words find something: a search for a word
// that matches nothing measures a different page.
func lookUp(ctx context.Context, dbURL string, cfg config) (facts, error) {
	var f facts
	db, err := orm.Open(ctx, dbURL)
	if err != nil {
		return f, err
	}
	defer db.Close()
	ctx = orm.WithDB(ctx, db)

	active := shop.Products.Objects().Filter(orm.Q{"is_active": true})
	if f.activeProducts, err = active.Count(ctx); err != nil {
		return f, err
	}
	first, err := active.OrderBy("pk").SelectRelated("category").First(ctx)
	if err != nil {
		return f, fmt.Errorf("no active product: %w", err)
	}
	cat, ok := first.Category.Cached()
	if !ok {
		return f, errors.New("the first product's category was not loaded")
	}
	f.categoryID, f.categorySlug = cat.ID, cat.Slug

	if f.activePosts, err = blog.Posts.Objects().Filter(orm.Q{"is_active": true}).Count(ctx); err != nil {
		return f, err
	}
	if n, err := active.Filter(orm.Q{"name__icontains": cfg.productWord}).Count(ctx); err != nil {
		return f, err
	} else if n == 0 {
		return f, fmt.Errorf("no active product name contains %q (-product-word)", cfg.productWord)
	}
	n, err := blog.Posts.Objects().Filter(orm.Q{"is_active": true},
		orm.Or(orm.Q{"title__icontains": cfg.postWord}, orm.Q{"body__icontains": cfg.postWord})).Count(ctx)
	if err != nil {
		return f, err
	} else if n == 0 {
		return f, fmt.Errorf("no active post contains %q (-post-word)", cfg.postWord)
	}
	return f, nil
}
