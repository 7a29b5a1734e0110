package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/quarry-go/quarry/orm"
)

const (
	exportURL = "/admin/admintest/product/export/"
	importURL = "/admin/admintest/product/import/"
	// importHeader is the header import takes for products.
	importHeader = "id,name,sku,slug,category,price,stock,is_active,status,released,notes,tags"
)

// upload posts content as the import form's file, with the CSRF token.
func (c *client) upload(path, content string) *response {
	c.v.t.Helper()
	if c.cookies["csrftoken"] == nil {
		c.get("/admin/login/")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("_csrf", c.cookies["csrftoken"].Value); err != nil {
		c.v.t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "products.csv")
	if err != nil {
		c.v.t.Fatal(err)
	}
	if _, err := io.WriteString(fw, content); err != nil {
		c.v.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		c.v.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var tokenRe = regexp.MustCompile(`name="token" value="([^"]+)"`)

// token is the preview's confirmation token; "" when it offers none.
func (r *response) token() string {
	if m := tokenRe.FindStringSubmatch(r.body); m != nil {
		return m[1]
	}
	return ""
}

func (c *client) confirm(path, token string) *response {
	return c.post(path, url.Values{"token": {token}, "_confirm": {"1"}})
}

// records parses an export, checking it is one.
func (r *response) records(t *testing.T) [][]string {
	t.Helper()
	r.expect(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, r.body)
	}
	return recs
}

// column is one column of the records after the header.
func column(recs [][]string, i int) []string {
	var out []string
	for _, rec := range recs[1:] {
		out = append(out, rec[i])
	}
	return out
}

func (v *env) tag(name string) *Tag {
	v.t.Helper()
	tg := &Tag{Name: name}
	if err := tags.Save(v.ctx, tg); err != nil {
		v.t.Fatal(err)
	}
	return tg
}

func (v *env) setTags(p *Product, ts ...*Tag) {
	v.t.Helper()
	if err := p.Tags.Set(v.ctx, ts); err != nil {
		v.t.Fatal(err)
	}
}

func (v *env) product(pk int64) *Product {
	v.t.Helper()
	p, err := products.Objects().Get(v.ctx, orm.Q{"pk": pk})
	if err != nil {
		v.t.Fatal(err)
	}
	return p
}

func (v *env) count(m interface {
	Count(context.Context) (int64, error)
}) int64 {
	v.t.Helper()
	n, err := m.Count(v.ctx)
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}

func TestExportCSV(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		sale := v.tag("sale")
		v.setTags(f.products[0], f.tag)
		v.setTags(f.products[1], sale, f.tag)
		released := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
		p1 := f.products[1]
		p1.Released, p1.Notes, p1.IsActive = &released, "multi\nline, \"quoted\"", false
		if err := products.Save(v.ctx, p1); err != nil {
			t.Fatal(err)
		}
		created := time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)
		if _, err := products.Objects().Update(v.ctx, orm.Values{"created_at": created}); err != nil {
			t.Fatal(err)
		}

		before := time.Now().UTC().Format("20060102")
		res := v.as(v.user("root", true, true)).get(exportURL)
		after := time.Now().UTC().Format("20060102")
		res.expect(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		cd := res.Header.Get("Content-Disposition")
		if cd != `attachment; filename="products-`+before+`.csv"` && cd != `attachment; filename="products-`+after+`.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		want := "id,name,sku,slug,category,price,stock,is_active,status,released,notes,created_at,tags\n" +
			fmt.Sprintf("%d,Product 00,SKU-00,product-00,%d,1.50,0,1,draft,,,2024-05-06T07:08,%d\n", f.products[0].ID, f.books.ID, f.tag.ID) +
			fmt.Sprintf("%d,Product 01,SKU-01,product-01,%d,2.50,1,0,draft,2024-01-02,\"multi\nline, \"\"quoted\"\"\",2024-05-06T07:08,%d|%d\n",
				p1.ID, f.games.ID, f.tag.ID, sale.ID)
		if res.body != want {
			t.Fatalf("export:\n%s\nwant:\n%s", res.body, want)
		}
	})
}

func TestExportFollowsChangeList(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(4)
		if _, err := products.Objects().Filter(orm.Q{"pk__in": []int64{f.products[1].ID, f.products[3].ID}}).
			Update(v.ctx, orm.Values{"is_active": false}); err != nil {
			t.Fatal(err)
		}
		c := v.as(v.user("root", true, true))
		names := func(query string) string {
			t.Helper()
			return strings.Join(column(c.get(exportURL+query).records(t), 1), ",")
		}
		sel := fmt.Sprintf("_selected_action=%d&_selected_action=%d", f.products[0].ID, f.products[3].ID)
		for query, want := range map[string]string{
			"":                           "Product 00,Product 01,Product 02,Product 03",
			"?is_active__exact=0":        "Product 01,Product 03",
			"?q=SKU-02":                  "Product 02",
			"?q=nothing+matches":         "",
			"?o=-1":                      "Product 03,Product 02,Product 01,Product 00",
			"?" + sel:                    "Product 00,Product 03",
			"?is_active__exact=0&" + sel: "Product 03",
			"?p=2&all=":                  "Product 00,Product 01,Product 02,Product 03", // paging is the page's, not the export's
		} {
			if got := names(query); got != want {
				t.Errorf("export%s: %s, want %s", query, got, want)
			}
		}
	})
}

func TestExportEscapesFormulas(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		p0, p1 := f.products[0], f.products[1]
		p0.Name, p0.Notes = "=cmd()", "+1"
		p1.Name, p1.Notes, p1.Price = "'=quoted", "@SUM(A1)\t", decimal.RequireFromString("-5")
		for _, p := range []*Product{p0, p1} {
			if err := products.Save(v.ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		c := v.as(v.user("root", true, true))
		res := c.get(exportURL + "?o=2") // by SKU: p0 first
		recs := res.records(t)
		if got := [][]string{{recs[1][1], recs[1][10]}, {recs[2][1], recs[2][10], recs[2][5]}}; fmt.Sprint(got) != fmt.Sprint([][]string{
			{"'=cmd()", "'+1"}, {"''=quoted", "'@SUM(A1)\t", "-5.00"}}) {
			t.Fatalf("escaped cells %q", got)
		}

		// The escaping is undone on import: the export imports back as
		// the same data.
		pv := c.upload(importURL, res.body)
		pv.expect(t, http.StatusOK, "0 to create, 2 to update, 0 with errors.")
		c.confirm(importURL, pv.token()).redirectsTo(t, "/admin/admintest/product/")
		if got := v.product(p0.ID); got.Name != "=cmd()" || got.Notes != "+1" {
			t.Errorf("after the round trip: %q %q", got.Name, got.Notes)
		}
		if got := v.product(p1.ID); got.Name != "'=quoted" || got.Notes != "@SUM(A1)\t" || got.Price.String() != "-5" {
			t.Errorf("after the round trip: %q %q %s", got.Name, got.Notes, got.Price)
		}
		if again := c.get(exportURL + "?o=2"); again.body != res.body {
			t.Errorf("export changed by its own import:\n%s\nwas:\n%s", again.body, res.body)
		}
	})
}

func TestExportQueries(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		sale := v.tag("sale")
		c := v.as(v.user("root", true, true))
		add := func(n int) {
			for i := int(v.count(products.Objects())); i < n; i++ {
				p := products.New()
				p.Name, p.SKU, p.Slug = fmt.Sprintf("Product %02d", i), fmt.Sprintf("SKU-%02d", i), fmt.Sprintf("p-%d", i)
				p.Category.Set(f.books)
				p.Price = decimal.RequireFromString("1")
				if err := products.Save(v.ctx, p); err != nil {
					t.Fatal(err)
				}
				v.setTags(p, f.tag, sale)
			}
		}
		counts := map[int]int{}
		for _, n := range []int{3, 20} {
			add(n)
			counts[n] = v.queries(func() {
				if recs := c.get(exportURL).records(t); len(recs) != n+1 || recs[n][12] != fmt.Sprintf("%d|%d", f.tag.ID, sale.ID) {
					t.Fatalf("%d rows exported for %d products: %v", len(recs)-1, n, recs[n])
				}
			})
		}
		t.Logf("export queries: %v", counts)
		if counts[3] != counts[20] {
			t.Fatalf("export queries grow with its rows: %v", counts)
		}
		// session, user, rows, their tags.
		if counts[3] > 4 {
			t.Errorf("an export runs %d queries", counts[3])
		}

		// In chunks, every row comes once and in order; each chunk is two
		// queries.
		defer func(n int) { exportChunk = n }(exportChunk)
		exportChunk = 7
		var recs [][]string
		chunked := v.queries(func() { recs = c.get(exportURL + "?o=2").records(t) })
		skus := column(recs, 2)
		for i, s := range skus {
			if s != fmt.Sprintf("SKU-%02d", i) {
				t.Fatalf("chunked export: %v", skus)
			}
		}
		if len(skus) != 20 || chunked != counts[20]+4 {
			t.Errorf("chunked export: %d rows in %d queries (unchunked %d)", len(skus), chunked, counts[20])
		}
	})
}

func TestImportPage(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		res := v.as(v.user("root", true, true)).get(importURL)
		res.expect(t, http.StatusOK, "Import products", `enctype="multipart/form-data"`, `name="file"`, `name="_csrf"`)
		for _, col := range strings.Split(importHeader, ",") {
			if !strings.Contains(res.body, "<code>"+col+"</code>") {
				t.Errorf("column %s not listed", col)
			}
		}
		if strings.Contains(res.body, "<code>created_at</code>") {
			t.Error("a non-editable field is offered for import")
		}
	})
}

func TestImportPreview(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		p0 := f.products[0]
		b := f.books.ID
		file := importHeader + "\n" +
			fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,19.99,3,1,draft,,,%d\n", b, f.tag.ID) +
			fmt.Sprintf("%d,Product 00,SKU-00,product-00,%d,2.00,0,1,draft,,,\n", p0.ID, b) +
			fmt.Sprintf(",Bad,BAD-1,bad,%d,abc,0,1,draft,,,\n", b) +
			fmt.Sprintf(",,NONAME,noname,%d,1,0,1,draft,,,\n", b) +
			fmt.Sprintf(",Lamp two,LAMP-1,lamp-2,%d,5,0,1,draft,,,\n", b) +
			fmt.Sprintf("999999,Ghost,GHOST,ghost,%d,1,0,1,draft,,,\n", b) +
			",,,,,,,,,,,\n" // a blank spreadsheet line
		c := v.as(v.user("root", true, true))
		res := c.upload(importURL, file)
		res.expect(t, http.StatusOK, "1 to create, 1 to update, 4 with errors.",
			"badge-create", "badge-update", "badge-error",
			"price: Enter a number.", "name: This field is required.",
			"sku: Product with this SKU already exists.", "No product with id 999999.",
			"Nothing was imported.", "Ghost")
		if res.token() != "" || strings.Contains(res.body, `name="_confirm"`) {
			t.Error("a file with errors can be confirmed")
		}
		// The error is on the second LAMP-1 row (line 6), not the first.
		if strings.Count(res.body, "Product with this SKU already exists.") != 1 {
			t.Error("the duplicate SKU is reported more than once")
		}
		if n := v.count(products.Objects()); n != 2 {
			t.Fatalf("%d products after a preview, want 2", n)
		}
		if got := v.product(p0.ID); got.Price.String() != "1.5" {
			t.Fatalf("the preview changed the price to %s", got.Price)
		}
		if n := v.count(LogEntries.Objects()); n != 0 {
			t.Fatalf("%d log entries after a preview", n)
		}

		// Confirming without a token the preview gave is refused.
		c.confirm(importURL, "forged").expect(t, http.StatusOK, errImportExpired)
		if n := v.count(products.Objects()); n != 2 {
			t.Fatalf("%d products after a refused confirmation", n)
		}
	})
}

func TestImportConfirm(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(2)
		sale := v.tag("sale")
		p0 := f.products[0]
		v.setTags(p0, f.tag)
		file := "\uFEFF" + importHeader + "\r\n" + // Excel's BOM and line ends
			fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,19.99,3,1,published,2024-03-04,A lamp.,%d|%d\r\n", f.books.ID, f.tag.ID, sale.ID) +
			fmt.Sprintf("%d,Product 00,SKU-00,product-00,%d,2.00,0,1,draft,,, %d \r\n", p0.ID, f.books.ID, sale.ID)
		c := v.as(v.user("root", true, true))
		pv := c.upload(importURL, file)
		pv.expect(t, http.StatusOK, "1 to create, 1 to update, 0 with errors.", "Confirm import")
		tok := pv.token()
		if tok == "" {
			t.Fatal("no token in a valid preview")
		}

		var sqls []string
		v.observer = func(ev orm.QueryEvent) { sqls = append(sqls, ev.SQL) }
		res := c.confirm(importURL, tok)
		v.observer = nil
		res.redirectsTo(t, "/admin/admintest/product/")
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d, want 303", res.StatusCode)
		}
		begins, commits, inTx := 0, 0, false
		for _, q := range sqls {
			switch {
			case q == "BEGIN":
				begins, inTx = begins+1, true
			case q == "COMMIT":
				commits, inTx = commits+1, false
			case q == "ROLLBACK":
				t.Error("the import rolled back")
			case !inTx && (strings.HasPrefix(q, "INSERT") || strings.HasPrefix(q, "UPDATE") || strings.HasPrefix(q, "DELETE")) &&
				!strings.Contains(q, "session"):
				t.Errorf("written outside the transaction: %s", q)
			}
		}
		if begins != 1 || commits != 1 {
			t.Errorf("%d transactions begun, %d committed; want one", begins, commits)
		}

		if n := v.count(products.Objects()); n != 3 {
			t.Fatalf("%d products after the import, want 3", n)
		}
		lamp, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		if lamp.Name != "Lamp" || lamp.Price.String() != "19.99" || lamp.Stock != 3 || lamp.Status != "published" ||
			lamp.Released == nil || lamp.Released.Format(time.DateOnly) != "2024-03-04" || lamp.Notes != "A lamp." || lamp.Category.ID != f.books.ID {
			t.Fatalf("created %+v", lamp)
		}
		tagNames := func(p *Product) string {
			ts, err := p.Tags.All(v.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, tg := range ts {
				out = append(out, tg.Name)
			}
			return strings.Join(out, ",")
		}
		if got := tagNames(lamp); got != "new,sale" {
			t.Errorf("created with tags %q", got)
		}
		got := v.product(p0.ID)
		if got.Price.String() != "2" || tagNames(got) != "sale" {
			t.Errorf("updated to price %s, tags %q", got.Price, tagNames(got))
		}

		entries, err := LogEntries.Objects().OrderBy("id").All(v.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		for _, l := range entries {
			log = append(log, fmt.Sprintf("%d %s %s", l.ActionFlag, l.ObjectRepr, l.ChangeMessage))
		}
		if want := []string{"1 Lamp Added.", "2 Product 00 Changed price and tags."}; fmt.Sprint(log) != fmt.Sprint(want) {
			t.Errorf("log %q, want %q", log, want)
		}
		c.get("/admin/admintest/product/").expect(t, http.StatusOK, "Import finished: 1 created, 1 updated.")

		// The token is spent: a second click imports nothing more.
		c.confirm(importURL, tok).expect(t, http.StatusOK, errImportExpired)
		if n := v.count(products.Objects()); n != 3 {
			t.Fatalf("%d products after confirming twice", n)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p0 := f.products[0]
		c := v.as(v.user("root", true, true))
		file := importHeader + "\n" +
			fmt.Sprintf("%d,Product 00,SKU-00,product-00,%d,9.00,0,1,draft,,,\n", p0.ID, f.books.ID) +
			fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,1,0,1,draft,,,\n", f.books.ID) +
			fmt.Sprintf(",Desk,DESK-1,desk,%d,1,0,1,draft,,,\n", f.books.ID)
		unchanged := func(when string) {
			t.Helper()
			if n := v.count(products.Objects()); n != 2 { // p0 and the intruder below
				t.Fatalf("%s: %d products, want 2", when, n)
			}
			if got := v.product(p0.ID); got.Price.String() != "1.5" {
				t.Fatalf("%s: the first row was applied (price %s)", when, got.Price)
			}
			if n := v.count(LogEntries.Objects()); n != 0 {
				t.Fatalf("%s: %d log entries", when, n)
			}
		}

		// The database changed after the preview: the confirmation
		// validates again and shows the row that no longer passes.
		tok := c.upload(importURL, file).token()
		intruder := &Product{Name: "Intruder", SKU: "DESK-1", Slug: "intruder", Price: decimal.NewFromInt(1)}
		intruder.Category.Set(f.games)
		if err := products.Save(v.ctx, intruder); err != nil {
			t.Fatal(err)
		}
		res := c.confirm(importURL, tok)
		res.expect(t, http.StatusOK, "sku: Product with this SKU already exists.", "1 to create, 1 to update, 1 with errors.", "Nothing was imported.")
		unchanged("revalidated")

		// A row the database refuses while saving (a concurrent insert
		// that passed validation) rolls back the rows saved before it.
		if _, err := products.Objects().Filter(orm.Q{"pk": intruder.ID}).Update(v.ctx, orm.Values{"sku": "OTHER"}); err != nil {
			t.Fatal(err)
		}
		tok = c.upload(importURL, file).token()
		if tok == "" {
			t.Fatal("no token")
		}
		once := false
		disconnect := products.PreSave.Connect(func(ctx context.Context, e orm.SaveEvent[Product]) error {
			if e.Instance.SKU != "DESK-1" || once {
				return nil
			}
			once = true
			_, err := products.Objects().Filter(orm.Q{"pk": intruder.ID}).Update(ctx, orm.Values{"sku": "DESK-1"})
			return err
		})
		defer disconnect()
		res = c.confirm(importURL, tok)
		res.expect(t, http.StatusOK, "sku: Product with this SKU already exists.", "Nothing was imported.")
		disconnect()
		// The intruder's change ran in the import's transaction: it is
		// rolled back with the rest.
		if got := v.product(intruder.ID); got.SKU != "OTHER" {
			t.Errorf("intruder's SKU %q", got.SKU)
		}
		unchanged("refused on save")
	})
}

func TestImportFileErrors(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		c := v.as(v.user("root", true, true))
		row := fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,1,0,1,draft,,,\n", f.books.ID)
		for name, tc := range map[string]struct{ file, want string }{
			"unknown":  {importHeader + ",colour,size\n" + strings.TrimSuffix(row, "\n") + ",red,L\n", "The file has unknown columns: “colour”, “size”."},
			"missing":  {"name,sku,slug,category\nLamp,LAMP-1,lamp,1\n", "The file lacks the required column “price”."},
			"twice":    {importHeader + ",sku\n" + strings.TrimSuffix(row, "\n") + ",X\n", "The column “sku” appears more than once."},
			"empty":    {"", "The submitted file is empty."},
			"no rows":  {importHeader + "\n", "The file has no rows to import."},
			"ragged":   {importHeader + "\n" + row + "1,2\n", "Line 3 has 2 columns; the header has 12."},
			"not csv":  {importHeader + "\n" + `,"Lamp,LAMP-1` + "\n", "The file is not valid CSV"},
			"not utf8": {importHeader + "\n,L\xe4mp,LAMP-1,lamp,1,1,0,1,draft,,,\n", "The file is not UTF-8 text."},
		} {
			res := c.upload(importURL, tc.file)
			res.expect(t, http.StatusOK, tc.want, `id="import-error"`)
			if res.token() != "" {
				t.Errorf("%s: a token for a bad file", name)
			}
		}
		// Too many rows.
		var big strings.Builder
		big.WriteString(importHeader + "\n")
		for i := range maxImportRows + 1 {
			fmt.Fprintf(&big, ",P,S%d,s%d,1,1,0,1,draft,,,\n", i, i)
		}
		c.upload(importURL, big.String()).expect(t, http.StatusOK, "The file has more than 10,000 rows.")
		// No file, or not a multipart form.
		c.post(importURL, nil).expect(t, http.StatusOK, "No file was submitted. Check the encoding type on the form.")
		if n := v.count(products.Objects()); n != 0 {
			t.Fatalf("%d products imported from bad files", n)
		}

		// The columns import passes over (the export's created_at, an
		// unnamed one) and optional columns left out are fine.
		res := c.upload(importURL, "name,sku,slug,category,price,created_at,\nLamp,LAMP-1,lamp,"+fmt.Sprint(f.books.ID)+",1,2024-01-01T00:00,\n")
		res.expect(t, http.StatusOK, "1 to create, 0 to update, 0 with errors.")
		c.confirm(importURL, res.token()).redirectsTo(t, "/admin/admintest/product/")
		lamp, err := products.Objects().Get(v.ctx, orm.Q{"sku": "LAMP-1"})
		if err != nil {
			t.Fatal(err)
		}
		if !lamp.IsActive || lamp.Status != "draft" || lamp.CreatedAt.Year() == 2024 {
			t.Errorf("defaults not kept: %+v", lamp)
		}
	})
}

