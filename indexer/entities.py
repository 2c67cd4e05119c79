"""Named entities (people, organisations, places) of French excerpts and descriptions.

spaCy's ``fr_core_news_sm`` finds them; they are stored in the ``entities`` table, once per
text: ``entity_runs`` remembers the hash of the text and the model that analysed it, so an
unchanged text is never analysed twice. spaCy is imported only by :func:`load_model`, when
something is pending (its start-up costs about a second): a search never imports it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from .config import Paths
from .pools import in_order, process_pool
from .progress import Progress
from .store import ARTICLE_READ, DOCUMENT_LANGUAGE, FOUND_LANGUAGE, Store

MODEL = "fr_core_news_sm"
LABELS = ("PER", "ORG", "LOC")
BATCH = 64  # texts per spaCy call, per transaction and per task of a worker
RULES = 3  # bump when _entities() changes, so that stored runs are redone

# French texts: excerpts and descriptions whose document language (the index's own rule,
# indexer.store.DOCUMENT_LANGUAGE: the article's, else the bookmark's own words') is French;
# a text of undetermined language is not French. Each comes with the hash and model of its
# last run, a page of one table at a time, by rowid, so that no read stays open while the
# runs are written (an open read would keep the WAL from being checkpointed: it grew to
# 900 MB in the first 140k texts of 1M).
_FRENCH = f"{DOCUMENT_LANGUAGE} LIKE 'fr%'"
_UNKNOWN = f"{FOUND_LANGUAGE} IS NULL"  # never looked for
_EXCERPTS = f"""FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
    LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id AND {ARTICLE_READ}"""
_DESCRIPTIONS = f"""FROM bookmarks b
    LEFT JOIN articles ar ON ar.bookmark_id = b.id AND {ARTICLE_READ}"""
_PAGES = (
    f"""SELECT e.rowid, e.id, e.text, r.text_hash, r.model {_EXCERPTS}
    LEFT JOIN entity_runs r ON r.doc_id = e.id
    WHERE e.rowid > ? AND {_FRENCH} ORDER BY e.rowid LIMIT ?""",
    f"""SELECT b.rowid, b.id, b.description, r.text_hash, r.model {_DESCRIPTIONS}
    LEFT JOIN entity_runs r ON r.doc_id = b.id
    WHERE b.rowid > ? AND b.description <> '' AND {_FRENCH} ORDER BY b.rowid LIMIT ?""",
)
# The texts analysed once that are French no more (an article read since, in another
# language), or gone: their entities are dropped.
_STALE = f"""SELECT doc_id FROM entity_runs EXCEPT
    SELECT e.id {_EXCERPTS} WHERE {_FRENCH} EXCEPT
    SELECT b.id {_DESCRIPTIONS} WHERE b.description <> '' AND {_FRENCH}"""
PAGE = 2000  # texts read at once
# The model's components that finding entities does not need.
_UNUSED = ("tok2vec", "morphologizer", "parser", "senter", "attribute_ruler", "lemmatizer")


@dataclass
class EntitySummary:
    """What one entity run did."""

    texts: int = 0  # French texts considered
    analysed: int = 0  # of which new or changed, run through spaCy
    entities: int = 0  # entity rows written for those
    dropped: int = 0  # texts analysed before, French no more or gone: their entities deleted
    others: int = 0  # excerpts and descriptions not French (or undetermined): not analysed
    unknown: int = 0  # of which no language looked for yet (`indexer extract` detects it)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def model_tag() -> str:
    """The model, its installed version and our rules: a run by another tag is redone.

    Read from the package metadata, so that checking what is pending never imports spaCy.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version(MODEL.replace("_", "-"))
    except PackageNotFoundError:
        installed = "?"
    return f"{MODEL}-{installed}/rules{RULES}"


