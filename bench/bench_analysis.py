"""French analysis: each candidate chain's score on the pair table, its throughput, and how the
chosen chain groups words compared with Apache Lucene's French stemmers.

Run: ``.venv/bin/python -m bench.bench_analysis``. Writes bench/results/analysis.json, the
``analysis`` section of docs/benchmarks.md, and the score and Lucene tables in docs/analysis.md.

Throughput text: the bundled export (read as text), plus the French pages of ../shared when
present (their main text, extracted by trafilatura), repeated to about 200k words. Each chain
analyses it in ``RUNS`` rounds, taking turns; the first round fills the stem caches (reported
as "cold"), the median is over the warm rounds. Yardstick: ``str.lower().split()`` on the same
text, in the same rounds.

Lucene comparison: Lucene's reference vocabularies in ../shared/corpus/analysis (test data,
read where it lies, never copied; skipped with a message when absent), measured with
:func:`grouping_agreement` for the current ``light-fr`` rules and the ones they replaced
(``light-fr-1``, frozen in indexer/stemmers_v1.py).
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from pathlib import Path

from bench import report
from indexer.analysis import CANDIDATES, french_chain, matches
from indexer.stemmers import get_stemmer

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "fixtures" / "analysis_pairs.tsv"
EXPORT = ROOT / "corpus" / "exports" / "qn2019-association.txt"
SHARED_HTML = ROOT.parent / "shared" / "corpus" / "html"
SHARED_ANALYSIS = ROOT.parent / "shared" / "corpus" / "analysis"
# Lucene's reference vocabularies: file -> which of Savoy's stemmers gave its stems.
VOCABULARIES = {
    "frlight.txt": "Savoy's light stemmer, Lucene's FrenchLightStemFilter",
    "frminimal.txt": "Savoy's minimal stemmer: plurals and feminines only",
}
# The French chain with each set of light-fr rules: before and after issue 14.
BEFORE_AFTER = {"before": "light-fr-1", "after": "light-fr"}
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


def load_reference(path: Path) -> dict[str, str]:
    """``word -> stem`` of one of Lucene's reference vocabularies (lines ``word<TAB>stem``)."""
    reference = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            word, stem = line.split("\t")
            reference[word] = stem
    return reference


def _pairs(groups: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in groups.values())


def grouping_agreement(reference: dict[str, str], analyzer) -> dict:
    """How ``analyzer`` groups the words of ``reference`` beside Lucene's stems.

    Each word is analysed alone (index mode); a word that gives no token (a stop word) is
    left out, on both sides. A *pair* is two distinct words: Lucene merges it when the
    reference gives both the same stem, we merge it when the analyzer gives both the same
    tokens. Pairs are counted per group: n words sharing a stem make n(n-1)/2 pairs.
    ``agreement`` is the share of Lucene's merged pairs that we merge too; ``extra_merges``
    the pairs we merge that Lucene keeps apart. Stems are compared as groupings, never as
    strings (Lucene's spelling of a stem is not ours).
    """
    tokens = {word: tuple(t.text for t in analyzer(word)) for word in reference}
    kept = [word for word in reference if tokens[word]]
    lucene = _pairs(Counter(reference[w] for w in kept))
    ours = _pairs(Counter(tokens[w] for w in kept))
    both = _pairs(Counter((reference[w], tokens[w]) for w in kept))
    return {"words": len(reference), "left_out": len(reference) - len(kept),
            "lucene_pairs": lucene, "our_pairs": ours, "merged_by_both": both,
            "agreement": both / lucene if lucene else float("nan"),
            "extra_merges": ours - both}


def lucene_comparison() -> dict | None:
    """:func:`grouping_agreement` of the French chain, before and after, on each reference
    vocabulary of ../shared; None (with a message) when ../shared does not hold them."""
    present = [name for name in VOCABULARIES if (SHARED_ANALYSIS / name).exists()]
    if not present:
        print(f"Lucene comparison skipped: no reference vocabulary in {SHARED_ANALYSIS}")
        return None
    out = {}
    for name in present:
        reference = load_reference(SHARED_ANALYSIS / name)
        out[name] = {when: {"stemmer": stemmer, **grouping_agreement(reference,
                                                                     french_chain(stemmer))}
                     for when, stemmer in BEFORE_AFTER.items()}
    return out


def render_lucene(lucene: dict | None) -> str:
    """The before/after table of :func:`lucene_comparison` (or why there is none)."""
    if lucene is None:
        return ("Lucene comparison skipped: no reference vocabulary in "
                "../shared/corpus/analysis (the shared test material is absent).")
    first = next(iter(lucene.values()))["after"]
    head = (f"Lucene's reference vocabularies (`../shared/corpus/analysis`, Apache Lucene's "
            f"test data, read in place): {first['words']:,} words each, of which "
            f"{first['left_out']} are stop words our chain drops (left out). Each word is "
            "analysed alone by the French chain (`french_chain(stemmer)`, folding then "
            "stemming). A pair is two words; Lucene merges it when it gives both the same "
            "stem, we merge it when our chain gives both the same token; pairs are counted "
            "per group (n words sharing a stem make n(n-1)/2 pairs). **Agreement**: the "
            "share of the pairs Lucene merges that we merge too. **Extra merges**: pairs we "
            "merge that Lucene keeps apart.")
    rows = ["| vocabulary | pairs Lucene merges | rules | agreement (pairs) | extra merges |",
            "|---|---|---|---|---|"]
    for name, runs in lucene.items():
        label = f"`{name}`, {VOCABULARIES[name]}"
        for when, r in runs.items():
            first_row = when == "before"
            rows.append(f"| {label if first_row else ''} | "
                        f"{format(r['lucene_pairs'], ',') if first_row else ''} | "
                        f"{when}: `{r['stemmer']}` | "
                        f"{r['agreement']:.1%} ({r['merged_by_both']:,}) | "
                        f"{r['extra_merges']:,} |")
    return "\n".join([head, "", *rows])


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
    lucene = lucene_comparison()
    lucene_md = render_lucene(lucene)
    report.write("analysis", {"pairs": totals, "scores": scores, "throughput": speed,
                              "words": words, "sources": sources, "lucene": lucene},
                 markdown + "\n\n" + lucene_md)
    replace_section(ANALYSIS_DOC, "analysis-scores", markdown)
    if lucene is not None:  # without ../shared, the doc keeps the last measured table
        replace_section(ANALYSIS_DOC, "analysis-lucene", lucene_md)
    print(markdown + "\n\n" + lucene_md)


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
