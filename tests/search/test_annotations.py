"""Annotations out: every W3C annotation checked by the W3C Web Annotation test suite's own
assertions (JSON Schema draft-04, their ``$ref`` s resolved into ``definitions/``), the
selectors re-anchored by our aligner; the Hypothesis export imported back into a fresh home,
which re-aligns to the same offsets.

The home is real pages of ../shared/corpus/html through the real stages (tests/exportset.py).
"""

from __future__ import annotations

import copy
import io
import json

import exportset
import pytest
from conftest import SEED, shared_path

from indexer.align import Hint, align_all, align_excerpt
from indexer.cache import Cache
from indexer.config import Paths
from indexer.export import write_selection
from indexer.extract import extract_all
from indexer.ingest import import_files
from indexer.localpages import import_local_pages
from indexer.store import Store
from indexer.works import utc_timestamp

pytestmark = pytest.mark.shared


class Suite:
    """The W3C test suite: each ``.test`` file's assertions, validated with a registry of the
    definitions, keyed by the bare ids they carry (``annotations.json``, ``id.json``...)."""

    def __init__(self):
        from jsonschema import Draft4Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.root = shared_path("corpus", "standards", "web-annotation-tests")
        definitions = [json.loads(p.read_text(encoding="utf-8"))
                       for p in sorted((self.root / "definitions").glob("*.json"))]
        assert len(definitions) == 7
        registry = Registry().with_resources(
            (d["id"], Resource.from_contents(d, default_specification=DRAFT4))
            for d in definitions)
        self.validators = {}
        for path in self.root.rglob("*.json"):
            if path.parent.name != "definitions":
                schema = json.loads(path.read_text(encoding="utf-8"))
                Draft4Validator.check_schema(schema)
                name = path.relative_to(self.root).as_posix()
                self.validators[name] = (Draft4Validator(
                    schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER),
                    schema.get("expectedResult", "valid") == "valid")

    def assertions(self, test: str) -> list[str]:
        return json.loads((self.root / test).read_text(encoding="utf-8"))["assertions"]

    def failures(self, test_or_names, document: dict) -> list[str]:
        """The assertions ``document`` fails (a ``.test`` file's, or the ones named)."""
        names = (self.assertions(test_or_names) if isinstance(test_or_names, str)
                 else test_or_names)
        out = []
        for name in names:
            validator, expected = self.validators[name]
            if validator.is_valid(document) != expected:
                out.append(name)
        return out


MUSTS = "annotations/annotationMusts.test"


@pytest.fixture(scope="module")
def suite() -> Suite:
    return Suite()


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Paths:
    shared_path("corpus", "html")
    return exportset.build(tmp_path_factory.mktemp("annotations"), index=False)


def export(home: Paths, fmt: str) -> dict:
    out = io.StringIO()
    with Store(home.db) as store:
        write_selection(store, fmt, out)
    return json.loads(out.getvalue())


def test_the_suite_is_the_whole_of_its_musts(suite):
    assert len(suite.assertions(MUSTS)) == 54
    assert all(name in suite.validators for name in suite.assertions(MUSTS))


def test_every_annotation_passes_every_must(suite, real):
    collection = export(real, "w3c")
    items = collection["first"]["items"]
    assert len(items) == collection["total"] == 13  # 12 excerpts and one note
    for anno in items:
        assert suite.failures(MUSTS, anno) == [], anno["id"]
    assert suite.failures("collections/collectionMusts.test", collection) == []
    assert suite.failures("collections/pages/pageMusts.test", collection["first"]) == []


