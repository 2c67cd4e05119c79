"""The reading room shows an excerpt the live page lost where it was found: in the web
archive's copy of the day it was highlighted, with that copy's date and link, and never
spliced into the live text (its offsets count in the snapshot's text)."""

from __future__ import annotations

import json

import httpx
import lxml.html
import pytest
from archiveset import OLD, NEW, SAVED, Archive, dated_copies
from httpserver import TestServer
from webserver import Reader

from indexer.align import align_all
from indexer.cache import Cache
from indexer.config import Paths
from indexer.extract import extract_all
from indexer.fetch import FetchOptions, fetch_all
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.snapshots import rescue_orphans
from indexer.store import Store


@pytest.fixture(scope="module")
def rescued(tmp_path_factory):
    from conftest import shared_path

    copies = dated_copies(shared_path("corpus", "html"))
    if copies is None:
        pytest.skip("no page of ../shared fits (three long paragraphs in the main text)")
    old, live, lost, kept = copies
    home = Paths(tmp_path_factory.mktemp("rescued"))
    with TestServer("127.0.0.1") as site, TestServer("127.0.0.3") as archive_srv:
        page = site.route("/article", body=live, headers={"Content-Type": "text/html"})
        archive = Archive(archive_srv, {page: {OLD: old, NEW: live}})
        export = home.home / "veille.jsonl"
        home.home.mkdir(parents=True, exist_ok=True)
        export.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
            {"format": "indexer/1"},
            {"url": page, "title": "La page vivante", "created_at": SAVED,
             "excerpts": [lost, kept]}]) + "\n", encoding="utf-8")
        import_files(home, [export])
        options = FetchOptions(delay=0, retries=0, timeout=5, deadline=20, allow_local=True,
                               archive_url=archive.server.url("/wayback/available"))
        with Store(home.db) as store:
            cache = Cache(home.cache)
            fetch_all(store, cache, options)
            extract_all(store, cache)
            align_all(store)
            assert rescue_orphans(store, cache, options).placed == 1
    build_index(home)
    with Store(home.db) as store:
        rows = {r["text"]: dict(r) for r in store.conn.execute(
            "SELECT e.id, e.bookmark_id, e.text, a.matched_text, a.snapshot_id, s.url, "
            "s.archive_date FROM excerpts e JOIN alignments a ON a.excerpt_id = e.id "
            "LEFT JOIN snapshots s ON s.id = a.snapshot_id")}
    with Reader(home) as reader:
        yield reader, rows[lost], rows[kept]


@pytest.mark.shared
def test_an_excerpt_only_in_an_archived_copy_is_shown_in_that_copy(rescued):
    reader, lost, kept = rescued
    assert lost["snapshot_id"] is not None and kept["snapshot_id"] is None
    doc = lxml.html.fromstring(httpx.get(reader.url(f"/b/{lost['bookmark_id']}")).text)
    section = doc.cssselect("section.archived-passages")[0]
    mark = section.cssselect("mark")[0]
    assert mark.get("data-excerpts") == lost["id"] and mark.text_content() == lost["matched_text"]
    link = section.cssselect("a.snapshot")[0]
    assert link.get("href") == lost["url"] and "15 mars 2019" in link.text_content()
    # the live text holds the kept excerpt and not the lost one
    body = doc.cssselect("section.text")[0]
    assert [m.get("data-excerpts") for m in body.cssselect("mark")] == [kept["id"]]
    assert body.cssselect("mark")[0].text_content() == kept["matched_text"]
    margin = doc.get_element_by_id(f"m-{lost['id']}")
    assert "seulement dans la copie du 15 mars 2019" in margin.text_content()
    assert margin.get("class") == "where-archive"
    order = [li.get("id")[2:] for li in doc.cssselect("aside.margin li")]
    assert order == [kept["id"], lost["id"]]  # the live text first, then the archived copy
