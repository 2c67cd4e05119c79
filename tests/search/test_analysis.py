"""French analysis: the pair table, the stemmer's word groups and its agreement with Lucene's
reference vocabulary, the exact chain, positions, pickling, and a Whoosh round trip."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from conftest import FIXTURES
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from bench.bench_analysis import grouping_agreement, load_reference
from indexer.analysis import (
    CANDIDATES,
    analyze,
    analyzer_for,
    english_analyzer,
    exact_analyzer,
    fold,
    folding_analyzer,
    french_analyzer,
    french_chain,
    matches,
)
from indexer.stemmers import french_light_stem, get_stemmer

PAIRS = FIXTURES / "analysis_pairs.tsv"
GROUPS = FIXTURES / "stem_groups.tsv"
# The first light-fr rules (light-fr-1) on Lucene's frlight.txt, as recorded in
# docs/analysis.md: the new rules may not merge more pairs that Lucene keeps apart.
BEFORE_EXTRA_MERGES = 663
BEFORE_AGREEMENT = 7223 / 12186


def load_pairs(path: Path = PAIRS) -> list[tuple[str, str, str, str]]:
    """Rows (expect, query, document, note) of the pair table."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            expect, query, document, note = line.split("\t")
            rows.append((expect, query, document, note))
    return rows


ROWS = load_pairs()


def test_the_table_is_big_enough():
    kinds = [r[0] for r in ROWS]
    assert kinds.count("match") >= 40 and kinds.count("nomatch") >= 15


