"""Text-fragment links (``URL#:~:text=...``) that open an article scrolled to an excerpt.

Syntax per the WICG Scroll-to-Text-Fragment draft (https://wicg.github.io/scroll-to-text-fragment/):
``#:~:text=[prefix-,]textStart[,textEnd][,-suffix]``. A browser looks for each term in the page
**as rendered**, block by block, case-insensitively. Choices made here (docs/alignment.md):

* the terms are taken from the **page text** (``page_text``: the page's whole text as rendered,
  ``articles.fallback_text``, one line per block), not from the excerpt, nor from an extractor's
  text: the quote at the aligned offsets of ``text`` is found in the page text and the terms
  are the page's own characters there, widened to whole words (browsers match whole words).
  So trafilatura's furniture (the ``- `` of list items, the ``|`` of table cells) never gets
  into a term, and whitespace is the page's own: runs of spaces fold to one, as CSS renders
  them, but a non-breaking space stays a character (``«&nbsp; c’est`` is two characters wide on
  screen, and a term with one space there does not match). Called with ``text`` alone, that
  text is taken to be the page;
* **range form** (``textStart,textEnd`` of :data:`EDGE_WORDS` words each) when the quote is
  longer than :data:`LONG` characters or crosses a block (browsers do not match a single term
  across block elements); the end words are lengthened until their first occurrence after the
  start is the real end;
* ``prefix-`` and ``-suffix`` (:data:`CONTEXT_WORDS` words of the same block, else of the
  neighbouring one) only when the start text occurs more than once **in the page text**
  (compared as browsers do: case-insensitively, no-break spaces as spaces, soft hyphens
  ignored, never across blocks);
* every character outside the unreserved set (``A-Z a-z 0-9 _ . ~``) is percent-encoded as
  UTF-8, ``-`` included, so ``-``, ``,`` and ``&`` never read as syntax;
* an existing fragment of the URL is replaced; no URL, no link.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote, urlsplit

LONG = 300  # quotes longer than this use the range form
EDGE_WORDS = 4  # words in textStart / textEnd of the range form
CONTEXT_WORDS = 3  # words of prefix / suffix
CONTEXT_CHARS = 200  # how far prefix and suffix words are looked for
_COLLAPSIBLE = re.compile(r"[ \t\r\f\n]+")  # what CSS folds; U+00A0 and its kin stay
_BROWSER_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u00ad": None})
# trafilatura's plain-text furniture: list markers ("- ", indented two spaces per level),
# table rows ("| a | b |"), the rule under a table head, and pipes escaped inside cells
_MARKER = re.compile(r"[ \t]*- ")
_RULE = re.compile(r"\|(?:-{3}\|)+[ \t]*")
# inside a word for browsers (UAX #29 MidLetter, MidNumLet; MidNum only between digits)
_MID_NUM = ",;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54\uff0c\uff1b"
_MID = "'’.\u00b7\u2024\u2027\ufe52\ufe55\uff07\uff0e" + _MID_NUM


def http_link(url: str | None) -> str | None:
    """``url`` (stripped) if it may become a link: http or https, with a host, no white space;
    else None. Exports and pages hold ``javascript:`` and ``data:`` URLs and relative paths:
    every page and digest shows those as text, never as links."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    ok = parts.scheme.lower() in ("http", "https") and parts.netloc and not re.search(r"\s", url)
    return url if ok else None


def encode(term: str) -> str:
    """Percent-encode one directive term (``-``, ``,``, ``&`` and all non-unreserved)."""
    return quote(term, safe="").replace("-", "%2D")


