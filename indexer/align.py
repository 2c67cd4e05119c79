"""Placing every excerpt in its article: offsets, method, score, context, and orphan causes.

The library half (:func:`align_excerpt`) works on plain strings; the store half
(:func:`align_all`) is the ``align`` stage. Strategies, cheapest first (see docs/alignment.md):

1. **hint**: a stored alignment (its matched text, prefix and suffix) that still occurs in the
   article restricts the search to that spot, so re-aligning gives the same offsets;
2. **exact**: the excerpt found verbatim in match space (:mod:`indexer.normalize`); among
   several hits, the one whose surroundings agree with the known context wins, then the one
   nearest after the previous excerpt of the same bookmark (highlights come in reading order);
3. **pieces**: an excerpt with ellipsis markers (``...``, ``…``, ``[…]``, ``(...)``) is split
   and its pieces placed in order around the longest one; the span covers them all;
4. **fuzzy**: edlib infix alignment (``mode="HW"``), anchored on exact word seeds in long
   articles, accepted when its edits stay within a limit graded by length
   (:meth:`AlignOptions.limit`);
5. the same on the article's full-page **fallback** text when the main text misses
   (``in_main_text`` false; offsets then count in ``articles.fallback_text``); an exact match
   there beats a fuzzy one in the main text (the page is what was highlighted: a heading the
   extractor dropped would otherwise give a fuzzy span starting mid-word);
6. an excerpt not found in the live page at all is tried in the bookmark's **archived
   snapshots** (``snapshots``, stored by :mod:`indexer.snapshots`: the copy of the day it was
   saved); placed there, its alignment names the snapshot (``snapshot_id``) and its offsets
   count in that snapshot's text (see :func:`indexer.documents.placed_text`).

Scores are similarities: ``1 - edits / length`` of the excerpt in match space (1.0 = exact).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import edlib

from .normalize import Normalized, is_quote, normalize
from .pools import in_order, process_pool
from .progress import Progress
from .store import Store, now_iso

EXACT, FUZZY, ORPHAN = "exact", "fuzzy", "orphan"
CAUSES = ("no_url", "fetch_failed", "not_html", "extraction_empty", "not_found", "empty_excerpt")
ELLIPSIS = re.compile(r"\[\s*(?:…|\.{2,})\s*\]|\(\s*(?:…|\.{2,})\s*\)|…|\.{3,}")


@dataclass(frozen=True)
class AlignOptions:
    """Knobs of the aligner; the defaults come from measurement (docs/alignment.md)."""

    max_rate: float = 0.25  # most edits per match-space character of a fuzzy match...
    short_rate: float = 0.10  # ...or of one shorter than `short_below` characters
    short_below: int = 60
    min_fuzzy: int = 30  # shorter excerpts (and pieces) must match exactly
    context: int = 32  # characters of prefix and suffix stored
    anchor_above: int = 4000  # targets longer than this are searched around word seeds first
    batch_size: int = 200  # excerpts written per transaction
    force: bool = False  # re-align everything, stale or not

    def limit(self, length: int) -> int:
        """The most edits a fuzzy match of ``length`` match-space characters may carry."""
        if length < self.min_fuzzy:
            return 0
        rate = self.short_rate if length < self.short_below else self.max_rate
        return int(rate * length)


@dataclass
class Hint:
    """What is known of an excerpt's place: a stored alignment and/or the source's context."""

    exact: str | None = None  # the article text matched last time
    prefix: str | None = None
    suffix: str | None = None
    start: int | None = None  # offset of ``exact`` last time
    contexts: list[tuple[str, str]] = field(default_factory=list)  # other (prefix, suffix)


@dataclass
class Alignment:
    """Where one excerpt sits (or why it sits nowhere)."""

    method: str  # exact | fuzzy | orphan
    start: int | None = None
    end: int | None = None
    score: float | None = None
    matched_text: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    in_main_text: bool | None = None
    best_score: float | None = None
    orphan_cause: str | None = None
    strategy: str | None = None  # exact | pieces | fuzzy, "hint ..." when found through the
    # stored hint (diagnostic, not stored)
    snapshot_id: int | None = None  # placed in this archived snapshot, not the live page


class Target:
    """An article text prepared once: the original and its match space (computed on first
    use when made by :meth:`lazy`)."""

    def __init__(self, text: str, norm: Normalized | None = None):
        self.text = text
        self._norm = norm

    @property
    def norm(self) -> Normalized:
        if self._norm is None:
            self._norm = normalize(self.text)
        return self._norm

    @classmethod
    def of(cls, text: str) -> Target:
        """The text, normalised now."""
        return cls(text, normalize(text))

    @classmethod
    def lazy(cls, text: str) -> Target:
        """The text, normalised only if a search needs it."""
        return cls(text)


@dataclass
class _Match:
    start: int  # match space
    end: int
    edits: int
    length: int  # match-space length of what was aligned (for the rate)
    strategy: str

    @property
    def rate(self) -> float:
        return self.edits / self.length if self.length else 1.0


@dataclass
class _Context:
    pairs: list[tuple[str, str]]  # (prefix, suffix) in match space
    prev: int | None  # match-space end of the previous excerpt


# -- one excerpt --------------------------------------------------------------------------


def align_excerpt(
    excerpt: str,
    main: Target | str,
    fallback: Target | str | None = None,
    hint: Hint | None = None,
    prev_end: int | None = None,
    options: AlignOptions = AlignOptions(),
) -> Alignment:
    """Place ``excerpt`` in ``main`` (else in ``fallback``); ``prev_end`` is the original end
    offset in ``main`` of the previous excerpt of the same bookmark, if known.

    An exact match is looked for in both texts before any edited one: the fallback (the whole
    page, what the annotator highlighted) holding the excerpt verbatim says more than the main
    text holding it with edits."""
    query = normalize(excerpt)
    if not query.text:
        return Alignment(ORPHAN, orphan_cause="empty_excerpt")
    hint = hint or Hint()
    targets = [(_target(t), is_main) for t, is_main in ((main, True), (fallback, False))
               if t is not None]
    targets = [(t, is_main) for t, is_main in targets if t.text.strip()]
    best = None
    for exact in (True, False):
        for target, is_main in targets:
            prev = target.norm.to_match(prev_end) if is_main and prev_end is not None else None
            ctx = _Context(_contexts(hint), prev)
            match, rate = _locate(query, excerpt, target, hint, ctx, options, exact)
            if match is not None:
                return _result(match, target, excerpt, is_main, options)
            if rate is not None:
                best = rate if best is None else min(best, rate)
    score = None if best is None else round(max(0.0, 1.0 - best), 4)
    return Alignment(ORPHAN, best_score=score, orphan_cause="not_found")


def _target(t: Target | str) -> Target:
    return t if isinstance(t, Target) else Target.lazy(t)


def _locate(query: Normalized, excerpt: str, t: Target, hint: Hint, ctx: _Context,
            opts: AlignOptions, exact: bool) -> tuple[_Match | None, float | None]:
    """The first strategy that places the query (``exact``: the exact step alone, else the
    steps after it), and the best rate seen otherwise."""
    window = _hint_window(query.text, t, hint)
    if window is not None:
        match, _ = _search(query.text, excerpt, t.norm.text, *window, _Context([], None), opts,
                           exact)
        if match is not None:
            match.strategy = "hint " + match.strategy
            return match, match.rate
    return _search(query.text, excerpt, t.norm.text, 0, len(t.norm.text), ctx, opts, exact)


def _search(q: str, excerpt: str, t: str, lo: int, hi: int, ctx: _Context,
            opts: AlignOptions, exact: bool) -> tuple[_Match | None, float | None]:
    """In match-space ``t[lo:hi]``: exact (``exact``), else pieces, then fuzzy."""
    if exact:
        match = _exact(q, t, lo, hi, ctx)
        return match, (match.rate if match else None)
    match = _pieces(excerpt, t, lo, hi, ctx, opts) if ELLIPSIS.search(excerpt) else None
    best = None  # no fuzzy search tried: nothing to say about how close it came
    if match is None and len(q) >= opts.min_fuzzy:
        match, best = _fuzzy(q, t, lo, hi, ctx, opts)
    return match, (match.rate if match else best)


def _result(m: _Match, t: Target, excerpt: str, is_main: bool, opts: AlignOptions) -> Alignment:
    start, end = t.norm.span(m.start, m.end)
    start, end = _extend_quotes(t.text, start, end, excerpt)
    exact = m.strategy.endswith("exact") and m.edits == 0
    return Alignment(
        method=EXACT if exact else FUZZY,
        start=start,
        end=end,
        score=1.0 if exact else round(1.0 - m.rate, 4),
        matched_text=t.text[start:end],
        prefix=t.text[max(0, start - opts.context):start],
        suffix=t.text[end:end + opts.context],
        in_main_text=is_main,
        strategy=m.strategy,
    )


def _extend_quotes(text: str, start: int, end: int, excerpt: str) -> tuple[int, int]:
    """Take in the quote marks that match space turned to spaces, when the excerpt has them
    at its ends (``« mot »`` matched on ``mot`` becomes ``« mot »`` again)."""
    stripped = excerpt.strip()
    if stripped and is_quote(stripped[0]):
        i = start
        while i > 0 and (text[i - 1].isspace() or is_quote(text[i - 1])):
            i -= 1
            if is_quote(text[i]):
                start = i
                break
    if stripped and is_quote(stripped[-1]):
        i = end
        while i < len(text) and (text[i].isspace() or is_quote(text[i])):
            if is_quote(text[i]):
                end = i + 1
                break
            i += 1
    return start, end


# -- strategies ---------------------------------------------------------------------------


def _hint_window(q: str, t: Target, hint: Hint) -> tuple[int, int] | None:
    """The match-space window around the stored matched text, chosen by its stored context."""
    if not hint.exact:
        return None
    hits, at = [], t.text.find(hint.exact)
    while at >= 0 and len(hits) < 1000:
        hits.append(at)
        at = t.text.find(hint.exact, at + 1)
    if not hits:
        return None
    pre, suf = hint.prefix or "", hint.suffix or ""
    n = len(hint.exact)

    def agreement(h: int) -> tuple[int, int]:
        left = _common_suffix(t.text[max(0, h - len(pre)):h], pre)
        right = _common_prefix(t.text[h + n:h + n + len(suf)], suf)
        near = -abs(h - hint.start) if hint.start is not None else 0
        return left + right, near

    h = max(hits, key=agreement)
    lo, hi = t.norm.to_match(h), t.norm.to_match(h + n)
    margin = max(8, len(q) // 4)
    return max(0, lo - margin), min(len(t.norm.text), hi + margin)


def _exact(q: str, t: str, lo: int, hi: int, ctx: _Context) -> _Match | None:
    hits, at = [], t.find(q, lo, hi)
    while at >= 0 and len(hits) < 1000:
        hits.append(at)
        at = t.find(q, at + 1, hi)
    if not hits:
        return None
    h = _choose(hits, len(q), t, ctx)
    return _Match(h, h + len(q), 0, len(q), "exact")


def _choose(hits: list[int], n: int, t: str, ctx: _Context) -> int:
    """The hit whose context agrees best, then the nearest after the previous excerpt."""
    if len(hits) == 1:
        return hits[0]

    def key(h: int) -> tuple[int, int]:
        agree = 0
        for pre, suf in ctx.pairs:  # match-space contexts carry no space at the seam
            agree += _common_suffix(t[max(0, h - len(pre) - 1):h].rstrip(" "), pre)
            agree += _common_prefix(t[h + n:h + n + len(suf) + 1].lstrip(" "), suf)
        if ctx.prev is None:
            near = -h
        elif h >= ctx.prev:
            near = -(h - ctx.prev)
        else:  # behind the previous excerpt: possible, but after every hit ahead of it
            near = -(len(t) + ctx.prev - h)
        return agree, near

    return max(hits, key=key)


def _fuzzy(q: str, t: str, lo: int, hi: int, ctx: _Context, opts: AlignOptions,
           measure: bool = True) -> tuple[_Match | None, float]:
    """edlib infix alignment of ``q`` in ``t[lo:hi]``: (accepted match or None, best rate;
    the best rate of a miss is measured only when ``measure``)."""
    k = opts.limit(len(q))
    windows = _seed_windows(q, t, lo, hi, k) if hi - lo > opts.anchor_above else []
    found = []
    for wlo, whi in windows:
        found.extend(_edlib(q, t, wlo, whi, k))
    if found:  # keep the least edited of every window (a repeated passage has several)
        least = min(d for _, _, d in found)
        found = [f for f in found if f[2] == least]
    else:
        found = _edlib(q, t, lo, hi, k)
    if found:
        return _pick(found, q, t, ctx, "fuzzy"), found[0][2] / len(q)
    if not measure:
        return None, 1.0
    # An orphan: measure how close the best passage came, for the report.
    best = _edlib(q, t, lo, hi, -1)
    return None, (best[0][2] / len(q) if best else 1.0)


def _pick(found: list[tuple[int, int, int]], q: str, t: str, ctx: _Context,
          strategy: str) -> _Match:
    starts = {s: e for s, e, _ in found}
    s = _choose(sorted(starts), len(q), t, ctx)
    return _Match(s, starts[s], found[0][2], len(q), strategy)


def _edlib(q: str, t: str, lo: int, hi: int, k: int) -> list[tuple[int, int, int]]:
    """Best infix locations (start, end exclusive, edits) of ``q`` in ``t[lo:hi]``."""
    if hi <= lo:
        return []
    query, target = _small_alphabet(q, t[lo:hi])
    r = edlib.align(query, target, mode="HW", task="locations", k=k)
    if r["editDistance"] < 0:
        return []
    return [(lo + s, lo + e + 1, r["editDistance"]) for s, e in r["locations"]]


def _small_alphabet(q: str, t: str) -> tuple[str, str]:
    """edlib takes at most 256 symbols: characters absent from ``q`` can never match, so
    they may all share one symbol without changing any distance."""
    alphabet = set(q)
    if len(alphabet | set(t)) <= 256:
        return q, t
    if len(alphabet) > 255:  # a query of >255 distinct characters: fold the rarest together
        keep = sorted(alphabet, key=q.count, reverse=True)[:254]
        alphabet = set(keep)
        q = "".join(c if c in alphabet else "\x00" for c in q)
    other = "\x01" if "\x01" not in alphabet else "\x02"
    return q, "".join(c if c in alphabet else other for c in t)


def _seed_windows(q: str, t: str, lo: int, hi: int, k: int) -> list[tuple[int, int]]:
    """Windows of ``t`` around exact hits of three-word seeds of ``q`` (the 8 most voted, merged)."""
    slack = k + 16
    votes: dict[int, int] = {}
    for offset, seed in _seeds(q):
        at, seen = t.find(seed, lo, hi), 0
        while at >= 0 and seen < 20:
            origin = at - offset
            votes[origin // 64] = votes.get(origin // 64, 0) + 1
            at, seen = t.find(seed, at + 1, hi), seen + 1
    chosen = sorted(b for b, _ in sorted(votes.items(), key=lambda kv: -kv[1])[:8])
    windows: list[tuple[int, int]] = []
    for bucket in chosen:
        wlo = max(lo, bucket * 64 - slack)
        whi = min(hi, bucket * 64 + 64 + len(q) + slack)
        if windows and wlo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(whi, windows[-1][1]))
        else:
            windows.append((wlo, whi))
    return windows


def _seeds(q: str) -> Iterable[tuple[int, str]]:
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", q)]
    for i in range(0, max(0, len(words) - 2), 2):
        s, e = words[i][0], words[i + 2][1]
        if e - s >= 12:
            yield s, q[s:e]


def _pieces(excerpt: str, t: str, lo: int, hi: int, ctx: _Context,
            opts: AlignOptions) -> _Match | None:
    """Ellipsis-separated pieces placed in order around the longest one, in ``t[lo:hi]``."""
    pieces = [p for p in (normalize(x).text for x in ELLIPSIS.split(excerpt)) if p]
    if not pieces:
        return None
    main = max(range(len(pieces)), key=lambda i: len(pieces[i]))
    anchor = _exact(pieces[main], t, lo, hi, ctx)
    if anchor is None and len(pieces[main]) >= opts.min_fuzzy:
        anchor, _ = _fuzzy(pieces[main], t, lo, hi, ctx, opts, measure=False)
    if anchor is None:
        return None
    placed = {main: anchor}
    for i in range(main - 1, -1, -1):  # backwards: the nearest occurrence before
        m = _place(pieces[i], t, lo, placed[i + 1].start, opts, last=True)
        if m is None:
            return None
        placed[i] = m
    for i in range(main + 1, len(pieces)):  # forwards: the nearest occurrence after
        m = _place(pieces[i], t, placed[i - 1].end, hi, opts, last=False)
        if m is None:
            return None
        placed[i] = m
    edits = sum(m.edits for m in placed.values())
    length = sum(len(p) for p in pieces)
    if edits > opts.limit(length):
        return None
    return _Match(placed[0].start, placed[len(pieces) - 1].end, edits, length, "pieces")


def _place(p: str, t: str, lo: int, hi: int, opts: AlignOptions, last: bool) -> _Match | None:
    """One piece in ``t[lo:hi]``: exact first, then fuzzy; the last or first occurrence."""
    at = t.rfind(p, lo, hi) if last else t.find(p, lo, hi)
    if at >= 0:
        return _Match(at, at + len(p), 0, len(p), "exact")
    if len(p) < opts.min_fuzzy:
        return None
    k = opts.limit(len(p))
    found = _edlib(p, t, lo, hi, k)
    if not found:
        return None
    s, e, d = found[-1] if last else found[0]
    return _Match(s, e, d, len(p), "fuzzy")


def _contexts(hint: Hint) -> list[tuple[str, str]]:
    pairs = []
    if hint.prefix or hint.suffix:
        pairs.append((hint.prefix or "", hint.suffix or ""))
    pairs.extend(hint.contexts)
    return [(normalize(p).text, normalize(s).text) for p, s in pairs if p or s]


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


# -- the store stage ----------------------------------------------------------------------


@dataclass
class AlignSummary:
    """What one run of :func:`align_all` did."""

    excerpts: int = 0  # excerpts in the store
    aligned: int = 0  # alignments computed and written this run
    unchanged: int = 0  # up to date, left alone
    pending: int = 0  # their page is not fetched or not extracted yet: nothing written
    methods: dict[str, int] = field(default_factory=dict)  # of those written
    causes: dict[str, int] = field(default_factory=dict)  # orphan causes of those written
    seconds: float = 0.0


@dataclass
class _Snapshot:
    """An archived copy of the page, where excerpts the live page lost are looked for."""

    id: int
    url: str | None
    main: Target
    fallback: Target | None


@dataclass
class _Page:
    """What the store knows of one bookmark's page."""

    url: str | None
    cause: str | None  # orphan cause for all its excerpts, or None when there is text
    pending: bool = False
    text_hash: str | None = None
    version: str | None = None
    main: Target | None = None
    fallback: Target | None = None  # normalised only when a search needs it, once
    snapshots: list[_Snapshot] = field(default_factory=list)


