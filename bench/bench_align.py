"""Alignment speed per excerpt: exact and fuzzy paths on articles of 5k, 20k and 100k characters.

Articles are real extracted texts of ../shared/corpus/html joined and cut to size (our French
fixture repeated when ../shared is absent). Per size, 100 spans of 80-400 characters are
aligned unaltered (exact path) and with ~3% of characters edited plus a word changed (fuzzy
path, with and without word-seed anchoring), and 50 negative controls (orphan path). Yardstick:
``str.find`` of the unaltered span in the same article. The article's normalisation is done
once per article (a per-article cost, reported on its own).

Run: ``.venv/bin/python -m bench.bench_align``
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from bench import report
from indexer.align import AlignOptions, Target, align_excerpt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import alignset

SIZES = (5_000, 20_000, 100_000)
N_EXCERPTS = 100
N_NEGATIVE = 50


def corpus_text() -> str:
    html = ROOT.parent / "shared" / "corpus" / "html"
    if html.exists():
        texts = alignset.extract_texts(html, limit=60)
        return "\n".join(t for t, _ in texts.values())
    return ((ROOT / "tests" / "fixtures" / "align_fr.txt").read_text() + "\n") * 100


def timed(fn, *args, **kw) -> tuple[float, object]:
    began = time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - began) * 1000, out


def stats(ms: list[float]) -> dict:
    return {"median_ms": round(report.median(ms), 4), "p95_ms": round(report.percentile(ms, 95), 4),
            "n": len(ms)}


def run_size(corpus: str, size: int, rng: random.Random) -> dict:
    start = rng.randrange(0, max(1, len(corpus) - size))
    text = corpus[start:start + size]
    norm_ms, target = timed(Target.of, text)
    spans = [alignset.pick_span(text, rng) for _ in range(N_EXCERPTS)]
    unanchored = AlignOptions(anchor_above=10**9)
    exact, fuzzy, fuzzy_plain, find, orphan = [], [], [], [], []
    ok_exact = ok_fuzzy = 0
    for s, e in spans:
        span = text[s:e]
        find.append(timed(text.find, span)[0])
        ms, a = timed(align_excerpt, span, target)
        exact.append(ms)
        ok_exact += a.method == "exact"
        edited = alignset.edited(span, rng)
        ms, a = timed(align_excerpt, edited, target)
        ok_fuzzy += a.method != "orphan"
        if a.strategy == "fuzzy":  # (a few edits miss every word and are found exactly)
            fuzzy.append(ms)
        fuzzy_plain.append(timed(align_excerpt, edited, target, options=unanchored)[0])
    others = [corpus[i:i + 200] for i in (rng.randrange(0, len(corpus) - 200) for _ in range(400))]
    for other in [o for o in others if o[20:60] not in text][:N_NEGATIVE]:
        orphan.append(timed(align_excerpt, other, target)[0])
    return {
        "chars": len(text), "normalize_article_ms": round(norm_ms, 2),
        "str_find": stats(find), "exact": stats(exact), "fuzzy_anchored": stats(fuzzy),
        "fuzzy_unanchored": stats(fuzzy_plain), "orphan": stats(orphan),
        "exact_found": ok_exact, "fuzzy_found": ok_fuzzy,
    }


def markdown(results: dict) -> str:
    lines = [
        "Per excerpt (80-400 characters), ms: median / p95. `str.find` of the unaltered span is "
        "the yardstick; the article's normalisation is a one-off per article.",
        "",
        "| article | str.find | exact | fuzzy (anchored) | fuzzy (no anchor) | orphan | "
        "normalise article |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, r in results.items():
        cell = lambda k: f"{r[k]['median_ms']:.3f} / {r[k]['p95_ms']:.3f}"
        lines.append(
            f"| {int(size) // 1000}k chars | {cell('str_find')} | {cell('exact')} | "
            f"{cell('fuzzy_anchored')} | {cell('fuzzy_unanchored')} | {cell('orphan')} | "
            f"{r['normalize_article_ms']:.1f} |")
    lines.append("")
    lines.append("Aligned: " + ", ".join(
        f"{int(s) // 1000}k unaltered {r['exact_found']}/{N_EXCERPTS}, edited {r['fuzzy_found']}/"
        f"{N_EXCERPTS}" for s, r in results.items()))
    return "\n".join(lines)


def main() -> None:
    rng = random.Random(42)
    corpus = corpus_text()
    results = {str(size): run_size(corpus, size, rng) for size in SIZES}
    text = markdown(results)
    report.write("align", {"results": results}, text)
    print(text)


if __name__ == "__main__":
    main()
