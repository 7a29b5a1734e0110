package orm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Full-text search and trigram similarity, as Django's
// django.contrib.postgres.search, on both engines: PostgreSQL's tsvector
// with a GIN index and pg_trgm; SQLite's FTS5 tables kept current by
// triggers. A query may only search what an index declares, so that every
// search is served by its index.

// The kinds of IndexDef.Kind and IndexState.Kind besides an ordinary index.
const (
	IndexSearch  = "search"
	IndexTrigram = "trigram"
)

// DefaultSearchConfig is the text search configuration of a SearchIndex
// that names none.
const DefaultSearchConfig = "english"

// searchTokenizers are the configurations a SearchIndex may use, with the
// FTS5 tokenizer that splits and folds words as PostgreSQL's configuration
// of that name does (english stems; simple only lower-cases).
var searchTokenizers = map[string]string{
	"english": "porter unicode61 remove_diacritics 2",
	"simple":  "unicode61",
}

// searchWeights are PostgreSQL's default weights of ts_rank for the labels
// A to D, which SQLite's bm25 takes as column weights.
var searchWeights = map[string]string{"A": "1.0", "B": "0.4", "C": "0.2", "D": "0.1"}

// trigramThreshold is pg_trgm.similarity_threshold's default, the bound of
// the trigram_similar lookup (PostgreSQL's % operator).
const trigramThreshold = 0.3

// SearchIndexOption is a SearchIndex declaration in Meta.
type SearchIndexOption struct{ def IndexDef }

// SearchIndex declares a full-text index over text fields, which Search,
// SearchRank and the search lookup need:
//
//	m.Meta(orm.SearchIndex("name", "description").Weights("A", "B"))
func SearchIndex(fields ...string) SearchIndexOption {
	return SearchIndexOption{IndexDef{Kind: IndexSearch, Fields: fields}}
}

// Weights labels each field "A" (highest) to "D", as Django's
// SearchVector(weight=…): a match in an "A" field ranks above one in a "B"
// field. One label per field, in the order of the fields.
func (o SearchIndexOption) Weights(labels ...string) SearchIndexOption {
	o.def.Weights = slices.Clone(labels)
	return o
}

// Config sets the text search configuration: "english" (the default:
// words are stemmed, so "running" finds "run") or "simple" (words as
// written, folded to lower case).
func (o SearchIndexOption) Config(name string) SearchIndexOption {
	o.def.Config = name
	return o
}

// Named gives the index its name (on SQLite, the name of its FTS5 table).
func (o SearchIndexOption) Named(name string) SearchIndexOption {
	o.def.Name = name
	return o
}

func (o SearchIndexOption) apply(m *Meta) error {
	m.Indexes = append(m.Indexes, o.def)
	return nil
}

// TrigramIndex declares a trigram index on a text field, which
// TrigramSimilarity and the trigram_similar lookup need; on PostgreSQL it
// also serves icontains, istartswith, iendswith and iexact on the field.
func TrigramIndex(field string) IndexOption {
	return IndexOption{Kind: IndexTrigram, Fields: []string{field}}
}

func indexKindName(kind string) string {
	if kind == IndexTrigram {
		return "TrigramIndex"
	}
	return "SearchIndex"
}

