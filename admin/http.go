package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// MaxBodyBytes bounds a request to the admin: forms are small, CSV
// imports and uploads are the large ones.
const MaxBodyBytes = "16M"

// Mount serves the site under /admin/ on e: Django's URL scheme, with the
// site's session, CSRF and body-size middleware. The request context must
// carry the database (orm.WithDB).
func (s *Site) Mount(e *echo.Echo) {
	e.GET("/admin", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/admin/") })
	g := e.Group("/admin", middleware.BodyLimit(MaxBodyBytes), auth.CSRF(s.Secure), s.Store.Sessions(), s.session)
	g.GET("/login/", s.loginPage)
	g.POST("/login/", s.loginPost)
	g.POST("/logout/", s.logout)
	// Signing out changes state, so it is a POST (Django 5 refuses GET).
	g.GET("/logout/", func(echo.Context) error { return echo.ErrMethodNotAllowed })
	g.GET("/setup/:token/", s.setupPage)
	g.POST("/setup/:token/", s.setupPost)
	g.GET("/", s.staff(s.index))
	g.GET("/password_change/", s.staff(s.ownPasswordPage))
	g.POST("/password_change/", s.staff(s.ownPasswordPost))
	g.GET("/password_change/done/", s.staff(s.ownPasswordDone))
	s.mountViews(g)
	g.GET("/:app/", s.staff(s.appIndex))
	g.GET("/:app/:model/", s.model(s.changeList))
	g.POST("/:app/:model/", s.model(s.changeListPost))
	g.GET("/:app/:model/export/", s.model(s.export))
	g.GET("/:app/:model/import/", s.model(s.importPage))
	g.POST("/:app/:model/import/", s.model(s.importPost))
	g.GET("/:app/:model/autocomplete/", s.model(s.autocomplete))
	g.GET("/:app/:model/inline/:prefix/", s.model(s.inlineRow))
	g.GET("/:app/:model/add/", s.model(s.addPage))
	g.POST("/:app/:model/add/", s.model(s.addPost))
	g.GET("/:app/:model/:pk/", s.model(func(r *request) error {
		return r.c.Redirect(http.StatusFound, r.e.objectURL(r.c.Param("pk"), "change/"))
	}))
	g.GET("/:app/:model/:pk/change/", s.object("view", s.changePage))
	g.POST("/:app/:model/:pk/change/", s.object("change", s.changePost))
	g.GET("/:app/:model/:pk/delete/", s.object("delete", s.deletePage))
	g.POST("/:app/:model/:pk/delete/", s.object("delete", s.deletePost))
	g.GET("/:app/:model/:pk/history/", s.object("view", s.history))
	g.GET("/:app/:model/:pk/password/", s.userObject(s.passwordPage))
	g.POST("/:app/:model/:pk/password/", s.userObject(s.passwordPost))
}

// request is one admin request: the echo context, the signed-in staff
// user, and the model entry for model pages.
type request struct {
	c    echo.Context
	ctx  context.Context
	site *Site
	sess *auth.Session
	user *auth.User // the signed-in user; nil when anonymous
	e    *entry
}

type requestKey struct{}

// session makes the request's admin state from what auth.Sessions loaded.
func (s *Site) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		c.Set("admin.request", &request{c: c, ctx: ctx, site: s, sess: auth.SessionFrom(ctx), user: auth.UserFrom(ctx)})
		return next(c)
	}
}

func requestOf(c echo.Context) *request { return c.Get("admin.request").(*request) }

