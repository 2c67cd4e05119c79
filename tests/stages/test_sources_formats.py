"""The Diigo CSV, Diigo API, Hypothesis and native importers, on real samples and our fixtures.

Real samples come from ../shared (skipped when absent); the small fixtures in tests/fixtures
are ours. Imports go through :func:`indexer.ingest.import_files` into a real SQLite store.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3

import pytest

from indexer.ingest import import_files
from indexer.sources import detect, diigo_api, diigo_csv, hypothesis, load, native
from indexer.sources.diigo_csv import split_annotations
from indexer.sources.htmltext import html_to_text, inline_text

CSV_SAMPLE = ("corpus", "formats", "diigo_csv", "802697_csv_2024_05_08_9389e.csv")
API_SAMPLE = ("corpus", "formats", "diigo_api_v2_json", "jasalt.json")
HYP_SAMPLE = ("corpus", "formats", "hypothesis_api_search_json",
              "wikipedia-regression-testing.json")

# Left-over markup: a tag, an entity, or Diigo's highlighter CSS.
TAG = re.compile(r"<[a-zA-Z/][^<>]*>")
ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")
DIIGO_JUNK = re.compile(r"dummybodyid|diigolet")
# Tags an HTML fragment would carry (a literal `<EOT>` in a highlight of a shell session is text).
HTML_TAG = re.compile(r"</?(?:a|p|div|span|strong|em|b|i|br|li|ul|img|style|link|meta)\b[^<>]*>")


def db(home) -> sqlite3.Connection:
    conn = sqlite3.connect(home.db)
    conn.row_factory = sqlite3.Row
    return conn


def counts(home) -> tuple[int, int, int]:
    with db(home) as conn:
        return tuple(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("bookmarks", "excerpts", "notes")
        )


def stored_texts(home):
    """(kind, text) of every title, description, excerpt, comment and note in the store."""
    with db(home) as conn:
        for kind, sql in (
            ("title", "SELECT title FROM bookmarks"),
            ("description", "SELECT description FROM bookmarks"),
            ("excerpt", "SELECT text FROM excerpts"),
            ("comment", "SELECT comment FROM excerpts WHERE comment IS NOT NULL"),
            ("note", "SELECT text FROM notes"),
        ):
            for (text,) in conn.execute(sql):
                yield kind, text


# -- real samples -------------------------------------------------------------------------


def test_real_diigo_csv_counts_and_clean_text(shared, home):
    path = shared(*CSV_SAMPLE)
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    entries = [e for row in rows for e in split_annotations(row["annotations"])]
    kinds = [kind for kind, _ in entries]
    # The figures Diigo's file gives: rows and prefixed lines.
    assert len(rows) == 8044
    assert (kinds.count("highlight"), kinds.count("sticky")) == (2764, 355)
    # One URL is listed twice (rows at lines 10926-10927, as grep -n shows): one bookmark.
    urls = [row["url"] for row in rows]
    assert len(set(urls)) == 8043 and urls.count("http://monitter.com") == 2

    [summary] = import_files(home, [path])
    assert summary.format == "diigo-csv"
    # 2,764 highlight lines = 2,745 stored + 18 empty in the export + 1 nothing but junk.
    assert counts(home) == (8043, 2745, 355)
    assert any("18 highlight line(s) skipped, empty in the export" in w for w in summary.warnings)
    assert any("1 highlight line(s) skipped, only Diigo's injected markup" in w
               for w in summary.warnings)
    assert [w for w in summary.warnings if "already listed" in w] == [
        "line 10927: URL http://monitter.com already listed at line 10926,"
        " merged into one bookmark"]
    for kind, stored in stored_texts(home):
        assert not TAG.search(stored), (kind, stored[:200])
        assert not ENTITY.search(stored), (kind, stored[:200])
        assert not DIIGO_JUNK.search(stored), (kind, stored[:200])
    with db(home) as conn:
        created = conn.execute("SELECT created_at FROM bookmarks WHERE url=?",
                               ("https://valhalladsp.wordpress.com/tag/lexicon-224/",)).fetchone()
        monitter_tags = {r[0] for r in conn.execute(
            "SELECT tag FROM tags JOIN bookmarks ON bookmarks.id = bookmark_id WHERE url=?",
            ("http://monitter.com",))}
    assert created[0] == "2024-05-08T05:36:43"
    assert {"tools", "twitter", "echtzeit", "monitoring"} <= monitter_tags


def test_real_diigo_api_counts(shared, home):
    path = shared(*API_SAMPLE)
    [summary] = import_files(home, [path])
    assert summary.format == "diigo-api"
    assert counts(home)[:2] == (1523, 985)
    with db(home) as conn:
        row = conn.execute("SELECT created_at, updated_at FROM bookmarks WHERE url=?",
                           ("https://github.com/codebox/reading-list-mover",)).fetchone()
        assert tuple(row) == ("2016-02-21T18:57:44+00:00", "2016-02-21T18:57:44+00:00")
        tags = {r[0] for r in conn.execute("SELECT tag FROM tags")}
        commented = conn.execute(
            "SELECT comment FROM excerpts WHERE comment IS NOT NULL").fetchall()
        annotators = {r[0] for r in conn.execute("SELECT DISTINCT annotator FROM excerpts")}
    assert "bookmark management" in tags  # one comma string, tags with spaces kept whole
    assert [r[0] for r in commented] == ["Usuko-tutkimussuunnitelman näkökulmasta tärkeä"]
    assert annotators == {"jasalt"}
    for kind, stored in stored_texts(home):
        assert not HTML_TAG.search(stored), (kind, stored[:200])
        assert not ENTITY.search(stored), (kind, stored[:200])


def test_real_hypothesis_rows_keep_their_selectors(shared, home):
    path = shared(*HYP_SAMPLE)
    raw = json.loads(path.read_text(encoding="utf-8"))["rows"]
    [summary] = import_files(home, [path])
    assert summary.format == "hypothesis"
    assert counts(home) == (1, 5, 0)  # five rows on one page: one bookmark, five excerpts
    with db(home) as conn:
        stored = {r["source_id"]: r for r in conn.execute("SELECT * FROM excerpts")}
        title = conn.execute("SELECT title, url FROM bookmarks").fetchone()
    assert tuple(title) == ("Regression testing - Wikipedia",
                            "https://en.wikipedia.org/wiki/Regression_testing")
    assert set(stored) == {row["id"] for row in raw}
    for row in raw:
        sel = {s["type"]: s for s in row["target"][0]["selector"]}
        got = stored[row["id"]]
        quote, pos = sel["TextQuoteSelector"], sel["TextPositionSelector"]
        assert (got["text"], got["prefix"], got["suffix"]) == (
            quote["exact"], quote["prefix"], quote["suffix"])
        assert (got["hint_start"], got["hint_end"]) == (pos["start"], pos["end"])
        assert (got["annotator"], got["comment"]) == ("mark", row["text"])
    heading = stored["rvTr_MOBEeaQl9tXcHfSkw"]
    assert (heading["hint_start"], heading["hint_end"]) == (33, 51)
    assert heading["suffix"].startswith("\n\t\t\t")  # context kept byte for byte


# -- our fixtures -------------------------------------------------------------------------


def test_diigo_csv_fixture_html_junk_and_notes(fixtures):
    _, parsed = load(fixtures / "diigo_small.csv")
    first, plain, third = parsed.records
    assert first.title == "Les communs numériques & l'État"
    assert first.line == 2 and plain.line == 10 and third.line == 11
    assert first.tags == ["communs", "numérique", "état"]
    assert first.created_at == "2024-05-08T05:36:43"
    assert first.description == "Une synthèse sur les communs.\nDeuxième ligne de la description."
    assert [e.text for e in first.excerpts] == [
        "Les communs numériques sont des ressources partagées\u00a0: logiciels, données,"
        " savoirs.",
        "La gouvernance repose sur la communauté\nqui les entretient au quotidien.",
        "L\u2019État a un rôle de garant.",  # the <style>/<link>/<meta> junk before it dropped
    ]
    assert [n.text for n in first.notes] == ["À relire pour la note de synthèse."]
    assert [e.text for e in third.excerpts] == ["Le bénévolat recule dans les grandes villes."]
    assert [n.text for n in third.notes] == ["Chiffres de 2019,\nà vérifier."]
    assert parsed.warnings == [
        "1 highlight line(s) skipped, empty in the export (rows at lines 2)",
        "1 highlight line(s) skipped, only Diigo's injected markup (rows at lines 11)",
    ]


def test_diigo_csv_with_crlf_line_ends_reads_the_same(fixtures, tmp_path):
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes((fixtures / "diigo_small.csv").read_bytes().replace(b"\n", b"\r\n"))
    _, parsed = load(crlf)
    _, plain = load(fixtures / "diigo_small.csv")
    assert parsed.records == plain.records


def test_native_header_wins_over_a_quoted_rows_key(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text('{"format": "indexer/1"}\n'
                    '{"title": "t", "description": "\\"rows\\": [ \\"uri\\": x"}\n',
                    encoding="utf-8")
    assert detect(path.read_text(encoding="utf-8")) is native


def test_diigo_api_fixture(fixtures):
    _, parsed = load(fixtures / "diigo_api_small.json")
    data, shell, empty = parsed.records
    assert (data.line, shell.line, empty.line) == (2, 14, 21)
    assert data.title == "Les données ouvertes & la ville"
    assert data.tags == ["open data", "ville", "données publiques"]
    assert data.annotator == "camille" and data.updated_at == "2019-03-02T11:30:00+00:00"
    assert [e.text for e in data.excerpts] == [
        "La donnée ouverte est un bien commun.", "Publier ne suffit pas :\nil faut documenter."]
    assert [e.comment for e in data.excerpts] == [None, "Point clé du rapport"]
    assert shell.excerpts[0].text == "at> make all\nat> <EOT>"  # escaped text, not markup
    assert empty.excerpts == [] and empty.tags == []


def test_hypothesis_fixture_page_note_and_merge(fixtures, home):
    _, parsed = load(fixtures / "hypothesis_small.json")
    quote, page_note, other = parsed.records
    assert quote.annotator == "lea" and quote.line == 4
    ex = quote.excerpts[0]
    assert (ex.text, ex.prefix, ex.suffix) == (
        "Un commun est une ressource", "Introduction.\n", " gérée collectivement")
    assert (ex.hint_start, ex.hint_end, ex.source_id, ex.comment) == (
        120, 147, "hyp-aaa-1", "Définition utile")
    assert page_note.excerpts == [] and [n.text for n in page_note.notes] == [
        "Une note sur toute la page."]
    assert other.excerpts[0].hint_start is None and other.excerpts[0].comment is None
    import_files(home, [fixtures / "hypothesis_small.json"])
    assert counts(home) == (2, 2, 1)  # the two rows on one uri are one bookmark
    with db(home) as conn:
        tags = {r[0] for r in conn.execute("SELECT tag FROM tags")}
    assert tags == {"communs", "définition", "à lire"}


def test_native_jsonl_and_csv_say_the_same(fixtures):
    _, jsonl = load(fixtures / "native_small.jsonl")
    _, table = load(fixtures / "native_small.csv")
    assert jsonl.format == table.format == "native"
    first_j, first_c = jsonl.records[0], table.records[0]
    for field in ("url", "title", "annotator", "tags", "description", "created_at"):
        assert getattr(first_j, field) == getattr(first_c, field), field
    assert [(e.text, e.comment) for e in first_j.excerpts] == [
        (e.text, e.comment) for e in first_c.excerpts]
    assert [n.text for n in first_j.notes] == [n.text for n in first_c.notes]
    no_url = jsonl.records[1]
    assert no_url.url is None and no_url.group == "QN2019"
    ex = no_url.excerpts[0]
    assert (ex.prefix, ex.suffix) == ("Ordre du jour : ", " Fin.")
    assert (ex.hint_start, ex.hint_end) == (17, 43)
    assert table.records[1].excerpts == [] and table.records[1].line == 4


FIXTURE_FORMATS = [
    ("diigo_small.csv", diigo_csv),
    ("diigo_api_small.json", diigo_api),
    ("hypothesis_small.json", hypothesis),
    ("native_small.jsonl", native),
    ("native_small.csv", native),
]


@pytest.mark.parametrize("name, module", FIXTURE_FORMATS)
def test_detected_by_content_not_by_name(fixtures, tmp_path, name, module):
    misleading = tmp_path / "x.txt"
    shutil.copy(fixtures / name, misleading)
    assert detect(misleading.read_text(encoding="utf-8")) is module
    assert load(misleading)[1].format == module.NAME


@pytest.mark.parametrize("parts, module", [(CSV_SAMPLE, diigo_csv), (API_SAMPLE, diigo_api),
                                           (HYP_SAMPLE, hypothesis)])
def test_real_samples_detected_under_a_misleading_name(shared, tmp_path, parts, module):
    misleading = tmp_path / "x.txt"
    shutil.copy(shared(*parts), misleading)
    assert detect(misleading.read_text(encoding="utf-8")) is module


@pytest.mark.parametrize("name", [name for name, _ in FIXTURE_FORMATS])
def test_reimport_changes_nothing(fixtures, home, name):
    [first] = import_files(home, [fixtures / name])
    before = counts(home)
    [second] = import_files(home, [fixtures / name])
    assert counts(home) == before
    assert first.bookmarks_new > 0
    assert (second.bookmarks_new, second.bookmarks_updated, second.excerpts_new,
            second.notes_new) == (0, 0, 0, 0)
    assert second.bookmarks_unchanged == first.bookmarks_new


def test_newer_diigo_csv_export_updates_in_place(fixtures, home, tmp_path):
    import_files(home, [fixtures / "diigo_small.csv"])
    before = counts(home)
    newer = tmp_path / "newer.csv"
    text = (fixtures / "diigo_small.csv").read_text(encoding="utf-8")
    text = text.replace('"A page without annotations"', '"A page, renamed"')
    text = text.replace("Highlight:Le bénévolat recule dans les grandes villes.\n",
                        "Highlight:Le bénévolat recule dans les grandes villes.\n"
                        "Highlight:Les jeunes s'engagent <em>autrement</em>.\n")
    newer.write_text(text, encoding="utf-8")
    [summary] = import_files(home, [newer])
    assert counts(home) == (before[0], before[1] + 1, before[2])
    assert (summary.bookmarks_new, summary.bookmarks_updated, summary.excerpts_new) == (0, 1, 1)
    with db(home) as conn:
        titles = {r[0] for r in conn.execute("SELECT title FROM bookmarks")}
        texts = [r[0] for r in conn.execute(
            "SELECT text FROM excerpts JOIN bookmarks b ON b.id = bookmark_id"
            " WHERE b.url='https://exemple.org/benevolat' ORDER BY seq")]
    assert "A page, renamed" in titles and "A page without annotations" not in titles
    assert texts == ["Le bénévolat recule dans les grandes villes.",
                     "Les jeunes s'engagent autrement."]


def test_newer_diigo_api_export_updates_in_place(fixtures, home, tmp_path):
    import_files(home, [fixtures / "diigo_api_small.json"])
    data = json.loads((fixtures / "diigo_api_small.json").read_text(encoding="utf-8"))
    data[2]["title"] = "Sans annotation (v2)"
    data[2]["annotations"].append({"content": "Nouveau <b>passage</b>", "user": "camille",
                                   "created_at": "2019/01/01 00:00:00 +0000", "comments": []})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    [summary] = import_files(home, [newer])
    assert counts(home)[:2] == (3, 4)
    assert (summary.bookmarks_new, summary.bookmarks_updated, summary.excerpts_new) == (0, 1, 1)


# -- html to text -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, text", [
    ("a <strong>b</strong> c", "a b c"),
    ("one<br>two<br><br>three", "one\ntwo\n\nthree"),
    ("<p>un</p>\n   <p>deux</p>", "un\ndeux"),
    ("l&#39;État &amp; co&nbsp;!", "l'État & co\u00a0!"),
    ("&amp;pound;400", "£400"),  # escaped twice by the exporter
    ("a < b and c > d", "a < b and c > d"),  # no tag: plain text
    ("<Erfolgreich trotz Krise", "<Erfolgreich trotz Krise"),
    ("line one\nline two", "line one\nline two"),  # plain text keeps its lines
    ('<style id="diigolet-chrome-css">body#dummybodyid .x{a:b}', ""),  # cut-off junk
    ("<head><title>Page</title><meta charset=utf-8></head>Text", "Text"),
    ("body#dummybodyid .diigolet{color:#000;}\nReal", "Real"),
    ("<script>var x = '<b>';</script>kept", "kept"),
    ("<p>Code:</p><pre>make\n  all</pre>", "Code:\nmake\nall"),
    ("if x:\n    y()  \n", "if x:\n    y()"),  # plain text keeps its indents
])
def test_html_to_text(raw, text):
    assert html_to_text(raw) == text


def test_inline_text_is_one_line():
    assert inline_text("Jan on Twitter: &quot;a&#10;&#10;b&quot;") == 'Jan on Twitter: "a b"'
