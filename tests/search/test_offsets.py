"""One source of truth for where an excerpt sits: an excerpt found only outside the article's
main text has offsets in the whole page's text, and every reader cuts that text (the bug:
`show`, the search context and the notebooks cut the main text at those offsets)."""

from __future__ import annotations

import re

import pytest
from conftest import SEED

from indexer import explore
from indexer.align import align_all
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.search import search, show
from indexer.store import Store, now_iso

MAIN = ("Plus récemment, une « liste de revues », cette fois clairement hiérarchisée, a été "
        "publiée. Elle sert d'outil de pilotage et non pas un moyen de classement aveugle. ")
def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


PAGE_BEFORE = "Menu Accueil Recherche. Encadré : "
PAGE_AFTER = " Fin de l'encadré. " + MAIN + " Pied de page."


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """The bundled export; one excerpt's article has it only in the page's sidebar."""
    from indexer.config import Paths

    home = Paths(tmp_path_factory.mktemp("outside"))
    import_files(home, [SEED])
    with Store(home.db) as store:
        eid, bid, text = store.conn.execute(
            "SELECT id, bookmark_id, text FROM excerpts ORDER BY bookmark_id, seq LIMIT 1"
        ).fetchone()
        page = PAGE_BEFORE + text + PAGE_AFTER
        with store.transaction() as conn:
            conn.execute("UPDATE bookmarks SET url = 'https://exemple.org/a' WHERE id = ?", (bid,))
            conn.execute(
                "INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text,"
                " fallback_text, title, language, extracted_at)"
                " VALUES (?, 'x', 'test', 'ok', ?, ?, 'Titre', 'fr', ?)",
                (bid, MAIN * 3, page, now_iso()))
        align_all(store)  # the real aligner places it, in the page's text
        row = store.conn.execute('SELECT start, "end", in_main_text FROM alignments'
                                 " WHERE excerpt_id = ?", (eid,)).fetchone()
    assert row["in_main_text"] == 0 and page[row["start"]:row["end"]] == text
    for engine in ("whoosh", "tantivy"):
        build_index(home, engine=engine)
    return home, eid, text


def test_show_cuts_the_page_text(outside):
    home, eid, text = outside
    view = show(home, eid, context=20)
    assert view.before == PAGE_BEFORE[-20:] and view.after == PAGE_AFTER[:20]


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_the_search_context_is_the_page_text(outside, engine):
    home, eid, _ = outside
    hit = next(h for h in search(home, "", scope="excerpts", limit=100, context=20,
                                 engine=engine).hits if h.row["id"] == eid)
    assert hit.context_before == PAGE_BEFORE[-20:] and hit.context_after == PAGE_AFTER[:20]


def test_the_notebooks_read_the_page_text(outside):
    home, eid, text = outside
    row = explore.in_context(home, eid, width=20).iloc[0]
    assert row["before"] == squash(PAGE_BEFORE[-20:]) and row["after"] == squash(PAGE_AFTER[:20])
    assert row["excerpt"] == " ".join(text.split())
    word = text.split()[0]
    lines = explore.kwic(home, word, width=30)
    mine = lines[lines["id"] == eid]
    assert not mine.empty and set(mine["source"]) == {"article"}


@pytest.mark.shared
def test_a_real_hypothesis_highlight_outside_the_main_text(shared, tmp_path):
    """The real Hypothesis sample: "11 November 2016" sits in the page's footer, outside the
    main text; through import, the saved page, extract and align, every reader shows it in
    the page's own text around it."""
    from indexer.cache import Cache
    from indexer.config import Paths
    from indexer.extract import extract_all
    from indexer.localpages import import_local_pages

    folder = shared("corpus", "formats", "hypothesis_api_search_json")
    home = Paths(tmp_path / "home")
    import_files(home, [folder / "wikipedia-regression-testing.json"])
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "page.html").write_bytes((folder / "wikipedia-regression-testing.html").read_bytes())
    with Store(home.db) as store:
        import_local_pages(store, Cache(home.cache), pages)
        extract_all(store, Cache(home.cache))
        align_all(store)
        eid, start, end, main, page = store.conn.execute(
            'SELECT e.id, a.start, a."end", ar.text, ar.fallback_text FROM excerpts e'
            " JOIN alignments a ON a.excerpt_id = e.id JOIN articles ar USING (bookmark_id)"
            " WHERE e.text = '11 November 2016' AND a.in_main_text = 0").fetchone()
    assert page[start:end] == "11 November 2016" and main[start:end] != "11 November 2016"
    view = show(home, eid, context=30)
    assert view.before == page[start - 30:start] and view.after == page[end:end + 30]
    build_index(home)
    hit = next(h for h in search(home, "", scope="excerpts", limit=100, context=30).hits
               if h.row["id"] == eid)
    assert (hit.context_before, hit.context_after) == (view.before, view.after)
