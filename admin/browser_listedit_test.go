package admin

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/internal/browsertest"
	"github.com/quarry-go/quarry/orm"
)

// An action run from a change list whose editable fields hold unsaved
// edits asks first, as Django's actions.js: declined, nothing is posted
// and the edits stay; accepted, the action runs. Without edits it does
// not ask. The page's confirm() is replaced by one that records its
// question and answers as the test says: a native dialog would block the
// page the test drives.
func TestBrowserListEditWarning(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	each(t, func(t *testing.T, v *env) {
		f := v.fixtures(3)
		v.browserAdmin()
		b := v.browser(t)
		list := "/admin/admintest/product/"

		b.Step("login", func(ctx context.Context) error {
			if err := signIn(ctx, b, list); err != nil {
				return err
			}
			return b.Until(ctx, `document.documentElement.classList.contains('js')`)
		})
		// answer makes confirm() answer yes or no, recording its questions.
		answer := func(ctx context.Context, yes bool) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
				window.asked = [];
				window.confirm = (q) => { window.asked.push(q); return %t; };
				return true;
			})()`, yes)))
			return err
		}
		const warning = "You have unsaved changes on individual editable fields. If you run an action, your unsaved changes will be lost."
		stock := `input[name="form-0-stock"]`
		b.Step("declined", func(ctx context.Context) error {
			if err := answer(ctx, false); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.Clear(chromedp.CSS(stock)),
				chromedp.SendKeys(chromedp.CSS(stock), "42"),
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 01"]`)),
				chromedp.SetValue(chromedp.ID("action-select"), "deactivate"),
				chromedp.Click(chromedp.CSS(`button[name="index"]`)),
			); err != nil {
				return err
			}
			if err := b.Until(ctx, fmt.Sprintf(`window.asked.length === 1 && window.asked[0] === %s`, browsertest.JS(warning))); err != nil {
				return fmt.Errorf("no warning before the action: %w", err)
			}
			// Nothing was posted: the page, and the edit, are still there.
			if err := b.Until(ctx, `window.asked !== undefined && document.querySelector('input[name="form-0-stock"]').value === '42'`); err != nil {
				return err
			}
			p, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[1].ID})
			if err != nil || !p.IsActive {
				return fmt.Errorf("the declined action ran: %+v, %v", p, err)
			}
			return nil
		})
		b.Step("accepted", func(ctx context.Context) error {
			if err := answer(ctx, true); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="index"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "1 products deactivated."); err != nil {
				return err
			}
			p, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[1].ID})
			if err != nil || p.IsActive {
				return fmt.Errorf("the accepted action did not run: %+v, %v", p, err)
			}
			// The action ran; the unsaved stock was dropped, as the
			// warning said.
			if p0, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[0].ID}); err != nil || p0.Stock == 42 {
				return fmt.Errorf("the unsaved stock was saved: %+v, %v", p0, err)
			}
			return nil
		})
		b.Step("no-edits", func(ctx context.Context) error {
			if err := answer(ctx, false); err != nil {
				return err
			}
			if err := chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`input.action-select[aria-label="Select Product 02"]`)),
				chromedp.SetValue(chromedp.ID("action-select"), "deactivate"),
			); err != nil {
				return err
			}
			if err := b.Navigate(ctx, chromedp.Click(chromedp.CSS(`button[name="index"]`))); err != nil {
				return err
			}
			if err := b.WantText(ctx, ".messagelist", "1 products deactivated."); err != nil {
				return err
			}
			p, err := products.Objects().Get(v.ctx, orm.Q{"pk": f.products[2].ID})
			if err != nil || p.IsActive {
				return fmt.Errorf("the action without edits did not run: %+v, %v", p, err)
			}
			return nil
		})
	})
}
