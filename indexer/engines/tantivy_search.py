"""Searching the tantivy index with the same API, query syntax and results as Whoosh.

A query is parsed by the very Whoosh parser :mod:`indexer.search` uses (so each word goes
through our analysis chains exactly as it does there), then the Whoosh query tree is
translated into tantivy queries (:func:`translate`): the same terms on the same fields, hence
the same hits. Filters, scope and the date range become non-scoring clauses of one boolean
query; the total is tantivy's count; facet counts are one ``terms`` aggregation per facet
over the matches (computed in Rust on the fast fields, in a second thread while this one
ranks and decorates the page: tantivy releases the GIL), or, for a union of words, read from
the counts the build made of its most frequent word (:mod:`.tantivy_precounts`) plus an
aggregation over the other words' remaining matches; the page comes from tantivy's top-k
collector (by BM25 score, or by the date fields). Snippets and article context are made
exactly as the Whoosh path makes them (:func:`indexer.search.make_snippet`).

Scores differ (tantivy's BM25 vs Whoosh's BM25F): the sets agree, the rankings mostly do
(measured in docs/engines.md).
"""

from __future__ import annotations

import pickle
import re
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import tantivy
from whoosh import query as wq
from whoosh.support.levenshtein import distance

from .. import search as search_mod
from ..analysis import WORD_PATTERN
from ..config import Paths
from ..errors import QueryError
from ..index import SEARCH_FIELDS
from ..index import make_schema as whoosh_schema
from ..search import SCOPES, SearchFilters, SearchHit, SearchResults
from . import tantivy_precounts as precounts
from .tantivy_index import (
    DAYS,
    NO_VALUE,
    PAIR,
    SCHEMA_VERSION,
    SLOTS,
    current_dir,
    date_key,
    open_index,
    slot_field,
)

Occur = tantivy.Occur
_WORD = re.compile(WORD_PATTERN)
_RUST_META = set("\\.+*?()|[]{}^$#&-~")


class TantivySearcher:
    """An open tantivy index (the build ``current`` pointed to when opened) with its caches.

    Reuse one across searches, like :class:`indexer.search.IndexSearcher`.
    """

    engine = "tantivy"

    def __init__(self, paths: Paths, target: Path | None = None):
        self.paths = paths
        target = target or current_dir(paths)
        stamp = precounts.opstamp(target) if target else None
        self.index, meta = open_index(paths, target)
        self.searcher = self.index.searcher()
        self.target = target
        # the commit this searcher reads, when no update slipped in while it opened
        self.opstamp = stamp if stamp == precounts.opstamp(target) else None
        self._precounts: dict | None | bool = False  # loaded on first use
        self.schema = self.index.schema
        self.whoosh_schema = whoosh_schema()  # its analyzers parse queries and mark snippets
        self.snippet_schema = snippet_schema(self.whoosh_schema)
        self.built = meta["built"]
        self.pairs = meta.get("schema") == SCHEMA_VERSION  # text_pairs is there
        slots = meta.get("slots", {})
        # per slotted facet, how many of its columns to count (none: the multi-valued one)
        self.slots = {name: width for name, width in slots.items()
                      if name != "size" and slots.get("size") == SLOTS and width <= SLOTS}
        self.fields = meta["fields"] or SEARCH_FIELDS
        self._parser = search_mod._parser(self.whoosh_schema, self.fields)
        self._values: dict[str, dict[str, int]] = {}
        self._days: dict[str, list[tuple[str, int]]] = {}
        self.window_docs, self.window_per_hit = WINDOW_DOCS, WINDOW_PER_HIT  # see _windowed
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> TantivySearcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.searcher = None  # tantivy frees the segments with the last reference

    def pool(self) -> ThreadPoolExecutor:
        """The thread that counts facets beside the search (made on first use)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="tantivy-facets")
        return self._pool

    def values(self, fieldname: str) -> dict[str, int]:
        """``value -> number of documents`` of a facet field (its whole term dictionary)."""
        cached = self._values.get(fieldname)
        if cached is None:
            cached = dict(self.searcher.terms_with_prefix(fieldname, ""))
            self._values[fieldname] = cached
        return cached

    def precounts(self) -> dict | None:
        """The build's precounted facets (:mod:`.tantivy_precounts`), None if stale or absent."""
        if self._precounts is False:
            self._precounts = precounts.load(self.target, self.opstamp)
        return self._precounts

    def matches_words(self, q) -> bool:
        """Whether a prefix or range query matches any word of the index."""
        if isinstance(q, wq.Prefix):
            return bool(self.searcher.terms_with_prefix(q.fieldname, _text(q.text)))
        return any(_in_range(q, t) for t in self.values(q.fieldname))

    def days(self, fieldname: str) -> list[tuple[str, int]]:
        """``(day, documents)`` of a day field (:data:`DAYS`), oldest first."""
        if fieldname not in self._days:
            self._days[fieldname] = sorted(self.values(fieldname).items())
        return self._days[fieldname]

    def parse(self, text: str):
        """The Whoosh query of ``text`` (see :func:`indexer.search.parse_query`)."""
        return search_mod.parse_query(self._parser, text)

    def count(self, q: tantivy.Query) -> int:
        return self.searcher.search(q, 1, count=True).count


