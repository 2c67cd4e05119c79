"""The SQLite store: the single source of truth every stage reads and writes.

One file (default ``corpus/indexer.sqlite``) in WAL mode, so that readers (search, notebooks)
never block the writer. The schema is versioned: :data:`MIGRATIONS` are applied in order and
never edited once released; a new version appends one.

Ids are stable hashes of what identifies a thing, so that importing the same file twice changes
nothing and a newer export of the same bookmarks updates them in place:

* a bookmark: its URL, or (for exports without URLs) its group, annotator and title;
* an excerpt: its bookmark, its text with whitespace folded, and its rank among equal texts;
* a note: likewise.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import StoreError
from .records import BookmarkRecord, ImportSummary, ParseResult, real_tags

MIGRATIONS: list[str] = [
    # 1: bookmarks, excerpts, notes, tags and where each came from.
    """
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        format TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (path, sha256)
    );
    CREATE TABLE bookmarks (
        id TEXT PRIMARY KEY,
        url TEXT,
        title TEXT NOT NULL,
        title_truncated INTEGER NOT NULL DEFAULT 0,
        site TEXT,
        annotator TEXT,
        grp TEXT,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT,
        updated_at TEXT,
        views INTEGER,
        import_id INTEGER REFERENCES imports(id),
        source_line INTEGER,
        first_seen TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE INDEX bookmarks_url ON bookmarks(url);
    CREATE TABLE tags (
        bookmark_id TEXT NOT NULL REFERENCES bookmarks(id),
        tag TEXT NOT NULL,
        PRIMARY KEY (bookmark_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_tag ON tags(tag);
    CREATE TABLE bookmark_sources (
        bookmark_id TEXT NOT NULL REFERENCES bookmarks(id),
        import_id INTEGER NOT NULL REFERENCES imports(id),
        line INTEGER,
        PRIMARY KEY (bookmark_id, import_id)
    ) WITHOUT ROWID;
    CREATE TABLE excerpts (
        id TEXT PRIMARY KEY,
        bookmark_id TEXT NOT NULL REFERENCES bookmarks(id),
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        annotator TEXT,
        created_at TEXT,
        comment TEXT,
        prefix TEXT,
        suffix TEXT,
        hint_start INTEGER,
        hint_end INTEGER,
        source_id TEXT,
        import_id INTEGER REFERENCES imports(id),
        changed_at TEXT NOT NULL
    );
    CREATE INDEX excerpts_bookmark ON excerpts(bookmark_id, seq);
    CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        bookmark_id TEXT NOT NULL REFERENCES bookmarks(id),
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        annotator TEXT,
        created_at TEXT,
        import_id INTEGER REFERENCES imports(id)
    );
    CREATE INDEX notes_bookmark ON notes(bookmark_id, seq);
    """,
    # 2: what was fetched for each bookmark, and what was extracted from it.
    """
    CREATE TABLE fetches (
        bookmark_id TEXT PRIMARY KEY REFERENCES bookmarks(id),
        url TEXT,
        final_url TEXT,
        origin TEXT NOT NULL DEFAULT 'network',  -- network | local | archive
        status INTEGER,
        content_type TEXT,
        charset TEXT,
        etag TEXT,
        last_modified TEXT,
        sha256 TEXT,            -- key of the raw body in the content-addressed cache
        size INTEGER,
        fetched_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,             -- cause code when the fetch failed (NULL when it worked)
        error_detail TEXT,
        archive_date TEXT       -- snapshot date when origin = 'archive'
    );
    CREATE INDEX fetches_error ON fetches(error);
    CREATE TABLE articles (
        bookmark_id TEXT PRIMARY KEY REFERENCES bookmarks(id),
        sha256 TEXT NOT NULL,   -- the cached body this was extracted from
        extractor_version TEXT NOT NULL,
        status TEXT NOT NULL,   -- ok | tiny | empty | not_html | error
        text TEXT NOT NULL DEFAULT '',
        text_hash TEXT,
        fallback_text TEXT NOT NULL DEFAULT '',
        title TEXT,
        author TEXT,
        published TEXT,
        site_name TEXT,
        canonical_url TEXT,
        language TEXT,
        language_prob REAL,
        extracted_at TEXT NOT NULL,
        error TEXT
    );
    """,
    # 3: where each excerpt sits in its article.
    """
    CREATE TABLE alignments (
        excerpt_id TEXT PRIMARY KEY REFERENCES excerpts(id),
        method TEXT NOT NULL,   -- exact | fuzzy | orphan
        start INTEGER,
        "end" INTEGER,
        score REAL,
        matched_text TEXT,
        prefix TEXT,
        suffix TEXT,
        in_main_text INTEGER,
        text_hash TEXT,
        extractor_version TEXT,
        fragment_url TEXT,
        orphan_cause TEXT,
        best_score REAL,
        aligned_at TEXT NOT NULL
    );
    CREATE INDEX alignments_method ON alignments(method);
    """,
    # 4: named entities of excerpts and descriptions (spaCy), offered as facets.
    """
    CREATE TABLE entities (
        doc_id TEXT NOT NULL,   -- an excerpt id, or a bookmark id for its description
        label TEXT NOT NULL,    -- PER | ORG | LOC | MISC
        text TEXT NOT NULL,
        PRIMARY KEY (doc_id, label, text)
    ) WITHOUT ROWID;
    CREATE TABLE entity_runs (
        doc_id TEXT PRIMARY KEY,
        text_hash TEXT NOT NULL,
        model TEXT NOT NULL
    );
    """,
    # 5: Diigo's placeholder tag `no_tag` means "no tag": an older store forgets it.
    """
    DELETE FROM tags WHERE tag IN ('no_tag');
    """,
    # 6: the language of a bookmark's own words (title, description, excerpts, notes), for
    # the documents that have no article read (indexer.languages), and the hash of that text.
    """
    ALTER TABLE bookmarks ADD COLUMN language TEXT;
    ALTER TABLE bookmarks ADD COLUMN language_hash TEXT;
    """,
    # Archived copies (issue 19): the dated snapshot a web archive holds of a live page that
    # lost some excerpts, with its extracted text; an alignment made in one names it
    # (alignments.snapshot_id: its offsets count in that snapshot's text, not the article's).
    """
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        bookmark_id TEXT NOT NULL REFERENCES bookmarks(id),
        wanted TEXT,            -- the date asked for: the bookmark's saved date
        url TEXT,               -- the snapshot's URL at the archive (NULL: none found)
        archive_date TEXT,      -- the snapshot's date, UTC
        sha256 TEXT,            -- its body in the cache
        status TEXT NOT NULL,   -- ok | tiny | empty | not_html | error | failed (no copy)
        text TEXT NOT NULL DEFAULT '',
        fallback_text TEXT NOT NULL DEFAULT '',
        text_hash TEXT,
        extractor_version TEXT,
        error TEXT,
        fetched_at TEXT NOT NULL,
        UNIQUE (bookmark_id, url)
    );
    CREATE INDEX snapshots_bookmark ON snapshots(bookmark_id);
    ALTER TABLE alignments ADD COLUMN snapshot_id INTEGER REFERENCES snapshots(id);
    """,
    # The veille loop (issue 17, indexer.pulling and indexer.watches): where each API source
    # stands (never its credentials), the Hypothesis rows pulled (a bookmark is rebuilt from
    # all its rows, as a saved search result would give it), the watches, what each published,
    # and when each excerpt and note first entered the store (what "new" means to a watch).
    """
    CREATE TABLE pull_sources (
        source TEXT PRIMARY KEY,    -- api, base URL and filters: no token, key or password
        api TEXT NOT NULL,          -- hypothesis | diigo
        cursor TEXT,                -- hypothesis: search_after (the last `updated` seen)
        mark TEXT,                  -- diigo: the newest updated_at of the last complete walk
        walk TEXT,                  -- diigo: a walk under way (JSON: start, top, full)
        last_pull TEXT,
        last_full TEXT
    );
    CREATE TABLE pulled_annotations (
        id TEXT PRIMARY KEY,        -- the Hypothesis annotation id
        url TEXT NOT NULL,          -- the bookmark it belongs to
        updated TEXT NOT NULL,
        body TEXT NOT NULL          -- the row as the API gave it (JSON)
    );
    CREATE INDEX pulled_annotations_url ON pulled_annotations(url);
    CREATE TABLE watches (
        name TEXT PRIMARY KEY,
        query TEXT NOT NULL,
        options TEXT NOT NULL,      -- JSON: filters, scope, since, until
        created_at TEXT NOT NULL,
        mark TEXT,                  -- documents that entered the store from then on are new
        last_run TEXT
    );
    CREATE TABLE watch_items (
        watch TEXT NOT NULL REFERENCES watches(name) ON DELETE CASCADE,
        doc_id TEXT NOT NULL,
        published_at TEXT NOT NULL,
        entry TEXT NOT NULL,        -- JSON: what the feed and the digest showed
        PRIMARY KEY (watch, doc_id)
    ) WITHOUT ROWID;
    ALTER TABLE excerpts ADD COLUMN first_seen TEXT;
    UPDATE excerpts SET first_seen = changed_at;
    ALTER TABLE notes ADD COLUMN first_seen TEXT;
    UPDATE notes SET first_seen =
        (SELECT imported_at FROM imports WHERE imports.id = notes.import_id);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# Two rules every reader of the store shares (the index's documents, the bookmark languages,
# the entities, the citation exports), as SQL over ``articles ar`` and ``bookmarks b``:
# article metadata comes only from an article that was read (a page whose extraction came
# out empty or failed says nothing reliable about its site, language or author); a
# document's language is its article's, else the bookmark's own words' (indexer.languages),
# else undetermined, which is no language and never French. FOUND_LANGUAGE is the same rule
# without that last step: NULL where nothing has looked for the language yet.
ARTICLE_READ = "ar.status IN ('ok', 'tiny')"
FOUND_LANGUAGE = "COALESCE(NULLIF(ar.language, 'und'), b.language)"
DOCUMENT_LANGUAGE = f"COALESCE({FOUND_LANGUAGE}, 'und')"


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def stable_id(*parts: str | None) -> str:
    """A 16-hex-digit id from the parts that identify a thing."""
    joined = "\x1f".join(p or "" for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


_WS = re.compile(r"\s+")


def fold_space(text: str) -> str:
    """Whitespace runs (non-breaking spaces included) to one space, ends stripped."""
    return _WS.sub(" ", text).strip()


def bookmark_id(rec: BookmarkRecord) -> str:
    """The stable id of a bookmark: its URL, else its group, annotator and title."""
    if rec.url:
        return stable_id("url", rec.url.strip())
    return stable_id("untitled", rec.group, rec.annotator, fold_space(rec.title))


class Store:
    """An open store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            self._open_readonly()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per batch.
            self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        self.migrate()

    def _open_readonly(self) -> None:
        """A connection that cannot write (the web reader's): no migration, and a store of
        another schema version is refused rather than read with the wrong columns."""
        if not self.path.exists():
            raise StoreError(f"{self.path}: no store here: run `indexer build EXPORT` first")
        try:
            self.conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                        isolation_level=None, timeout=30)
            self.conn.row_factory = sqlite3.Row
            version = self.version
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc
        if version != SCHEMA_VERSION:
            self.conn.close()
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: schema version {version} is newer than this "
                                 f"tool's ({SCHEMA_VERSION}); upgrade indexer")
            raise StoreError(f"{self.path}: schema version {version}, this tool reads "
                             f"{SCHEMA_VERSION}: run `indexer status` once to upgrade it")

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- schema ---------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the migrations between the file's version and ``target``, each atomically."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {current} is newer than this tool's "
                f"({SCHEMA_VERSION}); upgrade indexer"
            )
        for number in range(current + 1, target + 1):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[number - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- import ---------------------------------------------------------------------------

    def import_parsed(self, parsed: ParseResult, path: str | Path, sha256: str) -> ImportSummary:
        """Write one file's records in one transaction and say what changed."""
        with self.transaction():
            return self.import_records(parsed.records, parsed.format, path, sha256,
                                       warnings=parsed.warnings)

    def import_records(
        self,
        records: Iterable[BookmarkRecord],
        format: str,
        path: str | Path,
        sha256: str,
        warnings: list[str] | None = None,
        warn_repeats: bool = False,
    ) -> ImportSummary:
        """Write records as they come, inside the caller's transaction; say what changed.

        ``records`` may be a generator reading a file: nothing is held but the current record,
        so a million-row export imports in bounded memory. A bookmark met again in the same
        file (Hypothesis lists one row per annotation) is merged into the row already written:
        its excerpts, notes and tags are added, its fields stay the first record's. With
        ``warn_repeats`` (formats that list each bookmark once) each repeat is also reported.
        ``warnings`` is read at the end, so a generator may still be appending to it.
        """
        conn = self.conn
        conn.execute(
            "INSERT OR IGNORE INTO imports(path, sha256, format, imported_at) VALUES (?,?,?,?)",
            (str(path), sha256, format, now_iso()),
        )
        import_id = conn.execute(
            "SELECT id FROM imports WHERE path=? AND sha256=?", (str(path), sha256)
        ).fetchone()[0]
        # Which bookmarks this file has written so far: on disk, not in a dict (1M rows).
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_seen(id TEXT PRIMARY KEY,"
                     " line INTEGER, excerpts INTEGER, notes INTEGER, status TEXT, before TEXT,"
                     " repeated INTEGER DEFAULT 0)")
        conn.execute("DELETE FROM import_seen")
        # The texts written so far per bookmark, to number equal texts across its repeats.
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_texts(bookmark_id TEXT,"
                     " tbl TEXT, key TEXT)")
        # looked up once per repeat of a bookmark (a Hypothesis export repeats it once per
        # annotation): without an index each lookup scans every text the import wrote
        conn.execute("CREATE INDEX IF NOT EXISTS temp.import_texts_bookmark"
                     " ON import_texts(bookmark_id, tbl)")
        conn.execute("DELETE FROM import_texts")
        summary = ImportSummary(path=str(path), format=format)
        repeats: list[str] = []
        for rec in records:
            bid = bookmark_id(rec)
            seen = conn.execute("SELECT line, excerpts, notes FROM import_seen WHERE id=?",
                                (bid,)).fetchone()
            if seen is None:
                status, before = self._upsert_bookmark(conn, rec, import_id, summary)
                conn.execute("INSERT INTO import_seen VALUES (?,?,?,?,?,?,0)",
                             (bid, rec.line, len(rec.excerpts), len(rec.notes), status, before))
            else:
                self._merge_repeat(conn, bid, rec, import_id, summary, seen)
                if warn_repeats:
                    repeats.append(_repeat_warning(rec, seen[0]))
        self._recount_repeats(conn, summary)
        summary.warnings = list(warnings or []) + repeats
        return summary

    def _recount_repeats(self, conn, summary: ImportSummary) -> None:
        """A repeated bookmark's first record was compared alone; compare the merged whole."""
        rows = conn.execute("SELECT id, status, before FROM import_seen"
                            " WHERE repeated=1 AND status<>'new'").fetchall()
        for bid, status, before in rows:
            old = conn.execute("SELECT * FROM bookmarks WHERE id=?", (bid,)).fetchone()
            tags = {r[0] for r in conn.execute("SELECT tag FROM tags WHERE bookmark_id=?", (bid,))}
            now = "unchanged" if _state(old, tags) == before else "updated"
            if now != status:
                delta = 1 if now == "updated" else -1
                summary.bookmarks_updated += delta
                summary.bookmarks_unchanged -= delta

    def _merge_repeat(self, conn, bid, rec, import_id, summary, seen) -> None:
        """Add a repeated bookmark's excerpts, notes and tags to the row written before."""
        _, n_excerpts, n_notes = seen
        conn.executemany("INSERT OR IGNORE INTO tags(bookmark_id, tag) VALUES (?,?)",
                         [(bid, t) for t in sorted(real_tags(rec.tags))])
        if rec.description:
            conn.execute("UPDATE bookmarks SET description=? WHERE id=? AND description=''",
                         (rec.description, bid))
        stamp = now_iso()
        self._upsert_excerpts(conn, bid, rec, import_id, stamp, summary, start=n_excerpts)
        self._upsert_notes(conn, bid, rec, import_id, summary, start=n_notes)
        conn.execute("UPDATE import_seen SET excerpts=?, notes=?, repeated=1 WHERE id=?",
                     (n_excerpts + len(rec.excerpts), n_notes + len(rec.notes), bid))

    def _upsert_bookmark(self, conn, rec: BookmarkRecord, import_id: int, summary) -> tuple:
        """Insert or update one bookmark; (status, its state before) for :meth:`import_records`."""
        bid = bookmark_id(rec)
        stamp = now_iso()
        fields = {
            "url": rec.url,
            "title": rec.title,
            "title_truncated": int(rec.title_truncated),
            "site": rec.site,
            "annotator": rec.annotator,
            "grp": rec.group,
            "description": rec.description or "",
            "created_at": rec.created_at,
            "updated_at": rec.updated_at,
            "views": rec.views,
        }
        old = conn.execute("SELECT * FROM bookmarks WHERE id=?", (bid,)).fetchone()
        old_tags = {r[0] for r in conn.execute("SELECT tag FROM tags WHERE bookmark_id=?", (bid,))}
        new_tags = real_tags(rec.tags)
        if old is None:
            cols = ", ".join(fields)
            conn.execute(
                f"INSERT INTO bookmarks(id, {cols}, import_id, source_line, first_seen, changed_at)"
                f" VALUES (?{', ?' * len(fields)}, ?, ?, ?, ?)",
                (bid, *fields.values(), import_id, rec.line, stamp, stamp),
            )
            summary.bookmarks_new += 1
            status = "new"
        elif any(old[k] != v for k, v in fields.items()) or old_tags != new_tags:
            sets = ", ".join(f"{k}=?" for k in fields)
            conn.execute(
                f"UPDATE bookmarks SET {sets}, import_id=?, source_line=?, changed_at=? WHERE id=?",
                (*fields.values(), import_id, rec.line, stamp, bid),
            )
            summary.bookmarks_updated += 1
            status = "updated"
        else:
            summary.bookmarks_unchanged += 1
            status = "unchanged"
        if old_tags != new_tags:
            conn.execute("DELETE FROM tags WHERE bookmark_id=?", (bid,))
            conn.executemany(
                "INSERT INTO tags(bookmark_id, tag) VALUES (?,?)", [(bid, t) for t in new_tags]
            )
        conn.execute(
            "INSERT OR IGNORE INTO bookmark_sources(bookmark_id, import_id, line) VALUES (?,?,?)",
            (bid, import_id, rec.line),
        )
        self._upsert_excerpts(conn, bid, rec, import_id, stamp, summary)
        self._upsert_notes(conn, bid, rec, import_id, summary)
        before = None if old is None else _state(old, old_tags)
        return status, before

    def _upsert_excerpts(self, conn, bid, rec, import_id, stamp, summary, start=0) -> None:
        seen = self._occurrences(conn, "excerpts", bid, start)
        for seq, ex in enumerate(rec.excerpts, start=start):
            key = fold_space(ex.text)
            seen[key] = seen.get(key, 0) + 1
            conn.execute("INSERT INTO import_texts VALUES (?, 'excerpts', ?)", (bid, key))
            eid = stable_id(bid, key, str(seen[key]))
            values = (
                seq, ex.text, ex.annotator or rec.annotator, ex.created_at, ex.comment,
                ex.prefix, ex.suffix, ex.hint_start, ex.hint_end, ex.source_id,
            )
            old = conn.execute(
                "SELECT seq, text, annotator, created_at, comment, prefix, suffix, hint_start,"
                " hint_end, source_id FROM excerpts WHERE id=?",
                (eid,),
            ).fetchone()
            summary.excerpts_total += 1
            if old is None:
                conn.execute(
                    "INSERT INTO excerpts(id, bookmark_id, seq, text, annotator, created_at,"
                    " comment, prefix, suffix, hint_start, hint_end, source_id, import_id,"
                    " changed_at, first_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (eid, bid, *values, import_id, stamp, stamp),
                )
                summary.excerpts_new += 1
            elif tuple(old) != values:
                conn.execute(
                    "UPDATE excerpts SET seq=?, text=?, annotator=?, created_at=?, comment=?,"
                    " prefix=?, suffix=?, hint_start=?, hint_end=?, source_id=?, import_id=?,"
                    " changed_at=? WHERE id=?",
                    (*values, import_id, stamp, eid),
                )

    def _upsert_notes(self, conn, bid, rec, import_id, summary, start=0) -> None:
        seen = self._occurrences(conn, "notes", bid, start)
        for seq, note in enumerate(rec.notes, start=start):
            key = fold_space(note.text)
            seen[key] = seen.get(key, 0) + 1
            conn.execute("INSERT INTO import_texts VALUES (?, 'notes', ?)", (bid, key))
            nid = stable_id(bid, "note", key, str(seen[key]))
            summary.notes_total += 1
            cur = conn.execute(
                "INSERT OR IGNORE INTO notes(id, bookmark_id, seq, text, annotator, created_at,"
                " import_id, first_seen) VALUES (?,?,?,?,?,?,?,?)",
                (nid, bid, seq, note.text, note.annotator or rec.annotator, note.created_at,
                 import_id, now_iso()),
            )
            summary.notes_new += cur.rowcount

    @staticmethod
    def _occurrences(conn, table: str, bid: str, start: int) -> dict[str, int]:
        """How often each text was already written for this bookmark by this import (a repeat
        of a bookmark continues the numbering of equal texts, as one record would). Counted
        from what this import wrote, not from the stored rows' ``seq``: a newer export listing
        the rows in another order leaves stale ``seq`` values until they are rewritten."""
        if not start:
            return {}
        return dict(conn.execute("SELECT key, COUNT(*) FROM import_texts WHERE bookmark_id=?"
                                 " AND tbl=? GROUP BY key", (bid, table)).fetchall())

    # -- reporting ------------------------------------------------------------------------

    def counts(self) -> dict:
        """Counts per stage; every key is present, zero where a stage has not run."""
        q = self.conn.execute

        def one(sql: str) -> int:
            return q(sql).fetchone()[0] or 0

        out = {
            "schema_version": self.version,
            "imports": one("SELECT COUNT(*) FROM imports"),
            "bookmarks": one("SELECT COUNT(*) FROM bookmarks"),
            "bookmarks_without_url": one("SELECT COUNT(*) FROM bookmarks WHERE url IS NULL"),
            "excerpts": one("SELECT COUNT(*) FROM excerpts"),
            "notes": one("SELECT COUNT(*) FROM notes"),
            "descriptions": one("SELECT COUNT(*) FROM bookmarks WHERE description <> ''"),
            "annotators": one(
                "SELECT COUNT(DISTINCT a) FROM (SELECT annotator a FROM bookmarks"
                " UNION SELECT annotator FROM excerpts) WHERE a IS NOT NULL"
            ),
            "tags": one("SELECT COUNT(DISTINCT tag) FROM tags"),
            "groups": one("SELECT COUNT(DISTINCT grp) FROM bookmarks WHERE grp IS NOT NULL"),
            "fetched": one("SELECT COUNT(*) FROM fetches WHERE error IS NULL"),
            "fetch_failed": one("SELECT COUNT(*) FROM fetches WHERE error IS NOT NULL"),
            "articles": one("SELECT COUNT(*) FROM articles WHERE status IN ('ok', 'tiny')"),
            "articles_empty": one("SELECT COUNT(*) FROM articles WHERE status NOT IN ('ok', 'tiny')"),
            "aligned_exact": one("SELECT COUNT(*) FROM alignments WHERE method='exact'"),
            "aligned_fuzzy": one("SELECT COUNT(*) FROM alignments WHERE method='fuzzy'"),
            "orphans": one("SELECT COUNT(*) FROM alignments WHERE method='orphan'"),
            # placed only in a web archive's copy: a dated snapshot (the live page lost
            # them), or the archived page of a dead link
            "archived_only": one(
                "SELECT COUNT(*) FROM alignments a JOIN excerpts e ON e.id = a.excerpt_id"
                " LEFT JOIN fetches f ON f.bookmark_id = e.bookmark_id"
                " WHERE a.method IN ('exact', 'fuzzy')"
                " AND (a.snapshot_id IS NOT NULL OR f.origin = 'archive')"),
            "snapshots": one("SELECT COUNT(*) FROM snapshots WHERE status IN ('ok', 'tiny')"),
        }
        out["fetch_causes"] = self._grouped("SELECT error, COUNT(*) FROM fetches"
                                            " WHERE error IS NOT NULL GROUP BY error")
        out["orphan_causes"] = self._grouped("SELECT orphan_cause, COUNT(*) FROM alignments"
                                             " WHERE method='orphan' GROUP BY orphan_cause")
        out["languages"] = self._grouped("SELECT language, COUNT(*) FROM articles"
                                         " WHERE language IS NOT NULL GROUP BY language")
        return out

    def _grouped(self, sql: str) -> dict[str, int]:
        return {str(k): n for k, n in self.conn.execute(sql)}


_STATE_FIELDS = ("url", "title", "title_truncated", "site", "annotator", "grp", "description",
                 "created_at", "updated_at", "views")


def _state(row, tags: set[str]) -> str:
    """What a bookmark says (its fields and tags), to compare before and after an import."""
    return json.dumps([[row[k] for k in _STATE_FIELDS], sorted(tags)], ensure_ascii=False)


def _repeat_warning(rec: BookmarkRecord, first_line: int | None) -> str:
    what = f"URL {rec.url}" if rec.url else f"bookmark {rec.title!r}"
    return f"line {rec.line}: {what} already listed at line {first_line}, merged into one bookmark"


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (ours contain no ';' inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(chunk: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in chunk.splitlines())


def dumps(obj) -> str:
    """JSON for the CLI's machine output: UTF-8 as is, stable key order."""
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False)
