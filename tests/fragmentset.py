"""Fragment links of real highlights on real pages, and whether a browser would find them.

:func:`build_links` serves pages on a loopback server (each with the charset our decoder reads
in it, as the site's own header would say: a browser left to guess reads UTF-8 pages as
windows-1252), turns the cases of the alignment test set (tests/alignset.py: spans of the main
text, altered, plus highlights outside it) into bookmarks, and runs the real stages on them:
fetch, extract, align. Every excerpt placed gets the link the align stage stores.

:func:`missing_terms` says which terms of a link (textStart, textEnd, prefix, suffix, decoded)
a browser would not find in the page: each must occur inside one block of the page's text as
rendered, compared as Chromium compares (case-insensitively, a no-break space as a space, soft
hyphens ignored). Two renderings: :func:`rendered_text`, computed here from the HTML (below),
and ``document.body.innerText`` from a real Chromium (tests/browser.py).

``python -m tests.fragmentset [--browser]`` prints the shares (docs/alignment.md).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote

# -- a rendering of the page, from the HTML ------------------------------------------------
#
# What CSS and the HTML rendering rules (https://html.spec.whatwg.org/#rendering) make of a
# page in a browser with scripts on (so <noscript> shows nothing), before its scripts change
# anything and without its stylesheets: elements that are display:none by default, or by a
# `hidden` attribute or an inline style, show nothing; replaced and embedded content (iframes,
# SVG, canvas, form controls) shows no text of its own; block-level elements (and <br>) break
# lines; inside a line, runs of spaces, tabs and line breaks collapse to one space and none
# is left at either end (white-space: normal), while U+00A0 and the other Unicode spaces are
# not collapsible and stay. This is independent of indexer.extract.page_text on purpose.

HIDDEN = {"head", "script", "style", "noscript", "template", "title", "meta", "link", "base",
          "datalist", "noembed", "noframes", "param", "rp", "area", "iframe", "object",
          "embed", "svg", "math", "canvas", "video", "audio", "select", "textarea", "input"}
BLOCKS = {"html", "body", "address", "blockquote", "center", "div", "figure", "figcaption",
          "footer", "form", "header", "hr", "legend", "listing", "main", "p", "plaintext",
          "pre", "search", "xmp", "details", "summary", "dd", "dl", "dt", "menu", "dir", "ol",
          "ul", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "article", "aside", "nav",
          "section", "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th",
          "fieldset", "br", "option", "optgroup"}
_NONE_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")


def rendered_text(html: str) -> str:
    """The page's text as rendered without scripts: one line per block."""
    import lxml.html

    root = lxml.html.document_fromstring(html.encode("utf-8"),
                                         parser=lxml.html.HTMLParser(encoding="utf-8"))
    body = root.find(".//body")
    parts: list[str] = []
    _walk(body if body is not None else root, parts)
    lines = (_COLLAPSIBLE.sub(" ", x).strip(" ") for x in "".join(parts).split("\n"))
    return "\n".join(x for x in lines if x.strip())


