"""Bad input: one clear line on stderr (file, line where known), non-zero exit, store unchanged.

The CLI cases run ``python -m indexer --home TMP import FILE`` in a subprocess after a first
good import, and compare ``indexer status --format json`` before and after. Malformed content
of each format is also checked at the library level (faster), for the line it names.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import FIXTURES

from indexer.config import Paths
from indexer.errors import InputError
from indexer.ingest import status
from indexer.sources import load


def run(home, *args):
    cmd = [sys.executable, "-m", "indexer", "--home", str(home), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A home holding one good import, and its status as the CLI prints it."""
    home = tmp_path_factory.mktemp("home")
    fixture = FIXTURES / "diigo_small.csv"
    out = run(home, "import", str(fixture))
    assert out.returncode == 0, out.stderr
    status = run(home, "status", "--format", "json")
    assert status.returncode == 0, status.stderr
    return home, json.loads(status.stdout)


def _truncated_csv(tmp, fixtures):
    text = (fixtures / "diigo_small.csv").read_text(encoding="utf-8")
    cut = text.index("Highlight:Le bénévolat")  # inside the quoted annotations cell of row 3
    (tmp / "cut.csv").write_text(text[:cut], encoding="utf-8")
    return tmp / "cut.csv", 11


def _latin1_csv(tmp, fixtures):
    text = (fixtures / "diigo_small.csv").read_text(encoding="utf-8")
    (tmp / "latin1.csv").write_bytes(text.encode("latin-1", errors="replace"))
    return tmp / "latin1.csv", 2  # the first é is on line 2


CASES = {
    "empty file": lambda tmp, fx: (_write(tmp / "empty.csv", b""), None),
    "blank file": lambda tmp, fx: (_write(tmp / "blank.json", b"  \n\n"), None),
    "binary file": lambda tmp, fx: (_write(tmp / "data.csv", b"\x1f\x8b\x08\x00\x00binary\x00\xff"),
                                    None),
    "truncated csv": _truncated_csv,
    "unknown format": lambda tmp, fx: (_write(tmp / "notes.csv", b"hello,world\n1,2\n"), None),
    "directory": lambda tmp, fx: (tmp, None),
    "missing file": lambda tmp, fx: (tmp / "nowhere.csv", None),
}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line_and_leaves_the_store(imported, fixtures, tmp_path, case):
    home, before = imported
    path, line = CASES[case](tmp_path, fixtures)
    out = run(home, "import", str(path))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert str(path) in lines[0]
    if line is not None:
        assert f"{path}:{line}:" in lines[0]
    # The library twin of `indexer status` (one subprocess per case keeps this test fast);
    # the CLI's own JSON is compared once, after every case, below.
    assert status(Paths(home)) == before


def test_a_file_not_in_the_encoding_forced_says_so(imported, fixtures, tmp_path):
    home, before = imported
    path, line = _latin1_csv(tmp_path, fixtures)
    out = run(home, "import", str(path), "--encoding", "utf-8")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and f"{path}:{line}: not valid utf-8" in out.stderr
    assert "give the right --encoding" in out.stderr
    assert status(Paths(home)) == before


def test_a_bad_file_among_good_ones_is_named_and_the_good_ones_imported(fixtures, tmp_path):
    home = tmp_path / "home"
    good, bad = fixtures / "native_small.jsonl", tmp_path / "missing.csv"
    cut, line = _truncated_csv(tmp_path, fixtures)
    out = run(home, "import", str(good), str(bad), str(cut))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{good} [native]" in out.stdout
    errors = out.stderr.strip().splitlines()
    assert errors[0] == f"error: {bad}: no such file"
    assert errors[1].startswith(f"error: {cut}:{line}: CSV row never ends")
    assert errors[2] == "1 file imported, 2 not (named above)"
    assert status(Paths(home))["bookmarks"] > 0  # the good file stays imported


def test_status_json_unchanged_after_every_bad_import(imported):
    """Runs after the cases above (same module fixture): the CLI's status is as before."""
    home, before = imported
    after = run(home, "status", "--format", "json")
    assert after.returncode == 0 and json.loads(after.stdout) == before


# -- malformed content, format by format (library level) ----------------------------------


def _error(tmp_path, name: str, text: str, format: str | None = None) -> InputError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(path, format)
    assert info.value.path == str(path)
    return info.value


DIIGO_HEADER = "title,url,tags,description,comments,annotations,created_at\n"


