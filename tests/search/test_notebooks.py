"""The notebooks run top to bottom, on stores built here from real data; any cell error fails.

* notebooks/explore_topics.ipynb on the bundled export (import + index, entities included);
* notebooks/excerpts_in_context.ipynb on the same store (no URLs: it must run and say so), and
  on real pages of ../shared/corpus/html served on 127.0.0.1, fetched, extracted and aligned
  by the real stages (skipped with the reason when ../shared or a stage is absent).

The kernel is the ``python3`` kernel spec, which jupyter_client starts with this interpreter
(``sys.executable``, the venv's); the home reaches it through ``INDEXER_HOME`` in its
environment, and ``MPLBACKEND=Agg`` keeps matplotlib off any display. The main figures are
saved under docs/img/ (``EXPLORE_FIGURES``), so the pictures in docs/explore.md come from this
run.
"""

from __future__ import annotations

import json
import random
import re
import sys
from urllib.parse import quote

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

from conftest import ROOT, SEED

from indexer.ingest import import_files

NOTEBOOKS = ROOT / "notebooks"
FIGURES = ROOT / "docs" / "img"


def run_notebook(name: str, home, monkeypatch, figures: str | None = None):
    """Execute ``notebooks/NAME`` against ``home``; raises CellExecutionError on any error."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    # "python" in the spec's argv is replaced by sys.executable when the kernel starts.
    assert spec.argv[0] in ("python", "python3", sys.executable), spec.argv
    monkeypatch.setenv("INDEXER_HOME", str(home.home))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("EXPLORE_FIGURES", str(FIGURES) if figures is None else figures)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def outputs(nb) -> str:
    """Every text a notebook printed or displayed, joined."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name
        assert "/work/" not in path.read_text(encoding="utf-8"), f"absolute path in {path.name}"


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """The bundled Diigo page export, imported and indexed (with spaCy entities), once."""
    from indexer.config import Paths
    from indexer.index import build_index
    from indexer.languages import detect_languages

    home = Paths(tmp_path_factory.mktemp("bundled") / "home")
    import_files(home, [SEED])
    detect_languages(home)  # as `indexer build` does after extracting
    build_index(home)
    return home


@pytest.mark.slow
def test_explore_topics_runs_on_the_bundled_export(bundled, monkeypatch):
    nb = run_notebook("explore_topics.ipynb", bundled, monkeypatch)
    text = outputs(nb)
    assert "78 extraits, 13 signets, 1 tag(s)" in text
    assert "Aucun extrait daté" in text  # the export has no dates, and the notebook says so
    assert "pas de co-occurrence de tags" in text
    assert (bundled.home / "results" / "recherche-donnee.csv").exists()
    assert (FIGURES / "explore_topics.png").stat().st_size > 1000


@pytest.mark.slow
def test_the_notebooks_search_with_the_engine_chosen(tmp_path, monkeypatch):
    """A home with only a tantivy index: the notebook runs on it with INDEXER_ENGINE set, and
    its search rows are those the tantivy engine gives."""
    from indexer import explore
    from indexer.config import Paths
    from indexer.errors import IndexMissingError
    from indexer.index import build_index
    from indexer.search import search

    home = Paths(tmp_path / "home")
    import_files(home, [SEED])
    build_index(home, engine="tantivy")
    monkeypatch.setenv("INDEXER_ENGINE", "tantivy")
    rows = explore.search(home, "donnée", limit=None)
    assert list(rows["id"]) == [h.row["id"] for h in search(home, "donnée", limit=100,
                                                           engine="tantivy").hits]
    with pytest.raises(IndexMissingError):  # no Whoosh index here: the choice is honoured
        explore.search(home, "donnée", engine="whoosh")
    nb = run_notebook("explore_topics.ipynb", home, monkeypatch, figures="")
    assert "78 extraits, 13 signets, 1 tag(s)" in outputs(nb)


@pytest.mark.slow
def test_excerpts_in_context_says_when_nothing_is_aligned(bundled, monkeypatch):
    nb = run_notebook("excerpts_in_context.ipynb", bundled, monkeypatch)
    assert "Aucun extrait aligné" in outputs(nb)


