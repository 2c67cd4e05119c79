"""Hypothesis API search JSON: the response of ``GET /api/search`` saved to a file.

``{"total": N, "rows": [annotation, ...]}``. Each row becomes one :class:`BookmarkRecord`
(the store merges rows of the same ``uri`` into one bookmark): ``uri``, ``document.title[0]``,
``user`` (``acct:name@authority`` -> ``name``), ``tags``, ``created``/``updated``. A row whose
first target has a TextQuoteSelector is a highlight: ``exact``/``prefix``/``suffix`` become the
excerpt's text and context, a TextPositionSelector's ``start``/``end`` its position hints, the
row's ``text`` (the annotator's note) its ``comment`` and the row ``id`` its ``source_id``. A row
without one (a page note, a reply) keeps its ``text`` as a :class:`NoteRecord`.
"""

from __future__ import annotations

import json
import re

from ..errors import InputError
from ..records import BookmarkRecord, ExcerptRecord, NoteRecord, ParseResult
from . import jsonpos

NAME = "hypothesis"


def sniff(head: str) -> bool:
    """A JSON object with a ``rows`` array whose items look like annotations."""
    stripped = head.lstrip()
    if not stripped.startswith("{"):
        return False
    try:  # a whole object on the first line without rows: JSONL (our native header), not this
        first = json.loads(stripped.split("\n", 1)[0])
        if isinstance(first, dict) and "rows" not in first:
            return False
    except ValueError:
        pass
    return re.search(r'"rows"\s*:\s*\[', head) is not None and (
        re.search(r'"(target|uri)"\s*:', head) is not None
    )


def parse(text: str, path) -> ParseResult:
    """One :class:`BookmarkRecord` per row; InputError on invalid JSON or structure."""
    data = jsonpos.load(text, path)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise InputError(path, "not a Hypothesis search result: no 'rows' array", line=1)
    lines = jsonpos.item_lines(text, "rows")
    result = ParseResult(format=NAME, records=[])
    for number, (row, line) in enumerate(zip(data["rows"], lines), start=1):
        result.records.append(_bookmark(row, f"row {number}", line, path))
    total = data.get("total")
    if isinstance(total, int) and total > len(data["rows"]):
        result.warnings.append(
            f"{total} annotations matched the search but the file holds {len(data['rows'])}"
            " (later pages of the search were not saved)"
        )
    return result


def annotator_name(user: str | None) -> str | None:
    """``acct:mark@localhost`` -> ``mark``; other forms are returned as they are."""
    if not user:
        return None
    match = re.fullmatch(r"acct:([^@]+)@.*", user)
    return match.group(1) if match else user


def _bookmark(row, where: str, line: int, path) -> BookmarkRecord:
    if not isinstance(row, dict):
        found = type(row).__name__
        raise InputError(path, f"{where}: expected an object, found {found}", line=line)
    where = f"{where} (id {row['id']})" if isinstance(row.get("id"), str) else where
    target = _first_target(row, where, path, line)
    url = row.get("uri") or target.get("source")
    if not isinstance(url, str) or not url.strip():
        raise InputError(path, f"{where}: missing key 'uri'", line=line)
    user = annotator_name(jsonpos.string(row, "user", where, path, line))
    document = row.get("document") or {}
    if not isinstance(document, dict):
        raise InputError(path, f"{where}: 'document' should be an object", line=line)
    titles = document.get("title") or []
    titles = titles if isinstance(titles, list) else [titles]
    created = jsonpos.string(row, "created", where, path, line)
    rec = BookmarkRecord(
        title=(titles[0].strip() if titles and isinstance(titles[0], str) else "") or url,
        url=url.strip(),
        annotator=user,
        tags=_tags(row.get("tags")),
        created_at=created,
        updated_at=jsonpos.string(row, "updated", where, path, line),
        line=line,
    )
    note = (jsonpos.string(row, "text", where, path, line) or "").strip()
    quote, position = _selectors(target, where, path, line)
    exact = jsonpos.string(quote, "exact", where, path, line) if quote is not None else None
    if exact and exact.strip():
        rec.excerpts.append(ExcerptRecord(
            text=exact,
            annotator=user,
            created_at=created,
            prefix=jsonpos.string(quote, "prefix", where, path, line),
            suffix=jsonpos.string(quote, "suffix", where, path, line),
            hint_start=_int(position, "start"),
            hint_end=_int(position, "end"),
            source_id=jsonpos.string(row, "id", where, path, line),
            comment=note or None,
        ))
    elif note:
        rec.notes.append(NoteRecord(text=note, annotator=user, created_at=created))
    return rec


def _first_target(row: dict, where: str, path, line: int) -> dict:
    targets = row.get("target") or [{}]
    if not isinstance(targets, list) or not isinstance(targets[0], dict):
        raise InputError(path, f"{where}: 'target' should be a list of objects", line=line)
    return targets[0]


def _selectors(target: dict, where: str, path, line: int) -> tuple[dict | None, dict | None]:
    """The TextQuoteSelector and TextPositionSelector of a target (None when absent)."""
    selectors = target.get("selector") or []
    if not isinstance(selectors, list):
        raise InputError(path, f"{where}: 'selector' should be a list of objects", line=line)
    found: dict[str, dict] = {}
    for sel in selectors:
        kind = sel.get("type") if isinstance(sel, dict) else None
        if isinstance(kind, str) and kind not in found:
            found[kind] = sel
    return found.get("TextQuoteSelector"), found.get("TextPositionSelector")


def _tags(value) -> list[str]:
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return list(dict.fromkeys(str(t).strip() for t in values if str(t).strip()))


def _int(selector: dict | None, key: str) -> int | None:
    value = (selector or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
