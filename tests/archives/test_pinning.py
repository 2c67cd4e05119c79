"""Connections pinned to the address checked: the fetcher resolves a name once, checks the
addresses, and connects to those (Host header and TLS name kept), on every redirect too.

The only thing replaced is the resolver, through the fetcher's own setting
(``FetchOptions.resolver``). "Public" addresses are loopback ones declared allowed through
``allowed_networks`` (nothing here leaves 127.0.0.0/8): 127.0.0.2 stands for a public
server, 127.0.0.3 for the internal service a rebinding name would reach.
"""

from __future__ import annotations

import hashlib
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from httpserver import TestServer

from indexer.cache import Cache
from indexer.config import Paths
from indexer.fetch import FetchOptions, fetch_all
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store

PUBLIC, INTERNAL = "127.0.0.2", "127.0.0.3"
PAGE = b"<html><body><p>la page publique</p></body></html>"


class Rebinding:
    """A resolver answering a public address the first time, a loopback one after."""

    def __init__(self, first: str = PUBLIC, then: str = INTERNAL):
        self.answers = [first, then]
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        return [self.answers[min(len(self.calls), 2) - 1]]


def options(resolver, **kw) -> FetchOptions:
    return FetchOptions(delay=0, retries=0, timeout=2, deadline=5, resolver=resolver,
                        allowed_networks=(f"{PUBLIC}/32",), **kw)


def fetch_urls(home, urls: list[str], opts: FetchOptions):
    with Store(home.db) as store:
        records = [BookmarkRecord(title=f"p{i}", url=u) for i, u in enumerate(urls)]
        store.import_parsed(ParseResult("test", records), "t.txt",
                            hashlib.sha256(repr(urls).encode()).hexdigest())
        summary = fetch_all(store, Cache(home.cache), opts)
        rows = {r["url"]: dict(r) for r in store.conn.execute("SELECT * FROM fetches")}
    return summary, rows


@pytest.fixture
def twin_servers():
    """A "public" server and an "internal" one on the same port, two addresses."""
    public = TestServer(PUBLIC).start()
    internal = TestServer(INTERNAL)
    internal.port = public.port  # one name:port, two addresses: what rebinding plays on
    internal.start()
    yield public, internal
    public.stop()
    internal.stop()


def test_a_rebinding_name_connects_to_the_address_checked(home, twin_servers):
    public, internal = twin_servers
    public.route("/page", body=PAGE, headers={"Content-Type": "text/html"})
    internal.route("/page", body=b"internal secret", headers={"Content-Type": "text/html"})
    resolver = Rebinding()
    url = f"http://rebind.test:{public.port}/page"
    summary, rows = fetch_urls(home, [url], options(resolver))
    assert summary.fetched == 1 and rows[url]["error"] is None
    assert resolver.calls == ["rebind.test"]  # resolved once: checked and connected
    assert public.counts["/page"] == 1 and internal.total == 0  # what the servers saw
    assert public.log[0].headers["Host"] == f"rebind.test:{public.port}"
    assert Cache(home.cache).get(rows[url]["sha256"]) == PAGE


def test_a_redirect_to_a_rebinding_name_is_checked_and_pinned_too(home, twin_servers):
    public, internal = twin_servers
    port = public.port
    public.route("/start", status=302, headers={"Location": f"http://second.test:{port}/page"})
    public.route("/page", body=PAGE, headers={"Content-Type": "text/html"})
    internal.route("/page", body=b"internal secret")
    # each name answers public first, internal after: every hop is resolved once
    resolver = Rebinding()
    by_name: dict[str, Rebinding] = {}

    def per_name(host: str) -> list[str]:
        resolver.calls.append(host)
        return by_name.setdefault(host, Rebinding())(host)

    url = f"http://first.test:{port}/start"
    summary, rows = fetch_urls(home, [url], options(per_name))
    assert summary.fetched == 1 and rows[url]["final_url"] == f"http://second.test:{port}/page"
    assert resolver.calls == ["first.test", "second.test"]
    assert public.counts == {"/start": 1, "/page": 1} and internal.total == 0
    assert [r.headers["Host"] for r in public.log] == [f"first.test:{port}", f"second.test:{port}"]


def test_a_name_answering_a_refused_address_is_never_connected(home, twin_servers):
    public, internal = twin_servers
    port = public.port
    public.route("/start", status=302, headers={"Location": f"http://inside.test:{port}/x"})
    resolver = Rebinding(first=INTERNAL)  # loopback straight away
    summary, rows = fetch_urls(home, [f"http://inside.test:{port}/x"], options(resolver))
    assert summary.failed == {"local_address": 1} and summary.requests == 0
    assert internal.total == 0 and public.total == 0
    # and through a redirect from the public server (another home: a refused address is
    # checked again on every run, which would count the first bookmark twice)
    other = Paths(home.home.parent / "other")
    summary, rows = fetch_urls(other, [f"http://first.test:{port}/start"],
                               options(lambda host: [PUBLIC] if host == "first.test"
                                       else [INTERNAL]))
    assert summary.failed == {"local_address": 1} and internal.total == 0
    assert public.counts["/start"] == 1
    assert "inside.test is 127.0.0.3 (loopback)" in rows[f"http://first.test:{port}/start"][
        "error_detail"]


# -- TLS: the certificate is checked for the name, the connection goes to the address ------


class _TLSServer:
    """An HTTPS server on one address with a certificate for a name; records the SNI name
    and Host header of each request."""

    def __init__(self, host: str, context: ssl.SSLContext):
        self.seen: list[tuple[str | None, str | None]] = []
        self.sni: list[str | None] = []
        context.sni_callback = lambda sock, name, ctx: self.sni.append(name)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.seen.append((outer.sni[-1] if outer.sni else None, self.headers["Host"]))
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_https_keeps_the_tls_name_and_host_while_connecting_to_the_pinned_address(home):
    trustme = pytest.importorskip("trustme", reason="trustme (test extra) makes the test CA")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pinned.test").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    server = _TLSServer(PUBLIC, server_ctx)
    try:
        resolver = Rebinding()
        url = f"https://pinned.test:{server.port}/page"
        summary, _ = fetch_urls(home, [url], options(resolver, ssl_context=client_ctx))
    finally:
        server.stop()
    assert summary.fetched == 1, summary.lines()
    assert server.seen == [("pinned.test", f"pinned.test:{server.port}")]
    assert resolver.calls == ["pinned.test"]