// checkTextIndex checks a SearchIndex or TrigramIndex and fills in its
// defaults.
func (m *Meta) checkTextIndex(ix *IndexDef) error {
	if ix.Kind != IndexSearch && ix.Kind != IndexTrigram {
		return fmt.Errorf("index kind %q is unknown", ix.Kind)
	}
	what := indexKindName(ix.Kind) + "(" + strings.Join(ix.Fields, ", ") + ")"
	if !m.PK.Kind.isInteger() {
		// SQLite's FTS5 table is keyed by the row id.
		return fmt.Errorf("%s needs an integer primary key, and %s is a %s", what, m.PK.Name, m.PK.Kind)
	}
	for i, name := range ix.Fields {
		f := m.Field(name)
		if f == nil || f.PrimaryKey || !f.Kind.isText() {
			return fmt.Errorf("%s: %s is not a text field", what, name)
		}
		if c := strings.ToLower(f.Column); c == "rank" || c == "rowid" {
			return fmt.Errorf("%s: SQLite's FTS5 reserves the column name %s", what, f.Column)
		}
		if slices.Contains(ix.Fields[:i], name) {
			return fmt.Errorf("%s: %s is listed twice", what, name)
		}
	}
	switch ix.Kind {
	case IndexSearch:
		if ix.Config == "" {
			ix.Config = DefaultSearchConfig
		}
		if _, ok := searchTokenizers[ix.Config]; !ok {
			return fmt.Errorf("%s: text search configuration %q is not supported; use \"english\" or \"simple\"", what, ix.Config)
		}
		if len(ix.Weights) > 0 && len(ix.Weights) != len(ix.Fields) {
			return fmt.Errorf("%s: %d weights for %d fields", what, len(ix.Weights), len(ix.Fields))
		}
		for _, w := range ix.Weights {
			if searchWeights[w] == "" {
				return fmt.Errorf("%s: weight %q is not one of A, B, C, D", what, w)
			}
		}
	case IndexTrigram:
		if len(ix.Fields) != 1 {
			return fmt.Errorf("%s: a trigram index covers one field", what)
		}
	}
	for i := range m.Indexes {
		if other := &m.Indexes[i]; other != ix && other.Kind == ix.Kind && sameFields(other.Fields, ix.Fields) {
			return fmt.Errorf("%s is declared twice", what)
		}
	}
	if ix.Name == "" {
		suffix := "search"
		if ix.Kind == IndexTrigram {
			suffix = "trgm"
		}
		ix.Name = indexName(m.Table, columnsOf(m, ix.Fields), suffix)
	}
	return nil
}

func sameFields(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}

// textIndex finds the index of the kind over exactly the fields, or says
// which ones m declares.
func (m *Meta) textIndex(kind string, fields []string) (*IndexDef, error) {
	var declared []string
	for i, ix := range m.Indexes {
		if ix.Kind != kind {
			continue
		}
		if sameFields(ix.Fields, fields) {
			return &m.Indexes[i], nil
		}
		declared = append(declared, "("+strings.Join(ix.Fields, ", ")+")")
	}
	have := "it declares none"
	if len(declared) > 0 {
		have = "it declares " + strings.Join(declared, ", ")
	}
	return nil, fmt.Errorf("orm: %s has no %s over (%s); %s", m.Label(), indexKindName(kind), strings.Join(fields, ", "), have)
}

// SearchIndexOver returns the SearchIndex over exactly the fields, or an
// error naming the ones m declares: for checks made at start, such as the
// admin's.
func (m *Meta) SearchIndexOver(fields ...string) (*IndexDef, error) {
	return m.textIndex(IndexSearch, fields)
}

// Vector is the fields a search looks in (Django's SearchVector).
type Vector struct{ fields []string }

// SearchVector names the fields to search; a SearchIndex over exactly
// these fields must be declared, and its weights and configuration apply.
func SearchVector(fields ...string) Vector { return Vector{fields: slices.Clone(fields)} }

// TextQuery is what a visitor typed into a search box (Django's
// SearchQuery with search_type="websearch").
type TextQuery struct{ text string }

// SearchQuery reads text as web search syntax, as PostgreSQL's
// websearch_to_tsquery: the words must all occur (in any order and form:
// "shoes" finds "shoe" with the english configuration), a "quoted phrase"
// must occur as written, a word after a minus (-leather) must not occur,
// and "or" between words accepts either side. Nothing in the text is an
// operator of the engine. A query with no word to find (empty, only
// punctuation or only excluded words) matches nothing.
func SearchQuery(text string) TextQuery { return TextQuery{text: text} }

type searchCond struct {
	v Vector
	q TextQuery
}

func (searchCond) isCond() {}

