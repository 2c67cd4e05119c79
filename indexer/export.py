"""Every export of the store or of a search's hits, in one of :data:`FORMATS`.

:func:`write_selection` is the one door (the CLI's ``export`` and ``search --format``, the
notebooks' :func:`indexer.explore.export`, the reading room): the whole store, or the rows of
a search, in any format:

* ``jsonl``, ``csv``: one row per excerpt (or per hit), the columns of
  :data:`EXCERPT_COLUMNS` (hits: :data:`indexer.results.SEARCH_COLUMNS`), by
  :func:`write_rows`, so that every row export of the project has one shape;
* ``csljson``, ``ris``, ``bibtex``: one citation per work (:mod:`indexer.citations`);
* ``w3c``, ``hypothesis``: one annotation per excerpt (:mod:`indexer.annotations`).

Which works, excerpts and notes a set of hits selects: :class:`indexer.works.Selection`.

CSV details: ``tags`` are joined with ``", "``; missing values are empty cells; ``excel=True``
writes a UTF-8 byte-order mark and ``;`` as separator, which is what a French Excel or
LibreOffice expects when the file is double-clicked. JSON Lines keep ``tags`` as a list and
missing values as ``null``.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from . import annotations, citations
from .documents import EXCERPT_COLUMNS, excerpt_records
from .errors import InputError
from .results import SEARCH_COLUMNS
from .store import Store
from .works import Selection, load_works

__all__ = ["EXCERPT_COLUMNS", "FORMATS", "excerpt_rows", "export_excerpts", "write_rows",
           "write_selection"]

ROW_FORMATS = ("jsonl", "csv")
# Writers of works: (works, text stream) -> how many items written.
WORK_WRITERS = {
    "csljson": citations.write_csljson,
    "ris": citations.write_ris,
    "bibtex": citations.write_bibtex,
    "w3c": annotations.write_w3c,
    "hypothesis": annotations.write_hypothesis,
}
FORMATS = ROW_FORMATS + tuple(WORK_WRITERS)
# What one item of each format is, for the messages of the CLI.
UNITS = {"jsonl": "row", "csv": "row", "csljson": "work", "ris": "work", "bibtex": "work",
         "w3c": "annotation", "hypothesis": "annotation"}


def excerpt_rows(store: Store) -> Iterator[dict]:
    """Every excerpt of the store as a dict keyed by :data:`EXCERPT_COLUMNS`, in saved order.

    The rows the index holds (:func:`indexer.documents.excerpt_records`): excerpts never
    aligned have ``None`` in the alignment columns; ``tags`` is a sorted list.
    """
    for row in excerpt_records(store, ordered=True):
        yield {col: row.get(col) for col in EXCERPT_COLUMNS}


def write_rows(
    rows: Iterable[dict],
    fmt: str,
    out: str | Path | IO[str] | None = None,
    excel: bool = False,
    columns: list[str] | None = None,
) -> int:
    """Write ``rows`` as ``fmt`` ("jsonl" or "csv") to ``out`` and return how many were written.

    ``out`` is a path, an open text stream, or ``None`` for stdout. ``columns`` defaults to
    :data:`EXCERPT_COLUMNS`; keys outside it are ignored, missing keys are empty. ``excel``
    (CSV only) adds a UTF-8 BOM and uses ``;`` as the separator.
    """
    if fmt not in ROW_FORMATS:
        raise InputError(fmt, f"unknown row format; use one of {', '.join(ROW_FORMATS)}")
    cols = columns or EXCERPT_COLUMNS
    with _open(out, bom=excel and fmt == "csv") as stream:
        if fmt == "jsonl":
            return _write_jsonl(rows, cols, stream)
        return _write_csv(rows, cols, stream, ";" if excel else ",")


def export_excerpts(store: Store, fmt: str, out=None, excel: bool = False) -> int:
    """Every excerpt of ``store`` with its alignment, written by :func:`write_rows`."""
    return write_rows(excerpt_rows(store), fmt, out, excel=excel)


def write_selection(store: Store, fmt: str, out: str | Path | IO[str] | None = None,
                    rows: Iterable[dict] | None = None, excel: bool = False) -> int:
    """Write the whole store (``rows`` None) or a search's hits as ``fmt``; how many items.

    ``rows`` are search rows (at least ``id``, ``bookmark_id`` and ``kind``: those of
    :meth:`indexer.results.SearchResults.rows`). ``jsonl``/``csv`` write them as they are
    (the store: one row per excerpt); the other formats write what they select
    (:meth:`indexer.works.Selection.from_rows`): for a citation one work per bookmark hit,
    with the excerpts and notes that were hit, or all of them when the bookmark itself (its
    description or article) was; for an annotation format those excerpts and notes. ``out``
    is a path (written whole or not at all), a text stream, or None for stdout. ``excel``
    applies to ``csv`` only. The count is of rows, works or annotations (:data:`UNITS`).
    """
    if fmt not in FORMATS:
        raise InputError(fmt, f"unknown export format; use one of {', '.join(FORMATS)}")
    if fmt in ROW_FORMATS:
        if rows is None:
            return export_excerpts(store, fmt, out, excel=excel)
        return write_rows(rows, fmt, out, excel=excel, columns=SEARCH_COLUMNS)
    selection = None if rows is None else Selection.from_rows(rows)
    with _open(out, bom=False) as stream:
        return WORK_WRITERS[fmt](load_works(store, selection), stream)


def _write_jsonl(rows: Iterable[dict], cols: list[str], stream: IO[str]) -> int:
    n = 0
    for row in rows:
        stream.write(json.dumps({c: row.get(c) for c in cols}, ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_csv(rows: Iterable[dict], cols: list[str], stream: IO[str], sep: str) -> int:
    writer = csv.writer(stream, delimiter=sep, lineterminator="\r\n")
    writer.writerow(cols)
    n = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in cols])
        n += 1
    return n


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@contextmanager
def _open(out, bom: bool) -> Iterator[IO[str]]:
    """A text stream for ``out``; a path is written whole or not at all (temp file + rename)."""
    if out is None or isinstance(out, io.TextIOBase) or hasattr(out, "write"):
        stream = out if out is not None else sys.stdout
        if bom:
            stream.write("\ufeff")
        yield stream
        return
    path = Path(out)
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
            yield stream
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(path, f"cannot write ({exc.strerror or exc})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
