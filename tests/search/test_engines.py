"""The search API, one suite for both engines: Whoosh and tantivy give the same hits and counts.

Each behaviour test runs once per engine (``engine`` is parametrized); the agreement tests
compare the two engines directly over a grid of queries and filters on the same stores.
Rankings may differ (BM25F vs BM25): they are measured in bench/bench_engines.py, not tested.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from conftest import SEED, add_article
from conftest import run_in_process as run_cli
from whoosh import query as wq

from indexer import analysis
from indexer.config import Paths
from indexer.documents import FACETS
from indexer.engines import resolve_engine
from indexer.engines.tantivy.build import Tokens
from indexer.engines.tantivy.schema import date_key
from indexer.errors import BusyError, IndexerError, IndexMissingError, QueryError
from indexer.index import build_index, build_lock, current_dir
from indexer.ingest import import_files
from indexer.languages import detect_languages
from indexer.querylang import from_whoosh
from indexer.search import SEARCH_COLUMNS, SearchFilters, show
from indexer.search import search as _search
from indexer.search import open_searcher as open_any
from indexer.snippets import WordCache
from indexer.store import Store
from indexer.synth import populate

ENGINES = ["whoosh", "tantivy"]


def search(*args, **kw):
    """The search API, in excerpts unless a test says otherwise: these tests check hits and
    counts against the excerpts table (the default scope, what the team wrote, is tested in
    test_scopes.py)."""
    kw.setdefault("scope", "excerpts")
    return _search(*args, **kw)


def build_both(paths: Paths, workers: int = 1) -> Paths:
    detect_languages(paths)  # as `indexer build` does after extracting
    for engine in ENGINES:
        build_index(paths, engine=engine, workers=workers)
    return paths


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Paths:
    """The bundled export, indexed by both engines."""
    paths = Paths(tmp_path_factory.mktemp("seeded"))
    import_files(paths, [SEED])
    return build_both(paths)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Paths:
    """The export, 400 synthetic excerpts, one article aligned with one excerpt; both engines,
    tantivy's built by two worker processes (so every agreement test checks that build)."""
    paths = Paths(tmp_path_factory.mktemp("mixed"))
    import_files(paths, [SEED])
    with Store(paths.db) as store:
        populate(store, 400, seed=3)
        add_article(store)
    return build_both(paths, workers=2)


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def found(paths, engine, query="", **kw):
    return search(paths, query, limit=10_000, engine=engine, **kw)


def ids(results) -> set[str]:
    return {h.row["id"] for h in results.hits}


def sql_ids(paths, sql, *args) -> set[str]:
    with sqlite3.connect(paths.db) as conn:
        return {r[0] for r in conn.execute(sql, args)}


# -- French matching, on each engine ---------------------------------------------------------


def test_uberisation_with_or_without_accent(seeded, engine):
    plain, accented = found(seeded, engine, "uberisation"), found(seeded, engine, "ubérisation")
    assert plain.total >= 1 and ids(plain) == ids(accented)


def test_etat_finds_l_etat(seeded, engine):
    hits = found(seeded, engine, "etat")
    assert any(re.search(r"l['’]État", h.row["text"]) for h in hits.hits)
    assert ids(hits) == ids(found(seeded, engine, "l’État")) == ids(found(seeded, engine, "État"))


def test_data_center_finds_data_centers(seeded, engine):
    hits = found(seeded, engine, "data center")
    hyphenated = [h for h in hits.hits if "data-centers" in h.row["text"]]
    assert hyphenated and any("data center" not in h.row["text"] for h in hyphenated)
    assert ids(found(seeded, engine, "data-centers")) == ids(hits)
    joined = found(seeded, engine, "datacenter")
    assert {h.row["id"] for h in hyphenated} <= ids(joined)