func TestImportExportPermissions(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(1)
		viewer := v.as(v.user("viewer", true, false, "admintest.view_product"))
		if recs := viewer.get(exportURL).records(t); len(recs) != 2 {
			t.Errorf("viewer exported %d rows", len(recs)-1)
		}
		viewer.get(importURL).expect(t, http.StatusForbidden)
		viewer.upload(importURL, importHeader+"\n").expect(t, http.StatusForbidden)
		viewer.get("/admin/admintest/product/").expect(t, http.StatusOK, exportURL)
		if res := viewer.get("/admin/admintest/product/"); strings.Contains(res.body, importURL) {
			t.Error("the change list offers a viewer the import")
		}

		adder := v.as(v.user("adder", true, false, "admintest.add_product", "admintest.view_product"))
		adder.get(importURL).expect(t, http.StatusForbidden)

		editor := v.as(v.user("editor", true, false, "admintest.add_product", "admintest.change_product"))
		editor.get(importURL).expect(t, http.StatusOK)
		editor.get(exportURL).expect(t, http.StatusOK)

		nobody := v.as(v.user("nobody", true, false))
		nobody.get(exportURL).expect(t, http.StatusForbidden)
		v.anonymous().get(exportURL).redirectsTo(t, "/admin/login/?next="+url.QueryEscape(exportURL))
	})
}

