"""The search API shared by the CLI, the notebooks and the exports.

:func:`search` parses a Whoosh query (AND, OR, NOT, "phrases", field:value, prefix*, fuzzy~;
terms AND-ed by default) against every text field: each word is analysed by the French, the
English and the folding chains and by the exact one, and a document matches if any of its
fields does. Quoted phrases search only the exact (folded, unstemmed) field, so they match
the words as written, in that order.

Filters narrow by facet value (several values of one facet OR-ed, facets AND-ed), by scope
(``kind``) and by saved date. Speed choices, measured (see docs/search.md): the matching
documents are collected once (scored in one pass when ranking by relevance, else with
``docs_for_query``); the scope bounds the matcher (a docnum range, see :func:`_of_kind`), so
that an excerpt search never walks article postings; facet counts and filters use per-searcher
caches of ``value -> set of docnums`` built from the postings; the total is the size of that
set (``len(results)`` costs a third more); ``terms=True`` is never combined with a filter
(whoosh-reloaded 2.7.5 then reports a total that ignores the filter).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.index import EmptyIndexError
from whoosh.qparser import AndGroup, FuzzyTermPlugin, GtLtPlugin, MultifieldParser
from whoosh.qparser.plugins import FieldAliasPlugin

from . import analysis
from .config import Paths
from .errors import QueryError
from .export import EXCERPT_COLUMNS
from .index import FACETS, SEARCH_FIELDS, build_time, open_index
from .scoring import DocRange, FastBM25F, score_matches
from .store import Store

SCOPES = {"excerpts": "excerpt", "descriptions": "description", "articles": "article", "all": None}
SORTS = ("relevance", "saved", "published")
QUERY_FIELDS = set(FACETS) | {"id", "lang"}
ALIASES = {"language": ["lang"]}
SNIPPET_CHARS = 240
HINT_WORDS = 5  # words of a hitless query offered a near word
MAX_QUERY_WORDS = 1000  # longer queries are refused (QueryError), so every query ends soon
MAX_QUERY_CHARS = 10_000
MAX_FUZZY_EDITS = 2  # word~3 and beyond expand to most of the lexicon
# Extra columns of a search row, after the export's own (EXCERPT_COLUMNS already has an
# alignment `score`, so the search score is `relevance`).
SEARCH_COLUMNS = EXCERPT_COLUMNS + [
    "kind", "relevance", "snippet", "context_before", "context_after", "query", "index_built",
]


@dataclass
class SearchFilters:
    """Facet filters: values of one facet are OR-ed, facets are AND-ed."""

    tag: list[str] = field(default_factory=list)
    annotator: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    entity: list[str] = field(default_factory=list)

    @classmethod
    def coerce(cls, value: SearchFilters | dict | None) -> SearchFilters:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            known = ", ".join(cls.__dataclass_fields__)
            raise QueryError(f"unknown filter {min(unknown)!r}; known: {known}")
        return cls(**{k: [v] if isinstance(v, str) else list(v or []) for k, v in value.items()})

    def items(self) -> list[tuple[str, list[str]]]:
        return [(k, v) for k, v in asdict(self).items() if v]


@dataclass
class Snippet:
    """A piece of text with the character spans of the matched words."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    def marked(self, open_: str = "[", close: str = "]") -> str:
        """The text with each matched span wrapped in ``open_`` ... ``close``."""
        out, last = [], 0
        for start, end in self.spans:
            out += [self.text[last:start], open_, self.text[start:end], close]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass
class SearchHit:
    """One matching document: its export row, score, snippet and article context."""

    row: dict[str, Any]
    kind: str
    score: float | None
    snippet: Snippet
    context_before: str = ""
    context_after: str = ""

    def __getattr__(self, name: str):  # hit.title, hit.tags ... read the export row
        row = self.__dict__.get("row", {})
        if name in row:
            return row[name]
        raise AttributeError(name)

    def as_row(self, query: str, built: str) -> dict[str, Any]:
        """The machine-format row: every export column plus the search columns."""
        return dict(
            self.row, kind=self.kind, relevance=self.score, snippet=self.snippet.marked(),
            context_before=self.context_before, context_after=self.context_after,
            query=query, index_built=built,
        )


