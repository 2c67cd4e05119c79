"""``indexer import`` and ``indexer status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .. import ingest
from ..errors import PartialImportError, quoted
from ..progress import count
from ..records import ImportSummary
from ..sources import format_names
from . import app, fail, paths, store_paths


def summary_line(s: ImportSummary) -> str:
    return (
        f"{s.path} [{s.format}]: {count(s.bookmarks_total, 'bookmark')} ({s.bookmarks_new} new, "
        f"{s.bookmarks_updated} updated, {s.bookmarks_unchanged} unchanged), "
        f"{count(s.excerpts_total, 'excerpt')} ({s.excerpts_new} new), "
        f"{count(s.notes_total, 'note')} ({s.notes_new} new)"
    )


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="Export files (format detected from content)."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help=f"Force a format: {', '.join(format_names())}."
    ),
    encoding: Optional[str] = typer.Option(
        None, "--encoding", help="Force the files' encoding (default: UTF-8, else detected)."
    ),
    delimiter: Optional[str] = typer.Option(
        None, "--delimiter", help="Force the CSV separator: ',' ';' or tab (default: found)."
    ),
) -> None:
    """Import export files into the store (one transaction per file; re-importing is safe)."""
    if format and format not in format_names():
        fail(f"unknown format {quoted(format)}; known: {', '.join(format_names())}", 2)
    try:
        summaries = ingest.import_files(paths(ctx), files, format, encoding, delimiter)
    except PartialImportError as exc:
        _print_imports(exc.imported)
        for failure in exc.failures:
            typer.echo(f"error: {failure}", err=True)
        if len(files) > 1:
            typer.echo(f"{count(len(exc.imported), 'file')} imported, "
                       f"{len(exc.failures)} not (named above)", err=True)
        raise typer.Exit(exc.exit_code) from None
    _print_imports(summaries)


def _print_imports(summaries: list[ImportSummary]) -> None:
    for s in summaries:
        typer.echo(summary_line(s))
        for w in s.warnings:
            typer.echo(f"  warning: {w}")


def _label(key: str) -> str:
    """``bookmarks_without_url`` -> ``bookmarks without URL``."""
    return key.replace("_", " ").replace(" url", " URL")


def _print_status(counts: dict) -> None:
    width = max(len(_label(k)) for k in counts)
    for key, value in counts.items():
        if isinstance(value, dict):  # its keys are codes (`orphans --cause no_url`): as is
            shown = ", ".join(f"{k} {v}" for k, v in value.items()) or "-"
        else:
            shown = str(value)
        typer.echo(f"{_label(key):<{width}}  {shown}")


@app.command()
def status(
    ctx: typer.Context,
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Counts per stage: bookmarks, excerpts, fetches, articles, alignments."""
    if format not in ("table", "json"):
        fail(f"unknown --format {quoted(format)}; use table or json", 2)
    counts = ingest.status(store_paths(ctx))
    if format == "json":
        typer.echo(json.dumps(counts, ensure_ascii=False, indent=2))
    else:
        _print_status(counts)
