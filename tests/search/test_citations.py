"""Citations out to Zotero: CSL-JSON checked against the CSL schema and rendered by a real CSL
processor (citeproc-py) to a French bibliography, RIS read back by rispy, BibTeX parsed back
by bibtexparser (which wrote it); French names, accents, apostrophes and œ in every format.

The home is real pages of ../shared/corpus/html through the real stages (tests/exportset.py).
"""

from __future__ import annotations

import io
import json

import exportset
import pytest
from conftest import SEED, run_in_process, shared_path

from indexer import explore
from indexer.citations import note_parts, work_type
from indexer.config import Paths
from indexer.errors import InputError
from indexer.export import FORMATS, write_selection
from indexer.ingest import import_files
from indexer.names import parse_name, parse_names
from indexer.search import search_all
from indexer.store import Store
from indexer.works import Work, load_works


def export(home: Paths, fmt: str, rows=None) -> str:
    out = io.StringIO()
    with Store(home.db) as store:
        write_selection(store, fmt, out, rows=rows)
    return out.getvalue()


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Paths:
    shared_path("corpus", "html")
    return exportset.build(tmp_path_factory.mktemp("citations"))


# -- names and types, on their own --------------------------------------------------------


@pytest.mark.parametrize("written, csl, filed", [
    ("Jean de La Fontaine", {"family": "La Fontaine", "given": "Jean",
                             "dropping-particle": "de"}, "La Fontaine, Jean de"),
    ("Charles d’Orléans", {"family": "Orléans", "given": "Charles",
                           "dropping-particle": "d’"}, "Orléans, Charles d’"),
    ("Charles d'Orléans", {"family": "Orléans", "given": "Charles",
                           "dropping-particle": "d'"}, "Orléans, Charles d'"),
    ("Marie du Bois", {"family": "Bois", "given": "Marie", "non-dropping-particle": "du"},
     "du Bois, Marie"),
    ("Loïc Le Clerc", {"family": "Le Clerc", "given": "Loïc"}, "Le Clerc, Loïc"),
    ("Par Stefan Häne", {"family": "Häne", "given": "Stefan"}, "Häne, Stefan"),
    ("Jean-Paul Delevoye", {"family": "Delevoye", "given": "Jean-Paul"}, "Delevoye, Jean-Paul"),
    ("Le Monde", {"literal": "Le Monde"}, "Le Monde"),
    ("Framasoft", {"literal": "Framasoft"}, "Framasoft"),
])
def test_french_names_and_particles(written, csl, filed):
    name = parse_name(written)
    assert name.csl() == csl and name.inverted() == filed


def test_a_byline_of_several_and_a_site_signing_itself():
    assert [n.family for n in parse_names("Raphaël Balenieri; Frédéric Autran")] == [
        "Balenieri", "Autran"]
    signed = parse_names("Lefigaro Fr", "Le Figaro", "http://www.lefigaro.fr/x")
    assert signed[0].literal == "Lefigaro Fr"
    assert parse_names("") == [] and parse_names(None) == []


def test_the_type_comes_from_what_we_know():
    page = Work("b", "Titre", url="https://exemple.fr/a")
    assert work_type(page) == "webpage"
    page.published = "2019-02-01"
    assert work_type(page) == "article-newspaper"
    page.url = "https://blog.exemple.fr/a"
    assert work_type(page) == "post-weblog"


def test_a_store_without_urls_still_cites(home):
    """The bundled Diigo page export has no URL nor article: one item per bookmark still."""
    import_files(home, [SEED])
    items = json.loads(export(home, "csljson"))
    assert len(items) == 13 and all(i["type"] == "webpage" and "URL" not in i for i in items)
    assert sum(i["note"].count("« ") for i in items) >= 78  # every excerpt in a note


# -- CSL-JSON ---------------------------------------------------------------------------------