@dataclass
class SearchResults:
    """A page of hits, the facet counts over all matches, and what was asked."""

    query: str
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    index_built: str
    page: int = 1
    limit: int = 10
    hint: str | None = None

    def rows(self) -> list[dict[str, Any]]:
        """The hits as rows of :data:`SEARCH_COLUMNS` (for :func:`indexer.export.write_rows`)."""
        return [h.as_row(self.query, self.index_built) for h in self.hits]


# -- an open index with its caches ---------------------------------------------------------


class IndexSearcher:
    """An open index (the build ``current`` pointed to when opened) with per-searcher caches.

    Reuse one across searches (notebooks, benchmarks) to pay the caches once; close it, or use
    it as a context manager.
    """

    def __init__(self, paths: Paths):
        self.paths = paths
        for attempt in range(5):
            try:  # resolve `current`, read its TOC and open its files
                self.ix = open_index(paths)
                self.built = build_time(self.ix)
                self.searcher = self.ix.searcher(weighting=FastBM25F())
                break
            except (OSError, EmptyIndexError):
                # a rebuild swapped `current` and removed this build between our steps: the
                # next attempt opens the new one (open files, once held, stay readable)
                if attempt == 4:
                    raise
        self._values: dict[str, dict[str, frozenset[int]]] = {}
        self._columns: dict[str, list[str]] = {}
        self.schema = self.searcher.schema  # not ix.schema: that rereads the build's files
        # A field no document uses cannot match: leaving it out of every word's OR halves
        # the matchers of a French-only index.
        reader = self.searcher.reader()
        fields = [f for f in SEARCH_FIELDS if reader.field_length(f)] or SEARCH_FIELDS
        self._parser = _parser(self.schema, fields)

    def __enter__(self) -> IndexSearcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.searcher.close()

    def matches_words(self, q) -> bool:
        """Whether a prefix or range query matches any word of the index."""
        return next(iter(q.expanded_terms(self.searcher.reader())), None) is not None

    def values(self, fieldname: str) -> dict[str, frozenset[int]]:
        """``value -> docnums`` of a facet field, read once from its postings."""
        cached = self._values.get(fieldname)
        if cached is None:
            reader = self.searcher.reader()
            cached = {}
            for term in reader.lexicon(fieldname):
                docs = reader.postings(fieldname, term).all_ids()
                cached[term.decode("utf-8")] = frozenset(docs)
            self._values[fieldname] = cached
        return cached

    def column(self, fieldname: str) -> list[str]:
        """A sortable field's value for every docnum."""
        cached = self._columns.get(fieldname)
        if cached is None:
            reader = self.searcher.reader()
            cached = list(reader.column_reader(fieldname))
            self._columns[fieldname] = cached
        return cached

    def parse(self, text: str):
        return parse_query(self._parser, text)


def open_searcher(paths: Paths, engine: str | None = None) -> IndexSearcher:
    """Open the current index for searching (raises IndexMissingError without one).

    ``engine``: ``whoosh`` or ``tantivy`` (default: ``$INDEXER_ENGINE``, else Whoosh).
    """
    from .engines import resolve_engine

    if resolve_engine(engine) == "tantivy":
        from .engines.tantivy_search import TantivySearcher

        return TantivySearcher(paths)
    return IndexSearcher(paths)


# -- query parsing ------------------------------------------------------------------------


def _parser(schema, fields: list[str]) -> MultifieldParser:
    parser = MultifieldParser(fields, schema, group=AndGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin(ALIASES))
    parser.remove_plugin_class(GtLtPlugin)
    return parser


_FIELD_REF = re.compile(r'"[^"]*"|(?<![\w:])([A-Za-z_]\w*):(?!/)')


def parse_query(parser, text: str):
    """The Whoosh query of ``text`` (every document for an empty one), or QueryError."""
    if not text or not text.strip():
        return wq.Every()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text)} characters (at most {MAX_QUERY_CHARS})")
    if len(text.split()) > MAX_QUERY_WORDS:
        raise QueryError(f"query too long: {len(text.split())} words (at most {MAX_QUERY_WORDS})")
    if text.count('"') % 2:
        raise QueryError(f"malformed query {text!r}: unbalanced quote")
    if text.count("(") != text.count(")"):
        raise QueryError(f"malformed query {text!r}: unbalanced parenthesis")
    for match in _FIELD_REF.finditer(text):
        name = match.group(1)
        if name and name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field {name!r} in query; known: {', '.join(sorted(QUERY_FIELDS))}"
            )
    try:
        q = parser.parse(text)
    except Exception as exc:  # the parser's own errors are not user-friendly classes
        raise QueryError(f"malformed query {text!r}: {exc}") from None
    q = _rewrite(q).normalize()
    if q is wq.NullQuery:
        raise QueryError(f"query {text!r} has no searchable word")
    return q