def open_searcher(paths: Paths) -> TantivySearcher:
    """Open the current tantivy index (raises IndexMissingError without one)."""
    return TantivySearcher(paths)


# -- from a Whoosh query tree to tantivy ------------------------------------------------------


def translate(s: TantivySearcher, q) -> tantivy.Query:
    """The tantivy query matching the same documents as the Whoosh query ``q``.

    Raises :class:`QueryError` naming a Whoosh query type tantivy cannot express here.
    """
    out = _translate(s, q)
    boost = getattr(q, "boost", 1.0)
    if boost != 1.0 and not isinstance(q, (wq.And, wq.Or)):
        out = tantivy.Query.boost_query(out, float(boost))
    return out


def _translate(s: TantivySearcher, q) -> tantivy.Query:
    Q, schema = tantivy.Query, s.schema
    if isinstance(q, wq.Every):
        return Q.regex_query(schema, q.fieldname, ".*") if q.fieldname else Q.all_query()
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return Q.empty_query()
    if isinstance(q, wq.Term):
        return Q.term_query(schema, q.fieldname, _text(q.text))
    if isinstance(q, wq.Phrase):
        words = [_text(w) for w in q.words]
        if len(words) == 1:
            return Q.term_query(schema, q.fieldname, words[0])
        if q.fieldname == "text_exact" and q.slop <= 1 and s.pairs:
            # the same documents: the words in order at consecutive positions
            pairs = [a + PAIR + b for a, b in pairwise(words)]
            if len(pairs) == 1:
                return Q.term_query(schema, "text_pairs", pairs[0])
            return Q.phrase_query(schema, "text_pairs", pairs)
        return Q.phrase_query(schema, q.fieldname, words, slop=max(0, q.slop - 1))
    if isinstance(q, wq.Prefix):
        # the words of the index with that prefix, as Whoosh expands them: a regex automaton
        # costs ~0.6 ms to build per field, the dictionary walk ~0.01 ms
        words = [w for w, _ in s.searcher.terms_with_prefix(q.fieldname, _text(q.text))]
        return _term_set(s, q.fieldname, words)
    if isinstance(q, wq.Wildcard):
        return Q.regex_query(schema, q.fieldname, _wildcard(q.text))
    if isinstance(q, wq.FuzzyTerm):
        return _fuzzy(s, q)
    if isinstance(q, wq.TermRange):
        return _term_set(s, q.fieldname, [t for t in s.values(q.fieldname) if _in_range(q, t)])
    return _compound(s, q)


