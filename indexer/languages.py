"""The language of each bookmark's own words, for documents that have no article read.

An article's language is detected on its text when it is extracted (:mod:`indexer.extract`).
Most bookmarks of a real library were never fetched, or their page is gone: their excerpts,
description and notes still have a language, detected here on the bookmark's own text
(title, description, excerpts and notes together) and stored in ``bookmarks.language``, with
the hash of the text it was detected on so that an unchanged bookmark is never detected
twice. Too little text says ``und`` (undetermined): analysed by folding only, never taken for
French. The index reads the article's language first, then this one.

langdetect is random unless seeded: ``DetectorFactory.seed`` is set before every detection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from .pools import in_order, process_pool
from .progress import Progress
from .store import ARTICLE_READ, Store

UND_CHARS = 100  # below this, langdetect guesses; the language is 'und'
LANG_SAMPLE = 1000  # characters given to langdetect: 98/98 real pages as on whole texts at 500 too
BATCH = 200  # bookmarks per transaction

# Bookmarks whose article was read in a language need none of their own: the index takes the
# article's first (indexer.documents); at 1M excerpts this was about 6 of extract's 18 minutes.
_OWN_TEXT = f"""
SELECT b.id, b.title, b.description, b.language_hash,
       (SELECT group_concat(e.text, char(10)) FROM excerpts e WHERE e.bookmark_id = b.id),
       (SELECT group_concat(n.text, char(10)) FROM notes n WHERE n.bookmark_id = b.id)
FROM bookmarks b
WHERE NOT EXISTS (SELECT 1 FROM articles ar WHERE ar.bookmark_id = b.id AND {ARTICLE_READ}
                  AND COALESCE(ar.language, 'und') <> 'und')
ORDER BY b.id
"""


def detect_language(text: str, min_chars: int = UND_CHARS) -> tuple[str, float | None]:
    """``(ISO 639-1 code, probability)`` by langdetect, deterministic; ``('und', None)`` when
    the text is shorter than ``min_chars`` or has no letters. Long texts are sampled: the
    middle :data:`LANG_SAMPLE` characters."""
    if len(text.strip()) < min_chars:
        return "und", None
    if len(text) > LANG_SAMPLE:  # the middle of the text: no title or byline, 40% less time
        middle = len(text) // 2
        text = text[middle - LANG_SAMPLE // 2 : middle + LANG_SAMPLE // 2]
    DetectorFactory.seed = 0  # langdetect samples at random: a fixed seed makes it repeatable
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", None
    return best.lang, round(best.prob, 4)


@dataclass
class LanguageSummary:
    """What one run of :func:`detect_bookmark_languages` did."""

    bookmarks: int = 0  # without an article read in a language (those need their own)
    detected: int = 0  # new or changed since the last run
    languages: dict[str, int] = field(default_factory=dict)  # of those detected


def detect_bookmark_languages(store: Store, progress: Progress | None = None,
                              workers: int = 1) -> LanguageSummary:
    """Detect and store the language of every bookmark whose own text is new or changed.

    The texts are read :data:`BATCH` bookmarks at a time (memory stays flat in the number of
    bookmarks); ``workers`` > 1 detects in that many processes, this one writing."""
    progress = progress or Progress()
    summary, todo = LanguageSummary(), []
    for bid, text, digest, known in _own_texts(store):
        summary.bookmarks += 1
        if digest != known:
            todo.append(bid)
    if not todo:
        return summary
    progress.start("languages", len(todo), "bookmark")
    batches = (todo[start : start + BATCH] for start in range(0, len(todo), BATCH))
    texts = ([(bid, text, digest) for bid, text, digest, _ in _own_texts(store, batch)]
             for batch in batches)
    try:
        for rows in _detected(texts, workers):
            for lang, _, _ in rows:
                summary.languages[lang] = summary.languages.get(lang, 0) + 1
            with store.transaction() as conn:
                conn.executemany("UPDATE bookmarks SET language=?, language_hash=? WHERE id=?",
                                 rows)
            summary.detected += len(rows)
            progress.advance(len(rows))
    finally:
        progress.finish()
    return summary


def _own_texts(store: Store, ids: list[str] | None = None):
    """(bookmark id, its own text, the text's hash, the hash last detected) of every bookmark,
    or of ``ids``."""
    sql, args = _OWN_TEXT, ()
    if ids is not None:
        sql = sql.replace("WHERE NOT EXISTS", f"WHERE b.id IN ({','.join('?' * len(ids))})"
                                              " AND NOT EXISTS")
        args = tuple(ids)
    for bid, title, description, known, excerpts, notes in store.conn.execute(sql, args):
        text = "\n".join(t for t in (title, description, excerpts, notes) if t)
        yield bid, text, hashlib.sha1(text.encode("utf-8")).hexdigest(), known


def _detect_batch(batch: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [(detect_language(text)[0], digest, bid) for bid, text, digest in batch]


def _detected(batches, workers: int):
    """``_detect_batch`` of each batch, in order: here, or in ``workers`` processes with a
    bounded look-ahead."""
    if workers <= 1:
        yield from map(_detect_batch, batches)
        return
    with process_pool(workers) as pool:
        calls = ((batch,) for batch in batches)
        for _, rows in in_order(pool, _detect_batch, calls, workers * 2):
            yield rows


def detect_languages(paths, progress: Progress | None = None,
                     workers: int = 1) -> LanguageSummary:
    """:func:`detect_bookmark_languages` on the store under ``paths`` (what ``indexer extract``
    and ``indexer build`` run after extracting)."""
    with Store(paths.db) as store:
        return detect_bookmark_languages(store, progress, workers)