def test_the_selector_assertions_that_apply(suite, real):
    """The suite's optional assertions for what our annotations carry: the quote selector
    with its context, the position where aligned, the archived copy as a time state."""
    items = export(real, "w3c")["first"]["items"]
    quoted = [a for a in items if a["id"].startswith("urn:x-indexer:excerpt:")]
    everyone = ["annotations/3.3.1-annotationCreatorImplemented.json",
                "annotations/3.3.1-annotationCreatedImplemented.json",
                "annotations/3.3.5-annotationMotivationImplemented.json",
                "annotations/3.3.2-annotationCreatorAgentTypeImplemented.json",
                "annotations/3.3.2-annotationCreatorAgentNicknameImplemented.json"]
    for anno in items:
        assert suite.failures(everyone, anno) == [], anno["id"]
    selector = ["annotations/specificResource/4.2-selectorFound.json",
                "annotations/specificResource/4.2.4-textQuoteSelector.json",
                "annotations/bodiesTargets/4-targSpecificResource.json"]
    aligned = selector + ["annotations/specificResource/4.2.4-prefix.json",
                          "annotations/specificResource/4.2.4-suffix.json",
                          "annotations/specificResource/4.2.5-textPositionSelector.json"]
    placed = [a for a in quoted if len(a["target"]["selector"]) == 2]
    assert len(quoted) == 12 and len(placed) == 11  # one orphan: no position
    for anno in quoted:
        assert suite.failures(aligned if anno in placed else selector, anno) == [], anno["id"]
    archived = [a for a in quoted if "state" in a["target"]]
    assert len(archived) == 2
    for anno in archived:
        assert suite.failures(["annotations/specificResource/4.3.1-timeState.json",
                               "annotations/specificResource/4.3.1-cached.json"], anno) == []
        assert anno["target"]["state"]["sourceDate"] == utc_timestamp(exportset.ARCHIVE_DATE)
    commented = [a for a in quoted if a["motivation"] == "commenting"]
    assert len(commented) == len(exportset.PAGES)
    for anno in commented:
        assert suite.failures(["annotations/bodiesTargets/3.3.5-bodyPurpose.json",
                               "annotations/bodiesTargets/3.2.4-bodyETBTypeTextualBody.json"],
                              anno) == []
        bodies = {b["purpose"]: b["value"] for b in anno["body"] if b["purpose"] != "tagging"}
        assert bodies == {"commenting": exportset.COMMENT}
        assert [b["value"] for b in anno["body"] if b["purpose"] == "tagging"] == exportset.TAGS


def test_a_broken_annotation_fails(suite, real):
    """The check can fail: each breakage is caught by the assertion it breaks."""
    good = export(real, "w3c")["first"]["items"][0]
    breakages = {
        "annotations/3.1-annotationContextValidated.json":
            lambda a: a.update({"@context": "http://www.w3.org/ns/oa.jsonld"}),
        "annotations/3.2.5-notBodyBodyValue.json": lambda a: a.update(bodyValue="en plus"),
        "annotations/specificResource/4.2.4-textQuoteSelectorValid.json":
            lambda a: a["target"]["selector"][0].pop("exact"),
        "annotations/3.3.1-annotationCreatedValidated.json":
            lambda a: a.update(created="le 1er mai 2024"),
        "annotations/3.1-targetKeyFound.json": lambda a: a.pop("target"),
    }
    for assertion, breaking in breakages.items():
        broken = copy.deepcopy(good)
        breaking(broken)
        assert assertion in suite.failures(MUSTS, broken), assertion
    assert suite.failures(MUSTS, good) == []


def test_a_store_without_urls_exports_an_empty_valid_collection(suite, home):
    import_files(home, [SEED])
    collection = export(home, "w3c")
    assert collection["total"] == 0 and "first" not in collection
    assert suite.failures("collections/collectionMusts.test", collection) == []
    assert export(home, "hypothesis") == {"total": 0, "rows": []}


def stored_texts(home: Paths) -> dict[str, tuple[str, str]]:
    """``URL -> (main text, whole page's text)`` of every article."""
    with Store(home.db) as store:
        return {url: (text, page) for url, text, page in store.conn.execute(
            "SELECT b.url, ar.text, ar.fallback_text FROM bookmarks b"
            " JOIN articles ar ON ar.bookmark_id = b.id")}


