package orm_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/orm/ormtest"
)

// The tutorial's on_delete table, one rule per key, in an app of its own.

type DelUser struct {
	ID       int64
	Username string
}

func (u *DelUser) String() string { return u.Username }

var DelUsers = orm.Define("del", func(u *DelUser, m *orm.Schema) {
	m.Char(&u.Username, orm.MaxLength(150), orm.Unique())
})

type DelCategory struct {
	ID     int64
	Name   string
	Parent orm.FK[DelCategory]
}

var DelCategories = orm.Define("del", func(c *DelCategory, m *orm.Schema) {
	m.Char(&c.Name, orm.MaxLength(100))
	m.ForeignKey(&c.Parent, orm.OnDelete(orm.Cascade), orm.Null(), orm.Blank(), orm.RelatedName("children"))
})

type DelTag struct {
	ID   int64
	Name string
}

var DelTags = orm.Define("del", func(t *DelTag, m *orm.Schema) {
	m.Char(&t.Name, orm.MaxLength(50))
})

// delSentinelCalls counts the calls of getSentinelUser; delSentinelFail
// makes it fail.
var (
	delSentinelCalls int
	delSentinelFail  error
)

// getSentinelUser is the tutorial's get_sentinel_user:
// User.objects.get_or_create(username="ghost")[0], in the delete's
// transaction.
func getSentinelUser(ctx context.Context) (any, error) {
	delSentinelCalls++
	if delSentinelFail != nil {
		return nil, delSentinelFail
	}
	u, _, err := DelUsers.Objects().GetOrCreate(ctx, orm.Q{"username": "ghost"}, nil)
	return u, err
}

type DelPost struct {
	ID        int64
	Title     string
	Author    orm.FK[DelUser]
	Category  orm.FK[DelCategory]
	Tag       orm.FK[DelTag]
	Editor    orm.FK[DelUser]
	Reviewer  orm.FK[DelUser]
	ViewCount int
}

func (p *DelPost) String() string { return p.Title }

var DelPosts = orm.Define("del", func(p *DelPost, m *orm.Schema) {
	m.Char(&p.Title, orm.MaxLength(200))
	m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
	m.ForeignKey(&p.Category, orm.OnDelete(orm.SetNull), orm.Null(), orm.Blank(), orm.RelatedName("posts"))
	m.ForeignKey(&p.Tag, orm.OnDelete(orm.Protect), orm.Null(), orm.Blank(), orm.RelatedName("posts"))
	m.ForeignKey(&p.Editor, orm.OnDelete(orm.SetDefault), orm.Default(int64(1)), orm.RelatedName("edited_posts"))
	m.ForeignKey(&p.Reviewer, orm.OnDeleteSet(getSentinelUser), orm.Null(), orm.RelatedName("reviewed_posts"))
	m.Integer(&p.ViewCount)
})

// A comment's author key is hidden (related_name "+"): deleting a user
// still cascades through it.
type DelComment struct {
	ID     int64
	Post   orm.FK[DelPost]
	Author orm.FK[DelUser]
	Body   string
}

var DelComments = orm.Define("del", func(c *DelComment, m *orm.Schema) {
	m.ForeignKey(&c.Post, orm.OnDelete(orm.Cascade))
	m.ForeignKey(&c.Author, orm.OnDelete(orm.Cascade), orm.Null(), orm.RelatedName("+"))
	m.Text(&c.Body)
})

// A pin protects its post: a user whose post is pinned cannot be deleted.
type DelPin struct {
	ID   int64
	Post orm.FK[DelPost]
}

var DelPins = orm.Define("del", func(p *DelPin, m *orm.Schema) {
	m.ForeignKey(&p.Post, orm.OnDelete(orm.Protect), orm.RelatedName("pins"))
})

type DelTopic struct {
	ID   int64
	Name string
}

var DelTopics = orm.Define("del", func(t *DelTopic, m *orm.Schema) {
	m.Char(&t.Name, orm.MaxLength(50))
})

// Notes are left alone (DO_NOTHING): the database refuses.
type DelNote struct {
	ID    int64
	User  orm.FK[DelUser]
	Topic orm.FK[DelTopic]
	Text  string
}

