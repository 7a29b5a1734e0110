package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// repoRoot is where compose.yaml and the Dockerfile live, relative to this
// package's directory, in which go test runs.
const repoRoot = "../.."

// TestComposeFile loads compose.yaml the way docker compose does and checks
// what the README promises: PostgreSQL 15 or newer, and the web app pointed
// at it and started only once it is healthy. No Docker engine is needed.
func TestComposeFile(t *testing.T) {
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(repoRoot, "compose.yaml")},
		// Loaded without the caller's environment, so the test checks the
		// file as committed, not as someone's shell would change it.
		cli.WithEnv(nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}

	db, ok := project.Services["db"]
	if !ok {
		t.Fatal(`compose.yaml has no service "db"`)
	}
	web, ok := project.Services["web"]
	if !ok {
		t.Fatal(`compose.yaml has no service "web"`)
	}

	t.Run("db", func(t *testing.T) {
		name, major := imageVersion(db.Image)
		if name != "postgres" || major < 15 {
			t.Errorf("db image = %q, want postgres 15 or newer", db.Image)
		}
		if db.HealthCheck == nil || !strings.Contains(strings.Join(db.HealthCheck.Test, " "), "pg_isready") {
			t.Errorf("db healthcheck = %+v, want one that runs pg_isready", db.HealthCheck)
		}
		if !hasNamedVolume(project, db, "/var/lib/postgresql/data") {
			t.Errorf("db volumes = %+v, want a named volume on /var/lib/postgresql/data", db.Volumes)
		}
	})

	t.Run("web", func(t *testing.T) {
		dsn := web.Environment["DATABASE_URL"]
		if dsn == nil {
			t.Fatal("web sets no DATABASE_URL")
		}
		u, err := url.Parse(*dsn)
		if err != nil || u.Scheme != "postgres" || u.Hostname() != "db" {
			t.Errorf("web DATABASE_URL is not postgres://…@db…")
		}
		if dep, ok := web.DependsOn["db"]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("web depends_on = %+v, want db with condition %s", web.DependsOn, types.ServiceConditionHealthy)
		}
		if web.Build == nil {
			t.Fatal("web has no build section")
		}
		root, err := filepath.Abs(repoRoot)
		if err != nil {
			t.Fatal(err)
		}
		if web.Build.Context != root {
			t.Errorf("web build context = %q, want the repository root %q", web.Build.Context, root)
		}
		if !publishes(web, 8000) {
			t.Errorf("web ports = %+v, want 8000:8000", web.Ports)
		}
		// Uploads outlive the container: MEDIA_ROOT is a named volume.
		media := web.Environment["MEDIA_ROOT"]
		if media == nil || !filepath.IsAbs(*media) {
			t.Fatalf("web MEDIA_ROOT = %v, want an absolute path", media)
		}
		if !hasNamedVolume(project, web, *media) {
			t.Errorf("web volumes = %+v, want a named volume on MEDIA_ROOT %s", web.Volumes, *media)
		}
	})
}

// TestDockerfile reads the Dockerfile for the few facts compose.yaml and the
// README rely on, since no Docker engine runs in the test environment.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^FROM golang:1\.26\S* AS build$`),
		regexp.MustCompile(`(?m)CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /web \./cmd/web$`),
		regexp.MustCompile(`(?m)^FROM gcr\.io/distroless/static-debian12:nonroot$`),
		regexp.MustCompile(`(?m)^COPY --from=build /web /web$`),
		regexp.MustCompile(`(?m)^EXPOSE 8000$`),
		regexp.MustCompile(`(?m)^ENTRYPOINT \["/web"\]$`),
		regexp.MustCompile(`(?m)^CMD \["serve", "--addr", ":8000"\]$`),
		// compose.yaml's media volume starts as a copy of this folder,
		// which nonroot must own to write uploads.
		regexp.MustCompile(`(?m)^COPY --from=build --chown=65532:65532 \S+ /home/nonroot/media$`),
	} {
		if !want.MatchString(dockerfile) {
			t.Errorf("Dockerfile has no line matching %s", want)
		}
	}
}

// imageVersion splits an image reference such as "postgres:16-alpine" or
// "docker.io/library/postgres:16" into its short name and major version.
func imageVersion(image string) (name string, major int) {
	ref, tag, _ := strings.Cut(image, ":")
	name = ref[strings.LastIndex(ref, "/")+1:]
	digits := tag
	if i := strings.IndexFunc(tag, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = tag[:i]
	}
	major, _ = strconv.Atoi(digits)
	return name, major
}

func hasNamedVolume(project *types.Project, svc types.ServiceConfig, target string) bool {
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == target {
			_, declared := project.Volumes[v.Source]
			return declared
		}
	}
	return false
}

func publishes(svc types.ServiceConfig, port uint32) bool {
	for _, p := range svc.Ports {
		if p.Target == port && p.Published == strconv.Itoa(int(port)) {
			return true
		}
	}
	return false
}
