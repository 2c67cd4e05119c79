"""One bookmark to read: its metadata, description and notes, and its article with every
excerpt in place; the library behind the web reader's article page.

:func:`read_bookmark` reads the store (read-only) and returns a :class:`Reading`. The
article's main text comes cut into :class:`Segment` runs at every excerpt boundary, each
run knowing which excerpts cover it, so overlapping highlights need no nesting; an excerpt
found only outside the main text (its offsets count in the whole page's text, see
:func:`indexer.documents.placed_text`) comes as a :class:`Passage` of that page text with
its context. Joined, the runs of one excerpt are exactly its ``matched_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import Paths
from .errors import QueryError, quoted
from .store import Store

__all__ = ["Passage", "ReadExcerpt", "ReadNote", "Reading", "Segment", "read_bookmark",
           "segments"]

PASSAGE_CONTEXT = 300  # characters of page text either side of an excerpt outside the main text


@dataclass
class ReadExcerpt:
    """One excerpt of the bookmark with where it was placed (or why not)."""

    id: str
    seq: int
    text: str
    annotator: str | None
    created_at: str | None
    comment: str | None
    method: str | None = None  # exact | fuzzy | orphan | None (never aligned)
    start: int | None = None
    end: int | None = None
    score: float | None = None
    matched_text: str | None = None
    in_main_text: bool | None = None
    fragment_url: str | None = None
    orphan_cause: str | None = None
    best_score: float | None = None

    @property
    def placed(self) -> bool:
        """Whether the excerpt has offsets in the stored text."""
        return self.method in ("exact", "fuzzy") and self.start is not None

    @property
    def in_page_text(self) -> bool:
        """Placed, but in the whole page's text rather than the main text."""
        return self.placed and self.in_main_text is not None and not self.in_main_text


@dataclass
class ReadNote:
    id: str
    text: str
    annotator: str | None
    created_at: str | None


@dataclass
class Segment:
    """A run of the main text and the excerpts (ids) that cover it; none for plain text."""

    text: str
    excerpts: tuple[str, ...] = ()
    first_of: tuple[str, ...] = ()  # excerpts that start with this run (anchors)


@dataclass
class Passage:
    """An excerpt placed in the page's text outside the main text, with its context."""

    excerpt_id: str
    before: str
    text: str
    after: str


@dataclass
class Reading:
    """Everything the article page shows for one bookmark."""

    bookmark: dict
    tags: list[str]
    excerpts: list[ReadExcerpt]
    notes: list[ReadNote]
    article: dict | None = None  # title, author, published, site_name, language, status
    fetch: dict | None = None  # url, final_url, origin, fetched_at, archive_date
    segments: list[Segment] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)

    @property
    def orphans(self) -> list[ReadExcerpt]:
        """Excerpts not placed in any stored text, each with its ``orphan_cause``."""
        return [e for e in self.excerpts if not e.placed]

    @property
    def archived_url(self) -> str | None:
        """The web archive's copy the text came from, when it came from one."""
        if self.fetch and self.fetch.get("origin") == "archive":
            return self.fetch.get("final_url") or self.fetch.get("url")
        return None


_EXCERPTS = """
SELECT e.id, e.seq, e.text, e.annotator, e.created_at, e.comment, al.method, al.start,
       al."end", al.score, al.matched_text, al.in_main_text, al.fragment_url, al.orphan_cause,
       al.best_score
FROM excerpts e LEFT JOIN alignments al ON al.excerpt_id = e.id
WHERE e.bookmark_id = ? ORDER BY e.seq
"""


def read_bookmark(paths: Paths, bookmark_id: str) -> Reading:
    """The bookmark ``bookmark_id`` with its article and excerpts, read without writing.

    Raises :class:`QueryError` for an unknown id, :class:`indexer.errors.StoreError` when
    there is no store.
    """
    with Store(paths.db, readonly=True) as store:
        conn = store.conn
        row = conn.execute(
            "SELECT id, url, title, site, annotator, grp, description, created_at, updated_at,"
            " language FROM bookmarks WHERE id = ?", (bookmark_id,)).fetchone()
        if row is None:
            raise QueryError(f"unknown bookmark id {quoted(bookmark_id)}")
        tags = [t for (t,) in conn.execute(
            "SELECT tag FROM tags WHERE bookmark_id = ? ORDER BY tag", (bookmark_id,))]
        excerpts = [_excerpt(r) for r in conn.execute(_EXCERPTS, (bookmark_id,))]
        notes = [ReadNote(*r) for r in conn.execute(
            "SELECT id, text, annotator, created_at FROM notes WHERE bookmark_id = ?"
            " AND TRIM(text) <> '' ORDER BY seq", (bookmark_id,))]
        art = conn.execute(
            "SELECT title, author, published, site_name, language, status, text, fallback_text"
            " FROM articles WHERE bookmark_id = ?", (bookmark_id,)).fetchone()
        fetch = conn.execute(
            "SELECT url, final_url, origin, fetched_at, archive_date, error FROM fetches"
            " WHERE bookmark_id = ?", (bookmark_id,)).fetchone()
    reading = Reading(dict(row), tags, excerpts, notes, fetch=dict(fetch) if fetch else None)
    if art is not None:
        article = dict(art)
        main, page = article.pop("text"), article.pop("fallback_text")
        reading.article = article
        reading.segments = segments(main or "", [e for e in excerpts
                                                 if e.placed and not e.in_page_text])
        reading.passages = [_passage(page or "", e) for e in excerpts if e.in_page_text]
    return reading


def _excerpt(r) -> ReadExcerpt:
    e = ReadExcerpt(*r)
    if e.in_main_text is not None:
        e.in_main_text = bool(e.in_main_text)
    return e


def segments(text: str, excerpts: list[ReadExcerpt]) -> list[Segment]:
    """``text`` cut at every start and end of ``excerpts`` (placed in it), in order.

    Each run lists the excerpts covering it, so overlapping excerpts share runs instead of
    nesting; the run where an excerpt begins names it in ``first_of``.
    """
    spans = [(e.id, max(0, e.start), min(len(text), e.end)) for e in excerpts
             if e.start is not None and e.end is not None and e.start < e.end]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(t for _, _, t in spans)})
    out = []
    for lo, hi in zip(cuts, cuts[1:]):
        if lo == hi:
            continue
        covering = tuple(i for i, s, t in spans if s <= lo and hi <= t)
        first = tuple(i for i, s, _ in spans if s == lo)
        out.append(Segment(text[lo:hi], covering, first))
    return out


def _passage(page: str, e: ReadExcerpt) -> Passage:
    before = page[max(0, e.start - PASSAGE_CONTEXT): e.start]
    return Passage(e.id, before, page[e.start: e.end], page[e.end: e.end + PASSAGE_CONTEXT])