def test_quoted_phrase_is_those_words_in_that_order(seeded, engine):
    hits = found(seeded, engine, '"data centers"')
    pattern = re.compile(r"data[\s\-]+centers", re.IGNORECASE)
    with sqlite3.connect(seeded.db) as conn:
        texts = [t for (t,) in conn.execute("SELECT text FROM excerpts")]
    assert hits.total == sum(1 for t in texts if pattern.search(t)) > 0
    assert found(seeded, engine, '"centers data"').total == 0
    singular = found(seeded, engine, '"infrastructures numériques"')
    assert all("infrastructures numériques" in h.row["text"] for h in singular.hits)


def test_snippet_marks_the_matched_words(seeded, engine):
    r = search(seeded, "ubérisation", engine=engine)
    assert r.hits[0].score > 0 and "[ubérisation]" in r.hits[0].snippet.marked().lower()
    assert r.rows()[0]["relevance"] == r.hits[0].score


def test_query_syntax(seeded, engine):
    def total(q):
        return found(seeded, engine, q).total

    assert total("ademe cnil") <= total("ademe") <= total("ademe OR cnil")
    assert total("ademe NOT cnil") == total("ademe") - total("ademe cnil")
    assert total("numériq*") >= total("numérique") > 0
    assert total("datta~") > 0 and total("tag:association") == 78
    assert total("(ademe OR cnil) numérique") <= total("ademe OR cnil")
    assert total('annotator:"Aurialie Jublin"') == 78


@pytest.mark.parametrize("query, message", [
    ('"data centers', "unbalanced quote"),
    ("(ademe OR cnil", "unbalanced parenthesis"),
    ("foo:bar", "unknown field 'foo'"),
])
def test_bad_queries_raise_query_error(seeded, engine, query, message):
    with pytest.raises(QueryError, match=re.escape(message)):
        search(seeded, query, engine=engine)


def test_unknown_values_get_the_same_advice(seeded, engine):
    with pytest.raises(QueryError, match="did you mean --tag 'association'"):
        search(seeded, "etat", filters={"tag": ["asociation"]}, engine=engine)
    with pytest.raises(QueryError, match="known annotator: use --annotator"):
        search(seeded, "etat", filters={"author": ["Aurialie Jublin"]}, engine=engine)


def test_no_hit_gives_a_hint(seeded, mixed, engine):
    assert "numeriqe -> numerique" in search(seeded, "numeriqe", engine=engine).hint
    r = search(mixed, "ubérisation", filters={"annotator": ["Aurialie Jublin"], "tag": ["cnil"]},
               engine=engine)
    assert r.total == 0 and "without the filters" in r.hint


def test_hint_on_a_pasted_paragraph_is_bounded(seeded, engine):
    """300 misspelt words (each one edit from a word of the index) and one 60-letter word:
    a handful of near words at most, the same bound on both engines."""
    with sqlite3.connect(seeded.db) as conn:
        texts = " ".join(t for (t,) in conn.execute("SELECT text FROM excerpts"))
    words = sorted({w for w in re.findall(r"[a-z]{6,12}", texts)})[:300]
    assert len(words) == 300
    query = " ".join(["x" * 60] + [w[:-1] + "q" for w in words])
    r = search(seeded, query, engine=engine)
    assert r.total == 0 and r.hint
    near = r.hint.split(": ", 1)[1].split(", ")
    assert 1 <= len(near) <= 5 and all("xxxx" not in n for n in near)


# -- filters, facets, scopes, sort and pages, on each engine -------------------------------------