def _rewrite(q):
    """Phrases to the exact field only; prefix, wildcard and fuzzy words folded like the text."""
    if isinstance(q, wq.Phrase):
        if q.fieldname == "text_exact":
            return q
        if q.fieldname in SEARCH_FIELDS:
            return wq.NullQuery
        # A quoted value of a single-token field (annotator:"Aurialie Jublin").
        return wq.Term(q.fieldname, " ".join(q.words))
    if isinstance(q, wq.FuzzyTerm) and q.maxdist > MAX_FUZZY_EDITS:
        raise QueryError(f"fuzzy word {q.text}~{q.maxdist}: at most ~{MAX_FUZZY_EDITS} edits")
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and q.fieldname in SEARCH_FIELDS:
        q.text = analysis.fold(q.text).lower()
        return q
    if q.is_leaf():
        return q
    return q.apply(_rewrite)


# -- searching ----------------------------------------------------------------------------


def search(
    paths: Paths | IndexSearcher,
    query: str = "",
    *,
    filters: SearchFilters | dict | None = None,
    scope: str = "excerpts",
    sort: str = "relevance",
    since: str | None = None,
    until: str | None = None,
    limit: int = 10,
    page: int = 1,
    facets: list[str] | None = None,
    context: int = 200,
    engine: str | None = None,
) -> SearchResults:
    """Search the index: one page of hits, with facet counts over every match.

    ``paths`` may be an :class:`IndexSearcher` to reuse its caches. ``since``/``until``
    (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, inclusive) bound the saved date. ``facets`` names
    the facet fields to count (see :data:`indexer.index.FACETS`). ``context`` is how many
    characters of the article to show before and after an aligned excerpt.
    Raises :class:`QueryError` for a malformed query, an unknown field, filter, facet or facet
    value, and :class:`IndexMissingError` when no index was built. ``engine``: ``whoosh`` or
    ``tantivy`` (default: the searcher's, else ``$INDEXER_ENGINE``, else Whoosh).
    """
    if scope not in SCOPES:
        raise QueryError(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    for name in facets or []:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}; known: {', '.join(FACETS)}")
    if limit < 1 or page < 1:
        raise QueryError("--limit and --page must be at least 1")
    wanted = SearchFilters.coerce(filters)
    if _engine_of(paths, engine) == "tantivy":
        from .engines import tantivy_search

        return tantivy_search.search(
            paths, query, wanted, scope=scope, sort=sort, since=since, until=until,
            limit=limit, page=page, facets=facets, context=context)
    own = not isinstance(paths, IndexSearcher)
    s = IndexSearcher(paths) if own else paths
    try:
        q = s.parse(query)
        allowed = _allowed(s, wanted, scope, since, until)
        order = ordering(q, sort, s.matches_words)
        matched, ranked = _match(s, q, allowed, order, SCOPES[scope])
        hits = _page(s, matched, ranked, order, limit, page)
        hits = _decorate(s, q, hits, context)
        counts = {name: facet_counts(s, name, matched) for name in facets or []}
        results = SearchResults(query, len(matched), hits, counts, s.built, page, limit)
        if not matched:
            results.hint = _hint(s, q, wanted, allowed)
        return results
    finally:
        if own:
            s.close()


def _engine_of(paths, engine: str | None) -> str:
    """The engine of an open searcher, else the one chosen (see :mod:`indexer.engines`)."""
    if not isinstance(paths, Paths) and engine is None:
        return getattr(paths, "engine", "whoosh")
    from .engines import resolve_engine

    return resolve_engine(engine)