def _compound(s: TantivySearcher, q) -> tantivy.Query:
    if isinstance(q, wq.And):
        return tantivy.Query.boolean_query(_and_clauses(s, q))
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
        return tantivy.Query.boolean_query([(Occur.Should, translate(s, sub)) for sub in q.subqueries])
    if isinstance(q, wq.DisjunctionMax):
        return tantivy.Query.disjunction_max_query([translate(s, sub) for sub in q.subqueries])
    if isinstance(q, wq.Not):  # a lone NOT: everything but
        return tantivy.Query.boolean_query(
            [(Occur.Must, tantivy.Query.all_query()), (Occur.MustNot, translate(s, q.query))])
    if isinstance(q, wq.AndNot):
        return tantivy.Query.boolean_query(
            [(Occur.Must, translate(s, q.a)), (Occur.MustNot, translate(s, q.b))])
    if isinstance(q, wq.AndMaybe):
        return tantivy.Query.boolean_query(
            [(Occur.Must, translate(s, q.a)), (Occur.Should, translate(s, q.b))])
    if isinstance(q, wq.Require):
        return tantivy.Query.boolean_query(
            [(Occur.Must, translate(s, q.a)), (Occur.Must, _filter(translate(s, q.b)))])
    if isinstance(q, wq.ConstantScoreQuery):
        return tantivy.Query.const_score_query(translate(s, q.child), float(q.score))
    raise QueryError(f"the tantivy engine does not support {type(q).__name__} queries ({q}); "
                     "use --engine whoosh for this one")


def _and_clauses(s: TantivySearcher, q: wq.And) -> list:
    clauses = []
    for sub in q.subqueries:
        if isinstance(sub, wq.Not):
            clauses.append((Occur.MustNot, translate(s, sub.query)))
        else:
            clauses.append((Occur.Must, translate(s, sub)))
    if all(occur == Occur.MustNot for occur, _ in clauses):
        clauses.append((Occur.Must, tantivy.Query.all_query()))
    return clauses


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _escape(text: str) -> str:
    """``text`` as a literal in a tantivy (Rust) regex."""
    return "".join("\\" + c if c in _RUST_META else c for c in text)


def _wildcard(text: str) -> str:
    """A Whoosh wildcard (``*`` any run, ``?`` one character) as a tantivy regex."""
    return "".join(".*" if c == "*" else "." if c == "?" else _escape(c) for c in text)


def _fuzzy(s: TantivySearcher, q: wq.FuzzyTerm) -> tantivy.Query:
    """Whoosh's fuzzy term: Damerau-Levenshtein within ``maxdist`` after ``prefixlength`` chars.

    tantivy's automaton does the common case (no prefix, distance up to 2); otherwise the words
    sharing the prefix are checked here with Whoosh's own distance function.
    """
    text = _text(q.text)
    if not q.prefixlength and q.maxdist <= 2:
        return tantivy.Query.fuzzy_term_query(
            s.schema, q.fieldname, text, distance=int(q.maxdist), transposition_cost_one=True)
    words = [w for w, _ in s.searcher.terms_with_prefix(q.fieldname, text[: q.prefixlength])
             if distance(w, text, limit=q.maxdist) <= q.maxdist]
    return _term_set(s, q.fieldname, words)


def _term_set(s: TantivySearcher, fieldname: str, words: list[str]) -> tantivy.Query:
    if not words:
        return tantivy.Query.empty_query()
    if len(words) == 1:  # a term's postings, without a term set's automaton (~20% faster),
        # scored as a term set scores (a constant)
        return tantivy.Query.const_score_query(
            tantivy.Query.term_query(s.schema, fieldname, words[0]), 1.0)
    return tantivy.Query.term_set_query(s.schema, fieldname, words)


def _in_range(q: wq.TermRange, term: str) -> bool:
    low, high = _text(q.start), _text(q.end)
    if low is not None and (term < low or (term == low and q.startexcl)):
        return False
    return high is None or not (term > high or (term == high and q.endexcl))


def _filter(q: tantivy.Query) -> tantivy.Query:
    """A clause that narrows without changing scores."""
    return tantivy.Query.const_score_query(q, 0.0)


# -- the words to highlight ---------------------------------------------------------------------


class Highlight:
    """What a query matches in one field, for :func:`indexer.search.make_snippet`.

    Behaves as the set of matched terms Whoosh expands against its lexicon (``token in it``),
    but tests prefixes, wildcards and fuzzy words on the hit's own tokens: no expansion.
    """

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.patterns: list[re.Pattern] = []
        self.fuzzy: list[tuple[str, int, int]] = []
        self._seen: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.words or self.patterns or self.fuzzy)

    def __contains__(self, token: str) -> bool:
        if token in self.words:
            return True
        if not (self.patterns or self.fuzzy):
            return False
        known = self._seen.get(token)
        if known is None:
            known = any(p.fullmatch(token) for p in self.patterns) or any(
                token[:n] == text[:n] and distance(token, text, limit=d) <= d
                for text, d, n in self.fuzzy)
            self._seen[token] = known
        return known


