package app

import (
	"strings"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

func labels(apps []App) string {
	var out []string
	for _, a := range apps {
		out = append(out, a.Label)
	}
	return strings.Join(out, " ")
}

func TestSortPutsRequirementsFirst(t *testing.T) {
	got, err := Sort([]App{
		{Label: "shop", Requires: []string{"auth", "jobs"}},
		{Label: "auth"},
		{Label: "blog", Requires: []string{"admin"}},
		{Label: "admin", Requires: []string{"auth"}},
		{Label: "jobs"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "auth jobs shop admin blog"; labels(got) != want {
		t.Errorf("order %q, want %q", labels(got), want)
	}
}

func TestSortRejects(t *testing.T) {
	for _, tc := range []struct {
		apps []App
		want string
	}{
		{[]App{{Label: "a"}, {Label: "a"}}, "installed twice"},
		{[]App{{Label: "a", Requires: []string{"b"}}}, "not installed"},
		{[]App{{Label: "a", Requires: []string{"b"}}, {Label: "b", Requires: []string{"a"}}}, "a -> b -> a"},
	} {
		if _, err := Sort(tc.apps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Sort(%s): %v, want an error with %q", labels(tc.apps), err, tc.want)
		}
	}
}

func TestInstallReadiesOnceAndRegistersOncePerSite(t *testing.T) {
	ready, registered := 0, 0
	a := App{Label: "installtest", Ready: func() { ready++ }, Admin: func(Site) { registered++ }}
	s1, s2 := &site{}, &site{}
	for range 2 {
		MustInstall(s1, a)
		MustInstall(s2, a)
	}
	if ready != 1 || registered != 2 {
		t.Errorf("Ready ran %d times, Admin %d; want 1 and 2 (once per site)", ready, registered)
	}
}

type site struct{ _ int }

func (*site) Registered(*orm.Meta) bool { return false }
