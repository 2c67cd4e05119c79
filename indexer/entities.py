"""Named entities (people, organisations, places) of French excerpts and descriptions.

spaCy's ``fr_core_news_sm`` finds them; they are stored in the ``entities`` table, once per
text: ``entity_runs`` remembers the hash of the text and the model that analysed it, so an
unchanged text is never analysed twice. spaCy is imported only inside :func:`compute_entities`
(its start-up costs about a second): a search never imports it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .config import Paths
from .progress import Progress
from .store import Store

MODEL = "fr_core_news_sm"
LABELS = ("PER", "ORG", "LOC")
BATCH = 64
RULES = 3  # bump when _entities() changes, so that stored runs are redone

# French texts: excerpts and descriptions whose article is French, or that have no article.
_TEXTS = """
SELECT e.id AS doc_id, e.text AS text FROM excerpts e
LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id AND ar.status IN ('ok', 'tiny')
WHERE COALESCE(ar.language, 'fr') LIKE 'fr%'
UNION ALL
SELECT b.id, b.description FROM bookmarks b
LEFT JOIN articles ar ON ar.bookmark_id = b.id AND ar.status IN ('ok', 'tiny')
WHERE b.description <> '' AND COALESCE(ar.language, 'fr') LIKE 'fr%'
"""


@dataclass
class EntitySummary:
    """What one entity run did."""

    texts: int = 0  # French texts considered
    analysed: int = 0  # of which new or changed, run through spaCy
    entities: int = 0  # entity rows written for those


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


def pending(store: Store, tag: str) -> list[tuple[str, str, str]]:
    """(doc_id, text, hash) of French texts never analysed, changed since, or by another tag."""
    runs = {d: (h, m) for d, h, m in store.conn.execute(
        "SELECT doc_id, text_hash, model FROM entity_runs")}
    out = []
    for doc_id, text in store.conn.execute(_TEXTS):
        digest = text_hash(text)
        if runs.get(doc_id) != (digest, tag):
            out.append((doc_id, text, digest))
    return out


def compute_entities(paths: Paths, progress: Progress | None = None) -> EntitySummary:
    """Find PER/ORG/LOC entities of new or changed French texts and store them.

    Loads spaCy only when something is pending. Each batch is written in one transaction,
    replacing the entities of its texts. ``progress`` (:mod:`indexer.progress`) hears of each
    text analysed.
    """
    summary = EntitySummary()
    progress = progress or Progress()
    with Store(paths.db) as store:
        model = model_tag()
        todo = pending(store, model)
        summary.texts = store.conn.execute(f"SELECT COUNT(*) FROM ({_TEXTS})").fetchone()[0]
        if not todo:
            return summary
        import spacy

        # Only the entity recogniser is needed.
        nlp = spacy.load(MODEL, disable=["parser", "lemmatizer", "morphologizer",
                                         "attribute_ruler"])
        progress.start("entities", len(todo), "text")
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            docs = nlp.pipe([text for _, text, _ in batch])
            found = [(doc_id, _entities(doc)) for (doc_id, _, _), doc in zip(batch, docs)]
            with store.transaction() as conn:
                for (doc_id, ents), (_, _, digest) in zip(found, batch):
                    conn.execute("DELETE FROM entities WHERE doc_id=?", (doc_id,))
                    conn.executemany(
                        "INSERT OR IGNORE INTO entities(doc_id, label, text) VALUES (?,?,?)",
                        [(doc_id, label, text) for label, text in ents],
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO entity_runs(doc_id, text_hash, model)"
                        " VALUES (?,?,?)",
                        (doc_id, digest, model),
                    )
                    summary.entities += len(ents)
            summary.analysed += len(batch)
            progress.advance(len(batch))
        progress.finish()
    return summary


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
