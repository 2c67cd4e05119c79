"""The reading room over HTTP: a real server (uvicorn on loopback) over homes built from real
pages, read with httpx and parsed with lxml. What a browser adds (the DOM as rendered,
clicks, scripts that must not run) is in test_reader_browser.py."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import lxml.html
import pytest
from conftest import SEED, run_in_process
from readingset import ORPHAN, PAYLOAD, hostile_home, real_pages_home
from webserver import Reader, free_port

from indexer.config import Paths
from indexer.index import build_index
from indexer.languages import detect_languages
from indexer.ingest import import_files
from indexer.search import search, search_all
from indexer.store import Store
from indexer.web import exposed
from indexer.web.state import SearchState
from indexer.web.words import words


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from conftest import SHARED

    if not (SHARED / "corpus" / "html").is_dir():
        pytest.skip(f"needs the real pages of ../shared/corpus/html ({SHARED} is absent)")
    built = real_pages_home(tmp_path_factory.mktemp("reading"), SHARED / "corpus" / "html")
    with Reader(built.home) as reader:
        yield built, reader


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    built = hostile_home(tmp_path_factory.mktemp("hostile"))
    with Reader(built.home) as reader:
        yield built, reader


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("bundled"))
    import_files(home, [SEED])
    detect_languages(home)
    build_index(home)
    with Reader(home) as reader:
        yield home, reader


def get(reader, path: str, status: int = 200) -> httpx.Response:
    r = httpx.get(reader.url(path), timeout=30)
    assert r.status_code == status, (path, r.status_code, r.text[:500])
    return r


def page(reader, path: str, status: int = 200):
    return lxml.html.fromstring(get(reader, path, status).text)


def total(doc) -> int:
    return int(doc.get_element_by_id("summary").get("data-total"))


def excerpts_of(home: Paths) -> list[dict]:
    with Store(home.db) as store:
        return [dict(r) for r in store.conn.execute(
            "SELECT e.id, e.bookmark_id, e.text, a.method, a.start, a.\"end\", a.matched_text,"
            " a.in_main_text, a.score, a.orphan_cause, a.fragment_url FROM excerpts e"
            " LEFT JOIN alignments a ON a.excerpt_id = e.id ORDER BY e.bookmark_id, e.seq")]


def highlight_text(doc, excerpt_id: str) -> str:
    """The text of every highlight run of one excerpt, joined (runs are cut at overlaps)."""
    marks = doc.xpath("//mark[contains(concat(' ', @data-excerpts, ' '), $id)]",
                      id=f" {excerpt_id} ")
    return "".join(m.text_content() for m in marks)


# -- the search page ----------------------------------------------------------------------


def test_search_page_shows_each_hit_with_its_metadata_and_marked_words(bundled):
    home, reader = bundled
    doc = page(reader, "/?q=plateforme")
    expected = search(home, "plateforme", limit=20)
    hits = doc.cssselect("li.hit")
    assert total(doc) == expected.total > 0 and len(hits) == len(expected.hits)
    for li, hit in zip(hits, expected.hits):
        assert li.get("data-id") == hit.row["id"] and li.get("data-kind") == hit.kind
        assert li.cssselect(".title")[0].text_content() == hit.row["title"]
        assert li.cssselect(".annotator")[0].text_content().endswith(hit.row["annotator"])
        assert [t.text_content() for t in li.cssselect(".tag")] == hit.row["tags"]
        marked = [m.text_content() for m in li.cssselect(".snippet mark")]
        assert marked == [hit.snippet.text[a:b] for a, b in hit.snippet.spans]
        assert li.cssselect(".snippet")[0].text_content() == hit.snippet.text


def test_facet_links_narrow_as_the_cli_does(bundled, capsys):
    home, reader = bundled
    doc = page(reader, "/?q=plateforme")
    link = doc.cssselect('section[data-facet="site"] a')[0]
    value, count = link.get("data-value"), int(link.getnext().text_content())
    narrowed = page(reader, link.get("href"))
    code, out, _ = run_in_process(capsys, home, "search", "plateforme", "--site", value,
                                  "--format", "json")
    cli = json.loads(out)
    assert code == 0 and total(narrowed) == cli["total"] == count
    for name, counts in cli["facets"].items():
        shown = {a.get("data-value"): int(a.getnext().text_content())
                 for a in narrowed.cssselect(f'section[data-facet="{name}"] a')}
        assert list(shown.items()) == [tuple(vc) for vc in counts][:len(shown)]
    # the selected value links back to the unfiltered page
    chosen = narrowed.cssselect('section[data-facet="site"] li.selected a')[0]
    assert total(page(reader, chosen.get("href"))) == total(doc)


@pytest.mark.shared
def test_every_state_is_in_the_url(real):
    built, reader = real
    home = built.home
    url = ("/?q=article&in=all&sort=saved&since=2019&until=2021-12&tag=presse"
           "&lang=fr&page=1")
    state = SearchState.from_params(parse_qsl(urlsplit(url).query))
    assert state.scope == "all" and state.filter_dict == {"tag": ["presse"],
                                                          "language": ["fr"]}
    again = SearchState.from_params(parse_qsl(urlsplit(state.url()).query))
    assert again == state
    assert state.toggled("tag", "x").toggled("tag", "x") == state
    doc = page(reader, url)
    expected = search(home, "article", scope="all", sort="saved", since="2019",
                      until="2021-12", filters={"tag": ["presse"], "language": ["fr"]}, limit=20)
    assert total(doc) == expected.total > 0
    assert [li.get("data-id") for li in doc.cssselect("li.hit")] == [
        h.row["id"] for h in expected.hits]
    form = doc.cssselect("form.search")[0]
    assert form.cssselect("select[name=in] option[selected]")[0].get("value") == "all"
    assert form.cssselect("select[name=sort] option[selected]")[0].get("value") == "saved"
    assert form.cssselect("input[name=since]")[0].get("value") == "2019"
    assert {(i.get("name"), i.get("value")) for i in form.cssselect("input[type=hidden]")} == {
        ("tag", "presse"), ("lang", "fr")}
    dates = [d.text_content() for d in doc.cssselect("li.hit .date")]
    months = words("fr")["months"]
    assert dates and all(any(m in d for m in months) for d in dates)  # French dates


def test_paging_links(bundled):
    home, reader = bundled
    first = page(reader, "/?in=all")
    assert total(first) > 20
    nxt = first.cssselect("a[rel=next]")[0].get("href")
    second = page(reader, nxt)
    ids = {li.get("data-id") for li in first.cssselect("li.hit")}
    assert not ids & {li.get("data-id") for li in second.cssselect("li.hit")}
    assert second.cssselect("a[rel=prev]")


def test_zero_hits_give_the_hint_in_french_with_its_links(bundled):
    home, reader = bundled
    doc = page(reader, "/?q=plateforme&tag=association&annotator=Aurialie+Jublin&since=2030")
    assert total(doc) == 0
    # a near word: the hint offers the corrected search
    doc = page(reader, "/?q=plateformz")
    hint = doc.cssselect("p.hint")[0]
    assert "mots proches" in hint.text_content()
    assert total(page(reader, hint.cssselect("a")[0].get("href"))) > 0
    # a filter that empties the set: the hint offers to drop it
    sites = [v for v, _ in search(home, "", facets=["site"], scope="all").facets["site"]]
    empty = [v for v in sites if not search(home, "plateforme", filters={"site": v}).total]
    assert empty, "every site has a hit for 'plateforme': pick another word"
    doc = page(reader, "/?" + urlencode({"q": "plateforme", "site": empty[0]}))
    hint = doc.cssselect("p.hint")[0]
    assert total(doc) == 0 and "sans les filtres" in hint.text_content()
    assert total(page(reader, hint.cssselect("a")[0].get("href"))) > 0


def test_exports_are_the_cli_rows(bundled, capsys):
    home, reader = bundled
    got = get(reader, "/export.csv?q=numérique&in=all")
    assert got.headers["content-disposition"].startswith("attachment")
    web_rows = list(csv.DictReader(io.StringIO(got.text)))
    code, out, _ = run_in_process(capsys, home, "search", "numérique", "--in", "all",
                                  "--limit", "5000", "--format", "csv")
    cli_rows = list(csv.DictReader(io.StringIO(out)))
    # every hit, not the 20 of the page on screen
    assert code == 0 and web_rows == cli_rows
    assert len(web_rows) == search(home, "numérique", scope="all").total > 20
    assert {r["query"] for r in web_rows} == {"numérique"} and web_rows[0]["index_built"]
    excel = get(reader, "/export.csv?q=plateforme&in=all&excel=1").content
    assert excel.startswith("\ufeff".encode()) and b";" in excel.splitlines()[0]
    payload = get(reader, "/export.json?q=plateforme").json()
    code, out, _ = run_in_process(capsys, home, "search", "plateforme", "--limit", "5000",
                                  "--format", "json")
    assert payload["hits"] == json.loads(out)["hits"] and payload["total"] == len(payload["hits"])


@pytest.mark.parametrize("fmt", ["ris", "csljson", "bibtex", "w3c", "hypothesis"])
def test_citation_exports_are_the_cli_ones(bundled, capsys, fmt):
    home, reader = bundled
    doc = page(reader, "/?q=numérique")
    link = next(a.get("href") for a in doc.cssselect("p.exports a")
                if a.get("href").startswith(f"/export.{fmt}?"))
    got = get(reader, link)
    code, out, _ = run_in_process(capsys, home, "search", "numérique", "--format", fmt)
    assert code == 0 and got.text == out
    assert got.headers["content-disposition"].startswith("attachment")
    if fmt == "ris":
        assert got.text.count("TY  - ") == len({h.row["bookmark_id"] for h in search_all(
            home, "numérique").hits})


# -- the article page ------------------------------------------------------------------------


@pytest.mark.shared
def test_article_page_highlights_every_excerpt_at_its_offsets(real):
    built, reader = real
    rows = excerpts_of(built.home)
    placed = [r for r in rows if r["method"] in ("exact", "fuzzy")]
    assert any(r["method"] == "fuzzy" for r in placed) and any(not r["in_main_text"]
                                                               for r in placed)
    for bid in {r["bookmark_id"] for r in rows}:
        doc = page(reader, f"/b/{bid}")
        for r in (r for r in rows if r["bookmark_id"] == bid):
            if r["method"] in ("exact", "fuzzy"):
                assert highlight_text(doc, r["id"]) == r["matched_text"]
                assert doc.get_element_by_id(f"x-{r['id']}") is not None
            margin = doc.get_element_by_id(f"m-{r['id']}")
            assert margin.cssselect("a.jump")[0].get("href") == f"#x-{r['id']}"
            method = margin.cssselect(".method")[0].text_content()
            if r["method"] == "fuzzy":
                assert f"score {r['score']:.2f}" in method and "approximation" in method
            if r["fragment_url"]:
                assert margin.cssselect("a.fragment")[0].get("href") == r["fragment_url"]


@pytest.mark.shared
def test_article_page_shows_outside_passages_orphans_and_the_archived_copy(real):
    built, reader = real
    rows = excerpts_of(built.home)
    outside = [r for r in rows if r["method"] in ("exact", "fuzzy") and not r["in_main_text"]]
    assert outside
    for r in outside:
        doc = page(reader, f"/b/{r['bookmark_id']}")
        passage = doc.cssselect("section.passages blockquote mark")
        assert r["matched_text"] in [m.text_content() for m in passage]
        body = doc.cssselect("section.text .body")[0].text_content()
        assert not doc.xpath("//section[@class='text']//mark[contains(@data-excerpts, $id)]",
                             id=r["id"])
        assert body  # the main text is still shown, without this excerpt spliced in
    orphan = next(r for r in rows if r["text"] == ORPHAN)
    doc = page(reader, f"/b/{orphan['bookmark_id']}")
    item = doc.get_element_by_id(f"x-{orphan['id']}")
    assert ORPHAN in item.text_content() and "pas dans le texte" in item.text_content()
    with Store(built.home.db) as store:
        bid, final = store.conn.execute(
            "SELECT bookmark_id, final_url FROM fetches WHERE origin = 'archive'").fetchone()
    doc = page(reader, f"/b/{bid}")
    archived = doc.cssselect("a.archived")[0]
    assert archived.get("href") == final and "2 janvier 2019" in archived.text_content()
    assert doc.cssselect("a.original")[0].get("href") == built.archived


def test_article_page_of_the_bundled_export_lists_its_orphans(bundled):
    home, reader = bundled
    rows = excerpts_of(home)
    bid = rows[0]["bookmark_id"]
    doc = page(reader, f"/b/{bid}")
    mine = [r for r in rows if r["bookmark_id"] == bid]
    assert len(doc.cssselect("aside.margin li")) == len(mine)
    assert "pas encore aligné" in doc.cssselect("aside.margin li .method")[0].text_content()
    with Store(home.db) as store:
        description = store.conn.execute("SELECT description FROM bookmarks WHERE id = ?",
                                         (bid,)).fetchone()[0]
    assert description.strip()
    shown = doc.get_element_by_id("description").cssselect("p")[0].text_content()
    assert shown == description


def test_a_hit_links_to_its_place_in_the_article(bundled):
    home, reader = bundled
    doc = page(reader, "/?q=plateforme&in=all")
    for li in doc.cssselect("li.hit"):
        href = li.cssselect("a.title")[0].get("href")
        path, _, anchor = href.partition("#")
        kind, doc_id = li.get("data-kind"), li.get("data-id")
        want = {"excerpt": f"x-{doc_id}", "description": "description"}.get(kind, anchor)
        assert anchor == want
        target = page(reader, path)
        assert target.get_element_by_id(anchor) is not None
        back = target.cssselect("p.back a")[0].get("href")
        assert back.startswith("/?q=plateforme")


# -- safe by default -------------------------------------------------------------------------


def _no_active_content(doc) -> None:
    assert not doc.xpath("//script"), "a <script> element reached the page"
    handlers = [(el.tag, a) for el in doc.iter() if isinstance(el.tag, str)
                for a in el.attrib if a.lower().startswith("on")]
    assert not handlers, handlers
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    assert all(h.startswith(("/", "#", "http://", "https://")) for h in hrefs), hrefs


def test_hostile_texts_are_shown_as_text_and_never_as_markup(hostile):
    built, reader = hostile
    doc = page(reader, "/?q=plateformes&in=all")
    _no_active_content(doc)
    text = doc.text_content()
    assert f"<script>{PAYLOAD}</script>" in text and 'onmouseover="' in text
    assert total(doc) >= 4
    with Store(built.home.db) as store:
        ids = [b for (b,) in store.conn.execute("SELECT id FROM bookmarks")]
    for bid in ids:
        doc = page(reader, f"/b/{bid}")
        _no_active_content(doc)
        # the page's own title where its article was read, else the bookmark's
        assert doc.cssselect("h1")[0].text_content().startswith((
            "Un article <img src=x onerror=", "plateformes <img", "plateformes data"))
    unlinked = [page(reader, f"/b/{b}").cssselect("dd.unlinked") for b in ids]
    shown = sorted(dd[0].text_content() for dd in unlinked if dd)
    assert shown == sorted(u for u in built.bookmarks if not u.startswith("http"))


def test_hostile_back_parameter_is_not_followed(hostile):
    built, reader = hostile
    with Store(built.home.db) as store:
        bid = store.conn.execute("SELECT id FROM bookmarks LIMIT 1").fetchone()[0]
    for back in ("javascript:alert(1)", "//evil.example/", "https://evil.example/"):
        doc = page(reader, f"/b/{bid}?back={back}")
        assert doc.cssselect("p.back a")[0].get("href") == "/"


def test_security_headers_on_pages_files_and_errors(bundled):
    home, reader = bundled
    for path, status in (("/", 200), ("/static/reader.css", 200), ("/b/nope", 404),
                         ("/?q=%22", 400), ("/export.xml", 404)):
        r = get(reader, path, status)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_bad_query_is_a_400_page_with_the_one_line_message(bundled):
    home, reader = bundled
    for query, words_ in (("/?q=%22data", "unbalanced"), ("/?q=nope:x", "unknown field"),
                          ("/?page=0", "bad page"), ("/?in=partout", "unknown scope"),
                          ("/?since=2019-13", "month 13"), ("/?tag=inconnu", "no tag"),
                          ("/?q=plateforme&page=99", "past the last page")):
        r = get(reader, query, 400)
        doc = lxml.html.fromstring(r.text)
        message = doc.cssselect("p.message")[0].text_content()
        assert words_ in message and "\n" not in message and "Traceback" not in r.text


def test_unknown_ids_are_404(bundled):
    home, reader = bundled
    assert "unknown bookmark" in get(reader, "/b/0000", 404).text
    get(reader, "/nowhere", 404)


def test_the_reader_never_writes_the_store(bundled):
    home, reader = bundled
    before = hashlib.sha256(home.db.read_bytes()).hexdigest()
    for path in ("/?q=plateforme", "/?in=all&page=2", "/export.csv?q=état"):
        get(reader, path)
    with Store(home.db) as store:
        bid = store.conn.execute("SELECT id FROM bookmarks LIMIT 1").fetchone()[0]
    get(reader, f"/b/{bid}")
    assert hashlib.sha256(home.db.read_bytes()).hexdigest() == before
    ro = Store(home.db, readonly=True)
    with pytest.raises(Exception, match="readonly"):
        ro.conn.execute("DELETE FROM tags")
    ro.close()


def test_words_and_french_dates():
    w = words("fr")
    assert w.date("2019-03-12T10:00:00Z") == "12 mars 2019"
    assert w.date("2019-08") == "août 2019" and w.date("2019") == "2019"
    assert w.count("hits", 0) == "aucun résultat" and w.count("hits", 1) == "1 résultat"
    assert w.count("hits", 12345) == "12\u202f345 résultats"
    assert words("xx") == w  # an unknown language falls back to French


# -- indexer serve -----------------------------------------------------------------------


def test_exposed_hosts():
    assert not exposed("127.0.0.1") and not exposed("::1") and not exposed("localhost")
    assert not exposed("127.0.0.2")
    assert exposed("0.0.0.0") and exposed("192.168.1.4") and exposed("::")
    assert exposed("lab.example")


def _serve(home: Paths, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), "serve", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_command_serves_and_warns_when_exposed(bundled):
    home, _ = bundled
    port = free_port()
    proc = _serve(home, "--host", "0.0.0.0", "--port", str(port))
    try:
        first = proc.stderr.readline()
        second = proc.stderr.readline()
        assert first.startswith("warning: --host 0.0.0.0 serves the library to anyone")
        assert f"http://0.0.0.0:{port}/" in second
        end = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/?q=plateforme", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)
        assert r.status_code == 200 and "Salle de lecture" in r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_command_refuses_in_one_line(bundled, tmp_path):
    home, reader = bundled
    proc = _serve(home, "--port", str(reader.port))  # the test's own reader holds it
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and err.count("\n") == 1 and f"port {reader.port}" in err
    empty = Paths(tmp_path)
    import_files(empty, [SEED])
    proc = _serve(empty)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and err.count("\n") == 1 and "indexer index" in err


def test_a_library_without_annotators_reads_cleanly(tmp_path, fixtures):
    """A Diigo library export names nobody (it is one person's): the hit lines hold only what
    is known, with no empty separators, and the dates are French."""
    home = Paths(tmp_path)
    import_files(home, [fixtures / "diigo_small.csv"])
    detect_languages(home)
    build_index(home)
    with Reader(home) as reader:
        doc = page(reader, "/?in=all")
        metas = [" ".join(m.text_content().split()) for m in doc.cssselect("li.hit .meta")]
    assert metas and total(doc) == len(metas)
    for meta in metas:
        assert "· ·" not in meta and not meta.startswith("·") and not meta.endswith("·"), meta
    assert any(any(m in meta for m in words("fr")["months"]) for meta in metas)


@pytest.mark.shared
def test_the_margin_follows_the_text(real):
    built, reader = real
    rows = excerpts_of(built.home)
    for bid in {r["bookmark_id"] for r in rows}:
        doc = page(reader, f"/b/{bid}")
        listed = [li.get("id")[2:] for li in doc.cssselect("aside.margin li")]
        by_id = {r["id"]: r for r in rows}
        main = [i for i in listed if by_id[i]["method"] in ("exact", "fuzzy")
                and by_id[i]["in_main_text"]]
        assert main == sorted(main, key=lambda i: by_id[i]["start"])
        kinds = [0 if i in main else 2 if by_id[i]["method"] not in ("exact", "fuzzy") else 1
                 for i in listed]
        assert kinds == sorted(kinds)
