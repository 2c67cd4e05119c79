"""Watches on the bundled export and on a pulled sample: `watch run` publishes exactly what
entered the library since its last run, then a run with nothing new changes nothing."""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import SEED, run_in_process
from httpserver import TestServer
from veille_helpers import KEY, PASSWORD, diigo_items
from veille_servers import FakeDiigo

from indexer import pulling
from indexer.config import Paths
from indexer.errors import IndexMissingError, QueryError
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.search import search_all
from indexer.watches import add_watch, list_watches, remove_watch, run_watches

QUERY = "plateforme OR plateformes"
NEW_BULLETS = (
    "  • Les plateformes de la ville intelligente comptent chaque trajet.\n"
    "  • Une phrase nouvelle sur la sobriété énergétique, sans le mot cherché.\n"
)
NEW_ITEM = (
    "Aurialie Jublin\n\n"
    "Les coopératives de livreurs en France - Numerama - 0 views\n\n"
    "  • Une plateforme coopérative appartient à celles et ceux qui y travaillent.\n"
    "  •  \n"
    "    \"Un tour des plateformes coopératives françaises.\"\n"
)


def newer_export(tmp_path) -> tuple:
    """The bundled export as a later page would give it: two more highlights on its first
    item, and one more item (a highlight and a description)."""
    lines = SEED.read_text(encoding="utf-8").splitlines(keepends=True)
    marker = next(i for i, line in enumerate(lines) if "more annotations..." in line)
    footer = next(i for i, line in enumerate(lines) if line.startswith("‹ Previous"))
    text = "".join(lines[:marker]) + NEW_BULLETS + "".join(lines[marker:footer]) + NEW_ITEM \
        + "".join(lines[footer:])
    path = tmp_path / "qn2019-association-newer.txt"
    path.write_text(text, encoding="utf-8")
    return path


def ids(home: Paths) -> set[str]:
    """Every document of the store that a team search can hit."""
    conn = sqlite3.connect(home.db)
    found = {r[0] for r in conn.execute("SELECT id FROM excerpts")}
    found |= {"d-" + r[0] for r in conn.execute("SELECT id FROM bookmarks WHERE description<>''")}
    found |= {"n-" + r[0] for r in conn.execute("SELECT id FROM notes")}
    conn.close()
    return found


def published(home: Paths, watch: str) -> set[str]:
    conn = sqlite3.connect(home.db)
    rows = {r[0] for r in conn.execute("SELECT doc_id FROM watch_items WHERE watch=?", (watch,))}
    conn.close()
    return rows


def snapshot(home: Paths, directory) -> tuple:
    """The watches' rows and the files of ``directory``, with their modification times."""
    conn = sqlite3.connect(home.db)
    rows = (conn.execute("SELECT * FROM watches ORDER BY name").fetchall(),
            conn.execute("SELECT * FROM watch_items ORDER BY 1, 2").fetchall())
    conn.close()
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}
    return rows, files


@pytest.fixture
def library(tmp_path) -> Paths:
    home = Paths(tmp_path / "home")
    import_files(home, [SEED])
    build_index(home)
    return home


def test_run_after_a_newer_export_lists_exactly_the_new_excerpts(library, tmp_path, capsys):
    code, out, _ = run_in_process(capsys, library, "watch", "add", "plateformes", QUERY)
    assert code == 0 and out.startswith("watch plateformes added: 'plateforme OR plateformes'")
    first = run_watches(library)
    everything = {h.row["id"] for h in search_all(library, QUERY).hits}
    assert {e.doc_id for e in first.news[0].entries} == everything  # a first run: every hit
    before = ids(library)

    import_files(library, [newer_export(tmp_path)])
    build_index(library)
    code, out, err = run_in_process(capsys, library, "watch", "run")

    added = ids(library) - before
    assert len(added) == 4  # three highlights and a description
    conn = sqlite3.connect(library.db)
    texts = dict(conn.execute("SELECT id, text FROM excerpts").fetchall())
    texts |= {"d-" + b: d for b, d in conn.execute("SELECT id, description FROM bookmarks")}
    conn.close()
    expected = {i for i in added if re.search(r"plateformes?\b", texts[i], re.IGNORECASE)}
    assert len(expected) == 3
    assert published(library, "plateformes") == everything | expected
    assert code == 0, err
    assert out.splitlines()[0] == ("plateformes: 3 new documents (2 excerpts, 1 description)"
                                   " -> corpus/watches/plateformes.atom")
    assert out.splitlines()[1] == "digest: corpus/watches/revue.md, corpus/watches/revue.html"
    digest = (library.corpus / "watches" / "revue.md").read_text(encoding="utf-8")
    assert "3 nouveautés dans 1 veille" in digest
    assert "Les plateformes de la ville intelligente comptent chaque trajet." in digest
    assert "sobriété énergétique, sans le mot" not in digest
    assert "Le rapport insiste ensuite" not in digest  # an old excerpt is not news

    state = snapshot(library, library.corpus / "watches")
    code, out, _ = run_in_process(capsys, library, "watch", "run")
    assert code == 0 and out.splitlines()[0] == "plateformes: nothing new"
    assert out.splitlines()[-1].startswith("nothing new since the last run (index built ")
    assert snapshot(library, library.corpus / "watches") == state


