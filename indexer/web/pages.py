"""What each page shows, as plain data for the templates: hits, facet links, paging, the
article with its highlights. No HTML is written here: the templates escape everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from ..fragments import http_link as safe_link
from ..reading import Reading, in_page_text, in_snapshot
from ..results import SearchResults, Snippet
from ..works import Quote
from .state import FACET_ORDER, PAGE_SIZE, SearchState

FACETS = FACET_ORDER
FACET_TOP = 12  # values shown per facet (the selected ones always are)
EXPORTS = ("csv", "json", "ris", "csljson", "bibtex", "w3c", "hypothesis")

__all__ = ["FACETS", "PAGE_SIZE", "article_page", "safe_link", "search_page"]


def local_link(target: str | None) -> str | None:
    """``target`` if it is a path of this site (``/...``, not ``//host``), else None."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@dataclass
class Piece:
    text: str
    marked: bool = False


def pieces(snippet: Snippet) -> list[Piece]:
    """A snippet cut into plain and matched pieces (the template marks the matched ones)."""
    out, last = [], 0
    for start, end in snippet.spans:
        if start > last:
            out.append(Piece(snippet.text[last:start]))
        out.append(Piece(snippet.text[start:end], True))
        last = end
    if last < len(snippet.text):
        out.append(Piece(snippet.text[last:]))
    return out


def article_href(bookmark_id: str, doc_id: str, kind: str, back: str | None = None) -> str:
    """The article page of a hit, opened at that hit: an excerpt, a note, the description."""
    if kind == "excerpt":
        anchor = f"x-{doc_id}"
    elif kind == "note":
        anchor = f"x-{doc_id[2:]}" if doc_id.startswith("c-") else doc_id
    else:
        anchor = "description" if kind == "description" else "article"
    query = f"?{urlencode({'back': back})}" if back else ""
    return f"/b/{quote(bookmark_id, safe='')}{query}#{anchor}"


def search_page(state: SearchState, results: SearchResults, w) -> dict:
    """The search page's data: the form's state, hits, facets, active filters, paging,
    exports and the zero-hit hint."""
    here = state.url()
    first = (results.page - 1) * results.limit + 1
    pages = max(1, -(-results.total // results.limit))
    return {
        "state": state, "results": results, "here": here,
        "hits": [_hit(h, here) for h in results.hits],
        "facets": [(name, _facet(state, name, results.facets.get(name, [])))
                   for name in FACETS if results.facets.get(name) or dict(state.filters).get(name)],
        "active": [(name, value, state.toggled(name, value).url())
                   for name, values in state.filters for value in values],
        "clear": state.cleared().url() if state.filters else None,
        "first": first, "last": first + len(results.hits) - 1, "pages": pages,
        "previous": state.at_page(results.page - 1).url() if results.page > 1 else None,
        "next": state.at_page(results.page + 1).url() if results.page < pages else None,
        "exports": {fmt: state.at_page(1).url(f"/export.{fmt}") for fmt in EXPORTS},
        "excel": "/export.csv?" + urlencode([*state.at_page(1).params(), ("excel", "1")]),
        "hint": hint(state, results, w) if not results.total else None,
    }


def hint(state: SearchState, results: SearchResults, w) -> dict | None:
    """The zero-hit hint in the page's words, with the links that act on it: search
    everywhere, drop the filters, try the near words."""
    detail = results.hint_detail
    if "elsewhere" in detail:
        where = ", ".join(w.in_kind.format(n=n, kind=w.kinds_plural.get(k, k))
                          for k, n in detail["elsewhere"])
        text = w.hint_elsewhere.format(scope=w.scopes[state.scope], where=where)
        return {"text": text, "links": [(w.search_everywhere,
                                          replace(state, scope="all", page=1).url())]}
    if "unfiltered" in detail:
        return {"text": w.hint_unfiltered.format(n=detail["unfiltered"]),
                "links": [(w.clear_filters, state.cleared().url())]}
    if "near" in detail:
        links = []
        for word, near in detail["near"]:
            q = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", near, state.q, count=1)
            links.append((w.search_instead.format(q=q), replace(state, q=q, page=1).url()))
        return {"text": w.hint_near, "links": links}
    return None


def _hit(hit, here: str) -> dict:
    row = hit.row
    return {
        "kind": hit.kind, "id": row["id"], "title": row.get("title") or "",
        "site": row.get("site"), "date": row.get("created_at") or row.get("saved"),
        "tags": row.get("tags") or [], "annotator": row.get("annotator"),
        "pieces": pieces(hit.snippet), "href": article_href(row["bookmark_id"], row["id"],
                                                             hit.kind, here),
        "url": safe_link(row.get("url")), "raw_url": row.get("url"),
        "method": row.get("method"),
    }


def _facet(state: SearchState, name: str, counts: list[tuple[str, int]]) -> list[dict]:
    shown = counts[:FACET_TOP]
    chosen = dict(state.filters).get(name, ())
    listed = {v for v, _ in shown}
    shown += [(v, n) for v, n in counts[FACET_TOP:] if v in chosen]
    shown += [(v, 0) for v in chosen if v not in listed and v not in dict(counts)]
    return [{"value": v, "count": n, "selected": v in chosen,
             "href": state.toggled(name, v).url()} for v, n in shown]


# -- the article page -----------------------------------------------------------------------


def article_page(reading: Reading, back: str = "") -> dict:
    """The article page's data: the work, the text in runs with their excerpts, the margin
    list, the passages outside the main text and the orphans."""
    work = reading.work
    by_id = {q.id: q for q in work.quotes}
    runs = [{"text": s.text, "excerpts": " ".join(s.excerpts), "anchors": s.first_of,
             "fuzzy": any(by_id[i].method == "fuzzy" for i in s.excerpts),
             "overlap": len(s.excerpts) > 1} for s in reading.segments]
    return {
        "reading": reading, "work": work, "back": local_link(back) or "/",
        "state": SearchState(), "url": safe_link(work.url),
        "archived": safe_link(work.archived_url),
        "runs": runs, "margin": [_margin(q) for q in sorted(work.quotes, key=_reading_order)],
        "passages": [_passage(p, by_id) for p in reading.passages],
        "archived_passages": [_passage(p, by_id) for p in reading.archived],
        "orphans": [_margin(q) for q in reading.orphans],
        "tag_links": [(t, SearchState(filters=(("tag", (t,)),)).url()) for t in work.tags],
    }


def _passage(p, by_id: dict) -> dict:
    return {"id": p.excerpt_id, "before": p.before, "text": p.text, "after": p.after,
            "quote": by_id[p.excerpt_id], "archived_url": safe_link(p.archived_url),
            "archived_date": p.archived_date}


WHERE = ("main", "page", "archive", "orphan")  # the margin's order, as the page shows them


def _where(q: Quote) -> str:
    if not q.placed:
        return "orphan"
    return "archive" if in_snapshot(q) else "page" if in_page_text(q) else "main"


def _reading_order(q: Quote) -> tuple:
    """The margin follows the page: excerpts of the main text by place, then those of the
    rest of the page, then those found only in an archived copy, then the ones not placed
    (in the order they were saved)."""
    return (WHERE.index(_where(q)), q.start if q.placed else 0)


def _margin(q: Quote) -> dict:
    return {"excerpt": q, "where": _where(q), "fragment": safe_link(q.fragment_url),
            "score": f"{q.score:.2f}" if q.score is not None else None}
