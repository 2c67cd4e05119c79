"""``indexer fetch``: a thin layer over :func:`indexer.fetch.fetch_all`."""

from __future__ import annotations

import typer

from ..cache import Cache
from ..fetch import ENV_ALLOW_LOCAL, WAYBACK_AVAILABLE, FetchOptions, fetch_all
from ..store import Store
from . import app, progress, session, store_paths

_DEFAULTS = FetchOptions()


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
    archive_url: str | None = typer.Option(
        None, help="Availability API of a web archive, asked for dead links."
    ),
    archive: bool = typer.Option(
        False, "--archive", help=f"Ask the Wayback Machine for dead links ({WAYBACK_AVAILABLE})."
    ),
    allow_local: bool = typer.Option(
        False, "--allow-local", envvar=ENV_ALLOW_LOCAL,
        help="Allow loopback and private addresses (refused by default).",
    ),
) -> None:
    """Download every bookmarked page once, politely, into the cache under corpus/."""
    options = FetchOptions(
        concurrency=concurrency, per_host=per_host, delay=delay, timeout=timeout, deadline=deadline,
        max_bytes=max_bytes, retries=retries, refresh=refresh, offline=offline,
        only_failed=only_failed, allow_local=allow_local,
        archive_url=archive_url or (WAYBACK_AVAILABLE if archive else None),
    )
    options.check()
    where = store_paths(ctx)
    with Store(where.db) as store:  # Ctrl-C is reported by indexer.cli.main
        summary = fetch_all(store, Cache(where.cache), options, progress(ctx))
    for line in summary.lines(verbose=session(ctx).verbose):
        typer.echo(line)
