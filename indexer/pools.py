"""Worker processes for the stages: one pool set-up and one ordered, bounded feed.

Extract, align, the bookmark languages and the parallel index build all hand work to a few
processes and take the results back in the order they gave it, with only so much work out at
once, so that memory stays flat however big the store.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

__all__ = ["in_order", "process_pool"]


def process_pool(workers: int, **options: Any) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked where the platform can (the workers start with
    what this process imported: trafilatura, spaCy or the analysis chains cost about a second
    each to import again); ``options`` as :class:`ProcessPoolExecutor` takes them
    (``initializer``, ``initargs``)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(workers, mp_context=context, **options)


def in_order(pool: ProcessPoolExecutor, fn: Callable, calls: Iterable[tuple],
             ahead: int) -> Iterator[tuple[tuple, Any]]:
    """``(args, fn(*args))`` for each ``args`` of ``calls``, in their order, computed by
    ``pool`` with at most ``ahead`` calls submitted and not yet taken back."""
    out: deque = deque()
    for args in calls:
        out.append((args, pool.submit(fn, *args)))
        if len(out) >= ahead:
            args, future = out.popleft()
            yield args, future.result()
    while out:
        args, future = out.popleft()
        yield args, future.result()
