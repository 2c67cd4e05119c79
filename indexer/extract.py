"""Extraction: from a cached page body to an ``articles`` row (text, metadata, language).

For every successful fetch (``fetches.error IS NULL`` and a cached body) whose article is
missing, was extracted from another body, or by another extractor version, :func:`extract_all`
decodes the body, runs trafilatura for the main text and its metadata, keeps the whole page's
text beside it as a fallback for alignment, detects the language and writes one ``articles`` row.

Choices, measured on the 98 real pages of ../shared/corpus/html (see docs/extracting.md):

* the body is decoded here (BOM, then the HTTP charset, then the ``<meta>`` charset, then
  UTF-8, then detection), because trafilatura given bytes ignores the ``<meta>`` charset;
* ``trafilatura.bare_extraction(with_metadata=True)`` with htmldate's ``extensive_search`` off:
  the extensive search is what turns a ``© 2019`` line (or a bare ``1996`` in a script) into a
  publication date; with it off, no real date of the 98 pages was lost;
* the fallback text is the ``<body>`` text without any boilerplate filter (scripts, styles and
  the like dropped), one line per block element, as a browser renders it (see :func:`page_text`:
  text-fragment links are built on it);
* language by langdetect with ``DetectorFactory.seed = 0`` set before every detection.

The work per page is a pure function (:func:`extract_page`), run in a process pool when
``workers > 1``; only the main process writes the store, one transaction per batch.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from . import interrupt
from .cache import Cache
from .languages import detect_bookmark_languages, detect_language
from .pools import in_order, process_pool
from .progress import Progress
from .store import Store, now_iso

# Bump when what this module stores changes (text layout, fallback text, rules), so that the
# next run re-extracts every page; trafilatura's own version is part of the key too.
# 2: the fallback text is the page as a browser renders it: non-breaking spaces kept, line
#    breaks of the source as spaces, elements hidden by `hidden` or an inline display:none out.
SCHEMA = 2
TINY_CHARS = 250  # main text shorter than this: status 'tiny' (a teaser, a paywall, a video page)

STATUSES = ("ok", "tiny", "empty", "not_html", "error")


def extractor_version() -> str:
    """The key stored in ``articles.extractor_version``: trafilatura's version and ours."""
    return f"trafilatura {trafilatura.__version__}; indexer-extract {SCHEMA}"


# -- decoding ------------------------------------------------------------------------------

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What browsers do (WHATWG encoding standard): these labels mean windows-1252.
_WHATWG_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}


def _codec(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WHATWG_ALIASES.get(name, name)


def meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first 4 KB, if any."""
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def decode_html(body: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode a page like a browser would; return ``(text, codec used)``.

    Order: byte-order mark, the HTTP header's charset, the ``<meta>`` charset, UTF-8, then
    charset detection. A declared charset that does not decode cleanly gives way to UTF-8
    when the bytes are valid UTF-8, else to detection (``utf-8`` declared on Latin-1 bytes is
    a common mislabel); undecodable bytes become U+FFFD, never an error.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, "replace"), name
    declared = _codec(header_charset) or _codec(meta_charset(body))
    if declared:
        try:
            return body.decode(declared), declared
        except UnicodeDecodeError:
            pass
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # a trafilatura dependency

    guesses = [_codec(match.encoding) for match in from_bytes(body[:65536])]
    # a French-aware tool: when windows-1252 is among the candidates, take it (on short texts
    # the detector's first guess is often a Baltic or Central European code page)
    name = "cp1252" if "cp1252" in guesses else next((g for g in guesses if g), "cp1252")
    return body.decode(name, "replace"), name


def looks_like_html(content_type: str | None, body: bytes) -> bool:
    """Is this body an HTML page? By its content type when known, else by its first bytes."""
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        if "html" not in kind:
            return False
    head = body[:1024]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True  # UTF-16 text is full of NUL bytes, yet decode_html reads it
    return b"\x00" not in head and not head.startswith(b"%PDF")


_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")  # the text is decoded already: no meta


def parse_html(html: str):
    """An lxml tree of the page, or None. trafilatura's loader first (it repairs common
    faults); lxml's own parser for the small pages that loader rejects as "dubious"."""
    if not html.strip():
        return None
    tree = load_html(html)
    if tree is None:
        try:
            tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=_UTF8_PARSER)
        except (etree.ParserError, ValueError):
            return None
    return tree


# -- page text without boilerplate filter --------------------------------------------------

_SKIP = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "head",
    "iframe",
    "object",
    "canvas",
    "select",
    "option",
}
_BLOCK = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}
# CSS collapses only these (spaces, tabs, line feeds, carriage returns, form feeds): a
# non-breaking space stays a character of its own, so `«&nbsp; c’est` renders two spaces wide
# and a browser's find (text fragments) needs both. Keeping them lets fragments match.
_COLLAPSIBLE = re.compile(r"[ \t\r\f]+")
_EDGES = " \t\r\f"
# Hidden on screen, as trafilatura also judges (its main text never holds them): no reader
# highlights them, and a text fragment built on them would not match.
_DISPLAY_NONE = re.compile(r"display\s*:\s*none", re.IGNORECASE)


