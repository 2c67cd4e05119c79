"""Shared fixtures: the project's own data, the ../shared test material, a fresh home."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.config import Paths

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
