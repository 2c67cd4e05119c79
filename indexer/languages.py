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

from .progress import Progress
from .store import Store

UND_CHARS = 100  # below this, langdetect guesses; the language is 'und'
LANG_SAMPLE = 2000  # characters given to langdetect: 98/98 right at 2000, same as whole texts
BATCH = 200  # bookmarks per transaction

_OWN_TEXT = """
SELECT b.id, b.title, b.description, b.language_hash,
       (SELECT group_concat(e.text, char(10)) FROM excerpts e WHERE e.bookmark_id = b.id),
       (SELECT group_concat(n.text, char(10)) FROM notes n WHERE n.bookmark_id = b.id)
FROM bookmarks b ORDER BY b.id
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

    bookmarks: int = 0
    detected: int = 0  # new or changed since the last run
    languages: dict[str, int] = field(default_factory=dict)  # of those detected


def detect_bookmark_languages(store: Store, progress: Progress | None = None) -> LanguageSummary:
    """Detect and store the language of every bookmark whose own text is new or changed."""
    progress = progress or Progress()
    summary, todo = LanguageSummary(), []
    for bid, title, description, known, excerpts, notes in store.conn.execute(_OWN_TEXT):
        summary.bookmarks += 1
        text = "\n".join(t for t in (title, description, excerpts, notes) if t)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if digest != known:
            todo.append((bid, text, digest))
    if todo:
        progress.start("languages", len(todo), "bookmark")
    for start in range(0, len(todo), BATCH):
        rows = []
        for bid, text, digest in todo[start : start + BATCH]:
            lang, _ = detect_language(text)
            rows.append((lang, digest, bid))
            summary.languages[lang] = summary.languages.get(lang, 0) + 1
        with store.transaction() as conn:
            conn.executemany("UPDATE bookmarks SET language=?, language_hash=? WHERE id=?", rows)
        summary.detected += len(rows)
        progress.advance(len(rows))
    if todo:
        progress.finish()
    return summary


def detect_languages(paths, progress: Progress | None = None) -> LanguageSummary:
    """:func:`detect_bookmark_languages` on the store under ``paths`` (what ``indexer extract``
    and ``indexer build`` run after extracting)."""
    with Store(paths.db) as store:
        return detect_bookmark_languages(store, progress)
