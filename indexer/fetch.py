"""Downloading bookmarked pages, politely, into the content-addressed cache.

:func:`fetch_all` is the library behind ``indexer fetch``. It picks the bookmarks to fetch,
downloads them concurrently (httpx, asyncio), stores each body once in the
:class:`~indexer.cache.Cache` and writes one ``fetches`` row per bookmark: HTTP status, the
headers that matter, the cache key, the final URL after redirects, or the cause of the failure.

Politeness: at most ``per_host`` requests in flight per host (scheme, hostname, port), request
starts spaced by ``delay`` seconds per host, ``concurrency`` requests in flight in all, a ``429``'s
``Retry-After`` holds the whole host back. Safety: only ``http``/``https``; loopback, private,
link-local and multicast addresses are refused unless ``allow_local``. A host name is resolved
once per hop (``FetchOptions.resolver``), its addresses checked, and the connection made to
the address checked (:class:`_PinnedBackend`), on every redirect too, so a name that answers
differently the second time cannot reach a refused address; bodies are capped at
``max_bytes`` after decompression; every attempt has a total deadline; user:password in URLs
is never stored or logged.

Every page fetched (live, or a web archive's copy) is also written with its request and
response to the WARC files of ``FetchOptions.warc_dir`` (:mod:`indexer.warc`), before its
row is written. A dead link asks the archive for the copy closest to the bookmark's saved
date: the Wayback availability API (``archive_url``, with a ``timestamp``) and/or a Memento
TimeGate (``timegate_url``, RFC 7089, with ``Accept-Datetime``).

Only the event-loop thread touches the store, in batches of ``batch_size`` rows, one
transaction each: a crash loses at most one batch, and a rerun picks up what is missing.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import re
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import urljoin, urlsplit, urlunsplit

from . import __version__
from .cache import Cache
from .dates import aware_datetime, http_datetime
from .errors import IndexerError
from .progress import Progress, count
from .store import Store, now_iso
from .warc import DEFAULT_MAX_BYTES, Exchange, WarcFiles, repair

if TYPE_CHECKING:  # httpx is imported where it is used: `indexer --help` need not load it
    import httpx

ENV_ALLOW_LOCAL = "INDEXER_ALLOW_LOCAL"
WAYBACK_AVAILABLE = "https://archive.org/wayback/available"
WAYBACK_TIMEGATE = "https://web.archive.org/web/"  # a Memento TimeGate: base + the URL
DEFAULT_USER_AGENT = f"indexer/{__version__} (personal research index; polite fetcher)"

# Causes worth another try after a pause; the others are answers.
RETRYABLE = frozenset({"refused", "timeout", "network", "http_429", "http_5xx"})
# Causes that mean "this page is gone here": worth asking a web archive.
# Refusals by our own policy, made before any request: checked again on every run, since the
# policy (--allow-local) may have changed.
RECHECKED = frozenset({"local_address"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEAD = frozenset({"http_404", "http_410", "dns", "refused"})


def system_resolver(host: str) -> list[str]:
    """The addresses the system's resolver (getaddrinfo) gives for ``host``, in its order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass
class FetchOptions:
    """How :func:`fetch_all` behaves. Times are in seconds, sizes in bytes."""

    concurrency: int = 8  # requests in flight, all hosts together
    per_host: int = 2  # requests in flight to one host
    delay: float = 1.0  # spacing between request starts to one host
    timeout: float = 20.0  # connect / read / write timeout
    deadline: float = 60.0  # total time of one attempt, redirects and body included
    max_bytes: int = 20 * 1024 * 1024  # body cap, after decompression
    retries: int = 3  # extra attempts on RETRYABLE causes
    backoff: float = 1.0  # first pause before a retry; doubles each time
    max_retry_after: float = 120.0  # cap on a server's Retry-After
    max_redirects: int = 10
    refresh: bool = False  # revalidate everything already fetched (conditional requests)
    offline: bool = False  # no network at all: report what is cached and what is missing
    only_failed: bool = False  # retry only the bookmarks whose last fetch failed
    archive_url: str | None = None  # Wayback-style availability API; None = no fallback
    timegate_url: str | None = None  # Memento TimeGate base (the URL is appended); None = none
    user_agent: str = DEFAULT_USER_AGENT
    allow_local: bool = False  # allow loopback / private / link-local addresses
    allowed_networks: tuple[str, ...] = ()  # exceptions to the local-address refusal
    batch_size: int = 25  # rows per store transaction
    # host -> addresses; the one resolution per hop whose addresses are checked and connected
    resolver: Callable[[str], list[str]] = system_resolver
    warc_dir: str | Path | None = None  # where every fetch is also written as WARC; None = not
    warc_max_bytes: int = DEFAULT_MAX_BYTES  # a WARC file rotates past this size
    ssl_context: ssl.SSLContext | None = None  # None: httpx's default trust (certifi)

    def check(self) -> None:
        """Raise :class:`IndexerError` on settings that make no sense."""
        if self.concurrency < 1 or self.per_host < 1:
            raise IndexerError("--concurrency and --per-host must be at least 1")
        if min(self.delay, self.backoff, self.max_retry_after) < 0 or self.retries < 0:
            raise IndexerError("--delay and --retries cannot be negative")
        if self.timeout <= 0 or self.deadline <= 0 or self.max_bytes <= 0:
            raise IndexerError("--timeout, the deadline and --max-bytes must be positive")
        if self.offline and (self.refresh or self.only_failed):
            raise IndexerError("--offline cannot be combined with --refresh or --only-failed")
        if self.refresh and self.only_failed:
            raise IndexerError("choose one of --refresh and --only-failed")
        for flag, url in (("--archive-url", self.archive_url), ("--timegate", self.timegate_url)):
            if url and urlsplit(url).scheme not in ("http", "https"):
                raise IndexerError(f"{flag} must be an http(s) URL: {url}")
        if self.warc_max_bytes <= 0:
            raise IndexerError("the WARC file size must be positive")


