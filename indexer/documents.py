"""What the index holds, read from the store: one :class:`IndexDocument` per searchable text.

One document per excerpt, per bookmark description and per article (its ``kind``), each with
the export row shown for a hit, the text searched, the language it is analysed in, and its
facet values. Every engine builds its index from :func:`store_documents`, so both hold the
same documents; the CSV/JSON export reads the same excerpt rows (:func:`excerpt_records`).

The rules live here once:

* the excerpt row: one SQL (:data:`EXCERPT_SQL`), article metadata taken only from articles
  that were read (status ``ok`` or ``tiny``);
* the tags and entities of each document (:func:`load_tags`, read by span);
* the language a document is analysed in (:func:`indexer.analysis.chain_language`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields

from . import analysis
from .store import ARTICLE_READ, DOCUMENT_LANGUAGE, Store

KINDS = ("excerpt", "description", "note", "article")
TEXT_FIELDS = {"fr": "text_fr", "en": "text_en", "fold": "text_fold"}  # by analysis chain
SEARCH_FIELDS = ["text_fr", "text_en", "text_fold", "text_exact"]
FACETS = ["tag", "annotator", "author", "site", "language", "year", "kind", "entity"]
MULTI_VALUED = {"tag", "entity"}
ENTITY_LABELS = ("PER", "ORG", "LOC")

# Published for reuse (exports, search results): keep the order, append new names at the end.
EXCERPT_COLUMNS: list[str] = [
    "id", "bookmark_id", "url", "title", "tags", "annotator", "text",
    "start", "end", "method", "score", "matched_text", "prefix", "suffix",
    "fragment_url", "orphan_cause", "in_main_text", "best_score",
    "created_at", "site", "language", "published", "author",
    # set when the excerpt lives only in a web archive's copy (a dead link's archived page,
    # or the dated snapshot an excerpt the live page lost was placed in)
    "archived_url", "archived_date",
]

# Where a placed excerpt's text lives when only a web archive holds it: the snapshot it was
# placed in (alignments.snapshot_id), else the archived page a dead link was read from.
_PLACED = "al.method IN ('exact', 'fuzzy')"
ARCHIVED_URL = (f"CASE WHEN al.snapshot_id IS NOT NULL THEN sn.url WHEN {_PLACED}"
                " THEN fa.final_url END")
ARCHIVED_DATE = (f"CASE WHEN al.snapshot_id IS NOT NULL THEN sn.archive_date WHEN {_PLACED}"
                 " THEN fa.archive_date END")
ARCHIVED_JOINS = """
LEFT JOIN snapshots sn ON sn.id = al.snapshot_id
LEFT JOIN fetches fa ON fa.bookmark_id = e.bookmark_id AND fa.origin = 'archive'
    AND fa.error IS NULL
"""

EXCERPT_SQL = f"""
SELECT e.id, e.bookmark_id, b.url, b.title, e.annotator, e.text, e.comment,
       al.start, al."end", al.method, al.score, al.matched_text, al.prefix, al.suffix,
       al.fragment_url, al.orphan_cause, al.in_main_text, al.best_score,
       COALESCE(e.created_at, b.created_at) AS created_at, b.created_at AS saved,
       COALESCE(ar.site_name, b.site) AS site, {DOCUMENT_LANGUAGE} AS language,
       ar.published, ar.author,
       {ARCHIVED_URL} AS archived_url, {ARCHIVED_DATE} AS archived_date, al.snapshot_id
FROM excerpts e
JOIN bookmarks b ON b.id = e.bookmark_id
LEFT JOIN alignments al ON al.excerpt_id = e.id
LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id AND {ARTICLE_READ}
{ARCHIVED_JOINS}
"""
EXCERPT_ORDER = " ORDER BY b.created_at, e.bookmark_id, e.seq"

_NOTE_BOOKMARK = f"""
       b.url, b.title, b.created_at AS saved, COALESCE(ar.site_name, b.site) AS site,
       {DOCUMENT_LANGUAGE} AS language, ar.published, ar.author
