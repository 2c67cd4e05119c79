"""``indexer serve``: the reading room in a browser, a thin layer over :func:`indexer.web.serve`."""

from __future__ import annotations

import errno
import socket

import typer

from ..search import open_searcher
from ..web import exposed, serve
from . import app, engine_option, fail, say, store_paths

EXPOSED = ("warning: --host {host} serves the library to anyone who can reach that address "
           "(there is no login: put it behind your own reverse proxy with authentication)")


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by "
                             "default: only this machine)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    engine: str | None = engine_option(),
) -> None:
    """Serve the reading room: search with facets, each article with its excerpts in place
    (read-only; Ctrl-C stops it)."""
    where = store_paths(ctx)
    with open_searcher(where, engine) as s:  # no index: one line now, not an error page later
        built, name = s.built, s.engine.name
    _check_port(host, port)
    if exposed(host):
        typer.echo(EXPOSED.format(host=host), err=True)
    shown = f"[{host}]" if ":" in host else host
    say(ctx, f"reading room of {where.home} ({name} index built {built}) on "
             f"http://{shown}:{port}/ (Ctrl-C to stop)")
    serve(where, host, port, engine)


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is taken (another `indexer serve`?): "
                     "choose another with --port", 2)
            fail(f"cannot listen on {host}:{port} ({exc.strerror}): check --host", 2)
