package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"golang.org/x/net/html"

	"github.com/quarry-go/quarry/internal/pageform"
	"github.com/quarry-go/quarry/orm"
)

// The tests of this file load a page, let someone else change the object
// (a sale taking stock with F(), as the shop's PlaceOrder does), and then
// post the page as the browser would, with the values it showed.

// pageForm is what a browser submits from the page's form with this id,
// before any button is added: every input as the page filled it.
func pageForm(t *testing.T, body, id string) url.Values {
	t.Helper()
	form, err := pageform.Values(body, id)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, body)
	}
	return form
}

// sell takes n off the product's stock in one UPDATE with F(), as an
// order does.
func (v *env) sell(pk int64, n int) {
	v.t.Helper()
	if _, err := products.Objects().Filter(orm.Q{"pk": pk}).Update(v.ctx, orm.Values{"stock": orm.F("stock").Sub(n)}); err != nil {
		v.t.Fatal(err)
	}
}

// setStock stores the product's stock, for a start that reads like the
// shop's: 124 in stock.
func (v *env) setStock(p *Product, n int32) {
	v.t.Helper()
	p.Stock = n
	if err := products.Save(v.ctx, p, orm.UpdateFields("stock")); err != nil {
		v.t.Fatal(err)
	}
}

// lastChange is the newest history message of the object.
func (v *env) lastChange(pk any) string {
	v.t.Helper()
	e, err := LogEntries.Objects().Filter(orm.Q{"object_id": fmt.Sprint(pk), "action_flag": Change}).OrderBy("-id").First(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	return e.ChangeMessage
}

func (v *env) changes(pk any) int64 {
	v.t.Helper()
	n, err := LogEntries.Objects().Filter(orm.Q{"object_id": fmt.Sprint(pk), "action_flag": Change}).Count(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}

func staleMessage(now string) string {
	return "This value was changed by someone else since you opened the page (it is now " + now + "). Check it and save again."
}

// TestChangeFormWritesOnlyWhatTheUserChanged: the change form sends the
// values it showed; a save writes the fields the user changed and leaves
// the others as the database has them by then, refuses a field both the
// user and someone else changed, and still takes a POST without them.
func TestChangeFormWritesOnlyWhatTheUserChanged(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		v.setStock(p, 124)
		c := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"
		change := fmt.Sprintf("%s%d/change/", list, p.ID)

		page := c.get(change)
		page.expect(t, http.StatusOK, `name="stock"`)
		shown := pageForm(t, page.body, "changeform")
		for name, want := range map[string]string{"stock": "124", "initial-stock": "124", "initial-price": "1.50",
			"initial-is_active": "on", "initial-category": fmt.Sprint(f.books.ID), "initial-notes": ""} {
			if got, ok := shown[name]; !ok || got[0] != want {
				t.Fatalf("the page shows %s = %q, want %q", name, got, want)
			}
		}
		if got := shown["initial-tags"]; len(got) != 1 || got[0] != "" {
			t.Fatalf("an empty many-to-many is shown as %q, want the one empty input", got)
		}
		shown.Set("_save", "1")

		// Three sold meanwhile; the user only writes notes.
		v.sell(p.ID, 3)
		edit := cloneValues(shown)
		edit.Set("notes", "Now with a longer cord.")
		c.post(change, edit).redirectsTo(t, list)
		got := v.product(p.ID)
		if got.Stock != 121 || got.Notes != "Now with a longer cord." || got.Price.String() != "1.5" {
			t.Fatalf("after editing the notes: stock %d, notes %q, price %s; want 121, the notes, 1.5", got.Stock, got.Notes, got.Price)
		}
		if msg := v.lastChange(p.ID); msg != "Changed notes." {
			t.Fatalf("history %q, want %q", msg, "Changed notes.")
		}

		// The same page again, the user now changing the stock the sale
		// changed: refused, nothing written.
		logged := v.changes(p.ID)
		edit = cloneValues(shown)
		edit.Set("stock", "130")
		edit.Set("price", "2.50")
		res := c.post(change, edit)
		res.expect(t, http.StatusOK, "Please correct the errors below.", staleMessage("121"))
		if got := v.product(p.ID); got.Stock != 121 || got.Price.String() != "1.5" || got.Notes != "Now with a longer cord." {
			t.Fatalf("a refused save wrote: stock %d, price %s, notes %q", got.Stock, got.Price, got.Notes)
		}
		if n := v.changes(p.ID); n != logged {
			t.Fatalf("a refused save was logged: %d changes, was %d", n, logged)
		}
		// The page shown again keeps the user's input, shows the current
		// stock as the initial one and the notes as they are now, so
		// saving it after a look goes through.
		again := pageForm(t, res.body, "changeform")
		for name, want := range map[string]string{"stock": "130", "initial-stock": "121", "price": "2.50",
			"notes": "Now with a longer cord.", "initial-notes": "Now with a longer cord."} {
			if got := again.Get(name); got != want {
				t.Fatalf("the refused page shows %s = %q, want %q", name, got, want)
			}
		}
		again.Set("_save", "1")
		c.post(change, again).redirectsTo(t, list)
		if got := v.product(p.ID); got.Stock != 130 || got.Price.String() != "2.5" || got.Notes != "Now with a longer cord." {
			t.Fatalf("after saving again: stock %d, price %s, notes %q", got.Stock, got.Price, got.Notes)
		}
		if msg := v.lastChange(p.ID); msg != "Changed price and stock." {
			t.Fatalf("history %q, want %q", msg, "Changed price and stock.")
		}

		// Someone else making the very change the user makes is no conflict.
		shown = pageForm(t, c.get(change).body, "changeform")
		shown.Set("_save", "1")
		v.sell(p.ID, 10)
		edit = cloneValues(shown)
		edit.Set("stock", "120")
		c.post(change, edit).redirectsTo(t, list)
		if got := v.product(p.ID); got.Stock != 120 {
			t.Fatalf("stock %d, want 120", got.Stock)
		}

		// Many-to-many: a tag added meanwhile stays when the user does
		// not touch the tags, and a change of the user's is refused.
		shown = pageForm(t, c.get(change).body, "changeform")
		shown.Set("_save", "1")
		if err := v.product(p.ID).Tags.Add(v.ctx, f.tag); err != nil {
			t.Fatal(err)
		}
		edit = cloneValues(shown)
		edit.Set("price", "3.00")
		c.post(change, edit).redirectsTo(t, list)
		tagged, err := v.product(p.ID).Tags.All(v.ctx)
		if err != nil || len(tagged) != 1 {
			t.Fatalf("tags after a save that did not touch them: %v, %v", tagged, err)
		}
		if msg := v.lastChange(p.ID); msg != "Changed price." {
			t.Fatalf("history %q, want %q", msg, "Changed price.")
		}
		sale := &Tag{Name: "sale"}
		if err := tags.Save(v.ctx, sale); err != nil {
			t.Fatal(err)
		}
		edit = cloneValues(shown)
		edit["tags"] = []string{fmt.Sprint(sale.ID)}
		c.post(change, edit).expect(t, http.StatusOK, staleMessage("new"))
		if tagged, _ := v.product(p.ID).Tags.All(v.ctx); len(tagged) != 1 || tagged[0].ID != f.tag.ID {
			t.Fatalf("a refused save changed the tags: %v", tagged)
		}

		// A refused page shows the fields the user left alone as they are
		// now, many-to-many ones included.
		shown = pageForm(t, c.get(change).body, "changeform")
		shown.Set("_save", "1")
		if err := v.product(p.ID).Tags.Clear(v.ctx); err != nil {
			t.Fatal(err)
		}
		v.sell(p.ID, 5)
		edit = cloneValues(shown)
		edit.Set("stock", "100")
		res = c.post(change, edit)
		res.expect(t, http.StatusOK, staleMessage("115"))
		again = pageForm(t, res.body, "changeform")
		if again["tags"] != nil || strings.Join(again["initial-tags"], ",") != "" || again.Get("stock") != "100" {
			t.Fatalf("the refused page shows tags %q (initial %q), stock %q; want none, none, 100", again["tags"], again["initial-tags"], again.Get("stock"))
		}

		// A POST without the page's values (an older page, a script)
		// compares with the database, as before.
		cur := v.product(p.ID)
		script := productForm(f, map[string]string{"name": cur.Name, "sku": cur.SKU, "slug": cur.Slug, "price": "3.00",
			"stock": fmt.Sprint(cur.Stock), "notes": "Scripted."})
		c.post(change, script).redirectsTo(t, list)
		if got := v.product(p.ID); got.Notes != "Scripted." || got.Stock != cur.Stock {
			t.Fatalf("a POST without initial values saved notes %q, stock %d", got.Notes, got.Stock)
		}
		if msg := v.lastChange(p.ID); msg != "Changed notes." {
			t.Fatalf("history %q, want %q", msg, "Changed notes.")
		}
	})
}

