package admin

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// Site is an admin console: the registered models and their options. Most
// programs use Default; tests make their own.
type Site struct {
	// Header is the title on every page: Django's site_header.
	Header string
	// Store keeps the sessions the admin signs users into.
	Store *auth.Store
	// Throttle limits failed sign-ins.
	Throttle auth.Throttle
	// PasswordResetURL, when set, is linked from the login page: the
	// site's password reset (auth.Accounts' /accounts/password_reset/).
	PasswordResetURL string
	// Secure marks cookies Secure always; without it they are Secure on
	// requests that came over TLS (auth.OverTLS).
	Secure bool

	mu      sync.RWMutex
	entries []*entry // in registration order
	byLabel map[string]*entry
	views   []View // AddView's, in order
	setup   setupToken
}

// NewSite returns an empty admin site.
func NewSite() *Site {
	return &Site{Header: "Quarry administration", Store: &auth.Store{}, byLabel: map[string]*entry{}}
}

// Default is the site apps register their models with, as Django's
// admin.site.
var Default = NewSite()

// entry is a registered model with its options, without its Go type.
type entry struct {
	site  *Site
	meta  *orm.Meta
	model orm.AnyModel
	opts  options
	// parent is the registered model an inline's rows sit on, and
	// inline the inline's prefix; parent is nil for a registered model.
	parent *entry
	inline string
}

// Register adds a model to the site with its options; the zero ModelAdmin
// gives a useful admin of every editable field. It panics when the model
// is registered twice or an option names a field the model does not have:
// both are mistakes found when the program starts, as Django's checks
// find them.
func Register[T any](site *Site, m *orm.Model[T], ma ModelAdmin[T]) {
	e := &entry{site: site, meta: m.Meta, model: m.Meta.Model(), opts: ma.erase()}
	if err := e.check(); err != nil {
		panic(fmt.Sprintf("admin: Register %s: %v", m.Label(), err))
	}
	site.mu.Lock()
	defer site.mu.Unlock()
	key := strings.ToLower(m.Label())
	if site.byLabel[key] != nil {
		panic("admin: " + m.Label() + " is registered twice")
	}
	site.byLabel[key] = e
	site.entries = append(site.entries, e)
}

// Registered reports whether the model is registered.
func (s *Site) Registered(meta *orm.Meta) bool { return s.lookup(meta.App, meta.ModelName()) != nil }

func (s *Site) lookup(app, model string) *entry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byLabel[strings.ToLower(app+"."+model)]
}

// apps lists the registered models grouped by app, apps and models sorted
// by name as Django's index sorts them.
func (s *Site) apps() [][]*entry {
	s.mu.RLock()
	all := slices.Clone(s.entries)
	s.mu.RUnlock()
	slices.SortStableFunc(all, func(a, b *entry) int {
		if c := strings.Compare(a.meta.App, b.meta.App); c != 0 {
			return c
		}
		return strings.Compare(a.plural(), b.plural())
	})
	var out [][]*entry
	for i, e := range all {
		if i == 0 || all[i-1].meta.App != e.meta.App {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], e)
	}
	return out
}

// url is the admin URL of the model, with an optional suffix: "add/".
func (e *entry) url(suffix string) string {
	return "/admin/" + e.meta.App + "/" + e.meta.ModelName() + "/" + suffix
}

// autocompleteURL answers the autocomplete widget of e's field: an
// inline's on its parent's URL, as the inline model need not be
// registered.
func (e *entry) autocompleteURL(field string) string {
	if e.parent != nil {
		return e.parent.url("autocomplete/") + "?inline=" + url.QueryEscape(e.inline) + "&field=" + url.QueryEscape(field)
	}
	return e.url("autocomplete/") + "?field=" + url.QueryEscape(field)
}

// objectURL is an object's page: "change/", "delete/", "history/".
func (e *entry) objectURL(pk any, page string) string {
	return e.url(urlPathEscape(fmt.Sprint(pk)) + "/" + page)
}

// save writes obj: the admin's SaveModel, or else the model's Save.
func (e *entry) save(ctx context.Context, obj any, adding bool) error {
	if e.opts.saveModel != nil {
		return e.opts.saveModel(ctx, obj, adding)
	}
	return e.model.Save(ctx, obj)
}

func (e *entry) name() string   { return e.meta.VerboseName }
func (e *entry) plural() string { return capFirst(e.meta.VerboseNamePlural) }

// can reports whether the request's user has the model permission
// ("view", "add", "change", "delete"). Change implies view, as in Django;
// NoAdd denies add to everyone.
func (e *entry) can(ctx context.Context, u *auth.User, action string) (bool, error) {
	switch {
	case action == "add" && e.opts.NoAdd:
		return false, nil
	case action == "view":
		return CanView(ctx, u, e.meta)
	}
	return auth.HasModelPerm(ctx, u, e.meta, action)
}

// CanView is the admin's rule for seeing a model's objects (Django's
// ModelAdmin.has_view_permission): the view permission, or the change
// permission, which implies it. An app's own admin pages (AddView) use it
// to show what the admin would.
func CanView(ctx context.Context, u *auth.User, meta *orm.Meta) (bool, error) {
	ok, err := auth.HasModelPerm(ctx, u, meta, "view")
	if err != nil || ok {
		return ok, err
	}
	return auth.HasModelPerm(ctx, u, meta, "change")
}

func capFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
