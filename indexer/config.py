"""Where things live under a home directory (``--home`` / ``INDEXER_HOME`` / the cwd).

Configuration is passed around explicitly as a :class:`Paths` value; there is no global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_HOME = "INDEXER_HOME"


@dataclass(frozen=True)
class Paths:
    """The files and folders of one project home."""

    home: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> "Paths":
        """``home`` if given, else ``$INDEXER_HOME``, else the current directory."""
        chosen = home or os.environ.get(ENV_HOME) or os.getcwd()
        return cls(Path(chosen).expanduser().resolve())

    @property
    def corpus(self) -> Path:
        return self.home / "corpus"

    @property
    def exports(self) -> Path:
        return self.corpus / "exports"

    @property
    def db(self) -> Path:
        return self.corpus / "indexer.sqlite"

    @property
    def cache(self) -> Path:
        return self.corpus / "cache"

    @property
    def warc(self) -> Path:
        """Where every fetch is also written as WARC files (indexer.warc)."""
        return self.corpus / "warc"

    @property
    def index(self) -> Path:
        return self.home / "index"
