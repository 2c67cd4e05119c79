"""The ``indexer`` command: a thin Typer layer over the library.

Each command module registers its commands on :data:`app`; every command calls one documented
library function. User mistakes arrive as :class:`~indexer.errors.IndexerError` and are printed
as one line on stderr with a non-zero exit, never as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..config import ENV_HOME, Paths
from ..errors import IndexerError

app = typer.Typer(
    name="indexer",
    help="French-aware research index over annotated web excerpts (Diigo, Hypothesis).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    home: Optional[Path] = typer.Option(
        None,
        "--home",
        envvar=ENV_HOME,
        help="Project home: corpus/ and index/ live under it. Default: the current directory.",
        show_default=False,
    ),
) -> None:
    ctx.obj = Paths.resolve(home)


def paths(ctx: typer.Context) -> Paths:
    """The :class:`Paths` chosen by ``--home`` for this invocation."""
    return ctx.find_root().obj


def fail(message: str, code: int = 1) -> None:
    """Print one error line and exit (for checks the CLI itself makes)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


# Command modules register themselves on `app` when imported.
from . import corpus  # noqa: E402,F401

for _optional in ("fetching", "extracting", "aligning", "searching", "pipeline"):
    try:  # stages land one by one; a missing module only means its commands are absent
        __import__(f"{__name__}.{_optional}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_optional}":
            raise


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    try:
        app(args=argv, prog_name="indexer", standalone_mode=True)
    except IndexerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
