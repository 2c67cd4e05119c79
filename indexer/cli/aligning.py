"""``indexer align``, ``indexer orphans`` and ``indexer export``: thin layers over
:func:`indexer.align.align_all`, :func:`indexer.align.orphans` and
:func:`indexer.export.write_selection`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from .. import export as export_mod
from ..align import AlignOptions, AlignSummary, align_all
from ..align import orphans as orphan_rows
from ..errors import quoted
from ..progress import count
from ..store import Store
from . import app, fail, progress, say, store_paths


def align_lines(s: AlignSummary) -> list[str]:
    """The human summary of an align run."""
    methods = ", ".join(f"{k} {v}" for k, v in sorted(s.methods.items())) or "-"
    causes = ", ".join(f"{k} {v}" for k, v in sorted(s.causes.items())) or "-"
    return [
        f"aligned {s.aligned} of {s.excerpts} excerpts ({s.unchanged} up to date, "
        f"{s.pending} waiting for fetch or extract) in {s.seconds:.1f} s",
        f"  method: {methods}",
        f"  orphan causes: {causes}",
    ]


@app.command()
def align(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Re-align excerpts already up to date."),
    workers: int = typer.Option(1, "--workers", "-w", help="Processes aligning in parallel."),
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """Place every excerpt in its article text (offsets, method, score, text-fragment link)."""
    if format not in ("table", "json"):
        fail(f"unknown --format {quoted(format)}; use table or json", 2)
    if workers < 1:
        fail("--workers must be at least 1", 2)
    with Store(store_paths(ctx).db) as store:
        summary = align_all(store, AlignOptions(force=force), progress(ctx), workers=workers)
    if format == "json":
        typer.echo(json.dumps(asdict(summary), ensure_ascii=False, indent=2))
    else:
        for line in align_lines(summary):
            typer.echo(line)


@app.command()
def orphans(
    ctx: typer.Context,
    cause: Optional[str] = typer.Option(None, "--cause", help="Only this cause."),
    format: str = typer.Option("table", "--format", "-f", help="table or json."),
) -> None:
    """List the excerpts that could not be placed, with their cause (and those found only in
    an archived copy of the page, with its date)."""
    if format not in ("table", "json"):
        fail(f"unknown --format {quoted(format)}; use table or json", 2)
    with Store(store_paths(ctx).db) as store:
        rows = [r for r in orphan_rows(store) if cause is None or r["cause"] == cause]
    if format == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        best = f" best {r['best_score']:.2f}" if r["best_score"] is not None else ""
        if r["archived_url"]:  # not on the live page, but placed in the copy of that day
            best = f" archived {(r['archived_date'] or '')[:10]}"
        text = " ".join(r["text"].split())
        text = text if len(text) <= 60 else text[:59] + "…"
        title = " ".join((r["title"] or "").split())
        title = title if len(title) <= 40 else title[:39] + "…"
        typer.echo(f"{r['cause']}{best}  {r['excerpt_id']}  {title}  {text}")
    archived = sum(1 for r in rows if r["archived_url"])
    tail = f" (and {archived} placed only in an archived copy)" if archived else ""
    say(ctx, count(len(rows) - archived, "orphan") + tail)


EXPORT_HELP = ("jsonl or csv (a row per excerpt), csljson, ris or bibtex (a citation per "
               "work, for Zotero), w3c or hypothesis (an annotation per excerpt).")


def check_export_format(fmt: str, excel: bool, allowed: tuple[str, ...] = ()) -> None:
    """One error line for a format nobody writes, or --excel with anything but CSV."""
    known = allowed + export_mod.FORMATS
    if fmt not in known:
        fail(f"unknown --format {quoted(fmt)}; use one of {', '.join(known)}", 2)
    if excel and fmt != "csv":
        fail("--excel only applies to --format csv", 2)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    format: str = typer.Option("jsonl", "--format", "-f", help=EXPORT_HELP),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
    excel: bool = typer.Option(False, "--excel", help="CSV for a French Excel: UTF-8 BOM and ';'."),
) -> None:
    """Export the whole store: excerpt rows, citations (Zotero) or annotations."""
    check_export_format(format, excel)
    with Store(store_paths(ctx).db) as store:
        n = export_mod.write_selection(store, format, output, excel=excel)
    if output is not None:
        unit = "excerpt" if format in export_mod.ROW_FORMATS else export_mod.UNITS[format]
        say(ctx, f"{count(n, unit)} written to {output}")
