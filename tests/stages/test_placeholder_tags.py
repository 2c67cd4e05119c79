"""Diigo's placeholder tag `no_tag` means "no tag": it is never stored, and an older store
forgets it when it opens."""

from __future__ import annotations

import sqlite3

import pytest

from indexer.ingest import import_files
from indexer.store import MIGRATIONS, SCHEMA_VERSION, Store

HEADER = "title,url,tags,description,comments,annotations,created_at\n"


def test_no_tag_is_no_tag(home, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HEADER + '"A","https://a.example/","no_tag","","","Highlight: a",""\n'
                    '"B","https://b.example/","veille,no_tag","","","Highlight: b",""\n',
                    encoding="utf-8")
    import_files(home, [path])
    with sqlite3.connect(home.db) as conn:
        assert conn.execute("SELECT tag FROM tags").fetchall() == [("veille",)]


def test_an_older_store_forgets_the_placeholder_when_it_opens(home):
    """A store written before migration 5 (schema 4), holding `no_tag`, opened by today's."""
    home.corpus.mkdir(parents=True)
    with sqlite3.connect(home.db) as conn:
        for script in MIGRATIONS[:4]:
            conn.executescript(script)
        conn.execute("INSERT INTO bookmarks(id, title, first_seen, changed_at)"
                     " VALUES ('b1', 'A', '2019', '2019')")
        conn.executemany("INSERT INTO tags(bookmark_id, tag) VALUES ('b1', ?)",
                         [("no_tag",), ("veille",)])
        conn.execute("PRAGMA user_version=4")
    with Store(home.db) as store:
        assert store.version == SCHEMA_VERSION
        assert [t for (t,) in store.conn.execute("SELECT tag FROM tags")] == ["veille"]


@pytest.mark.shared
def test_the_real_diigo_csv_has_no_no_tag(home, shared):
    export = next(shared("corpus", "formats", "diigo_csv").glob("*.csv"))
    assert "no_tag" in export.read_text(encoding="utf-8")  # the export does carry it
    import_files(home, [export])
    with sqlite3.connect(home.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM tags WHERE tag='no_tag'").fetchone() == (0,)
        untagged = conn.execute("SELECT COUNT(*) FROM bookmarks WHERE id NOT IN"
                                " (SELECT bookmark_id FROM tags)").fetchone()[0]
    assert untagged > 1000  # those bookmarks simply have no tag
