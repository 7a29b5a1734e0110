package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The signals tutorial's models, in an app of their own: a user with a
// profile made for it, posts with comments and tags, and a deletion log.

type SigUser struct {
	ID       int64
	Username string
}

type SigProfile struct {
	ID   int64
	User orm.FK[SigUser]
	Bio  string
}

type SigTag struct {
	ID   int64
	Name string
}

type SigPost struct {
	ID        int64
	Title     string
	Slug      string
	Author    orm.FK[SigUser]
	ViewCount int
	UpdatedAt time.Time
	Tags      orm.M2M[SigTag]
}

type SigComment struct {
	ID   int64
	Post orm.FK[SigPost]
	Body string
}

type SigDeletionLog struct {
	ID       int64
	Model    string
	ObjectID int64
	Title    string
}

// SigToken has a primary key with a default, set by New before the insert.
type SigToken struct {
	Key  uuid.UUID
	Name string
}

var (
	SigUsers = orm.Define("sig", func(u *SigUser, m *orm.Schema) {
		m.Char(&u.Username, orm.MaxLength(150), orm.Unique())
	})
	SigProfiles = orm.Define("sig", func(p *SigProfile, m *orm.Schema) {
		m.OneToOne(&p.User, orm.OnDelete(orm.Cascade), orm.RelatedName("profile"))
		m.Text(&p.Bio, orm.Blank())
	})
	SigTags = orm.Define("sig", func(t *SigTag, m *orm.Schema) {
		m.Char(&t.Name, orm.MaxLength(50))
	})
	SigPosts = orm.Define("sig", func(p *SigPost, m *orm.Schema) {
		m.Char(&p.Title, orm.MaxLength(200))
		m.Char(&p.Slug, orm.MaxLength(200), orm.Blank())
		m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
		m.Integer(&p.ViewCount, orm.Default(0))
		m.DateTime(&p.UpdatedAt, orm.AutoNow())
		m.ManyToMany(&p.Tags, orm.RelatedName("posts"), orm.Blank())
	})
	SigComments = orm.Define("sig", func(c *SigComment, m *orm.Schema) {
		m.ForeignKey(&c.Post, orm.OnDelete(orm.Cascade), orm.RelatedName("comments"))
		m.Text(&c.Body)
	})
	SigDeletionLogs = orm.Define("sig", func(l *SigDeletionLog, m *orm.Schema) {
		m.Char(&l.Model, orm.MaxLength(50))
		m.BigInteger(&l.ObjectID)
		m.Char(&l.Title, orm.MaxLength(200), orm.Blank())
	})
	SigTokens = orm.Define("sig", func(t *SigToken, m *orm.Schema) {
		m.UUID(&t.Key, orm.PrimaryKey(), orm.Default(uuid.New))
		m.Char(&t.Name, orm.MaxLength(50))
	})
)

var sigModels = []*orm.Meta{SigUsers.Meta, SigProfiles.Meta, SigTags.Meta, SigPosts.Meta, SigComments.Meta,
	SigDeletionLogs.Meta, SigTokens.Meta}

var errSigBoom = errors.New("boom")

// sigConnect connects fn for the rest of the test: receivers are global to
// the model, so each test takes its own away.
func sigConnect[E any](t *testing.T, s *orm.Signal[E], fn func(ctx context.Context, e E) error) {
	t.Helper()
	t.Cleanup(s.Connect(fn))
}

// sigLog records what receivers saw, in order.
type sigLog struct {
	mu     sync.Mutex
	events []string
}

func (l *sigLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
}