// TestInlineRowsWriteOnlyWhatTheUserChanged: an existing inline row is
// saved as the parent is: only what the user changed, refused when
// someone else changed it too.
func TestInlineRowsWriteOnlyWhatTheUserChanged(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		r := &Review{Product: orm.FK[Product]{ID: p.ID}, Rating: 4, Body: "Good."}
		if err := reviews.Save(v.ctx, r); err != nil {
			t.Fatal(err)
		}
		c := v.as(v.user("root", true, true))
		list := "/admin/admintest/product/"
		change := fmt.Sprintf("%s%d/change/", list, p.ID)
		shown := pageForm(t, c.get(change).body, "changeform")
		shown.Set("_save", "1")
		if shown.Get("initial-reviews-0-rating") != "4" {
			t.Fatalf("the inline row shows initial rating %q, want 4", shown.Get("initial-reviews-0-rating"))
		}
		setRating := func(n int) {
			t.Helper()
			if _, err := reviews.Objects().Filter(orm.Q{"pk": r.ID}).Update(v.ctx, orm.Values{"rating": n}); err != nil {
				t.Fatal(err)
			}
		}
		setRating(2)
		edit := cloneValues(shown)
		edit.Set("reviews-0-body", "Good, but dim.")
		c.post(change, edit).redirectsTo(t, list)
		got, err := reviews.Objects().Get(v.ctx, orm.Q{"pk": r.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Rating != 2 || got.Body != "Good, but dim." {
			t.Fatalf("review after editing its body: rating %d, body %q", got.Rating, got.Body)
		}
		if msg := v.lastChange(p.ID); msg != "Changed body for review “2 stars”." {
			t.Fatalf("history %q", msg)
		}

		edit = cloneValues(shown)
		edit.Set("reviews-0-rating", "5")
		edit.Set("price", "9.00")
		c.post(change, edit).expect(t, http.StatusOK, staleMessage("2"))
		if got, _ := reviews.Objects().Get(v.ctx, orm.Q{"pk": r.ID}); got.Rating != 2 {
			t.Fatalf("a refused inline row was saved: rating %d", got.Rating)
		}
		if got := v.product(p.ID); got.Price.String() != "1.5" {
			t.Fatalf("the parent of a refused inline row was saved: price %s", got.Price)
		}
	})
}