// Search is the condition that the vector's fields match the query, for
// Filter and Exclude: Filter(orm.Search(orm.SearchVector("name",
// "description"), orm.SearchQuery(q))). A single field can also be
// searched with the lookup Q{"name__search": q}.
func Search(v Vector, q TextQuery) Cond { return searchCond{v, q} }

// SearchRank is how well a row matches the query, higher first, for
// Annotate (and OrderBy by the annotation's name). The values differ
// between engines (ts_rank on PostgreSQL, bm25 on SQLite); only their order
// means something. A row that does not match ranks 0.
func SearchRank(v Vector, q TextQuery) Expr { return Expr{searchRankSpec{v, q}} }

// TrigramSimilarity is the share of trigrams (three-letter sequences of
// the words, as pg_trgm counts them) that field and text have in common,
// from 0 to 1; the field needs a TrigramIndex.
func TrigramSimilarity(field, text string) Expr { return Expr{trigramSpec{field, text}} }

// textTarget is an index resolved in a query: its columns (in the index's
// order) and the primary key that SQLite's FTS5 table is keyed by.
type textTarget struct {
	ix   *IndexDef
	cols []colRef
	pk   colRef
}

func (r *resolver) textTarget(kind string, names []string) (*textTarget, error) {
	if r.q == nil {
		return nil, fmt.Errorf("orm: %s: a search cannot be used here", r.meta.Label())
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("orm: %s: SearchVector needs at least one field", r.meta.Label())
	}
	var first colRef
	for i, name := range names {
		col, rest, err := r.walk(name)
		if err != nil {
			return nil, err
		}
		if len(rest) > 0 || col.ann != nil {
			return nil, r.meta.unknownField(name)
		}
		if i == 0 {
			first = col
		} else if col.table != first.table {
			return nil, fmt.Errorf("orm: %s: the fields of a search (%s) must belong to one model", r.meta.Label(), strings.Join(names, ", "))
		}
	}
	return targetOf(kind, first, names)
}

// targetOf finds the index of the kind over the named fields of the model
// of col, which a query reaches as col.table.
func targetOf(kind string, col colRef, names []string) (*textTarget, error) {
	m := col.field.model
	fields := make([]string, len(names))
	for i, name := range names {
		fields[i] = m.Field(name).Name // "pk" is the key's name
	}
	ix, err := m.textIndex(kind, fields)
	if err != nil {
		return nil, err
	}
	t := &textTarget{ix: ix, pk: colRef{table: col.table, field: m.PK}}
	for _, name := range ix.Fields {
		t.cols = append(t.cols, colRef{table: col.table, field: m.Field(name)})
	}
	return t, nil
}

// textLookup is the search and trigram_similar lookups on the field of col.
func (r *resolver) textLookup(col colRef, lookup string, value any) (node, error) {
	kind := IndexSearch
	if lookup == "trigram_similar" {
		kind = IndexTrigram
	}
	text, ok := value.(string)
	if q, isQuery := value.(TextQuery); isQuery && kind == IndexSearch {
		text, ok = q.text, true
	}
	if !ok {
		return nil, &ValueError{Field: col.field, Value: value, Want: "a string for __" + lookup}
	}
	if r.q == nil {
		return nil, fmt.Errorf("orm: %s: a search cannot be used here", r.meta.Label())
	}
	t, err := targetOf(kind, col, []string{col.field.Name})
	if err != nil {
		return nil, err
	}
	if kind == IndexTrigram {
		return &trigramNode{t: t, text: cleanText(text)}, nil
	}
	return &searchNode{t: t, q: parseWebSearch(text)}, nil
}

type searchNode struct {
	t *textTarget
	q webQuery
}

func (n *searchNode) compile(c *compiler) error {
	if len(n.q) == 0 {
		c.sql.WriteString("(1 = 0)")
		return nil
	}
	return c.d.searchMatch(c, n.t, n.q)
}

type trigramNode struct {
	t    *textTarget
	text string
}

func (n *trigramNode) compile(c *compiler) error { return c.d.trigramSimilar(c, n.t, n.text) }

type searchRankSpec struct {
	v Vector
	q TextQuery
}

