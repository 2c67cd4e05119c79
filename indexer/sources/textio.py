"""Exports as people have them: the encoding and the CSV separator a spreadsheet chose.

A Diigo CSV re-saved by Excel comes back with ``;`` between fields (a French Excel) and in
Windows-1252 unless "CSV UTF-8" was chosen; LibreOffice offers tabs. So an export is read:

* in UTF-8 when it is valid UTF-8 (with or without a byte-order mark); else in the encoding
  charset-normalizer finds (a Latin-1 guess on text with Windows quotes is taken as
  Windows-1252, its superset in practice), else Windows-1252, with a warning naming the file;
  ``--encoding`` forces one;
* CSV with the separator of the header line, among ``,`` ``;`` and tab (the one that splits it
  into the most columns); ``--delimiter`` forces one.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

DELIMITERS = (",", ";", "\t")
SAMPLE = 1 << 20  # bytes given to the detector: enough for a verdict, bounded for huge files
_LATIN1 = {"latin_1", "iso8859_1", "iso8859_15", "cp1250", "cp1252", "iso8859_2"}
_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


@dataclass(frozen=True)
class Reading:
    """How to read one export: its encoding, and the CSV separator if forced."""

    encoding: str = "utf-8"
    delimiter: str | None = None  # None: sniffed from the header line
    warning: str | None = None  # said once when the encoding was guessed


def check_options(encoding: str | None, delimiter: str | None) -> None:
    """Refuse an unknown ``--encoding`` or a ``--delimiter`` that is not one character."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError("--encoding", f"unknown encoding {encoding!r} "
                             "(try utf-8, cp1252, latin-1)") from None
    if delimiter is not None and len(unescape(delimiter)) != 1:
        raise InputError("--delimiter", "one character: ',' ';' or 'tab'")


def unescape(delimiter: str) -> str:
    """``tab`` and ``\\t`` as a tab character; anything else as given."""
    return "\t" if delimiter in ("tab", "\\t", "TAB") else delimiter


def choose_encoding(path: Path, utf8: bool, has_bom: bool, sample: bytes,
                    forced: str | None = None) -> Reading:
    """The encoding to read ``path`` in (see the module docstring)."""
    if forced:
        return Reading(codecs.lookup(forced).name)
    if has_bom:
        return Reading("utf-8-sig")
    if utf8:
        return Reading("utf-8")
    guess = _detect(sample)
    return Reading(guess, warning=f"{path}: not UTF-8; read as {guess} (guessed): "
                                  "if the accents look wrong, give the right --encoding")


def _detect(sample: bytes) -> str:
    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    best = from_bytes(sample).best()
    name = codecs.lookup(best.encoding).name.replace("-", "_") if best else "cp1252"
    if name in _LATIN1 or name.startswith("utf"):  # utf: a sample cut mid-character
        return "cp1252"
    return name


def sniff_delimiter(first_line: str, forced: str | None = None) -> str:
    """The separator of a CSV file whose header line is ``first_line``."""
    if forced:
        return unescape(forced)

    def columns(d: str) -> int:
        try:
            return len(next(csv.reader([first_line], delimiter=d), []))
        except csv.Error:
            return 0

    return max(DELIMITERS, key=lambda d: (columns(d), d == ","))


def delimiter_name(delimiter: str) -> str:
    return _NAMES.get(delimiter, repr(delimiter))


def decode_error(path: Path, encoding: str, line: int | None, exc: UnicodeDecodeError):
    """The one-line error of a file that is not in the encoding it was read in."""
    return InputError(path, f"not valid {encoding} (byte {exc.start} of the line): give the "
                            "right --encoding (utf-8, cp1252, latin-1...)", line=line)