var DelNotes = orm.Define("del", func(n *DelNote, m *orm.Schema) {
	m.ForeignKey(&n.User, orm.OnDelete(orm.DoNothing), orm.Null(), orm.RelatedName("notes"))
	m.ForeignKey(&n.Topic, orm.OnDelete(orm.DoNothing), orm.Null(), orm.RelatedName("notes"))
	m.Text(&n.Text)
})

// Django's RESTRICT example: Song.artist CASCADE, Song.album RESTRICT.
type DelArtist struct {
	ID   int64
	Name string
}
type DelAlbum struct {
	ID     int64
	Artist orm.FK[DelArtist]
}
type DelSong struct {
	ID     int64
	Artist orm.FK[DelArtist]
	Album  orm.FK[DelAlbum]
}

var (
	DelArtists = orm.Define("del", func(a *DelArtist, m *orm.Schema) {
		m.Char(&a.Name, orm.MaxLength(10))
	})
	DelAlbums = orm.Define("del", func(a *DelAlbum, m *orm.Schema) {
		m.ForeignKey(&a.Artist, orm.OnDelete(orm.Cascade), orm.RelatedName("albums"))
	})
	DelSongs = orm.Define("del", func(s *DelSong, m *orm.Schema) {
		m.ForeignKey(&s.Artist, orm.OnDelete(orm.Cascade), orm.RelatedName("songs"))
		m.ForeignKey(&s.Album, orm.OnDelete(orm.Restrict), orm.RelatedName("songs"))
	})
)

// The same shape the other way round: Track.band RESTRICT, Track.record
// CASCADE, Record.band CASCADE.
type DelBand struct {
	ID   int64
	Name string
}
type DelRecord struct {
	ID   int64
	Band orm.FK[DelBand]
}
type DelTrack struct {
	ID     int64
	Band   orm.FK[DelBand]
	Record orm.FK[DelRecord]
}

var (
	DelBands = orm.Define("del", func(b *DelBand, m *orm.Schema) {
		m.Char(&b.Name, orm.MaxLength(10))
	})
	DelRecords = orm.Define("del", func(r *DelRecord, m *orm.Schema) {
		m.ForeignKey(&r.Band, orm.OnDelete(orm.Cascade), orm.RelatedName("records"))
	})
	DelTracks = orm.Define("del", func(t *DelTrack, m *orm.Schema) {
		m.ForeignKey(&t.Band, orm.OnDelete(orm.Restrict), orm.RelatedName("tracks"))
		m.ForeignKey(&t.Record, orm.OnDelete(orm.Cascade), orm.RelatedName("tracks"))
	})
)

// Lists and items, for deletes of many rows.
type DelList struct {
	ID   int64
	Name string
}
type DelItem struct {
	ID   int64
	List orm.FK[DelList]
	N    int
}

var (
	DelLists = orm.Define("del", func(l *DelList, m *orm.Schema) {
		m.Char(&l.Name, orm.MaxLength(20))
	})
	DelItems = orm.Define("del", func(i *DelItem, m *orm.Schema) {
		m.ForeignKey(&i.List, orm.OnDelete(orm.Cascade), orm.RelatedName("items"))
		m.Integer(&i.N)
	})
)

var delModels = []*orm.Meta{DelUsers.Meta, DelCategories.Meta, DelTags.Meta, DelPosts.Meta, DelComments.Meta,
	DelPins.Meta, DelTopics.Meta, DelNotes.Meta, DelArtists.Meta, DelAlbums.Meta, DelSongs.Meta,
	DelBands.Meta, DelRecords.Meta, DelTracks.Meta, DelLists.Meta, DelItems.Meta}

type delFixture struct {
	system, ghost, alice, bob *DelUser
	tech                      *DelCategory
	tag                       *DelTag
	p1, p2, p3                *DelPost // alice's two, bob's one
}

