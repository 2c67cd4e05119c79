"""Watch one running stage of ``bench.pipeline``: each process's memory, every 2 seconds.

    .venv/bin/python -m bench.memory_probe index > index-memory.log   # then start the run

Waits for the stage's process (``--stage NAME``), then prints, until it ends, the
anonymous and file-backed parts of the proportional set size (``smaps_rollup``), MB, of the
stage's own process and of each of its workers: what the stage's peak is made of (the
pipeline's table gives the sum only).
"""

from __future__ import annotations

import argparse
import os
import time

from bench import report


def rollup(pid: int | str) -> tuple[int, int] | None:
    """(anonymous, file-backed) PSS of ``pid``, MB; None once it ended."""
    fields = report.rollup_kb(pid)
    if fields is None or "Pss_Anon" not in fields:
        return None
    return fields["Pss_Anon"] // 1024, fields.get("Pss_File", 0) // 1024


def stage_pid(name: str) -> int | None:
    """The process running ``bench.pipeline --stage name``, if any."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline") as handle:
                cmd = handle.read().split("\0")
        except OSError:
            continue
        if ["--stage", name] in (cmd[i:i + 2] for i in range(len(cmd) - 1)):
            return int(pid)
    return None


def watch(name: str, every: float = 2.0) -> None:
    while (pid := stage_pid(name)) is None:
        time.sleep(every)
    start = time.monotonic()
    while os.path.exists(f"/proc/{pid}"):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                kids = handle.read().split()
        except OSError:
            break
        parts = [p for p in map(rollup, [pid, *kids]) if p]
        if parts:
            print(f"{time.monotonic() - start:7.1f}s main anon/file {parts[0]} "
                  f"workers {parts[1:]} total anon {sum(a for a, _ in parts)} "
                  f"file {sum(f for _, f in parts)}", flush=True)
        time.sleep(every)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", help="the stage to watch (index, extract, ...)")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between samples")
    args = ap.parse_args()
    watch(args.stage, args.every)