def french_texts(store: Store, page: int = PAGE
                 ) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(doc_id, text, hash and model of its last run or None) of every French text, read
    ``page`` at a time (memory stays flat in the number of texts)."""
    for sql in _PAGES:
        last = 0
        while rows := store.conn.execute(sql, (last, page)).fetchall():
            for _, doc_id, text, known, by in rows:
                yield doc_id, text, known, by
            last = rows[-1][0]


def _checked(store: Store, tag: str) -> Iterator[tuple[str, str, str, bool]]:
    """(doc_id, text, hash, whether it is due) of every French text: due when never analysed,
    changed since, or analysed by another tag."""
    for doc_id, text, known, by in french_texts(store):
        digest = text_hash(text)
        yield doc_id, text, digest, (known, by) != (digest, tag)


def pending(store: Store, tag: str) -> Iterator[tuple[str, str, str]]:
    """(doc_id, text, hash) of the French texts due an analysis by ``tag``."""
    return ((doc_id, text, digest) for doc_id, text, digest, due in _checked(store, tag) if due)


def compute_entities(paths: Paths, progress: Progress | None = None,
                     workers: int = 1) -> EntitySummary:
    """Find PER/ORG/LOC entities of new or changed French texts and store them; drop those
    of texts analysed before that are no longer French, or gone (:func:`drop_stale`).

    Loads spaCy only when something is pending; ``workers`` > 1 analyses in that many
    processes, this one writing. Each batch of :data:`BATCH` texts is written in one
    transaction, replacing the entities of its texts. ``progress`` (:mod:`indexer.progress`)
    hears of each text analysed.
    """
    summary = EntitySummary()
    progress = progress or Progress()
    with Store(paths.db) as store:
        summary.dropped = drop_stale(store)
        model = model_tag()
        todo = 0
        for *_, due in _checked(store, model):  # a first pass, to count them
            summary.texts += 1
            todo += due
        every, summary.unknown = _texts(store)
        summary.others = every - summary.texts - summary.unknown
        if not todo:
            return summary
        progress.start("entities", todo, "text")
        try:
            for batch, found in _analysed(_batches(pending(store, model)), workers):
                summary.entities += _write(store, batch, found, model)
                summary.analysed += len(batch)
                progress.advance(len(batch))
        finally:
            progress.finish()
    return summary


def _texts(store: Store) -> tuple[int, int]:
    """(excerpts and descriptions in every language, those of them whose language nothing
    has looked for yet: no article read, the bookmark's own words not yet detected)."""
    return store.conn.execute(
        f"""SELECT (SELECT COUNT(*) FROM excerpts)
                 + (SELECT COUNT(*) FROM bookmarks WHERE description <> ''),
                   (SELECT COUNT(*) {_EXCERPTS} WHERE {_UNKNOWN})
                 + (SELECT COUNT(*) {_DESCRIPTIONS} WHERE b.description <> '' AND {_UNKNOWN})
        """).fetchone()


def drop_stale(store: Store) -> int:
    """Delete the entities of the texts analysed before that are French no more, or gone;
    how many texts, in one transaction."""
    stale = store.conn.execute(_STALE).fetchall()  # read before taking the write lock
    if stale:
        with store.transaction() as conn:
            conn.executemany("DELETE FROM entities WHERE doc_id=?", stale)
            conn.executemany("DELETE FROM entity_runs WHERE doc_id=?", stale)
    return len(stale)


def _batches(rows: Iterator[tuple[str, str, str]]) -> Iterator[list[tuple[str, str, str]]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def _write(store: Store, batch, found: list[list[tuple[str, str]]], model: str) -> int:
    """Replace the entities of ``batch``'s texts by ``found``, in one transaction."""
    with store.transaction() as conn:
        for (doc_id, _, digest), ents in zip(batch, found):
            conn.execute("DELETE FROM entities WHERE doc_id=?", (doc_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO entities(doc_id, label, text) VALUES (?,?,?)",
                [(doc_id, label, text) for label, text in ents],
            )
            conn.execute(
                "INSERT OR REPLACE INTO entity_runs(doc_id, text_hash, model) VALUES (?,?,?)",
                (doc_id, digest, model),
            )
    return sum(len(ents) for ents in found)


def load_model():
    """spaCy's French model with only its entity recogniser, which has a token-to-vector
    layer of its own: the shared layer would cost a third of the time and change no entity.
    The parser stays out as before (its sentences would bound the entities)."""
    import spacy

    return spacy.load(MODEL, exclude=list(_UNUSED))


def find_entities(nlp, texts: list[str]) -> list[list[tuple[str, str]]]:
    """The (label, text) entities of each of ``texts``, sorted, as ``nlp`` finds them."""
    return [sorted(_entities(doc)) for doc in nlp.pipe(texts, batch_size=BATCH)]


def _analysed(batches, workers: int):
    """(batch, its entities) for each batch, in order: here, or in ``workers`` processes
    with a bounded look-ahead."""
    if workers <= 1:
        nlp = load_model()
        for batch in batches:
            yield batch, find_entities(nlp, [text for _, text, _ in batch])
        return
    with process_pool(workers, initializer=_start_worker) as pool:
        calls = ((batch,) for batch in batches)
        for (batch,), found in in_order(pool, _find_in_worker, calls, workers * 4):
            yield batch, found


# In a worker process only: the model, loaded once there by _start_worker.
_worker: dict = {}


def _start_worker() -> None:
    _worker["nlp"] = load_model()


def _find_in_worker(batch) -> list[list[tuple[str, str]]]:
    # The texts go back as entities only; the ids and hashes stay with the writer.
    return find_entities(_worker["nlp"], [text for _, text, _ in batch])


# "la France" and "France" are one place: drop a leading lowercase article (not "Le Monde").
_LEADING = re.compile(r"^(?:la|le|les|l['’]|du|des|de la|de l['’]|d['’])\s*")


def _entities(doc) -> set[tuple[str, str]]:
    out = set()
    for ent in doc.ents:
        text = _LEADING.sub("", " ".join(ent.text.split()).strip(" '’\"«»,.;:"))
        # Names start with a capital; the small model also tags stray words ("qu").
        if ent.label_ in LABELS and len(text) > 1 and text[0].isupper():
            out.add((ent.label_, text))
    return out