// newDelFixture: system (id 1, every post's default editor) and ghost (the
// sentinel); alice wrote p1 and p2, bob wrote p3, which alice edits and
// reviews; p1 has two comments, p2 one (by bob), p3 one.
func newDelFixture(t *testing.T, ctx context.Context) *delFixture {
	t.Helper()
	f := &delFixture{}
	f.system = mustSave(t, ctx, DelUsers, &DelUser{Username: "system"})
	if f.system.ID != 1 {
		t.Fatalf("system user has id %d, the editor default is 1", f.system.ID)
	}
	f.ghost = mustSave(t, ctx, DelUsers, &DelUser{Username: "ghost"})
	delSentinelCalls, delSentinelFail = 0, nil
	f.alice = mustSave(t, ctx, DelUsers, &DelUser{Username: "alice"})
	f.bob = mustSave(t, ctx, DelUsers, &DelUser{Username: "bob"})
	f.tech = mustSave(t, ctx, DelCategories, &DelCategory{Name: "Tech"})
	f.tag = mustSave(t, ctx, DelTags, &DelTag{Name: "django"})
	post := func(title string, author *DelUser) *DelPost {
		p := &DelPost{Title: title}
		p.Author.Set(author)
		p.Category.Set(f.tech)
		return mustSave(t, ctx, DelPosts, p)
	}
	f.p1, f.p2 = post("Django tips", f.alice), post("Django ORM", f.alice)
	f.p3 = &DelPost{Title: "Python"}
	f.p3.Author.Set(f.bob)
	f.p3.Editor.Set(f.alice)
	f.p3.Reviewer.Set(f.alice)
	mustSave(t, ctx, DelPosts, f.p3)
	for _, c := range []struct {
		post *DelPost
		by   *DelUser
	}{{f.p1, f.alice}, {f.p1, nil}, {f.p2, f.bob}, {f.p3, f.bob}} {
		cm := &DelComment{Body: "nice"}
		cm.Post.Set(c.post)
		cm.Author.Set(c.by)
		mustSave(t, ctx, DelComments, cm)
	}
	return f
}

func delCount[T any](t *testing.T, ctx context.Context, m *orm.Model[T]) int64 {
	t.Helper()
	n, err := m.Objects().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantDeleted(t *testing.T, got orm.Deleted, want map[string]int64) {
	t.Helper()
	var total int64
	for _, n := range want {
		total += n
	}
	if got.Total != total || len(got.ByModel) != len(want) {
		t.Fatalf("deleted %+v, want %d: %v", got, total, want)
	}
	for label, n := range want {
		if got.ByModel[label] != n {
			t.Fatalf("deleted %+v, want %v", got, want)
		}
	}
}

// SET's function reads the database in the delete's transaction, and its
// error undoes the whole delete.
func TestDeleteSetFuncFails(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		delSentinelFail = errors.New("no sentinel today")
		defer func() { delSentinelFail = nil }()
		_, err := DelUsers.Delete(ctx, f.alice)
		if !errors.Is(err, delSentinelFail) || !strings.Contains(err.Error(), "on_delete=SET of") {
			t.Fatalf("delete = %v, want the function's error", err)
		}
		if delCount(t, ctx, DelUsers) != 4 || delCount(t, ctx, DelPosts) != 3 || delCount(t, ctx, DelComments) != 4 {
			t.Fatal("a failed delete deleted something")
		}
	})
}

func TestDeleteCascade(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		alice := f.alice
		var res orm.Deleted
		// BEGIN; SELECT alice's posts; SELECT the pins of those posts;
		// UPDATE editor; SELECT the sentinel (get_or_create finds it);
		// UPDATE reviewer; DELETE alice's comments (through
		// the hidden key); DELETE the comments of her posts; DELETE posts;
		// DELETE users; COMMIT. The comments are deleted by key, unloaded:
		// nothing points at them.
		ormtest.AssertNumQueries(t, ctx, 11, func(ctx context.Context) {
			var err error
			if res, err = DelUsers.Delete(ctx, alice); err != nil {
				t.Fatal(err)
			}
		})
		wantDeleted(t, res, map[string]int64{"del.DelUser": 1, "del.DelPost": 2, "del.DelComment": 3})
		if alice.ID != 0 {
			t.Errorf("alice.ID = %d after delete, want 0", alice.ID)
		}
		left, err := DelComments.Objects().All(ctx)
		if err != nil || len(left) != 1 || left[0].Post.ID != f.p3.ID {
			t.Fatalf("comments left: %v, %v (want bob's comment on p3)", left, err)
		}
		p3, err := DelPosts.Objects().Get(ctx, orm.Q{"pk": f.p3.ID})
		if err != nil {
			t.Fatal(err)
		}
		if p3.Editor.ID != f.system.ID {
			t.Errorf("SET_DEFAULT: editor = %d, want the default %d", p3.Editor.ID, f.system.ID)
		}
		if p3.Reviewer.ID != f.ghost.ID || delSentinelCalls != 1 {
			t.Errorf("SET(func): reviewer = %d, want the sentinel %d (func called %d times, want 1)",
				p3.Reviewer.ID, f.ghost.ID, delSentinelCalls)
		}
		if n := delCount(t, ctx, DelUsers); n != 3 {
			t.Errorf("%d users left, want 3", n)
		}
	})
}

