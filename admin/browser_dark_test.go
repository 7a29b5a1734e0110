package admin

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/quarry-go/quarry/internal/browsertest"
)

// A browser that prefers a dark scheme gets the admin dark, and every
// pair of text and background it checks still reads (WCAG AA, 4.5:1).
func TestBrowserDarkScheme(t *testing.T) {
	if browsertest.Chromium() == "" {
		t.Skip(browsertest.SkipMessage)
	}
	each(t, func(t *testing.T, v *env) {
		b := v.browser(t)
		b.Step("dark", func(ctx context.Context) error {
			dark := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
				return err
			})
			if err := chromedp.Do(ctx, dark); err != nil {
				return err
			}
			if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.URL("/admin/login/"))); err != nil {
				return err
			}
			colors, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
				const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
				return [css('body', 'backgroundColor'), css('body', 'color'),
					css('.admin-header', 'backgroundColor'), css('.admin-header', 'color'),
					css('#id_username', 'backgroundColor'), css('#id_username', 'color'),
					css('.login-form button[type=submit]', 'backgroundColor'), css('.login-form button[type=submit]', 'color')];
			})()`))
			if err != nil {
				return err
			}
			if lum(colors[0]) > 0.1 {
				return fmt.Errorf("the page is not dark: background %s", colors[0])
			}
			for i, what := range []string{"the page", "the header", "an input", "the default button"} {
				if c := contrast(colors[2*i], colors[2*i+1]); c < 4.5 {
					return fmt.Errorf("%s: %s on %s has a contrast of %.2f, under 4.5", what, colors[2*i+1], colors[2*i], c)
				}
			}
			return nil
		})
	})
}

// lum is the relative luminance (WCAG) of a computed "rgb(r, g, b)".
func lum(rgb string) float64 {
	parts := strings.FieldsFunc(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(rgb, "rgba("), "rgb("), ")"),
		func(r rune) bool { return r == ',' || r == ' ' })
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		if i >= len(parts) {
			return -1
		}
		n, _ := strconv.ParseFloat(parts[i], 64)
		c := n / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += w * c
	}
	return l
}

func contrast(bg, fg string) float64 {
	a, b := lum(bg), lum(fg)
	return (math.Max(a, b) + 0.05) / (math.Min(a, b) + 0.05)
}
