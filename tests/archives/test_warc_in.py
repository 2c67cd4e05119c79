"""WARC in: captures written by another tool (Debian's wget, `--warc-file`, against a loopback
server of real pages) are imported into a home whose bookmarks point at those URLs, and the
pages attach, extract and align as fetched ones do; a WACZ (a zip holding the WARC) too."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import run_in_process
from httpserver import TestServer
from warcset import records

from indexer.align import align_all
from indexer.cache import Cache
from indexer.extract import decode_html, extract_all, extract_page, parse_html
from indexer.fetch import FetchOptions, fetch_all
from indexer.ingest import import_files
from indexer.localpages import declared_urls
from indexer.store import Store

N_PAGES = 6


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("\n", " ").split(". ")]
    return [p + "." for p in parts if 80 <= len(p) <= 300]


@pytest.fixture(scope="module")
def pages():
    """(file, body, two excerpts of its main text, a URL it declares or None) of real pages."""
    from conftest import shared_path

    root = shared_path("corpus", "html")
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        files = [row["file"] for row in csv.DictReader(fh, delimiter="\t")]
    chosen = []
    for name in files:
        body = (root / name).read_bytes()
        found = _sentences(extract_page(body, "text/html").text)
        if len(found) >= 3:
            tree = parse_html(decode_html(body)[0])
            declared = [u for u in declared_urls(tree, body) if u.startswith("http")]
            chosen.append((name, body, [found[0], found[2]], declared[0] if declared else None))
        if len(chosen) == N_PAGES and any(c[3] for c in chosen[1:]):
            return root, chosen
    pytest.skip("not enough real pages with three sentences in ../shared")


@pytest.fixture
def site(pages):
    root, chosen = pages
    with TestServer("127.0.0.1") as srv:
        srv.static("/html", root)
        srv.route("/moved", status=301, headers={"Location": f"/html/{chosen[0][0]}"})
        yield srv


def _wget() -> str:
    path = shutil.which("wget")
    if path is None:
        pytest.skip("needs Debian's wget (make test installs it as root: "
                    "scripts/install-test-tools.sh)")
    return path


def _bookmarks(site, chosen) -> tuple[list[dict], list[str], int]:
    """Bookmarks for the pages: the first through a redirect, one by the URL its page
    declares (never requested: the capture is of the server's URL); and what wget gets."""
    canonical = next(i for i, c in enumerate(chosen) if i and c[3])
    marks, fetched = [], []
    for i, (name, _, excerpts, declared) in enumerate(chosen):
        served = site.url(f"/html/{name}")
        url = site.url("/moved") if i == 0 else (declared if i == canonical else served)
        marks.append({"url": url, "title": f"Page {i}", "created_at": "2023-06-01T08:00:00",
                      "excerpts": excerpts})
        fetched.append(site.url("/moved") if i == 0 else served)
    return marks, fetched, canonical


def _export(path, marks) -> None:
    lines = [{"format": "indexer/1"}, *marks]
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")


def _aligned(home) -> dict[str, tuple]:
    with Store(home.db) as store:
        return {r[0]: tuple(r[1:]) for r in store.conn.execute(
            'SELECT e.text, a.method, a.start, a."end", a.in_main_text FROM excerpts e'
            " JOIN alignments a ON a.excerpt_id = e.id")}


def _run_wget(site, urls, prefix: Path) -> Path:
    cmd = [_wget(), "--no-verbose", "--no-proxy", "-e", "robots=off", "--tries=1",
           f"--warc-file={prefix}", "-O", "/dev/null", *urls]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return prefix.with_name(prefix.name + ".warc.gz")


def test_a_wget_warc_attaches_extracts_and_aligns_like_a_fetch(home, tmp_path, pages, site,
                                                               capsys):
    _, chosen = pages
    marks, fetched, canonical = _bookmarks(site, chosen)
    warc = _run_wget(site, fetched, tmp_path / "wget")
    assert any(r["type"] == "response" for r in records(warc))  # wget's own WARC
    export = tmp_path / "marks.jsonl"
    _export(export, marks)
    import_files(home, [export])
    site.reset()
    code, out, err = run_in_process(capsys, home, "import-warc", str(warc))
    assert code == 0, err
    assert site.total == 0  # importing makes no request
    assert f"{N_PAGES} bookmarks matched" in out.splitlines()[0]
    assert "  redirect: " in out and "  canonical: " in out
    with Store(home.db) as store:
        cache = Cache(home.cache)
        extract_all(store, cache)
        align_all(store)
        rows = {r["url"]: dict(r) for r in store.conn.execute("SELECT * FROM fetches")}
    dates = {r["uri"]: r["date"] for r in records(warc) if r["type"] == "response"}
    for mark in marks:
        row = rows[mark["url"]]
        assert row["origin"] == "local" and row["status"] == 200 and row["error"] is None
        assert row["fetched_at"][:19] == dates[row["final_url"]][:19]  # the capture's date
    # the same bookmarks fetched by us: the same articles, the same alignments
    fetched_home = type(home)(tmp_path / "fetched")
    plain = [m for i, m in enumerate(marks) if i != canonical]  # ours cannot fetch that one
    _export(tmp_path / "plain.jsonl", plain)
    import_files(fetched_home, [tmp_path / "plain.jsonl"])
    with Store(fetched_home.db) as store:
        cache = Cache(fetched_home.cache)
        fetch_all(store, cache, FetchOptions(delay=0, allow_local=True, retries=0))
        extract_all(store, cache)
        align_all(store)
    ours, theirs = _aligned(fetched_home), _aligned(home)
    assert ours == {text: theirs[text] for text in ours}
    placed = [v for v in theirs.values() if v[0] in ("exact", "fuzzy")]
    assert len(placed) == len(theirs) == 2 * N_PAGES  # every excerpt found in its page
    assert all(theirs[e][0] == "exact" for e in marks[canonical]["excerpts"])


def test_a_wacz_holding_the_warc_imports_the_same(home, tmp_path, pages, site, capsys):
    _, chosen = pages
    marks, fetched, _ = _bookmarks(site, chosen)
    warc = _run_wget(site, fetched, tmp_path / "crawl")
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w") as z:  # WACZ 1.1: archive/*.warc.gz, datapackage.json
        z.write(warc, "archive/data.warc.gz")
        z.writestr("datapackage.json", json.dumps({"profile": "data-package",
                                                   "wacz_version": "1.1.1", "resources": []}))
    _export(tmp_path / "marks.jsonl", marks)
    import_files(home, [tmp_path / "marks.jsonl"])
    code, out, err = run_in_process(capsys, home, "import-warc", str(wacz))
    assert code == 0, err
    assert f"{N_PAGES} bookmarks matched" in out.splitlines()[0]
    with Store(home.db) as store:
        details = {r[0] for r in store.conn.execute("SELECT error_detail FROM fetches")}
    assert details == {"captured in crawl.wacz"}


def test_a_file_that_is_not_a_warc_is_one_line_and_changes_nothing(home, tmp_path, capsys,
                                                                   seed):
    import_files(home, [seed])
    bad = tmp_path / "notes.warc.gz"
    bad.write_text("pas un WARC\n", encoding="utf-8")
    code, _, err = run_in_process(capsys, home, "import-warc", str(bad))
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"error: {bad}:")
    assert "Traceback" not in err and "WARC" in err
    code, _, err = run_in_process(capsys, home, "import-warc", str(tmp_path / "absent.warc"))
    assert code == 2 and "no such file" in err
    with Store(home.db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] == 0