_EXCERPTS = """
SELECT e.id, e.bookmark_id, e.seq, e.text, e.prefix AS h_prefix, e.suffix AS h_suffix,
       e.changed_at, b.url, a.method, a.start, a."end", a.matched_text, a.prefix, a.suffix,
       a.in_main_text, a.text_hash, a.extractor_version, a.orphan_cause, a.aligned_at,
       a.snapshot_id
FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
LEFT JOIN alignments a ON a.excerpt_id = e.id
WHERE e.bookmark_id >= ? AND e.bookmark_id <= ?
ORDER BY e.bookmark_id, e.seq
"""
CHUNK = 500  # bookmarks read at once: memory stays flat however big the store

_UPSERT = """
INSERT INTO alignments(excerpt_id, method, start, "end", score, matched_text, prefix, suffix,
    in_main_text, text_hash, extractor_version, fragment_url, orphan_cause, best_score,
    aligned_at, snapshot_id)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(excerpt_id) DO UPDATE SET method=excluded.method, start=excluded.start,
    "end"=excluded."end", score=excluded.score, matched_text=excluded.matched_text,
    prefix=excluded.prefix, suffix=excluded.suffix, in_main_text=excluded.in_main_text,
    text_hash=excluded.text_hash, extractor_version=excluded.extractor_version,
    fragment_url=excluded.fragment_url, orphan_cause=excluded.orphan_cause,
    best_score=excluded.best_score, aligned_at=excluded.aligned_at,
    snapshot_id=excluded.snapshot_id
"""


