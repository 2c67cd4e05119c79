"""Captures other tools made: attach the pages of WARC files to their bookmarks (``import-warc``).

Every HTTP response of the files given (WARC, WARC.gz, or WACZ: :func:`indexer.warc.read_captures`),
written by wget ``--warc-file``, ArchiveBox, Webrecorder or our own fetcher, is read once.
A bookmark takes a successful HTML capture of its URL, compared as ``import-html`` compares
them (:func:`indexer.localpages.normalize_url`):

1. **url**: a capture of the bookmark's URL itself;
2. **redirect**: the bookmark's URL was captured as a redirect (3xx with ``Location``),
   followed, capture to capture, to the page;
3. **canonical**: a page whose canonical link or ``og:url`` names the bookmark's URL.

Among several captures of one page, the one closest to the bookmark's saved date wins (the
copy of the day it was highlighted). The page goes into the cache with a ``fetches`` row as
``import-html`` writes one (origin ``local``: ``fetch`` never replaces it), dated by the
capture (``WARC-Date``), with the status and headers the capture recorded; extract and
align then treat it as any fetched page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .errors import InputError
from .extract import decode_html, looks_like_html, parse_html
from .fetch import parse_content_type, saved_datetime
from .localpages import declared_urls, normalize_url, record_local_page
from .store import Store
from .warc import Capture, read_captures

MAX_HOPS = 10  # redirects followed inside the captures


@dataclass
class CaptureMatch:
    """One bookmark given a capture."""

    bookmark_id: str
    title: str
    url: str  # the bookmark's
    capture_url: str
    how: str  # url | redirect | canonical
    date: str | None
    source: str  # the WARC (and WACZ member) it came from


@dataclass
class CaptureReport:
    """What :func:`import_warc` read and attached."""

    files: list[str]
    responses: int = 0  # HTTP responses read
    pages: int = 0  # of which successful HTML pages
    matched: list[CaptureMatch] = field(default_factory=list)
    unmatched_pages: list[str] = field(default_factory=list)  # pages no bookmark took (URLs)
    replaced: int = 0  # earlier fetches replaced


@dataclass
class _Captures:
    """The captures of a set of files, indexed by normalised URL."""

    pages: dict[str, list[Capture]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    canonical: dict[str, list[Capture]] = field(default_factory=dict)

    def add(self, cap: Capture) -> bool:
        """Index one capture; True when it is a page (2xx HTML)."""
        key = normalize_url(cap.url)
        if key is None:
            return False
        if 300 <= cap.status < 400 and cap.location:
            from urllib.parse import urljoin

            target = normalize_url(urljoin(cap.url, cap.location))
            if target and target != key:
                self.redirects.setdefault(key, target)
            return False
        if not (200 <= cap.status < 300 and looks_like_html(cap.content_type, cap.body)):
            return False
        self.pages.setdefault(key, []).append(cap)
        for declared in _declared(cap):
            other = normalize_url(declared)
            if other and other != key:
                self.canonical.setdefault(other, []).append(cap)
        return True

    def find(self, url: str) -> tuple[list[Capture], str] | None:
        """The captures that are this URL's page, and how they were found."""
        key, how = normalize_url(url), "url"
        for _ in range(MAX_HOPS):
            if key in self.pages:
                return self.pages[key], how
            if key not in self.redirects:
                break
            key, how = self.redirects[key], "redirect"
        start = normalize_url(url)
        if start in self.canonical:
            return self.canonical[start], "canonical"
        return None


def _declared(cap: Capture) -> list[str]:
    _, charset = parse_content_type(cap.content_type)
    tree = parse_html(decode_html(cap.body, charset)[0])
    return declared_urls(tree, cap.body) if tree is not None else []


def _closest(captures: list[Capture], saved: str | None) -> Capture:
    """The capture nearest the bookmark's saved date (the latest when it has none)."""
    when = saved_datetime(saved)

    def distance(cap: Capture) -> float:
        at = saved_datetime(cap.date)
        if at is None:
            return float("inf")
        return abs((at - when).total_seconds()) if when else -at.timestamp()

    return min(captures, key=distance)


def import_warc(store: Store, cache: Cache, files: list[str | Path]) -> CaptureReport:
    """Attach the pages captured in ``files`` to their bookmarks; cache and record them.

    Raises :class:`InputError` for a missing or unreadable file, before anything is written;
    every ``fetches`` row is written in one transaction.
    """
    if not files:
        raise InputError("import-warc", "no file given: name WARC, WARC.gz or WACZ files")
    report = CaptureReport([str(f) for f in files])
    captures = _Captures()
    for path in files:
        for cap in read_captures(path):
            report.responses += 1
            report.pages += captures.add(cap)
    cache.remove_leftovers()  # a killed import's temporary files
    chosen = _choose(store, captures, report)
    _record(store, cache, chosen, report)
    taken = {id(cap) for cap, _ in chosen}
    report.unmatched_pages = sorted({c.url for caps in captures.pages.values() for c in caps
                                     if id(c) not in taken})
    return report


def _choose(store: Store, captures: _Captures,
            report: CaptureReport) -> list[tuple[Capture, CaptureMatch]]:
    chosen = []
    for row in store.conn.execute(
            "SELECT id, url, title, created_at FROM bookmarks WHERE url IS NOT NULL ORDER BY id"):
        found = captures.find(row["url"])
        if found is None:
            continue
        cap = _closest(found[0], row["created_at"])
        match = CaptureMatch(row["id"], row["title"], row["url"], cap.url, found[1], cap.date,
                             cap.source)
        chosen.append((cap, match))
        report.matched.append(match)
    return chosen


def _record(store: Store, cache: Cache, chosen: list, report: CaptureReport) -> None:
    keys = [cache.put(cap.body) for cap, _ in chosen]
    with store.transaction() as conn:
        for (cap, match), sha in zip(chosen, keys):
            old = conn.execute(
                "SELECT 1 FROM fetches WHERE bookmark_id=? AND sha256 IS NOT NULL AND sha256 <> ?",
                (match.bookmark_id, sha)).fetchone()
            report.replaced += old is not None
            ctype, charset = parse_content_type(cap.content_type)
            record_local_page(conn, match.bookmark_id, sha, url=match.url,
                              final_url=cap.url, size=len(cap.body),
                              content_type=ctype or "text/html", charset=charset,
                              fetched_at=cap.date, status=cap.status,
                              detail=f"captured in {Path(cap.source.split('!')[0]).name}")
