"""Local pages: attach pages a user saved with a browser to their bookmarks (``import-html``).

Each ``*.html`` / ``*.htm`` file under a directory (browsers' ``NAME_files/`` asset folders
skipped) is matched to one bookmark:

1. **url**: a URL the page declares (``<link rel=canonical>``, ``og:url``, or the
   ``<!-- saved from url=(N)URL -->`` comment browsers write) equals a bookmark's URL after light
   normalisation (``http``/``https`` alike, host lower-cased, fragment and trailing slash
   dropped). Score 1.
2. **title+excerpts**: the bookmark's title (cut titles ending in ``...`` compared as a prefix)
   starts the page's ``<title>``, ``og:title`` or first ``<h1>`` after folding (case, accents,
   punctuation), AND at least one of the bookmark's excerpts is found in the page text. Score:
   the share of its excerpts found. This is how the Diigo page export, which has no URLs, attaches.
3. **title**: the title matches and the bookmark has no excerpt at all to check. Score 0.5.

A page matching several bookmarks equally is left unmatched as ambiguous; a bookmark matched by
several pages keeps the best one. Matched pages go into the cache, with a ``fetches`` row
(``origin='local'``) written by :func:`record_local_page`, replacing any earlier fetch of that
bookmark: the page the user saved is the one they annotated.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .cache import Cache
from .errors import InputError
from .extract import decode_html, looks_like_html, page_text, parse_html
from .store import Store

SUFFIXES = (".html", ".htm")
MIN_TITLE = 8  # folded characters: shorter bookmark titles are too common to match on
PROBE = 80  # folded characters of an excerpt's start (or end) looked for in the page
_HOW_RANK = {"url": 3, "title+excerpts": 2, "title": 1}


# -- folding and URLs ----------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")
_ELLIPSIS = re.compile(r"(\.\.\.|…)\s*$")


def fold(text: str) -> str:
    """Lower case, no accents, punctuation and spaces to one space (for comparisons only)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", bare.lower()).strip()


def normalize_url(url: str | None) -> str | None:
    """A URL for comparison: scheme-blind, host lower-cased, no fragment, no trailing slash."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    path = parts.path.rstrip("/")
    return urlunsplit(("", parts.netloc.lower(), path, parts.query, ""))


# -- reading a saved page ------------------------------------------------------------------

_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)


@dataclass
class SavedPage:
    """What a saved page says about itself."""

    path: Path
    body: bytes
    charset: str | None = None
    urls: list[str] = field(default_factory=list)  # canonical, og:url, saved-from: in that order
    titles: list[str] = field(default_factory=list)  # <title>, og:title, first <h1>
    text: str = ""  # the whole page's text (folded when compared)


_URL_PATHS = (
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' canonical ')]/@href",
    "//meta[@property='og:url']/@content",
)
_TITLE_PATHS = ("//title", "//meta[@property='og:title']/@content", "//h1")


def _first_text(tree, xpath: str) -> str:
    """The first match of ``xpath`` as whitespace-folded text ('' if none)."""
    found = next(iter(tree.xpath(xpath)), None)
    if found is None:
        return ""
    return " ".join((found if isinstance(found, str) else found.text_content()).split())


def read_saved_page(path: Path) -> SavedPage | None:
    """Parse one saved page; None when it is not HTML."""
    body = path.read_bytes()
    if not looks_like_html(None, body):
        return None
    html, charset = decode_html(body)
    tree = parse_html(html)
    if tree is None:
        return None
    page = SavedPage(path, body, charset, text=page_text(tree))
    page.urls = declared_urls(tree, body)
    page.titles = [t for t in (_first_text(tree, xpath) for xpath in _TITLE_PATHS) if t]
    return page


def declared_urls(tree, body: bytes) -> list[str]:
    """The http(s) URLs a page says it is: canonical link, og:url, browsers' saved-from."""
    urls = [_first_text(tree, xpath) for xpath in _URL_PATHS]
    saved = _SAVED_FROM.search(body[:4096])
    if saved:
        urls.append(saved.group(1).decode("utf-8", "replace"))
    return [u for u in urls if urlsplit(u).scheme in ("http", "https")]


# -- the fetches row -----------------------------------------------------------------------