@pytest.mark.parametrize("expect,query,document,note", [r for r in ROWS if r[0] != "known"],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_pair(expect, query, document, note):
    got = matches(french_analyzer(), query, document)
    assert got == (expect == "match"), (
        f"{note}: {analyze(query, mode='query')} vs {analyze(document)}")


def load_groups(path: Path = GROUPS) -> list[tuple[str, list[str], str]]:
    """Rows (kind, words, note) of the word-group table."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, words, note = line.split("\t")
            rows.append((kind, words.split(), note))
    return rows


@pytest.mark.parametrize("kind,words,note", load_groups(),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_word_group(kind, words, note):
    """Our own groups: the merges the light rules make (verb forms, -euse/-eur, short
    feminines, an/ans) and the merges they must not make (Anne/année, revers/rêver...)."""
    tokens = {word: analyze(word) for word in words}
    assert all(len(t) == 1 for t in tokens.values()), tokens
    distinct = {t[0] for t in tokens.values()}
    if kind == "same":
        assert len(distinct) == 1, f"{note}: {tokens}"
    else:
        assert len(distinct) == len(words), f"{note}: {tokens}"


def test_the_word_groups_cover_the_six_wrong_merges():
    apart = {frozenset(words) for kind, words, _ in load_groups() if kind == "apart"}
    for pair in (("Anne", "année"), ("revers", "rêver"), ("propos", "proposé"),
                 ("indices", "indiqué"), ("économie", "économise"), ("manière", "manier")):
        assert frozenset(pair) in apart


@pytest.mark.shared
def test_agreement_with_lucene_light_vocabulary(shared):
    """On Lucene's frlight.txt: at least 80% of the pairs Lucene merges are merged, and no
    more extra merges than the first rules made (docs/analysis.md)."""
    reference = load_reference(shared("corpus", "analysis", "frlight.txt"))
    before = grouping_agreement(reference, french_chain("light-fr-1"))
    assert before["extra_merges"] == BEFORE_EXTRA_MERGES  # the frozen rules did not move
    assert before["agreement"] == pytest.approx(BEFORE_AGREEMENT)
    now = grouping_agreement(reference, french_analyzer())
    assert now["agreement"] >= 0.80, now
    assert now["extra_merges"] <= BEFORE_EXTRA_MERGES, now


def test_exact_chain_keeps_stop_words_and_order():
    assert [t.text for t in exact_analyzer()("L’État et les Données du pays")] == [
        "etat", "et", "les", "donnees", "du", "pays"]


def test_exact_chain_does_not_stem():
    assert [t.text for t in exact_analyzer()("données numériques")] == ["donnees", "numeriques"]


@pytest.mark.parametrize("make", [french_analyzer, english_analyzer, folding_analyzer,
                                  exact_analyzer, *CANDIDATES.values()])
def test_pickle_round_trip(make):
    analyzer = make()
    text = "L’État des data-centers, e-mails et cœurs"
    before = [t.text for t in analyzer(text)]
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy == analyzer
    assert [t.text for t in copy(text)] == before
    assert [t.text for t in pickle.loads(pickle.dumps(copy))(text)] == before  # after use too


def test_analyzers_compare_by_configuration():
    assert french_analyzer() == french_analyzer()
    assert french_analyzer() != english_analyzer()
    assert CANDIDATES["pystemmer-snowball+fold"]() != french_analyzer()


def test_hyphen_positions_and_offsets():
    text = "les data-centers de l’État"
    tokens = [(t.text, t.pos, text[t.startchar:t.endchar])
              for t in french_analyzer()(text, positions=True, chars=True)]
    # Like Whoosh's StopFilter, renumbering starts at the first kept word's position.
    # (center ends like an -er verb, so it is stemmed on its -e form: cente, datacent.)
    assert tokens == [("data", 1, "data"), ("datacent", 1, "data-centers"),
                      ("cente", 2, "centers"), ("etat", 3, "État")]


def test_query_mode_keeps_only_the_parts():
    assert analyze("data-centers", mode="query") == ["data", "cente"]
    assert analyze("e-mail", mode="query") == ["email"]


def test_fold():
    assert fold("L’Œuvre d’Été À Noël") == "l'oeuvre d'ete a noel"
    assert fold("ÆSIR straße") == "aesir strasse"


def test_language_choice():
    assert analyzer_for("fr") == french_analyzer()
    assert analyzer_for(None) == folding_analyzer()  # no language known: undetermined
    assert analyzer_for("en-GB") == english_analyzer()
    assert analyzer_for("de") == folding_analyzer()
    # undetermined is not French: the index analyses it by folding only, and so must we
    assert analyzer_for("und") == folding_analyzer()
    assert analyze("The running cars", "en") == ["run", "car"]
    assert analyze("Die Häuser", "de") == ["die", "hauser"]


def test_light_stemmer_leaves_short_words_and_numbers():
    assert french_light_stem("bas") == "bas"
    assert french_light_stem("ans") == "an"  # the one short plural it takes
    assert french_light_stem("co2") == "co2"
    assert get_stemmer("light-fr") is french_light_stem
    assert get_stemmer("light-fr-1")("presenter") == "presenter"  # the first rules, kept
    with pytest.raises(ValueError, match="unknown stemmer"):
        get_stemmer("klingon")


def test_whoosh_index_round_trip():
    """Through Whoosh's own parser: multi-token words, phrases on the exact field."""
    schema = Schema(id=ID(stored=True), text=TEXT(analyzer=french_analyzer()),
                    exact=TEXT(analyzer=exact_analyzer()))
    ix = RamStorage().create_index(schema)
    docs = {"a": "Les data-centers de l’État consomment", "b": "Un e-mail sur les données",
            "c": "le don de l'État", "d": "État des lieux"}
    with ix.writer() as w:
        for key, text in docs.items():
            w.add_document(id=key, text=text, exact=text)
    with ix.searcher() as s:
        def ids(field, q):
            return sorted(hit["id"] for hit in s.search(QueryParser(field, ix.schema).parse(q)))
        assert ids("text", "data center") == ["a"]
        assert ids("text", "datacenter") == ["a"]
        assert ids("text", "data-centers") == ["a"]
        assert ids("text", "email") == ["b"]
        assert ids("text", "etat") == ["a", "c", "d"]
        assert ids("text", "don") == ["c"]
        assert ids("exact", '"de l’état"') == ["a", "c"]
        assert ids("exact", '"etat des"') == ["d"]
        assert ids("text", '"data centers"') == ["a"]


def test_bundled_export_terms(seed):
    """The Done-when words of issue 5, on the user's own export."""
    terms = set(analyze(seed.read_text(encoding="utf-8")))
    assert {"etat", "data"} <= terms
    assert set(analyze("datacenter center")) <= terms  # whatever their stems
    assert analyze("ubérisation") == analyze("uberisation")
    assert set(analyze("etat")) <= terms and set(analyze("data center", mode="query")) <= terms
