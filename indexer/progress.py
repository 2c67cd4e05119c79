"""Progress of long work, as a stage reports it and as a person sees it.

Every stage that walks many items (fetch, extract, align, entities, index) takes a
:class:`Progress` and calls ``start`` once, ``advance`` per item and ``finish`` at the end;
``note`` is a line about one item (a fetched URL) that only a verbose run shows. The CLI
chooses the view (:func:`for_stream`):

* :class:`Bar`: one tqdm bar per stage with counts, rate and time left, on a terminal;
* :class:`Lines`: a plain line every ``every`` items or ``seconds`` seconds, for logs and CI;
* :class:`Progress` itself: nothing (``--quiet``, or a library call without a view).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    """What a stage reports to; this base reports nothing (the default of every stage)."""

    verbose = False

    def start(self, stage: str, total: int | None, unit: str = "item") -> None:
        """A stage begins: ``total`` items to do (None: not known beforehand)."""

    def advance(self, n: int = 1, **counts: int) -> None: ...

    def note(self, line: str) -> None: ...

    def finish(self) -> None: ...


class Lines(Progress):
    """A plain line now and then: ``fetch: 1200/8043 pages (15%), 14.2/s, about 8 min left``."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False, every: int = 500,
                 seconds: float = 10.0, clock=time.monotonic):
        self.stream, self.verbose = stream or sys.stderr, verbose
        self.every, self.seconds, self.clock = every, seconds, clock
        self.stage, self.total, self.unit, self.done = "", 0, "item", 0
        self.counts: dict[str, int] = {}

    def start(self, stage: str, total: int, unit: str = "item") -> None:
        self.stage, self.total, self.unit, self.done, self.counts = stage, total, unit, 0, {}
        self.began = self.last = self.clock()
        self.said = 0
        # a total of None is unknown (an API that does not say how many pages follow)
        self._say(f"{stage}: started" if total is None
                  else f"{stage}: {total} {plural(total, unit)} to do")

    def advance(self, n: int = 1, **counts: int) -> None:
        self.done += n
        for key, value in counts.items():
            self.counts[key] = value
        now = self.clock()
        if self.done - self.said >= self.every or now - self.last >= self.seconds:
            self._say(self.line(now))
            self.said, self.last = self.done, now

    def note(self, line: str) -> None:
        if self.verbose:
            self._say(f"  {line}")

    def finish(self) -> None:
        if (self.total or self.total is None) and self.said != self.done:
            self._say(self.line(self.clock()))

    def line(self, now: float) -> str:
        """Where the stage is: done of total, rate, time left, and its counts."""
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        of = "" if self.total is None else f"/{self.total}"
        whole = self.done if self.total is None else self.total
        out = f"{self.stage}: {self.done}{of} {plural(whole, self.unit)}{share}"
        elapsed = now - self.began
        if elapsed > 0 and self.done:
            rate = self.done / elapsed
            out += f", {rate:.1f}/s"
            if self.total is not None and self.done < self.total:
                out += f", about {duration((self.total - self.done) / rate)} left"
        extra = ", ".join(f"{k} {v}" for k, v in self.counts.items() if v)
        return out + (f"; {extra}" if extra else "")

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


class Bar(Progress):
    """One tqdm bar per stage (counts, rate, time left); notes above it when verbose."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False):
        self.stream, self.verbose, self.bar = stream or sys.stderr, verbose, None

    def start(self, stage: str, total: int, unit: str = "item") -> None:
        from tqdm import tqdm

        self.finish()
        # a terminal that says it is 0 columns wide (some ptys, CI consoles) gets 80
        sized = _columns(self.stream) > 0
        self.bar = tqdm(total=total, unit=unit, desc=stage, file=self.stream,
                        dynamic_ncols=sized, ncols=None if sized else 80)

    def advance(self, n: int = 1, **counts: int) -> None:
        if self.bar is not None:
            if counts:
                self.bar.set_postfix(refresh=False, **counts)
            self.bar.update(n)

    def note(self, line: str) -> None:
        if self.verbose and self.bar is not None:
            self.bar.write(f"  {line}", file=self.stream)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _columns(stream) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def for_stream(stream: TextIO | None = None, quiet: bool = False,
               verbose: bool = False) -> Progress:
    """The view for ``stream`` (stderr by default): nothing when quiet, a bar on a terminal,
    plain lines otherwise."""
    stream = stream or sys.stderr
    if quiet:
        return Progress()
    if stream.isatty():
        return Bar(stream, verbose)
    return Lines(stream, verbose)


def plural(n: int, word: str) -> str:
    """``word`` for one, its plural otherwise (``page``/``pages``, ``entity``/``entities``)."""
    if n == 1 or word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def count(n: int, word: str) -> str:
    """``1 orphan``, ``2 orphans``."""
    return f"{n} {plural(n, word)}"


def duration(seconds: float) -> str:
    """``45 s``, ``8 min``, ``2 h 05 min``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
