package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The change page links the object on the site (ViewOnSite, else the
// model's AbsoluteURL, nothing when it answers ""), never a script URL,
// and repeats the save buttons at the top with SaveOnTop.
func TestViewOnSiteAndSaveOnTop(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		p := f.products[0]
		body := c.get(fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)).body
		if !strings.Contains(body, `href="/shop/product-00/"`) || !strings.Contains(body, "View on site") {
			t.Errorf("the product's page lacks its View on site link")
		}
		if n := strings.Count(body, `class="submit-row"`); n != 2 {
			t.Errorf("SaveOnTop: %d rows of buttons, want 2", n)
		}
		if add := c.get("/admin/admintest/product/add/").body; strings.Contains(add, "View on site") {
			t.Error("the add page links an object that does not exist yet")
		}
		c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID)).expect(t, http.StatusOK, `href="/tags/new/"`, "View on site")
		if n := strings.Count(c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", f.tag.ID)).body, `class="submit-row"`); n != 1 {
			t.Errorf("without SaveOnTop: %d rows of buttons, want 1", n)
		}
		evil := v.tag("evil")
		if body := c.get(fmt.Sprintf("/admin/admintest/tag/%d/change/", evil.ID)).body; strings.Contains(body, "javascript:") {
			t.Error("a script URL reached the View on site link")
		}
		if body := c.get(fmt.Sprintf("/admin/admintest/category/%d/change/", f.books.ID)).body; strings.Contains(body, "View on site") {
			t.Error("a ViewOnSite answering \"\" still shows the link")
		}
	})
}

// A value that is not there shows as the ModelAdmin's EmptyValueDisplay,
// in the list and on the form, and as Django's "-" where none is set.
func TestEmptyValueDisplay(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		c := v.as(v.user("root", true, true))
		r := &Review{Rating: 0}
		r.Product.Set(f.products[0])
		if err := reviews.Save(v.ctx, r); err != nil {
			t.Fatal(err)
		}
		// The "stars" Method gives "" for no stars.
		list := c.get("/admin/admintest/review/").body
		if !strings.Contains(list, "(none)") {
			t.Error("the review list does not show its EmptyValueDisplay")
		}
		c.get(fmt.Sprintf("/admin/admintest/review/%d/change/", r.ID)).expect(t, http.StatusOK, `<div class="readonly">(none)</div>`)
		if strings.Contains(c.get("/admin/admintest/product/").body, "(none)") {
			t.Error("another model's list took the review's EmptyValueDisplay")
		}
	})
}
