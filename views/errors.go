package views

import (
	"net/http"

	"github.com/quarry-go/quarry/errs"
)

// ErrorStatus is the HTTP status of an error of kind k: Internal, and any
// kind not known here, is a 500. It is the one mapping from kinds to
// statuses, for the site's error handler and for the app tests that stand
// in for it.
func ErrorStatus(k errs.Kind) int {
	switch k {
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.Conflict:
		return http.StatusConflict
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
