"""``indexer index``: bring an engine's index up to date with the store.

The documents come from the store (:mod:`indexer.documents`), the build's life (lock, build
aside, swap, update in place, clean-up) from :mod:`indexer.lifecycle`, the writing from the
engine chosen (:mod:`indexer.engines`). Entities are a stage of their own
(:mod:`indexer.entities`, ``indexer entities``) that writes the store; the index reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Paths
from .engines import get_engine
from .lifecycle import IndexSummary, current_build, run_build
from .lifecycle import build_lock as _lock
from .progress import Progress

__all__ = ["IndexSummary", "advise_engine", "build_index", "build_lock", "current_dir"]

# Past about this many documents Whoosh's p95 with facets passes half a second on a 2-core
# machine, where tantivy's stays near 10 ms (bench/bench_engines.py, docs/benchmarks.md:
# 421.5 ms against 6.4 ms at 106,013 documents; the re-run the same week, 869 ms).
WHOOSH_COMFORT = 100_000
ADVICE = ("note: {n:,} documents: at this size Whoosh, the default engine, takes about half a "
          "second a search (p95, two cores) where tantivy takes about 10 ms: build it with "
          "`indexer index --engine tantivy`, then search with --engine tantivy or "
          "INDEXER_ENGINE=tantivy (docs/engines.md). Said once for this home.")


def build_index(
    paths: Paths,
    rebuild: bool = False,
    *,
    wait: float = 0.0,
    progress: Progress | None = None,
    engine: str | None = None,
    workers: int = 1,
) -> IndexSummary:
    """Bring the index up to date with the store; the library behind ``indexer index``.

    Without ``rebuild``, only changed documents are rewritten (by content hash) and documents
    whose source is gone are deleted, in one commit. With ``rebuild`` (or when no index exists)
    a fresh index is built aside and swapped in atomically; a build killed midway leaves the
    previous index in place, and its directory is removed by the next build. ``progress``
    (:mod:`indexer.progress`) hears of each document. Raises :class:`~indexer.errors.BusyError`
    if another build of the same engine holds the lock after ``wait`` seconds. ``engine``:
    ``whoosh`` or ``tantivy`` (default: ``$INDEXER_ENGINE``, else Whoosh). ``workers`` > 1:
    a build aside on tantivy analyses its documents in that many processes while this one
    writes them, the same index (2 on two cores: docs/benchmarks.md); Whoosh builds in one.
    """
    return run_build(get_engine(engine), paths, rebuild, wait, progress, workers)


@contextmanager
def build_lock(paths: Paths, engine: str | None = None, wait: float = 0.0) -> Iterator[None]:
    """Hold the build lock of ``engine``'s index (what a running ``indexer index`` holds)."""
    with _lock(get_engine(engine).home(paths), wait):
        yield


def current_dir(paths: Paths, engine: str | None = None) -> Path | None:
    """The build directory ``engine``'s ``current`` points to, or None without an index."""
    return current_build(get_engine(engine), paths)


def advise_engine(paths: Paths, summary: IndexSummary,
                  threshold: int = WHOOSH_COMFORT) -> str | None:
    """The one-line advice to switch to tantivy, the first time a Whoosh index of this home
    holds ``threshold`` documents or more (then remembered in ``index/.engine-advice``, so
    it is said once); None otherwise."""
    if summary.engine != "whoosh" or summary.total < threshold:
        return None
    marker = paths.index / ".engine-advice"
    if marker.exists():
        return None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{summary.total}\n", encoding="utf-8")
    return ADVICE.format(n=summary.total)
