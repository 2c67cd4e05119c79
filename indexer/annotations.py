"""Excerpts as annotations: the W3C Web Annotation model, and the Hypothesis API's JSON.

One annotation per excerpt (and one per note, as a note on the whole page), pointing at the
page's URL. Works without a URL (the Diigo page export has none) have nothing to point at
and are left out.

Selectors, the same in both formats: a ``TextQuoteSelector`` (``exact`` is the excerpt as the
annotator highlighted it; ``prefix``/``suffix`` the article's text around it where the align
stage placed it, else the context the source gave) and, where placed, a
``TextPositionSelector`` whose offsets count in the article text the store holds (the main
text, or the whole page's text for an excerpt found only outside it: see
:func:`indexer.documents.placed_text`), else the source's own position. Browsers count in
the page's rendered text, so readers (Hypothesis, our aligner) take positions as hints and
anchor on the quote.

W3C (JSON-LD, ``http://www.w3.org/ns/anno.jsonld``): the annotator is the ``creator``,
each tag a ``tagging`` body, the comment a ``TextualBody`` with ``commenting``; a text taken
from a web archive's copy adds a ``TimeState`` (``cached``: the copy, ``sourceDate``: its
date): the dead link's archived page, or the dated snapshot an excerpt the live page lost
was placed in. A set is one ``AnnotationCollection`` with its single ``AnnotationPage``.

Hypothesis: ``{"total": N, "rows": [...]}``, the response of ``GET /api/search``, which
:mod:`indexer.sources.hypothesis` imports back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import IO

from .works import Note, Quote, Work, utc_timestamp

__all__ = [
    "CONTEXT", "annotation_collection", "hypothesis_rows", "selectors", "w3c_annotations",
    "write_hypothesis", "write_w3c",
]

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
URN = "urn:x-indexer:"  # our ids are no web addresses: a URN scheme of our own
HYPOTHESIS_AUTHORITY = "hypothes.is"


def selectors(quote: Quote) -> list[dict]:
    """The quote and (when known) position selectors of an excerpt (see the module docstring)."""
    prefix, suffix = ((quote.prefix, quote.suffix) if quote.placed
                      else (quote.source_prefix, quote.source_suffix))
    quoted = {"type": "TextQuoteSelector", "exact": quote.text, "prefix": prefix,
              "suffix": suffix}
    out = [{k: v for k, v in quoted.items() if v}]
    start, end = ((quote.start, quote.end) if quote.placed
                  else (quote.source_start, quote.source_end))
    if start is not None and end is not None:
        out.append({"type": "TextPositionSelector", "start": start, "end": end})
    return out


# -- W3C Web Annotation -----------------------------------------------------------------------


def w3c_annotations(works: Iterable[Work]) -> Iterator[dict]:
    """One W3C annotation per excerpt and per note of the works that have a URL."""
    for work in works:
        if not work.url:
            continue
        for quote in work.quotes:
            yield _w3c_quote(work, quote)
        for note in work.notes:
            yield _w3c_note(work, note)


def _w3c_quote(work: Work, quote: Quote) -> dict:
    target = {"source": work.url, "selector": selectors(quote)}
    if quote.archived_url:  # the live page lost it: the positions count in this copy
        target["state"] = _time_state(quote.archived_url, quote.archived_date)
    elif work.archived_url:
        target["state"] = _time_state(work.archived_url, work.archive_date)
    bodies = [_textual(quote.comment, "commenting")] if _said(quote.comment) else []
    bodies += [_textual(tag, "tagging") for tag in work.tags]
    motivation = "commenting" if _said(quote.comment) else "highlighting"
    return _w3c(f"excerpt:{quote.id}", motivation, bodies, target,
                quote.annotator or work.annotator, quote.created_at or work.created_at)


def _w3c_note(work: Work, note: Note) -> dict:
    bodies = [_textual(note.text, "commenting")] + [_textual(t, "tagging") for t in work.tags]
    return _w3c(f"note:{note.id}", "commenting", bodies, work.url,
                note.annotator or work.annotator, note.created_at or work.created_at)


def _w3c(local_id: str, motivation: str, bodies: list[dict], target, annotator: str | None,
         created: str | None) -> dict:
    anno = {"@context": CONTEXT, "id": URN + local_id, "type": "Annotation",
            "motivation": motivation}
    if annotator:
        anno["creator"] = {"type": "Person", "nickname": annotator}
    stamp = utc_timestamp(created)
    if stamp:
        anno["created"] = stamp
    if bodies:
        anno["body"] = bodies if len(bodies) > 1 else bodies[0]
    anno["target"] = target
    return anno


def _textual(value: str, purpose: str) -> dict:
    return {"type": "TextualBody", "value": value, "purpose": purpose, "format": "text/plain"}


def _said(text: str | None) -> bool:
    return bool(text and text.strip())


def _time_state(cached: str, date: str | None) -> dict:
    state = {"type": "TimeState", "cached": cached}
    stamp = utc_timestamp(date)
    if stamp:
        state["sourceDate"] = stamp
    return state


def annotation_collection(annotations: list[dict], label: str = "indexer export") -> dict:
    """The annotations as one ``AnnotationCollection`` embedding its one ``AnnotationPage``;
    its id is a hash of the annotations' ids, so the same set gets the same id."""
    digest = hashlib.sha1("\n".join(a["id"] for a in annotations).encode()).hexdigest()[:16]
    collection = {"@context": CONTEXT, "id": f"{URN}collection:{digest}",
                  "type": "AnnotationCollection", "label": label, "total": len(annotations)}
    if annotations:  # an empty collection has no page
        page = f"{URN}collection:{digest}:page:1"
        # the page carries the context too, so that it stands alone when taken out
        collection["first"] = {"@context": CONTEXT, "id": page, "type": "AnnotationPage",
                               "partOf": {k: collection[k] for k in ("id", "label", "total")}, "startIndex": 0,
                               "items": annotations}
        collection["last"] = page
    return collection


