"""`indexer build` end to end: a Diigo CSV export pointing at the real pages, served locally.

The whole path a user takes, with real parts: the CLI in a subprocess, a real HTTP server on
127.0.0.1 serving ../shared/corpus/html, a real store, cache and index on disk.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
import trafilatura
from conftest import shared_path
from httpserver import Reply, TestServer

HIGHLIGHTED = 10  # pages given a highlight taken from their text, to be aligned


def manifest() -> list[dict]:
    path = shared_path("corpus", "html", "MANIFEST.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def run(home, *args, check=True):
    env = {**os.environ, "INDEXER_ALLOW_LOCAL": "1"}
    cmd = [sys.executable, "-m", "indexer", "--home", str(home), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if check:
        assert out.returncode == 0, out.stderr[-2000:]
    return out


def highlight(html_path) -> str:
    """A passage of the page's main text, ~150 characters, cut at word boundaries."""
    text = trafilatura.extract(html_path.read_text(encoding="utf-8", errors="replace")) or ""
    middle = len(text) // 2
    start = text.rfind(" ", 0, middle) + 1
    end = text.find(" ", start + 150)
    return text[start:end if end > 0 else None].strip()


@pytest.fixture(scope="module")
def site():
    """The real pages at /html/..., plus a dead link and a PDF."""
    html = shared_path("corpus", "html")
    srv = TestServer("127.0.0.1")
    srv.static("/html", html)
    srv.route("/gone", Reply(status=404, body=b"not here"))
    srv.route("/report.pdf", Reply(body=b"%PDF-1.4\n%fake but typed\n",
                                   headers={"Content-Type": "application/pdf"}))
    with srv:
        yield srv, html


@pytest.fixture(scope="module")
def built(site, tmp_path_factory):
    """An export of every page, built once; what the tests below inspect."""
    srv, html = site
    rows = manifest()
    home = tmp_path_factory.mktemp("home")
    export = home / "export.csv"
    expected = {}
    with export.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, quoting=csv.QUOTE_ALL)
        out.writerow(["title", "url", "tags", "description", "comments", "annotations",
                      "created_at"])
        for i, row in enumerate(rows):
            url = srv.url(f"/html/{row['file']}")
            note = ""
            if i < HIGHLIGHTED:
                expected[url] = highlight(html / row["file"])
                note = f"Highlight: {expected[url]}"
            out.writerow([row["title"] or row["file"], url, f"test,{row['language']}", "",
                          "", note, "2024-05-08 10:00:00"])
        for path in ("/gone", "/report.pdf"):
            out.writerow([path, srv.url(path), "test", "", "", "", "2024-05-08 10:00:00"])
    first = run(home, "build", str(export), "--delay", "0", "--no-entities")
    return {"home": home, "rows": rows, "expected": expected, "first": first, "srv": srv}


def db(home) -> sqlite3.Connection:
    conn = sqlite3.connect(home / "corpus" / "indexer.sqlite")
    conn.row_factory = sqlite3.Row
    return conn


def status(home) -> dict:
    return json.loads(run(home, "status", "--format", "json").stdout)


def test_every_page_fetched_and_failures_recorded_with_their_cause(built):
    counts = status(built["home"])
    pages = len(built["rows"])
    assert counts["bookmarks"] == pages + 2
    assert counts["fetched"] == pages + 1  # every page, and the PDF
    assert counts["fetch_causes"] == {"http_404": 1}
    assert "fetch" in built["first"].stdout and "== index" in built["first"].stdout


def test_every_extraction_stored_with_the_manifest_language(built):
    conn = db(built["home"])
    by_url = {r["url"]: r for r in conn.execute(
        "SELECT b.url, a.status, a.language, length(a.text) AS n FROM articles a"
        " JOIN bookmarks b ON b.id = a.bookmark_id")}
    srv = built["srv"]
    wrong = []
    for row in built["rows"]:
        art = by_url[srv.url(f"/html/{row['file']}")]
        if row["language"] in ("fr", "en") and art["language"] != row["language"]:
            wrong.append((row["file"], row["language"], art["language"]))
        if row["language"] == "fr":
            assert art["n"] > 0, row["file"]
    assert wrong == []
    assert by_url[srv.url("/report.pdf")]["status"] == "not_html"


def test_highlights_are_aligned_in_their_articles(built):
    conn = db(built["home"])
    got = {r["url"]: r for r in conn.execute(
        "SELECT b.url, e.text, al.method, al.matched_text, al.fragment_url FROM excerpts e"
        " JOIN bookmarks b ON b.id = e.bookmark_id JOIN alignments al ON al.excerpt_id = e.id")}
    assert set(got) == set(built["expected"])
    for url, text in built["expected"].items():
        assert got[url]["method"] == "exact", url
        assert got[url]["matched_text"] == text
        assert got[url]["fragment_url"].startswith(url + "#:~:text=")


def test_second_build_makes_no_request(built):
    srv = built["srv"]
    srv.reset()
    out = run(built["home"], "build", "--delay", "0", "--no-entities")
    assert srv.total == 0, dict(srv.counts)
    assert "already cached" in out.stdout


def test_offline_build_and_search_work_with_the_server_stopped(built):
    built["srv"].stop()
    out = run(built["home"], "build", "--offline", "--no-entities")
    assert "offline:" in out.stdout
    text = next(iter(built["expected"].values()))
    word = max(re.findall(r"\w{6,}", text), key=len)
    hits = json.loads(run(built["home"], "search", word, "--in", "articles",
                          "--format", "json").stdout)
    assert hits["total"] >= 1