def test_w3c_selectors_reanchor_to_the_same_offsets(real):
    """Our aligner, given only an annotation's quote and its context, on the stored texts,
    lands on the annotation's own positions."""
    texts = stored_texts(real)
    checked = 0
    for anno in export(real, "w3c")["first"]["items"]:
        target = anno["target"]  # a note's is the page's URL alone
        selectors = {s["type"]: s for s in target.get("selector", [])} if isinstance(
            target, dict) else {}
        if "TextPositionSelector" not in selectors:
            continue
        quote, position = selectors["TextQuoteSelector"], selectors["TextPositionSelector"]
        main, page = texts[anno["target"]["source"]]
        found = align_excerpt(quote["exact"], main, page,
                              Hint(prefix=quote.get("prefix"), suffix=quote.get("suffix")))
        assert (found.start, found.end) == (position["start"], position["end"]), anno["id"]
        checked += 1
    assert checked == 11


def excerpt_state(home: Paths) -> dict[str, tuple]:
    with Store(home.db) as store:
        return {r["id"]: tuple(r) for r in store.conn.execute(
            "SELECT e.id, e.bookmark_id, e.text, e.comment, e.annotator, b.url, b.title"
            " FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id")}


def test_hypothesis_round_trip(real, tmp_path):
    """The Hypothesis export, imported into a fresh home (recognised as Hypothesis JSON),
    gives the same bookmarks, excerpts and notes; with the same pages it re-aligns to the
    same offsets."""
    path = tmp_path / "hypothesis.json"
    with Store(real.db) as store:
        assert write_selection(store, "hypothesis", path) == 13
    fresh = Paths(tmp_path / "fresh")
    [summary] = import_files(fresh, [path])
    assert summary.format == "hypothesis" and summary.bookmarks_new == 6
    assert excerpt_state(fresh) == excerpt_state(real)
    query = ("SELECT b.id, b.url, b.title, b.annotator, group_concat(t.tag, '|') FROM bookmarks b"
             " LEFT JOIN (SELECT * FROM tags ORDER BY tag) t ON t.bookmark_id = b.id"
             " GROUP BY b.id ORDER BY b.id")
    notes = "SELECT id, bookmark_id, text, annotator FROM notes ORDER BY id"
    # an excerpt without a date of its own had its bookmark's: each annotation carries it
    dates = ("SELECT e.id, COALESCE(e.created_at, b.created_at), b.created_at FROM excerpts e"
             " JOIN bookmarks b ON b.id = e.bookmark_id ORDER BY e.id")
    with Store(real.db) as before, Store(fresh.db) as after:
        for sql in (query, notes):
            assert [tuple(r) for r in after.conn.execute(sql)] == [
                tuple(r) for r in before.conn.execute(sql)]
        assert [(i, utc_timestamp(d), utc_timestamp(b)) for i, d, b in after.conn.execute(
            dates)] == [(i, utc_timestamp(d), utc_timestamp(b))
                        for i, d, b in before.conn.execute(dates)]
        # the same pages, read and aligned again
        import_local_pages(after, Cache(fresh.cache), real.home.parent / "pages")
        extract_all(after, Cache(fresh.cache))
        exportset.add_particles_article(after)
        align_all(after)
        offsets = ('SELECT excerpt_id, method, start, "end", in_main_text FROM alignments'
                   " ORDER BY excerpt_id")
        again = [tuple(r) for r in after.conn.execute(offsets)]
        assert again == [tuple(r) for r in before.conn.execute(offsets)]
    assert sum(1 for r in again if r[1] == "exact") == 11


def test_the_hypothesis_rows_carry_the_api_fields(real):
    rows = export(real, "hypothesis")["rows"]
    assert len(rows) == 13
    for row in rows:
        for key in ("id", "created", "updated", "user", "uri", "text", "tags", "target",
                    "document", "group", "permissions"):
            assert key in row, key
        assert row["user"] == f"acct:{exportset.ANNOTATOR}@hypothes.is"
        assert row["target"][0]["source"] == row["uri"]
    highlights = [r for r in rows if "selector" in r["target"][0]]
    assert len(highlights) == 12
    note = next(r for r in rows if "selector" not in r["target"][0])
    assert note["text"] == exportset.NOTE


def test_a_path_export_is_whole_or_nothing(real, tmp_path):
    target = tmp_path / "out.json"
    target.write_text("before", encoding="utf-8")
    with Store(real.db) as store:
        write_selection(store, "w3c", target)
    assert json.loads(target.read_text(encoding="utf-8"))["total"] == 13
    assert not list(tmp_path.glob("*.part"))
