package admin

import (
	"context"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/auth"
	ui "github.com/quarry-go/quarry/views/admin"
)

// View is a page of an app's own in the admin, beside its models: Django's
// AdminSite.get_urls, for reports and dashboards. It is served at
// /admin/<App>/<Slug>/ behind the admin's sign-in, session and CSRF
// middleware, and listed on the index under its app for the users Allowed
// lets in.
type View struct {
	App   string // the app label: "shop"
	Slug  string // the URL segment: "reports"
	Title string // the page's title and the index's link: "Reports"
	// Allowed says whether a signed-in staff user may open the view; nil
	// lets every staff user in. Others get the admin's 403 page.
	Allowed func(ctx context.Context, u *auth.User) (bool, error)
	// Serve answers a GET. page is the admin's frame (title, header,
	// user, breadcrumbs, CSRF token) for the view to render inside.
	Serve func(c echo.Context, page ui.Page) error
}

// AddView adds v to the site. It panics, as Register does, on a view
// without a handler, a slug that is not one URL segment, or a slug a
// registered model of the app already uses.
func (s *Site) AddView(v View) {
	switch {
	case v.Serve == nil || v.App == "" || v.Title == "":
		panic("admin: AddView needs App, Title and Serve")
	case v.Slug == "" || strings.ContainsAny(v.Slug, "/?#") || v.Slug != strings.ToLower(v.Slug):
		panic(fmt.Sprintf("admin: AddView %s: the slug %q is not one lower-case URL segment", v.App, v.Slug))
	case s.lookup(v.App, v.Slug) != nil:
		panic(fmt.Sprintf("admin: AddView %s.%s: a model of the app has that name", v.App, v.Slug))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.views {
		if o.App == v.App && o.Slug == v.Slug {
			panic(fmt.Sprintf("admin: AddView %s.%s twice", v.App, v.Slug))
		}
	}
	s.views = append(s.views, v)
}

func (v View) url() string { return "/admin/" + v.App + "/" + v.Slug + "/" }

func (v View) allowed(ctx context.Context, u *auth.User) (bool, error) {
	if v.Allowed == nil {
		return true, nil
	}
	return v.Allowed(ctx, u)
}

// viewsOf lists the app's views the user may open, as index links.
func (s *Site) viewsOf(ctx context.Context, u *auth.User, app string) ([]ui.ModelLink, error) {
	s.mu.RLock()
	views := s.views
	s.mu.RUnlock()
	var out []ui.ModelLink
	for _, v := range views {
		if !strings.EqualFold(v.App, app) {
			continue
		}
		ok, err := v.allowed(ctx, u)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ui.ModelLink{Name: v.Title, ListURL: v.url(), ViewOnly: true})
		}
	}
	return out, nil
}

// serveView wraps v's handler with the admin's sign-in and permission
// check and gives it the page frame.
func (s *Site) serveView(v View) echo.HandlerFunc {
	return s.staff(func(r *request) error {
		ok, err := v.allowed(r.ctx, r.user)
		if err != nil {
			return err
		}
		if !ok {
			return errPermissionDenied
		}
		return v.Serve(r.c, r.page(v.Title,
			ui.Link{Label: "Home", URL: "/admin/"}, ui.Link{Label: capFirst(v.App), URL: "/admin/" + v.App + "/"}))
	})
}

// mountViews registers the views' routes; they are static paths, which
// echo matches before the model routes' parameters.
func (s *Site) mountViews(g *echo.Group) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.views {
		g.GET("/"+v.App+"/"+v.Slug+"/", s.serveView(v))
	}
}
