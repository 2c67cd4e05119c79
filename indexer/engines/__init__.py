"""Search engines behind the one search API: Whoosh (the default) and tantivy, as plugs.

Which engine a call uses: its ``engine=`` argument, else ``$INDEXER_ENGINE``, else Whoosh.
Each engine is a package of its own (``engines/whoosh/``, ``engines/tantivy/``) exposing an
``ENGINE`` object of the :class:`~indexer.engines.protocol.Engine` shape, and keeps its own
index under ``index/`` (Whoosh in ``index/current``, tantivy in ``index/tantivy/current``),
built from the same store. Engines never import each other (an import-linter contract).

The registry names each package; it is imported only when its engine is asked for, so
choosing one costs nothing and a search never loads the other. To add an engine, write its
package and add it here (docs/architecture.md).
"""

from __future__ import annotations

import importlib
import os

from ..errors import IndexerError

# name -> its package, relative to this one (so that a copy of the package under another
# name, as bench/search_versions.py makes, loads its own engines)
REGISTRY = {
    "whoosh": ".whoosh",
    "tantivy": ".tantivy",
}
ENGINES = tuple(REGISTRY)
DEFAULT_ENGINE = "whoosh"
ENV_ENGINE = "INDEXER_ENGINE"


def resolve_engine(engine: str | None = None) -> str:
    """The engine to use: ``engine`` if given, else ``$INDEXER_ENGINE``, else ``whoosh``.

    Raises :class:`~indexer.errors.IndexerError` for a name that is not in :data:`ENGINES`.
    """
    chosen = (engine or os.environ.get(ENV_ENGINE) or DEFAULT_ENGINE).strip().lower()
    if chosen not in REGISTRY:
        source = "--engine" if engine else f"${ENV_ENGINE}"
        raise IndexerError(f"unknown engine {chosen!r} ({source}); use one of {', '.join(ENGINES)}")
    return chosen


def get_engine(engine: str | None = None):
    """The :class:`~indexer.engines.protocol.Engine` named ``engine`` (see
    :func:`resolve_engine`)."""
    return importlib.import_module(REGISTRY[resolve_engine(engine)], __name__).ENGINE
