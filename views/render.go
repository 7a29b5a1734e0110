package views

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Render writes t as the HTML response with the given status: the one way
// handlers send a page. It renders into a buffer first, so a component that
// fails becomes a clean error page instead of half a page sent with a 200.
func Render(c echo.Context, status int, t templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := t.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}
