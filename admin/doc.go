// Package admin is Django's admin site for Quarry: a staff user signs in
// at /admin/ and manages every registered model in the browser, with the
// list pages and forms generated from the models' metadata.
//
// An app registers a model with its options, as Django's ModelAdmin, in
// the Admin function of its app.App, which gets the site the program
// installs it on (admin.Default unless the program says otherwise):
//
//	admin.Register(site, blog.Posts, admin.ModelAdmin[blog.Post]{Options: admin.Options{
//		ListDisplay:        []string{"title", "author", "is_active", "created_at"},
//		ListFilter:         []string{"is_active", "category", "created_at"},
//		SearchFields:       []string{"title", "body"},
//		PrepopulatedFields: map[string][]string{"slug": {"title"}},
//		Inlines:            []admin.Inline{admin.Tabular(blog.Comments, admin.InlineOptions{})},
//	}})
//
// Options are the settings; the options that are code taking the model's
// type, Actions, Methods and SaveModel, sit beside them in the ModelAdmin.
//
// and the program serves the site with Site.Mount. An app adds pages of
// its own (a report, a dashboard) with Site.AddView: they sit behind the
// same sign-in and appear on the index under the app. The URLs are Django's:
// /admin/, /admin/login/, /admin/logout/, /admin/<app>/<model>/ (the
// change list), …/add/, …/<pk>/change/, …/<pk>/delete/ and
// …/<pk>/history/, plus …/export/ and …/import/ for CSV, and for the user
// model …/<pk>/password/.
//
// What Django's admin does, this does:
//   - labels from verbose_name, select boxes from choices, required exactly
//     when blank is false, non-editable fields read-only, help text under
//     the field, Django's error messages beside it;
//   - permissions per model (view, add, change, delete; superusers have
//     all): the index shows what the user may use, other pages answer 403;
//     an inline's rows follow its own model's permissions, and an
//     autocomplete lists a model's objects only to those who may view it;
//   - a delete confirmation listing what the delete cascades to and what
//     PROTECT or RESTRICT blocks, refusing while anything blocks it;
//   - a history of every add, change (naming the fields) and delete;
//   - saves that write only what the user changed (Django's
//     show_hidden_initial and has_changed): the change form and the
//     editable list send the values they showed as initial-<name>
//     inputs, and a field counts as changed when its input differs from
//     them. The others are not written, so a change made meanwhile (an
//     order taking stock) is kept. A field the user changed that someone
//     else changed too since the page was shown is refused with an error
//     naming its current value, and nothing of that object (of that
//     list) is saved. A POST without the initial values compares with
//     the database, as before; a CSV import, which has no page, too;
//   - inlines of rows only the application writes: InlineOptions' NoAdd
//     and NoDelete (Django's has_add_permission and can_delete) take the
//     empty rows, "Add another" and the Delete boxes away from everyone,
//     and the save refuses a forged row and ignores a forged Delete;
//     ModelAdmin.NoAdd does the same for a whole model: no Add button,
//     and the add form and the CSV import are refused;
//   - change pages that cost the same whatever the number of rows they
//     show: an inline's rows come with the related objects they name,
//     joined (the foreign keys among their fields, and
//     InlineOptions.SelectRelated, Django's list_select_related, for
//     what the fields do not reveal); the options of an inline's selects
//     are loaded once for all its rows; and a model whose String reads a
//     relation says so (ModelAdmin.StringSelectRelated), so that wherever
//     the admin names one of its objects, the relation is loaded with it;
//   - a save of the admin's own (ModelAdmin.SaveModel, Django's
//     save_model) for an object whose save must do more than write its
//     row, used by the forms, the editable list and the import alike,
//     its *orm.ValidationError shown on the form;
//   - sidebar filters of the admin's own beside the field filters
//     (SimpleFilter, Django's SimpleListFilter): a title, a query
//     parameter, the choices, and a func that narrows the queryset;
//   - a user's password is never shown: the change form describes the
//     hash and links to the password form (Django's
//     user_change_password), where whoever may change users types a new
//     one twice. Saving it ends every session of that user, except the
//     browser of a staff user changing their own, and the history records
//     "Changed password.". The link is a Method's Linked value: text with
//     links, escaped, without HTML in a string.
//
// Choices made where Django has settings:
//   - times are shown and entered in UTC;
//   - a filter value in the URL that a filter does not offer (a field
//     filter's that does not parse, a SimpleFilter's not among its
//     lookups) is ignored and the list shows all, so a stale bookmark
//     still opens; Django shows an error page for the first and hands
//     the second to the filter's queryset;
//   - a change list without filters on a large PostgreSQL table shows the
//     planner's row estimate instead of COUNT(*) (EstimateCountOver);
//   - a foreign key whose target has more than 1,000 objects is no
//     select of every row, which would load the table on every page: it
//     is typed as the key, with the object's name beside it (Django's
//     raw_id_fields); AutocompleteFields, on a ModelAdmin or an inline,
//     makes it a search of the target's SearchFields; RawIDFields makes
//     any foreign key (or many-to-many field, as keys separated by
//     commas) a typed key with a Lookup link to the target's change list;
//   - RadioFields shows a field with choices, or a foreign key, as radio
//     buttons (Django's radio_fields), laid out Horizontal or Vertical;
//   - FilterHorizontal and FilterVertical show a many-to-many field as
//     two lists, available and chosen, with a filter and buttons to move
//     entries across (Django's filter_horizontal, used for a group's
//     permissions and a user's groups); without JavaScript it is the
//     plain multiple select;
//   - SaveAs offers "Save as new" on the change form (Django's save_as):
//     the form, with its inline rows, is saved as a new object, for a
//     user who may add;
//   - a user added in the admin has no usable password until one is set
//     on the password form: the add form asks for none (Django's asks
//     for it twice);
//   - sign-in failures are throttled by auth.Throttle, and sessions are
//     auth's database sessions; every POST carries a CSRF token.
//
// Pages are rendered by the components in views/admin, which take plain
// view models; this package turns metadata into those.
package admin
