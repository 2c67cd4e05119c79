"""``indexer fetch`` against real HTTP servers on loopback addresses, with a real store."""

from __future__ import annotations

import csv
import gzip
import hashlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, quote

import pytest
from conftest import FIXTURES
from httpserver import Reply, Request, TestServer

from indexer.cache import Cache
from indexer.cli import main
from indexer.errors import IndexerError
from indexer.fetch import (
    FetchOptions,
    classify_error,
    fetch_all,
    host_key,
    local_reason,
    parse_content_type,
    parse_retry_after,
    redact,
    status_cause,
)
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store

PAGES = FIXTURES / "pages"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# -- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def server():
    """A server on 127.0.0.1 serving tests/fixtures/pages at /pages/ (no charset header)."""
    srv = TestServer("127.0.0.1")
    srv.static("/pages", PAGES)
    with srv:
        yield srv


@pytest.fixture
def store(home):
    with Store(home.db) as st:
        yield st


@pytest.fixture
def cache(home):
    return Cache(home.cache)


def options(**kw) -> FetchOptions:
    """Fast settings for tests: no politeness delay, short timeouts, quick retries."""
    base = {"concurrency": 4, "per_host": 2, "delay": 0, "timeout": 2, "deadline": 5, "retries": 1,
            "backoff": 0.01, "allow_local": True}
    return FetchOptions(**{**base, **kw})


def add_bookmarks(store: Store, urls: list[str | None], name: str = "test") -> None:
    """Bookmarks through the store's real import API (one per URL)."""
    records = [BookmarkRecord(title=f"page {i}", url=url) for i, url in enumerate(urls)]
    digest = hashlib.sha256(repr(urls).encode()).hexdigest()
    store.import_parsed(ParseResult("test", records), f"{name}.txt", digest)


def rows(store: Store) -> dict[str, dict]:
    """The fetches rows by (redacted) URL."""
    return {r["url"]: dict(r) for r in store.conn.execute("SELECT * FROM fetches")}


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the happy path, the cache, the second run, offline -------------------------------------


def test_pages_are_cached_with_their_metadata(server, store, cache):
    names = ["article-fr.html", "latin1.html", "no-charset.html"]
    urls = [server.url(f"/pages/{n}") for n in names]
    add_bookmarks(store, urls + [None])
    summary = fetch_all(store, cache, options())
    assert summary.fetched == 3 and summary.skipped_no_url == 1 and not summary.failed
    got = rows(store)
    for name, url in zip(names, urls):
        row, raw = got[url], (PAGES / name).read_bytes()
        assert row["status"] == 200 and row["error"] is None and row["origin"] == "network"
        assert row["content_type"] == "text/html"
        assert row["charset"] is None  # only a meta tag declares it: the extractor's job
        assert row["sha256"] == hashlib.sha256(raw).hexdigest() and row["size"] == len(raw)
        assert cache.get(row["sha256"]) == raw  # byte for byte, ISO-8859-1 included
        assert row["final_url"] == url and row["attempts"] == 1 and row["fetched_at"]
    assert all(r.headers.get("User-Agent", "").startswith("indexer/") for r in server.log)


def test_second_run_makes_no_request_and_offline_works_without_server(server, store, cache):
    add_bookmarks(store, [server.url("/pages/article-fr.html"), server.url("/pages/latin1.html")])
    fetch_all(store, cache, options())
    assert server.total == 2
    again = fetch_all(store, cache, options())
    assert server.total == 2 and again.requests == 0 and again.cached == 2
    server.stop()
    offline = fetch_all(store, cache, options(offline=True))
    assert offline.cached == 2 and offline.missing == [] and offline.requests == 0
    add_bookmarks(store, [server.url("/pages/no-charset.html")], name="later")
    offline = fetch_all(store, cache, options(offline=True))
    assert offline.missing == [server.url("/pages/no-charset.html")]
    assert "1 missing" in offline.lines()[0]