func TestDeleteQuerySetTransitive(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		res, err := DelUsers.Objects().Filter(orm.Q{"username__in": []string{"alice", "bob"}}).Delete(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, map[string]int64{"del.DelUser": 2, "del.DelPost": 3, "del.DelComment": 4})
		if n := delCount(t, ctx, DelPosts); n != 0 {
			t.Errorf("%d posts left", n)
		}
		// Nothing left points at a deleted row: the commit accepted it.
		users, err := DelUsers.Objects().OrderBy("pk").All(ctx)
		if err != nil || len(users) != 2 || users[0].ID != f.system.ID || users[1].ID != f.ghost.ID {
			t.Fatalf("users left = %v, %v", users, err)
		}
	})
}

func TestDeleteSetNull(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		res, err := DelCategories.Delete(ctx, f.tech)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, map[string]int64{"del.DelCategory": 1})
		n, err := DelPosts.Objects().Filter(orm.Q{"category__isnull": true}).Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("%d posts without a category, want 3 (%v)", n, err)
		}
	})
}

func TestDeleteSelfReferential(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		author := mustSave(t, ctx, DelUsers, &DelUser{Username: "system"})
		cat := func(name string, parent *DelCategory) *DelCategory {
			c := &DelCategory{Name: name}
			c.Parent.Set(parent)
			return mustSave(t, ctx, DelCategories, c)
		}
		root := cat("root", nil)
		a := cat("a", root)
		cat("b", root)
		a1 := cat("a1", a)
		cat("a11", a1)
		other := cat("other", nil)
		p := &DelPost{Title: "in a1"}
		p.Author.Set(author)
		p.Category.Set(a1)
		mustSave(t, ctx, DelPosts, p)

		var res orm.Deleted
		// BEGIN; one SELECT of children per level of the tree (4, the
		// last finding none); one UPDATE setting the posts' category to
		// NULL for all of them; one DELETE; COMMIT.
		ormtest.AssertNumQueries(t, ctx, 8, func(ctx context.Context) {
			var err error
			if res, err = DelCategories.Delete(ctx, root); err != nil {
				t.Fatal(err)
			}
		})
		wantDeleted(t, res, map[string]int64{"del.DelCategory": 5})
		left, err := DelCategories.Objects().All(ctx)
		if err != nil || len(left) != 1 || left[0].ID != other.ID {
			t.Fatalf("categories left = %v, %v", left, err)
		}
		if err := DelPosts.RefreshFromDB(ctx, p); err != nil || p.Category.ID != 0 {
			t.Fatalf("post category = %d, %v; want NULL", p.Category.ID, err)
		}

		// A cycle (x → y → x) ends: each row is collected once.
		x := cat("x", nil)
		y := cat("y", x)
		x.Parent.Set(y)
		mustSave(t, ctx, DelCategories, x)
		res, err = DelCategories.Delete(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, map[string]int64{"del.DelCategory": 2})
	})
}

