"""tantivy beside Whoosh and SQLite FTS5: build time, search latency with facets, agreement.

    .venv/bin/python -m bench.bench_engines                     # 10k, 100k and 1M excerpts
    .venv/bin/python -m bench.bench_engines 10000 100000        # some sizes only
    .venv/bin/python -m bench.bench_engines --work /tmp/eng ... # keep (and reuse) the stores

Each size runs in a fresh process (so ``ru_maxrss`` is that size's peak), builds pinned to
one core, on the synthetic corpus of ``indexer/synth.py`` (seed 42):

* tantivy (``build_index(engine="tantivy")``, entities off): build wall and CPU seconds, then
  the workload of ``bench/bench_search.py`` (10 queries x 5 rounds, facet counts for tag,
  annotator, site and year, snippets of the top 10, three with a tag filter) through
  :func:`indexer.search.search` with one searcher reused; the same without facets.
* Whoosh, the same, at sizes up to 100k (its 1M build takes hours).
* SQLite FTS5 (``bench.bench_search.run_fts5``): the yardstick, same queries and facets.
* Agreement: for each query, the hit sets (must be equal) and the top 20 by relevance of
  Whoosh and tantivy: overlap, Spearman's rho and Kendall's tau over the shared ids.
* At the smallest size, the two ways of analysing for tantivy (docs/engines.md): (a) our
  Python chain producing the tokens (what the engine does), (b) tantivy's own tokenizer and
  filters (regex words, lowercase, ASCII folding, French stop list, Snowball French): build
  time, words/s, pair-table score and how many workload hit sets differ from Whoosh's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.bench_search import FACETS, ROUNDS, WORKLOAD, dir_mb, run_fts5
from indexer.config import Paths
from indexer.documents import store_documents
from indexer.index import build_index
from indexer.search import open_searcher, search
from indexer.store import Store
from indexer.synth import populate

SIZES = [10_000, 100_000, 1_000_000]
WHOOSH_MAX = 100_000
TOP = 20


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def store_for(n: int, work: Path) -> Paths:
    """A home with ``n`` synthetic excerpts under ``work`` (made once, then reused)."""
    paths = Paths(work / f"home-{n}")
    marker = paths.home / "populated"
    if not marker.exists():
        shutil.rmtree(paths.home, ignore_errors=True)
        t0 = time.perf_counter()
        with Store(paths.db) as store:
            populate(store, n, seed=42)
        marker.write_text(f"{n} {time.perf_counter() - t0:.1f}\n")
    return paths


def timed_build(paths: Paths, engine: str, cpu_core: int) -> dict:
    """Build on one core (pinned), wall and CPU seconds; searches afterwards may use both."""
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu_core})
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = build_index(paths, rebuild=True, engine=engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        os.sched_setaffinity(0, cores)
    where = paths.index / "tantivy" if engine == "tantivy" else paths.index / "builds"
    return {"build_s": round(wall, 1), "build_cpu_s": round(cpu, 1), "docs": summary.added,
            "docs_per_s": round(summary.added / wall), "index_mb": dir_mb(where),
            "peak_rss_mb_after_build": peak_mb()}


def run_workload(paths: Paths, engine: str) -> dict:
    """Latency of the workload with and without facets; hit sets and top 20 per query."""
    with_facets, without, cpu, hits, tops = [], [], [], [], []
    with open_searcher(paths, engine=engine) as s:
        t0 = time.perf_counter()
        # the workload searches excerpts, as FTS5 does (the API's default adds descriptions)
        search(s, "", facets=FACETS, limit=1, scope="excerpts")  # fills the caches once
        warm = time.perf_counter() - t0
        for round_ in range(ROUNDS):
            for query, _, tag in WORKLOAD:
                filters = {"tag": [tag]} if tag else None
                start, start_cpu = time.perf_counter(), time.process_time()
                r = search(s, query, filters=filters, facets=FACETS, limit=10, scope="excerpts")
                with_facets.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                start = time.perf_counter()
                search(s, query, filters=filters, limit=10, scope="excerpts")
                without.append((time.perf_counter() - start) * 1000)
                if round_ == 0:
                    hits.append(r.total)
        for query, _, tag in WORKLOAD:
            filters = {"tag": [tag]} if tag else None
            r = search(s, query, filters=filters, limit=TOP, scope="excerpts")
            tops.append([h.row["id"] for h in r.hits])
    return {
        "cache_fill_ms": round(warm * 1000, 1),
        "p50_ms": round(report.median(with_facets), 2),
        "p95_ms": round(report.percentile(with_facets, 95), 2),
        "cpu_p50_ms": round(report.median(cpu), 2),
        "cpu_p95_ms": round(report.percentile(cpu, 95), 2),
        "nofacets_p50_ms": round(report.median(without), 2),
        "nofacets_p95_ms": round(report.percentile(without, 95), 2),
        "hits": hits, "top": tops, "peak_rss_mb_after_search": peak_mb(),
    }


def hit_sets(paths: Paths, engine: str) -> list[set[str]]:
    """Every hit id of each workload query (for the equality check)."""
    out = []
    with open_searcher(paths, engine=engine) as s:
        for query, _, tag in WORKLOAD:
            r = search(s, query, filters={"tag": [tag]} if tag else None, limit=1_000_000,
                       scope="excerpts",
                       context=0)
            out.append({h.row["id"] for h in r.hits})
    return out


def rank_agreement(a: list[str], b: list[str]) -> dict:
    """Overlap of two top lists, and Spearman's rho and Kendall's tau over their shared ids."""
    shared = [x for x in a if x in set(b)]
    out = {"overlap": round(len(shared) / max(1, min(len(a), len(b))), 3)}
    if len(shared) < 2:
        return out | {"spearman": None, "kendall": None}
    ra = {x: i for i, x in enumerate(sorted(shared, key=a.index))}
    rb = {x: i for i, x in enumerate(sorted(shared, key=b.index))}
    n = len(shared)
    d2 = sum((ra[x] - rb[x]) ** 2 for x in shared)
    concordant = sum(
        1 if (ra[x] - ra[y]) * (rb[x] - rb[y]) > 0 else -1
        for i, x in enumerate(shared) for y in shared[i + 1:])
    return out | {"spearman": round(1 - 6 * d2 / (n * (n * n - 1)), 3),
                  "kendall": round(concordant / (n * (n - 1) / 2), 3)}


def agreement(whoosh: dict, tantivy: dict) -> dict:
    rows = [rank_agreement(a, b) for a, b in zip(whoosh["top"], tantivy["top"])]

    def mean(key):
        values = [r[key] for r in rows if r[key] is not None]
        return round(sum(values) / len(values), 3) if values else None

    return {"per_query": rows, "overlap": mean("overlap"), "spearman": mean("spearman"),
            "kendall": mean("kendall")}


# -- option (b): tantivy's own analysis ---------------------------------------------------------


def native_analyzer():
    """tantivy's closest chain to ours: regex words, lowercase, ASCII folding, the folded
    French stop list plus elided articles, Snowball French."""
    import tantivy

    from indexer.analysis import ELISIONS, FRENCH_STOPS

    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(r"\w+"))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.custom_stopword(sorted(FRENCH_STOPS | set(ELISIONS))))
            .filter(tantivy.Filter.stemmer("french")).build())


def pair_scores() -> dict:
    """Pair-table rows (match / nomatch) passed by our chain and by tantivy's own."""
    from indexer import analysis

    native = native_analyzer()
    path = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "analysis_pairs.tsv"
    score = {"python": 0, "native": 0, "rows": 0}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expect, query, document, _ = line.split("\t")
        if expect not in ("match", "nomatch"):
            continue
        score["rows"] += 1
        ours = analysis.matches(analysis.french_analyzer(), query, document)
        wanted, have = native.analyze(query), set(native.analyze(document))
        theirs = bool(wanted) and all(w in have for w in wanted)
        score["python"] += ours == (expect == "match")
        score["native"] += theirs == (expect == "match")
    return score


