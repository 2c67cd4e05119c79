"""The works behind a set of excerpts: one :class:`Work` per bookmark, read from the store.

A work is what a bibliography cites and what annotations point at: the page (its URL, the
article's title, authors, date and site, where and when it was fetched, the archived copy it
came from) with the team's words about it: its excerpts (:class:`Quote`, each with where it
sits in the article) and notes (:class:`Note`). The citation and annotation exports
(:mod:`indexer.citations`, :mod:`indexer.annotations`) read nothing else.

What to take is a :class:`Selection`: every work of the store, or the works of some search
hits (:meth:`Selection.from_rows`). A hit on an excerpt (or on the comment beside it) takes
that excerpt, a hit on a note that note, and a hit on the bookmark itself (its description
or its article) takes the whole work: all its excerpts and notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import urlsplit

from .dates import aware_datetime
from .documents import load_tags
from .store import ARTICLE_READ, DOCUMENT_LANGUAGE, Store

__all__ = ["Note", "Quote", "Selection", "Work", "date_parts", "load_works", "utc_timestamp"]


@dataclass(frozen=True)
class Quote:
    """One excerpt: the highlighted text, its comment, and its place in the article (the
    alignment columns are None where it was never placed, or is an orphan)."""

    id: str
    text: str
    annotator: str | None = None
    created_at: str | None = None
    comment: str | None = None
    source_prefix: str | None = None  # the context the source gave (Hypothesis)
    source_suffix: str | None = None
    source_id: str | None = None
    source_start: int | None = None  # the source's own position (browser text), a hint
    source_end: int | None = None
    method: str | None = None  # exact | fuzzy | orphan
    start: int | None = None
    end: int | None = None
    prefix: str | None = None  # the article's text around it, as aligned
    suffix: str | None = None
    in_main_text: bool | None = None
    fragment_url: str | None = None
    score: float | None = None  # the alignment's (1.0 exact, below for fuzzy)
    matched_text: str | None = None  # the article's text at [start, end)
    orphan_cause: str | None = None
    best_score: float | None = None  # an orphan's nearest miss
    # placed only in a web archive's snapshot (the live page lost it): that copy and its date
    archived_url: str | None = None
    archived_date: str | None = None
    snapshot_id: int | None = None  # the snapshot its offsets count in (documents.placed_text)

    @property
    def placed(self) -> bool:
        """Aligned in the article (exact or fuzzy), with offsets."""
        return self.method in ("exact", "fuzzy") and self.start is not None


@dataclass(frozen=True)
class Note:
    """A note of the annotator's own about the page (not a quotation)."""

    id: str
    text: str
    annotator: str | None = None
    created_at: str | None = None


@dataclass
class Work:
    """One bookmarked page with its metadata and the selected excerpts and notes."""

    bookmark_id: str
    title: str  # the bookmark's (what the annotator saved)
    url: str | None = None
    annotator: str | None = None
    description: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] = field(default_factory=list)
    article_title: str | None = None  # the page's own, when its article was read
    author: str | None = None
    published: str | None = None
    site: str | None = None
    language: str | None = None
    fetched_at: str | None = None
    origin: str | None = None  # network | local | archive
    final_url: str | None = None
    archive_date: str | None = None
    quotes: list[Quote] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def cited_title(self) -> str:
        """The page's own title when known (a bookmark's may be cut), else the bookmark's."""
        return self.article_title or self.title

    @property
    def archived_url(self) -> str | None:
        """The web archive's copy the article text came from (None for a live page)."""
        return self.final_url if self.origin == "archive" else None

    @property
    def host(self) -> str | None:
        return urlsplit(self.url).hostname if self.url else None


@dataclass
class Selection:
    """Which works, excerpts and notes to export, in order (see the module docstring)."""

    order: list[str] = field(default_factory=list)  # bookmark ids, by first hit
    excerpts: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    whole: set[str] = field(default_factory=set)  # bookmarks taken with everything

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> Selection:
        """The selection of search rows (``id``, ``bookmark_id``, ``kind``), e.g.
        :meth:`indexer.results.SearchResults.rows`; a row without ``kind`` is an excerpt."""
        sel = cls()
        seen: set[str] = set()
        for row in rows:
            bid, doc_id, kind = row["bookmark_id"], str(row["id"]), row.get("kind") or "excerpt"
            if bid not in seen:
                seen.add(bid)
                sel.order.append(bid)
            if kind == "excerpt":
                sel.excerpts.add(doc_id)
            elif kind == "note" and doc_id.startswith("c-"):  # the comment beside an excerpt
                sel.excerpts.add(doc_id[2:])
            elif kind == "note":
                sel.notes.add(doc_id.removeprefix("n-"))
            else:  # a description or an article: the bookmark itself
                sel.whole.add(bid)
        return sel