def test_a_missing_cache_body_is_fetched_again(server, store, cache):
    url = server.url("/pages/article-fr.html")
    add_bookmarks(store, [url])
    fetch_all(store, cache, options())
    cache.path_for(rows(store)[url]["sha256"]).unlink()
    assert fetch_all(store, cache, options()).fetched == 1 and server.total == 2


def test_charset_comes_from_the_header(server, store, cache):
    url = server.route("/utf8", body="<p>été</p>".encode(),
                       headers={"Content-Type": 'text/html; charset="UTF-8"'})
    add_bookmarks(store, [url])
    fetch_all(store, cache, options())
    assert rows(store)[url]["charset"] == "utf-8"


# -- adversarial routes: each failure recorded with its cause, none fatal ------------------


def adversarial_routes(srv: TestServer) -> dict[str, str | None]:
    """URL -> the error code it must be recorded with (None: fetched)."""
    page = (PAGES / "article-fr.html").read_bytes()
    html = {"Content-Type": "text/html"}
    bomb = gzip.compress(b"\0" * 3_000_000)  # 3 MB of zeros in ~3 kB
    srv.route("/target", body=page, headers=html)
    expected = {
        srv.route("/moved", status=301, headers={"Location": "/hop"}): None,
        srv.route("/hop", status=307, headers={"Location": srv.url("/target")}): None,
        srv.route("/gone", status=404): "http_404",
        srv.route("/removed", status=410): "http_410",
        srv.route("/forbidden", status=403): "http_4xx",
        srv.sequence("/flaky", [Reply(500), Reply(200, page, html)]): None,
        srv.route("/down", status=503): "http_5xx",
        srv.route("/slow", wait=3, body=page): "timeout",
        srv.route("/drip", body=page, drip=40, drip_wait=0.1): "timeout",
        srv.route("/big", body=b"x" * 300_000, headers=html): "too_large",
        srv.route("/big-stream", body=b"x" * 300_000, length=False): "too_large",
        srv.route("/bomb", body=bomb, headers={**html, "Content-Encoding": "gzip"}): "too_large",
        srv.route("/doc.pdf", body=PDF, headers={"Content-Type": "application/pdf"}): None,
        srv.route("/loop-a", status=302, headers={"Location": "/loop-b"}): "redirect_loop",
        srv.route("/loop-b", status=302, headers={"Location": "/loop-a"}): "redirect_loop",
        srv.route("/nowhere", status=302): "http_3xx",
        f"http://127.0.0.1:{closed_port()}/page": "refused",
        "file:///etc/passwd": "scheme",
        "ftp://127.0.0.1/file.html": "scheme",
        "javascript:alert(1)": "scheme",
        "data:text/html,<p>hello</p>": "scheme",
        "http://:80/no-host": "bad_url",
    }
    return expected


def test_adversarial_routes_are_recorded_with_their_cause(server, store, cache):
    expected = adversarial_routes(server)
    add_bookmarks(store, list(expected))
    summary = fetch_all(store, cache, options(timeout=0.5, deadline=1.5, max_bytes=100_000))
    got = rows(store)
    assert {url: got[url]["error"] for url in expected} == expected
    causes = [c for c in expected.values() if c]
    assert summary.failed == {c: causes.count(c) for c in set(causes)}
    moved = got[server.url("/moved")]
    assert moved["final_url"] == server.url("/target") and moved["status"] == 200
    assert got[server.url("/flaky")]["attempts"] == 2 and server.counts["/flaky"] == 2
    assert got[server.url("/down")]["attempts"] == 2  # 1 retry, then given up
    pdf = got[server.url("/doc.pdf")]
    assert pdf["content_type"] == "application/pdf" and cache.get(pdf["sha256"]) == PDF
    assert summary.non_html == 1
    assert "deadline" in got[server.url("/drip")]["error_detail"]
    for url in ("file:///etc/passwd", "javascript:alert(1)"):
        assert got[url]["attempts"] == 0 and got[url]["sha256"] is None
    assert server.counts["/gone"] == 1  # a 404 is an answer: no retry
    before = server.total
    again = fetch_all(store, cache, options(timeout=0.5, deadline=1.5, max_bytes=100_000))
    assert again.requests == 0 and server.total == before  # failures wait for --only-failed
    assert again.failed_before == summary.failed and "--only-failed" in again.lines()[1]


