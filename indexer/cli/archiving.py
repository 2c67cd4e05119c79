"""``indexer export-warc``, ``indexer import-warc`` and ``indexer snapshots``: thin layers over
:func:`indexer.warc.export_warc`, :func:`indexer.captures.import_warc` and
:func:`indexer.snapshots.rescue_orphans`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import List, Optional

import typer

from ..cache import Cache
from ..fetch import ENV_ALLOW_LOCAL, FetchOptions
from ..progress import count
from ..store import Store
from . import app, progress, say, session, store_paths
from .aligning import align_lines
from .fetching import ARCHIVE_HELP, ARCHIVE_URL_HELP, TIMEGATE_HELP, WARC_HELP, archive_options
from .fetching import warc_dir as warc_folder


@app.command("export-warc")
def export_warc(
    ctx: typer.Context,
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Folder for the WARC files (default: corpus/warc/)."
    ),
) -> None:
    """Write every cached page as WARC files (for a store fetched before fetches wrote any)."""
    from ..warc import export_warc as export

    where = store_paths(ctx)
    with Store(where.db) as store:
        summary = export(store, Cache(where.cache), output or where.warc)
    names = ", ".join(Path(f).name for f in summary.files) or "no file"
    typer.echo(f"{count(summary.pages, 'page')} written as WARC ({summary.bytes} bytes): {names}"
               f" in {summary.directory}")
    if summary.missing:
        say(ctx, f"  {count(summary.missing, 'page')} no longer in the cache: run "
                 "`indexer fetch` to fetch them again")


@app.command("import-warc")
def import_warc(
    ctx: typer.Context,
    files: List[Path] = typer.Argument(..., help="WARC, WARC.gz or WACZ files."),
) -> None:
    """Attach the pages captured in WARC files (wget, ArchiveBox, Webrecorder) to their
    bookmarks by URL (after redirects and canonical links), as import-html does."""
    from ..captures import import_warc as attach

    where = store_paths(ctx)
    with Store(where.db) as store:
        report = attach(store, Cache(where.cache), files)
    typer.echo(f"{count(len(report.files), 'file')}: {count(report.responses, 'response')}, "
               f"{count(report.pages, 'HTML page')}; {len(report.matched)} bookmarks matched, "
               f"{report.replaced} earlier fetches replaced")
    for m in report.matched:
        typer.echo(f"  {m.how}: {m.capture_url} ({m.date or 'undated'}) -> {m.title}")
    if report.unmatched_pages:
        say(ctx, f"  {count(len(report.unmatched_pages), 'page')} matched no bookmark"
                 + ("" if session(ctx).verbose else " (--verbose lists them)"))
        if session(ctx).verbose:
            for url in report.unmatched_pages:
                say(ctx, f"    {url}")


@app.command()
def snapshots(
    ctx: typer.Context,
    archive: bool = typer.Option(False, "--archive", help=ARCHIVE_HELP),
    archive_url: Optional[str] = typer.Option(None, "--archive-url", help=ARCHIVE_URL_HELP),
    timegate: Optional[str] = typer.Option(None, "--timegate", help=TIMEGATE_HELP),
    refresh: bool = typer.Option(
        False, "--refresh", help="Ask again for the pages the archive had no copy of."
    ),
    delay: float = typer.Option(1.0, "--delay", help="Seconds between requests to one host."),
    allow_local: bool = typer.Option(
        False, "--allow-local", envvar=ENV_ALLOW_LOCAL,
        help="Allow loopback and private addresses (refused by default).",
    ),
    no_warc: bool = typer.Option(False, "--no-warc", help=WARC_HELP),
) -> None:
    """For live pages that lost excerpts, fetch the archived copy of the day each bookmark was
    saved and place those excerpts in it."""
    from ..snapshots import rescue_orphans

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    options = FetchOptions(archive_url=archive_options(archive, archive_url),
                           timegate_url=timegate, refresh=refresh, delay=delay,
                           allow_local=allow_local,
                           warc_dir=warc_folder(session(ctx).paths, no_warc))
    where = store_paths(ctx)
    with Store(where.db) as store:
        summary = rescue_orphans(store, Cache(where.cache), options, progress(ctx))
    for line in summary.lines() + align_lines(summary.align):
        typer.echo(line)