def text_directive(text: str, start: int, end: int, page_text: str | None = None) -> str | None:
    """The ``text=...`` directive for ``text[start:end]``, or None if it holds no word.

    ``page_text`` is the page as rendered when ``text`` is an extraction of it (the terms then
    come from the page); without it, ``text`` is the page."""
    page = text if page_text is None else page_text
    if page is text or page == text:
        span = _widen(text, start, end)
    else:
        span = locate_in_page(text, *_widen(text, start, end), page)
    if span is None:  # the extractor moved text around: the quote's ends, found one by one
        return _apart(text, start, end, page)
    s, e = _widen(page, *span)
    lines = _lines(page[s:e])
    if not lines:
        return None
    return _directive(page, *_terms(lines), s, e)


def fragment_url(url: str | None, text: str, start: int | None, end: int | None,
                 page_text: str | None = None) -> str | None:
    """``url`` with its fragment replaced by a text directive for ``text[start:end]``
    (``page_text``: see :func:`text_directive`)."""
    if not url or start is None or end is None:
        return None
    directive = text_directive(text, start, end, page_text)
    if directive is None:
        return None
    return url.split("#", 1)[0] + "#:~:" + directive


def locate_in_page(text: str, start: int, end: int, page: str) -> tuple[int, int] | None:
    """Where ``text[start:end]`` (an extraction's text) sits in ``page``: the same words with
    any whitespace between them, the extractor's furniture left out; among several places,
    the one whose surroundings agree with the extraction's. None when the words are not there."""
    cleaned = _clean(text, start, end)
    for words in (cleaned.split(), text[start:end].replace("\\|", "|").split()):
        if not words:
            return None
        hits = _runs(words, page)
        if hits:
            return max(hits, key=lambda h: _agreement(text, start, end, page, h))
    return None


def _runs(words: list[str], page: str) -> list[tuple[int, int]]:
    """The matches ``re.finditer`` gives of ``\\s+``.join(words) in ``page``. Beyond two
    words, found on the page's words instead: compiling a pattern per excerpt was a third of
    the alignment's time. The first word may end a page word, the last begin one, the others
    are whole page words, so every match holds the second word as a page word."""
    if len(words) <= 2:
        return [m.span() for m in re.finditer(r"\s+".join(map(re.escape, words)), page)]
    spans, texts, where = _page_words(page)
    first, last, inner, n = words[0], words[-1], words[1:-1], len(words)
    hits: list[tuple[int, int]] = []
    for k in where.get(words[1], ()):
        i = k - 1
        if i < 0 or i + n > len(texts) or not texts[i].endswith(first):
            continue
        if texts[i + 1 : i + n - 1] != inner or not texts[i + n - 1].startswith(last):
            continue
        hit = (spans[i][1] - len(first), spans[i + n - 1][0] + len(last))
        if not hits or hit[0] >= hits[-1][1]:  # finditer's matches do not overlap
            hits.append(hit)
    return hits


@lru_cache(maxsize=4)
def _page_words(page: str):
    """The spans and texts of the page's words (runs of non-space), and where each word is,
    for the last few pages: the excerpts of one article are placed one after the other."""
    found = list(re.finditer(r"\S+", page))
    where: dict[str, list[int]] = {}
    for k, m in enumerate(found):
        where.setdefault(m.group(), []).append(k)
    return [m.span() for m in found], [m.group() for m in found], where


def _directive(page: str, start_term: str, end_term: str | None, s: int, e: int) -> str:
    """The directive of terms found at ``page[s:e]``, with context when the start repeats."""
    parts = [encode(start_term)]
    if end_term:
        parts.append(encode(end_term))
    if _occurrences(page, start_term) > 1:
        before, after = _context(page, s, e)
        prefix = _words(before, CONTEXT_WORDS, last=True)
        suffix = _words(after, CONTEXT_WORDS, last=False)
        if prefix:
            parts.insert(0, encode(prefix) + "-")
        if suffix:
            parts.append("-" + encode(suffix))
    return "text=" + ",".join(parts)


