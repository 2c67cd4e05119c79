"""The Whoosh engine (the default): pure Python, a one-segment index per build.

Its index lives in ``index/current -> index/builds/<stamp>``. Ranking is Whoosh's BM25F,
computed by :mod:`.scoring` for a fraction of Whoosh's own cost, with the same scores.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index

from ...config import Paths
from .build import WhooshWriter, indexed_hashes
from .searcher import WhooshSearcher


class WhooshEngine:
    """The :class:`~indexer.engines.protocol.Engine` of Whoosh."""

    name = "whoosh"

    def home(self, paths: Paths) -> Path:
        return paths.index

    def is_build(self, build: Path) -> bool:
        return whoosh_index.exists_in(str(build))

    def outdated(self, build: Path) -> bool:
        return False

    def indexed(self, build: Path) -> dict[str, str]:
        return indexed_hashes(build)

    def writer(self, paths: Paths, build: Path, new: bool) -> WhooshWriter:
        return WhooshWriter(build, new)

    def preparer(self):
        """None: Whoosh analyses inside its writer (its own multi-process writer makes
        one segment per process, and a multi-segment index searches slower)."""
        return None

    def open(self, paths: Paths, build: Path) -> WhooshSearcher:
        return WhooshSearcher(paths, build)


ENGINE = WhooshEngine()
