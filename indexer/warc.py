"""WARC files: the archive every fetch leaves for other tools, and captures other tools made.

* :class:`WarcFiles` writes WARC 1.1 files (warcio), one gzip member per record, under
  ``corpus/warc/``: for each page fetched, its ``request`` and ``response`` records and a
  ``metadata`` record naming the bookmark; a file rotates past ``max_bytes``. A file being
  written is named ``*.warc.gz.open`` (with the writer's process id) and renamed on close;
  :func:`repair` closes the ones a killed run left: cut after their last whole record.
* :func:`read_captures` reads the responses of a WARC, a WARC.gz or a WACZ (a zip holding
  WARCs) written by any tool (wget ``--warc-file``, ArchiveBox, Webrecorder...).
* :func:`export_warc` writes the whole cache as WARC, for a store fetched before the fetcher
  wrote any.

Bodies are stored decoded (the bytes the cache holds): the response's ``Content-Encoding``
and ``Transfer-Encoding`` headers are dropped and its ``Content-Length`` is the body's, so
that a replay tool serves what the record holds.
"""

from __future__ import annotations

import http
import io
import os
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from . import __version__
from .cache import Cache, pid_alive
from .dates import aware_datetime
from .errors import InputError
from .store import Store

SUFFIX = ".warc.gz"
OPEN = ".open"  # a file still being written (the Heritrix convention)
DEFAULT_MAX_BYTES = 1_000_000_000  # rotate past 1 GB, as crawlers commonly do
GZIP_LEVEL = 6  # as the cache: level 9 (warcio's own) costs 1.7x the CPU for 0.6% fewer bytes
# Never written to a WARC: what would let a reader of the archive log in as the user.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# Describe the body as sent; the record holds it decoded.
_ENCODING_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass
class Exchange:
    """One HTTP request and its response, as they go into a WARC."""

    url: str  # the target URI (credentials removed)
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    http_version: str = "HTTP/1.1"
    ip: str | None = None  # the address connected to
    date: datetime = field(default_factory=lambda: datetime.now(UTC))
    bookmark_id: str | None = None
    note: str | None = None  # a line for the metadata record ("archived copy of ...")


@dataclass
class Capture:
    """One HTTP response read from a WARC."""

    url: str
    date: str | None  # ISO 8601, UTC (WARC-Date)
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes
    source: str  # the file (and member, for a WACZ) it came from

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")


# -- writing -------------------------------------------------------------------------------


class WarcFiles:
    """Rotating WARC files in ``directory``; thread-safe. Use as a context manager."""

    def __init__(self, directory: str | Path, max_bytes: int = DEFAULT_MAX_BYTES,
                 prefix: str = "indexer"):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.written: list[Path] = []  # closed files, in order
        self.records = 0
        self._lock = threading.Lock()
        self._fh = None
        self._path: Path | None = None
        self._serial = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, exchange: Exchange) -> None:
        """The exchange's request, response and metadata records, each one gzip member."""
        from warcio.statusandheaders import StatusAndHeaders

        writer = _Recorder()
        response = writer.create_warc_record(
            exchange.url, "response", payload=io.BytesIO(exchange.body),
            length=len(exchange.body), http_headers=StatusAndHeaders(
                f"{exchange.status} {exchange.reason}".strip(), _response_headers(exchange),
                protocol=exchange.http_version),
            warc_headers_dict=_warc_headers(exchange))
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        linked = {**_warc_headers(exchange), "WARC-Concurrent-To": record_id}
        records = [response]
        if exchange.request_headers:
            records.append(writer.create_warc_record(
                exchange.url, "request", payload=io.BytesIO(b""), length=0,
                http_headers=StatusAndHeaders(
                    f"{exchange.method} {_request_target(exchange.url)} {exchange.http_version}",
                    _clean(exchange.request_headers), is_http_request=True),
                warc_headers_dict=linked))
        fields = _metadata(exchange)
        if fields:
            records.append(writer.create_warc_record(
                exchange.url, "metadata", payload=io.BytesIO(fields), length=len(fields),
                warc_content_type="application/warc-fields", warc_headers_dict=linked))
        self._append([writer.member(r) for r in records])

    def resource(self, url: str, body: bytes, content_type: str, date: datetime,
                 bookmark_id: str | None, note: str | None) -> None:
        """A ``resource`` record (a page read from disk: no HTTP exchange) and its metadata."""
        writer = _Recorder()
        stamp = {"WARC-Date": _warc_date(date)}
        record = writer.create_warc_record(url, "resource", payload=io.BytesIO(body),
                                           length=len(body), warc_content_type=content_type,
                                           warc_headers_dict=stamp)
        members = [writer.member(record)]
        fields = _metadata(Exchange(url, 0, "", [], b"", bookmark_id=bookmark_id, note=note))
        linked = {**stamp, "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")}
        members.append(writer.member(writer.create_warc_record(
            url, "metadata", payload=io.BytesIO(fields), length=len(fields),
            warc_content_type="application/warc-fields", warc_headers_dict=linked)))
        self._append(members)

    def _append(self, members: list[bytes]) -> None:
        with self._lock:
            if self._fh is None:
                self._open()
            for member in members:
                self._fh.write(member)  # one write per record: a kill cuts at most the last
            self._fh.flush()
            self.records += len(members)
            if self._fh.tell() >= self.max_bytes:
                self._close_file()

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            self._serial += 1
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{os.getpid()}{SUFFIX}"
            path = self.directory / (name + OPEN)
            if not path.exists() and not (self.directory / name).exists():
                break
        self._path, self._fh = path, open(path, "xb")  # noqa: SIM115 -- open across writes
        writer = _Recorder()
        info = writer.create_warcinfo_record(name, {
            "software": f"indexer/{__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/"
                          "warc-format/warc-1.1/",
        })
        self._fh.write(writer.member(info))

    def _close_file(self) -> None:
        if self._fh is None:
            return
        self._fh.close()
        final = self._path.with_name(self._path.name[: -len(OPEN)])
        os.replace(self._path, final)
        self.written.append(final)
        self._fh = self._path = None

    def close(self) -> None:
        """Close the file being written and give it its final name."""
        with self._lock:
            self._close_file()