// take returns the events so far and forgets them.
func (l *sigLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

func (l *sigLog) expect(t *testing.T, want ...string) {
	t.Helper()
	if got := l.take(); !slices.Equal(got, want) {
		t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func sigCount[T any](t *testing.T, ctx context.Context, m *orm.Model[T], q orm.Q) int64 {
	t.Helper()
	qs := m.Objects()
	if q != nil {
		qs = qs.Filter(q)
	}
	n, err := qs.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newSigPost(t *testing.T, ctx context.Context, author *SigUser, title string) *SigPost {
	t.Helper()
	p := &SigPost{Title: title, Author: orm.FK[SigUser]{ID: author.ID}}
	if err := SigPosts.Save(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// The tutorial: a user's profile is made when the user is created.
func TestSignalTutorialProfileOnCreate(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		sigConnect(t, SigUsers.PostSave, func(ctx context.Context, e orm.SaveEvent[SigUser]) error {
			if !e.Created {
				return nil
			}
			return SigProfiles.Objects().Create(ctx, &SigProfile{User: orm.FK[SigUser]{ID: e.Instance.ID}})
		})
		alice := &SigUser{Username: "alice"}
		if err := SigUsers.Save(ctx, alice); err != nil {
			t.Fatal(err)
		}
		p, err := SigProfiles.Objects().Get(ctx, orm.Q{"user": alice.ID})
		if err != nil || p.User.ID != alice.ID {
			t.Fatalf("profile = %+v, %v", p, err)
		}
		alice.Username = "alice2"
		if err := SigUsers.Save(ctx, alice); err != nil { // an update: no second profile
			t.Fatal(err)
		}
		if n := sigCount(t, ctx, SigProfiles, nil); n != 1 {
			t.Fatalf("%d profiles after an update, want 1", n)
		}

		// Create, GetOrCreate and UpdateOrCreate go through Save.
		bob := &SigUser{Username: "bob"}
		if err := SigUsers.Objects().Create(ctx, bob); err != nil {
			t.Fatal(err)
		}
		carol, created, err := SigUsers.Objects().GetOrCreate(ctx, orm.Q{"username": "carol"}, nil)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		if _, created, err := SigUsers.Objects().GetOrCreate(ctx, orm.Q{"username": "carol"}, nil); err != nil || created {
			t.Fatal(created, err)
		}
		dave, created, err := SigUsers.Objects().UpdateOrCreate(ctx, orm.Q{"username": "dave"}, nil)
		if err != nil || !created {
			t.Fatal(created, err)
		}
		for _, u := range []*SigUser{alice, bob, carol, dave} {
			if n := sigCount(t, ctx, SigProfiles, orm.Q{"user": u.ID}); n != 1 {
				t.Errorf("%s has %d profiles, want 1", u.Username, n)
			}
		}
		if n := sigCount(t, ctx, SigProfiles, nil); n != 4 {
			t.Fatalf("%d profiles, want 4", n)
		}
	})
}

func TestSignalSaveEvents(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		author := &SigUser{Username: "author"}
		if err := SigUsers.Save(ctx, author); err != nil {
			t.Fatal(err)
		}
		var log sigLog
		record := func(name string) func(context.Context, orm.SaveEvent[SigPost]) error {
			return func(ctx context.Context, e orm.SaveEvent[SigPost]) error {
				if !orm.InTransaction(ctx) {
					t.Errorf("%s receiver outside a transaction", name)
				}
				log.add("%s %q id=%v created=%v fields=%v", name, e.Instance.Title, e.Instance.ID != 0, e.Created, e.UpdateFields)
				if e.UpdateFields == nil {
					log.add("(all fields)")
				}
				return nil
			}
		}
		sigConnect(t, SigPosts.PreSave, record("pre_save"))
		sigConnect(t, SigPosts.PostSave, record("post_save"))

		p := &SigPost{Title: "one", Author: orm.FK[SigUser]{ID: author.ID}}
		if err := SigPosts.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		log.expect(t, `pre_save "one" id=false created=true fields=[]`, "(all fields)",
			`post_save "one" id=true created=true fields=[]`, "(all fields)")

		p.Title = "one!"
		if err := SigPosts.Save(ctx, p); err != nil {
			t.Fatal(err)
		}
		log.expect(t, `pre_save "one!" id=true created=false fields=[]`, "(all fields)",
			`post_save "one!" id=true created=false fields=[]`, "(all fields)")

		p.Title = "one?"
		if err := SigPosts.Save(ctx, p, orm.UpdateFields("title")); err != nil {
			t.Fatal(err)
		}
		log.expect(t, `pre_save "one?" id=true created=false fields=[title]`,
			`post_save "one?" id=true created=false fields=[title]`)

		// update_fields=[] saves nothing and sends nothing, as in Django.
		if err := SigPosts.Save(ctx, p, orm.UpdateFields()); err != nil {
			t.Fatal(err)
		}
		log.expect(t)

		// A key with no row: Save means to update, finds nothing, inserts.
		ghost := &SigPost{ID: p.ID + 100, Title: "ghost", Author: orm.FK[SigUser]{ID: author.ID}}
		if err := SigPosts.Save(ctx, ghost); err != nil {
			t.Fatal(err)
		}
		log.expect(t, `pre_save "ghost" id=true created=false fields=[]`, "(all fields)",
			`post_save "ghost" id=true created=true fields=[]`, "(all fields)")

		if err := SigPosts.Objects().Create(ctx, &SigPost{Title: "two", Author: orm.FK[SigUser]{ID: author.ID}}); err != nil {
			t.Fatal(err)
		}
		log.expect(t, `pre_save "two" id=false created=true fields=[]`, "(all fields)",
			`post_save "two" id=true created=true fields=[]`, "(all fields)")

		// UpdateOrCreate saves the defaults and the auto_now fields.
		if _, created, err := SigPosts.Objects().UpdateOrCreate(ctx, orm.Q{"pk": p.ID}, orm.Values{"title": "three"}); err != nil || created {
			t.Fatal(created, err)
		}
		log.expect(t, `pre_save "three" id=true created=false fields=[title updated_at]`,
			`post_save "three" id=true created=false fields=[title updated_at]`)
		if got, err := SigPosts.Objects().Get(ctx, orm.Q{"pk": p.ID}); err != nil || got.Title != "three" {
			t.Fatalf("after UpdateOrCreate: %+v, %v", got, err)
		}
	})
}

// A pre_save receiver runs before the values are read: what it sets is
// saved.
func TestSignalPreSaveSetsFields(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		author := &SigUser{Username: "author"}
		if err := SigUsers.Save(ctx, author); err != nil {
			t.Fatal(err)
		}
		sigConnect(t, SigPosts.PreSave, func(ctx context.Context, e orm.SaveEvent[SigPost]) error {
			e.Instance.Slug = strings.ToLower(strings.ReplaceAll(e.Instance.Title, " ", "-"))
			return nil
		})
		p := newSigPost(t, ctx, author, "Hello World")
		got, err := SigPosts.Objects().Get(ctx, orm.Q{"pk": p.ID})
		if err != nil || got.Slug != "hello-world" {
			t.Fatalf("stored %+v, %v", got, err)
		}
	})
}

