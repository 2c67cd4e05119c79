"""``indexer pull hypothesis``: the Hypothesis ``/api/search`` API, page after page.

Annotations come sorted by ``updated``, oldest first, ``limit`` at a time; the next page asks
for those after the last one seen (``search_after``). That position is saved with each page,
so a pull stopped midway goes on from there, and the next day's pull asks only for what was
updated since.

Hypothesis lists one row per annotation, and a bookmark (a URI) gathers all the rows of its
URI. Each row is kept as the API gave it (``pulled_annotations``, by annotation id: an edited
annotation replaces its old row); the bookmarks a page touches are then rebuilt from all
their rows, newest first (the API's own default order), through the same importer as a saved
search result (:mod:`indexer.sources.hypothesis`). A pulled bookmark is thus exactly what
importing the saved JSON gives: the same ids, fields, tags, excerpts and notes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..config import Paths
from ..errors import InputError, PullError
from ..progress import Progress
from ..records import ImportSummary
from ..sources import hypothesis as importer
from ..store import Store, now_iso
from .client import ApiClient, ApiFailure, PullOptions, Secret
from .state import PullSummary, SourceState, load_state, save_state, source_key

API = "hypothesis"
DEFAULT_URL = "https://api.hypothes.is"
SEARCH_PATH = "/api/search"
MAX_PAGE = 200  # the API's largest `limit`


@dataclass(frozen=True)
class HypothesisFilters:
    """What to pull: the ``group``, ``user`` (``acct:NAME@hypothes.is``) and ``uri`` filters
    of the search API; None means no filter."""

    group: str | None = None
    user: str | None = None
    uri: str | None = None

    def params(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def pull_hypothesis(
    paths: Paths,
    filters: HypothesisFilters = HypothesisFilters(),
    token: Secret | None = None,
    options: PullOptions | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """Pull the annotations updated since the last pull of this search into the store.

    Each page is imported in its own transaction with the new position, so a failure keeps
    every page saved before it: :class:`~indexer.errors.PullError` then carries the summary
    so far, and the next call resumes. ``token`` (a developer token) is sent as a bearer
    token and never stored, logged or shown; without one, only public annotations are seen.
    """
    options = options or PullOptions(DEFAULT_URL, MAX_PAGE)
    options.check(MAX_PAGE)
    progress = progress or Progress()
    source = source_key(API, options.base_url.rstrip("/") + SEARCH_PATH, vars(filters))
    headers = {"Authorization": f"Bearer {token.reveal()}"} if token else {}
    summary = PullSummary(API, source, "annotation")
    with Store(paths.db) as store, ApiClient(API, options, headers, (token,) if token else ()) \
            as client:
        state = load_state(store, source, API)
        try:
            _pages(store, client, filters, state, summary, progress)
        except ApiFailure as exc:
            summary.position = state.cursor
            raise PullError(_failed(str(exc), summary), summary) from None
        finally:
            summary.requests, summary.retried = client.requests, client.retried
            progress.finish()
    summary.complete = True
    summary.position = state.cursor
    return summary


def _pages(store: Store, client: ApiClient, filters: HypothesisFilters, state: SourceState,
           summary: PullSummary, progress: Progress) -> None:
    size = client.options.page_size
    while True:
        params = {"sort": "updated", "order": "asc", "limit": size, **filters.params()}
        if state.cursor:
            params["search_after"] = state.cursor
        what = f"page {summary.pages + 1}"
        data = client.get_json(SEARCH_PATH, params, what)
        rows = _rows(data, what, summary)
        if summary.pages == 0:
            total = data.get("total")
            progress.start("pull hypothesis", total if isinstance(total, int) else None,
                           "annotation")
        if not rows:
            return
        with store.transaction():
            counts = _import_page(store, rows, state.source, what, summary)
            state.cursor, state.last_pull = _after(rows, state.cursor, what, summary), now_iso()
            save_state(store, state)
        summary.pages += 1
        summary.received += len(rows)
        summary.bookmarks_new += counts.bookmarks_new
        summary.excerpts_new += counts.excerpts_new
        summary.notes_new += counts.notes_new
        progress.advance(len(rows))
        if len(rows) < size:
            return


def _rows(data, what: str, summary: PullSummary) -> list[dict]:
    """The page's rows, each an annotation with an ``id`` and an ``updated`` date."""
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise PullError(_failed(f"{API}: {what}: not a search result (no 'rows' list)",
                                summary), summary)
    for number, row in enumerate(rows, start=1):
        if not (isinstance(row, dict) and isinstance(row.get("id"), str)
                and isinstance(row.get("updated"), str)):
            raise PullError(_failed(f"{API}: {what}, row {number}: not an annotation (no 'id'"
                                    " or 'updated')", summary), summary)
    return rows


def _after(rows: list[dict], cursor: str | None, what: str, summary: PullSummary) -> str:
    """The next ``search_after``: the last row's date, which must move forward."""
    last = rows[-1]["updated"]
    if cursor is not None and last <= cursor:
        raise PullError(_failed(f"{API}: {what}: the API answered rows updated before the "
                                f"position asked for ({cursor}): is it sorting by date?",
                                summary), summary)
    return last


def _import_page(store: Store, rows: list[dict], source: str, what: str,
                 summary: PullSummary) -> ImportSummary:
    """Keep the page's rows, then rebuild the bookmarks they belong to from all their rows."""
    records = _parse(rows, source, what, summary)
    conn = store.conn
    for row, rec in zip(rows, records):
        body = json.dumps(row, ensure_ascii=False, sort_keys=True)
        old = conn.execute("SELECT body FROM pulled_annotations WHERE id=?",
                           (row["id"],)).fetchone()
        summary.new += old is None
        summary.updated += old is not None and old[0] != body
        summary.unchanged += old is not None and old[0] == body
        conn.execute("INSERT OR REPLACE INTO pulled_annotations(id, url, updated, body)"
                     " VALUES (?,?,?,?)", (row["id"], rec.url, row["updated"], body))
    urls = sorted({rec.url for rec in records})
    marks = ",".join("?" * len(urls))
    bodies = [json.loads(b) for (b,) in conn.execute(
        f"SELECT body FROM pulled_annotations WHERE url IN ({marks})"
        " ORDER BY url, updated DESC, id DESC", urls)]
    text = json.dumps({"total": len(bodies), "rows": bodies}, ensure_ascii=False, indent=1)
    parsed = importer.parse(text, source)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return store.import_records(parsed.records, parsed.format, source, digest,
                                warnings=parsed.warnings)


def _parse(rows: list[dict], source: str, what: str, summary: PullSummary) -> list:
    """The page's rows read by the export importer (one record per row)."""
    try:
        return importer.parse(json.dumps({"rows": rows}, ensure_ascii=False, indent=1),
                              source).records
    except InputError as exc:
        raise PullError(_failed(f"{API}: {what}: {exc.message}", summary), summary) from None


def _failed(message: str, summary: PullSummary) -> str:
    kept = (f"{summary.received} {summary.unit}s of {summary.pages} page(s) pulled before "
            "are kept" if summary.pages else "nothing was pulled")
    return f"{message}; {kept}: run the same pull again to resume"
