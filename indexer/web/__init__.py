"""The reading room: the library in a browser, read-only, over the same search API.

``indexer serve`` (or :func:`serve`) starts it on loopback; :func:`create_app` gives the ASGI
application itself (for tests, or for another ASGI server behind a team's reverse proxy).
See docs/reader.md.
"""

from __future__ import annotations

import ipaddress

from ..config import Paths
from .app import Settings, create_app

__all__ = ["Settings", "create_app", "exposed", "serve"]


def exposed(host: str) -> bool:
    """Whether ``host`` lets other machines in (anything but a loopback address or name)."""
    if host in ("localhost", "localhost.localdomain"):
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True  # a host name: whoever resolves it to this machine reaches it


def serve(paths: Paths, host: str = "127.0.0.1", port: int = 8000, engine: str | None = None,
          log_level: str = "warning") -> None:
    """Serve the reading room of ``paths`` with uvicorn until interrupted (Ctrl-C or
    SIGTERM: a clean stop, in-flight requests finished)."""
    import signal

    import uvicorn

    app = create_app(Settings(paths, engine))
    # uvicorn stops on SIGINT itself, then re-raises it to the handler it found: Python's
    # own, so that the stop ends here quietly (not the CLI's "resume" message for stages)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False,
                    access_log=False)
    except KeyboardInterrupt:
        pass
    finally:
        app.state.searchers.close()