func TestSignalSaveReceiverErrorRollsBack(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		// The tutorial's receiver first, then one that fails for "bad"
		// users: the profile the first made goes with the user.
		sigConnect(t, SigUsers.PostSave, func(ctx context.Context, e orm.SaveEvent[SigUser]) error {
			if !e.Created {
				return nil
			}
			return SigProfiles.Objects().Create(ctx, &SigProfile{User: orm.FK[SigUser]{ID: e.Instance.ID}})
		})
		failing := func(ctx context.Context, e orm.SaveEvent[SigUser]) error {
			if strings.HasPrefix(e.Instance.Username, "bad") {
				return errSigBoom
			}
			return nil
		}
		sigConnect(t, SigUsers.PostSave, failing)

		bad := &SigUser{Username: "bad"}
		err := SigUsers.Save(ctx, bad)
		if !errors.Is(err, errSigBoom) {
			t.Fatalf("Save = %v, want the receiver's error", err)
		}
		var re *orm.ReceiverError
		if !errors.As(err, &re) || re.Signal != "post_save" || re.Model != SigUsers.Meta ||
			!strings.Contains(re.Receiver, "TestSignalSaveReceiverErrorRollsBack") {
			t.Fatalf("error = %#v", re)
		}
		if msg := err.Error(); !strings.Contains(msg, "post_save") || !strings.Contains(msg, "sig.SigUser") || !strings.Contains(msg, "boom") {
			t.Errorf("message = %q", msg)
		}
		if bad.ID != 0 {
			t.Errorf("the rolled-back insert left key %d on the instance", bad.ID)
		}
		if n := sigCount(t, ctx, SigUsers, nil); n != 0 {
			t.Fatalf("%d users after a failed save, want 0", n)
		}
		if n := sigCount(t, ctx, SigProfiles, nil); n != 0 {
			t.Fatalf("%d profiles after a failed save, want 0", n)
		}

		// A failed update leaves the row as it was.
		good := &SigUser{Username: "good"}
		if err := SigUsers.Save(ctx, good); err != nil {
			t.Fatal(err)
		}
		good.Username = "bad-rename"
		if err := SigUsers.Save(ctx, good); !errors.Is(err, errSigBoom) {
			t.Fatalf("Save = %v", err)
		}
		if got, err := SigUsers.Objects().Get(ctx, orm.Q{"pk": good.ID}); err != nil || got.Username != "good" {
			t.Fatalf("after a failed update: %+v, %v", got, err)
		}

		// Inside Atomic the error rolls back the whole transaction when it
		// is returned…
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			if err := SigUsers.Save(ctx, &SigUser{Username: "in-tx"}); err != nil {
				return err
			}
			return SigUsers.Save(ctx, &SigUser{Username: "bad-in-tx"})
		})
		if !errors.Is(err, errSigBoom) {
			t.Fatalf("Atomic = %v", err)
		}
		if n := sigCount(t, ctx, SigUsers, orm.Q{"username__in": []string{"in-tx", "bad-in-tx"}}); n != 0 {
			t.Fatalf("%d users of the rolled-back transaction remain", n)
		}
		// …and only the failed save when the caller handles it.
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			if err := SigUsers.Save(ctx, &SigUser{Username: "kept"}); err != nil {
				return err
			}
			if err := SigUsers.Save(ctx, &SigUser{Username: "bad-handled"}); !errors.Is(err, errSigBoom) {
				return fmt.Errorf("want the receiver's error, got %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := sigCount(t, ctx, SigUsers, orm.Q{"username": "kept"}); n != 1 {
			t.Fatal("the user saved before the failed save in the same transaction is gone")
		}
		if n := sigCount(t, ctx, SigUsers, orm.Q{"username": "bad-handled"}); n != 0 {
			t.Fatal("the failed save persisted")
		}
		if n := sigCount(t, ctx, SigProfiles, nil); n != 2 { // good's and kept's
			t.Fatalf("%d profiles, want 2", n)
		}

		// The first error stops the receivers that follow; a pre_save
		// error stops the save before it writes.
		called := false
		sigConnect(t, SigUsers.PreSave, func(ctx context.Context, e orm.SaveEvent[SigUser]) error { return errSigBoom })
		sigConnect(t, SigUsers.PreSave, func(ctx context.Context, e orm.SaveEvent[SigUser]) error { called = true; return nil })
		err = SigUsers.Save(ctx, &SigUser{Username: "never"})
		if !errors.As(err, &re) || re.Signal != "pre_save" || called {
			t.Fatalf("Save = %v, second receiver called: %v", err, called)
		}
		if n := sigCount(t, ctx, SigUsers, orm.Q{"username": "never"}); n != 0 {
			t.Fatal("a pre_save error did not stop the insert")
		}
	})
}

