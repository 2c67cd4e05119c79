"""`indexer export` (and align / orphans) on the bundled export, and the row writer itself."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from indexer import export
from indexer.errors import InputError
from indexer.ingest import import_files
from indexer.store import Store

BASE = ["id", "bookmark_id", "url", "title", "tags", "annotator", "text", "start", "end",
        "method", "score", "matched_text", "prefix", "suffix", "fragment_url", "orphan_cause"]


def run(home, *args):
    cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_columns_are_published_in_order():
    assert export.EXCERPT_COLUMNS[:len(BASE)] == BASE
    for extra in ("created_at", "site", "language", "published", "author"):
        assert extra in export.EXCERPT_COLUMNS


def test_export_without_any_alignment(home, seed):
    import_files(home, [seed])
    with Store(home.db) as store:
        rows = list(export.excerpt_rows(store))
        out = io.StringIO()
        assert export.export_excerpts(store, "jsonl", out) == 78
    assert len(rows) == 78 and rows[0]["tags"] == ["association"]
    assert all(r["method"] is None and r["start"] is None and r["url"] is None for r in rows)
    first = json.loads(out.getvalue().splitlines()[0])
    assert list(first) == export.EXCERPT_COLUMNS and first["text"] == rows[0]["text"]


def test_csv_and_excel_variants(tmp_path):
    rows = [{"id": "a", "text": "l’État; « dit », 2\nlignes", "tags": ["x", "y"], "start": 0,
             "in_main_text": True, "score": 0.97}]
    plain = tmp_path / "plain.csv"
    assert export.write_rows(rows, "csv", plain) == 1
    data = plain.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    got = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert got[0]["text"] == rows[0]["text"] and got[0]["tags"] == "x, y"
    assert got[0]["in_main_text"] == "1" and got[0]["url"] == ""
    excel = tmp_path / "excel.csv"
    export.write_rows(rows, "csv", excel, excel=True)
    data = excel.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid;bookmark_id;")
    got = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert got[0]["text"] == rows[0]["text"] and got[0]["score"] == "0.97"


def test_custom_columns_and_bad_format(tmp_path):
    out = io.StringIO()
    export.write_rows([{"a": 1, "b": None}], "jsonl", out, columns=["a", "b"])
    assert json.loads(out.getvalue()) == {"a": 1, "b": None}
    with pytest.raises(InputError):
        export.write_rows([], "xlsx", tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(InputError):
        export.write_rows([], "csv", tmp_path / "missing" / "x.csv")


def test_cli_align_orphans_export(home, seed, tmp_path):
    assert run(home, "import", str(seed)).returncode == 0
    out = run(home, "align")
    assert out.returncode == 0, out.stderr
    assert "aligned 78 of 78 excerpts" in out.stdout and "no_url 78" in out.stdout
    out = run(home, "orphans", "--format", "json")
    orphans = json.loads(out.stdout)
    assert len(orphans) == 78 and {o["cause"] for o in orphans} == {"no_url"}
    target = tmp_path / "out.csv"
    out = run(home, "export", "--format", "csv", "--excel", "-o", str(target))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
    assert len(rows) == 78 and rows[0]["orphan_cause"] == "no_url" and rows[0]["start"] == ""
    out = run(home, "export", "--format", "xml")
    assert out.returncode == 2 and "unknown --format" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unread_article_lends_no_metadata_to_the_export(home, seed):
    """An article whose extraction came out empty says nothing reliable about its site or
    language: the export shows what the index and the search show (the bookmark's own)."""
    from indexer.documents import store_documents
    from indexer.store import now_iso

    import_files(home, [seed])
    with Store(home.db) as store:
        bid = store.conn.execute("SELECT bookmark_id FROM excerpts LIMIT 1").fetchone()[0]
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text,"
                " site_name, language, author, extracted_at)"
                " VALUES (?, 'x', 'test', 'empty', '', 'Site Fantôme', 'en', 'Nobody', ?)",
                (bid, now_iso()))
        exported = {r["id"]: r for r in export.excerpt_rows(store)}
        indexed = {d.id: d.row for d in store_documents(store) if d.kind == "excerpt"}
    mine = [r for r in exported.values() if r["bookmark_id"] == bid]
    assert mine and all(r["site"] != "Site Fantôme" and r["author"] is None for r in mine)
    for eid, row in exported.items():
        for column in ("site", "author", "published"):
            assert row[column] == indexed[eid][column], (eid, column)
