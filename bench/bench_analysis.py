"""French analysis: each candidate chain's score on the pair table, and its throughput.

Run: ``.venv/bin/python -m bench.bench_analysis``. Writes bench/results/analysis.json, the
``analysis`` section of docs/benchmarks.md, and the score table in docs/analysis.md.

Throughput text: the bundled export (read as text), plus the French pages of ../shared when
present (their main text, extracted by trafilatura), repeated to about 200k words. Each chain
analyses it in ``RUNS`` rounds, taking turns; the first round fills the stem caches (reported
as "cold"), the median is over the warm rounds. Yardstick: ``str.lower().split()`` on the same
text, in the same rounds.
"""

from __future__ import annotations

import csv
import re
import time
from pathlib import Path

from bench import report
from indexer.analysis import CANDIDATES, matches
from indexer.stemmers import get_stemmer

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "fixtures" / "analysis_pairs.tsv"
EXPORT = ROOT / "corpus" / "exports" / "qn2019-association.txt"
SHARED_HTML = ROOT.parent / "shared" / "corpus" / "html"
ANALYSIS_DOC = ROOT / "docs" / "analysis.md"
TARGET_WORDS = 200_000
RUNS = 6
YARDSTICK = "str.lower().split() (yardstick)"


def load_pairs() -> list[tuple[str, str, str, str]]:
    lines = [ln for ln in PAIRS.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    return [tuple(ln.split("\t")) for ln in lines]


def score(make, pairs) -> dict:
    """Pairs passed per kind, and the ones failed, for one candidate chain."""
    analyzer = make()
    out = {"match": 0, "nomatch": 0, "known_as_wanted": 0, "failed": []}
    for expect, query, document, note in pairs:
        got = matches(analyzer, query, document)
        if expect == "known":
            out["known_as_wanted"] += got == note.startswith("match")
            continue
        if got == (expect == "match"):
            out[expect] += 1
        else:
            out["failed"].append(f"{query} / {document}")
    return out


def french_text() -> tuple[str, list[str]]:
    """About TARGET_WORDS words of French, and the sources it came from."""
    parts, sources = [EXPORT.read_text(encoding="utf-8")], [str(EXPORT.relative_to(ROOT))]
    manifest = SHARED_HTML / "MANIFEST.tsv"
    if manifest.exists():
        import trafilatura

        with manifest.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["language"] == "fr"]
        for row in rows:
            html = (SHARED_HTML / row["file"]).read_text(encoding="utf-8", errors="replace")
            parts.append(trafilatura.extract(html) or "")
        sources.append(f"../shared/corpus/html: {len(rows)} French pages")
    base = "\n".join(parts)
    words = len(base.split())
    return "\n".join([base] * max(1, TARGET_WORDS // words)), sources


def throughput(fns: dict, text: str, words: int) -> dict:
    """words/s of each function: RUNS rounds, the chains taking turns within a round so that
    the noise of a shared machine falls on all of them alike. The first round is the cold one
    (empty stem caches)."""
    rates = {name: [] for name in fns}
    for _ in range(RUNS):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(text)
            rates[name].append(words / (time.perf_counter() - start))
    return {name: {"cold": r[0], "median": report.median(r[1:]),
                   "slowest_warm": min(r[1:]), "runs": r} for name, r in rates.items()}


STEMMER_OF = {"light+fold (chosen)": "light-fr", "pystemmer-snowball+fold": "snowball-fr",
              "whoosh-snowball+fold": "whoosh-fr"}


def stemmer_speed(text: str) -> dict:
    """words/s of each stemmer alone, uncached, on the folded, stop-filtered words of ``text``."""
    words = [t.text for t in CANDIDATES["fold, no stemmer"]()(text[: len(text) // 4])]
    out = {}
    for chain, name in STEMMER_OF.items():
        stem, rates = get_stemmer(name), []
        for _ in range(3):
            start = time.perf_counter()
            for w in words:
                stem(w)
            rates.append(len(words) / (time.perf_counter() - start))
        out[chain] = report.median(rates)
    return out


def consume(analyzer):
    def run(text):
        for _ in analyzer(text):
            pass
    return run


def main() -> None:
    pairs = load_pairs()
    totals = {k: sum(1 for p in pairs if p[0] == k) for k in ("match", "nomatch", "known")}
    text, sources = french_text()
    words = len(text.split())
    scores = {name: score(make, pairs) for name, make in CANDIDATES.items()}
    fns = {YARDSTICK: lambda t: t.lower().split()}
    fns.update({name: consume(make()) for name, make in CANDIDATES.items()})
    speed = throughput(fns, text, words)
    for chain, rate in stemmer_speed(text).items():
        speed[chain]["stemmer_alone"] = rate
    markdown = render(scores, speed, totals, words, sources)
    report.write("analysis", {"pairs": totals, "scores": scores, "throughput": speed,
                              "words": words, "sources": sources}, markdown)
    replace_section(ANALYSIS_DOC, "analysis-scores", markdown)
    print(markdown)


def render(scores, speed, totals, words, sources) -> str:
    rows = ["| chain | must match | must not match | known cases as wished | words/s, median "
            "of warm runs (cold run) | yardstick / chain | stemmer alone, uncached, words/s |",
            "|---|---|---|---|---|---|---|"]
    base = speed[YARDSTICK]
    rows.append(f"| `str.lower().split()` (yardstick) | | | | {base['median']:,.0f} "
                f"({base['cold']:,.0f}) | 1 | |")
    for name, s in scores.items():
        sp = speed[name]
        alone = f"{sp['stemmer_alone']:,.0f}" if "stemmer_alone" in sp else ""
        rows.append(f"| {name} | {s['match']}/{totals['match']} | {s['nomatch']}/"
                    f"{totals['nomatch']} | {s['known_as_wanted']}/{totals['known']} | "
                    f"{sp['median']:,.0f} ({sp['cold']:,.0f}) | "
                    f"{base['median'] / sp['median']:.0f}x slower | {alone} |")
    failed = [f"- **{name}** failed: " + ("; ".join(s["failed"]) or "none")
              for name, s in scores.items()]
    head = (f"Pair table: `tests/fixtures/analysis_pairs.tsv`. Throughput on {words:,} words "
            f"of French ({'; '.join(sources)}), {RUNS} rounds with the chains taking turns; "
            "median words/s of the warm rounds, the first (cold cache) round in brackets. "
            "\"Known cases\" are the rows marked `known` in the table: documented weaknesses, "
            "scored but not required.")
    return "\n".join([head, "", *rows, "", *failed])


def replace_section(path: Path, name: str, body: str) -> None:
    """Replace the text between ``<!-- bench:NAME -->`` markers in ``path`` (if present)."""
    if not path.exists():
        return
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = path.read_text(encoding="utf-8")
    if start in text and end in text:
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        text = pattern.sub(lambda _: f"{start}\n{body.strip()}\n{end}", text)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
