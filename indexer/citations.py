"""Works as citations: CSL-JSON, RIS and BibTeX (biblatex), for Zotero and LaTeX.

One record per :class:`~indexer.works.Work` (a bookmarked page): its type, title, URL,
authors (:mod:`indexer.names`: family and given names, French particles), publication date,
site (the container), access date (when it was fetched), language, the archived copy its text
came from, the tags as keywords, and the team's words as notes (:func:`note_parts`: the
bookmark's description, each excerpt in « » with its comment and its text-fragment link,
each note). The same work gives the same fields in every format:

=================  ==================  =====================  ==========================
what               CSL-JSON            RIS                    biblatex
=================  ==================  =====================  ==========================
type               type                TY                     @article / @online
title              title               TI                     title
authors            author              AU (one each)          author
published          issued              PY, DA                 date
site               container-title     T2                     journaltitle/organization
fetched            accessed            Y2                     urldate
language           language            LA                     langid
archived copy      archive(_location)  DB, AN                 addendum
tags               keyword             KW (one each)          keywords
excerpts, notes    note                N1 (one each)          annotation
=================  ==================  =====================  ==========================

The type, from what the store knows: a page of a blog (its host or site says ``blog``, or a
known blog host) is a ``post-weblog``; an article with a publication date is an
``article-newspaper``; anything else a ``webpage``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import IO

from .names import Name, parse_names
from .works import Work, date_parts

__all__ = [
    "authors", "bibtex_entry", "csl_item", "note_parts", "ris_fields", "work_type",
    "write_bibtex", "write_csljson", "write_ris",
]

BLOG = re.compile(r"blog|medium\.com|wordpress\.com|hypotheses\.org|substack\.com", re.IGNORECASE)
RIS_TYPES = {"article-newspaper": "NEWS", "post-weblog": "BLOG", "webpage": "ELEC"}
LANGIDS = {"fr": "french", "en": "english", "de": "german", "es": "spanish", "it": "italian"}


def work_type(work: Work) -> str:
    """``post-weblog``, ``article-newspaper`` or ``webpage`` (see the module docstring)."""
    if BLOG.search(" ".join(filter(None, [work.host, work.site]))):
        return "post-weblog"
    return "article-newspaper" if date_parts(work.published) else "webpage"


def authors(work: Work) -> list[Name]:
    """The work's authors, parsed from the article's byline."""
    return parse_names(work.author, work.site, work.url)


def note_parts(work: Work, links: bool = True, archive: bool = True) -> list[str]:
    """The team's words on the work, one part each: description, excerpts (with their
    text-fragment ``links``), notes, and (``archive``) where the archived copy is."""
    parts = [work.description.strip()] if work.description.strip() else []
    for q in work.quotes:
        part = f"« {_squash(q.text)} »"
        if q.comment and q.comment.strip():
            part += f" — {_squash(q.comment)}"
        link = (q.fragment_url or work.url) if links else None
        parts.append(f"{part} {link}" if link else part)
    parts.extend(_squash(n.text) for n in work.notes if n.text.strip())
    if archive and work.archived_url:
        when = f" ({work.archive_date[:10]})" if work.archive_date else ""
        parts.append(f"Copie archivée : {work.archived_url}{when}")
    return parts


def _squash(text: str) -> str:
    return " ".join(text.split())


# -- CSL-JSON ---------------------------------------------------------------------------------


def csl_item(work: Work) -> dict:
    """The CSL-JSON item of a work (empty fields left out, as the schema wants strings)."""
    archived = work.archived_url
    item = {
        "id": work.bookmark_id,
        "type": work_type(work),
        "title": work.cited_title,
        "URL": work.url,
        "author": [n.csl() for n in authors(work)],
        "issued": _csl_date(work.published),
        "container-title": work.site,
        "accessed": _csl_date(work.fetched_at),
        "language": work.language,
        "archive": _host(archived),
        "archive_location": archived,
        "keyword": ", ".join(work.tags),
        "note": "\n\n".join(note_parts(work)),
    }
    return {k: v for k, v in item.items() if v}


def _csl_date(value: str | None) -> dict | None:
    parts = date_parts(value)
    return {"date-parts": [parts]} if parts else None


def _host(url: str | None) -> str | None:
    match = re.match(r"https?://([^/]+)", url or "")
    return match.group(1) if match else None


def write_csljson(works: Iterable[Work], stream: IO[str]) -> int:
    """A CSL-JSON array of the works (what Zotero's File > Import reads); how many."""
    items = [csl_item(w) for w in works]
    stream.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
    return len(items)


# -- RIS --------------------------------------------------------------------------------------


def ris_fields(work: Work) -> list[tuple[str, str]]:
    """The (tag, value) lines of a work's RIS record, ``TY`` first, without ``ER``."""
    parts = date_parts(work.published)
    archived = work.archived_url
    lines = [("TY", RIS_TYPES[work_type(work)]), ("ID", work.bookmark_id),
             ("TI", work.cited_title)]
    lines += [("AU", n.inverted()) for n in authors(work)]
    lines += [("PY", str(parts[0]))] if parts else []
    lines += [("DA", _ris_date(parts))] if parts else []
    single = [("UR", work.url), ("T2", work.site), ("Y2", _ris_date(date_parts(work.fetched_at))),
              ("LA", work.language), ("DB", _host(archived)), ("AN", archived)]
    lines += [(tag, value) for tag, value in single if value]
    lines += [("KW", tag) for tag in work.tags]
    lines += [("N1", part) for part in note_parts(work)]
    # RIS is one value per line: a line break inside one would start a bogus field
    return [(tag, _squash(value)) for tag, value in lines]


def _ris_date(parts: list[int]) -> str:
    """``YYYY/MM/DD`` (as much as is known), RIS's date form."""
    return "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))


def write_ris(works: Iterable[Work], stream: IO[str]) -> int:
    """The works as RIS records (Zotero: File > Import); how many."""
    n = 0
    for work in works:
        for tag, value in ris_fields(work):
            stream.write(f"{tag}  - {value}\n")
        stream.write("ER  - \n\n")
        n += 1
    return n


# -- BibTeX (biblatex) ------------------------------------------------------------------------

# Characters TeX reads as commands: escaped in every field but the verbatim url.
_TEX = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})