func (s searchRankSpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	t, err := r.textTarget(IndexSearch, s.v.fields)
	if err != nil {
		return nil, err
	}
	f := exprField("rank", KindFloat, r.meta)
	f.Null = false
	return &searchRankExpr{t: t, q: parseWebSearch(s.q.text), out: f}, nil
}

type searchRankExpr struct {
	t   *textTarget
	q   webQuery
	out *Field
}

func (e *searchRankExpr) field() *Field { return e.out }
func (e *searchRankExpr) hasAgg() bool  { return false }
func (e *searchRankExpr) sql(c *compiler) (string, error) {
	if len(e.q) == 0 {
		return "CAST(0 AS DOUBLE PRECISION)", nil
	}
	return c.d.searchRank(c, e.t, e.q)
}

type trigramSpec struct{ field, text string }

func (s trigramSpec) resolve(r *resolver, _ *Field) (resolvedExpr, error) {
	t, err := r.textTarget(IndexTrigram, []string{s.field})
	if err != nil {
		return nil, err
	}
	f := exprField("similarity", KindFloat, r.meta)
	f.Null = t.cols[0].field.Null
	return &trigramExpr{t: t, text: cleanText(s.text), out: f}, nil
}

type trigramExpr struct {
	t    *textTarget
	text string
	out  *Field
}

func (e *trigramExpr) field() *Field { return e.out }
func (e *trigramExpr) hasAgg() bool  { return false }
func (e *trigramExpr) sql(c *compiler) (string, error) {
	col, err := c.colSQL(e.t.cols[0])
	if err != nil {
		return "", err
	}
	return c.d.trigramSimilarity(col, c.arg(e.text)), nil
}

func (s searchCond) resolveNode(r *resolver) (node, error) {
	t, err := r.textTarget(IndexSearch, s.v.fields)
	if err != nil {
		return nil, err
	}
	return &searchNode{t: t, q: parseWebSearch(s.q.text)}, nil
}

// webTerm is a word or a quoted phrase of a web search.
type webTerm struct {
	text   string // the word, or the phrase's words separated by spaces
	phrase bool
	neg    bool
}

// webQuery is a parsed web search: alternatives (or) of terms that must
// all hold. Each alternative has a term to find; none at all matches
// nothing.
type webQuery [][]webTerm

// cleanText makes user text safe for either engine: PostgreSQL refuses
// NUL and broken UTF-8 as a server error, and control characters are
// never part of a word.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// hasWord reports whether s has a character that either engine's parser
// takes as part of a word; other terms find nothing and are dropped.
func hasWord(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) })
}

// parseWebSearch reads web search syntax as websearch_to_tsquery does.
func parseWebSearch(text string) webQuery {
	rs := []rune(cleanText(text))
	var q webQuery
	var group []webTerm
	flush := func() {
		if slices.ContainsFunc(group, func(t webTerm) bool { return !t.neg }) {
			q = append(q, group)
		}
		group = nil
	}
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		var t webTerm
		if rs[i] == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			t.neg = true
			i++
		}
		j := i
		if rs[i] == '"' {
			t.phrase = true
			for j = i + 1; j < len(rs) && rs[j] != '"'; j++ {
			}
			t.text = strings.Join(strings.Fields(string(rs[i+1:j])), " ")
			i = j + 1
		} else {
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			t.text = strings.TrimLeft(string(rs[i:j]), "-")
			i = j
		}
		if !t.phrase && !t.neg && strings.EqualFold(t.text, "or") {
			flush()
			continue
		}
		if hasWord(t.text) {
			group = append(group, t)
		}
	}
	flush()
	return q
}