def test_filters_or_within_a_facet_and_across_facets(mixed, engine):
    everything = ids(found(mixed, engine))
    tagged = ids(found(mixed, engine, filters={"tag": ["sobriété"]}))
    assert tagged == sql_ids(mixed, "SELECT e.id FROM excerpts e JOIN tags t"
                             " ON t.bookmark_id=e.bookmark_id WHERE t.tag=?", "sobriété")
    two = ids(found(mixed, engine, filters={"tag": ["sobriété", "cnil"]}))
    assert tagged < two < everything
    person = ids(found(mixed, engine, filters={"annotator": "lea bonnet"}))
    assert person == sql_ids(mixed, "SELECT id FROM excerpts WHERE annotator=?", "Léa Bonnet")
    both = ids(found(mixed, engine, filters={"tag": ["sobriété", "cnil"],
                                             "annotator": ["Léa Bonnet"]}))
    assert both == two & person
    assert ids(found(mixed, engine, filters={"author": ["Jeanne Autrice"]})) == sql_ids(
        mixed, "SELECT e.id FROM excerpts e JOIN articles a USING(bookmark_id)")


def test_date_range(mixed, engine):
    year = ids(found(mixed, engine, filters={"year": ["2015"]}))
    dated = ids(found(mixed, engine, since="2015", until="2015-12-31"))
    assert year == dated == sql_ids(
        mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON b.id=e.bookmark_id"
        " WHERE b.created_at LIKE '2015%'")
    assert ids(found(mixed, engine, since="2020-06")) == sql_ids(
        mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON b.id=e.bookmark_id"
        " WHERE b.created_at >= '2020-06'")


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
def test_facet_counts_equal_the_store(mixed, engine, facet):
    r = search(mixed, "", facets=[facet], limit=1, engine=engine)
    with sqlite3.connect(mixed.db) as conn:
        expected = dict(conn.execute(SQL_FACETS[facet]).fetchall())
        excerpts = conn.execute("SELECT COUNT(*) FROM excerpts").fetchone()[0]
    assert dict(r.facets[facet]) == expected and r.total == excerpts


def test_facet_counts_follow_the_query(mixed, engine):
    r = search(mixed, "ubérisation", facets=["tag"], limit=1, engine=engine)
    assert 0 < r.total < search(mixed, "", limit=1, engine=engine).total
    assert all(count <= r.total for _, count in r.facets["tag"])


def test_site_and_language_filters(mixed, engine):
    site = ids(found(mixed, engine, filters=SearchFilters(site=["Reporterre"])))
    assert site == sql_ids(mixed, "SELECT e.id FROM excerpts e JOIN bookmarks b ON"
                           " b.id=e.bookmark_id WHERE b.site=?", "Reporterre")
    assert ids(found(mixed, engine, filters={"language": ["fr"]})) == ids(found(mixed, engine))


def test_filtered_total_is_exact(mixed, engine):
    # whoosh-reloaded 2.7.5: terms=True with a filter made len(results) ignore the filter.
    r = found(mixed, engine, "numérique", filters={"tag": ["sobriété"]})
    assert r.total == len(r.hits) > 0
    assert all("sobriété" in h.tags for h in r.hits)


def test_hits_carry_the_export_row(seeded, engine):
    r = search(seeded, "ubérisation", engine=engine)
    hit, row = r.hits[0], r.rows()[0]
    assert hit.title and hit.tags == ["association"] and hit.kind == "excerpt"
    assert row["query"] == "ubérisation" and row["index_built"] == r.index_built
    assert set(SEARCH_COLUMNS) <= set(row)


def test_a_reused_searcher_gives_the_same_answers(mixed, engine):
    with open_any(mixed, engine) as s:
        assert ids(search(s, "numérique")) == ids(search(mixed, "numérique", engine=engine))
        reused = search(s, "données", facets=["tag"]).facets
        assert reused == search(mixed, "données", facets=["tag"], engine=engine).facets


def test_unknown_facets_and_filters(seeded, engine):
    with pytest.raises(QueryError, match="unknown facet 'colour'"):
        search(seeded, "etat", facets=["colour"], engine=engine)
    with pytest.raises(QueryError, match="unknown filter"):
        search(seeded, "etat", filters={"colour": ["red"]}, engine=engine)


