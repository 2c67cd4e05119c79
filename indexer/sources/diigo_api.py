"""Diigo API v2 JSON: the response of ``GET /api/v2/bookmarks`` saved to a file.

A JSON array of bookmarks ``{title, url, user, desc, tags, shared, readlater, created_at,
updated_at, comments, annotations}``; ``tags`` is ONE comma-separated string (tags may contain
spaces); dates read ``2016/02/21 18:57:44 +0000``. Each annotation ``{content, created_at,
user, comments}`` is a highlighted passage (:class:`ExcerptRecord`); ``content`` may carry
inline HTML, made plain here; the annotation's comments become the excerpt's ``comment``.
The bookmark's own comments become :class:`NoteRecord` objects. No position hints exist in
this format: alignment searches the text.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from ..errors import InputError
from ..records import BookmarkRecord, ExcerptRecord, NoteRecord, ParseResult
from . import jsonpos
from .htmltext import html_to_text, inline_text

NAME = "diigo-api"
# Keys only Diigo's bookmark objects carry together with url/title.
DIIGO_KEYS = ("annotations", "readlater", "shared", "desc")

_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S",
                 "%Y/%m/%d %H:%M:%S")


def diigo_time(value: str | None) -> str | None:
    """A Diigo date as ISO 8601 (``+00:00`` kept when given, naive otherwise), or None."""
    value = (value or "").strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).isoformat()
        except ValueError:
            continue
    return None


def duplicate_url_warnings(records: list[BookmarkRecord]) -> list[str]:
    """One warning per URL listed twice: the store keeps one bookmark for it (merged)."""
    first: dict[str, int | None] = {}
    out = []
    for rec in records:
        if rec.url in first:
            out.append(f"line {rec.line}: URL {rec.url} already listed at line {first[rec.url]},"
                       " merged into one bookmark")
        elif rec.url:
            first[rec.url] = rec.line
    return out


def sniff(head: str) -> bool:
    """A JSON array whose first item is an object with url, title and Diigo's own keys."""
    stripped = head.lstrip()
    if not re.match(r"\[\s*\{", stripped):
        return False
    try:
        first, _ = json.JSONDecoder().raw_decode(stripped, re.match(r"\[\s*", stripped).end())
    except ValueError:  # first object longer than the head: judge on the keys seen
        return '"url"' in head and sum(f'"{k}"' in head for k in DIIGO_KEYS) >= 2
    return isinstance(first, dict) and "url" in first and sum(k in first for k in DIIGO_KEYS) >= 2


def parse(text: str, path) -> ParseResult:
    """One :class:`BookmarkRecord` per array item; InputError on invalid JSON or structure."""
    data = jsonpos.load(text, path)
    if not isinstance(data, list):
        raise InputError(path, "not a Diigo API export: expected a JSON array of bookmarks", line=1)
    lines = jsonpos.item_lines(text)
    result = ParseResult(format=NAME, records=[])
    for number, (item, line) in enumerate(zip(data, lines), start=1):
        result.records.append(_bookmark(item, number, line, path, result.warnings))
    result.warnings.extend(duplicate_url_warnings(result.records))
    return result


def _bookmark(item, number: int, line: int, path, warnings: list[str]) -> BookmarkRecord:
    where = f"bookmark {number}"
    if not isinstance(item, dict):
        found = type(item).__name__
        raise InputError(path, f"{where}: expected an object, found {found}", line=line)
    if not isinstance(item.get("url"), str) or not item["url"].strip():
        raise InputError(path, f"{where}: missing key 'url'", line=line)
    url = item["url"].strip()
    rec = BookmarkRecord(
        title=inline_text(str(item.get("title") or "")) or url,
        url=url,
        annotator=jsonpos.string(item, "user", where, path, line) or None,
        tags=_tags(item.get("tags")),
        description=html_to_text(str(item.get("desc") or "")),
        created_at=diigo_time(jsonpos.string(item, "created_at", where, path, line)),
        updated_at=diigo_time(jsonpos.string(item, "updated_at", where, path, line)),
        line=line,
    )
    for index, ann in enumerate(_list(item, "annotations", where, path, line), start=1):
        excerpt = _excerpt(ann, f"{where}, annotation {index}", path, line)
        if excerpt.text:
            rec.excerpts.append(excerpt)
        else:
            warnings.append(f"line {line}: {where}, annotation {index} is empty once cleaned,"
                            " skipped")
    for comment in _list(item, "comments", where, path, line):
        text = _comment_text(comment)
        if text:
            rec.notes.append(NoteRecord(text=text, annotator=_get(comment, "user"),
                                        created_at=diigo_time(_get(comment, "created_at"))))
    return rec


def _excerpt(ann, where: str, path, line: int) -> ExcerptRecord:
    if not isinstance(ann, dict) or not isinstance(ann.get("content"), str):
        raise InputError(path, f"{where}: missing key 'content'", line=line)
    comments = [_comment_text(c) for c in _list(ann, "comments", where, path, line)]
    return ExcerptRecord(
        text=html_to_text(ann["content"]),
        annotator=jsonpos.string(ann, "user", where, path, line) or None,
        created_at=diigo_time(jsonpos.string(ann, "created_at", where, path, line)),
        comment="\n\n".join(c for c in comments if c) or None,
    )


def _list(item: dict, key: str, where: str, path, line: int) -> list:
    value = item.get(key) or []
    if not isinstance(value, list):
        raise InputError(path, f"{where}: '{key}' should be a list, found {type(value).__name__}",
                         line=line)
    return value


def _tags(value) -> list[str]:
    """Diigo gives one comma string; a list is accepted too."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    return list(dict.fromkeys(str(t).strip() for t in parts if str(t).strip()))


def _comment_text(comment) -> str:
    if isinstance(comment, str):
        return html_to_text(comment)
    return html_to_text(str(_get(comment, "content") or ""))


def _get(obj, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None  # a comment's odd field is dropped