def test_429_retry_after_is_honoured(server, store, cache):
    page = (PAGES / "no-charset.html").read_bytes()
    url = server.sequence("/busy", [Reply(429, headers={"Retry-After": "1"}), Reply(200, page)])
    capped = server.sequence("/busier", [Reply(429, headers={"Retry-After": "3600"}),
                                         Reply(200, page)])
    add_bookmarks(store, [url, capped])
    summary = fetch_all(store, cache, options(max_retry_after=1.5))
    assert summary.fetched == 2 and rows(store)[url]["attempts"] == 2
    first, second = [r.at for r in server.log if r.path == "/busy"]
    assert second - first >= 0.9  # waited as asked (a lower bound, never flaky)
    first, second = [r.at for r in server.log if r.path == "/busier"]
    assert second - first >= 1.4  # an hour asked, the 1.5 s cap honoured


def test_429_after_all_retries_is_recorded(server, store, cache):
    url = server.route("/always-busy", status=429, headers={"Retry-After": "0"})
    add_bookmarks(store, [url])
    assert fetch_all(store, cache, options(retries=2)).failed == {"http_429": 1}
    assert server.counts["/always-busy"] == 3


def test_credentials_never_stored_nor_logged(server, store, cache, capsys, home):
    server.route("/private", status=404)
    url = server.url("/private").replace("http://", "http://alice:s3cret@")
    add_bookmarks(store, [url, "ftp://bob:hunter2@127.0.0.1/x"])
    with pytest.raises(SystemExit):
        main(["--home", str(home.home), "fetch", "--delay", "0", "--retries", "0",
              "--allow-local"])
    dump = "\n".join(str(v) for r in rows(store).values() for v in r.values())
    out = capsys.readouterr()
    for secret in ("s3cret", "hunter2", "alice", "bob:"):
        assert secret not in dump and secret not in out.out + out.err
    assert server.counts["/private"] == 1


# -- refresh and only-failed ------------------------------------------------------------------


def test_refresh_revalidates_and_keeps_the_body_on_304(server, store, cache):
    state = {"etag": '"v1"', "body": b"<p>version one</p>", "fail": False}

    def page(req: Request) -> Reply:
        if state["fail"]:
            return Reply(500)
        if req.headers.get("If-None-Match") == state["etag"]:
            return Reply(304, headers={"ETag": state["etag"]})
        return Reply(200, state["body"], {"ETag": state["etag"], "Content-Type": "text/html",
                                          "Last-Modified": "Tue, 12 Mar 2019 10:00:00 GMT"})

    url = server.handler("/page", page)
    add_bookmarks(store, [url])
    fetch_all(store, cache, options())
    first = rows(store)[url]
    summary = fetch_all(store, cache, options(refresh=True))
    assert summary.unchanged == 1 and rows(store)[url]["sha256"] == first["sha256"]
    assert server.log[-1].headers["If-None-Match"] == '"v1"'
    assert server.log[-1].headers["If-Modified-Since"] == "Tue, 12 Mar 2019 10:00:00 GMT"
    state.update(etag='"v2"', body=b"<p>version two</p>")
    assert fetch_all(store, cache, options(refresh=True)).fetched == 1
    second = rows(store)[url]
    assert second["sha256"] != first["sha256"] and second["etag"] == '"v2"'
    state["fail"] = True
    summary = fetch_all(store, cache, options(refresh=True, retries=0))
    kept = rows(store)[url]
    assert summary.refresh_failed == 1 and kept["sha256"] == second["sha256"]
    assert kept["error"] is None and kept["error_detail"].startswith("refresh failed")


