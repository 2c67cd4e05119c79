"""What an engine provides: the shape every plug of :mod:`indexer.engines` has.

An engine is three small objects. The search core (:mod:`indexer.search`) and the build
lifecycle (:mod:`indexer.lifecycle`) talk to them only through the methods below, with the
records below; see docs/architecture.md for how to add one.

* :class:`Engine`: where its builds live, and how to write and open one.
* :class:`Writer`: takes :class:`~indexer.documents.IndexDocument` s, commits or cancels.
* :class:`Searcher`: one open build. It matches a parsed query (:mod:`indexer.querylang`
  nodes) within a :class:`Narrowing`, in an order, one page at a time, with the facet counts
  over every match (:class:`Match`); counts a query alone; knows its facet values; suggests
  near words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import Paths
from ..documents import IndexDocument
from ..querylang import Node


@dataclass(frozen=True)
class Narrowing:
    """What a search is narrowed to, already checked and resolved to indexed values.

    ``filters``: facet name -> indexed values (values of one facet OR-ed, facets AND-ed).
    ``kinds``: the scope's kinds of document, None for every kind. ``saved_from`` /
    ``saved_to``: inclusive bounds on the saved date, as ``YYYY[-MM[-DD]]`` (None: open).
    """

    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kinds: tuple[str, ...] | None = None
    saved_from: str | None = None
    saved_to: str | None = None

    @property
    def filtered(self) -> bool:
        """Whether anything but the scope narrows (facet filters or dates)."""
        return bool(self.filters or self.saved_from or self.saved_to)


@dataclass
class Stored:
    """One hit as the index stored it: the export row, and its score (None: not ranked)."""

    row: dict
    score: float | None = None

    @property
    def kind(self) -> str:
        return self.row["kind"]


@dataclass
class Match:
    """One page of matches: how many match in all, the page, and the facet counts asked for
    (``facet -> [(value, count)]``, most frequent first, ties by value).

    An engine may still be counting when it returns the page (in another thread, so that the
    caller makes its snippets meanwhile): ``pending`` then gives ``(total or None, facets)``,
    and :meth:`wait` fills them in.
    """

    total: int | None
    page: list[Stored] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    pending: Callable[[], tuple[int | None, dict]] | None = None

    def wait(self) -> Match:
        """This match, its counts complete."""
        if self.pending is not None:
            total, self.facets = self.pending()
            self.pending = None
            if total is not None:
                self.total = total
        return self


class Searcher(Protocol):
    """One open build of an engine's index."""

    built: str  # when the index was written (UTC, ISO 8601)
    fields: list[str]  # the search fields some document uses (the parser asks only those)

    def match(self, q: Node, narrowing: Narrowing, order: str, limit: int, offset: int,
              facets: list[str]) -> Match:
        """The page ``offset .. offset+limit`` of the documents matching ``q`` within
        ``narrowing``, ordered by ``order`` (:func:`indexer.querylang.ordering`), with the
        counts of ``facets`` over every match."""

    def count(self, q: Node) -> int:
        """How many documents ``q`` matches, of any kind, with no narrowing."""

    def values(self, facet: str) -> dict[str, int]:
        """``indexed value -> number of documents`` of a facet."""

    def matches_words(self, q: Node) -> bool:
        """Whether a prefix or range node matches any word of the index."""

    def suggest(self, word: str) -> str | None:
        """The indexed word of ``text_exact`` nearest ``word``, or None."""

    def close(self) -> None: ...


class Writer(Protocol):
    """Writes one build: in a fresh directory, or over the current one (an update)."""

    def add(self, doc: IndexDocument) -> None: ...

    def replace(self, doc: IndexDocument) -> None:
        """Replace the document of the same id."""

    def delete(self, doc_id: str) -> None: ...

    def add_prepared(self, prepared) -> None:
        """Add a document its engine's preparer made (see :meth:`Engine.preparer`); only
        engines with a preparer have it."""

    def commit(self) -> None:
        """Make every change visible at once (and write what the engine keeps beside it)."""

    def cancel(self) -> None:
        """Drop every change since the writer opened."""


class Engine(Protocol):
    """A search engine behind the one search API."""

    name: str

    def home(self, paths: Paths) -> Path:
        """The directory holding ``current``, ``builds/`` and ``.lock``."""

    def is_build(self, build: Path) -> bool:
        """Whether ``build`` holds a complete index of this engine; :class:`OSError` when it
        vanished while looked at (a rebuild's swap removes the build it replaced)."""

    def outdated(self, build: Path) -> bool:
        """Whether ``build`` is of an earlier layout (the next update rebuilds)."""

    def indexed(self, build: Path) -> dict[str, str]:
        """``document id -> content hash`` of every document in ``build``."""

    def writer(self, paths: Paths, build: Path, new: bool) -> Writer: ...

    def preparer(self) -> Callable[[], Callable[[IndexDocument], object]] | None:
        """What lets a build use several processes: a factory, called once in each worker
        process, of a function turning a document into what :meth:`Writer.add_prepared`
        takes (picklable, with the document's ``kind``); the analysis runs there, beside the
        writer. None: the engine's writer takes whole documents only."""

    def open(self, paths: Paths, build: Path) -> Searcher:
        """A searcher on ``build`` (OSError if it vanished meanwhile: the caller retries)."""
