"""Yardsticks for our search engines, measured in the same run on the same documents (issue 20).

Three opponents run the very workloads our engines run (:data:`WORKLOADS`), taking turns with
them query by query (:func:`measure`), so that a noisy shared machine weighs on all alike:

* **raw tantivy**: the same queries and facet aggregations sent straight to the ``tantivy``
  package on our own tantivy index (its current build). Each query is translated once, before
  timing, into the tantivy query our engine builds for it; the timed loop is only tantivy
  calls: ``search(query, 10, count=True)``, the fetch of those 10 documents, and one
  ``aggregate`` of ``terms`` aggregations on the columns our engine counts (the tag slots
  ``tag__0``.. summed, annotator, site, year). Its totals and facet counts must equal ours;
  the ratio of the p95s is what our layers cost at search time.
* **Xapian** (the engine of Recoll) with its French Snowball stemmer, on the documents of
  :func:`indexer.documents.store_documents`: text through a ``TermGenerator`` (positions,
  ``STEM_SOME``), facets as values (one value slot per tag position, like our tag slots),
  kind and tags as boolean terms for the scope and the filters, the saved date as a value
  for ranges; searched with a ``QueryParser`` (French stemmer, ``STEM_SOME``, AND by default,
  boolean, phrase and wildcard syntax) and ``get_mset(0, 10, checkatleast=doccount)`` with a
  ``ValueCountMatchSpy`` per slot: exact totals and counts, and snippets of the top 10.
  Another analyzer: its totals differ from ours and are reported beside them.
* **SQLite FTS5, written as a fair opponent** (:class:`FairFts5`): in one statement over one
  CTE of the matching rowids with their ``bm25()``, the top 10 (``ORDER BY ... LIMIT 10``),
  the total and every facet count (the CTE joined once to the facet tables); snippets of
  those 10 only; prefix indexes; the scope as a rowid range.

Xapian comes from Debian's ``python3-xapian`` (``scripts/install-bench-tools.sh``), loaded
from its own directory (:func:`load_xapian`); without it the run says why and goes on.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import report
from bench.bench_search import FACETS, ROUNDS, WORKLOAD, dir_mb
from indexer.config import Paths
from indexer.documents import store_documents
from indexer.index import current_dir
from indexer.results import SearchFilters
from indexer.search import narrow, open_searcher, search
from indexer.store import Store

DEBIAN_XAPIAN = Path("/usr/lib/python3/dist-packages/xapian")
SINGLE = ("annotator", "site", "year")  # the single-valued facets of FACETS (tag is the other)
SCOPE = "excerpts"  # the workloads search excerpts, as they always have (FTS5 held no others)
TOP = 10

# -- the workloads ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One search of a workload: ``text`` in our syntax (Xapian's parser reads it too),
    ``fts5`` the same in FTS5's MATCH syntax; a tag filter and a saved-date range (inclusive,
    ``YYYY[-MM]``), each optional."""

    text: str
    fts5: str
    tag: str | None = None
    since: str | None = None
    until: str | None = None

    def label(self) -> str:
        """The query as it would be typed to ``indexer search``."""
        out = self.text
        for option, value in (("--tag", self.tag), ("--since", self.since),
                              ("--until", self.until)):
            if value:
                out += f" {option} {value!r}" if " " in value else f" {option} {value}"
        return out


# Chosen on the synthetic corpus (indexer/synth.py, seed 42) so that the filtered match sets
# are large: at 100k excerpts 1,000 to 6,700 hits each (x10 at 1M), phrases ~9,000 to 20,000.
FILTERED = [
    Query("numérique", "numerique", tag="données"),
    Query("numériq*", "numeriq*", tag="communs"),
    Query("état", "etat", tag="services publics"),
    Query("plateformes OR algorithmes", "plateformes OR algorithmes",
          since="2018-01", until="2019-12"),
    Query("collectivités", "collectivites", since="2020", until="2022"),
    Query("numérique", "numerique", since="2019-01", until="2020-12"),
]
PHRASES = [
    Query('"données personnelles"', '"donnees personnelles"'),
    Query('"data centers"', '"data centers"'),
    Query('"intelligence artificielle"', '"intelligence artificielle"'),
    Query('"réseaux de chaleur"', '"reseaux de chaleur"'),
    Query('"plateformes de livraison"', '"plateformes de livraison"'),
]
WORKLOADS: dict[str, list[Query]] = {
    "workload": [Query(text, fts5, tag) for text, fts5, tag in WORKLOAD],
    "filtered": FILTERED,
    "phrases": PHRASES,
}