def align_all(store: Store, options: AlignOptions = AlignOptions(),
              progress: Progress | None = None, workers: int = 1) -> AlignSummary:
    """The align stage: every excerpt whose alignment is missing or stale gets one.

    Stale means: the article's ``text_hash`` or ``extractor_version`` differ from those the
    alignment was made on, the excerpt changed since, or its page's orphan cause changed.
    Excerpts whose page is not fetched or extracted yet are left for a later run. Writes one
    transaction per ``options.batch_size`` excerpts; ``progress`` (:mod:`indexer.progress`)
    hears of each excerpt.
    Bookmarks are read :data:`CHUNK` at a time; ``workers`` > 1 aligns them in that many
    processes (this process alone reads and writes the store).
    """
    began = time.perf_counter()
    summary = AlignSummary()
    batch: list[tuple] = []
    progress = progress or Progress()
    progress.start("align", store.conn.execute("SELECT COUNT(*) FROM excerpts").fetchone()[0],
                   "excerpt")
    for rows, results in _outcomes(store, options, workers):
        summary.excerpts += rows
        for kind, value in results:
            progress.advance(1, orphans=summary.methods.get("orphan", 0))
            if kind == "pending":
                summary.pending += 1
            elif kind == "unchanged":
                summary.unchanged += 1
            else:
                batch.append(value[0])
                _count(summary, value[1])
            if len(batch) >= options.batch_size:
                _write(store, batch)
                batch = []
    _write(store, batch)
    progress.finish()
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary


def _groups(store: Store) -> Iterable[tuple[list[dict], dict]]:
    """(excerpt rows, page row) per bookmark, read CHUNK bookmarks at a time."""
    last = ""
    while True:
        ids = [r[0] for r in store.conn.execute(
            "SELECT DISTINCT bookmark_id FROM excerpts WHERE bookmark_id > ?"
            " ORDER BY bookmark_id LIMIT ?", (last, CHUNK))]
        if not ids:
            return
        last = ids[-1]
        rows = [dict(r) for r in store.conn.execute(_EXCERPTS, (ids[0], ids[-1]))]
        start = 0
        for end in range(1, len(rows) + 1):
            if end == len(rows) or rows[end]["bookmark_id"] != rows[start]["bookmark_id"]:
                group = rows[start:end]
                yield group, _page_row(store, group[0]["bookmark_id"], group[0]["url"])
                start = end


def _outcomes(store: Store, options: AlignOptions, workers: int):
    """(number of rows, results) per bookmark, from this process or from a pool."""
    if workers <= 1:
        for rows, page in _groups(store):
            yield len(rows), _align_group(rows, page, options)
        return
    with process_pool(workers) as pool:
        calls = ((rows, page, options) for rows, page in _groups(store))
        for (rows, _, _), results in in_order(pool, _align_group, calls, workers * 8):
            yield len(rows), results


