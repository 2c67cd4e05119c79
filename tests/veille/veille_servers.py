"""Loopback servers that play the Hypothesis and Diigo APIs as their documentation says.

Each serves real rows (the samples of ../shared/corpus/formats) and checks what a client sends:
the credentials, the paging parameters, and that a retry waited for the ``Retry-After`` it was
given; what it finds wrong goes to ``violations`` (and is answered ``400``). Faults come on a
schedule: ``replies`` maps a request number (1-based, counted per server) to the reply given
instead of the page, ``cut`` lists the requests whose page is dropped mid-body, and ``block``
names a request the server holds until ``release`` is set (a test kills the client meanwhile).

Hypothesis ``/api/search`` (h.readthedocs.io, API reference): ``sort``, ``order``, ``limit``
(at most 200), ``search_after`` (the sort field's value of the last row seen), ``offset``,
``group``, ``user``, ``uri``; ``Authorization: Bearer TOKEN``; answers ``{"total", "rows"}``,
``total`` counting every row the search (``search_after`` included) matches.

Diigo ``/api/v2/bookmarks`` (diigo.com/api_dev): ``key``, ``user``, ``start``, ``count`` (at
most 100), ``sort`` (0 created, 1 updated, 2 popularity, 3 hot), ``tags``, ``filter``
(``public``/``all``), ``list``; HTTP Basic with the account's name and password; answers a
JSON array, newest first; ``503`` to a client calling faster than ``min_interval``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from httpserver import Reply, Request, TestServer


@dataclass
class FakeApi:
    """What both servers share: the schedule of faults, the log, the checks."""

    server: TestServer
    replies: dict[int, Reply] = field(default_factory=dict)
    cut: set[int] = field(default_factory=set)
    block: int | None = None
    violations: list[str] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)  # each request's parameters
    blocked: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _hold_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _begin(self, req: Request) -> tuple[int, dict[str, str]]:
        params = {k: v[-1] for k, v in parse_qs(req.query, keep_blank_values=True).items()}
        with self._lock:
            self.params.append(params)
            number = len(self.params)
            if req.at < self._hold_until:
                self.violations.append(f"request {number} came before the Retry-After ended")
        return number, params

    def _fault(self, number: int, req: Request) -> Reply | None:
        reply = self.replies.get(number)
        if reply is not None and "Retry-After" in reply.headers:
            self._hold_until = time.monotonic() + float(reply.headers["Retry-After"])
        if number == self.block:
            self.blocked.set()
            self.release.wait(120)  # bounded: a test that forgot to release does not hang
        return reply

    def _page(self, number: int, body: bytes) -> Reply:
        reply = Reply(200, body, {"Content-Type": "application/json"})
        if number in self.cut:
            reply.cut = len(body) // 2
        return reply

    def _refuse(self, why: str) -> Reply:
        self.violations.append(why)
        return Reply(400, json.dumps({"status": "failure", "reason": why}).encode(),
                     {"Content-Type": "application/json"})


def header(req: Request, name: str) -> str | None:
    for key, value in req.headers.items():
        if key.lower() == name.lower():
            return value
    return None


class FakeHypothesis(FakeApi):
    """``/api/search`` over ``rows``, for the bearer ``token``."""

    KNOWN = frozenset({"sort", "order", "limit", "search_after", "offset", "group", "user", "uri"})

    def __init__(self, server: TestServer, rows: list[dict], token: str, **kw):
        super().__init__(server, **kw)
        self.rows, self.token = rows, token
        server.handler("/api/search", self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url("")

    def handle(self, req: Request) -> Reply:
        number, params = self._begin(req)
        if header(req, "Authorization") != f"Bearer {self.token}":
            return Reply(401, b'{"status": "failure", "reason": "bad token"}')
        problem = self._check(params)
        if problem:
            return self._refuse(f"request {number}: {problem}")
        fault = self._fault(number, req)
        if fault is not None:
            return fault
        rows = [r for r in self.rows if all(r.get(k) == params[k] for k in ("group", "user", "uri")
                                             if k in params)]
        rows.sort(key=lambda r: (r["updated"], r["id"]), reverse=params["order"] == "desc")
        if "search_after" in params:
            after = params["search_after"]
            rows = [r for r in rows if (r["updated"] < after if params["order"] == "desc"
                                        else r["updated"] > after)]
        page = rows[: int(params["limit"])]
        return self._page(number, json.dumps({"total": len(rows), "rows": page}).encode())

    def _check(self, params: dict[str, str]) -> str | None:
        unknown = set(params) - self.KNOWN
        if unknown:
            return f"unknown parameters {sorted(unknown)}"
        if params.get("sort") != "updated" or params.get("order") not in ("asc", "desc"):
            return f"sort={params.get('sort')} order={params.get('order')}: expected sort=updated"
        if not params.get("limit", "").isdigit() or not 1 <= int(params["limit"]) <= 200:
            return f"limit={params.get('limit')} (1 to 200)"
        if "offset" in params and "search_after" in params:
            return "offset together with search_after"
        return None


class FakeDiigo(FakeApi):
    """``/api/v2/bookmarks`` over ``items`` (replace them to play time passing)."""

    KNOWN = frozenset({"key", "user", "start", "count", "sort", "tags", "filter", "list"})

    def __init__(self, server: TestServer, items: list[dict], user: str, key: str,
                 password: str, min_interval: float = 0.0, **kw):
        super().__init__(server, **kw)
        self.items, self.user, self.key, self.password = items, user, key, password
        self.min_interval, self.too_fast, self._last = min_interval, 0, 0.0
        server.handler("/api/v2/bookmarks", self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url("")

    def handle(self, req: Request) -> Reply:
        number, params = self._begin(req)
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if header(req, "Authorization") != expected or params.get("key") != self.key:
            return Reply(401, b'{"status": "failure", "reason": "bad credentials"}')
        problem = self._check(params)
        if problem:
            return self._refuse(f"request {number}: {problem}")
        with self._lock:
            too_fast = req.at - self._last < self.min_interval
            self._last = req.at
        if too_fast:
            self.too_fast += 1
            return Reply(503, b"Service Unavailable: slow down")
        fault = self._fault(number, req)
        if fault is not None:
            return fault
        key = {"0": "created_at", "1": "updated_at"}.get(params.get("sort", "0"), "created_at")
        order = sorted(self.items, key=lambda b: b[key], reverse=True)  # stable: ties as listed
        start, size = int(params.get("start", "0")), int(params.get("count", "20"))
        return self._page(number, json.dumps(order[start : start + size]).encode())

    def _check(self, params: dict[str, str]) -> str | None:
        unknown = set(params) - self.KNOWN
        if unknown:
            return f"unknown parameters {sorted(unknown)}"
        if params.get("user") != self.user:
            return f"user={params.get('user')}"
        size = params.get("count", "20")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            return f"count={size} (1 to 100)"
        if not params.get("start", "0").isdigit():
            return f"start={params.get('start')}"
        if params.get("sort", "0") not in ("0", "1", "2", "3"):
            return f"sort={params.get('sort')}"
        if params.get("filter", "public") not in ("public", "all"):
            return f"filter={params.get('filter')}"
        return None