@dataclass
class FetchOutcome:
    """What happened to one bookmark (one ``fetches`` row to write)."""

    bookmark_id: str
    url: str  # credentials removed
    kind: str  # fetched | archived | unchanged | failed
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    size: int | None = None
    final_url: str | None = None
    attempts: int = 0
    requests: int = 0
    error: str | None = None
    error_detail: str | None = None
    archive_date: str | None = None


@dataclass
class FetchSummary:
    """What one run did; :meth:`lines` is the report the CLI prints."""

    candidates: int = 0  # bookmarks this run tried (or, offline, looked at)
    fetched: int = 0  # new bodies from the network
    archived: int = 0  # dead links recovered from the web archive
    unchanged: int = 0  # --refresh: the server said 304, the cached body stays
    cached: int = 0  # already fetched, not requested again
    failed: Counter = field(default_factory=Counter)  # cause -> count
    refresh_failed: int = 0  # --refresh failed but the earlier body was kept
    skipped_no_url: int = 0
    failed_before: Counter = field(default_factory=Counter)  # earlier failures not retried
    non_html: int = 0  # fetched bodies that are not HTML (PDF, images...): extract skips them
    missing: list[str] = field(default_factory=list)  # --offline: URLs with no cached body
    requests: int = 0  # HTTP requests made, redirects and retries included
    elapsed: float = 0.0
    offline: bool = False
    warc_files: list[str] = field(default_factory=list)  # WARC files this run wrote

    def add(self, outcome: FetchOutcome) -> None:
        self.requests += outcome.requests
        if outcome.kind == "failed":
            self.failed[outcome.error] += 1
        elif outcome.kind == "refresh_failed":
            self.refresh_failed += 1
        else:
            setattr(self, outcome.kind, getattr(self, outcome.kind) + 1)
            if outcome.kind in ("fetched", "archived") and not _is_html(outcome.content_type):
                self.non_html += 1

    def lines(self, verbose: bool = False) -> list[str]:
        """The report; ``verbose`` lists every missing URL of an offline run."""
        if self.offline:
            out = [f"offline: {self.cached} cached, {len(self.missing)} missing"
                   + (" (--verbose lists them)" if self.missing and not verbose else "")]
            if verbose:
                out += [f"  missing: {url}" for url in self.missing]
        else:
            out = [(
                f"fetched {self.fetched}, archived {self.archived}, unchanged {self.unchanged}, "
                f"already cached {self.cached}, failed {sum(self.failed.values())}"
                f" ({count(self.requests, 'request')}, {self.elapsed:.1f} s)"
            )]
            if self.failed:
                causes = ", ".join(f"{k} {v}" for k, v in sorted(self.failed.items()))
                out.append(f"  failed by cause: {causes}")
            if self.refresh_failed:
                out.append(f"  refresh failed, earlier copy kept: {self.refresh_failed}")
            if self.non_html:
                out.append(f"  not HTML (kept, not extracted): {self.non_html}")
            if self.warc_files:
                shown = ", ".join(Path(p).name for p in self.warc_files[:2])
                more = f" and {len(self.warc_files) - 2} more" if len(self.warc_files) > 2 else ""
                out.append(f"  written as WARC: {shown}{more} in {Path(self.warc_files[0]).parent}")
        if self.failed_before:
            causes = ", ".join(f"{k} {v}" for k, v in sorted(self.failed_before.items()))
            out.append(f"  failed earlier, not retried (use --only-failed): {causes}")
        return out + self.advice()

    def advice(self) -> list[str]:
        """What to do next, said once: refused local addresses, bookmarks with no URL."""
        out = []
        local = self.failed.get("local_address", 0) + self.failed_before.get("local_address", 0)
        if local:
            out.append(f"  {count(local, 'page')} refused for a local or private address: "
                       "pass --allow-local to fetch from this machine or your own network")
        if self.skipped_no_url:
            out.append(f"  {count(self.skipped_no_url, 'bookmark')} without a URL: attach "
                       "pages saved from a browser with `indexer import-html DIR`")
        return out


