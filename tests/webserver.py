"""The reading room served for real in tests: uvicorn on a free loopback port, in a thread.

Usage::

    with Reader(paths) as reader:
        httpx.get(reader.url("/?q=plateforme"))
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import uvicorn

from indexer.config import Paths
from indexer.web import Settings, create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reader:
    """``indexer serve`` for ``paths`` (and ``engine``), started and stopped by a test."""

    def __init__(self, paths: Paths, engine: str | None = None, pool: int = 4):
        self.app = create_app(Settings(paths, engine, pool=pool))
        self.port = free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error",
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        end = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > end or not self._thread.is_alive():
                raise RuntimeError(f"the reading room did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self.app.state.searchers.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