class _Recorder:
    """warcio's record builder, each record serialised and gzipped alone."""

    def __init__(self):
        from warcio.warcwriter import WARCWriter

        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=False, warc_version="1.1")

    def __getattr__(self, name):  # create_warc_record, create_warcinfo_record
        return getattr(self._writer, name)

    def member(self, record) -> bytes:
        """``record`` as one gzip member."""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.write_record(record)
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        return packer.compress(self._buffer.getvalue()) + packer.flush()


def _warc_date(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _warc_headers(ex: Exchange) -> dict[str, str]:
    out = {"WARC-Date": _warc_date(ex.date)}
    if ex.ip:
        out["WARC-IP-Address"] = ex.ip
    return out


def _clean(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in SECRET_HEADERS]


def _response_headers(ex: Exchange) -> list[tuple[str, str]]:
    kept = [(k, v) for k, v in _clean(ex.response_headers) if k.lower() not in _ENCODING_HEADERS]
    return kept + [("Content-Length", str(len(ex.body)))]


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _metadata(ex: Exchange) -> bytes:
    lines = []
    if ex.bookmark_id:
        lines.append(f"bookmark-id: {ex.bookmark_id}")
    if ex.note:
        lines.append(f"via: {' '.join(ex.note.split())}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") if lines else b""


# -- a killed run's files ------------------------------------------------------------------


@dataclass
class RepairReport:
    """What :func:`repair` did to the files killed runs left open."""

    closed: list[str] = field(default_factory=list)  # kept, cut after their last whole record
    removed: list[str] = field(default_factory=list)  # nothing but their warcinfo: deleted
    bytes_cut: int = 0


def repair(directory: str | Path) -> RepairReport:
    """Close every ``*.warc.gz.open`` of a process that is gone: keep its whole records."""
    report = RepairReport()
    root = Path(directory)
    for path in sorted(root.glob(f"*{SUFFIX}{OPEN}")) if root.is_dir() else ():
        pid = path.name[: -len(SUFFIX + OPEN)].rsplit("-", 1)[-1]
        if pid.isdigit() and pid_alive(int(pid)):
            continue  # a running fetch is writing it
        good, records = whole_records(path)
        report.bytes_cut += path.stat().st_size - good
        if records <= 1:
            path.unlink()
            report.removed.append(path.name)
            continue
        with open(path, "r+b") as fh:
            fh.truncate(good)
        os.replace(path, path.with_name(path.name[: -len(OPEN)]))
        report.closed.append(path.name[: -len(OPEN)])
    return report


def whole_records(path: Path) -> tuple[int, int]:
    """(bytes, count) of the whole gzip members at the start of ``path``: a kill mid-write
    leaves the last one unfinished."""
    good = offset = count = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            while chunk:
                try:
                    inflater.decompress(chunk)
                except zlib.error:
                    return good, count
                if not inflater.eof:
                    offset += len(chunk)
                    break
                rest = inflater.unused_data
                offset += len(chunk) - len(rest)
                good, count = offset, count + 1
                chunk = rest
                inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    return good, count


# -- reading -------------------------------------------------------------------------------


def warc_streams(path: Path) -> Iterator[tuple[str, io.BufferedIOBase]]:
    """(name, binary stream) of each WARC in ``path``: itself, or the WARCs inside a WACZ."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as wacz:
            names = [n for n in wacz.namelist() if n.endswith((".warc", ".warc.gz"))]
            if not names:
                raise InputError(path, "a zip without any .warc or .warc.gz inside: not a WACZ")
            for name in sorted(names):
                with wacz.open(name) as member:
                    yield f"{path}!{name}", member
        return
    with open(path, "rb") as fh:
        yield str(path), fh


def read_captures(path: str | Path, max_bytes: int = 50 * 1024 * 1024) -> Iterator[Capture]:
    """Every HTTP response of a WARC, WARC.gz or WACZ, body decoded (chunks, gzip).

    Bodies over ``max_bytes`` are skipped. Raises :class:`InputError` (naming the file and
    the record's offset) on a file that is not a WARC or is damaged.
    """
    from warcio.archiveiterator import ArchiveIterator

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    for name, stream in warc_streams(path):
        records = None
        try:
            records = ArchiveIterator(stream)
            for record in records:
                capture = _capture(record, name, max_bytes)
                if capture is not None:
                    yield capture
        except (InputError, GeneratorExit):
            raise
        except Exception as exc:  # noqa: BLE001 -- warcio's parsers fail in many ways on junk
            where = _offset(records)
            detail = " ".join(str(exc).split())[:120] or type(exc).__name__
            raise InputError(name, f"not a readable WARC at byte {where} ({detail}); "
                             "is it a .warc, .warc.gz or .wacz file?") from None


def _offset(records) -> int:
    """Where the record being read starts (0 when none was)."""
    try:
        return records.get_record_offset() if records is not None else 0
    except (TypeError, AttributeError):
        return 0


def _capture(record, name: str, max_bytes: int) -> Capture | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    head = record.http_headers
    try:
        status = int(head.get_statuscode())
    except (TypeError, ValueError):
        return None
    body = record.content_stream().read(max_bytes + 1)
    if len(body) > max_bytes:
        return None
    headers = {k.lower(): v for k, v in head.headers}
    return Capture(record.rec_headers.get_header("WARC-Target-URI") or "",
                   _iso(record.rec_headers.get_header("WARC-Date")), status, headers, body, name)


def _iso(warc_date: str | None) -> str | None:
    when = aware_datetime(warc_date)
    return when.astimezone(UTC).replace(microsecond=0).isoformat() if when else None


# -- the cache as WARC ---------------------------------------------------------------------


@dataclass
class WarcExport:
    """What :func:`export_warc` wrote."""

    directory: str
    files: list[str] = field(default_factory=list)
    pages: int = 0  # response (or resource) records written
    missing: int = 0  # rows whose body is no longer in the cache
    bytes: int = 0


_ROWS = """
SELECT f.bookmark_id, f.url, f.final_url, f.origin, f.status, f.content_type, f.charset,
       f.etag, f.last_modified, f.sha256, f.fetched_at, f.archive_date
FROM fetches f WHERE f.error IS NULL AND f.sha256 IS NOT NULL ORDER BY f.bookmark_id
"""


def export_warc(store: Store, cache: Cache, directory: str | Path,
                max_bytes: int = DEFAULT_MAX_BYTES) -> WarcExport:
    """Write every cached page of the store as WARC files in ``directory``.

    One ``response`` record per fetched page (status and headers as the store kept them:
    content type, ETag, Last-Modified), dated by its fetch; a page read from disk
    (``import-html``) becomes a ``resource`` record. Each has a ``metadata`` record with its
    bookmark id. No ``request`` record: what was sent was not kept.
    """
    summary = WarcExport(str(directory))
    repair(directory)  # what a killed export left open
    with WarcFiles(directory, max_bytes, prefix="indexer-export") as files:
        for row in store.conn.execute(_ROWS).fetchall():
            try:
                body = cache.get(row["sha256"])
            except KeyError:
                summary.missing += 1
                continue
            _export_row(files, dict(row), body)
            summary.pages += 1
    summary.files = [str(p) for p in files.written]
    summary.bytes = sum(p.stat().st_size for p in files.written)
    return summary


def _export_row(files: WarcFiles, row: dict, body: bytes) -> None:
    url = row["final_url"] or row["url"]
    when = _parse_date(row["fetched_at"])
    note = "rebuilt from the indexer cache"
    if row["origin"] == "archive":
        note = f"archived copy of {row['url']} ({row['archive_date']}); {note}"
    ctype = row["content_type"] or "application/octet-stream"
    if row["charset"]:
        ctype += f"; charset={row['charset']}"
    if row["status"] is None:  # from disk: there was no HTTP response
        files.resource(url, body, ctype, when, row["bookmark_id"], note)
        return
    headers = [("Content-Type", ctype)]
    headers += [(k, row[c]) for k, c in (("ETag", "etag"), ("Last-Modified", "last_modified"))
                if row[c]]
    try:
        reason = http.HTTPStatus(row["status"]).phrase
    except ValueError:
        reason = ""
    files.write(Exchange(url, row["status"], reason, headers, body, date=when,
                         bookmark_id=row["bookmark_id"], note=note))


def _parse_date(text: str | None) -> datetime:
    return aware_datetime(text) or datetime.now(UTC)