def _allowed(s: IndexSearcher, wanted: SearchFilters, scope, since, until) -> set[int] | None:
    """The docnums the filters allow (None: no restriction)."""
    allowed: set[int] | None = None
    conditions = list(wanted.items())
    if SCOPES[scope]:
        conditions.append(("kind", [SCOPES[scope]]))
    for name, values in conditions:
        table = s.values(name)
        docs: set[int] = set()
        for value in values:
            if name == "kind":  # a scope with no document yet is empty, not an error
                docs |= table.get(value, frozenset())
            else:
                docs |= table[_resolve(s, name, value)]
        allowed = docs if allowed is None else allowed & docs
    if since or until:
        low, high = _date_bound(since, "0000"), _date_bound(until, "9999", upper=True)
        saved = s.column("saved")
        pool = allowed if allowed is not None else range(len(saved))
        allowed = {d for d in pool if saved[d] and low <= saved[d] <= high}
    return allowed


def _date_bound(value: str | None, default: str, upper: bool = False) -> str:
    if not value:
        return default
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise QueryError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    return value + "\uffff" if upper else value  # until 2019 includes 2019-12-31T...


def _resolve(s: IndexSearcher, name: str, value: str) -> str:
    """The indexed value a user's value stands for (exact, else case/accent-insensitive)."""
    table = s.values(name)
    if value in table:
        return value
    folded = {analysis.fold(v).lower(): v for v in table}
    key = analysis.fold(value).lower()
    if key in folded:
        return folded[key]
    raise QueryError(_unknown_value_message(s, name, value, folded))


def _unknown_value_message(s: IndexSearcher, name: str, value: str, folded: dict) -> str:
    option = "--lang" if name == "language" else f"--{name}"
    key = analysis.fold(value).lower()
    for other in ("annotator", "author", "tag", "site"):
        if other != name and any(analysis.fold(v).lower() == key for v in s.values(other)):
            return f"no {name} {value!r} in the index; it is a known {other}: use --{other}"
    near = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    if near:
        return f"no {name} {value!r} in the index; did you mean {option} {folded[near[0]]!r}?"
    return f"no {name} {value!r} in the index (see `indexer facets --field {name}`)"


# Queries scored as a constant by both engines: each match gets the same score.
CONSTANT = (wq.Prefix, wq.TermRange)


def ordering(q, sort: str, matches_words) -> str:
    """How a page is ordered: ``score``, ``newest``, ``oldest`` (saved date) or ``published``.

    By relevance, an empty query lists the oldest first, and a query whose matches all score
    alike (:func:`constant_score`) the newest first: a score would order nothing there. Both
    engines order pages by this function.
    """
    if sort != "relevance":
        return "newest" if sort == "saved" else "published"
    if isinstance(q, wq.Every):
        return "oldest"
    return "newest" if constant_score(q, matches_words) else "score"


def constant_score(q, matches_words) -> bool:
    """True for one prefix or range (``numériq*``, ``year:[2015 TO 2017]``), alone or beside
    branches of an OR that match no word of the index (the parser asks each prefix of every
    text field). ``matches_words(node)`` tells whether a prefix or range matches any word."""
    if isinstance(q, CONSTANT):
        return True
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
        live = [sub for sub in q.subqueries
                if not isinstance(sub, CONSTANT) or matches_words(sub)]
        return len(live) == 1 and isinstance(live[0], CONSTANT)
    return False


def _match(s: IndexSearcher, q, allowed: set[int] | None, order: str, kind: str | None = None):
    """(matching docnums, [(docnum, score)] best first, or None when not ranking by score).

    Ranking scores every match once (limit=None): one pass gives the set, the exact total and
    the order; measured cheaper than ``docs_for_query`` followed by a top-10 search.
    ``kind`` (the scope) goes inside the query (:func:`_of_kind`), so that the matcher never
    walks the other kinds' postings nor checks phrases in long articles (docs/performance.md).
    """
    ranking = order == "score"
    if kind:
        q = _of_kind(s, q, kind)
    if allowed is not None and not allowed:  # Whoosh takes an empty filter set for no filter
        return set(), [] if ranking else None
    if ranking:
        ranked = score_matches(s.searcher, q, allowed)  # = search(q, filter=, limit=None)
        return {d for d, _ in ranked}, ranked
    matched = set(s.searcher.docs_for_query(q))
    if allowed is not None:
        matched &= allowed
    return matched, None


