"""What the veille tests share: the samples, a store's content to compare, a CLI subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, shared_path

from indexer.config import Paths
from indexer.ingest import import_files

HYPOTHESIS_SAMPLE = ("corpus", "formats", "hypothesis_api_search_json",
                     "wikipedia-regression-testing.json")
DIIGO_SAMPLE = ("corpus", "formats", "diigo_api_v2_json", "jasalt.json")

# Distinctive credentials: the tests grep every output for them.
TOKEN = "hyp-TOKEN-7f3a9c1e5b"
KEY = "diigo-KEY-4d8e2a6c0f"
PASSWORD = "diigo-PASS-9b1d3f5a7c"


def sample(*parts: str) -> Path:
    return shared_path(*parts)


def hypothesis_rows() -> list[dict]:
    return json.loads(sample(*HYPOTHESIS_SAMPLE).read_text(encoding="utf-8"))["rows"]


def diigo_items() -> list[dict]:
    return json.loads(sample(*DIIGO_SAMPLE).read_text(encoding="utf-8"))


def imported(home: Paths, *parts: str) -> Paths:
    """``home`` with the whole sample file imported (the reference a pull must reach)."""
    import_files(home, [sample(*parts)])
    return home


BOOKMARK_FIELDS = ("id", "url", "title", "title_truncated", "site", "annotator", "grp",
                   "description", "created_at", "updated_at", "views")
EXCERPT_FIELDS = ("id", "bookmark_id", "seq", "text", "annotator", "created_at", "comment",
                  "prefix", "suffix", "hint_start", "hint_end", "source_id")
NOTE_FIELDS = ("id", "bookmark_id", "seq", "text", "annotator", "created_at")


def content(home: Paths) -> dict:
    """What a store holds, without where and when it came from (import ids, timestamps)."""
    conn = sqlite3.connect(home.db)
    try:
        def rows(table: str, fields: tuple[str, ...]) -> list[tuple]:
            cols = ", ".join(fields)
            return conn.execute(f"SELECT {cols} FROM {table} ORDER BY id").fetchall()

        return {
            "bookmarks": rows("bookmarks", BOOKMARK_FIELDS),
            "tags": conn.execute("SELECT bookmark_id, tag FROM tags ORDER BY 1, 2").fetchall(),
            "excerpts": rows("excerpts", EXCERPT_FIELDS),
            "notes": rows("notes", NOTE_FIELDS),
        }
    finally:
        conn.close()


def counts(home: Paths) -> dict[str, int]:
    found = content(home)
    return {k: len(v) for k, v in found.items()}


def indexer_cmd(home: Paths, *args: str, env: dict | None = None,
                **kw) -> subprocess.Popen:
    """``python -m indexer --home HOME ARGS`` as a child process (stdout, stderr piped)."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("HYPOTHESIS_TOKEN", "DIIGO_API_KEY", "DIIGO_PASSWORD")}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "indexer", "--home", str(home.home), *args],
                            cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def run_cmd(home: Paths, *args: str, env: dict | None = None,
            timeout: float = 120) -> tuple[int, str, str]:
    """Run the command to its end: (exit code, stdout, stderr)."""
    proc = indexer_cmd(home, *args, env=env)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def store_bytes(home: Paths) -> bytes:
    """The store file and its write-ahead log, as bytes."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(home.db) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data
