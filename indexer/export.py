"""Excerpts with their alignments, as rows: JSON Lines or CSV (optionally for a French Excel).

One row per excerpt, with the columns of :data:`EXCERPT_COLUMNS`. The same writer serves
search results (:func:`write_rows`), so that every export of the project has one shape.

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

from .documents import EXCERPT_COLUMNS, excerpt_records
from .errors import InputError
from .store import Store

__all__ = ["EXCERPT_COLUMNS", "FORMATS", "excerpt_rows", "export_excerpts", "write_rows"]

FORMATS = ("jsonl", "csv")


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
    if fmt not in FORMATS:
        raise InputError(fmt, f"unknown export format; use one of {', '.join(FORMATS)}")
    cols = columns or EXCERPT_COLUMNS
    with _open(out, bom=excel and fmt == "csv") as stream:
        if fmt == "jsonl":
            return _write_jsonl(rows, cols, stream)
        return _write_csv(rows, cols, stream, ";" if excel else ",")


def export_excerpts(store: Store, fmt: str, out=None, excel: bool = False) -> int:
    """Every excerpt of ``store`` with its alignment, written by :func:`write_rows`."""
    return write_rows(excerpt_rows(store), fmt, out, excel=excel)


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
