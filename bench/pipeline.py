"""The whole pipeline, timed stage by stage at 1k, 10k and 100k excerpts (1M on demand).

    .venv/bin/python -m bench.pipeline                      # 1k, 10k and 100k
    .venv/bin/python -m bench.pipeline --sizes 1000000      # once, it takes a while
    .venv/bin/python -m bench.pipeline --sizes 10000 --workers 2 --rounds 5
    .venv/bin/python -m bench.pipeline --sizes 1000000 --skip pages extract y_extract align y_align

For each size, in a fresh home under a temporary directory, a corpus of :mod:`bench.corpus`
(seed 7) is written as a native JSONL export, then each stage runs **in its own child
process** (so that its peak RSS, ``ru_maxrss`` of the child and of its own workers, is its
own): ``import`` (the export), ``pages`` (the articles' HTML put in the cache with fetches
rows of origin ``local``: it stands for the fetch stage), ``extract``, ``align``,
``entities``, ``index`` (a rebuild), ``search`` and ``export`` (10k rows to CSV for Excel).
Each figure has its yardstick, measured in the same run on the same store: trafilatura alone
on a sample of the same pages; ``str.find`` of every excerpt in its article text; spaCy's
whole French model in one process on a sample of the excerpts; SQLite FTS5 for the
index build and for the same search workload (``unicode61 remove_diacritics 2``, no stemming;
facet counts by GROUP BY, ``snippet()``); ``csv.writer`` over a plain SELECT for the export.

Search workload: :data:`QUERIES` (words, AND, OR, prefix, 2 with a tag filter), run ``rounds``
times, in five kinds: ``plain`` (no facets), ``facets`` (tag, annotator, site, year),
``phrase`` (quoted phrases, with facets), ``articles`` (scope articles: the snippets come
from whole article texts) and ``entities`` (the facets and the entity facet, our engine alone:
the FTS5 store has no entities); Whoosh and FTS5 take turns query by query. The first Whoosh search
fills the searcher's caches; it is timed apart (``cache_fill_ms``). Latencies are medians and
p95 (nearest rank) over every query of every round.

Writes ``bench/results/pipeline-<size>.json`` (rewritten after each stage, so that a long run
stopped midway keeps what it measured) and the ``pipeline`` section of docs/benchmarks.md
(from every ``pipeline-*.json`` present, with a before/after table where a
``search-versions-<size>.json`` holds a run of :mod:`bench.search_versions`), unless
``--results`` points elsewhere (the smoke test does) or ``--no-doc``. ``--workers`` sets the
processes of extract and align, and on tantivy the index build's analysing processes (Whoosh
writes in one: docs/performance.md). ``--engine tantivy`` indexes and searches with tantivy
(``pipeline-<size>-tantivy.json``; its own table, with each stage's CPU and memory).
``--merge`` with ``--keep`` re-runs some stages of a kept store into the same results file
(extract then reads every page again, entities every text whose run is not stored).

    .venv/bin/python -m bench.pipeline --sizes 1000000 --workers 2 --engine tantivy \
        --keep /tmp/pipe1m --skip entities
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report

SEED = 7
STAGES = ("generate", "import", "pages", "extract", "y_extract", "align", "y_align",
          "entities", "y_entities", "index", "y_index", "search", "export")
# The stages the 1M target is about (issue 20): extract + align + index, within 30 minutes.
TARGET_STAGES = ("extract", "align", "index")
TARGET_S = 30 * 60
MILESTONES = (0.25, 0.5, 1.0)  # of a stage's items: where its RSS is written down
FACETS = ["tag", "annotator", "site", "year"]
# (whoosh query, fts5 query, tag filter or None)
QUERIES = [
    ("ubérisation", "uberisation", None),
    ("données personnelles", "donnees AND personnelles", None),
    ("sobriété OR énergétique", "sobriete OR energetique", None),
    ("numériq*", "numeriq*", None),
    ("collectivités", "collectivites", "numérique"),
    ("bibliothèques", "bibliotheques", None),
    ("coopérative sociétaires", "cooperative AND societaires", None),
    ("drones", "drones", None),
    ("état", "etat", None),
    ("bénévoles", "benevoles", "association"),
]
PHRASES = [
    ('"data centers"', '"data centers"', None),
    ('"logiciels libres"', '"logiciels libres"', None),
    ('"réseau de chaleur"', '"reseau de chaleur"', None),
    ('"tribunal administratif"', '"tribunal administratif"', None),
]
# The search stage's kinds, in its order: (queries, facets counted, scope).
SEARCH_KINDS = {"plain": (QUERIES, None, "excerpts"), "facets": (QUERIES, FACETS, "excerpts"),
                "phrase": (PHRASES, FACETS, "excerpts"), "articles": (QUERIES, None, "articles"),
                "entities": (QUERIES, [*FACETS, "entity"], "excerpts")}
EXPORT_ROWS = 10_000
# Above this, the search stage times our engine alone: this FTS5 set-up takes seconds a query
# at 1M (bench_engines measures a fair FTS5 beside the engines at every size).
FTS_SEARCH_MAX = 100_000
EXTRACT_SAMPLE = 400  # pages the trafilatura yardstick extracts (every k-th page)
ENTITY_SAMPLE = 2000  # texts the spaCy yardstick analyses (every k-th excerpt)


# -- the child side: one stage, one process ---------------------------------------------------


def peak_rss_mb() -> float:
    """Peak RSS of this process and of its finished children (extract's workers), MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and of its finished children."""
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return round(own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, 1)


class Watch:
    """A :class:`~indexer.progress.Progress` that writes down the stage's process tree memory
    (:func:`bench.report.tree_memory_mb`) at :data:`MILESTONES` of its items: the PSS in
    ``at``, its anonymous part in ``anon_at``; memory flat in the number of documents shows
    as equal figures."""

    def __init__(self):
        from indexer.progress import Progress

        at: dict[str, float] = {}
        anon_at: dict[str, float] = {}
        self.at, self.anon_at = at, anon_at

        class Marks(Progress):
            def start(self, stage, total, unit="item"):
                self.stage, self.total, self.done = stage, total or 0, 0

            def advance(self, n=1, **counts):
                self.done += n
                for share in MILESTONES:
                    key = f"{self.stage} {round(share * self.total):,}"
                    if self.total and self.done >= share * self.total and key not in at:
                        at[key], anon_at[key] = report.tree_memory_mb()

        self.progress = Marks()


def dir_mb(path: Path) -> float:
    if path.is_file():
        return round(path.stat().st_size / 1e6, 1)
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def lat(times: list[float], digits: int = 2) -> dict:
    """Median and p95 of latencies in ms (None when nothing was timed)."""
    if not times:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {"n": len(times), "p50_ms": round(report.median(times), digits),
            "p95_ms": round(report.percentile(times, 95), digits)}


def stage_generate(work: Path, n: int, workers: int) -> dict:
    from bench.corpus import write_export

    bookmarks = write_export(work / "export.jsonl", n, SEED)
    return {"bookmarks": bookmarks, "export_mb": dir_mb(work / "export.jsonl")}


def stage_import(work: Path, n: int, workers: int) -> dict:
    from indexer.ingest import import_files

    [summary] = import_files(_paths(work), [work / "export.jsonl"])
    return {"bookmarks": summary.bookmarks_new, "excerpts": summary.excerpts_total}


def stage_pages(work: Path, n: int, workers: int) -> dict:
    from bench.corpus import write_pages
    from indexer.cache import Cache
    from indexer.store import Store

    paths = _paths(work)
    with Store(paths.db) as store:
        pages = write_pages(store, Cache(paths.cache), n, SEED)
    return {"pages": pages, "cache_mb": dir_mb(paths.cache)}


def stage_extract(work: Path, n: int, workers: int) -> dict:
    from indexer.cache import Cache
    from indexer.extract import ExtractOptions, extract_all
    from indexer.store import Store

    paths = _paths(work)
    # force: every page, also when --merge re-runs the stage on a store already extracted.
    with Store(paths.db) as store:
        s = extract_all(store, Cache(paths.cache), ExtractOptions(workers=workers, force=True),
                        WATCH.progress)
    return {"pages": s.extracted, "statuses": s.statuses, "languages": s.languages}


def stage_y_extract(work: Path, n: int, workers: int) -> dict:
    """Yardstick: ``trafilatura.extract`` alone (text only, one process) on a sample of pages."""
    import trafilatura

    from indexer.cache import Cache
    from indexer.store import Store

    paths = _paths(work)
    with Store(paths.db) as store:
        shas = [r[0] for r in store.conn.execute("SELECT sha256 FROM fetches ORDER BY bookmark_id")]
    step = max(1, len(shas) // EXTRACT_SAMPLE)
    cache, times = Cache(paths.cache), []
    for sha in shas[::step]:
        body = cache.get(sha)
        start = time.perf_counter()
        trafilatura.extract(body)
        times.append((time.perf_counter() - start) * 1000)
    return {"pages": len(times), **lat(times), "pages_per_s": round(len(times) / (sum(times) / 1000), 1)}


def stage_align(work: Path, n: int, workers: int) -> dict:
    from indexer.align import align_all
    from indexer.store import Store

    with Store(_paths(work).db) as store:
        s = align_all(store, progress=WATCH.progress, workers=workers)
    return {"aligned": s.aligned, "methods": s.methods, "causes": s.causes}


def stage_y_align(work: Path, n: int, workers: int) -> dict:
    """Yardstick: ``str.find`` of each excerpt, as imported, in its article's text."""
    from indexer.store import Store

    times, found = [], 0
    with Store(_paths(work).db) as store:
        rows = store.conn.execute(
            "SELECT a.text, e.text FROM excerpts e JOIN articles a USING(bookmark_id)"
            " ORDER BY e.bookmark_id, e.seq")
        for article, excerpt in rows:  # streamed: one row at a time
            start = time.perf_counter()
            hit = article.find(excerpt)
            times.append((time.perf_counter() - start) * 1000)
            found += hit >= 0
    return {"excerpts": len(times), "found": found, "total_s": round(sum(times) / 1000, 3),
            **lat(times, 4)}


def stage_entities(work: Path, n: int, workers: int) -> dict:
    from indexer.entities import compute_entities

    s = compute_entities(_paths(work), WATCH.progress, workers=workers)
    return {"texts": s.texts, "analysed": s.analysed, "entities": s.entities}


def stage_y_entities(work: Path, n: int, workers: int) -> dict:
    """Yardstick: spaCy's French model as it ships (every component), one process, on a
    sample of the same excerpts; and the model as the stage loads it, on the same sample."""
    import spacy

    from indexer.entities import MODEL, find_entities, load_model
    from indexer.store import Store

    with Store(_paths(work).db) as store:
        count = store.conn.execute("SELECT COUNT(*) FROM excerpts").fetchone()[0]
        step = max(1, count // ENTITY_SAMPLE)
        texts = [t for (t,) in store.conn.execute(
            "SELECT text FROM excerpts WHERE rowid % ? = 0 LIMIT ?", (step, ENTITY_SAMPLE))]
    out = {"texts": len(texts)}
    for name, nlp in (("whole_model", spacy.load(MODEL)), ("ours", load_model())):
        wall, cpu = time.perf_counter(), time.process_time()
        found = find_entities(nlp, texts)
        out[name] = {"texts_per_s": round(len(texts) / (time.perf_counter() - wall), 1),
                     "cpu_texts_per_s": round(len(texts) / (time.process_time() - cpu), 1),
                     "entities": sum(map(len, found))}
    return out


def stage_index(work: Path, n: int, workers: int) -> dict:
    from indexer.index import build_index

    paths = _paths(work)
    s = build_index(paths, rebuild=True, engine=ENGINE, workers=workers, progress=WATCH.progress)
    return {"docs": s.added, "by_kind": s.by_kind, "index_mb": dir_mb(paths.index),
            "engine": s.engine}


FTS_SCHEMA = """
CREATE VIRTUAL TABLE f USING fts5(text, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE meta(rowid INTEGER PRIMARY KEY, kind, annotator, site, year);
CREATE TABLE tag(rowid INTEGER, tag);
CREATE TABLE docs(rowid INTEGER PRIMARY KEY, kind, bookmark_id, id);
INSERT INTO docs(kind, bookmark_id, id)
    SELECT 'excerpt', bookmark_id, id FROM store.excerpts ORDER BY rowid;
INSERT INTO docs(kind, bookmark_id, id)
    SELECT 'description', id, id FROM store.bookmarks WHERE description <> '';
INSERT INTO docs(kind, bookmark_id, id)
    SELECT 'article', bookmark_id, bookmark_id FROM store.articles WHERE text <> '';
INSERT INTO f(rowid, text) SELECT d.rowid, e.text FROM docs d JOIN store.excerpts e ON e.id = d.id
    WHERE d.kind = 'excerpt';
INSERT INTO f(rowid, text) SELECT d.rowid, b.description FROM docs d
    JOIN store.bookmarks b ON b.id = d.id WHERE d.kind = 'description';
INSERT INTO f(rowid, text) SELECT d.rowid, a.text FROM docs d
    JOIN store.articles a ON a.bookmark_id = d.id WHERE d.kind = 'article';
INSERT INTO meta SELECT d.rowid, d.kind, COALESCE(e.annotator, b.annotator), b.site,
    substr(b.created_at, 1, 4) FROM docs d JOIN store.bookmarks b ON b.id = d.bookmark_id
    LEFT JOIN store.excerpts e ON e.id = d.id AND d.kind = 'excerpt';
INSERT INTO tag SELECT d.rowid, t.tag FROM docs d JOIN store.tags t ON t.bookmark_id = d.bookmark_id;
CREATE INDEX tag_rowid ON tag(rowid);
CREATE INDEX tag_tag ON tag(tag);
CREATE INDEX meta_kind ON meta(kind);
"""


def stage_y_index(work: Path, n: int, workers: int) -> dict:
    """Yardstick: the same documents (excerpts, descriptions, articles) in SQLite FTS5."""
    fts = work / "fts.sqlite"
    fts.unlink(missing_ok=True)
    conn = sqlite3.connect(fts)
    conn.execute(f"ATTACH '{_paths(work).db}' AS store")
    conn.executescript(FTS_SCHEMA)
    conn.commit()
    docs = conn.execute("SELECT COUNT(*) FROM docs").fetchone()[0]
    conn.close()
    return {"docs": docs, "index_mb": dir_mb(fts)}


def stage_search(work: Path, n: int, workers: int, rounds: int = 5) -> dict:
    from indexer.search import open_searcher, search

    fts = sqlite3.connect(work / "fts.sqlite")
    out: dict = {}
    with open_searcher(_paths(work), engine=ENGINE) as s:
        start = time.perf_counter()
        search(s, "", facets=FACETS, limit=1)
        out["cache_fill_ms"] = round((time.perf_counter() - start) * 1000, 1)
        for kind, (workload, facets, scope) in SEARCH_KINDS.items():
            w_times, f_times, w_hits, f_hits, values = [], [], [], [], []
            slowest = {"ms": 0.0}
            for round_ in range(rounds):
                for wq, fq, tag in workload:
                    start = time.perf_counter()
                    r = search(s, wq, filters={"tag": [tag]} if tag else None, facets=facets,
                               scope=scope, limit=10)
                    w_times.append((time.perf_counter() - start) * 1000)
                    if w_times[-1] > slowest["ms"]:
                        slowest = {"ms": round(w_times[-1], 2), "query": wq, "tag": tag,
                                   "round": round_ + 1}
                    w_hits.append(r.total)
                    if kind == "entities":
                        values.append(len(r.facets["entity"]))
                    if n > FTS_SEARCH_MAX or kind == "entities":  # FTS5's store has none
                        continue
                    start = time.perf_counter()
                    f_hits.append(_fts_search(fts, fq, tag, facets, scope))
                    f_times.append((time.perf_counter() - start) * 1000)
            # the first round meets cold caches; with few queries a p95 is nearly the slowest
            # call, so the later rounds' figures and that call are kept beside it
            out[kind] = {"whoosh": {**lat(w_times), "hits": w_hits[: len(workload)],
                                    "later_rounds": lat(w_times[len(workload):]),
                                    "slowest": slowest},
                         "fts5": {**lat(f_times), "hits": f_hits[: len(workload)]}}
            if values:  # distinct entities counted, per query
                out[kind]["whoosh"]["entity_values"] = values[: len(workload)]
    fts.close()
    return out


def _fts_search(conn, query: str, tag, facets, scope: str) -> int:
    """The FTS5 twin of one search: matches, facet counts, snippets of the top 10.

    Each kind of document is a contiguous rowid range (see :data:`FTS_SCHEMA`): a range is a
    constraint FTS5 uses while matching, where ``rowid IN (subquery)`` made SQLite look each
    listed rowid up in turn (thousands of lookups per query).
    """
    kind = "excerpt" if scope == "excerpts" else "article"
    low, high = conn.execute("SELECT MIN(rowid), MAX(rowid) FROM docs WHERE kind = ?",
                             (kind,)).fetchone()
    where = "f MATCH ? AND rowid BETWEEN ? AND ?"
    args = (query, low or 0, high or 0)
    conn.execute("CREATE TEMP TABLE m AS SELECT rowid FROM f WHERE " + where, args)
    if tag:
        conn.execute("DELETE FROM m WHERE rowid NOT IN (SELECT rowid FROM tag WHERE tag = ?)",
                     (tag,))
        where += " AND +rowid IN m"  # '+': a plain filter, not a constraint handed to FTS5
    total = conn.execute("SELECT COUNT(*) FROM m").fetchone()[0]
    for name in facets or []:
        if name == "tag":
            conn.execute("SELECT tag, COUNT(*) FROM tag WHERE rowid IN m GROUP BY tag").fetchall()
        else:
            conn.execute(f"SELECT {name}, COUNT(*) FROM meta WHERE rowid IN m"
                         f" GROUP BY {name}").fetchall()
    conn.execute("SELECT rowid, snippet(f, 0, '[', ']', '…', 24) FROM f WHERE " + where
                 + " ORDER BY bm25(f) LIMIT 10", args).fetchall()
    conn.execute("DROP TABLE m")
    return total


def stage_export(work: Path, n: int, workers: int) -> dict:
    from indexer.export import excerpt_rows, write_rows
    from indexer.store import Store

    out: dict = {}
    with Store(_paths(work).db) as store:
        start = time.perf_counter()
        rows = write_rows(itertools.islice(excerpt_rows(store), EXPORT_ROWS), "csv",
                          work / "export.csv", excel=True)
        out["rows"], out["seconds"] = rows, round(time.perf_counter() - start, 3)
        start = time.perf_counter()  # yardstick: a plain SELECT through csv.writer
        with open(work / "plain.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row in store.conn.execute(f"SELECT * FROM excerpts LIMIT {EXPORT_ROWS}"):
                writer.writerow(tuple(row))
        out["yardstick_s"] = round(time.perf_counter() - start, 3)
    return out


def _paths(work: Path):
    from indexer.config import Paths

    return Paths(work / "home")


ENGINE = "whoosh"  # the index stage's and the search stage's engine (--engine)
WATCH: Watch  # the running stage's (run_stage)


def run_stage(name: str, work: Path, n: int, workers: int, rounds: int) -> None:
    """Child entry: run one stage, print its figures as one JSON line."""
    global WATCH
    fn = globals()[f"stage_{name}"]
    WATCH = Watch()
    start = time.perf_counter()
    with report.PeakMemory() as memory:  # the peak of the stage's processes, sampled
        data = fn(work, n, workers, rounds) if name == "search" else fn(work, n, workers)
    data["seconds"] = round(time.perf_counter() - start, 3)
    data["cpu_s"] = cpu_s()
    data["peak_rss_mb"] = peak_rss_mb()
    data |= {"tree_peak_pss_mb": memory.peak, "pss_at": WATCH.at,
             "tree_peak_anon_mb": memory.peak_anon, "anon_at": WATCH.anon_at}
    print(json.dumps(data, ensure_ascii=False))


# -- the parent side ------------------------------------------------------------------------


def run_size(n: int, workers: int, rounds: int, keep: Path | None = None, log=print,
             out: Path | None = None, skip: frozenset[str] = frozenset(),
             engine: str = "whoosh", merge: bool = False) -> dict:
    """Every stage at ``n`` excerpts, each in a child process; the figures as a dict.

    With ``out``, the figures so far are rewritten there after each stage, so that a run
    stopped midway (1M excerpts takes hours) still leaves what it measured.
    """
    work = keep or Path(tempfile.mkdtemp(prefix=f"bench-pipeline-{n}-"))
    work.mkdir(parents=True, exist_ok=True)
    result = {"excerpts": n, "workers": workers, "rounds": rounds, "seed": SEED, "engine": engine,
              "machine": report.machine(), "stages": {}}
    if merge and out is not None and out.exists():  # re-run some stages of a kept run
        earlier = json.loads(out.read_text())
        result["stages"], result["reruns"] = earlier["stages"], earlier.get("reruns", [])
        result["reruns"].append({"stages": [s for s in STAGES if s not in skip],
                                 "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    try:
        for name in STAGES:
            if name in skip:
                continue
            result["stages"][name] = figures = _child(name, work, n, workers, rounds, engine)
            result["when"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            log(f"{n}: {name} {figures['seconds']} s, {figures['peak_rss_mb']} MB",
                file=sys.stderr, flush=True)
            if out is not None:
                out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return result


def _child(name: str, work: Path, n: int, workers: int, rounds: int,
           engine: str = "whoosh") -> dict:
    cmd = [sys.executable, "-m", "bench.pipeline", "--stage", name, "--work", str(work),
           "--sizes", str(n), "--workers", str(workers), "--rounds", str(rounds),
           "--engine", engine]
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False,
                          cwd=report.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(results: list[dict]) -> str:
    """The ``pipeline`` section: one table of stages and one of searches, per size."""
    lines = [
        "## The whole pipeline",
        "",
        ("Whole pipeline (`bench/pipeline.py`) on the generated corpus (`bench/corpus.py`, "
         "seed 7: French articles as HTML pages, ~1,000 words, ~8 excerpts each, altered like "
         "real highlights). Each stage runs in its own process; peak RSS is that process's "
         "(and its workers'). Yardsticks measured in the same run, on the same store."),
        "",
        "| excerpts | stage | wall | rate | peak RSS | yardstick (same run) |",
        "|---|---|---|---|---|---|",
    ]
    scaled = [r for r in results if r.get("engine") == "tantivy"]
    for r in results:
        if r in scaled:
            continue
        lines += _stage_rows(r)
        if set(r["stages"]) != set(STAGES):
            missing = ", ".join(s for s in STAGES if s not in r["stages"])
            lines.append(f"| {r['excerpts']:,} | (not measured in this run: {missing}) | | | | |")
        if r.get("note"):
            lines.append(f"| {r['excerpts']:,} | {r['note']} | | | | |")
    lines += ["", ("Search latency, ms, p50 / p95 over every query of every round "
                   "(Whoosh beside SQLite FTS5, no stemming, on the same documents):"), "",
              ("| excerpts | docs | plain | with facets | phrase + facets | articles + snippets "
               "| facets p95 ratio | cache fill |"), "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "search" in r["stages"] and "index" in r["stages"] and r not in scaled:
            lines.append(_search_row(r))
    for r in scaled:
        lines += _scale_table(r)
    return "\n".join(lines + _before_after(results))


def _scale_table(r: dict) -> list[str]:
    """One run with tantivy (issue 20's): every stage with its wall and CPU time, its peak
    memory and its memory at a quarter, half and all of its items, and the target's sum."""
    st, n = r["stages"], r["excerpts"]
    lines = ["", (f"**{n:,} excerpts, index and search on tantivy, {r['workers']} worker "
                  f"process(es)** (`python -m bench.pipeline --sizes {n} --workers "
                  f"{r['workers']} --engine tantivy`, {r.get('when', '')[:10]}; "
                  f"{r['machine']}). CPU: every process of the stage (its workers included). "
                  "Memory: the stage's processes together, proportional set size (a page "
                  "forked workers share counts once), sampled every 0.5 s; then at 25% / 50% "
                  "/ 100% of the stage's items. In brackets, where measured, its anonymous "
                  "part (heaps, Python objects; the rest is pages of files mapped in, such "
                  "as tantivy's segments, which the kernel can drop and read again)."), "",
             ("| stage | wall | CPU | rate | peak memory | memory at 25% / 50% / 100% "
              "| yardstick (same run) |"), "|---|---|---|---|---|---|---|"]
    rows = {row.split(" | ")[1].split(" (")[0]: row for row in _stage_rows(r)}
    for name in STAGES:
        if name not in st or name.startswith("y_"):
            continue
        f = st[name]
        peak = f.get("tree_peak_pss_mb")
        marks = f.get("pss_at")
        if peak is None and "tree_peak_rss_mb" in f:  # an older child: RSS summed
            peak, marks = f"{f['tree_peak_rss_mb']} (RSS summed)", f.get("rss_at")
        at = _milestones(marks, f.get("anon_at"))
        cell = f"{peak if peak is not None else f['peak_rss_mb']} MB"
        if f.get("tree_peak_anon_mb") is not None:
            cell += f" (anon {f['tree_peak_anon_mb']})"
        what, rate, yard = _stage_cells(name, r, rows)
        lines.append(f"| {what} | {f['seconds']:,.1f} s | {f.get('cpu_s', '-')} s | {rate} "
                     f"| {cell} | {at} | {yard} |")
    if "search" in st and "index" in st:
        se = st["search"]
        cells = [f"{k} {se[k]['whoosh']['p50_ms']} / {se[k]['whoosh']['p95_ms']}"
                 + (f" ({se[k]['fts5']['p50_ms']} / {se[k]['fts5']['p95_ms']})"
                    if se[k]["fts5"]["n"] else "")
                 for k in SEARCH_KINDS if k in se]
        lines += ["", (f"Search on tantivy, ms p50 / p95 ({se['cache_fill_ms']} ms to fill "
                       f"the caches first; SQLite FTS5 of the same turns in brackets, up to "
                       f"{FTS_SEARCH_MAX:,} excerpts): {'; '.join(cells)}.")]
        lines += _search_tails(se, r["rounds"])
    done = [st[s]["seconds"] for s in TARGET_STAGES if s in st]
    if len(done) == len(TARGET_STAGES):
        total = sum(done)
        lines += ["", (f"extract + align + index: {total:,.0f} s = {total / 60:.1f} min "
                       f"(target: {TARGET_S // 60} min on two cores)"
                       f"{'' if total <= TARGET_S else ': NOT met'}.")]
    if r.get("reruns"):
        lines.append("Stages re-run on the same kept store: " + "; ".join(
            f"{', '.join(x['stages'])} ({x['when'][:16]})" for x in r["reruns"]) + ".")
    skipped = [s for s in STAGES if s not in st]
    if skipped:
        lines.append(f"Not run at this size: {', '.join(skipped)} (see below).")
    return lines


def _search_tails(se: dict, rounds: int) -> list[str]:
    """Per kind of search, the p95 without the first round and the slowest call (where the
    results have them): what a p95 over a few queries is made of."""
    kinds = [k for k in SEARCH_KINDS if k in se and "slowest" in se[k]["whoosh"]]
    if not kinds:
        return []
    cells = []
    for k in kinds:
        ours, slow = se[k]["whoosh"], se[k]["whoosh"]["slowest"]
        later = ours["later_rounds"]
        tag = f" --tag {slow['tag']}" if slow.get("tag") else ""
        rest = (f", rounds 2-{rounds} p50 / p95 {later['p50_ms']} / {later['p95_ms']}"
                if later["n"] else "")
        cells.append(f"{k} {ours['n']} calls, p95 {ours['p95_ms']}{rest}, slowest "
                     f"`{slow['query']}{tag}` {slow['ms']} ms (round {slow['round']})")
    return ["", "What the p95 is made of: " + "; ".join(cells) + "."]


def _milestones(marks: dict | None, anon: dict | None = None) -> str:
    """``extract: a / b / c; languages: d / e / f`` from ``{"extract 311": a, ...}``, with
    ``(anon x / y / z)`` after each stage's figures when ``anon`` has them."""
    by: dict[str, list[str]] = {}
    anons: dict[str, list[str]] = {}
    for key, mb in (marks or {}).items():
        stage = key.rsplit(" ", 1)[0]
        by.setdefault(stage, []).append(str(mb))
        if anon and key in anon:
            anons.setdefault(stage, []).append(str(anon[key]))
    return "; ".join(f"{stage}: {' / '.join(v)}"
                     + (f" (anon {' / '.join(anons[stage])})" if stage in anons else "")
                     for stage, v in by.items()) or "-"


def _stage_cells(name: str, r: dict, rows: dict) -> tuple[str, str, str]:
    """(what the stage did, its rate, its yardstick) from the old table's row, if any."""
    row = rows.get(name)
    if row is None:
        what = name if name != "search" else f"search ({r['rounds']} rounds)"
        return what, "-", ""
    cells = row.strip("|").split(" | ")
    return cells[1], cells[3], cells[5].strip(" |")


def _before_after(results: list[dict]) -> list[str]:
    """Whoosh search of earlier commits beside today's, from ``search-versions-<n>.json``
    (written by :mod:`bench.search_versions`: the versions take turns on one index)."""
    lines: list[str] = []
    for r in results:
        path = report.RESULTS / f"search-versions-{r['excerpts']}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        names = data["versions"]
        if not lines:
            lines = ["", ("Whoosh search code of earlier commits beside today's, on the same "
                          "index, the versions taking turns query by query "
                          "(`bench/search_versions.py`); ms p50 / p95, FTS5 of the same turns "
                          "last:"), "",
                     "| excerpts | kind | " + " | ".join(f"`{n}`" for n in names) + " | FTS5 |",
                     "|---|---|" + "---|" * (len(names) + 1)]
        for kind, by in data["kinds"].items():
            cells = [f"{by[n]['p50_ms']} / {by[n]['p95_ms']}" for n in [*names, "fts5"]]
            lines.append(f"| {data['excerpts']:,} | {kind} | " + " | ".join(cells) + " |")
    return lines


def _stage_rows(r: dict) -> list[str]:
    st, n = r["stages"], r["excerpts"]
    size = f"{n:,}"
    per = lambda s, k: f"{k / s:,.0f}" if s else "-"
    rows = []
    for name, pair in _STAGE_PAIRS.items():
        if all(p in st for p in pair):
            rows.append(_STAGE_ROW[name](size, per, r, *(st[p] for p in pair)))
    return rows


_STAGE_PAIRS = {"import": ("import", "generate"), "extract": ("extract", "y_extract"),
                "align": ("align", "y_align"), "entities": ("entities", "y_entities"),
                "index": ("index", "y_index"), "export": ("export",)}
_STAGE_ROW = {
    "import": lambda size, per, r, imp, gen: (
        f"| {size} | import ({imp['bookmarks']:,} bookmarks, {gen['export_mb']} MB JSONL)"
        f" | {imp['seconds']} s | {per(imp['seconds'], imp['excerpts'])} excerpts/s "
        f"| {imp['peak_rss_mb']} MB | |"),
    "extract": lambda size, per, r, ext, yex: (
        f"| {size} | extract ({ext['pages']:,} pages, {r['workers']} worker(s)) "
        f"| {ext['seconds']} s | {per(ext['seconds'], ext['pages'])} pages/s "
        f"| {ext['peak_rss_mb']} MB "
        f"| trafilatura alone: {yex['pages_per_s']} pages/s (p50 {yex['p50_ms']} ms) |"),
    "align": lambda size, per, r, ali, yal: (
        f"| {size} | align ({_methods(ali)}; {r['workers']} worker(s)) | {ali['seconds']} s "
        f"| {per(ali['seconds'], ali['aligned'])} excerpts/s | {ali['peak_rss_mb']} MB "
        f"| `str.find`: {yal['total_s']} s in all, p50 {yal['p50_ms']} ms |"),
    "entities": lambda size, per, r, ent, yen: (
        f"| {size} | entities ({ent['analysed']:,} texts, {ent['entities']:,} found; "
        f"{r['workers']} worker(s)) | {ent['seconds']} s | {per(ent['seconds'], ent['analysed'])}"
        f" texts/s | {ent['peak_rss_mb']} MB | one process, {yen['texts']:,} of the texts: "
        f"spaCy's whole model {yen['whole_model']['texts_per_s']} texts/s, as the stage loads "
        f"it {yen['ours']['texts_per_s']} texts/s ({yen['ours']['entities']:,} entities, "
        f"{yen['whole_model']['entities']:,} with the parser's sentences) |"),
    "index": lambda size, per, r, idx, yix: (
        f"| {size} | index ({idx['docs']:,} docs, {idx['index_mb']} MB) | {idx['seconds']} s "
        f"| {per(idx['seconds'], idx['docs'])} docs/s | {idx['peak_rss_mb']} MB "
        f"| FTS5: {yix['seconds']} s, {yix['index_mb']} MB, {yix['peak_rss_mb']} MB |"),
    "export": lambda size, per, r, exp: (
        f"| {size} | export ({exp['rows']:,} rows, CSV for Excel) | {exp['seconds']} s "
        f"| {per(exp['seconds'], exp['rows'])} rows/s | {exp['peak_rss_mb']} MB "
        f"| plain SELECT + csv.writer: {exp['yardstick_s']} s |"),
}


def _methods(align: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(align["methods"].items()))


def _search_row(r: dict) -> str:
    se = r["stages"]["search"]
    cell = lambda k: (f"{se[k]['whoosh']['p50_ms']} / {se[k]['whoosh']['p95_ms']} "
                      f"({se[k]['fts5']['p50_ms']} / {se[k]['fts5']['p95_ms']})")
    fts_p95 = se["facets"]["fts5"]["p95_ms"]
    ratio = se["facets"]["whoosh"]["p95_ms"] / fts_p95 if fts_p95 else float("nan")
    docs = r["stages"]["index"]["docs"]
    return (f"| {r['excerpts']:,} | {docs:,} | {cell('plain')} | {cell('facets')} "
            f"| {cell('phrase')} | {cell('articles')} | {ratio:.2f}x | {se['cache_fill_ms']} ms |")


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--workers", type=int, default=1,
                    help="processes for extract and align")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of the search workload")
    ap.add_argument("--results", type=Path, default=report.RESULTS,
                    help="where pipeline-<size>.json go (docs are written only for the default)")
    ap.add_argument("--no-doc", action="store_true", help="do not touch docs/benchmarks.md")
    ap.add_argument("--keep", type=Path, help="work in this directory and keep it")
    ap.add_argument("--skip", nargs="*", default=[], choices=STAGES, metavar="STAGE",
                    help="stages not to run (the yardsticks are stages too)")
    ap.add_argument("--engine", choices=["whoosh", "tantivy"], default="whoosh",
                    help="the engine the index and search stages use")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other stages of the size's results file (with --keep)")
    ap.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.stage:
        global ENGINE
        ENGINE = args.engine
        run_stage(args.stage, args.work, args.sizes[0], args.workers, args.rounds)
        return []
    results = []
    args.results.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        keep = args.keep / str(n) if args.keep else None
        out = args.results / f"pipeline-{n}{'' if args.engine == 'whoosh' else '-' + args.engine}.json"
        results.append(run_size(n, args.workers, args.rounds, keep, out=out,
                                skip=frozenset(args.skip), engine=args.engine,
                                merge=args.merge))
    if not args.no_doc and args.results == report.RESULTS:
        every = [json.loads(p.read_text()) for p in report.RESULTS.glob("pipeline-*.json")]
        every.sort(key=lambda r: r["excerpts"])
        report.write("pipeline", {"sizes": every}, markdown(every))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
