"""indexer.explore on a tiny corpus of our own, every expected count worked out by hand.

The corpus (tests/fixtures/explore/corpus.jsonl, native format) has four bookmarks:

=====  ==========================  =============  =======  ====================  ==========
 bm     excerpts                    site           who      tags                  saved
=====  ==========================  =============  =======  ====================  ==========
 B1     e1 "Les données publiques   lemonde.fr     alice    données, état         2019-01-15
        appartiennent à tous."
        e2 "L'État ouvre ses
        données."
 B2     e3 "Les data-centers        lemonde.fr     bob      énergie, données      2019-03-02
        consomment de l'énergie."
        e4 "Une donnée coûte de
        l'énergie."
 B3     e5 "Les associations        liberation.fr  alice    association, état     2020-02-10
        interpellent l'Etat sur
        l'énergie."
 B4     e6 "Données ouvertes,       (none)         claire   (none)                (none)
        données libres."
=====  ==========================  =============  =======  ====================  ==========

stages.json adds what later stages would write: B4's article (published 2020-02-20) with e6
aligned exactly inside it; B3's article (published 2018-06-01) where e5 is an orphan; and
entities ADEME (e1, e2, e3), Alice Martin (e1), Paris (e2).

Counting by hand (analysed terms: donnée/données -> one term, l'État/l'Etat -> one term):
"donnée" occurs in e1 (1), e2 (1), e4 (1), e6 (2); "énergie" in e3, e4, e5; "état" in e2, e5.
e6 has no saved date of its own, so it is dated by its article's publication (2020-02).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from indexer import explore
from indexer.analysis import analyze
from indexer.errors import QueryError, StoreError
from indexer.export import EXCERPT_COLUMNS
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.store import Store, now_iso


def term(word: str) -> str:
    """The analysed form of one word (the keys of the tables; the counts are ours)."""
    (only,) = analyze(word, mode="query")
    return only


@pytest.fixture
def corpus(home, fixtures):
    """A home whose store holds the explore corpus and its stage rows; returns (home, ids)."""
    return home, build_corpus(home, fixtures / "explore")


def build_corpus(home, folder) -> dict[str, str]:
    """Import corpus.jsonl, insert stages.json, detect the bookmarks' languages (as the extract
    stage does); return the excerpt ids as e1..e6."""
    import_files(home, [folder / "corpus.jsonl"])
    detect_languages(home)
    with Store(home.db) as store, store.transaction() as conn:
        # the corpus is French, in texts too short to tell (detection says und): what a
        # longer French library would have been detected as
        conn.execute("UPDATE bookmarks SET language = 'fr' WHERE language = 'und'")
    stages = json.loads((folder / "stages.json").read_text(encoding="utf-8"))
    with Store(home.db) as store, store.transaction() as conn:
        ids = {text: eid for eid, text in conn.execute("SELECT id, text FROM excerpts")}
        bms = {title: bid for bid, title in conn.execute("SELECT id, title FROM bookmarks")}
        for a in stages["articles"]:
            conn.execute(
                "INSERT INTO articles(bookmark_id, sha256, extractor_version, status, text,"
                " published, language, extracted_at) VALUES (?,?,?,?,?,?,?,?)",
                (bms[a["title"]], "0" * 64, "test", "ok", a["text"], a["published"],
                 a["language"], now_iso()),
            )
        articles = {a["title"]: a["text"] for a in stages["articles"]}
        for al in stages["alignments"]:
            title = conn.execute(
                "SELECT b.title FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id"
                " WHERE e.id=?", (ids[al["excerpt"]],)).fetchone()[0]
            start = end = None
            if al["method"] != "orphan":
                start = articles[title].index(al["excerpt"])
                end = start + len(al["excerpt"])
            conn.execute(
                'INSERT INTO alignments(excerpt_id, method, start, "end", score, orphan_cause,'
                " best_score, in_main_text, aligned_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (ids[al["excerpt"]], al["method"], start, end, al.get("score"),
                 al.get("orphan_cause"), al.get("best_score"), 1, now_iso()),
            )
        for ent in stages["entities"]:
            conn.execute("INSERT INTO entities(doc_id, label, text) VALUES (?,?,?)",
                         (ids[ent["excerpt"]], ent["label"], ent["text"]))
    e = {
        "e1": ids["Les données publiques appartiennent à tous."],
        "e2": ids["L'État ouvre ses données."],
        "e3": ids["Les data-centers consomment de l'énergie."],
        "e4": ids["Une donnée coûte de l'énergie."],
        "e5": ids["Les associations interpellent l'Etat sur l'énergie."],
        "e6": ids["Données ouvertes, données libres."],
    }
    return e


def counts(frame: pd.DataFrame, by: str, group: str) -> dict[str, int]:
    rows = frame[frame[by] == group]
    return dict(zip(rows["term"], rows["count"]))


# -- excerpts -----------------------------------------------------------------------------


def test_excerpts_has_the_export_columns_and_filters(corpus):
    home, e = corpus
    df = explore.excerpts(home)
    assert list(df.columns[: len(EXCERPT_COLUMNS)]) == EXCERPT_COLUMNS
    assert len(df) == 6
    assert set(explore.excerpts(home, tag="état")["id"]) == {e["e1"], e["e2"], e["e5"]}
    assert set(explore.excerpts(home, annotator="alice")["id"]) == {e["e1"], e["e2"], e["e5"]}
    both = explore.excerpts(home, site="lemonde.fr", tag=["énergie", "association"])
    assert set(both["id"]) == {e["e3"], e["e4"]}
    assert set(explore.excerpts(home, since="2019-02-01")["id"]) == {e["e3"], e["e4"], e["e5"]}
    assert set(explore.excerpts(home, until="2019-01-15")["id"]) == {e["e1"], e["e2"]}


def test_a_missing_store_is_an_error_not_a_new_file(home):
    with pytest.raises(StoreError, match="no store"):
        explore.excerpts(home)
    assert not home.db.exists()


# -- keyword in context -------------------------------------------------------------------


def test_kwic_finds_the_french_forms_and_cuts_context_from_the_original(corpus):
    home, e = corpus
    df = explore.kwic(home, "donnée", width=20)
    # e6 twice (in its article), e1, e2, e4 once each: 5 lines.
    assert len(df) == 5
    assert df["id"].value_counts().to_dict() == {e["e6"]: 2, e["e1"]: 1, e["e2"]: 1, e["e4"]: 1}
    assert sorted(df["match"]) == ["Données", "donnée", "données", "données", "données"]
    from_article = df[df["source"] == "article"]
    assert list(from_article["id"]) == [e["e6"], e["e6"]]
    # The left context of e6's first match lies outside the excerpt, in the article.
    assert from_article["left"].iat[0] == "numériques progressent. "[-20:]
    assert from_article["right"].iat[1] == " libres. Fin de l'ar"  # 20 characters
    line = df[df["id"] == e["e4"]].iloc[0]
    assert (line["left"], line["match"], line["right"]) == ("Une ", "donnée", " coûte de l'énergie.")


def test_kwic_elision_hyphen_and_stop_words(corpus):
    home, e = corpus
    etat = explore.kwic(home, "etat")
    assert set(etat["id"]) == {e["e2"], e["e5"]}
    assert set(etat["match"]) == {"L'État", "l'Etat"}
    dc = explore.kwic(home, "data center")
    assert list(dc["match"]) == ["data-centers"]
    with pytest.raises(QueryError):
        explore.kwic(home, "les")


# -- term counts --------------------------------------------------------------------------


def test_term_counts_by_tag(corpus):
    home, _ = corpus
    df = explore.term_counts(home, "tag", top=None)
    assert list(df.columns) == ["tag", "term", "word", "count"]
    assert set(df["tag"]) == {"association", "données", "énergie", "état"}
    # B2 alone carries `énergie`: e3 + e4. data-centers also counts as the joined datacenters.
    assert counts(df, "tag", "énergie") == {
        term("énergie"): 2, term("data"): 1, term("centers"): 1, term("datacenters"): 1,
        term("consomment"): 1, term("donnée"): 1, term("coûte"): 1,
    }
    donnees = counts(df, "tag", "données")  # B1 + B2
    assert donnees[term("données")] == 3 and donnees[term("énergie")] == 2
    etat = counts(df, "tag", "état")  # B1 + B3
    assert (etat[term("données")], etat[term("état")], etat[term("énergie")]) == (2, 2, 1)
    top = explore.term_counts(home, "tag", top=1)
    assert top[top["tag"] == "énergie"][["term", "word", "count"]].values.tolist() == [
        [term("énergie"), "énergie", 2]
    ]


def test_term_counts_by_annotator_and_stop_words(corpus):
    home, _ = corpus
    df = explore.term_counts(home, "annotator", top=None)
    assert counts(df, "annotator", "claire") == {
        term("données"): 2, term("ouvertes"): 1, term("libres"): 1,
    }
    alice = counts(df, "annotator", "alice")
    assert (alice[term("données")], alice[term("état")], alice[term("énergie")]) == (2, 2, 1)
    assert term("tous") not in alice  # an exploration stop word (EXTRA_STOPWORDS)
    everything = explore.term_counts(home, "annotator", top=None, stopwords=())
    assert counts(everything, "annotator", "alice")[term("tous")] == 1


def test_term_counts_by_site_month_and_year(corpus):
    home, _ = corpus
    site = explore.term_counts(home, "site", top=None)
    assert set(site["site"]) == {"lemonde.fr", "liberation.fr"}  # B4 has no site
    lemonde = counts(site, "site", "lemonde.fr")
    assert (lemonde[term("données")], lemonde[term("énergie")], lemonde[term("état")]) == (3, 2, 1)
    month = explore.term_counts(home, "month", top=None)
    assert set(month["month"]) == {"2019-01", "2019-03", "2020-02"}
    assert counts(month, "month", "2020-02")[term("données")] == 2  # e6, dated by its article
    year = explore.term_counts(home, "year", top=None)
    y2019 = counts(year, "year", "2019")
    assert (y2019[term("données")], y2019[term("énergie")], y2019[term("état")]) == (3, 2, 1)
    published = explore.term_counts(home, "year", top=None, date="published")
    assert set(published["year"]) == {"2018", "2019", "2020"}  # e5 moves to its article's 2018
    with pytest.raises(QueryError):
        explore.term_counts(home, "colour")


# -- trends -------------------------------------------------------------------------------


def test_trends_by_month_fill_the_gaps(corpus):
    home, _ = corpus
    df = explore.trends(home, ["donnée", "énergie", "état"], freq="M")
    assert list(df.columns) == ["donnée", "énergie", "état"]
    assert len(df) == 14  # 2019-01 .. 2020-02
    assert str(df.index[0]) == "2019-01" and str(df.index[-1]) == "2020-02"
    rows = {str(p): tuple(int(v) for v in r) for p, r in zip(df.index, df.values)}
    assert rows["2019-01"] == (2, 0, 1)
    assert rows["2019-03"] == (1, 2, 0)
    assert rows["2020-02"] == (2, 1, 1)
    others = {p: r for p, r in rows.items() if p not in ("2019-01", "2019-03", "2020-02")}
    assert set(others.values()) == {(0, 0, 0)}
    assert df["donnée"].sum() == 5


def test_trends_by_published_year(corpus):
    home, _ = corpus
    df = explore.trends(home, ["donnée", "énergie", "état"], freq="Y", date="published")
    rows = {str(p): tuple(int(v) for v in r) for p, r in zip(df.index, df.values)}
    assert rows == {"2018": (0, 1, 1), "2019": (3, 2, 1), "2020": (2, 0, 0)}


def test_trends_without_dates_is_empty(home, seed):
    import_files(home, [seed])  # the bundled export: no dates at all
    df = explore.trends(home, ["donnée"])
    assert df.empty and list(df.columns) == ["donnée"]


# -- co-occurrence ------------------------------------------------------------------------


def test_tag_cooccurrence(corpus):
    home, _ = corpus
    df = explore.cooccurrence(home, "tag")
    labels = ["données", "état", "association", "énergie"]  # by count, then name
    assert list(df.index) == labels and list(df.columns) == labels
    assert df.values.tolist() == [
        [2, 1, 0, 1],
        [1, 2, 1, 0],
        [0, 1, 1, 0],
        [1, 0, 0, 1],
    ]
    assert explore.cooccurrence(home, "tag", top=2).values.tolist() == [[2, 1], [1, 2]]


def test_entity_cooccurrence(corpus):
    home, _ = corpus
    df = explore.cooccurrence(home, "entity")
    assert list(df.index) == ["ADEME", "Alice Martin", "Paris"]
    assert df.values.tolist() == [[3, 1, 1], [1, 1, 0], [1, 0, 1]]


# -- topics -------------------------------------------------------------------------------


def test_topics_are_reproducible_with_a_seed(corpus):
    home, e = corpus
    first = explore.topics(home, n=2, seed=7)
    again = explore.topics(home, n=2, seed=7)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == explore.TOPIC_COLUMNS
    assert len(first) == 2
    # Every excerpt lands in exactly one topic.
    members = [i for ids in first["excerpt_ids"] for i in ids]
    assert sorted(members) == sorted(e.values())
    assert first["size"].sum() == 6
    assert all(len(terms) == 8 for terms in first["terms"])


def test_topics_cap_n_at_the_corpus_size(corpus):
    home, _ = corpus
    assert len(explore.topics(home, n=50, seed=0)) == 6


# -- alignments ---------------------------------------------------------------------------


def test_alignment_quality_orphans_and_context(corpus):
    home, e = corpus
    q = explore.alignment_quality(home, "site")
    assert list(q.columns) == explore.QUALITY_COLUMNS
    assert q.loc["lemonde.fr", ["excerpts", "unaligned"]].tolist() == [4, 4]
    assert q.loc["liberation.fr", ["orphan", "aligned_share"]].tolist() == [1, 0.0]
    assert q.loc["(unknown)", ["exact", "aligned_share", "mean_score"]].tolist() == [1, 1.0, 1.0]
    assert pd.isna(q.loc["lemonde.fr", "aligned_share"])
    orphans = explore.orphans(home)
    assert orphans[["id", "orphan_cause", "best_score"]].values.tolist() == [
        [e["e5"], "not_found", 0.4]
    ]
    ctx = explore.in_context(home, width=25)
    assert ctx[["id", "before", "excerpt", "after"]].values.tolist() == [
        [e["e6"], "Les communs numériques progressent. "[-25:], "Données ouvertes, données libres.",
         " Fin de l'article sur les"]
    ]


# -- search -------------------------------------------------------------------------------


def test_search_rows_are_the_cli_machine_rows(corpus):
    from indexer.index import build_index
    from indexer.search import SEARCH_COLUMNS

    home, e = corpus
    build_index(home)
    df = explore.search(home, "donnée", limit=None)
    assert list(df.columns) == SEARCH_COLUMNS
    assert set(df["id"]) == {e["e1"], e["e2"], e["e4"], e["e6"]}
    assert set(df["query"]) == {"donnée"}
    assert df["relevance"].is_monotonic_decreasing
    assert set(explore.search(home, "donnée", tag="énergie")["id"]) == {e["e4"]}
    assert set(explore.search(home, "donnée", annotator=["alice", "claire"])["id"]) == {
        e["e1"], e["e2"], e["e6"]
    }
    assert len(explore.search(home, "donnée", limit=2)) == 2
