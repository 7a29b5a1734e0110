package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
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
	Register(NewSite(), documents, ModelAdmin[Document]{Options: Options{SearchFields: []string{"@title", "@contact"}}})
}

// TestSearchBounded: a change list search or an autocomplete term of a
// thousand words, or of one enormous word, answers at once on both
// engines: only the first words count, each cut to a bounded length
// (SQLite refuses a statement past some hundreds of conditions).
func TestSearchBounded(t *testing.T) {
	each(t, func(t *testing.T, v *env) {
		v.fixtures(0)
		c := v.as(v.user("root", true, true))
		manyWords := url.QueryEscape("books" + strings.Repeat(" games", 999))
		hugeWord := url.QueryEscape(strings.Repeat("b", 100_000))
		for _, path := range []string{
			"/admin/admintest/product/?q=" + manyWords,
			"/admin/admintest/product/?q=" + hugeWord,
			"/admin/admintest/product/autocomplete/?field=category&term=" + manyWords,
			"/admin/admintest/product/autocomplete/?field=category&term=" + hugeWord,
		} {
			start := time.Now()
			c.get(path).expect(t, http.StatusOK)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%.60s… took %v", path, d)
			}
		}
		// The search shown back is bounded too.
		res := c.get("/admin/admintest/product/?q=" + hugeWord)
		if strings.Contains(res.body, strings.Repeat("b", maxSearchLength+1)) || !strings.Contains(res.body, strings.Repeat("b", maxSearchLength)) {
			t.Errorf("the change list does not show the search back cut to %d characters", maxSearchLength)
		}
	})
}

func TestSearchWordsCut(t *testing.T) {
	words := searchWords(strings.Repeat("w ", 1000) + strings.Repeat("x", 500))
	if len(words) != maxSearchWords {
		t.Fatalf("%d words, want %d", len(words), maxSearchWords)
	}
	long := searchWords("ab " + strings.Repeat("é", 500))
	if len(long) != 2 || len([]rune(long[1])) != maxSearchWordLength {
		t.Fatalf("a 500-character word became %d characters", len([]rune(long[1])))
	}
	if q := boundSearch(strings.Repeat("ü", 5000)); len([]rune(q)) != maxSearchLength {
		t.Fatalf("a 5,000-character search is kept at %d characters", len([]rune(q)))
	}
}