def _align_group(rows: list[dict], page_row: dict, options: AlignOptions) -> list[tuple]:
    """One bookmark's excerpts, in reading order: ("pending"|"unchanged"|"aligned", value)."""
    page = _page_of(page_row)
    out: list[tuple] = []
    prev_end = None
    for row in rows:
        if page.pending:
            out.append(("pending", None))
            continue
        if not options.force and not _stale(row, page):
            out.append(("unchanged", None))
            if row["in_main_text"] and row["end"] is not None and row["snapshot_id"] is None:
                prev_end = row["end"]
            continue
        result = _align_row(row, page, prev_end, options)
        if result.in_main_text and result.end is not None and result.snapshot_id is None:
            prev_end = result.end
        out.append(("aligned", (_values(row["id"], result, page), result)))
    return out


def _page_row(store: Store, bid: str, url: str | None) -> dict:
    """What the store holds of one bookmark's page (plain values, for a worker)."""
    art = store.conn.execute(
        "SELECT status, text, text_hash, fallback_text, extractor_version FROM articles"
        " WHERE bookmark_id=?", (bid,)).fetchone()
    fetch = None
    if art is None:
        fetch = store.conn.execute(
            "SELECT error FROM fetches WHERE bookmark_id=?", (bid,)).fetchone()
    snaps = store.conn.execute(
        "SELECT id, url, text, fallback_text, text_hash FROM snapshots WHERE bookmark_id=?"
        " AND status IN ('ok', 'tiny') ORDER BY id", (bid,)).fetchall() if art else []
    return {"url": url, "art": dict(art) if art else None,
            "fetched": fetch is not None, "fetch_error": fetch["error"] if fetch else None,
            "snapshots": [dict(r) for r in snaps]}