_WORK_SQL = f"""
SELECT b.id AS bookmark_id, b.title, b.url, b.annotator, b.description, b.created_at,
       b.updated_at, ar.title AS article_title, ar.author, ar.published,
       COALESCE(ar.site_name, b.site) AS site, {DOCUMENT_LANGUAGE} AS language,
       f.fetched_at, f.origin, f.final_url, f.archive_date
FROM bookmarks b
LEFT JOIN articles ar ON ar.bookmark_id = b.id AND {ARTICLE_READ}
LEFT JOIN fetches f ON f.bookmark_id = b.id AND f.error IS NULL
"""
_QUOTES_SQL = """
SELECT e.id, e.text, e.annotator, e.created_at, e.comment, e.prefix AS source_prefix,
       e.suffix AS source_suffix, e.source_id, e.hint_start AS source_start,
       e.hint_end AS source_end, al.method, al.start, al."end",
       al.prefix, al.suffix, al.in_main_text, al.fragment_url, al.score, al.matched_text,
       al.orphan_cause, al.best_score, sn.url AS archived_url, sn.archive_date AS archived_date,
       al.snapshot_id
FROM excerpts e LEFT JOIN alignments al ON al.excerpt_id = e.id
LEFT JOIN snapshots sn ON sn.id = al.snapshot_id
WHERE e.bookmark_id = ? ORDER BY e.seq
"""
_NOTES_SQL = "SELECT id, text, annotator, created_at FROM notes WHERE bookmark_id = ? ORDER BY seq"


def load_works(store: Store, selection: Selection | None = None) -> Iterator[Work]:
    """The works of ``selection`` in its order, or every work of the store by saved date
    (the order of the excerpt export). One bookmark is read at a time."""
    # the whole store's tags at once for the whole store; a selection's only (the reading
    # room reads one bookmark a page: all the tags of 100k bookmarks made it 55x slower)
    tags = load_tags(store) if selection is None else _tags_of(store, selection.order)
    if selection is None:
        rows: Iterable = store.conn.execute(_WORK_SQL + " ORDER BY b.created_at, b.id")
    else:
        rows = (store.conn.execute(_WORK_SQL + " WHERE b.id = ?", (bid,)).fetchone()
                for bid in selection.order)
    for row in rows:
        if row is not None:
            yield _work(store, dict(row), tags, selection)


def _tags_of(store: Store, bookmark_ids: list[str], chunk: int = 500) -> dict[str, list[str]]:
    """``bookmark id -> sorted tags`` of these bookmarks only."""
    tags: dict[str, list[str]] = {}
    for i in range(0, len(bookmark_ids), chunk):
        ids = bookmark_ids[i: i + chunk]
        marks = ",".join("?" * len(ids))
        for bid, tag in store.conn.execute(
                f"SELECT bookmark_id, tag FROM tags WHERE bookmark_id IN ({marks})"
                " ORDER BY tag", ids):
            tags.setdefault(bid, []).append(tag)
    return tags


def _work(store: Store, row: dict, tags: dict[str, list[str]], sel: Selection | None) -> Work:
    bid = row["bookmark_id"]
    work = Work(**row, tags=tags.get(bid, []))
    work.language = None if work.language in (None, "", "und") else work.language
    whole = sel is None or bid in sel.whole
    for r in store.conn.execute(_QUOTES_SQL, (bid,)):
        if whole or r["id"] in sel.excerpts:
            quote = dict(r)
            if quote["in_main_text"] is not None:
                quote["in_main_text"] = bool(quote["in_main_text"])
            work.quotes.append(Quote(**quote))
    for r in store.conn.execute(_NOTES_SQL, (bid,)):
        if whole or r["id"] in sel.notes:
            work.notes.append(Note(**dict(r)))
    return work


# -- dates, as the exports write them ---------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def date_parts(value: str | None) -> list[int]:
    """``[year, month, day]`` (as much as is known) of an ISO date or date-time, else []."""
    match = _DATE.match(value or "")
    if not match:
        return []
    return [int(part) for part in match.groups() if part is not None]


def utc_timestamp(value: str | None) -> str | None:
    """An ISO date or date-time as RFC 3339 UTC (``2019-02-01T00:00:00Z``); a value without
    an offset is taken as UTC (the stages store UTC), a bare date as its midnight."""
    when = aware_datetime(value)
    if when is None:
        return None
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
