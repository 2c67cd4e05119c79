"""Shared fixtures: the project's own data, the ../shared test material, a fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.cli import main
from indexer.config import Paths
from indexer.store import Store, now_iso

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = ROOT / "corpus" / "exports" / "qn2019-association.txt"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)} (the shared test material is absent)")
    return path


@pytest.fixture
def shared():
    """Callable: ``shared('corpus', 'formats')`` returns the path or skips."""
    return shared_path


@pytest.fixture
def home(tmp_path) -> Paths:
    """A fresh, empty project home."""
    return Paths(tmp_path / "home")


@pytest.fixture
def seed() -> Path:
    return SEED


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def run_in_process(capsys, home: Paths, *args: str) -> tuple[int, str, str]:
    """Run `indexer --home HOME ARGS...` in this process; (exit code, stdout, stderr)."""
    code = 0
    try:
        main(["--home", str(home.home), *args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def add_article(store: Store) -> str:
    """Give the first bundled-export excerpt an article around it (with an author, a date and
    a site) and an exact alignment; return the excerpt's id."""
    eid, bid, text = store.conn.execute(
        "SELECT e.id, e.bookmark_id, e.text FROM excerpts e JOIN bookmarks b ON b.id=e.bookmark_id"
        " WHERE b.url IS NULL ORDER BY e.bookmark_id, e.seq LIMIT 1"
    ).fetchone()
    article = f"Avant le passage, une phrase témoin. {text} Après le passage, une autre."
    start = article.index(text)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text, title,"
            " author, published, site_name, language, extracted_at)"
            " VALUES (?, 'x', 'test', 'ok', ?, 'Titre', 'Jeanne Autrice', '2019-02-01',"
            " 'Site Témoin', 'fr', ?)",
            (bid, article, now_iso()),
        )
        conn.execute(
            'INSERT INTO alignments(excerpt_id, method, start, "end", score, aligned_at)'
            " VALUES (?, 'exact', ?, ?, 1.0, ?)",
            (eid, start, start + len(text), now_iso()),
        )
    return eid
