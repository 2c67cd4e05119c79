"""Diigo library export, CSV (diigo.com "Tools > Export").

Header ``title,url,tags,description,comments,annotations,created_at``, one row per bookmark,
every field quoted, fields may span lines. The ``annotations`` cell holds one entry per line,
each starting ``Highlight:`` (a quoted passage: an :class:`ExcerptRecord`) or ``Sticky notes:``
(the annotator's own comment: a :class:`NoteRecord`); lines without a prefix continue the
entry above. Highlights keep the page's inline HTML; it becomes plain text here, and the junk
Diigo's highlighter injected (``<style id="diigolet-chrome-css">``, ``<link>``, ``<meta>``,
``body#dummybodyid`` CSS) is dropped. A highlight that was nothing but junk is empty once
cleaned: it is skipped with a warning (see docs/formats.md).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator

from ..errors import InputError
from ..records import BookmarkRecord, ExcerptRecord, NoteRecord, ParseResult
from .diigo_api import diigo_time, duplicate_url_warnings
from .htmltext import html_to_text, inline_text
from .textio import delimiter_name, sniff_delimiter

NAME = "diigo-csv"
WARN_REPEATS = True  # Diigo lists each bookmark once: a repeated URL is worth a warning
COLUMNS = ("title", "url", "tags", "description", "comments", "annotations", "created_at")
REQUIRED = ("title", "url", "annotations")
HIGHLIGHT = "Highlight:"
STICKY = "Sticky notes:"


def sniff(head: str) -> bool:
    """The first line is Diigo's header (its columns, at least title, url and annotations)."""
    columns = _header(head.split("\n", 1)[0])
    return bool(columns) and set(columns) <= set(COLUMNS) and set(REQUIRED) <= set(columns)


def parse(text: str, path) -> ParseResult:
    """One :class:`BookmarkRecord` per row; raises InputError on malformed CSV."""
    result = ParseResult(format=NAME, records=[])
    result.records.extend(records(split_lines(text), path, result.warnings))
    result.warnings.extend(duplicate_url_warnings(result.records))
    return result