// An instance from New whose key has a default is inserted, not updated,
// when Save is tried again after a receiver failed.
func TestSignalSaveErrorKeepsNewInstanceUnsaved(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		var created []bool
		sigConnect(t, SigTokens.PreSave, func(ctx context.Context, e orm.SaveEvent[SigToken]) error {
			created = append(created, e.Created)
			return nil
		})
		disconnect := SigTokens.PostSave.Connect(func(ctx context.Context, e orm.SaveEvent[SigToken]) error { return errSigBoom })
		t.Cleanup(disconnect)
		tok := SigTokens.New()
		tok.Name = "t"
		if err := SigTokens.Save(ctx, tok); !errors.Is(err, errSigBoom) {
			t.Fatal(err)
		}
		disconnect()
		if err := SigTokens.Save(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(created, []bool{true, true}) {
			t.Fatalf("pre_save Created = %v, want an insert both times", created)
		}
		if n := sigCount(t, ctx, SigTokens, orm.Q{"pk": tok.Key}); n != 1 {
			t.Fatal("token not saved")
		}
	})
}

func TestSignalConnectOrderAndDisconnect(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		tag := &SigTag{Name: "go"}
		if err := SigTags.Save(ctx, tag); err != nil {
			t.Fatal(err)
		}
		// With no receiver, Save is its one statement: no transaction.
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			if err := SigTags.Save(ctx, tag); err != nil {
				t.Fatal(err)
			}
		})

		var order []int
		receiver := func(n int) func(context.Context, orm.SaveEvent[SigTag]) error {
			return func(context.Context, orm.SaveEvent[SigTag]) error { order = append(order, n); return nil }
		}
		d1 := SigTags.PostSave.Connect(receiver(1))
		d2 := SigTags.PostSave.Connect(receiver(2))
		d3 := SigTags.PostSave.Connect(receiver(3))
		t.Cleanup(d1)
		t.Cleanup(d2)
		t.Cleanup(d3)
		if !SigTags.PostSave.HasReceivers() || SigTags.PreSave.HasReceivers() {
			t.Fatal("HasReceivers is wrong")
		}
		if err := SigTags.Save(ctx, tag); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, []int{1, 2, 3}) {
			t.Fatalf("receivers ran in order %v", order)
		}
		d2()
		d2() // harmless
		order = nil
		if err := SigTags.Save(ctx, tag); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, []int{1, 3}) {
			t.Fatalf("after disconnecting 2: %v", order)
		}
		d1()
		d3()
		order = nil
		if SigTags.PostSave.HasReceivers() {
			t.Fatal("receivers left after disconnecting all")
		}
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			if err := SigTags.Save(ctx, tag); err != nil {
				t.Fatal(err)
			}
		})
		if order != nil {
			t.Fatalf("disconnected receivers ran: %v", order)
		}
	})
}

