package jobs_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-go/quarry/jobs"
)

var update = flag.Bool("update", false, "rewrite the River migration files from the River this module requires")

// riverFirst is the goose version of River's first: River's version v is
// goose's riverFirst+v-1.
const riverFirst = 1

// TestRiverMigration keeps the migration files in step with River's own
// migrations: after a River upgrade, go test ./jobs -run TestRiverMigration
// -update writes the new versions' files. A migration already applied
// somewhere must not change, and River does not change a released
// version, so only new files appear.
func TestRiverMigration(t *testing.T) {
	for _, vendor := range []string{"postgres", "sqlite"} {
		ms, err := jobs.Migrations(vendor)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			path := filepath.Join("migrations", vendor, fmt.Sprintf("%05d_river_%s.sql", riverFirst+m.Version-1, strings.ReplaceAll(m.Name, " ", "_")))
			if *update {
				if err := os.WriteFile(path, []byte(m.SQL), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./jobs -run TestRiverMigration -update writes it)", err)
			}
			if string(got) != m.SQL {
				t.Errorf("%s differs from River's version %d (go test ./jobs -run TestRiverMigration -update)", path, m.Version)
			}
		}
	}
}
