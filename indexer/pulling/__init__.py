"""Pulling bookmarks and annotations from the APIs themselves, instead of export files.

One module per API, over a shared polite client (:mod:`.client`) and the position of each
source kept in the store (:mod:`.state`):

* :func:`pull_hypothesis` (``indexer pull hypothesis``): ``/api/search``, sorted by
  ``updated``, paged with ``search_after``, resumed after the last annotation saved;
* :func:`pull_diigo` (``indexer pull diigo``): API v2 ``/bookmarks``, paged with
  ``start``/``count``, incremental by ``updated_at``, ``full`` for the periodic full sync.

Pages go through the same importers as the export files (:mod:`indexer.sources`), so a
bookmark or an excerpt has the same id whichever way it came. Credentials (:class:`Secret`)
are sent and forgotten: never written to the store, a log or a message.
"""

from __future__ import annotations

from ..config import Paths
from ..store import Store
from .client import PullOptions, Secret, load_secret
from .diigo import pull_diigo
from .hypothesis import HypothesisFilters, pull_hypothesis
from .state import PullSummary, SourceState, list_sources

__all__ = [
    "HypothesisFilters", "PullOptions", "PullSummary", "Secret", "SourceState",
    "list_sources", "load_secret", "pull_diigo", "pull_hypothesis", "pull_sources",
]


def pull_sources(paths: Paths) -> list[SourceState]:
    """Every source pulled into the store of ``paths``, with where it stands."""
    with Store(paths.db) as store:
        return list_sources(store)