def one_field_index(paths: Paths, tokenizer: str, analyzer, tokens):
    """(CPU seconds, index, its directory): the excerpts in one text field, analysed by
    ``tokens`` (our chain, option a) or by tantivy with ``analyzer`` (option b)."""
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("text", tokenizer_name=tokenizer)
    work = Path(tempfile.mkdtemp(prefix="option-"))
    index = tantivy.Index(sb.build(), path=str(work))
    if analyzer is not None:
        index.register_tokenizer(tokenizer, analyzer)
    t0 = time.process_time()
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    with Store(paths.db) as store:
        for doc in store_documents(store):
            if doc.kind == "excerpt":
                text = doc.text
                if tokens is not None:
                    text = tokens.analyse(text, "text_fr")[1]
                writer.add_document(tantivy.Document(id=doc.id, text=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return time.process_time() - t0, index, work


def analysis_options(paths: Paths, whoosh_sets: list[set[str]]) -> dict:
    """Option (a) vs (b): analysis speed, build time, pair table, workload hit sets."""
    from indexer.engines.tantivy.build import Tokens

    with Store(paths.db) as store:
        texts = [d.text for d in store_documents(store) if d.kind == "excerpt"]
    words = sum(len(t.split()) for t in texts)
    tokens = Tokens()
    t0 = time.process_time()
    for text in texts:
        tokens.analyse(text, "text_fr")
    python_s = time.process_time() - t0
    native = native_analyzer()
    t0 = time.process_time()
    for text in texts:
        native.analyze(text)
    native_s = time.process_time() - t0
    python_build_s, _, python_work = one_field_index(paths, "whitespace", None, Tokens())
    shutil.rmtree(python_work, ignore_errors=True)
    build_s, index, work = one_field_index(paths, "fr_native", native, None)
    searcher = index.searcher()
    differ = 0
    for (query, _, tag), expected in zip(WORKLOAD, whoosh_sets):
        if tag:
            continue  # the native index has no facets: compare unfiltered queries only
        q = index.parse_query(query, ["text"], conjunction_by_default=True)
        got = {searcher.doc(a)["id"][0] for _, a in searcher.search(q, 1_000_000).hits}
        differ += got != expected
    shutil.rmtree(work, ignore_errors=True)
    return {
        "excerpts": len(texts), "words": words,
        "python_words_per_s": round(words / python_s), "native_words_per_s": round(words / native_s),
        "native_build_cpu_s": round(build_s, 1), "python_build_cpu_s": round(python_build_s, 1),
        "pairs": pair_scores(),
        "native_sets_differing": differ,
        "unfiltered_queries": sum(1 for _, _, tag in WORKLOAD if not tag),
    }


# -- one size, in its own process -----------------------------------------------------------


def run_size(n: int, work: Path, options: bool, cpu_core: int = 0) -> dict:
    paths = store_for(n, work)
    out: dict = {"excerpts": n}
    out["tantivy"] = timed_build(paths, "tantivy", cpu_core)
    out["tantivy"] |= run_workload(paths, "tantivy")
    if n <= WHOOSH_MAX:
        out["whoosh"] = timed_build(paths, "whoosh", cpu_core)
        out["whoosh"] |= run_workload(paths, "whoosh")
        # Every hit of every query, decorated: slow above 10k; the totals are compared anyway.
        whoosh_sets = hit_sets(paths, "whoosh") if n <= 10_000 or options else None
        if whoosh_sets is not None:
            out["same_hit_sets"] = whoosh_sets == hit_sets(paths, "tantivy")
        out["same_totals"] = out["whoosh"]["hits"] == out["tantivy"]["hits"]
        out["agreement"] = agreement(out["whoosh"], out["tantivy"])
        if options and whoosh_sets is not None:
            out["analysis_options"] = analysis_options(paths, whoosh_sets)
    fts_work = Path(tempfile.mkdtemp(prefix="fts-", dir=work))
    try:
        out["fts5"] = run_fts5(paths.db, fts_work)
    finally:
        shutil.rmtree(fts_work, ignore_errors=True)
    out["peak_rss_mb"] = peak_mb()
    return out


def markdown(results: list[dict]) -> str:
    lines = [
        "tantivy (`--engine tantivy`) beside Whoosh and SQLite FTS5 on the synthetic corpus",
        f"(seed 42); the workload of `bench_search` ({len(WORKLOAD)} queries x {ROUNDS} rounds,",
        "facet counts for tag, annotator, site and year, snippets of the top 10), one searcher",
        "reused; each size in its own process, builds pinned to one core (the machine is shared:",
        "CPU time is given beside wall time; tantivy counts facets in a second thread). Build:",
        "wall (CPU) seconds; latencies: wall p50 / p95, then the p95 of the search's CPU time",
        "(all threads) and the wall p95 without facet counts.",
        "",
        "| excerpts | docs | tantivy build | tantivy p50 / p95 | CPU p95 / no-facets p95 "
        "| Whoosh build | Whoosh p50 / p95 | FTS5 build | FTS5 p50 / p95 | index MB t / W / F "
        "| peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t, w, f = r["tantivy"], r.get("whoosh"), r["fts5"]
        wb = f"{w['build_s']} s ({w['build_cpu_s']})" if w else "-"
        wl = f"{w['p50_ms']} / {w['p95_ms']} ms" if w else "-"
        wm = w["index_mb"] if w else "-"
        lines.append(
            f"| {r['excerpts']:,} | {t['docs']:,} | {t['build_s']} s ({t['build_cpu_s']}) "
            f"| {t['p50_ms']} / {t['p95_ms']} ms | {t.get('cpu_p95_ms', '-')} / "
            f"{t['nofacets_p95_ms']} ms | {wb} | {wl} "
            f"| {f['build_s']} s | {f['p50_ms']} / {f['p95_ms']} ms "
            f"| {t['index_mb']} / {wm} / {f['index_mb']} | {r['peak_rss_mb']} MB |")
    lines += ["", "| excerpts | same hit sets (all hits, 10k) | top-20 overlap | Spearman "
              "| Kendall |",
              "|---|---|---|---|---|"]
    for r in results:
        if "agreement" in r:
            a = r["agreement"]
            same = {True: "yes", False: "NO", None: "not compared"}[r.get("same_hit_sets")]
            if r.get("same_totals") is not None:
                same += " (totals differ)" if not r["same_totals"] else " (same totals)"
            lines.append(f"| {r['excerpts']:,} | {same} "
                         f"| {a['overlap']} | {a['spearman']} | {a['kendall']} |")
    for r in results:
        opt = r.get("analysis_options")
        if opt:
            p = opt["pairs"]
            lines += [
                "", f"Analysis for tantivy at {r['excerpts']:,} excerpts ({opt['words']:,} words):",
                "", "| option | analysis words/s (CPU) | one-field index of the excerpts, CPU s "
                "| pair table | workload sets ≠ Whoosh |",
                "|---|---|---|---|---|",
                f"| (a) our Python chain, tokens given to tantivy | {opt['python_words_per_s']:,} "
                f"| {opt['python_build_cpu_s']} | {p['python']}/{p['rows']} | 0 |",
                f"| (b) tantivy's own tokenizer and filters | {opt['native_words_per_s']:,} "
                f"| {opt['native_build_cpu_s']} | {p['native']}/{p['rows']} "
                f"| {opt['native_sets_differing']}/{opt['unfiltered_queries']} |",
            ]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=SIZES)
    parser.add_argument("--work", type=Path, help="Keep the stores here (reused next time).")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help="The core to pin each size to.")
    parser.add_argument("--options", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--merge", action="store_true",
                        help="Keep the other sizes of bench/results/engines.json.")
    parser.add_argument("--report-only", action="store_true",
                        help="Rewrite the docs section from bench/results/engines.json.")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.one:  # the child: one size, result as JSON on the last line
        n = args.sizes[0]
        print(json.dumps(run_size(n, work, options=args.options, cpu_core=args.cpu)), flush=True)
        return
    if args.report_only:  # the table again, from bench/results/engines.json
        results = json.loads((report.RESULTS / "engines.json").read_text())["sizes"]
        report.write("engines", {"sizes": results}, markdown(results))
        print(markdown(results))
        return
    results = []
    try:
        for i, n in enumerate(args.sizes):
            cmd = [sys.executable, "-m", "bench.bench_engines", "--one", "--work", str(work),
                   "--cpu", str(args.cpu), str(n)] + (["--options"] if i == 0 else [])
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"size {n} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps({k: v for k, v in results[-1].items() if k != "agreement"})[:600],
                  flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.merge and (report.RESULTS / "engines.json").exists():
        done = {r["excerpts"] for r in results}
        old = json.loads((report.RESULTS / "engines.json").read_text())["sizes"]
        results = sorted([r for r in old if r["excerpts"] not in done] + results,
                         key=lambda r: r["excerpts"])
    report.write("engines", {"sizes": results}, markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main(sys.argv[1:])
