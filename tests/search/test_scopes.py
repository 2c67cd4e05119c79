"""What a search looks in: by default what the team wrote and highlighted (excerpts,
descriptions and notes, the annotators' own words); the articles on request; and when the
scope has no hit, one line saying where the hits are. On both engines."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import FIXTURES, SEED, add_article
from conftest import run_in_process as run

from indexer import explore
from indexer.config import Paths
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.search import search
from indexer.store import Store

ENGINES = ["whoosh", "tantivy"]


@pytest.fixture(scope="module")
def noted(tmp_path_factory) -> Paths:
    """Our Diigo CSV (two sticky notes) and Hypothesis JSON (annotation texts), the bundled
    export with one article; both engines."""
    paths = Paths(tmp_path_factory.mktemp("noted"))
    import_files(paths, [FIXTURES / "diigo_small.csv", FIXTURES / "hypothesis_small.json", SEED])
    with Store(paths.db) as store:
        add_article(store)
    detect_languages(paths)  # as `indexer build` does after extracting
    for engine in ENGINES:
        build_index(paths, engine=engine)
    return paths


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def sql(paths, query: str) -> int:
    with sqlite3.connect(paths.db) as conn:
        return conn.execute(query).fetchone()[0]


def test_notes_are_searched_as_their_own_kind(noted, engine):
    notes = search(noted, "", scope="notes", limit=100, engine=engine, facets=["tag"])
    sticky = sql(noted, "SELECT COUNT(*) FROM notes")
    comments = sql(noted, "SELECT COUNT(*) FROM excerpts WHERE TRIM(COALESCE(comment,'')) <> ''")
    assert sticky >= 2 and comments >= 1 and notes.total == sticky + comments
    assert {h.kind for h in notes.hits} == {"note"}
    assert {h.row["id"][:2] for h in notes.hits} == {"n-", "c-"}
    relire = search(noted, "relire", scope="notes", engine=engine)
    assert relire.total == 1 and "[relire]" in relire.hits[0].snippet.marked().lower()
    assert relire.hits[0].tags  # a note has its bookmark's facets
    assert search(noted, "définition", scope="notes", engine=engine).total == 1  # Hypothesis


def test_the_default_is_what_the_team_wrote(noted, engine):
    team = search(noted, "", limit=1, facets=["kind"], engine=engine)
    kinds = dict(team.facets["kind"])
    assert set(kinds) == {"excerpt", "description", "note"}
    assert kinds["excerpt"] == sql(noted, "SELECT COUNT(*) FROM excerpts")
    assert team.total == sum(kinds.values())
    everything = search(noted, "", scope="all", limit=1, facets=["kind"], engine=engine)
    assert dict(everything.facets["kind"])["article"] == 1


def test_zero_hits_say_where_the_hits_are(noted, engine, capsys):
    r = search(noted, "témoin", engine=engine)  # only in the article
    assert r.total == 0 and r.hint == "0 excerpts, descriptions or notes; 1 in articles: --in all"
    r = search(noted, "relire", scope="excerpts", engine=engine)
    assert r.total == 0 and r.hint == "0 excerpts; 1 in notes: --in all"
    code, out, _ = run(capsys, noted, "search", "témoin", "--engine", engine)
    assert code == 0 and "hint: 0 excerpts, descriptions or notes; 1 in articles" in out
    code, out, _ = run(capsys, noted, "search", "témoin", "--format", "json", "--engine", engine)
    assert json.loads(out)["hint"].endswith("1 in articles: --in all")
    frame = explore.search(noted, "témoin", engine=engine)
    assert frame.empty and frame.attrs["hint"].endswith("1 in articles: --in all")
