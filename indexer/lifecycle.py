"""The life of an index build, the same for every engine: lock, build aside, swap, clean up.

Each engine keeps its builds under a directory of its own (:meth:`Engine.home`)::

    current        -> builds/<stamp>   (a symlink, replaced atomically with os.replace)
    builds/<stamp>/                     (one complete index per build)
    .lock                               (flock: one build at a time)

A rebuild (or the first build) writes a fresh index in ``builds/<stamp>/`` and swaps
``current`` to it; an update rewrites, in place and in one commit, only the documents whose
content hash changed, and deletes those whose source left the store. A build killed midway
leaves the previous index in place; what it left in ``builds/`` (and a ``.current-<pid>``
link it was about to swap in) is removed by the next build.
Readers resolve ``current`` once when they open, so a swap never changes an open searcher.

The engine is passed in (an object of the :class:`indexer.engines.protocol.Engine` shape):
this module knows none of them.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .config import Paths
from .documents import (
    IndexDocument,
    count_documents,
    document,
    document_spans,
    load_tags,
    span_sources,
    store_documents,
)
from .errors import BusyError
from .pools import in_order, process_pool
from .progress import Progress
from .store import Store


@dataclass
class IndexSummary:
    """What one ``index`` run did."""

    path: str
    rebuilt: bool
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)  # ids deleted by an update (not in the store)
    seconds: float = 0.0
    engine: str = ""

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


@contextmanager
def build_lock(home: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold ``home/.lock`` (flock, released even if the process is killed).

    Waits up to ``wait`` seconds, then raises :class:`BusyError`.
    """
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".lock", "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise BusyError(
                        f"another `indexer index` is running on {home}; wait for it to finish"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def building(home: Path) -> bool:
    """Whether a build holds ``home``'s lock right now (asked without waiting)."""
    lock = home / ".lock"
    if not lock.exists():
        return False
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def current_build(engine, paths: Paths) -> Path | None:
    """The build ``current`` points to, or None when the engine has no index yet."""
    link = engine.home(paths) / "current"
    for _ in range(5):  # a rebuild may swap the link and delete what it pointed to meanwhile
        if not link.is_symlink():
            return None
        try:
            target = Path(os.path.realpath(link))
            found = engine.is_build(target)
        except OSError:  # removed while we looked (Whoosh reads its TOC file): look again
            continue
        if found:
            return target
        if Path(os.path.realpath(link)) == target:  # not a swap: the build is really gone
            return None
    return None


def swap(home: Path, build: Path) -> None:
    """Point ``home/current`` at ``build`` atomically (new symlink, then os.replace)."""
    link = home / "current"
    tmp = home / f".current-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, home), tmp)
    os.replace(tmp, link)


def remove_swap_leftovers(home: Path) -> int:
    """Delete the ``.current-<pid>`` links of swaps a kill interrupted; how many.

    Call under the build lock: no other build runs, so every such link is a leftover."""
    removed = 0
    for link in home.glob(".current-*"):
        link.unlink(missing_ok=True)
        removed += 1
    return removed


def clean_builds(home: Path, keep: Path | None) -> None:
    """Delete every build but ``keep`` (older builds, and leftovers of killed builds).

    Searchers already open on an old build keep working: Linux keeps deleted files readable
    through open handles, and both engines open a build's files when their reader opens.
    """
    builds = home / "builds"
    if not builds.is_dir():
        return
    for entry in builds.iterdir():
        if keep is None or entry.resolve() != keep.resolve():
            shutil.rmtree(entry, ignore_errors=True)