@pytest.mark.slow
def test_excerpts_in_context_on_the_small_aligned_corpus(home, fixtures, monkeypatch):
    """Our own tiny corpus with an aligned excerpt and an orphan: every section has rows."""
    from test_explore import build_corpus

    build_corpus(home, fixtures / "explore")
    # figures="": docs/img keeps the figure of the real pages
    nb = run_notebook("excerpts_in_context.ipynb", home, monkeypatch, figures="")
    text = " ".join(outputs(nb).split())  # the passage is wrapped at 100 columns
    assert "1 orphelin(s) sur 6 extraits" in text
    assert "⟦Données ouvertes, données libres.⟧ Fin de l'article" in text


# -- a corpus of real pages, through the real fetch, extract and align stages -------------


def _stages():
    """The stage functions, or skip naming the one that is missing."""
    import importlib

    found = {}
    for module, name in (("indexer.fetch", "fetch_all"), ("indexer.extract", "extract_all"),
                         ("indexer.align", "align_all")):
        try:
            found[name] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            pytest.skip(f"needs {module}.{name} (that stage is not written yet)")
    return found


def _pages(html_dir, count: int = 8):
    """French pages of the manifest (file, title), a seeded pick among those with text."""
    rows = (html_dir / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    pages = [dict(zip(header, r.split("\t"))) for r in rows[1:] if r.strip()]
    french = [p for p in pages if p["language"] == "fr" and int(p["extracted_chars"] or 0) > 2000]
    random.Random(6).shuffle(french)
    return french[:count]


def _excerpts_from(text: str, rng: random.Random) -> list[str]:
    """Two sentences of an article's text as a reader would highlight them, one retouched
    (a word left out, typographic apostrophes): the aligner must still place it, fuzzily."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if 120 <= len(s) <= 400]
    picked = rng.sample(sentences, min(2, len(sentences)))
    if len(picked) == 2:
        words = picked[1].split()
        del words[len(words) // 2]
        picked[1] = " ".join(words).replace("'", "’")
    return picked


@pytest.mark.slow
@pytest.mark.shared
def test_excerpts_in_context_on_real_pages(home, shared, monkeypatch, tmp_path):
    html_dir = shared("corpus", "html")
    stages = _stages()
    from httpserver import TestServer

    from indexer.cache import Cache
    from indexer.extract import extract_page
    from indexer.fetch import FetchOptions
    from indexer.store import Store

    rng = random.Random(6)
    lines = [json.dumps({"format": "indexer/1"})]
    with TestServer("127.0.0.1") as server:
        server.static("/pages", html_dir)
        for i, page in enumerate(_pages(html_dir)):
            body = (html_dir / page["file"]).read_bytes()
            text = extract_page(body, "text/html").text
            excerpts = _excerpts_from(text, rng)
            if i == 0:  # a passage the page never had: an orphan
                excerpts.append("Ce passage n'existe dans aucune des pages servies par ce test.")
            lines.append(json.dumps({
                "url": server.url("/pages/" + quote(page["file"])), "title": page["title"],
                "annotator": "test", "tags": ["presse"], "excerpts": excerpts,
            }, ensure_ascii=False))
        lines.append(json.dumps({  # a dead link: an orphan with fetch_failed
            "url": server.url("/pages/missing/page.html"), "title": "Page disparue",
            "annotator": "test", "excerpts": ["Un extrait d'une page qui n'existe plus."],
        }, ensure_ascii=False))
        export = tmp_path / "real.jsonl"
        export.write_text("\n".join(lines) + "\n", encoding="utf-8")
        import_files(home, [export])
        with Store(home.db) as store:
            cache = Cache(home.cache)
            stages["fetch_all"](store, cache, FetchOptions(
                allow_local=True, delay=0.0, retries=0, timeout=10, deadline=20))
            stages["extract_all"](store, cache)
            stages["align_all"](store)
            counts = store.counts()
    assert counts["aligned_exact"] + counts["aligned_fuzzy"] >= 8
    assert counts["orphans"] >= 2
    nb = run_notebook("excerpts_in_context.ipynb", home, monkeypatch)
    text = outputs(nb)
    assert "Aucun extrait aligné" not in text
    assert "fetch_failed" in text and "not_found" in text
    assert (FIGURES / "alignment_quality.png").stat().st_size > 1000