def _apart(text: str, start: int, end: int, page: str) -> str | None:
    """A directive for a quote whose words are not in one run of the page (trafilatura moved
    a block into it): its first words and, after them in the page, its last words, each found
    inside one block; the extraction's own words when even the first are not in the page."""
    start, end = _widen(text, start, end)
    lines = _lines(_clean(text, start, end))
    if not lines:
        return None
    heads = _find_words(lines[0].split(" ")[:EDGE_WORDS], page, 0)
    if not heads:  # nothing to anchor on: what the extraction says (it may still match)
        return _directive(page, *_terms(lines), 0, 0)
    head = max(heads, key=lambda h: _agreement(text, start, start, page, (h[0], h[0])))
    tail = next(iter(_find_words(lines[-1].split(" ")[-EDGE_WORDS:], page, head[1])), None)
    if tail is None or len(lines) == 1 and len(lines[0].split(" ")) <= EDGE_WORDS:
        return _directive(page, _render(page[slice(*head)]), None, *head)
    return _directive(page, _render(page[slice(*head)]), _render(page[slice(*tail)]),
                      head[0], tail[1])


def _find_words(words: list[str], page: str, at: int) -> list[tuple[int, int]]:
    """The places at or after ``at`` where ``words`` follow each other in one block."""
    pattern = r"[^\S\n]+".join(re.escape(w) for w in words if w)
    if not pattern:
        return []
    return [(m.start(), m.end()) for m in re.compile(pattern).finditer(page, at)]


def _context(page: str, s: int, e: int) -> tuple[str, str]:
    """The text before and after ``page[s:e]`` in its own block; the neighbouring blocks'
    when its block has nothing on either side (a prefix may sit in the block before: only
    whitespace must separate it from the start, but a block may be hidden on screen, so the
    quote's own block, which the reader saw, comes first)."""
    lo = _word_after(page, max(0, s - CONTEXT_CHARS))
    hi = _word_before(page, min(len(page), e + CONTEXT_CHARS))
    head, _, before = page[lo:s].rpartition("\n")
    after, _, tail = page[e:hi].partition("\n")
    if before.strip() or after.strip():
        return before, after
    return head.rsplit("\n", 1)[-1], tail.split("\n", 1)[0]


def _lines(chunk: str) -> list[str]:
    rendered = (_render(x) for x in chunk.split("\n"))
    return [x for x in rendered if x]


def _render(s: str) -> str:
    """One block's text as a browser shows it: collapsible whitespace folded."""
    return _COLLAPSIBLE.sub(" ", s).strip()


def _word_after(text: str, lo: int) -> int:
    """``lo``, or past the word it cuts."""
    while 0 < lo < len(text) and not text[lo - 1].isspace() and not text[lo].isspace():
        lo += 1
    return lo


def _word_before(text: str, hi: int) -> int:
    """``hi``, or before the word it cuts."""
    while 0 < hi < len(text) and not text[hi - 1].isspace() and not text[hi].isspace():
        hi -= 1
    return hi


def _clean(text: str, start: int, end: int) -> str:
    """``text[start:end]`` without trafilatura's furniture, line by line (a line's kind is
    read from the whole line, so a quote starting mid-row still loses its pipes)."""
    out, line_start = [], text.rfind("\n", 0, start) + 1
    while True:
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        s, e = max(start, line_start) - line_start, min(end, line_end) - line_start
        out.append(_clean_part(text[line_start:line_end], s, e))
        if line_end >= end:
            return "\n".join(out)
        line_start = line_end + 1


def _clean_part(line: str, s: int, e: int) -> str:
    """``line[s:e]`` without the furniture the whole ``line`` shows."""
    if _RULE.fullmatch(line):
        return ""
    if line.startswith("|"):  # a table row: pipes are cell borders, "\|" a pipe of the page
        return " ".join(w.replace("\\|", "|") for w in line[s:e].split() if w != "|")
    marker = _MARKER.match(line)
    if marker and s < marker.end():
        s = marker.end()
    return line[s:e] if e > s else ""