// The tutorial: a deletion log row is written before a post is deleted.
func TestSignalTutorialDeletionLog(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		sigConnect(t, SigPosts.PreDelete, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error {
			return SigDeletionLogs.Objects().Create(ctx, &SigDeletionLog{Model: "Post", ObjectID: e.Instance.ID, Title: e.Instance.Title})
		})
		alice := &SigUser{Username: "alice"}
		if err := SigUsers.Save(ctx, alice); err != nil {
			t.Fatal(err)
		}
		first := newSigPost(t, ctx, alice, "first")
		firstID := first.ID
		if _, err := SigPosts.Delete(ctx, first); err != nil {
			t.Fatal(err)
		}
		logs, err := SigDeletionLogs.Objects().OrderBy("id").All(ctx)
		if err != nil || len(logs) != 1 || logs[0].Model != "Post" || logs[0].ObjectID != firstID || logs[0].Title != "first" {
			t.Fatalf("logs = %+v, %v", logs, err)
		}
		if n := sigCount(t, ctx, SigPosts, nil); n != 0 {
			t.Fatal("the post was not deleted")
		}

		// QuerySet.Delete and a cascade from the author log every post.
		second := newSigPost(t, ctx, alice, "second")
		third := newSigPost(t, ctx, alice, "third")
		kept := newSigPost(t, ctx, alice, "kept")
		if _, err := SigPosts.Objects().Filter(orm.Q{"title": "second"}).Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := SigPosts.Objects().Filter(orm.Q{"title": "kept"}).Update(ctx, orm.Values{"view_count": 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := SigUsers.Delete(ctx, alice); err != nil {
			t.Fatal(err)
		}
		logs, err = SigDeletionLogs.Objects().OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range logs {
			got = append(got, fmt.Sprintf("%s %d %s", l.Model, l.ObjectID, l.Title))
		}
		want := []string{fmt.Sprintf("Post %d first", firstID), fmt.Sprintf("Post %d second", second.ID),
			fmt.Sprintf("Post %d third", third.ID), fmt.Sprintf("Post %d kept", kept.ID)}
		if !slices.Equal(got, want) {
			t.Fatalf("logs = %v, want %v", got, want)
		}
	})
}

// pre_delete and post_delete go to every object a delete removes, the
// cascaded ones included, each with its whole row and its key.
func TestSignalDeleteCascade(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		alice := &SigUser{Username: "alice"}
		bob := &SigUser{Username: "bob"}
		for _, u := range []*SigUser{alice, bob} {
			if err := SigUsers.Save(ctx, u); err != nil {
				t.Fatal(err)
			}
			if err := SigProfiles.Objects().Create(ctx, &SigProfile{User: orm.FK[SigUser]{ID: u.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		p1 := newSigPost(t, ctx, alice, "p1")
		p2 := newSigPost(t, ctx, alice, "p2")
		bobs := newSigPost(t, ctx, bob, "bobs")
		var comments []*SigComment
		for _, p := range []*SigPost{p1, p1, p2, bobs} {
			c := &SigComment{Post: orm.FK[SigPost]{ID: p.ID}, Body: "on " + p.Title}
			if err := SigComments.Save(ctx, c); err != nil {
				t.Fatal(err)
			}
			comments = append(comments, c)
		}

		var log sigLog
		var userInstance *SigUser
		for _, post := range []bool{false, true} {
			name := map[bool]string{false: "pre", true: "post"}[post]
			signal := func(s *orm.Signal[orm.DeleteEvent[SigUser]], p *orm.Signal[orm.DeleteEvent[SigPost]], c *orm.Signal[orm.DeleteEvent[SigComment]]) {
				sigConnect(t, s, func(ctx context.Context, e orm.DeleteEvent[SigUser]) error {
					if !orm.InTransaction(ctx) {
						t.Error("delete receiver outside the transaction")
					}
					userInstance = e.Instance
					log.add("%s user %s id=%v", name, e.Instance.Username, e.Instance.ID != 0)
					return nil
				})
				sigConnect(t, p, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error {
					log.add("%s post %s author=%v id=%v", name, e.Instance.Title, e.Instance.Author.ID == alice.ID, e.Instance.ID != 0)
					return nil
				})
				sigConnect(t, c, func(ctx context.Context, e orm.DeleteEvent[SigComment]) error {
					log.add("%s comment %d %s", name, e.Instance.ID, e.Instance.Body)
					return nil
				})
			}
			if post {
				signal(SigUsers.PostDelete, SigPosts.PostDelete, SigComments.PostDelete)
			} else {
				signal(SigUsers.PreDelete, SigPosts.PreDelete, SigComments.PreDelete)
			}
		}

		res, err := SigUsers.Delete(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if userInstance != alice {
			t.Error("the receivers did not get the instance Delete was called on")
		}
		if alice.ID != 0 {
			t.Error("Delete did not zero the key after post_delete")
		}
		wantDeleted(t, res, map[string]int64{"sig.SigUser": 1, "sig.SigProfile": 1, "sig.SigPost": 2, "sig.SigComment": 3})
		c := func(i int) string { return fmt.Sprintf("%d %s", comments[i].ID, comments[i].Body) }
		// Every pre_delete before anything changes, children first; then
		// each model's post_delete once its rows are gone.
		log.expect(t,
			"pre comment "+c(0), "pre comment "+c(1), "pre comment "+c(2),
			"pre post p1 author=true id=true", "pre post p2 author=true id=true",
			"pre user alice id=true",
			"post comment "+c(0), "post comment "+c(1), "post comment "+c(2),
			"post post p1 author=true id=true", "post post p2 author=true id=true",
			"post user alice id=true",
		)
		if n := sigCount(t, ctx, SigComments, nil); n != 1 {
			t.Fatalf("%d comments left, want bob's", n)
		}

		// A model nothing points at is deleted one object at a time too
		// when it has receivers, through QuerySet.Delete as well.
		res, err = SigComments.Objects().Delete(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, map[string]int64{"sig.SigComment": 1})
		log.expect(t, "pre comment "+c(3), "post comment "+c(3))
	})
}

func TestSignalDeleteReceiverErrorRollsBack(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		alice := &SigUser{Username: "alice"}
		if err := SigUsers.Save(ctx, alice); err != nil {
			t.Fatal(err)
		}
		p := newSigPost(t, ctx, alice, "p")
		if err := SigComments.Save(ctx, &SigComment{Post: orm.FK[SigPost]{ID: p.ID}, Body: "c"}); err != nil {
			t.Fatal(err)
		}
		// A log written by pre_delete goes too.
		sigConnect(t, SigPosts.PreDelete, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error {
			return SigDeletionLogs.Objects().Create(ctx, &SigDeletionLog{Model: "Post", ObjectID: e.Instance.ID, Title: e.Instance.Title})
		})
		sigConnect(t, SigComments.PostDelete, func(ctx context.Context, e orm.DeleteEvent[SigComment]) error { return errSigBoom })

		id := alice.ID
		_, err := SigUsers.Delete(ctx, alice)
		var re *orm.ReceiverError
		if !errors.Is(err, errSigBoom) || !errors.As(err, &re) || re.Signal != "post_delete" || re.Model != SigComments.Meta {
			t.Fatalf("Delete = %v", err)
		}
		if alice.ID != id {
			t.Error("a failed delete zeroed the key")
		}
		for name, n := range map[string]int64{
			"users":    sigCount(t, ctx, SigUsers, nil),
			"posts":    sigCount(t, ctx, SigPosts, nil),
			"comments": sigCount(t, ctx, SigComments, nil),
		} {
			if n != 1 {
				t.Errorf("%d %s after a failed delete, want 1", n, name)
			}
		}
		if n := sigCount(t, ctx, SigDeletionLogs, nil); n != 0 {
			t.Errorf("the receiver's log survived the rollback")
		}

		// Inside Atomic, the returned error rolls back the rest as well.
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			if err := SigUsers.Save(ctx, &SigUser{Username: "in-tx"}); err != nil {
				return err
			}
			_, err := SigPosts.Objects().Filter(orm.Q{"pk": p.ID}).Delete(ctx)
			return err
		})
		if !errors.Is(err, errSigBoom) {
			t.Fatalf("Atomic = %v", err)
		}
		if n := sigCount(t, ctx, SigUsers, nil); n != 1 {
			t.Fatalf("%d users, want 1: the transaction's user survived", n)
		}
		if n := sigCount(t, ctx, SigPosts, nil); n != 1 {
			t.Fatal("the post is gone")
		}
	})
}

