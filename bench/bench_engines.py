"""Our engines beside three yardsticks: build time, search latency with facets, agreement.

    .venv/bin/python -m bench.bench_engines                     # 10k, 100k and 1M excerpts
    .venv/bin/python -m bench.bench_engines 10000 100000        # some sizes only
    .venv/bin/python -m bench.bench_engines --work /tmp/eng ... # keep (and reuse) the stores

Each size runs in a fresh process (so ``ru_maxrss`` is that size's peak), builds pinned to
one core, on the synthetic corpus of ``indexer/synth.py`` (seed 42):

* tantivy (``build_index(engine="tantivy")``, entities off) and Whoosh (at sizes up to 100k:
  its 1M build takes hours): build wall and CPU seconds.
* The yardsticks of :mod:`bench.yardsticks`, on the same documents: raw tantivy (our index,
  no layer of ours), Xapian with its French stemmer, SQLite FTS5 written as a fair opponent.
* Three workloads (:data:`bench.yardsticks.WORKLOADS`): the 10 queries of
  ``bench/bench_search.py`` (three with a tag filter), FILTERED (a tag or a saved-date range
  on frequent words) and PHRASES; each query with facet counts for tag, annotator, site and
  year and the top 10 (snippets where the engine makes them), 5 rounds, every engine and
  yardstick taking its turn on each query (:func:`bench.yardsticks.measure`). Our engines
  go through :func:`indexer.search.search` with one searcher reused; also timed without
  facets.
* Agreement: for each query, the hit sets (must be equal) and the top 20 by relevance of
  Whoosh and tantivy: overlap, Spearman's rho and Kendall's tau over the shared ids; raw
  tantivy's totals and facet counts against ours (must be equal).
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

from bench import report, yardsticks
from bench.bench_search import ROUNDS, WORKLOAD, dir_mb
from indexer.config import Paths
from indexer.documents import store_documents
from indexer.index import build_index, current_dir
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


def parallel_build(paths: Paths, workers: int) -> dict:
    """The tantivy build again with ``workers`` processes analysing, on every core: wall and
    CPU seconds (this process and its workers), peak memory of them all (PSS), and the
    digest of its documents in order (:func:`documents_digest`)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    with report.PeakMemory() as memory:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = build_index(paths, rebuild=True, engine="tantivy", workers=workers)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (done.ru_utime + done.ru_stime) - (kids.ru_utime + kids.ru_stime)
    return {"workers": workers, "build_s": round(wall, 1), "build_cpu_s": round(cpu, 1),
            "docs": summary.added, "peak_pss_mb": memory.peak, "peak_anon_mb": memory.peak_anon,
            "digest": documents_digest(paths)}


def documents_digest(paths: Paths) -> str:
    """SHA-1 of the (id, hash) of every document of the tantivy build, in document order: two
    builds of the same store with the same digest hold the same documents in the same order."""
    import hashlib

    import tantivy

    searcher = tantivy.Index.open(str(current_dir(paths, "tantivy"))).searcher()
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
    digest = hashlib.sha1()
    for _, address in sorted(hits, key=lambda h: (h[1].segment_ord, h[1].doc)):
        doc = searcher.doc(address)
        digest.update(f"{doc.get_first('id')}\t{doc.get_first('hash')}\n".encode())
    return digest.hexdigest()


def run_workload(paths: Paths, engine: str) -> dict:
    """The workload without facet counts (wall p50 / p95) and each query's top 20 (for the
    agreement). With facets, it is measured in turns with the yardsticks (see
    :func:`bench.yardsticks.measure`)."""
    without, tops = [], []
    with open_searcher(paths, engine=engine) as s:
        search(s, "", limit=1, scope="excerpts")  # fills the caches once
        for _ in range(ROUNDS):
            for query, _, tag in WORKLOAD:
                filters = {"tag": [tag]} if tag else None
                start = time.perf_counter()
                search(s, query, filters=filters, limit=10, scope="excerpts")
                without.append((time.perf_counter() - start) * 1000)
        for query, _, tag in WORKLOAD:
            filters = {"tag": [tag]} if tag else None
            r = search(s, query, filters=filters, limit=TOP, scope="excerpts")
            tops.append([h.row["id"] for h in r.hits])
    return {
        "nofacets_p50_ms": round(report.median(without), 2),
        "nofacets_p95_ms": round(report.percentile(without, 95), 2),
        "top": tops, "peak_rss_mb_after_search": peak_mb(),
    }


def with_facets(figures: dict) -> dict:
    """The figures of the first workload under the keys of earlier runs (p50_ms, hits...)."""
    first = figures["workloads"]["workload"]
    return {k: first[k] for k in ("p50_ms", "p95_ms", "cpu_p50_ms", "cpu_p95_ms", "hits")}


