"""The store: schema versions, migrations, transactions."""

from __future__ import annotations

import sqlite3

import pytest

from indexer.errors import StoreError
from indexer.records import BookmarkRecord, ExcerptRecord, ParseResult
from indexer.store import MIGRATIONS, SCHEMA_VERSION, Store, bookmark_id, stable_id


def test_new_store_is_wal_and_current(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        assert store.version == SCHEMA_VERSION == len(MIGRATIONS)
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_old_store_migrates_forward_keeping_data(tmp_path):
    path = tmp_path / "old.sqlite"
    store = Store.__new__(Store)  # open at version 1 only, as an older release left it
    store.path = path
    store.conn = sqlite3.connect(path, isolation_level=None)
    store.conn.row_factory = sqlite3.Row
    store.migrate(target=1)
    # the rows an older release wrote, in its own columns (today's import writes newer ones)
    stamp = "2019-03-01T10:00:00+00:00"
    rec = BookmarkRecord(title="Ancien", url="https://example.org/a",
                         excerpts=[ExcerptRecord("un passage"), ExcerptRecord("un autre")])
    bid = bookmark_id(rec)  # the ids are stable across releases
    eid, nid = stable_id(bid, "un passage", "1"), stable_id(bid, "note", "une note", "1")
    with store.transaction() as conn:
        conn.execute("INSERT INTO imports(id, path, sha256, format, imported_at)"
                     " VALUES (1, 'old.jsonl', ?, 'native', ?)", ("0" * 64, stamp))
        conn.execute("INSERT INTO bookmarks(id, url, title, import_id, first_seen, changed_at)"
                     " VALUES (?, 'https://example.org/a', 'Ancien', 1, ?, ?)",
                     (bid, stamp, stamp))
        conn.execute("INSERT INTO excerpts(id, bookmark_id, seq, text, import_id, changed_at)"
                     " VALUES (?, ?, 0, 'un passage', 1, ?)", (eid, bid, stamp))
        conn.execute("INSERT INTO notes(id, bookmark_id, seq, text, import_id)"
                     " VALUES (?, ?, 0, 'une note', 1)", (nid, bid))
    assert store.version == 1
    assert "fetches" not in {r[0] for r in store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    store.close()
    with Store(path) as reopened:
        assert reopened.version == SCHEMA_VERSION
        assert reopened.counts()["excerpts"] == 1
        assert reopened.counts()["fetched"] == 0
        # when each excerpt and note entered the store (watches) is kept from what was there
        assert reopened.conn.execute("SELECT first_seen FROM excerpts").fetchone()[0] == stamp
        assert reopened.conn.execute("SELECT first_seen FROM notes").fetchone()[0] == stamp
        # and today's import goes on in the migrated store: one excerpt kept, one added
        reopened.import_parsed(ParseResult("native", [rec]), "new.jsonl", "1" * 64)
        assert reopened.counts()["excerpts"] == 2


def test_newer_store_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_failed_import_rolls_back_the_whole_file(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        good = BookmarkRecord(title="Bon", url="https://example.org/ok")
        bad = BookmarkRecord(title=None, url="https://example.org/bad")  # NOT NULL violated
        with pytest.raises(sqlite3.IntegrityError):
            store.import_parsed(ParseResult("native", [good, bad]), "f.jsonl", "1" * 64)
        assert store.counts()["bookmarks"] == 0
        assert store.counts()["imports"] == 0


def test_same_url_twice_in_one_file_merges(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        a = BookmarkRecord(title="T", url="https://example.org/x", tags=["a"],
                           excerpts=[ExcerptRecord("premier")])
        b = BookmarkRecord(title="T", url="https://example.org/x", tags=["b"],
                           excerpts=[ExcerptRecord("second")])
        summary = store.import_parsed(ParseResult("hypothesis", [a, b]), "h.json", "2" * 64)
        assert summary.bookmarks_new == 1
        counts = store.counts()
        assert (counts["bookmarks"], counts["excerpts"], counts["tags"]) == (1, 2, 2)


def test_a_reader_refuses_another_schema_and_says_what_to_do(tmp_path):
    """The read-only opening (the reading room's) migrates nothing: an older store is sent to
    any command that upgrades it, a newer one to a newer indexer."""
    path = tmp_path / "s.sqlite"
    Store(path).close()
    for version, words in ((SCHEMA_VERSION - 1, "indexer status"),
                           (SCHEMA_VERSION + 1, "upgrade indexer")):
        db = sqlite3.connect(path)
        db.execute(f"PRAGMA user_version={version}")
        db.close()
        with pytest.raises(StoreError, match=words):
            Store(path, readonly=True)
    with pytest.raises(StoreError, match="no store here"):
        Store(tmp_path / "absent.sqlite", readonly=True)
