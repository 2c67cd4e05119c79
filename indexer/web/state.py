"""A search page's whole state, read from and written to its URL (so it can be bookmarked
and shared): the query, scope, sort, dates, page and the facet filters.

Parameter names are the CLI's options (``q``, ``in``, ``sort``, ``since``, ``until``,
``page``, and one repeated parameter per facet: ``tag``, ``annotator``, ``author``, ``site``,
``lang``, ``year``, ``entity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from ..errors import QueryError, quoted
from ..search import DEFAULT_SCOPE

# facet name -> URL parameter (the CLI's --lang for the language facet)
PARAMS = {"tag": "tag", "annotator": "annotator", "author": "author", "site": "site",
          "language": "lang", "year": "year", "entity": "entity"}
FACET_ORDER = list(PARAMS)
PAGE_SIZE = 20


@dataclass(frozen=True)
class SearchState:
    """What one search page asks for; :meth:`url` writes it back, changed or not."""

    q: str = ""
    scope: str = DEFAULT_SCOPE
    sort: str = "relevance"
    since: str = ""
    until: str = ""
    page: int = 1
    filters: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @classmethod
    def from_params(cls, params) -> SearchState:
        """The state of a query string (a Starlette ``QueryParams`` or a list of pairs)."""
        items = params.multi_items() if hasattr(params, "multi_items") else list(params)
        single = {k: v for k, v in items}
        page_text = single.get("page", "1") or "1"
        if not page_text.isdigit() or int(page_text) < 1:
            raise QueryError(f"bad page {quoted(page_text)}: pages are numbered from 1")
        filters = []
        for name, param in PARAMS.items():
            values = tuple(dict.fromkeys(v for k, v in items if k == param and v.strip()))
            if values:
                filters.append((name, values))
        return cls(single.get("q", "").strip(), single.get("in") or DEFAULT_SCOPE,
                   single.get("sort") or "relevance", single.get("since", "").strip(),
                   single.get("until", "").strip(), int(page_text), tuple(filters))

    @property
    def filter_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.filters}

    def has(self, name: str, value: str) -> bool:
        return value in dict(self.filters).get(name, ())

    def toggled(self, name: str, value: str) -> SearchState:
        """This state with ``value`` of facet ``name`` added, or removed if it was there; back
        to the first page (the hits change)."""
        current = dict(self.filters)
        values = current.get(name, ())
        values = tuple(v for v in values if v != value) if value in values else (*values, value)
        current[name] = values
        filters = tuple((n, current[n]) for n in FACET_ORDER if current.get(n))
        return replace(self, filters=filters, page=1)

    def cleared(self) -> SearchState:
        return replace(self, filters=(), page=1)

    def at_page(self, page: int) -> SearchState:
        return replace(self, page=page)

    def params(self) -> list[tuple[str, str]]:
        """The query-string pairs of this state, defaults left out (short, stable URLs)."""
        out = [("q", self.q)] if self.q else []
        if self.scope != DEFAULT_SCOPE:
            out.append(("in", self.scope))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        out += [(k, v) for k, v in (("since", self.since), ("until", self.until)) if v]
        for name, values in self.filters:
            out += [(PARAMS[name], v) for v in values]
        if self.page != 1:
            out.append(("page", str(self.page)))
        return out

    def url(self, path: str = "/") -> str:
        """``path`` with this state as its query string."""
        query = urlencode(self.params())
        return f"{path}?{query}" if query else path
