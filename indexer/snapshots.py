"""The snapshot of the day it was highlighted, for excerpts the live page lost.

A page fetched alive may no longer hold an excerpt (an orphan with cause ``not_found``): the
article was edited, cut, moved behind a paywall. :func:`rescue_orphans` asks a web archive,
for each such bookmark, for the copy closest to the bookmark's saved date (the Wayback
availability API with a ``timestamp``, or a Memento TimeGate with ``Accept-Datetime``: see
:meth:`indexer.fetch.Fetcher.archived_copy`), keeps its body in the cache and its WARC
records beside the others', extracts its text into the ``snapshots`` table, then runs the
align stage: an orphan of a bookmark with a snapshot is tried in it, and when found there its
alignment names the snapshot (``alignments.snapshot_id``). The live text stays the article's
for every other excerpt.

A bookmark is asked once: a snapshot found, or the archive's "none", is recorded; with
``FetchOptions.refresh`` the bookmarks whose archive had nothing are asked again.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from .align import AlignOptions, AlignSummary, align_all
from .cache import Cache
from .errors import IndexerError
from .extract import extract_page, extractor_version
from .fetch import ArchivedCopy, Fetcher, FetchOptions, parse_content_type, redact, remove_leftovers
from .progress import Progress, count
from .store import Store, now_iso


@dataclass
class SnapshotSummary:
    """What one :func:`rescue_orphans` run did."""

    bookmarks: int = 0  # bookmarks with excerpts the live page lost, asked this run
    found: int = 0  # snapshots fetched and extracted
    none: int = 0  # the archive had no copy (or its copy failed)
    asked_before: int = 0  # bookmarks asked by an earlier run, not asked again
    requests: int = 0
    seconds: float = 0.0
    align: AlignSummary | None = None  # the align run that tried the orphans in the copies
    placed: int = 0  # excerpts now placed in an archived snapshot (all runs)

    def lines(self) -> list[str]:
        """The report the CLI prints."""
        out = [(f"snapshots: asked {count(self.bookmarks, 'bookmark')} with excerpts the live "
                f"page lost; {self.found} found, {self.none} without a copy "
                f"({count(self.requests, 'request')}, {self.seconds:.1f} s)")]
        if self.asked_before:
            out.append(f"  asked before, not again: {self.asked_before} (--refresh asks again)")
        out.append(f"  excerpts placed only in an archived copy: {self.placed}")
        return out


@dataclass
class _Ask:
    bookmark_id: str
    url: str
    saved: str | None
    found: ArchivedCopy = field(default_factory=ArchivedCopy)


# Bookmarks whose live page was read and lost excerpts; `asked` counts earlier snapshot rows.
_CANDIDATES = """
SELECT b.id, b.url, b.created_at,
       (SELECT COUNT(*) FROM snapshots s WHERE s.bookmark_id = b.id) AS asked,
       (SELECT COUNT(*) FROM snapshots s WHERE s.bookmark_id = b.id
                                          AND s.status <> 'failed') AS kept
FROM bookmarks b JOIN fetches f ON f.bookmark_id = b.id AND f.error IS NULL
WHERE f.origin IN ('network', 'local') AND b.url IS NOT NULL AND TRIM(b.url) <> ''
  AND EXISTS (SELECT 1 FROM excerpts e JOIN alignments a ON a.excerpt_id = e.id
              WHERE e.bookmark_id = b.id AND a.method = 'orphan'
                AND a.orphan_cause = 'not_found')
