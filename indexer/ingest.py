"""Importing export files into the store: the library behind ``indexer import``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .config import Paths
from .records import ImportSummary
from .sources import Export, open_export
from .store import Store


def import_file(store: Store, path: str | Path, format: str | None = None) -> ImportSummary:
    """Import one export in one transaction (streamed: bounded memory on huge files).

    A file that fails to read or parse raises :class:`~indexer.errors.InputError` and
    leaves the store as it was.
    """
    with store.transaction():
        return _write(store, open_export(path, format), str(path))


def import_files(
    paths: Paths, files: Iterable[str | Path], format: str | None = None
) -> list[ImportSummary]:
    """Import several files into the store of ``paths``, all in one transaction.

    Each file is checked (exists, is text, has a known format) before anything is written;
    records are then streamed into the store, and an error anywhere in any file rolls the whole
    command back: a failed import leaves the store as it was.
    """
    # Opening checks each file (exists, is text, known format) and parses nothing yet, so a
    # missing second file fails before a long first import.
    exports = [open_export(f, format) for f in files]
    with Store(paths.db) as store, store.transaction():
        return [_write(store, e, provenance_path(paths, e.path)) for e in exports]


def _write(store: Store, export: Export, recorded_as: str) -> ImportSummary:
    return store.import_records(export.records, export.format, recorded_as, export.sha256,
                                warnings=export.warnings, warn_repeats=export.warn_repeats)


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
