"""Watches: saved searches that say what is new, run after each build (``indexer watch``).

A watch is a query with the search's filters (:func:`indexer.search.search`), kept in the
store. :func:`run_watches` runs each one on the current index and publishes the hits that are
**new to the library**, then moves the watch's mark on:

* a document is new to a watch when it entered the store at or after the watch's mark, by
  when *we* imported it (``excerpts.first_seen``, ``notes.first_seen``,
  ``bookmarks.first_seen`` for a description or an article), not by the bookmark's saved
  date: a bookmark saved in 2019 and imported today is news today;
* what entered the store is news once: an excerpt edited later (its note, its place) or a
  bookmark re-imported with new tags is not published again, nor is anything a watch has
  already published (``watch_items``);
* the mark moves to the time the index was written: what was imported after it, not yet in
  the index, is looked at by the next run (after the next ``indexer index``);
* a note beside a highlight (Hypothesis' annotation text) goes with its excerpt when both are
  new: the excerpt's entry shows it.

A run publishes an Atom feed per watch that has news (its latest entries) and the digest of
every watch's news (:mod:`indexer.publish`), then records what it published, in one
transaction. A run with nothing new says so and changes nothing: no file, no row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from . import analysis
from .config import Paths
from .errors import IndexMissingError, QueryError, quoted
from .publish import FEED_ENTRIES, Entry, WatchNews, write_digest, write_feed
from .results import SearchFilters, SearchHit
from .search import DEFAULT_SCOPE, SCOPES, OpenIndex, search, search_all
from .store import Store, now_iso

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
FRENCH = {"tag": "tag", "annotator": "annotateur", "author": "auteur", "site": "site",
          "language": "langue", "entity": "entité"}


@dataclass(frozen=True)
class Watch:
    """A saved search and where it stands."""

    name: str
    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    scope: str = DEFAULT_SCOPE
    since: str | None = None  # the search's saved-date bounds, if any
    until: str | None = None
    created_at: str = ""
    mark: str | None = None  # documents that entered the store from then on are new
    last_run: str | None = None  # the last run that published something
    published: int = 0

    def described(self) -> str:
        """``requête 'plateforme' · tag : association``: the search in French, for the digest."""
        words = [f"requête {quoted(self.query)}" if self.query else "tout"]
        words += [f"{FRENCH.get(name, name)} : {', '.join(values)}"
                  for name, values in self.filters.items()]
        if self.scope != DEFAULT_SCOPE:
            words.append(f"dans : {self.scope}")
        if self.since or self.until:
            words.append(f"enregistré de {self.since or '…'} à {self.until or '…'}")
        return " · ".join(words)

    def search_words(self) -> str:
        """``'plateforme' --tag association --in notes``: the search as the CLI takes it."""
        words = [quoted(self.query)]
        words += [f"--{'lang' if name == 'language' else name} {quoted(v)}"
                  for name, values in self.filters.items() for v in values]
        if self.scope != DEFAULT_SCOPE:
            words.append(f"--in {self.scope}")
        words += [f"--{k} {v}" for k, v in (("since", self.since), ("until", self.until)) if v]
        return " ".join(words)


@dataclass
class WatchRun:
    """What one :func:`run_watches` did."""

    when: str
    index_built: str
    news: list[WatchNews] = field(default_factory=list)  # the watches with news
    quiet: list[str] = field(default_factory=list)  # the watches with nothing new
    skipped: dict[str, str] = field(default_factory=dict)  # watch -> why it found nothing
    feeds: dict[str, Path] = field(default_factory=dict)
    digest: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(n.entries) for n in self.news)


# -- keeping watches --------------------------------------------------------------------------


def add_watch(paths: Paths, name: str, query: str = "", *,
              filters: SearchFilters | dict | None = None, scope: str = DEFAULT_SCOPE,
              since: str | None = None, until: str | None = None,
              from_now: bool = False, engine: str | None = None) -> Watch:
    """Save a watch. Its first run publishes every current hit, or, ``from_now``, only what
    enters the store from now on. The query and filters are checked on the index when there
    is one (a typo is said now, not at the first run). Raises QueryError on a bad name, a
    name taken, or a query the search refuses."""
    if not NAME.fullmatch(name):
        raise QueryError(f"bad watch name {quoted(name)}: use letters, digits, '-', '_' or "
                         "'.' (it names the watch's feed file), at most 64")
    if scope not in SCOPES:
        raise QueryError(f"unknown scope {quoted(scope)}; use one of {', '.join(SCOPES)}")
    chosen = {k: v for k, v in SearchFilters.coerce(filters).items()}
    _check_query(paths, query, chosen, scope, since, until, engine)
    options = {"filters": chosen, "scope": scope, "since": since, "until": until}
    stamp = now_iso()
    # store times are to the second: what entered the store this second is not news
    mark = _next_second(stamp) if from_now else None
    with Store(paths.db) as store, store.transaction() as conn:
        if conn.execute("SELECT 1 FROM watches WHERE name=?", (name,)).fetchone():
            raise QueryError(f"a watch named {quoted(name)} exists: `indexer watch remove "
                             f"{name}` first, or choose another name")
        conn.execute("INSERT INTO watches(name, query, options, created_at, mark)"
                     " VALUES (?,?,?,?,?)", (name, query, json.dumps(options, ensure_ascii=False),
                                             stamp, mark))
    return Watch(name, query, chosen, scope, since, until, stamp, mark)


def _next_second(stamp: str) -> str:
    return (datetime.fromisoformat(stamp) + timedelta(seconds=1)).isoformat()


def _check_query(paths: Paths, query: str, filters: dict, scope: str, since: str | None,
                 until: str | None, engine: str | None) -> None:
    try:
        index = OpenIndex(paths, engine)
    except IndexMissingError:  # no index yet: the first run will say what is wrong, if anything
        return
    with index:
        search(index, query, filters=filters, scope=scope, since=since, until=until, limit=1)


def list_watches(paths: Paths) -> list[Watch]:
    """Every watch, by name, with how many documents each has published."""
    with Store(paths.db) as store:
        return [_watch(row) for row in store.conn.execute(
            "SELECT w.*, (SELECT COUNT(*) FROM watch_items i WHERE i.watch = w.name)"
            " AS published FROM watches w ORDER BY w.name")]


def remove_watch(paths: Paths, name: str) -> Watch:
    """Delete a watch and the record of what it published (its files stay where they are)."""
    with Store(paths.db) as store, store.transaction() as conn:
        row = conn.execute("SELECT w.*, (SELECT COUNT(*) FROM watch_items i WHERE i.watch ="
                           " w.name) AS published FROM watches w WHERE name=?",
                           (name,)).fetchone()
        if row is None:
            raise QueryError(_unknown(conn, name))
        conn.execute("DELETE FROM watch_items WHERE watch=?", (name,))
        conn.execute("DELETE FROM watches WHERE name=?", (name,))
    return _watch(row)


def _watch(row) -> Watch:
    options = json.loads(row["options"])
    return Watch(row["name"], row["query"], options.get("filters") or {},
                 options.get("scope") or DEFAULT_SCOPE, options.get("since"),
                 options.get("until"), row["created_at"], row["mark"], row["last_run"],
                 row["published"] if "published" in row.keys() else 0)  # noqa: SIM118


def _unknown(conn, name: str) -> str:
    names = [r[0] for r in conn.execute("SELECT name FROM watches ORDER BY name")]
    known = (f"; watches: {', '.join(names)}" if names
             else "; there is none yet (`indexer watch add`)")
    return f"no watch named {quoted(name)}{known}"


# -- running them -----------------------------------------------------------------------------


def run_watches(paths: Paths, names: list[str] | None = None, *, output: Path | None = None,
                engine: str | None = None) -> WatchRun:
    """Run the watches ``names`` (default: all) and publish what is new to each.

    Writes ``NAME.atom`` for each watch with news and ``revue.md``/``revue.html`` for them
    all in ``output`` (default ``corpus/watches/``), then records what was published and
    moves the marks, in one transaction: a failure before leaves the store as it was.
    Raises QueryError for an unknown watch name or a query the search refuses, and
    IndexMissingError when no index was built.
    """
    output = Path(output) if output is not None else paths.corpus / "watches"
    with Store(paths.db) as store:
        watches = _chosen(store, names)  # a wrong name is said before the index is opened
        with OpenIndex(paths, engine) as index:
            return _run(store, index, watches, output)


def _run(store: Store, index: OpenIndex, watches: list[Watch], output: Path) -> WatchRun:
    run = WatchRun(now_iso(), index.built)
    for watch in watches:
        entries = _news(store, index, watch, run)
        if entries:
            run.news.append(WatchNews(watch.name, watch.described(), entries))
        else:
            run.quiet.append(watch.name)
    if run.news:
        _publish(store, run, output)
    return run


def _chosen(store: Store, names: list[str] | None) -> list[Watch]:
    rows = {r["name"]: r for r in store.conn.execute("SELECT *, 0 AS published FROM watches")}
    if not rows:
        raise QueryError("no watch yet: add one with `indexer watch add NAME QUERY`")
    for name in names or []:
        if name not in rows:
            raise QueryError(_unknown(store.conn, name))
    return [_watch(rows[n]) for n in (names or sorted(rows))]


def _news(store: Store, index: OpenIndex, watch: Watch, run: WatchRun) -> list[Entry]:
    """The entries of the hits of ``watch`` that are new to it."""
    filters, missing = _known_filters(index, watch.filters)
    if missing:
        run.skipped[watch.name] = missing
        return []
    hits = search_all(index, watch.query, filters=filters, scope=watch.scope, sort="saved",
                      since=watch.since, until=watch.until, context=0).hits
    done = {r[0] for r in store.conn.execute("SELECT doc_id FROM watch_items WHERE watch=?",
                                             (watch.name,))}
    entered = first_seen(store, [h.row["id"] for h in hits if h.row["id"] not in done])
    new = [h for h in hits if h.row["id"] in entered
           and (watch.mark is None or entered[h.row["id"]] >= watch.mark)]
    ids = {h.row["id"] for h in new}
    # a highlight's note goes with its excerpt when both are new: the excerpt shows it
    new = [h for h in new if not (h.row["id"].startswith("c-") and h.row["id"][2:] in ids)]
    return [entry(h, entered[h.row["id"]], run.when) for h in new]


def _known_filters(index: OpenIndex, filters: dict[str, list[str]]) -> tuple[dict, str]:
    """The filter values the index holds, and why the watch can find nothing if a filter
    has none of its values yet (a tag not used so far is not an error for a watch)."""
    kept: dict[str, list[str]] = {}
    for name, values in filters.items():
        table = {analysis.fold(v).lower() for v in index.searcher.values(name)}
        present = [v for v in values if analysis.fold(v).lower() in table]
        if not present:
            return {}, f"no {name} {' or '.join(map(quoted, values))} in the index yet"
        kept[name] = present
    return kept, ""


def first_seen(store: Store, doc_ids: list[str]) -> dict[str, str]:
    """``document id -> when its source entered the store``, for the ids still there."""
    tables = {"d-": "bookmarks", "a-": "bookmarks", "n-": "notes", "c-": "excerpts", "": "excerpts"}
    found: dict[str, str] = {}
    by_prefix: dict[str, list[str]] = {}
    for doc_id in doc_ids:
        prefix = doc_id[:2] if doc_id[:2] in tables else ""
        by_prefix.setdefault(prefix, []).append(doc_id)
    for prefix, ids in by_prefix.items():
        for start in range(0, len(ids), 500):
            chunk = [i[len(prefix):] for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            for key, seen in store.conn.execute(
                    f"SELECT id, first_seen FROM {tables[prefix]} WHERE id IN ({marks})", chunk):
                if seen:
                    found[prefix + key] = seen
    return found


def entry(hit: SearchHit, entered: str, published: str) -> Entry:
    """What a feed and the digest show of one hit."""
    row = hit.row
    note = row.get("comment") if hit.kind == "excerpt" else None
    return Entry(
        doc_id=row["id"], kind=hit.kind, title=row.get("title") or row.get("url") or row["id"],
        text=row.get("text") or "", published=published, entered=entered,
        url=row.get("url"), link=row.get("fragment_url") or row.get("url"),
        site=row.get("site"), saved=row.get("saved") or row.get("created_at"),
        annotator=row.get("annotator"), note=note or None, tags=list(row.get("tags") or []),
    )


def _publish(store: Store, run: WatchRun, output: Path) -> None:
    """Write the feeds and the digest, then record what they published."""
    for news in run.news:
        older = [Entry.from_dict(json.loads(e)) for (e,) in store.conn.execute(
            "SELECT entry FROM watch_items WHERE watch=? ORDER BY published_at DESC, doc_id"
            " LIMIT ?", (news.name, FEED_ENTRIES))]
        latest = (news.entries + older)[:FEED_ENTRIES]
        run.feeds[news.name] = write_feed(output / f"{news.name}.atom", news.name,
                                          news.described, latest)
    run.digest = write_digest(output, run.news, run.when)
    with store.transaction() as conn:
        for news in run.news:
            conn.executemany(
                "INSERT OR IGNORE INTO watch_items(watch, doc_id, published_at, entry)"
                " VALUES (?,?,?,?)",
                [(news.name, e.doc_id, e.published, json.dumps(e.as_dict(), ensure_ascii=False))
                 for e in news.entries])
            conn.execute("UPDATE watches SET mark = MAX(COALESCE(mark, ''), ?), last_run = ?"
                         " WHERE name = ?", (run.index_built, run.when, news.name))
