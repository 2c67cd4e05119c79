"""JSON with line numbers: the line where each item of an array starts.

``json.loads`` says nothing about where a value was, and the importers want the line of each
bookmark or annotation (provenance, error messages). :func:`load` parses the whole document
(raising :class:`~indexer.errors.InputError` with json's own line number); :func:`item_lines`
then walks the same, already valid, text with ``JSONDecoder.raw_decode`` to find where each
item of the top-level array (or of one top-level key's array) starts.
"""

from __future__ import annotations

import bisect
import json
import re

from ..errors import InputError

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def load(text: str, path) -> object:
    """The parsed document, or one InputError naming the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
        raise InputError(path, message, line=exc.lineno) from exc
    except RecursionError as exc:
        raise InputError(path, "invalid JSON: nested too deeply") from exc


def string(obj: dict, key: str, where: str, path, line: int) -> str | None:
    """``obj[key]`` if it is a string (None when absent or null), else one InputError."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    found = type(value).__name__
    raise InputError(path, f"{where}: '{key}' should be a string, found {found}", line=line)


def item_lines(text: str, key: str | None = None) -> list[int]:
    """1-based start line of each item of the top-level array, or of ``doc[key]``.

    ``text`` must be valid JSON (call :func:`load` first); returns [] when there is no such
    array.
    """
    newlines = [m.start() for m in re.finditer("\n", text)]
    pos = _skip(text, 0)
    if key is not None:
        pos = _member(text, pos, key)
        if pos is None:
            return []
    if text[pos : pos + 1] != "[":
        return []
    lines: list[int] = []
    pos = _skip(text, pos + 1)
    while text[pos : pos + 1] not in ("]", ""):
        lines.append(bisect.bisect_left(newlines, pos) + 1)
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip(text, pos + 1)
    return lines


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()


def _member(text: str, pos: int, key: str) -> int | None:
    """Offset of the value of top-level member ``key`` of the object at ``pos``."""
    if text[pos : pos + 1] != "{":
        return None
    pos = _skip(text, pos + 1)
    while text[pos : pos + 1] == '"':
        name, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, _skip(text, pos) + 1)  # past the ':'
        if name == key:
            return pos
        _, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip(text, pos + 1)
    return None
