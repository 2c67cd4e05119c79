"""``build``: every stage in order, import -> fetch -> extract -> align -> (snapshots) ->
entities -> index; ``snapshots`` runs when the fetch options name a web archive.

Stages talk only through the store; this module just runs them one after the other with the
options given, and gathers their summaries. Each stage is incremental, so a second build does
only what is new. Stage modules are imported when their stage runs, so that a build without
an index step never pays for Whoosh, and one that only imports never pays for trafilatura.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .config import Paths
from .errors import BusyError
from .progress import Progress
from .records import ImportSummary
from .store import Store

STAGES = ("import", "fetch", "extract", "align", "snapshots", "entities", "index")


@dataclass
class BuildOptions:
    """What ``build`` runs and how. ``fetch`` takes a :class:`indexer.fetch.FetchOptions`."""

    files: Sequence[str | Path] = ()
    format: str | None = None
    fetch: object | None = None  # FetchOptions; None = its defaults
    workers: int = 1  # extract, align, entities and the index's analysis in this many processes
    index: bool = True
    entities: bool = True  # the entities stage (spaCy, new French texts)
    skip: frozenset[str] = frozenset()  # stage names not to run
    engine: str | None = None  # search engine to index for (None: $INDEXER_ENGINE, else whoosh)
    warc: bool = True  # fetches also written as WARC under corpus/warc/ (unless fetch names a dir)


@dataclass
class BuildReport:
    """The summaries of each stage that ran, in order, with their wall times."""

    imports: list[ImportSummary] = field(default_factory=list)
    stages: dict[str, object] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def build(
    paths: Paths,
    options: BuildOptions | None = None,
    *,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildReport:
    """Run the pipeline on the store under ``paths``; the library behind ``indexer build``.

    Files are imported first (all parsed before any is written, as ``indexer import`` does);
    then fetch, extract and align bring every bookmark as far as it can go; then the index is
    updated from the store. Stage failures of single pages are recorded in the store, never
    raised; a bad export file raises :class:`~indexer.errors.InputError` before anything runs.
    Raises :class:`~indexer.errors.BusyError` if another build holds :func:`build_lock`.
    ``progress`` (:mod:`indexer.progress`) hears of each stage's items; ``log`` gets the name
    of each stage as it starts.
    """
    options = options or BuildOptions()
    with build_lock(paths):
        return _build(paths, options, progress or Progress(), log or (lambda line: None))


def _build(paths: Paths, options: BuildOptions, progress: Progress, say) -> BuildReport:
    report = BuildReport()

    def timed(name: str, run: Callable[[], object]) -> None:
        if name in options.skip:
            return
        say(f"{name}...")
        started = time.monotonic()
        report.stages[name] = run()
        report.seconds[name] = time.monotonic() - started

    if options.files:
        from .ingest import import_files

        timed("import", lambda: import_files(paths, options.files, options.format))
        report.imports = report.stages.get("import", [])
    with Store(paths.db) as store:
        cache = Cache(paths.cache)
        fetch = _fetch_options(paths, options)
        timed("fetch", lambda: _fetch(store, cache, fetch, progress))
        timed("extract", lambda: _extract(store, cache, options, progress))
        timed("align", lambda: _align(store, options, progress))
        if fetch.archive_url or fetch.timegate_url:
            timed("snapshots", lambda: _snapshots(store, cache, fetch, options, progress))
    if options.entities:
        timed("entities", lambda: _entities(paths, options, progress))
    if options.index:
        timed("index", lambda: _index(paths, options, progress))
    return report


@contextmanager
def build_lock(paths: Paths) -> Iterator[None]:
    """Hold ``corpus/.build.lock`` for one build, or raise :class:`BusyError` at once.

    An flock, so the kernel releases it when its holder dies: a lock file left by a killed
    build is never stale. The holder writes its pid in the file, for the message.
    """
    paths.corpus.mkdir(parents=True, exist_ok=True)
    with open(paths.corpus / ".build.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise BusyError(
                f"another `indexer build` (pid {holder}) is running on {paths.home}; "
                "wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fetch_options(paths: Paths, options: BuildOptions):
    """The fetch options of the build, writing WARC files under the home unless told not to."""
    from dataclasses import replace

    from .fetch import FetchOptions

    fetch = options.fetch or FetchOptions()
    if options.warc and fetch.warc_dir is None:
        fetch = replace(fetch, warc_dir=paths.warc)
    return fetch


def _fetch(store, cache, fetch, progress):
    from .fetch import fetch_all

    return fetch_all(store, cache, fetch, progress)


def _snapshots(store, cache, fetch, options: BuildOptions, progress):
    from .snapshots import rescue_orphans

    return rescue_orphans(store, cache, fetch, progress, workers=options.workers)


def _extract(store, cache, options: BuildOptions, progress):
    from .extract import ExtractOptions, extract_all

    return extract_all(store, cache, ExtractOptions(workers=options.workers), progress)


def _align(store, options: BuildOptions, progress):
    from .align import AlignOptions, align_all

    return align_all(store, AlignOptions(), progress, workers=options.workers)


def _entities(paths: Paths, options: BuildOptions, progress):
    from .entities import compute_entities  # spaCy only when the stage runs

    return compute_entities(paths, progress, workers=options.workers)


def _index(paths: Paths, options: BuildOptions, progress):
    from .index import build_index

    return build_index(paths, engine=options.engine, progress=progress,
                       workers=options.workers)