def ratios(r: dict) -> dict:
    """p95 ratios per workload: ours / raw tantivy, and Whoosh / fair FTS5."""
    def ratio(a: str, b: str) -> dict:
        if a not in r or "workloads" not in r.get(b, {}):
            return {}
        wa, wb = r[a]["workloads"], r[b]["workloads"]
        return {w: round(wa[w]["p95_ms"] / wb[w]["p95_ms"], 2) for w in wa if wb[w]["p95_ms"]}

    return {"ours_raw_p95": ratio("tantivy", "raw_tantivy"),
            "whoosh_fts5_p95": ratio("whoosh", "fts5")}


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


def run_size(n: int, work: Path, options: bool, cpu_core: int = 0, workers: int = 2) -> dict:
    paths = store_for(n, work)
    out: dict = {"excerpts": n}
    out["tantivy"] = timed_build(paths, "tantivy", cpu_core)
    out["tantivy"]["digest"] = documents_digest(paths)
    if workers > 1:  # the index the searches use is this one
        out["tantivy_parallel"] = parallel_build(paths, workers)
    engines = ["tantivy"]
    if n <= WHOOSH_MAX:
        out["whoosh"] = timed_build(paths, "whoosh", cpu_core)
        engines.append("whoosh")
    yard_work = Path(tempfile.mkdtemp(prefix="yardsticks-", dir=work))
    try:  # the yardsticks' builds, then every engine and yardstick in turns
        for key, figures in yardsticks.run(paths, yard_work, engines, cpu_core).items():
            out[key] = out.get(key, {}) | figures
    finally:
        shutil.rmtree(yard_work, ignore_errors=True)
    for engine in engines:
        out[engine] |= with_facets(out[engine]) | run_workload(paths, engine)
    out["fts5"] |= with_facets(out["fts5"])
    if "whoosh" in out:
        # Every hit of every query, decorated: slow above 10k; the totals are compared anyway.
        whoosh_sets = hit_sets(paths, "whoosh") if n <= 10_000 or options else None
        if whoosh_sets is not None:
            out["same_hit_sets"] = whoosh_sets == hit_sets(paths, "tantivy")
        out["same_totals"] = all(out["whoosh"]["workloads"][w]["hits"]
                                 == out["tantivy"]["workloads"][w]["hits"]
                                 for w in out["tantivy"]["workloads"])
        out["agreement"] = agreement(out["whoosh"], out["tantivy"])
        if options and whoosh_sets is not None:
            out["analysis_options"] = analysis_options(paths, whoosh_sets)
    out["ratios"] = ratios(out)
    out["peak_rss_mb"] = peak_mb()
    return out


ENGINES = [  # (key in the results, label in the tables)
    ("tantivy", "tantivy (ours)"), ("raw_tantivy", "raw tantivy, our index"),
    ("xapian", "Xapian{version}, French Snowball"), ("fts5", "SQLite FTS5, fair"),
    ("whoosh", "Whoosh (ours)"),
]


def markdown(results: list[dict]) -> str:
    """The engines section of docs/benchmarks.md."""
    lines = [
        "## The engines",
        "",
        "Our engines (tantivy, `--engine tantivy`; Whoosh up to 100k) beside three yardsticks",
        "(`bench/yardsticks.py`) on the same documents of the synthetic corpus (seed 42), in",
        "the same run: raw tantivy (the same tantivy queries and facet aggregations sent",
        "straight to the `tantivy` package on our index: no layer of ours), Xapian (Recoll's",
        "engine) with its French Snowball stemmer, SQLite FTS5 written as a fair opponent.",
        "Three workloads, each query with facet counts (tag, annotator, site, year) and the",
        f"top 10, {ROUNDS} rounds, all engines taking turns query by query: *workload*, the",
        f"{len(WORKLOAD)} queries of `bench_search` (3 with a tag filter); *filtered*, a tag or",
        "a saved-date range on frequent words; *phrases*, quoted phrases. Each size in its",
        "own process, builds pinned to one core (the machine is shared: CPU time beside wall",
        "time). Latencies: wall p50 / p95, ms.",
        "",
    ]
    lines += speed_table(results) + build_table(results) + [""] + ratio_table(results) + [""]
    lines += details_table(results) + [""] + agreement_tables(results)
    lines += [""] + totals_table(results) + [""] + commands(results)
    return "\n".join(lines)


def _pair(figures: dict, workload: str) -> str:
    """p50 / p95 of a workload (runs before the yardsticks timed the first one only)."""
    w = figures.get("workloads", {}).get(workload)
    if w is None and workload == "workload" and "p95_ms" in figures:
        w = figures
    return f"{w['p50_ms']} / {w['p95_ms']}" if w else "-"


