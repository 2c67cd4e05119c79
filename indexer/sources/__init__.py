"""Importers, one module per export format, all yielding the same records.

Each format module exposes ``NAME`` (the ``--format`` value), ``sniff(head) -> bool`` (does the
start of this text look like my format?) and ``parse(text, path) -> ParseResult``. Formats are
chosen by content, never by file name: :func:`detect` asks each module in turn.

:func:`load` reads the file, refuses what is not text with one clear
:class:`~indexer.errors.InputError`, detects the format and parses it whole. :func:`open_export`
does the same for an import, streaming: formats that read line by line also expose
``records(lines, path, warnings)``, a generator of records, so that a million-row export is
imported in bounded memory.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from ..errors import InputError, UnknownFormatError
from ..records import BookmarkRecord, ParseResult
from . import diigo_api, diigo_csv, diigo_page, hypothesis, native
from .textio import SAMPLE, Reading, check_options, choose_encoding, decode_error

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


@dataclass
class _Scan:
    """What one pass over a file's bytes found: its hash, its head, stray NUL bytes, whether
    it is valid UTF-8, and a sample for an encoding detector."""

    sha256: str
    head: bytes
    warnings: list[str]
    utf8: bool = True
    sample: bytes = b""

    def reading(self, p: Path, encoding: str | None) -> Reading:
        return choose_encoding(p, self.utf8, self.head.startswith(codecs.BOM_UTF8), self.sample,
                               encoding)


def _scan(p: Path) -> _Scan:
    """Check that ``p`` is a readable, non-empty text file, in 1 MB chunks (bounded memory)."""
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        raise InputError(p, "is a directory, not an export file")
    digest, head, lines, nuls, first_nul, blank = hashlib.sha256(), b"", 0, 0, None, True
    utf8, decoder, sample = True, codecs.getincrementaldecoder("utf-8")(), b""
    try:
        with p.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                head = head or chunk[:SNIFF_CHARS]
                sample = sample or chunk[:SAMPLE]
                blank = blank and not chunk.strip()
                if b"\x00" in chunk and first_nul is None:
                    first_nul = lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
                nuls += chunk.count(b"\x00")
                lines += chunk.count(b"\n")
                utf8 = utf8 and _valid(decoder, chunk)
    except OSError as exc:
        raise InputError(p, f"cannot read ({exc.strerror})") from exc
    if blank:
        raise InputError(p, "file is empty")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode text": NULs, yet text
        raise InputError(p, "UTF-16 text: save or convert it as UTF-8")
    if b"\x00" in head:
        raise InputError(p, "binary file (NUL bytes), not a text export")
    # Real exports carry stray NULs further on (text copied from PDFs): dropped, with a word.
    warnings = [f"line {first_nul}: {nuls} NUL byte(s) removed"] if nuls else []
    utf8 = utf8 and _valid(decoder, b"", final=True)
    return _Scan(digest.hexdigest(), head, warnings, utf8, sample)


def _valid(decoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk.replace(b"\x00", b""), final)
    except UnicodeDecodeError:
        return False
    return True


def read_source(path: str | Path, encoding: str | None = None) -> SourceFile:
    """Read an export as text (UTF-8, else the encoding found or given: see
    :mod:`.textio`), or raise one clear :class:`InputError`."""
    p = Path(path)
    scan = _scan(p)
    reading = scan.reading(p, encoding)
    data = p.read_bytes().replace(b"\x00", b"")
    try:
        text = data.decode(reading.encoding)
    except UnicodeDecodeError as exc:
        raise decode_error(p, reading.encoding, data.count(b"\n", 0, exc.start) + 1,
                           exc) from exc
    warnings = scan.warnings + ([reading.warning] if reading.warning else [])
    return SourceFile(p, text.lstrip("\ufeff"), scan.sha256, warnings)


@dataclass
class Export:
    """An export opened for import: its records come one at a time (see :func:`open_export`)."""

    path: Path
    format: str
    sha256: str
    records: Iterator[BookmarkRecord]
    warnings: list[str]  # grows while ``records`` is consumed
    warn_repeats: bool = False  # a bookmark listed twice deserves a warning in this format


def open_export(path: str | Path, format: str | None = None, encoding: str | None = None,
                delimiter: str | None = None) -> Export:
    """Open one export for a streaming import.

    Formats read line by line (Diigo CSV, native JSONL/CSV) are never held in memory whole:
    records are parsed as they are consumed, and errors (bad quoting, a byte not in the
    encoding, a bad row) surface then, with their line, inside the caller's transaction. JSON
    formats and the Diigo page are parsed whole, as :func:`load` does. ``encoding`` and
    ``delimiter`` force what is otherwise found in the file (:mod:`.textio`).
    """
    check_options(encoding, delimiter)
    p = Path(path)
    scan = _scan(p)
    reading = scan.reading(p, encoding)
    module = _choose(p, format, _head_text(scan.head, reading.encoding))
    if not hasattr(module, "records"):
        source, parsed = load(p, module.NAME, encoding)
        return Export(p, parsed.format, source.sha256, iter(parsed.records), parsed.warnings)
    warnings = scan.warnings + ([reading.warning] if reading.warning else [])
    lines = _file_lines(p, reading.encoding)
    records = _shallow(module.records(lines, p, warnings, delimiter=delimiter), p)
    return Export(p, module.NAME, scan.sha256, records, warnings,
                  getattr(module, "WARN_REPEATS", False))


def _shallow(records: Iterator[BookmarkRecord], p: Path) -> Iterator[BookmarkRecord]:
    try:  # json recurses once per level of nesting
        yield from records
    except RecursionError:
        raise _too_deep(p) from None


def _head_text(head: bytes, encoding: str = "utf-8") -> str:
    """The head decoded for sniffing (a character cut at the end is dropped)."""
    return codecs.getincrementaldecoder(encoding)("replace").decode(head).lstrip("\ufeff")


def _file_lines(p: Path, encoding: str = "utf-8") -> Iterator[str]:
    """The file's lines, split on LF only and ends kept, decoded one at a time."""
    with p.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                yield raw.replace(b"\x00", b"").decode(encoding)
            except UnicodeDecodeError as exc:
                raise decode_error(p, encoding, number, exc) from exc


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


def load(path: str | Path, format: str | None = None,
         encoding: str | None = None) -> tuple[SourceFile, ParseResult]:
    """Read, detect (unless ``format`` names one) and parse one export file whole."""
    source = read_source(path, encoding)
    module = _choose(source.path, format, source.text)
    try:
        parsed = module.parse(source.text, source.path)
    except RecursionError:
        raise _too_deep(source.path) from None
    parsed.warnings[:0] = source.warnings
    return source, parsed


def _choose(path: Path, format: str | None, head: str) -> ModuleType:
    """The module named by ``format``, or the one whose sniffer accepts ``head``."""
    if format:
        return module_for(format)
    try:
        module = detect(head)
    except RecursionError:  # json (sniffers and parsers alike) recurses once per level
        raise _too_deep(path) from None
    if module is None:
        raise UnknownFormatError(
            path, f"unknown export format; known formats: {', '.join(format_names())}"
        )
    return module


def _too_deep(path: Path) -> InputError:
    return InputError(path, "nested too deeply to be an export (JSON depth)")
