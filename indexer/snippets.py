"""Snippets: the piece of a hit's text around its first match, with the matched words marked.

A word is marked when its analysed form is one the query matches in that field
(:func:`indexer.querylang.highlights`): the document's language field (``text_fr``,
``text_en`` or ``text_fold``) and the exact field, read with the chains the index used. Both
engines' hits go through the same :class:`Snippets`, so they are marked alike.

Speed: our filters work one token at a time, so a text's tokens are its words' tokens shifted
by each word's offset; each distinct word goes through the chain once (:class:`WordCache`,
measured 10x faster than analysing each excerpt whole), and only the tokens a query matches
are kept (:class:`_Matching`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from . import analysis
from .documents import TEXT_FIELDS
from .results import Snippet

SNIPPET_CHARS = 240
_WORD = re.compile(analysis.WORD_PATTERN)
_CHAINS = {
    "text_fr": analysis.french_analyzer, "text_en": analysis.english_analyzer,
    "text_fold": analysis.folding_analyzer, "text_exact": analysis.exact_analyzer,
}


class _Span(NamedTuple):
    text: str
    startchar: int
    endchar: int


class WordCache:
    """An analyzer giving the same tokens and character spans as ``analyzer``, word by word.

    Only what :func:`match_spans` reads is produced (``text``, ``startchar``, ``endchar``).
    """

    def __init__(self, analyzer, cachesize: int = 200_000):
        self.analyzer = analyzer
        self.cachesize = cachesize
        self._cache: dict[str, tuple[tuple[str, int, int], ...]] = {}

    def tokens(self, word: str) -> tuple[tuple[str, int, int], ...]:
        """(text, start, end) of each token of one word (cached)."""
        found = self._cache.get(word)
        if found is not None:
            return found
        found = tuple((t.text, t.startchar, t.endchar)
                      for t in self.analyzer(word, chars=True, mode="index"))
        if len(self._cache) >= self.cachesize:
            self._cache.clear()
        self._cache[word] = found
        return found

    def __call__(self, text: str, chars: bool = True, mode: str = "index", **_):
        for match in _WORD.finditer(text):
            base = match.start()
            for token, start, end in self.tokens(match.group()):
                yield _Span(token, base + start, base + end)

    def only(self, wanted) -> _Matching:
        """This analyzer yielding only the tokens in ``wanted``: match_spans keeps no other."""
        return _Matching(self, wanted)


class _Matching:
    """A :class:`WordCache` that yields only the tokens a query matches."""

    def __init__(self, words: WordCache, wanted):
        self.words, self.wanted = words, wanted
        self._kept: dict[str, tuple] = {}  # word -> its matching tokens, for this query

    def __call__(self, text: str, chars: bool = True, mode: str = "index", **_):
        words, wanted, kept = self.words, self.wanted, self._kept
        for match in _WORD.finditer(text):
            word = match.group()
            tokens = kept.get(word)
            if tokens is None:
                tokens = kept[word] = tuple(t for t in words.tokens(word) if t[0] in wanted)
            base = match.start()
            for token, start, end in tokens:
                yield _Span(token, base + start, base + end)


class Snippets:
    """Makes the snippets of one searcher's hits; keep one per searcher (its word caches)."""

    def __init__(self) -> None:
        self.chains = {name: WordCache(make()) for name, make in _CHAINS.items()}

    def for_query(self, highlights: dict) -> dict:
        """``field -> analyzer`` keeping only what ``highlights`` (per field) matches."""
        return {name: self.chains[name].only(wanted) for name, wanted in highlights.items()}

    def make(self, text: str, language: str | None, highlights: dict, analyzers: dict,
             width: int = SNIPPET_CHARS) -> Snippet:
        """The snippet of ``text`` (see :func:`make_snippet`)."""
        return make_snippet(analyzers, text, language, highlights, width)


def match_spans(analyzers: dict, text: str, language: str | None, terms: dict,
                within: int | None = None) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose analysed form is one of the matched ``terms``.

    ``analyzers`` maps a field to its analyzer; ``terms`` a field to what it matches (a set,
    or a :class:`~indexer.querylang.Highlight`). ``within``: stop reading a field ``within``
    characters after its first match (a snippet window cannot reach further; analysing whole
    articles was a third of an article search).
    """
    lang_field = TEXT_FIELDS[analysis.chain_language(language)]
    spans = []
    for fieldname in (lang_field, "text_exact"):
        wanted = terms.get(fieldname)
        if not wanted:
            continue
        stop = None
        for token in analyzers[fieldname](text, chars=True, mode="index"):
            if stop is not None and token.startchar > stop:
                break
            if token.text in wanted:
                spans.append((token.startchar, token.endchar))
                if within is not None and stop is None:
                    stop = token.startchar + within
    return _merge(spans)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def make_snippet(analyzers: dict, text: str, language, terms: dict,
                 width: int = SNIPPET_CHARS) -> Snippet:
    """The text (or a window of ``width`` characters around the first match) with its spans."""
    within = width if len(text) > width else None
    spans = match_spans(analyzers, text, language, terms, within) if terms else []
    if len(text) <= width:
        return Snippet(text, spans)
    center = spans[0][0] if spans else 0
    start = max(0, center - width // 3)
    while start > 0 and not text[start - 1].isspace() and center - start < width // 2:
        start -= 1
    end = min(len(text), start + width)
    inner = [(a - start, b - start) for a, b in spans if a >= start and b <= end]
    prefix = "…" if start else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return Snippet(prefix + text[start:end] + suffix, [(a + shift, b + shift) for a, b in inner])
