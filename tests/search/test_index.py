"""Building the index: incremental updates, atomic rebuilds, the lock, killed builds, entities."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT
from conftest import run_in_process as run_cli

from indexer.config import Paths
from indexer.entities import compute_entities
from indexer.errors import BusyError
from indexer.index import build_index, build_lock, current_dir
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.search import open_searcher
from indexer.search import search as _search
from indexer.store import Store
from indexer.synth import populate

SEED = ROOT / "corpus" / "exports" / "qn2019-association.txt"



def search(*args, **kw):
    """The search API in excerpts (these tests count excerpts against the store)."""
    kw.setdefault("scope", "excerpts")
    return _search(*args, **kw)


@pytest.fixture
def seeded(home) -> Paths:
    import_files(home, [SEED])
    detect_languages(home)  # as `indexer build` does after extracting
    return home


def test_build_indexes_every_excerpt_and_description(seeded):
    s = build_index(seeded)
    assert s.rebuilt and s.by_kind == {"excerpt": 78, "description": 13}
    assert (seeded.index / "current").is_symlink()
    assert current_dir(seeded).parent == seeded.index / "builds"
    assert search(seeded, "").total == 78


def test_update_rewrites_only_what_changed(seeded):
    build_index(seeded)
    again = build_index(seeded)
    assert not again.rebuilt and again.unchanged == 91 and again.added == again.updated == 0
    with Store(seeded.db) as store, store.transaction() as conn:
        eid = conn.execute("SELECT id FROM excerpts ORDER BY id LIMIT 1").fetchone()[0]
        gone = conn.execute("SELECT id FROM excerpts ORDER BY id DESC LIMIT 1").fetchone()[0]
        conn.execute("UPDATE excerpts SET text = text || ' zorglub' WHERE id=?", (eid,))
        conn.execute("DELETE FROM excerpts WHERE id=?", (gone,))
    s = build_index(seeded)
    assert (s.updated, s.deleted, s.added) == (1, 1, 0)
    assert [h.row["id"] for h in search(seeded, "zorglub").hits] == [eid]
    assert search(seeded, "").total == 77


def test_search_during_rebuild_answers_from_the_old_index(seeded):
    build_index(seeded)
    old_dir = current_dir(seeded)
    with open_searcher(seeded) as before:
        with Store(seeded.db) as store, store.transaction() as conn:
            conn.execute("DELETE FROM excerpts WHERE id IN (SELECT id FROM excerpts LIMIT 8)")
        build_index(seeded, rebuild=True)
        assert current_dir(seeded) != old_dir and not old_dir.exists()
        # the searcher opened before the swap still answers, from the old build
        assert search(before, "").total == 78
        assert search(before, "data center", facets=["tag"]).total > 0
    assert search(seeded, "").total == 70
    assert len(list((seeded.index / "builds").iterdir())) == 1


def test_a_second_build_refuses_while_one_runs(seeded):
    with build_lock(seeded):
        with pytest.raises(BusyError, match="another `indexer index` is running"):
            build_index(seeded)
    build_index(seeded)  # the lock is free again


KILLABLE = textwrap.dedent("""
    import sys, time
    from indexer.config import Paths
    from indexer.index import build_index
    from indexer.progress import Progress

    class Stall(Progress):
        def advance(self, n=1, **counts):
            print("building", flush=True)
            time.sleep(120)

    build_index(Paths.resolve(sys.argv[1]), rebuild=True, progress=Stall())
