"""Hostile input, Ctrl-C and concurrent use (issue 8).

* Broken exports (NUL bytes, mixed line endings, unbalanced quotes, JSON nested 10k deep):
  one line on stderr, a non-zero exit, the store unchanged (the real CLI, ``main(argv)``).
* Hostile pages (huge, binary, deeply nested, UTF-16, unknown or EBCDIC charsets): extraction
  records a status and a cause, never raises.
* Queries: any string (hypothesis-generated, 10k words, ``*``, a 100k-character word, fuzzy
  words with many edits) answers or raises :class:`QueryError`; long ones are refused.
* SIGINT: every long command prints one ``interrupted...`` line and exits 130.
* Concurrency: searches during ``index --rebuild`` in another process answer from a complete
  index; a second ``build`` refuses with a clear message while one runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, SEED
from httpserver import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.cache import Cache
from indexer.cli import main
from indexer.config import Paths
from indexer.errors import BusyError, QueryError
from indexer.extract import ExtractOptions, extract_all, extract_page
from indexer.index import build_index
from indexer.ingest import import_files, status
from indexer.pipeline import build_lock
from indexer.search import open_searcher, search
from indexer.store import Store
from indexer.synth import populate

DIIGO_HEADER = "title,url,tags,description,comments,annotations,created_at\n"
DEEP = "[" * 10_000 + "]" * 10_000


def cli(capsys, home: Paths, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_:
        main(["--home", str(home.home), *args])
    out = capsys.readouterr()
    return exit_.value.code, out.out, out.err


# -- broken exports ---------------------------------------------------------------------------

BROKEN = {
    "nul.csv": DIIGO_HEADER + '"a\x00b","http://x.org","","","","Highlight:x",""\n',
    "unbalanced.csv": DIIGO_HEADER + '"a,"http://x.org","","","","Highlight:x",""\n',
    "never-ends.csv": DIIGO_HEADER + '"a","http://x.org","","","","Highlight:x\n',
    "native-unbalanced.csv": 'url,title,excerpt\nhttp://x.org,"T,ex\n',
    "deep-native.jsonl": '{"format": "indexer/1"}\n{"url": "http://x.org", "excerpts": ' + DEEP
    + "}\n",
    "deep-diigo-api.json": '[{"url": "http://x.org", "annotations": [], "readlater": "no",'
    ' "shared": "yes", "desc": ' + DEEP + "}]",
    "deep-hypothesis.json": '{"total": 1, "rows": [{"uri": "http://x.org", "target": '
    + DEEP + "}]}",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    home = Paths(tmp_path_factory.mktemp("hostile"))
    import_files(home, [SEED])
    return home


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_export_is_one_line_and_leaves_the_store(capsys, imported, tmp_path, name):
    before = status(imported)
    path = tmp_path / name
    path.write_bytes(BROKEN[name].encode("utf-8"))
    code, out, err = cli(capsys, imported, "import", str(path))
    assert code == 2 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and str(path) in err, err
    assert status(imported) == before


def test_a_late_nul_byte_is_dropped_with_a_warning(capsys, home, tmp_path):
    # The real Diigo CSV has one, inside a highlight copied from a PDF: not a reason to refuse.
    path = tmp_path / "late-nul.csv"
    path.write_bytes((DIIGO_HEADER + '"t","http://x.org/0","","","","Highlight:x",""\n' * 2000
                      + '"a\x00b","http://x.org","","","","Highlight:x",""\n').encode())
    code, out, err = cli(capsys, home, "import", str(path))
    assert code == 0, err
    assert "line 2002: 1 NUL byte(s) removed" in out
    with Store(home.db) as store:
        assert store.conn.execute("SELECT title FROM bookmarks WHERE url='http://x.org'"
                                  ).fetchone()[0] == "ab"


def test_mixed_line_endings_import(capsys, home, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes((DIIGO_HEADER.replace("\n", "\r\n")
                      + '"a","http://x.org/a","t","d","","Highlight:un\r\nHighlight:deux",""\n'
                      + '"b","http://x.org/b","","","","Highlight:trois",""\r\n').encode())
    code, out, err = cli(capsys, home, "import", str(path))
    assert code == 0, err
    counts = status(home)
    assert (counts["bookmarks"], counts["excerpts"]) == (2, 3)


# -- hostile pages ----------------------------------------------------------------------------

PARA = "<p>" + "La municipalité finance la participation citoyenne des habitants. " * 4 + "</p>\n"
PAGES = {
    "huge": ("<html><body><article>" + "".join(PARA.replace("habitants", f"habitants {i}")
                                               for i in range(3000)) + "</article></body></html>"
             ).encode(),
    "binary": bytes(range(256)) * 400,
    "deep": ("<html><body>" + "<div>" * 50_000 + PARA + "</div>" * 50_000 + "</body></html>"
             ).encode(),
    "unclosed": ("<html><body>" + "<b><i>" * 30_000 + PARA).encode(),
    "utf-16": ("<html><body><article>" + PARA * 8 + "</article></body></html>").encode("utf-16"),
    "ebcdic": ('<html><head><meta charset="cp500"></head><body><article>' + PARA * 8
               + "</article></body></html>").encode("cp500"),
    "bogus-charset": ('<html><head><meta charset="x-nonesuch"></head><body><article>'
                      + PARA * 8 + "</article></body></html>").encode("latin-1"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_hostile_page_gets_a_status_and_a_cause(name):
    got = extract_page(PAGES[name], "text/html; charset=x-unknown-label", None)
    assert got.status in ("ok", "tiny", "empty", "not_html", "error")
    if got.status in ("not_html", "error"):
        assert got.error
    if name in ("utf-16", "ebcdic", "bogus-charset", "huge"):
        assert got.status == "ok" and "municipalité" in got.text and got.language == "fr"


def test_extract_stage_records_every_hostile_page(home):
    with Store(home.db) as store:
        populate(store, 80, seed=3)
        ids = [r[0] for r in store.conn.execute("SELECT id FROM bookmarks ORDER BY id LIMIT ?",
                                                (len(PAGES),))]
        cache = Cache(home.cache)
        with store.transaction() as conn:
            for bid, body in zip(ids, PAGES.values()):
                conn.execute("INSERT INTO fetches(bookmark_id, url, status, content_type, sha256,"
                             " size, fetched_at) VALUES (?, 'http://x.org', 200, 'text/html', ?,"
                             " ?, '2024-01-01')", (bid, cache.put(body), len(body)))
        summary = extract_all(store, cache, ExtractOptions())
        assert summary.extracted == len(PAGES)
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- queries ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searcher(imported):
    build_index(imported)
    with open_searcher(imported) as s:
        yield s


QUERY_TEXT = st.text(alphabet=st.sampled_from(list('données état l’ "*?~^:()[]{}\\+-!/ORANDNOT'
                                                   "tag:annotator:lang:2019x\x00é")),
                     max_size=40)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(text=QUERY_TEXT | st.text(max_size=30))
def test_any_typed_query_answers_or_raises_query_error(searcher, text):
    try:
        results = search(searcher, text, facets=["tag"])
    except QueryError as exc:
        assert "\n" not in str(exc)
    else:
        assert results.total >= len(results.hits)


@pytest.mark.parametrize("query", [
    " ".join(["données"] * 10_000),
    " OR ".join(f"mot{i}" for i in range(10_000)),
    "a" * 100_000,
    "données~9",
])
def test_huge_queries_are_refused_in_one_line(searcher, query):
    with pytest.raises(QueryError, match="too long|at most"):
        search(searcher, query)


@pytest.mark.parametrize("query", ["*", "**", "*é*", "?", '"l’État"', "données~2",
                                   " OR ".join(f"mot{i}" for i in range(300))])
def test_wildcards_and_long_queries_answer(searcher, query):
    assert search(searcher, query).total >= 0


def test_cli_query_error_is_one_line(capsys, imported, searcher):
    code, out, err = cli(capsys, imported, "search", "a" * 20_000)
    assert code != 0 and len(err.strip().splitlines()) == 1 and "too long" in err


# -- Ctrl-C -----------------------------------------------------------------------------------

# `ready` once the handler is in place: on a loaded machine the child may sleep between the
# print and main()'s own install, and a SIGINT landing there would kill it outright.
READY = ("import sys; from indexer import interrupt; from indexer.cli import main; "
         "interrupt.install(); print('ready', file=sys.stderr, flush=True); main(sys.argv[1:])")


def interrupt(home: Paths, *args: str, env=None, when=None) -> tuple[int, str]:
    """Start the command, SIGINT it soon after its imports are done, or once ``when()`` is
    true (the work is under way: a loaded machine may take seconds to get there); (exit code,
    stderr)."""
    proc = subprocess.Popen([sys.executable, "-c", READY, "--home", str(home.home), *args],
                            cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stderr.readline().strip() == "ready"
    time.sleep(0.3)
    deadline = time.monotonic() + 60
    while when is not None and not when() and proc.poll() is None:
        assert time.monotonic() < deadline, "the work never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """A home with plenty of work for every stage: 6k excerpts, 300 cached pages."""
    home = Paths(tmp_path_factory.mktemp("busy"))
    with Store(home.db) as store:
        populate(store, 6000, seed=11)
        cache = Cache(home.cache)
        rows = store.conn.execute("SELECT id FROM bookmarks ORDER BY id LIMIT 300").fetchall()
        with store.transaction() as conn:
            for i, (bid,) in enumerate(rows):
                texts = [t for (t,) in conn.execute(
                    "SELECT text FROM excerpts WHERE bookmark_id=?", (bid,))]
                body = ("<html><body><article>" + "".join(f"<p>{t} {PARA}</p>" for t in texts)
                        + "</article></body></html>").encode()
                conn.execute("INSERT INTO fetches(bookmark_id, url, status, content_type,"
                             " sha256, size, fetched_at) VALUES (?, ?, 200, 'text/html', ?, ?,"
                             " '2024-01-01')", (bid, f"http://x.org/{i}", cache.put(body),
                                                len(body)))
        # Articles up front: how far an interrupted `build` or `extract` got must not decide
        # whether `align` has work (with none it ends before the signal, which then kills it).
        extract_all(store, cache, ExtractOptions())
    big = home.home / "big.jsonl"
    lines = [json.dumps({"format": "indexer/1"})] + [
        json.dumps({"title": f"Note {i}", "excerpts": [f"Passage {i} " * 20]})
        for i in range(60_000)]
    big.write_text("\n".join(lines), encoding="utf-8")
    return home


@pytest.mark.parametrize("args", [  # build: align and index are still to do
    ("build", "--offline", "--no-entities"), ("import", "{big}"), ("extract", "--force"),
    ("align", "--force"), ("index", "--rebuild"),
])
def test_ctrl_c_prints_one_line_and_exits_130(busy, args):
    before = status(busy)
    args = [a.format(big=busy.home / "big.jsonl") for a in args]
    code, err = interrupt(busy, *args)
    lines = [line for line in err.splitlines() if line.startswith("interrupted")]
    assert code == 130 and len(lines) == 1 and "Traceback" not in err, err
    with Store(busy.db) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if args[0] == "align":  # one transaction per 200 excerpts: whole batches only
            assert store.conn.execute("SELECT COUNT(*) FROM alignments").fetchone()[0] % 200 == 0
    if args[0] == "import":
        assert status(busy)["bookmarks"] == before["bookmarks"]  # one file, one transaction
    with build_lock(busy):  # and no lock is left held
        pass


def test_ctrl_c_during_fetch(tmp_path):
    home = Paths(tmp_path / "fetch")
    with TestServer("127.0.0.1", latency=0.3) as srv:
        urls = [srv.route(f"/p{i}", body=b"<p>page</p>") for i in range(30)]
        export = tmp_path / "urls.jsonl"
        export.write_text("\n".join([json.dumps({"format": "indexer/1"})] + [
            json.dumps({"url": u, "title": u}) for u in urls]))
        import_files(home, [export])
        env = {**os.environ, "INDEXER_ALLOW_LOCAL": "1"}
        code, err = interrupt(home, "fetch", "--delay", "0", "--concurrency", "1", env=env,
                              when=lambda: srv.total > 0)  # a page is being fetched
        assert srv.total < len(urls)  # ... and the others never were
    lines = [line for line in err.splitlines() if line.startswith("interrupted")]
    assert code == 130 and len(lines) == 1 and "Traceback" not in err, err


# -- concurrency ------------------------------------------------------------------------------

REBUILD = ("import sys; from indexer.config import Paths; from indexer.index import build_index;"
           " p = Paths.resolve(sys.argv[1]);"
           " [build_index(p, rebuild=True) for _ in range(3)]")


def test_searches_during_rebuilds_answer_from_a_complete_index(imported, searcher):
    expected = search(imported, "").total
    proc = subprocess.Popen([sys.executable, "-c", REBUILD, str(imported.home)], cwd=ROOT)
    answers = 0
    try:
        while proc.poll() is None or answers < 5:
            assert search(imported, "", limit=1).total == expected  # never a partial index
            assert search(imported, "numérique", limit=3).total > 0
            answers += 1
    finally:
        proc.wait(timeout=300)
    assert proc.returncode == 0 and answers >= 5


def test_a_second_build_refuses_while_one_runs(capsys, imported):
    with build_lock(imported):
        code, out, err = cli(capsys, imported, "build", "--offline", "--no-entities")
        with pytest.raises(BusyError, match=f"pid {os.getpid()}"):
            with build_lock(imported):
                pass
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "another `indexer build`" in err and str(os.getpid()) in err
    code, out, err = cli(capsys, imported, "build", "--offline", "--no-entities")
    assert code == 0, err
