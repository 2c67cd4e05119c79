"""Exports as people have them: a Diigo CSV re-saved by Excel or LibreOffice imports with the
same counts as the original, through the real command line."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from conftest import FIXTURES
from conftest import run_in_process as run

from indexer.config import Paths

# name -> (separator, encoding): what a French Excel writes ("CSV (séparateur : point-virgule)"
# is Windows-1252), Excel's "CSV UTF-8", LibreOffice's tab-separated text.
VARIANTS = {
    "excel-fr": (";", "cp1252"),
    "excel-utf8": (";", "utf-8-sig"),
    "libreoffice-tab": ("\t", "utf-8"),
}


def resave(src, dest, delimiter: str, encoding: str):
    """``src`` as a spreadsheet saves it: its separator, its encoding, CRLF line ends."""
    with open(src, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    dest.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return dest


def counts(paths: Paths) -> dict:
    with sqlite3.connect(paths.db) as conn:
        one = lambda table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
        return {t: one(t) for t in ("bookmarks", "excerpts", "notes", "tags")}


def texts(paths: Paths) -> set[str]:
    with sqlite3.connect(paths.db) as conn:
        return {t for (t,) in conn.execute("SELECT text FROM excerpts")}


def check_variants(capsys, tmp_path, original):
    home = Paths(tmp_path / "original")
    code, _, err = run(capsys, home, "import", str(original))
    assert code == 0, err
    expected, written = counts(home), texts(home)
    for name, (delimiter, encoding) in VARIANTS.items():
        path = resave(original, tmp_path / f"{name}.csv", delimiter, encoding)
        other = Paths(tmp_path / name)
        code, out, err = run(capsys, other, "import", str(path))
        assert code == 0, (name, err)
        assert counts(other) == expected, name
        guessed = f"{path}: not UTF-8; read as cp1252 (guessed)" in out
        assert guessed == (encoding == "cp1252"), (name, out)
        # the texts Windows-1252 can hold come back as they were (accents, quotes, ’): all
        # but the few whose raw HTML had a character it lacks and the cleaning removed (a
        # hair space U+200A in 3 real highlights), which the spreadsheet turned into "?"
        kept = {t for t in written if t.encode(encoding, errors="replace").decode(encoding) == t}
        assert kept and len(kept - texts(other)) <= len(kept) // 100, name
    return expected


def test_our_small_export_resaved_by_spreadsheets(capsys, tmp_path):
    found = check_variants(capsys, tmp_path, FIXTURES / "diigo_small.csv")
    assert found["excerpts"] > 0 and found["notes"] > 0


@pytest.mark.shared
def test_the_real_diigo_csv_resaved_by_spreadsheets(capsys, tmp_path, shared):
    original = next(shared("corpus", "formats", "diigo_csv").glob("*.csv"))
    found = check_variants(capsys, tmp_path, original)
    assert (found["bookmarks"], found["excerpts"], found["notes"]) == (8043, 2745, 355)


def test_forced_separator_and_a_wrong_one(capsys, tmp_path):
    path = resave(FIXTURES / "diigo_small.csv", tmp_path / "semi.csv", ";", "utf-8")
    home = Paths(tmp_path / "home")
    code, out, _ = run(capsys, home, "import", str(path), "--delimiter", ";",
                       "--format", "diigo-csv")
    assert code == 0 and "[diigo-csv]" in out
    code, _, err = run(capsys, Paths(tmp_path / "other"), "import", str(path), "--delimiter",
                       "tab", "--format", "diigo-csv")
    assert code == 2 and err.count("\n") == 1
    assert "not a Diigo CSV header" in err and "separated by tab; --delimiter forces one" in err
