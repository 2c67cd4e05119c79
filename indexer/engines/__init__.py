"""Search engines behind the one search API: Whoosh (the default) and tantivy.

Which engine a call uses: its ``engine=`` argument, else ``$INDEXER_ENGINE``, else Whoosh.
Each engine keeps its own index under ``index/`` (Whoosh in ``index/current``, tantivy in
``index/tantivy/current``), built from the same store; see docs/engines.md.

This module imports neither engine: choosing one costs nothing.
"""

from __future__ import annotations

import os

from ..errors import IndexerError

ENGINES = ("whoosh", "tantivy")
DEFAULT_ENGINE = "whoosh"
ENV_ENGINE = "INDEXER_ENGINE"


def resolve_engine(engine: str | None = None) -> str:
    """The engine to use: ``engine`` if given, else ``$INDEXER_ENGINE``, else ``whoosh``.

    Raises :class:`~indexer.errors.IndexerError` for a name that is not in :data:`ENGINES`.
    """
    chosen = (engine or os.environ.get(ENV_ENGINE) or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        source = "--engine" if engine else f"${ENV_ENGINE}"
        raise IndexerError(f"unknown engine {chosen!r} ({source}); use one of {', '.join(ENGINES)}")
    return chosen
