package manage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/errs"
	"github.com/quarry-go/quarry/orm"
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
		r := c.Request()
		if clientGone(r, err) {
			// Nobody reads the answer; the status is for the log, which
			// tells a cancelled request from a failed one.
			c.Response().WriteHeader(statusClientClosed)
			return
		}
		status, title, detail := describe(err)
		if status == http.StatusServiceUnavailable {
			c.Response().Header().Set(echo.HeaderRetryAfter, retryAfterUnavailable)
		}
		if id := c.Response().Header().Get(echo.HeaderXRequestID); status >= 500 && id != "" {
			// The id is in the log line too, so a report names its error.
			detail += " Request ID: " + id + "."
		}
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

// statusClientClosed is nginx's 499: the client closed the connection
// before the answer was ready.
const statusClientClosed = 499

// retryAfterUnavailable is the Retry-After, in seconds, of a page the
// database could not serve: long enough for a pool to reconnect or a
// failover to finish, short enough that a reader tries again.
const retryAfterUnavailable = "5"

// clientGone reports whether err is the request's own cancellation: the
// client went away (its context ends with the connection), so nothing
// failed on our side.
func clientGone(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) &&
		(errors.Is(err, context.Canceled) || orm.IsUnavailable(err) || isInterrupted(err))
}

// isInterrupted is SQLite's answer to a statement whose context ended:
// modernc's driver interrupts it, and says only that.
func isInterrupted(err error) bool {
	return err != nil && strings.Contains(err.Error(), "interrupted")
}

// describe turns err into a status and the words to show the user. The
// status comes from the error's kind (errs.KindOf), so that handlers and
// the layers under them say what went wrong and this is the one place that
// says what it means in HTTP; echo's own errors (an unknown route, a body
// too large) keep the status they carry.
func describe(err error) (status int, title, detail string) {
	kind := errs.KindOf(err)
	if kind == errs.Internal && orm.IsUnavailable(err) {
		// The database is down or dropped the connection: the page itself
		// is fine and will work again, which 503 says and 500 does not. A
		// failure to connect at all comes from the driver without a kind.
		kind = errs.Unavailable
	}
	var he *echo.HTTPError
	if kind != errs.Unavailable && errors.As(err, &he) {
		return describeHTTPError(he)
	}
	status = views.ErrorStatus(kind)
	detail = genericDetail(status)
	// Only a message worded for users is shown, and never one of a 500:
	// an Internal error's words are for the log, whoever wrote them.
	if msg := errs.Message(err); msg != "" && status != http.StatusInternalServerError {
		detail = msg
	}
	return status, http.StatusText(status), detail
}

// describeHTTPError is describe for the errors echo and its middleware
// return, which carry their status.
func describeHTTPError(he *echo.HTTPError) (status int, title, detail string) {
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
