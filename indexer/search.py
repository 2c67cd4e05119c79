"""The search API shared by the CLI, the notebooks and the exports: one door, any engine.

:func:`search` parses a query (:mod:`indexer.querylang`: AND, OR, NOT, "phrases",
field:value, prefix*, fuzzy~; words AND-ed by default) against every text field: each word is
analysed by the French, the English and the folding chains and by the exact one, and a
document matches if any of its fields does. Quoted phrases search only the exact (folded,
unstemmed) field, so they match the words as written, in that order.

Filters narrow by facet value (several values of one facet OR-ed, facets AND-ed), by scope
(``kind``) and by saved date. The engine (:mod:`indexer.engines`: Whoosh by default, tantivy)
matches, orders, pages and counts facets; this module checks what was asked, resolves the
values a user typed to indexed ones, makes the snippets and the article context of the page,
and the hint of a hitless search, the same way whatever the engine.
"""

from __future__ import annotations

import calendar
import difflib
import re
from dataclasses import dataclass
from typing import Any

from . import analysis, querylang
from .config import Paths
from .documents import EXCERPT_SQL, FACETS, article_texts, placed_text, snapshot_texts
from .engines import get_engine
from .engines.protocol import Narrowing, Stored
from .errors import IndexMissingError, QueryError, quoted
from .lifecycle import building, current_build
from .progress import count, plural
from .results import SEARCH_COLUMNS, SearchFilters, SearchHit, SearchResults, Snippet
from .snippets import Snippets
from .store import Store

__all__ = [
    "SCOPES", "SEARCH_COLUMNS", "SORTS", "ExcerptView", "FacetCounts", "OpenIndex",
    "SearchFilters", "SearchHit", "SearchResults", "Snippet", "facets", "open_searcher",
    "search", "search_all", "show",
]

# What a search looks in: by default what the team wrote and highlighted (excerpts,
# descriptions, notes); the articles on request.
SCOPES = {
    "team": ("excerpt", "description", "note"),
    "excerpts": ("excerpt",), "descriptions": ("description",), "notes": ("note",),
    "articles": ("article",), "all": None,
}
DEFAULT_SCOPE = "team"
SCOPE_WORDS = {"team": "excerpts, descriptions or notes", "all": "documents"}
SORTS = ("relevance", "saved", "published")
# The facets counted when none are named (`indexer facets`, the JSON of a search): all but
# the kind (the scope says it) and the entities (long lists, asked for by name).
DEFAULT_FACETS = [n for n in FACETS if n not in ("kind", "entity")]


class OpenIndex:
    """The current index of one engine, open for searching, with per-searcher caches.

    Reuse one across searches (notebooks, benchmarks, the web reader) to pay the caches
    once; close it, or use it as a context manager. ``engine``: ``whoosh`` or ``tantivy``
    (default: ``$INDEXER_ENGINE``, else Whoosh). Raises :class:`IndexMissingError` when that
    engine has no index yet. ``build`` is the build directory it opened (a rebuild swaps in
    another: compare with :func:`indexer.lifecycle.current_build`).
    """

    def __init__(self, paths: Paths, engine: str | None = None):
        self.paths = paths
        self.engine = get_engine(engine)
        self.searcher, self.build = _open(self.engine, paths)
        self.built = self.searcher.built
        self.parser = querylang.Parser(self.searcher.fields)
        self.snippets = Snippets()

    def __enter__(self) -> OpenIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.searcher.close()

    def parse(self, text: str) -> querylang.Node:
        """The query tree of ``text`` for this index (QueryError if malformed)."""
        return self.parser.parse(text)


def _open(engine, paths: Paths):
    for attempt in range(5):
        build = current_build(engine, paths)
        if build is None:
            home = engine.home(paths)
            if building(home):
                raise IndexMissingError(f"an index is being built in {home} (`indexer index` "
                                        "or `indexer build` is running): search again when it "
                                        "finishes")
            if engine.name == "whoosh":
                raise IndexMissingError(f"no search index under {home}: run `indexer index` first")
            raise IndexMissingError(f"no {engine.name} index under {home}: "
                                    f"run `indexer index --engine {engine.name}` first")
        try:
            return engine.open(paths, build), build
        except OSError:
            # a rebuild swapped `current` and removed this build between our steps: the next
            # attempt opens the new one (open files, once held, stay readable)
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def open_searcher(paths: Paths, engine: str | None = None) -> OpenIndex:
    """Open the current index of ``engine`` for searching (see :class:`OpenIndex`)."""
    return OpenIndex(paths, engine)


