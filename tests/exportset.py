"""A small home of real pages for the export tests: five articles of ../shared/corpus/html
(saved pages matched to their bookmarks, extracted and aligned by the real stages), one
article written here whose byline carries French particles, and French words everywhere.

Highlights are sentences of each article's own text, so the aligner places them; one is a
passage no page has (an orphan); one page's text is marked as coming from a web archive.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

from conftest import shared_path

from indexer.align import align_all
from indexer.cache import Cache
from indexer.config import Paths
from indexer.extract import extract_all, extract_page
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.localpages import import_local_pages
from indexer.store import Store, now_iso

# file -> what the page says (checked against the extraction, then against every format)
PAGES = {
    "trafilatura/regards.fr.enquetes.html": {"family": "Le Clerc", "given": "Loïc",
                                             "year": 2018, "site": "regards.fr"},
    "graby/liberation-authors.html": {"family": "Balenieri", "given": "Raphaël", "year": 2017,
                                      "site": "Libération.fr"},
    "trafilatura/laviedesidees.fr.evaluation.html": {"family": "Audier", "given": "Florence",
                                                     "year": 2009, "site": "La Vie des idées"},
    "trafilatura/blog.mondediplo.net.turpitude.html": {"family": None, "year": 2018,
                                                       "site": "Le Monde diplomatique"},
    "htmldate/lesechos.fr-Macron.html": {"family": "Dupont", "given": "Stéphane", "year": 2023,
                                         "site": "Les Echos"},
}
ARCHIVED = "trafilatura/blog.mondediplo.net.turpitude.html"
ARCHIVE_DATE = "2019-03-15T08:30:00+00:00"
ANNOTATOR = "Élise Pérec"
TAGS = ["l’État", "sœurs", "économie"]
COMMENT = "À relire : le cœur de l’argument, d’après « l’auteur »."
NOTE = "Note d’Élise : l’œuvre citée est à vérifier."
ORPHAN = "Ce passage n’existe dans aucune des pages de ce test, œuvre comprise."

# The article written here: a byline with the three French particles, a title with œ.
PARTICLES_URL = "https://editions.example.org/coeur-de-l-etat"
PARTICLES_TITLE = "Le cœur de l’État : « réformes » d’aujourd’hui"
PARTICLES_BYLINE = "Jean de La Fontaine; Charles d’Orléans; Marie du Bois"
PARTICLES_TEXT = ("Avant-propos. Les fables disent l’État mieux que les traités. "
                  "Le cœur de la réforme tient en une phrase : « nul n’est censé ignorer "
                  "la loi », même quand elle change chaque année. Fin du chapitre.")
PARTICLES_EXCERPT = "Le cœur de la réforme tient en une phrase"


def manifest() -> dict[str, dict]:
    path = shared_path("corpus", "html", "MANIFEST.tsv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["file"]: r for r in csv.DictReader(fh, delimiter="\t")}


def sentences(text: str, n: int = 2) -> list[str]:
    """``n`` sentences of 80 to 300 characters from the middle of an article's text."""
    found = [s for s in re.split(r"(?<=[.!?»])\s+", text) if 80 <= len(s) <= 300 and "\n" not in s]
    middle = len(found) // 2
    return found[middle:middle + n]


def build(root: Path, index: bool = True) -> Paths:
    """The home under ``root`` (see the module docstring)."""
    html, rows = shared_path("corpus", "html"), manifest()
    home, pages = Paths(root / "home"), root / "pages"
    pages.mkdir(parents=True)
    lines = [json.dumps({"format": "indexer/1"})]
    for n, (name, _) in enumerate(PAGES.items()):
        row = rows[name]
        os.symlink(html / name, pages / f"{n:02d}.html")  # links: the pages stay in ../shared
        text = extract_page((html / name).read_bytes(), "text/html").text
        excerpts: list = sentences(text)
        excerpts[0] = {"text": excerpts[0], "comment": COMMENT}
        if n == 0:
            excerpts.append(ORPHAN)
        lines.append(_bookmark(row["original_url"], row["title"], excerpts, n))
    lines.append(_bookmark(PARTICLES_URL, PARTICLES_TITLE, [PARTICLES_EXCERPT], 9))
    export = root / "real.jsonl"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_files(home, [export])
    with Store(home.db) as store:
        import_local_pages(store, Cache(home.cache), pages)
        extract_all(store, Cache(home.cache))
        add_particles_article(store)
        _archived(store, rows[ARCHIVED]["original_url"])
        align_all(store)
    if index:
        build_index(home)
    return home


def _bookmark(url: str, title: str, excerpts: list, n: int) -> str:
    return json.dumps({
        "url": url, "title": title, "annotator": ANNOTATOR, "tags": TAGS,
        "created_at": f"2024-05-{n + 1:02d}T09:15:00", "excerpts": excerpts,
        "notes": [NOTE] if n == 1 else [],
        "description": "Résumé : l’essentiel en deux phrases." if n == 2 else "",
    }, ensure_ascii=False)


def add_particles_article(store: Store) -> None:
    """The article written here, fetched and extracted (as the stages would record it)."""
    bid = store.conn.execute("SELECT id FROM bookmarks WHERE url = ?",
                             (PARTICLES_URL,)).fetchone()[0]
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO fetches(bookmark_id, url, final_url, origin, status, fetched_at)"
            " VALUES (?, ?, ?, 'network', 200, '2024-06-01T10:00:00+00:00')",
            (bid, PARTICLES_URL, PARTICLES_URL))
        conn.execute(
            "INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text, title,"
            " author, published, site_name, language, extracted_at)"
            " VALUES (?, 'x', 'test', 'ok', ?, ?, ?, '2021-03-08', 'Éditions Œuvres', 'fr', ?)",
            (bid, PARTICLES_TEXT, PARTICLES_TITLE, PARTICLES_BYLINE, now_iso()))


def _archived(store: Store, url: str) -> None:
    """This page's text came from a web archive's copy (what `fetch --archive-url` records)."""
    copy = f"https://web.archive.org/web/20190315083000id_/{url}"
    with store.transaction() as conn:
        conn.execute("UPDATE fetches SET origin = 'archive', final_url = ?, archive_date = ?"
                     " WHERE bookmark_id = (SELECT id FROM bookmarks WHERE url = ?)",
                     (copy, ARCHIVE_DATE, url))
