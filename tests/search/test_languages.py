"""Honest languages: a bookmark with no article read gets the language of its own words
(title, description, excerpts, notes), else `und`; `und` is shown as such and analysed by
folding, never as French; the notebooks' terms drop each language's stop words."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import FIXTURES

from indexer import explore
from indexer.cache import Cache
from indexer.config import Paths
from indexer.extract import extract_all
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.search import search
from indexer.store import Store

STOP = {"the", "of", "is", "in", "for", "and", "die", "der", "und", "das", "ein", "von"}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Paths:
    """German, English and French bookmarks (no page fetched) and one too short to tell,
    through the extract stage, which detects their languages; both engines."""
    home = Paths(tmp_path_factory.mktemp("mixed"))
    import_files(home, [FIXTURES / "languages" / "mixed.jsonl"])
    with Store(home.db) as store:
        summary = extract_all(store, Cache(home.cache))
    assert summary.bookmark_languages == {"de": 1, "en": 1, "fr": 1, "und": 1}
    for engine in ("whoosh", "tantivy"):
        build_index(home, engine=engine)
    return home


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_each_bookmark_counts_in_its_own_language(mixed, engine):
    r = search(mixed, "", scope="excerpts", facets=["language"], limit=10, engine=engine)
    assert dict(r.facets["language"]) == {"de": 1, "en": 1, "fr": 1, "und": 1}
    english = search(mixed, "", filters={"language": ["en"]}, scope="excerpts", engine=engine)
    assert [h.row["title"] for h in english.hits] == ["Artificial intelligence in public services"]
    assert {h.row["language"] for h in r.hits} == {"de", "en", "fr", "und"}


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_und_is_folded_not_stemmed_as_french(mixed, engine):
    # "donnée" finds the French excerpt's "données" (French stemming) but not the lone
    # "données" of the bookmark whose language could not be told: folding only there
    hits = search(mixed, "donnée", scope="excerpts", limit=10, engine=engine).hits
    assert [h.row["language"] for h in hits] == ["fr"]
    exact = search(mixed, "données", scope="excerpts", limit=10, engine=engine).hits
    assert sorted(h.row["language"] for h in exact) == ["fr", "und"]
    # English words get the English chain: "systems" finds "system" only there
    assert [h.row["language"] for h in search(mixed, "system", scope="excerpts",
                                              engine=engine).hits] == ["en"]


def test_a_second_extract_detects_nothing_again(mixed):
    with Store(mixed.db) as store:
        assert extract_all(store, Cache(mixed.cache)).bookmark_languages == {}


def test_worker_processes_detect_what_one_process_detects(tmp_path):
    """The languages of 600 bookmarks (the mixed fixture and synthetic ones), detected in two
    worker processes and in this one: the same language and text hash for each."""
    from indexer.synth import populate

    found = []
    for workers in (1, 2):
        home = Paths(tmp_path / f"w{workers}")
        import_files(home, [FIXTURES / "languages" / "mixed.jsonl"])
        with Store(home.db) as store:
            populate(store, 2000, seed=5)
        summary = detect_languages(home, workers=workers)
        with sqlite3.connect(home.db) as conn:
            found.append((summary.detected, conn.execute(
                "SELECT id, language, language_hash FROM bookmarks ORDER BY id").fetchall()))
    assert found[0][0] > 200
    assert found[0] == found[1]


def test_a_bookmark_whose_article_has_a_language_needs_none_of_its_own(tmp_path):
    """Its documents take the article's language: its own words are not detected (at 1M
    excerpts that was about 6 of extract's 18 minutes); the others' are."""
    from conftest import SEED, add_article

    home = Paths(tmp_path / "home")
    import_files(home, [SEED])
    with Store(home.db) as store:
        add_article(store)
        bid = store.conn.execute("SELECT bookmark_id FROM articles").fetchone()[0]
    summary = detect_languages(home)
    with sqlite3.connect(home.db) as conn:
        own = dict(conn.execute("SELECT id, language FROM bookmarks").fetchall())
    assert own.pop(bid) is None
    assert summary.detected == len(own) and None not in own.values()
    build_index(home, engine="tantivy")
    r = search(home, "", filters={"language": ["fr"]}, scope="all", limit=500, engine="tantivy")
    assert bid in {h.row["bookmark_id"] for h in r.hits}


def test_topics_and_terms_drop_each_languages_stop_words(mixed):
    terms = set(explore.term_counts(mixed, "annotator", top=None)["word"])
    assert not terms & STOP and "verwaltung" in terms and "citizens" in terms
    topics = explore.topics(mixed, n=2, seed=0)
    assert not {w for ws in topics["terms"] for w in ws} & STOP


@pytest.mark.shared
@pytest.mark.slow
def test_the_real_diigo_csv_before_any_fetch(shared, tmp_path):
    """8,043 bookmarks, none fetched: German, English and undetermined, not all French; the
    notes searched with the rest by default, and a scope without a hit says where they are."""
    home = Paths(tmp_path / "home")
    import_files(home, [next(shared("corpus", "formats", "diigo_csv").glob("*.csv"))])
    found = detect_languages(home, workers=2).languages
    assert found["de"] > 2000 and found["en"] > 1000 and found["und"] > 1000
    assert found.get("fr", 0) < 50
    build_index(home, engine="tantivy")
    r = search(home, "", facets=["language"], limit=1, engine="tantivy")
    assert dict(r.facets["language"])["de"] > 1000
    assert search(home, "", filters={"language": ["en"]}, limit=1, engine="tantivy").total > 500
    topics = explore.topics(home, n=5, seed=0)
    assert not {w for ws in topics["terms"] for w in ws} & STOP
    # the team's own words are searched by default, the 355 sticky notes among them
    team = search(home, "", facets=["kind"], limit=1, engine="tantivy")
    assert dict(team.facets["kind"]) == {"description": 4450, "excerpt": 2745, "note": 355}
    assert search(home, "", scope="notes", limit=1, engine="tantivy").total == 355
    missed = search(home, "Quellenangabe", scope="excerpts", engine="tantivy")
    assert missed.total == 0 and missed.hint == "0 excerpts; 1 in notes: --in all"
    with sqlite3.connect(home.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM bookmarks WHERE language IS NULL").fetchone() \
            == (0,)