// listSite edits price and stock on the product list, as the shop does.
func listSite() *Site {
	s := NewSite()
	Register(s, categories, ModelAdmin[Category]{})
	Register(s, products, ModelAdmin[Product]{Options: Options{
		ListDisplay:  []string{"name", "price", "stock"},
		ListEditable: []string{"price", "stock"},
	}})
	return s
}

// TestListEditableWritesOnlyWhatTheUserChanged is the change form's test
// for the change list's editable rows: a row the user changed is refused,
// with the error on that row, when someone else changed the same field,
// and then nothing of the list is saved.
func TestListEditableWritesOnlyWhatTheUserChanged(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		w := siteEnv(t, v.ctx, listSite())
		f := w.fixtures(2)
		p0, p1 := f.products[0], f.products[1]
		w.setStock(p0, 124)
		c := w.as(w.user("root", true, true))
		list := "/admin/admintest/product/"

		shown := pageForm(t, c.get(list).body, "changelist-form")
		for name, want := range map[string]string{"form-0-id": fmt.Sprint(p0.ID), "form-0-stock": "124",
			"initial-form-0-stock": "124", "initial-form-0-price": "1.50", "initial-form-1-price": "2.50"} {
			if got := shown.Get(name); got != want {
				t.Fatalf("the list shows %s = %q, want %q", name, got, want)
			}
		}
		shown.Set("_save", "1")

		w.sell(p0.ID, 3)
		edit := cloneValues(shown)
		edit.Set("form-0-price", "19.99")
		c.post(list, edit).redirectsTo(t, list)
		if got := w.product(p0.ID); got.Stock != 121 || got.Price.String() != "19.99" {
			t.Fatalf("after changing the price: stock %d, price %s; want 121, 19.99", got.Stock, got.Price)
		}
		if msg := w.lastChange(p0.ID); msg != "Changed price." {
			t.Fatalf("history %q, want %q", msg, "Changed price.")
		}
		if n := w.changes(p1.ID); n != 0 {
			t.Fatalf("the untouched row was saved: %d changes", n)
		}
		c.get(list).expect(t, http.StatusOK, "1 product was changed successfully.")

		// The old page again: row 0's stock changed by the user and by the
		// sale, row 1's price by the user only (and its stock by a sale).
		// Nothing is saved.
		w.sell(p1.ID, 1)
		edit = cloneValues(shown)
		edit.Set("form-0-stock", "130")
		edit.Set("form-1-price", "5.55")
		res := c.post(list, edit)
		res.expect(t, http.StatusOK, "Please correct the errors below.")
		rowError := regexp.MustCompile(`id="id_form-0-stock_error"[^>]*>\s*<li>([^<]*)</li>`).FindStringSubmatch(res.body)
		if rowError == nil || html.UnescapeString(rowError[1]) != staleMessage("121") {
			t.Fatalf("row 0's stock error: %q; body:\n%s", rowError, res.body)
		}
		if strings.Contains(res.body, `id="id_form-1-price_error"`) {
			t.Error("row 1, which no one else changed, shows an error")
		}
		if got := w.product(p0.ID); got.Stock != 121 || got.Price.String() != "19.99" {
			t.Fatalf("a refused list save wrote row 0: stock %d, price %s", got.Stock, got.Price)
		}
		if got := w.product(p1.ID); got.Price.String() != "2.5" || got.Stock != 0 {
			t.Fatalf("a refused list save wrote row 1: price %s, stock %d", got.Price, got.Stock)
		}
		// Shown again with the user's input and, where the user changed
		// nothing, the current values: saving now goes through.
		again := pageForm(t, res.body, "changelist-form")
		for name, want := range map[string]string{"form-0-stock": "130", "initial-form-0-stock": "121",
			"form-0-price": "19.99", "initial-form-0-price": "19.99", "form-1-price": "5.55", "initial-form-1-price": "2.50",
			"form-1-stock": "0", "initial-form-1-stock": "0"} {
			if got := again.Get(name); got != want {
				t.Fatalf("the refused list shows %s = %q, want %q", name, got, want)
			}
		}
		again.Set("_save", "1")
		c.post(list, again).redirectsTo(t, list)
		if got := w.product(p0.ID); got.Stock != 130 || got.Price.String() != "19.99" {
			t.Fatalf("row 0 after saving again: stock %d, price %s", got.Stock, got.Price)
		}
		if got := w.product(p1.ID); got.Price.String() != "5.55" || got.Stock != 0 {
			t.Fatalf("row 1 after saving again: price %s, stock %d", got.Price, got.Stock)
		}
		if msg := w.lastChange(p0.ID); msg != "Changed stock." {
			t.Fatalf("row 0's history %q, want %q", msg, "Changed stock.")
		}

		// A POST without the page's values compares with the database.
		c.post(list, url.Values{"_save": {"1"}, "form-TOTAL_FORMS": {"1"}, "form-INITIAL_FORMS": {"1"},
			"form-0-id": {fmt.Sprint(p1.ID)}, "form-0-price": {"5.55"}, "form-0-stock": {"9"}}).redirectsTo(t, list)
		if got := w.product(p1.ID); got.Stock != 9 || got.Price.String() != "5.55" {
			t.Fatalf("a POST without initial values saved stock %d, price %s", got.Stock, got.Price)
		}
		if msg := w.lastChange(p1.ID); msg != "Changed stock." {
			t.Fatalf("history %q, want %q", msg, "Changed stock.")
		}
	})
}

