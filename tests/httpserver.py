"""A real HTTP server for tests and benchmarks, on loopback only.

:class:`TestServer` is a ``ThreadingHTTPServer`` bound to ``127.0.0.x`` on an ephemeral port.
It serves static directories (the real pages of ``../shared/corpus/html``, our own fixtures)
and routes a test adds (:meth:`TestServer.route`, :meth:`TestServer.sequence`,
:meth:`TestServer.handler`). It counts requests per path and the largest number of requests
it had in flight at once, so tests can check "no request on the second run" and "never more
than N at a time on one host". Bind ``127.0.0.2``, ``127.0.0.3``... for separate "hosts".

Nothing here talks to anything but loopback addresses.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit


@dataclass
class Reply:
    """What a route answers.

    ``wait`` sleeps before the status line (a slow server); ``drip`` sends the body in
    ``drip`` pieces with ``drip_wait`` seconds between them (a slow-drip server: each read is
    quick, the whole is slow); ``length=False`` omits Content-Length and closes the connection
    at the end of the body (a streamed body of unknown size); ``cut`` sends only that many
    bytes of the body, then closes the connection (a connection dropped mid-body: the
    Content-Length still announces the whole body).
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    wait: float = 0.0
    drip: int = 0
    drip_wait: float = 0.0
    length: bool = True
    cut: int | None = None


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    at: float


Handler = Callable[[Request], Reply]


class TestServer:
    """A threaded HTTP server on ``host`` (a loopback address) and an ephemeral port."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "127.0.0.1", latency: float = 0.0):
        if not host.startswith("127."):
            raise ValueError("test servers bind loopback addresses only")
        self.host = host
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self.log: list[Request] = []
        self.max_inflight = 0
        self._inflight = 0
        self._lock = threading.Lock()
        self._routes: dict[str, Handler] = {}
        self._static: list[tuple[str, Path, str]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- what it serves ---------------------------------------------------------------------

    def route(self, path: str, reply: Reply | None = None, **kw) -> str:
        """Answer ``path`` with ``reply`` (or ``Reply(**kw)``) every time; returns its URL."""
        fixed = reply or Reply(**kw)
        self._routes[path] = lambda _req: fixed
        return self.url(path)

    def sequence(self, path: str, replies: Iterable[Reply]) -> str:
        """Answer ``path`` with each reply in turn, then repeat the last one."""
        queue = list(replies)

        def next_reply(_req: Request) -> Reply:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self._routes[path] = next_reply
        return self.url(path)

    def handler(self, path: str, fn: Handler) -> str:
        """Answer ``path`` by calling ``fn(request)``."""
        self._routes[path] = fn
        return self.url(path)

    def static(self, prefix: str, directory: Path, content_type: str = "text/html") -> None:
        """Serve the files under ``directory`` at ``prefix/relative/path``."""
        self._static.append((prefix.rstrip("/") + "/", Path(directory), content_type))

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    @property
    def total(self) -> int:
        """Requests received so far, all paths."""
        return sum(self.counts.values())

    def reset(self) -> None:
        """Forget the counts and the log (routes stay)."""
        with self._lock:
            self.counts.clear()
            self.log.clear()
            self.max_inflight = 0

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> TestServer:
        self._httpd = ThreadingHTTPServer((self.host, self.port), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections and close the socket (the port is then refused)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- called by the request handler --------------------------------------------------------

    def _answer(self, req: Request) -> Reply:
        with self._lock:
            self.counts[req.path] += 1
            self.log.append(req)
        if req.path in self._routes:
            return self._routes[req.path](req)
        for prefix, directory, ctype in self._static:
            if req.path.startswith(prefix):
                return _file_reply(directory, req.path[len(prefix):], ctype)
        return Reply(404, b"<html><body>not found</body></html>", {"Content-Type": "text/html"})

    def _enter(self) -> None:
        with self._lock:
            self._inflight += 1
            self.max_inflight = max(self.max_inflight, self._inflight)

    def _leave(self) -> None:
        with self._lock:
            self._inflight -= 1


def _file_reply(directory: Path, relative: str, ctype: str) -> Reply:
    from urllib.parse import unquote

    target = (directory / unquote(relative)).resolve()
    if directory.resolve() not in target.parents or not target.is_file():
        return Reply(404, b"not found", {"Content-Type": "text/plain"})
    return Reply(200, target.read_bytes(), {"Content-Type": ctype})


def _make_handler(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        disable_nagle_algorithm = True  # else headers+body writes stall 40 ms (delayed ACK)

        def do_GET(self) -> None:
            server._enter()
            try:
                self._serve()
            finally:
                server._leave()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            req = Request("GET", parts.path, parts.query, dict(self.headers), time.monotonic())
            reply = server._answer(req)
            time.sleep(server.latency + reply.wait)
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            if reply.length and not reply.drip:
                self.send_header("Content-Length", str(len(reply.body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                self._write_body(reply)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up: that is the point

        def _write_body(self, reply: Reply) -> None:
            if reply.cut is not None:
                self.wfile.write(reply.body[: reply.cut])
                self.wfile.flush()
                self.close_connection = True
                return
            if not reply.drip:
                self.wfile.write(reply.body)
                return
            step = max(1, len(reply.body) // reply.drip)
            for i in range(0, len(reply.body), step):
                self.wfile.write(reply.body[i : i + step])
                self.wfile.flush()
                time.sleep(reply.drip_wait)

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    return _Handler
