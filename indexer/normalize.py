"""The match space: article and excerpt text normalised alike, with a map back to the original.

Highlights are copied from rendered pages, so they differ from the extracted text in ways that
do not change what is said. :func:`normalize` removes those differences, one character (or one
base character with its combining marks) at a time, and remembers for every match-space
character which original characters produced it:

* NFKC (``…`` → ``...``, ``ﬁ`` → ``fi``, no-break and narrow no-break spaces → space), then
  case folding (``ß`` → ``ss``);
* apostrophes and single quotes (``’ ‘ ʼ ′ ´```) → ``'``; dashes (``‐ ‑ ‒ – — ― −``) → ``-``;
* double quotes and guillemets (``" « » “ ” „ ‹ ›``) → a space: ``« mot »``, ``"mot"`` and
  ``d'"un`` / ``d'« un`` agree once spaces collapse and the rule below applies;
* zero-width characters, soft hyphens and byte-order marks dropped;
* whitespace runs → one space, none at either end, none before ``; : ! ? . , ) ]`` and none
  after ``' ( [`` (French typography puts a space there, many extractors and copy-pastes do
  not).

Offsets are Python string indices (code points), ends exclusive.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4\u0060\u201b\u02b9\uff07"
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
QUOTES = '"\u00ab\u00bb\u201c\u201d\u201e\u201f\u2039\u203a\u2033\u301d\u301e\uff02'
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"
NO_SPACE_BEFORE = ";:!?.,)]"
NO_SPACE_AFTER = "'(["

_MEMO: dict[str, str] = {}


@dataclass(frozen=True)
class Normalized:
    """A text in match space.

    ``starts[i]``/``ends[i]`` are the original offsets of the characters that produced
    ``text[i]``; ``length`` is the length of the original text.
    """

    text: str
    starts: list[int]
    ends: list[int]
    length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of match-space ``text[start:end]``."""
        if end <= start:
            at = self.starts[start] if start < len(self.starts) else self.length
            return at, at
        return self.starts[start], self.ends[end - 1]

    def to_match(self, offset: int) -> int:
        """The first match-space index whose original start is at or after ``offset``."""
        from bisect import bisect_left

        return bisect_left(self.starts, offset)


def fold_char(text: str) -> str:
    """The match-space form of one character (or one base character with its marks)."""
    cached = _MEMO.get(text)
    if cached is not None:
        return cached
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        if ch in APOSTROPHES:
            out.append("'")
        elif ch in DASHES:
            out.append("-")
        elif ch in INVISIBLE:
            continue
        elif ch in QUOTES or ch.isspace():
            out.append(" ")
        else:
            out.append(ch)
    folded = "".join(out)
    if len(_MEMO) < 100_000:
        _MEMO[text] = folded
    return folded


def _plain() -> tuple[re.Pattern, dict[int, str]]:
    """Characters that :func:`normalize` maps one to one with no rule about their neighbours
    (letters, digits, most signs of the Latin, Greek and Cyrillic blocks): a run of them, with
    single spaces and punctuation between them, is folded with one ``str.translate`` instead
    of a character at a time (2-3x faster on an article). The others, and any character a
    combining mark follows, take the general path."""
    table: dict[int, str] = {}
    for code in [*range(0x21, 0x250), *range(0x370, 0x530)]:
        ch = chr(code)
        if unicodedata.combining(ch):
            continue
        folded = fold_char(ch)
        if len(folded) == 1 and folded not in " " + NO_SPACE_BEFORE + NO_SPACE_AFTER:
            table[code] = folded
    plain = "[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]+"
    # Between them, in a run: one white-space character (a space in match space: it follows
    # a plain character or a closing sign, and a plain character follows it, so _emit keeps
    # it), and closing signs right after a plain character (no space to take away).
    before, space = "[" + re.escape(NO_SPACE_BEFORE) + "]", "[ \t\n]"
    table |= {ord(c): c for c in NO_SPACE_BEFORE} | {ord(c): " " for c in " \t\n"}
    return re.compile(f"{plain}(?:(?:{before}+{space}?|{space}){plain})*{before}*"), table


def normalize(text: str) -> Normalized:
    """``text`` in match space, with the map back to original offsets (see the module doc)."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cluster_at, cluster_mark = -1, 0  # where the last base character started, in text and out
    i, n = 0, len(text)
    while i < n:
        run = _PLAIN_RUN.match(text, i)
        if run is not None:
            j = run.end()
            if j < n and unicodedata.combining(text[j]):
                j -= 1  # the run's last character is the base of a mark: the general path
            if j > i:
                out.extend(text[i:j].translate(_PLAIN_TABLE))
                starts.extend(range(i, j))
                ends.extend(range(i + 1, j + 1))
                cluster_at, cluster_mark = j - 1, len(out) - 1
                i = j
                continue
        ch = text[i]
        if unicodedata.combining(ch) and cluster_at >= 0:
            # A combining mark composes with its base: redo the whole cluster.
            del out[cluster_mark:], starts[cluster_mark:], ends[cluster_mark:]
            _emit(out, starts, ends, fold_char(text[cluster_at:i + 1]), cluster_at, i + 1)
        else:
            folded = fold_char(ch)
            cluster_at, cluster_mark = (i, len(out)) if folded.strip() else (-1, 0)
            _emit(out, starts, ends, folded, i, i + 1)
        i += 1
    if out and out[-1] == " ":
        out.pop(), starts.pop(), ends.pop()
    return Normalized("".join(out), starts, ends, len(text))


def _emit(out: list[str], starts: list[int], ends: list[int], folded: str, s: int, e: int):
    for ch in folded:
        if ch == " ":
            if not out or out[-1] == " " or out[-1] in NO_SPACE_AFTER:
                continue  # collapse runs, and no leading space
        elif ch in NO_SPACE_BEFORE and out and out[-1] == " ":
            out.pop(), starts.pop(), ends.pop()
        out.append(ch)
        starts.append(s)
        ends.append(e)


_PLAIN_RUN, _PLAIN_TABLE = _plain()


def normalize_text(text: str) -> str:
    """Only the match-space string of ``text`` (no offset map)."""
    return normalize(text).text


def is_quote(ch: str) -> bool:
    """Whether ``ch`` is a double quote or guillemet (a mere space in match space)."""
    return ch in QUOTES