def _page(store: Store, row) -> _Page:
    """The page of ``row``'s bookmark: its texts, or why there are none."""
    return _page_of(_page_row(store, row["bookmark_id"], row["url"]))


def _page_of(p: dict) -> _Page:
    url, art = p["url"], p["art"]
    if art is None:
        if p["fetch_error"]:
            return _Page(url, "fetch_failed")
        if not p["fetched"] and not url:
            return _Page(url, "no_url")
        return _Page(url, None, pending=True)  # fetch or extract has yet to run
    if art["status"] == "not_html":
        return _Page(url, "not_html", version=art["extractor_version"])
    main, fallback = art["text"] or "", art["fallback_text"] or ""
    if not main.strip() and not fallback.strip():
        return _Page(url, "extraction_empty", text_hash=art["text_hash"],
                     version=art["extractor_version"])
    # The fallback is normalised only when an excerpt is not verbatim in the main text, and
    # then once for all the page's excerpts (normalising both texts up front was half of
    # the stage's time).
    snaps = p.get("snapshots") or []
    return _Page(url, None, text_hash=_texts_hash(art["text_hash"], snaps),
                 version=art["extractor_version"], main=Target.of(main),
                 fallback=Target.lazy(fallback) if fallback.strip() else None,
                 snapshots=[_Snapshot(s["id"], s["url"], Target.lazy(s["text"] or ""),
                                      Target.lazy(s["fallback_text"]) if s["fallback_text"]
                                      else None) for s in snaps])


