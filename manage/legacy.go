package manage

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/quarry-go/quarry/migrations"
	"github.com/quarry-go/quarry/orm"
)

// upgradeLegacy carries a database migrated with Quarry's single history
// (package migrations, table goose_db_version) over to the apps' own
// histories: it brings the database to that history's last migration,
// then records each installed app's migrations that the history covers
// (migrations.Legacy) as applied in the app's own table, without running
// them. The rows and the schema stay as they are. It does nothing on a
// database the single history never migrated, or once every app is
// carried over.
func upgradeLegacy(ctx context.Context, w io.Writer, db *orm.DB, units []unit) (int, error) {
	var todo []unit
	for _, u := range units {
		if u.app.Table() == migrations.LegacyTable {
			return 0, nil // a project whose own app keeps goose's default table
		}
		if migrations.Legacy[u.app.Label] > 0 {
			todo = append(todo, u)
		}
	}
	if len(todo) == 0 || !HasTable(orm.WithDB(ctx, db), migrations.LegacyTable) {
		return 0, nil
	}
	files, err := migrations.FS(db.Vendor())
	if err != nil {
		return 0, err
	}
	legacy, err := migrations.NewWithTable(db, files, migrations.LegacyTable)
	if err != nil {
		return 0, err
	}
	defer legacy.Close()
	if v, err := legacy.Version(ctx); err != nil || v == 0 {
		return 0, err // the table is there, but nothing was migrated with it
	}
	// The apps not carried over yet: their version tables do not exist.
	// (An app migrated back to zero since keeps its table, and is not
	// recorded again.)
	var fresh []unit
	for _, u := range todo {
		if !HasTable(orm.WithDB(ctx, db), u.app.Table()) {
			fresh = append(fresh, u)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	n, err := legacy.Up(ctx, &prefixed{w: w, label: "(single history)"})
	if err != nil {
		return n, err
	}
	for _, u := range fresh {
		m, err := u.migrator(db)
		if err != nil {
			return n, err
		}
		target, err := m.Lookup(strconv.FormatInt(migrations.Legacy[u.app.Label], 10))
		if err == nil {
			var k int
			k, err = m.Fake(ctx, &prefixed{w: w, label: u.app.Label}, target)
			n += k
		}
		m.Close()
		if err != nil {
			return n, fmt.Errorf("app %s: recording the migrations the single history made: %w", u.app.Label, err)
		}
	}
	return n, nil
}