def _hidden(el) -> bool:
    return el.get("hidden") is not None or bool(_DISPLAY_NONE.search(el.get("style") or ""))


def page_text(tree) -> str:
    """All the text of ``<body>`` (no boilerplate filter): one line per block element.

    Scripts, styles and other non-text elements are dropped, and so are elements hidden by a
    ``hidden`` attribute or an inline ``display: none``; inside a line whitespace is folded the
    way a browser renders it (runs of spaces, tabs and line breaks become one space, none at
    either end; non-breaking and other Unicode spaces are kept as they are).
    """
    root = tree.find(".//body")
    if root is None:
        root = tree
    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _SKIP or not tag or (el is not root and _hidden(el)):
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                parts.append("\n")
            if el.text:  # a line break in the source is a space on screen
                parts.append(el.text.replace("\n", " "))
        else:
            if tag in _BLOCK:
                parts.append("\n")
            if el.tail and el is not root:
                parts.append(el.tail.replace("\n", " "))
    lines = (_COLLAPSIBLE.sub(" ", line).strip(_EDGES) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line.strip())


# -- language and dates --------------------------------------------------------------------


def copyright_year_date(published: str | None, page: str) -> bool:
    """Is ``published`` a 1 January that is only the year of a ``©``/copyright line?"""
    match = re.fullmatch(r"(\d{4})-01-01", published or "")
    if not match:
        return False
    year = match.group(1)
    pattern = rf"(?:©|\(c\)|copyright)\s*(?:\d{{4}}\s*[-–]\s*)?{year}\b"
    return re.search(pattern, page, re.IGNORECASE) is not None


# -- one page ------------------------------------------------------------------------------


@dataclass
class Extraction:
    """What extraction made of one body: the columns of an ``articles`` row."""

    status: str
    text: str = ""
    fallback_text: str = ""
    title: str | None = None
    author: str | None = None
    published: str | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    language_prob: float | None = None
    error: str | None = None
    charset: str | None = None  # the codec the body was decoded with (not stored)
    date_dropped: bool = False  # a copyright-year date was refused

    @property
    def text_hash(self) -> str | None:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest() if self.text else None


def extract_page(
    body: bytes,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    tiny_chars: int = TINY_CHARS,
) -> Extraction:
    """Extract main text, metadata and language from one page body (never raises)."""
    if not looks_like_html(content_type, body):
        if content_type and "html" in content_type.lower():
            cause = f"binary body despite content type {content_type}"
        else:
            cause = f"content type {content_type or 'binary'}"
        return Extraction("not_html", error=cause)
    try:
        return _extract_html(body, charset, url, tiny_chars)
    except Exception as exc:  # noqa: BLE001 -- a library failing on one odd page must not stop the run
        return Extraction("error", error=f"{type(exc).__name__}: {exc}"[:500])


def _extract_html(body: bytes, charset: str | None, url: str | None, tiny: int) -> Extraction:
    html, used = decode_html(body, charset)
    tree = parse_html(html)
    if tree is None:
        return Extraction("empty", error="not parseable as HTML", charset=used)
    fallback = page_text(tree)
    doc = trafilatura.bare_extraction(  # extensive date search off: see the module docstring
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=set_date_params(extensive=False),
    )
    text = (doc.text or "").strip() if doc is not None else ""
    out = Extraction(_status(text, tiny), text=text, fallback_text=fallback, charset=used)
    if doc is not None:
        out.title, out.author, out.site_name = doc.title, doc.author, doc.sitename
        out.canonical_url, out.published = doc.url, doc.date
    if copyright_year_date(out.published, fallback):
        out.published, out.date_dropped = None, True
    out.language, out.language_prob = detect_language(text)
    if out.language == "und":  # too little main text: the whole page still says its language
        out.language, out.language_prob = detect_language(fallback)
    return out


def _status(text: str, tiny: int) -> str:
    if not text:
        return "empty"
    return "tiny" if len(text) < tiny else "ok"


# -- the stage -----------------------------------------------------------------------------


@dataclass
class ExtractOptions:
    """How :func:`extract_all` runs."""

    workers: int = 1  # processes; 1 runs in this process
    batch_size: int = 25  # articles per transaction
    force: bool = False  # re-extract even what is up to date
    tiny_chars: int = TINY_CHARS


@dataclass
class ExtractSummary:
    """What one :func:`extract_all` run did."""

    extractor_version: str
    pending: int = 0  # fetched bodies needing extraction
    extracted: int = 0
    up_to_date: int = 0  # fetched bodies already extracted by this version
    missing_body: list[str] = field(default_factory=list)  # bookmark ids: body not in cache
    # languages newly detected on bookmarks' own words (indexer.languages), by language
    bookmark_languages: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    dates_dropped: int = 0
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (id, status, detail)
    seconds: float = 0.0


@dataclass
class _Task:
    bookmark_id: str
    sha256: str
    content_type: str | None
    charset: str | None
    url: str | None


