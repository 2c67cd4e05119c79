"""Searching one tantivy build, with the same hits and facet counts as the Whoosh engine.

A query arrives as our tree (:mod:`indexer.querylang`) and is translated to tantivy
(:mod:`.translate`): the same terms on the same fields. The narrowing (filters, scope, dates)
becomes non-scoring clauses of one boolean query; the total is tantivy's count; facet counts
are one ``terms`` aggregation per facet over the matches (in Rust on the fast fields, in a
second thread while the caller makes the page's snippets: tantivy releases the GIL), or, for
a union of words, the counts the build made of its most frequent word (:mod:`.precounts`)
plus an aggregation over the other words' remaining matches; the page comes from tantivy's
top-k collector (by BM25 score, or by the date fields).

Scores differ (tantivy's BM25 vs Whoosh's BM25F): the sets agree, the rankings mostly do
(measured in docs/engines.md).
"""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import tantivy
from tantivy import Occur

from ... import querylang as ql
from ...config import Paths
from ...documents import SEARCH_FIELDS
from ..protocol import Match, Narrowing, Stored
from . import precounts
from .facets import facet_counts
from .schema import DAYS, SCHEMA_VERSION, SLOTS, date_key, read_meta
from .translate import and_clauses, as_filter, term_set, translate

_ORDERS = {"newest": ("saved_key", tantivy.Order.Desc),
           "oldest": ("saved_key", tantivy.Order.Asc),
           "published": ("published_key", tantivy.Order.Desc)}
# A page ordered by date is first looked for among the newest (oldest) days' documents, at
# least this many, and so many per hit wanted.
WINDOW_DOCS, WINDOW_PER_HIT = 4096, 64


class TantivySearcher:
    """One open tantivy build with its caches; reuse it across searches."""

    def __init__(self, paths: Paths, build: Path):
        self.paths = paths
        stamp = precounts.opstamp(build)
        meta = read_meta(build)
        self.index = tantivy.Index.open(str(build))
        self.searcher = self.index.searcher()
        self.target = build
        # the commit this searcher reads, when no update slipped in while it opened
        self.opstamp = stamp if stamp == precounts.opstamp(build) else None
        self._precounts: dict | None | bool = False  # loaded on first use
        self.schema = self.index.schema
        self.built = meta["built"]
        self.pairs = meta.get("schema") == SCHEMA_VERSION  # text_pairs is there
        slots = meta.get("slots", {})
        # per slotted facet, how many of its columns to count (none: the multi-valued one)
        self.slots = {name: width for name, width in slots.items()
                      if name != "size" and slots.get("size") == SLOTS and width <= SLOTS}
        self.fields = meta["fields"] or SEARCH_FIELDS
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

    # -- what the index holds ------------------------------------------------------------

    def values(self, facet: str) -> dict[str, int]:
        """``value -> number of documents`` of a facet field (its whole term dictionary)."""
        cached = self._values.get(facet)
        if cached is None:
            cached = dict(self.searcher.terms_with_prefix(facet, ""))
            self._values[facet] = cached
        return cached

    def precounts(self) -> dict | None:
        """The build's precounted facets (:mod:`.precounts`), None if stale or absent."""
        if self._precounts is False:
            self._precounts = precounts.load(self.target, self.opstamp)
        return self._precounts

    def matches_words(self, q: ql.Node) -> bool:
        if isinstance(q, ql.Prefix):
            return bool(self.searcher.terms_with_prefix(q.field, q.text))
        return any(ql.in_range(q, t) for t in self.values(q.field))

    def days(self, fieldname: str) -> list[tuple[str, int]]:
        """``(day, documents)`` of a day field (:data:`~.schema.DAYS`), oldest first."""
        if fieldname not in self._days:
            self._days[fieldname] = sorted(self.values(fieldname).items())
        return self._days[fieldname]

    def count(self, q: ql.Node) -> int:
        return self.searcher.search(translate(self, q), 1, count=True).count

    def suggest(self, word: str, maxdist: int = 2) -> str | None:
        """The indexed word of ``text_exact`` nearest ``word`` (same first letter), most
        frequent among the nearest; None when none is within ``maxdist`` edits."""
        best = None
        for term, freq in self.searcher.terms_with_prefix("text_exact", word[:1]):
            d = ql.edit_distance(term, word, maxdist)
            if d <= maxdist and (best is None or (d, -freq, term) < best):
                best = (d, -freq, term)
        return best[2] if best else None

    # -- matching ------------------------------------------------------------------------

    def match(self, q: ql.Node, narrowing: Narrowing, order: str, limit: int, offset: int,
              facets: list[str]) -> Match:
        clauses = conditions(self, narrowing)
        combined = combine(self, q, clauses)
        # Facet counts run in a second thread while the caller makes the page's snippets.
        # From the precounts, they also give the number of matches, so that a page ordered
        # by date need not visit every match (_windowed).
        counting = None
        if (facets or order != "score") and not narrowing.filtered:  # the scope alone
            kinds = list(narrowing.kinds or sorted(self.values("kind")))
            counting = precounts.prepare(self, self.precounts(), q, kinds, clauses, facets)
        if counting is not None:
            job = self.pool().submit(counting.run)
        elif facets:
            job = self.pool().submit(facet_counts, self, combined, facets)
        else:
            job = None
        windowed = counting is not None and order != "score"
        words = counting.words if counting is not None else None
        total, hits = _page(self, words, combined, clauses, order, limit, offset,
                            count=not windowed)
        page = [Stored(pickle.loads(self.searcher.doc(addr).get_first("row")), score)
                for addr, score in hits]
        out = Match(total, page)
        if job is not None:
            out.pending = (lambda: _wanted(job.result(), facets)) if counting is not None \
                else (lambda: (None, job.result()))
        return out


