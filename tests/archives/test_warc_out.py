"""WARC out: every fetch also writes its request, response and metadata records (warcio),
and `indexer export-warc` writes the cache of a store fetched without them. Checked with
warcio's own checker and indexer (`warcio check`, `warcio index`) and read back."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, run_in_process
from httpserver import TestServer
from warcset import all_records, assert_sound, records, warc_files, warcio

from indexer.cache import Cache
from indexer.fetch import FetchOptions, fetch_all
from indexer.index import build_index
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store
from indexer.warc import whole_records

N_REAL = 20


def _bookmarks(store: Store, urls: list[str]) -> None:
    records_ = [BookmarkRecord(title=f"page {i}", url=u, created_at="2021-05-01T10:00:00")
                for i, u in enumerate(urls)]
    store.import_parsed(ParseResult("test", records_), "t.txt",
                        hashlib.sha256(repr(urls).encode()).hexdigest())


def _options(**kw) -> FetchOptions:
    return FetchOptions(**{"delay": 0, "retries": 0, "timeout": 5, "deadline": 20,
                           "allow_local": True, **kw})


@pytest.fixture
def real_site(shared):
    """The real pages of ../shared on a loopback server, plus a redirect to one of them."""
    root = shared("corpus", "html")
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        files = [row["file"] for row in csv.DictReader(fh, delimiter="\t")][:N_REAL]
    with TestServer("127.0.0.1") as srv:
        srv.static("/html", root)
        urls = [srv.url(f"/html/{f}") for f in files]
        moved = srv.route("/moved", status=301, headers={"Location": f"/html/{files[0]}"})
        yield srv, urls + [moved]


def test_a_real_fetch_writes_warcs_that_warcio_checks_and_reads_back(home, real_site):
    srv, urls = real_site
    with Store(home.db) as store:
        _bookmarks(store, urls)
        summary = fetch_all(store, Cache(home.cache), _options(warc_dir=home.warc))
        rows = {r["url"]: dict(r) for r in store.conn.execute("SELECT * FROM fetches")}
    assert summary.fetched == len(urls) and summary.warc_files
    assert "written as WARC" in "\n".join(summary.lines())
    files = warc_files(home.warc)
    assert [str(f) for f in files] == summary.warc_files and not list(home.warc.glob("*.open"))
    checked = warcio("check", "-v", *map(str, files))
    assert checked.returncode == 0 and "digest pass" in checked.stdout, checked.stdout
    index = [json.loads(line) for line in warcio("index", *map(str, files)).stdout.splitlines()]
    kinds = [entry["warc-type"] for entry in index]
    assert kinds[0] == "warcinfo" and kinds.count("response") == len(urls) + 1  # + the 301
    assert kinds.count("request") == kinds.count("response") == kinds.count("metadata")
    got = all_records(home.warc)
    responses = {r["uri"]: r for r in got if r["type"] == "response"}
    cache = Cache(home.cache)
    for row in rows.values():  # every record's payload is the cached body
        assert responses[row["final_url"]]["payload"] == cache.get(row["sha256"])
        assert responses[row["final_url"]]["status"] == "200"
    assert responses[srv.url("/moved")]["status"] == "301"
    assert all(r["ip"] == "127.0.0.1" for r in got if r["type"] in ("request", "response"))
    by_id = {r["id"]: r for r in got}
    for req in (r for r in got if r["type"] == "request"):
        assert by_id[req["concurrent"]]["uri"] == req["uri"]
        assert req["http_line"].startswith("GET /")
        assert req["http"]["User-Agent"].startswith("indexer/")
    meta = [r["payload"].decode() for r in got if r["type"] == "metadata"]
    with Store(home.db) as store:
        ids = {bid for (bid,) in store.conn.execute("SELECT id FROM bookmarks")}
    assert {m.split("bookmark-id: ")[1].split()[0] for m in meta} == ids


def test_warc_files_rotate_and_never_keep_credentials_or_encodings(home):
    page = b"<html><body>" + b"<p>du texte, encore du texte</p>" * 400 + b"</body></html>"
    with TestServer("127.0.0.1") as srv:
        urls = [srv.route(f"/p{i}", body=gzip.compress(page), headers={
            "Content-Type": "text/html", "Content-Encoding": "gzip",
            "Set-Cookie": "session=secret"}) for i in range(6)]
        urls[0] = urls[0].replace("http://", "http://alice:motdepasse@")
        with Store(home.db) as store:
            _bookmarks(store, urls)
            fetch_all(store, Cache(home.cache), _options(warc_dir=home.warc,
                                                         warc_max_bytes=1500))
        assert srv.log[0].headers.get("Authorization") or any(
            r.headers.get("Authorization") for r in srv.log)  # the credentials were used...
    files = warc_files(home.warc)
    assert len(files) >= 3  # rotated
    assert_sound(home.warc)
    raw = b"".join(gzip.decompress(f.read_bytes()) for f in files)
    assert b"motdepasse" not in raw and b"Authorization" not in raw  # ...never archived
    assert b"session=secret" not in raw
    responses = [r for r in all_records(home.warc) if r["type"] == "response"]
    assert len(responses) == 6 and all(r["payload"] == page for r in responses)
    assert all("Content-Encoding" not in r["http"] for r in responses)
    assert all(r["http"]["Content-Length"] == str(len(page)) for r in responses)


def test_export_warc_writes_the_cache_of_a_store_fetched_without_them(home, real_site, capsys):
    _, urls = real_site
    with Store(home.db) as store:
        _bookmarks(store, urls)
        fetch_all(store, Cache(home.cache), _options())  # no WARC: as before this change
        every = [dict(r) for r in store.conn.execute("SELECT * FROM fetches")]
    rows = {r["final_url"]: r for r in every}  # the redirect's bookmark shares its page's
    assert not home.warc.exists()
    out = home.home / "export"
    code, stdout, err = run_in_process(capsys, home, "export-warc", "-o", str(out))
    assert code == 0, err
    assert stdout.startswith(f"{len(every)} pages written as WARC")
    assert_sound(out)
    cache = Cache(home.cache)
    responses = {r["uri"]: r for r in all_records(out) if r["type"] == "response"}
    assert set(responses) == set(rows)
    for url, row in rows.items():
        assert responses[url]["payload"] == cache.get(row["sha256"])
        assert responses[url]["http"]["Content-Type"].startswith("text/html")


def test_a_warc_cut_by_a_kill_is_closed_after_its_last_whole_record(home, tmp_path):
    """What the next run finds after a kill: a `.open` file ending mid-record, a cache
    temporary file, an index `.current-<pid>` link; it leaves valid files and no leftover."""
    with TestServer("127.0.0.1") as srv:
        urls = [srv.route(f"/p{i}", body=f"<html><body><p>page {i}</p></body></html>".encode(),
                          headers={"Content-Type": "text/html"}) for i in range(4)]
        with Store(home.db) as store:
            _bookmarks(store, urls[:2])
            fetch_all(store, Cache(home.cache), _options(warc_dir=home.warc))
        (first,) = warc_files(home.warc)
        dead = _dead_pid()
        cut = home.warc / f"indexer-20200101000000-00001-{dead}.warc.gz.open"
        data = first.read_bytes()
        cut.write_bytes(data + data[:40])  # a whole file, then the start of one more record
        whole, count = whole_records(cut)
        assert whole == len(data) and count == len(records(first))
        stray = home.cache / "ab" / f".{dead}-x1y2.tmp"
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"half a body")
        with Store(home.db) as store:
            _bookmarks(store, urls[2:])
            fetch_all(store, Cache(home.cache), _options(warc_dir=home.warc))
    assert not stray.exists() and not list(home.cache.rglob("*.tmp"))
    assert_sound(home.warc)
    assert len(warc_files(home.warc)) == 3  # the first run's, the repaired one, this run's
    assert len(records(cut.with_name(cut.name[:-5]))) == count


def test_a_swap_link_left_by_a_killed_index_build_is_removed_by_the_next(home, seed):
    from indexer.ingest import import_files

    import_files(home, [seed])
    build_index(home)
    dead = _dead_pid()
    link = home.index / f".current-{dead}"
    os.symlink("builds/nothing", link)
    build_index(home)
    assert not os.path.lexists(link)
    assert (home.index / "current").is_symlink()


def _dead_pid() -> int:
    """The pid of a process that has exited (reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"], cwd=ROOT)
    child.wait()
    return child.pid