def describe(out: FetchOutcome) -> str:
    """One line about one fetch (what a verbose run shows per URL)."""
    if out.kind in ("failed", "refresh_failed"):
        return f"{out.kind} {out.error} {out.url}"
    return f"{out.kind} {out.status} {out.content_type or '-'} {out.size or 0} B {out.url}"


# -- public entry points ----------------------------------------------------------------------


def fetch_all(
    store: Store, cache: Cache, options: FetchOptions, progress: Progress | None = None
) -> FetchSummary:
    """Fetch every bookmark that needs it and record each result in ``fetches``.

    Which bookmarks: those with a URL never fetched (or whose cached body has gone), so that
    a second run makes no request; with ``options.only_failed`` only those whose last fetch
    failed; with ``options.refresh`` all of them (conditional requests where possible).
    Rows of pages imported from disk (origin ``local``) are never touched. With
    ``options.offline`` nothing is fetched or written: the summary says what is cached and
    what is missing. Failures are recorded, never raised.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(afetch_all(store, cache, options, progress))
    raise IndexerError("fetch_all cannot run inside an event loop: use `await afetch_all(...)`")


async def afetch_all(
    store: Store, cache: Cache, options: FetchOptions, progress: Progress | None = None
) -> FetchSummary:
    """:func:`fetch_all` for callers that already run an asyncio event loop (notebooks)."""
    options.check()
    started = time.monotonic()
    jobs, summary = select_jobs(store, cache, options)
    if not options.offline:
        remove_leftovers(cache, options)  # even with nothing to fetch: a kill may be behind us
    if options.offline or not jobs:
        summary.elapsed = time.monotonic() - started
        return summary
    progress = progress or Progress()
    progress.start("fetch", len(jobs), "page")
    try:
        async with Fetcher(cache, options) as fetcher:
            await _run_jobs(store, fetcher, jobs, summary, options, progress)
        summary.warc_files = [str(p) for p in fetcher.warc_files()]
    finally:
        progress.finish()
    summary.elapsed = time.monotonic() - started
    return summary


def remove_leftovers(cache: Cache, options: FetchOptions) -> None:
    """What a killed fetch left: the cache's temporary files, and WARC files still open
    (closed after their last whole record)."""
    cache.remove_leftovers()
    if options.warc_dir is not None:
        repair(options.warc_dir)


# -- which bookmarks --------------------------------------------------------------------------


@dataclass
class Job:
    """One bookmark to fetch, with what an earlier fetch left (for --refresh)."""

    bookmark_id: str
    url: str
    previous: dict | None = None  # the earlier successful row, if its body is cached
    saved: str | None = None  # when the bookmark was saved: the date an archive is asked for

    @property
    def validators(self) -> dict[str, str]:
        """Conditional-request headers from the earlier fetch."""
        prev = self.previous or {}
        headers = {}
        if prev.get("etag"):
            headers["If-None-Match"] = prev["etag"]
        if prev.get("last_modified"):
            headers["If-Modified-Since"] = prev["last_modified"]
        return headers


def select_jobs(
    store: Store, cache: Cache, options: FetchOptions
) -> tuple[list[Job], FetchSummary]:
    """The bookmarks this run must fetch, and a summary already counting the others."""
    summary = FetchSummary(offline=options.offline)
    rows = store.conn.execute(
        "SELECT b.id, b.url, b.created_at, f.error, f.sha256, f.origin, f.etag, f.last_modified,"
        " f.status, f.content_type, f.charset, f.final_url, f.size, f.archive_date"
        " FROM bookmarks b LEFT JOIN fetches f ON f.bookmark_id = b.id ORDER BY b.id"
    ).fetchall()
    jobs = []
    for row in rows:
        url = (row["url"] or "").strip()
        if not url:
            summary.skipped_no_url += 1
            continue
        tried = row["origin"] is not None
        ok = bool(tried and row["error"] is None and row["sha256"] and cache.has(row["sha256"]))
        if row["origin"] == "local":  # a page the user saved: not ours to replace
            summary.cached += ok
        elif options.offline:
            summary.candidates += 1
            summary.cached += ok
            if not ok:
                summary.missing.append(redact(url))
        elif options.only_failed:
            if tried and row["error"]:
                jobs.append(Job(row["id"], url, saved=row["created_at"]))
        elif options.refresh or not tried or row["error"] in RECHECKED or not (row["error"] or ok):
            jobs.append(Job(row["id"], url, dict(row) if ok else None, row["created_at"]))
        elif row["error"]:
            summary.failed_before[row["error"]] += 1  # retried by --only-failed, not by default
        else:
            summary.cached += 1
    summary.candidates += len(jobs)
    return jobs, summary


# -- the run: tasks fetch, this coroutine writes ----------------------------------------------


async def _run_jobs(store, fetcher, jobs, summary, options, progress) -> None:
    """Run one task per job; write results in batches from this (the loop's) thread only."""

    async def one(job: Job) -> tuple[Job, FetchOutcome]:
        return job, await fetcher.fetch(job)

    tasks = [asyncio.create_task(one(job)) for job in _interleave(jobs)]
    batch: list[tuple[Job, FetchOutcome]] = []
    try:
        for done in asyncio.as_completed(tasks):
            job, outcome = await done
            batch.append((job, outcome))
            summary.add(outcome)
            progress.advance(1, failed=sum(summary.failed.values()))
            progress.note(describe(outcome))
            if len(batch) >= options.batch_size:
                _write(store, batch)
                batch = []
    finally:
        # Ctrl-C or a crash: keep every finished result, drop the unfinished ones.
        if batch:
            _write(store, batch)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _interleave(jobs: list[Job]) -> list[Job]:
    """Jobs ordered round-robin over hosts, so that early tasks spread over every host."""
    queues: dict[str, list[Job]] = {}
    for job in jobs:
        queues.setdefault(host_key(job.url) or "", []).append(job)
    out: list[Job] = []
    lists = list(queues.values())
    for i in range(max((len(q) for q in lists), default=0)):
        out.extend(q[i] for q in lists if i < len(q))
    return out


_UPSERT = (
    "INSERT INTO fetches(bookmark_id, url, final_url, origin, status, content_type, charset,"
    " etag, last_modified, sha256, size, fetched_at, attempts, error, error_detail,"
    " archive_date) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(bookmark_id) DO UPDATE SET url=excluded.url, final_url=excluded.final_url,"
    " origin=excluded.origin, status=excluded.status, content_type=excluded.content_type,"
    " charset=excluded.charset, etag=excluded.etag, last_modified=excluded.last_modified,"
    " sha256=excluded.sha256, size=excluded.size, fetched_at=excluded.fetched_at,"
    " attempts=excluded.attempts, error=excluded.error, error_detail=excluded.error_detail,"
    " archive_date=excluded.archive_date"
)


def _write(store: Store, batch: list[tuple[Job, FetchOutcome]]) -> None:
    """One transaction for a batch of results."""
    with store.transaction() as conn:
        conn.executemany(_UPSERT, [_row(job, out) for job, out in batch])


def _row(job: Job, out: FetchOutcome) -> tuple:
    """The ``fetches`` row for an outcome; a failed or 304 refresh keeps the earlier body."""
    prev = job.previous
    stamp = now_iso()
    if prev and out.kind in ("unchanged", "refresh_failed"):
        detail = None if out.kind == "unchanged" else f"refresh failed {stamp}: {out.error}"
        if out.error_detail and detail:
            detail += f" ({out.error_detail})"
        return (
            job.bookmark_id, out.url, prev["final_url"], prev["origin"], prev["status"],
            prev["content_type"], prev["charset"], out.etag or prev["etag"],
            out.last_modified or prev["last_modified"], prev["sha256"], prev["size"], stamp,
            out.attempts, None, detail, prev["archive_date"],
        )
    origin = "archive" if out.kind == "archived" else "network"
    return (
        job.bookmark_id, out.url, out.final_url, origin, out.status, out.content_type,
        out.charset, out.etag, out.last_modified, out.sha256, out.size, stamp, out.attempts,
        out.error, out.error_detail, out.archive_date,
    )


# -- one bookmark -----------------------------------------------------------------------------


@dataclass
class Attempt:
    """The result of one request chain (redirects followed) to one URL."""

    status: int | None = None
    headers: httpx.Headers | None = None
    body: bytes = b""
    final_url: str | None = None
    requests: int = 0
    error: str | None = None
    detail: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)  # each hop, for the WARC

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after") if self.headers is not None else None
        return parse_retry_after(value) if value else None


