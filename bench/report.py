"""Writing benchmark figures: JSON under bench/results/, a section of docs/benchmarks.md.

Each benchmark owns one section of docs/benchmarks.md, between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``; re-running it replaces only that section.
"""

from __future__ import annotations

import json
import platform
import statistics
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Figures written by the scripts in `bench/` (run them with `make bench` or
`.venv/bin/python -m bench.NAME`). Machines are shared and noisy: we quote medians and p95 and,
beside each figure, a yardstick measured in the same run. Raw numbers: `bench/results/*.json`.
"""


def machine() -> str:
    import os

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def write(name: str, data: dict, markdown: str) -> None:
    """Save ``data`` as bench/results/NAME.json and ``markdown`` as the NAME section."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    payload = {"name": name, "when": stamp, "machine": machine(), **data}
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    DOC.parent.mkdir(parents=True, exist_ok=True)
    text = DOC.read_text() if DOC.exists() else HEADER
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{start}\n_{stamp}, {machine()}_\n\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text)


def rollup_kb(pid: int | str) -> dict[str, int] | None:
    """The fields of ``/proc/PID/smaps_rollup`` (``Pss``, ``Pss_Anon``, ``Pss_File``...), kB;
    None when the process ended meanwhile."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            return {k.rstrip(":"): int(v) for k, v, *_ in
                    (line.split() for line in handle if line.endswith("kB\n"))}
    except OSError:
        return None


def tree_memory_mb() -> tuple[float, float]:
    """Memory of this process and of its live children (a stage's workers) together, MB:
    (the sum of their proportional set sizes, the anonymous part of it). A page two processes
    share counts half in each, so forked workers are not counted twice, as summing their RSS
    would. The rest of the PSS is pages of files mapped in (tantivy reads its segments through
    mmap): the kernel drops those under pressure and reads them again, where anonymous memory
    (heaps, Python objects) must stay in RAM."""
    import os

    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as handle:
            kids = handle.read().split()
    except OSError:
        kids = []
    pss = anon = 0
    for fields in filter(None, map(rollup_kb, [me, *kids])):  # None: a worker that ended
        pss += fields.get("Pss", 0)
        anon += fields.get("Pss_Anon", 0)
    return round(pss / 1024, 1), round(anon / 1024, 1)


class PeakMemory:
    """:func:`tree_memory_mb`, sampled every ``every`` seconds in a thread while the block
    runs: ``peak`` (PSS, MB) and ``peak_anon`` (its anonymous part, MB) once it ended."""

    def __init__(self, every: float = 0.5):
        import threading

        self.every, self.peak, self.peak_anon = every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _take(self) -> None:
        pss, anon = tree_memory_mb()
        self.peak, self.peak_anon = max(self.peak, pss), max(self.peak_anon, anon)

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self._take()

    def __enter__(self) -> PeakMemory:
        self._take()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._take()
