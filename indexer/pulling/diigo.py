"""``indexer pull diigo``: the Diigo API v2 ``/bookmarks``, newest update first.

The API pages with ``start``/``count`` (at most 100) and sorts by ``updated_at`` (``sort=1``),
newest first; it has no "since" parameter. So a pull walks from the top and stops at the first
bookmark no newer than the last complete walk's newest (the source's *mark*): the next day's
pull asks for one page and stops there. Diigo's ``updated_at`` does not move when only tags are
edited, and a bookmark deleted meanwhile shifts the pages: ``full`` walks every page again
(the periodic full sync).

A walk's position (its next ``start`` and the newest date it met) is saved with each page: a
pull stopped midway resumes at that page, and the mark moves only when a walk is complete.
The API answers ``503`` when called too fast: the client spaces its requests (``delay``) and
backs off on a 503 (:mod:`.client`). The API needs the account's name and password (HTTP
Basic) besides the key (``key=`` in the query): none of them is stored, logged or shown.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from ..config import Paths
from ..dates import aware_datetime
from ..errors import InputError, PullError
from ..progress import Progress
from ..sources import diigo_api as importer
from ..store import Store, now_iso
from .client import ApiClient, ApiFailure, PullOptions, Secret, basic_auth
from .state import PullSummary, SourceState, load_state, save_state, source_key

API = "diigo"
DEFAULT_URL = "https://secure.diigo.com"
BOOKMARKS_PATH = "/api/v2/bookmarks"
MAX_PAGE = 100  # the API's largest `count`
SORT_UPDATED = 1


def pull_diigo(
    paths: Paths,
    user: str,
    key: Secret,
    password: Secret,
    *,
    full: bool = False,
    options: PullOptions | None = None,
    progress: Progress | None = None,
) -> PullSummary:
    """Pull ``user``'s bookmarks updated since the last complete pull (all of them with
    ``full``) into the store, one transaction per page.

    A failure keeps every page saved before it: :class:`~indexer.errors.PullError` carries
    the summary so far, and the next call resumes the same walk.
    """
    options = options or PullOptions(DEFAULT_URL, MAX_PAGE, delay=1.0)
    options.check(MAX_PAGE)
    if not user.strip():
        raise PullError("diigo: --user is empty: give the Diigo account's name")
    progress = progress or Progress()
    source = source_key(API, options.base_url.rstrip("/") + BOOKMARKS_PATH, {"user": user})
    summary = PullSummary(API, source, "bookmark", full=full)
    with Store(paths.db) as store, ApiClient(API, options, basic_auth(user, password),
                                              (key, password)) as client:
        state = load_state(store, source, API)
        _begin(state, full, summary)
        progress.start("pull diigo", None, "bookmark")
        try:
            _walk(store, client, user, key, state, summary, progress)
        except ApiFailure as exc:
            raise PullError(_failed(str(exc), summary), summary) from None
        finally:
            summary.requests, summary.retried = client.requests, client.retried
            progress.finish()
    summary.complete = True
    summary.position = _shown(state.mark)
    return summary


def _begin(state: SourceState, full: bool, summary: PullSummary) -> None:
    """Go on with the walk under way (a full one covers an incremental one), or start one."""
    walk = state.walk
    if walk and (walk["full"] or not full):
        summary.resumed, summary.full = True, walk["full"]
        return
    state.walk = {"start": 0, "top": None, "full": full}


def _walk(store: Store, client: ApiClient, user: str, key: Secret, state: SourceState,
          summary: PullSummary, progress: Progress) -> None:
    size, walk = client.options.page_size, state.walk
    while True:
        params = {"key": key.reveal(), "user": user, "start": walk["start"], "count": size,
                  "sort": SORT_UPDATED, "filter": "all"}
        what = f"page {summary.pages + 1} (start={walk['start']})"
        items = client.get_json(BOOKMARKS_PATH, params, what)
        if not isinstance(items, list):
            raise PullError(_failed(f"{API}: {what}: not a list of bookmarks", summary),
                            summary)
        newer = items if walk["full"] else [i for i in items if _newer(i, state.mark)]
        done = len(items) < size or len(newer) < len(items)
        with store.transaction():
            _import_page(store, newer, state, what, summary)
            walk["start"] += len(items)
            walk["top"] = _newest([walk["top"], *map(_updated, items)])
            if done:
                _complete(state)
            state.last_pull = now_iso()
            save_state(store, state)
        summary.pages += 1
        progress.advance(len(newer))
        if done:
            return


def _import_page(store: Store, items: list, state: SourceState, what: str,
                 summary: PullSummary) -> None:
    if not items:
        return
    text = json.dumps(items, ensure_ascii=False, indent=1)
    try:
        parsed = importer.parse(text, state.source)
    except InputError as exc:
        raise PullError(_failed(f"{API}: {what}: {exc.message}", summary),
                        summary) from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    s = store.import_records(parsed.records, parsed.format, state.source, digest,
                             warnings=parsed.warnings)
    summary.received += len(items)
    summary.new += s.bookmarks_new
    summary.updated += s.bookmarks_updated
    summary.unchanged += s.bookmarks_unchanged
    summary.bookmarks_new += s.bookmarks_new
    summary.excerpts_new += s.excerpts_new
    summary.notes_new += s.notes_new


def _complete(state: SourceState) -> None:
    """The walk reached the end or the mark: the mark moves to the newest date it met."""
    walk = state.walk
    state.mark = _newest([state.mark, walk["top"]])
    if walk["full"]:
        state.last_full = now_iso()
    state.walk = None


def _updated(item) -> str:
    """A bookmark's ``updated_at`` as ISO 8601 (``''`` when absent or unreadable)."""
    value = item.get("updated_at") if isinstance(item, dict) else None
    return importer.diigo_time(value if isinstance(value, str) else None) or ""


def _newer(item, mark: str | None) -> bool:
    """Whether a bookmark was updated after ``mark`` (one without a date is kept)."""
    updated = _updated(item)
    if mark is None or not updated:
        return True
    return _when(updated) > _when(mark)


def _when(iso: str) -> datetime:
    """An ISO date as an aware datetime (Diigo's are UTC; a date without zone is taken so)."""
    value = aware_datetime(iso)
    if value is None:
        raise ValueError(f"not an ISO date: {iso!r}")
    return value


def _newest(dates: list[str | None]) -> str | None:
    known = [d for d in dates if d]
    return max(known, key=_when) if known else None


def _shown(mark: str | None) -> str | None:
    return f"{mark} (the newest update pulled)" if mark else None


def _failed(message: str, summary: PullSummary) -> str:
    kept = (f"{summary.received} bookmarks of {summary.pages} page(s) pulled before are kept"
            if summary.pages else "nothing was pulled")
    return f"{message}; {kept}: run the same pull again to resume"
