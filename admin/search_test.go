package admin

import (
	"slices"
	"strings"
	"testing"
)

// "@" search fields are searched full-text: a word in any of its forms.
func TestSearchFullTextFields(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		for _, title := range []string{"User manual", "Manuals archive", "Price list"} {
			if err := documents.Save(v.ctx, &Document{Title: title, Contact: strings.ToLower(title[:4]) + "@example.com"}); err != nil {
				t.Fatal(err)
			}
		}
		find := func(fields []string, q string) []string {
			t.Helper()
			docs, err := documents.Objects().Filter(searchCond(fields, q)).OrderBy("title").All(v.ctx)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			var titles []string
			for _, d := range docs {
				titles = append(titles, d.Title)
			}
			return titles
		}
		for _, c := range []struct {
			fields []string
			q      string
			want   []string
		}{
			{[]string{"@title"}, "manual", []string{"Manuals archive", "User manual"}},
			{[]string{"@title"}, "MANUALS user", []string{"User manual"}},
			{[]string{"@title"}, "manu", nil}, // a word, not a part of one
			{[]string{"@title", "contact"}, "pric", []string{"Price list"}},
			{[]string{"@title", "contact"}, "manual user@", []string{"User manual"}},
			// Only the first words count: a long search is no server error.
			{[]string{"@title", "contact"}, "list" + strings.Repeat(" x", 1000), []string{"Price list"}},
			{[]string{"title"}, strings.Repeat("x ", 1000), nil},
		} {
			if got := find(c.fields, c.q); !slices.Equal(got, c.want) {
				t.Errorf("%q over %q: %q, want %q", c.q[:min(len(c.q), 30)], c.fields, got, c.want)
			}
		}
	})
}

func TestSearchFullTextNeedsIndex(t *testing.T) {
	defer func() {
		msg, _ := recover().(string)
		if want := "SearchFields: orm: admintest.Document has no SearchIndex over (title, contact); it declares (title)"; !strings.Contains(msg, want) {
			t.Errorf("panic %q, want one containing %q", msg, want)
		}
	}()
	Register(NewSite(), documents, ModelAdmin[Document]{SearchFields: []string{"@title", "@contact"}})
}
