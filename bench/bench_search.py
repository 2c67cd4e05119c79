"""Index build and search latency at 10k and 100k synthetic excerpts, beside SQLite FTS5.

    .venv/bin/python -m bench.bench_search            # 10k and 100k (the 100k size is slow)
    .venv/bin/python -m bench.bench_search 10000      # one size

For each size: a synthetic French corpus (indexer/synth.py) is imported into a fresh store; the
Whoosh index is built (one process, entities off); then a fixed workload of queries (words,
AND, OR, a phrase, a prefix, with and without a tag filter) runs through
:func:`indexer.search.search` with facet counts (tag, annotator, site, year) and highlighted
snippets of the top 10. The yardstick is the same workload on SQLite FTS5 (``unicode61
remove_diacritics 2``, no stemming): MATCH, the same facet counts by GROUP BY over the matches,
``snippet()`` of the top 10 by bm25. Peak memory is ru_maxrss of the process so far.
"""

from __future__ import annotations

import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from indexer.config import Paths
from indexer.index import build_index
from indexer.search import open_searcher, search
from indexer.store import Store
from indexer.synth import populate

FACETS = ["tag", "annotator", "site", "year"]
# (whoosh query, fts5 query, tag filter or None)
WORKLOAD = [
    ("ubérisation", "uberisation", None),
    ("données personnelles", "donnees AND personnelles", None),
    ("sobriété OR énergétique", "sobriete OR energetique", None),
    ('"data centers"', '"data centers"', None),
    ("numériq*", "numeriq*", None),
    ("collectivités", "collectivites", "territoires"),
    ("vidéosurveillance", "videosurveillance", "cnil"),
    ("état", "etat", None),
    ("plateformes livraison", "plateformes AND livraison", None),
    ("bénévoles", "benevoles", "association"),
]
ROUNDS = 5


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1)


def run_whoosh(paths: Paths) -> dict:
    t0 = time.perf_counter()
    summary = build_index(paths, rebuild=True)
    build_s = time.perf_counter() - t0
    times, totals = [], []
    with open_searcher(paths) as s:
        t1 = time.perf_counter()
        # the workload searches excerpts, as FTS5 does (the API's default adds descriptions)
        search(s, "", facets=FACETS, limit=1, scope="excerpts")  # fills the caches once
        warm_s = time.perf_counter() - t1
        for _ in range(ROUNDS):
            for query, _, tag in WORKLOAD:
                start = time.perf_counter()
                r = search(s, query, scope="excerpts", filters={"tag": [tag]} if tag else None,
                           facets=FACETS, limit=10)
                times.append((time.perf_counter() - start) * 1000)
                totals.append(r.total)
    return {
        "build_s": round(build_s, 1), "docs": summary.added,
        "docs_per_s": round(summary.added / build_s), "cache_fill_ms": round(warm_s * 1000, 1),
        "p50_ms": round(report.median(times), 1), "p95_ms": round(report.percentile(times, 95), 1),
        "index_mb": dir_mb(paths.index), "hits": totals[: len(WORKLOAD)],
    }


