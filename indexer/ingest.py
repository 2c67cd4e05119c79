"""Importing export files into the store: the library behind ``indexer import``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .config import Paths
from .records import ImportSummary
from .sources import load
from .store import Store


def import_file(store: Store, path: str | Path, format: str | None = None) -> ImportSummary:
    """Parse one export and write it in one transaction.

    A file that fails to read or parse raises :class:`~indexer.errors.InputError` before the
    store is touched; a failure while writing rolls the whole file back.
    """
    source, parsed = load(path, format)
    return store.import_parsed(parsed, source.path, source.sha256)


def import_files(
    paths: Paths, files: Iterable[str | Path], format: str | None = None
) -> list[ImportSummary]:
    """Import several files into the store of ``paths``, each in its own transaction.

    Every file is parsed before any is written, so that one bad file among several leaves
    the store as it was.
    """
    loaded = [load(f, format) for f in files]
    with Store(paths.db) as store:
        return [
            store.import_parsed(parsed, provenance_path(paths, src.path), src.sha256)
            for src, parsed in loaded
        ]


def provenance_path(paths: Paths, path: Path) -> str:
    """How an import's source file is recorded: relative to the home when it lies inside it
    (so that a moved home keeps its provenance), absolute otherwise."""
    full = Path(path).resolve()
    try:
        return str(full.relative_to(paths.home))
    except ValueError:
        return str(full)


def status(paths: Paths) -> dict:
    """Counts per stage of the store under ``paths`` (zeros where nothing ran yet)."""
    with Store(paths.db) as store:
        return store.counts()
