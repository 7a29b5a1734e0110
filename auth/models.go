package auth

import (
	"strings"
	"time"

	"github.com/quarry-go/quarry/orm"
)

// Permission is Django's auth.Permission. Quarry has no contenttypes app,
// so ContentType holds the model's lower-cased label ("blog.post"): it is
// what a perm string ("blog.add_post") and the admin both derive from a
// *orm.Meta without another table or join.
type Permission struct {
	ID          int64
	Name        string // "Can add post"
	ContentType string // "blog.post"
	Codename    string // "add_post"
}

// Permissions is the auth_permission model.
var Permissions = orm.Define("auth", func(p *Permission, m *orm.Schema) {
	m.Char(&p.Name, orm.MaxLength(255), orm.Verbose("name"))
	m.Char(&p.ContentType, orm.MaxLength(100), orm.Verbose("content type"))
	m.Char(&p.Codename, orm.MaxLength(100), orm.Verbose("codename"))
	m.Meta(orm.VerboseName("permission"),
		orm.UniqueTogether("content_type", "codename"),
		orm.Ordering("content_type", "codename"))
})

// String is Django's "app | model | name": "blog | post | Can add post".
func (p *Permission) String() string {
	app, model, _ := strings.Cut(p.ContentType, ".")
	return app + " | " + model + " | " + p.Name
}

// Perm is the perm string HasPerm takes: "blog.add_post".
func (p *Permission) Perm() string { return appOf(p.ContentType) + "." + p.Codename }

// Group is Django's auth.Group: a named set of permissions.
type Group struct {
	ID          int64
	Name        string
	Permissions orm.M2M[Permission]
}

// Groups is the auth_group model; its permissions live in
// auth_group_permissions.
var Groups = orm.Define("auth", func(g *Group, m *orm.Schema) {
	m.Char(&g.Name, orm.MaxLength(150), orm.Unique(), orm.Verbose("name"))
	m.ManyToMany(&g.Permissions, orm.Blank(), orm.Verbose("permissions"))
	m.Meta(orm.VerboseName("group"), orm.Ordering("name"))
})

func (g *Group) String() string { return g.Name }

// User is Django's auth.User. Password holds the encoded hash (see
// SetPassword), never the raw password.
type User struct {
	ID              int64
	Password        string
	LastLogin       *time.Time
	IsSuperuser     bool
	Username        string
	FirstName       string
	LastName        string
	Email           string
	IsStaff         bool
	IsActive        bool
	DateJoined      time.Time
	Groups          orm.M2M[Group]
	UserPermissions orm.M2M[Permission]

	// perms caches the user's permission set, as Django's _perm_cache
	// does: a User is loaded per request, so the set lives as long as
	// the request and a permission change shows on the next one.
	perms map[string]struct{}
}

// Users is the auth_user model; the junctions are auth_user_groups and
// auth_user_user_permissions, as in Django.
var Users = orm.Define("auth", func(u *User, m *orm.Schema) {
	m.Char(&u.Password, orm.MaxLength(128), orm.Verbose("password"), orm.Editable(false))
	m.DateTime(&u.LastLogin, orm.Null(), orm.Blank(), orm.Verbose("last login"))
	m.Boolean(&u.IsSuperuser, orm.Default(false), orm.Verbose("superuser status"),
		orm.HelpText("Designates that this user has all permissions without explicitly assigning them."))
	m.Char(&u.Username, orm.MaxLength(150), orm.Unique(), orm.Verbose("username"),
		orm.HelpText("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."))
	m.Char(&u.FirstName, orm.MaxLength(150), orm.Blank(), orm.Verbose("first name"))
	m.Char(&u.LastName, orm.MaxLength(150), orm.Blank(), orm.Verbose("last name"))
	m.Email(&u.Email, orm.Blank(), orm.Verbose("email address"))
	m.Boolean(&u.IsStaff, orm.Default(false), orm.Verbose("staff status"),
		orm.HelpText("Designates whether the user can log into this admin site."))
	m.Boolean(&u.IsActive, orm.Default(true), orm.Verbose("active"),
		orm.HelpText("Designates whether this user should be treated as active. Unselect this instead of deleting accounts."))
	m.DateTime(&u.DateJoined, orm.Default(func() time.Time { return time.Now().UTC() }), orm.Verbose("date joined"))
	m.ManyToMany(&u.Groups, orm.Blank(), orm.Verbose("groups"),
		orm.HelpText("The groups this user belongs to. A user will get all permissions granted to each of their groups."))
	m.ManyToMany(&u.UserPermissions, orm.Blank(), orm.Verbose("user permissions"),
		orm.HelpText("Specific permissions for this user."))
	// The admin's user list sorts by email.
	m.Meta(orm.VerboseName("user"), orm.Ordering("username"), orm.Index("email", "id"))
})

// String is the username, as Django's User.__str__.
func (u *User) String() string { return u.Username }

// FullName is Django's get_full_name.
func (u *User) FullName() string {
	switch {
	case u.FirstName == "":
		return u.LastName
	case u.LastName == "":
		return u.FirstName
	}
	return u.FirstName + " " + u.LastName
}

// Session is a server-side session (Django's django_session), kept in
// the database so that every web process sees the same sessions.
type Session struct {
	Key      string         // random, base64url; the cookie's value
	Data     map[string]any // JSON
	ExpireAt time.Time
	User     orm.FK[User] // the logged-in user; ID 0 when anonymous
}

// Sessions is the auth_session model.
var Sessions = orm.Define("auth", func(s *Session, m *orm.Schema) {
	m.Char(&s.Key, orm.PrimaryKey(), orm.MaxLength(64), orm.Verbose("session key"))
	m.JSON(&s.Data, orm.Blank(), orm.Verbose("session data"))
	m.DateTime(&s.ExpireAt, orm.DBIndex(), orm.Verbose("expire date"))
	// Deleting a user ends their sessions rather than leaving them
	// logged in as nobody.
	m.ForeignKey(&s.User, orm.Null(), orm.Blank(), orm.OnDelete(orm.Cascade), orm.RelatedName("sessions"), orm.Verbose("user"))
	m.Meta(orm.VerboseName("session"), orm.Ordering("-expire_at"), orm.Index("expire_at", "key"))
})

// LoginAttempt counts recent failed logins for one key ("username:alice"
// or "addr:203.0.113.9"). It is a table rather than process memory so
// that a lock holds across every web process and survives a restart.
type LoginAttempt struct {
	ID           int64
	Key          string
	Failures     int
	FirstFailure time.Time  // start of the counting window
	LockedUntil  *time.Time // set once Failures reaches the limit
}

// LoginAttempts is the auth_loginattempt model.
var LoginAttempts = orm.Define("auth", func(a *LoginAttempt, m *orm.Schema) {
	m.Char(&a.Key, orm.MaxLength(255), orm.Unique(), orm.Verbose("key"))
	m.PositiveInteger(&a.Failures, orm.Default(0), orm.Verbose("failures"))
	m.DateTime(&a.FirstFailure, orm.Verbose("first failure"))
	m.DateTime(&a.LockedUntil, orm.Null(), orm.Blank(), orm.Verbose("locked until"))
	m.Meta(orm.VerboseName("login attempt"), orm.Ordering("key"))
})

// Models lists auth's models (junction tables included) for CreateTables
// and migrations.
func Models() []*orm.Meta {
	var out []*orm.Meta
	for _, m := range orm.Models() {
		if m.App == "auth" {
			out = append(out, m)
		}
	}
	return out
}