def _agreement(text: str, start: int, end: int, page: str, hit: tuple[int, int]) -> tuple:
    """How well the page around ``hit`` agrees with the text around ``[start, end)``: common
    characters before and after, whitespace aside; then the earlier hit."""
    left = _common(_squash(text[max(0, start - 80):start])[::-1],
                   _squash(page[max(0, hit[0] - 80):hit[0]])[::-1])
    right = _common(_squash(text[end:end + 80]), _squash(page[hit[1]:hit[1] + 80]))
    return left + right, -hit[0]


def _squash(s: str) -> str:
    return re.sub(r"[\s|]+", "", s).casefold()


def _common(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


# -- the terms ----------------------------------------------------------------------------


def _terms(lines: list[str]) -> tuple[str, str | None]:
    """``(textStart, textEnd or None)`` for a quote's rendered lines."""
    flat = " ".join(lines)
    if len(lines) == 1 and len(flat) <= LONG:
        return flat, None
    first, last = lines[0].split(" "), lines[-1].split(" ")
    start_term = " ".join(first[:EDGE_WORDS]).strip()
    rest = _fold(flat)[len(_fold(start_term)):]
    for n in range(EDGE_WORDS, len(last) + 1):
        end_term = " ".join(last[-n:]).strip()
        folded = _fold(end_term)
        if rest.find(folded) == len(rest) - len(folded):
            return start_term, end_term
    if len(lines) == 1:  # no unambiguous end: the whole quote, long as it is
        return flat, None
    return start_term, lines[-1]


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` to whole words, as browsers cut words (Unicode word boundaries:
    ``l’économie``, ``aujourd’hui``, ``U.S`` and ``1,6`` are one word each, and a term that
    ends inside one, ``Quai d``, matches nothing)."""
    while 0 < start < len(text) and _joined(text, start):
        start -= 1
    while 0 < end < len(text) and _joined(text, end):
        end += 1
    return start, end


def _joined(text: str, i: int) -> bool:
    """Is there no word boundary between ``text[i - 1]`` and ``text[i]`` (UAX #29, roughly:
    letters and digits hold together, so do their combining marks, and so do two of them on
    either side of an apostrophe or a full stop, or of a comma between digits)?"""
    a, b = text[i - 1], text[i]
    if _word_char(a) and _word_char(b):
        return True
    if b in _MID and _word_char(a) and i + 1 < len(text) and _word_char(text[i + 1]):
        return b not in _MID_NUM or (a.isdigit() and text[i + 1].isdigit())
    if a in _MID and _word_char(b) and i >= 2 and _word_char(text[i - 2]):
        return a not in _MID_NUM or (b.isdigit() and text[i - 2].isdigit())
    return False


def _word_char(c: str) -> bool:
    return c.isalnum() or unicodedata.combining(c) > 0 or c == "_"


def _words(chunk: str, n: int, last: bool) -> str:
    """The first or last ``n`` words of ``chunk`` (whole words already)."""
    words = [w for w in _render(chunk).split(" ") if w]
    return " ".join(words[-n:] if last else words[:n]).strip()


def _fold(s: str) -> str:
    """What a browser compares: the rendered text case folded, no-break spaces as spaces (not
    merged with a neighbouring space: each is a character on screen), soft hyphens ignored;
    line breaks (block boundaries) kept, so that no occurrence spans two blocks."""
    lines = (_render(x).translate(_BROWSER_SPACES) for x in s.split("\n"))
    return "\n".join(lines).casefold()


@lru_cache(maxsize=4)
def _folded_page(page: str) -> str:
    return _fold(page)  # once per page: a page has several excerpts, each asks


def _occurrences(page: str, term: str) -> int:
    """How many times (0, 1, or 2 for "more") ``term`` occurs in ``page`` as a browser sees it."""
    hay, needle = _folded_page(page), _fold(term)
    count, at = 0, hay.find(needle)
    while at >= 0 and count < 2:
        count += 1
        at = hay.find(needle, at + 1)
    return count