func TestImportTokenRefused(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(0)
		file := importHeader + "\n" + fmt.Sprintf(",Lamp,LAMP-1,lamp,%d,1,0,1,draft,,,\n", f.books.ID)
		ann := v.as(v.user("ann", true, true))
		bob := v.as(v.user("bob", true, true))
		tok := ann.upload(importURL, file).token()
		if tok == "" {
			t.Fatal("no token")
		}
		// Another user, or another model's import, cannot use it; it stays
		// good for its owner.
		bob.confirm(importURL, tok).expect(t, http.StatusOK, errImportExpired)
		ann.confirm("/admin/admintest/tag/import/", tok).expect(t, http.StatusOK, errImportExpired)
		if n := v.count(products.Objects()); n != 0 {
			t.Fatalf("%d products from a refused token", n)
		}
		ann.confirm(importURL, tok).redirectsTo(t, "/admin/admintest/product/")

		// After half an hour the upload is gone.
		file = importHeader + "\n" + fmt.Sprintf(",Desk,DESK-1,desk,%d,1,0,1,draft,,,\n", f.books.ID)
		tok = ann.upload(importURL, file).token()
		pendingImports.mu.Lock()
		pendingImports.m[tok].expires = time.Now().Add(-time.Second)
		pendingImports.mu.Unlock()
		ann.confirm(importURL, tok).expect(t, http.StatusOK, errImportExpired, `name="file"`)
		if n := v.count(products.Objects()); n != 1 {
			t.Fatalf("%d products after an expired token, want 1", n)
		}
		pendingImports.mu.Lock()
		_, kept := pendingImports.m[tok]
		pendingImports.mu.Unlock()
		if kept {
			t.Error("an expired upload is kept in memory")
		}
	})
}

