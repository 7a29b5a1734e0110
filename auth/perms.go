package auth

import (
	"context"
	"maps"
	"strings"

	"github.com/quarry-go/quarry/orm"
)

// Actions are the default permissions every model gets, in Django's order.
var Actions = []string{"add", "change", "delete", "view"}

// ContentType is the label a Permission stores for a model: "blog.post".
func ContentType(meta *orm.Meta) string { return meta.App + "." + meta.ModelName() }

// Codename is a model action's permission codename: "add_post".
func Codename(meta *orm.Meta, action string) string { return action + "_" + meta.ModelName() }

// PermString is the string HasPerm takes for a model action: "blog.add_post".
func PermString(meta *orm.Meta, action string) string {
	return meta.App + "." + Codename(meta, action)
}

func appOf(contentType string) string {
	app, _, _ := strings.Cut(contentType, ".")
	return app
}

type permKey struct{ contentType, codename string }

// SyncPermissions creates the view/add/change/delete permissions of every
// defined model that lacks them, as Django does after migrate. It reads
// the existing ones in one query and inserts only the missing, so running
// it at every start is cheap and idempotent. Auto-created junction tables
// get none: the admin never lists them.
func SyncPermissions(ctx context.Context) error {
	return SyncModelPermissions(ctx, orm.Models()...)
}

// SyncModelPermissions is SyncPermissions for the given models only.
func SyncModelPermissions(ctx context.Context, models ...*orm.Meta) error {
	return orm.Atomic(ctx, func(ctx context.Context) error {
		rows, err := Permissions.Objects().ValuesList(ctx, "content_type", "codename")
		if err != nil {
			return err
		}
		have := make(map[permKey]bool, len(rows))
		for _, r := range rows {
			have[permKey{r[0].(string), r[1].(string)}] = true
		}
		var missing []*Permission
		for _, m := range models {
			if m.AutoCreated {
				continue
			}
			for _, action := range Actions {
				k := permKey{ContentType(m), Codename(m, action)}
				if have[k] {
					continue
				}
				have[k] = true
				missing = append(missing, &Permission{Name: "Can " + action + " " + m.VerboseName,
					ContentType: k.contentType, Codename: k.codename})
			}
		}
		if len(missing) == 0 {
			return nil
		}
		return Permissions.Objects().BulkCreate(ctx, missing, 500)
	})
}

// loadPerms returns u's permission strings, its own and its groups', read
// in one query and cached on u, so that an
// admin page checking many models costs one query, not one per check.
func loadPerms(ctx context.Context, u *User) (map[string]struct{}, error) {
	if u.perms != nil {
		return u.perms, nil
	}
	// Two IN subqueries rather than the OR of two LEFT JOIN paths: the
	// joins would multiply every permission by every member of every group
	// holding it before filtering, while each subquery walks the junction
	// index from the one user.
	own := Permissions.Objects().Filter(orm.Q{"user": u.ID})
	viaGroups := Permissions.Objects().Filter(orm.Q{"group__user": u.ID})
	rows, err := Permissions.Objects().
		Filter(orm.Or(orm.Q{"pk__in": own}, orm.Q{"pk__in": viaGroups})).
		OrderBy().
		ValuesList(ctx, "content_type", "codename")
	if err != nil {
		return nil, err
	}
	perms := make(map[string]struct{}, len(rows))
	for _, r := range rows {
		perms[appOf(r[0].(string))+"."+r[1].(string)] = struct{}{}
	}
	u.perms = perms
	return perms, nil
}

// ClearPermCache forgets u's cached permission set, for code that changes
// a user's permissions and checks them again with the same instance.
func ClearPermCache(u *User) { u.perms = nil }

// HasPerm reports whether u has the permission perm ("blog.add_post"), as
// Django's user.has_perm with ModelBackend: an inactive user has none, an
// active superuser all; anyone else those granted to them or to one of
// their groups. The first call per User instance costs one query, the
// following ones none.
func HasPerm(ctx context.Context, u *User, perm string) (bool, error) {
	if u == nil || !u.IsActive {
		return false, nil
	}
	if u.IsSuperuser {
		return true, nil
	}
	if u.ID == 0 {
		return false, nil // unsaved: no rows can grant it anything
	}
	perms, err := loadPerms(ctx, u)
	if err != nil {
		return false, err
	}
	_, ok := perms[perm]
	return ok, nil
}

// HasModelPerm reports whether u may do action ("view", "add", "change",
// "delete") on the model: HasPerm(ctx, u, "blog.add_post").
func HasModelPerm(ctx context.Context, u *User, meta *orm.Meta, action string) (bool, error) {
	return HasPerm(ctx, u, PermString(meta, action))
}

// HasModulePerms reports whether u has any permission in the app, as
// Django's has_module_perms (the admin shows an app when it is true).
func HasModulePerms(ctx context.Context, u *User, app string) (bool, error) {
	if u == nil || !u.IsActive {
		return false, nil
	}
	if u.IsSuperuser {
		return true, nil
	}
	if u.ID == 0 {
		return false, nil
	}
	perms, err := loadPerms(ctx, u)
	if err != nil {
		return false, err
	}
	for p := range perms {
		if strings.HasPrefix(p, app+".") {
			return true, nil
		}
	}
	return false, nil
}

// AllPermissions returns u's permission strings (Django's
// get_all_permissions); a superuser's are those of every Permission row.
func AllPermissions(ctx context.Context, u *User) (map[string]struct{}, error) {
	if u == nil || !u.IsActive {
		return map[string]struct{}{}, nil
	}
	if u.IsSuperuser {
		rows, err := Permissions.Objects().OrderBy().ValuesList(ctx, "content_type", "codename")
		if err != nil {
			return nil, err
		}
		all := make(map[string]struct{}, len(rows))
		for _, r := range rows {
			all[appOf(r[0].(string))+"."+r[1].(string)] = struct{}{}
		}
		return all, nil
	}
	if u.ID == 0 {
		return map[string]struct{}{}, nil
	}
	perms, err := loadPerms(ctx, u)
	return maps.Clone(perms), err // the cache is not the caller's to change
}
