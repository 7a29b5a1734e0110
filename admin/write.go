package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quarry-go/quarry/orm"
)

// This file saves an existing object that a user edited on a page, while
// customers, other staff and the application may change it too. The page
// sent the values it showed (the initial-<name> inputs); bind counted a
// field as changed only when its input differs from them. Here, inside
// the admin's transaction, the object's row is read again under a lock
// and:
//   - every field the user did not change takes the database's current
//     value, so nothing the user merely saw is written back;
//   - a field the user changed that the database changed too since the
//     page showed it is refused with an error on that field, and nothing
//     of the object is saved: neither change silently overwrites the
//     other, and the user decides with the current value in front of them.

// errStale rolls back a save that lockCurrent refused; the form holds the
// errors to show.
var errStale = errors.New("admin: the object changed since the page showed it")

// canon is an input's text as the field understands it, so that one value
// written two ways ("2.5" and "2.50", " Lamp" and "Lamp", a textarea's
// CRLF and LF) compares equal. Text that does not parse is kept as it is.
func canon(f *orm.Field, text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	v, err := parseInput(f, text)
	if err != nil {
		return text
	}
	return inputValue(f, v)
}

// lockCurrent locks the form's object until the transaction ends, and
// makes fm.obj hold the database's current value of every field the user
// did not change. It returns errStale, with the form's errors set, when a
// changed field was changed by someone else too, or the object was
// deleted meanwhile.
func (fm *form) lockCurrent(ctx context.Context, fields []formField) error {
	e := fm.e
	cur, err := e.meta.DefaultManager().SelectForUpdate().Get(ctx, orm.Q{"pk": e.model.PK(fm.obj)})
	if errors.Is(err, orm.ErrDoesNotExist) {
		fm.errors[""] = append(fm.errors[""], fmt.Sprintf("The %s “%s” was deleted by someone else since you opened the page.", e.name(), e.model.String(fm.obj)))
		return errStale
	}
	if err != nil {
		return err
	}
	stale := false
	for _, ff := range fields {
		if ff.readonly || ff.method != nil || !slices.Contains(fm.changedFields, ff.name) {
			continue
		}
		conflict, err := fm.conflict(ctx, ff, cur)
		if err != nil {
			return err
		}
		stale = stale || conflict
	}
	if err := fm.showCurrent(ctx, fields, cur, stale); err != nil {
		return err
	}
	if stale {
		return errStale
	}
	for _, f := range e.meta.Fields {
		if f.PrimaryKey || slices.Contains(fm.changedFields, f.Name) {
			continue
		}
		v, err := e.model.Get(cur, f.Name)
		if err != nil {
			return err
		}
		if err := e.model.Set(fm.obj, f.Name, v); err != nil {
			return err
		}
	}
	return nil
}

// conflict reports whether a field the user changed holds, in the
// database row cur, neither the value the page showed nor the user's. If
// so the field gets its error and the page will show the current value as
// the initial one, so that saving again after a look goes through.
func (fm *form) conflict(ctx context.Context, ff formField, cur any) (bool, error) {
	if ff.m2m {
		keys, err := fm.e.model.RelatedKeys(ctx, cur, ff.name)
		if err != nil {
			return false, err
		}
		now := keyStrings(keys)
		if sameSet(now, fm.initialMulti[ff.name]) || sameSet(now, fm.multi[ff.name]) {
			return false, nil
		}
		fm.initialMulti[ff.name] = now
		text, err := fm.e.site.relatedText(ctx, ff.f, keys)
		if err != nil {
			return false, err
		}
		fm.staleError(ff, text)
		return true, nil
	}
	v, err := fm.e.model.Get(cur, ff.name)
	if err != nil {
		return false, err
	}
	mine, err := fm.e.model.Get(fm.obj, ff.name)
	if err != nil {
		return false, err
	}
	now := inputValue(ff.f, v)
	if c := canon(ff.f, now); c == canon(ff.f, fm.initials[ff.name]) || c == canon(ff.f, inputValue(ff.f, mine)) {
		return false, nil
	}
	fm.initials[ff.name] = now
	var text string
	switch {
	case ff.f.Rel != nil && v != nil:
		text, err = fm.e.site.relatedText(ctx, ff.f, []any{v})
		if err != nil {
			return false, err
		}
	case ff.f.Kind == orm.KindBoolean && v != nil:
		text, _ = methodText(v)
	default:
		text, _ = displayText(ff.f, v)
	}
	fm.staleError(ff, text)
	return true, nil
}

// maxStaleText bounds the current value quoted in the error, as a long
// text would drown the message.
const maxStaleText = 80

func (fm *form) staleError(ff formField, now string) {
	now = strings.Join(strings.Fields(now), " ")
	switch {
	case now == "":
		now = "empty"
	case utf8.RuneCountInString(now) > maxStaleText:
		now = string([]rune(now)[:maxStaleText-1]) + "…"
	}
	fm.errors[ff.name] = append(fm.errors[ff.name],
		fmt.Sprintf("This value was changed by someone else since you opened the page (it is now %s). Check it and save again.", now))
}

// showCurrent makes the form, should it be shown again, show the
// database's current values in the fields the user did not change, as
// their inputs and as the values the page showed: a refused list shows
// its other rows as they are now too. Many-to-many fields cost a query
// each, so only a refused form (stale) reads them.
func (fm *form) showCurrent(ctx context.Context, fields []formField, cur any, stale bool) error {
	var unchanged []formField
	for _, ff := range fields {
		if !slices.Contains(fm.changedFields, ff.name) && (stale || !ff.m2m) {
			unchanged = append(unchanged, ff)
		}
	}
	now := fm.e.newForm(cur, false, fm.prefix)
	if err := now.initial(ctx, unchanged); err != nil {
		return err
	}
	maps.Copy(fm.values, now.values)
	maps.Copy(fm.initials, now.initials)
	maps.Copy(fm.multi, now.multi)
	maps.Copy(fm.initialMulti, now.initialMulti)
	return nil
}

// relatedText names the objects a relation's keys point at, one query.
func (s *Site) relatedText(ctx context.Context, f *orm.Field, keys []any) (string, error) {
	if len(keys) == 0 {
		return "", nil
	}
	to := f.Rel.To
	objs, err := s.labelled(to).Filter(orm.Q{"pk__in": keys}).List(ctx)
	if err != nil {
		return "", err
	}
	names := make([]string, len(objs))
	for i, o := range objs {
		names[i] = to.Model().String(o)
	}
	return strings.Join(names, ", "), nil
}

// saveCurrent saves the form's object once lockCurrent has run. SaveModel
// gets the object whole, its unchanged fields holding the database's
// values under the lock; without one, the model's Save writes only the
// changed fields (and auto_now fields, when there are any), nothing when
// none changed.
func (fm *form) saveCurrent(ctx context.Context) error {
	e := fm.e
	if e.opts.saveModel != nil {
		return e.save(ctx, fm.obj, false)
	}
	var cols []string
	for _, name := range fm.changedFields {
		if e.meta.Field(name) != nil { // not a many-to-many: saveRelated writes those
			cols = append(cols, name)
		}
	}
	if len(cols) > 0 {
		for _, f := range e.meta.Fields {
			if f.AutoNow && !slices.Contains(cols, f.Name) {
				cols = append(cols, f.Name)
			}
		}
	}
	return e.model.Save(ctx, fm.obj, orm.UpdateFields(cols...))
}
