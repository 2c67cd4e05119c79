"""Searching one Whoosh build: matching, narrowing, ordering, paging and facet counts.

Speed choices, measured (see docs/search.md): the matching documents are collected once
(scored in one pass when ranking by relevance, else with ``docs_for_query``); the scope bounds
the matcher (a docnum range, see :meth:`WhooshSearcher._of_kind`), so that an excerpt search
never walks article postings; facet counts and filters use per-searcher caches of ``value ->
set of docnums`` built from the postings; the total is the size of that set (``len(results)``
costs a third more); ``terms=True`` is never combined with a filter (whoosh-reloaded 2.7.5
then reports a total that ignores the filter).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.index import EmptyIndexError

from ... import querylang as ql
from ...config import Paths
from ...documents import SEARCH_FIELDS
from ..protocol import Match, Narrowing, Stored
from .convert import to_whoosh
from .scoring import DocRange, FastBM25F, score_matches


def open_dir(build: Path):
    """The Whoosh index in ``build`` (FileNotFoundError if it vanished: a swap removed it)."""
    try:
        return whoosh_index.open_dir(str(build))
    except EmptyIndexError as exc:
        raise FileNotFoundError(str(build)) from exc


class WhooshSearcher:
    """One open Whoosh build with per-searcher caches; reuse it across searches."""

    def __init__(self, paths: Paths, build: Path):
        self.paths = paths
        try:  # each step reads the build's files: a swap may remove them in between
            self.ix = open_dir(build)
            stamp = self.ix.last_modified()
            self.searcher = self.ix.searcher(weighting=FastBM25F())
        except EmptyIndexError as exc:
            raise FileNotFoundError(str(build)) from exc  # the caller opens the new build
        self.built = datetime.fromtimestamp(stamp, UTC).replace(microsecond=0).isoformat()
        self._docs: dict[str, dict[str, frozenset[int]]] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._columns: dict[str, list[str]] = {}
        self._kind_ranges: dict[tuple[str, ...], tuple[int, int] | None] = {}
        reader = self.searcher.reader()
        self.fields = [f for f in SEARCH_FIELDS if reader.field_length(f)] or SEARCH_FIELDS

    def close(self) -> None:
        self.searcher.close()

    # -- what the index holds ------------------------------------------------------------

    def docs(self, fieldname: str) -> dict[str, frozenset[int]]:
        """``value -> docnums`` of a facet field, read once from its postings."""
        cached = self._docs.get(fieldname)
        if cached is None:
            reader = self.searcher.reader()
            cached = {}
            for term in reader.lexicon(fieldname):
                docs = reader.postings(fieldname, term).all_ids()
                cached[term.decode("utf-8")] = frozenset(docs)
            self._docs[fieldname] = cached
        return cached

    def values(self, facet: str) -> dict[str, int]:
        cached = self._counts.get(facet)  # read per filter value a search resolves: once
        if cached is None:
            cached = self._counts[facet] = {v: len(d) for v, d in self.docs(facet).items()}
        return cached

    def column(self, fieldname: str) -> list[str]:
        """A sortable field's value for every docnum."""
        cached = self._columns.get(fieldname)
        if cached is None:
            cached = list(self.searcher.reader().column_reader(fieldname))
            self._columns[fieldname] = cached
        return cached

    def matches_words(self, q: ql.Node) -> bool:
        return next(iter(to_whoosh(q).expanded_terms(self.searcher.reader())), None) is not None

    def suggest(self, word: str) -> str | None:
        near = self.searcher.suggest("text_exact", word, limit=1)
        return near[0] if near else None

    def count(self, q: ql.Node) -> int:
        return len(set(self.searcher.docs_for_query(to_whoosh(q))))

    # -- matching ------------------------------------------------------------------------

    def match(self, q: ql.Node, narrowing: Narrowing, order: str, limit: int, offset: int,
              facets: list[str]) -> Match:
        allowed = self._allowed(narrowing)
        matched, ranked = self._match(to_whoosh(q), allowed, order, narrowing.kinds)
        page = self._page(matched, ranked, order, limit, offset)
        stored = [Stored(dict(self.searcher.stored_fields(d)["row"]), score) for d, score in page]
        counts = {name: self._facet_counts(name, matched) for name in facets}
        return Match(len(matched), stored, counts)

    def _allowed(self, narrowing: Narrowing) -> set[int] | None:
        """The docnums the filters and dates allow (None: no restriction)."""
        allowed: set[int] | None = None
        for name, values in narrowing.filters:
            table = self.docs(name)
            docs: set[int] = set()
            for value in values:
                docs |= table.get(value, frozenset())
            allowed = docs if allowed is None else allowed & docs
        if narrowing.saved_from or narrowing.saved_to:
            low = narrowing.saved_from or "0000"
            high = (narrowing.saved_to or "9999") + "\uffff"  # until 2019 takes 2019-12-31T...
            saved = self.column("saved")
            pool = allowed if allowed is not None else range(len(saved))
            allowed = {d for d in pool if saved[d] and low <= saved[d] <= high}
        return allowed

    def _match(self, q, allowed: set[int] | None, order: str, kinds: tuple[str, ...] | None):
        """(matching docnums, [(docnum, score)] best first, or None when not ranking).

        Ranking scores every match once (limit=None): one pass gives the set, the exact
        total and the order; measured cheaper than ``docs_for_query`` then a top-10 search.
        """
        ranking = order == "score"
        if kinds:
            q = self._of_kind(q, kinds)
        if allowed is not None and not allowed:  # Whoosh takes an empty filter for no filter
            return set(), [] if ranking else None
        if ranking:
            ranked = score_matches(self.searcher, q, allowed)  # = search(q, filter=, limit=None)
            return {d for d, _ in ranked}, ranked
        matched = set(self.searcher.docs_for_query(q))
        if allowed is not None:
            matched &= allowed
        return matched, None

    def _of_kind(self, q, kinds):
        """``q`` restricted to documents of ``kinds`` (one kind's name, or several).

        A build writes each kind as one run of docnums, what the team wrote (excerpts,
        descriptions, notes) before the articles; in a one-segment index the run of the kinds
        asked bounds the matcher for free (:class:`~.scoring.DocRange`). Otherwise
        ``Require(q, kind:...)``: correct everywhere, but it steps through the kinds' whole
        posting lists on every query.
        """
        kinds = (kinds,) if isinstance(kinds, str) else tuple(sorted(kinds))
        if kinds not in self._kind_ranges:  # per searcher: min/max cost O(n)
            table = self.docs("kind")
            docs = frozenset().union(*(table.get(k, frozenset()) for k in kinds))
            self._kind_ranges[kinds] = None
            if docs and self.searcher.is_atomic() and max(docs) - min(docs) + 1 == len(docs):
                self._kind_ranges[kinds] = (min(docs), max(docs))
        bounds = self._kind_ranges[kinds]
        if bounds is not None:
            return DocRange(q, *bounds)
        if len(kinds) == 1:
            return wq.Require(q, wq.Term("kind", kinds[0]))
        return wq.Require(q, wq.Or([wq.Term("kind", k) for k in kinds]))

    def _page(self, matched: set[int], ranked, order: str, limit: int, offset: int):
        """(docnum, score) of the requested page (``order``: see querylang.ordering)."""
        if ranked is not None:
            return ranked[offset : offset + limit]
        column = self.column("published" if order == "published" else "saved")
        ordered = sorted(matched, key=lambda d: (column[d], -d), reverse=order != "oldest")
        return [(d, None) for d in ordered[offset : offset + limit]]

    def _facet_counts(self, name: str, matched: set[int]) -> list[tuple[str, int]]:
        """(value, count) of a facet over the matched documents, most frequent first."""
        counts = []
        for value, docs in self.docs(name).items():
            n = len(docs & matched) if len(docs) < len(matched) else len(matched & docs)
            if n:
                counts.append((value, n))
        counts.sort(key=lambda vc: (-vc[1], vc[0]))
        return counts