Facets = dict[str, dict[str, int]]  # facet -> value -> count


class Contestant(Protocol):
    """One engine or yardstick: ``run`` is timed, ``facets`` turns what it returned into
    counts afterwards."""

    name: str

    def run(self, workload: str, i: int) -> tuple[int, Any]: ...

    def facets(self, found: Any) -> Facets: ...

    def close(self) -> None: ...


# -- our engines, through the search API --------------------------------------------------


class OurEngine:
    """An engine of ours through :func:`indexer.search.search`, one searcher reused."""

    def __init__(self, paths: Paths, engine: str, workloads: dict[str, list[Query]]):
        self.name, self.workloads = engine, workloads
        self.s = open_searcher(paths, engine=engine)
        t0 = time.perf_counter()
        search(self.s, "", facets=FACETS, limit=1, scope=SCOPE)  # fills the caches once
        self.cache_fill_ms = round((time.perf_counter() - t0) * 1000, 1)

    def run(self, workload: str, i: int) -> tuple[int, Any]:
        q = self.workloads[workload][i]
        r = search(self.s, q.text, filters={"tag": [q.tag]} if q.tag else None, since=q.since,
                   until=q.until, facets=FACETS, limit=TOP, scope=SCOPE)
        return r.total, r.facets

    def facets(self, found) -> Facets:
        return {name: dict(pairs) for name, pairs in found.items()}

    def close(self) -> None:
        self.s.close()


# -- raw tantivy --------------------------------------------------------------------------


class RawTantivy:
    """The ``tantivy`` package alone on our current tantivy build (see the module docstring)."""

    name = "raw_tantivy"

    def __init__(self, paths: Paths, workloads: dict[str, list[Query]]):
        import tantivy

        build = current_dir(paths, "tantivy")
        if build is None:
            raise FileNotFoundError(f"no tantivy index under {paths.index}")
        self.searcher = tantivy.Index.open(str(build)).searcher()
        self.queries, self.aggs, self.columns = prepare_tantivy(paths, workloads)

    def run(self, workload: str, i: int) -> tuple[int, Any]:
        q, searcher = self.queries[workload][i], self.searcher
        found = searcher.search(q, TOP, count=True)
        for _, address in found.hits:
            searcher.doc(address)
        return found.count, searcher.aggregate(q, self.aggs)

    def facets(self, found) -> Facets:
        """The buckets of each facet's columns, summed (the tag slots), padding left out."""
        from indexer.engines.tantivy.schema import NO_VALUE

        out: Facets = {}
        for name, columns in self.columns.items():
            totals = out.setdefault(name, {})
            for column in columns:
                for b in found.get(column, {}).get("buckets", []):
                    if b["doc_count"] and b["key"] != NO_VALUE:
                        totals[b["key"]] = totals.get(b["key"], 0) + b["doc_count"]
        return out

    def close(self) -> None:
        self.searcher = None


def prepare_tantivy(paths: Paths, workloads: dict[str, list[Query]]):
    """(the tantivy query of each workload query, the aggregations, facet -> its columns),
    made once with our engine's own translation: the same terms on the same fields, the
    prefixes expanded from the dictionary, the filters as non-scoring clauses."""
    from indexer.engines.tantivy.schema import slot_field
    from indexer.engines.tantivy.searcher import combine, conditions

    with open_searcher(paths, engine="tantivy") as ours:
        ts = ours.searcher
        queries = {}
        for name, items in workloads.items():
            queries[name] = []
            for q in items:
                wanted = SearchFilters.coerce({"tag": [q.tag]} if q.tag else None)
                narrowing = narrow(ours, wanted, SCOPE, q.since, q.until)
                queries[name].append(combine(ts, ours.parse(q.text), conditions(ts, narrowing)))
        columns = {f: ([slot_field(f, k) for k in range(ts.slots[f])] if f in ts.slots else [f])
                   for f in FACETS}
        aggs = {}
        for f, cols in columns.items():
            size = len(ts.values(f)) + 1  # the whole dictionary (+ the slots' padding): exact
            for c in cols:
                aggs[c] = {"terms": {"field": c, "size": size, "segment_size": size}}
    return queries, aggs, columns


# -- Xapian -------------------------------------------------------------------------------


