package admin

import (
	"strings"

	"github.com/quarry-go/quarry/auth"
)

// registerAuth registers the auth app's models, as Django's
// django.contrib.auth.admin does: auth cannot import the admin, which
// signs users in through it.
func registerAuth(site *Site) {
	Register(site, auth.Users, userAdmin)
	Register(site, auth.Groups, ModelAdmin[auth.Group]{Options: Options{
		SearchFields:     []string{"name"},
		Ordering:         []string{"name"},
		FilterHorizontal: []string{"permissions"},
	}})
}

// userAdmin is Django's UserAdmin; its password form is served for the
// user model whatever options it is registered with (see userObject).
var userAdmin = ModelAdmin[auth.User]{
	Options: Options{
		ListDisplay:  []string{"username", "email", "first_name", "last_name", "is_staff"},
		ListFilter:   []string{"is_staff", "is_superuser", "is_active"},
		SearchFields: []string{"username", "first_name", "last_name", "email"},
		Ordering:     []string{"username"},
		SortableBy:   []string{"username", "email"},
		Fieldsets: []Fieldset{
			{Fields: []string{"username", "password_summary"}},
			{Name: "Personal info", Fields: []string{"first_name", "last_name", "email"}},
			{Name: "Permissions", Fields: []string{"is_active", "is_staff", "is_superuser", "groups", "user_permissions"}},
			{Name: "Important dates", Fields: []string{"last_login", "date_joined"}},
		},
		ReadonlyFields:   []string{"password_summary", "last_login"},
		FilterHorizontal: []string{"groups", "user_permissions"},
	},
	Methods: map[string]Method[auth.User]{
		"password_summary": {Label: "Password", Value: passwordSummary},
	},
}

// passwordSummary describes the stored hash without showing it, as
// Django's ReadOnlyPasswordHashWidget, and links to the form that sets a
// new one (…/<pk>/password/, beside the change page). A user being added
// has no such page yet.
func passwordSummary(u *auth.User) any {
	form := Span{Text: "this form", URL: "../password/"}
	if !auth.HasUsablePassword(u) {
		if u.ID == 0 {
			return "No password set."
		}
		return Linked{{Text: "No password set. You can set the password using "}, form, {Text: "."}}
	}
	algorithm, _, _ := strings.Cut(u.Password, "$")
	return Linked{{Text: "Algorithm: " + algorithm + ". Raw passwords are not stored, so there is no way to see this user’s password, but you can change the password using "},
		form, {Text: "."}}
}