ORDER BY b.id
"""


def rescue_orphans(store: Store, cache: Cache, options: FetchOptions,
                   progress: Progress | None = None, workers: int = 1) -> SnapshotSummary:
    """Fetch the dated archived copy of each page that lost excerpts, then align them there.

    ``options`` must name an archive (``archive_url`` and/or ``timegate_url``); its
    politeness, safety, WARC and resolver settings apply as for :func:`indexer.fetch.fetch_all`.
    Raises :class:`IndexerError` when no archive is named. Failures are recorded, not raised.
    """
    if not (options.archive_url or options.timegate_url):
        raise IndexerError("no web archive to ask: pass --archive, --archive-url URL or "
                           "--timegate URL")
    options.check()
    started = time.monotonic()
    summary = SnapshotSummary()
    asks = _candidates(store, options, summary)
    progress = progress or Progress()
    if asks and not options.offline:
        remove_leftovers(cache, options)
        asyncio.run(_ask_all(cache, options, asks, progress))
        _store(store, cache, asks, summary)
    summary.seconds = time.monotonic() - started
    summary.align = align_all(store, AlignOptions(), progress, workers=workers)
    summary.placed = store.conn.execute(
        "SELECT COUNT(*) FROM alignments WHERE snapshot_id IS NOT NULL").fetchone()[0]
    return summary


def _candidates(store: Store, options: FetchOptions, summary: SnapshotSummary) -> list[_Ask]:
    asks = []
    for row in store.conn.execute(_CANDIDATES).fetchall():
        if row["kept"] or (row["asked"] and not options.refresh):
            summary.asked_before += 1
            continue
        asks.append(_Ask(row["id"], row["url"].strip(), row["created_at"]))
    summary.bookmarks = len(asks)
    return asks


async def _ask_all(cache: Cache, options: FetchOptions, asks: list[_Ask],
                   progress: Progress) -> None:
    """Ask the archive for every bookmark at once (the fetcher's gates keep it polite)."""
    progress.start("snapshots", len(asks), "page")
    try:
        async with Fetcher(cache, options) as fetcher:
            async def one(ask: _Ask) -> None:
                ask.found = await fetcher.archived_copy(ask.url, ask.saved)
                if ask.found.copy is not None:
                    await fetcher.record(ask.bookmark_id, ask.found.copy,
                                         f"snapshot of {redact(ask.url)} ({ask.found.date}) for "
                                         "excerpts not found on the live page")
                progress.advance(1)

            await asyncio.gather(*(one(ask) for ask in asks))
    finally:
        progress.finish()


_UPSERT = """
INSERT INTO snapshots(bookmark_id, wanted, url, archive_date, sha256, status, text,
    fallback_text, text_hash, extractor_version, error, fetched_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(bookmark_id, url) DO UPDATE SET wanted=excluded.wanted,
    archive_date=excluded.archive_date, sha256=excluded.sha256, status=excluded.status,
    text=excluded.text, fallback_text=excluded.fallback_text, text_hash=excluded.text_hash,
    extractor_version=excluded.extractor_version, error=excluded.error,
    fetched_at=excluded.fetched_at
"""


def _store(store: Store, cache: Cache, asks: list[_Ask], summary: SnapshotSummary) -> None:
    """Extract each copy found and write every answer, in one transaction."""
    rows = []
    for ask in asks:
        summary.requests += ask.found.requests
        rows.append(_row(cache, ask, summary))
    with store.transaction() as conn:
        conn.executemany("DELETE FROM snapshots WHERE bookmark_id=? AND status='failed'",
                         [(ask.bookmark_id,) for ask in asks])
        conn.executemany(_UPSERT, rows)


def _row(cache: Cache, ask: _Ask, summary: SnapshotSummary) -> tuple:
    found, stamp = ask.found, now_iso()
    if found.copy is None:
        summary.none += 1
        return (ask.bookmark_id, ask.saved, None, None, None, "failed", "", "", None, None,
                found.reason, stamp)
    summary.found += 1
    body = found.copy.body
    sha = cache.put(body)
    ctype, charset = parse_content_type(found.copy.headers.get("content-type"))
    page = extract_page(body, ctype, charset, found.url)
    return (ask.bookmark_id, ask.saved, redact(found.url), found.date, sha, page.status,
            page.text, page.fallback_text, page.text_hash, extractor_version(), page.error,
            stamp)
