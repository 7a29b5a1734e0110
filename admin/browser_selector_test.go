package admin

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/internal/browsertest"
)

// A FilterHorizontal field is two lists in the browser: entries are
// filtered, moved across with the buttons, and what the chosen list holds
// is what the form saves.
func TestBrowserFilterHorizontal(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(1)
		p := f.products[0]
		kept, other := v.tag("kept"), v.tag("other")
		v.setTags(p, kept)
		v.browserAdmin()
		b := v.browser(t)
		page := fmt.Sprintf("/admin/admintest/product/%d/change/", p.ID)

		b.Step("login", func(ctx context.Context) error { return signIn(ctx, b, page) })
		b.Step("two lists", func(ctx context.Context) error {
			// The chosen list holds the product's tag; the available one the
			// others; the plain select is hidden.
			if err := b.Until(ctx, `document.querySelector('.selector-chosen select').options.length === 1 &&
				document.querySelector('.selector-chosen select').options[0].text === 'kept' &&
				document.getElementById('id_tags').hidden`); err != nil {
				return err
			}
			// The filter narrows the available list.
			if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(".selector-filter"), "oth")); err != nil {
				return err
			}
			return b.Until(ctx, `[...document.querySelector('.selector-available select').options].map(o => o.text).join() === 'other'`)
		})
		b.Step("move and save", func(ctx context.Context) error {
			pick := func(list, text string) error {
				_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
					[...document.querySelector('.selector-%s select').options].find(o => o.text === %s).selected = true;
					return true;
				})()`, list, browsertest.JS(text))))
				return err
			}
			if err := pick("available", "other"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".selector-add"))); err != nil {
				return err
			}
			if err := pick("chosen", "kept"); err != nil {
				return err
			}
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".selector-remove"))); err != nil {
				return err
			}
			if err := b.Until(ctx, `[...document.querySelector('.selector-chosen select').options].map(o => o.text).join() === 'other'`); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`#changeform .submit-row:last-of-type button[name="_continue"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "was changed successfully"); err != nil {
				return err
			}
			tags, err := v.product(p.ID).Tags.All(v.ctx)
			if err != nil {
				return err
			}
			var names []string
			for _, tg := range tags {
				names = append(names, tg.Name)
			}
			if !slices.Equal(names, []string{other.Name}) {
				return fmt.Errorf("saved tags %q, want only %q (not %q)", names, other.Name, kept.Name)
			}
			return nil
		})
	})
}