def test_scopes_sort_and_pages(mixed, engine):
    descriptions = found(mixed, engine, scope="descriptions")
    assert {h.kind for h in descriptions.hits} == {"description"}
    articles = search(mixed, "témoin", scope="articles", engine=engine)
    assert articles.total == 1 and "[témoin]" in articles.hits[0].snippet.marked()
    everything = search(mixed, "", scope="all", facets=["kind"], engine=engine)
    assert dict(everything.facets["kind"])["article"] == 1
    newest = search(mixed, "", sort="saved", limit=20, engine=engine)
    saved = [h.row["created_at"] for h in newest.hits]
    assert saved == sorted(saved, reverse=True)
    pages = [search(mixed, "numérique", page=p, limit=7, engine=engine) for p in (1, 2, 3)]
    assert len({r.total for r in pages}) == 1
    assert sum(len(r.hits) for r in pages) == len(set().union(*map(ids, pages)))


def test_aligned_excerpt_shows_its_article_context(mixed, engine):
    r = search(mixed, "", filters={"author": ["Jeanne Autrice"]}, context=40, engine=engine)
    assert r.hits[0].context_before.endswith("phrase témoin. ")
    assert r.hits[0].context_after.startswith(" Après le passage")
    view = show(mixed, r.hits[0].row["id"][:10], context=20)  # the store's own view
    assert view.before.endswith("témoin. ") and view.row["author"] == "Jeanne Autrice"


def test_missing_index(tmp_path, engine):
    command = "`indexer index`" if engine == "whoosh" else "`indexer index --engine tantivy`"
    with pytest.raises(IndexMissingError, match=re.escape(f"run {command} first")):
        search(Paths(tmp_path), "etat", engine=engine)


# -- the two engines agree --------------------------------------------------------------------

QUERIES = [
    "", "uberisation", "ubérisation", "etat", "l’État", "data center", "data-centers",
    "datacenter", '"data centers"', '"gestion commune"', "données personnelles",
    "ademe OR cnil", "ademe NOT cnil", "NOT numérique", "(ademe OR cnil) numérique",
    "numériq*", "num*ique", "datta~", "donnees~2/2", "tag:association", "lang:fr",
    'annotator:"Léa Bonnet"', "kind:description", "year:[2015 TO 2017]", "email",
    "e-mail professionnel", "aujourd'hui", "coeur", "cœur", "citoyens^2 numérique",
    # phrases: pairs of words on tantivy (text_pairs), positions on Whoosh
    '"réseau de chaleur"', '"logiciels libres"', '"data-centers"', '"les data centers"',
    '"e-mail professionnel"', '"données personnelles"~3', '"de la"',
]
NARROWINGS = [
    {},
    {"filters": {"tag": ["sobriété", "cnil"]}},
    {"filters": {"tag": ["données"], "annotator": ["Léa Bonnet", "Thomas Ferrand"]}},
    {"scope": "all", "since": "2015", "until": "2018-06"},
    {"since": "2016", "until": "2017"},  # whole years: the year words on tantivy
    {"since": "2015-01", "until": "2016-12-31", "filters": {"tag": ["données"]}},
    {"scope": "all", "until": "2016"},
    {"scope": "descriptions", "filters": {"site": ["Reporterre"]}},
    {"filters": {"author": ["Jeanne Autrice"]}, "scope": "all"},
]


@pytest.mark.parametrize("narrowing", NARROWINGS, ids=lambda n: ",".join(n) or "none")
def test_same_hits_and_facet_counts(mixed, narrowing):
    for query in QUERIES:
        w, t = (found(mixed, e, query, facets=FACETS, context=0, **narrowing) for e in ENGINES)
        assert (query, ids(t), t.total) == (query, ids(w), w.total)
        assert t.facets == w.facets, query


@pytest.mark.parametrize("sort", ["saved", "published"])
def test_same_order_of_dates(mixed, sort):
    w, t = (found(mixed, e, "numérique", sort=sort, scope="all") for e in ENGINES)
    assert [h.row.get("created_at" if sort == "saved" else "published") for h in t.hits] == [
        h.row.get("created_at" if sort == "saved" else "published") for h in w.hits]