def test_utf16_is_named_as_such(fixtures, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((fixtures / "diigo_small.csv").read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(InputError) as info:
        load(path)
    assert "UTF-16" in info.value.message


def test_diigo_csv_unbalanced_quote_names_the_row(tmp_path):
    text = (DIIGO_HEADER + '"A","https://a.example","t","","","",""\n'
            '"B","https://b.example","t","d\nmore\n')
    err = _error(tmp_path, "a.csv", text)
    assert err.line == 3 and "unbalanced quote" in err.message


def test_diigo_csv_short_row(tmp_path):
    err = _error(tmp_path, "a.csv", DIIGO_HEADER + '"A","https://a.example","t"\n')
    assert err.line == 2 and "3 fields, expected 7" in err.message


def test_diigo_csv_bad_quoting(tmp_path):
    err = _error(tmp_path, "a.csv", DIIGO_HEADER + '"A"x,"https://a.example","","","","",""\n')
    assert err.line == 2 and "malformed CSV" in err.message


def test_invalid_json_gives_json_line(fixtures, tmp_path):
    text = (fixtures / "diigo_api_small.json").read_text(encoding="utf-8")
    err = _error(tmp_path, "api.json", text[: text.index('"Shell tricks"') + 40])
    assert "invalid JSON" in err.message and err.line == 14


def test_diigo_api_missing_url(tmp_path):
    text = ('[\n{"title": "a", "url": "https://a.example", "desc": "", "annotations": [],'
            ' "shared": "yes"},\n'
            '{"title": "b", "desc": "", "annotations": [], "shared": "yes"}\n]\n')
    err = _error(tmp_path, "api.json", text)
    assert err.line == 3 and "bookmark 2: missing key 'url'" in err.message


def test_diigo_api_annotation_without_content(tmp_path):
    text = ('[{"title": "a", "url": "https://a.example", "desc": "", "shared": "yes",\n'
            ' "annotations": [{"user": "u"}]}]')
    err = _error(tmp_path, "api.json", text)
    assert err.line == 1 and "annotation 1: missing key 'content'" in err.message


def test_hypothesis_row_without_uri(shared, tmp_path):
    # The real `minimal.json` baseline: one row with a target but no uri nor source.
    text = shared("corpus", "formats", "hypothesis_api_search_json", "minimal.json").read_text()
    err = _error(tmp_path, "h.json", text)
    assert err.line == 3 and "row 1 (id test): missing key 'uri'" in err.message


def test_hypothesis_selector_not_a_list(tmp_path):
    # Found by tests/robustness/test_fuzz_importers.py: `"selector": true` used to raise a TypeError.
    text = ('{"total": 1, "rows": [{"uri": "https://x.org", "target": '
            '[{"source": "https://x.org", "selector": true}]}]}')
    err = _error(tmp_path, "h.json", text, format="hypothesis")
    assert "'selector' should be a list" in err.message and err.line == 1


def test_hypothesis_rows_not_a_list(tmp_path):
    err = _error(tmp_path, "h.json", '{"total": 1, "rows": {"uri": "x"}}', format="hypothesis")
    assert "no 'rows' array" in err.message


def test_native_jsonl_errors(tmp_path):
    head = '{"format": "indexer/1"}\n'
    err = _error(tmp_path, "n.jsonl", head + '{"url": "https://a.example", "exerpts": []}\n')
    assert err.line == 2 and "unknown bookmark key 'exerpts'" in err.message
    err = _error(tmp_path, "n.jsonl", head + '{"url": "https://a.example"}\n{"url": \n')
    assert err.line == 3 and "invalid JSON" in err.message
    err = _error(tmp_path, "n.jsonl", head + '\n{"title": "t", "tags": "a,b"}\n')
    assert err.line == 3 and "'tags' should be a list" in err.message
    err = _error(tmp_path, "n.jsonl", head + '{"title": "t", "excerpts": [{"comment": "c"}]}\n')
    assert "missing key 'text'" in err.message


def test_native_jsonl_without_header_is_not_detected_but_forced_says_why(tmp_path):
    text = '{"url": "https://a.example", "title": "t"}\n'
    err = _error(tmp_path, "n.jsonl", text)
    assert "unknown export format" in err.message
    err = _error(tmp_path, "n.jsonl", text, format="native")
    assert err.line == 1 and "must start with" in err.message


def test_native_csv_errors(tmp_path):
    err = _error(tmp_path, "n.csv", "url,title,excerpt,hint_start\nhttps://a.example,t,x,twelve\n")
    assert err.line == 2 and "'hint_start' should be an integer" in err.message
    err = _error(tmp_path, "n.csv", "url,title,excerpt,colour\nhttps://a.example,t,x,red\n",
                 format="native")
    assert err.line == 1 and "unknown column 'colour'" in err.message
    err = _error(tmp_path, "n.csv", "url,title,excerpt\n,,lonely excerpt\n")
    assert err.line == 2 and "neither 'url' nor 'title'" in err.message


def test_forced_format_on_the_wrong_file(fixtures):
    with pytest.raises(InputError) as info:
        load(fixtures / "hypothesis_small.json", "diigo-api")
    assert "not a Diigo API export" in info.value.message