func TestDeleteProtect(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		f.p1.Tag.Set(f.tag)
		f.p3.Tag.Set(f.tag)
		mustSave(t, ctx, DelPosts, f.p1)
		mustSave(t, ctx, DelPosts, f.p3)

		_, err := DelTags.Delete(ctx, f.tag)
		var pe *orm.ProtectedError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want a ProtectedError", err)
		}
		want := "Cannot delete some instances of model 'DelTag' because they are referenced through protected foreign keys: 'DelPost.tag'."
		if err.Error() != want {
			t.Errorf("message:\n got %s\nwant %s", err, want)
		}
		if got := pe.PKs()["del.DelPost"]; !slices.Equal(got, []any{f.p1.ID, f.p3.ID}) {
			t.Errorf("protected posts = %v, want [%d %d]", got, f.p1.ID, f.p3.ID)
		}
		if s := pe.Objects[0].String(); s != "Django tips" {
			t.Errorf("protected object's String = %q", s)
		}
		if obj, ok := pe.Objects[1].Object.(*DelPost); !ok || obj.Title != "Python" || pe.Objects[1].Field.Name != "tag" {
			t.Errorf("protected object = %#v", pe.Objects[1])
		}
		if f.tag.ID == 0 || delCount(t, ctx, DelTags) != 1 || delCount(t, ctx, DelPosts) != 3 {
			t.Fatal("a protected delete deleted something")
		}

		// Deeper in a cascade: alice's posts go with her, but a pin
		// protects one of them. The whole delete is refused.
		pin := &DelPin{}
		pin.Post.Set(f.p2)
		mustSave(t, ctx, DelPins, pin)
		_, err = DelUsers.Delete(ctx, f.alice)
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want a ProtectedError", err)
		}
		want = "Cannot delete some instances of model 'DelPost' because they are referenced through protected foreign keys: 'DelPin.post'."
		if err.Error() != want || !slices.Equal(pe.PKs()["del.DelPin"], []any{pin.ID}) {
			t.Errorf("err = %v, objects %v", err, pe.PKs())
		}
		if f.alice.ID == 0 || delCount(t, ctx, DelUsers) != 4 || delCount(t, ctx, DelPosts) != 3 || delCount(t, ctx, DelComments) != 4 {
			t.Fatal("a protected delete deleted something")
		}
		p3, err := DelPosts.Objects().Get(ctx, orm.Q{"pk": f.p3.ID})
		if err != nil || p3.Editor.ID != f.alice.ID {
			t.Fatalf("a protected delete changed p3: %+v, %v", p3, err)
		}

		// Inside a transaction the refusal undoes only the delete.
		err = orm.Atomic(ctx, func(ctx context.Context) error {
			if _, err := DelUsers.Delete(ctx, f.alice); !errors.As(err, &pe) {
				return fmt.Errorf("err = %v, want a ProtectedError", err)
			}
			_, err := DelPins.Delete(ctx, pin)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if delCount(t, ctx, DelPins) != 0 || delCount(t, ctx, DelUsers) != 4 {
			t.Fatal("the transaction around a refused delete went wrong")
		}
	})
}

func TestDeleteRestrict(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		// Django's documentation example, step by step.
		artistOne := mustSave(t, ctx, DelArtists, &DelArtist{Name: "artist one"})
		artistTwo := mustSave(t, ctx, DelArtists, &DelArtist{Name: "artist two"})
		albumOne := mustSave(t, ctx, DelAlbums, &DelAlbum{Artist: orm.FK[DelArtist]{ID: artistOne.ID}})
		albumTwo := mustSave(t, ctx, DelAlbums, &DelAlbum{Artist: orm.FK[DelArtist]{ID: artistTwo.ID}})
		songOne := mustSave(t, ctx, DelSongs, &DelSong{Artist: orm.FK[DelArtist]{ID: artistOne.ID}, Album: orm.FK[DelAlbum]{ID: albumOne.ID}})
		songTwo := mustSave(t, ctx, DelSongs, &DelSong{Artist: orm.FK[DelArtist]{ID: artistOne.ID}, Album: orm.FK[DelAlbum]{ID: albumTwo.ID}})

		// album_one.delete(): song_one restricts it.
		_, err := DelAlbums.Delete(ctx, albumOne)
		var re *orm.RestrictedError
		if !errors.As(err, &re) {
			t.Fatalf("album_one.delete(): err = %v, want a RestrictedError", err)
		}
		want := "Cannot delete some instances of model 'DelAlbum' because they are referenced through restricted foreign keys: 'DelSong.album'."
		if err.Error() != want || !slices.Equal(re.PKs()["del.DelSong"], []any{songOne.ID}) {
			t.Errorf("err = %v, objects %v", err, re.PKs())
		}
		// artist_two.delete(): album_two would go with it, but song_two
		// (by artist one) restricts album_two and is not deleted.
		_, err = DelArtists.Delete(ctx, artistTwo)
		if !errors.As(err, &re) || !slices.Equal(re.PKs()["del.DelSong"], []any{songTwo.ID}) {
			t.Fatalf("artist_two.delete(): err = %v, want a RestrictedError for song_two", err)
		}
		if delCount(t, ctx, DelArtists) != 2 || delCount(t, ctx, DelAlbums) != 2 || delCount(t, ctx, DelSongs) != 2 {
			t.Fatal("a restricted delete deleted something")
		}
		// artist_one.delete(): song_one restricts album_one, but is deleted
		// by the cascade from artist one in the same operation.
		res, err := DelArtists.Delete(ctx, artistOne)
		if err != nil {
			t.Fatalf("artist_one.delete(): %v", err)
		}
		wantDeleted(t, res, map[string]int64{"del.DelSong": 2, "del.DelAlbum": 1, "del.DelArtist": 1})
	})
}

