"""The exceptions the library raises for things a user can fix.

The CLI prints ``str(error)`` as one line and exits non-zero; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base class: a user-facing problem, reported in one line."""

    exit_code = 1


class InputError(IndexerError):
    """A file we were asked to read is missing, unreadable or malformed."""

    exit_code = 2

    def __init__(self, path: object, message: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class UnknownFormatError(InputError):
    """No importer recognises the file's content."""


class StoreError(IndexerError):
    """The store cannot be opened or is from a newer version of the tool."""


class QueryError(IndexerError):
    """A search query, filter or field that cannot be understood."""


class IndexMissingError(IndexerError):
    """A search was asked for before any index was built."""


class BusyError(IndexerError):
    """Another process holds the lock for this stage."""
