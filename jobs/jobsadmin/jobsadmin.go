// Package jobsadmin is the job queue's page in the admin: the jobs that
// failed. It is apart from package jobs so that apps which enqueue jobs
// (auth's password reset among them) need not import the admin.
package jobsadmin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river/rivertype"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/views"
	ui "github.com/quarry-go/quarry/views/admin"
)

// View is the admin's page of failed jobs, /admin/jobs/failed/, for
// superusers: what each job was doing (for mail, the recipients and the
// subject, never the body, which may hold a password-reset link), its
// attempts and its last error.
var View = admin.View{
	App: "jobs", Slug: "failed", Title: "Failed jobs",
	Allowed: func(_ context.Context, u *auth.User) (bool, error) { return u.IsSuperuser, nil },
	Serve: func(c echo.Context, page ui.Page) error {
		rows, err := jobs.Failed(c.Request().Context(), 100)
		if err != nil {
			return err
		}
		out := make([]ui.FailedJob, len(rows))
		for i, j := range rows {
			out[i] = failedJob(j)
		}
		return views.Render(c, http.StatusOK, ui.FailedJobsPage(page, out))
	},
}

func failedJob(j *rivertype.JobRow) ui.FailedJob {
	f := ui.FailedJob{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, At: j.CreatedAt}
	if n := len(j.Errors); n > 0 {
		f.Error, f.At = j.Errors[n-1].Error, j.Errors[n-1].At
	}
	if j.State == rivertype.JobStateRetryable {
		f.Next = j.ScheduledAt
	}
	if j.Kind == (jobs.EmailArgs{}).Kind() {
		var args jobs.EmailArgs
		if json.Unmarshal(j.EncodedArgs, &args) == nil {
			f.Summary = "To " + strings.Join(args.Message.To, ", ") + ": " + args.Message.Subject
		}
	}
	return f
}