def test_same_snippets(seeded):
    for query in ["ubérisation", "etat", "data center", '"data centers"', "numériq*", "datta~"]:
        w, t = (search(seeded, query, limit=10_000, engine=e) for e in ENGINES)
        by_id = {h.row["id"]: h.snippet.marked() for h in w.hits}
        assert {h.row["id"]: h.snippet.marked() for h in t.hits} == by_id, query


def test_same_answers_on_the_seed(seeded):
    for query in QUERIES:
        w, t = (found(seeded, e, query, facets=["tag", "annotator", "site", "year"])
                for e in ENGINES)
        assert (query, ids(t), t.facets) == (query, ids(w), w.facets)


def _stored_in_order(paths: Paths) -> list[tuple[str, str, dict]]:
    """(id, hash, row) of every document of the tantivy build, in document order."""
    import pickle

    import tantivy

    searcher = tantivy.Index.open(str(current_dir(paths, "tantivy"))).searcher()
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs).hits
    out = []
    for _, address in sorted(hits, key=lambda h: (h[1].segment_ord, h[1].doc)):
        doc = searcher.doc(address)
        out.append((doc.get_first("id"), doc.get_first("hash"),
                    pickle.loads(doc.get_first("row"))))
    return out


def test_a_build_in_worker_processes_is_the_same_index(mixed, tmp_path):
    """Two workers analysing while this process writes: the same documents in the same
    order, the same build metadata, the same precounts as a build in one process."""
    import json
    import shutil

    serial = Paths(tmp_path / "serial")
    shutil.copytree(mixed.home, serial.home, ignore=shutil.ignore_patterns("index"))
    build_index(serial, engine="tantivy", workers=1)
    parallel = _stored_in_order(mixed)
    assert parallel == _stored_in_order(serial)
    assert len(parallel) > 400
    meta = [json.loads((current_dir(p, "tantivy") / name).read_text())
            for p in (mixed, serial) for name in ("indexer-meta.json", "precounts.json")]
    for m in meta:
        m.pop("built", None)
        m.pop("opstamp", None)
    assert meta[:2] == meta[2:]


def test_workers_are_refused_below_one(capsys, seeded):
    code, _, err = run_cli(capsys, seeded, "index", "--engine", "tantivy", "--workers", "0")
    assert code == 2
    assert "--workers must be at least 1" in err


# -- tantivy's tokens are our analyzers' tokens -------------------------------------------------

TRICKY = [
    "L’État et l'ubérisation : jusqu’où ? Aujourd'hui, les data-centers d’Île-de-France.",
    "e-mail, t-shirt, 2019-2020, Saint-Étienne-du-Rouvray, qu'il, QU’ELLE, cœur, Œuvre",
    "Les données   personnelles\tdes citoyens — ‘quotes’, l’ , d' ou jusqu'",
    "The data centers' energy is growing; isn't it? Les États-Unis, l'e-commerce.",
    "", "---", "ça-là", "l'", "x-1-y-2",
]


def whoosh_tokens(text: str, field: str) -> tuple[list[tuple[str, int]], list[str]]:
    exact = [(t.text, t.pos) for t in analysis.exact_analyzer()(text, positions=True,
                                                                 mode="index")]
    chains = {"text_fr": analysis.french_analyzer(), "text_en": analysis.english_analyzer(),
              "text_fold": analysis.folding_analyzer()}
    return exact, [t.text for t in chains[field](text, mode="index")]


@pytest.mark.parametrize("field", ["text_fr", "text_en", "text_fold"])
def test_word_by_word_analysis_equals_the_chains(seeded, field):
    with sqlite3.connect(seeded.db) as conn:
        texts = TRICKY + [t for (t,) in conn.execute("SELECT text FROM excerpts")]
    tokens = Tokens(cachesize=50)  # small: the cache is cleared while we go
    for text in texts:
        exact, stems = tokens.analyse(text, field)
        if isinstance(exact, str):
            exact = [(t, i) for i, t in enumerate(exact.split())]
        assert (exact, stems.split()) == whoosh_tokens(text, field), text