def highlights(q) -> dict[str, Highlight]:
    """Per search field, what the positive parts of ``q`` match (negated parts are left out)."""
    out: dict[str, Highlight] = {}

    def walk(node) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, (wq.AndNot, wq.Require, wq.AndMaybe)):
            walk(node.a)
            if not isinstance(node, wq.AndNot):
                walk(node.b)
            return
        field = getattr(node, "fieldname", None)
        if field in SEARCH_FIELDS:
            h = out.setdefault(field, Highlight())
            if isinstance(node, wq.Term):
                h.words.add(_text(node.text))
            elif isinstance(node, wq.Phrase):
                h.words.update(_text(w) for w in node.words)
            elif isinstance(node, wq.Prefix):
                h.patterns.append(re.compile(re.escape(_text(node.text)) + ".*"))
            elif isinstance(node, wq.Wildcard):
                text = _text(node.text)
                h.patterns.append(re.compile("".join(
                    ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)))
            elif isinstance(node, wq.FuzzyTerm):
                h.fuzzy.append((_text(node.text), int(node.maxdist), int(node.prefixlength)))
        if not node.is_leaf():
            for child in node.children():
                walk(child)

    walk(q)
    return {k: v for k, v in out.items() if v}


# -- snippets: the real analyzers, once per distinct word -------------------------------------


class _Span(NamedTuple):
    text: str
    startchar: int
    endchar: int


class WordCachedAnalyzer:
    """An analyzer giving the same tokens and character spans as ``analyzer``, word by word.

    Our filters work one token at a time, so a text's tokens are its words' tokens shifted by
    each word's offset: each distinct word goes through ``analyzer`` once (cached). Only what
    :func:`indexer.search.match_spans` reads is produced (``text``, ``startchar``, ``endchar``).
    """

    def __init__(self, analyzer, cachesize: int = 200_000):
        self.analyzer = analyzer
        self.cachesize = cachesize
        self._cache: dict[str, tuple[tuple[str, int, int], ...]] = {}

    def _word(self, word: str) -> tuple[tuple[str, int, int], ...]:
        tokens = tuple((t.text, t.startchar, t.endchar)
                       for t in self.analyzer(word, chars=True, mode="index"))
        if len(self._cache) >= self.cachesize:
            self._cache.clear()
        self._cache[word] = tokens
        return tokens

    def __call__(self, text: str, chars: bool = True, mode: str = "index", **_):
        cache = self._cache
        for match in _WORD.finditer(text):
            word = match.group()
            tokens = cache.get(word)
            if tokens is None:
                tokens = self._word(word)
            base = match.start()
            for token, start, end in tokens:
                yield _Span(token, base + start, base + end)


    def only(self, wanted) -> _Matching:
        """This analyzer yielding only the tokens in ``wanted``: match_spans keeps no other."""
        return _Matching(self, wanted)


class _Matching:
    """A :class:`WordCachedAnalyzer` that yields only the tokens a query matches."""

    def __init__(self, words: WordCachedAnalyzer, wanted):
        self.words, self.wanted = words, wanted
        self._kept: dict[str, tuple] = {}  # word -> its matching tokens, for this query

    def __call__(self, text: str, chars: bool = True, mode: str = "index", **_):
        words, wanted, kept = self.words, self.wanted, self._kept
        for match in _WORD.finditer(text):
            word = match.group()
            tokens = kept.get(word)
            if tokens is None:
                tokens = words._cache.get(word) or words._word(word)
                tokens = kept[word] = tuple(t for t in tokens if t[0] in wanted)
            if tokens:
                base = match.start()
                for token, start, end in tokens:
                    yield _Span(token, base + start, base + end)


class _Field(NamedTuple):
    analyzer: WordCachedAnalyzer | _Matching


def snippet_schema(schema) -> dict[str, _Field]:
    """What :func:`indexer.search.make_snippet` reads of a schema: each search field's
    analyzer, here word-cached (same spans, measured 10x faster on excerpts)."""
    return {name: _Field(WordCachedAnalyzer(schema[name].analyzer)) for name in SEARCH_FIELDS}


