package main

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/views"
)

// errorHandler is the one place where an error returned by a handler becomes
// a response: an HTML page for browsers, JSON for clients that ask for it.
// What the user sees comes from the status code and from messages a handler
// wrote for users; the error's own text, which may name tables, hosts or
// files, only reaches the log (see requestLogger).
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, title, detail := describe(err)
		if id := c.Response().Header().Get(echo.HeaderXRequestID); status >= 500 && id != "" {
			// The id is in the log line too, so a report names its error.
			detail += " Request ID: " + id + "."
		}
		r := c.Request()
		var werr error
		switch {
		case r.Method == http.MethodHead:
			werr = c.NoContent(status)
		case wantsJSON(r):
			werr = c.JSON(status, map[string]string{"error": detail})
		default:
			werr = views.Render(c, status, views.ErrorPage(status, title, detail))
			if werr != nil && !c.Response().Committed {
				werr = c.String(status, title)
			}
		}
		if werr != nil {
			log.ErrorContext(r.Context(), "writing error response", "status", status, "error", werr)
		}
	}
}

// describe turns err into a status and the words to show the user.
func describe(err error) (status int, title, detail string) {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		return http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError),
			genericDetail(http.StatusInternalServerError)
	}
	// echo wraps an HTTPError in another in places (its binder, for one);
	// the inner one is the real answer, as in echo's default handler.
	if inner, ok := he.Internal.(*echo.HTTPError); ok {
		he = inner
	}
	status = he.Code
	title = http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	detail = genericDetail(status)
	// A 4xx message is shown only when a handler wrote it for the user. An
	// HTTPError that wraps an internal error carries that error's text in its
	// message (echo's binder does this), so its message is not shown.
	if msg, ok := he.Message.(string); ok && status < 500 && he.Internal == nil && msg != "" && msg != title {
		detail = msg
	}
	return status, title, detail
}

func genericDetail(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "The request could not be understood."
	case http.StatusUnauthorized:
		return "You need to log in to see this page."
	case http.StatusForbidden:
		return "You do not have permission to see this page."
	case http.StatusNotFound:
		return "The page you asked for does not exist."
	case http.StatusMethodNotAllowed:
		return "This page does not accept that kind of request."
	case http.StatusServiceUnavailable:
		return "The site is unavailable for a moment. Please try again shortly."
	}
	if status < 500 {
		return "The request could not be completed."
	}
	return "Something went wrong on our side. The error has been logged."
}

// wantsJSON reports whether the client asked for JSON rather than a page.
// Browsers always list text/html, so anything else that names JSON is an API
// client.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, echo.MIMEApplicationJSON) && !strings.Contains(accept, echo.MIMETextHTML)
}
