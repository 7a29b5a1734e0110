package admin

import (
	"strings"

	"github.com/quarry-go/quarry/auth"
)

// The auth app's models are registered here, as Django's
// django.contrib.auth.admin does: auth cannot import the admin, which
// signs users in through it.
func init() {
	Register(Default, auth.Users, ModelAdmin[auth.User]{
		ListDisplay:  []string{"username", "email", "first_name", "last_name", "is_staff"},
		ListFilter:   []string{"is_staff", "is_superuser", "is_active"},
		SearchFields: []string{"username", "first_name", "last_name", "email"},
		Ordering:     []string{"username"},
		Fieldsets: []Fieldset{
			{Fields: []string{"username", "password_summary"}},
			{Name: "Personal info", Fields: []string{"first_name", "last_name", "email"}},
			{Name: "Permissions", Fields: []string{"is_active", "is_staff", "is_superuser", "groups", "user_permissions"}},
			{Name: "Important dates", Fields: []string{"last_login", "date_joined"}},
		},
		ReadonlyFields: []string{"password_summary", "last_login"},
		Methods: map[string]Method[auth.User]{
			"password_summary": {Label: "Password", Value: passwordSummary},
		},
	})
	Register(Default, auth.Groups, ModelAdmin[auth.Group]{
		SearchFields: []string{"name"},
		Ordering:     []string{"name"},
	})
}

// passwordSummary describes the stored hash without showing it, as
// Django's ReadOnlyPasswordHashWidget: passwords are set with
// `web createsuperuser` or by the user, never shown or typed here.
func passwordSummary(u *auth.User) any {
	if !auth.HasUsablePassword(u) {
		return "No password set."
	}
	algorithm, _, _ := strings.Cut(u.Password, "$")
	return "Algorithm: " + algorithm + ". Raw passwords are not stored, so there is no way to see this user’s password."
}
