"""`indexer index`, `search`, `facets` and `show` through the real entry point."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import SEED
from conftest import run_in_process as run

from indexer.config import Paths
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.languages import detect_languages


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("cli"))
    import_files(paths, [SEED])
    detect_languages(paths)  # as `indexer build` does after extracting
    build_index(paths)
    return paths


def test_index_command_reports_what_it_did(capsys, home):
    import_files(home, [SEED])
    code, out, _ = run(capsys, home, "index")
    assert code == 0 and "index rebuilt: 13 descriptions, 78 excerpts" in out
    code, out, _ = run(capsys, home, "index")
    assert code == 0 and "91 unchanged" in out


def test_table_highlights_words_with_brackets_and_lists_facets(capsys, seeded):
    code, out, _ = run(capsys, seeded, "search", "ubérisation")
    assert code == 0
    assert "[ubérisation]" in out.lower() or "[uberisation]" in out.lower()
    assert "Aurialie Jublin" in out and "tag: association" in out and "score" in out


def test_jsonl_carries_export_columns_score_query_and_build_time(capsys, seeded):
    code, out, _ = run(capsys, seeded, "search", "etat", "--format", "jsonl", "--limit", "3")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 3
    for key in ("id", "title", "tags", "annotator", "text", "relevance", "query", "index_built"):
        assert key in rows[0]
    assert rows[0]["query"] == "etat" and rows[0]["relevance"] > 0


def test_json_has_total_and_facets(capsys, seeded):
    code, out, _ = run(capsys, seeded, "search", "data center", "--format", "json")
    payload = json.loads(out)
    _, everything, _ = run(capsys, seeded, "search", "data center", "--format", "json",
                           "--limit", "100")
    assert code == 0 and payload["total"] == len(json.loads(everything)["hits"])
    assert payload["facets"]["tag"][0][0] == "association"


def test_excel_csv_to_a_file(capsys, seeded, tmp_path):
    target = tmp_path / "hits.csv"
    code, _, _ = run(capsys, seeded, "search", "etat", "--format", "csv", "--excel",
                     "-o", str(target))
    data = target.read_bytes()
    assert code == 0 and data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows and rows[0]["query"] == "etat"


def test_facets_command(capsys, seeded):
    code, out, _ = run(capsys, seeded, "facets", "--field", "tag", "--field", "annotator")
    assert code == 0 and out.startswith("91 excerpts, descriptions and notes\n")
    assert "association  91" in out and "Aurialie Jublin  91" in out
    code, out, _ = run(capsys, seeded, "facets", "--in", "excerpts", "--field", "tag")
    assert code == 0 and out.startswith("78 excerpts\n") and "association  78" in out
    code, out, _ = run(capsys, seeded, "facets", "etat", "--format", "json")
    assert code == 0 and json.loads(out)["total"] > 0


def test_show_prints_the_excerpt_and_its_metadata(capsys, seeded):
    _, out, _ = run(capsys, seeded, "search", "ubérisation", "--format", "jsonl", "--limit", "1")
    hit = json.loads(out)
    code, out, _ = run(capsys, seeded, "show", hit["id"][:8])
    assert code == 0 and hit["title"] in out and "annotator: Aurialie Jublin" in out
    assert "[" in out  # the excerpt itself is marked when not a terminal


@pytest.mark.parametrize("args, message", [
    (["search", '"data centers'], "unbalanced quote"),
    (["search", "colour:red"], "unknown field 'colour'"),
    (["search", "etat", "--tag", "asociation"], "did you mean --tag 'association'"),
    (["search", "etat", "--author", "Aurialie Jublin"], "use --annotator"),
    (["facets", "--field", "colour"], "unknown facet 'colour'"),
    (["search", "etat", "--in", "everything"], "unknown scope"),
    (["search", "etat", "--since", "hier"], "bad date"),
    (["show", "ffffffffffff"], "unknown excerpt id"),
])
def test_errors_are_one_line_and_a_non_zero_exit(capsys, seeded, args, message):
    code, out, err = run(capsys, seeded, *args)
    assert code != 0 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_index_says_to_run_index(capsys, home):
    import_files(home, [SEED])  # a store, but no index yet
    code, _, err = run(capsys, home, "search", "etat")
    assert code != 0 and "run `indexer index` first" in err
    assert len(err.strip().splitlines()) == 1


def test_no_hit_prints_a_hint(capsys, seeded):
    code, out, _ = run(capsys, seeded, "search", "numeriqe")
    assert code == 0 and "0 hits" in out and "hint:" in out


# -- messages that say what to do (issue 16) ---------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--since", "2024-13"], "bad date '2024-13': month 13 (months are 01 to 12)"),
    (["--until", "2024-02-30"], "bad date '2024-02-30': 2024-02 has days 01 to 29"),
    (["--since", "2024", "--until", "2019"],
     "--until 2019 is before --since 2024: nothing can match"),
    (["--page", "99"], "page 99 is past the last page: 12 hits make 2 pages of 10"
                       " (--page 1 to 2)"),
])
def test_bad_values_are_one_line_errors(capsys, seeded, args, message):
    code, out, err = run(capsys, seeded, "search", "état", *args)
    assert code != 0 and out == "" and err == f"error: {message}\n"


def test_queries_are_quoted_as_written(capsys, seeded):
    code, _, err = run(capsys, seeded, "search", "l'État \"renseignement")
    assert code != 0 and err == "error: malformed query 'l'État \"renseignement': unbalanced quote\n"


def test_global_options_after_the_command(capsys, seeded, tmp_path, monkeypatch):
    from indexer.cli import main

    monkeypatch.chdir(tmp_path)  # not the home: only --home can find it
    with pytest.raises(SystemExit) as exit_:
        main(["search", "état", "--limit", "1", "--home", str(seeded.home), "--quiet"])
    assert exit_.value.code == 0 and "12 hits for 'état'" in capsys.readouterr().out


def test_a_mistyped_command_or_option_is_one_line(capsys, seeded):
    code, _, err = run(capsys, seeded, "serch", "état")
    assert code == 2 and err == ("error: no command 'serch'; did you mean `indexer search`? "
                                 "(`indexer --help` lists them)\n")
    code, _, err = run(capsys, seeded, "search", "état", "--limt", "3")
    assert code == 2 and err.count("\n") == 1 and "--limit" in err and "search --help" in err


def test_help_in_plain_words(capsys, seeded):
    from indexer.cli import main

    for argv in (["--help"], ["search", "--help"], ["build", "--help"], ["fetch", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and "Usage: indexer" in out
        assert not any(mark in out for mark in ("<bool>", "<int>", "<str>", "list[", "╭", "{"))
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = capsys.readouterr().out
    assert "--since DATE" in out and "--tag TAG" in out and "--home DIR" in out


def test_version(capsys):
    from importlib.metadata import version

    from indexer.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"indexer {version('indexer')}\n"


def test_a_search_while_the_first_index_is_built(capsys, home):
    """No index yet and a build running: say so, rather than 'run indexer index first'."""
    from indexer.index import build_lock

    import_files(home, [SEED])
    with build_lock(home):
        code, _, err = run(capsys, home, "search", "état")
    assert code != 0 and err.startswith(f"error: an index is being built in {home.index}")
    build_index(home)
    with build_lock(home):  # a rebuild running: the previous index answers meanwhile
        code, out, _ = run(capsys, home, "search", "état")
    assert code == 0 and "hits for 'état'" in out