func TestSignalM2MChanged(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		author := &SigUser{Username: "author"}
		if err := SigUsers.Save(ctx, author); err != nil {
			t.Fatal(err)
		}
		post := newSigPost(t, ctx, author, "post")
		tags := map[string]*SigTag{}
		for _, name := range []string{"a", "b", "c", "d"} {
			tags[name] = &SigTag{Name: name}
			if err := SigTags.Save(ctx, tags[name]); err != nil {
				t.Fatal(err)
			}
		}
		a, b, c, d := tags["a"], tags["b"], tags["c"], tags["d"]
		name := map[int64]string{a.ID: "a", b.ID: "b", c.ID: "c", d.ID: "d"}

		var log sigLog
		var fail orm.M2MAction
		sigConnect(t, SigPosts.M2MChanged, func(ctx context.Context, e orm.M2MChangedEvent[SigPost]) error {
			if !orm.InTransaction(ctx) {
				t.Error("m2m_changed receiver outside a transaction")
			}
			if e.Instance == nil || e.Instance.ID == 0 {
				t.Errorf("%s: instance %+v", e.Action, e.Instance)
			}
			var names []string
			for _, pk := range e.PKs {
				names = append(names, name[pk])
			}
			log.add("%s %s %v nil=%v same=%v", e.Action, e.Field, names, e.PKs == nil, e.Instance == post)
			if e.Action == fail {
				return errSigBoom
			}
			return nil
		})
		expectRelated := func(want ...string) {
			t.Helper()
			tags, err := post.Tags.All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, tag := range tags {
				got = append(got, tag.Name)
			}
			slices.Sort(got)
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("related tags = %v, want %v", got, want)
			}
		}

		if err := post.Tags.Add(ctx, a, b); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_add tags [a b] nil=false same=true", "post_add tags [a b] nil=false same=true")
		expectRelated("a", "b")

		// Only the keys not related yet, each once.
		if err := post.Tags.Add(ctx, b, c, c); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_add tags [c] nil=false same=true", "post_add tags [c] nil=false same=true")
		// Nothing new: Django still sends both, with no keys.
		if err := post.Tags.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_add tags [] nil=false same=true", "post_add tags [] nil=false same=true")
		expectRelated("a", "b", "c")

		if err := post.Tags.Remove(ctx, a, a); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_remove tags [a] nil=false same=true", "post_remove tags [a] nil=false same=true")
		expectRelated("b", "c")

		// Set is Django's: remove what goes, add what is new.
		if err := post.Tags.Set(ctx, []*SigTag{b, d}); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_remove tags [c] nil=false same=true", "post_remove tags [c] nil=false same=true",
			"pre_add tags [d] nil=false same=true", "post_add tags [d] nil=false same=true")
		expectRelated("b", "d")
		if err := post.Tags.Set(ctx, []*SigTag{d, b}); err != nil {
			t.Fatal(err)
		}
		log.expect(t)

		if err := post.Tags.Clear(ctx); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_clear tags [] nil=true same=true", "post_clear tags [] nil=true same=true")
		expectRelated()

		// A loaded instance is the one its manager reports.
		loaded, err := SigPosts.Objects().Get(ctx, orm.Q{"pk": post.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := loaded.Tags.Add(ctx, a); err != nil {
			t.Fatal(err)
		}
		log.expect(t, "pre_add tags [a] nil=false same=false", "post_add tags [a] nil=false same=false")

		// An error after the change undoes it.
		for _, action := range []orm.M2MAction{orm.PostAdd, orm.PostRemove, orm.PostClear} {
			fail = action
			var err error
			switch action {
			case orm.PostAdd:
				err = post.Tags.Add(ctx, b, c)
			case orm.PostRemove:
				err = post.Tags.Remove(ctx, a)
			case orm.PostClear:
				err = post.Tags.Clear(ctx)
			}
			var re *orm.ReceiverError
			if !errors.As(err, &re) || re.Signal != "m2m_changed" || re.Model != SigPosts.Meta || !errors.Is(err, errSigBoom) {
				t.Fatalf("%s: %v", action, err)
			}
			log.take()
			expectRelated("a")
		}
		fail = orm.PreAdd
		if err := post.Tags.Set(ctx, []*SigTag{c}); !errors.Is(err, errSigBoom) {
			t.Fatal(err)
		}
		log.expect(t, "pre_remove tags [a] nil=false same=true", "post_remove tags [a] nil=false same=true",
			"pre_add tags [c] nil=false same=true")
		expectRelated("a")
	})
}

