"""Precounted facets (tantivy): the same counts as counting, used only when they are current."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import SEED, add_article
from test_engines import NARROWINGS, QUERIES

from indexer.config import Paths
from indexer.engines.tantivy import precounts
from indexer.engines.tantivy.searcher import (
    _ORDERS,
    TantivySearcher,
    _windowed,
    combine,
    scope_clauses,
)
from indexer.index import build_index, current_dir
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.search import open_searcher, search
from indexer.store import Store
from indexer.synth import populate

FACETS = precounts.PRECOUNTED  # all but the entities, which are always counted


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Paths, Paths]:
    """(both engines on the export + 400 synthetic excerpts, a copy whose tantivy build has
    precounted every word found in 2 documents or more)."""
    plain = Paths(tmp_path_factory.mktemp("plain"))
    import_files(plain, [SEED])
    with Store(plain.db) as store:
        populate(store, 400, seed=3)
        add_article(store)
    detect_languages(plain)  # as `indexer build` does after extracting
    for engine in ("whoosh", "tantivy"):
        build_index(plain, engine=engine)
    counted = Paths(tmp_path_factory.mktemp("counted") / "home")
    shutil.copytree(plain.home, counted.home, symlinks=True)
    build = current_dir(counted, "tantivy")
    with TantivySearcher(counted, build) as s:
        assert precounts.write_precounts(s, build, min_docs=2) > 100
    return plain, counted


def answers(paths, engine, query, **narrowing):
    r = search(paths, query, limit=10_000, engine=engine, facets=FACETS, context=0, **narrowing)
    return {h.row["id"] for h in r.hits}, r.total, r.facets


@pytest.mark.parametrize("narrowing", NARROWINGS, ids=lambda n: ",".join(n) or "none")
def test_precounted_facets_equal_whooshs(stores, narrowing):
    plain, counted = stores
    for query in QUERIES:
        assert answers(counted, "tantivy", query, **narrowing) == \
            answers(plain, "whoosh", query, **narrowing), query


@pytest.mark.parametrize("query", ["", "etat", "numériq*", "ademe OR cnil", "datacenter",
                                   '"data centers"', '"logiciels libres" OR ademe'])
@pytest.mark.parametrize("scope", ["excerpts", "all", "descriptions"])
def test_unions_of_words_are_served_by_the_precounts(stores, query, scope):
    _, counted = stores
    with open_searcher(counted, "tantivy") as o:
        s = o.searcher
        pre = s.precounts()
        assert pre is not None
        kinds = [scope[:-1]] if scope != "all" else sorted(s.values("kind"))
        clauses = scope_clauses(s, kinds[0]) if scope != "all" else []
        counting = precounts.prepare(s, pre, o.parse(query), kinds, clauses, FACETS)
        assert counting is not None
        got, total = counting.run()
    r = search(counted, query, scope=scope, facets=FACETS, engine="tantivy")
    assert (got, total) == (r.facets, r.total)
    r = search(stores[0], query, scope=scope, facets=FACETS, engine="whoosh")
    assert (got, total) == (r.facets, r.total)


def test_phrases_and_conjunctions_are_counted(stores):
    _, counted = stores
    with open_searcher(counted, "tantivy") as o:
        for query in ['"les data centers"', '"données personnelles"~3', "données personnelles",
                      "datta~", "NOT numérique"]:
            assert precounts.words_of(o.searcher, o.parse(query)) is None, query


def test_a_quoted_pair_is_one_precounted_term(stores):
    _, counted = stores
    with open_searcher(counted, "tantivy") as o:
        words = precounts.words_of(o.searcher, o.parse('"data centers"'))
        assert words == [("text_pairs", "data|centers")]
        assert precounts._key(*words[0]) in o.searcher.precounts()["words"]


def _tamper(build, **change):
    path = build / precounts.PRECOUNTS
    data = json.loads(path.read_text())
    for word in data["words"].values():
        for per_facet in word.values():
            for values in per_facet.values():
                for value in values:
                    values[value] *= 10
    data.update(change)
    path.write_text(json.dumps(data))


def test_counts_of_another_commit_are_ignored(stores, tmp_path):
    plain, counted = stores
    home = Paths(tmp_path / "home")
    shutil.copytree(counted.home, home.home, symlinks=True)
    build = current_dir(home, "tantivy")
    expected = answers(plain, "whoosh", "etat")
    _tamper(build)  # same commit: used, so the (wrong) counts show
    assert answers(home, "tantivy", "etat")[2] != expected[2]
    _tamper(build, opstamp=precounts.opstamp(build) + 1)  # another commit: ignored
    assert answers(home, "tantivy", "etat") == expected


def test_an_update_counts_again_with_the_same_threshold(stores, tmp_path):
    _, counted = stores
    home = Paths(tmp_path / "home")
    shutil.copytree(counted.home, home.home, symlinks=True)
    with Store(home.db) as store, store.transaction() as conn:
        conn.execute("UPDATE excerpts SET text = text || ' état' WHERE id IN"
                     " (SELECT id FROM excerpts ORDER BY id LIMIT 5)")
    before = precounts.opstamp(current_dir(home, "tantivy"))
    summary = build_index(home, engine="tantivy")
    assert not summary.rebuilt and summary.updated == 5
    build = current_dir(home, "tantivy")
    data = json.loads((build / precounts.PRECOUNTS).read_text())
    assert data["opstamp"] == precounts.opstamp(build) != before
    assert data["min_docs"] == 2
    build_index(home, engine="whoosh")
    assert answers(home, "tantivy", "etat") == answers(home, "whoosh", "etat")


# -- pages by date, read from a window of days ------------------------------------------------

PAGES = [("numériq*", {}), ("numériq*", {"scope": "all"}), ("etat", {"sort": "saved"}),
         ("", {}), ("", {"sort": "saved", "scope": "all"}),
         ("ademe OR cnil", {"sort": "saved"})]


def pages(o, query, narrowing, window_docs):
    o.searcher.window_docs, o.searcher.window_per_hit = window_docs, 2
    out = []
    for page in (1, 2, 3):
        r = search(o, query, facets=["tag"], limit=7, page=page, context=0, **narrowing)
        out.append(([h.row["id"] for h in r.hits], r.total, r.facets))
    return out


@pytest.mark.parametrize("query, narrowing", PAGES)
def test_a_window_of_days_gives_the_pages_of_the_whole_index(stores, query, narrowing):
    """The same pages, in the same order, from a window of the newest (oldest) days as from
    every match; and the window is used (it holds enough matches)."""
    _, counted = stores
    with open_searcher(counted, "tantivy") as o:
        s = o.searcher
        order = {"saved": "newest", "published": "published"}.get(
            narrowing.get("sort"), "oldest" if not query else "newest")
        scope = [] if narrowing.get("scope") == "all" else scope_clauses(s, "excerpt")
        combined = combine(s, o.parse(query), scope)
        field, direction = _ORDERS[order]
        s.window_per_hit = 2
        for window in (10, 40, 160, 320):  # the smallest that holds a page (7 hits)
            s.window_docs = window
            words = precounts.words_of(s, o.parse(query))
            if _windowed(s, words, combined, scope, field, direction, 7, 0):
                break
        else:
            pytest.fail("no window held 7 hits")
        assert pages(o, query, narrowing, window) == pages(o, query, narrowing, 10**9)


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_a_prefix_alone_lists_the_newest_first(stores, engine):
    """Every match of ``numériq*`` scores alike: by relevance, the newest come first (on both
    engines); beside a word, the score orders again."""
    plain, _ = stores
    r = search(plain, "numériq*", limit=50, engine=engine)
    saved = [h.row["created_at"] for h in r.hits]
    assert len(saved) == 50 and saved == sorted(saved, reverse=True)
    assert search(plain, "numériq*", limit=50, sort="saved", engine=engine).hits[0].row[
        "created_at"] == saved[0]
    r = search(plain, "numériq* OR cnil", limit=50, engine=engine)
    assert [h.score for h in r.hits] == sorted((h.score for h in r.hits), reverse=True)
    assert len({h.score for h in r.hits}) > 1
