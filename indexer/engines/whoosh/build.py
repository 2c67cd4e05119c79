"""Writing a Whoosh build: a fresh index, or an update of the current one in place.

Whoosh writes no fsync: a build is atomic (the lifecycle's swap), not durable against power
loss.
"""

from __future__ import annotations

from pathlib import Path

from whoosh import index as whoosh_index

from ...documents import IndexDocument
from .schema import fields_of, make_schema
from .searcher import open_dir


class WhooshWriter:
    """One writer on one build (see :class:`indexer.engines.protocol.Writer`)."""

    def __init__(self, build: Path, new: bool):
        self.new = new
        ix = whoosh_index.create_in(str(build), make_schema()) if new else open_dir(build)
        # One process: measured, procs=2 helps only on an idle machine; limitmb above 256
        # bought nothing but memory.
        self.writer = ix.writer(limitmb=256)

    def add(self, doc: IndexDocument) -> None:
        self.writer.add_document(**fields_of(doc))

    def replace(self, doc: IndexDocument) -> None:
        self.writer.update_document(**fields_of(doc))

    def delete(self, doc_id: str) -> None:
        self.writer.delete_by_term("id", doc_id)

    def commit(self) -> None:
        if self.new:
            self.writer.commit(optimize=True)  # one segment: a scope bounds its docnums
        else:
            self.writer.commit()

    def cancel(self) -> None:
        self.writer.cancel()


def indexed_hashes(build: Path) -> dict[str, str]:
    """``id -> content hash`` of every document of the build."""
    with open_dir(build).searcher() as searcher:
        return {f["id"]: f["hash"] for f in searcher.all_stored_fields()}