def test_new_means_imported_since_the_last_run_not_saved_since(tmp_path):
    """A pulled sample in two rounds: the second brings bookmarks *saved* years before the
    first round's, imported after it: they are what the watch publishes."""
    items = diigo_items()
    recent = [b for b in items if b["created_at"] >= "2015"]
    home = Paths(tmp_path / "home")
    with TestServer() as srv:
        api = FakeDiigo(srv, recent, "jasalt", KEY, PASSWORD)
        options = pulling.PullOptions(api.base_url, 100, backoff=0.05)

        def pull(full: bool) -> None:
            pulling.pull_diigo(home, "jasalt", pulling.Secret(KEY), pulling.Secret(PASSWORD),
                               full=full, options=options)

        pull(False)
        build_index(home)
        add_watch(home, "python", "python")
        first = run_watches(home, output=tmp_path / "out")
        before = ids(home)
        api.items = items  # the older bookmarks come with the next full sync
        pull(True)
    build_index(home)
    second = run_watches(home, output=tmp_path / "out")

    hits = {h.row["id"]: h for h in search_all(home, "python").hits}
    expected = {i for i in hits if i not in before}
    assert expected and {e.doc_id for e in second.news[0].entries} == expected
    old_saved = max(hits[i].row["saved"] for i in expected)
    first_saved = min(e.saved for e in first.news[0].entries)
    assert old_saved < first_saved  # `--since` on the saved date would never have shown them
    assert published(home, "python") == {e.doc_id for e in first.news[0].entries} | expected


def test_from_now_filters_unknown_values_and_removal(library, capsys):
    add_watch(library, "neuf", QUERY, from_now=True)
    with pytest.raises(QueryError, match="no tag 'asociation' in the index; did you mean"):
        add_watch(library, "typo", "", filters={"tag": ["asociation"]})
    with pytest.raises(QueryError, match="bad watch name '../x'"):
        add_watch(library, "../x", QUERY)
    add_watch(library, "asso", "", filters={"tag": ["Association"]}, scope="descriptions")
    with pytest.raises(QueryError, match="a watch named 'asso' exists"):
        add_watch(library, "asso", QUERY)

    run = run_watches(library)

    assert [n.name for n in run.news] == ["asso"] and run.quiet == ["neuf"]
    assert len(run.news[0].entries) == 13  # the 13 descriptions; the tag as typed
    assert [w.name for w in list_watches(library)] == ["asso", "neuf"]
    code, out, _ = run_in_process(capsys, library, "watch", "list")
    assert out.splitlines() == [
        (f"asso: '' --tag 'Association' --in descriptions; 13 documents published, last "
         f"published {run.when}"),
        "neuf: 'plateforme OR plateformes'; 0 documents published, never run"]
    assert remove_watch(library, "asso").published == 13
    assert published(library, "asso") == set()
    code, out, err = run_in_process(capsys, library, "watch", "run", "asso")
    assert code == 1 and err == "error: no watch named 'asso'; watches: neuf\n"


def test_a_watch_run_needs_an_index_and_a_watch(tmp_path, capsys):
    home = Paths(tmp_path / "home")
    import_files(home, [SEED])
    with pytest.raises(QueryError, match=r"no watch yet: add one with `indexer watch add"):
        run_watches(home)
    add_watch(home, "plateformes", QUERY)  # no index yet: checked at the first run
    code, _out, err = run_in_process(capsys, home, "watch", "run")
    assert code == 1 and err.startswith("error: no search index under ") and "\n" == err[-1]
    assert len(err.splitlines()) == 1
    with pytest.raises(IndexMissingError):
        run_watches(home)
    assert not (home.corpus / "watches").exists()
    code, _out, err = run_in_process(capsys, Paths(tmp_path / "nowhere"), "watch", "list")
    assert code == 1 and "no index home at" in err
