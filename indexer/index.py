"""The Whoosh index: derived from the store, updated in place or rebuilt aside and swapped in.

One document per excerpt, per bookmark description and per article (``kind``). The text goes
to one language field chosen by the document's language (``text_fr``, ``text_en`` or
``text_fold``) and always to ``text_exact`` (folded, unstemmed, with positions: quoted phrases
search it). Facet fields are single-valued ``ID`` fields, except ``tag`` and ``entity``
(comma-separated ``KEYWORD``). Excerpt and description texts are stored for display; article
text is not (it stays in the store, fetched by id for snippets: 26% smaller index).

Layout under ``index/``::

    current        -> builds/<stamp>   (a symlink, replaced atomically with os.replace)
    builds/<stamp>/                     (one Whoosh index per build)
    .lock                               (flock: one build at a time)

Readers resolve ``current`` once when they open, so a swap never changes an open searcher.
Whoosh writes no fsync: a build is atomic (the swap), not durable against power loss.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from . import analysis
from .config import Paths
from .errors import BusyError, IndexMissingError
from .store import Store

TEXT_FIELDS = {"fr": "text_fr", "en": "text_en"}  # any other language -> text_fold
SEARCH_FIELDS = ["text_fr", "text_en", "text_fold", "text_exact"]
FACETS = ["tag", "annotator", "author", "site", "language", "year", "kind", "entity"]
MULTI_VALUED = {"tag", "entity"}
DEFAULT_LANGUAGE = "fr"  # the bundled export has no URLs, hence no article language
KINDS = ("excerpt", "description", "article")


def make_schema() -> Schema:
    """The index schema. Analyzers come from :mod:`indexer.analysis` (pickled by name)."""
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        bookmark_id=ID(stored=True),
        hash=STORED(),
        row=STORED(),  # the export row (dict) for display, without article text
        text_fr=TEXT(analyzer=analysis.french_analyzer(), phrase=False),
        text_en=TEXT(analyzer=analysis.english_analyzer(), phrase=False),
        text_fold=TEXT(analyzer=analysis.folding_analyzer(), phrase=False),
        text_exact=TEXT(analyzer=analysis.exact_analyzer(), phrase=True),
        tag=KEYWORD(commas=True, lowercase=False, scorable=False),
        entity=KEYWORD(commas=True, lowercase=False, scorable=False),
        annotator=ID(),
        author=ID(),
        site=ID(),
        language=ID(),
        year=ID(),
        saved=ID(sortable=True),
        published=ID(sortable=True),
    )


@dataclass
class IndexSummary:
    """What one ``index`` run did."""

    path: str
    rebuilt: bool
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    entities: int = 0  # texts analysed by spaCy in this run
    gone: list[str] = field(default_factory=list)  # ids deleted by an update (not in the store)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


# -- reading the store --------------------------------------------------------------------

EXCERPT_SQL = """
SELECT e.id, e.bookmark_id, b.url, b.title, e.annotator, e.text, e.comment,
       al.start, al."end", al.method, al.score, al.matched_text, al.prefix, al.suffix,
       al.fragment_url, al.orphan_cause, al.in_main_text, al.best_score,
       COALESCE(e.created_at, b.created_at) AS created_at, b.created_at AS saved,
       COALESCE(ar.site_name, b.site) AS site, ar.language, ar.published, ar.author
FROM excerpts e
JOIN bookmarks b ON b.id = e.bookmark_id
LEFT JOIN alignments al ON al.excerpt_id = e.id
LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id AND ar.status IN ('ok', 'tiny')
"""

_BOOKMARKS = """
SELECT b.id AS bookmark_id, b.url, b.title, b.annotator, b.description,
       b.created_at, b.created_at AS saved, COALESCE(ar.site_name, b.site) AS site,
       ar.language, ar.published, ar.author, ar.text AS article_text
FROM bookmarks b
LEFT JOIN articles ar ON ar.bookmark_id = b.id AND ar.status IN ('ok', 'tiny')
"""


def doc_language(language: str | None) -> str:
    """The language a document is counted under: its article's, else French."""
    return analysis.facet_language(language)


def _clean_value(value: str) -> str:
    # Commas separate KEYWORD values; one inside a tag or an entity would split it.
    return value.replace(",", " ").strip()