def test_word_cached_analyzer_gives_the_same_spans(seeded):
    with sqlite3.connect(seeded.db) as conn:
        texts = TRICKY + [t for (t,) in conn.execute("SELECT text FROM excerpts LIMIT 40")]
    for make in (analysis.french_analyzer, analysis.exact_analyzer, analysis.english_analyzer):
        real, cached = make(), WordCache(make(), cachesize=30)
        for text in texts:
            want = [(t.text, t.startchar, t.endchar) for t in real(text, chars=True, mode="index")]
            assert [tuple(t) for t in cached(text)] == want, text


def test_date_keys_sort_like_the_strings():
    values = ["2019", "2019-06", "2019-06-15", "2019-06-15T10:20:00+00:00", "2020-01-01", ""]
    assert sorted(values, key=date_key) == sorted(values)
    assert date_key("2015-12-31", fill="9") == 20151231999999 and date_key(None) == 0


# -- choosing the engine; the tantivy index's life ---------------------------------------------


def test_engine_setting(monkeypatch, seeded):
    monkeypatch.delenv("INDEXER_ENGINE", raising=False)
    assert resolve_engine() == "whoosh" and resolve_engine("Tantivy") == "tantivy"
    monkeypatch.setenv("INDEXER_ENGINE", "tantivy")
    assert resolve_engine() == "tantivy" and resolve_engine("whoosh") == "whoosh"
    assert search(seeded, "etat").total == search(seeded, "etat", engine="whoosh").total
    with open_any(seeded) as s:
        assert s.engine.name == "tantivy" and search(s, "etat").index_built == s.built
    monkeypatch.setenv("INDEXER_ENGINE", "lucene")
    with pytest.raises(IndexerError, match="unknown engine 'lucene'"):
        search(seeded, "etat")


def test_unsupported_query_types_name_themselves():
    near = wq.Ordered([wq.Term("text_exact", "data"), wq.Term("text_exact", "centers")])
    with pytest.raises(QueryError, match="Ordered"):
        from_whoosh(near)


def test_tantivy_index_updates_swaps_and_locks(home):
    import_files(home, [SEED])
    first = build_index(home, engine="tantivy")
    assert first.rebuilt and first.by_kind == {"excerpt": 78, "description": 13}
    built = current_dir(home, "tantivy")
    assert built.parent == home.index / "tantivy" / "builds"
    assert not (home.index / "current").exists()  # Whoosh's index is not touched
    again = build_index(home, engine="tantivy")
    assert not again.rebuilt and again.unchanged == 91
    with Store(home.db) as store, store.transaction() as conn:
        eid = conn.execute("SELECT id FROM excerpts ORDER BY id LIMIT 1").fetchone()[0]
        gone = conn.execute("SELECT id FROM excerpts ORDER BY id DESC LIMIT 1").fetchone()[0]
        conn.execute("UPDATE excerpts SET text = text || ' zorglub' WHERE id=?", (eid,))
        conn.execute("DELETE FROM excerpts WHERE id=?", (gone,))
    s = build_index(home, engine="tantivy")
    assert (s.updated, s.deleted, s.added) == (1, 1, 0)
    assert [h.row["id"] for h in search(home, "zorglub", engine="tantivy").hits] == [eid]
    with open_any(home, "tantivy") as before:
        build_index(home, rebuild=True, engine="tantivy")
        assert current_dir(home, "tantivy") != built and not built.exists()
        assert search(before, "").total == 77  # the old build still answers
    assert len(list((home.index / "tantivy" / "builds").iterdir())) == 1
    with build_lock(home, "tantivy"):
        with pytest.raises(BusyError):
            build_index(home, engine="tantivy")
        build_index(home, engine="whoosh")  # one lock per engine


def test_cli_engine_option(capsys, seeded):
    code, out, _ = run_cli(capsys, seeded, "index", "--engine", "tantivy")
    assert code == 0 and "index updated" in out and "91 unchanged" in out
    w = run_cli(capsys, seeded, "search", "data center", "--format", "jsonl", "--limit", "100")
    t = run_cli(capsys, seeded, "search", "data center", "--format", "jsonl", "--limit", "100",
                "--engine", "tantivy")
    assert w[0] == t[0] == 0 and len(w[1].splitlines()) == len(t[1].splitlines()) > 0
    code, out, _ = run_cli(capsys, seeded, "facets", "--engine", "tantivy", "--field", "tag")
    assert code == 0 and "association  91" in out  # 78 excerpts and 13 descriptions
    code, _, err = run_cli(capsys, seeded, "search", "etat", "--engine", "lucene")
    assert code != 0 and "unknown engine 'lucene'" in err and "Traceback" not in err


def _tag_counts_from_store(paths) -> dict[str, int]:
    with sqlite3.connect(paths.db) as conn:
        return dict(conn.execute("SELECT t.tag, COUNT(*) FROM excerpts e JOIN tags t"
                                 " ON t.bookmark_id=e.bookmark_id GROUP BY t.tag"))


def _add_tags(paths, count: int) -> None:
    """Give the first bookmark ``count`` more tags."""
    with Store(paths.db) as store, store.transaction() as conn:
        bid = conn.execute("SELECT id FROM bookmarks ORDER BY id LIMIT 1").fetchone()[0]
        conn.executemany("INSERT OR IGNORE INTO tags(bookmark_id, tag) VALUES (?, ?)",
                         [(bid, f"étiquette-{k}") for k in range(count)])
        conn.execute("UPDATE bookmarks SET description = description || ' (retagged)'"
                     " WHERE id=?", (bid,))
        conn.execute("UPDATE excerpts SET text = text || ' ' WHERE bookmark_id=?", (bid,))


def test_tag_facet_slots_widen_then_fall_back(home):
    """Tags are counted on single-valued slot columns; an update bringing a document more tags
    widens them, and one with more tags than there are slots falls back to the multi-valued
    column: the counts equal the store's every time."""
    from indexer.engines.tantivy.schema import SLOTS

    import_files(home, [SEED])
    with Store(home.db) as store:
        populate(store, 120, seed=9)
    build_index(home, engine="tantivy")
    for more, slotted in [(3, True), (SLOTS + 2, False)]:
        with open_any(home, "tantivy") as s:
            width = s.searcher.slots.get("tag")
        _add_tags(home, more)
        summary = build_index(home, engine="tantivy")
        assert not summary.rebuilt and summary.updated
        with open_any(home, "tantivy") as s:
            assert ("tag" in s.searcher.slots) == slotted
            if slotted:
                assert s.searcher.slots["tag"] > width
            facets = search(s, "", facets=["tag"], limit=1).facets
        assert dict(facets["tag"]) == _tag_counts_from_store(home)


def test_an_index_of_the_earlier_schema_is_rebuilt_on_update(home):
    import json

    from indexer.engines.tantivy.schema import META

    import_files(home, [SEED])
    build_index(home, engine="tantivy")
    meta_path = current_dir(home, "tantivy") / META
    meta = json.loads(meta_path.read_text())
    del meta["slots"], meta["schema"]  # as written before the tag slots and word pairs
    meta_path.write_text(json.dumps(meta))
    with open_any(home, "tantivy") as s:
        assert s.searcher.slots == {}  # counted on the multi-valued column meanwhile
        assert dict(search(s, "", facets=["tag"], limit=1).facets["tag"]) == {"association": 78}
    assert build_index(home, engine="tantivy").rebuilt
    with open_any(home, "tantivy") as s:
        assert s.searcher.slots == {"tag": 1}
