"""FastBM25F gives Whoosh's own BM25F scores, bit for bit, and score_matches Whoosh's own
ranking of every match, on one segment and on several (with deleted documents)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from conftest import SEED, add_article

from indexer.config import Paths
from indexer.engines.whoosh.convert import to_whoosh
from indexer.engines.whoosh.scoring import FastBM25F, _TableScorer, score_matches
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.search import open_searcher
from indexer.store import Store
from indexer.synth import populate


@contextmanager
def whoosh_searcher(paths):
    """The Whoosh engine's own searcher, with ``parse`` giving Whoosh queries."""
    with open_searcher(paths, "whoosh") as opened:
        w = opened.searcher
        w.parse = lambda text: to_whoosh(opened.parse(text))
        yield w

QUERIES = ["numérique", "données personnelles", "sobriété OR énergétique", "numériq*",
           '"data centers"', "état", "association", "plateformes livraison", "ademe~1"]


def scored(s, weighting, text):
    """{docnum: score} of every match of ``text`` with ``weighting``."""
    with s.ix.searcher(weighting=weighting) as searcher:
        results = searcher.search(s.parse(text), limit=None)
        return {docnum: score for score, docnum in results.top_n}


def assert_same_scores(paths):
    from whoosh.scoring import BM25F

    with whoosh_searcher(paths) as s:
        used = []
        fast = FastBM25F()
        original = fast.scorer
        fast.scorer = lambda *a, **k: used.append(original(*a, **k)) or used[-1]
        for text in QUERIES:
            expected = scored(s, BM25F(), text)
            assert expected, text
            assert scored(s, fast, text) == expected, text  # == on floats: bit for bit
        assert any(isinstance(scorer, _TableScorer) for scorer in used)


@pytest.fixture()
def corpus(tmp_path) -> Paths:
    paths = Paths(tmp_path)
    import_files(paths, [SEED])
    with Store(paths.db) as store:
        populate(store, 300, seed=5)
    detect_languages(paths)  # as `indexer build` does after extracting
    build_index(paths)
    return paths


def test_same_scores_on_one_segment(corpus):
    with whoosh_searcher(corpus) as s:
        assert s.searcher.is_atomic()
    assert_same_scores(corpus)


def test_same_scores_after_an_update_in_place(corpus):
    with Store(corpus.db) as store:
        populate(store, 40, seed=6)
        add_article(store)
    build_index(corpus)  # an update: new documents in a new segment
    with whoosh_searcher(corpus) as s:
        assert not s.searcher.is_atomic()
    assert_same_scores(corpus)


def test_the_searcher_uses_it(corpus):
    with whoosh_searcher(corpus) as s:
        assert isinstance(s.searcher.weighting, FastBM25F)


def whoosh_ranking(searcher, q, allowed=None):
    results = searcher.search(q, filter=allowed, limit=None)
    return [(docnum, score) for score, docnum in results.top_n]


def assert_same_ranking(paths):
    with whoosh_searcher(paths) as s:
        kinds = s.docs("kind")
        excerpts = kinds["excerpt"]
        allowed = set(sorted(excerpts)[::3])
        checked = 0
        for text in QUERIES + ["numérique NOT données", "(ademe OR cnil) numérique",
                               "citoyens^2 numérique", "tag:association", "sobriété énergétique"]:
            q = s.parse(text)
            for query in (q, s._of_kind(q, "excerpt")):
                expected = whoosh_ranking(s.searcher, query)
                assert score_matches(s.searcher, query) == expected, text
                filtered = whoosh_ranking(s.searcher, query, allowed)
                assert score_matches(s.searcher, query, allowed) == filtered, text
                checked += bool(expected)
        assert checked > 20


def test_bulk_scoring_ranks_as_whoosh_on_one_segment(corpus):
    assert_same_ranking(corpus)


def test_bulk_scoring_ranks_as_whoosh_with_segments_and_deletions(corpus):
    with Store(corpus.db) as store:
        populate(store, 40, seed=6)
        with store.transaction() as conn:  # an update deletes the old versions
            conn.execute("UPDATE excerpts SET text = text || ' numérique' WHERE rowid % 7 = 0")
    build_index(corpus)
    with whoosh_searcher(corpus) as s:
        assert not s.searcher.is_atomic()
        assert s.searcher.reader().has_deletions()
    assert_same_ranking(corpus)
