"""Importing export files into the store: the library behind ``indexer import``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .config import Paths
from .errors import InputError, PartialImportError
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
    paths: Paths, files: Iterable[str | Path], format: str | None = None,
    encoding: str | None = None, delimiter: str | None = None,
) -> list[ImportSummary]:
    """Import several files into the store of ``paths``, each in its own transaction.

    Each file is checked (exists, is text, has a known format) before anything is written,
    then its records are streamed into the store. A file that fails is rolled back alone and
    the others are imported: then :class:`~indexer.errors.PartialImportError` names every
    file that failed, with its line, and carries the summaries of the others. ``encoding``
    and ``delimiter`` force what is otherwise found in each file (:mod:`indexer.sources`).
    """
    exports, failures, summaries = [], [], []
    for f in files:  # opening parses nothing yet: a missing file is named before a long import
        try:
            exports.append(open_export(f, format, encoding, delimiter))
        except InputError as exc:
            failures.append(exc)
    if exports:
        with Store(paths.db) as store:
            for export in exports:
                try:
                    with store.transaction():
                        recorded = provenance_path(paths, export.path)
                        summaries.append(_write(store, export, recorded))
                except InputError as exc:
                    failures.append(exc)
    if failures:
        raise PartialImportError(summaries, failures)
    return summaries


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