func TestDeleteRestrictAllowedByCascade(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		bandOne := mustSave(t, ctx, DelBands, &DelBand{Name: "one"})
		bandTwo := mustSave(t, ctx, DelBands, &DelBand{Name: "two"})
		recordOne := mustSave(t, ctx, DelRecords, &DelRecord{Band: orm.FK[DelBand]{ID: bandOne.ID}})
		recordTwo := mustSave(t, ctx, DelRecords, &DelRecord{Band: orm.FK[DelBand]{ID: bandOne.ID}})
		// Track one goes with band one's record; track two is band two's
		// on a record of band one.
		mustSave(t, ctx, DelTracks, &DelTrack{Band: orm.FK[DelBand]{ID: bandOne.ID}, Record: orm.FK[DelRecord]{ID: recordOne.ID}})
		trackTwo := mustSave(t, ctx, DelTracks, &DelTrack{Band: orm.FK[DelBand]{ID: bandTwo.ID}, Record: orm.FK[DelRecord]{ID: recordTwo.ID}})

		_, err := DelBands.Delete(ctx, bandTwo)
		var re *orm.RestrictedError
		if !errors.As(err, &re) || !slices.Equal(re.PKs()["del.DelTrack"], []any{trackTwo.ID}) {
			t.Fatalf("deleting band two: err = %v, want track two to restrict it", err)
		}
		// Band one: its records cascade, their tracks with them, so the
		// tracks restricting band one are deleted in the same operation.
		res, err := DelBands.Delete(ctx, bandOne)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, map[string]int64{"del.DelBand": 1, "del.DelRecord": 2, "del.DelTrack": 2})
		if delCount(t, ctx, DelBands) != 1 || delCount(t, ctx, DelTracks) != 0 {
			t.Fatal("wrong rows left")
		}
	})
}

func TestDeleteDoNothing(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		topic := mustSave(t, ctx, DelTopics, &DelTopic{Name: "orm"})
		note := &DelNote{Text: "remember"}
		note.User.Set(f.alice)
		note.Topic.Set(topic)
		mustSave(t, ctx, DelNotes, note)

		// The collector leaves the note; the database refuses at commit.
		_, err := DelUsers.Delete(ctx, f.alice)
		var ie *orm.IntegrityError
		if !errors.As(err, &ie) || ie.Kind != "foreign_key" {
			t.Fatalf("err = %v, want a foreign key IntegrityError", err)
		}
		if f.alice.ID == 0 || delCount(t, ctx, DelUsers) != 4 || delCount(t, ctx, DelPosts) != 3 {
			t.Fatal("a refused delete deleted something")
		}
		// A topic only DO_NOTHING keys point at is one DELETE, refused at once.
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			_, err = DelTopics.Delete(ctx, topic)
		})
		if !errors.As(err, &ie) || ie.Kind != "foreign_key" {
			t.Fatalf("err = %v, want a foreign key IntegrityError", err)
		}
		// Once the note is gone, both deletes go through.
		if _, err := DelNotes.Delete(ctx, note); err != nil {
			t.Fatal(err)
		}
		if _, err := DelUsers.Delete(ctx, f.alice); err != nil {
			t.Fatal(err)
		}
		if _, err := DelTopics.Delete(ctx, topic); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDeleteWithoutRelations(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		// Nothing points at comments: one DELETE, no transaction.
		ormtest.AssertNumQueries(t, ctx, 1, func(ctx context.Context) {
			res, err := DelComments.Objects().Filter(orm.Q{"post": f.p1}).Delete(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wantDeleted(t, res, map[string]int64{"del.DelComment": 2})
		})
		// A queryset that matches nothing deletes nothing.
		res, err := DelUsers.Objects().Filter(orm.Q{"username": "nobody"}).Delete(ctx)
		if err != nil || res.Total != 0 || len(res.ByModel) != 0 {
			t.Fatalf("deleted %+v, %v", res, err)
		}
		res, err = DelUsers.Objects().None().Delete(ctx)
		if err != nil || res.Total != 0 {
			t.Fatalf("deleted %+v, %v", res, err)
		}
		if _, err := DelUsers.Delete(ctx, &DelUser{}); err == nil {
			t.Fatal("deleting an unsaved object: no error")
		}
	})
}

