"""The tantivy engine (``--engine tantivy``): Rust, for libraries of a million excerpts.

Its index lives in ``index/tantivy/current -> index/tantivy/builds/<stamp>``, tokenized by our
own chains (:mod:`.build`), searched with the same query tree as Whoosh (:mod:`.translate`,
:mod:`.searcher`), with the facets of frequent words counted once per build
(:mod:`.precounts`). See docs/engines.md for what each choice bought, measured.
"""

from __future__ import annotations

from pathlib import Path

import tantivy

from ...config import Paths
from .build import Preparer, TantivyWriter, indexed_hashes, outdated
from .schema import META
from .searcher import TantivySearcher


class TantivyEngine:
    """The :class:`~indexer.engines.protocol.Engine` of tantivy."""

    name = "tantivy"

    def home(self, paths: Paths) -> Path:
        return paths.index / "tantivy"

    def is_build(self, build: Path) -> bool:
        try:
            return (build / META).exists() and tantivy.Index.exists(str(build))
        except ValueError:  # tantivy's word for a directory a rebuild's clean-up just removed
            raise FileNotFoundError(build) from None

    def outdated(self, build: Path) -> bool:
        return outdated(build)

    def indexed(self, build: Path) -> dict[str, str]:
        return indexed_hashes(build)

    def writer(self, paths: Paths, build: Path, new: bool) -> TantivyWriter:
        return TantivyWriter(paths, build, new)

    def preparer(self):
        """Our analysis in worker processes: the writer only adds the documents."""
        return Preparer

    def open(self, paths: Paths, build: Path) -> TantivySearcher:
        return TantivySearcher(paths, build)


ENGINE = TantivyEngine()
