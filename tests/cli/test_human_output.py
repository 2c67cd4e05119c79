"""Output that reads like a person wrote it: titles as written, plurals, words not keys."""

from __future__ import annotations

import tomllib

from conftest import ROOT, SEED
from conftest import run_in_process as run

from indexer.ingest import import_files
from indexer.store import Store


def test_orphans_print_titles_as_written_and_count_in_words(capsys, home, tmp_path):
    import_files(home, [SEED])
    with Store(home.db) as store, store.transaction() as conn:  # a title with both quotes
        conn.execute("UPDATE bookmarks SET title = ? WHERE rowid = (SELECT MIN(rowid) FROM"
                     " bookmarks)", ("L'État \"plateforme\"",))
    code, _, _ = run(capsys, home, "align")
    code, out, err = run(capsys, home, "orphans")
    assert code == 0 and "L'État \"plateforme\"" in out and "\\'" not in out
    assert err == "78 orphans\n"
    code, out, err = run(capsys, home, "orphans", "--cause", "nothing-like-this")
    assert code == 0 and out == "" and err == "0 orphans\n"
    first = "(SELECT id FROM excerpts ORDER BY rowid LIMIT 1)"
    with Store(home.db) as store, store.transaction() as conn:
        conn.execute(f"DELETE FROM alignments WHERE excerpt_id <> {first}")
        conn.execute(f"DELETE FROM excerpts WHERE id <> {first}")
    run(capsys, home, "align")
    assert run(capsys, home, "orphans")[2] == "1 orphan\n"


def test_offline_says_how_many_are_missing_and_lists_them_when_asked(capsys, home, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("title,url,tags,description,comments,annotations,created_at\n"
                    '"A","https://a.example/x","t","","","Highlight: a",""\n'
                    '"B","https://b.example/y","t","","","Highlight: b",""\n', encoding="utf-8")
    import_files(home, [path])
    code, out, _ = run(capsys, home, "fetch", "--offline")
    assert code == 0 and "offline: 0 cached, 2 missing (--verbose lists them)" in out
    assert "a.example" not in out
    code, out, _ = run(capsys, home, "fetch", "--offline", "--verbose")
    assert "missing: https://a.example/x" in out and "missing: https://b.example/y" in out


def test_one_name_per_meaning_in_the_help(capsys):
    from indexer.cli import main

    helps = {}
    for command in ("fetch", "build", "extract", "align"):
        try:
            main([command, "--help"])
        except SystemExit:
            pass
        helps[command] = capsys.readouterr().out
    for command in ("build", "extract", "align"):  # processes
        assert "--workers N" in helps[command] and "Processes" in helps[command], command
    for command in ("fetch", "build"):  # requests in flight
        assert "--concurrency N" in helps[command], command
    assert "--workers" not in helps["fetch"] and "--processes" not in helps["build"]


def test_index_report_counts_in_words(capsys, home):
    import_files(home, [SEED])
    with Store(home.db) as store, store.transaction() as conn:
        conn.execute("DELETE FROM excerpts WHERE rowid > (SELECT MIN(rowid) FROM excerpts)")
        conn.execute("UPDATE bookmarks SET description = '' WHERE rowid > "
                     "(SELECT MIN(rowid) FROM bookmarks)")
    code, out, _ = run(capsys, home, "index")
    assert code == 0 and "index rebuilt: 1 description, 1 excerpt; 2 added" in out


def test_the_licence_is_declared_the_current_way():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"  # an SPDX string: pip no longer warns
