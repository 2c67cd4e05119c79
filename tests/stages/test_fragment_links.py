"""Fragment links that a browser finds: measured on our own page and on the real pages of
../shared, against the page's text as rendered (computed here from the HTML, and, when
Debian's chromium and chromium-driver are installed, Chromium's own innerText and navigation).

Pages are served on 127.0.0.1; the stages (fetch, extract, align) run for real and the links
are those the align stage stores. What "found" means (tests/fragmentset.py): each term of a
link's directive, decoded, occurs as whole words inside one block of the rendered text,
compared as Chromium compares (case-insensitively, a no-break space as a space, soft hyphens
ignored; measured in test_chromium_matches_as_fragmentset_compares).
"""

from __future__ import annotations

from urllib.parse import quote

import fragmentset
import pytest
from browser import Browser, net_log_connections, require_browser
from conftest import FIXTURES, SHARED
from httpserver import TestServer

from indexer.align import align_all
from indexer.cache import Cache
from indexer.extract import extract_all
from indexer.fetch import FetchOptions, fetch_all
from indexer.records import BookmarkRecord, ExcerptRecord, ParseResult
from indexer.store import Store

PAGE = FIXTURES / "pages" / "fragments-fr.html"
# Highlights of our page, as a reader copies them, for the four ways a link went wrong
# (issue 14), the element they are in, and the link the old builder made (checked below to
# fail in a real browser; the old heading link started mid-word, which no check can see).
CASES = {
    "nbsp": ("« c'est un endroit où l'on apprend en faisant »", "nbsp",
             ("text=%C2%AB%20c%E2%80%99est%20un%20endroit%20o%C3%B9%20l%E2%80%99on%20apprend"
              "%20en%20faisant%20%C2%BB")),
    "list": (("un hébergement de fichiers partagé entre les associations du lieu une"
              " messagerie commune avec des adresses à leur nom des formations courtes"),
             "services",
             "text=un%20h%C3%A9bergement%20de%20fichiers,%2D%20des%20formations%20courtes"),
    "repeated": ("Les bénévoles restent le cœur du projet.", "repeated",
                 "text=Les%20b%C3%A9n%C3%A9voles%20restent%20le%20c%C5%93ur%20du%20projet."),
    "heading": (("Un modèle qui essaime D’autres villes observent l’expérience avec attention."
                 " Trois communes voisines ont déjà visité le lieu"), "essaime", None),
}


def run_stages(tmp_path, server, pages: dict[str, list[str]]) -> dict[str, str]:
    """Bookmarks of ``{url: excerpts}`` fetched, extracted and aligned; ``{excerpt: link}``."""
    records = [BookmarkRecord(url, url=url, excerpts=[ExcerptRecord(e) for e in excerpts])
               for url, excerpts in pages.items()]
    with Store(tmp_path / "s.sqlite") as store:
        store.import_parsed(ParseResult("test", records), "t", "sha")
        cache = Cache(tmp_path / "cache")
        fetch_all(store, cache, FetchOptions(allow_local=True, delay=0.0, retries=0))
        extract_all(store, cache)
        align_all(store)
        rows = store.conn.execute(
            "SELECT e.text, a.fragment_url FROM alignments a JOIN excerpts e"
            " ON e.id = a.excerpt_id").fetchall()
    return {r["text"]: r["fragment_url"] for r in rows}


# -- our page: the four cases, no ../shared needed ----------------------------------------


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """Our page served on loopback, its excerpts through the stages: (server, url, links)."""
    server = TestServer("127.0.0.1").start()
    url = server.route("/fragments-fr.html", body=PAGE.read_bytes(),
                       headers={"Content-Type": "text/html; charset=utf-8"})
    links = run_stages(tmp_path_factory.mktemp("own"), server,
                       {url: [excerpt for excerpt, _, _ in CASES.values()]})
    yield server, url, {name: links[excerpt] for name, (excerpt, _, _) in CASES.items()}
    server.stop()


def test_own_page_links_find_every_term_in_the_rendered_text(own):
    _, _, links = own
    shown = fragmentset.rendering(PAGE)
    for name, link in links.items():
        assert fragmentset.missing_terms(link, shown) == [], (name, link)
    terms = {name: fragmentset.directive_terms(link) for name, link in links.items()}
    assert terms["nbsp"][0].startswith("«\u00a0 c’est")  # the page's two characters
    assert not any(t.startswith("- ") for t in terms["list"])  # no list marker
    assert terms["list"] == ["un hébergement de fichiers", "des formations courtes"]
    assert len(terms["repeated"]) == 3  # prefix, start, suffix: the page has it twice
    assert terms["heading"][0] == "Un modèle qui essaime"  # the heading, not "des indicateurs."
    # the old links: a space short, a list marker, no context for a start the page repeats
    assert fragmentset.missing_terms(CASES["nbsp"][2], shown)
    assert fragmentset.missing_terms(CASES["list"][2], shown) == ["- des formations courtes"]
    assert not fragmentset.has_context(CASES["repeated"][2])
    assert shown.count(CASES["repeated"][0]) == 2


