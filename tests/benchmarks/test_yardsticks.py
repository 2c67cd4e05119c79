"""The yardsticks of bench/yardsticks.py cannot drift silently.

On a small synthetic home (indexer/synth.py, seed 42): raw tantivy finds what our tantivy
engine finds (totals and facet counts), the fair FTS5 what the old FTS5 set-up found, and
Xapian counts every match (skipped, with the reason, when xapian cannot be imported). The
engines bench runs end to end on it and writes its tables. No timing is asserted.
"""

from __future__ import annotations

import pytest

from bench import bench_engines, bench_search, yardsticks
from bench.yardsticks import WORKLOADS
from indexer.config import Paths
from indexer.documents import count_documents
from indexer.index import build_index
from indexer.store import Store
from indexer.synth import populate

N = 800  # excerpts: every workload query finds some


@pytest.fixture(scope="module")
def synth_home(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("yardsticks") / "home")
    with Store(paths.db) as store:
        populate(store, N, seed=42)
    build_index(paths, rebuild=True, engine="tantivy")
    return paths


def documents(paths: Paths) -> int:
    with Store(paths.db, readonly=True) as store:
        return count_documents(store)


def measured(*contestants, rounds: int = 1) -> yardsticks.Measured:
    try:
        return yardsticks.measure(list(contestants), WORKLOADS, rounds)
    finally:
        for c in contestants:
            c.close()


def test_raw_tantivy_finds_what_our_engine_finds(synth_home):
    m = measured(yardsticks.OurEngine(synth_home, "tantivy", WORKLOADS),
                 yardsticks.RawTantivy(synth_home, WORKLOADS), rounds=2)
    assert yardsticks.differences(m, "raw_tantivy", "tantivy", WORKLOADS) == []
    for w, items in WORKLOADS.items():
        hits = m.stats["raw_tantivy"][w]["hits"]
        assert len(hits) == len(items) and all(hits), (w, hits)
        for (total, counts), q in zip(m.answers["raw_tantivy"][w], items):
            assert sum(counts["annotator"].values()) == total  # one annotator each
            assert not q.tag or counts["tag"][q.tag] == total
        assert m.stats["raw_tantivy"][w]["p95_ms"] >= m.stats["raw_tantivy"][w]["p50_ms"] > 0
    # and the comparison itself sees a difference, of a total or of a count
    total, counts = m.answers["raw_tantivy"]["phrases"][0]
    m.answers["raw_tantivy"]["phrases"][0] = (total + 1, counts)
    m.answers["raw_tantivy"]["filtered"][0][1]["site"]["Korii"] = -1
    found = yardsticks.differences(m, "raw_tantivy", "tantivy", WORKLOADS)
    assert len(found) == 2
    assert f"{total + 1:,} hits, tantivy {total:,}" in found[1]
    assert "facet counts differ from tantivy's (site)" in found[0]


def test_fair_fts5_finds_what_the_old_set_up_found(synth_home, tmp_path):
    old = bench_search.run_fts5(synth_home.db, tmp_path)
    built = yardsticks.build_fts5(synth_home.db, tmp_path / "fair.sqlite")
    assert built["docs"] == documents(synth_home) and built["last_excerpt"] == N
    m = measured(yardsticks.FairFts5(tmp_path / "fair.sqlite", built["last_excerpt"], WORKLOADS),
                 yardsticks.OurEngine(synth_home, "tantivy", WORKLOADS))
    assert m.stats["fts5"]["workload"]["hits"] == old["hits"]
    # FTS5 analyses otherwise (no stemming, no hyphen joining); where it finds as many
    # documents as ours (most queries, on this corpus), its facet counts must be ours
    compared = 0
    for w in WORKLOADS:
        for (total, counts), (ours, wanted) in zip(m.answers["fts5"][w], m.answers["tantivy"][w]):
            if total == ours:
                assert counts == wanted, (w, total)
                compared += 1
    assert compared >= sum(len(items) for items in WORKLOADS.values()) // 2


def test_xapian_counts_every_match(synth_home, tmp_path):
    xapian, why = yardsticks.load_xapian()
    if xapian is None:
        pytest.skip(f"the Xapian yardstick is not checked: {why}")
    built = yardsticks.build_xapian(xapian, synth_home, tmp_path / "xapian")
    assert built["docs"] == documents(synth_home) and built["tag_slots"] >= 1
    m = measured(yardsticks.Xapian(xapian, tmp_path / "xapian", built["tag_slots"], WORKLOADS),
                 yardsticks.OurEngine(synth_home, "tantivy", WORKLOADS))
    for w, items in WORKLOADS.items():
        for q, (total, counts) in zip(items, m.answers["xapian"][w]):
            assert 0 < total <= N, q  # the scope: excerpts only
            assert sum(counts["annotator"].values()) == total  # the spies saw every match
            assert not q.tag or counts["tag"][q.tag] == total
    # phrases are matched unstemmed: the same documents as ours, elided words included
    # (`l'intelligence artificielle`: Xapian keeps `l'intelligence` whole unless split)
    assert m.stats["xapian"]["phrases"]["hits"] == m.stats["tantivy"]["phrases"]["hits"]


def test_engines_bench_runs_with_its_yardsticks(tmp_path):
    r = bench_engines.run_size(300, tmp_path, options=False)
    for key in ("tantivy", "whoosh", "raw_tantivy", "fts5"):
        assert set(r[key]["workloads"]) == set(WORKLOADS), key
    assert r["raw_tantivy"]["mismatches"] == [] and r["same_totals"]
    assert r["tantivy"]["hits"] == r["whoosh"]["hits"] == r["fts5"]["hits"]
    assert set(r["ratios"]["ours_raw_p95"]) == set(r["ratios"]["whoosh_fts5_p95"]) == set(WORKLOADS)
    assert "xapian" in r and ("skipped" in r["xapian"] or r["xapian"]["docs"] == r["fts5"]["docs"])
    text = bench_engines.markdown([r | bench_engines.made_by(["300"])])
    assert "| 300 | " in text and "raw tantivy, our index" in text and "SQLite FTS5, fair" in text
    assert "Made by `python -m bench.bench_engines 300`" in text
    assert "| phrases | `\"data centers\"` |" in text