def write_w3c(works: Iterable[Work], stream: IO[str]) -> int:
    """The works' annotations as one W3C collection (JSON-LD); how many annotations."""
    items = list(w3c_annotations(works))
    stream.write(json.dumps(annotation_collection(items), ensure_ascii=False, indent=2) + "\n")
    return len(items)


# -- Hypothesis -------------------------------------------------------------------------------


def hypothesis_rows(works: Iterable[Work]) -> Iterator[dict]:
    """Hypothesis API annotations: a highlight per excerpt, a page note per note."""
    for work in works:
        if not work.url:
            continue
        for quote in work.quotes:
            target = {"source": work.url, "selector": selectors(quote)}
            yield _hypothesis(work, quote.source_id or quote.id, quote.annotator,
                              quote.created_at, quote.comment, target)
        for note in work.notes:
            yield _hypothesis(work, note.id, note.annotator, note.created_at, note.text,
                              {"source": work.url})


def _hypothesis(work: Work, row_id: str, annotator: str | None, created: str | None,
                text: str | None, target: dict) -> dict:
    user = annotator or work.annotator
    stamp = utc_timestamp(created or work.created_at)
    row = {
        "id": row_id, "created": stamp, "updated": stamp,
        "user": f"acct:{user}@{HYPOTHESIS_AUTHORITY}" if user else None,
        "uri": work.url, "text": text or "", "tags": list(work.tags), "group": "__world__",
        "permissions": {"read": ["group:__world__"]}, "target": [target],
        "document": {"title": [work.title]},
    }
    return {k: v for k, v in row.items() if v is not None}


def write_hypothesis(works: Iterable[Work], stream: IO[str]) -> int:
    """The works as a Hypothesis search response (``{"total", "rows"}``); how many rows."""
    rows = list(hypothesis_rows(works))
    stream.write(json.dumps({"total": len(rows), "rows": rows}, ensure_ascii=False, indent=2)
                 + "\n")
    return len(rows)
