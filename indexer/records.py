"""Small typed records passed between the importers, the store and the stages.

Importers yield :class:`BookmarkRecord` objects (each carrying its excerpts and notes);
the store turns them into rows with stable ids. Nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field


# Tags that mean "no tag": Diigo writes `no_tag` on every untagged bookmark of an export.
PLACEHOLDER_TAGS = frozenset({"no_tag"})


def real_tags(tags) -> set[str]:
    """The tags worth storing: empty ones and placeholders dropped."""
    return {t for t in tags if t and t not in PLACEHOLDER_TAGS}


@dataclass
class ExcerptRecord:
    """One highlighted passage of an article, as the export gives it.

    ``prefix``/``suffix``/``hint_start``/``hint_end`` are position hints some formats carry
    (Hypothesis TextQuoteSelector and TextPositionSelector); the align stage treats them as
    hints only, since they count characters of the browser's text, not of ours.
    """

    text: str
    annotator: str | None = None
    created_at: str | None = None  # ISO 8601, UTC when the source says so
    prefix: str | None = None
    suffix: str | None = None
    hint_start: int | None = None
    hint_end: int | None = None
    source_id: str | None = None  # the source's own id (Hypothesis annotation id)
    comment: str | None = None  # the annotator's note attached to this highlight


@dataclass
class NoteRecord:
    """A comment written by the annotator (Diigo sticky note): not a quotation of the page."""

    text: str
    annotator: str | None = None
    created_at: str | None = None


@dataclass
class BookmarkRecord:
    """One bookmarked page with everything an export says about it.

    ``line`` is where the item starts in its source file (1-based), kept as provenance and
    used in error messages.
    """

    title: str
    url: str | None = None
    annotator: str | None = None
    tags: list[str] = field(default_factory=list)
    description: str = ""
    created_at: str | None = None
    updated_at: str | None = None
    site: str | None = None
    group: str | None = None
    title_truncated: bool = False
    views: int | None = None
    excerpts: list[ExcerptRecord] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)
    line: int | None = None


@dataclass
class ParseResult:
    """What an importer read from one file: the records and the warnings it raised."""

    format: str
    records: list[BookmarkRecord]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportSummary:
    """What one import did to the store."""

    path: str
    format: str
    bookmarks_new: int = 0
    bookmarks_updated: int = 0
    bookmarks_unchanged: int = 0
    excerpts_new: int = 0
    excerpts_total: int = 0
    notes_new: int = 0
    notes_total: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def bookmarks_total(self) -> int:
        return self.bookmarks_new + self.bookmarks_updated + self.bookmarks_unchanged
