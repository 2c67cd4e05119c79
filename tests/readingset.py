"""Homes for the reading-room tests, built the way a user builds one: an export imported, its
pages fetched from a real HTTP server on loopback, extracted, aligned, indexed on both engines.

* :func:`real_pages_home`: French pages of ``../shared/corpus/html``, two highlights taken
  from each article's text (one retouched: placed fuzzily), one passage of the page outside
  the main text (a menu, a footer: placed in the page's text), one passage no page has (an
  orphan), descriptions, notes and comments, two annotators and a few tags.
* :func:`hostile_home`: the same machinery over titles, excerpts, notes, tags and URLs that
  carry ``<script>``, event attributes and ``javascript:`` URLs, as real exports do.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from httpserver import Reply, Request, TestServer

from indexer.align import align_all
from indexer.cache import Cache
from indexer.config import Paths
from indexer.extract import extract_all, extract_page
from indexer.fetch import FetchOptions, fetch_all
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.store import Store

ANNOTATORS = ("Camille Veilleuse", "Dominique Lectrice")
TAGS = ("presse", "numérique", "travail", "université")
ORPHAN = "Ce passage n'existe dans aucune des pages servies par ce test."
PAYLOAD = "window.__pwned = (window.__pwned || 0) + 1"


@dataclass
class Built:
    """A home and what the test put in it."""

    home: Paths
    bookmarks: list[str] = field(default_factory=list)  # urls, in export order
    outside: list[str] = field(default_factory=list)  # excerpts taken outside the main text
    archived: str | None = None  # the dead link whose text came from the archive


def french_pages(html_dir: Path, count: int, seed: int = 15) -> list[dict]:
    """A seeded pick of French pages of the manifest with a real article (> 2,000 chars)."""
    rows = (html_dir / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    pages = [dict(zip(header, r.split("\t"))) for r in rows[1:] if r.strip()]
    french = [p for p in pages if p["language"] == "fr" and int(p["extracted_chars"] or 0) > 2000]
    random.Random(seed).shuffle(french)
    return french[:count]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if 100 <= len(s) <= 400]


def _outside(main: str, page: str) -> str | None:
    """A line of the page's text that the main text does not have (menus, footers)."""
    squashed = " ".join(main.split())
    for line in page.splitlines():
        line = line.strip()
        if 40 <= len(line) <= 200 and " ".join(line.split()) not in squashed \
                and len(set(line.split())) >= 6:
            return line
    return None


