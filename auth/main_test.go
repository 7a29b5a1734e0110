package auth

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// Article is a model of another app, for SyncPermissions and HasModelPerm.
type Article struct {
	ID    int64
	Title string
}

var articles = orm.Define("authtest", func(a *Article, m *orm.Schema) {
	m.Char(&a.Title, orm.MaxLength(100))
	m.Meta(orm.VerboseName("news article"))
})

// cheapParams keep the test suite fast; production cost is checked by
// format only (TestDefaultParams).
var cheapParams = argon2Params{Memory: 64, Time: 1, Threads: 1}

func TestMain(m *testing.M) {
	hashParams = cheapParams
	os.Exit(m.Run())
}

func allModels() []*orm.Meta { return append(Models(), articles.Meta) }

func each(t *testing.T, fn func(t *testing.T, ctx context.Context)) {
	ormtest.Each(t, allModels(), fn)
}

func mustUser(t *testing.T, ctx context.Context, username, password string, edit ...func(*User)) *User {
	t.Helper()
	u := Users.New()
	u.Username = username
	SetPassword(u, password)
	for _, f := range edit {
		f(u)
	}
	if err := Users.Save(ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// clock is a settable time source for the session store and throttle.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }
