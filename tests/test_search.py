"""The search API on the bundled export (and a small synthetic corpus for facets and filters)."""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import SEED, add_article

from indexer.config import Paths
from indexer.errors import IndexMissingError, QueryError
from indexer.index import build_index
from indexer.ingest import import_files
from indexer.search import SearchFilters, open_searcher, search, show
from indexer.store import Store
from indexer.synth import populate


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Paths:
    """The bundled export, imported and indexed (no entities: see test_index)."""
    paths = Paths(tmp_path_factory.mktemp("seeded"))
    import_files(paths, [SEED])
    build_index(paths)
    return paths


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Paths:
    """The export, 400 synthetic excerpts, and one article aligned with one seed excerpt."""
    paths = Paths(tmp_path_factory.mktemp("mixed"))
    import_files(paths, [SEED])
    with Store(paths.db) as store:
        populate(store, 400, seed=3)
        add_article(store)
    build_index(paths)
    return paths


def ids(results) -> set[str]:
    return {h.row["id"] for h in results.hits}


def all_hits(paths, query, **kw):
    return search(paths, query, limit=10_000, **kw)


# -- French matching (issue 5, "Done when") ---------------------------------------------------


def test_uberisation_with_or_without_accent_finds_the_same_excerpts(seeded):
    plain, accented = all_hits(seeded, "uberisation"), all_hits(seeded, "ubérisation")
    assert plain.total >= 1
    assert ids(plain) == ids(accented)


def test_etat_finds_l_etat(seeded):
    found = all_hits(seeded, "etat")
    assert any("l’État" in h.row["text"] or "l'État" in h.row["text"] for h in found.hits)


def test_data_center_finds_data_centers(seeded):
    found = all_hits(seeded, "data center")
    hyphenated = [h for h in found.hits if "data-centers" in h.row["text"]]
    assert hyphenated
    assert any("data center" not in h.row["text"] for h in hyphenated)


def test_quoted_phrase_matches_those_words_in_that_order(seeded):
    found = all_hits(seeded, '"data centers"')
    pattern = re.compile(r"data[\s\-]+centers", re.IGNORECASE)
    assert found.total > 0 and all(pattern.search(h.row["text"]) for h in found.hits)
    with sqlite3.connect(seeded.db) as conn:
        texts = [t for (t,) in conn.execute("SELECT text FROM excerpts")]
    assert found.total == sum(1 for t in texts if pattern.search(t))
    assert all_hits(seeded, '"centers data"').total == 0
    # the phrase is not stemmed: "numériques" as a phrase does not find "numérique"
    singular = all_hits(seeded, '"infrastructures numériques"')
    assert all("infrastructures numériques" in h.row["text"] for h in singular.hits)


def test_hits_carry_export_fields_score_and_highlighted_snippet(seeded):
    r = search(seeded, "ubérisation")
    hit = r.hits[0]
    assert hit.score > 0 and hit.title and hit.tags == ["association"]
    assert "[ubérisation]" in hit.snippet.marked().lower()
    row = r.rows()[0]
    assert row["query"] == "ubérisation" and row["index_built"] == r.index_built
    assert row["relevance"] == hit.score


def test_query_syntax(seeded):
    both = all_hits(seeded, "ademe cnil").total
    either = all_hits(seeded, "ademe OR cnil").total
    ademe = all_hits(seeded, "ademe").total
    assert both <= ademe <= either
    assert all_hits(seeded, "ademe NOT cnil").total <= ademe
    assert all_hits(seeded, "numériq*").total >= all_hits(seeded, "numérique").total
    assert all_hits(seeded, "datta~").total > 0
    assert all_hits(seeded, "tag:association").total == 78


# -- facets and filters -----------------------------------------------------------------------

SQL_FACETS = {
    "tag": "SELECT t.tag, COUNT(*) FROM excerpts e JOIN tags t ON t.bookmark_id=e.bookmark_id"
           " GROUP BY t.tag",
    "annotator": "SELECT annotator, COUNT(*) FROM excerpts WHERE annotator IS NOT NULL"
                 " GROUP BY annotator",
    "site": "SELECT COALESCE(ar.site_name, b.site) s, COUNT(*) FROM excerpts e"
            " JOIN bookmarks b ON b.id=e.bookmark_id LEFT JOIN articles ar"
            " ON ar.bookmark_id=b.id WHERE s IS NOT NULL GROUP BY s",
    "year": "SELECT substr(b.created_at, 1, 4) y, COUNT(*) FROM excerpts e"
            " JOIN bookmarks b ON b.id=e.bookmark_id WHERE y IS NOT NULL GROUP BY y",
    "language": "SELECT COALESCE(ar.language, 'fr') l, COUNT(*) FROM excerpts e"
                " LEFT JOIN articles ar ON ar.bookmark_id=e.bookmark_id GROUP BY l",
    "author": "SELECT ar.author, COUNT(*) FROM excerpts e JOIN articles ar"
              " ON ar.bookmark_id=e.bookmark_id WHERE ar.author IS NOT NULL GROUP BY ar.author",
}


@pytest.mark.parametrize("facet", sorted(SQL_FACETS))
def test_facet_counts_equal_counts_from_the_store(mixed, facet):
    r = search(mixed, "", facets=[facet], limit=1)
    with sqlite3.connect(mixed.db) as conn:
        expected = dict(conn.execute(SQL_FACETS[facet]).fetchall())
    assert dict(r.facets[facet]) == expected
    assert r.total == sum(1 for _ in sqlite3.connect(mixed.db).execute("SELECT id FROM excerpts"))


def test_facet_counts_follow_the_query(mixed):
    r = search(mixed, "ubérisation", facets=["tag"], limit=1)
    assert sum(c for t, c in r.facets["tag"] if t == "ubérisation") <= r.total


def _sql_ids(paths, sql, *args) -> set[str]:
    with sqlite3.connect(paths.db) as conn:
        return {r[0] for r in conn.execute(sql, args)}


def test_every_filter_narrows_as_it_says(mixed):
    everything = ids(all_hits(mixed, ""))
    tagged = ids(all_hits(mixed, "", filters={"tag": ["sobriété"]}))
    assert tagged == _sql_ids(mixed, "SELECT e.id FROM excerpts e JOIN tags t ON"
                              " t.bookmark_id=e.bookmark_id WHERE t.tag=?", "sobriété")
    two = ids(all_hits(mixed, "", filters={"tag": ["sobriété", "cnil"]}))  # OR within a facet
    assert tagged < two < everything
    person = ids(all_hits(mixed, "", filters={"annotator": "Léa Bonnet"}))
    assert person == _sql_ids(mixed, "SELECT id FROM excerpts WHERE annotator=?", "Léa Bonnet")
    both = ids(all_hits(mixed, "", filters={"tag": ["sobriété", "cnil"],
                                            "annotator": ["Léa Bonnet"]}))
    assert both == two & person  # AND across facets
    site = ids(all_hits(mixed, "", filters=SearchFilters(site=["Reporterre"])))
    assert site == _sql_ids(mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON"
                            " b.id=e.bookmark_id WHERE b.site=?", "Reporterre")
    assert ids(all_hits(mixed, "", filters={"author": ["Jeanne Autrice"]})) == _sql_ids(
        mixed, "SELECT e.id FROM excerpts e JOIN articles a USING(bookmark_id)")
    assert ids(all_hits(mixed, "", filters={"language": ["fr"]})) == everything
    year = ids(all_hits(mixed, "", filters={"year": ["2015"]}))
    dated = ids(all_hits(mixed, "", since="2015", until="2015-12-31"))
    assert year == dated == _sql_ids(
        mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON b.id=e.bookmark_id"
        " WHERE b.created_at LIKE '2015%'")
    later = ids(all_hits(mixed, "", since="2020-06"))
    assert later == _sql_ids(mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON"
                             " b.id=e.bookmark_id WHERE b.created_at >= '2020-06'")


