"""What a watch run publishes: an Atom feed per watch, and the "revue de veille".

The entries come from :mod:`indexer.watches` as :class:`Entry` values (plain data: what the
reader sees of one new excerpt, note or description); this module only writes them:

* :func:`write_feed`: ``NAME.atom``, valid Atom 1.0 written with feedgen, the watch's latest
  entries first;
* :func:`write_digest`: ``revue.md`` and ``revue.html``, every watch's new entries grouped by
  watch, then by tag, in French: title, site, date, annotator, the excerpt, the note, the
  link (with its text fragment when the excerpt was placed in its article).

Everything from the exports is escaped: Jinja2 autoescapes the HTML, a finalizer escapes every
value put in the Markdown, and only ``http(s)`` URLs become links. The HTML carries its own
style and loads nothing. Each file is written aside and renamed into place.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape

from .dates import aware_datetime
from .fragments import http_link as safe_link

KIND_WORDS = {"excerpt": "extrait", "description": "description", "note": "note",
              "article": "article"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
NO_TAG = "sans tag"
FEED_ENTRIES = 100  # entries a feed keeps, newest first
DIGEST_NAMES = ("revue.md", "revue.html")


@dataclass
class Entry:
    """One published document, as a feed and the digest show it."""

    doc_id: str
    kind: str  # excerpt | description | note | article
    title: str
    text: str
    published: str  # when the watch published it (UTC, ISO 8601)
    entered: str  # when it entered the store (the rule of what is new)
    url: str | None = None
    link: str | None = None  # the passage's text-fragment link, else the page
    site: str | None = None
    saved: str | None = None  # the bookmark's saved date, as the export gives it
    annotator: str | None = None
    note: str | None = None
    tags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Entry:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class WatchNews:
    """One watch's new entries in one run."""

    name: str
    described: str  # the query and filters, in words
    entries: list[Entry]

    def by_tag(self) -> list[tuple[str, list[Entry]]]:
        """The entries grouped by tag, each once: under the tag it shares with the most
        entries of this watch (ties: alphabetical), the untagged last; groups alphabetical."""
        shared = Counter(t for entry in self.entries for t in set(entry.tags))
        groups: dict[str, list[Entry]] = {}
        for entry in self.entries:
            tag = min(entry.tags, key=lambda t: (-shared[t], t.casefold())) if entry.tags \
                else NO_TAG
            groups.setdefault(tag, []).append(entry)
        order = sorted((t for t in groups if t != NO_TAG), key=str.casefold)
        return [(t, groups[t]) for t in order + ([NO_TAG] if NO_TAG in groups else [])]


# -- the feed -------------------------------------------------------------------------------


def write_feed(path: Path, name: str, described: str, entries: list[Entry]) -> Path:
    """Write the Atom feed of watch ``name`` with ``entries`` (newest first) to ``path``."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id(f"urn:indexer:watch:{quote(name, safe='')}")
    fg.title(_xml(f"Veille « {name} »"))
    fg.subtitle(_xml(described) or name)
    fg.author({"name": "indexer"})
    fg.language("fr")
    fg.generator("indexer")
    fg.updated((aware_datetime(entries[0].published) if entries else None) or datetime.now(UTC))
    for entry in reversed(entries):  # feedgen puts each new entry first
        _feed_entry(fg.add_entry(), name, entry)
    _replace(path, fg.atom_str(pretty=True))
    return path


def _feed_entry(fe, name: str, entry: Entry) -> None:
    fe.id(f"urn:indexer:watch:{quote(name, safe='')}:{quote(entry.doc_id, safe='')}")
    fe.title(_xml(entry.title) or entry.doc_id)
    fe.updated(aware_datetime(entry.published) or aware_datetime(entry.entered))
    if aware_datetime(entry.saved):
        fe.published(aware_datetime(entry.saved))
    if entry.annotator:
        fe.author({"name": _xml(entry.annotator)})
    if safe_link(entry.link):
        fe.link(href=safe_link(entry.link), rel="alternate")
    fe.content(_xml(_entry_html(entry)), type="html")
    for tag in entry.tags:
        if _xml(tag).strip():
            fe.category(term=_xml(tag))


def _entry_html(entry: Entry) -> str:
    """The entry's body as HTML, every value escaped."""
    parts = [f"<blockquote>{escape(entry.text)}</blockquote>"]
    if entry.note:
        parts.append(f"<p>Note : {escape(entry.note)}</p>")
    parts.append(f"<p>{escape(byline(entry))}</p>")
    return "".join(parts)


# -- the digest -----------------------------------------------------------------------------


