"""A huge export imports in bounded memory: records stream from the file into the store.

Peak memory of a real `indexer import` subprocess is compared for two exports of the same
shape, one eight times the other: without streaming the bigger one costs several times its
size in Python objects; with it, the two peaks are the same give or take the page cache.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

WORDS = ("données numérique plateforme association territoire énergie chaleur réseau citoyen "
         "État service public commun ubérisation").split()


def write_export(path, bookmarks: int) -> int:
    """A native JSONL export: ``bookmarks`` bookmarks of 8 excerpts each; its size in bytes."""
    rnd = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": "indexer/1"}) + "\n")
        for i in range(bookmarks):
            excerpts = [" ".join(rnd.choice(WORDS) for _ in range(30)) + f" {i}-{j}"
                        for j in range(8)]
            fh.write(json.dumps({"url": f"https://example.org/{i}", "title": f"Article {i}",
                                 "tags": ["a", "b"], "excerpts": excerpts},
                                ensure_ascii=False) + "\n")
    return path.stat().st_size


PEAK = ("import resource, sys; from indexer.cli import main\n"
        "try:\n    main(sys.argv[1:])\nfinally:\n"
        "    print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")


def import_peak_kb(home, export) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, "--home", str(home), "import", str(export)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return int(out.stderr.rsplit("peak", 1)[1])


def test_eight_times_the_rows_costs_no_more_memory(tmp_path):
    small = write_export(tmp_path / "small.jsonl", 1000)
    big = write_export(tmp_path / "big.jsonl", 8000)
    peak_small = import_peak_kb(tmp_path / "h1", tmp_path / "small.jsonl")
    peak_big = import_peak_kb(tmp_path / "h2", tmp_path / "big.jsonl")
    grown = (peak_big - peak_small) * 1024
    # Holding the records would grow the peak by several times the extra file size.
    assert grown < (big - small) / 2, (peak_small, peak_big, small, big)