@dataclass
class ArchivedCopy:
    """What a web archive gave for one URL and date: the copy, or why there is none."""

    copy: Attempt | None = None  # the snapshot's response, body read
    url: str | None = None  # the snapshot's URL at the archive
    date: str | None = None  # the snapshot's date, ISO 8601 UTC
    requests: int = 0
    reason: str | None = None  # why there is no copy ("no archived copy", a cause code...)


class Fetcher:
    """The HTTP side: one client, one gate per host, the global limit, the WARC files.

    Use as an async context manager; :meth:`fetch` does one bookmark, :meth:`archived_copy`
    asks the web archives for one dated copy (:mod:`indexer.snapshots` uses both)."""

    def __init__(self, cache: Cache, options: FetchOptions):
        import httpx

        self.cache = cache
        self.options = options
        self.gates: dict[str, _HostGate] = {}
        self.slots = asyncio.Semaphore(options.concurrency)
        self.backend = _PinnedBackend()
        limits = httpx.Limits(max_connections=options.concurrency * 2)
        self.client = httpx.AsyncClient(
            follow_redirects=False,  # we follow them, checking each hop
            timeout=httpx.Timeout(options.timeout),
            headers={"User-Agent": options.user_agent},
            transport=_pinned_transport(self.backend, limits, options.ssl_context),
            trust_env=False,  # no proxy from the environment: addresses are checked here
        )
        self.warc = (WarcFiles(options.warc_dir, options.warc_max_bytes)
                     if options.warc_dir is not None else None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()
        if self.warc is not None:
            self.warc.close()

    def warc_files(self) -> list[Path]:
        """The WARC files written and closed so far (all of them once the fetcher is closed)."""
        return list(self.warc.written) if self.warc is not None else []

    async def fetch(self, job: Job) -> FetchOutcome:
        """Fetch one bookmark: retries, then the archive for dead links."""
        out = FetchOutcome(job.bookmark_id, redact(job.url), "failed")
        attempt, tries = await self.request(job.url, job.validators)
        out.attempts = tries if attempt.requests else 0  # refused before any request: 0
        out.requests = attempt.requests
        if attempt.error is None:
            await self.record(job.bookmark_id, attempt)
            await self._accept(out, attempt, "fetched")
        elif attempt.error in DEAD and (self.options.archive_url or self.options.timegate_url):
            await self._from_archive(out, attempt, job.saved)
        else:
            out.error, out.error_detail = attempt.error, attempt.detail
        if job.previous and out.kind == "failed":
            out.kind = "refresh_failed"  # the earlier body stays; the row says so
        return out

    async def record(self, bookmark_id: str, attempt: Attempt, note: str | None = None) -> None:
        """Write the attempt's exchanges to the WARC files (before the store hears of it)."""
        if self.warc is None or attempt.status == 304:
            return
        for exchange in attempt.exchanges:
            exchange.bookmark_id, exchange.note = bookmark_id, note
            await asyncio.to_thread(self.warc.write, exchange)

    async def _accept(self, out: FetchOutcome, attempt: Attempt, kind: str) -> None:
        headers = attempt.headers
        out.etag = headers.get("etag")
        out.last_modified = headers.get("last-modified")
        out.status = attempt.status
        if attempt.status == 304:
            out.kind = "unchanged"
            return
        out.kind = kind
        out.final_url = redact(attempt.final_url)
        out.content_type, out.charset = parse_content_type(headers.get("content-type"))
        out.size = len(attempt.body)
        out.sha256 = await asyncio.to_thread(self.cache.put, attempt.body)

    async def _from_archive(self, out: FetchOutcome, live: Attempt, saved: str | None) -> None:
        """Ask the archives for the copy of a dead link closest to its saved date; fetch it."""
        out.error, out.error_detail = live.error, live.detail
        found = await self.archived_copy(out.url, saved)
        out.requests += found.requests
        if found.copy is None:
            out.error_detail = f"{live.detail}; archive: {found.reason}"
            return
        await self.record(out.bookmark_id, found.copy,
                          f"archived copy of {out.url} ({found.date}); live page: {live.error}")
        await self._accept(out, found.copy, "archived")
        out.final_url = redact(found.url)
        out.error = None
        out.error_detail = f"live page: {live.error}"
        out.archive_date = found.date

    async def archived_copy(self, url: str, saved: str | None) -> ArchivedCopy:
        """The copy of ``url`` closest to ``saved`` (ISO date; None: the latest), from the
        availability API, else from the Memento TimeGate (whichever the options name)."""
        found = ArchivedCopy(reason="no archive configured")
        if self.options.archive_url:
            await self._from_availability(redact(url), saved, found)
        if found.copy is None and self.options.timegate_url:
            await self._from_timegate(redact(url), saved, found)
        return found

    async def _from_availability(self, url: str, saved: str | None, found: ArchivedCopy) -> None:
        import httpx

        params = {"url": url}
        if wayback_timestamp(saved):
            params["timestamp"] = wayback_timestamp(saved)
        answer, _ = await self.request(str(httpx.URL(self.options.archive_url, params=params)), {})
        found.requests += answer.requests
        snapshot = _closest_snapshot(answer)
        if snapshot is None:
            found.reason = answer.error or "no archived copy"
            return
        copy, _ = await self.request(snapshot[0], {})
        found.requests += copy.requests
        if copy.error is not None:
            found.reason = f"archived copy failed: {copy.error}"
            return
        found.copy, found.url, found.date = copy, copy.final_url, snapshot[1]

    async def _from_timegate(self, url: str, saved: str | None, found: ArchivedCopy) -> None:
        """RFC 7089: the TimeGate redirects to the memento closest to ``Accept-Datetime``,
        whose response says its date in ``Memento-Datetime``."""
        headers = {"Accept-Datetime": http_date(saved)} if http_date(saved) else {}
        copy, _ = await self.request(self.options.timegate_url + url, headers)
        found.requests += copy.requests
        if copy.error is not None:
            found.reason = ("no archived copy" if copy.error in ("http_404", "http_410")
                            else f"timegate: {copy.error}")
            return
        when = _memento_date(copy.headers.get("memento-datetime"))
        if when is None:
            found.reason = "the TimeGate's answer is not a memento (no Memento-Datetime)"
            return
        place = copy.headers.get("content-location")
        found.copy, found.date = copy, when
        found.url = urljoin(copy.final_url, place) if place else copy.final_url

    async def request(self, url: str, headers: dict[str, str]) -> tuple[Attempt, int]:
        """GET ``url`` with retries and backoff; returns the last attempt and the tries."""
        opts = self.options
        total = 0
        for attempt_no in range(opts.retries + 1):
            gate = self._gate(url)
            async with gate:
                await gate.wait_turn(reserve=False)  # most of the wait, holding no global slot
                async with self.slots:
                    await gate.wait_turn()
                    attempt = await self._attempt(url, headers)
            total += attempt.requests
            if attempt.error not in RETRYABLE or attempt_no == opts.retries:
                break
            pause = opts.backoff * 2**attempt_no
            if attempt.retry_after is not None:
                pause = min(attempt.retry_after, opts.max_retry_after)
                gate.hold_off(pause)  # the whole host asked us to wait
            await asyncio.sleep(pause)
        attempt.requests = total
        return attempt, attempt_no + 1

    def _gate(self, url: str) -> _HostGate:
        key = host_key(url) or ""
        if key not in self.gates:
            self.gates[key] = _HostGate(self.options.per_host, self.options.delay)
        return self.gates[key]

    async def _attempt(self, url: str, headers: dict[str, str]) -> Attempt:
        """One request chain under the total deadline."""
        import httpx

        result = Attempt()
        try:
            async with asyncio.timeout(self.options.deadline):
                await self._follow(url, headers, result)
        except TimeoutError:
            result.error = "timeout"
            result.detail = f"over the {self.options.deadline:g} s deadline"
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as exc:
            # ValueError/UnicodeError: a malformed Location or header from a hostile server.
            result.error = classify_error(exc)
            result.detail = redact(str(exc) or type(exc).__name__)
        return result

    async def _follow(self, url: str, headers: dict[str, str], result: Attempt) -> None:
        seen = set()
        conditional = any(k.lower() in ("if-none-match", "if-modified-since") for k in headers)
        for _hop in range(self.options.max_redirects + 1):
            refusal = await self._refuse(url)
            if refusal:
                result.error, result.detail = refusal
                return
            seen.add(url)
            result.final_url = url
            result.requests += 1
            started = datetime.now(UTC)
            async with self.client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in _REDIRECTS and resp.headers.get("location"):
                    await self._keep_hop(resp, url, started, result)
                    url = str(resp.url.join(resp.headers["location"])).split("#")[0]
                    if url in seen:
                        result.error, result.detail = "redirect_loop", f"back to {redact(url)}"
                        return
                    continue
                result.status, result.headers = resp.status_code, resp.headers
                result.error = status_cause(resp.status_code, conditional)
                if result.error:
                    result.detail = f"HTTP {resp.status_code} {resp.reason_phrase}"
                    return
                await self._read_body(resp, result)
                if result.error is None and self.warc is not None:
                    result.exchanges.append(_exchange(resp, url, result.body, started))
                return
        result.error = "too_many_redirects"
        result.detail = f"more than {self.options.max_redirects} redirects"

    async def _keep_hop(self, resp, url: str, started: datetime, result: Attempt) -> None:
        """A redirect, for the WARC (a replay follows the bookmark's URL to the page)."""
        if self.warc is None:
            return
        hop = Attempt()
        await self._read_body(resp, hop)
        result.exchanges.append(_exchange(resp, url, hop.body, started))

    async def _read_body(self, resp: httpx.Response, result: Attempt) -> None:
        cap = self.options.max_bytes
        declared = resp.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            result.error, result.detail = "too_large", f"Content-Length {declared} > {cap}"
            return
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():  # decompressed: a gzip bomb stops here too
            size += len(chunk)
            if size > cap:
                result.error, result.detail = "too_large", f"body over {cap} bytes"
                return
            chunks.append(chunk)
        result.body = b"".join(chunks)

    async def _refuse(self, url: str) -> tuple[str, str] | None:
        """(cause, detail) if ``url`` must not be requested, else None; before any connection.

        Resolves the host once and pins the connection to the addresses checked."""
        import httpx

        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            return "scheme", f"only http and https are fetched, not {parts.scheme or 'no scheme'}:"
        try:
            host, port = parts.hostname, parts.port
            target = httpx.URL(url)  # the host as httpx will connect to it (IDNA-encoded)
        except (ValueError, httpx.InvalidURL):
            return "bad_url", "invalid port"
        if not host:
            return "bad_url", "no host in the URL"
        port = port or (443 if parts.scheme.lower() == "https" else 80)
        name = target.raw_host.decode("ascii")
        addresses, refusal = await self._resolve(name)
        if refusal is None and not self.options.allow_local:
            refusal = self._check_addresses(name, addresses)
        if refusal is None:
            self.backend.pin(name, port, addresses)
        return refusal

    async def _resolve(self, host: str) -> tuple[list[str], tuple[str, str] | None]:
        """The host's addresses (an IP literal is its own), or the dns refusal."""
        try:
            ipaddress.ip_address(host)
            return [host], None
        except ValueError:
            pass
        try:
            addresses = await asyncio.to_thread(self.options.resolver, host)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            return [], ("dns", f"{host}: {getattr(exc, 'strerror', None) or exc}")
        if not addresses:
            return [], ("dns", f"{host}: no address")
        return list(addresses), None

    def _check_addresses(self, host: str, addresses: list[str]) -> tuple[str, str] | None:
        for text in addresses:
            try:
                address = ipaddress.ip_address(text.split("%")[0])
            except ValueError:
                return "dns", f"{host}: the resolver answered {text!r}, not an address"
            reason = local_reason(address, self.options.allowed_networks)
            if reason:
                return "local_address", (
                    f"{host} is {address} ({reason}); use --allow-local to fetch local addresses"
                )
        return None


def _exchange(resp, url: str, body: bytes, started: datetime) -> Exchange:
    """One hop as a WARC exchange: what was sent, what came back, the address connected."""
    stream = resp.extensions.get("network_stream")
    server = stream.get_extra_info("server_addr") if stream is not None else None

    def text(pairs) -> list[tuple[str, str]]:
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs]

    return Exchange(redact(url), resp.status_code, resp.reason_phrase, text(resp.headers.raw),
                    body, text(resp.request.headers.raw), http_version=resp.http_version,
                    ip=server[0] if server else None, date=started)