def pending_tasks(store: Store, force: bool = False) -> tuple[list[_Task], int]:
    """Fetched bodies whose article is missing or stale, and how many are up to date."""
    rows = store.conn.execute(
        "SELECT f.bookmark_id, f.sha256, f.content_type, f.charset,"
        " COALESCE(f.final_url, f.url) AS url, a.sha256 AS a_sha, a.extractor_version AS a_ver"
        " FROM fetches f LEFT JOIN articles a ON a.bookmark_id = f.bookmark_id"
        " WHERE f.error IS NULL AND f.sha256 IS NOT NULL ORDER BY f.bookmark_id"
    ).fetchall()
    version = extractor_version()
    todo = [
        _Task(r["bookmark_id"], r["sha256"], r["content_type"], r["charset"], r["url"])
        for r in rows
        if force or r["a_sha"] != r["sha256"] or r["a_ver"] != version
    ]
    return todo, len(rows) - len(todo)


def _run_task(task: _Task, cache_root: str, tiny: int) -> tuple[_Task, Extraction | None]:
    """Worker side: read the body from the cache and extract it (None: body missing)."""
    try:
        body = Cache(cache_root).get(task.sha256)
    except KeyError:
        return task, None
    return task, extract_page(body, task.content_type, task.charset, task.url, tiny)


def _results(tasks: list[_Task], cache: Cache, options: ExtractOptions) -> Iterator:
    """Extraction results in task order, from this process or from a pool."""
    root, tiny = str(cache.root), options.tiny_chars
    if options.workers <= 1:
        for task in tasks:
            yield _run_task(task, root, tiny)
        return
    with process_pool(options.workers) as pool:
        calls = ((task, root, tiny) for task in tasks)
        for _, result in in_order(pool, _run_task, calls, options.workers * 4):
            yield result


def extract_all(
    store: Store, cache: Cache, options: ExtractOptions | None = None,
    progress: Progress | None = None,
) -> ExtractSummary:
    """Extract every fetched body whose article is missing or stale; write ``articles``.

    A body is re-extracted when it changed (another sha256), when the extractor version
    changed, or always with ``options.force``. Then the language of every bookmark's own
    words is detected where new or changed (:mod:`indexer.languages`). Writes happen in this process only, one
    transaction per ``options.batch_size`` articles, so an interrupted run keeps whole batches.
    ``progress`` (:mod:`indexer.progress`) hears of each page.
    """
    options = options or ExtractOptions()
    progress = progress or Progress()
    started = time.perf_counter()
    tasks, up_to_date = pending_tasks(store, options.force)
    summary = ExtractSummary(extractor_version(), pending=len(tasks), up_to_date=up_to_date)
    first = True
    batch: list[tuple[_Task, Extraction]] = []
    try:
        for task, result in _results(tasks, cache, options):
            interrupt.check()  # a parser may have swallowed Ctrl-C: stop before writing more
            if first:  # the bar starts once the pool has forked: tqdm runs a monitor thread
                progress.start("extract", len(tasks), "page")
                first = False
            if result is None:
                summary.missing_body.append(task.bookmark_id)
            else:
                batch.append((task, result))
                _count(summary, task, result)
            if len(batch) >= options.batch_size:
                _write(store, batch)
                batch = []
            progress.advance(1, **{k: v for k, v in summary.statuses.items() if k != "ok"})
        _write(store, batch)
    finally:
        progress.finish()
    summary.bookmark_languages = detect_bookmark_languages(store, progress,
                                                           options.workers).languages
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _count(summary: ExtractSummary, task: _Task, result: Extraction) -> None:
    summary.extracted += 1
    summary.statuses[result.status] = summary.statuses.get(result.status, 0) + 1
    if result.language:
        summary.languages[result.language] = summary.languages.get(result.language, 0) + 1
    summary.dates_dropped += result.date_dropped
    if result.status != "ok":
        detail = result.error or f"{len(result.text)} characters of main text"
        summary.problems.append((task.bookmark_id, result.status, detail))


def _write(store: Store, batch: list[tuple[_Task, Extraction]]) -> None:
    if not batch:
        return
    version, stamp = extractor_version(), now_iso()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO articles(bookmark_id, sha256, extractor_version, status, text,"
            " text_hash, fallback_text, title, author, published, site_name, canonical_url,"
            " language, language_prob, extracted_at, error)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    t.bookmark_id,
                    t.sha256,
                    version,
                    r.status,
                    r.text,
                    r.text_hash,
                    r.fallback_text,
                    r.title,
                    r.author,
                    r.published,
                    r.site_name,
                    r.canonical_url,
                    r.language,
                    r.language_prob,
                    stamp,
                    r.error,
                )
                for t, r in batch
            ],
        )


def status_counts(store: Store) -> dict[str, int]:
    """Articles per status in the store (every status present, zero where none)."""
    found = Counter(
        dict(store.conn.execute("SELECT status, COUNT(*) FROM articles GROUP BY status"))
    )
    return {s: found.get(s, 0) for s in STATUSES}
