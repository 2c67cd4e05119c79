"""The reading room in a real browser: Debian's headless Chromium, driven by selenium, over a
server started here on loopback (skipped, with the reason, where Chromium is absent).

The DOM as rendered is what is checked: the text of each highlight, the narrowing a click on
a facet makes (against the CLI's counts for the same filter), the scroll to an excerpt, the
console, and scripts that hostile exports try to run. The screenshots in docs/img come from
here (``make screenshots`` writes them there; otherwise they go to a temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from browser import Browser, require_browser
from conftest import ROOT, SEED, SHARED, run_in_process
from readingset import PAYLOAD, hostile_home, real_pages_home
from webserver import Reader

from indexer.align import align_all
from indexer.config import Paths
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.store import Store

SHOTS = ROOT / "docs" / "img"


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with Browser(width=1280, height=900) as b:
        yield b


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled export as `make demo` leaves it (no URLs: its excerpts are orphans)."""
    home = Paths(tmp_path_factory.mktemp("bundled-browser"))
    import_files(home, [SEED])
    with Store(home.db) as store:
        align_all(store)
    detect_languages(home)
    build_index(home)
    with Reader(home) as reader:
        yield home, reader


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if not (SHARED / "corpus" / "html").is_dir():
        pytest.skip(f"needs the real pages of ../shared/corpus/html ({SHARED} is absent)")
    built = real_pages_home(tmp_path_factory.mktemp("reading-browser"),
                            SHARED / "corpus" / "html", engines=("whoosh",))
    with Reader(built.home) as reader:
        yield built, reader


def console_errors(b: Browser) -> list[str]:
    return [e["message"] for e in b.driver.get_log("browser") if e["level"] == "SEVERE"]


def total(b: Browser) -> int:
    return int(b.run("return document.getElementById('summary').dataset.total"))


def click(b: Browser, selector: str) -> None:
    """Click the first element ``selector`` selects, and let the page it opens load."""
    from selenium.webdriver.common.by import By

    b.driver.find_element(By.CSS_SELECTOR, selector).click()
    b.wait_for("return document.readyState === 'complete'")


def test_search_shows_hits_and_a_facet_click_narrows_as_the_cli(browser, bundled, capsys):
    home, reader = bundled
    browser.open(reader.url("/?q=plateforme"))
    assert total(browser) > 0 and browser.run("return document.querySelectorAll('li.hit').length")
    value = browser.run("return document.querySelector('section[data-facet=site] a')"
                        ".dataset.value")
    before = browser.run("return location.href")
    click(browser, "section[data-facet=site] a")
    browser.wait_for(f"return location.href !== {json.dumps(before)}")
    code, out, _ = run_in_process(capsys, home, "search", "plateforme", "--site", value,
                                  "--format", "json")
    cli = json.loads(out)
    assert code == 0 and total(browser) == cli["total"]
    for name, counts in cli["facets"].items():
        shown = browser.run(
            "return Array.from(document.querySelectorAll("
            f"'section[data-facet={name}] li')).map(li => [li.querySelector('a').dataset.value,"
            " Number(li.querySelector('.count').textContent)])")
        assert shown == [list(vc) for vc in counts][:len(shown)], name
    assert browser.run("return document.querySelector('li.selected a').dataset.value") == value
    assert not console_errors(browser)


@pytest.mark.shared
def test_article_highlights_are_the_matched_text(browser, real):
    built, reader = real
    with Store(built.home.db) as store:
        rows = [dict(r) for r in store.conn.execute(
            "SELECT e.id, e.bookmark_id, a.matched_text, a.in_main_text, a.method FROM excerpts e"
            " JOIN alignments a ON a.excerpt_id = e.id WHERE a.method IN ('exact', 'fuzzy')")]
    assert any(not r["in_main_text"] for r in rows) and any(r["method"] == "fuzzy" for r in rows)
    for bid in sorted({r["bookmark_id"] for r in rows}):
        browser.open(reader.url(f"/b/{bid}"))
        for r in (r for r in rows if r["bookmark_id"] == bid):
            where = "section.text" if r["in_main_text"] else "section.passages"
            shown = browser.run(
                f"return Array.from(document.querySelectorAll('{where} mark')).filter(m => "
                "m.dataset.excerpts.split(' ').includes(arguments[0])).map(m => m.textContent)"
                ".join('')", r["id"])
            assert shown == r["matched_text"], (bid, r["id"])
            if r["method"] == "fuzzy":
                assert browser.run("return document.getElementById(arguments[0])"
                                   ".classList.contains('fuzzy')", f"x-{r['id']}")
        assert not console_errors(browser), bid


