package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-go/quarry/auth"
	"github.com/quarry-go/quarry/orm"
)

// Action flags of a LogEntry, Django's ADDITION, CHANGE and DELETION.
const (
	Addition = 1
	Change   = 2
	Deletion = 3
)

var actionFlags = orm.NewChoices(
	orm.C(int16(Addition), "Addition"),
	orm.C(int16(Change), "Change"),
	orm.C(int16(Deletion), "Deletion"),
)

// LogEntry is one add, change or delete made through the admin: Django's
// admin.LogEntry, the source of the history pages and recent actions.
type LogEntry struct {
	ID            int64
	ActionTime    time.Time
	User          orm.FK[auth.User]
	ContentType   string // the model: "shop.product"
	ObjectID      string
	ObjectRepr    string
	ActionFlag    int16
	ChangeMessage string
}

// LogEntries is the admin_logentry model.
var LogEntries = orm.Define("admin", func(l *LogEntry, m *orm.Schema) {
	m.DateTime(&l.ActionTime, orm.AutoNowAdd(), orm.Verbose("action time"))
	m.ForeignKey(&l.User, orm.OnDelete(orm.Cascade), orm.Verbose("user"), orm.RelatedName("+"))
	m.Char(&l.ContentType, orm.MaxLength(100), orm.Verbose("content type"))
	m.Text(&l.ObjectID, orm.Blank(), orm.Verbose("object id"))
	m.Char(&l.ObjectRepr, orm.MaxLength(200), orm.Verbose("object repr"))
	m.SmallInteger(&l.ActionFlag, orm.Choices(actionFlags), orm.Verbose("action flag"))
	m.Text(&l.ChangeMessage, orm.Blank(), orm.Verbose("change message"))
	m.Meta(orm.VerboseName("log entry"), orm.VerboseNamePlural("log entries"), orm.Ordering("-action_time"),
		orm.Index("content_type", "object_id"), orm.Index("action_time", "id"))
})

// String is Django's LogEntry.__str__.
func (l *LogEntry) String() string {
	switch l.ActionFlag {
	case Addition:
		return fmt.Sprintf("Added “%s”.", l.ObjectRepr)
	case Change:
		return fmt.Sprintf("Changed “%s” — %s", l.ObjectRepr, l.ChangeMessage)
	case Deletion:
		return fmt.Sprintf("Deleted “%s.”", l.ObjectRepr)
	}
	return "LogEntry Object"
}

// Models are the admin's models, for migrations.
func Models() []*orm.Meta { return []*orm.Meta{LogEntries.Meta} }

// logAction records an action on an object in the history.
func logAction(ctx context.Context, u *auth.User, meta *orm.Meta, pk any, repr string, flag int16, msg string) error {
	if len(repr) > 200 {
		repr = strings.ToValidUTF8(repr[:200], "")
	}
	l := &LogEntry{ContentType: auth.ContentType(meta), ObjectID: fmt.Sprint(pk), ObjectRepr: repr,
		ActionFlag: flag, ChangeMessage: msg}
	l.User.ID = u.ID
	return LogEntries.Save(ctx, l)
}

// changeMessage is Django's wording for the fields a change touched:
// "Changed price and stock."; "No fields changed." when none did.
func changeMessage(labels []string) string {
	switch len(labels) {
	case 0:
		return "No fields changed."
	case 1:
		return "Changed " + labels[0] + "."
	}
	return "Changed " + strings.Join(labels[:len(labels)-1], ", ") + " and " + labels[len(labels)-1] + "."
}