class _PinnedBackend:
    """httpcore's network backend, connecting only to the addresses :meth:`Fetcher._refuse`
    checked for a host: never resolving again (which a DNS rebinding would exploit).

    The TLS handshake and the Host header still use the host name (httpcore passes the
    URL's host to ``start_tls``; httpx sets Host from the URL)."""

    def __init__(self):
        import httpcore

        self.inner = httpcore.AnyIOBackend()
        self.pins: dict[tuple[str, int], list[str]] = {}

    def pin(self, host: str, port: int, addresses: list[str]) -> None:
        self.pins[(host.lower(), port)] = addresses

    async def connect_tcp(self, host: str, port: int, timeout=None, local_address=None,
                          socket_options=None):
        import httpcore

        addresses = self.pins.get((host.lower(), port))
        if not addresses:  # fail closed: nothing unchecked is ever connected to
            raise httpcore.ConnectError(f"{host}:{port} was not checked before connecting")
        failure = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout, local_address,
                                                    socket_options)
            except httpcore.ConnectError as exc:
                failure = exc  # the next checked address, as a resolver's caller would try
        raise failure

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        import httpcore

        raise httpcore.ConnectError("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _pinned_transport(backend: _PinnedBackend, limits, ssl_context):
    """httpx's own transport over a connection pool that uses ``backend``."""
    import httpcore
    import httpx

    context = ssl_context or httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits, trust_env=False)
    if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        raise RuntimeError("this httpx keeps no connection pool where indexer pins addresses")
    # httpx offers no argument for a network backend: its pool is rebuilt with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry, network_backend=backend)
    return transport