def speed_table(results: list[dict]) -> list[str]:
    """Per size, each engine and yardstick: build, index size, p50 / p95 of each workload."""
    names = list(yardsticks.WORKLOADS)
    lines = ["| excerpts | docs | engine | build wall (CPU) | index MB | "
             + " | ".join(f"{w} p50 / p95" for w in names) + " |",
             "|---|---|---|---|---|" + "---|" * len(names)]
    for r in results:
        first = True
        for key, label in ENGINES:
            e = r.get(key)
            if e is None:
                continue
            if key == "fts5" and "workloads" not in e:  # a run before the fair set-up
                label = "SQLite FTS5, old set-up (temp tables)"
            if "skipped" in e:
                label = label.format(version="")
                cells = [f"skipped: {e['skipped']}"] + ["-"] * (len(names) + 1)
            else:
                build = f"{e['build_s']} s ({e.get('build_cpu_s', '-')})" if "build_s" in e \
                    else "(tantivy's)"
                label = label.format(version=f" {e['version']}" if e.get("version") else "")
                cells = [build, str(e.get("index_mb", "-"))] + [_pair(e, w) for w in names]
            size = f"{r['excerpts']:,} | {r['tantivy']['docs']:,}" if first else " | "
            lines.append(f"| {size} | {label} | " + " | ".join(cells) + " |")
            first = False
    return lines


def build_table(results: list[dict]) -> list[str]:
    """The tantivy build in one process on one core, beside the same build with worker
    processes on both cores (issue 20: 1M excerpts within 4 minutes on two cores)."""
    rows = [r for r in results if "tantivy_parallel" in r]
    if not rows:
        return []
    lines = ["", "The tantivy build in one process pinned to one core, then the same store "
             "built again with worker processes analysing on both cores (`indexer index "
             "--engine tantivy --workers 2`; this process reads nothing but their documents "
             "and writes). Wall (CPU of every process) seconds; memory: peak PSS of the "
             "build's processes together (in brackets, where measured, its anonymous part: "
             "the rest is the index's files mapped in). *Same documents*: the (id, hash) of "
             "every document in index order hash alike.", "",
             "| excerpts | docs | one process, one core | workers, both cores | speed-up "
             "| peak memory | same documents, same order |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        one, par = r["tantivy"], r["tantivy_parallel"]
        same = "yes" if one.get("digest") == par["digest"] else "NO"
        lines.append(
            f"| {r['excerpts']:,} | {par['docs']:,} | {one['build_s']} s ({one['build_cpu_s']}) "
            f"| {par['workers']}: {par['build_s']} s ({par['build_cpu_s']}) "
            f"| {one['build_s'] / par['build_s']:.2f}x | {par['peak_pss_mb']} MB"
            + (f" (anon {par['peak_anon_mb']})" if "peak_anon_mb" in par else "")
            + f" | {same} |")
    return lines


def ratio_table(results: list[dict]) -> list[str]:
    """Per size, the p95 ratios of the targets, and raw tantivy's check against ours."""
    names = list(yardsticks.WORKLOADS)
    lines = ["p95 ratios (targets: ours / raw tantivy ≤ 1.5x; Whoosh / fair FTS5 ≤ 1.5x at "
             "100k), per workload (" + ", ".join(names) + "):", "",
             ("| excerpts | ours / raw tantivy | Whoosh / fair FTS5 "
              "| raw tantivy: totals and facet counts as ours |"),
             "|---|---|---|---|"]
    for r in results:
        q = r.get("ratios")
        if not q:
            continue

        def show(d):
            return " / ".join(f"{d[w]}x" for w in names if w in d) or "-"

        raw = r.get("raw_tantivy", {}).get("mismatches")
        same = "-" if raw is None else ("same" if not raw else f"NO: {'; '.join(raw)}")
        lines.append(f"| {r['excerpts']:,} | {show(q['ours_raw_p95'])} "
                     f"| {show(q['whoosh_fts5_p95'])} | {same} |")
    return lines


def details_table(results: list[dict]) -> list[str]:
    """Per size, our engines' CPU, no-facets and cache-fill figures and the peak RSS."""
    lines = [("Our engines on the first workload: CPU p95 (all threads), wall p95 without facet "
              "counts, the searcher's cache fill (once), and the size's peak RSS:"), "",
             ("| excerpts | tantivy CPU p95 | no-facets p95 tantivy / Whoosh "
              "| cache fill tantivy / Whoosh | peak RSS |"),
             "|---|---|---|---|---|"]
    for r in results:
        t, w = r["tantivy"], r.get("whoosh") or {}
        lines.append(f"| {r['excerpts']:,} | {t.get('cpu_p95_ms', '-')} ms "
                     f"| {t['nofacets_p95_ms']} / {w.get('nofacets_p95_ms', '-')} ms "
                     f"| {t.get('cache_fill_ms', '-')} / {w.get('cache_fill_ms', '-')} ms "
                     f"| {r['peak_rss_mb']} MB |")
    return lines


def agreement_tables(results: list[dict]) -> list[str]:
    """Whoosh's and tantivy's hits and rankings compared; the analysis options (10k)."""
    lines = [("| excerpts | same hit sets (all hits, 10k) | top-20 overlap | Spearman "
              "| Kendall |"),
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
                "", ("| option | analysis words/s (CPU) | one-field index of the excerpts, CPU s "
                     "| pair table | workload sets ≠ Whoosh |"),
                "|---|---|---|---|---|",
                (f"| (a) our Python chain, tokens given to tantivy | {opt['python_words_per_s']:,} "
                 f"| {opt['python_build_cpu_s']} | {p['python']}/{p['rows']} | 0 |"),
                (f"| (b) tantivy's own tokenizer and filters | {opt['native_words_per_s']:,} "
                 f"| {opt['native_build_cpu_s']} | {p['native']}/{p['rows']} "
                 f"| {opt['native_sets_differing']}/{opt['unfiltered_queries']} |"),
            ]
    return lines


def totals_table(results: list[dict]) -> list[str]:
    """Each query's hit count per engine, at the largest size measured with the yardsticks
    (raw tantivy's equal ours: checked above; Xapian and FTS5 analyse otherwise)."""
    done = [r for r in results if "queries" in r]
    if not done:
        return []
    r = done[-1]
    lines = [(f"Hit totals at {r['excerpts']:,} excerpts (ours: both engines, raw tantivy "
              "alike; Xapian stems with Snowball, FTS5 folds accents and does not stem):"), "",
             "| workload | query | ours | Xapian | FTS5 |", "|---|---|---|---|---|"]
    xapian = r.get("xapian", {}).get("workloads")
    for w, labels in r["queries"].items():
        for i, label in enumerate(labels):
            x = f"{xapian[w]['hits'][i]:,}" if xapian else "-"
            lines.append(f"| {w} | `{label}` | {r['tantivy']['workloads'][w]['hits'][i]:,} "
                         f"| {x} | {r['fts5']['workloads'][w]['hits'][i]:,} |")
    return lines


def commands(results: list[dict]) -> list[str]:
    """Which command made which sizes."""
    by: dict[str, list[str]] = {}
    for r in results:
        made = f"`{r['command']}` (commit {r.get('commit', '?')})" if "command" in r \
            else "an earlier `python -m bench.bench_engines` (command not recorded)"
        by.setdefault(made, []).append(f"{r['excerpts']:,}")
    return [f"Made by {made}: {', '.join(sizes)} excerpts." for made, sizes in by.items()]


def made_by(argv: list[str]) -> dict:
    """The command of this run, and the commit it ran (``-dirty``: with changes not committed)."""
    described = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=report.ROOT,
                               capture_output=True, text=True, check=False).stdout.strip()
    return {"command": " ".join(["python -m bench.bench_engines", *argv]),
            "commit": described or "unknown"}


