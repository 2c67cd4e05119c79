"""One bookmark to read: its work (metadata, description, notes, excerpts) and its article
with every excerpt in place; the library behind the web reader's article page.

:func:`read_bookmark` reads the store (read-only) through :func:`indexer.works.load_works`
(the same record the citation exports read) and adds the article's text. The main text comes
cut into :class:`Segment` runs at every excerpt boundary, each run knowing which excerpts
cover it, so overlapping highlights need no nesting; an excerpt found only outside the main
text (its offsets count in the whole page's text, see :func:`indexer.documents.placed_text`)
comes as a :class:`Passage` of that page text with its context, and an excerpt the live page
lost, placed in a web archive's dated snapshot (:mod:`indexer.snapshots`), as a passage of
that snapshot's text. Joined, the runs of one excerpt are exactly its ``matched_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Paths
from .documents import placed_text, snapshot_texts
from .errors import QueryError, quoted
from .store import Store
from .works import Quote, Selection, Work, load_works

__all__ = ["Passage", "Reading", "Segment", "in_page_text", "in_snapshot", "read_bookmark",
           "segments"]

PASSAGE_CONTEXT = 300  # characters of page text either side of an excerpt outside the main text


@dataclass
class Segment:
    """A run of the main text and the excerpts (ids) that cover it; none for plain text."""

    text: str
    excerpts: tuple[str, ...] = ()
    first_of: tuple[str, ...] = ()  # excerpts that start with this run (anchors)


@dataclass
class Passage:
    """An excerpt placed outside the article's main text, with its context: in the rest of
    the page, or in a web archive's snapshot of it (``archived_url``, ``archived_date``)."""

    excerpt_id: str
    before: str
    text: str
    after: str
    archived_url: str | None = None
    archived_date: str | None = None


@dataclass
class Reading:
    """Everything the article page shows for one bookmark."""

    work: Work
    article_status: str | None = None  # ok | tiny | empty | not_html | error | None
    segments: list[Segment] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # in the rest of the page
    archived: list[Passage] = field(default_factory=list)  # only in an archived snapshot

    @property
    def orphans(self) -> list[Quote]:
        """Excerpts not placed in any stored text, each with its ``orphan_cause``."""
        return [q for q in self.work.quotes if not q.placed]


def in_snapshot(q: Quote) -> bool:
    """Placed only in a web archive's snapshot (the live page lost it)."""
    return q.placed and q.snapshot_id is not None


def in_page_text(q: Quote) -> bool:
    """Placed in the live page's whole text rather than its main text."""
    return (q.placed and not in_snapshot(q) and q.in_main_text is not None
            and not q.in_main_text)


def read_bookmark(paths: Paths, bookmark_id: str) -> Reading:
    """The bookmark ``bookmark_id`` with its article and excerpts, read without writing.

    Raises :class:`QueryError` for an unknown id, :class:`indexer.errors.StoreError` when
    there is no store.
    """
    with Store(paths.db, readonly=True) as store:
        whole = Selection(order=[bookmark_id], whole={bookmark_id})
        work = next(load_works(store, whole), None)
        if work is None:
            raise QueryError(f"unknown bookmark id {quoted(bookmark_id)}")
        art = store.conn.execute("SELECT status, text, fallback_text FROM articles"
                                 " WHERE bookmark_id = ?", (bookmark_id,)).fetchone()
        snapshots = snapshot_texts(store, [q.snapshot_id for q in work.quotes])
    reading = Reading(work)
    placed = [q for q in work.quotes if q.placed]
    if art is not None:
        reading.article_status = art["status"]
        live = [q for q in placed if not in_snapshot(q)]
        reading.segments = segments(art["text"] or "", [q for q in live if not in_page_text(q)])
        reading.passages = [_passage(art["fallback_text"] or "", q)
                            for q in live if in_page_text(q)]
    for q in (q for q in placed if in_snapshot(q)):
        text = placed_text(None, None, q.in_main_text, q.snapshot_id, snapshots) or ""
        reading.archived.append(_passage(text, q))
    return reading


def segments(text: str, quotes: list[Quote]) -> list[Segment]:
    """``text`` cut at every start and end of ``quotes`` (placed in it), in order.

    Each run lists the excerpts covering it, so overlapping excerpts share runs instead of
    nesting; the run where an excerpt begins names it in ``first_of``.
    """
    spans = [(q.id, max(0, q.start), min(len(text), q.end)) for q in quotes
             if q.start is not None and q.end is not None and q.start < q.end]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(t for _, _, t in spans)})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        covering = tuple(i for i, s, t in spans if s <= lo and hi <= t)
        first = tuple(i for i, s, _ in spans if s == lo)
        out.append(Segment(text[lo:hi], covering, first))
    return out


def _passage(text: str, q: Quote) -> Passage:
    before = text[max(0, q.start - PASSAGE_CONTEXT): q.start]
    archived = (q.archived_url, q.archived_date) if in_snapshot(q) else (None, None)
    return Passage(q.id, before, text[q.start: q.end], text[q.end: q.end + PASSAGE_CONTEXT],
                   *archived)
