"""The reading room keeps answering while the index changes under it: 20 clients for 30 s of
mixed searches, article pages and exports over loopback, while ``indexer index --rebuild``
swaps a new build in twice and ``indexer build`` imports a new export and updates the index.
Zero transport errors, and every answer a 200. (The timings are in bench/bench_web.py.)
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

import httpx
import pytest
from conftest import SHARED
from readingset import real_pages_home
from webserver import Reader

from indexer.store import Store

CLIENTS, SECONDS = 20, 30.0
QUERIES = ["", "article", "loi", "recherche", "numérique", '"les plateformes"', "travail*",
           "gouvernement OR assemblée", "université NOT recherche", "annotator:Camille*"]
BUILT = re.compile(r'data-built="([^"]+)"')


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    if not (SHARED / "corpus" / "html").is_dir():
        pytest.skip(f"needs the real pages of ../shared/corpus/html ({SHARED} is absent)")
    return real_pages_home(tmp_path_factory.mktemp("load"), SHARED / "corpus" / "html",
                           count=20).home


def _urls(home) -> list[str]:
    with Store(home.db) as store:
        bookmarks = [b for (b,) in store.conn.execute("SELECT id FROM bookmarks")]
        tags = [t for (t,) in store.conn.execute("SELECT DISTINCT tag FROM tags")]
    urls = []
    for q in QUERIES:
        for scope in ("team", "all"):
            urls.append("/?" + urlencode({"q": q, "in": scope}))
        urls.append("/?" + urlencode({"q": q, "in": "all", "tag": tags[0], "sort": "saved"}))
    urls += [f"/b/{b}" for b in bookmarks]
    urls += ["/export.json?q=article", "/export.csv?in=all&q=loi"]
    return urls


def _client(base: str, urls: list[str], seed: int, until: float, out: dict) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            url = rng.choice(urls)
            try:
                r = client.get(url)
            except httpx.TransportError as exc:
                out["errors"].append(f"{url}: {exc!r}")
                continue
            out["status"][r.status_code] += 1
            if r.status_code != 200:
                out["bad"].append(f"{url}: {r.status_code} {r.text[:300]}")
            out["builts"].update(BUILT.findall(r.text))


def _indexer(home, *args: str) -> None:
    cmd = [sys.executable, "-m", "indexer", "--home", str(home.home), "-q", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_twenty_clients_while_the_index_is_rebuilt(home, engine, tmp_path):
    extra = tmp_path / "more.jsonl"
    extra.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"format": "indexer/1"},
        {"title": f"Ajout pendant la lecture ({engine})", "annotator": "Camille Veilleuse",
         "tags": ["presse"], "description": "Un signet importé pendant que l'on cherche.",
         "excerpts": ["Un extrait arrivé en cours de route, sur la loi et la recherche."]},
    ]) + "\n", encoding="utf-8")
    out = {"status": Counter(), "errors": [], "bad": [], "builts": set()}
    urls = _urls(home)
    with Reader(home, engine) as reader:
        until = time.monotonic() + SECONDS
        clients = [threading.Thread(target=_client, args=(reader.url(""), urls, n, until, out))
                   for n in range(CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(3)
        _indexer(home, "index", "--rebuild", "--engine", engine)
        time.sleep(3)
        _indexer(home, "index", "--rebuild", "--engine", engine)
        time.sleep(3)
        _indexer(home, "build", str(extra), "--offline", "--no-entities", "--engine", engine)
        finished = time.monotonic()
        for c in clients:
            c.join(timeout=SECONDS + 60)
    assert finished < until, "the rebuilds outlasted the load: lengthen SECONDS"
    assert not out["errors"], out["errors"][:5]
    assert not out["bad"], out["bad"][:5]
    assert sum(out["status"].values()) > CLIENTS * 5
    # the clients saw the builds change under them: the first, two rebuilds, the update
    assert len(out["builts"]) >= 3, out["builts"]
