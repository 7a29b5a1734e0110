package manage

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/static"
)

// healthTimeout bounds the database ping behind /healthz, so that a stuck
// database makes the check fail rather than hang the prober.
const healthTimeout = 2 * time.Second

// securityHeaders are sent with every response, error pages included.
var securityHeaders = middleware.SecureConfig{
	// The legacy XSS auditor is gone from browsers and could itself be abused;
	// "0" turns it off where it still exists, and the CSP below does its job.
	XSSProtection:         "0",
	ContentTypeNosniff:    "nosniff",
	XFrameOptions:         "DENY",
	ReferrerPolicy:        "same-origin",
	ContentSecurityPolicy: "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
	// HSTS is left to the deployment: sent from a host that is not yet fully
	// on HTTPS, it locks browsers out for its whole max-age.
}

// siteName and siteURL name the site in the mail it sends, and start its
// links: SITE_NAME and SITE_URL ("https://shop.example.com"), set at
// start. Without SITE_URL, password-reset links are mailed only for
// requests made to localhost (a request's Host can be forged).
var siteName, siteURL = "Quarry", ""

// Handler builds the project's web application on db: middleware, the
// installed apps' routes (the admin's among them) and the error handler.
// It does not listen; serve does, and tests call ServeHTTP.
func (p *Project) Handler(db *orm.DB, log *slog.Logger) (*echo.Echo, error) {
	apps, err := p.Install()
	if err != nil {
		return nil, err
	}
	site := p.site()
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// No proxy is configured yet, so forwarding headers are client-controlled
	// and must not decide the IP that gets logged.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = errorHandler(log)
	e.StdLogger = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	// Guards against clients that open connections and send headers slowly.
	e.Server.ReadHeaderTimeout = 10 * time.Second
	e.Server.IdleTimeout = 2 * time.Minute

	e.Use(
		middleware.RequestID(),
		requestLogger(log),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableStackAll: true,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				log.ErrorContext(c.Request().Context(), "panic", "error", err, "stack", string(stack))
				return err
			},
			// Hand the panic to the request logger as an error, so that it is
			// logged with its request and then answered by errorHandler.
			DisableErrorHandler: true,
		}),
		middleware.SecureWithConfig(securityHeaders),
		// Pages post small forms; the admin, with uploads and CSV imports,
		// sets its own larger limit.
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
			Limit:   "1M",
			Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/admin/") },
		}),
		withDB(db),
		// The admin mounts its own session and CSRF middleware, with a
		// larger body limit; the site's pages share these.
		forPages(site.Store.Sessions()),
		forPages(auth.CSRF(site.Secure)),
		auth.Chrome(),
		headAsGet(e), // last: it stands in for the route's handler
	)

	e.Match([]string{http.MethodGet, http.MethodHead}, static.Prefix+"*", staticFiles)
	e.Match([]string{http.MethodGet, http.MethodHead}, mediaPrefix+"*", mediaFiles)
	e.GET("/healthz", healthz(db, log))
	srv := app.Server{Site: site, Name: siteName, URL: siteURL}
	for _, a := range apps {
		if a.Routes != nil {
			a.Routes(e, srv)
		}
	}
	return e, nil
}

// staticFiles serves the embedded static files; any other name under
// /static/ gets the site's 404 page.
func staticFiles(c echo.Context) error {
	if !static.Serve(c.Response(), c.Request()) {
		return echo.ErrNotFound
	}
	return nil
}

// forPages applies m to every request but the admin's, the static
// files' and the uploaded files'. Files need no session, and must not load
// one: they would cost a query each and fail with the database. Nor may
// they set the CSRF cookie, or vary on Cookie: proxies share them between
// visitors.
func forPages(m echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		wrapped := m(next)
		return func(c echo.Context) error {
			if p := c.Request().URL.Path; p == "/admin" || strings.HasPrefix(p, "/admin/") ||
				strings.HasPrefix(p, static.Prefix) || strings.HasPrefix(p, mediaPrefix) {
				return next(c)
			}
			return wrapped(c)
		}
	}
}

// withDB puts db into every request's context, where the ORM's queries find it.
func withDB(db *orm.DB) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			c.SetRequest(r.WithContext(orm.WithDB(r.Context(), db)))
			return next(c)
		}
	}
}

// requestLogger logs one line per request through slog, in place of echo's
// own logger, so that the whole process writes one log format.
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod:       true,
		LogURI:          true,
		LogURIPath:      true,
		LogStatus:       true,
		LogLatency:      true,
		LogRemoteIP:     true,
		LogResponseSize: true,
		LogError:        true,
		LogRequestID:    true,
		// Let errorHandler write the response first, so the status logged is
		// the one the client got.
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			attrs := []slog.Attr{
				slog.String("method", v.Method),
				slog.String("uri", v.URI),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.Int64("bytes", v.ResponseSize),
				slog.String("remote_ip", v.RemoteIP),
				slog.String("request_id", v.RequestID),
			}
			switch {
			case v.Status == statusClientClosed:
				// The client left; the work stopped with it. Worth seeing if
				// it happens often, not an error of ours.
				level = slog.LevelWarn
			case v.Status >= http.StatusInternalServerError:
				level = slog.LevelError
				if v.Error != nil {
					attrs = append(attrs, slog.String("error", v.Error.Error()))
				}
			case v.URIPath == "/healthz":
				// Probes call it every few seconds; at info they would drown the log.
				level = slog.LevelDebug
			case v.Error != nil:
				// A 4xx shows the user a message of its own; what caused it
				// (an errs.Wrap's cause, the ORM's words) is for the log.
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// health is the body of /healthz.
type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Error    string `json:"error,omitempty"`
}

// healthz answers load balancers and orchestrators: 200 when the database
// answers a ping, 503 otherwise. The cause is logged, not returned, because
// driver errors name hosts and users.
func healthz(db *orm.DB, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		ctx, cancel := context.WithTimeout(c.Request().Context(), healthTimeout)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.WarnContext(ctx, "health check failed", "error", err)
			return c.JSON(http.StatusServiceUnavailable, health{
				Status:   "unavailable",
				Database: db.Vendor(),
				Error:    "database unreachable",
			})
		}
		return c.JSON(http.StatusOK, health{Status: "ok", Database: db.Vendor()})
	}
}
