"""Ranking every match the way Whoosh does, for a fraction of its cost.

Two hot spots of a Whoosh search that ranks all its matches (docs/performance.md), each
replaced by code that gives the same numbers, bit for bit:

* :class:`FastBM25F`: Whoosh's :class:`~whoosh.scoring.BM25F` reads a matching document's
  field length through six Python calls (searcher, reader, per-document reader, column,
  ``struct.unpack``, ``byte_to_length``) per match and per field. Here a segment's length
  column is read once as raw bytes (one byte per document, Whoosh's own encoding) and each
  byte maps, through a 256-entry table per term field, to the part of BM25 that depends on
  the length alone.
* :func:`score_matches`: Whoosh's collector steps the matcher tree once per matching
  document; a word searched in several fields, or a prefix, is a tree of union matchers, a
  dozen Python calls per level per document. Here each branch of a union is read on its own
  and the branches are merged (term at a time), adding the scores as
  :class:`~whoosh.matching.UnionMatcher` adds them.

Both read Whoosh 2.7's internals (``whoosh-reloaded==2.7.5`` is pinned); where those are not
what is expected, they fall back to Whoosh's own path. ``tests/search/test_scoring.py`` compares
both with Whoosh's own results.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching import UnionMatcher
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.util.numeric import byte_to_length


def _length_table(avgfl: float, B: float, K1: float) -> list[float]:
    """``K1 * ((1 - B) + B * length / avgfl)`` for each length byte, as bm25() computes it."""
    return [K1 * ((1 - B) + B * byte_to_length(b) / avgfl) for b in range(256)]


def _length_bytes(searcher, fieldname: str) -> bytes | None:
    """The segment's length column for ``fieldname``: one byte per docnum, or None."""
    try:
        perdoc = searcher.reader()._perdoc
        column = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if column is None:
            return None
        raw = column._dbfile.get(column._basepos, column._count)
    except AttributeError:  # not a one-segment Whoosh 2.7 reader: use Whoosh's path
        return None
    return bytes(raw) if len(raw) == searcher.doc_count_all() else None


class FastBM25F(scoring.BM25F):
    """:class:`whoosh.scoring.BM25F`, same parameters and scores, lengths read in bulk.

    One instance per searcher: it keeps each segment's length bytes (``doc count`` bytes per
    scored field) for the searcher's life.
    """

    def __init__(self, B: float = 0.75, K1: float = 1.2, **kwargs):
        super().__init__(B=B, K1=K1, **kwargs)
        self._lengths: dict[tuple[int, str], bytes | None] = {}

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        B = self._field_B.get(fieldname, self.B)
        key = (id(searcher.reader()), fieldname)
        if key not in self._lengths:
            self._lengths[key] = _length_bytes(searcher, fieldname)
        lengths = self._lengths[key]
        if lengths is None:
            return scoring.BM25FScorer(searcher, fieldname, text, B, self.K1, qf=qf)
        return _TableScorer(searcher, fieldname, text, B, self.K1, lengths)


class _TableScorer(scoring.BM25FScorer):
    """BM25FScorer whose per-document length term comes from a byte -> value table."""

    def __init__(self, searcher, fieldname, text, B, K1, lengths: bytes):
        super().__init__(searcher, fieldname, text, B, K1)
        self._lengths = lengths
        self._table = _length_table(self.avgfl, B, K1)

    def score(self, matcher):
        tf = matcher.weight()
        # bm25(): idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        return self.idf * ((tf * (self.K1 + 1)) / (tf + self._table[self._lengths[matcher.id()]]))


# -- scoring every match, branch by branch ---------------------------------------------------


class DocRange(wq.WrappingQuery):
    """A query whose matches are cut to docnums ``lo..hi`` (one-segment searchers only)."""

    def __init__(self, child, lo: int, hi: int):
        super().__init__(child)
        self.lo, self.hi = lo, hi

    def _rewrap(self, child):
        return DocRange(child, self.lo, self.hi)

    def matcher(self, searcher, context=None):
        return RangeMatcher(self.child.matcher(searcher, context), self.lo, self.hi)


class RangeMatcher(WrappingMatcher):
    """Starts its child at docnum ``lo`` and ends it after ``hi``."""

    def __init__(self, child, lo: int, hi: int, boost: float = 1.0):
        super().__init__(child, boost)
        self.lo, self.hi = lo, hi
        if child.is_active() and child.id() < lo:
            child.skip_to(lo)

    def copy(self):
        return RangeMatcher(self.child.copy(), self.lo, self.hi, self.boost)

    def _replacement(self, newchild):
        return RangeMatcher(newchild, self.lo, self.hi, self.boost)

    def is_active(self):
        return self.child.is_active() and self.child.id() <= self.hi

    def all_ids(self):
        for docnum in self.child.all_ids():
            if docnum > self.hi:
                return
            if docnum >= self.lo:
                yield docnum


def score_matches(searcher, q, allowed: set[int] | None = None) -> list[tuple[int, float]]:
    """Every (docnum, score) ``q`` matches, best first (ties: lowest docnum first).

    The same list as ``searcher.search(q, filter=allowed, limit=None)``, scores bit for bit,
    computed branch by branch instead of document by document: Whoosh steps a tree of union
    matchers once per matching document (a dozen Python calls per level); here each branch of a
    union is read to the end on its own and the two are merged, adding the scores in the order
    :class:`~whoosh.matching.UnionMatcher` adds them. Other matchers (intersections,
    phrases, filters of deleted documents) are stepped as Whoosh's collector steps them.
    """
    context = searcher.context()
    out: list[tuple[int, float]] = []
    for sub, offset in searcher.leaf_searchers():
        scores = _branch(q.matcher(sub, context), 0, None)
        if allowed is None:
            out.extend((offset + d, sc) for d, sc in scores.items())
        else:
            out.extend((offset + d, sc) for d, sc in scores.items() if offset + d in allowed)
    out.sort(key=lambda ds: (-ds[1], ds[0]))
    return out


def _branch(m, lo: int, hi: int | None) -> dict[int, float]:
    """{docnum: score} of matcher ``m`` within docnums ``lo..hi``."""
    kind = type(m)
    if kind is RangeMatcher:
        return _branch(m.child, max(lo, m.lo), m.hi if hi is None else min(hi, m.hi))
    if kind is UnionMatcher:
        a, b = _branch(m.a, lo, hi), _branch(m.b, lo, hi)
        if len(a) < len(b):  # merge the smaller into the larger, adding in the a + b order
            for d, sa in a.items():
                sb = b.get(d)
                b[d] = sa if sb is None else sa + sb
            return b
        for d, sb in b.items():
            sa = a.get(d)
            a[d] = sb if sa is None else sa + sb
        return a
    return _step(m, lo, hi)


def _step(m, lo: int, hi: int | None) -> dict[int, float]:
    """What Whoosh's collector does with a matcher: id and score, document by document."""
    out: dict[int, float] = {}
    if m.is_active() and lo and m.id() < lo:
        m.skip_to(lo)
    while m.is_active():
        d = m.id()
        if hi is not None and d > hi:
            break
        out[d] = m.score()
        m.next()
    return out