def test_a_hit_opens_its_article_at_the_excerpt(browser, bundled):
    home, reader = bundled
    browser.open(reader.url("/?q=numérique&in=excerpts"))
    hit = browser.run("return document.querySelector('li.hit').dataset.id")
    click(browser, "li.hit a.title")
    browser.wait_for("return location.pathname.startsWith('/b/')")
    assert browser.run("return location.hash") == f"#x-{hit}"
    top = browser.run(f"return document.getElementById('x-{hit}').getBoundingClientRect().top")
    assert 0 <= top < browser.run("return window.innerHeight")
    assert browser.run("return document.querySelector(':target').id") == f"x-{hit}"
    assert not console_errors(browser)


def test_hostile_home_runs_no_script_and_shows_the_text(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    built = hostile_home(tmp_path / "hostile")
    with Store(built.home.db) as store:
        ids = [b for (b,) in store.conn.execute("SELECT id FROM bookmarks ORDER BY id")]
    with Reader(built.home) as reader:
        for path in ["/?q=plateformes&in=all", *(f"/b/{b}" for b in ids)]:
            browser.open(reader.url(path))
            for el in browser.driver.find_elements(By.CSS_SELECTOR, "h1, .title, mark, .tag, "
                                                   "dd, .note p, .comment, .hit .meta"):
                ActionChains(browser.driver).move_to_element(el).perform()  # onmouseover
            assert browser.run("return window.__pwned") is None, path
            assert browser.run("return document.scripts.length") == 0
            text = browser.inner_text()
            assert "<script>" in text or "<img" in text or "plateformes data" in text, path
        browser.open(reader.url("/?q=plateformes&in=all"))
        assert f"<script>{PAYLOAD}</script>" in browser.inner_text()


def test_pages_work_without_javascript(bundled):
    require_browser()
    home, reader = bundled
    with Browser(javascript=False) as b:
        b.open(reader.url("/?q=plateforme"))
        before = total(b)
        click(b, "section[data-facet=site] a")
        b.wait_for("return document.querySelector('li.selected') !== null")
        assert 0 < total(b) <= before


def _shoot(b: Browser, name: str, tmp_path) -> None:
    path = tmp_path / name
    b.driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a page, not a blank
    if os.environ.get("INDEXER_SCREENSHOTS") == "docs":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SHOTS / name)


def test_screenshots(bundled, real, tmp_path):
    """The README's pictures: a search and an article page of the bundled export's home, and
    an article of real pages with its highlights."""
    require_browser()
    home, reader = bundled
    with Browser(width=1280, height=860) as b:
        b.open(reader.url("/?q=plateforme"))
        _shoot(b, "reader-search.png", tmp_path)
        first = b.run("return document.querySelector('li.hit a.title').getAttribute('href')")
        b.open(reader.url(first.split("#")[0]))
        _shoot(b, "reader-article.png", tmp_path)
        built, real_reader = real
        with Store(built.home.db) as store:
            bid, eid = store.conn.execute(
                "SELECT e.bookmark_id, e.id FROM excerpts e JOIN alignments a"
                " ON a.excerpt_id = e.id WHERE a.method = 'fuzzy' AND a.in_main_text"
                " ORDER BY e.bookmark_id LIMIT 1").fetchone()
        b.open(real_reader.url(f"/b/{bid}#x-{eid}"))
        _shoot(b, "reader-highlights.png", tmp_path)
