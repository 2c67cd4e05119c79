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
import typer.core

from .. import interrupt
from ..config import ENV_HOME, Paths
from ..errors import IndexerError

INTERRUPTED = "interrupted: finished batches are saved; run the command again to resume"


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past Typer (which would exit 130 silently)."""


class _Group(typer.core.TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None


app = typer.Typer(
    cls=_Group,
    name="indexer",
    help="French-aware research index over annotated web excerpts (Diigo, Hypothesis).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"indexer {version('indexer')}")
        raise typer.Exit()


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
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
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


def engine_option():
    """The ``--engine`` option, the same on every command that searches or indexes."""
    return typer.Option(
        None, "--engine", envvar="INDEXER_ENGINE",
        help="Search engine: whoosh (default) or tantivy.",
    )


# Command modules register themselves on `app` when imported.
from . import aligning, corpus, extracting, fetching, pipeline, searching  # noqa: E402,F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    interrupt.install()
    try:
        app(args=argv, prog_name="indexer", standalone_mode=True)
    except IndexerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (_Interrupted, KeyboardInterrupt):
        _interrupted()
    except SystemExit as exc:
        # Typer exits 130 silently on a Ctrl-C it caught itself (while parsing arguments), and
        # a library may have swallowed one: either way the user pressed it, so say so.
        if interrupt.requested() and exc.code in (None, 0, 130):
            _interrupted()
        raise


def _interrupted() -> None:
    typer.echo(INTERRUPTED, err=True)
    sys.exit(130)
