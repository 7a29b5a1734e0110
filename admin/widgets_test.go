package admin

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
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
