"""The user's own export: the Diigo group page saved as text."""

from __future__ import annotations

import re
import sqlite3

from indexer import ingest
from indexer.sources import diigo_page, load


def test_seed_parses_as_the_page_says(seed):
    _, parsed = load(seed)
    assert parsed.format == "diigo-page"
    recs = parsed.records
    assert len(recs) == 13
    assert sum(len(r.excerpts) for r in recs) == 78
    assert {r.annotator for r in recs} == {"Aurialie Jublin"}
    assert {r.group for r in recs} == {"QN2019"}
    assert all(r.tags == ["association"] for r in recs)
    assert all(r.url is None for r in recs)
    assert all(r.description for r in recs)  # every item has its quoted description


def test_footer_disagreement_is_a_warning_not_a_failure(seed):
    _, parsed = load(seed)
    footer = [w for w in parsed.warnings if "footer" in w]
    assert len(footer) == 1
    assert "21-34 of 34" in footer[0] and "holds 13" in footer[0]
    assert not [w for w in parsed.warnings if "marker" in w]


def test_markers_agree_with_the_excerpts_that_follow(seed):
    text = seed.read_text(encoding="utf-8")
    _, parsed = load(seed)
    announced = [int(n) for n in re.findall(r"\.\.\.(\d+) more annotations?\.\.\.", text)]
    assert announced == [14, 6, 9, 8, 1, 4, 2, 4]
    # Each item with a marker shows 3 excerpts before it, then exactly the announced number.
    with_marker = [r for r in parsed.records if len(r.excerpts) > 3]
    assert [len(r.excerpts) - 3 for r in with_marker] == announced


def test_titles_sites_and_cut_titles(seed):
    _, parsed = load(seed)
    by_title = {r.title: r for r in parsed.records}
    point = by_title["TRIBUNE. Comment la France s'est vendue aux Gafam"]
    assert point.site == "Le Point" and not point.title_truncated and point.views == 0
    afuf = by_title["Vers des contrats à impact social simplifiés ?"]
    assert afuf.site == "Association Française des Fu..." and afuf.title_truncated
    assert afuf.excerpts == []  # this item has a description and no excerpt
    cut = [r for r in parsed.records if r.title.endswith("...")]
    assert cut and all(r.title_truncated and r.site is None for r in cut)


def test_non_breaking_spaces_are_kept(seed):
    _, parsed = load(seed)
    texts = [e.text for r in parsed.records for e in r.excerpts] + [
        r.description for r in parsed.records
    ]
    assert any("\u00a0" in t for t in texts)
    assert not any(t != t.strip(" \t") for t in texts)


def test_import_twice_changes_nothing(home, seed):
    first = ingest.import_files(home, [seed])[0]
    counts = ingest.status(home)
    second = ingest.import_files(home, [seed])[0]
    assert (first.bookmarks_new, first.excerpts_new) == (13, 78)
    assert (second.bookmarks_new, second.bookmarks_updated, second.bookmarks_unchanged) == (0, 0, 13)
    assert second.excerpts_new == 0
    assert ingest.status(home) == counts
    assert counts["bookmarks"] == 13 and counts["excerpts"] == 78
    assert counts["annotators"] == 1 and counts["tags"] == 1
    assert counts["bookmarks_without_url"] == 13


def test_newer_export_updates_in_place(home, seed, tmp_path):
    ingest.import_files(home, [seed])
    text = seed.read_text(encoding="utf-8")
    # A later export: one more excerpt on the first item, one more view on it.
    marker = "  • ...14 more annotations...\n"
    newer = text.replace(marker, marker + "  • Un passage surligné plus tard.\n", 1)
    newer = newer.replace(" - M... - 0 views", " - M... - 3 views", 1)
    path = tmp_path / "newer.txt"
    path.write_text(newer, encoding="utf-8")
    summary = ingest.import_files(home, [path])[0]
    assert (summary.bookmarks_new, summary.bookmarks_updated) == (0, 1)
    assert summary.excerpts_new == 1
    db = sqlite3.connect(home.db)
    assert db.execute("SELECT COUNT(*) FROM excerpts").fetchone()[0] == 79
    assert db.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0] == 13
    assert db.execute("SELECT MAX(views) FROM bookmarks").fetchone()[0] == 3
    # The marker of the newer file is now off by one: reported, not fatal.
    assert any("marker" in w for w in summary.warnings)


def test_split_title_cases():
    assert diigo_page.split_title("A - B - Le Monde") == ("A - B", "Le Monde", False)
    assert diigo_page.split_title("Titre | Site...") == ("Titre", "Site...", True)
    assert diigo_page.split_title("Sans site...") == ("Sans site...", None, True)