def _texts_hash(article: str | None, snapshots: list[dict]) -> str | None:
    """What an alignment was made on: the article's text, and the archived snapshots' when
    the bookmark has some (a new snapshot makes its excerpts stale: its orphans get tried)."""
    if not snapshots:
        return article
    joined = "|".join([article or ""] + [f"{s['id']}:{s['text_hash'] or ''}" for s in snapshots])
    return "s-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _stale(row, page: _Page) -> bool:
    if row["method"] is None:
        return True
    if page.cause is not None:
        return row["method"] != ORPHAN or row["orphan_cause"] != page.cause
    return (row["text_hash"] != page.text_hash or row["extractor_version"] != page.version
            or (row["changed_at"] or "") > (row["aligned_at"] or ""))


def _align_row(row, page: _Page, prev_end: int | None, options: AlignOptions) -> Alignment:
    if page.cause is not None:
        return Alignment(ORPHAN, orphan_cause=page.cause)
    main = page.main if page.main and page.main.text.strip() else None
    result = align_excerpt(row["text"], main, page.fallback, _hint(row, None), prev_end, options)
    if result.orphan_cause != "not_found":
        return result
    for snap in page.snapshots:  # the copy of the day it was saved may still hold it
        found = align_excerpt(row["text"], snap.main if snap.main.text.strip() else None,
                              snap.fallback, _hint(row, snap.id), None, options)
        if found.method != ORPHAN:
            found.snapshot_id = snap.id
            return found
    return result


