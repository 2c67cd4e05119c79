"""``indexer fetch``: a thin layer over :func:`indexer.fetch.fetch_all`."""

from __future__ import annotations

import sys

import typer

from ..cache import Cache
from ..fetch import (
    ENV_ALLOW_LOCAL,
    WAYBACK_AVAILABLE,
    FetchOptions,
    FetchOutcome,
    fetch_all,
)
from ..store import Store
from . import app, paths

_DEFAULTS = FetchOptions()


class LogProgress:
    """Plain log lines on stderr (when stderr is not a terminal: CI, files, pipes)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        typer.echo(f"fetching {total} pages", err=True)

    def update(self, out: FetchOutcome) -> None:
        self.done += 1
        if out.kind == "failed" or out.kind == "refresh_failed":
            what = f"{out.kind} {out.error}"
        else:
            what = f"{out.kind} {out.status} {out.content_type or '-'} {out.size or 0} B"
        typer.echo(f"[{self.done}/{self.total}] {what} {out.url}", err=True)


class BarProgress:
    """A tqdm bar on a terminal, with the running count of failures."""

    def __init__(self) -> None:
        self.bar = None
        self.failed = 0

    def start(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="page", desc="fetch", file=sys.stderr)

    def update(self, out: FetchOutcome) -> None:
        self.failed += out.kind == "failed"
        self.bar.set_postfix(failed=self.failed, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@app.command()
def fetch(
    ctx: typer.Context,
    workers: int = typer.Option(_DEFAULTS.workers, help="Requests in flight, all hosts."),
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
        workers=workers, per_host=per_host, delay=delay, timeout=timeout, deadline=deadline,
        max_bytes=max_bytes, retries=retries, refresh=refresh, offline=offline,
        only_failed=only_failed, allow_local=allow_local,
        archive_url=archive_url or (WAYBACK_AVAILABLE if archive else None),
    )
    options.check()
    where = paths(ctx)
    progress = BarProgress() if sys.stderr.isatty() else LogProgress()
    try:  # Ctrl-C is reported by indexer.cli.main, like every command's
        with Store(where.db) as store:
            summary = fetch_all(store, Cache(where.cache), options, progress)
    finally:
        if isinstance(progress, BarProgress):
            progress.close()
    for line in summary.lines():
        typer.echo(line)