def _tex(value: str) -> str:
    return _squash(value).translate(_TEX)


def _bibtex_name(name: Name) -> str:
    """``von Last, First``; an organisation braced, so that BibTeX never splits it."""
    if name.literal:
        return "{" + _tex(name.literal) + "}"
    family = _tex(name.joined_family)
    return f"{family}, {_tex(name.given)}" if name.given else family


def bibtex_entry(work: Work, key: str):
    """The biblatex entry of a work (a :class:`bibtexparser.model.Entry`): ``@article``
    for a newspaper article, else ``@online``, with ``urldate``."""
    from bibtexparser import model

    kind = work_type(work)
    site_field = "journaltitle" if kind == "article-newspaper" else "organization"
    archived = work.archived_url
    fields = [
        ("author", " and ".join(_bibtex_name(n) for n in authors(work))),
        ("title", _tex(work.cited_title)),
        (site_field, _tex(work.site or "")),
        ("date", _iso(date_parts(work.published))),
        ("url", work.url or ""),
        ("urldate", _iso(date_parts(work.fetched_at))),
        ("langid", LANGIDS.get(work.language or "", "")),
        ("keywords", _tex(", ".join(work.tags))),
        ("addendum", _tex(f"Copie archivée : {archived}") if archived else ""),
        ("annotation", r" \par ".join(_tex(p) for p in note_parts(work, links=False, archive=False))),
    ]
    return model.Entry("article" if kind == "article-newspaper" else "online", key,
                       [model.Field(k, v) for k, v in fields if v])


def _iso(parts: list[int]) -> str:
    return "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))


def citation_key(work: Work, taken: set[str]) -> str:
    """``family + year`` in ASCII (``leclerc2018``), made unique with a letter."""
    names = authors(work)
    first = names[0] if names else None
    stem = (first.family or first.literal) if first else (work.site or work.host or "anonyme")
    year = str(date_parts(work.published)[0]) if date_parts(work.published) else ""
    base = _ascii(stem)[:24] + year or "item"
    key, n = base, 0
    while key in taken:
        n += 1
        key = base + chr(ord("a") + n - 1) if n <= 26 else f"{base}-{n}"
    taken.add(key)
    return key


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).replace("œ", "oe").replace("Œ", "Oe")
    return "".join(c for c in folded.lower() if c.isascii() and c.isalnum())


def write_bibtex(works: Iterable[Work], stream: IO[str]) -> int:
    """The works as a biblatex ``.bib`` (UTF-8, for biber), written by bibtexparser."""
    import bibtexparser

    library, taken = bibtexparser.Library(), set()
    for work in works:
        library.add(bibtex_entry(work, citation_key(work, taken)))
    stream.write(bibtexparser.write_string(library))
    return len(library.entries)
