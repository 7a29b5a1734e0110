package pageform_test

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/quarry-go/quarry/internal/pageform"
)

func TestValues(t *testing.T) {
	page := `<!doctype html><form id="search"><input name="q" value="other form"></form>
<form id="f" method="post">
	<input type="hidden" name="_csrf" value="tok">
	<input name="name" value="A &amp; B &quot;quoted&quot;">
	<input type="number" name="stock" value="124"><input type="hidden" name="initial-stock" value="124">
	<input type="checkbox" name="active" checked><input type="checkbox" name="archived" value="on">
	<input type="radio" name="size" value="s"><input type="radio" name="size" value="m" checked>
	<input name="off" value="x" disabled><input type="search" name="term" form="elsewhere" value="lamp">
	<input type="file" name="photo"><button type="submit" name="_save" value="1">Save</button>
	<textarea name="notes">
line one
line two</textarea>
	<select name="status"><option value="draft">Draft</option><option value="published">Published</option></select>
	<select name="category"><option value="">---</option><option value="3" selected>Books</option></select>
	<select name="tags" multiple><option value="1" selected>a</option><option value="2">b</option><option selected> c </option></select>
	<select name="none" multiple><option value="1">a</option></select>
	<input type="hidden" name="initial-tags" value=""><input type="hidden" name="initial-tags" value="1">
</form>`
	got, err := pageform.Values(page, "f")
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"_csrf": {"tok"}, "name": {`A & B "quoted"`}, "stock": {"124"}, "initial-stock": {"124"},
		"active": {"on"}, "size": {"m"}, "notes": {"line one\nline two"},
		"status": {"draft"}, "category": {"3"}, "tags": {"1", "c"}, "initial-tags": {"", "1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Values:\n got %v\nwant %v", got, want)
	}
	if _, err := pageform.Values(page, "missing"); err == nil {
		t.Fatal("no error for a form the page does not have")
	}
}
