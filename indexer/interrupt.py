"""Ctrl-C that no library can swallow.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the main thread happens to be; a library
with a bare ``except:`` (HTML parsers have them) can eat it and the run goes on, and Typer turns
one that lands while it parses arguments into a silent exit. So the CLI installs
:func:`install`: the handler remembers the request *and* raises as usual; stages call
:func:`check` between items, and the CLI reports a remembered request even when the exception
itself was lost. The flag is per process, like the signal it stands for.
"""

from __future__ import annotations

import signal
import threading

_requested = threading.Event()


def _handler(signum, frame) -> None:
    _requested.set()
    raise KeyboardInterrupt


def install() -> None:
    """Route SIGINT through :func:`_handler` (main thread only, as ``signal`` requires)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)


def requested() -> bool:
    """Was Ctrl-C pressed in this process?"""
    return _requested.is_set()


def check() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed (and swallowed) since the start."""
    if _requested.is_set():
        raise KeyboardInterrupt