# -- searching ----------------------------------------------------------------------------


def search(
    paths: Paths | OpenIndex,
    query: str = "",
    *,
    filters: SearchFilters | dict | None = None,
    scope: str = DEFAULT_SCOPE,
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

    ``paths`` may be an :class:`OpenIndex` to reuse its caches (then ``engine`` is its own).
    ``since``/``until`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, inclusive) bound the saved
    date. ``facets`` names the facet fields to count (see :data:`indexer.documents.FACETS`).
    ``context`` is how many characters of the article to show before and after an aligned
    excerpt. Raises :class:`QueryError` for a malformed query, an unknown field, filter,
    facet or facet value, and :class:`IndexMissingError` when no index was built.
    """
    _check(scope, sort, facets, limit, page)
    wanted = SearchFilters.coerce(filters)
    own = not isinstance(paths, OpenIndex)
    s = OpenIndex(paths, engine) if own else paths
    try:
        q = s.parse(query)
        narrowing = narrow(s, wanted, scope, since, until)
        order = querylang.ordering(q, sort, s.searcher.matches_words)
        found = s.searcher.match(q, narrowing, order, limit, (page - 1) * limit, facets or [])
        hits = _decorate(s, q, found.page, context)  # while the engine may still be counting
        found.wait()
        _check_page(found.total, page, limit)
        results = SearchResults(query, found.total, hits, found.facets, s.built, page, limit)
        if not found.total:
            results.hint, results.hint_detail = (_elsewhere(s, q, scope, narrowing)
                                                 or _hint(s, q, wanted, narrowing))
        return results
    finally:
        if own:
            s.close()


def search_all(paths: Paths | OpenIndex, query: str = "", *, engine: str | None = None,
               first: int = 1000, **options: Any) -> SearchResults:
    """Every hit of a query on one page (what an export of a result set wants): a first page
    of ``first`` hits, then, when there are more, one page as large as the total. ``options``
    are :func:`search`'s, but ``limit`` and ``page``."""
    own = not isinstance(paths, OpenIndex)
    s = OpenIndex(paths, engine) if own else paths
    try:
        results = search(s, query, limit=first, page=1, **options)
        if results.total > len(results.hits):
            results = search(s, query, limit=results.total, page=1, **options)
        return results
    finally:
        if own:
            s.close()


def _check(scope: str, sort: str, facets: list[str] | None, limit: int, page: int) -> None:
    if scope not in SCOPES:
        raise QueryError(f"unknown scope {quoted(scope)}; use one of {', '.join(SCOPES)}")
    if sort not in SORTS:
        raise QueryError(f"unknown sort {quoted(sort)}; use one of {', '.join(SORTS)}")
    for name in facets or []:
        if name not in FACETS:
            raise QueryError(f"unknown facet {quoted(name)}; known: {', '.join(FACETS)}")
    if limit < 1 or page < 1:
        raise QueryError("--limit and --page must be at least 1")


def _check_page(total: int, page: int, limit: int) -> None:
    """A page past the last one is a mistake to say, not an empty page to show."""
    if page > 1 and (page - 1) * limit >= total:
        pages = max(1, -(-total // limit))
        raise QueryError(f"page {page} is past the last page: {total} hits make "
                         f"{count(pages, 'page')} of {limit} (--page 1 to {pages})")


@dataclass
class FacetCounts:
    """Facet counts over the matches of a query (:func:`facets`)."""

    query: str
    total: int
    facets: dict[str, list[tuple[str, int]]]
    index_built: str


def facets(paths: Paths | OpenIndex, query: str = "", names: list[str] | None = None, *,
           scope: str = DEFAULT_SCOPE, filters: SearchFilters | dict | None = None,
           engine: str | None = None) -> FacetCounts:
    """The counts of facets ``names`` (default: all but ``kind`` and ``entity``) over every
    document ``query`` matches in ``scope``; the library behind ``indexer facets``."""
    names = names or DEFAULT_FACETS
    results = search(paths, query, filters=filters, scope=scope, limit=1, facets=names,
                     engine=engine)
    return FacetCounts(query, results.total, results.facets, results.index_built)


def narrow(s: OpenIndex, wanted: SearchFilters, scope: str, since: str | None,
           until: str | None) -> Narrowing:
    """The :class:`Narrowing` of a search: values resolved, dates checked."""
    filters = tuple((name, tuple(sorted({_resolve(s, name, v) for v in values})))
                    for name, values in wanted.items())
    low, high = _date(since), _date(until)
    if low and high and high < low[: len(high)]:
        raise QueryError(f"--until {high} is before --since {low}: nothing can match")
    return Narrowing(filters, SCOPES[scope], low, high)


def _date(value: str | None) -> str | None:
    """``value`` if it is a real year, month or day (``2024``, ``2024-02``, ``2024-02-29``)."""
    if not value:
        return None
    if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise QueryError(f"bad date {quoted(value)}: use YYYY, YYYY-MM or YYYY-MM-DD")
    parts = [int(p) for p in value.split("-")]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        raise QueryError(f"bad date {quoted(value)}: month {parts[1]} (months are 01 to 12)")
    if len(parts) == 3:
        last = calendar.monthrange(parts[0], parts[1])[1]
        if not 1 <= parts[2] <= last:
            raise QueryError(f"bad date {quoted(value)}: {value[:7]} has days 01 to {last}")
    return value


def _resolve(s: OpenIndex, name: str, value: str) -> str:
    """The indexed value a user's value stands for (exact, else case/accent-insensitive)."""
    table = s.searcher.values(name)
    if value in table:
        return value
    folded = {analysis.fold(v).lower(): v for v in table}
    key = analysis.fold(value).lower()
    if key in folded:
        return folded[key]
    raise QueryError(_unknown_value_message(s, name, value, folded))


def _unknown_value_message(s: OpenIndex, name: str, value: str, folded: dict) -> str:
    option = "--lang" if name == "language" else f"--{name}"
    key = analysis.fold(value).lower()
    for other in ("annotator", "author", "tag", "site"):
        if other != name and any(analysis.fold(v).lower() == key
                                 for v in s.searcher.values(other)):
            return f"no {name} {quoted(value)} in the index; it is a known {other}: use --{other}"
    near = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    if near:
        return f"no {name} {quoted(value)} in the index; did you mean {option} {quoted(folded[near[0]])}?"
    return f"no {name} {quoted(value)} in the index (see `indexer facets --field {name}`)"


Hint = tuple[str | None, dict]  # the CLI's line, and what it says as data


def _elsewhere(s: OpenIndex, q: querylang.Node, scope: str, narrowing: Narrowing) -> Hint | None:
    """Where the hits are when the scope has none: ``0 excerpts; 2 in articles: --in all``."""
    if narrowing.kinds is None:
        return None
    everywhere = Narrowing(narrowing.filters, None, narrowing.saved_from, narrowing.saved_to)
    kinds = s.searcher.match(q, everywhere, "score", 1, 0, ["kind"]).wait().facets["kind"]
    if not kinds:
        return None
    where = ", ".join(f"{n} in {plural(2, kind)}" for kind, n in kinds)
    return f"0 {SCOPE_WORDS.get(scope, scope)}; {where}: --in all", {"elsewhere": kinds}


def _hint(s: OpenIndex, q: querylang.Node, wanted: SearchFilters, narrowing: Narrowing) -> Hint:
    """Why nothing matched, and what might: a filter that empties the set, or a near word."""
    if narrowing.filters:
        unfiltered = s.searcher.count(q)
        if unfiltered:
            names = ", ".join(f"--{k}" for k, _ in wanted.items())
            return (f"{unfiltered} hit(s) without the filters ({names})",
                    {"unfiltered": unfiltered})
    suggestions = []
    for word in querylang.hint_words(q):
        near = s.searcher.suggest(word)
        if near and near != word:
            suggestions.append((word, near))
    if suggestions:
        shown = ", ".join(f"{word} -> {near}" for word, near in suggestions)
        return "no hit; near words in the index: " + shown, {"near": suggestions}
    return None, {}


# -- snippets and context -----------------------------------------------------------------


def _decorate(s: OpenIndex, q: querylang.Node, page: list[Stored],
              context: int) -> list[SearchHit]:
    """Hits with snippets and article context, made the same way for every engine."""
    if not page:
        return []
    terms = querylang.highlights(q)
    analyzers = s.snippets.for_query(terms)
    # The store is opened only when an article is needed (an article hit, an aligned excerpt).
    wanted = {h.row["bookmark_id"] for h in page if h.kind == "article"
              or (context and h.kind == "excerpt" and h.row.get("start") is not None)}
    snaps = {h.row.get("snapshot_id") for h in page if h.kind == "excerpt"} if context else set()
    articles, snapshots = _article_texts(s.paths, wanted, snaps)
    hits = []
    for stored in page:
        row, kind = stored.row, stored.kind
        main, whole = articles.get(row["bookmark_id"], (None, None))
        text = row.get("text") if kind != "article" else main
        snippet = s.snippets.make(text or "", row.get("language"), terms, analyzers)
        hit = SearchHit(row, kind, stored.score, snippet)
        start, end = row.get("start"), row.get("end")
        article = placed_text(main, whole, row.get("in_main_text"), row.get("snapshot_id"),
                              snapshots)
        if kind == "excerpt" and article and start is not None and end is not None and context:
            hit.context_before = article[max(0, start - context) : start]
            hit.context_after = article[end : end + context]
        hits.append(hit)
    return hits


def _article_texts(paths: Paths, bookmark_ids: set[str], snapshot_ids: set) -> tuple[dict, dict]:
    """Article texts of these bookmarks and texts of these archived snapshots, from the
    store (the index does not keep them)."""
    snapshot_ids = {i for i in snapshot_ids if i is not None}
    if not (bookmark_ids or snapshot_ids) or not paths.db.exists():
        return {}, {}
    with Store(paths.db, readonly=True) as store:
        return article_texts(store, bookmark_ids), snapshot_texts(store, snapshot_ids)


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
    with Store(paths.db) as store:
        if doc_id.startswith("d-"):
            return _show_description(store, doc_id[2:])
        ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM excerpts WHERE id LIKE ? LIMIT 2", (doc_id.replace("%", "") + "%",))]
        if len(ids) != 1:
            raise QueryError(f"{'ambiguous' if ids else 'unknown'} excerpt id {quoted(doc_id)}")
        row = dict(store.conn.execute(EXCERPT_SQL + " WHERE e.id = ?", (ids[0],)).fetchone())
        row["tags"] = _tags(store, row["bookmark_id"])
        view = ExcerptView(row)
        art = store.conn.execute(
            "SELECT text, fallback_text, title FROM articles WHERE bookmark_id=?",
            (row["bookmark_id"],)).fetchone()
        snapshots = snapshot_texts(store, [row.get("snapshot_id")])
    text = placed_text(art["text"], art["fallback_text"], row.get("in_main_text"),
                       row.get("snapshot_id"), snapshots) if art else None
    if text and row.get("start") is not None and row.get("end") is not None:
        view.before = text[max(0, row["start"] - context) : row["start"]]
        view.after = text[row["end"] : row["end"] + context]
        view.article_title = art["title"]
    return view


def _tags(store: Store, bookmark_id: str) -> list[str]:
    return [t for (t,) in store.conn.execute(
        "SELECT tag FROM tags WHERE bookmark_id=? ORDER BY tag", (bookmark_id,))]


def _show_description(store: Store, bookmark_id: str) -> ExcerptView:
    row = store.conn.execute(
        "SELECT id AS bookmark_id, url, title, annotator, description AS text, created_at, site"
        " FROM bookmarks WHERE id=?", (bookmark_id,)
    ).fetchone()
    if row is None:
        raise QueryError(f"unknown bookmark id {quoted(bookmark_id)}")
    out = dict(row, id=f"d-{bookmark_id}")
    out["tags"] = _tags(store, bookmark_id)
    return ExcerptView(out)