// Update, BulkCreate and BulkUpdate call no Save and send no signals, as
// in Django.
func TestSignalNotSentByBulkOperations(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		author := &SigUser{Username: "author"}
		if err := SigUsers.Save(ctx, author); err != nil {
			t.Fatal(err)
		}
		var log sigLog
		sigConnect(t, SigPosts.PreSave, func(ctx context.Context, e orm.SaveEvent[SigPost]) error { log.add("pre_save"); return nil })
		sigConnect(t, SigPosts.PostSave, func(ctx context.Context, e orm.SaveEvent[SigPost]) error { log.add("post_save"); return nil })
		sigConnect(t, SigPosts.PreDelete, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error { log.add("pre_delete"); return nil })
		sigConnect(t, SigPosts.PostDelete, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error { log.add("post_delete"); return nil })
		sigConnect(t, SigPosts.M2MChanged, func(ctx context.Context, e orm.M2MChangedEvent[SigPost]) error { log.add("m2m_changed"); return nil })

		posts := []*SigPost{{Title: "a"}, {Title: "b"}, {Title: "c"}}
		for _, p := range posts {
			p.Author.ID = author.ID
		}
		if err := SigPosts.Objects().BulkCreate(ctx, posts, 2); err != nil {
			t.Fatal(err)
		}
		for _, p := range posts {
			p.Title += "!"
		}
		if n, err := SigPosts.Objects().BulkUpdate(ctx, posts, []string{"title"}, 2); err != nil || n != 3 {
			t.Fatal(n, err)
		}
		if n, err := SigPosts.Objects().Filter(orm.Q{"title__in": []string{"a!", "b!"}}).Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(5)}); err != nil || n != 2 {
			t.Fatal(n, err)
		}
		log.expect(t)

		got, err := SigPosts.Objects().OrderBy("title").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, p := range got {
			rows = append(rows, fmt.Sprintf("%s %d", p.Title, p.ViewCount))
		}
		if want := []string{"a! 5", "b! 5", "c! 0"}; !slices.Equal(rows, want) {
			t.Fatalf("rows = %v, want %v", rows, want)
		}
	})
}