def test_only_failed_retries_failures_only(server, store, cache):
    state = {"up": False}
    url = server.handler("/later", lambda req: Reply(200 if state["up"] else 404, b"<p>ok</p>"))
    add_bookmarks(store, [url, server.url("/pages/latin1.html")])
    assert fetch_all(store, cache, options()).failed == {"http_404": 1}
    assert fetch_all(store, cache, options()).requests == 0  # not retried by default
    newcomer = server.url("/pages/no-charset.html")
    add_bookmarks(store, [newcomer], name="newcomer")
    state["up"] = True
    summary = fetch_all(store, cache, options(only_failed=True))
    assert summary.fetched == 1 and rows(store)[url]["error"] is None
    assert newcomer not in rows(store) and server.counts["/pages/no-charset.html"] == 0
    assert fetch_all(store, cache, options()).fetched == 1  # the default picks it up


def test_local_rows_are_left_alone(server, store, cache):
    url = server.url("/pages/latin1.html")
    add_bookmarks(store, [url])
    bid = store.conn.execute("SELECT id FROM bookmarks").fetchone()[0]
    sha = cache.put(b"<p>saved by hand</p>")
    with store.transaction() as conn:
        conn.execute("INSERT INTO fetches(bookmark_id, url, origin, sha256) VALUES (?,?,?,?)",
                     (bid, url, "local", sha))
    assert fetch_all(store, cache, options(refresh=True)).cached == 1
    assert server.total == 0 and rows(store)[url]["origin"] == "local"


# -- web archive fallback ---------------------------------------------------------------------


def test_dead_link_recovered_from_archive(server, store, cache):
    dead, lost = server.route("/dead", status=404), server.route("/lost", status=410)
    snapshot = b"<html><body><p>archived copy of the dead page</p></body></html>"
    with TestServer("127.0.0.3") as archive:
        def available(req: Request) -> Reply:
            asked = parse_qs(req.query)["url"][0]
            if asked != dead:
                return Reply(200, b'{"url": "x", "archived_snapshots": {}}')
            closest = {"available": True, "status": "200", "timestamp": "20190102030405",
                       "url": archive.url(f"/web/20190102030405/{dead}")}
            return Reply(200, json.dumps({"archived_snapshots": {"closest": closest}}).encode())

        archive.handler("/wayback/available", available)
        raw_url = archive.route(f"/web/20190102030405id_/{dead}", body=snapshot,
                                headers={"Content-Type": "text/html"})
        add_bookmarks(store, [dead, lost])
        summary = fetch_all(store, cache, options(archive_url=archive.url("/wayback/available")))
    got = rows(store)
    assert summary.archived == 1 and summary.failed == {"http_410": 1}
    row = got[dead]
    assert row["origin"] == "archive" and row["error"] is None
    assert row["archive_date"] == "2019-01-02T03:04:05+00:00" and row["final_url"] == raw_url
    assert cache.get(row["sha256"]) == snapshot and "http_404" in row["error_detail"]
    assert got[lost]["error"] == "http_410" and "no archived copy" in got[lost]["error_detail"]


# -- politeness -------------------------------------------------------------------------------


def test_per_host_concurrency_never_exceeds_the_limit(store, cache):
    hosts = [TestServer(f"127.0.0.{i}", latency=0.05).start() for i in range(2, 6)]
    try:
        for srv in hosts:
            for i in range(8):
                srv.route(f"/p{i}", body=f"<p>{srv.host} {i}</p>".encode())
        add_bookmarks(store, [srv.url(f"/p{i}") for srv in hosts for i in range(8)])
        summary = fetch_all(store, cache, options(concurrency=8, per_host=2))
        assert summary.fetched == 32
        assert all(srv.max_inflight <= 2 for srv in hosts)
        assert any(srv.max_inflight == 2 for srv in hosts)  # concurrency did happen
        for srv in hosts:
            srv.reset()
        fetch_all(store, cache, options(concurrency=8, per_host=1, refresh=True))
        assert all(srv.max_inflight == 1 and srv.total == 8 for srv in hosts)
    finally:
        for srv in hosts:
            srv.stop()


def test_requests_to_one_host_are_spaced_by_the_delay(server, store, cache):
    urls = [server.route(f"/d{i}", body=b"<p>x</p>") for i in range(4)]
    add_bookmarks(store, urls)
    fetch_all(store, cache, options(per_host=2, delay=0.3))
    starts = sorted(r.at for r in server.log)
    assert len(starts) == 4
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(starts))  # lower bound only


