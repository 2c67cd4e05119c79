"""Reading WARC files back in tests, with warcio itself (its checker and its command line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

WARCIO = Path(sys.executable).parent / "warcio"  # the console script of the venv's warcio


def warc_files(directory: Path) -> list[Path]:
    """The finished WARC files of a folder, in order."""
    return sorted(Path(directory).glob("*.warc.gz"))


def warcio(*args: str) -> subprocess.CompletedProcess:
    """``warcio ARGS...`` (the real command line), output captured."""
    return subprocess.run([str(WARCIO), *args], capture_output=True, text=True, timeout=120,
                          check=False)


def records(path: Path) -> list[dict]:
    """Every record of a WARC: type, target URI, WARC and HTTP headers, payload; digests
    checked by warcio as it reads (``digest_ok`` False when one does not match)."""
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, check_digests=True):
            payload = rec.content_stream().read()
            head = rec.rec_headers
            out.append({
                "type": rec.rec_type, "uri": head.get_header("WARC-Target-URI"),
                "id": head.get_header("WARC-Record-ID"),
                "concurrent": head.get_header("WARC-Concurrent-To"),
                "ip": head.get_header("WARC-IP-Address"), "date": head.get_header("WARC-Date"),
                "status": rec.http_headers.get_statuscode() if rec.http_headers else None,
                "http": dict(rec.http_headers.headers) if rec.http_headers else {},
                # warcio splits a request line as protocol "GET", statusline "/path HTTP/1.1"
                "http_line": (f"{rec.http_headers.protocol} {rec.http_headers.statusline}"
                              if rec.http_headers else None),
                "payload": payload, "digest_ok": rec.digest_checker.passed is not False,
            })
    return out


def all_records(directory: Path) -> list[dict]:
    return [r for path in warc_files(directory) for r in records(path)]


def assert_sound(directory: Path) -> None:
    """No file left open, nothing half-written, every digest right, `warcio check` agrees."""
    directory = Path(directory)
    assert not list(directory.glob("*.open")), list(directory.glob("*.open"))
    files = warc_files(directory)
    for path in files:
        assert all(r["digest_ok"] for r in records(path)), path
    if files:
        checked = warcio("check", *map(str, files))
        assert checked.returncode == 0, checked.stdout + checked.stderr


def response_set(directory: Path) -> set[tuple[str, bytes]]:
    """(target URI, payload) of every response record: what a replay would serve."""
    return {(r["uri"], r["payload"]) for r in all_records(directory) if r["type"] == "response"}