def record_local_page(
    conn: sqlite3.Connection,
    bookmark_id: str,
    sha256: str,
    *,
    url: str | None = None,
    size: int | None = None,
    content_type: str = "text/html",
    charset: str | None = None,
    fetched_at: str | None = None,
    status: int | None = None,
    detail: str | None = None,
    final_url: str | None = None,
) -> None:
    """Write (or replace) the ``fetches`` row of a page that came from disk, not the network.

    ``origin='local'``, no error; HTTP ``status`` NULL for a saved page (the status a WARC
    capture recorded for one: ``import-warc``), ``detail`` where it came from; ``sha256`` is
    the body's key in the cache (:meth:`Cache.put` it first). Call inside
    ``store.transaction()`` to batch several. ``final_url`` (default ``url``): where the page
    was read from when it differs from the bookmark's URL.
    """
    conn.execute(
        "INSERT OR REPLACE INTO fetches(bookmark_id, url, final_url, origin, status, content_type,"
        " charset, sha256, size, fetched_at, attempts, error, error_detail)"
        " VALUES (?, ?, ?, 'local', ?, ?, ?, ?, ?, ?, 0, NULL, ?)",
        (bookmark_id, url, final_url or url, status, content_type, charset, sha256, size,
         fetched_at, detail),
    )


# -- matching ------------------------------------------------------------------------------


@dataclass
class _Bookmark:
    id: str
    url: str | None
    title: str
    folded_title: str
    excerpts: list[str]  # folded


def _load_bookmarks(store: Store) -> list[_Bookmark]:
    excerpts: dict[str, list[str]] = {}
    for row in store.conn.execute(
        "SELECT bookmark_id, text FROM excerpts ORDER BY bookmark_id, seq"
    ):
        excerpts.setdefault(row[0], []).append(fold(_ELLIPSIS.sub("", row[1])))
    return [
        _Bookmark(
            r["id"],
            r["url"],
            r["title"],
            fold(_ELLIPSIS.sub("", r["title"])),
            [e for e in excerpts.get(r["id"], []) if e],
        )
        for r in store.conn.execute("SELECT id, url, title FROM bookmarks ORDER BY id")
    ]


@dataclass
class PageMatch:
    """The verdict on one page: which bookmark, how, with what score; or why none."""

    path: str
    bookmark_id: str | None = None
    bookmark_title: str | None = None
    how: str | None = None  # url | title+excerpts | title
    score: float | None = None
    excerpts_found: int = 0
    excerpts_total: int = 0
    page_url: str | None = None  # the URL the page declares (first of canonical, og:url, ...)
    reason: str | None = None  # why it is unmatched
    sha256: str | None = None  # set once stored in the cache

    @property
    def matched(self) -> bool:
        return self.bookmark_id is not None


@dataclass
class LocalPagesReport:
    """What :func:`import_local_pages` did, page by page."""

    directory: str
    pages: list[PageMatch] = field(default_factory=list)
    replaced: int = 0  # earlier fetches (network or local) replaced by a saved page

    @property
    def matched(self) -> list[PageMatch]:
        return [p for p in self.pages if p.matched]

    @property
    def unmatched(self) -> list[PageMatch]:
        return [p for p in self.pages if not p.matched]


def _found(excerpt: str, text: str) -> bool:
    """Is a folded excerpt in the folded page text? Its start or its end suffices, since
    exports sometimes cut or retouch one end of a long highlight."""
    return excerpt[:PROBE] in text or excerpt[-PROBE:] in text


def _title_matches(bookmark: _Bookmark, titles: list[str]) -> bool:
    bt = bookmark.folded_title
    return len(bt) >= MIN_TITLE and any(t.startswith(bt) for t in titles)


def match_page(
    page: SavedPage, bookmarks: list[_Bookmark], by_url: dict[str, list[_Bookmark]]
) -> PageMatch:
    """Decide which bookmark one saved page belongs to (see the module docstring)."""
    verdict = PageMatch(str(page.path), page_url=page.urls[0] if page.urls else None)
    text = fold(page.text)
    for url in page.urls:
        hits = by_url.get(normalize_url(url) or "", [])
        if hits:
            return _matched(verdict, hits[0], "url", 1.0, text)
    titles = [fold(t) for t in page.titles]
    candidates = [b for b in bookmarks if _title_matches(b, titles)]
    if not candidates:
        shown = page.titles[0] if page.titles else "no title"
        verdict.reason = f"no bookmark URL or title matches (page title: {shown[:80]!r})"
        return verdict
    scored = sorted(
        ((sum(_found(e, text) for e in b.excerpts), b) for b in candidates),
        key=lambda pair: (-pair[0], pair[1].id),
    )
    best_found, best = scored[0]
    if len(scored) > 1 and scored[1][0] == best_found:
        names = ", ".join(repr(b.title[:40]) for _, b in scored[:3])
        verdict.reason = f"ambiguous: {len(scored)} bookmarks match the title ({names})"
        return verdict
    if best.excerpts and best_found == 0:
        verdict.reason = (
            f"title matches {best.title[:60]!r} but none of its "
            f"{len(best.excerpts)} excerpts is in the page"
        )
        return verdict
    if not best.excerpts:
        return _matched(verdict, best, "title", 0.5, text)
    return _matched(verdict, best, "title+excerpts", best_found / len(best.excerpts), text)