def test_interrupt_keeps_finished_results_and_a_rerun_completes(home, tmp_path):
    with TestServer("127.0.0.1", latency=0.2) as srv:
        urls = [srv.route(f"/s{i}", body=f"<p>{i}</p>".encode()) for i in range(40)]
        with Store(home.db) as st:
            add_bookmarks(st, urls)
        env = {**os.environ, "INDEXER_ALLOW_LOCAL": "1"}
        cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), "fetch", "--delay",
               "0", "--concurrency", "1", "--per-host", "1"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(600):  # until a few pages are through (no timing asserted)
            if srv.total >= 6 or proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
        with Store(home.db) as st:
            assert st.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            kept = st.conn.execute("SELECT COUNT(*) FROM fetches WHERE error IS NULL").fetchone()[0]
            assert srv.total - 1 <= kept < 40  # every finished page kept, at most 1 in flight lost
            before = srv.total
            summary = fetch_all(st, Cache(home.cache), options())
            assert summary.fetched == 40 - kept and summary.cached == kept
            assert srv.total - before == 40 - kept


# -- local addresses (issue 8) ----------------------------------------------------------------


def test_local_addresses_are_refused_before_any_connection(server, store, cache):
    urls = [
        server.url("/pages/latin1.html"),
        f"http://localhost:{server.port}/pages/latin1.html",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://192.168.1.1/admin",
        "http://[::ffff:127.0.0.1]/",
    ]
    add_bookmarks(store, urls)
    summary = fetch_all(store, cache, options(allow_local=False))
    assert summary.failed == {"local_address": len(urls)} and summary.requests == 0
    assert server.total == 0
    got = rows(store)
    assert all(got[u]["attempts"] == 0 and "--allow-local" in got[u]["error_detail"]
               for u in urls)


def test_a_redirect_to_a_refused_address_is_not_followed(store, cache):
    with TestServer("127.0.0.2") as allowed, TestServer("127.0.0.3") as internal:
        internal.route("/secret", body=b"internal")
        url = allowed.route("/go", status=302, headers={"Location": internal.url("/secret")})
        add_bookmarks(store, [url])
        opts = options(allow_local=False, allowed_networks=("127.0.0.2/32",))
        assert fetch_all(store, cache, opts).failed == {"local_address": 1}
        assert allowed.total == 1 and internal.total == 0


def test_allow_local_from_the_environment(server, store, cache, home, monkeypatch, capsys):
    add_bookmarks(store, [server.url("/pages/latin1.html")])
    argv = ["--home", str(home.home), "fetch", "--delay", "0"]
    with pytest.raises(SystemExit):
        main(argv)
    out = capsys.readouterr().out
    assert "local_address 1" in out and server.total == 0
    # the way out, said once
    assert out.count("1 page refused for a local or private address: pass --allow-local") == 1
    monkeypatch.setenv("INDEXER_ALLOW_LOCAL", "1")
    with pytest.raises(SystemExit) as exit_:
        main(argv + ["--refresh"])
    out = capsys.readouterr()
    assert exit_.value.code == 0 and "unchanged 0" in out.out and server.total == 1
    # plain progress lines (stderr is not a terminal), no line per URL without --verbose
    assert out.err.startswith("fetch: 1 page to do") and "/pages/latin1.html" not in out.err
    with pytest.raises(SystemExit) as exit_:
        main(argv + ["--refresh", "--verbose"])
    assert server.url("/pages/latin1.html") in capsys.readouterr().err


# -- the CLI over a real Diigo CSV export -----------------------------------------------------


def test_cli_imports_a_diigo_csv_and_fetches_it(server, home, tmp_path, capsys):
    export = tmp_path / "diigo.csv"
    with export.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL)
        out.writerow(["title", "url", "tags", "description", "comments", "annotations",
                      "created_at"])
        for i, name in enumerate(["article-fr.html", "latin1.html"]):
            out.writerow([f"Page {i}", server.url(f"/pages/{name}"), "association", "", "",
                          "Highlight: Les associations", "2019-03-12 10:00:00"])
    base = ["--home", str(home.home)]
    for argv in (["import", str(export)],
                 ["fetch", "--delay", "0", "--allow-local", "--concurrency", "2"],
                 ["fetch", "--delay", "0", "--allow-local"]):
        with pytest.raises(SystemExit) as exit_:
            main(base + argv)
        assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "fetched 2" in out and "already cached 2" in out and server.total == 2


