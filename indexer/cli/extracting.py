"""``indexer extract`` and ``indexer import-html``: thin layers over
:func:`indexer.extract.extract_all` and :func:`indexer.localpages.import_local_pages`."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..cache import Cache
from ..errors import quoted
from ..store import Store
from . import app, fail, progress, store_paths

if TYPE_CHECKING:  # trafilatura loads in ~0.3 s: only the commands that extract import it
    from ..extract import ExtractSummary
    from ..localpages import LocalPagesReport


def extract_lines(s: ExtractSummary) -> list[str]:
    """The human summary of an extract run."""
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(s.statuses.items())) or "-"
    languages = ", ".join(f"{k} {v}" for k, v in sorted(s.languages.items(), key=lambda kv: -kv[1]))
    lines = [
        (
            f"extracted {s.extracted} of {s.pending} pending ({s.up_to_date} up to date) "
            f"in {s.seconds:.1f} s with {s.extractor_version}"
        ),
        f"  status: {statuses}",
        f"  language: {languages or '-'}",
    ]
    if s.bookmark_languages:
        found = ", ".join(f"{k} {v}" for k, v in sorted(s.bookmark_languages.items(),
                                                       key=lambda kv: -kv[1]))
        lines.append(f"  language of the bookmarks' own words (new or changed): {found}")
    if s.dates_dropped:
        lines.append(f"  copyright-year dates refused: {s.dates_dropped}")
    if s.missing_body:
        lines.append(f"  bodies missing from the cache: {len(s.missing_body)} (run fetch again)")
    lines += [f"  {status}: {bid} ({detail})" for bid, status, detail in s.problems]
    return lines


@app.command()
def extract(
    ctx: typer.Context,
    workers: int = typer.Option(1, "--workers", "-w", help="Processes extracting in parallel."),
    force: bool = typer.Option(False, "--force", help="Re-extract pages already up to date."),
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Extract main text, metadata and language from every fetched page."""
    if workers < 1:
        fail("--workers must be at least 1", 2)
    if format not in ("table", "json"):
        fail(f"unknown --format {quoted(format)}; use table or json", 2)
    # trafilatura logs a warning per odd page; the summary reports what matters
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    where = store_paths(ctx)
    from ..extract import ExtractOptions, extract_all

    options = ExtractOptions(workers=workers, force=force)
    with Store(where.db) as store:
        summary = extract_all(store, Cache(where.cache), options, progress(ctx))
    if format == "json":
        typer.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))
    else:
        for line in extract_lines(summary):
            typer.echo(line)


def report_lines(report: LocalPagesReport) -> list[str]:
    """The human report of an import-html run: one line per page."""
    lines = [
        (
            f"{report.directory}: {len(report.pages)} pages, {len(report.matched)} matched, "
            f"{len(report.unmatched)} unmatched, {report.replaced} earlier fetches replaced"
        )
    ]
    for p in report.pages:
        name = Path(p.path).name
        if p.matched:
            lines.append(
                f"  {name}: {p.how} score {p.score} -> {p.bookmark_title} "
                f"({p.excerpts_found}/{p.excerpts_total} excerpts found)"
            )
        else:
            lines.append(f"  {name}: unmatched: {p.reason}")
    return lines


@app.command("import-html")
def import_html(
    ctx: typer.Context,
    directory: Path = typer.Argument(
        ..., help="Folder of pages saved with a browser (.html, .htm)."
    ),
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Attach saved pages to their bookmarks (by URL, or by title and excerpts) and cache them."""
    if format not in ("table", "json"):
        fail(f"unknown --format {quoted(format)}; use table or json", 2)
    where = store_paths(ctx)
    with Store(where.db) as store:
        from ..localpages import import_local_pages

        report = import_local_pages(store, Cache(where.cache), directory)
    if format == "json":
        data = {
            **asdict(report),
            "matched": len(report.matched),
            "unmatched": len(report.unmatched),
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in report_lines(report):
            typer.echo(line)
