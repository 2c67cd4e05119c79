"""Extraction: real pages in a real cache and store, trafilatura and langdetect for real."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from indexer.cache import Cache
from indexer.extract import (
    ExtractOptions,
    copyright_year_date,
    decode_html,
    detect_language,
    extract_all,
    extract_page,
    extractor_version,
    page_text,
    status_counts,
)
from indexer.localpages import record_local_page
from indexer.progress import Lines
from indexer.records import BookmarkRecord, ParseResult
from indexer.store import Store, bookmark_id

OWN_PAGES = {  # fixture file -> what we know of it
    "extract-fr.html": "fr",
    "extract-en.html": "en",
    "extract-latin1.html": "fr",
    "extract-copyright.html": "fr",
}


def add_page(
    store: Store,
    cache: Cache,
    title: str,
    url: str | None,
    body: bytes,
    content_type: str | None = "text/html",
) -> str:
    """A bookmark with a cached body and its fetches row; returns the bookmark id."""
    rec = BookmarkRecord(title=title, url=url)
    store.import_parsed(ParseResult("test", [rec]), "test", title)
    bid = bookmark_id(rec)
    sha = cache.put(body)
    record_local_page(store.conn, bid, sha, url=url, size=len(body), content_type=content_type)
    return bid


@pytest.fixture
def own(home, fixtures):
    """A store holding our four fixture pages, and their bookmark ids by file name."""
    store, cache = Store(home.db), Cache(home.cache)
    ids = {}
    for name in OWN_PAGES:
        body = (fixtures / "pages" / name).read_bytes()
        ids[name] = add_page(store, cache, name, f"https://example.org/{name}", body)
    yield store, cache, ids
    store.close()


def article(store: Store, bid: str):
    return store.conn.execute("SELECT * FROM articles WHERE bookmark_id=?", (bid,)).fetchone()


def test_own_pages_are_extracted_with_metadata_and_language(own):
    store, cache, ids = own
    summary = extract_all(store, cache, ExtractOptions())
    assert summary.extracted == 4 and summary.statuses == {"ok": 4}
    assert summary.languages == {"fr": 3, "en": 1}
    for name, lang in OWN_PAGES.items():
        row = article(store, ids[name])
        assert row["language"] == lang and row["language_prob"] > 0.9
        assert row["extractor_version"] == extractor_version()
        assert row["text_hash"] and len(row["text"]) > 250
    fr = article(store, ids["extract-fr.html"])
    assert fr["title"] == "Les réseaux associatifs face aux centres de données"
    assert (fr["author"], fr["published"]) == ("Camille Martin", "2021-03-15")
    assert fr["site_name"] == "Journal des communs"
    assert fr["canonical_url"] == "https://journal.example.org/2021/03/reseaux-associatifs"
    # the fallback keeps what the boilerplate filter drops (menus), the main text does not
    assert "Accueil" in fr["fallback_text"] and "Accueil" not in fr["text"]
    assert "sobriété numérique" in fr["text"] and "sobriété numérique" in fr["fallback_text"]


def test_latin1_declared_in_meta_is_decoded(own):
    store, cache, ids = own
    extract_all(store, cache, ExtractOptions())
    row = article(store, ids["extract-latin1.html"])
    assert "élèves de l'école élémentaire" in row["text"]
    assert "\ufffd" not in row["text"] and "Ã" not in row["text"]


def test_copyright_year_is_not_a_publication_date(own, fixtures):
    store, cache, ids = own
    extract_all(store, cache, ExtractOptions())
    assert article(store, ids["extract-copyright.html"])["published"] is None
    # the safety net, should a date come back as 1 January of the copyright year
    assert copyright_year_date("2019-01-01", "Menu\n© 2019 Collectif Exemple")
    assert copyright_year_date("2019-01-01", "Copyright 2012-2019 Exemple")
    assert not copyright_year_date("2019-01-01", "Publié le 1er janvier 2019")
    assert not copyright_year_date("2019-03-04", "© 2019 Collectif Exemple")


def test_second_run_is_incremental_and_a_new_version_reextracts(own):
    store, cache, ids = own
    extract_all(store, cache, ExtractOptions())
    again = extract_all(store, cache, ExtractOptions())
    assert (again.pending, again.extracted, again.up_to_date) == (0, 0, 4)
    store.conn.execute(
        "UPDATE articles SET extractor_version='trafilatura 0.0.1; indexer-extract 0'"
        " WHERE bookmark_id=?",
        (ids["extract-en.html"],),
    )
    stale = extract_all(store, cache, ExtractOptions())
    assert (stale.extracted, stale.up_to_date) == (1, 3)
    forced = extract_all(store, cache, ExtractOptions(force=True))
    assert forced.extracted == 4


def test_a_changed_body_is_reextracted(own, fixtures):
    store, cache, ids = own
    extract_all(store, cache, ExtractOptions())
    bid = ids["extract-en.html"]
    body = (fixtures / "pages" / "extract-fr.html").read_bytes()
    record_local_page(store.conn, bid, cache.put(body), url="https://example.org/x")
    summary = extract_all(store, cache, ExtractOptions())
    assert summary.extracted == 1 and article(store, bid)["language"] == "fr"


def test_not_html_tiny_empty_and_missing_bodies(home):
    store, cache = Store(home.db), Cache(home.cache)
    pdf = add_page(
        store, cache, "pdf", "https://e.org/a.pdf", b"%PDF-1.4\n%\xe2\xe3", "application/pdf"
    )
    binary = add_page(store, cache, "bin", "https://e.org/b", b"\x89PNG\r\n\x00\x00", None)
    tiny = add_page(
        store,
        cache,
        "tiny",
        "https://e.org/t",
        b"<html><body><article><p>Trop court pour un article.</p></article></body></html>",
    )
    empty = add_page(store, cache, "empty", "https://e.org/e", b"<html><body></body></html>")
    gone = add_page(store, cache, "gone", "https://e.org/g", b"<html>will vanish</html>")
    cache.path_for(
        store.conn.execute("SELECT sha256 FROM fetches WHERE bookmark_id=?", (gone,)).fetchone()[0]
    ).unlink()
    summary = extract_all(store, cache, ExtractOptions())
    assert summary.statuses == {"not_html": 2, "tiny": 1, "empty": 1}
    assert summary.missing_body == [gone] and article(store, gone) is None
    assert (
        article(store, pdf)["status"] == "not_html"
        and article(store, binary)["status"] == "not_html"
    )
    assert article(store, tiny)["status"] == "tiny" and article(store, tiny)["language"] == "und"
    assert article(store, empty)["status"] == "empty" and article(store, empty)["text"] == ""
    assert {p[1] for p in summary.problems} == {"not_html", "tiny", "empty"}
    assert status_counts(store) == {"ok": 0, "tiny": 1, "empty": 1, "not_html": 2, "error": 0}
    store.close()


def test_failed_fetches_are_not_extracted(home):
    store, cache = Store(home.db), Cache(home.cache)
    bid = add_page(store, cache, "failed", "https://e.org/404", b"<html>Not found</html>")
    store.conn.execute("UPDATE fetches SET error='http_404' WHERE bookmark_id=?", (bid,))
    summary = extract_all(store, cache, ExtractOptions())
    assert summary.pending == 0 and article(store, bid) is None
    store.close()


def test_two_workers_store_the_same_rows_as_one(own, tmp_path):
    store, cache, _ = own
    extract_all(store, cache, ExtractOptions())
    cols = "bookmark_id, status, text, fallback_text, title, author, published, language, language_prob"
    one = store.conn.execute(f"SELECT {cols} FROM articles ORDER BY bookmark_id").fetchall()
    log = io.StringIO()
    extract_all(store, cache, ExtractOptions(workers=2, force=True, batch_size=2),
                progress=Lines(log, every=2))
    two = store.conn.execute(f"SELECT {cols} FROM articles ORDER BY bookmark_id").fetchall()
    assert [tuple(r) for r in one] == [tuple(r) for r in two]
    lines = log.getvalue().splitlines()
    assert lines[0] == "extract: 4 pages to do" and lines[-1].startswith("extract: 4/4 pages")


def test_decoding_order():
    latin = "<p>Éléphant</p>".encode("latin-1")
    meta = b'<meta charset="iso-8859-1">' + latin
    assert decode_html(meta) == ('<meta charset="iso-8859-1"><p>Éléphant</p>', "cp1252")
    # the HTTP header wins over the meta tag
    assert decode_html("<meta charset='iso-8859-1'>é".encode(), "utf-8")[1] == "utf-8"
    assert decode_html(b"\xef\xbb\xbf<p>\xc3\xa9</p>") == ("<p>é</p>", "utf-8")
    # utf-8 declared on Latin-1 bytes: detection, not an exception
    sentence = (
        "Mercredi, une vingtaine d'élèves de l'école élémentaire ont été accueillis dans"
        " les locaux de l'association pour une journée consacrée aux réseaux."
    )
    text, used = decode_html(b'<meta charset="utf-8"><p>' + sentence.encode("latin-1"))
    assert used == "cp1252" and sentence in text


def test_page_text_has_one_line_per_block_and_no_scripts():
    from trafilatura.utils import load_html

    tree = load_html(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<div>Un<b>deux</b></div><p>trois  quatre</p><script>var x;</script>"
        "<ul><li>cinq</li><li>six</li></ul>fin</body></html>"
    )
    assert page_text(tree) == "Undeux\ntrois quatre\ncinq\nsix\nfin"


def test_page_text_is_the_page_as_a_browser_renders_it():
    from trafilatura.utils import load_html

    tree = load_html(
        "<html><body><p>«&nbsp; c’est\n   un   lieu&nbsp;»</p><div hidden>menu</div>"
        "<p style='color: red; display : none'>caché</p><p>35&nbsp;heures\t et demie</p>"
        "</body></html>"
    )
    # source line breaks and space runs fold to one space; no-break spaces stay characters
    assert page_text(tree) == "«\u00a0 c’est un lieu\u00a0»\n35\u00a0heures et demie"


def test_language_is_deterministic_and_und_when_short():
    text = "Le conseil municipal a voté la création d'un réseau de chaleur alimenté par le centre."
    assert detect_language(text, min_chars=20) == detect_language(text, min_chars=20)
    assert detect_language(text, min_chars=20)[0] == "fr"
    assert detect_language("Bonjour à tous") == ("und", None)
    assert extract_page(b"not html at all", "image/png").status == "not_html"


def test_cli_extract_prints_a_summary(own, home):
    store, _, _ = own
    store.close()
    cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), "extract"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "extracted 4 of 4 pending" in out.stdout and "status: ok 4" in out.stdout
    assert "language: fr 3, en 1" in out.stdout
    again = subprocess.run(cmd + ["--format", "json"], capture_output=True, text=True, timeout=300)
    assert json.loads(again.stdout)["up_to_date"] == 4
    bad = subprocess.run(cmd + ["--workers", "0"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0


# -- the 98 real pages of ../shared/corpus/html --------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_real_pages_extracted_with_the_manifest_languages(shared, home):
    html = shared("corpus", "html")
    with open(html / "MANIFEST.tsv", encoding="utf-8") as fh:
        manifest = list(csv.DictReader(fh, delimiter="\t"))
    store, cache = Store(home.db), Cache(home.cache)
    ids = {
        row["file"]: add_page(
            store,
            cache,
            row["title"] or row["file"],
            row["original_url"],
            (html / row["file"]).read_bytes(),
        )
        for row in manifest
    }
    summary = extract_all(store, cache, ExtractOptions(workers=2))
    assert summary.extracted == len(manifest) == 98
    cols = "bookmark_id, status, text_hash, language, language_prob, published, title"
    first = {r[0]: tuple(r) for r in store.conn.execute(f"SELECT {cols} FROM articles")}
    wrong = []
    for row in manifest:
        got = article(store, ids[row["file"]])
        assert got is not None, row["file"]
        if row["language"] in ("fr", "en") and got["language"] != row["language"]:
            wrong.append((row["file"], row["language"], got["language"]))
        if row["language"] == "fr":
            assert got["text"].strip(), f"{row['file']}: empty French text"
    assert wrong == []
    # langdetect reads the middle LANG_SAMPLE characters of a long text: on every real page it
    # says what it says of the whole text
    from langdetect import DetectorFactory, detect_langs

    from indexer.languages import LANG_SAMPLE

    long = [r for r in store.conn.execute("SELECT text, language FROM articles")
            if len(r[0]) > LANG_SAMPLE]
    DetectorFactory.seed = 0
    assert len(long) > 80
    assert [lang for _, lang in long] == [detect_langs(text)[0].lang for text, _ in long]
    # deterministic: a second, forced run stores the same language, probability and text
    extract_all(store, cache, ExtractOptions(workers=2, force=True))
    second = {r[0]: tuple(r) for r in store.conn.execute(f"SELECT {cols} FROM articles")}
    assert second == first
    store.close()
