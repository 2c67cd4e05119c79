"""The records a search gives back: filters asked for, hits with their snippets, a page.

Small dataclasses shared by every engine, the CLI, the notebooks and the exports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .documents import EXCERPT_COLUMNS
from .errors import QueryError, quoted

# Extra columns of a search row, after the export's own (EXCERPT_COLUMNS already has an
# alignment `score`, so the search score is `relevance`).
SEARCH_COLUMNS = EXCERPT_COLUMNS + [
    "kind", "relevance", "snippet", "context_before", "context_after", "query", "index_built",
]


@dataclass
class SearchFilters:
    """Facet filters: values of one facet are OR-ed, facets are AND-ed."""

    tag: list[str] = field(default_factory=list)
    annotator: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    site: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    year: list[str] = field(default_factory=list)
    entity: list[str] = field(default_factory=list)

    @classmethod
    def coerce(cls, value: SearchFilters | dict | None) -> SearchFilters:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        unknown = set(value) - set(cls.__dataclass_fields__)
        if unknown:
            known = ", ".join(cls.__dataclass_fields__)
            raise QueryError(f"unknown filter {quoted(min(unknown))}; known: {known}")
        return cls(**{k: [v] if isinstance(v, str) else list(v or []) for k, v in value.items()})

    def items(self) -> list[tuple[str, list[str]]]:
        return [(k, v) for k, v in asdict(self).items() if v]


@dataclass
class Snippet:
    """A piece of text with the character spans of the matched words."""

    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)

    def marked(self, open_: str = "[", close: str = "]") -> str:
        """The text with each matched span wrapped in ``open_`` ... ``close``."""
        out, last = [], 0
        for start, end in self.spans:
            out += [self.text[last:start], open_, self.text[start:end], close]
            last = end
        out.append(self.text[last:])
        return "".join(out)


@dataclass
class SearchHit:
    """One matching document: its export row, score, snippet and article context."""

    row: dict[str, Any]
    kind: str
    score: float | None
    snippet: Snippet
    context_before: str = ""
    context_after: str = ""

    def __getattr__(self, name: str):  # hit.title, hit.tags ... read the export row
        row = self.__dict__.get("row", {})
        if name in row:
            return row[name]
        raise AttributeError(name)

    def as_row(self, query: str, built: str) -> dict[str, Any]:
        """The machine-format row: every export column plus the search columns."""
        return dict(
            self.row, kind=self.kind, relevance=self.score, snippet=self.snippet.marked(),
            context_before=self.context_before, context_after=self.context_after,
            query=query, index_built=built,
        )


@dataclass
class SearchResults:
    """A page of hits, the facet counts over all matches, and what was asked."""

    query: str
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[tuple[str, int]]]
    index_built: str
    page: int = 1
    limit: int = 10
    hint: str | None = None
    # what the hint says, as data (for a page in another language than the CLI's):
    # {"elsewhere": [(kind, n)...]} | {"unfiltered": n} | {"near": [(word, near)...]}
    hint_detail: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """The hits as rows of :data:`SEARCH_COLUMNS` (for :func:`indexer.export.write_rows`)."""
        return [h.as_row(self.query, self.index_built) for h in self.hits]

    def payload(self) -> dict[str, Any]:
        """The JSON document of ``indexer search --format json`` (and the web reader's)."""
        return {
            "query": self.query, "total": self.total, "page": self.page,
            "index_built": self.index_built, "hint": self.hint,
            "facets": {k: [[v, c] for v, c in vc] for k, vc in self.facets.items()},
            "hits": self.rows(),
        }