def run_fts5(db: Path, work: Path) -> dict:
    fts = work / "fts.sqlite"
    conn = sqlite3.connect(fts)
    conn.execute(f"ATTACH '{db}' AS store")
    t0 = time.perf_counter()
    conn.executescript("""
        CREATE VIRTUAL TABLE f USING fts5(text, tokenize='unicode61 remove_diacritics 2');
        CREATE TABLE meta(rowid INTEGER PRIMARY KEY, annotator, site, year);
        CREATE TABLE tag(rowid INTEGER, tag);
        CREATE TABLE ids(rowid INTEGER PRIMARY KEY, id);
        INSERT INTO ids(id) SELECT id FROM store.excerpts;
        INSERT INTO f(rowid, text)
            SELECT i.rowid, e.text FROM ids i JOIN store.excerpts e USING(id);
        INSERT INTO meta SELECT i.rowid, e.annotator, b.site, substr(b.created_at, 1, 4)
            FROM ids i JOIN store.excerpts e USING(id) JOIN store.bookmarks b ON b.id=e.bookmark_id;
        INSERT INTO tag SELECT i.rowid, t.tag FROM ids i JOIN store.excerpts e USING(id)
            JOIN store.tags t ON t.bookmark_id=e.bookmark_id;
        CREATE INDEX tag_rowid ON tag(rowid); CREATE INDEX tag_tag ON tag(tag);
    """)
    conn.commit()
    build_s = time.perf_counter() - t0
    times, totals = [], []
    for _ in range(ROUNDS):
        for _, query, tag in WORKLOAD:
            start = time.perf_counter()
            where = "f MATCH ?"
            if tag:
                where += " AND rowid IN (SELECT rowid FROM tag WHERE tag=?)"
            args = (query, tag) if tag else (query,)
            conn.execute("CREATE TEMP TABLE m AS SELECT rowid FROM f WHERE " + where, args)
            total = conn.execute("SELECT COUNT(*) FROM m").fetchone()[0]
            conn.execute("SELECT tag, COUNT(*) FROM tag WHERE rowid IN m GROUP BY tag").fetchall()
            for col in ("annotator", "site", "year"):
                conn.execute(f"SELECT {col}, COUNT(*) FROM meta WHERE rowid IN m"
                             f" GROUP BY {col}").fetchall()
            conn.execute("SELECT rowid, snippet(f, 0, '[', ']', '…', 24) FROM f WHERE " + where
                         + " ORDER BY bm25(f) LIMIT 10", args).fetchall()
            conn.execute("DROP TABLE m")
            times.append((time.perf_counter() - start) * 1000)
            totals.append(total)
    conn.close()
    return {
        "build_s": round(build_s, 1), "p50_ms": round(report.median(times), 1),
        "p95_ms": round(report.percentile(times, 95), 1), "index_mb": dir_mb_file(fts),
        "hits": totals[: len(WORKLOAD)],
    }


def dir_mb_file(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 1)


def run_size(n: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-search-{n}-"))
    try:
        paths = Paths(work / "home")
        t0 = time.perf_counter()
        with Store(paths.db) as store:
            populate(store, n, seed=42)
        import_s = time.perf_counter() - t0
        whoosh = run_whoosh(paths)
        fts = run_fts5(paths.db, work)
        return {"excerpts": n, "import_s": round(import_s, 1), "whoosh": whoosh, "fts5": fts,
                "peak_rss_mb": peak_mb()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(results: list[dict]) -> str:
    lines = [
        "Search: Whoosh index vs SQLite FTS5 (`unicode61 remove_diacritics 2`, no stemming) on the",
        f"synthetic French corpus (`indexer/synth.py`, seed 42); {len(WORKLOAD)} queries x {ROUNDS}",
        "rounds, each with facet counts (tag, annotator, site, year) and snippets of the top 10,",
        "3 of them with a tag filter; one searcher reused (its caches filled once, shown apart).",
        "",
        "| excerpts | docs | Whoosh build | docs/s | Whoosh p50 / p95 | FTS5 p50 / p95 | p95 ratio "
        "| index MB (FTS5) | cache fill | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        w, f = r["whoosh"], r["fts5"]
        ratio = w["p95_ms"] / f["p95_ms"] if f["p95_ms"] else float("nan")
        lines.append(
            f"| {r['excerpts']:,} | {w['docs']:,} | {w['build_s']} s | {w['docs_per_s']:,} "
            f"| {w['p50_ms']} / {w['p95_ms']} ms | {f['p50_ms']} / {f['p95_ms']} ms "
            f"| {ratio:.1f}x | {w['index_mb']} ({f['index_mb']}) | {w['cache_fill_ms']} ms "
            f"| {r['peak_rss_mb']} MB |"
        )
    lines += ["", "Targets (issue 5): p95 with facets at 100k within 3x of FTS5's p95; build of "
              "100k excerpts under 5 minutes on one core. Docs include descriptions (~30% of "
              "bookmarks)."]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 100_000]
    results = []
    for n in sizes:
        results.append(run_size(n))
        print(results[-1], flush=True)
    report.write("search", {"sizes": results}, markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main(sys.argv[1:])
