"""Whoosh search code of earlier commits beside today's, on the same index, taking turns.

    .venv/bin/python -m bench.search_versions /tmp/pl/100000 dc3f9ec 223a400 --rounds 5

``WORK`` is a directory kept by ``python -m bench.pipeline --keep`` (its ``home`` holds the
index, ``fts.sqlite`` the FTS5 yardstick). Each revision's ``indexer/`` is taken from git
(``git archive``) into a temporary directory as a package of its own name, so that the old
and the current code run **in one process, query by query in turn** (``rev1, rev2, ...,
now, FTS5, rev1, ...``): the machine's load falls on every version alike. The workload is
:mod:`bench.pipeline`'s (four kinds: plain, facets, phrase, articles). Every version must
return the same totals (asserted). Writes ``bench/results/search-versions-<size>.json``,
which ``python -m bench.pipeline`` renders as the before/after table of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from bench import report
from bench.pipeline import FACETS, PHRASES, QUERIES, _fts_search

KINDS = {"plain": (QUERIES, None, "excerpts"), "facets": (QUERIES, FACETS, "excerpts"),
         "phrase": (PHRASES, FACETS, "excerpts"), "articles": (QUERIES, None, "articles")}


def load_revision(rev: str, into: Path):
    """``indexer`` at git revision ``rev``, imported as the package ``indexer_<rev>``."""
    name = "indexer_" + re.sub(r"\W", "_", rev)
    tar = subprocess.run(["git", "archive", rev, "indexer"], cwd=report.ROOT,
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    (into / "indexer").rename(into / name)
    if str(into) not in sys.path:
        sys.path.insert(0, str(into))
    return importlib.import_module(f"{name}.search"), importlib.import_module(f"{name}.config")


def run(work: Path, revs: list[str], rounds: int) -> dict:
    import indexer.config
    import indexer.search

    versions = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rev in revs:
            versions[rev] = load_revision(rev, Path(tmp))
        versions["now"] = (indexer.search, indexer.config)
        searchers = {v: s.open_searcher(c.Paths(work / "home")) for v, (s, c) in versions.items()}
        fts = sqlite3.connect(work / "fts.sqlite")
        out: dict = {"versions": list(versions), "rounds": rounds, "kinds": {}}
        for v, (mod, _) in versions.items():  # each searcher's caches, filled once
            mod.search(searchers[v], "", facets=FACETS, limit=1)
        for kind, (workload, facets, scope) in KINDS.items():
            times = {v: [] for v in [*versions, "fts5"]}
            totals = {v: [] for v in versions}
            for _ in range(rounds):
                for wq, fq, tag in workload:
                    for v, (mod, _) in versions.items():
                        start = time.perf_counter()
                        r = mod.search(searchers[v], wq, filters={"tag": [tag]} if tag else None,
                                       facets=facets, scope=scope, limit=10)
                        times[v].append((time.perf_counter() - start) * 1000)
                        totals[v].append(r.total)
                    start = time.perf_counter()
                    _fts_search(fts, fq, tag, facets, scope)
                    times["fts5"].append((time.perf_counter() - start) * 1000)
            first = totals[revs[0]] if revs else totals["now"]
            assert all(t == first for t in totals.values()), (kind, totals)
            out["kinds"][kind] = {v: {"p50_ms": round(report.median(ts), 2),
                                      "p95_ms": round(report.percentile(ts, 95), 2)}
                                  for v, ts in times.items()}
        fts.close()
        for s in searchers.values():
            s.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(prog="python -m bench.search_versions",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("work", type=Path, help="a size's directory kept by bench.pipeline --keep")
    ap.add_argument("revs", nargs="*", help="earlier git revisions to set beside today's code")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    out = run(args.work, args.revs, args.rounds)
    docs = sqlite3.connect(args.work / "home" / "corpus" / "indexer.sqlite")
    out["excerpts"] = docs.execute("SELECT COUNT(*) FROM excerpts").fetchone()[0]
    docs.close()
    out["machine"], out["when"] = report.machine(), time.strftime("%Y-%m-%dT%H:%M:%S%z")
    path = report.RESULTS / f"search-versions-{out['excerpts']}.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(out["kinds"], indent=1))
    return out


if __name__ == "__main__":
    main()