def _matched(verdict: PageMatch, b: _Bookmark, how: str, score: float, text: str) -> PageMatch:
    verdict.bookmark_id, verdict.bookmark_title, verdict.how = b.id, b.title, how
    verdict.excerpts_total = len(b.excerpts)
    verdict.excerpts_found = sum(_found(e, text) for e in b.excerpts)
    verdict.score = round(score, 3)
    return verdict


def _one_page_per_bookmark(verdicts: list[PageMatch]) -> None:
    """A bookmark matched by several pages keeps the best; the others become unmatched."""
    best: dict[str, PageMatch] = {}
    for v in verdicts:
        if not v.matched:
            continue
        key = (_HOW_RANK[v.how], v.score or 0)
        held = best.get(v.bookmark_id)
        if held is None or key > (_HOW_RANK[held.how], held.score or 0):
            best[v.bookmark_id] = v
    for v in verdicts:
        if v.matched and best[v.bookmark_id] is not v:
            v.reason = (
                f"bookmark {v.bookmark_title[:60]!r} already matched by {best[v.bookmark_id].path}"
            )
            v.bookmark_id = v.bookmark_title = v.how = v.score = None
            v.excerpts_found = v.excerpts_total = 0


def saved_page_files(directory: Path) -> list[Path]:
    """The ``.html``/``.htm`` files under ``directory``, sorted, asset folders skipped."""
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix.lower() in SUFFIXES
        and p.is_file()
        and not any(part.endswith("_files") for part in p.relative_to(directory).parts[:-1])
    )


def import_local_pages(store: Store, cache: Cache, directory: str | Path) -> LocalPagesReport:
    """Match every saved page under ``directory`` to a bookmark; cache and record the matches.

    Raises :class:`InputError` when the directory is missing or holds no page. All
    ``fetches`` rows are written in one transaction.
    """
    root = Path(directory)
    if not root.is_dir():
        raise InputError(root, "no such directory")
    files = saved_page_files(root)
    if not files:
        raise InputError(root, "no .html or .htm page in this directory")
    bookmarks = _load_bookmarks(store)
    by_url: dict[str, list[_Bookmark]] = {}
    for b in bookmarks:
        key = normalize_url(b.url)
        if key:
            by_url.setdefault(key, []).append(b)
    report = LocalPagesReport(str(root))
    pages: dict[str, SavedPage] = {}
    for path in files:
        page = read_saved_page(path)
        if page is None:
            report.pages.append(PageMatch(str(path), reason="not an HTML page"))
            continue
        pages[str(path)] = page
        report.pages.append(match_page(page, bookmarks, by_url))
    _one_page_per_bookmark(report.pages)
    _store_matches(store, cache, report, pages, {b.id: b for b in bookmarks})
    return report


def _store_matches(store, cache, report, pages, bookmarks) -> None:
    cache.remove_leftovers()  # a killed import's temporary files
    for v in report.matched:
        v.sha256 = cache.put(pages[v.path].body)
    with store.transaction() as conn:
        for v in report.matched:
            page = pages[v.path]
            old = conn.execute(
                "SELECT 1 FROM fetches WHERE bookmark_id=? AND sha256 IS NOT NULL AND sha256 <> ?",
                (v.bookmark_id, v.sha256),
            ).fetchone()
            report.replaced += old is not None
            mtime = datetime.fromtimestamp(page.path.stat().st_mtime, UTC)
            record_local_page(
                conn,
                v.bookmark_id,
                v.sha256,
                url=v.page_url or bookmarks[v.bookmark_id].url,
                size=len(page.body),
                charset=page.charset,
                fetched_at=mtime.replace(microsecond=0).isoformat(),
            )
