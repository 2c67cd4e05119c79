"""The snapshot of the right day: a local "archive" plays the Wayback availability API and a
Memento TimeGate (as their documentation says), holding two dated copies of a real page; the
older one holds a passage the "live" copy lost.

* https://archive.org/help/wayback_api.php: ``GET /wayback/available?url=U&timestamp=T``
  answers ``{"url": U, "archived_snapshots": {"closest": {"status": "200", "available":
  true, "url": ".../web/<14 digits>/U", "timestamp": "<14 digits>"}}}``, the snapshot
  closest to ``timestamp``;
* RFC 7089 (Memento): ``GET <timegate>U`` with ``Accept-Datetime: <HTTP date>`` answers
  ``302`` to the memento closest to that date (``Vary: accept-datetime``, ``Link`` to the
  original), whose response carries ``Memento-Datetime``.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from archiveset import NEW, OLD, SAVED, Archive, dated_copies, squash
from conftest import run_in_process
from httpserver import TestServer

from indexer.align import align_all
from indexer.annotations import w3c_annotations
from indexer.cache import Cache
from indexer.documents import placed_text, snapshot_texts
from indexer.extract import extract_all
from indexer.fetch import FetchOptions, fetch_all
from indexer.ingest import import_files, status
from indexer.search import show
from indexer.snapshots import rescue_orphans
from indexer.store import Store
from indexer.works import load_works


@pytest.fixture(scope="module")
def copies():
    """The two dated copies of a real page (see archiveset.dated_copies)."""
    from conftest import shared_path

    found = dated_copies(shared_path("corpus", "html"))
    if found is None:
        pytest.skip("no page of ../shared fits (three long paragraphs in the main text)")
    return found


@pytest.fixture
def world(copies, tmp_path):
    """The live site (127.0.0.1) and the archive (127.0.0.3) with a page and a dead link."""
    old, live, lost, kept = copies
    with TestServer("127.0.0.1") as site, TestServer("127.0.0.3") as archive_srv:
        page = site.route("/article", body=live, headers={"Content-Type": "text/html"})
        dead = site.url("/dead")  # a 404 now; archived as it was
        archive = Archive(archive_srv, {page: {OLD: old, NEW: live}, dead: {OLD: old, NEW: live}})
        export = tmp_path / "veille.jsonl"
        lines = [{"format": "indexer/1"},
                 {"url": page, "title": "La page vivante", "created_at": SAVED,
                  "excerpts": [lost, kept]},
                 {"url": dead, "title": "La page morte", "created_at": SAVED,
                  "excerpts": [lost]}]
        export.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                          encoding="utf-8")
        yield {"site": site, "archive": archive, "page": page, "dead": dead, "export": export,
               "lost": lost, "kept": kept}


def _options(home, **kw) -> FetchOptions:
    return FetchOptions(delay=0, retries=0, timeout=5, deadline=20, allow_local=True,
                        warc_dir=home.warc, **kw)


def _build(home, world, **kw) -> None:
    """import, fetch (dead links from the archive), extract, align, as `build` runs them."""
    import_files(home, [world["export"]])
    with Store(home.db) as store:
        cache = Cache(home.cache)
        fetch_all(store, cache, _options(home, **kw))
        extract_all(store, cache)
        align_all(store)


def _by_url(home) -> dict[tuple[str, str], dict]:
    with Store(home.db) as store:
        return {(r["url"], r["text"]): dict(r) for r in store.conn.execute(
            "SELECT b.url, e.text, e.id AS eid, a.method, a.start, a.\"end\", a.in_main_text,"
            " a.snapshot_id, a.orphan_cause, a.fragment_url, s.url AS snap_url,"
            " s.archive_date AS snap_date, s.wanted"
            " FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id"
            " JOIN alignments a ON a.excerpt_id = e.id"
            " LEFT JOIN snapshots s ON s.id = a.snapshot_id")}


def test_dead_link_gets_the_copy_of_its_saved_date_from_the_availability_api(home, world):
    _build(home, world, archive_url=world["archive"].server.url("/wayback/available"))
    with Store(home.db) as store:
        row = dict(store.conn.execute("SELECT * FROM fetches WHERE url=?",
                                      (world["dead"],)).fetchone())
    assert row["origin"] == "archive" and row["archive_date"] == "2019-03-15T00:00:00+00:00"
    assert row["final_url"] == world["archive"].server.url(f"/web/{OLD}id_/{world['dead']}")
    asked = [r for r in world["archive"].server.log if r.path == "/wayback/available"]
    assert parse_qs(asked[0].query)["timestamp"] == ["20190314090000"]
    # the 2019 copy holds the passage: it is placed in the dead link's (archived) article
    got = _by_url(home)[(world["dead"], world["lost"])]
    assert got["method"] == "exact" and got["snapshot_id"] is None


def test_an_orphan_of_the_live_page_is_placed_in_the_copy_of_its_day(home, world):
    archive_url = world["archive"].server.url("/wayback/available")
    _build(home, world, archive_url=archive_url)
    page, lost, kept = world["page"], world["lost"], world["kept"]
    before = _by_url(home)
    assert before[(page, lost)]["orphan_cause"] == "not_found"
    assert before[(page, kept)]["method"] == "exact"
    with Store(home.db) as store:
        summary = rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
    assert (summary.bookmarks, summary.found, summary.placed) == (1, 1, 1)
    after = _by_url(home)
    placed = after[(page, lost)]
    assert placed["method"] == "exact" and placed["snapshot_id"] is not None
    assert placed["snap_date"] == "2019-03-15T00:00:00+00:00" and placed["wanted"] == SAVED
    assert placed["snap_url"] == world["archive"].server.url(f"/web/{OLD}id_/{page}")
    assert placed["fragment_url"].startswith(placed["snap_url"] + "#:~:text=")
    # the live text stays the article's for the others
    assert after[(page, kept)] == before[(page, kept)]
    with Store(home.db) as store:
        art = store.conn.execute("SELECT text, fallback_text FROM articles a JOIN bookmarks b"
                                 " ON b.id = a.bookmark_id WHERE b.url=?", (page,)).fetchone()
        texts = snapshot_texts(store, [placed["snapshot_id"]])
    cut = placed_text(art["text"], art["fallback_text"], placed["in_main_text"],
                      placed["snapshot_id"], texts)
    assert squash(cut[placed["start"]:placed["end"]]) == lost
    assert placed_text(art["text"], art["fallback_text"], True, placed["snapshot_id"]) is None
    # a second run asks nothing and changes nothing
    world["archive"].server.reset()
    with Store(home.db) as store:
        again = rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
    assert again.bookmarks == 0 and world["archive"].server.total == 0  # nothing lost now
    assert _by_url(home) == after


def test_status_orphans_exports_and_show_say_which_live_only_in_an_archived_copy(
        home, world, capsys):
    archive_url = world["archive"].server.url("/wayback/available")
    _build(home, world, archive_url=archive_url)
    with Store(home.db) as store:
        rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
    counts = status(home)
    assert counts["archived_only"] == 2 and counts["snapshots"] == 1  # the page's, the dead's
    code, out, err = run_in_process(capsys, home, "orphans")
    assert code == 0 and "not_found archived 2019-03-15" in out
    assert "0 orphans (and 1 placed only in an archived copy)" in err
    code, out, _ = run_in_process(capsys, home, "export", "--format", "jsonl")
    rows = {(r["url"], r["text"]): r for r in map(json.loads, out.splitlines())}
    old_copy = world["archive"].server.url(f"/web/{OLD}id_/")
    for key in ((world["page"], world["lost"]), (world["dead"], world["lost"])):
        assert rows[key]["archived_url"].startswith(old_copy)
        assert rows[key]["archived_date"] == "2019-03-15T00:00:00+00:00"
    assert rows[(world["page"], world["kept"])]["archived_url"] is None
    with Store(home.db) as store:
        works = list(load_works(store))
    states = {a["target"]["selector"][0]["exact"] + "|" + a["target"]["source"]:
              a["target"].get("state") for a in w3c_annotations(works)}
    assert states[world["lost"] + "|" + world["page"]]["sourceDate"] == "2019-03-15T00:00:00Z"
    assert states[world["kept"] + "|" + world["page"]] is None
    # `indexer show` cuts the context out of the snapshot's text, where the offsets count
    view = show(home, _by_url(home)[(world["page"], world["lost"])]["eid"], context=60)
    with Store(home.db) as store:
        snapshot = store.conn.execute("SELECT text FROM snapshots").fetchone()[0]
    assert view.before and squash(view.before) in squash(snapshot)
    assert squash(view.before) + " " + world["lost"] in squash(snapshot)


def test_the_memento_timegate_gives_the_same_day(home, world, capsys):
    timegate = world["archive"].server.url("/timegate/")
    _build(home, world, timegate_url=timegate)
    with Store(home.db) as store:
        dead = dict(store.conn.execute("SELECT * FROM fetches WHERE url=?",
                                       (world["dead"],)).fetchone())
    assert dead["origin"] == "archive" and dead["archive_date"] == "2019-03-15T00:00:00+00:00"
    assert dead["final_url"] == world["archive"].server.url(f"/web/{OLD}/{world['dead']}")
    asked = [r for r in world["archive"].server.log if r.path.startswith("/timegate/")]
    assert asked[0].headers["Accept-Datetime"] == "Thu, 14 Mar 2019 09:00:00 GMT"
    code, out, err = run_in_process(capsys, home, "snapshots", "--timegate", timegate,
                                    "--allow-local", "--delay", "0")
    assert code == 0, err
    assert "1 found, 0 without a copy" in out and "placed only in an archived copy: 1" in out
    placed = _by_url(home)[(world["page"], world["lost"])]
    assert placed["method"] == "exact" and placed["snap_date"] == "2019-03-15T00:00:00+00:00"


def test_the_copies_and_their_lookups_are_in_the_warcs(home, world):
    from warcset import all_records, assert_sound

    archive_url = world["archive"].server.url("/wayback/available")
    _build(home, world, archive_url=archive_url)
    with Store(home.db) as store:
        rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
    assert_sound(home.warc)
    responses = {r["uri"]: r for r in all_records(home.warc) if r["type"] == "response"}
    old = world["archive"].server.url(f"/web/{OLD}id_/")
    assert world["page"] in responses  # the live page
    assert {u for u in responses if u.startswith(old)} == {old + world["dead"], old + world["page"]}
    notes = [r["payload"].decode() for r in all_records(home.warc) if r["type"] == "metadata"]
    assert any("excerpts not found on the live page" in n for n in notes)
    assert any("live page: http_404" in n for n in notes)


def test_no_archive_named_is_one_clear_line(home, world, capsys):
    import_files(home, [world["export"]])
    code, _, err = run_in_process(capsys, home, "snapshots")
    assert code == 1 and err.startswith("error: no web archive to ask") and "Traceback" not in err


def test_dates_given_to_the_archives():
    from indexer.fetch import http_date, saved_datetime, wayback_timestamp

    assert wayback_timestamp("2019-03-14T09:00:00") == "20190314090000"
    assert wayback_timestamp("2019/03/14 09:00:00 +0000") == "20190314090000"
    assert wayback_timestamp("2019-03-14T10:00:00+01:00") == "20190314090000"
    assert wayback_timestamp("2019-03-14") == "20190314000000"
    assert http_date("2019-03-14T09:00:00Z") == "Thu, 14 Mar 2019 09:00:00 GMT"
    assert saved_datetime("hier") is None and wayback_timestamp(None) is None


def test_a_page_the_archive_never_saw_is_asked_once_then_again_with_refresh(home, world):
    archive = world["archive"]
    holdings = archive.holdings.pop(world["page"])  # the archive has no copy of the page
    archive_url = archive.server.url("/wayback/available")
    _build(home, world, archive_url=archive_url)
    with Store(home.db) as store:
        first = rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
        failed = dict(store.conn.execute("SELECT * FROM snapshots").fetchone())
    assert (first.bookmarks, first.found, first.none, first.placed) == (1, 0, 1, 0)
    assert failed["status"] == "failed" and failed["error"] == "no archived copy"
    assert _by_url(home)[(world["page"], world["lost"])]["orphan_cause"] == "not_found"
    archive.server.reset()
    with Store(home.db) as store:
        again = rescue_orphans(store, Cache(home.cache), _options(home, archive_url=archive_url))
    assert again.bookmarks == 0 and again.asked_before == 1 and archive.server.total == 0
    archive.holdings[world["page"]] = holdings  # the archive has it now
    with Store(home.db) as store:
        refreshed = rescue_orphans(store, Cache(home.cache),
                                   _options(home, archive_url=archive_url, refresh=True))
        kinds = [r[0] for r in store.conn.execute("SELECT status FROM snapshots")]
    assert (refreshed.found, refreshed.placed) == (1, 1) and kinds == ["ok"]
