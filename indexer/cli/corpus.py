"""``indexer import`` and ``indexer status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .. import ingest
from ..records import ImportSummary
from ..sources import format_names
from . import app, fail, paths, store_paths


def summary_line(s: ImportSummary) -> str:
    return (
        f"{s.path} [{s.format}]: {s.bookmarks_total} bookmarks ({s.bookmarks_new} new, "
        f"{s.bookmarks_updated} updated, {s.bookmarks_unchanged} unchanged), "
        f"{s.excerpts_total} excerpts ({s.excerpts_new} new), "
        f"{s.notes_total} notes ({s.notes_new} new)"
    )


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="Export files (format detected from content)."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help=f"Force a format: {', '.join(format_names())}."
    ),
) -> None:
    """Import export files into the store (one transaction per file; re-importing is safe)."""
    if format and format not in format_names():
        fail(f"unknown format {format!r}; known: {', '.join(format_names())}", 2)
    for s in ingest.import_files(paths(ctx), files, format):
        typer.echo(summary_line(s))
        for w in s.warnings:
            typer.echo(f"  warning: {w}")


def _label(key: str) -> str:
    """``bookmarks_without_url`` -> ``bookmarks without URL``."""
    return key.replace("_", " ").replace(" url", " URL")


def _print_status(counts: dict) -> None:
    width = max(len(_label(k)) for k in counts)
    for key, value in counts.items():
        if isinstance(value, dict):
            shown = ", ".join(f"{_label(k)} {v}" for k, v in value.items()) or "-"
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
        fail(f"unknown --format {format!r}; use table or json", 2)
    counts = ingest.status(store_paths(ctx))
    if format == "json":
        typer.echo(json.dumps(counts, ensure_ascii=False, indent=2))
    else:
        _print_status(counts)
