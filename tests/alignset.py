"""The alignment test set: spans of real article texts, altered one way at a time.

:func:`build` extracts the text of real pages (``indexer.extract.extract_page``, the project's
own extraction) and, seeded, takes spans from each and alters them by category:

* ``unaltered``; ``typographic`` (’ « » – — “ ” …, in both directions); ``whitespace`` (NBSP,
  narrow NBSP, paragraph breaks, double spaces);
* ``edited`` (a few % of characters changed, a word inserted or removed); ``truncated``
  (characters cut at either end, mid-word); ``elided`` (a middle part replaced by ``[…]`` or
  ``(...)``);
* negative controls ``other_page`` (a span of another page) and ``shuffled`` (the words of a
  span of the same page, shuffled), which must come out as orphans;
* ``start``/``end`` (spans touching either end of the text) and ``paragraphs`` (a span
  crossing a paragraph break), which must align exactly like ``unaltered``.

Every case carries the span it should land on (``None`` for negative controls). Used by
tests/stages/test_align.py and by the measurements in docs/alignment.md
(``python -m tests.alignset`` prints them).
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EXACT_CATEGORIES = ("unaltered", "typographic", "whitespace", "start", "end", "paragraphs")
FUZZY_CATEGORIES = ("edited", "truncated", "elided")
NEGATIVE_CATEGORIES = ("other_page", "shuffled")
CATEGORIES = EXACT_CATEGORIES + FUZZY_CATEGORIES + NEGATIVE_CATEGORIES

MIN_TEXT = 1500  # pages with less main text are skipped
WORD = re.compile(r"[\w\u0300-\u036f]")  # combining marks belong to their letter


@dataclass
class Case:
    category: str
    doc: str  # key into AlignSet.texts
    excerpt: str
    start: int | None  # the span it should land on (None: must be an orphan)
    end: int | None


@dataclass
class AlignSet:
    texts: dict[str, str]
    fallbacks: dict[str, str]
    cases: list[Case]

    def by(self, category: str) -> list[Case]:
        return [c for c in self.cases if c.category == category]


def extract_texts(html_dir: Path, limit: int | None = None, seed: int = 7) -> dict:
    """``{name: (main text, fallback text)}`` of pages with enough main text."""
    from indexer.extract import extract_page

    files = sorted(p for p in html_dir.rglob("*.htm*") if p.is_file())
    random.Random(seed).shuffle(files)
    out = {}
    for path in files:
        ex = extract_page(path.read_bytes(), "text/html")
        if len(ex.text) >= MIN_TEXT:
            out[str(path.relative_to(html_dir))] = (ex.text, ex.fallback_text)
        if limit and len(out) >= limit:
            break
    return out


def build(html_dir: Path, pages: int = 40, per_page: int = 3, seed: int = 1234) -> AlignSet:
    """The test set over ``pages`` real pages, ``per_page`` cases per category and page."""
    extracted = extract_texts(html_dir, pages)
    return build_from(extracted, per_page, seed)


def build_from(extracted: dict, per_page: int = 3, seed: int = 1234) -> AlignSet:
    """The test set over already extracted ``{name: (text, fallback)}``."""
    rng = random.Random(seed)
    texts = {k: v[0] for k, v in extracted.items()}
    names = sorted(texts)
    cases: list[Case] = []
    for name in names:
        text = texts[name]
        for _ in range(per_page):
            cases.extend(_cases_for(name, text, texts, names, rng))
        cases.extend(_edge_cases(name, text, rng))
    return AlignSet(texts, {k: v[1] for k, v in extracted.items()}, cases)


def _cases_for(name: str, text: str, texts: dict, names: list[str], rng: random.Random):
    s, e = pick_span(text, rng)
    span = text[s:e]
    yield Case("unaltered", name, span, s, e)
    yield Case("typographic", name, typographic(span, rng), s, e)
    yield Case("whitespace", name, whitespace(span, rng), s, e)
    yield Case("edited", name, edited(span, rng), s, e)
    ts, te = truncated(text, s, e, rng)
    yield Case("truncated", name, text[ts:te], ts, te)
    yield Case("elided", name, elided(span, rng), s, e)
    yield Case("other_page", name, other_page(name, texts, names, rng), None, None)
    yield Case("shuffled", name, shuffled(span, rng), None, None)


def _edge_cases(name: str, text: str, rng: random.Random):
    s, e = pick_span(text[:400], rng, lo=60, hi=300, at_start=True)
    yield Case("start", name, text[s:e], s, e)
    tail = len(text) - 400
    s, e = pick_span(text[tail:], rng, lo=60, hi=300, at_end=True)
    yield Case("end", name, text[tail + s:tail + e], tail + s, tail + e)
    breaks = [m.start() for m in re.finditer(r"\w[.!?:]?\n+\w", text)]
    if breaks:
        b = rng.choice(breaks)
        s = _word_start(text, max(0, b - rng.randint(40, 150)))
        e = _word_end(text, min(len(text), b + rng.randint(40, 150)))
        yield Case("paragraphs", name, text[s:e], s, e)


def outside_cases(aset: AlignSet, per_page: int = 2, seed: int = 99,
                  pages: dict[str, str] | None = None) -> list[Case]:
    """Highlights a reader makes outside trafilatura's main text: a sentence of the page text
    the main text lacks (a caption, a chapeau, a teaser), alone (``outside``), or a heading
    the main text lacks followed by the start of the paragraph under it (``heading``: a
    heading the extractor dropped). Menus and button rows are nobody's highlight: lines
    qualify by :func:`prose_like` / :func:`heading_like`. Lines come from ``pages`` (say, the
    text a browser shows: a reader highlights only what is on screen), else from the fallback
    texts; offsets count in that text. A separate random stream: the other cases stay as
    they are."""
    from indexer.normalize import normalize_text

    rng = random.Random(seed)
    cases: list[Case] = []
    pages = pages or aset.fallbacks
    for name in sorted(aset.texts):
        page, main = pages[name], normalize_text(aset.texts[name])
        lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", page)]
        absent = [i for i, (s, e) in enumerate(lines) if normalize_text(page[s:e]) not in main]
        lone = [i for i in absent if prose_like(page[lines[i][0]:lines[i][1]])]
        for i in rng.sample(lone, min(per_page, len(lone))):
            cases.append(Case("outside", name, page[lines[i][0]:lines[i][1]], *lines[i]))
        heads = [i for i in absent if i + 1 < len(lines)
                 and heading_like(page[lines[i][0]:lines[i][1]])
                 and len(page[lines[i + 1][0]:lines[i + 1][1]]) >= 80
                 and normalize_text(page[lines[i + 1][0]:lines[i + 1][1]]) in main]
        for i in rng.sample(heads, min(per_page, len(heads))):
            s = lines[i][0]
            e = _word_end(page, min(lines[i + 1][1], lines[i + 1][0] + rng.randint(60, 160)))
            cases.append(Case("heading", name, page[s:e], s, e))
    return cases


_GLUED = re.compile(r"[a-zà-ÿ0-9][A-ZÀ-Þ]")  # "24La", "continuLe": two elements, no space


def prose_like(line: str) -> bool:
    """A sentence, not a menu: six words or more, mostly lower case, a comma or a final
    punctuation mark, and no words glued by markup."""
    words = line.split()
    lower = sum(w[:1].islower() for w in words)
    return (len(words) >= 6 and lower * 2 >= len(words) and bool(re.search(r"[,.!?…:»”]", line))
            and not _GLUED.search(line))


def heading_like(line: str) -> bool:
    """A heading: two to fifteen words, one of them a lower-case word, none glued by markup."""
    words = line.split()
    return (2 <= len(words) <= 15 and any(w[:1].islower() and len(w) > 2 for w in words)
            and not _GLUED.search(line))


# -- spans --------------------------------------------------------------------------------


def pick_span(text: str, rng: random.Random, lo: int = 80, hi: int = 400,
              at_start: bool = False, at_end: bool = False) -> tuple[int, int]:
    """A span of ``lo``..``hi`` characters starting at a word start and ending at a word end."""
    for _ in range(200):
        length = rng.randint(lo, hi)
        start = 0 if at_start else rng.randint(0, max(0, len(text) - length - 1))
        s = _word_start(text, start)
        e = len(text) if at_end else _word_end(text, min(len(text), s + length))
        if at_end:
            s = _word_start(text, max(0, len(text) - length))
        while e > s and not WORD.match(text[e - 1]):
            e -= 1
        if e - s >= lo * 0.8 and WORD.match(text[s]):
            return s, e
    raise ValueError("no span found")


def _word_start(text: str, i: int) -> int:
    while i < len(text) and (not WORD.match(text[i]) or (i > 0 and WORD.match(text[i - 1]))):
        i += 1
    return i


def _word_end(text: str, i: int) -> int:
    while i > 0 and (not WORD.match(text[i - 1]) or (i < len(text) and WORD.match(text[i]))):
        i -= 1
    return i


# -- alterations --------------------------------------------------------------------------

_TYPO = [("'", "\u2019"), ("\u2019", "'"), (" - ", " \u2013 "), (" \u2013 ", " - "),
         (" \u2014 ", " - "), ("...", "\u2026"), ("\u2026", "..."), ("\u00ab\u00a0", '"'),
         ("\u00a0\u00bb", '"'), ("\u201c", '"'), ("\u201d", '"')]


def typographic(span: str, rng: random.Random) -> str:
    """Apostrophes, dashes, ellipses and quotes swapped for their typographic twins."""
    out = span
    for a, b in _TYPO:
        out = out.replace(a, b)
    if out == span:  # nothing typographic: quotes as a French page shows them, accents decomposed
        out = re.sub(r'"([^"]+)"', "\u00ab\u00a0\\1\u00a0\u00bb", out)
        out = unicodedata.normalize("NFD", out)
    return out


def whitespace(span: str, rng: random.Random) -> str:
    """Spaces turned into NBSP, narrow NBSP, paragraph breaks and double spaces."""
    choices = ["\u00a0", "\u202f", "\n\n", "  ", " \n", "\t"]
    out = []
    for ch in span:
        if ch.isspace() and rng.random() < 0.3:
            out.append(rng.choice(choices))
        elif ch == "\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out).replace(" :", "\u202f:").replace(" ?", "\u00a0?")


def edited(span: str, rng: random.Random, rate: float = 0.03) -> str:
    """About ``rate`` of the characters substituted, deleted or inserted, and one word
    inserted or removed."""
    chars = list(span)
    for _ in range(max(1, int(len(chars) * rate))):
        i = rng.randrange(1, len(chars) - 1)
        op = rng.random()
        if op < 0.5:
            chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyzéè")
        elif op < 0.75:
            del chars[i]
        else:
            chars.insert(i, rng.choice("aeiourst"))
    words = "".join(chars).split(" ")
    if len(words) > 6:
        i = rng.randrange(2, len(words) - 2)
        if rng.random() < 0.5 and len(words[i]) <= 12 and "\n" not in words[i]:
            del words[i]
        else:
            words.insert(i, rng.choice(["très", "vraiment", "also", "donc", "indeed"]))
    return " ".join(words)


def truncated(text: str, s: int, e: int, rng: random.Random) -> tuple[int, int]:
    """The span with a few characters cut at either end (mid-word)."""
    ns = s + rng.randint(1, 8)
    ne = e - rng.randint(1, 8)
    while ns < ne and (text[ns].isspace() or unicodedata.combining(text[ns])):
        ns += 1  # a selection never starts inside a character's combining marks
    while ne > ns and text[ne - 1].isspace():
        ne -= 1
    return ns, ne


def elided(span: str, rng: random.Random) -> str:
    """A middle part of the span replaced by ``[…]`` or ``(...)``."""
    words = span.split(" ")
    if len(words) < 9:
        return span
    a = rng.randrange(3, len(words) - 5)
    b = rng.randrange(a + 1, len(words) - 3)
    marker = rng.choice(["[…]", "(...)", "[...]", "…"])
    return " ".join(words[:a] + [marker] + words[b:])


def other_page(name: str, texts: dict, names: list[str], rng: random.Random) -> str:
    """A span of another page that does not occur in this one."""
    from indexer.normalize import normalize_text

    mine = normalize_text(texts[name])
    for _ in range(50):
        other = rng.choice(names)
        if other == name:
            continue
        s, e = pick_span(texts[other], rng, lo=30, hi=250)
        if normalize_text(texts[other][s:e])[10:50] not in mine:
            return texts[other][s:e]
    raise ValueError("no foreign span found")


def shuffled(span: str, rng: random.Random) -> str:
    """The words of ``span`` in a random order (never the original one)."""
    words = span.split()
    for _ in range(20):
        rng.shuffle(words)
        if " ".join(words) != " ".join(span.split()):
            break
    return " ".join(words)


def right_span(start: int | None, end: int | None, case: Case, min_iou: float = 0.9) -> bool:
    """Whether a found span is the case's span: overlap over union at least ``min_iou``."""
    if start is None or case.start is None:
        return False
    inter = max(0, min(end, case.end) - max(start, case.start))
    union = max(end, case.end) - min(start, case.start)
    return union > 0 and inter / union >= min_iou


if __name__ == "__main__":  # print the rates the thresholds were chosen from
    import sys

    from indexer.align import AlignOptions, Target, align_excerpt
    from indexer.normalize import normalize_text
    from tests.conftest import SHARED

    aset = build(SHARED / "corpus" / "html", pages=int(sys.argv[1]) if len(sys.argv) > 1 else 40)
    loose = AlignOptions(max_rate=1.0, short_rate=1.0, min_fuzzy=1)
    targets = {k: Target.of(v) for k, v in aset.texts.items()}
    for cat in CATEGORIES:
        by_size: dict[str, list[float]] = {"<30": [], "30-59": [], ">=60": []}
        for c in aset.by(cat):
            a = align_excerpt(c.excerpt, targets[c.doc], options=loose)
            score = a.score if a.score is not None else a.best_score
            n = len(normalize_text(c.excerpt))
            size = "<30" if n < 30 else "30-59" if n < 60 else ">=60"
            if score is not None:
                by_size[size].append(1 - score)
        for size, rates in by_size.items():
            if rates:
                print(f"{cat:12} {size:>5} chars n={len(rates):4} edits/char"
                      f" min={min(rates):.3f} max={max(rates):.3f}")