// TestSaveModelGetsCurrentValues: SaveModel saves the object whole, and
// gets it with the database's values in the fields the user did not
// change, so a sale made meanwhile is kept.
func TestSaveModelGetsCurrentValues(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		var calls []string
		w := siteEnv(t, v.ctx, saveModelSite(&calls))
		f := w.fixtures(1)
		p := f.products[0]
		w.setStock(p, 50)
		c := w.as(w.user("root", true, true))
		list := "/admin/admintest/product/"
		change := fmt.Sprintf("%s%d/change/", list, p.ID)
		shown := pageForm(t, c.get(change).body, "changeform")
		shown.Set("_save", "1")
		w.sell(p.ID, 3)
		shown.Set("name", "Lamp")
		c.post(change, shown).redirectsTo(t, list)
		if got := w.product(p.ID); got.Name != "Lamp" || got.Stock != 47 || got.Notes != "saved by root" {
			t.Fatalf("after SaveModel: name %q, stock %d, notes %q; want Lamp, 47, saved by root", got.Name, got.Stock, got.Notes)
		}
		if len(calls) != 1 {
			t.Fatalf("SaveModel calls %q", calls)
		}
	})
}

// TestLockCurrentDeletedMeanwhile: an object deleted between the page's
// load and its save is not written again (Save would insert it); the form
// says so.
func TestLockCurrentDeletedMeanwhile(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		e := v.site.lookup("admintest", "product")
		fm := e.newForm(p, false, "")
		fm.page = true
		p.Price = decimal.RequireFromString("9.99")
		fm.markChanged(formField{name: "price", f: products.Meta.Field("price")})
		if _, err := products.Objects().Filter(orm.Q{"pk": p.ID}).Delete(v.ctx); err != nil {
			t.Fatal(err)
		}
		err := orm.Atomic(v.ctx, func(ctx context.Context) error {
			if err := fm.lockCurrent(ctx, e.allFormFields(false)); err != nil {
				return err
			}
			return fm.saveCurrent(ctx)
		})
		if !errors.Is(err, errStale) {
			t.Fatalf("err = %v, want errStale", err)
		}
		if want := "The product “Product 00” was deleted by someone else since you opened the page."; len(fm.errors[""]) != 1 || fm.errors[""][0] != want {
			t.Fatalf("errors %q, want %q", fm.errors[""], want)
		}
		if n, _ := products.Objects().Count(v.ctx); n != 0 {
			t.Fatalf("%d products: the deleted one was written again", n)
		}
	})
}