def _bookmark(n: int, url: str, page: dict, body: bytes,
              rng: random.Random) -> tuple[dict, str | None]:
    ex = extract_page(body, "text/html")
    picked = rng.sample(_sentences(ex.text), 2)
    words = picked[1].split()
    del words[len(words) // 2]  # a word left out and typographic apostrophes: fuzzy
    excerpts: list = [picked[0], {"text": " ".join(words).replace("'", "’"),
                                  "comment": f"À relire : {page['title'][:40]}"}]
    outside = _outside(ex.text, ex.fallback_text)
    if outside and n % 2 == 0:
        excerpts.append(outside)
    else:
        outside = None
    if n == 0:
        excerpts.append(ORPHAN)
    record = {
        "url": url, "title": page["title"], "annotator": ANNOTATORS[n % 2],
        "tags": [TAGS[n % len(TAGS)], TAGS[(n + 1) % len(TAGS)]],
        "description": f"Lu pour la veille : {page['title']}",
        "created_at": f"20{19 + n % 4}-0{1 + n % 9}-1{n % 10}T09:30:00",
        "excerpts": excerpts,
        "notes": [f"Note de lecture sur « {page['title'][:50]} »"] if n % 3 == 0 else [],
    }
    return record, outside


def _run_stages(home: Paths, lines: list[str], engines, archive_url: str | None = None) -> None:
    home.home.mkdir(parents=True, exist_ok=True)
    export = home.home / "export.jsonl"
    export.write_text("\n".join([json.dumps({"format": "indexer/1"}), *lines]) + "\n",
                      encoding="utf-8")
    import_files(home, [export])
    with Store(home.db) as store:
        cache = Cache(home.cache)
        fetch_all(store, cache, FetchOptions(allow_local=True, delay=0.0, retries=0,
                                             timeout=10, deadline=20, archive_url=archive_url))
        extract_all(store, cache)
        align_all(store)
    for engine in engines:
        build_index(home, engine=engine)


def real_pages_home(root: Path, html_dir: Path, count: int = 6,
                    engines=("whoosh", "tantivy")) -> Built:
    """A home over ``count`` real French pages (see the module docstring); the last one's
    link is dead and its text comes from a web archive's copy (on another loopback host)."""
    home, rng = Paths(root), random.Random(15)
    built = Built(home)
    lines = []
    with TestServer("127.0.0.1") as server, TestServer("127.0.0.3") as archive:
        server.static("/pages", html_dir)
        picked = french_pages(html_dir, count)
        for n, page in enumerate(picked):
            url = server.url("/pages/" + quote(page["file"]))
            body = (html_dir / page["file"]).read_bytes()
            if n == len(picked) - 1:
                url = server.route("/gone/" + quote(page["file"]), status=404)
                built.archived = url
                _archive(archive, url, body)
            record, outside = _bookmark(n, url, page, body, rng)
            built.bookmarks.append(url)
            if outside:
                built.outside.append(outside)
            lines.append(json.dumps(record, ensure_ascii=False))
        _run_stages(home, lines, engines, archive.url("/wayback/available"))
    return built


def _archive(archive: TestServer, url: str, body: bytes) -> None:
    """``archive`` answers like the Wayback Machine: a snapshot of ``url`` dated 2019."""
    stamp = "20190102030405"

    def available(req: Request) -> Reply:
        closest = {"available": True, "status": "200", "timestamp": stamp,
                   "url": archive.url(f"/web/{stamp}/{url}")}
        return Reply(200, json.dumps({"archived_snapshots": {"closest": closest}}).encode())

    archive.handler("/wayback/available", available)
    archive.route(f"/web/{stamp}id_/{url}", body=body, headers={"Content-Type": "text/html"})


HOSTILE_PAGE = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Page &lt;script&gt;{PAYLOAD}&lt;/script&gt;</title></head><body><article>
<h1>Un article &lt;img src=x onerror="{PAYLOAD}"&gt; piégé</h1>
<p>Premier paragraphe de l'article, qui parle de plateformes et de leur régulation par
les pouvoirs publics, avec un passage &lt;script&gt;{PAYLOAD}&lt;/script&gt; recopié tel quel
depuis un forum où quelqu'un voulait tester les sites qui recopient sans échapper.</p>
<p>Deuxième paragraphe : les plateformes numériques doivent rendre des comptes, écrit
l'auteur, et les lecteurs attentifs noteront le lien "javascript:{PAYLOAD}" laissé ici.</p>
<p>Troisième paragraphe, plus calme, sur la régulation européenne des services numériques
et les obligations de transparence qui pèsent sur les très grandes plateformes.</p>
</article></body></html>"""


def hostile_home(root: Path, engines=("whoosh",)) -> Built:
    """A home whose every text field tries to run ``PAYLOAD`` (see the module docstring)."""
    home = Paths(root)
    built = Built(home)
    script = f"<script>{PAYLOAD}</script>"
    attr = f'" onmouseover="{PAYLOAD}" x="'
    with TestServer("127.0.0.1") as server:
        server.route("/piege.html", Reply(body=HOSTILE_PAGE.encode("utf-8"),
                                          headers={"Content-Type": "text/html; charset=utf-8"}))
        good = server.url("/piege.html")
        records = [
            {"url": good, "title": f"Plateformes {script}",
             "annotator": f"<b onclick=\"{PAYLOAD}\">x</b>",
             "tags": [f"tag{attr}", "plateformes"], "description": f"plateformes {script} {attr}",
             "excerpts": [
                 f"un passage <script>{PAYLOAD}</script> recopié tel quel",
                 {"text": "les plateformes numériques doivent rendre des comptes",
                  "comment": f"</mark><script>{PAYLOAD}</script><mark>"},
             ],
             "notes": [f"plateformes <img src=x onerror=\"{PAYLOAD}\">"]},
            {"url": f"javascript:{PAYLOAD}",
             "title": f"plateformes <img src=x onerror='{PAYLOAD}'>",
             "annotator": "Camille", "tags": ["plateformes"],
             "excerpts": [f"plateformes {attr}"]},
            {"url": f"data:text/html,<script>{PAYLOAD}</script>", "title": "plateformes data",
             "annotator": "Camille", "excerpts": ["plateformes en données"]},
        ]
        built.bookmarks = [r["url"] for r in records]
        _run_stages(home, [json.dumps(r, ensure_ascii=False) for r in records], engines)
    return built