# -- the real pages of ../shared -----------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The links of the alignment test set's highlights on every real page, through the
    stages: (server, links, {page: URL})."""
    html = SHARED / "corpus" / "html"
    if not html.exists():
        pytest.skip("needs ../shared/corpus/html (the shared test material is absent)")
    server = TestServer("127.0.0.1").start()
    links = fragmentset.build_links(tmp_path_factory.mktemp("real"), server, html)
    urls = {name: server.url("/pages/" + quote(name)) for name in {x.page for x in links}}
    yield server, links, urls
    server.stop()


@pytest.mark.shared
@pytest.mark.slow
def test_real_pages_every_term_in_the_rendered_text(real):
    _, links, urls = real
    html = SHARED / "corpus" / "html"
    share = fragmentset.shares(links, {name: fragmentset.rendering(html / name) for name in urls})
    assert share.counted >= 2000, share.counted
    assert share.failures == [], share.failures[:5]
    assert len(share.unseen) + len(share.split) <= share.counted // 100  # set apart: few


# -- a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    """One headless Chromium for the module, its NetLog kept to check where it connected."""
    require_browser()
    log = tmp_path_factory.mktemp("netlog") / "netlog.json"
    browser = Browser(width=1000, height=600, net_log=log).start()
    yield browser
    browser.stop()


def _lands(browser: Browser, url: str, element: str) -> bool:
    """Does opening ``url`` scroll the page so that element ``#element`` is on screen?"""
    browser.open(url)
    browser.settled_scroll(timeout=3.0)
    return browser.run(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return window.scrollY > 0 && r.bottom > 0 && r.top < window.innerHeight;", element)


def test_chromium_matches_as_fragmentset_compares(chromium, own):
    """What the checks assume of Chromium: a no-break space matches a space (one character
    each, so «&nbsp; c’est needs two), collapsed spaces match one, case does not count,
    a term does not cross a block, and a word cut at an apostrophe is no word."""
    _, url, _ = own
    base = url + "#:~:text="
    assert _lands(chromium, base + "%C2%AB%20%20c%E2%80%99est%20un%20endroit", "nbsp")
    assert not _lands(chromium, base + "%C2%AB%20c%E2%80%99est%20un%20endroit", "nbsp")
    assert _lands(chromium, base + "PREUVE%20%3A%20ON%20Y%20R%C3%A9PARE", "nbsp")
    assert _lands(chromium, base + "donn%C3%A9s%20par%20des%20entreprises", "nbsp")  # des\n
    assert not _lands(chromium, base + "lieu%20une%20messagerie", "services")
    assert not _lands(chromium, base + "dans%20un%20dossier%20%C3%A0%20part.%20Les%20salari"
                      "%C3%A9s", "repeated")
    assert _lands(chromium, base + "endroit%20o%C3%B9%20l%E2%80%99on", "nbsp")
    assert not _lands(chromium, base + "endroit%20o%C3%B9%20l", "nbsp")  # l’on cut after its l


def test_own_page_links_land_in_chromium_and_the_old_ones_did_not(chromium, own):
    _, url, links = own
    for name, (_, element, old) in CASES.items():
        assert _lands(chromium, links[name], element), (name, links[name])
        if old:
            assert not _lands(chromium, url + "#:~:" + old, element), (name, old)


@pytest.mark.shared
@pytest.mark.slow
def test_real_pages_every_term_in_chromium_inner_text(chromium, real):
    _, links, urls = real
    inner = {}
    for name, url in urls.items():
        chromium.open(url)  # anti-flicker snippets hide the text for a second or so
        inner[name] = chromium.wait_for("return document.body && document.body.innerText",
                                        timeout=4.0) or ""
    share = fragmentset.shares(links, inner)
    assert share.counted >= 2000, share.counted
    assert share.failures == [], share.failures[:5]
    assert len(share.unseen) + len(share.split) <= share.counted // 50


@pytest.mark.shared
@pytest.mark.slow
def test_real_pages_sample_of_links_scrolls_chromium_to_the_text(chromium, real):
    """Navigating to a link scrolls to its text: for a seeded sample of links whose start is
    unique in the page, the text (found afterwards by window.find) is on screen. Pages whose
    scripts hide the whole text at load (anti-flicker snippets) are set apart: no fragment
    can match there (docs/alignment.md)."""
    _, links, _ = real
    html = SHARED / "corpus" / "html"
    shown = {name: fragmentset.rendering(html / name) for name in {x.page for x in links}}
    got = fragmentset.navigate(chromium, links, shown, n=30)
    assert got.below_fold >= 15, got
    assert got.landed == got.below_fold, got


def test_chromium_connected_to_nothing_but_loopback(chromium, own):
    """The real pages ask for fonts, scripts and trackers on hundreds of hosts: every TCP
    connection Chromium attempted went to 127.0.0.1 (the test servers, or the dead proxy all
    else is sent to). Its IPv6 reachability probe is a UDP connect(), which sends nothing."""
    _, url, _ = own
    chromium.open(url)
    chromium.stop()  # the NetLog is complete once the browser has quit: this test comes last
    connections = net_log_connections(chromium.net_log)
    tcp = {addr for kind, addr in connections if kind == "TCP_CONNECT_ATTEMPT"}
    assert tcp and all(addr.startswith("127.0.0.1:") for addr in tcp), tcp
    udp = {addr for kind, addr in connections
           if kind == "UDP_CONNECT" and not addr.startswith("127.")}
    assert udp <= {"[2001:4860:4860::8888]:443"}, udp