# -- searching ----------------------------------------------------------------------------


def search(
    paths: Paths | TantivySearcher,
    query: str,
    wanted: SearchFilters,
    *,
    scope: str = "excerpts",
    sort: str = "relevance",
    since: str | None = None,
    until: str | None = None,
    limit: int = 10,
    page: int = 1,
    facets: list[str] | None = None,
    context: int = 200,
) -> SearchResults:
    """:func:`indexer.search.search` on the tantivy index (arguments already checked there)."""
    own = not isinstance(paths, TantivySearcher)
    s = TantivySearcher(paths) if own else paths
    try:
        q = s.parse(query)
        narrowing = _conditions(s, wanted, scope, since, until)
        combined, user = _combine(s, q, narrowing)
        order = search_mod.ordering(q, sort, s.matches_words)
        # Facet counts run in a second thread (tantivy releases the GIL) while this one ranks
        # the page and makes its snippets. From the precounts, they also give the number of
        # matches, so that a page ordered by date need not visit every match (_windowed).
        counting = None
        if facets or order != "score":
            if not (wanted.items() or since or until):  # the scope narrows, alone
                counting = _precounting(s, q, scope, facets or [], narrowing)
        job = None
        if counting is not None:
            job = s.pool().submit(counting.run)
        elif facets:
            job = s.pool().submit(facet_counts, s, combined, facets)
        windowed = counting is not None and order != "score"
        words = counting.words if counting is not None else None
        total, page_hits = _page(s, words, combined, narrowing, order, limit, page,
                                 count=not windowed)
        hits = _decorate(s, q, page_hits, context)
        counts = {}
        if counting is not None:
            counts, total = job.result()
            counts = counts if facets else {}
        elif job is not None:
            counts = job.result()
        results = SearchResults(query, total, hits, counts, s.built, page, limit)
        if not total:
            results.hint = _hint(s, q, user, wanted, bool(narrowing))
        return results
    finally:
        if own:
            s.close()


def _precounting(s: TantivySearcher, q, scope: str, names: list[str], clauses: list):
    """A :class:`~.tantivy_precounts.Counting` of this search, or None (see prepare);
    ``clauses`` are the scope's (:func:`_conditions` of a search with no filter)."""
    kind = SCOPES[scope]
    kinds = [kind] if kind else sorted(s.values("kind"))
    return precounts.prepare(s, s.precounts(), q, kinds, clauses, names)


def _combine(s: TantivySearcher, q, narrowing: list) -> tuple[tantivy.Query, tantivy.Query]:
    """(the query ``q`` narrowed by the filter clauses, ``q`` alone), each part translated once.

    One flat boolean query where that keeps the meaning: a nested boolean costs tantivy a
    second scorer layer (measured 15-30% of the search at 1M excerpts). An AND takes the
    clauses beside its own; an OR only exclusions (beside a Must, its Should clauses would
    turn optional).
    """
    boolean = tantivy.Query.boolean_query
    if narrowing and getattr(q, "boost", 1.0) == 1.0:
        if isinstance(q, wq.And):
            clauses = _and_clauses(s, q)
            return boolean(clauses + narrowing), boolean(clauses)
        plain_or = isinstance(q, wq.Or) and not getattr(q, "minmatch", 0)
        if plain_or and all(occur == Occur.MustNot for occur, _ in narrowing):
            shoulds = [(Occur.Should, translate(s, sub)) for sub in q.subqueries]
            return boolean(shoulds + narrowing), boolean(shoulds)
    user = translate(s, q)
    return (boolean([(Occur.Must, user)] + narrowing) if narrowing else user), user


def _conditions(s: TantivySearcher, wanted: SearchFilters, scope, since, until) -> list:
    """Non-scoring clauses: one per filter (values OR-ed), the scope, the saved-date range."""
    out = []
    for name, values in wanted.items():
        resolved = sorted({search_mod._resolve(s, name, value) for value in values})
        out.append((Occur.Must, _filter(_term_set(s, name, resolved))))
    if SCOPES[scope]:
        out += _scope(s, SCOPES[scope])
    if since or until:
        low = search_mod._date_bound(since, "0000")
        high = search_mod._date_bound(until, "9999", upper=True).rstrip("\uffff")
        out.append((Occur.Must, _filter(tantivy.Query.range_query(
            s.schema, "saved_key", tantivy.FieldType.Unsigned,
            max(1, date_key(low)), date_key(high, fill="9")))))
    return out


