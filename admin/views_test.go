package admin

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm/ormtest"
	ui "github.com/quarry-go/quarry/views/admin"
)

// TestAddView: an app's own admin page is served behind the admin's
// sign-in, refused to staff it does not allow, and listed on the index
// for the others.
func TestAddView(t *testing.T) {
	ormtest.Each(t, testModels(), func(t *testing.T, ctx context.Context) {
		if err := auth.SyncPermissions(ctx); err != nil {
			t.Fatal(err)
		}
		site := testSite()
		site.AddView(View{App: "admintest", Slug: "stock-report", Title: "Stock report",
			Allowed: func(ctx context.Context, u *auth.User) (bool, error) {
				return auth.HasModelPerm(ctx, u, products.Meta, "view")
			},
			Serve: func(c echo.Context, page ui.Page) error {
				return c.HTML(http.StatusOK, "<h1>"+page.Title+"</h1> for "+page.User+" crumbs "+page.Breadcrumbs[1].URL)
			},
		})
		v := siteEnv(t, ctx, site)
		path := "/admin/admintest/stock-report/"

		v.anonymous().get(path).redirectsTo(t, "/admin/login/?next=%2Fadmin%2Fadmintest%2Fstock-report%2F")
		clerk := v.as(v.user("clerk", true, false, "admintest.view_category"))
		clerk.get(path).expect(t, http.StatusForbidden)
		if body := clerk.get("/admin/").body; strings.Contains(body, path) {
			t.Fatal("the index links the view for a user it refuses")
		}

		viewer := v.as(v.user("viewer", true, false, "admintest.view_product"))
		viewer.get(path).expect(t, http.StatusOK, "<h1>Stock report</h1> for viewer crumbs /admin/admintest/")
		// The page and a list this user may only see say "View", not "Change".
		viewer.get("/admin/").expect(t, http.StatusOK, `href="`+path+`"`, "Stock report",
			`<a class="viewlink" href="`+path+`">View`, `<a class="viewlink" href="/admin/admintest/product/">View`)
		root := v.as(v.user("root", true, true))
		root.get("/admin/").expect(t, http.StatusOK, `<a class="changelink" href="/admin/admintest/product/">Change`)
		viewer.get("/admin/admintest/").expect(t, http.StatusOK, `href="`+path+`"`)
		// The model routes beside it still work.
		viewer.get("/admin/admintest/product/").expect(t, http.StatusOK)
	})
}

func TestAddViewRefusesBadViews(t *testing.T) {
	serve := func(echo.Context, ui.Page) error { return nil }
	for name, v := range map[string]View{
		"no handler":     {App: "admintest", Slug: "x", Title: "X"},
		"slug with /":    {App: "admintest", Slug: "a/b", Title: "X", Serve: serve},
		"a model's name": {App: "admintest", Slug: "product", Title: "X", Serve: serve},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("AddView accepted it")
				}
			}()
			testSite().AddView(v)
		})
	}
	t.Run("twice", func(t *testing.T) {
		s := testSite()
		v := View{App: "admintest", Slug: "report", Title: "Report", Serve: serve}
		s.AddView(v)
		defer func() {
			if recover() == nil {
				t.Fatal("AddView accepted the same view twice")
			}
		}()
		s.AddView(v)
	})
}
