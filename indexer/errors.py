"""The exceptions the library raises for things a user can fix.

The CLI prints ``str(error)`` as one line and exits non-zero; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations


def quoted(text: object) -> str:
    """``text`` between single quotes, as written: no Python escaping (``'l'État "x"'``)."""
    return f"'{text}'"


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


class PartialImportError(InputError):
    """Some files of an import failed (each rolled back alone); the others were imported.

    ``imported`` holds the summaries of the files imported, ``failures`` one
    :class:`InputError` per file that was not; ``str()`` is the first failure's line.
    """

    def __init__(self, imported: list, failures: list[InputError]):
        first = failures[0]
        super().__init__(first.path, first.message, first.line)
        self.imported, self.failures = imported, failures


class StoreError(IndexerError):
    """The store cannot be opened or is from a newer version of the tool."""


class QueryError(IndexerError):
    """A search query, filter or field that cannot be understood."""


class IndexMissingError(IndexerError):
    """A search was asked for before any index was built."""


class BusyError(IndexerError):
    """Another process holds the lock for this stage."""


class PullError(IndexerError):
    """A pull from an API (Hypothesis, Diigo) that could not finish, or was asked wrongly.

    What was pulled before the failure is kept; ``summary`` (when set) says how much, and the
    next pull resumes from there.
    """

    def __init__(self, message: str, summary=None):
        super().__init__(message)
        self.summary = summary