// Receivers query and write with the context they are given: they join
// the sender's transaction, see its uncommitted rows and take no second
// connection that would wait on its locks (on PostgreSQL a receiver that
// updated the saved row from another connection would block until the
// deadline).
func TestSignalReceiverUsesSenderTransaction(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		author := &SigUser{Username: "author"}
		if err := SigUsers.Save(ctx, author); err != nil {
			t.Fatal(err)
		}
		sigConnect(t, SigPosts.PostSave, func(ctx context.Context, e orm.SaveEvent[SigPost]) error {
			if !e.Created {
				return nil
			}
			// The new row is only visible inside the transaction, and
			// locked by it.
			n, err := SigPosts.Objects().Filter(orm.Q{"pk": e.Instance.ID}).Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(10)})
			if err != nil || n != 1 {
				return fmt.Errorf("update in receiver: %d, %v", n, err)
			}
			locked, err := SigPosts.Objects().SelectForUpdate().Get(ctx, orm.Q{"pk": e.Instance.ID})
			if err != nil {
				return err
			}
			return SigDeletionLogs.Objects().Create(ctx, &SigDeletionLog{Model: "created", ObjectID: locked.ID, Title: locked.Title})
		})
		sigConnect(t, SigPosts.PreDelete, func(ctx context.Context, e orm.DeleteEvent[SigPost]) error {
			n, err := SigComments.Objects().Filter(orm.Q{"post": e.Instance.ID}).Count(ctx)
			if err != nil {
				return err
			}
			return SigDeletionLogs.Objects().Create(ctx, &SigDeletionLog{Model: "Post", ObjectID: e.Instance.ID, Title: fmt.Sprint(n)})
		})

		var p *SigPost
		err := orm.Atomic(ctx, func(ctx context.Context) error {
			p = &SigPost{Title: "in-tx", Author: orm.FK[SigUser]{ID: author.ID}}
			if err := SigPosts.Save(ctx, p); err != nil {
				return err
			}
			return SigComments.Save(ctx, &SigComment{Post: orm.FK[SigPost]{ID: p.ID}, Body: "c"})
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := SigPosts.Objects().Get(ctx, orm.Q{"pk": p.ID})
		if err != nil || got.ViewCount != 10 {
			t.Fatalf("post = %+v, %v", got, err)
		}
		// Outside Atomic, Save's own transaction.
		q := newSigPost(t, ctx, author, "own-tx")
		if got, err := SigPosts.Objects().Get(ctx, orm.Q{"pk": q.ID}); err != nil || got.ViewCount != 10 {
			t.Fatalf("post = %+v, %v", got, err)
		}
		if _, err := SigPosts.Delete(ctx, p); err != nil {
			t.Fatal(err)
		}
		logs, err := SigDeletionLogs.Objects().OrderBy("id").All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, l := range logs {
			rows = append(rows, l.Model+" "+l.Title)
		}
		if want := []string{"created in-tx", "created own-tx", "Post 1"}; !slices.Equal(rows, want) {
			t.Fatalf("logs = %v, want %v", rows, want)
		}
	})
}

// Connecting and disconnecting while saves send is safe (run with -race).
func TestSignalConcurrentConnect(t *testing.T) {
	ormtest.Each(t, sigModels, func(t *testing.T, ctx context.Context) {
		tag := &SigTag{Name: "t"}
		if err := SigTags.Save(ctx, tag); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 200 {
					disconnect := SigTags.PostSave.Connect(func(context.Context, orm.SaveEvent[SigTag]) error { return nil })
					SigTags.PostSave.HasReceivers()
					disconnect()
				}
			})
		}
		for range 20 {
			if err := SigTags.Save(ctx, tag); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if SigTags.PostSave.HasReceivers() {
			t.Fatal("receivers left over")
		}
	})
}

func TestSignalM2MActionNames(t *testing.T) {
	var names []string
	for _, a := range []orm.M2MAction{orm.PreAdd, orm.PostAdd, orm.PreRemove, orm.PostRemove, orm.PreClear, orm.PostClear, 0} {
		names = append(names, a.String())
	}
	want := []string{"pre_add", "post_add", "pre_remove", "post_remove", "pre_clear", "post_clear", "M2MAction(0)"}
	if !slices.Equal(names, want) {
		t.Fatalf("names = %v", names)
	}
}

// BenchmarkSignalSave measures Save's update with no receivers (the hot
// path, which must not change) and with one.
func BenchmarkSignalSave(b *testing.B) {
	ctx := ormtest.Open(b, "sqlite", sigModels...)
	tag := &SigTag{Name: "t"}
	if err := SigTags.Save(ctx, tag); err != nil {
		b.Fatal(err)
	}
	b.Run("no-receivers", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := SigTags.Save(ctx, tag); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("post_save", func(b *testing.B) {
		b.Cleanup(SigTags.PostSave.Connect(func(context.Context, orm.SaveEvent[SigTag]) error { return nil }))
		b.ReportAllocs()
		for b.Loop() {
			if err := SigTags.Save(ctx, tag); err != nil {
				b.Fatal(err)
			}
		}
	})
}
