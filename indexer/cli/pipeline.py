"""``indexer build``: a thin layer over :func:`indexer.pipeline.build`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import quoted
from ..fetch import ENV_ALLOW_LOCAL, FetchOptions
from ..pipeline import STAGES, BuildOptions, build
from . import app, engine_option, fail, paths, progress, session
from .aligning import align_lines
from .fetching import ARCHIVE_HELP, TIMEGATE_HELP, WARC_HELP, archive_options
from .corpus import summary_line
from .extracting import extract_lines
from .searching import entity_lines, index_lines


@app.command("build")
def build_cmd(
    ctx: typer.Context,
    files: Optional[List[Path]] = typer.Argument(None, help="Export files to import first."),
    concurrency: int = typer.Option(
        8, "--concurrency", help="Fetch requests in flight, all hosts."
    ),
    workers: int = typer.Option(
        1, "--workers", "-w",
        help="Processes for extract, align, entities and the index's analysis (2 on two cores)."
    ),
    offline: bool = typer.Option(False, "--offline", help="No network: use the cache only."),
    allow_local: bool = typer.Option(
        False, "--allow-local", envvar=ENV_ALLOW_LOCAL,
        help="Allow loopback and private addresses (refused by default).",
    ),
    delay: float = typer.Option(1.0, "--delay", help="Seconds between requests to one host."),
    entities: bool = typer.Option(
        True, "--entities/--no-entities", help="Run the entities stage (spaCy, French texts)."
    ),
    skip: Optional[List[str]] = typer.Option(
        None, "--skip", help=f"A stage not to run (repeatable): {', '.join(STAGES[1:])}."
    ),
    engine: Optional[str] = engine_option(),
    archive: bool = typer.Option(False, "--archive", help=ARCHIVE_HELP),
    timegate: Optional[str] = typer.Option(None, "--timegate", help=TIMEGATE_HELP),
    no_warc: bool = typer.Option(False, "--no-warc", help=WARC_HELP),
) -> None:
    """Import the given files, then fetch, extract, align, find entities and index: one summary.
    With --archive or --timegate, dead links and pages that lost excerpts are read in the
    archived copy of the day each bookmark was saved."""
    unknown = set(skip or ()) - set(STAGES[1:])
    if unknown:
        fail(f"unknown stage {quoted(sorted(unknown)[0])}; stages: {', '.join(STAGES[1:])}", 2)
    if workers < 1:
        fail("--workers must be at least 1", 2)
    fetch = FetchOptions(concurrency=concurrency, offline=offline, allow_local=allow_local,
                         delay=delay, archive_url=archive_options(archive, None),
                         timegate_url=timegate)
    fetch.check()
    options = BuildOptions(
        files=files or (), fetch=fetch, workers=workers,
        entities=entities, skip=frozenset(skip or ()), engine=engine, warc=not no_warc,
    )
    quiet = session(ctx).quiet
    report = build(paths(ctx), options, progress=progress(ctx),
                   log=lambda line: quiet or typer.echo(line, err=True))
    for line in build_lines(report, verbose=session(ctx).verbose):
        typer.echo(line)


def build_lines(report, verbose: bool = False) -> list[str]:
    """One summary: each stage's own report, in order, with its wall time."""
    show = {
        "import": lambda s: [summary_line(i) for i in s] + [
            f"  warning: {w}" for i in s for w in i.warnings],
        "fetch": lambda s: s.lines(verbose),
        "extract": extract_lines,
        "align": align_lines,
        "snapshots": lambda s: s.lines() + align_lines(s.align),
        "entities": entity_lines,
        "index": index_lines,
    }
    lines = []
    for name, summary in report.stages.items():
        lines.append(f"== {name} ({report.seconds[name]:.1f} s)")
        lines += show[name](summary)
    return lines