def checks(r: dict) -> list[str]:
    """What a size's run found wrong or left out, one line each (printed on stderr)."""
    n = f"{r['excerpts']:,} excerpts"
    out = [f"{n}: MISMATCH {line}" for line in r.get("raw_tantivy", {}).get("mismatches", [])]
    out += [f"{n}: MISMATCH {line}" for line in r.get("whoosh", {}).get("mismatches", [])]
    if "skipped" in r.get("xapian", {}):
        out.append(f"{n}: Xapian skipped: {r['xapian']['skipped']}")
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=SIZES)
    parser.add_argument("--work", type=Path, help="Keep the stores here (reused next time).")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help="The core to pin each size to.")
    parser.add_argument("--options", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2,
                        help="Also build tantivy with N analysing processes on every core "
                             "(the index the searches then use); 1: the one-core build only.")
    parser.add_argument("--merge", action="store_true",
                        help="Keep the other sizes of bench/results/engines.json.")
    parser.add_argument("--report-only", action="store_true",
                        help="Rewrite the docs section from bench/results/engines.json.")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.one:  # the child: one size, result as JSON on the last line
        n = args.sizes[0]
        print(json.dumps(run_size(n, work, options=args.options, cpu_core=args.cpu,
                                  workers=args.workers)), flush=True)
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
                   "--cpu", str(args.cpu), "--workers", str(args.workers), str(n)] \
                + (["--options"] if i == 0 else [])
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"size {n} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]) | made_by(argv))
            print(json.dumps({k: v for k, v in results[-1].items() if k != "agreement"})[:600],
                  flush=True)
            for line in checks(results[-1]):
                print(line, file=sys.stderr, flush=True)
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
