"""Our own format, for anything no other importer reads: JSONL, or CSV with one row per excerpt.

**JSONL**: the first non-blank line is the header ``{"format": "indexer/1"}`` (the marker that
makes detection unambiguous); every other non-blank line is one bookmark::

    {"url": "...", "title": "...", "annotator": "...", "tags": ["a", "b"],
     "description": "...", "created_at": "2024-05-08T05:36:43",
     "excerpts": [{"text": "...", "comment": "..."}, "a bare string is an excerpt too"],
     "notes": ["a comment of the annotator's own"]}

A repeated header line (files joined with ``cat``) is skipped. Unknown keys are errors, so
that a typo does not silently lose data.

**CSV**: a header row naming our columns (:data:`CSV_COLUMNS`, any order, ``title`` or
``url`` and ``excerpt`` required), then one row per excerpt; rows with the same ``url`` (or,
without one, the same title, annotator and group) are one bookmark, whose fields come from
its first row that fills them. A row with an empty ``excerpt`` adds only its ``note``, or
just the bookmark. docs/formats.md shows both with examples.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator

from ..errors import InputError
from ..records import BookmarkRecord, ExcerptRecord, NoteRecord, ParseResult
from .diigo_csv import csv_rows, split_lines, split_tags

NAME = "native"
MARKER = "indexer/1"

BOOKMARK_KEYS = {
    "url", "title", "annotator", "group", "site", "tags", "description", "created_at",
    "updated_at", "excerpts", "notes",
}
EXCERPT_KEYS = {
    "text", "annotator", "created_at", "comment", "prefix", "suffix", "hint_start", "hint_end",
    "source_id",
}
NOTE_KEYS = {"text", "annotator", "created_at"}
CSV_COLUMNS = (
    "url", "title", "annotator", "group", "site", "tags", "description", "created_at",
    "updated_at", "excerpt", "comment", "prefix", "suffix", "hint_start", "hint_end",
    "excerpt_created_at", "source_id", "note",
)

# Context around an excerpt: its spaces are part of it.
UNSTRIPPED = ("prefix", "suffix")


def sniff(head: str) -> bool:
    """JSONL whose first line is our header, or CSV whose header names only our columns."""
    first = _first_line(head)
    if first.startswith("{"):
        return _is_header(first)
    try:
        columns = next(csv_rows([first + "\n"], "-"))[1]
    except (InputError, StopIteration):
        return False
    return _csv_header_ok([c.strip().lower() for c in columns])


def parse(text: str, path) -> ParseResult:
    """Bookmarks from native JSONL or CSV; InputError names the line of anything malformed."""
    result = ParseResult(format=NAME, records=[])
    result.records.extend(records(split_lines(text), path, result.warnings))
    return result


def records(lines: Iterable[str], path, warnings: list[str],
            delimiter: str | None = None) -> Iterator[BookmarkRecord]:
    """The bookmarks of a file given line by line, one at a time (bounded memory);
    ``delimiter`` forces the CSV variant's separator (default: the header line's)."""
    lines = iter(lines)
    head: list[str] = []
    for line in lines:  # the first non-blank line says JSONL or CSV
        head.append(line)
        if line.strip():
            break
    body = itertools.chain(head, lines)
    if head and head[-1].lstrip("\ufeff").strip().startswith("{"):
        return _jsonl_records(body, path)
    return _csv_records(body, path, delimiter)


# -- JSONL --------------------------------------------------------------------------------


def _jsonl_records(lines: Iterable[str], path) -> Iterator[BookmarkRecord]:
    header_seen = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obj = _json_line(line, number, path)
        if _is_header(line):
            header_seen = True
            continue
        if not header_seen:
            message = f'native JSONL must start with {{"format": "{MARKER}"}}'
            raise InputError(path, message, line=number)
        yield _bookmark(obj, number, path)


def _json_line(line: str, number: int, path) -> dict:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
        raise InputError(path, message, line=number) from exc
    if not isinstance(obj, dict):
        raise InputError(path, f"expected one JSON object per line, found {type(obj).__name__}",
                         line=number)
    return obj


def _bookmark(obj: dict, line: int, path) -> BookmarkRecord:
    _check_keys(obj, BOOKMARK_KEYS, "bookmark", line, path)
    url = _str(obj, "url", line, path)
    title = _str(obj, "title", line, path)
    if not (url or title):
        raise InputError(path, "bookmark has neither 'url' nor 'title'", line=line)
    return BookmarkRecord(
        title=title or url or "",
        url=url,
        annotator=_str(obj, "annotator", line, path),
        group=_str(obj, "group", line, path),
        site=_str(obj, "site", line, path),
        tags=_str_list(obj, "tags", line, path),
        description=_str(obj, "description", line, path) or "",
        created_at=_str(obj, "created_at", line, path),
        updated_at=_str(obj, "updated_at", line, path),
        excerpts=[_excerpt(e, line, path) for e in _list(obj, "excerpts", line, path)],
        notes=[_note(n, line, path) for n in _list(obj, "notes", line, path)],
        line=line,
    )


def _excerpt(item, line: int, path) -> ExcerptRecord:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict):
        raise InputError(path, "each excerpt should be a string or an object", line=line)
    _check_keys(item, EXCERPT_KEYS, "excerpt", line, path)
    text = _str(item, "text", line, path)
    if not text:
        raise InputError(path, "an excerpt is missing key 'text'", line=line)
    return ExcerptRecord(
        text=text,
        annotator=_str(item, "annotator", line, path),
        created_at=_str(item, "created_at", line, path),
        comment=_str(item, "comment", line, path),
        prefix=_str(item, "prefix", line, path, strip=False),
        suffix=_str(item, "suffix", line, path, strip=False),
        hint_start=_int(item.get("hint_start"), "hint_start", line, path),
        hint_end=_int(item.get("hint_end"), "hint_end", line, path),
        source_id=_str(item, "source_id", line, path),
    )


def _note(item, line: int, path) -> NoteRecord:
    if isinstance(item, str):
        item = {"text": item}
    if not isinstance(item, dict):
        raise InputError(path, "each note should be a string or an object", line=line)
    _check_keys(item, NOTE_KEYS, "note", line, path)
    text = _str(item, "text", line, path)
    if not text:
        raise InputError(path, "a note is missing key 'text'", line=line)
    return NoteRecord(text=text, annotator=_str(item, "annotator", line, path),
                      created_at=_str(item, "created_at", line, path))


# -- CSV ----------------------------------------------------------------------------------


def _csv_records(lines: Iterable[str], path,
                 delimiter: str | None = None) -> Iterator[BookmarkRecord]:
    """One row per excerpt: consecutive rows of one bookmark make one record; a bookmark
    whose rows are not consecutive comes out more than once and the store merges it."""
    rows = csv_rows(lines, path, delimiter)
    line, header = next(rows, (1, []))
    columns = [c.strip().lower() for c in header]
    if not _csv_header_ok(columns):
        unknown = [c for c in columns if c not in CSV_COLUMNS]
        why = (f"unknown column {unknown[0]!r}" if unknown
               else "needs 'excerpt' and 'url' or 'title'")
        raise InputError(path, f"not a native CSV header: {why}", line=line)
    by_key: dict[tuple, BookmarkRecord] = {}
    for line, row in rows:
        if len(row) != len(columns):
            raise InputError(path, f"row has {len(row)} fields, expected {len(columns)}", line=line)
        values = {c: v if c in UNSTRIPPED else v.strip() for c, v in zip(columns, row)}
        key = _row_key(values, line, path)
        if by_key and key not in by_key:
            yield from by_key.values()
            by_key.clear()
        _add_row(by_key, key, values, line, path)
    yield from by_key.values()


def _row_key(row: dict[str, str], line: int, path) -> tuple:
    get = row.get
    if not (get("url") or get("title")):
        raise InputError(path, "row has neither 'url' nor 'title'", line=line)
    if get("url"):
        return ("url", get("url"))
    return ("title", get("title"), get("annotator"), get("group"))


def _add_row(by_key: dict, key: tuple, row: dict[str, str], line: int, path) -> None:
    get = row.get
    rec = by_key.get(key)
    if rec is None:
        rec = by_key[key] = BookmarkRecord(title=get("title") or get("url"), url=get("url") or None,
                                           line=line)
    for field in ("annotator", "group", "site", "created_at", "updated_at"):
        if getattr(rec, field) is None and get(field):
            setattr(rec, field, get(field))
    rec.description = rec.description or get("description") or ""
    rec.tags.extend(t for t in split_tags(get("tags") or "") if t not in rec.tags)
    if get("excerpt"):
        rec.excerpts.append(ExcerptRecord(
            text=get("excerpt"), comment=get("comment") or None, prefix=get("prefix") or None,
            suffix=get("suffix") or None, created_at=get("excerpt_created_at") or None,
            hint_start=_int(get("hint_start") or None, "hint_start", line, path),
            hint_end=_int(get("hint_end") or None, "hint_end", line, path),
            source_id=get("source_id") or None,
        ))
    if get("note"):
        rec.notes.append(NoteRecord(text=get("note")))


def _csv_header_ok(columns: list[str]) -> bool:
    return (
        bool(columns) and all(c in CSV_COLUMNS for c in columns)
        and "excerpt" in columns and ("url" in columns or "title" in columns)
    )


# -- small checks -------------------------------------------------------------------------


def _first_line(text: str) -> str:
    for line in text.lstrip("\ufeff").split("\n"):
        if line.strip():
            return line.strip()
    return ""


def _is_header(line: str) -> bool:
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("format") == MARKER and "url" not in obj


def _check_keys(obj: dict, allowed: set[str], what: str, line: int, path) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise InputError(path, f"unknown {what} key {unknown[0]!r} (known: {known})", line=line)


def _str(obj: dict, key: str, line: int, path, strip: bool = True) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        found = type(value).__name__
        raise InputError(path, f"'{key}' should be a string, found {found}", line=line)
    return (value.strip() if strip else value) or None


def _list(obj: dict, key: str, line: int, path) -> list:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise InputError(path, f"'{key}' should be a list, found {type(value).__name__}", line=line)
    return value


def _str_list(obj: dict, key: str, line: int, path) -> list[str]:
    values = _list(obj, key, line, path)
    if not all(isinstance(v, str) for v in values):
        raise InputError(path, f"'{key}' should be a list of strings", line=line)
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def _int(value, key: str, line: int, path) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise InputError(path, f"'{key}' should be an integer, found {value!r}", line=line)