def load_xapian():
    """(the ``xapian`` module, "") or (None, why not).

    Debian's ``python3-xapian`` is built for Debian's own Python 3.11: its directory alone is
    loaded (not the whole of ``dist-packages``), which works in another 3.11 build (our venv).
    """
    try:
        import xapian

        return xapian, ""
    except ImportError as exc:
        first = str(exc)
    init = DEBIAN_XAPIAN / "__init__.py"
    if not init.exists():
        return None, (f"xapian cannot be imported ({first}) and {DEBIAN_XAPIAN} is absent: "
                      "run `sh scripts/install-bench-tools.sh` (as root: apt-get install "
                      "python3-xapian)")
    spec = importlib.util.spec_from_file_location(
        "xapian", init, submodule_search_locations=[str(DEBIAN_XAPIAN)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["xapian"] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:  # built for another Python (its ABI tag)
        del sys.modules["xapian"]
        return None, f"{DEBIAN_XAPIAN} does not load in Python {sys.version.split()[0]}: {exc}"
    return module, ""


SLOTS = {name: k for k, name in enumerate(SINGLE)}
SAVED_SLOT = len(SINGLE)
TAG_SLOT = 10  # a document's k-th tag is in value slot TAG_SLOT + k
# Xapian 1.4's TermGenerator keeps an elided word whole (`l'état` is one term, which `état`
# never finds: no hit for `état` on the synthetic corpus): apostrophes become spaces, on both
# sides, as our own chain strips the elisions.
ELIDED = str.maketrans({"'": " ", "’": " ", "ʼ": " "})


def build_xapian(xapian, paths: Paths, where: Path) -> dict:
    """Index every document of the store into a new Xapian database at ``where``."""
    db = xapian.WritableDatabase(str(where), xapian.DB_CREATE_OR_OVERWRITE)
    terms = xapian.TermGenerator()
    terms.set_stemmer(xapian.Stem("french"))
    terms.set_stemming_strategy(xapian.TermGenerator.STEM_SOME)
    docs = width = 0
    with Store(paths.db, readonly=True) as store:
        for d in store_documents(store):
            doc = xapian.Document()
            terms.set_document(doc)
            terms.index_text(d.text.translate(ELIDED))
            doc.set_data(d.text)  # for the snippets
            doc.add_boolean_term("XK" + d.kind)
            for k, tag in enumerate(d.facets["tag"]):
                doc.add_boolean_term("XT" + tag)
                doc.add_value(TAG_SLOT + k, tag)
            for name, slot in SLOTS.items():
                if d.facets[name]:
                    doc.add_value(slot, d.facets[name][0])
            doc.add_value(SAVED_SLOT, d.saved)
            db.add_document(doc)
            docs, width = docs + 1, max(width, len(d.facets["tag"]))
    db.commit()
    db.close()
    return {"docs": docs, "tag_slots": width}


class Xapian:
    """Searching the database of :func:`build_xapian` (see the module docstring)."""

    name = "xapian"

    def __init__(self, xapian, where: Path, tag_slots: int, workloads: dict[str, list[Query]]):
        self.x, self.workloads = xapian, workloads
        self.db = xapian.Database(str(where))
        self.doccount = self.db.get_doccount()
        self.stem = xapian.Stem("french")
        self.parser = xapian.QueryParser()
        self.parser.set_stemmer(self.stem)
        self.parser.set_stemming_strategy(xapian.QueryParser.STEM_SOME)
        self.parser.set_database(self.db)  # for the wildcards
        self.parser.set_default_op(xapian.Query.OP_AND)  # words AND-ed, as ours
        self.flags = xapian.QueryParser.FLAG_DEFAULT | xapian.QueryParser.FLAG_WILDCARD
        self.slots = {"tag": [TAG_SLOT + k for k in range(tag_slots)],
                      **{name: [slot] for name, slot in SLOTS.items()}}

    def query(self, q: Query):
        """The parsed query, narrowed to the scope, the tag and the dates."""
        X = self.x.Query
        narrowing = [X("XKexcerpt")]
        if q.tag:
            narrowing.append(X("XT" + q.tag))
        if q.since or q.until:  # values are ISO datetimes: compared as strings
            narrowing.append(X(X.OP_VALUE_RANGE, SAVED_SLOT, q.since or "0000",
                               (q.until or "9999") + "~"))
        return X(X.OP_FILTER, self.parser.parse_query(q.text.translate(ELIDED), self.flags),
                 X(X.OP_AND, narrowing))

    def run(self, workload: str, i: int) -> tuple[int, Any]:
        x = self.x
        enquire = x.Enquire(self.db)  # the query parsed here, in the timed call, as ours is
        enquire.set_query(self.query(self.workloads[workload][i]))
        spies = {name: [x.ValueCountMatchSpy(s) for s in slots]
                 for name, slots in self.slots.items()}
        for spy in (s for group in spies.values() for s in group):
            enquire.add_matchspy(spy)
        mset = enquire.get_mset(0, TOP, self.doccount)  # checkatleast every document: exact
        flags = x.MSet.SNIPPET_BACKGROUND_MODEL | x.MSet.SNIPPET_EXHAUSTIVE
        for m in mset:
            mset.snippet(m.document.get_data().decode(), 200, self.stem, flags, "[", "]", "…")
        return mset.get_matches_estimated(), spies

    def facets(self, found) -> Facets:
        out: Facets = {}
        for name, spies in found.items():
            totals = out.setdefault(name, {})
            for spy in spies:
                for item in spy.values():
                    value = item.term.decode()
                    totals[value] = totals.get(value, 0) + item.termfreq
        return out

    def close(self) -> None:
        self.db.close()


# -- SQLite FTS5, a fair opponent ---------------------------------------------------------

_READ = "ar.status IN ('ok', 'tiny')"  # as indexer.documents: metadata of read articles only
FTS5_BUILD = f"""
CREATE VIRTUAL TABLE f USING fts5(text, tokenize='unicode61 remove_diacritics 2',
                                  prefix='2 3');
CREATE TABLE docs(doc INTEGER PRIMARY KEY, id TEXT, bookmark_id TEXT, excerpt INTEGER);
CREATE TABLE meta(doc INTEGER PRIMARY KEY, annotator TEXT, site TEXT, year TEXT, saved TEXT);
CREATE TABLE tag(tag TEXT, doc INTEGER, PRIMARY KEY (tag, doc)) WITHOUT ROWID;
-- excerpts first, then descriptions: the scope `excerpts` is a rowid range
INSERT INTO docs(id, bookmark_id, excerpt) SELECT id, bookmark_id, 1 FROM store.excerpts;
INSERT INTO docs(id, bookmark_id, excerpt)
    SELECT 'd-' || id, id, 0 FROM store.bookmarks WHERE TRIM(description) <> '';
INSERT INTO f(rowid, text)
    SELECT d.doc, CASE WHEN d.excerpt THEN e.text ELSE b.description END
    FROM docs d JOIN store.bookmarks b ON b.id = d.bookmark_id
    LEFT JOIN store.excerpts e ON d.excerpt AND e.id = d.id;
INSERT INTO meta
    SELECT d.doc, CASE WHEN d.excerpt THEN e.annotator ELSE b.annotator END,
           COALESCE(ar.site_name, b.site), substr(b.created_at, 1, 4), b.created_at
    FROM docs d JOIN store.bookmarks b ON b.id = d.bookmark_id
    LEFT JOIN store.excerpts e ON d.excerpt AND e.id = d.id
    LEFT JOIN store.articles ar ON ar.bookmark_id = d.bookmark_id AND {_READ};
INSERT OR IGNORE INTO tag
    SELECT t.tag, d.doc FROM docs d JOIN store.tags t ON t.bookmark_id = d.bookmark_id;
CREATE INDEX tag_doc ON tag(doc, tag);
CREATE INDEX meta_saved ON meta(saved, doc);
INSERT INTO f(f) VALUES ('optimize');  -- one b-tree per term, as a read-mostly index would be
"""


def build_fts5(db: Path, where: Path) -> dict:
    """The fair FTS5 index of the store's excerpts and descriptions, in a new file."""
    conn = sqlite3.connect(where)
    try:
        conn.execute("ATTACH ? AS store", (str(db),))
        conn.executescript(FTS5_BUILD)
        conn.commit()
        docs, last = conn.execute(
            "SELECT COUNT(*), (SELECT MAX(doc) FROM docs WHERE excerpt) FROM docs").fetchone()
    finally:
        conn.close()
    return {"docs": docs, "last_excerpt": last or 0}


def fts5_statement(q: Query, last: int) -> tuple[str, dict]:
    """The statement of ``q`` giving its top 10 by bm25, its total and its facet counts, in
    rows ``(part, value, number)``; and its parameters."""
    # `+rowid`: a filter tested per match against a list made once; without the `+`, SQLite
    # hands the list to FTS5 as rowid lookups, one whole MATCH per tagged document (25x slower)
    where = ["f MATCH :q", "f.rowid <= :last"]
    params: dict = {"q": q.fts5, "last": last}
    if q.tag:
        where.append("+f.rowid IN (SELECT doc FROM tag WHERE tag = :tag)")
        params["tag"] = q.tag
    if q.since or q.until:
        where.append("+f.rowid IN (SELECT doc FROM meta WHERE saved BETWEEN :lo AND :hi)")
        params |= {"lo": q.since or "0000", "hi": (q.until or "9999") + "~"}
    # The matches once (m), ranked: bm25 computed for the filtered matches only (FTS5's own
    # ORDER BY rank ranks every match of the words before SQLite filters), the top 10 kept
    # by SQLite's LIMIT-aware sort; m joined once to the single-valued facets (j) and once to
    # the tags. CROSS JOIN keeps that order (else SQLite scans the whole tag table probing m).
    single = " UNION ALL ".join(f"SELECT '{name}', {name}, COUNT(*) FROM j GROUP BY 2"
                                for name in SINGLE)
    sql = (f"WITH m(doc, score) AS MATERIALIZED (SELECT f.rowid, bm25(f) FROM f"
           f" WHERE {' AND '.join(where)}),"
           " j AS MATERIALIZED (SELECT annotator, site, year FROM m CROSS JOIN meta USING (doc))"
           f" SELECT * FROM (SELECT 'top', doc, score FROM m ORDER BY score LIMIT {TOP})"
           f" UNION ALL SELECT 'total', NULL, COUNT(*) FROM m UNION ALL {single}"
           " UNION ALL SELECT 'tag', tag.tag, COUNT(*) FROM m CROSS JOIN tag"
           " ON tag.doc = m.doc GROUP BY 2")
    return sql, params


SNIPPETS = "SELECT rowid, snippet(f, 0, '[', ']', '…', 24) FROM f WHERE f MATCH ? AND rowid IN"


class FairFts5:
    """Searching the index of :func:`build_fts5` (see the module docstring)."""

    name = "fts5"

    def __init__(self, where: Path, last_excerpt: int, workloads: dict[str, list[Query]]):
        self.conn = sqlite3.connect(where)
        self.statements = {name: [fts5_statement(q, last_excerpt) for q in items]
                           for name, items in workloads.items()}

    def run(self, workload: str, i: int) -> tuple[int, Any]:
        sql, params = self.statements[workload][i]
        rows = self.conn.execute(sql, params).fetchall()
        top = [str(doc) for part, doc, _ in rows if part == "top"]
        if top:  # the snippets of the top 10: their rowids looked up in the MATCH
            self.conn.execute(f"{SNIPPETS} ({','.join(top)})", (params["q"],)).fetchall()
        return next(n for part, _, n in rows if part == "total"), rows

    def facets(self, found) -> Facets:
        out: Facets = {name: {} for name in FACETS}
        for part, value, n in found:
            if part in out and value:
                out[part][value] = n
        return out

    def close(self) -> None:
        self.conn.close()


# -- taking turns ---------------------------------------------------------------------------


@dataclass
class Measured:
    """What :func:`measure` found: per contestant and workload, the figures (``p50_ms``,
    ``p95_ms``, ``cpu_p50_ms``, ``cpu_p95_ms``, ``hits``: each query's total), and the
    answers of the first round (total, facet counts), to compare."""

    stats: dict[str, dict[str, dict]] = field(default_factory=dict)
    answers: dict[str, dict[str, list[tuple[int, Facets]]]] = field(default_factory=dict)


def measure(contestants: list[Contestant], workloads: dict[str, list[Query]],
            rounds: int = ROUNDS) -> Measured:
    """Every query of every workload, ``rounds`` times, each contestant in turn on each query
    (the order rotated every round, so that none always finds the caches warmed by another).
    Wall time and CPU time (all threads of the process) of each call."""
    names = [c.name for c in contestants]
    times = {n: {w: ([], []) for w in workloads} for n in names}
    answers: dict = {n: {w: [] for w in workloads} for n in names}
    for r in range(rounds):
        turn = contestants[r % len(contestants):] + contestants[:r % len(contestants)]
        for w, items in workloads.items():
            for i in range(len(items)):
                for c in turn:
                    wall, cpu = time.perf_counter(), time.process_time()
                    total, found = c.run(w, i)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    times[c.name][w][0].append(wall * 1000)
                    times[c.name][w][1].append(cpu * 1000)
                    if r == 0:
                        answers[c.name][w].append((total, c.facets(found)))
    stats = {n: {w: figures(*times[n][w], [t for t, _ in answers[n][w]]) for w in workloads}
             for n in names}
    return Measured(stats, answers)


def figures(wall: list[float], cpu: list[float], hits: list[int]) -> dict:
    """p50 / p95 of wall and CPU milliseconds, and the totals."""
    return {"p50_ms": round(report.median(wall), 2),
            "p95_ms": round(report.percentile(wall, 95), 2),
            "cpu_p50_ms": round(report.median(cpu), 2),
            "cpu_p95_ms": round(report.percentile(cpu, 95), 2), "hits": hits}


def differences(measured: Measured, name: str, reference: str,
                workloads: dict[str, list[Query]]) -> list[str]:
    """One line per query where ``name``'s total or facet counts differ from ``reference``'s."""
    out = []
    for w, items in workloads.items():
        pairs = zip(items, measured.answers[name][w], measured.answers[reference][w])
        for q, (total, counts), (want, wanted) in pairs:
            if total != want:
                out.append(f"{name} {w} {q.label()!r}: {total:,} hits, {reference} {want:,}")
            elif counts != wanted:
                bad = sorted(f for f in wanted if counts.get(f) != wanted[f])
                out.append(f"{name} {w} {q.label()!r}: facet counts differ from {reference}'s"
                           f" ({', '.join(bad)})")
    return out


# -- one size: build the yardsticks, measure everything in turns ----------------------------


@contextmanager
def pinned(core: int) -> Iterator[None]:
    """Run the block on one core (the builds are compared on one core each)."""
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def timed_build(build, cpu_core: int) -> dict:
    """``build()``'s result with its wall and CPU seconds, pinned to ``cpu_core``."""
    with pinned(cpu_core):
        wall, cpu = time.perf_counter(), time.process_time()
        out = build()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"build_s": round(wall, 1), "build_cpu_s": round(cpu, 1), **out}


def run(paths: Paths, work: Path, engines: list[str], cpu_core: int = 0,
        workloads: dict[str, list[Query]] = WORKLOADS, rounds: int = ROUNDS) -> dict:
    """Build Xapian's and FTS5's indexes of ``paths``' store under ``work``, then measure our
    ``engines`` (already built; tantivy among them), raw tantivy, Xapian and FTS5 on every
    workload, in turns. Returns, per contestant (``tantivy``, ``whoosh``, ``raw_tantivy``,
    ``xapian``, ``fts5``), its build figures and ``workloads``: workload -> figures; raw
    tantivy's ``mismatches`` with ours (none expected); Xapian's ``skipped`` reason if it
    could not be loaded."""
    out: dict = {"raw_tantivy": {}}
    fts = work / "fts5.sqlite"
    out["fts5"] = timed_build(lambda: build_fts5(paths.db, fts), cpu_core)
    out["fts5"]["index_mb"] = round(fts.stat().st_size / 1e6, 1)
    contestants: list = [OurEngine(paths, e, workloads) for e in engines]
    contestants.append(RawTantivy(paths, workloads))
    xapian, why = load_xapian()
    if xapian is None:
        out["xapian"] = {"skipped": why}
    else:
        where = work / "xapian"
        out["xapian"] = timed_build(lambda: build_xapian(xapian, paths, where), cpu_core)
        out["xapian"] |= {"index_mb": dir_mb(where), "version": xapian.version_string()}
        contestants.append(Xapian(xapian, where, out["xapian"]["tag_slots"], workloads))
    contestants.append(FairFts5(fts, out["fts5"]["last_excerpt"], workloads))
    try:
        measured = measure(contestants, workloads, rounds)
    finally:
        for c in contestants:
            c.close()
    for c in contestants:
        out.setdefault(c.name, {})["workloads"] = measured.stats[c.name]
        if isinstance(c, OurEngine):
            out[c.name]["cache_fill_ms"] = c.cache_fill_ms
    out["raw_tantivy"]["mismatches"] = differences(measured, "raw_tantivy", "tantivy", workloads)
    if "whoosh" in engines:
        out["whoosh"]["mismatches"] = differences(measured, "whoosh", "tantivy", workloads)
    out["queries"] = {w: [q.label() for q in items] for w, items in workloads.items()}
    return out
