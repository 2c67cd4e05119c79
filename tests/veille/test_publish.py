"""What `watch run` writes: Atom feeds a real feed parser accepts, and a digest (Markdown and
HTML5) grouped by watch then tag, in French, with everything from the exports escaped."""

from __future__ import annotations

import json
import re

import feedparser
import html5lib
import pytest
from conftest import SEED
from lxml import etree

from indexer.config import Paths
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.publish import Entry, WatchNews, french_date, render_html, render_markdown
from indexer.watches import add_watch, run_watches

HOSTILE_TITLE = '<script>alert("titre")</script> & "Les plateformes" ]]> <!--'
HOSTILE_TEXT = ('Une plateforme <img src=x onerror=alert(1)> [clic](javascript:alert(2)) '
                '**gras** `code` | col\n# pas un titre\n\n> pas une citation\u0007 fin')
HOSTILE_NOTE = "</p><iframe src=//evil.example></iframe> note"
HOSTILE_TAG = '</h3><script>alert("tag")</script>'


def hostile_export(tmp_path):
    rows = [
        {"format": "indexer/1"},
        {"url": "javascript:alert(3)", "title": HOSTILE_TITLE, "annotator": "<b>Mallory</b>",
         "tags": [HOSTILE_TAG, "veille"], "created_at": "2019-03-01T10:00:00",
         "excerpts": [{"text": HOSTILE_TEXT, "comment": HOSTILE_NOTE}]},
        {"url": "https://exemple.org/article?a=1&b=(2)", "title": "Un article sain",
         "annotator": "Sam", "tags": ["veille"], "created_at": "2020-05-12T08:00:00",
         "description": "Les plateformes et la ville."},
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def hostile(tmp_path) -> Paths:
    home = Paths(tmp_path / "home")
    import_files(home, [hostile_export(tmp_path)])
    build_index(home)
    add_watch(home, "plateformes", "plateforme OR plateformes")
    return home


def parsed_html(text: str):
    """The page read by an HTML5 parser that refuses any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


def test_feeds_are_valid_atom_with_the_right_entries(tmp_path):
    home = Paths(tmp_path / "home")
    import_files(home, [SEED])
    build_index(home)
    add_watch(home, "plateformes", "plateforme OR plateformes")
    add_watch(home, "etat", "l'etat", filters={"tag": ["association"]})
    run = run_watches(home)

    for news in run.news:
        feed = feedparser.parse(run.feeds[news.name].read_bytes())
        assert not feed.bozo, feed.get("bozo_exception")
        assert feed.version == "atom10"
        assert feed.feed.title == f"Veille « {news.name} »" and feed.feed.language == "fr"
        assert [e.id for e in feed.entries] == [
            f"urn:indexer:watch:{news.name}:{e.doc_id}" for e in news.entries]
        assert [e.title for e in feed.entries] == [e.title for e in news.entries]
        assert all(e.author == "Aurialie Jublin" for e in feed.entries)
        assert [e.content[0].value.count("<blockquote>") for e in feed.entries] == \
            [1] * len(news.entries)
    assert {n.name: len(n.entries) for n in run.news} == {"etat": 7, "plateformes": 20}


def test_a_feed_keeps_earlier_entries_newest_first(hostile, tmp_path):
    first = run_watches(hostile)
    newer = tmp_path / "newer.jsonl"
    newer.write_text(json.dumps({"format": "indexer/1"}) + "\n" + json.dumps(
        {"url": "https://exemple.org/suite", "title": "La suite", "tags": ["veille"],
         "excerpts": ["Encore une plateforme."]}, ensure_ascii=False) + "\n", encoding="utf-8")
    import_files(hostile, [newer])
    build_index(hostile)
    second = run_watches(hostile)

    feed = feedparser.parse(second.feeds["plateformes"].read_bytes())
    assert not feed.bozo
    titles = [e.title for e in feed.entries]
    assert titles[0] == "La suite" and len(titles) == 1 + len(first.news[0].entries)
    digest = second.digest[0].read_text(encoding="utf-8")
    assert "La suite" in digest and "Un article sain" not in digest  # the digest: news only


def test_the_html_digest_is_html5_and_escapes_hostile_text(hostile):
    run = run_watches(hostile)
    html = (hostile.corpus / "watches" / "revue.html").read_text(encoding="utf-8")

    doc = parsed_html(html)  # raises on any parse error
    assert doc.find("head/meta").get("charset") == "utf-8"
    assert doc.get("lang") == "fr"
    assert doc.findall(".//script") == [] and doc.findall(".//iframe") == []
    assert doc.findall(".//img") == []
    for element in doc.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")]
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert hrefs and all(h.startswith("https://exemple.org/") for h in hrefs)
    assert doc.find(".//link") is None and "http" not in "".join(
        e.get("src", "") for e in doc.iter())  # self-contained: loads nothing
    text = "".join(doc.itertext())
    assert HOSTILE_TITLE in text and "<b>Mallory</b>" in text and HOSTILE_TAG in text
    assert "onerror=alert(1)" in text and "<iframe src=//evil.example></iframe>" in text
    assert [h.text for h in doc.iter("h2")] == ["Veille « plateformes »"]
    assert [h.text for h in doc.iter("h3")] == ["veille"]  # the tag both entries share
    assert any(HOSTILE_TAG in p.text for p in doc.findall(".//p[@class='tags']"))
    assert len(run.news[0].entries) == 2


def test_the_markdown_digest_escapes_hostile_text(hostile):
    run_watches(hostile)
    md = (hostile.corpus / "watches" / "revue.md").read_text(encoding="utf-8")

    assert "<" not in md.replace("<https://exemple.org/article?a=1&b=(2)>", "")
    assert "javascript:" not in md.replace(r"\[clic\](javascript:alert(2))", "")
    assert r"\*\*gras\*\* \`code\` \| col # pas un titre" in md
    assert "&lt;script&gt;alert(\"titre\")&lt;/script&gt;" in md
    assert "[Ouvrir la page](<https://exemple.org/article?a=1&b=(2)>)" in md
    lines = md.splitlines()
    assert lines[0].startswith("# Revue de veille du ")
    assert sorted(line for line in lines if line.startswith("#"))[1:] == [
        "## Veille « plateformes »", "### veille",
        ("#### &lt;script&gt;alert(\"titre\")&lt;/script&gt; &amp; \"Les plateformes\" \\]\\]&gt; "
         "&lt;!--"), "#### Un article sain"]
    assert "Tags : &lt;/h3&gt;&lt;script&gt;alert(\"tag\")&lt;/script&gt;, veille" in md
    assert "> pas une citation" not in md  # a value never starts a block of its own
    assert "pas une citation fin" in md and "\u0007" not in md  # control characters dropped


def test_the_feed_of_hostile_text_is_well_formed_xml(hostile):
    run = run_watches(hostile)
    data = run.feeds["plateformes"].read_bytes()
    root = etree.fromstring(data)  # well-formed, control characters dropped
    atom = "{http://www.w3.org/2005/Atom}"
    assert not root.findall(f".//{atom}script") and not re.search(rb"<script", data)
    feed = feedparser.parse(data)
    assert not feed.bozo
    hostile_entry = next(e for e in feed.entries if e.title.startswith("<script>"))
    assert "link" not in hostile_entry or not hostile_entry.link.startswith("javascript")
    assert [t.term for t in hostile_entry.tags] == [HOSTILE_TAG, "veille"]


def test_entries_are_grouped_under_the_tag_they_share_most():
    def entry(doc_id: str, *tags: str) -> Entry:
        return Entry(doc_id, "excerpt", doc_id, "texte", "2026-12-02T10:00:00+00:00",
                     "2026-12-02T10:00:00+00:00", tags=list(tags))

    news = WatchNews("w", "tout", [entry("a", "angular", "clojure"), entry("b", "clojure"),
                                   entry("c", "python", "Zope"), entry("d")])
    assert [(tag, [e.doc_id for e in group]) for tag, group in news.by_tag()] == [
        ("clojure", ["a", "b"]), ("python", ["c"]), ("sans tag", ["d"])]


def test_digest_words_are_french():
    entry = Entry("x", "excerpt", "Titre", "Texte", "2026-12-02T10:00:00+00:00",
                  "2026-12-02T10:00:00+00:00", saved="2019-02-01T09:00:00", site="Le Monde",
                  annotator="Sam", tags=[])
    html = render_html([WatchNews("w", "requête 'x'", [entry])], "2026-12-02T10:00:00+00:00")
    assert "Revue de veille du 2 décembre 2026" in html
    assert "Le Monde · enregistré le 1er février 2019 · annoté par Sam · extrait" in html
    assert "<h3>sans tag</h3>" in html and "1 nouveauté dans 1 veille" in html
    md = render_markdown([WatchNews("w", "requête 'x'", [entry])], "2026-12-02T10:00:00+00:00")
    assert "Pas de lien : l’export ne donne pas l’adresse de la page." in md
    assert [french_date(d) for d in ("2019", "2019-07", "2019-07-14", None)] == [
        "2019", "juillet 2019", "14 juillet 2019", "date inconnue"]