def _scope(s: TantivySearcher, kind: str) -> list:
    """The clause keeping one kind: none when every document is of that kind; "not the other
    kinds" when it is most of them (excerpts): skipping a few postings is cheaper than
    intersecting with nearly all (measured 20-30% faster at 1M)."""
    kinds = s.values("kind")
    others = sorted(k for k in kinds if k != kind)
    if not others and kind in kinds:
        return []
    if kinds.get(kind, 0) * 2 > sum(kinds.values()):
        # one term per kind: a term set's automaton costs ~2x a term's postings here
        return [(Occur.MustNot, tantivy.Query.term_query(s.schema, "kind", k)) for k in others]
    return [(Occur.Must, _filter(tantivy.Query.term_query(s.schema, "kind", kind)))]


_ORDERS = {"newest": ("saved_key", tantivy.Order.Desc),
           "oldest": ("saved_key", tantivy.Order.Asc),
           "published": ("published_key", tantivy.Order.Desc)}
# A page ordered by date is first looked for among the newest (oldest) days' documents, at
# least this many, and so many per hit wanted.
WINDOW_DOCS, WINDOW_PER_HIT = 4096, 64


def _page(s: TantivySearcher, words, combined, narrowing: list, order: str, limit: int,
          page: int, count: bool):
    """(the number of matches or None without ``count``, [(address, score or None)]).

    Ordered as the Whoosh path orders (:func:`indexer.search.ordering`): by score, else by
    a date. Without ``count``, a page by date is first read from a window of days
    (:func:`_windowed`: ``words`` and ``narrowing`` as in ``combined``).
    """
    offset = (page - 1) * limit
    if order == "score":
        result = s.searcher.search(combined, limit, count=count, offset=offset)
        return result.count, [(addr, score) for score, addr in result.hits]
    field, direction = _ORDERS[order]
    if not count:
        found = _windowed(s, words, combined, narrowing, field, direction, limit, offset)
        if found is not None:
            return None, [(addr, None) for _, addr in found]
    result = s.searcher.search(combined, limit, count=count, order_by_field=field,
                               offset=offset, order=direction)
    return result.count, [(addr, None) for _, addr in result.hits]


def _windowed(s: TantivySearcher, words, combined, narrowing: list, field: str, direction,
              limit: int, offset: int) -> list | None:
    """The page of ``combined`` by ``field``, found among the documents of the newest (or
    oldest) days only; None when the window holds fewer matches than the page needs.

    Exact: every document outside the window has a date after (or before) every one inside,
    and days are whole, so ties fall inside together. ``numériq*`` (495k of 1M documents):
    a window of ~4k documents instead of every match. A union of words is asked as one
    (lazy) boolean query of its ``words`` with ``narrowing`` (the query is ``combined``
    otherwise), so that only the window's documents are looked up in its postings.
    """
    days = s.days(DAYS[field])
    if direction == tantivy.Order.Desc:
        days = days[::-1]
    want, taken, docs = max(s.window_docs, s.window_per_hit * (offset + limit)), [], 0
    for day, n in days:
        taken.append(day)
        docs += n
        if docs >= want:
            break
    if len(taken) == len(days):
        return None  # the window would be the whole index
    Q = tantivy.Query
    window = (Occur.Must, _filter(Q.term_set_query(s.schema, DAYS[field], taken)))
    if words:
        lazy = Q.const_score_query(Q.boolean_query(
            [(Occur.Should, Q.term_query(s.schema, f, w)) for f, w in sorted(set(words))]), 1.0)
        inner = Q.boolean_query([(Occur.Must, lazy), window] + narrowing)
    else:
        inner = Q.boolean_query([(Occur.Must, combined), window])
    hits = s.searcher.search(inner, limit, count=False, order_by_field=field, offset=offset,
                             order=direction).hits
    return hits if len(hits) == limit else None


