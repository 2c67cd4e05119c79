"""The ``indexer`` command: a thin Typer layer over the library.

Each command module registers its commands on :data:`app`; every command calls one documented
library function. User mistakes arrive as :class:`~indexer.errors.IndexerError` (or as a
usage error of the command line itself) and are printed as one line on stderr with a non-zero
exit, never as a traceback.

The global options (``--home``, ``--quiet``, ``--verbose``) are accepted before the command
and after it (``indexer search x --home DIR``): :func:`main` moves them to the front.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import typer
import typer.core

try:  # typer 0.19+ carries its own copy of click
    from typer._click.exceptions import NoArgsIsHelpError, UsageError
except ImportError:  # pragma: no cover - older typer on the real click
    from click.exceptions import NoArgsIsHelpError, UsageError

from .. import interrupt
from ..config import ENV_HOME, Paths
from ..errors import IndexerError, StoreError, quoted
from ..progress import Progress, for_stream

INTERRUPTED = "interrupted: finished batches are saved; run the command again to resume"
GLOBAL_FLAGS = ("--quiet", "-q", "--verbose", "-v")
GLOBAL_VALUED = ("--home",)
GLOBAL_HELP = ("Global options, here or before the command: --home DIR, --quiet (no "
               "progress), --verbose (a line per item).")
# Plain words for the values options take, in --help (instead of <int>, <list[str]>).
METAVARS = {
    "home": "DIR", "output": "FILE", "format": "FORMAT", "engine": "ENGINE", "since": "DATE",
    "until": "DATE", "limit": "N", "page": "N", "top": "N", "context": "CHARS",
    "workers": "N", "concurrency": "N", "per_host": "N", "retries": "N", "max_bytes": "BYTES",
    "delay": "SECONDS", "timeout": "SECONDS", "deadline": "SECONDS", "wait": "SECONDS",
    "scope": "SCOPE", "sort": "ORDER", "field": "FACET", "lang": "LANG", "cause": "CAUSE",
    "archive_url": "URL", "skip": "STAGE", "encoding": "ENCODING", "delimiter": "CHAR",
    "host": "ADDRESS", "port": "PORT",
    "timegate": "URL",
    "base_url": "URL", "page_size": "N", "backoff": "SECONDS", "token_file": "FILE",
    "key_file": "FILE", "password_file": "FILE", "group": "GROUP", "user": "USER", "uri": "URL",
    "name": "NAME", "names": "NAME", "query": "QUERY",
}


class _Interrupted(Exception):
    """Ctrl-C inside a command, carried past Typer (which would exit 130 silently)."""


def _plain_metavars(command) -> None:
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = METAVARS.get(param.name, param.name.upper())
        if param.param_type_name == "argument":  # its name says it: no <list[Path]> beside,
            param.display_type_rich = lambda ctx: None  # and FILE... rather than {FILES}...
            param.get_usage_pieces = lambda ctx, p=param: [
                p.metavar + ("..." if p.nargs != 1 else "") if p.required
                else f"[{p.metavar}]" + ("..." if p.nargs != 1 else "")]


class _Group(typer.core.TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            _plain_metavars(command)
            command.epilog = command.epilog or GLOBAL_HELP
        return command

    def get_params(self, ctx):
        _plain_metavars(self)
        return super().get_params(ctx)


app = typer.Typer(
    cls=_Group,
    name="indexer",
    help="French-aware research index over annotated web excerpts (Diigo, Hypothesis).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: a box per section reads badly in a pipe, a log, a mail
)


@dataclass(frozen=True)
class Session:
    """What the global options chose for one invocation."""

    paths: Paths
    quiet: bool = False
    verbose: bool = False


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Results and errors only."),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Progress with one line per item (each URL fetched)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    if quiet and verbose:
        fail("--quiet and --verbose say opposite things: choose one", 2)
    ctx.obj = Session(Paths.resolve(home), quiet, verbose)


def session(ctx: typer.Context) -> Session:
    return ctx.find_root().obj


def paths(ctx: typer.Context) -> Paths:
    """The :class:`Paths` chosen by ``--home``, for a command that may create the store
    (``import``, ``build``)."""
    return session(ctx).paths


def store_paths(ctx: typer.Context) -> Paths:
    """The :class:`Paths` chosen by ``--home``, for a command that reads the store: a home
    without one is refused (a mistyped ``--home`` must not look like an empty library)."""
    where = session(ctx).paths
    if not where.db.exists():
        raise StoreError(f"no index home at {where.home}: run `indexer import` (or "
                         "`indexer build`) there first, or pass the right --home")
    return where


def progress(ctx: typer.Context) -> Progress:
    """The progress view of this invocation: a bar on a terminal, lines in a log, nothing
    with --quiet; per-item lines with --verbose."""
    s = session(ctx)
    return for_stream(sys.stderr, quiet=s.quiet, verbose=s.verbose)


def say(ctx: typer.Context, line: str) -> None:
    """A line for the person (warnings, what was written where) on stderr, unless --quiet."""
    if not session(ctx).quiet:
        typer.echo(line, err=True)


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
from . import (  # noqa: E402,F401
    aligning, archiving, corpus, extracting, fetching, pipeline, searching, serving, veille,
)


def hoist_globals(argv: list[str]) -> list[str]:
    """``argv`` with the global options found after the command moved before it."""
    front, rest, i = [], [], 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest += argv[i:]
            break
        if token in GLOBAL_FLAGS or token.startswith("--home="):
            front.append(token)
        elif token in GLOBAL_VALUED and i + 1 < len(argv):
            front += argv[i : i + 2]
            i += 1
        else:
            rest.append(token)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    interrupt.install()
    argv = hoist_globals(list(sys.argv[1:] if argv is None else argv))
    try:
        code = app(args=argv, prog_name="indexer", standalone_mode=False)
    except IndexerError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:  # `indexer` alone: the list of commands
        typer.echo(exc.ctx.get_help())
        sys.exit(0)
    except UsageError as exc:
        typer.echo(f"error: {_usage_message(exc)}", err=True)
        sys.exit(2)
    except (_Interrupted, KeyboardInterrupt, typer.Abort):
        _interrupted()
    except SystemExit as exc:
        # A library may have swallowed a Ctrl-C: the user pressed it, so say so.
        if interrupt.requested() and exc.code in (None, 0, 130):
            _interrupted()
        raise
    if interrupt.requested():
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted() -> None:
    typer.echo(INTERRUPTED, err=True)
    sys.exit(130)


def _usage_message(exc: UsageError) -> str:
    """One line: what was wrong, and where to look (with a near command name if mistyped)."""
    message = exc.format_message().strip().rstrip(".")
    ctx = exc.ctx
    where = f"`{ctx.command_path} --help`" if ctx is not None else "`indexer --help`"
    if message.startswith("No such command") and ctx is not None:
        typed = message.split("'")[1] if "'" in message else ""
        names = list(getattr(ctx.command, "commands", {}))
        near = difflib.get_close_matches(typed, names, n=1)
        if near:
            return f"no command {quoted(typed)}; did you mean `indexer {near[0]}`? ({where} lists them)"
        return f"no command {quoted(typed)} ({where} lists them)"
    return f"{message[0].lower() + message[1:]} (see {where})"