func TestDeleteMany(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		const n = 1500 // two batches of keys
		lists := make([]*DelList, n)
		for i := range lists {
			lists[i] = &DelList{Name: fmt.Sprintf("list %d", i)}
		}
		if err := DelLists.Objects().BulkCreate(ctx, lists, 500); err != nil {
			t.Fatal(err)
		}
		var items []*DelItem
		for i, l := range lists {
			for j := range 1 + i%3 {
				items = append(items, &DelItem{List: orm.FK[DelList]{ID: l.ID}, N: j})
			}
		}
		if err := DelItems.Objects().BulkCreate(ctx, items, 1000); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"del.DelList": n, "del.DelItem": int64(len(items))}

		// The preview: SELECT the lists, then their items a batch of
		// 1000 lists at a time.
		var plan *orm.DeletePlan
		ormtest.AssertNumQueries(t, ctx, 3, func(ctx context.Context) {
			var err error
			if plan, err = DelLists.Objects().DeletePreview(ctx); err != nil {
				t.Fatal(err)
			}
		})
		wantDeleted(t, plan.Counts(), want)
		if plan.Err() != nil || len(plan.PKs("del.DelItem")) != len(items) {
			t.Fatalf("plan: %v, %d items", plan.Err(), len(plan.PKs("del.DelItem")))
		}

		// The delete: BEGIN; SELECT the lists; DELETE their items by key, a
		// batch at a time (2); DELETE the lists (2); COMMIT.
		var res orm.Deleted
		ormtest.AssertNumQueries(t, ctx, 7, func(ctx context.Context) {
			var err error
			if res, err = DelLists.Objects().Delete(ctx); err != nil {
				t.Fatal(err)
			}
		})
		wantDeleted(t, res, want)
		if delCount(t, ctx, DelLists) != 0 || delCount(t, ctx, DelItems) != 0 {
			t.Fatal("rows left")
		}
	})
}

