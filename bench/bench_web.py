"""The reading room's pages beside the same work through the Python API: the web layer's cost.

    .venv/bin/python -m bench.bench_web                 # 10k and 100k excerpts, both engines
    .venv/bin/python -m bench.bench_web 10000           # one size
    .venv/bin/python -m bench.bench_web --work /tmp/web # keep (and reuse) the stores
    .venv/bin/python -m bench.bench_web 10000 --merge   # keep the other sizes' rows

For each size, the synthetic corpus of ``indexer/synth.py`` (seed 42, the store of
bench/bench_engines.py), indexed by each engine; ``indexer serve`` runs in its own process on
a loopback port, and one client asks, one request at a time:

* the search page of each query of bench/bench_search.py's workload (with its tag filter
  where it has one), with the page's 7 facets and 20 hits, ``ROUNDS`` times: the time to the
  last byte of the page, over HTTP;
* beside each, in this process, the same :func:`indexer.search.search` call the page makes
  (same query, filters, facets, 20 hits, one searcher reused): the yardstick;
* the article page of 30 seeded bookmarks, beside :func:`indexer.reading.read_bookmark`.

Medians and p95 in ms; the ratio page / API is the overhead of HTTP, templates and the
server's own searcher pool. The load test (tests/web/test_reader_load.py) checks that the
pages keep answering under 20 clients during rebuilds; this one measures one client.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import report
from bench.bench_engines import store_for
from bench.bench_search import WORKLOAD
from indexer.config import Paths
from indexer.index import build_index
from indexer.lifecycle import current_build
from indexer.engines import get_engine
from indexer.reading import read_bookmark
from indexer.search import open_searcher, search
from indexer.store import Store
from indexer.web.pages import FACETS, PAGE_SIZE

SIZES = [10_000, 100_000]
ENGINES = ["whoosh", "tantivy"]
ROUNDS = 5
ARTICLES = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(paths: Paths, engine: str) -> tuple[subprocess.Popen, str]:
    """``indexer serve`` for ``paths`` in its own process; its base URL once it answers."""
    port = free_port()
    log = open(paths.home / f"serve-{engine}.log", "w")  # the server's errors, if any
    proc = subprocess.Popen([sys.executable, "-m", "indexer", "--home", str(paths.home), "-q",
                             "serve", "--port", str(port), "--engine", engine],
                            stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/static/reader.css", timeout=5)
            return proc, base
        except httpx.TransportError:
            if time.monotonic() > end or proc.poll() is not None:
                proc.kill()
                sys.exit(f"indexer serve did not start: see {log.name}")
            time.sleep(0.2)


def failed(paths: Paths, engine: str, what: str, response: httpx.Response) -> None:
    log = (paths.home / f"serve-{engine}.log").read_text()[-4000:]
    sys.exit(f"{what}: {response.status_code}\n{log}")


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def measure(paths: Paths, engine: str) -> dict:
    with Store(paths.db) as store:
        ids = [b for (b,) in store.conn.execute("SELECT id FROM bookmarks ORDER BY id")]
    picked = random.Random(42).sample(ids, min(ARTICLES, len(ids)))
    proc, base = serving(paths, engine)
    page, api, art_page, art_api = [], [], [], []
    try:
        with httpx.Client(base_url=base, timeout=60) as client, \
                open_searcher(paths, engine) as s:
            client.get("/")  # the server's caches, once; then ours
            search(s, "", facets=FACETS, limit=PAGE_SIZE)
            for _ in range(ROUNDS):
                for query, _, tag in WORKLOAD:
                    params = {"q": query, **({"tag": tag} if tag else {})}
                    start = time.perf_counter()
                    r = client.get("/?" + urlencode(params))
                    page.append(ms(start))
                    if r.status_code != 200:
                        failed(paths, engine, f"search page {query!r}", r)
                    start = time.perf_counter()
                    search(s, query, filters={"tag": [tag]} if tag else None, facets=FACETS,
                           limit=PAGE_SIZE)
                    api.append(ms(start))
            for bid in picked:
                start = time.perf_counter()
                r = client.get(f"/b/{bid}")
                art_page.append(ms(start))
                if r.status_code != 200:
                    failed(paths, engine, f"article page {bid}", r)
                start = time.perf_counter()
                read_bookmark(paths, bid)
                art_api.append(ms(start))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"engine": engine, **stats("page", page), **stats("api", api),
            **stats("article_page", art_page), **stats("article_api", art_api)}


def stats(name: str, values: list[float]) -> dict:
    return {f"{name}_p50_ms": round(report.median(values), 2),
            f"{name}_p95_ms": round(report.percentile(values, 95), 2), f"{name}_n": len(values)}


def run_size(n: int, work: Path) -> list[dict]:
    paths = store_for(n, work)
    out = []
    for engine in ENGINES:
        if current_build(get_engine(engine), paths) is None:
            build_index(paths, rebuild=True, engine=engine)
        row = {"excerpts": n, **measure(paths, engine)}
        print(row, flush=True)
        out.append(row)
    return out


def markdown(rows: list[dict]) -> str:
    lines = [
        "## The reading room: page render beside the Python API",
        "",
        "`.venv/bin/python -m bench.bench_web`: `indexer serve` in its own process, one client "
        "on loopback, one request at a time (time to the last byte); beside each request, the "
        "same `search()` call in the client's process (7 facets, 20 hits, one searcher "
        f"reused). Workload: the 10 queries of bench_search x {ROUNDS}; article pages of "
        f"{ARTICLES} seeded bookmarks beside `read_bookmark()`. Synthetic corpus, seed 42. "
        "*Web layer*: the page's median minus the API's (HTTP, the pool, the template).",
        "",
        "| excerpts | engine | search page p50 / p95 | `search()` p50 / p95 | page / API (p50) "
        "| web layer p50 | article page p50 / p95 | `read_bookmark()` p50 / p95 "
        "| page / API (p50) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['excerpts']:,} | {r['engine']} | {r['page_p50_ms']} / {r['page_p95_ms']} ms "
            f"| {r['api_p50_ms']} / {r['api_p95_ms']} ms "
            f"| {r['page_p50_ms'] / r['api_p50_ms']:.2f}x "
            f"| +{r['page_p50_ms'] - r['api_p50_ms']:.1f} ms "
            f"| {r['article_page_p50_ms']} / {r['article_page_p95_ms']} ms "
            f"| {r['article_api_p50_ms']} / {r['article_api_p95_ms']} ms "
            f"| {r['article_page_p50_ms'] / r['article_api_p50_ms']:.2f}x |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=SIZES)
    parser.add_argument("--work", type=Path, help="Keep the stores here (reused next time).")
    parser.add_argument("--merge", action="store_true",
                        help="Keep the other sizes of bench/results/web.json.")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-web-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.sizes:
            rows += run_size(n, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    saved = report.RESULTS / "web.json"
    if args.merge and saved.exists():
        kept = [r for r in json.loads(saved.read_text())["rows"] if r["excerpts"] not in args.sizes]
        rows = sorted(kept + rows, key=lambda r: (r["excerpts"], ENGINES.index(r["engine"])))
    report.write("web", {"rows": rows}, markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
