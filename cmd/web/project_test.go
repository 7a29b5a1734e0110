package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/orm"
)

// run is web's main without the process: the command's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return project.Run(ctx, args, stdout, stderr, getenv)
}

// newServer is web's site on db, as serve builds it.
func newServer(db *orm.DB, log *slog.Logger, site *admin.Site) *echo.Echo {
	if site != admin.Default {
		panic("web serves the default admin site")
	}
	e, err := project.Handler(db, log)
	if err != nil {
		panic(err)
	}
	return e
}

// health is the body of /healthz.
type health struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Error    string `json:"error,omitempty"`
}
