"""`indexer import` and `indexer status` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run(home, *args, env=None):
    cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_import_prints_a_summary_and_status_counts(home, seed):
    out = run(home, "import", str(seed))
    assert out.returncode == 0, out.stderr
    assert "13 bookmarks (13 new, 0 updated, 0 unchanged)" in out.stdout
    assert "78 excerpts (78 new)" in out.stdout
    assert "warning: line 171: footer says items 21-34" in out.stdout
    status = run(home, "status", "--format", "json")
    counts = json.loads(status.stdout)
    for key in ("bookmarks", "excerpts", "annotators", "tags", "bookmarks_without_url"):
        assert isinstance(counts[key], int)
    assert (counts["bookmarks"], counts["excerpts"], counts["annotators"]) == (13, 78, 1)
    assert (counts["tags"], counts["bookmarks_without_url"]) == (1, 13)


def test_a_home_without_a_store_is_refused_and_left_empty(home):
    """A mistyped --home must not look like an empty library: reading commands refuse it,
    in one line that says what to do, and create nothing there."""
    for command in (["status"], ["search", "x"], ["fetch"], ["index"], ["orphans"]):
        out = run(home, *command)
        assert out.returncode == 1 and out.stderr.count("\n") == 1, command
        assert out.stderr.startswith(f"error: no index home at {home.home}: run `indexer import`")
    assert not home.db.exists() and not home.home.exists()


def test_status_reads_as_words(home, seed):
    run(home, "import", str(seed))
    out = run(home, "status").stdout
    assert "bookmarks without URL  13" in out and "_" not in out and "none yet" not in out


def test_home_from_environment(home, seed):
    env = {**os.environ, "INDEXER_HOME": str(home.home)}
    cmd = [sys.executable, "-m", "indexer", "import", str(seed)]
    assert subprocess.run(cmd, capture_output=True, env=env, timeout=120).returncode == 0
    assert home.db.exists()


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "indexer", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    assert "import" in out.stdout and "status" in out.stdout and "--home" in out.stdout


def test_unknown_format_option_is_one_line(home, seed):
    out = run(home, "import", "--format", "nope", str(seed))
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "unknown format" in out.stderr