// ftsString is s as an FTS5 string, which FTS5 splits into a phrase of the
// table's tokens and never reads as an operator.
func ftsString(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// websearch renders q for websearch_to_tsquery, every term quoted so that
// nothing in it is syntax.
func (q webQuery) websearch() string {
	alts := make([]string, len(q))
	for i, group := range q {
		terms := make([]string, len(group))
		for j, t := range group {
			terms[j] = `"` + t.text + `"`
			if t.neg {
				terms[j] = "-" + terms[j]
			}
		}
		alts[i] = strings.Join(terms, " ")
	}
	return strings.Join(alts, " or ")
}

// fts5 renders q as an FTS5 query. FTS5's NOT is binary and nests, and
// its parser refuses a tree deeper than 256, so an alternative's excluded
// terms are one NOT of their OR, which it keeps flat as it does AND.
func (q webQuery) fts5() string {
	alts := make([]string, len(q))
	for i, group := range q {
		var pos, neg []string
		for _, t := range group {
			if t.neg {
				neg = append(neg, ftsString(t.text))
			} else {
				pos = append(pos, ftsString(t.text))
			}
		}
		alts[i] = "(" + strings.Join(pos, " AND ") + ")"
		if len(neg) > 0 {
			alts[i] = "(" + alts[i] + " NOT (" + strings.Join(neg, " OR ") + "))"
		}
	}
	return strings.Join(alts, " OR ")
}

// pgTSVector is a SearchIndex's tsvector on PostgreSQL over the columns
// (written as SQL): the stored column the index is built on is generated
// from it, and an index made before those columns is built on the
// expression itself, which a search must then write the same way. The
// configuration is a literal, as a generated column requires.
func pgTSVector(config string, cols, weights []string) string {
	parts := make([]string, len(cols))
	for i, col := range cols {
		parts[i] = "to_tsvector(" + quoteString(config) + "::regconfig, COALESCE(" + col + ", ''))"
		if len(weights) > 0 {
			parts[i] = "setweight(" + parts[i] + ", " + quoteString(weights[i]) + ")"
		}
	}
	return strings.Join(parts, " || ")
}

func pgTSQuery(c *compiler, config string, q webQuery) string {
	return "websearch_to_tsquery(" + quoteString(config) + "::regconfig, " + c.arg(q.websearch()) + ")"
}

// bm25Weights are the column weights of SQLite's bm25 for a SearchIndex.
func bm25Weights(ix *IndexDef) string {
	var b strings.Builder
	for i := range ix.Fields {
		w := "1.0"
		if len(ix.Weights) > 0 {
			w = searchWeights[ix.Weights[i]]
		}
		b.WriteString(", " + w)
	}
	return b.String()
}

// trigrams are the trigrams of s as pg_trgm makes them: each word (a run
// of letters and digits) in lower case, with two spaces before and one
// after, cut into every sequence of three characters.
func trigrams(s string) map[string]bool {
	out := map[string]bool{}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	for _, w := range words {
		rs := []rune("  " + w + " ")
		for i := 0; i+3 <= len(rs); i++ {
			out[string(rs[i:i+3])] = true
		}
	}
	return out
}

// similarity is pg_trgm's similarity(a, b): the trigrams in common over
// the trigrams of either.
func similarity(a, b string) float64 {
	ta, tb := trigrams(a), trigrams(b)
	common := 0
	for t := range ta {
		if tb[t] {
			common++
		}
	}
	if union := len(ta) + len(tb) - common; union > 0 {
		return float64(common) / float64(union)
	}
	return 0
}

// maxTrigramTerms bounds the candidates query SQLite runs for a trigram
// search of a long text.
const maxTrigramTerms = 64

// trigramCandidates is the FTS5 query (over a trigram-tokenized table)
// for the rows that share a trigram inside a word with text: the rows
// that can be similar to it. Padded trigrams ("  a") are not in the table;
// a text whose words are all shorter than three letters finds none.
func trigramCandidates(text string) string {
	var terms []string
	seen := map[string]bool{}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	for _, w := range words {
		rs := []rune(w)
		for i := 0; i+3 <= len(rs) && len(terms) < maxTrigramTerms; i++ {
			if t := string(rs[i : i+3]); !seen[t] {
				seen[t] = true
				terms = append(terms, ftsString(t))
			}
		}
	}
	return strings.Join(terms, " OR ")
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