def records(lines: Iterable[str], path, warnings: list[str],
            delimiter: str | None = None) -> Iterator[BookmarkRecord]:
    """The rows of a file given line by line (ends kept), one record at a time.

    Streams: nothing but the current row is held, so a million-row export reads in bounded
    memory. Warnings are appended to ``warnings`` as they arise, the last ones at the end.
    ``delimiter``: the field separator (default: the header line's, see textio).
    """
    skipped = {"blank": [], "junk": []}  # kind -> row lines (one per skipped highlight)
    rows = csv_rows(lines, path, delimiter)
    line, header = next(rows, (1, []))
    columns = [c.strip().lower() for c in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        used = delimiter_name(rows.delimiter) if hasattr(rows, "delimiter") else "comma"
        raise InputError(path, f"not a Diigo CSV header: no column {', '.join(missing)} "
                               f"(fields read as separated by {used}; --delimiter forces one)",
                         line=line)
    for line, row in rows:
        if len(row) != len(columns):
            raise InputError(
                path, f"row has {len(row)} fields, expected {len(columns)} ({','.join(columns)})",
                line=line,
            )
        yield _record(dict(zip(columns, row)), line, warnings, skipped)
    warnings.extend(_skipped_warnings(skipped))


def _skipped_warnings(skipped: dict[str, list[int]]) -> list[str]:
    why = {"blank": "empty in the export", "junk": "only Diigo's injected markup"}
    out = []
    for kind, lines in skipped.items():
        if lines:
            where = ", ".join(map(str, sorted(set(lines))[:10]))
            more = " ..." if len(set(lines)) > 10 else ""
            out.append(f"{len(lines)} highlight line(s) skipped, {why[kind]}"
                       f" (rows at lines {where}{more})")
    return out


def split_annotations(cell: str) -> list[tuple[str, str]]:
    """The entries of an annotations cell: ``("highlight" | "sticky", raw text)`` in order.

    Lines without a prefix continue the previous entry; text before any prefix (not seen in
    real exports) is kept as a highlight.
    """
    entries: list[tuple[str, str]] = []
    for line in cell.replace("\r\n", "\n").split("\n"):
        if line.startswith(HIGHLIGHT):
            entries.append(("highlight", line[len(HIGHLIGHT):]))
        elif line.startswith(STICKY):
            entries.append(("sticky", line[len(STICKY):]))
        elif entries:
            kind, raw = entries[-1]
            entries[-1] = (kind, raw + "\n" + line)
        elif line.strip():
            entries.append(("highlight", line))
    return entries


def split_tags(cell: str) -> list[str]:
    """Comma-separated tags, stripped, empty ones and repeats dropped, order kept."""
    return list(dict.fromkeys(t.strip() for t in cell.split(",") if t.strip()))


def _record(row: dict[str, str], line: int, warnings: list[str], skipped: dict) -> BookmarkRecord:
    """The bookmark of one row; highlights empty once cleaned are noted in ``skipped``."""
    url = row["url"].strip() or None
    created = row.get("created_at", "").strip()
    rec = BookmarkRecord(
        title=inline_text(row["title"]) or (url or ""),
        url=url,
        tags=split_tags(row.get("tags", "")),
        description=html_to_text(row.get("description", "")),
        created_at=diigo_time(created) if created else None,
        line=line,
    )
    if created and rec.created_at is None:
        warnings.append(f"line {line}: created_at {created!r} is not a date, left empty")
    for kind, raw in split_annotations(row["annotations"]):
        text = html_to_text(raw)
        if kind == "sticky":
            if text:
                rec.notes.append(NoteRecord(text=text))
        elif text:
            rec.excerpts.append(ExcerptRecord(text=text))
        else:
            skipped["junk" if raw.strip() else "blank"].append(line)
    comments = html_to_text(row.get("comments", ""))
    if comments:  # empty in every real row seen; kept as a note if ever present
        rec.notes.append(NoteRecord(text=comments))
    return rec


def _header(first_line: str) -> list[str]:
    line = first_line.lstrip("\ufeff")
    try:
        row = next(csv.reader([line], delimiter=sniff_delimiter(line)), [])
    except csv.Error:
        return []
    return [c.strip().lower() for c in row]


def split_lines(text: str) -> Iterator[str]:
    """Lines split on LF only, ends kept: a stray CR inside a field stays in the field."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


class _Rows:
    """The rows of :func:`csv_rows`, and the separator they were read with."""

    def __init__(self, lines: Iterable[str], path, delimiter: str | None):
        lines = iter(lines)
        first = next(lines, "")
        self.delimiter = sniff_delimiter(first.lstrip("\ufeff"), delimiter)
        self._rows = _rows(itertools.chain([first], lines), path, self.delimiter)

    def __iter__(self):
        return self

    def __next__(self) -> tuple[int, list[str]]:
        return next(self._rows)


def csv_rows(lines: Iterable[str], path, delimiter: str | None = None) -> _Rows:
    """(first line, fields) of each non-blank CSV row; InputError on broken quoting.

    ``lines`` keep their ends (see :func:`split_lines`): a stray CR inside a field stays there.
    ``delimiter``: the field separator, by default the one the first line uses (``,`` ``;``
    or tab, see :mod:`.textio`).
    """
    return _Rows(lines, path, delimiter)


def _rows(lines: Iterable[str], path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, strict=True, delimiter=delimiter)
    before = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(path, _csv_message(exc), line=before + 1) from exc
        if row:
            yield before + 1, row
        before = reader.line_num


def _csv_message(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message:
        return "CSV row never ends: unbalanced quote (file truncated?)"
    if "field larger than field limit" in message:
        return f"CSV field too large ({message})"
    return f"malformed CSV row ({message})"