def store_documents(store: Store) -> Iterator[dict]:
    """Every document the index should hold, as Whoosh field dicts (with a content hash)."""
    tags: dict[str, list[str]] = {}
    for bid, tag in store.conn.execute("SELECT bookmark_id, tag FROM tags ORDER BY tag"):
        tags.setdefault(bid, []).append(tag)
    entities: dict[str, list[str]] = {}
    for doc_id, text in store.conn.execute(
        "SELECT doc_id, text FROM entities WHERE label IN ('PER', 'ORG', 'LOC') ORDER BY text"
    ):
        entities.setdefault(doc_id, []).append(text)
    for r in store.conn.execute(EXCERPT_SQL):
        row = dict(r)
        row["tags"] = tags.get(row["bookmark_id"], [])
        if row["in_main_text"] is not None:
            row["in_main_text"] = bool(row["in_main_text"])
        yield _document(row["id"], "excerpt", row, row["text"], entities.get(row["id"], []))
    # Descriptions, then articles: each kind one run of docnums, which lets a search bound
    # its matcher to the scope (indexer.search._of_kind).
    for kind in ("description", "article"):
        for r in store.conn.execute(_BOOKMARKS):
            row = dict(r)
            row["tags"] = tags.get(row["bookmark_id"], [])
            article_text = row.pop("article_text")
            description = row.pop("description")
            if kind == "description" and description.strip():
                drow = dict(row, id=f"d-{row['bookmark_id']}", text=description)
                ents = entities.get(row["bookmark_id"], [])
                yield _document(drow["id"], "description", drow, description, ents)
            if kind == "article" and article_text and article_text.strip():
                arow = dict(row, id=f"a-{row['bookmark_id']}", text=None)
                yield _document(arow["id"], "article", arow, article_text, [])


def _document(doc_id: str, kind: str, row: dict, text: str, entities: list[str]) -> dict:
    lang = doc_language(row.get("language"))
    saved = row.get("saved") or ""
    row = dict(row, kind=kind, language=row.get("language") or lang)
    doc = {
        "id": doc_id,
        "kind": kind,
        "bookmark_id": row["bookmark_id"],
        "row": row,
        TEXT_FIELDS.get(lang, "text_fold"): text,
        "text_exact": text,
        "tag": ",".join(_clean_value(t) for t in row["tags"]),
        "entity": ",".join(_clean_value(e) for e in entities),
        "language": lang,
        "saved": saved,
        "published": row.get("published") or "",
    }
    for name in ("annotator", "author", "site"):
        if row.get(name):
            doc[name] = row[name]
    if saved[:4].isdigit():
        doc["year"] = saved[:4]
    blob = json.dumps([doc, text], sort_keys=True, ensure_ascii=False, default=str)
    doc["hash"] = hashlib.sha1(blob.encode("utf-8")).hexdigest()
    return doc


# -- where the index lives ----------------------------------------------------------------


def current_dir(paths: Paths) -> Path | None:
    """The build directory ``index/current`` points to, or None when there is no index."""
    link = paths.index / "current"
    for _ in range(5):  # a rebuild may swap the link and delete what it pointed to meanwhile
        if not link.is_symlink():
            return None
        try:
            target = Path(os.path.realpath(link))
        except OSError:
            continue
        if whoosh_index.exists_in(str(target)):
            return target
        if Path(os.path.realpath(link)) == target:  # not a swap: the build is really gone
            return None
    return None


def open_index(paths: Paths):
    """Open the current index (resolved once), or raise :class:`IndexMissingError`."""
    target = current_dir(paths)
    if target is None:
        raise IndexMissingError(f"no search index under {paths.index}: run `indexer index` first")
    return whoosh_index.open_dir(str(target))


def build_time(ix) -> str:
    """When the index was last committed (UTC, ISO 8601)."""
    stamp = ix.last_modified()
    return datetime.fromtimestamp(stamp, UTC).replace(microsecond=0).isoformat()