class _HostGate:
    """Per-host politeness: ``per_host`` in flight, request starts ``delay`` apart."""

    def __init__(self, per_host: int, delay: float):
        self.slots = asyncio.Semaphore(per_host)
        self.delay = delay
        self.next_start = 0.0
        self.lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        await self.slots.acquire()
        return self

    async def __aexit__(self, *exc) -> None:
        self.slots.release()

    async def wait_turn(self, reserve: bool = True) -> None:
        """Sleep until this host may see another request start; ``reserve`` takes the turn."""
        if not reserve:
            await asyncio.sleep(max(0.0, self.next_start - time.monotonic()))
            return
        async with self.lock:
            pause = self.next_start - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self.next_start = time.monotonic() + self.delay

    def hold_off(self, seconds: float) -> None:
        self.next_start = max(self.next_start, time.monotonic() + seconds)


# -- small pure helpers -----------------------------------------------------------------------

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s?#]*@")


def redact(text: str | None) -> str | None:
    """``text`` with any ``user:password@`` removed from the URLs in it."""
    return _USERINFO.sub(r"\1", text) if text else text


def host_key(url: str) -> str | None:
    """The politeness key of a URL: scheme, hostname and port (None if not http(s))."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if scheme == "https" else 80)
    return urlunsplit((scheme, f"{parts.hostname}:{port}", "", "", ""))


def local_reason(address, allowed: Iterable[str] = ()) -> str | None:
    """Why an IP address is refused by default (loopback, private...), or None if public."""
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in ipaddress.ip_network(net, strict=False) for net in allowed):
        return None
    for kind in ("loopback", "link_local", "private", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not global"


def status_cause(status: int, conditional: bool = False) -> str | None:
    """The error code of an HTTP status, or None when the body is what we wanted."""
    if 200 <= status < 300 or (status == 304 and conditional):
        return None
    if status in (404, 410, 429):
        return f"http_{status}"
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return "http_3xx" if 300 <= status < 400 else "http_other"


def classify_error(exc: BaseException) -> str:
    """The cause code of a transport error (dns, refused, timeout, tls, network...)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "scheme"
    if isinstance(exc, (httpx.InvalidURL, httpx.LocalProtocolError)):
        return "bad_url"
    seen: set[int] = set()
    # httpcore wraps the OS error as an argument (and a pooled connection's failure, re-raised
    # in another task, may lose its __cause__): walk causes, contexts and arguments
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop(0)
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, socket.gaierror):
            return "dns"
        if isinstance(cur, ConnectionRefusedError):
            return "refused"
        if isinstance(cur, ssl.SSLError):
            return "tls"
        if isinstance(cur, TimeoutError):
            return "timeout"
        todo += [e for e in (cur.__cause__, cur.__context__, *cur.args)
                 if isinstance(e, BaseException)]
    text = str(exc).lower()
    if "name or service not known" in text or "nodename nor servname" in text:
        return "dns"
    if "ssl" in text or "certificate" in text:
        return "tls"
    return "network"


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header; the charset only if declared."""
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower() or None, charset


def parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    when = http_datetime(value)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_html(content_type: str | None) -> bool:
    return content_type is None or "html" in content_type


_WAYBACK_STAMP = re.compile(r"(/web/\d{14})/")


def _closest_snapshot(answer: Attempt) -> tuple[str, str] | None:
    """(snapshot URL, ISO date) from an availability-API answer, or None."""
    if answer.error is not None:
        return None
    try:
        closest = json.loads(answer.body)["archived_snapshots"]["closest"]
        url, stamp = closest["url"], closest["timestamp"]
        if not closest.get("available", True):
            return None
        when = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError):
        return None
    # Wayback serves the page as archived (no toolbar, links not rewritten) under `id_`.
    url = _WAYBACK_STAMP.sub(r"\1id_/", url, count=1)
    return url, when.isoformat()


def saved_datetime(saved: str | None) -> datetime | None:
    """A bookmark's saved date (ISO 8601, a bare date, or Diigo's ``2019/03/01 10:00:00``)
    as an aware UTC datetime; None when absent or unreadable."""
    if not saved or not saved.strip():
        return None
    text = saved.strip().replace("/", "-")
    when = aware_datetime(text)
    if when is None:
        try:
            when = datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None
    return when.astimezone(UTC)


def wayback_timestamp(saved: str | None) -> str | None:
    """The availability API's ``timestamp`` (``YYYYMMDDhhmmss``) for a saved date."""
    when = saved_datetime(saved)
    return when.strftime("%Y%m%d%H%M%S") if when else None


def http_date(saved: str | None) -> str | None:
    """A saved date as an HTTP date (RFC 7089's ``Accept-Datetime``)."""
    when = saved_datetime(saved)
    return email.utils.format_datetime(when, usegmt=True) if when else None


def _memento_date(value: str | None) -> str | None:
    """``Memento-Datetime`` (an HTTP date) as ISO 8601 UTC, or None."""
    when = http_datetime(value)
    return when.astimezone(UTC).isoformat() if when else None
