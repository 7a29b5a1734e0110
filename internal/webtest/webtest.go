// Package webtest is what the apps' handler tests need of the site's web
// layer without importing the server: an error handler that answers as the
// site's does.
package webtest

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/views"
)

// ErrorHandler answers an error a handler returned with the status of its
// kind (views.ErrorStatus) and its message for users, as the site's error
// handler does, in plain text; an error without a kind goes to echo's
// default handler, which knows echo's own errors and answers anything else
// with a 500. Set it as an echo.Echo's HTTPErrorHandler.
func ErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	kind := errs.KindOf(err)
	if kind == errs.Internal {
		c.Echo().DefaultHTTPErrorHandler(err, c)
		return
	}
	status := views.ErrorStatus(kind)
	msg := errs.Message(err)
	if msg == "" || status == http.StatusInternalServerError {
		msg = http.StatusText(status)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.String(status, msg)
}