// TestSaveLocksTheRow: the row stays locked from the read of its current
// values to the end of the save, so an order cannot take stock in between
// and have it written back.
func TestSaveLocksTheRow(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		db := orm.FromContext(v.ctx)
		if db.Vendor() != "postgres" {
			return // SQLite has no row locks: a write transaction takes the database's at BEGIN
		}
		var lockErr error
		s := NewSite()
		Register(s, categories, ModelAdmin[Category]{})
		Register(s, products, ModelAdmin[Product]{SaveModel: func(ctx context.Context, p *Product, adding bool) error {
			elsewhere := orm.WithDB(context.Background(), db) // another connection, outside this transaction
			lockErr = orm.Atomic(elsewhere, func(ctx context.Context) error {
				_, err := products.Objects().Filter(orm.Q{"pk": p.ID}).SelectForUpdate(orm.NoWait()).All(ctx)
				return err
			})
			return products.Save(ctx, p)
		}})
		w := siteEnv(t, v.ctx, s)
		p := w.fixtures(1).products[0]
		c := w.as(w.user("root", true, true))
		change := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)
		form := pageForm(t, c.get(change).body, "changeform")
		form.Set("notes", "Locked while saved.")
		form.Set("_save", "1")
		c.post(change, form).redirectsTo(t, "/admin/admintest/product/")
		// 55P03 is PostgreSQL's lock_not_available: NOWAIT found it locked.
		if lockErr == nil || !strings.Contains(lockErr.Error(), "55P03") {
			t.Fatalf("another transaction locking the row while the admin saved it: %v, want lock_not_available", lockErr)
		}
		if got := w.product(p.ID); got.Notes != "Locked while saved." {
			t.Fatalf("notes %q", got.Notes)
		}
	})
}

// TestCanon: one value written two ways compares equal, and different
// values do not.
func TestCanon(t *testing.T) {
	for _, c := range []struct {
		field, a, b string
		same        bool
	}{
		{"price", "2.5", "2.50", true},
		{"price", "2.5", "2.51", false},
		{"stock", "007", "7", true},
		{"name", " Lamp ", "Lamp", true},
		{"name", "Lamp", "lamp", false},
		{"notes", "one\r\ntwo", "one\ntwo", true},
		{"notes", " one", "one", false}, // a text keeps its spaces
		{"is_active", "on", "true", true},
		{"is_active", "", "on", false},
		{"released", "", "", true},
		{"category", "3", " 3", true},
		{"status", "gone", "gone", true}, // not a choice: compared as it is
		{"status", "gone", "draft", false},
	} {
		f := products.Meta.Field(c.field)
		if got := canon(f, c.a) == canon(f, c.b); got != c.same {
			t.Errorf("%s: %q and %q the same = %v, want %v", c.field, c.a, c.b, got, c.same)
		}
	}
}
