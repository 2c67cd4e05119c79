"""import-html: saved pages matched to bookmarks by URL, or by title and excerpts."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter
from html import escape
from pathlib import Path

import pytest

from indexer.cache import Cache
from indexer.errors import InputError
from indexer.extract import ExtractOptions, extract_all
from indexer.ingest import import_files
from indexer.localpages import fold, import_local_pages, normalize_url
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store

FILLER = (
    "<p>Ce paragraphe n'a rien à voir avec les passages surlignés : il parle de la pluie, "
    "du beau temps et des horaires de la médiathèque municipale.</p>"
)


def write_page(path: Path, title: str, paragraphs: list[str], head: str = "") -> Path:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"{head}</head><body><nav>Menu</nav><article><h1>{escape(title)}</h1>{FILLER}{body}"
        f"{FILLER}</article></body></html>",
        encoding="utf-8",
    )
    return path


def seeded(home, seed):
    import_files(home, [seed])
    store = Store(home.db)
    marks = {r["title"]: r["id"] for r in store.conn.execute("SELECT id, title FROM bookmarks")}
    excerpts = {
        bid: [
            r[0]
            for r in store.conn.execute(
                "SELECT text FROM excerpts WHERE bookmark_id=? ORDER BY seq", (bid,)
            )
        ]
        for bid in marks.values()
    }
    return store, marks, excerpts


def by_name(report):
    return {Path(p.path).name: p for p in report.pages}


def test_seed_pages_without_urls_match_by_title_and_excerpts(home, seed, tmp_path):
    store, marks, excerpts = seeded(home, seed)
    datacenters = next(t for t in marks if t.startswith("Des impacts énergétiques"))
    gafam = "TRIBUNE. Comment la France s'est vendue aux Gafam"
    minitel = next(t for t in marks if t.startswith("Le Minitel"))
    pages = tmp_path / "saved"
    dc = excerpts[marks[datacenters]]
    # the page's full title goes on where Diigo's cut title stops; apostrophes differ
    write_page(
        pages / "datacenters.html",
        datacenters + " - Makery",
        [dc[0].replace("’", "'"), dc[3], dc[5]],
    )
    write_page(pages / "gafam.htm", gafam + " - Le Point", excerpts[marks[gafam]])
    write_page(
        pages / "minitel.html",
        minitel.rstrip(".") + "ui - InternetActu",
        ["Un article sur le Minitel, mais aucun des passages surlignés."],
    )
    write_page(pages / "meteo.html", "La météo du week-end", ["Du soleil partout."])
    write_page(pages / "gafam_files" / "frame.html", gafam, excerpts[marks[gafam]])  # assets

    cache = Cache(home.cache)
    report = import_local_pages(store, cache, pages)
    got = by_name(report)
    assert sorted(got) == ["datacenters.html", "gafam.htm", "meteo.html", "minitel.html"]
    assert (got["datacenters.html"].bookmark_id, got["datacenters.html"].how) == (
        marks[datacenters],
        "title+excerpts",
    )
    assert (got["datacenters.html"].excerpts_found, got["datacenters.html"].excerpts_total) == (
        3,
        17,
    )
    assert got["datacenters.html"].score == round(3 / 17, 3)
    gafam_total = len(excerpts[marks[gafam]])
    assert (got["gafam.htm"].how, got["gafam.htm"].score) == ("title+excerpts", 1.0)
    assert got["gafam.htm"].excerpts_found == gafam_total
    assert not got["minitel.html"].matched
    assert "none of its" in got["minitel.html"].reason and "Minitel" in got["minitel.html"].reason
    assert not got["meteo.html"].matched and "no bookmark URL or title" in got["meteo.html"].reason

    rows = store.conn.execute("SELECT * FROM fetches ORDER BY bookmark_id").fetchall()
    assert {r["bookmark_id"] for r in rows} == {marks[datacenters], marks[gafam]}
    for r in rows:
        assert (r["origin"], r["status"], r["error"], r["url"]) == ("local", None, None, None)
        assert cache.has(r["sha256"]) and r["content_type"] == "text/html"
    # and the extract stage takes them from there
    summary = extract_all(store, cache, ExtractOptions())
    assert summary.extracted == 2 and summary.languages == {"fr": 2}
    # importing again changes nothing
    again = import_local_pages(store, cache, pages)
    assert [(p.bookmark_id, p.how) for p in again.pages] == [
        (p.bookmark_id, p.how) for p in report.pages
    ]
    assert again.replaced == 0
    store.close()


def test_url_match_through_canonical_og_url_and_saved_from(home, tmp_path):
    store, cache = Store(home.db), Cache(home.cache)
    recs = [
        BookmarkRecord(title=f"Article {n}", url=u)
        for n, u in enumerate(
            ["https://example.org/a/", "http://Example.org/b?id=2", "https://example.org/c"]
        )
    ]
    store.import_parsed(ParseResult("test", recs), "test", "x")
    pages = tmp_path / "p"
    write_page(
        pages / "1.html",
        "Autre titre",
        ["x"],
        "<link rel='canonical' href='http://example.org/a#top'>",
    )
    write_page(
        pages / "2.html",
        "Autre titre",
        ["x"],
        "<meta property='og:url' content='https://example.org/b?id=2'>",
    )
    (pages / "3.html").write_text(
        "<!-- saved from url=(0022)https://example.org/c -->\n"
        "<html><body><p>Sauvegardée par le navigateur</p></body></html>"
    )
    write_page(
        pages / "4.html",
        "Article 1",
        ["x"],  # same bookmark as 2.html, weaker match
        "<link rel='canonical' href='https://example.org/zzz'>",
    )
    report = import_local_pages(store, cache, pages)
    got = by_name(report)
    assert [got[n].how for n in ("1.html", "2.html", "3.html")] == ["url"] * 3
    assert got["1.html"].page_url == "http://example.org/a#top" and got["1.html"].score == 1.0
    assert not got["4.html"].matched and "already matched by" in got["4.html"].reason
    urls = dict(
        store.conn.execute(
            "SELECT b.title, f.url FROM fetches f JOIN bookmarks b ON b.id = f.bookmark_id"
        ).fetchall()
    )
    assert urls == {
        "Article 0": "http://example.org/a#top",
        "Article 1": "https://example.org/b?id=2",
        "Article 2": "https://example.org/c",
    }
    store.close()


def test_missing_or_empty_directory_is_one_clear_error(home, tmp_path):
    store, cache = Store(home.db), Cache(home.cache)
    with pytest.raises(InputError, match="no such directory"):
        import_local_pages(store, cache, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .html or .htm page"):
        import_local_pages(store, cache, tmp_path / "empty")
    store.close()
    cmd = [
        sys.executable,
        "-m",
        "indexer",
        "--home",
        str(home.home),
        "import-html",
        str(tmp_path / "nope"),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert (
        out.returncode == 2
        and out.stderr.strip() == f"error: {tmp_path / 'nope'}: no such directory"
    )


def test_cli_import_html_reports_each_page(home, seed, tmp_path):
    store, marks, excerpts = seeded(home, seed)
    store.close()
    gafam = "TRIBUNE. Comment la France s'est vendue aux Gafam"
    write_page(tmp_path / "p" / "gafam.html", gafam, excerpts[marks[gafam]][:2])
    write_page(tmp_path / "p" / "other.html", "Rien à voir", ["x"])
    cmd = [
        sys.executable,
        "-m",
        "indexer",
        "--home",
        str(home.home),
        "import-html",
        str(tmp_path / "p"),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "2 pages, 1 matched, 1 unmatched" in lines[0]
    assert any(line.startswith("  gafam.html: title+excerpts") for line in lines)
    assert any(line.startswith("  other.html: unmatched: no bookmark URL") for line in lines)


def test_folding_and_url_normalisation():
    assert fold("L’État  n'est PAS—là…") == "l etat n est pas la"
    assert normalize_url("HTTPS://Example.ORG/a/b/#frag") == normalize_url("http://example.org/a/b")
    assert normalize_url("/relative") is None and normalize_url(None) is None


@pytest.mark.shared
def test_real_pages_attach_to_url_bookmarks(shared, home, tmp_path):
    html = shared("corpus", "html")
    with open(html / "MANIFEST.tsv", encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh, delimiter="\t"))
    store, cache = Store(home.db), Cache(home.cache)
    recs = [BookmarkRecord(title=r["title"] or r["file"], url=r["original_url"]) for r in manifest]
    store.import_parsed(ParseResult("test", recs), "manifest", "x")
    pages = tmp_path / "pages"
    pages.mkdir()
    for n, row in enumerate(manifest):  # links, not copies: the pages stay in ../shared
        os.symlink(html / row["file"], pages / f"{n:03d}.html")
    report = import_local_pages(store, cache, pages)
    hows = Counter(p.how for p in report.pages)
    assert hows["url"] >= 80, hows  # measured: 86 by URL, 11 by title alone, 1 unmatched
    expected = {f"{n:03d}.html": row["original_url"] for n, row in enumerate(manifest)}
    for p in report.matched:  # never the wrong bookmark
        url = store.conn.execute(
            "SELECT url FROM bookmarks WHERE id=?", (p.bookmark_id,)
        ).fetchone()[0]
        assert url == expected[Path(p.path).name], p
    store.close()