// staff lets active staff users through and sends others to the login
// page with where they were going.
func (s *Site) staff(h func(*request) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := requestOf(c)
		if r.user == nil || !r.user.IsStaff || !r.user.IsActive {
			if c.Request().Header.Get("HX-Request") == "true" {
				return echo.NewHTTPError(http.StatusUnauthorized)
			}
			return c.Redirect(http.StatusFound, "/admin/login/?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		err := h(r)
		if errors.Is(err, errPermissionDenied) {
			return r.forbidden()
		}
		return err
	}
}

// model is staff plus the model the URL names: an unregistered one is 404.
func (s *Site) model(h func(*request) error) echo.HandlerFunc {
	return s.staff(func(r *request) error {
		r.e = s.lookup(r.c.Param("app"), r.c.Param("model"))
		if r.e == nil {
			return r.notFound("No model " + r.c.Param("app") + "." + r.c.Param("model") + " is registered.")
		}
		return h(r)
	})
}

// object is model plus the permission and the object the URL's key
// names: a key that parses to nothing is the 404 page.
func (s *Site) object(action string, h func(r *request, obj any) error) echo.HandlerFunc {
	return s.model(func(r *request) error { return r.withObject(action, h) })
}

// userObject is object("change") for the pages only the user model has,
// the password form: on another model the URL is the 404 page, whatever
// the user's permissions on it.
func (s *Site) userObject(h func(r *request, u *auth.User) error) echo.HandlerFunc {
	return s.model(func(r *request) error {
		if r.e.meta != auth.Users.Meta {
			return r.notFound(r.e.plural() + " have no password to change.")
		}
		return r.withObject("change", func(r *request, obj any) error {
			u, ok := obj.(*auth.User)
			if !ok {
				return fmt.Errorf("admin: the user model loaded a %T", obj)
			}
			return h(r, u)
		})
	})
}

// withObject checks the permission, then loads the object the URL's key
// names for h.
func (r *request) withObject(action string, h func(r *request, obj any) error) error {
	if err := r.require(action); err != nil {
		return err
	}
	obj, err := r.getObject()
	if errors.Is(err, errNotFound) {
		return r.notFound(capFirst(r.e.name()) + " with ID “" + r.c.Param("pk") + "” doesn’t exist. Perhaps it was deleted?")
	}
	if err != nil {
		return err
	}
	return h(r, obj)
}

// require returns errPermissionDenied unless the user has the model
// permission. It writes nothing, so a handler cannot carry on after the
// refusal: the error ends it, and staff answers with the 403 page.
func (r *request) require(action string) error {
	ok, err := r.e.can(r.ctx, r.user, action)
	if err != nil {
		return err
	}
	if !ok {
		return errPermissionDenied
	}
	return nil
}

// errPermissionDenied is Forbidden, so that one that escapes an admin
// page is still a 403 (staff answers those it sees with the admin's page).
var errPermissionDenied = errs.Wrap(errors.New("admin: permission denied"), errs.Forbidden, "")

func (r *request) can(action string) bool {
	ok, err := r.e.can(r.ctx, r.user, action)
	return err == nil && ok
}

// page fills the shell every page shares; reading the messages clears them.
func (r *request) page(title string, crumbs ...ui.Link) ui.Page {
	p := ui.Page{Title: title, SiteHeader: r.site.Header, CSRF: auth.CSRFToken(r.c), Breadcrumbs: crumbs}
	if r.user != nil {
		p.User = r.user.String()
		if full := r.user.FullName(); full != "" {
			p.User = full
		}
	}
	p.Messages = r.takeMessages()
	return p
}

// crumbs is Home → the model's list, the trail of a model's pages.
func (r *request) crumbs(extra ...ui.Link) []ui.Link {
	out := []ui.Link{{Label: "Home", URL: "/admin/"}}
	if r.e != nil {
		out = append(out, ui.Link{Label: capFirst(r.e.meta.App), URL: "/admin/" + r.e.meta.App + "/"},
			ui.Link{Label: r.e.plural(), URL: r.e.url("")})
	}
	return append(out, extra...)
}

// render writes a page. It renders into a buffer first so a failing
// component becomes an error page, not half a page with a 200.
func (r *request) render(status int, t templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := t.Render(r.ctx, buf); err != nil {
		return err
	}
	r.c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return r.c.HTMLBlob(status, buf.Bytes())
}

func (r *request) notFound(msg string) error {
	return r.render(http.StatusNotFound, ui.ErrorPage(r.page("Not found", r.crumbs()...), http.StatusNotFound, msg))
}

func (r *request) forbidden() error {
	return r.render(http.StatusForbidden, ui.ErrorPage(r.page("Permission denied", r.crumbs()...), http.StatusForbidden,
		"You do not have permission to do this. Ask an administrator for access."))
}

// redirect answers a POST with 303, so reloading the next page does not
// post again.
func (r *request) redirect(to string) error { return r.c.Redirect(http.StatusSeeOther, to) }

// messages live in the session until the next page shows them.
const messagesKey = "_messages"

func (r *request) message(level, text string) error {
	list, _ := r.sess.Data[messagesKey].([]any)
	r.sess.Data[messagesKey] = append(list, map[string]any{"level": level, "text": text})
	if err := r.site.Store.Save(r.ctx, r.sess); !errors.Is(err, auth.ErrSessionEnded) {
		return err
	}
	// Signed out in another tab meanwhile: the next page asks for a login,
	// which is message enough.
	return nil
}

func (r *request) takeMessages() []ui.Message {
	list, _ := r.sess.Data[messagesKey].([]any)
	if len(list) == 0 {
		return nil
	}
	out := make([]ui.Message, 0, len(list))
	for _, m := range list {
		if mm, ok := m.(map[string]any); ok {
			level, _ := mm["level"].(string)
			text, _ := mm["text"].(string)
			out = append(out, ui.Message{Level: level, Text: text})
		}
	}
	delete(r.sess.Data, messagesKey)
	if r.sess.Key != "" {
		_ = r.site.Store.Save(r.ctx, r.sess) // a failure shows the messages twice, no worse
	}
	return out
}

// getObject loads the object the URL's pk names; a key that does not parse
// or matches nothing is the caller's 404, told apart from a database error.
func (r *request) getObject() (any, error) {
	pk, err := parseKey(r.e.meta.PK, r.c.Param("pk"))
	if err != nil {
		return nil, errNotFound
	}
	qs := r.e.meta.DefaultManager()
	if rel := r.e.selectRelated(r.e.allFormFields(false)); len(rel) > 0 {
		// The page names the object and what its form points at.
		qs = qs.SelectRelated(rel...)
	}
	obj, err := qs.Get(r.ctx, orm.Q{"pk": pk})
	if errors.Is(err, orm.ErrDoesNotExist) {
		return nil, errNotFound
	}
	return obj, err
}

// errNotFound is NotFound, as the ORM's DoesNotExist it stands for.
var errNotFound = errs.Wrap(errors.New("admin: no such object"), errs.NotFound, "")

func urlPathEscape(s string) string { return url.PathEscape(s) }

func echoBadRequest(msg string) error { return echo.NewHTTPError(http.StatusBadRequest, msg) }
