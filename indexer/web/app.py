"""The reading room's web application (Starlette): routes, security headers, error pages.

Read-only by construction: every page goes through the search API (:mod:`indexer.search`)
or the read-only store (:mod:`indexer.reading`); nothing here runs a stage. Searchers are
borrowed from a small pool (:class:`Searchers`) that follows the index's ``current`` link,
so pages keep answering while ``indexer index --rebuild`` swaps a new build in.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import Paths
from ..engines import get_engine
from ..errors import IndexerError, IndexMissingError, QueryError, StoreError
from ..export import write_selection
from ..lifecycle import current_build
from ..reading import read_bookmark
from ..search import DEFAULT_FACETS, OpenIndex, search
from ..store import Store
from . import pages
from .state import SearchState
from .words import words

log = logging.getLogger("indexer.web")
HERE = Path(__file__).parent

# No script at all, nothing from another origin, no framing: the pages are text and links.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
EXPORT_MAX = 5000  # hits in one export of a result set (the same rows as `indexer search`)
# what the page offers to download: format -> (media type, file extension)
DOWNLOADS = {
    "csv": ("text/csv", "csv"), "json": ("application/json", "json"),
    "ris": ("application/x-research-info-systems", "ris"),
    "csljson": ("application/vnd.citationstyles.csl+json", "csl.json"),
    "bibtex": ("application/x-bibtex", "bib"),
    "w3c": ('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', "jsonld"),
    "hypothesis": ("application/json", "hypothesis.json"),
}


@dataclass
class Settings:
    """What one reading room serves: a home, an engine, a language for its words."""

    paths: Paths
    engine: str | None = None
    lang: str = "fr"
    pool: int = 4  # searchers open at once (each keeps its own caches)


class Searchers:
    """Open searchers of the current build, lent one request at a time.

    At most ``size`` searches run at once (the others wait: the machine has few cores and the
    GIL, and each searcher holds caches). When ``current`` points to a new build, the idle
    searchers of the old one are closed and new ones opened; a searcher lent out finishes on
    the build it opened (its files stay readable) and is closed at the next borrow.
    """

    def __init__(self, paths: Paths, engine: str | None, size: int):
        self.paths, self.engine, self.size = paths, get_engine(engine), size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._idle: list[OpenIndex] = []

    @contextmanager
    def borrow(self) -> Iterator[OpenIndex]:
        with self._slots:
            s = self._take()
            try:
                yield s
            finally:
                self._give_back(s)

    def _take(self) -> OpenIndex:
        build = current_build(self.engine, self.paths)
        with self._lock:
            stale = [s for s in self._idle if s.build != build]
            self._idle = [s for s in self._idle if s.build == build]
            s = self._idle.pop() if self._idle else None
        for old in stale:
            old.close()
        return s or OpenIndex(self.paths, self.engine.name)

    def _give_back(self, s: OpenIndex) -> None:
        # kept even if a rebuild swapped its build out meanwhile: the next borrow, which
        # looks at `current` anyway, closes it (one look a request, not two)
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(s)
                return
        s.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for s in idle:
            s.close()


def _environment(lang: str) -> Environment:
    # Templates read once, at start (auto_reload off, all loaded now): a server running while
    # the package is upgraded keeps the templates of its own code (new templates over old
    # code made a 500 once, when one was edited under a running server).
    env = Environment(loader=FileSystemLoader(HERE / "templates"), auto_reload=False,
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["w"] = words(lang)
    env.globals["export_max"] = EXPORT_MAX
    for name in env.list_templates():
        env.get_template(name)
    return env


def create_app(settings: Settings) -> Starlette:
    """The reading room over ``settings.paths`` (see :func:`indexer.web.serve`)."""
    env = _environment(settings.lang)
    pool = Searchers(settings.paths, settings.engine, settings.pool)

    def render(name: str, status: int = 200, headers=None, **context) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status,
                            headers=headers)

    def searching(state: SearchState, limit: int, facets: list[str] | None):
        args = dict(filters=state.filter_dict, scope=state.scope, sort=state.sort,
                    since=state.since or None, until=state.until or None, facets=facets)
        for attempt in (1, 2):
            with pool.borrow() as s:
                try:
                    return search(s, state.q, limit=limit, page=state.page, **args)
                except OSError:  # a build removed under an old searcher: once more on the new
                    if attempt == 2:
                        raise

    def search_page(request: Request) -> Response:
        state = SearchState.from_params(request.query_params)
        results = searching(state, pages.PAGE_SIZE, pages.FACETS)
        return render("search.html", page=pages.search_page(state, results, env.globals["w"]))

    def article_page(request: Request) -> Response:
        try:
            reading = read_bookmark(settings.paths, request.path_params["bookmark_id"])
        except QueryError as exc:
            raise HTTPException(404, str(exc)) from exc
        back = request.query_params.get("back", "")
        return render("article.html", page=pages.article_page(reading, back))

    def export(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        if fmt not in DOWNLOADS:
            raise HTTPException(404, f"no export as {fmt}: use one of {', '.join(DOWNLOADS)}")
        state = SearchState.from_params(request.query_params).at_page(1)
        # the JSON of `indexer search --format json`, with the same facets
        results = searching(state, EXPORT_MAX, DEFAULT_FACETS if fmt == "json" else None)
        media, extension = DOWNLOADS[fmt]
        out = io.StringIO()
        if fmt == "json":  # the document of `indexer search --format json`
            out.write(json.dumps(results.payload(), ensure_ascii=False, indent=2) + "\n")
        else:
            excel = fmt == "csv" and request.query_params.get("excel") == "1"
            with Store(settings.paths.db, readonly=True) as store:
                write_selection(store, fmt, out, rows=results.rows(), excel=excel)
        return _download(out.getvalue(), media, f"recherche.{extension}")

    async def bad_request(request: Request, exc: Exception) -> Response:
        return render("error.html", 400, title=words(settings.lang).bad_query, message=str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        return render("error.html", 503, title=words(settings.lang).unavailable,
                      message=str(exc))

    async def http_error(request: Request, exc: HTTPException) -> Response:
        w = words(settings.lang)
        title = w.not_found if exc.status_code == 404 else str(exc.status_code)
        return render("error.html", exc.status_code, title=title, message=exc.detail)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error while serving %s", request.url.path)
        w = words(settings.lang)
        # this one answers from outside the middleware: it brings its own headers
        return render("error.html", 500, SECURITY_HEADERS, title=w.server_error,
                      message=w.server_error_text)

    routes = [
        Route("/", search_page),
        Route("/b/{bookmark_id}", article_page),
        Route("/export.{fmt:str}", export),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={QueryError: bad_request, IndexMissingError: unavailable,
                            StoreError: unavailable, IndexerError: bad_request,
                            HTTPException: http_error, Exception: server_error},
    )
    app.state.searchers = pool
    return app


def _download(body: str, media: str, filename: str) -> Response:
    # UTF-8 bytes as written (the Excel CSV carries its own byte-order mark)
    return Response(body.encode("utf-8"), media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response (pages, files, errors)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = dict(message, headers=headers)
            await send(message)

        return await self.app(scope, receive, with_headers)