func TestImportStoreBound(t *testing.T) {
	s := &importStore{m: map[string]*pendingImport{}}
	var toks []string
	for i := range maxPendingImports + 2 {
		toks = append(toks, s.put(1, "admintest.Product", []byte{byte(i)}))
		time.Sleep(time.Millisecond) // distinct expiry times
	}
	s.put(2, "admintest.Product", nil)
	if len(s.m) != maxPendingImports+1 {
		t.Fatalf("%d uploads kept, want %d", len(s.m), maxPendingImports+1)
	}
	if _, ok := s.take(toks[0], 1, "admintest.Product"); ok {
		t.Error("the oldest upload was kept")
	}
	if data, ok := s.take(toks[len(toks)-1], 1, "admintest.Product"); !ok || data[0] != byte(len(toks)-1) {
		t.Error("the newest upload was dropped")
	}
	if len(toks[0]) != 43 {
		t.Errorf("token %q is not 32 bytes of base64url", toks[0])
	}
}

func TestFormulaEscapingRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", "=1+1", "+1", "-x", "@a", "\tx", "\rx", "'", "'=x", "''=x", "'abc", "a=b"} {
		if got := unescapeFormula(escapeFormula(s)); got != s {
			t.Errorf("%q escapes to %q, reads back as %q", s, escapeFormula(s), got)
		}
		if e := escapeFormula(s); e != "" && strings.ContainsRune("=+-@\t\r", rune(e[0])) {
			t.Errorf("%q escapes to %q, which a spreadsheet runs", s, e)
		}
	}
}