""")


def test_a_killed_build_leaves_a_working_index(seeded):
    with Store(seeded.db) as store:
        populate(store, 600, seed=5)
    build_index(seeded)
    before = search(seeded, "numérique").total
    kept = current_dir(seeded)
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(seeded.home)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "building"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert current_dir(seeded) == kept
    assert search(seeded, "numérique").total == before
    assert len(list((seeded.index / "builds").iterdir())) == 2  # the leftover is still there
    build_index(seeded, rebuild=True)
    assert len(list((seeded.index / "builds").iterdir())) == 1  # ... until the next build
    assert search(seeded, "numérique").total == before


def test_entities_are_found_once_and_offered_as_a_facet(seeded):
    """Entities are a stage of their own writing the store; the index reads them."""
    build_index(seeded)
    assert search(seeded, "", facets=["entity"]).facets["entity"] == []  # none found yet
    first = compute_entities(seeded)
    assert first.analysed == first.texts == 91
    with Store(seeded.db) as store:
        found = dict(store.conn.execute("SELECT text, label FROM entities"))
        runs = store.conn.execute("SELECT COUNT(*) FROM entity_runs").fetchone()[0]
    assert runs == 91 and found
    assert compute_entities(seeded).analysed == 0  # unchanged texts: not again
    assert build_index(seeded).updated  # the documents that gained entities
    r = search(seeded, "", facets=["entity"])
    name, count = r.facets["entity"][0]
    narrowed = search(seeded, "", filters={"entity": [name]}, limit=1000)
    assert narrowed.total == count and count < r.total


def _stored_entities(paths: Paths) -> list[tuple]:
    with Store(paths.db) as store:
        return store.conn.execute(
            "SELECT doc_id, label, text FROM entities ORDER BY 1, 2, 3").fetchall()


def test_entities_found_by_two_worker_processes_are_those_found_here(capsys, seeded):
    code, _, err = run_cli(capsys, seeded, "entities", "--workers", "0")
    assert code == 2 and "--workers must be at least 1" in err
    code, out, _ = run_cli(capsys, seeded, "entities", "--workers", "2")
    by_two = _stored_entities(seeded)
    assert code == 0 and f"entities: 91 of 91 French texts analysed, {len(by_two)} ent" in out
    with Store(seeded.db) as store, store.transaction() as conn:
        conn.execute("DELETE FROM entities")
        conn.execute("DELETE FROM entity_runs")
    one = compute_entities(seeded)
    assert (one.analysed, one.entities) == (91, len(by_two))
    assert by_two and _stored_entities(seeded) == by_two


GERMAN_AND_TOO_SHORT = [
    {"format": "indexer/1"},
    {"url": "https://beispiel.de/datenschutz", "title": "Datenschutz in der Verwaltung",
     "description": "Die Bundesregierung in Berlin will die Regeln für den Datenschutz in den "
                    "Behörden ändern. Angela Merkel und die Deutsche Telekom sprachen darüber "
                    "mit Vertretern der Länder.",
     "excerpts": ["Der Bundestag hat am Donnerstag in Berlin ein neues Gesetz beschlossen, "
                  "das die Speicherung von Daten durch Google und Facebook begrenzen soll."]},
    {"url": "https://example.org/kurz", "title": "Kurz", "excerpts": ["Paris, Berlin."]},
]


def test_only_french_texts_are_given_to_the_french_model(seeded, capsys, tmp_path):
    """A German bookmark and one too short to tell (``und``) are not run through the French
    model (no "French" entities found in German); a French text whose article turns out
    English loses the entities it had, in the store and in the index's facet."""
    lines = tmp_path / "de.jsonl"
    lines.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in GERMAN_AND_TOO_SHORT))
    import_files(seeded, [lines])
    code, out, _ = run_cli(capsys, seeded, "entities")  # their language not looked for yet
    assert code == 0 and "entities: 91 of 91 French texts analysed" in out
    assert "3 texts of no known language yet, not analysed: `indexer extract`" in out
    with Store(seeded.db) as store, store.transaction() as conn:
        conn.execute("DELETE FROM entities")
        conn.execute("DELETE FROM entity_runs")
    detect_languages(seeded)
    with Store(seeded.db) as store:
        langs = dict(store.conn.execute("SELECT url, language FROM bookmarks WHERE url <> ''"))
    assert langs == {"https://beispiel.de/datenschutz": "de", "https://example.org/kurz": "und"}
    code, out, _ = run_cli(capsys, seeded, "entities")
    assert code == 0 and "entities: 91 of 91 French texts analysed" in out
    assert "(3 other texts not analysed: another language or too few words" in out
    with Store(seeded.db) as store:
        analysed = {row[0] for row in store.conn.execute("SELECT doc_id FROM entity_runs")}
        other = {row[0] for row in store.conn.execute(
            "SELECT e.id FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id"
            " WHERE b.url <> '' UNION SELECT id FROM bookmarks WHERE url <> ''")}
    assert len(analysed) == 91 and not analysed & other
    # a French bookmark's article read, in English: its texts' entities go
    build_index(seeded)
    before = _entity_facet(seeded)
    assert before == _stored_entity_counts(seeded)
    with Store(seeded.db) as store, store.transaction() as conn:
        bid = conn.execute(
            "SELECT b.id FROM bookmarks b JOIN excerpts e ON e.bookmark_id = b.id"
            " JOIN entities en ON en.doc_id = e.id WHERE b.description <> ''"
            " GROUP BY b.id ORDER BY COUNT(*) DESC LIMIT 1").fetchone()[0]
        ids = [row[0] for row in conn.execute(
            "SELECT id FROM excerpts WHERE bookmark_id=? UNION SELECT ?", (bid, bid))]
        conn.execute("INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text,"
                     " language, extracted_at) VALUES (?, 'x', 'test', 'ok', 'Text.', 'en', '')",
                     (bid,))
    code, out, _ = run_cli(capsys, seeded, "entities")
    assert code == 0 and f"entities dropped for {len(ids)} texts no longer French" in out
    with Store(seeded.db) as store:
        marks = ",".join("?" * len(ids))
        left = store.conn.execute(
            f"SELECT COUNT(*) FROM entities WHERE doc_id IN ({marks})", ids).fetchone()[0]
        runs = store.conn.execute("SELECT COUNT(*) FROM entity_runs").fetchone()[0]
    assert left == 0 and runs == 91 - len(ids)
    assert "dropped" not in run_cli(capsys, seeded, "entities")[1]  # once
    build_index(seeded)
    after = _entity_facet(seeded)
    assert after == _stored_entity_counts(seeded) and sum(after.values()) < sum(before.values())


