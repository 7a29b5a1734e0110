package manage

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// headChunkingSize is the most net/http buffers before it gives up on a
// Content-Length and chunks the body (its bufferBeforeChunkingSize). A HEAD
// answer sends Content-Length exactly when the GET would have.
const headChunkingSize = 2048

// headAsGet answers HEAD for every GET route, as Django does: the request is
// routed and handled as a GET, so the status and headers are the GET's,
// and the body is dropped. Routes registered for HEAD themselves (the static
// files) get the same treatment, which is what they did by hand. It must be
// the last middleware: it runs the GET route's handler in place of next.
func headAsGet(e *echo.Echo) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method != http.MethodHead {
				return next(c)
			}
			// A copy: the server holds the original and must still see HEAD,
			// so that it sends no body whatever reaches it.
			get := *r
			get.Method = http.MethodGet
			c.SetRequest(&get)
			e.Router().Find(http.MethodGet, echo.GetPath(&get), c)

			res := c.Response()
			w := &headWriter{ResponseWriter: res.Writer}
			res.Writer = w
			finished := false
			defer func() {
				// A panic leaves the status to the error handler, which
				// writes it past the held-back writer.
				if !finished {
					res.Writer = w.ResponseWriter
				}
			}()
			err := c.Handler()(c)
			if err != nil {
				// The error page is written now, while its body is still
				// counted; the error goes on up to be logged.
				c.Error(err)
			}
			w.finish()
			res.Writer = w.ResponseWriter
			finished = true
			return err
		}
	}
}

// headWriter holds back the status until the handler is done, counting the
// body instead of sending it, so that it can set the Content-Length the GET
// would have carried.
type headWriter struct {
	http.ResponseWriter
	status  int
	n       int
	flushed bool
}

func (w *headWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *headWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// Flush sends the header at once: a streaming handler asked for it.
func (w *headWriter) Flush() {
	w.send()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *headWriter) finish() {
	h := w.Header()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if !w.flushed && w.n < headChunkingSize && bodyAllowed(w.status) &&
		h.Get(echo.HeaderContentLength) == "" && h.Get("Transfer-Encoding") == "" {
		h.Set(echo.HeaderContentLength, strconv.Itoa(w.n))
	}
	w.send()
}

func (w *headWriter) send() {
	if w.flushed {
		return
	}
	w.flushed = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.ResponseWriter.WriteHeader(w.status)
}

// bodyAllowed is net/http's rule for the statuses that get a Content-Length.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