def _of_kind(s: IndexSearcher, q, kind: str):
    """``q`` restricted to documents of ``kind``.

    A build writes each kind as one run of docnums; in a one-segment index that run bounds
    the matcher for free (:class:`~indexer.scoring.DocRange`). Otherwise ``Require(q, kind:...)``: correct
    everywhere, but it steps through the kind's whole posting list on every query.
    """
    ranges = s.__dict__.setdefault("_kind_ranges", {})  # per searcher: min/max cost O(n)
    if kind not in ranges:
        docs = s.values("kind").get(kind)
        ranges[kind] = None
        if docs and s.searcher.is_atomic() and max(docs) - min(docs) + 1 == len(docs):
            ranges[kind] = (min(docs), max(docs))
    if ranges[kind] is not None:
        return DocRange(q, *ranges[kind])
    return wq.Require(q, wq.Term("kind", kind))


def _page(s: IndexSearcher, matched: set[int], ranked, order: str, limit: int, page: int):
    """(docnum, score) of the requested page (``order``: see :func:`ordering`)."""
    first = (page - 1) * limit
    if ranked is not None:
        return ranked[first : first + limit]
    column = s.column("published" if order == "published" else "saved")
    ordered = sorted(matched, key=lambda d: (column[d], -d), reverse=order != "oldest")
    return [(d, None) for d in ordered[first : first + limit]]


def facet_counts(s: IndexSearcher, name: str, matched: set[int]) -> list[tuple[str, int]]:
    """(value, count) of a facet over the matched documents, most frequent first."""
    counts = []
    for value, docs in s.values(name).items():
        n = len(docs & matched) if len(docs) < len(matched) else len(matched & docs)
        if n:
            counts.append((value, n))
    counts.sort(key=lambda vc: (-vc[1], vc[0]))
    return counts


# -- snippets and context -----------------------------------------------------------------


def _decorate(s: IndexSearcher, q, page: list[tuple[int, float | None]], context: int):
    if not page:
        return []
    terms = _query_terms(s, q)
    stored = [s.searcher.stored_fields(d) for d, _ in page]
    articles = _article_texts(s.paths, {f["bookmark_id"] for f in stored})
    hits = []
    for (docnum, score), fields in zip(page, stored):
        row = dict(fields["row"])
        kind = fields["kind"]
        text = row.get("text") if kind != "article" else articles.get(fields["bookmark_id"], "")
        snippet = make_snippet(s.schema, text or "", row.get("language"), terms)
        hit = SearchHit(row, kind, score, snippet)
        start, end = row.get("start"), row.get("end")
        article = articles.get(fields["bookmark_id"])
        if kind == "excerpt" and article and start is not None and end is not None and context:
            hit.context_before = article[max(0, start - context) : start]
            hit.context_after = article[end : end + context]
        hits.append(hit)
    return hits


def _query_terms(s: IndexSearcher, q) -> dict[str, set[str]]:
    """Indexed terms the query matches, per field (prefix and fuzzy words expanded)."""
    terms: dict[str, set[str]] = {}
    try:
        found = q.existing_terms(s.searcher.reader(), expand=True)
    except Exception:  # Every() and friends have no terms
        return terms
    for fieldname, text in found:
        if fieldname in SEARCH_FIELDS:
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            terms.setdefault(fieldname, set()).add(word)
    return terms


def _article_texts(paths: Paths, bookmark_ids: set[str]) -> dict[str, str]:
    """Article texts of these bookmarks, from the store (the index does not keep them)."""
    if not bookmark_ids or not paths.db.exists():
        return {}
    marks = ",".join("?" * len(bookmark_ids))
    with Store(paths.db) as store:
        rows = store.conn.execute(
            f"SELECT bookmark_id, text FROM articles WHERE bookmark_id IN ({marks})",
            sorted(bookmark_ids),
        ).fetchall()
    return {bid: text for bid, text in rows if text}


