"""Text-fragment links (``URL#:~:text=...``) that open an article scrolled to an excerpt.

Syntax per the WICG Scroll-to-Text-Fragment draft (https://wicg.github.io/scroll-to-text-fragment/):
``#:~:text=[prefix-,]textStart[,textEnd][,-suffix]``. Choices made here:

* the directive is built from the **article's own text** at the aligned offsets (not from the
  excerpt), widened to whole words, since browsers only match on word boundaries;
* whitespace runs become one space (the browser compares rendered text);
* **range form** (``textStart,textEnd`` of :data:`EDGE_WORDS` words each) when the quote is
  longer than :data:`LONG` characters or crosses a paragraph break (browsers do not match a
  single ``textStart`` across block elements); the end words are lengthened until their first
  occurrence after the start is the real end;
* ``prefix-`` and ``-suffix`` (:data:`CONTEXT_WORDS` words from the same paragraph) only when
  the start text occurs more than once in the article (compared case-insensitively, as
  browsers do);
* every character outside the unreserved set (``A-Z a-z 0-9 _ . ~``) is percent-encoded as
  UTF-8, ``-`` included, so ``-``, ``,`` and ``&`` never read as syntax;
* an existing fragment of the URL is replaced; no URL, no link.
"""

from __future__ import annotations

import re
from urllib.parse import quote

LONG = 300  # quotes longer than this use the range form
EDGE_WORDS = 4  # words in textStart / textEnd of the range form
CONTEXT_WORDS = 3  # words of prefix / suffix
_WS = re.compile(r"\s+")


def encode(term: str) -> str:
    """Percent-encode one directive term (``-``, ``,``, ``&`` and all non-unreserved)."""
    return quote(term, safe="").replace("-", "%2D")


def text_directive(text: str, start: int, end: int) -> str | None:
    """The ``text=...`` directive for ``text[start:end]``, or None if it holds no word."""
    s, e = _widen(text, start, end)
    quoted = text[s:e].strip()
    if not quoted:
        return None
    start_term, end_term = _terms(quoted)
    parts = [encode(start_term)]
    if end_term:
        parts.append(encode(end_term))
    if _occurrences(_fold(text), _fold(start_term)) > 1:
        prefix = _words(_line_before(text, s), CONTEXT_WORDS, last=True)
        suffix = _words(_line_after(text, e), CONTEXT_WORDS, last=False)
        if prefix:
            parts.insert(0, encode(prefix) + "-")
        if suffix:
            parts.append("-" + encode(suffix))
    return "text=" + ",".join(parts)


def fragment_url(url: str | None, text: str, start: int | None, end: int | None) -> str | None:
    """``url`` with its fragment replaced by a text directive for ``text[start:end]``."""
    if not url or start is None or end is None:
        return None
    directive = text_directive(text, start, end)
    if directive is None:
        return None
    return url.split("#", 1)[0] + "#:~:" + directive


def _terms(quoted: str) -> tuple[str, str | None]:
    """``(textStart, textEnd or None)`` for a quote (whitespace already in place)."""
    lines = [_collapse(x) for x in quoted.splitlines() if x.strip()]
    flat = " ".join(lines)
    if len(lines) == 1 and len(flat) <= LONG:
        return flat, None
    first, last = lines[0].split(" "), lines[-1].split(" ")
    start_term = " ".join(first[:EDGE_WORDS])
    rest = _fold(flat)[len(start_term):]
    for n in range(EDGE_WORDS, len(last) + 1):
        end_term = " ".join(last[-n:])
        folded = _fold(end_term)
        if rest.find(folded) == len(rest) - len(folded):
            return start_term, end_term
    if len(lines) == 1:  # no unambiguous end: the whole quote, long as it is
        return flat, None
    return start_term, lines[-1]


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` to whole words."""
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


def _line_before(text: str, at: int) -> str:
    return text[max(0, at - 200):at].rsplit("\n", 1)[-1]


def _line_after(text: str, at: int) -> str:
    return text[at:at + 200].split("\n", 1)[0]


def _words(chunk: str, n: int, last: bool) -> str:
    """The first or last ``n`` whole words of ``chunk`` (a cut word at the far end dropped)."""
    words = _collapse(chunk).split(" ")
    if last:
        words = words[1:] if len(chunk) == 200 else words
        return " ".join(w for w in words[-n:] if w)
    words = words[:-1] if len(chunk) == 200 else words
    return " ".join(w for w in words[:n] if w)


def _collapse(s: str) -> str:
    return _WS.sub(" ", s).strip()


def _fold(s: str) -> str:
    return _collapse(s).casefold()


def _occurrences(hay: str, needle: str) -> int:
    count, at = 0, hay.find(needle)
    while at >= 0 and count < 2:
        count += 1
        at = hay.find(needle, at + 1)
    return count