def test_filtered_total_is_exact(mixed):
    # whoosh-reloaded 2.7.5: terms=True with a filter made len(results) ignore the filter.
    r = search(mixed, "numérique", filters={"tag": ["sobriété"]}, limit=10_000)
    assert r.total == len(r.hits)
    assert all("sobriété" in h.tags for h in r.hits)


def test_values_are_matched_without_case_or_accents(mixed):
    assert ids(all_hits(mixed, "", filters={"annotator": ["lea bonnet"]})) == ids(
        all_hits(mixed, "", filters={"annotator": ["Léa Bonnet"]}))


def test_scopes_sort_and_pages(mixed):
    descriptions = search(mixed, "", scope="descriptions", limit=10_000)
    described = _count(mixed, "SELECT COUNT(*) FROM bookmarks WHERE description<>''")
    assert descriptions.total == described
    assert {h.kind for h in descriptions.hits} == {"description"}
    articles = search(mixed, "témoin", scope="articles")
    assert articles.total == 1 and "[témoin]" in articles.hits[0].snippet.marked()
    everything = search(mixed, "", scope="all", facets=["kind"])
    assert dict(everything.facets["kind"])["article"] == 1
    newest = search(mixed, "", sort="saved", limit=20)
    saved = [h.row["created_at"] for h in newest.hits]
    assert saved == sorted(saved, reverse=True)
    first, second = search(mixed, "numérique", page=1), search(mixed, "numérique", page=2)
    assert first.total == second.total and not ids(first) & ids(second)


def _count(paths, sql) -> int:
    with sqlite3.connect(paths.db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_aligned_excerpt_shows_its_article_context(mixed):
    r = search(mixed, "", filters={"author": ["Jeanne Autrice"]}, context=40)
    hit = r.hits[0]
    assert hit.context_before.endswith("phrase témoin. ")
    assert hit.context_after.startswith(" Après le passage")
    view = show(mixed, hit.row["id"][:10], context=20)
    assert view.before.endswith("témoin. ") and view.row["author"] == "Jeanne Autrice"


def test_a_reused_searcher_gives_the_same_answers(mixed):
    with open_searcher(mixed) as s:
        assert ids(search(s, "numérique")) == ids(search(mixed, "numérique"))
        reused = search(s, "données", facets=["tag"]).facets
        assert reused == search(mixed, "données", facets=["tag"]).facets


# -- errors and hints -----------------------------------------------------------------------


@pytest.mark.parametrize("query, message", [
    ('"data centers', "unbalanced quote"),
    ("(ademe OR cnil", "unbalanced parenthesis"),
    ("foo:bar", "unknown field 'foo'"),
])
def test_bad_queries_raise_query_error(seeded, query, message):
    with pytest.raises(QueryError, match=re.escape(message)):
        search(seeded, query)


def test_unknown_facet_filter_and_values(seeded):
    with pytest.raises(QueryError, match="unknown facet 'colour'"):
        search(seeded, "etat", facets=["colour"])
    with pytest.raises(QueryError, match="unknown filter"):
        search(seeded, "etat", filters={"colour": ["red"]})
    with pytest.raises(QueryError, match="did you mean --tag 'association'"):
        search(seeded, "etat", filters={"tag": ["asociation"]})
    with pytest.raises(QueryError, match="known annotator: use --annotator"):
        search(seeded, "etat", filters={"author": ["Aurialie Jublin"]})


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissingError, match="run `indexer index` first"):
        search(Paths(tmp_path), "etat")


def test_no_hit_gives_a_hint(seeded, mixed):
    assert "near words" in search(seeded, "numeriqe").hint
    r = search(mixed, "ubérisation", filters={"annotator": ["Aurialie Jublin"], "tag": ["cnil"]})
    assert r.total == 0 and "without the filters" in r.hint
