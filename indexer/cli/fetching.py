"""``indexer fetch``: a thin layer over :func:`indexer.fetch.fetch_all`.

:func:`archive_options` and :func:`warc_dir` are shared with ``indexer snapshots`` and
``indexer build``."""

from __future__ import annotations

import typer

from ..cache import Cache
from ..config import Paths
from ..fetch import ENV_ALLOW_LOCAL, WAYBACK_AVAILABLE, FetchOptions, fetch_all
from ..store import Store
from . import app, progress, session, store_paths

_DEFAULTS = FetchOptions()
ARCHIVE_HELP = (f"Ask the Wayback Machine for the copy of the bookmark's saved date "
                f"({WAYBACK_AVAILABLE}).")
ARCHIVE_URL_HELP = "Availability API of a web archive (Wayback's JSON), asked with the saved date."
TIMEGATE_HELP = ("Memento TimeGate (RFC 7089) to ask with the saved date; the URL is appended "
                 "(e.g. https://web.archive.org/web/).")
WARC_HELP = "Do not also write what is fetched as WARC files under corpus/warc/."


def archive_options(archive: bool, archive_url: str | None) -> str | None:
    """The availability API a command asks: --archive-url, else Wayback's with --archive."""
    return archive_url or (WAYBACK_AVAILABLE if archive else None)


def warc_dir(where: Paths, no_warc: bool):
    """Where fetches are written as WARC (None with --no-warc)."""
    return None if no_warc else where.warc


@app.command()
def fetch(
    ctx: typer.Context,
    concurrency: int = typer.Option(
        _DEFAULTS.concurrency, "--concurrency", help="Requests in flight, all hosts."
    ),
    per_host: int = typer.Option(_DEFAULTS.per_host, help="Requests in flight to one host."),
    delay: float = typer.Option(
        _DEFAULTS.delay, help="Seconds between request starts to one host."
    ),
    timeout: float = typer.Option(_DEFAULTS.timeout, help="Connect/read timeout, seconds."),
    deadline: float = typer.Option(_DEFAULTS.deadline, help="Total seconds for one attempt."),
    max_bytes: int = typer.Option(_DEFAULTS.max_bytes, help="Largest body kept, in bytes."),
    retries: int = typer.Option(_DEFAULTS.retries, help="Retries on timeouts, 429 and 5xx."),
    refresh: bool = typer.Option(
        False, "--refresh", help="Revalidate what is cached (conditional GET)."
    ),
    offline: bool = typer.Option(False, "--offline", help="No network: report cached and missing."),
    only_failed: bool = typer.Option(
        False, "--only-failed", help="Retry the failed fetches (and nothing else)."
    ),
    archive_url: str | None = typer.Option(None, help=ARCHIVE_URL_HELP),
    archive: bool = typer.Option(False, "--archive", help=ARCHIVE_HELP),
    timegate: str | None = typer.Option(None, "--timegate", help=TIMEGATE_HELP),
    no_warc: bool = typer.Option(False, "--no-warc", help=WARC_HELP),
    allow_local: bool = typer.Option(
        False, "--allow-local", envvar=ENV_ALLOW_LOCAL,
        help="Allow loopback and private addresses (refused by default).",
    ),
) -> None:
    """Download every bookmarked page once, politely, into the cache under corpus/ (and as
    WARC under corpus/warc/); dead links from a web archive with --archive or --timegate."""
    options = FetchOptions(
        concurrency=concurrency, per_host=per_host, delay=delay, timeout=timeout, deadline=deadline,
        max_bytes=max_bytes, retries=retries, refresh=refresh, offline=offline,
        only_failed=only_failed, allow_local=allow_local,
        archive_url=archive_options(archive, archive_url), timegate_url=timegate,
        warc_dir=warc_dir(session(ctx).paths, no_warc),
    )
    options.check()
    where = store_paths(ctx)
    with Store(where.db) as store:  # Ctrl-C is reported by indexer.cli.main
        summary = fetch_all(store, Cache(where.cache), options, progress(ctx))
    for line in summary.lines(verbose=session(ctx).verbose):
        typer.echo(line)
