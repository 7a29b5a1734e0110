package jobsadmin_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/internal/smtptest"
	"github.com/quarry-go/quarry/jobs"
	"github.com/quarry-go/quarry/jobs/jobsadmin"
	"github.com/quarry-go/quarry/mail"
	"github.com/quarry-go/quarry/migrations/migrationstest"
	"github.com/quarry-go/quarry/orm"
)

// The failed-jobs page shows a superuser what failed and why, never the
// mail's body; other staff are refused.
func TestFailedJobsPage(t *testing.T) {
	migrationstest.Each(t, []app.App{auth.App, admin.App, jobs.App}, func(t *testing.T, ctx context.Context) {
		srv := smtptest.Start(t)
		backend := srv.Backend()
		backend.Password = "wrong"
		m := mail.Message{From: "shop@example.com", To: []string{"ann@example.com"}, Subject: "Reset your password"}
		m.Text = "https://shop.example.com/accounts/reset/secret-token/"
		if err := jobs.SendMail(ctx, m); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		river.AddWorker(workers, &jobs.EmailWorker{Backend: backend})
		r, err := jobs.NewRunner(orm.FromContext(ctx), workers, jobs.Config{PollInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			failed, err := jobs.Failed(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) == 1 && failed[0].FinalizedAt != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the job did not fail")
			}
		}
		r.Stop(context.Background())

		site := admin.NewSite()
		site.AddView(jobsadmin.View)
		e := echo.New()
		db := orm.FromContext(ctx)
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.SetRequest(c.Request().WithContext(orm.WithDB(c.Request().Context(), db)))
				return next(c)
			}
		})
		site.Mount(e)
		get := func(superuser bool) *httptest.ResponseRecorder {
			u := auth.Users.New()
			u.Username, u.IsStaff, u.IsSuperuser, u.IsActive = superuserName(superuser), true, superuser, true
			auth.SetUnusablePassword(u)
			if err := auth.Users.Save(ctx, u); err != nil {
				t.Fatal(err)
			}
			sess := &auth.Session{Data: map[string]any{}}
			if err := site.Store.Login(ctx, sess, u); err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "/admin/jobs/failed/", nil)
			req.AddCookie(auth.Cookie(sess, false))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			return rec
		}
		rec := get(true)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "To ann@example.com: Reset your password") ||
			!strings.Contains(body, "cancelled") || !strings.Contains(body, "535") {
			t.Fatalf("superuser: %d\n%s", rec.Code, body)
		}
		if strings.Contains(body, "secret-token") {
			t.Error("the page shows the mail's body")
		}
		if rec := get(false); rec.Code != http.StatusForbidden {
			t.Errorf("staff without superuser: %d", rec.Code)
		}
	})
}

func superuserName(superuser bool) string {
	if superuser {
		return "super"
	}
	return "staff"
}