def run_build(engine, paths: Paths, rebuild: bool = False, wait: float = 0.0,
              progress: Progress | None = None, workers: int = 1) -> IndexSummary:
    """Bring ``engine``'s index up to date with the store, under its lock.

    A build aside and swap with ``rebuild``, when there is no index yet, or when the engine
    says the current one is of an earlier layout; otherwise an in-place update.
    ``progress`` (:mod:`indexer.progress`) hears of each document read from the store.
    ``workers`` > 1: a build aside makes and analyses its documents in that many processes
    while this one writes them (engines with a :meth:`~Engine.preparer`; the same index).
    """
    started = time.monotonic()
    home = engine.home(paths)
    progress = progress or Progress()
    with build_lock(home, wait):
        remove_swap_leftovers(home)
        current = current_build(engine, paths)
        with Store(paths.db) as store:
            progress.start("index", count_documents(store), "document")
        try:
            if rebuild or current is None or engine.outdated(current):
                summary = _build_aside(engine, paths, current, progress, workers)
            else:
                clean_builds(home, current)
                summary = _update(engine, paths, current, progress)
        finally:
            progress.finish()
    summary.engine = engine.name
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def _build_aside(engine, paths: Paths, current: Path | None, progress,
                 workers: int = 1) -> IndexSummary:
    home = engine.home(paths)
    clean_builds(home, current)  # leftovers of a killed build
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f") + f"-{os.getpid()}"
    build = home / "builds" / stamp
    build.mkdir(parents=True)
    summary = IndexSummary(path=str(build), rebuilt=True)
    writer = None
    preparer = engine.preparer() if workers > 1 else None
    try:
        # the workers fork before the writer starts the engine's threads
        with _preparing(preparer, workers, paths) as prepare:
            writer = engine.writer(paths, build, new=True)
            add = writer.add if preparer is None else writer.add_prepared
            with Store(paths.db) as store:
                for item in prepare(store):
                    add(item)
                    summary.added += 1
                    summary.by_kind[item.kind] = summary.by_kind.get(item.kind, 0) + 1
                    progress.advance(1)
        writer.commit()
    except BaseException:
        if writer is not None:
            writer.cancel()
        shutil.rmtree(build, ignore_errors=True)
        raise
    swap(home, build)
    clean_builds(home, build)
    return summary


# At most this many spans of documents per worker are out at once: the store is read ahead
# by a bounded amount (memory stays flat).
AHEAD = 4


@contextmanager
def _preparing(preparer, workers: int, paths: Paths):
    """A function of a store giving its documents: made here (:func:`store_documents`)
    without ``preparer``; else read, made and prepared by ``workers`` processes, a span of
    the store each (:func:`~indexer.documents.document_spans`), in the store's order."""
    if preparer is None:
        yield store_documents
        return
    with process_pool(workers, initializer=_start_worker,
                      initargs=(preparer, str(paths.db))) as pool:
        list(pool.map(_ready, range(workers)))  # start them all now, before any thread

        def prepared(store: Store) -> Iterator:
            calls = ((span,) for span in document_spans(store))
            for _, documents in in_order(pool, _prepare_span, calls, AHEAD * workers):
                yield from documents

        try:
            yield prepared
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


# In a worker process only: the engine's preparer, the store (read only) and its tags, made
# once there by _start_worker.
_worker: dict = {}


def _start_worker(preparer, db: str) -> None:
    store = Store(db, readonly=True)
    _worker.update(prepare=preparer(), store=store, tags=load_tags(store))


def _ready(_) -> bool:
    return bool(_worker)


def _prepare_span(span) -> list:
    prepare, store, tags = _worker["prepare"], _worker["store"], _worker["tags"]
    return [prepare(document(*source)) for source in span_sources(store, span, tags)]


def changed_documents(
    paths: Paths, indexed: dict[str, str], summary: IndexSummary,
    progress: Progress | None = None,
) -> Iterator[tuple[IndexDocument, str | None]]:
    """The store's documents whose hash differs from ``indexed`` (id -> hash), with the old
    hash (None: new). Counts every document in ``summary`` and, once exhausted, leaves the ids
    no longer in the store in ``summary.gone`` (counted as deleted)."""
    seen: set[str] = set()
    progress = progress or Progress()
    with Store(paths.db) as store:
        for doc in store_documents(store):
            seen.add(doc.id)
            summary.by_kind[doc.kind] = summary.by_kind.get(doc.kind, 0) + 1
            progress.advance(1)
            old = indexed.get(doc.id)
            if old == doc.hash:
                summary.unchanged += 1
                continue
            summary.added += old is None
            summary.updated += old is not None
            yield doc, old
    summary.gone = sorted(set(indexed) - seen)
    summary.deleted += len(summary.gone)


def _update(engine, paths: Paths, current: Path, progress) -> IndexSummary:
    summary = IndexSummary(path=str(current), rebuilt=False)
    indexed = engine.indexed(current)
    writer = engine.writer(paths, current, new=False)
    try:
        for doc, old in changed_documents(paths, indexed, summary, progress):
            if old is None:
                writer.add(doc)
            else:
                writer.replace(doc)
        for gone in summary.gone:
            writer.delete(gone)
        if summary.added or summary.updated or summary.deleted:
            writer.commit()
        else:
            writer.cancel()
    except BaseException:
        writer.cancel()
        raise
    return summary
