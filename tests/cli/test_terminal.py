"""What a person sees in a terminal: a real pseudo-terminal (pty), the real command, pages
served by a real server on loopback. A bar per stage; a line per URL only with --verbose."""

from __future__ import annotations

import csv
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from conftest import ROOT
from httpserver import TestServer


def in_terminal(args: list[str], env: dict, timeout: float = 120) -> str:
    """Run ``python -m indexer ARGS`` with a pty as stdin, stdout and stderr; what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 x 100
    proc = subprocess.Popen([sys.executable, "-m", "indexer", *args], cwd=ROOT, env=env,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    assert proc.returncode == 0, out.decode(errors="replace")
    return out.decode("utf-8", errors="replace")


def export_of(tmp_path, urls: list[str]):
    path = tmp_path / "export.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["title", "url", "tags", "description", "comments", "annotations",
                      "created_at"])
        for i, url in enumerate(urls):
            out.writerow([f"Page {i}", url, "t", "", "", "Highlight: page", "2019-03-12 10:00"])
    return path


def test_a_bar_in_a_terminal_and_no_line_per_url(tmp_path):
    env = {**os.environ, "INDEXER_ALLOW_LOCAL": "1", "COLUMNS": "100", "TERM": "xterm"}
    with TestServer("127.0.0.1") as srv:
        urls = [srv.route(f"/p{i}", body=f"<html><p>page {i}</p></html>".encode())
                for i in range(30)]
        home = str(tmp_path / "home")
        subprocess.run([sys.executable, "-m", "indexer", "--home", home, "import",
                        str(export_of(tmp_path, urls))], cwd=ROOT, check=True, env=env,
                       capture_output=True)
        seen = in_terminal(["fetch", "--delay", "0", "--home", home], env)
        assert "fetch" in seen and "30/30" in seen and "page/s" in seen and "\r" in seen
        assert "%|" in seen  # tqdm's bar
        assert not any(url in seen for url in urls)  # no line per URL
        assert "fetched 30" in seen
        again = in_terminal(["fetch", "--refresh", "--delay", "0", "--verbose", "--home", home],
                            env)
        assert all(url in again for url in urls)  # --verbose: one line each, above the bar
        quiet = in_terminal(["--quiet", "fetch", "--refresh", "--delay", "0", "--home", home],
                            env)
        assert "%|" not in quiet and "fetched 30" in quiet and "30/30" not in quiet


def test_every_long_stage_of_a_build_has_its_bar(tmp_path):
    """`indexer build` in a terminal: one bar per stage that has work (fetch, extract, align,
    entities, index), each ending at its total, and the summary after them."""
    env = {**os.environ, "INDEXER_ALLOW_LOCAL": "1", "COLUMNS": "100", "TERM": "xterm"}
    page = ("<html><head><title>Les communs</title></head><body><article><p>"
            + "Les communs numériques sont des ressources partagées par une communauté. " * 20
            + "</p></article></body></html>").encode()
    with TestServer("127.0.0.1") as srv:
        urls = [srv.route(f"/a{i}", body=page, headers={"Content-Type": "text/html"})
                for i in range(3)]
        home = str(tmp_path / "home")
        seen = in_terminal(["build", str(export_of(tmp_path, urls)), "--delay", "0",
                            "--home", home], env)
    for stage, total in [("fetch", 3), ("extract", 3), ("align", 3), ("index", 6)]:
        assert f"{stage}: 100%" in seen and f"{total}/{total}" in seen, stage
    assert "entities: 100%" in seen  # spaCy's texts: excerpts and descriptions
    assert "== index" in seen and "index rebuilt" in seen
