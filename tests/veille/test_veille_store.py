"""The veille loop's migration: an older store gains the tables, and its excerpts and notes
a `first_seen` (what "new" means to a watch) taken from what it already knew."""

from __future__ import annotations

import sqlite3

from indexer.store import MIGRATIONS, SCHEMA_VERSION, Store

VEILLE = next(n for n, sql in enumerate(MIGRATIONS, start=1) if "CREATE TABLE watches" in sql)


def test_an_older_store_is_upgraded_with_first_seen_backfilled(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)  # the store as it was before this migration
    for number, sql in enumerate(MIGRATIONS[: VEILLE - 1], start=1):
        conn.executescript(sql)
        conn.execute(f"PRAGMA user_version={number}")
    conn.execute("INSERT INTO imports VALUES (1, 'x.txt', 'abc', 'native',"
                 " '2024-05-01T10:00:00+00:00')")
    conn.execute("INSERT INTO bookmarks(id, title, first_seen, changed_at)"
                 " VALUES ('b', 'T', '2024-05-01T10:00:00+00:00', '2024-05-01T10:00:00+00:00')")
    conn.execute("INSERT INTO excerpts(id, bookmark_id, seq, text, changed_at)"
                 " VALUES ('e', 'b', 0, 'x', '2024-06-01T08:00:00+00:00')")
    conn.execute("INSERT INTO notes(id, bookmark_id, seq, text, import_id)"
                 " VALUES ('n', 'b', 0, 'y', 1)")
    conn.commit()
    conn.close()
    with Store(path) as new:
        assert new.version == SCHEMA_VERSION
        q = new.conn.execute
        assert q("SELECT first_seen FROM excerpts").fetchone()[0] == "2024-06-01T08:00:00+00:00"
        assert q("SELECT first_seen FROM notes").fetchone()[0] == "2024-05-01T10:00:00+00:00"
        tables = {r[0] for r in q("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"pull_sources", "pulled_annotations", "watches", "watch_items"} <= tables