@pytest.mark.parametrize("argv", [["--concurrency", "0"], ["--offline", "--refresh"],
                                  ["--archive-url", "ftp://archive"]])
def test_cli_refuses_bad_settings_in_one_line(home, capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(["--home", str(home.home), "fetch", *argv])
    err = capsys.readouterr().err
    assert exit_.value.code != 0 and err.startswith("error: ") and err.count("\n") == 1


# -- the real pages of ../shared/corpus/html --------------------------------------------------


@pytest.mark.shared
def test_real_corpus_pages_fetched_byte_for_byte(shared, store, cache):
    root = shared("corpus", "html")
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh, delimiter="\t"))
    srv = TestServer("127.0.0.1")
    srv.static("/corpus", root)
    with srv:
        urls = {srv.url("/corpus/" + quote(m["file"])): m for m in manifest}
        add_bookmarks(store, list(urls))
        summary = fetch_all(store, cache, options(concurrency=8, per_host=8))
        assert summary.fetched == len(manifest) and not summary.failed
        got = rows(store)
        assert all(got[u]["sha256"] == m["sha256"] for u, m in urls.items())
        assert fetch_all(store, cache, options()).requests == 0
        assert srv.total == len(manifest)
    offline = fetch_all(store, cache, options(offline=True))
    assert offline.cached == len(manifest) and not offline.missing


# -- small pure functions ---------------------------------------------------------------------


def test_redact_removes_credentials_anywhere_in_a_text():
    assert redact("https://u:p@host/x?a=b") == "https://host/x?a=b"
    assert redact("see http://user@h:81/ and ftp://a:b@c/d") == "see http://h:81/ and ftp://c/d"
    assert redact("https://host/path@x") == "https://host/path@x"


def test_small_parsers():
    assert parse_content_type("Text/HTML; Charset=ISO-8859-1") == ("text/html", "iso-8859-1")
    assert parse_content_type("application/pdf") == ("application/pdf", None)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert parse_retry_after("soon") is None
    assert [status_cause(s) for s in (200, 304, 404, 410, 418, 429, 502)] == [
        None, "http_3xx", "http_404", "http_410", "http_4xx", "http_429", "http_5xx"]
    assert status_cause(304, conditional=True) is None
    assert host_key("HTTPS://Example.org/a") == "https://example.org:443"
    assert host_key("http://example.org:8080/") == "http://example.org:8080"
    assert host_key("mailto:x@y") is None


def test_local_reason_covers_the_usual_suspects():
    import ipaddress

    reasons = {a: local_reason(ipaddress.ip_address(a)) for a in (
        "127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1",
        "224.0.0.1", "0.0.0.0", "::ffff:10.0.0.1", "100.64.0.1", "93.184.216.34")}
    assert reasons["93.184.216.34"] is None
    assert all(reason for addr, reason in reasons.items() if addr != "93.184.216.34")
    assert local_reason(ipaddress.ip_address("127.0.0.2"), ["127.0.0.0/8"]) is None


def test_classify_error_walks_the_cause_chain():
    import httpx

    def chained(outer: Exception, inner: BaseException) -> Exception:
        outer.__cause__ = inner
        return outer

    dns = chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known"))
    assert classify_error(dns) == "dns"
    assert classify_error(chained(httpx.ConnectError("x"), ConnectionRefusedError())) == "refused"
    assert classify_error(httpx.ReadTimeout("")) == "timeout"
    assert classify_error(httpx.RemoteProtocolError("peer closed")) == "network"


def test_options_are_checked():
    with pytest.raises(IndexerError):
        FetchOptions(per_host=0).check()
    with pytest.raises(IndexerError):
        FetchOptions(refresh=True, only_failed=True).check()