@contextmanager
def build_lock(paths: Paths, wait: float = 0.0) -> Iterator[None]:
    """Hold ``index/.lock`` (flock, released even if the process is killed).

    Waits up to ``wait`` seconds, then raises :class:`BusyError`.
    """
    paths.index.mkdir(parents=True, exist_ok=True)
    with open(paths.index / ".lock", "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"another `indexer index` is running on {paths.index}; "
                        "wait for it to finish"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap(paths: Paths, build: Path) -> None:
    """Point ``index/current`` at ``build`` atomically (new symlink, then os.replace)."""
    link = paths.index / "current"
    tmp = paths.index / f".current-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, paths.index), tmp)
    os.replace(tmp, link)


def _clean_builds(paths: Paths, keep: Path | None) -> None:
    """Delete every build but ``keep`` (older builds, and leftovers of killed builds).

    Searchers already open on an old build keep working: Linux keeps deleted files readable
    through open handles, and Whoosh opens a segment's files when the reader opens.
    """
    builds = paths.index / "builds"
    if not builds.is_dir():
        return
    for entry in builds.iterdir():
        if keep is None or entry.resolve() != keep.resolve():
            shutil.rmtree(entry, ignore_errors=True)


# -- building -----------------------------------------------------------------------------


def build_index(
    paths: Paths,
    rebuild: bool = False,
    *,
    entities: bool = True,
    wait: float = 0.0,
    progress=None,
    engine: str | None = None,
) -> IndexSummary:
    """Bring the index up to date with the store; the library behind ``indexer index``.

    Without ``rebuild``, only changed documents are rewritten (by content hash) and documents
    whose source is gone are deleted, in one commit. With ``rebuild`` (or when no index exists)
    a fresh index is built in ``index/builds/<stamp>/`` and swapped in atomically; a build
    killed midway leaves the previous index in place, and its directory is removed by the next
    build. ``entities`` first runs spaCy on new or changed French texts (see
    :mod:`indexer.entities`). ``progress`` is called with the number of documents written.
    Raises :class:`BusyError` if another build holds the lock after ``wait`` seconds.
    ``engine``: ``whoosh`` or ``tantivy`` (default: ``$INDEXER_ENGINE``, else Whoosh; the
    tantivy index lives in ``index/tantivy/``, see :mod:`indexer.engines.tantivy_index`).
    """
    from .engines import resolve_engine

    if resolve_engine(engine) == "tantivy":
        from .engines import tantivy_index

        return tantivy_index.build_index(
            paths, rebuild, entities=entities, wait=wait, progress=progress)
    return drive_build(paths, paths, rebuild, entities, wait, progress, current_dir=current_dir,
                       build_aside=_build_aside, update=_update)


def drive_build(
    paths: Paths, where, rebuild: bool, entities: bool, wait: float, progress, *,
    current_dir, build_aside, update,
) -> IndexSummary:
    """The life of one index build, the same for every engine.

    Under the engine's lock (``where.index/.lock``): spaCy entities first if asked, then a build
    aside and swap (``rebuild``, or no index yet) or an in-place update of ``current_dir(paths)``
    after removing what killed builds left behind.
    """
    started = time.monotonic()
    with build_lock(where, wait):
        entity_count = 0
        if entities:
            from .entities import compute_entities  # spaCy only when asked for

            entity_count = compute_entities(paths).analysed
        current = current_dir(paths)
        if rebuild or current is None:
            summary = build_aside(paths, progress)
        else:
            _clean_builds(where, current)
            summary = update(paths, current, progress)
    summary.entities = entity_count
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _writer(ix):
    # One process: measured, procs=2 helps only on an idle machine; limitmb above 256 bought
    # nothing but memory.
    return ix.writer(limitmb=256)


def _build_aside(paths: Paths, progress) -> IndexSummary:
    current = current_dir(paths)
    _clean_builds(paths, current)  # leftovers of a killed build
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f") + f"-{os.getpid()}"
    build = paths.index / "builds" / stamp
    build.mkdir(parents=True)
    ix = whoosh_index.create_in(str(build), make_schema())
    summary = IndexSummary(path=str(build), rebuilt=True)
    writer = _writer(ix)
    try:
        with Store(paths.db) as store:
            for doc in store_documents(store):
                writer.add_document(**doc)
                summary.added += 1
                summary.by_kind[doc["kind"]] = summary.by_kind.get(doc["kind"], 0) + 1
                if progress and summary.added % 500 == 0:
                    progress(summary.added)
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    _swap(paths, build)
    _clean_builds(paths, build)
    return summary


def changed_documents(
    paths: Paths, indexed: dict[str, str], summary: IndexSummary, progress=None
) -> Iterator[tuple[dict, str | None]]:
    """The store's documents whose hash differs from ``indexed`` (id -> hash), with the old
    hash (None: new). Counts every document in ``summary`` and, once exhausted, leaves the ids
    no longer in the store in ``summary.gone`` (counted as deleted): the walk every engine's
    incremental update shares."""
    seen: set[str] = set()
    with Store(paths.db) as store:
        for doc in store_documents(store):
            seen.add(doc["id"])
            summary.by_kind[doc["kind"]] = summary.by_kind.get(doc["kind"], 0) + 1
            old = indexed.get(doc["id"])
            if old == doc["hash"]:
                summary.unchanged += 1
                continue
            summary.added += old is None
            summary.updated += old is not None
            yield doc, old
            if progress:
                progress(summary.added + summary.updated)
    summary.gone = sorted(set(indexed) - seen)
    summary.deleted += len(summary.gone)


def _update(paths: Paths, current: Path, progress) -> IndexSummary:
    ix = whoosh_index.open_dir(str(current))
    with ix.searcher() as searcher:
        indexed = {f["id"]: f["hash"] for f in searcher.all_stored_fields()}
    summary = IndexSummary(path=str(current), rebuilt=False)
    writer = _writer(ix)
    try:
        for doc, _old in changed_documents(paths, indexed, summary, progress):
            writer.update_document(**doc)
        for gone in summary.gone:
            writer.delete_by_term("id", gone)
        if summary.added or summary.updated or summary.deleted:
            writer.commit()
        else:
            writer.cancel()
    except BaseException:
        writer.cancel()
        raise
    return summary
