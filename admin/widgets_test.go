package admin

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
	ui "github.com/quarry-go/quarry/views/admin"
)

// postMultipart sends form and one file as multipart/form-data with the
// CSRF token.
func (c *client) postMultipart(path string, form url.Values, field, filename string, content []byte) *response {
	if c.cookies["csrftoken"] == nil {
		c.get("/admin/login/")
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vals := range form {
		for _, val := range vals {
			w.WriteField(k, val)
		}
	}
	w.WriteField("_csrf", c.cookies["csrftoken"].Value)
	if field != "" {
		fw, _ := w.CreateFormFile(field, filename)
		fw.Write(content)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func TestWidgets(t *testing.T) {
	media := t.TempDir()
	orm.SetMedia(media, "/media/")
	t.Cleanup(func() { orm.SetMedia("media", "/media/") })
	each(t, func(t *testing.T, v *env) {
		c := v.as(v.user("root", true, true))
		res := c.get("/admin/admintest/document/add/")
		res.expect(t, http.StatusOK, `type="email"`, `type="url"`, `type="time"`, `type="file"`, `multipart/form-data`,
			`name="data"`, `step="any"`, `name="views"`, `name="lasts"`)
		if strings.Contains(res.body, `name="key"`) {
			t.Error("the UUID is an input on the add form; it is read-only")
		}
		form := url.Values{"title": {"Manual"}, "contact": {"not an email"}, "homepage": {"nope"}, "data": {"{broken"},
			"opens": {"25:00"}, "lasts": {"soon"}, "weight": {"heavy"}, "views": {"1.5"}, "_save": {"1"}}
		res = c.postMultipart("/admin/admintest/document/add/", form, "", "", nil)
		res.expect(t, http.StatusOK, "Enter a valid email address.", "Enter a valid URL.", "Enter a valid JSON.",
			"Enter a valid time.", "Enter a valid duration.", "Enter a number.", "Enter a whole number.", `{broken`)

		form = url.Values{"title": {"Manual"}, "contact": {"a@example.com"}, "homepage": {"https://example.com/"},
			"data": {`{"pages": 12}`}, "opens": {"09:30"}, "lasts": {"01:30:00"}, "weight": {"1.25"}, "views": {"7"}, "_save": {"1"}}
		c.postMultipart("/admin/admintest/document/add/", form, "attachment", "manual.txt", []byte("hello")).
			redirectsTo(t, "/admin/admintest/document/")
		d, err := documents.Objects().Get(v.ctx, orm.Q{"title": "Manual"})
		if err != nil {
			t.Fatal(err)
		}
		if d.Data["pages"] != float64(12) || d.Lasts.String() != "1h30m0s" || d.Opens.Format("15:04") != "09:30" || d.Weight != 1.25 || d.Views != 7 {
			t.Fatalf("saved %+v", d)
		}
		if b, err := os.ReadFile(filepath.Join(media, filepath.FromSlash(d.Attachment.Name))); err != nil || string(b) != "hello" {
			t.Fatalf("attachment %q: %q, %v", d.Attachment.Name, b, err)
		}
		res = c.get("/admin/admintest/document/" + strconv.FormatInt(d.ID, 10) + "/change/")
		change := "/admin/admintest/document/" + strconv.FormatInt(d.ID, 10) + "/change/"
		res = c.get(change)
		res.expect(t, http.StatusOK, d.Key.String(), `/media/`+d.Attachment.Name, `&#34;pages&#34;: 12`, `value="01:30:00"`,
			"Currently:", `name="attachment-clear"`, `<label for="id_attachment-clear_id">Clear</label>`, "Change:")
		if strings.Contains(res.body, "file-preview") {
			t.Error("a FileField shows an image preview")
		}

		// Django's ClearableFileInput: an upload and a ticked Clear box
		// contradict each other, and change nothing.
		form.Set("attachment-clear", "on")
		c.postMultipart(change, form, "attachment", "other.txt", []byte("other")).
			expect(t, http.StatusOK, "Please either submit a file or check the clear checkbox, not both.")
		if got, _ := documents.Objects().Get(v.ctx, orm.Q{"pk": d.ID}); got.Attachment != d.Attachment {
			t.Errorf("after the contradiction the attachment is %q, want %q", got.Attachment.Name, d.Attachment.Name)
		}
		c.postMultipart(change, form, "", "", nil).redirectsTo(t, "/admin/admintest/document/")
		if got, _ := documents.Objects().Get(v.ctx, orm.Q{"pk": d.ID}); got.Attachment.Name != "" {
			t.Errorf("after Clear the attachment is %q", got.Attachment.Name)
		}
		// As in Django, clearing forgets the file and leaves it stored.
		if _, err := os.Stat(filepath.Join(media, filepath.FromSlash(d.Attachment.Name))); err != nil {
			t.Errorf("the cleared file was deleted: %v", err)
		}
		if strings.Contains(c.get(change).body, "attachment-clear") {
			t.Error("an empty file field offers Clear")
		}
	})
}

// TestFieldInputAsksTheField checks the inputs of fields that are not
// relations against the HTML attributes Django's forms give them: the
// limits come from the field (its range, places and length).
func TestFieldInputAsksTheField(t *testing.T) {
	cases := []struct {
		f                    orm.Field
		widget, step, lo, hi string
		maxLength            int
	}{
		{f: orm.Field{Kind: orm.KindSmallInteger}, widget: "number", step: "1", lo: "-32768", hi: "32767"},
		{f: orm.Field{Kind: orm.KindPositiveSmallInteger}, widget: "number", step: "1", lo: "0", hi: "32767"},
		{f: orm.Field{Kind: orm.KindInteger}, widget: "number", step: "1", lo: "-2147483648", hi: "2147483647"},
		{f: orm.Field{Kind: orm.KindPositiveInteger}, widget: "number", step: "1", lo: "0", hi: "2147483647"},
		{f: orm.Field{Kind: orm.KindBigInteger}, widget: "number", step: "1"},
		{f: orm.Field{Kind: orm.KindAuto}, widget: "number", step: "1"},
		{f: orm.Field{Kind: orm.KindFloat}, widget: "number", step: "any"},
		{f: orm.Field{Kind: orm.KindDecimal, MaxDigits: 10, DecimalPlaces: 2}, widget: "number", step: "0.01"},
		{f: orm.Field{Kind: orm.KindDecimal, MaxDigits: 12, DecimalPlaces: 5}, widget: "number", step: "0.00001"},
		{f: orm.Field{Kind: orm.KindDecimal, MaxDigits: 6}, widget: "number", step: "1"},
		{f: orm.Field{Kind: orm.KindDecimal}, widget: "number", step: "any"},
		{f: orm.Field{Kind: orm.KindChar, MaxLength: 60}, widget: "text", maxLength: 60},
		{f: orm.Field{Kind: orm.KindSlug, MaxLength: 50}, widget: "text", maxLength: 50},
		{f: orm.Field{Kind: orm.KindEmail, MaxLength: 254}, widget: "email", maxLength: 254},
		{f: orm.Field{Kind: orm.KindURL, MaxLength: 200}, widget: "url", maxLength: 200},
		{f: orm.Field{Kind: orm.KindText}, widget: "textarea"},
		{f: orm.Field{Kind: orm.KindFile, MaxLength: 100}, widget: "file"},
		{f: orm.Field{Kind: orm.KindBoolean}, widget: "checkbox"},
		{f: orm.Field{Kind: orm.KindDate}, widget: "date"},
		{f: orm.Field{Kind: orm.KindDuration}, widget: "text"},
		{f: orm.Field{Kind: orm.KindChar, MaxLength: 10, Choices: []orm.ChoiceItem{{Value: "a", Label: "A"}}}, widget: "select"},
	}
	for _, tc := range cases {
		var uf ui.Field
		fieldInput(&tc.f, &uf)
		if uf.Widget != tc.widget || uf.Step != tc.step || uf.Min != tc.lo || uf.Max != tc.hi || uf.MaxLength != tc.maxLength {
			t.Errorf("%s: widget %q step %q min %q max %q maxlength %d, want %q %q %q %q %d", tc.f.Kind,
				uf.Widget, uf.Step, uf.Min, uf.Max, uf.MaxLength, tc.widget, tc.step, tc.lo, tc.hi, tc.maxLength)
		}
	}
	// A field's choices, with the blank choice when it may be empty.
	f := orm.Field{Kind: orm.KindChar, MaxLength: 10, Blank: true,
		Choices: []orm.ChoiceItem{{Value: "a", Label: "A"}, {Value: "b", Label: "B"}}}
	uf := ui.Field{Value: "b"}
	fieldInput(&f, &uf)
	want := []ui.Option{{Value: "", Label: "---------"}, {Value: "a", Label: "A"}, {Value: "b", Label: "B", Selected: true}}
	if !slices.Equal(uf.Choices, want) {
		t.Errorf("choices %+v, want %+v", uf.Choices, want)
	}
}
