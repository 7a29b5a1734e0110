// Package orm is Quarry's object-relational mapper: Django's ORM, done the
// Go way, on PostgreSQL (pgx) and SQLite (modernc.org/sqlite, no cgo).
//
// Start with Define (model.go), then QuerySet (queryset.go). The engine
// differences live behind two contracts: the dialect (dialect.go), which
// writes each engine's SQL, and the driver (driver.go), which runs it,
// opens transactions, bulk-inserts and translates errors. Each engine
// fulfils both in its own files (postgres.go and pgx.go, sqlite.go and
// sqlitedriver.go); nothing of pgx or SQLite leaks into a model's code.
//
// # Models
//
// A model is a plain struct plus a declaration that binds metadata to its
// fields through pointers, so renaming a field is a compile error:
//
//	type Post struct {
//		ID        int64 // the automatic primary key
//		Title     string
//		Slug      string
//		ViewCount int
//		IsActive  bool
//		CreatedAt time.Time
//	}
//
//	var Posts = orm.Define("blog", func(p *Post, m *orm.Schema) {
//		m.Char(&p.Title, orm.MaxLength(200))
//		m.Slug(&p.Slug, orm.Unique())
//		m.PositiveInteger(&p.ViewCount, orm.Default(0))
//		m.Boolean(&p.IsActive, orm.Default(true))
//		m.DateTime(&p.CreatedAt, orm.AutoNowAdd())
//		m.Meta(orm.Ordering("-created_at"), orm.Index("-created_at"))
//	})
//
// Field names follow Django: ViewCount is the field "view_count" in
// lookups, column view_count, verbose name "view count"; the table is
// blog_post. A NULL-able field is a pointer (*int, *time.Time) declared
// with orm.Null(). Choices are typed constants (NewChoices, C) and
// Model.Display is get_FOO_display. Meta (Posts.Meta) is the metadata
// migrations, validation and the admin read; Models and LookupModel list
// and find models.
//
// # Queries
//
// Queries find their database in the context (WithDB); a transaction
// started by Atomic travels the same way, so everything called inside
// joins it.
//
//	ctx = orm.WithDB(ctx, db)
//	posts, err := Posts.Objects().
//		Filter(orm.Q{"is_active": true, "title__icontains": "django"}).
//		Exclude(orm.Q{"view_count__lt": 10}).
//		OrderBy("-created_at").Limit(5).
//		All(ctx)
//
// Django → Quarry:
//
//	Post.objects.all()                         Posts.Objects().All(ctx)
//	Post.objects.get(pk=1)                     Posts.Objects().Get(ctx, orm.Q{"pk": 1})
//	Post.objects.filter(a=1).exclude(b=2)      ….Filter(orm.Q{"a": 1}).Exclude(orm.Q{"b": 2})
//	Q(a=1) | Q(b=2), ~Q(c=3)                   orm.Or(orm.Q{"a": 1}, orm.Q{"b": 2}), orm.Not(orm.Q{"c": 3})
//	F("view_count") + 1                        orm.F("view_count").Add(1)
//	qs[5:10]                                   qs.Offset(5).Limit(5)
//	qs.first() / qs.last()                     qs.First(ctx) / qs.Last(ctx)  (DoesNotExist when empty)
//	qs.count() / qs.exists()                   qs.Count(ctx) / qs.Exists(ctx)
//	qs.values("id", "title")                   qs.Values(ctx, "id", "title")
//	qs.values_list("id", flat=True)            orm.Flat[int64](ctx, qs, "id")
//	qs.only("title") / qs.defer("body")        qs.Only("title") / qs.Defer("body")
//	qs.iterator(chunk_size=500)                for p, err := range qs.Iter(ctx, 500)
//	qs.update(view_count=F("view_count")+1)    qs.Update(ctx, orm.Values{"view_count": orm.F("view_count").Add(1)})
//	qs.delete()                                qs.Delete(ctx)
//	qs.explain()                               qs.Explain(ctx)
//	qs.select_for_update(nowait=True)          qs.SelectForUpdate(orm.NoWait())
//	Post.objects.create(...)                   Posts.Objects().Create(ctx, &Post{...})
//	get_or_create / update_or_create           qs.GetOrCreate(ctx, lookup, defaults) / qs.UpdateOrCreate(…)
//	bulk_create(objs, batch_size=100)          qs.BulkCreate(ctx, objs, 100)
//	bulk_update(objs, ["f"], batch_size=100)   qs.BulkUpdate(ctx, objs, []string{"f"}, 100)
//	post.save() / save(update_fields=[…])      Posts.Save(ctx, p) / Posts.Save(ctx, p, orm.UpdateFields("title"))
//	post.delete()                              Posts.Delete(ctx, p)
//	post.full_clean()                          Posts.FullClean(ctx, p)
//	def clean(self): raise ValidationError     func (p *Post) Clean(ctx) error (orm.Cleaner), which FullClean calls
//	post.refresh_from_db()                     Posts.RefreshFromDB(ctx, p)
//	Post.objects.raw(sql, params)              Posts.Raw(ctx, sql, args...)
//	connection.cursor().execute(sql, params)   orm.Query / orm.QueryRow / orm.Exec
//	transaction.atomic()                       orm.Atomic(ctx, func(ctx context.Context) error {…})
//	transaction.on_commit(fn)                  orm.OnCommit(ctx, fn)
//	class PostQuerySet(QuerySet): active()     type PostQS struct{ orm.QuerySet[Post, PostQS] }; func (q PostQS) Active() PostQS
//	objects = PostManager()                    func PostObjects() PostQS { return orm.NewQuerySet(Posts, …) }
//	….active().popular().order_by(…)           PostObjects().Active().Popular(1000).OrderBy(…)
//	published = PublishedManager()             var Published = orm.AddManager(Posts, "published", func() PostQS {…})
//	Meta.default_manager_name                  orm.AddManager(Posts, "published", …, orm.AsDefault())
//	Post._default_manager (the admin's)        Posts.DefaultManager(), an orm.Manager: rows as any (*Post)
//	post.save(), str(post) (the admin's)       Posts.Meta.Model(), an orm.AnyModel: .Save(ctx, obj), .String(obj)
//
// Model.Objects is always the plain manager: Go cannot replace it, and
// related-object access and deletion rely on it seeing every row, as
// Django's base manager does. AddManager names a manager function so that
// code holding only a *Meta (the admin) can reach it; Meta.Model does the
// same for the instance operations.
//
// # Expressions and aggregation
//
//	qs.aggregate(total=Count("id"),            row, err := qs.Aggregate(ctx, orm.A{"total": orm.Count("id"),
//	    avg=Avg("view_count"))                     "avg": orm.Avg("view_count")}); row.Scan(&stats)
//	annotate(n=Count("posts"))                 Annotate(orm.A{"n": orm.Count("posts")}).Scan(ctx, &rows), rows a
//	                                           []struct{ *User; N int64 }: typed, no lookup by name per read;
//	                                           or All, then orm.Annotation[int64](user, "n")
//	.filter(n__gte=5) / .order_by("-n")        .Filter(orm.Q{"n__gte": 5}) (HAVING) / .OrderBy("-n")
//	Count("items__product", distinct=True)     orm.Count("items__product", orm.Distinct())
//	Count("id", filter=Q(is_active=True))      orm.Count("id", orm.Where(orm.Q{"is_active": true}))
//	values("author").annotate(n=Count("id"))   GroupBy("author").Annotate(orm.A{"n": orm.Count("id")}).Values(ctx)
//	F("price") - F("cost")                     orm.F("price").Sub(orm.F("cost"))
//	ExpressionWrapper(…, output_field=…)       expr.Output(orm.KindDecimal)
//	Case(When(x__gte=1, then=Value("a")),      orm.Case(orm.When(orm.Q{"x__gte": 1}, "a"),
//	    default=Value("b"))                        orm.Else("b"))
//	Subquery(qs.filter(author=OuterRef("pk"))  orm.Subquery(qs.Filter(orm.Q{"author": orm.OuterRef("pk")})
//	    .values("title")[:1])                      .Limit(1), "title")
//	filter(Exists(qs))                         Filter(orm.Exists(qs)), Filter(orm.Not(orm.Exists(qs)))
//	Coalesce, Lower, Upper, Length, Concat,    orm.Coalesce, orm.Lower, orm.Upper, orm.Length, orm.Concat,
//	    Now, TruncDate, TruncMonth                 orm.Now, orm.TruncDate, orm.TruncMonth
//
// Annotated rows read as typed structs with Scan: the struct's fields are
// the values by name (snake case of the Go name, or an `orm:"name"` tag),
// and an embedded model struct is loaded whole beside them. A value that
// can be NULL (Sum, Avg, Max and Min over no rows, a Subquery with no row)
// must be read into a pointer; a non-pointer field refuses NULL rather than
// reading it as zero. Count is never NULL.
//
// Where an argument is a field, a string names it (orm.Sum("price")); where
// it is a result (a Case branch, an operand of Add), a plain Go value is a
// constant: orm.When(cond, "viral") is Django's then=Value("viral").
// Results have Django's types: Count is int64, Avg of integers float64,
// Sum, Avg, Max and Min of decimals decimal.Decimal (exact on SQLite too,
// through Quarry's own aggregate functions). As in Django, Annotate reuses
// the multi-valued joins of the Filter calls before it, two aggregates
// over different multi-valued relations multiply each other's rows (use
// Distinct or a Subquery), and a GroupBy query ignores Meta.Ordering.
// Aggregate over a grouped queryset reads its groups from a derived table
// (annotate(n=Count("posts")).aggregate(Avg("n")) is
// Annotate(orm.A{"n": …}).Aggregate(ctx, orm.A{"avg": orm.Avg("n")})).
//
// # Full-text search
//
// Modelled on Django's django.contrib.postgres.search, on both engines. A
// model declares what may be searched, and a query may only search that,
// so every search is served by an index:
//
//	m.Meta(orm.SearchIndex("name", "description").Weights("A", "B"))
//
//	v, q := orm.SearchVector("name", "description"), orm.SearchQuery(text)
//	Products.Objects().Filter(orm.Search(v, q)).
//		Annotate(orm.A{"rank": orm.SearchRank(v, q)}).OrderBy("-rank", "pk")
//	Products.Objects().Filter(orm.Q{"name__search": text}) // needs SearchIndex("name")
//
// SearchIndex takes text fields, optional weights "A" (highest) to "D", one
// per field, and a text search configuration: "english" (the default;
// words are stemmed, "running" finds "run") or "simple" (words as written,
// in any case). A search over fields without a SearchIndex over exactly
// those fields is an error naming the ones declared. SearchQuery reads
// text as web search syntax (PostgreSQL's websearch_to_tsquery): every
// word must occur, a "quoted phrase" as written, a -word must not, and
// "or" accepts either side; words joined by punctuation ("e-mail") are a
// phrase. Nothing else is syntax, and no text is an error. A query with
// nothing to find (empty, punctuation, only -words) matches nothing.
// SearchRank is higher for a better match and 0 for none; its values
// differ between engines, only its order means something.
//
// On PostgreSQL the weighted tsvector (to_tsvector of each coalesced
// column, setweight, ||) is a stored generated column named as the index,
// which the database keeps current on every write, with a GIN index on
// it; a search matches and ranks (ts_rank) that column, so ranking reads
// each match's vector rather than parsing its text again. On SQLite it is an FTS5 table reading the model's
// table (external content, keyed by the row id: the model needs an
// integer primary key), tokenized as the configuration says ("porter
// unicode61 remove_diacritics 2" for english, "unicode61" for simple),
// kept current by triggers on every write (Save, Update, BulkCreate, raw
// SQL alike), and ranked with bm25 weighted A=1.0, B=0.4, C=0.2, D=0.1 as
// ts_rank's defaults. The engines differ at the edges: PostgreSQL's
// english configuration ignores stop words ("the", "and") that SQLite
// finds; SQLite's english folds accents ("cafe" finds "café"); a
// PostgreSQL phrase can span the end of one field and the start of the
// next.
//
// TrigramIndex("name") declares a trigram index, for typos:
// TrigramSimilarity("name", text) is the share of trigrams in common (0
// to 1, pg_trgm's similarity) and Q{"name__trigram_similar": text} keeps
// the rows at or above pg_trgm's default threshold, 0.3. On PostgreSQL it
// is a GIN gin_trgm_ops index on UPPER(name), the expression icontains,
// istartswith, iendswith and iexact compare, so it serves them too; the
// pg_trgm extension is created (once, in schema public, which must be on
// the search_path) with the index. On SQLite an FTS5 table tokenized by
// trigram finds the rows sharing a trigram inside a word with the text,
// and only those are scored; so a text whose words are all shorter than
// three letters finds nothing there.
//
// Both kinds are recorded in the schema state (IndexState.Kind) and
// created, added and removed by makemigrations; on SQLite a table rebuild
// or rename makes them again.
//
// # Relations
//
//	author = ForeignKey(User, on_delete=CASCADE,  Author orm.FK[User]
//	    related_name="posts")                    m.ForeignKey(&p.Author, orm.OnDelete(orm.Cascade), orm.RelatedName("posts"))
//	user = OneToOneField(User, …)              User orm.FK[User];  m.OneToOne(&p.User, orm.OnDelete(orm.Cascade))
//	tags = ManyToManyField(Tag)                Tags orm.M2M[Tag];  m.ManyToMany(&p.Tags, orm.RelatedName("posts"))
//	ManyToManyField(…, through="Enrollment")   m.ManyToMany(&c.Students, orm.Through("school.Enrollment"))
//	post.author_id                             post.Author.ID (no query)
//	post.author                                post.Author.Get(ctx) (one query, unless loaded)
//	post.tags.add(a, b) / remove / set / clear post.Tags.Add(ctx, a, b) / Remove / Set / Clear
//	post.tags.all()                            post.Tags.All(ctx), post.Tags.Query() to filter further
//	user.posts (the related manager)           var PostsOf = orm.ReverseOf[User](Posts, "author"), declared once
//	user.posts.all()                           PostsOf.All(ctx, user) (from a prefetch when there was one)
//	user.posts.filter(…)                       PostsOf.Of(user).Filter(…), or Posts.Objects().Filter(orm.Q{"author": user}, …)
//	tag.posts.all()                            Posts.Objects().Filter(orm.Q{"tags": tag})
//	filter(author__username="alice")           Filter(orm.Q{"author__username": "alice"}), any depth, both directions
//	select_related("author__profile")          SelectRelated("author__profile")
//	prefetch_related("tags", Prefetch(…))      PrefetchRelated("tags", orm.Prefetch{Lookup: …, QuerySet: …, ToAttr: …})
//	user.posts.all() after prefetch            PostsOf.All(ctx, user), or orm.Prefetched[Post](user, "posts")
//	on_delete=PROTECT / RESTRICT / SET_NULL …  orm.Protect, orm.Restrict, orm.SetNull, orm.SetDefault, orm.OnDeleteSet(fn), orm.DoNothing
//	the admin's "are you sure?" page           qs.DeletePreview(ctx), Posts.DeletePreview(ctx, post)
//
// Go has no properties, so a related object is loaded by an explicit call
// that takes a context: the I/O is visible where it happens. Without a
// related_name, reverse lookups use the model name ("comment") and the
// accessor name is "comment_set", as in Django; "+" hides the reverse side.
// A relation may point at a model defined later or at its own model;
// clashing reverse names, SET_NULL without Null() and SET_DEFAULT without
// a default fail when the model is defined. Exclude across a multi-valued
// relation is a NOT IN subquery, and conditions in one Filter call on a
// multi-valued relation apply to the same related row, as in Django.
//
// Lookups are Django's: exact, iexact, contains, icontains, startswith,
// istartswith, endswith, iendswith, gt, gte, lt, lte, in (a slice or a
// queryset), isnull, range, regex, iregex, and the transforms date, year,
// quarter, month, week, week_day, day, hour, minute, second, which can be
// followed by a comparison (created_at__year__gte). Both engines give the
// same answers: case-insensitive lookups fold non-ASCII letters on SQLite
// too, and % and _ in the user's text are literal. A name that does not
// resolve is a *FieldError listing the valid choices, a value of the wrong
// type a *ValueError; chaining keeps the first error and the evaluating
// call returns it, before any SQL is sent. Every value is a bind
// parameter; every identifier comes from metadata.
//
// Choices Quarry made where Go differs from Python:
//
//   - Defaults: an instance from Model.New has every default set, and the
//     zero values set on it afterwards are kept. Any other instance (a
//     struct literal) gets a field's default where the field is at its zero
//     value when it is inserted — so Create(&Post{IsActive: false}) stores
//     the default true; use Posts.New() to store false explicitly.
//   - Deferred fields (Only, Defer) stay at their zero value; reading one
//     is an explicit RefreshFromDB, one query, and Save leaves their
//     columns alone.
//   - Update, BulkCreate and BulkUpdate call no Save and send no signals, as
//     in Django (see Signals).
//   - Times are stored in UTC; SQLite keeps them as text with microseconds
//     and decimals as exact text, compared numerically.
//   - SelectForUpdate outside Atomic is ErrLockOutsideTransaction. SQLite
//     has no row locks: its transactions take the write lock at BEGIN
//     (BEGIN IMMEDIATE), which serialises writers instead.
//   - Raw SQL uses ? placeholders on both engines.
//
// # Signals
//
// Each model has its own signals, typed by the model, so a receiver gets
// the instance as a *Post and connects without a sender argument:
//
//	@receiver(post_save, sender=User)          disconnect := Users.PostSave.Connect(
//	def create_profile(sender, instance,           func(ctx context.Context, e orm.SaveEvent[User]) error {
//	        created, **kwargs):                        if !e.Created { return nil }
//	    if created:                                    return Profiles.Objects().Create(ctx,
//	        Profile.objects.create(user=instance)          &Profile{User: orm.FK[User]{ID: e.Instance.ID}})
//	                                               })
//	pre_save / post_save                       Posts.PreSave / Posts.PostSave: orm.SaveEvent[Post]{Instance, Created, UpdateFields}
//	pre_delete / post_delete                   Posts.PreDelete / Posts.PostDelete: orm.DeleteEvent[Post]{Instance}
//	m2m_changed, sender=Post.tags.through      Posts.M2MChanged: orm.M2MChangedEvent[Post]{Instance, Action, Field: "tags", PKs}
//	action="pre_add" … "post_clear"            orm.PreAdd, orm.PostAdd, orm.PreRemove, orm.PostRemove, orm.PreClear, orm.PostClear
//	post_save.disconnect(create_profile, …)    disconnect()
//
// Receivers run in the order connected, with the sender's context: using
// it, they join the sender's transaction. When a signal of an operation
// has receivers, the operation runs in Atomic (a savepoint inside
// another), so the first receiver error (a *ReceiverError wrapping it)
// undoes the save, delete or many-to-many change and what the receivers
// wrote. Save, Create, GetOrCreate and UpdateOrCreate send the save
// signals; Model.Delete and QuerySet.Delete send the delete signals for
// every deleted row, CASCADE included, loading the rows of models with
// delete receivers (and deleting them one batch of keys at a time rather
// than in one DELETE); Add, Remove, Set and Clear send m2m_changed. As in
// Django, QuerySet.Update, BulkCreate, BulkUpdate, the key updates of
// SET_NULL and friends, and the junction rows a delete removes send
// nothing. Receivers are global: connect them once, at start (a test
// disconnects in t.Cleanup). With none connected a signal costs one atomic
// load.
//
// # Files and images
//
// Schema.File and Schema.Image are Django's FileField and ImageField: the
// column holds a name relative to the storage ("products/kettle.png"),
// and the field an orm.File. Model.SaveFile stores an upload in the
// default Storage under an unused name in the field's UploadTo folder
// and sets the field; it does not save the object.
//
//	instance.image.save(name, content)      Products.SaveFile(ctx, p, "image", name, r)
//	instance.image.url                      p.Image.URL()
//	instance.image.path                     p.Image.Path() (local storage only)
//	instance.image.delete(save=False)       Products.DeleteFile(ctx, p, "image")
//	settings.MEDIA_ROOT, MEDIA_URL          SetMedia(root, url)
//	STORAGES["default"]                     SetStorage(s)
//
// What is stored is never what the client's name says it is:
//
//   - an ImageField upload must decode (GIF, JPEG, PNG or WebP, with
//     Pillow's limit on pixels) and is named with the extension of the
//     format it decoded as: a PNG sent as "evil.html" is kept as
//     "evil.png";
//   - a FileField upload keeps its extension unless browsers would run it
//     (.html, .svg, .xml, .js, server scripts, …), in which case it is
//     kept as text: "page.html" becomes "page_html.txt";
//   - no stored name has a second dot, so that "x.php.png" is not a PHP
//     script to a server that maps every extension.
//
// An ImageField upload also gets a thumbnail beside it, a JPEG of
// ThumbnailWidth × ThumbnailHeight (the image fitted on white), at
// File.ThumbnailURL, for lists and the admin's preview. As in Django,
// replacing or clearing a file, or deleting its object, leaves the stored
// files in place; DeleteFile removes a file and its thumbnail.
//
// Storage is the place for an object store: FileSystemStorage (a folder,
// through os.Root, so that no name leaves it) is the default, and an S3 or
// GCS client that implements Save, Open, Delete, Exists and URL replaces
// it with SetStorage at start; its URL then points browsers at the bucket
// or CDN. The web server serves a FileSystemStorage's files under
// /media/, as images or as downloads, never as pages.
//
// # Errors
//
// ErrDoesNotExist (and each model's DoesNotExist), ErrMultipleObjectsReturned,
// *IntegrityError (the constraint and its fields, from either engine),
// *ValidationError (Django's messages per field), *FieldError, *ValueError.
//
// # Observability
//
// Every statement passes through one place: a Tracer (WithTracer), debug
// logs of the SQL, and per-context observers (Observe, CountQueries) that
// ormtest.AssertNumQueries builds on.
package orm