def _wanted(result: tuple[dict, int], facets: list[str]) -> tuple[int, dict]:
    counts, total = result
    return total, counts if facets else {}


def combine(s: TantivySearcher, q: ql.Node, narrowing: list) -> tantivy.Query:
    """The query ``q`` narrowed by the filter clauses, each part translated once.

    One flat boolean query where that keeps the meaning: a nested boolean costs tantivy a
    second scorer layer (measured 15-30% of the search at 1M excerpts). An AND takes the
    clauses beside its own; an OR only exclusions (beside a Must, its Should clauses would
    turn optional).
    """
    boolean = tantivy.Query.boolean_query
    if narrowing and q.boost == 1.0:
        if isinstance(q, ql.And):
            return boolean(and_clauses(s, q) + narrowing)
        if type(q) is ql.Or and all(occur == Occur.MustNot for occur, _ in narrowing):
            return boolean([(Occur.Should, translate(s, sub)) for sub in q.subs] + narrowing)
    user = translate(s, q)
    return boolean([(Occur.Must, user)] + narrowing) if narrowing else user


def conditions(s: TantivySearcher, narrowing: Narrowing) -> list:
    """Non-scoring clauses: one per filter (values OR-ed), the scope, the saved-date range."""
    out = [(Occur.Must, as_filter(term_set(s, name, sorted(values))))
           for name, values in narrowing.filters]
    if narrowing.kinds:
        out += scope_clauses(s, narrowing.kinds)
    if narrowing.saved_from or narrowing.saved_to:
        out.append((Occur.Must, as_filter(saved_between(s, narrowing.saved_from,
                                                        narrowing.saved_to))))
    return out


def saved_between(s: TantivySearcher, low: str | None, high: str | None) -> tantivy.Query:
    """The documents saved from ``low`` to ``high`` (``YYYY[-MM[-DD]]``, inclusive; None:
    open). Whole years (``--since 2019 --until 2020``, a click on a year) are the ``year``
    facet's words: their postings, where a range visits the date column of every document
    (measured at 1M: 2.9 -> 1.7 ms for a word and one year). Other bounds: the range."""
    starts = low is None or low[4:] in ("", "-01", "-01-01")
    ends = high is None or high[4:] in ("", "-12", "-12-31")
    if starts and ends:
        first, last = max((low or "0001")[:4], "0001"), (high or "9999")[:4]  # 0000: no date
        return term_set(s, "year", [y for y in s.values("year") if first <= y <= last])
    return tantivy.Query.range_query(
        s.schema, "saved_key", tantivy.FieldType.Unsigned,
        max(1, date_key(low or "0000")), date_key(high or "9999", fill="9"))


def scope_clauses(s: TantivySearcher, wanted) -> list:
    """The clauses keeping the kinds ``wanted``: none when every document is of those kinds;
    "not the other kinds" when they are most of them (excerpts): skipping a few postings is
    cheaper than intersecting with nearly all (measured 20-30% faster at 1M)."""
    wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    kinds = s.values("kind")
    others = sorted(k for k in kinds if k not in wanted)
    if not others:
        return []
    if sum(kinds.get(k, 0) for k in wanted) * 2 > sum(kinds.values()):
        # one term per kind: a term set's automaton costs ~2x a term's postings here
        return [(Occur.MustNot, tantivy.Query.term_query(s.schema, "kind", k)) for k in others]
    return [(Occur.Must, as_filter(term_set(s, "kind", sorted(wanted))))]


def _page(s: TantivySearcher, words, combined, narrowing: list, order: str, limit: int,
          offset: int, count: bool):
    """(the number of matches or None without ``count``, [(address, score or None)]).

    Ordered as :func:`indexer.querylang.ordering` says: by score, else by a date. Without
    ``count``, a page by date is first read from a window of days (:func:`_windowed`:
    ``words`` and ``narrowing`` as in ``combined``).
    """
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
    window = (Occur.Must, as_filter(Q.term_set_query(s.schema, DAYS[field], taken)))
    if words:
        lazy = Q.const_score_query(Q.boolean_query(
            [(Occur.Should, Q.term_query(s.schema, f, w)) for f, w in sorted(set(words))]), 1.0)
        inner = Q.boolean_query([(Occur.Must, lazy), window] + narrowing)
    else:
        inner = Q.boolean_query([(Occur.Must, combined), window])
    hits = s.searcher.search(inner, limit, count=False, order_by_field=field, offset=offset,
                             order=direction).hits
    return hits if len(hits) == limit else None