func TestDeletePreview(t *testing.T) {
	ormtest.Each(t, delModels, func(t *testing.T, ctx context.Context) {
		f := newDelFixture(t, ctx)
		pin := &DelPin{}
		pin.Post.Set(f.p3)
		mustSave(t, ctx, DelPins, pin)

		var plan *orm.DeletePlan
		// SELECT alice's posts; the posts she edits and reviews; the
		// comments she wrote; then, for her posts, their comments and pins.
		// Read only: no transaction, nothing written.
		ormtest.AssertNumQueries(t, ctx, 6, func(ctx context.Context) {
			var err error
			if plan, err = DelUsers.DeletePreview(ctx, f.alice); err != nil {
				t.Fatal(err)
			}
		})
		if plan.Err() != nil {
			t.Fatalf("plan blocked: %v", plan.Err())
		}
		want := map[string]int64{"del.DelUser": 1, "del.DelPost": 2, "del.DelComment": 3}
		wantDeleted(t, plan.Counts(), want)
		if got := plan.PKs("del.DelPost"); !slices.Equal(got, []any{f.p1.ID, f.p2.ID}) {
			t.Errorf("posts to delete = %v", got)
		}
		if plan.Delete[0].Model != DelUsers.Meta {
			t.Errorf("the plan starts with %s, want the user", plan.Delete[0].Model.Label())
		}
		var updates []string
		for _, u := range plan.Update {
			updates = append(updates, fmt.Sprintf("%s %s %v %v", u.Field.Name, u.Rule, u.Value, u.PKs))
		}
		wantUpdates := []string{
			fmt.Sprintf("editor SET_DEFAULT 1 [%d]", f.p3.ID),
			fmt.Sprintf("reviewer SET <nil> [%d]", f.p3.ID),
		}
		if !slices.Equal(updates, wantUpdates) {
			t.Errorf("updates = %q, want %q", updates, wantUpdates)
		}
		if delSentinelCalls != 0 {
			t.Error("the preview called SET's function")
		}
		if delCount(t, ctx, DelUsers) != 4 || delCount(t, ctx, DelPosts) != 3 || delCount(t, ctx, DelComments) != 4 {
			t.Fatal("the preview deleted something")
		}
		p3, err := DelPosts.Objects().Get(ctx, orm.Q{"pk": f.p3.ID})
		if err != nil || p3.Editor.ID != f.alice.ID || p3.Reviewer.ID != f.alice.ID {
			t.Fatalf("the preview changed p3: %+v, %v", p3, err)
		}

		// The delete does what the preview said.
		res, err := DelUsers.Delete(ctx, f.alice)
		if err != nil {
			t.Fatal(err)
		}
		wantDeleted(t, res, want)

		// A blocked delete's preview names the blockers, as the error will.
		plan, err = DelPosts.Objects().Filter(orm.Q{"author": f.bob}).DeletePreview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var pe *orm.ProtectedError
		if !errors.As(plan.Err(), &pe) || plan.Protected == nil || !slices.Equal(pe.PKs()["del.DelPin"], []any{pin.ID}) {
			t.Fatalf("plan.Err() = %v, want the pin to protect p3", plan.Err())
		}
		_, err = DelPosts.Objects().Filter(orm.Q{"author": f.bob}).Delete(ctx)
		if err == nil || err.Error() != plan.Err().Error() {
			t.Fatalf("delete err = %v, preview said %v", err, plan.Err())
		}
		wantDeleted(t, plan.Counts(), map[string]int64{"del.DelPost": 1, "del.DelComment": 1})

		// A restricted one too.
		artist := mustSave(t, ctx, DelArtists, &DelArtist{Name: "a"})
		album := mustSave(t, ctx, DelAlbums, &DelAlbum{Artist: orm.FK[DelArtist]{ID: artist.ID}})
		mustSave(t, ctx, DelSongs, &DelSong{Artist: orm.FK[DelArtist]{ID: artist.ID}, Album: orm.FK[DelAlbum]{ID: album.ID}})
		plan, err = DelAlbums.DeletePreview(ctx, album)
		if err != nil || plan.Restricted == nil || plan.Protected != nil {
			t.Fatalf("album plan = %+v, %v; want it restricted", plan, err)
		}
		plan, err = DelArtists.DeletePreview(ctx, artist)
		if err != nil || plan.Err() != nil {
			t.Fatalf("artist plan = %+v, %v; want it allowed", plan, err)
		}
		wantDeleted(t, plan.Counts(), map[string]int64{"del.DelArtist": 1, "del.DelAlbum": 1, "del.DelSong": 1})
	})
}

func TestDeleteSelectRelatedQuerySet(t *testing.T) {
	ormtest.Each(t, aggModels, func(t *testing.T, ctx context.Context) {
		f := seedAgg(t, ctx)
		// The collector runs (items cascade from orders); the related
		// columns SelectRelated adds are not part of its key lookup.
		res, err := AggOrders.Objects().SelectRelated("customer").Filter(orm.Q{"customer": f.ann}).Delete(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.ByModel["agg.AggOrder"] != 2 || res.ByModel["agg.AggItem"] != 3 {
			t.Fatalf("deleted = %+v", res)
		}
		if n, _ := AggOrders.Objects().Count(ctx); n != 1 {
			t.Fatalf("orders left = %d", n)
		}
	})
}