def _hint(row, snapshot_id: int | None) -> Hint:
    """The source's context, and the stored alignment if it was made in the same text."""
    hint = Hint(contexts=[(row["h_prefix"] or "", row["h_suffix"] or "")])
    if (row["method"] in (EXACT, FUZZY) and row["matched_text"]
            and row["snapshot_id"] == snapshot_id):
        hint.exact, hint.prefix, hint.suffix = row["matched_text"], row["prefix"], row["suffix"]
        hint.start = row["start"]
    return hint


def _values(excerpt_id: str, a: Alignment, page: _Page) -> tuple:
    from .fragments import fragment_url

    frag = None
    where: _Page | _Snapshot = page
    if a.snapshot_id is not None:  # a link into the archived copy, where the text is
        where = next(s for s in page.snapshots if s.id == a.snapshot_id)
    if a.method != ORPHAN and where.url:
        target = where.main if a.in_main_text else where.fallback
        # the terms come from the page as rendered, whichever text the offsets count in
        rendered = where.fallback.text if where.fallback else None
        frag = fragment_url(where.url, target.text, a.start, a.end, page_text=rendered)
    in_main = None if a.in_main_text is None else int(a.in_main_text)
    return (excerpt_id, a.method, a.start, a.end, a.score, a.matched_text, a.prefix, a.suffix,
            in_main, page.text_hash, page.version, frag, a.orphan_cause, a.best_score, now_iso(),
            a.snapshot_id)


def _count(summary: AlignSummary, a: Alignment) -> None:
    summary.aligned += 1
    summary.methods[a.method] = summary.methods.get(a.method, 0) + 1
    if a.orphan_cause:
        summary.causes[a.orphan_cause] = summary.causes.get(a.orphan_cause, 0) + 1


def _write(store: Store, batch: list[tuple]) -> None:
    if batch:
        with store.transaction() as conn:
            conn.executemany(_UPSERT, batch)


def orphans(store: Store) -> list[dict]:
    """Every excerpt the live page does not hold: each orphan with its cause, best score
    seen, bookmark title and URL; and each excerpt found only in an archived snapshot (cause
    ``not_found``, with ``archived_url`` and ``archived_date``: None for the others)."""
    rows = store.conn.execute(
        "SELECT e.id AS excerpt_id, e.bookmark_id, b.title, b.url,"
        " COALESCE(a.orphan_cause, 'not_found') AS cause, a.best_score, e.text,"
        " s.url AS archived_url, s.archive_date AS archived_date"
        " FROM alignments a JOIN excerpts e ON e.id = a.excerpt_id"
        " JOIN bookmarks b ON b.id = e.bookmark_id LEFT JOIN snapshots s ON s.id = a.snapshot_id"
        " WHERE a.method = 'orphan' OR a.snapshot_id IS NOT NULL"
        " ORDER BY cause, a.snapshot_id IS NOT NULL, b.title, e.seq")
    return [dict(r) for r in rows]
