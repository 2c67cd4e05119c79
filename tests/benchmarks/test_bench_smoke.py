"""The pipeline benchmark runs end to end at a tiny size, so that it cannot rot.

No timing is asserted: only that every stage ran and reported its figures.
"""

from __future__ import annotations

import json
import os
import time

from bench import corpus, pipeline, search_versions


def test_corpus_is_seeded_and_altered():
    first = [a.record() for a in corpus.articles(300, seed=3)]
    again = [a.record() for a in corpus.articles(300, seed=3)]
    assert first == again
    arts = list(corpus.articles(300, seed=3))
    assert sum(len(a.excerpts) for a in arts) == 300
    categories = {e.category for a in arts for e in a.excerpts}
    assert {"unaltered", "typographic", "whitespace", "edited"} <= categories
    for a in arts:
        for e in a.excerpts:
            if e.category == "unaltered":
                assert a.text[e.start : e.end] == e.text
    assert b"<article>" in arts[0].html()


def test_pipeline_runs_every_stage(tmp_path):
    results = tmp_path / "results"
    # Two workers: extract's and align's process pools run too.
    pipeline.main(["--sizes", "200", "--results", str(results), "--no-doc", "--rounds", "1",
                   "--workers", "2", "--keep", str(tmp_path / "work")])
    data = json.loads((results / "pipeline-200.json").read_text())
    assert data["excerpts"] == 200
    assert set(data["stages"]) == set(pipeline.STAGES)
    for name, figures in data["stages"].items():
        assert figures["seconds"] >= 0 and figures["peak_rss_mb"] > 0, name
    stages = data["stages"]
    assert stages["import"]["excerpts"] == 200
    assert stages["extract"]["pages"] == stages["pages"]["pages"]
    assert stages["align"]["aligned"] == 200
    assert sum(stages["align"]["methods"].values()) == 200
    assert stages["entities"]["analysed"] == stages["entities"]["texts"] >= 200
    assert stages["y_entities"]["texts"] == 200 and stages["y_entities"]["ours"]["entities"]
    assert stages["index"]["docs"] == stages["y_index"]["docs"]
    for kind in ("plain", "facets", "phrase", "articles", "entities"):
        assert set(stages["search"][kind]) == {"whoosh", "fts5"}
    assert max(stages["search"]["entities"]["whoosh"]["entity_values"]) > 0  # found, counted
    assert stages["search"]["entities"]["fts5"]["n"] == 0
    assert stages["export"]["rows"] == 200
    table = pipeline.markdown([data])
    assert "| 200 |" in table and "| 200 | entities (" in table
    # The committed search code (HEAD: present even in a shallow clone) beside the work tree's,
    # on the same index: both give the same totals (asserted inside), each kind is timed.
    versions = search_versions.run(tmp_path / "work" / "200", ["HEAD"], rounds=1)
    assert versions["versions"] == ["HEAD", "now"]
    for kind in ("plain", "facets", "phrase", "articles"):
        assert set(versions["kinds"][kind]) == {"HEAD", "now", "fts5"}


def test_pipeline_on_tantivy_reports_cpu_memory_and_the_target(tmp_path):
    """The scale run's shape (issue 20): tantivy built by two workers, each stage's CPU and
    memory (peak, and at a quarter, half and all of its items), the target's sum."""
    results = tmp_path / "results"
    pipeline.main(["--sizes", "200", "--results", str(results), "--no-doc", "--rounds", "1",
                   "--workers", "2", "--engine", "tantivy", "--keep", str(tmp_path / "work"),
                   "--skip", "entities", "y_entities", "y_extract", "y_align", "export"])
    data = json.loads((results / "pipeline-200-tantivy.json").read_text())
    stages = data["stages"]
    assert stages["index"]["engine"] == "tantivy"
    assert stages["index"]["docs"] > 200
    for name in ("extract", "align", "index"):
        assert stages[name]["cpu_s"] > 0 and stages[name]["tree_peak_pss_mb"] > 0, name
        assert len(stages[name]["pss_at"]) >= 3, name
        # the anonymous part of the same samples: some, and never more than the whole
        assert 0 < stages[name]["tree_peak_anon_mb"] <= stages[name]["tree_peak_pss_mb"], name
        assert stages[name]["anon_at"].keys() == stages[name]["pss_at"].keys(), name
        assert all(stages[name]["anon_at"][k] <= v for k, v in stages[name]["pss_at"].items())
    assert stages["search"]["facets"]["whoosh"]["n"] == len(pipeline.QUERIES)
    table = pipeline.markdown([data])
    assert "extract + align + index:" in table and "| index (" in table
    assert f"{stages['index']['tree_peak_pss_mb']} MB (anon " in table
    phrase = stages["search"]["phrase"]["whoosh"]
    assert phrase["later_rounds"]["n"] == 0 and phrase["slowest"]["round"] == 1  # one round
    assert "What the p95 is made of: plain " in table
    # a stage again on the kept store, merged into the same results file
    pipeline.main(["--sizes", "200", "--results", str(results), "--no-doc", "--rounds", "1",
                   "--workers", "2", "--engine", "tantivy", "--keep", str(tmp_path / "work"),
                   "--merge", "--skip", *[s for s in pipeline.STAGES if s != "index"]])
    again = json.loads((results / "pipeline-200-tantivy.json").read_text())
    assert set(again["stages"]) == set(stages)
    assert again["reruns"][0]["stages"] == ["index"]


def test_align_workers_agree_with_one_process(tmp_path):
    """The pool path of align_all writes what the one-process path writes."""
    import shutil

    from indexer.align import AlignOptions, align_all
    from indexer.config import Paths
    from indexer.store import Store

    work = tmp_path / "work"
    work.mkdir()
    for stage in ("generate", "import", "pages", "extract"):
        pipeline._child(stage, work, 120, 1, 1)
    db = Paths(work / "home").db
    copy = tmp_path / "copy.sqlite"
    query = ("SELECT excerpt_id, method, start, \"end\", score, fragment_url FROM alignments"
             " ORDER BY excerpt_id")
    results = []
    for workers in (1, 2):
        shutil.copy(db, copy)
        with Store(copy) as store:
            summary = align_all(store, AlignOptions(), workers=workers)
            assert summary.aligned == 120
            results.append(store.conn.execute(query).fetchall())
        copy.unlink()
    assert [tuple(r) for r in results[0]] == [tuple(r) for r in results[1]]


def test_the_memory_probe_reads_a_live_process_and_finds_a_stage_by_its_command(tmp_path):
    """bench.memory_probe: this process's anonymous and file-backed PSS; a stage process
    found by its ``--stage`` argument, and none for a stage nobody runs."""
    import subprocess
    import sys

    from bench import memory_probe

    anon, mapped = memory_probe.rollup(os.getpid())
    assert anon > 10 and mapped > 0
    assert memory_probe.rollup(2**22 + 1) is None  # beyond any pid
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                                "--stage", "probe-test"])
    try:
        deadline = 50
        while memory_probe.stage_pid("probe-test") is None and deadline:
            deadline -= 1
            time.sleep(0.1)
        assert memory_probe.stage_pid("probe-test") == sleeper.pid
    finally:
        sleeper.kill()
        sleeper.wait()
    assert memory_probe.stage_pid("no-such-stage") is None