def write_digest(directory: Path, news: list[WatchNews], when: str) -> list[Path]:
    """Write ``revue.md`` and ``revue.html`` of ``news`` (a run at ``when``) in ``directory``."""
    md, html = (directory / n for n in DIGEST_NAMES)
    _replace(md, render_markdown(news, when).encode("utf-8"))
    _replace(html, render_html(news, when).encode("utf-8"))
    return [md, html]


def render_html(news: list[WatchNews], when: str) -> str:
    """The digest as one self-contained HTML5 page (French)."""
    env = _environment("html")
    return env.get_template("revue.html").render(**_context(news, when))


def render_markdown(news: list[WatchNews], when: str) -> str:
    """The digest as Markdown (French): every value from the exports escaped."""
    env = _environment("md")
    return env.get_template("revue.md").render(**_context(news, when))


def _context(news: list[WatchNews], when: str) -> dict:
    total = sum(len(n.entries) for n in news)
    return {"news": news, "title": f"Revue de veille du {french_date(when)}",
            "total": total, "when": when, "kinds": KIND_WORDS, "byline": byline,
            "link": safe_link}


def _environment(kind: str):
    import jinja2

    loader = jinja2.PackageLoader("indexer", "templates")
    if kind == "html":
        env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True,
                                 lstrip_blocks=True, finalize=_html_finalize,
                                 undefined=jinja2.StrictUndefined)
    else:  # Markdown: the finalizer escapes every value printed, as autoescape does in HTML
        env = jinja2.Environment(loader=loader, autoescape=False, trim_blocks=True,
                                 lstrip_blocks=True, finalize=_md_finalize,
                                 undefined=jinja2.StrictUndefined)
        env.filters["quote"] = md_quote
        env.filters["url"] = lambda url: MdSafe(md_url(url))
    env.filters["french_date"] = french_date
    env.filters["plural"] = lambda n, word, words: f"{n} {word if n == 1 else words}"
    return env


# -- words and escaping -----------------------------------------------------------------------


def byline(entry: Entry) -> str:
    """``Site · enregistré le 12 mars 2019 · annoté par Aurialie Jublin · extrait``."""
    parts = [entry.site] if entry.site else []
    if entry.saved:
        parts.append(f"enregistré le {french_date(entry.saved)}")
    if entry.annotator:
        parts.append(f"annoté par {entry.annotator}")
    parts.append(KIND_WORDS.get(entry.kind, entry.kind))
    return " · ".join(parts)


def french_date(value: str | None) -> str:
    """``2019-03-12T10:00:00`` -> ``12 mars 2019`` (a year alone stays a year)."""
    if not value:
        return "date inconnue"
    match = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value)
    if not match:
        return value
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return year
    if not day:
        return f"{MONTHS[int(month) - 1]} {year}"
    number = int(day)
    return f"{'1er' if number == 1 else number} {MONTHS[int(month) - 1]} {year}"


class MdSafe(str):
    """Markdown already made safe (a link target): the finalizer leaves it as it is."""


# Each value sits inside a line the template starts, so only the inline syntax matters.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(text: str) -> str:
    """Text shown as written in Markdown: HTML and Markdown syntax characters escaped, lines
    folded into one (a value can start no block of its own)."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_quote(text: str) -> MdSafe:
    """A Markdown block quote of ``text``, one paragraph per blank-line-separated part."""
    paragraphs = [p for p in re.split(r"\n\s*\n", clean(str(text))) if p.strip()] or [""]
    return MdSafe("\n>\n".join(f"> {md_escape(p)}" for p in paragraphs))


def md_url(url: str | None) -> str:
    """An http(s) URL as a Markdown link target (``<...>``), or ``''`` for anything else."""
    link = safe_link(url)
    if not link:
        return ""
    return "<" + link.replace("<", "%3C").replace(">", "%3E") + ">"


def _md_finalize(value):
    if value is None:
        return ""
    if isinstance(value, (MdSafe, int, float)):
        return value
    return md_escape(clean(str(value)))


def _html_finalize(value):
    return clean(value) if isinstance(value, str) else value  # then autoescaped


# What neither XML 1.0 nor an HTML5 parser accepts: control characters (tab and line breaks
# aside), C1 controls, surrogates and noncharacters.
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                      "\ufffe\uffff\U0001fffe\U0001ffff\U0010fffe\U0010ffff]")


def clean(text: str | None) -> str:
    """``text`` without the characters a feed or a page cannot hold (control characters)."""
    return _INVALID.sub("", text or "")


_xml = clean


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` aside, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