def csl_validator():
    from jsonschema import FormatChecker
    from jsonschema.validators import validator_for

    path = shared_path("corpus", "standards", "csl-schema", "csl-data.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=FormatChecker())


@pytest.mark.shared
def test_every_csljson_export_validates_against_the_csl_schema(real, home):
    validator = csl_validator()
    items = json.loads(export(real, "csljson"))
    assert len(items) == len(exportset.PAGES) + 1
    assert not list(validator.iter_errors(items))
    import_files(home, [SEED])  # and the store with no URL, no article
    assert not list(validator.iter_errors(json.loads(export(home, "csljson"))))
    broken = [dict(items[0], author="Le Clerc, Loïc")]  # the check can fail
    assert list(validator.iter_errors(broken))


def bibliography(items: list[dict]) -> dict[str, str]:
    """``id -> French bibliography entry`` by citeproc-py (Harvard, fr-FR locale)."""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON

    style = CitationStylesStyle("harvard-cite-them-right", locale="fr-FR", validate=False)
    bib = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for item in items:
        bib.register(Citation([CitationItem(item["id"])]))
    # the French locale puts no-break spaces inside « »: compared as spaces
    entries = [str(e).replace("\xa0", " ").replace("\u202f", " ") for e in bib.bibliography()]
    return {item["id"]: next(e for e in entries if item["URL"] in e) for item in items}


@pytest.mark.shared
def test_csljson_renders_french_bibliography_entries(real):
    items = json.loads(export(real, "csljson"))
    entries = bibliography(items)
    rows = exportset.manifest()
    by_url = {i["URL"]: i["id"] for i in items}
    checked = 0
    for name, page in exportset.PAGES.items():
        entry = entries[by_url[rows[name]["original_url"]]]
        if page["family"]:
            assert entry.startswith(f"{page['family']}, {page['given'][0]}.")
            checked += 1
        assert f"({page['year']})" in entry and f", {page['site']}, " in entry
    assert checked == 4
    regards = entries[by_url[rows["trafilatura/regards.fr.enquetes.html"]["original_url"]]]
    assert regards.startswith("Le Clerc, L. (2018) « Deux ans et demi en Macronie")
    assert "11 septembre" in regards and "Disponible sur" in regards and "Consulté le" in regards
    two = entries[by_url[rows["graby/liberation-authors.html"]["original_url"]]]
    assert two.startswith("Balenieri, R. et Autran, F. (2017)")
    particles = entries[by_url[exportset.PARTICLES_URL]]
    assert particles.startswith("La Fontaine, J. de, Orléans, C. d’ et du Bois, M. (2021) "
                                "« Le cœur de l’État : « réformes » d’aujourd’hui », "
                                "Éditions Œuvres, 8 mars.")
    assert "(Consulté le: 1 juin 2024)" in particles


@pytest.mark.shared
def test_csljson_fields_from_the_store(real):
    items = {i["URL"]: i for i in json.loads(export(real, "csljson"))}
    rows = exportset.manifest()
    blog = items[rows[exportset.ARCHIVED]["original_url"]]
    assert blog["type"] == "post-weblog" and blog["archive"] == "web.archive.org"
    assert blog["archive_location"].startswith("https://web.archive.org/web/20190315083000id_/")
    particles = items[exportset.PARTICLES_URL]
    assert particles["type"] == "article-newspaper" and particles["language"] == "fr"
    assert particles["accessed"] == {"date-parts": [[2024, 6, 1]]}
    assert particles["issued"] == {"date-parts": [[2021, 3, 8]]}
    assert particles["keyword"] == "l’État, sœurs, économie"
    assert f"« {exportset.PARTICLES_EXCERPT} »" in particles["note"]
    assert "#:~:text=" in particles["note"]  # each excerpt with its text-fragment link
    regards = items[rows["trafilatura/regards.fr.enquetes.html"]["original_url"]]
    assert exportset.COMMENT in regards["note"] and exportset.ORPHAN in regards["note"]


# -- RIS --------------------------------------------------------------------------------------


@pytest.mark.shared
def test_ris_reads_back_with_rispy_as_the_same_items(real):
    import rispy

    text = export(real, "ris")
    entries = rispy.loads(text)
    items = {i["id"]: i for i in json.loads(export(real, "csljson"))}
    with Store(real.db) as store:
        works = {w.bookmark_id: w for w in load_works(store)}
    assert len(entries) == len(items) == len(works)
    for entry in entries:
        item, work = items[entry["id"]], works[entry["id"]]
        assert entry["title"] == item["title"] and entry["urls"] == [item["URL"]]
        assert entry["type_of_reference"] == {"article-newspaper": "NEWS", "post-weblog": "BLOG",
                                              "webpage": "ELEC"}[item["type"]]
        assert entry.get("secondary_title") == item.get("container-title")
        assert entry["keywords"] == work.tags
        assert entry["notes"] == note_parts(work)
        for quote in work.quotes:
            text = " ".join(quote.text.split())  # RIS is one line per value
            assert any(text in n and (quote.fragment_url or work.url) in n
                       for n in entry["notes"])
    particles = next(e for e in entries if e["urls"] == [exportset.PARTICLES_URL])
    assert particles["authors"] == ["La Fontaine, Jean de", "Orléans, Charles d’",
                                    "du Bois, Marie"]
    assert particles["title"] == exportset.PARTICLES_TITLE
    assert particles["date"] == "2021/03/08" and particles["year"] == "2021"
    assert particles["access_date"] == "2024/06/01"
    archived = next(e for e in entries if "accession_number" in e)
    assert archived["accession_number"].startswith("https://web.archive.org/web/")


# -- BibTeX -----------------------------------------------------------------------------------


@pytest.mark.shared
def test_bibtex_parses_back_with_the_library_that_wrote_it(real):
    import bibtexparser
    from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
    from pylatexenc.latex2text import LatexNodes2Text

    text = export(real, "bibtex")
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    assert not library.failed_blocks
    entries = {e["url"]: e for e in library.entries}
    assert len(entries) == len(exportset.PAGES) + 1
    assert len({e.key for e in library.entries}) == len(entries)
    decode = LatexNodes2Text().latex_to_text
    particles = entries[exportset.PARTICLES_URL]
    assert particles.entry_type == "article" and particles.key == "lafontaine2021"
    assert decode(particles["title"]) == exportset.PARTICLES_TITLE
    assert decode(particles["journaltitle"]) == "Éditions Œuvres"
    assert particles["date"] == "2021-03-08" and particles["urldate"] == "2024-06-01"
    assert particles["langid"] == "french"
    names = [(" ".join(a.von), " ".join(a.last), " ".join(a.first))
             for a in particles["author"]]
    assert names == [("de", "La Fontaine", "Jean"), ("", "d’Orléans", "Charles"),
                     ("du", "Bois", "Marie")]
    assert exportset.PARTICLES_EXCERPT in decode(particles["annotation"])
    rows = exportset.manifest()
    blog = entries[rows[exportset.ARCHIVED]["original_url"]]
    assert blog.entry_type == "online" and decode(blog["organization"]) == "Le Monde diplomatique"
    assert "web.archive.org" in blog["addendum"]
    regards = entries[rows["trafilatura/regards.fr.enquetes.html"]["original_url"]]
    assert [" ".join(a.last) for a in regards["author"]] == ["Le Clerc"]
    assert exportset.COMMENT in decode(regards["annotation"])


# -- French text in every format ----------------------------------------------------------

FRENCH = {  # what each format must carry, as written
    "jsonl": ["cœur", "l’État", "Élise Pérec", "Le cœur de la réforme"],
    "csv": ["cœur", "l’État", "Élise Pérec", "Le cœur de la réforme"],
    "csljson": ["l’État", "Orléans", "d’", "Le cœur de l’État : « réformes » d’aujourd’hui",
                "« l’auteur »", "Éditions Œuvres"],
    "ris": ["l’État", "Orléans, Charles d’", "Le cœur de l’État : « réformes » d’aujourd’hui",
            "« l’auteur »", "Éditions Œuvres"],
    "bibtex": ["l’État", "d’Orléans, Charles", "Le cœur de l’État : « réformes » d’aujourd’hui",
               "« l’auteur »", "Éditions Œuvres"],
    "w3c": ["l’État", "Élise Pérec", "Le cœur de la réforme", "« l’auteur »", "l’œuvre"],
    "hypothesis": ["l’État", "Élise Pérec", "Le cœur de la réforme", "« l’auteur »", "l’œuvre",
                   "Le cœur de l’État : « réformes » d’aujourd’hui"],
}


@pytest.mark.shared
@pytest.mark.parametrize("fmt", FORMATS)
def test_french_names_and_titles_survive(real, fmt, tmp_path):
    path = tmp_path / f"out.{fmt}"
    with Store(real.db) as store:
        assert write_selection(store, fmt, path) > 0
    text = path.read_text(encoding="utf-8")
    for words in FRENCH[fmt]:
        assert words in text, (fmt, words)
    assert "\\u0153" not in text and "&#" not in text  # written as UTF-8, not escaped


# -- selections -------------------------------------------------------------------------------


@pytest.mark.shared
def test_a_search_selects_works_and_their_hit_excerpts(real):
    word = "Mediapart"  # in one excerpt of one article (regards.fr)
    rows = search_all(real, word, scope="excerpts").rows()
    assert len(rows) == 1
    items = json.loads(export(real, "csljson", rows))
    assert len(items) == 1 and word in items[0]["note"]
    assert exportset.ORPHAN not in items[0]["note"]  # the other excerpts were not hit
    # a hit on the description takes the whole work
    rows = search_all(real, "essentiel", scope="descriptions").rows()
    [item] = json.loads(export(real, "csljson", rows))
    with Store(real.db) as store:
        [work] = [w for w in load_works(store) if w.bookmark_id == item["id"]]
    assert len(work.quotes) == 2
    assert all(" ".join(q.text.split()) in item["note"] for q in work.quotes)
    # a hit on a note takes the note
    rows = search_all(real, "vérifier", scope="notes").rows()
    [item] = json.loads(export(real, "csljson", rows))
    assert exportset.NOTE in item["note"] and "« " not in item["note"]


@pytest.mark.shared
def test_cli_export_and_search_formats(capsys, real, tmp_path):
    target = tmp_path / "all.ris"
    code, _, err = run_in_process(capsys, real, "export", "--format", "ris", "-o", str(target))
    assert code == 0 and "6 works written to" in err
    assert target.read_text(encoding="utf-8").count("ER  - ") == 6
    target = tmp_path / "hits.json"
    code, _, err = run_in_process(capsys, real, "search", "Mediapart", "--format", "csljson",
                                  "-o", str(target))
    assert code == 0 and "1 work written" in err
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 1
    # a result set is every hit, whatever --limit
    code, out, _ = run_in_process(capsys, real, "search", "", "--in", "excerpts",
                                  "--format", "bibtex", "--limit", "1")
    assert code == 0 and out.count("@article{") + out.count("@online{") == 6
    for args, message in [(["export", "--format", "endnote"], "unknown --format"),
                          (["export", "--format", "ris", "--excel"], "--excel only applies"),
                          (["search", "x", "--format", "docx"], "unknown --format")]:
        code, out, err = run_in_process(capsys, real, *args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1
        assert "Traceback" not in err


@pytest.mark.shared
def test_explore_export(real, tmp_path):
    path = tmp_path / "hits.ris"
    assert explore.export(real, "ris", path, query="Mediapart") == 1
    assert explore.export(real, "ris", tmp_path / "all.ris") == 6
    assert explore.export(real, "w3c", tmp_path / "fr.json", tag="sœurs") == 13


def test_an_unknown_format_is_an_input_error(home):
    import_files(home, [SEED])
    with Store(home.db) as store, pytest.raises(InputError):
        write_selection(store, "endnote", io.StringIO())