def _walk(el, parts: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else None
    shown = tag is not None and tag not in HIDDEN and el.get("hidden") is None \
        and not _NONE_STYLE.search(el.get("style") or "") \
        and (tag != "dialog" or el.get("open") is not None)
    if shown:
        parts.append("\n" if tag in BLOCKS else "")
        parts.append((el.text or "").replace("\n", " "))
        for child in el:
            _walk(child, parts)
        parts.append("\n" if tag in BLOCKS else "")
    if el.tail:
        parts.append(el.tail.replace("\n", " "))


_BROWSER = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u00ad": None})


def browser_fold(s: str) -> str:
    """What Chromium compares (measured: tests/stages/test_fragment_links.py): case folded,
    no-break spaces equal to spaces (one character each), soft hyphens ignored."""
    return s.translate(_BROWSER).casefold()


# -- links ---------------------------------------------------------------------------------


@dataclass
class Link:
    """One excerpt's fragment link, with what it came from."""

    page: str  # file under the HTML directory
    category: str  # the alignment test set's category
    excerpt: str
    method: str
    in_main_text: bool
    url: str  # the fragment link
    span: str  # the text highlighted, as the page (or its main text) has it


def visible(span: str, rendering: str) -> bool:
    """Is the highlighted text on screen in ``rendering``? Each of its lines somewhere (the
    main text leaves out what the page shows between two paragraphs: an advertisement, a
    "read also"), compared without whitespace and trafilatura's list and table furniture."""
    page = _squash(rendering)
    return all(_squash(line) in page for line in span.split("\n"))


def in_one_block(span: str, rendering: str) -> bool:
    """Does each line of the highlight sit inside one block of ``rendering``? Not when a
    stylesheet lays out as blocks what the HTML has inline (a badge before a headline, a
    flex row of links): which elements those are, no text of the page can tell."""
    blocks = [_squash(b) for b in rendering.split("\n")]
    return all(any(_squash(line) in b for b in blocks) for line in span.split("\n"))


def _squash(s: str) -> str:
    unmarked = re.sub(r"(?m)^[ \t]*- ", "", browser_fold(s))  # list markers, before the spaces
    return re.sub(r"[\s|]+", "", unmarked)


def _parts(url: str) -> list[str]:
    """The encoded parts of a link's directive (a link, or a bare ``text=...``)."""
    directive = url.split("#:~:", 1)[1] if "#:~:" in url else url
    return directive.removeprefix("text=").split(",")


def directive_terms(url: str) -> list[str]:
    """The decoded terms of a ``#:~:text=`` link: prefix, textStart, textEnd, suffix."""
    return [unquote(p.removesuffix("-").removeprefix("-")) for p in _parts(url)]


def has_context(url: str) -> bool:
    """Does the link carry a ``prefix-`` or a ``-suffix``?"""
    parts = _parts(url)
    return parts[0].endswith("-") or parts[-1].startswith("-")


def missing_terms(url: str, rendering: str) -> list[str]:
    """The terms of ``url`` that occur in no block of ``rendering`` (a browser's text) as
    whole words: browsers match terms on word boundaries only."""
    blocks = browser_fold(rendering)
    return [t for t in directive_terms(url) if not _whole_words_in(browser_fold(t), blocks)]


# Where Unicode word segmentation (UAX #29) puts no boundary: between letters or digits, and
# across an apostrophe or a full stop between two of them (l’état, U.S), a comma between digits.
_OPEN = r"(?<![\w\u0300-\u036f])(?<![\w]['’.])(?<![0-9],)"
_CLOSE = r"(?![\w\u0300-\u036f])(?!['’.][\w])(?!,[0-9])"


def _whole_words_in(term: str, text: str) -> bool:
    if not term:
        return True
    head = _OPEN if re.match(r"\w", term) else ""
    tail = _CLOSE if re.search(r"\w$", term) else ""
    return re.search(head + re.escape(term) + tail, text) is not None


def page_charset(body: bytes) -> str:
    """The charset the project reads the page in (the header a server would have sent)."""
    from indexer.extract import decode_html

    return decode_html(body)[1]


def serve(server, html_dir: Path, files: list[str]) -> dict[str, str]:
    """Route every page on ``server`` with its charset; ``{file: URL}``."""
    urls = {}
    for name in files:
        body = (html_dir / name).read_bytes()
        ctype = f"text/html; charset={page_charset(body)}"
        urls[name] = server.route("/pages/" + quote(name), body=body,
                                  headers={"Content-Type": ctype})
    return urls


def cases(html_dir: Path, per_page: int = 3) -> tuple[list[str], list[tuple]]:
    """The highlights as ``(case, the text it highlights)``: the alignment test set on every
    page with enough main text (all its placed categories) and highlights outside the main
    text, taken from what the page shows (:func:`rendered_text`: hidden text is nobody's
    highlight)."""
    import alignset

    aset = alignset.build(html_dir, pages=None, per_page=per_page)
    placed = [(c, aset.texts[c.doc][c.start:c.end]) for c in aset.cases
              if c.category not in alignset.NEGATIVE_CATEGORIES]
    shown = {name: rendering(html_dir / name) for name in aset.texts}
    outside = [(c, shown[c.doc][c.start:c.end]) for c in alignset.outside_cases(aset, pages=shown)]
    return sorted(aset.texts), placed + outside


@cache
def rendering(path: Path) -> str:
    """:func:`rendered_text` of a page file, decoded as the project decodes it."""
    body = path.read_bytes()
    return rendered_text(body.decode(page_charset(body), "replace"))


def build_links(store_dir: Path, server, html_dir: Path, per_page: int = 3) -> list[Link]:
    """The links the align stage stores for every case, through fetch, extract and align."""
    from indexer.align import align_all
    from indexer.cache import Cache
    from indexer.extract import extract_all
    from indexer.fetch import FetchOptions, fetch_all
    from indexer.normalize import normalize_text
    from indexer.records import BookmarkRecord, ExcerptRecord, ParseResult
    from indexer.store import Store

    files, highlights = cases(html_dir, per_page)
    urls = serve(server, html_dir, files)
    by_page: dict[str, list] = {}
    for c, _ in highlights:
        by_page.setdefault(c.doc, []).append(c)
    records = [BookmarkRecord(name, url=urls[name],
                              excerpts=[ExcerptRecord(c.excerpt) for c in by_page[name]])
               for name in files if name in by_page]
    known = {(urls[c.doc], normalize_text(c.excerpt)): (c.category, span)
             for c, span in highlights}
    page_of = {url: name for name, url in urls.items()}
    with Store(store_dir / "links.sqlite") as store:
        store.import_parsed(ParseResult("test", records), "fragmentset", "fragmentset")
        cache = Cache(store_dir / "cache")
        fetch_all(store, cache, FetchOptions(allow_local=True, delay=0.0, retries=0,
                                             concurrency=4, per_host=4))
        extract_all(store, cache)
        align_all(store)
        rows = store.conn.execute(
            "SELECT b.url, e.text, a.method, a.in_main_text, a.fragment_url FROM alignments a"
            " JOIN excerpts e ON e.id = a.excerpt_id JOIN bookmarks b ON b.id = e.bookmark_id"
            " WHERE a.fragment_url IS NOT NULL ORDER BY b.url, e.seq").fetchall()
    out = []
    for r in rows:
        cat, span = known.get((r["url"], normalize_text(r["text"])), ("?", r["text"]))
        out.append(Link(page_of[r["url"]], cat, r["text"], r["method"], bool(r["in_main_text"]),
                        r["fragment_url"], span))
    return out


@dataclass
class Share:
    """How many links a rendering finds."""

    found: int  # links whose every term is found
    counted: int  # links of highlights shown in one piece per line
    failures: list  # (link, missing terms)
    unseen: list  # links of highlights the rendering does not show (a stylesheet hides them)
    split: list  # (link, missing terms) of highlights a stylesheet splits into blocks

    @property
    def rate(self) -> float:
        return self.found / self.counted if self.counted else 1.0


def shares(links: list[Link], renderings: dict[str, str]) -> Share:
    """Which links find every term in ``renderings`` (``{page: text}``). Links of highlights
    the rendering does not show, or shows across blocks the HTML does not have, are set
    apart: nobody highlights hidden text, and where a stylesheet makes blocks is not in the
    page's text (tests/stages/test_fragment_links.py lists them)."""
    share = Share(0, 0, [], [], [])
    for link in links:
        page = renderings[link.page]
        if not visible(link.span, page):
            share.unseen.append(link)
            continue
        missing = missing_terms(link.url, page)
        if missing and not in_one_block(link.span, page):
            share.split.append((link, missing))
            continue
        share.counted += 1
        if missing:
            share.failures.append((link, missing))
        else:
            share.found += 1
    return share


def browser_renderings(urls: dict[str, str]) -> dict[str, str]:
    """``document.body.innerText`` of every page in headless Chromium (tests/browser.py),
    read once the page shows text (anti-flicker snippets hide it for a second or so)."""
    from browser import Browser

    out = {}
    with Browser() as b:
        for name, url in urls.items():
            b.open(url)
            out[name] = b.wait_for("return document.body && document.body.innerText",
                                   timeout=4.0) or ""
    return out


_FIND = """
const term = arguments[0];
window.getSelection().removeAllRanges();
const y = window.scrollY, h = window.innerHeight;
if (!window.find(term, false, false, false, false, false)) return null;
const r = window.getSelection().getRangeAt(0).getBoundingClientRect();
return [y, h, r.top + window.scrollY];
"""


@dataclass
class Landing:
    """What navigating to a sample of links did."""

    landed: int = 0  # the text on screen once the page stopped scrolling
    below_fold: int = 0  # links whose text is below the first screen (the informative ones)
    hidden_at_load: int = 0  # pages that show no text at load: no fragment can match there


def navigate(browser, links: list[Link], renderings: dict[str, str], n: int = 30,
             seed: int = 14, found_only: bool = True) -> Landing:
    """Open a seeded sample of ``n`` links whose start is unique (no context: window.find
    then finds the same text) and whose highlight the rendering shows (``found_only``: and
    whose terms it finds); after the page stops scrolling, find the start term with
    window.find and see whether it was on screen."""
    plain = [x for x in links if not has_context(x.url) and visible(x.span, renderings[x.page])
             and not (found_only and missing_terms(x.url, renderings[x.page]))]
    out = Landing()
    for link in random.Random(seed).sample(plain, min(n, len(plain))):
        browser.open(link.url)
        if not browser.run("return document.body && document.body.innerText.length"):
            out.hidden_at_load += 1  # an anti-flicker snippet hides the page while it loads
            continue
        browser.settled_scroll(timeout=3.0)
        where = browser.run(_FIND, directive_terms(link.url)[0])
        if where is None or where[2] < where[1]:
            continue  # not found by window.find, or on the first screen: nothing to tell
        out.below_fold += 1
        y, height, at = where
        out.landed += y <= at <= y + height
    return out


def report(label: str, links: list[Link], renderings: dict[str, str], show: int = 10) -> None:
    """Print one share and a few of its failures."""
    sh = shares(links, renderings)
    print(f"{label}: {sh.found}/{sh.counted} links find every term = {sh.rate:.1%}"
          f" (apart: {len(sh.unseen)} of highlights it does not show,"
          f" {len(sh.split)} of highlights a stylesheet splits into blocks)")
    for link, missing in (sh.failures + sh.split)[:show]:
        print(f"  {link.page} [{link.category}, {link.method}] missing {missing!r}")


if __name__ == "__main__":  # the shares quoted in docs/alignment.md
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import SHARED
    from httpserver import TestServer

    show = next((int(a) for a in sys.argv[1:] if a.isdigit()), 10)
    html_dir = SHARED / "corpus" / "html"
    with TestServer("127.0.0.1") as server, tempfile.TemporaryDirectory() as tmp:
        links = build_links(Path(tmp), server, html_dir)
        names = sorted({link.page for link in links})
        report("rendered from the HTML", links, {n: rendering(html_dir / n) for n in names}, show)
        if "--browser" in sys.argv:
            inner = browser_renderings({n: server.url("/pages/" + quote(n)) for n in names})
            report("Chromium innerText", links, inner, show)
            from browser import Browser

            with Browser(width=1000, height=600) as b:
                got = navigate(b, links, inner, n=80, found_only=False)
            print(f"Chromium navigation: {got.landed}/{got.below_fold} links below the first"
                  f" screen scroll to their text ({got.hidden_at_load} on pages hidden at load)")