def match_spans(schema, text: str, language: str | None, terms: dict[str, set[str]],
                within: int | None = None):
    """Character spans of ``text`` whose analysed form is one of the matched terms.

    ``within``: stop reading a field ``within`` characters after its first match (a snippet
    window cannot reach further; analysing whole articles was a third of an article search).
    """
    from .index import TEXT_FIELDS, doc_language

    lang_field = TEXT_FIELDS.get(doc_language(language), "text_fold")
    spans = []
    for fieldname in (lang_field, "text_exact"):
        wanted = terms.get(fieldname)
        if not wanted:
            continue
        analyzer = schema[fieldname].analyzer
        stop = None
        for token in analyzer(text, chars=True, mode="index"):
            if stop is not None and token.startchar > stop:
                break
            if token.text in wanted:
                spans.append((token.startchar, token.endchar))
                if within is not None and stop is None:
                    stop = token.startchar + within
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def make_snippet(schema, text: str, language, terms, width: int = SNIPPET_CHARS) -> Snippet:
    """The text (or a window of ``width`` characters around the first match) with its spans."""
    within = width if len(text) > width else None
    spans = match_spans(schema, text, language, terms, within) if terms else []
    if len(text) <= width:
        return Snippet(text, spans)
    center = spans[0][0] if spans else 0
    start = max(0, center - width // 3)
    while start > 0 and not text[start - 1].isspace() and center - start < width // 2:
        start -= 1
    end = min(len(text), start + width)
    inner = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return Snippet(prefix + text[start:end] + suffix, [(a + shift, b + shift) for a, b in inner])


def _hint(s: IndexSearcher, q, wanted: SearchFilters, allowed) -> str | None:
    """Why nothing matched, and what might: a filter that empties the set, or a near word."""
    if allowed is not None and wanted.items():
        unfiltered = set(s.searcher.docs_for_query(q))
        if unfiltered:
            names = ", ".join(f"--{k}" for k, _ in wanted.items())
            return f"{len(unfiltered)} hit(s) without the filters ({names})"
    words = [text for fieldname, text in q.iter_all_terms() if fieldname == "text_exact"]
    suggestions = []
    for word in words[:HINT_WORDS]:  # ~40 ms each: a pasted paragraph must not take minutes
        word = word.decode("utf-8") if isinstance(word, bytes) else word
        if len(word) > 40:  # no real word; suggest() on it costs minutes
            continue
        near = s.searcher.suggest("text_exact", word, limit=1)
        if near and near[0] != word:
            suggestions.append(f"{word} -> {near[0]}")
    if suggestions:
        return "no hit; near words in the index: " + ", ".join(suggestions)
    return None


# -- one excerpt in its article -------------------------------------------------------------


@dataclass
class ExcerptView:
    """One excerpt (or description) with its bookmark, and where it sits in the article."""

    row: dict[str, Any]
    before: str = ""
    after: str = ""
    article_title: str | None = None


def show(paths: Paths, doc_id: str, context: int = 400) -> ExcerptView:
    """The excerpt ``doc_id`` (or a unique prefix of it) from the store, with article context.

    ``d-<bookmark id>`` shows a bookmark's description. Raises QueryError for an unknown id.
    """
    from .index import EXCERPT_SQL  # the row the index stores, read for one excerpt

    with Store(paths.db) as store:
        if doc_id.startswith("d-"):
            return _show_description(store, doc_id[2:])
        ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM excerpts WHERE id LIKE ? LIMIT 2", (doc_id.replace("%", "") + "%",))]
        if len(ids) != 1:
            raise QueryError(f"{'ambiguous' if ids else 'unknown'} excerpt id {doc_id!r}")
        row = dict(store.conn.execute(EXCERPT_SQL + " WHERE e.id = ?", (ids[0],)).fetchone())
        row["tags"] = [t for (t,) in store.conn.execute(
            "SELECT tag FROM tags WHERE bookmark_id=? ORDER BY tag", (row["bookmark_id"],))]
        view = ExcerptView(row)
        art = store.conn.execute(
            "SELECT text, title FROM articles WHERE bookmark_id=?", (row["bookmark_id"],)
        ).fetchone()
    if art and row.get("start") is not None and row.get("end") is not None:
        view.before = art["text"][max(0, row["start"] - context) : row["start"]]
        view.after = art["text"][row["end"] : row["end"] + context]
        view.article_title = art["title"]
    return view


def _show_description(store: Store, bookmark_id: str) -> ExcerptView:
    row = store.conn.execute(
        "SELECT id AS bookmark_id, url, title, annotator, description AS text, created_at, site"
        " FROM bookmarks WHERE id=?", (bookmark_id,)
    ).fetchone()
    if row is None:
        raise QueryError(f"unknown bookmark id {bookmark_id!r}")
    out = dict(row, id=f"d-{bookmark_id}")
    out["tags"] = [t for (t,) in store.conn.execute(
        "SELECT tag FROM tags WHERE bookmark_id=? ORDER BY tag", (bookmark_id,))]
    return ExcerptView(out)