def facet_counts(s: TantivySearcher, q, names: list[str]) -> dict[str, list[tuple[str, int]]]:
    """(value, count) of each facet over the matches of ``q``, most frequent first.

    One ``terms`` aggregation per column, sized to the facet's whole dictionary: exact counts.
    A slotted facet (tags) is counted on its single-valued columns and summed (see
    :data:`indexer.engines.tantivy_index.SLOTS`).
    """
    if not names:
        return {}
    aggs: dict[str, Any] = {}
    columns = {name: _columns(s, name) for name in names}
    for name in names:
        size = len(s.values(name)) + 1  # + the slots' padding value
        for column in columns[name]:
            aggs[column] = {"terms": {"field": column, "size": size, "segment_size": size}}
    found = s.searcher.aggregate(q, aggs) if aggs else {}
    out = {}
    for name in names:
        totals: dict[str, int] = {}
        for column in columns[name]:
            for b in found.get(column, {}).get("buckets", []):
                if b["doc_count"] and b["key"] != NO_VALUE:
                    totals[b["key"]] = totals.get(b["key"], 0) + b["doc_count"]
        out[name] = sorted(totals.items(), key=lambda vc: (-vc[1], vc[0]))
    return out


def _columns(s: TantivySearcher, name: str) -> list[str]:
    """The fast columns holding facet ``name``: its slots in use, else its own column."""
    width = s.slots.get(name)
    if width is None:
        return [name]
    return [slot_field(name, k) for k in range(width)]


def _decorate(s: TantivySearcher, q, page: list, context: int) -> list[SearchHit]:
    """Hits with snippets and article context, made as :mod:`indexer.search` makes them."""
    if not page:
        return []
    terms = highlights(q)
    schema = {name: _Field(s.snippet_schema[name].analyzer.only(wanted))
              for name, wanted in terms.items()}
    rows = [pickle.loads(s.searcher.doc(addr).get_first("row")) for addr, _ in page]
    # The store is opened only when an article is needed (an article hit, an aligned excerpt).
    wanted = {r["bookmark_id"] for r in rows if r["kind"] == "article"
              or (context and r["kind"] == "excerpt" and r.get("start") is not None)}
    articles = search_mod._article_texts(s.paths, wanted)
    hits = []
    for (_, score), row in zip(page, rows):
        kind = row["kind"]
        text = row.get("text") if kind != "article" else articles.get(row["bookmark_id"], "")
        snippet = search_mod.make_snippet(schema, text or "", row.get("language"), terms)
        hit = SearchHit(row, kind, score, snippet)
        start, end = row.get("start"), row.get("end")
        article = articles.get(row["bookmark_id"])
        if kind == "excerpt" and article and start is not None and end is not None and context:
            hit.context_before = article[max(0, start - context) : start]
            hit.context_after = article[end : end + context]
        hits.append(hit)
    return hits


def _hint(s: TantivySearcher, q, user, wanted: SearchFilters, narrowed: bool) -> str | None:
    """Why nothing matched: hits the filters removed, or near words of the index."""
    if narrowed and wanted.items():
        unfiltered = s.count(user)
        if unfiltered:
            names = ", ".join(f"--{k}" for k, _ in wanted.items())
            return f"{unfiltered} hit(s) without the filters ({names})"
    suggestions = []
    words = [_text(t) for f, t in q.iter_all_terms() if f == "text_exact"]
    for word in words[:search_mod.HINT_WORDS]:  # as the Whoosh path: a pasted paragraph
        if len(word) > 40:  # must not walk the lexicon once per word
            continue
        near = suggest(s, word)
        if near and near != word:
            suggestions.append(f"{word} -> {near}")
    if suggestions:
        return "no hit; near words in the index: " + ", ".join(suggestions)
    return None


def suggest(s: TantivySearcher, word: str, maxdist: int = 2) -> str | None:
    """The indexed word of ``text_exact`` nearest ``word`` (same first letter), most frequent
    among the nearest; None when none is within ``maxdist`` edits."""
    best = None
    for term, freq in s.searcher.terms_with_prefix("text_exact", word[:1]):
        d = distance(term, word, limit=maxdist)
        if d <= maxdist and (best is None or (d, -freq, term) < best):
            best = (d, -freq, term)
    return best[2] if best else None