def _entity_facet(paths: Paths) -> dict[str, int]:
    return dict(_search(paths, "", facets=["entity"], scope="all").facets["entity"])


def _stored_entity_counts(paths: Paths) -> dict[str, int]:
    with Store(paths.db) as store:
        return dict(store.conn.execute(
            "SELECT text, COUNT(DISTINCT doc_id) FROM entities GROUP BY text"))


def test_the_french_texts_are_read_page_by_page_in_full(seeded):
    """Pages of 7 rows give every French text once, as one page does; a bookmark whose
    article is English gives neither its excerpts nor its description."""
    from indexer.entities import french_texts

    with Store(seeded.db) as store, store.transaction() as conn:
        bid, excerpts = conn.execute(
            "SELECT b.id, COUNT(*) FROM bookmarks b JOIN excerpts e ON e.bookmark_id = b.id"
            " WHERE b.description <> '' GROUP BY b.id ORDER BY 2 DESC LIMIT 1").fetchone()
        conn.execute("INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text,"
                     " language, extracted_at) VALUES (?, 'x', 'test', 'ok', 'Text.', 'en', '')",
                     (bid,))
    with Store(seeded.db) as store:
        whole = list(french_texts(store))
        paged = list(french_texts(store, page=7))
    assert excerpts > 1 and len(whole) == 91 - excerpts - 1
    assert paged == whole and len({doc_id for doc_id, *_ in whole}) == len(whole)
    assert bid not in {doc_id for doc_id, *_ in whole}


def test_the_entity_recogniser_alone_finds_what_it_found_beside_the_shared_layer(seeded):
    """load_model() leaves out the shared token-to-vector layer, which the recogniser does not
    read (it has its own): no entity of the real texts may change. (The parser stays out as
    before: its sentences would bound the entities.)"""
    import spacy

    from indexer.entities import MODEL, find_entities, load_model, pending

    with Store(seeded.db) as store:
        texts = [text for _, text, _ in pending(store, "none yet")]
    alone = load_model()
    beside = spacy.load(MODEL, disable=["parser", "lemmatizer", "morphologizer",
                                        "attribute_ruler"])
    assert alone.pipe_names == ["ner"] and beside.pipe_names == ["tok2vec", "ner"]
    found = find_entities(alone, texts)
    assert len(texts) == 91 and sum(map(len, found)) > 50
    assert found == find_entities(beside, texts)


def test_search_does_not_import_spacy(seeded):
    build_index(seeded)
    code = ("import sys; from indexer.config import Paths; from indexer.search import search; "
            "from indexer.cli import searching; "
            f"search(Paths.resolve({str(seeded.home)!r}), 'etat', facets=['entity']); "
            "print('spacy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_change_of_the_analysis_rules_rewrites_every_document(seeded, monkeypatch):
    from indexer import analysis

    build_index(seeded)
    assert build_index(seeded).unchanged == 91
    monkeypatch.setattr(analysis, "ANALYSIS_VERSION", analysis.ANALYSIS_VERSION + 1)
    again = build_index(seeded)
    assert not again.rebuilt and again.updated == 91 and again.unchanged == 0


def test_whoosh_past_its_range_advises_tantivy_once(tmp_path, capsys):
    """Past WHOOSH_COMFORT documents `indexer index` says once that tantivy exists; the
    threshold is lowered here (a 100k-document Whoosh build takes minutes)."""
    from conftest import run_in_process

    from indexer.index import WHOOSH_COMFORT, advise_engine

    home = Paths(tmp_path)
    import_files(home, [SEED])
    summary = build_index(home)
    assert summary.total < WHOOSH_COMFORT and advise_engine(home, summary) is None
    said = advise_engine(home, summary, threshold=summary.total)
    assert said and "--engine tantivy" in said and f"{summary.total:,}" in said
    assert advise_engine(home, summary, threshold=summary.total) is None  # once
    tantivy = build_index(home, engine="tantivy")
    assert advise_engine(Paths(tmp_path / "other"), tantivy, threshold=1) is None
    code, out, err = run_in_process(capsys, home, "index")
    assert code == 0 and "note:" not in err  # a small home hears nothing
