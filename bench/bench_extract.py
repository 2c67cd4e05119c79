"""Extraction throughput on the 98 real pages of ../shared/corpus/html.

Run: ``.venv/bin/python -m bench.bench_extract``. Measures, in one run:

* the yardstick: ``trafilatura.extract(body)`` alone (plain text, no metadata), before and
  after the rest, so that the machine's drift shows;
* the ways of calling trafilatura we chose between (bytes or our decoded text, dict or JSON);
* :func:`indexer.extract.extract_page` per page (all our work for one page, in this process);
* :func:`indexer.extract.extract_all` end to end (cache read, store writes) with 1 and 2 workers.

Writes bench/results/extract.json and the ``extract`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import time
from pathlib import Path

import trafilatura
from trafilatura.settings import set_date_params

from bench import report
from indexer.cache import Cache
from indexer.extract import ExtractOptions, decode_html, extract_all, extract_page
from indexer.localpages import record_local_page
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store, bookmark_id

HTML = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "html"


def load_pages() -> list[tuple[dict, bytes]]:
    with open(HTML / "MANIFEST.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [(row, (HTML / row["file"]).read_bytes()) for row in rows]


def per_page(pages, fn) -> dict:
    """Time ``fn(row, body)`` on every page; throughput and per-page median/p95."""
    times = []
    started = time.perf_counter()
    for row, body in pages:
        t = time.perf_counter()
        fn(row, body)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    return _figures(len(pages), sum(len(b) for _, b in pages), total, times)


def _figures(n: int, size: int, seconds: float, times: list[float] | None = None) -> dict:
    out = {
        "pages": n,
        "seconds": round(seconds, 3),
        "pages_per_s": round(n / seconds, 1),
        "mb_per_s": round(size / 1e6 / seconds, 2),
    }
    if times:
        out["ms_median"] = round(report.median(times) * 1000, 1)
        out["ms_p95"] = round(report.percentile(times, 95) * 1000, 1)
    return out


def store_run(pages, workers: int) -> dict:
    """``extract_all`` on a fresh store holding every page, ``workers`` processes."""
    with tempfile.TemporaryDirectory() as tmp:
        store, cache = Store(Path(tmp) / "db.sqlite"), Cache(Path(tmp) / "cache")
        recs = [BookmarkRecord(title=row["file"], url=row["original_url"]) for row, _ in pages]
        store.import_parsed(ParseResult("bench", recs), "bench", "bench")
        with store.transaction() as conn:
            for rec, (_, body) in zip(recs, pages):
                record_local_page(conn, bookmark_id(rec), cache.put(body), url=rec.url)
        summary = extract_all(store, cache, ExtractOptions(workers=workers))
        store.close()
    size = sum(len(b) for _, b in pages)
    out = _figures(summary.extracted, size, summary.seconds)
    out["statuses"] = summary.statuses
    out["languages"] = summary.languages
    return out


def main() -> None:
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    pages = load_pages()
    size = sum(len(b) for _, b in pages)
    meta = {
        "with_metadata": True,
        "include_comments": False,
        "date_extraction_params": set_date_params(False),
    }
    results = {"corpus": {"pages": len(pages), "mb": round(size / 1e6, 2)}}
    results["yardstick_before"] = per_page(pages, lambda r, b: trafilatura.extract(b))
    results["bare_bytes"] = per_page(
        pages, lambda r, b: trafilatura.bare_extraction(b, url=r["original_url"], **meta)
    )
    results["bare_decoded"] = per_page(
        pages,
        lambda r, b: trafilatura.bare_extraction(decode_html(b)[0], url=r["original_url"], **meta),
    )
    results["json_bytes"] = per_page(
        pages,
        lambda r, b: trafilatura.extract(b, url=r["original_url"], output_format="json", **meta),
    )
    results["extract_page"] = per_page(
        pages, lambda r, b: extract_page(b, "text/html", None, r["original_url"])
    )
    results["extract_all_1"] = store_run(pages, 1)
    results["extract_all_2"] = store_run(pages, 2)
    results["yardstick_after"] = per_page(pages, lambda r, b: trafilatura.extract(b))
    report.write("extract", results, markdown(results))
    print(markdown(results))


LABELS = {
    "yardstick_before": "yardstick: `trafilatura.extract(bytes)`, text only (before)",
    "bare_bytes": "`bare_extraction(bytes, with_metadata)`",
    "bare_decoded": "`bare_extraction(decoded text, with_metadata)`",
    "json_bytes": "`extract(bytes, output_format=json, with_metadata)`",
    "extract_page": "`extract_page` (decode, fallback text, metadata, language)",
    "extract_all_1": "`extract_all`, 1 worker (cache + store included)",
    "extract_all_2": "`extract_all`, 2 workers",
    "yardstick_after": "yardstick again (after)",
}


def markdown(results: dict) -> str:
    c = results["corpus"]
    lines = [
        "## Extraction (`bench/bench_extract.py`)",
        "",
        f"{c['pages']} real pages of ../shared/corpus/html, {c['mb']} MB, one pass each.",
        "",
        "| what | pages/s | MB/s | per page median | p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in LABELS.items():
        r = results[key]
        med = f"{r['ms_median']} ms" if "ms_median" in r else "-"
        p95 = f"{r['ms_p95']} ms" if "ms_p95" in r else "-"
        lines.append(f"| {label} | {r['pages_per_s']} | {r['mb_per_s']} | {med} | {p95} |")
    lines += [
        "",
        (
            f"Statuses: {results['extract_all_1']['statuses']}; "
            f"languages: {results['extract_all_1']['languages']}."
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