"""
NOTE_SQL = f"""
SELECT 'n-' || n.id AS id, n.bookmark_id, n.text, COALESCE(n.annotator, b.annotator) AS annotator,
       COALESCE(n.created_at, b.created_at) AS created_at, NULL AS excerpt_id, {_NOTE_BOOKMARK}
FROM notes n JOIN bookmarks b ON b.id = n.bookmark_id
LEFT JOIN articles ar ON ar.bookmark_id = n.bookmark_id AND {ARTICLE_READ}
WHERE TRIM(n.text) <> ''
UNION ALL
SELECT 'c-' || e.id, e.bookmark_id, e.comment, e.annotator,
       COALESCE(e.created_at, b.created_at), e.id, {_NOTE_BOOKMARK}
FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id AND {ARTICLE_READ}
WHERE TRIM(COALESCE(e.comment, '')) <> ''
"""

BOOKMARK_SQL = f"""
SELECT b.id AS bookmark_id, b.url, b.title, b.annotator, b.description,
       b.created_at, b.created_at AS saved, COALESCE(ar.site_name, b.site) AS site,
       {DOCUMENT_LANGUAGE} AS language, ar.published, ar.author, ar.text AS article_text
FROM bookmarks b
LEFT JOIN articles ar ON ar.bookmark_id = b.id AND {ARTICLE_READ}
"""


@dataclass
class IndexDocument:
    """One searchable text, as every engine indexes it.

    ``language`` is the analysis chain's language (``fr``, ``en`` or ``fold``: see
    :func:`indexer.analysis.chain_language`); ``facets`` maps each facet name to its values
    (cleaned, sorted, no duplicates; at most one for a single-valued facet). ``hash`` changes
    whenever anything indexed changes: an update rewrites exactly the documents whose hash
    differs.
    """

    id: str
    kind: str
    bookmark_id: str
    row: dict
    text: str
    language: str
    facets: dict[str, list[str]]
    saved: str = ""
    published: str = ""
    hash: str = field(default="", compare=False)

    @property
    def text_field(self) -> str:
        """The language field the text is analysed into (``text_fr``, ``text_en``, ...)."""
        return TEXT_FIELDS[self.language]


_HASHED = [f.name for f in fields(IndexDocument)]


def placed_text(main: str | None, page: str | None, in_main_text,
                snapshot_id: int | None = None,
                snapshots: dict[int, tuple[str | None, str | None]] | None = None) -> str | None:
    """The text an alignment's offsets count in: the article's main text, or the whole page's
    (``articles.fallback_text``) for an excerpt found only outside the main text
    (``in_main_text`` false); for an excerpt placed in an archived snapshot
    (``alignments.snapshot_id``), that snapshot's main or whole-page text, taken from
    ``snapshots`` (:func:`snapshot_texts`), and never the live article's (None when it is
    not given). Every reader of offsets goes through here: cutting the main text at offsets
    of the page, or of another copy, splices the excerpt into the wrong text."""
    if snapshot_id is not None:
        main, page = (snapshots or {}).get(snapshot_id, (None, None))
    return main if in_main_text in (None, True, 1) else page


def snapshot_texts(store: Store, snapshot_ids) -> dict[int, tuple[str | None, str | None]]:
    """``snapshot id -> (main text, whole page's text)`` of these archived snapshots."""
    ids = sorted({i for i in snapshot_ids if i is not None})
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT id, text, fallback_text FROM snapshots WHERE id IN ({marks})", ids)
    return {sid: (text, page) for sid, text, page in rows}


def article_texts(store: Store, bookmark_ids) -> dict[str, tuple[str | None, str | None]]:
    """``bookmark id -> (main text, whole page's text)`` of these bookmarks' articles."""
    ids = sorted(set(bookmark_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT bookmark_id, text, fallback_text FROM articles WHERE bookmark_id IN ({marks})",
        ids)
    return {bid: (text, page) for bid, text, page in rows}


def load_tags(store: Store) -> dict[str, list[str]]:
    """``bookmark id -> sorted tags``."""
    tags: dict[str, list[str]] = {}
    for bid, tag in store.conn.execute("SELECT bookmark_id, tag FROM tags ORDER BY tag"):
        tags.setdefault(bid, []).append(tag)
    return tags


def excerpt_records(store: Store, ordered: bool = False,
                    tags: dict[str, list[str]] | None = None,
                    rows: tuple[int, int] | None = None) -> Iterator[dict]:
    """Every excerpt of the store with its bookmark, alignment and article metadata.

    Keys: :data:`EXCERPT_COLUMNS` and a few more (``comment``, ``saved``); ``tags`` is a
    sorted list; the alignment columns are None where the excerpt was never aligned.
    ``ordered``: by saved date, bookmark and position (the export's order). ``rows``: only
    the excerpts of these rowids (inclusive), in rowid order.
    """
    tags = load_tags(store) if tags is None else tags
    sql, args = EXCERPT_SQL + (EXCERPT_ORDER if ordered else ""), ()
    if rows is not None:
        sql, args = EXCERPT_SQL + " WHERE e.rowid BETWEEN ? AND ? ORDER BY e.rowid", rows
    for r in store.conn.execute(sql, args):
        row = dict(r)
        row["tags"] = tags.get(row["bookmark_id"], [])
        if row["in_main_text"] is not None:
            row["in_main_text"] = bool(row["in_main_text"])
        yield row


Source = tuple  # (doc_id, kind, row, text, entities): the arguments of :func:`document`


def store_documents(store: Store) -> Iterator[IndexDocument]:
    """Every document the index should hold: excerpts, descriptions, notes, then articles.

    Each kind comes as one run, and what the team wrote (the first three) before the articles:
    that lets the Whoosh engine bound a search to its scope by document numbers. Read a span
    at a time (:func:`document_spans`), as a build's worker processes read them.
    """
    tags = load_tags(store)
    for span in document_spans(store):
        for source in span_sources(store, span, tags):
            yield document(*source)


@dataclass(frozen=True)
class Span:
    """A run of :func:`store_documents`' documents of one kind: the rows ``low`` to ``high``
    (rowids, inclusive) of the excerpts, or of the bookmarks (descriptions, articles); every
    note (None)."""

    kind: str
    low: int | None = None
    high: int | None = None


SPAN_ROWS = 512
# An article is a thousand words where an excerpt is forty: spans of 512 articles held ~1 GB
# of analysed tokens in flight at 1M excerpts (measured); a span holds about as many words.
ARTICLE_SPAN_ROWS = 16
_SPAN_TABLES = {"excerpt": "excerpts", "description": "bookmarks", "note": None,
                "article": "bookmarks"}


def document_spans(store: Store, size: int = SPAN_ROWS,
                   article_size: int = ARTICLE_SPAN_ROWS) -> list[Span]:
    """:func:`store_documents`' documents cut into spans of about ``size`` rows
    (``article_size`` for the articles), in its order: each span can be read apart
    (:func:`span_sources`), by another process."""
    spans = []
    for kind, table in _SPAN_TABLES.items():
        if table is None:
            spans.append(Span(kind))
            continue
        low, high = store.conn.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table}").fetchone()
        step = article_size if kind == "article" else size
        if low is not None:
            spans += [Span(kind, a, min(a + step - 1, high)) for a in range(low, high + 1, step)]
    return spans


def span_sources(store: Store, span: Span, tags: dict[str, list[str]]) -> Iterator[Source]:
    """What the documents of one span are made of, in its order: ``document(*source)`` is
    each document; ``tags`` as :func:`load_tags` gives them."""
    if span.kind == "note":
        yield from _note_sources(store, tags)
        return
    rows = (span.low, span.high)
    entities = _span_entities(store, span)
    if span.kind == "excerpt":
        for row in excerpt_records(store, tags=tags, rows=rows):
            yield row["id"], "excerpt", row, row["text"], entities.get(row["id"], [])
    else:
        yield from _bookmark_sources(store, tags, entities, span.kind, rows)


def _span_entities(store: Store, span: Span) -> dict[str, list[str]]:
    """``document id -> sorted entity texts`` (people, organisations, places) of the
    documents of one span (articles have none)."""
    if span.kind == "article":
        return {}
    table = _SPAN_TABLES[span.kind]
    marks = ",".join("?" * len(ENTITY_LABELS))
    out: dict[str, list[str]] = {}
    for doc_id, text in store.conn.execute(
        f"SELECT en.doc_id, en.text FROM {table} t JOIN entities en ON en.doc_id = t.id"
        f" WHERE t.rowid BETWEEN ? AND ? AND en.label IN ({marks}) ORDER BY en.text",
        (span.low, span.high, *ENTITY_LABELS),
    ):
        out.setdefault(doc_id, []).append(text)
    return out


def _note_sources(store: Store, tags: dict[str, list[str]]) -> Iterator[Source]:
    """The annotators' own words: Diigo sticky notes and native notes (``n-<id>``), and the
    comment beside a highlight (Hypothesis' annotation text, ``c-<excerpt id>``), each with its
    bookmark's facets."""
    for r in store.conn.execute(NOTE_SQL):
        row = dict(r)
        row["tags"] = tags.get(row["bookmark_id"], [])
        yield row["id"], "note", row, row["text"], []


def _bookmark_sources(store: Store, tags, entities, kind: str,
                      rows: tuple[int, int] | None = None) -> Iterator[Source]:
    sql, args = BOOKMARK_SQL, ()
    if rows is not None:
        sql, args = BOOKMARK_SQL + " WHERE b.rowid BETWEEN ? AND ? ORDER BY b.rowid", rows
    for r in store.conn.execute(sql, args):
        row = dict(r)
        row["tags"] = tags.get(row["bookmark_id"], [])
        article_text, description = row.pop("article_text"), row.pop("description")
        bid = row["bookmark_id"]
        if kind == "description" and description.strip():
            yield f"d-{bid}", kind, dict(row, id=f"d-{bid}", text=description), description, \
                entities.get(bid, [])
        if kind == "article" and article_text and article_text.strip():
            yield f"a-{bid}", kind, dict(row, id=f"a-{bid}", text=None), article_text, []


def count_documents(store: Store) -> int:
    """How many documents :func:`store_documents` yields (for a progress bar)."""
    return store.conn.execute(
        "SELECT (SELECT COUNT(*) FROM excerpts)"
        " + (SELECT COUNT(*) FROM bookmarks WHERE TRIM(description) <> '')"
        f" + (SELECT COUNT(*) FROM ({NOTE_SQL}))"
        f" + (SELECT COUNT(*) FROM articles ar WHERE {ARTICLE_READ} AND TRIM(ar.text) <> '')"
    ).fetchone()[0]


def clean_values(values) -> list[str]:
    """Facet values as indexed: commas (value separators in Whoosh) made spaces, stripped,
    empty ones dropped, sorted, each once."""
    return sorted({v.replace(",", " ").strip() for v in values} - {""})


def document(doc_id: str, kind: str, row: dict, text: str, entities: list[str]) -> IndexDocument:
    """The :class:`IndexDocument` of one store row (an excerpt's, or a bookmark's)."""
    lang = analysis.chain_language(row.get("language"))
    saved = row.get("saved") or ""
    shown = row.get("language") or analysis.DEFAULT_LANGUAGE
    row = dict(row, kind=kind, language=shown)
    facets = {
        "tag": clean_values(row["tags"]),
        "entity": clean_values(entities),
        "language": [analysis.facet_language(shown)],
        "kind": [kind],
        "year": [saved[:4]] if saved[:4].isdigit() else [],
    }
    for name in ("annotator", "author", "site"):
        facets[name] = [row[name]] if row.get(name) else []
    doc = IndexDocument(doc_id, kind, row["bookmark_id"], row, text or "", lang, facets, saved,
                        row.get("published") or "")
    # the analysis rules are part of what is indexed: a change of them rewrites every document
    # the fields as ``asdict`` gives them (the same hash), without its deep copy: it was
    # half of a tantivy build's time
    fields = {f: getattr(doc, f) for f in _HASHED}
    blob = json.dumps([analysis.ANALYSIS_VERSION, fields], sort_keys=True,
                      ensure_ascii=False, default=str)
    doc.hash = hashlib.sha1(blob.encode("utf-8")).hexdigest()
    return doc
