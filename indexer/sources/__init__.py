"""Importers, one module per export format, all yielding the same records.

Each format module exposes ``NAME`` (the ``--format`` value), ``sniff(head) -> bool`` (does the
start of this text look like my format?) and ``parse(text, path) -> ParseResult``. Formats are
chosen by content, never by file name: :func:`detect` asks each module in turn.

:func:`load` is the one entry point: it reads the file, refuses what is not text with one clear
:class:`~indexer.errors.InputError`, detects the format and parses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..errors import InputError, UnknownFormatError
from ..records import ParseResult
from . import diigo_api, diigo_csv, diigo_page, hypothesis, native

# Most specific first: the JSON formats check structure, the CSVs their header.
FORMATS: list[ModuleType] = [hypothesis, diigo_api, native, diigo_csv, diigo_page]
SNIFF_CHARS = 65536


def format_names() -> list[str]:
    """The values ``--format`` accepts."""
    return [m.NAME for m in FORMATS]


@dataclass
class SourceFile:
    """A file read as text, with its content hash (import provenance)."""

    path: Path
    text: str
    sha256: str  # of the file's bytes as they are on disk
    warnings: list[str] = field(default_factory=list)


def read_source(path: str | Path) -> SourceFile:
    """Read an export as UTF-8 text, or raise one clear :class:`InputError`."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        raise InputError(p, "is a directory, not an export file")
    try:
        data = raw = p.read_bytes()
    except OSError as exc:
        raise InputError(p, f"cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise InputError(p, "file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": NULs, yet text
        raise InputError(p, "UTF-16 text: save or convert it as UTF-8")
    nul = data.find(b"\x00")
    if 0 <= nul < SNIFF_CHARS:
        raise InputError(p, "binary file (NUL bytes), not a text export")
    warnings = []
    if nul >= 0:  # real exports carry stray NULs (text copied from PDFs): drop them, say where
        line, count = data.count(b"\n", 0, nul) + 1, data.count(b"\x00")
        warnings.append(f"line {line}: {count} NUL byte(s) removed")
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(p, f"not valid UTF-8 (byte {exc.start})", line=line) from exc
    return SourceFile(p, text, hashlib.sha256(raw).hexdigest(), warnings)


def detect(text: str) -> ModuleType | None:
    """The format module whose ``sniff`` accepts this text, or None."""
    head = text[:SNIFF_CHARS]
    for module in FORMATS:
        if module.sniff(head):
            return module
    return None


def module_for(name: str) -> ModuleType:
    for module in FORMATS:
        if module.NAME == name:
            return module
    raise UnknownFormatError("--format", f"unknown format {name!r}; known: {', '.join(format_names())}")


def load(path: str | Path, format: str | None = None) -> tuple[SourceFile, ParseResult]:
    """Read, detect (unless ``format`` names one) and parse one export file."""
    source = read_source(path)
    try:  # json (sniffers and parsers alike) recurses once per level of nesting
        module = module_for(format) if format else detect(source.text)
        if module is None:
            raise UnknownFormatError(
                source.path, f"unknown export format; known formats: {', '.join(format_names())}"
            )
        parsed = module.parse(source.text, source.path)
    except RecursionError:
        raise InputError(source.path, "nested too deeply to be an export (JSON depth)") from None
    parsed.warnings[:0] = source.warnings
    return source, parsed
