"""Explore a store from a notebook: every function returns a pandas DataFrame.

A thin layer over the store (:mod:`indexer.store`), the French analysis
(:mod:`indexer.analysis`) and the search API (:mod:`indexer.search`), in the spirit of the
text-exploration tools researchers know (Voyant's keyword in context and trends, Iramuteq's
topics). Every function takes the project home first: a :class:`~indexer.config.Paths`, a
path, or ``None`` for ``$INDEXER_HOME`` (else the current directory). Nothing is cached
between calls: each call opens the store, reads what it needs and closes it.

Words are always *analysed terms* (the French chain of the search: elision, folding, stop
words, stemming), so that ``donnée``, ``données`` and ``Donnees`` count as one term. Tables
that show terms also show the most frequent written form (``word``), which reads better than
a stem.

The dates of an excerpt: the *saved* date is the bookmark's ``created_at`` (the excerpt's
own date when the bookmark has none), falling back to the article's publication date; the
*published* date is the article's, falling back to the saved date. Excerpts with neither are
left out of the tables by month or year (the bundled Diigo page export has no dates at all).
"""

from __future__ import annotations

import importlib
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import IO, Literal

import pandas as pd

from .config import Paths
from .documents import EXCERPT_COLUMNS, placed_text, snapshot_texts
from .errors import QueryError, StoreError
from .export import excerpt_rows, write_selection
from .store import Store

__all__ = [
    "EXTRA_STOPWORDS",
    "Home",
    "alignment_quality",
    "cooccurrence",
    "excerpts",
    "export",
    "in_context",
    "kwic",
    "orphans",
    "search",
    "term_counts",
    "topics",
    "trends",
]

Home = Paths | str | os.PathLike | None
GroupBy = Literal["tag", "annotator", "site", "month", "year"]
DateKind = Literal["saved", "published"]

# The analysis' word pattern: hyphenated and elided words stay whole (`l’État`, `data-centers`).
WORD = re.compile(r"\w+(?:[-'’ʼ]\w+)*")
_SPACE = re.compile(r"\s+")
# Frequent French words the Snowball stop list keeps (it lists only the most grammatical ones).
# Counts and topics leave them out by default, as text-exploration tools do; pass
# ``stopwords=()`` to keep every word.
EXTRA_STOPWORDS: tuple[str, ...] = (
    "plus", "tout", "tous", "toute", "toutes", "comme", "être", "avoir", "fait", "faire",
    "autre", "autres", "aussi", "bien", "très", "peu", "encore", "ainsi", "cette", "cet",
    "ceux", "celle", "celles", "celui", "cela", "ça", "sans", "entre", "sous", "dont", "où",
    "alors", "donc", "non", "si", "ni", "quand", "car", "depuis", "avant", "après", "chez",
    "contre", "vers", "fois", "peut", "doit", "déjà", "toujours", "jamais", "rien", "ici", "là",
    "selon", "lors", "chaque", "quelques", "plusieurs",
)
_ELIDED = re.compile(r"^(?:l|m|t|qu|n|s|j|d|c|jusqu|quoiqu|lorsqu|puisqu)['’ʼ](?=\w)")


# -- opening the store -----------------------------------------------------------------------


def _paths(home: Home) -> Paths:
    return home if isinstance(home, Paths) else Paths.resolve(home)


@contextmanager
def _store(home: Home) -> Iterator[Store]:
    """The store under ``home``; a missing store is an error, not a new empty file."""
    paths = _paths(home)
    if not paths.db.exists():
        raise StoreError(f"{paths.db}: no store here; run `indexer import` first")
    with Store(paths.db) as store:
        yield store


# -- excerpts ---------------------------------------------------------------------------------

_SAVED = """
SELECT e.id, COALESCE(b.created_at, e.created_at)
FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
"""


def excerpts(
    home: Home,
    *,
    tag: str | Sequence[str] | None = None,
    annotator: str | Sequence[str] | None = None,
    site: str | Sequence[str] | None = None,
    language: str | Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
) -> pd.DataFrame:
    """Every excerpt of the store, one row each, with the columns of the CSV/JSON export.

    Columns: :data:`indexer.export.EXCERPT_COLUMNS` (``tags`` is a list; the alignment columns
    are empty where the excerpt was never aligned), plus ``saved_date`` (the bookmark's
    ``created_at``, else the excerpt's) and ``published_date`` (the article's) as pandas
    timestamps (UTC, ``NaT`` when unknown). Filters work like the search's: several
    values of one filter are OR-ed, filters are AND-ed; ``since``/``until`` (ISO dates,
    inclusive) apply to the saved date.
    """
    with _store(home) as store:
        frame = pd.DataFrame(list(excerpt_rows(store)), columns=EXCERPT_COLUMNS)
        saved = dict(store.conn.execute(_SAVED).fetchall())
    frame["saved_date"] = _to_datetime(frame["id"].map(saved))
    frame["published_date"] = _to_datetime(frame["published"])
    frame = _filter(frame, tag=tag, annotator=annotator, site=site, language=language)
    if since:
        frame = frame[frame["saved_date"] >= _to_datetime(pd.Series([since]))[0]]
    if until:
        end = _to_datetime(pd.Series([until]))[0] + pd.Timedelta(days=1)
        frame = frame[frame["saved_date"] < end]
    return frame.reset_index(drop=True)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _filter(frame: pd.DataFrame, **filters) -> pd.DataFrame:
    for column, wanted in filters.items():
        values = set(_as_list(wanted))
        if not values:
            continue
        if column == "tag":
            keep = frame["tags"].map(lambda tags, wanted=values: bool(wanted & set(tags or ())))
        else:
            keep = frame[column].isin(values)
        frame = frame[keep]
    return frame


def _to_datetime(values: pd.Series) -> pd.Series:
    """ISO 8601 strings (dates or date-times, any offset) to naive UTC timestamps."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    return parsed.dt.tz_localize(None)


def _dated(frame: pd.DataFrame, date: DateKind) -> pd.Series:
    """The date each excerpt counts under: saved or published, each falling back on the other."""
    if date == "saved":
        return frame["saved_date"].fillna(frame["published_date"])
    if date == "published":
        return frame["published_date"].fillna(frame["saved_date"])
    raise QueryError(f"unknown date {date!r}; use 'saved' or 'published'")


# -- search -----------------------------------------------------------------------------------


def search(
    home: Home,
    query: str = "",
    *,
    scope: str = "team",
    sort: str = "relevance",
    since: str | None = None,
    until: str | None = None,
    limit: int | None = 100,
    context: int = 200,
    engine: str | None = None,
    **filters: str | Sequence[str],
) -> pd.DataFrame:
    """Search the index (:func:`indexer.search.search`): one row per hit, best first.

    The rows and columns of the CLI's machine formats (``indexer search --format csv``):
    :data:`indexer.search.SEARCH_COLUMNS`, i.e. every column of the excerpt export, then
    ``kind``, ``relevance`` (the search score; ``score`` is the alignment's), ``snippet``
    (matched words in ``[...]``), ``context_before``/``context_after`` (the article around
    an aligned excerpt, ``context`` characters), ``query`` and ``index_built``. ``filters``
    are facet filters by name (``tag``, ``annotator``, ``author``, ``site``, ``language``,
    ``year``, ``entity``), each a value or a list of values (OR-ed; filters are AND-ed).
    ``limit=None`` returns every hit. ``engine``: ``whoosh`` or ``tantivy`` (default:
    ``$INDEXER_ENGINE``, else Whoosh), as for ``indexer search --engine``. Raises
    :class:`~indexer.errors.QueryError` for a malformed query or unknown filter,
    :class:`~indexer.errors.IndexMissingError` when that engine has no index yet.
    """
    from .search import SEARCH_COLUMNS, search_all
    from .search import search as run

    asked = {"filters": filters, "scope": scope, "sort": sort, "since": since, "until": until,
             "context": context, "engine": engine}
    if limit is None:
        results = search_all(_paths(home), query, **asked)
    else:
        results = run(_paths(home), query, limit=limit, page=1, **asked)
    frame = pd.DataFrame(results.rows(), columns=SEARCH_COLUMNS)
    frame.attrs.update(total=results.total, hint=results.hint)  # where hits are, when none
    return frame


def export(
    home: Home,
    fmt: str,
    out: str | os.PathLike | IO[str] | None = None,
    query: str | None = None,
    *,
    scope: str = "team",
    since: str | None = None,
    until: str | None = None,
    engine: str | None = None,
    **filters: str | Sequence[str],
) -> int:
    """Export the store, or every hit of a search, in ``fmt`` (``csljson``, ``ris``,
    ``bibtex``, ``w3c``, ``hypothesis``, or the rows: ``jsonl``, ``csv``); how many items.

    With no ``query`` and no filter (``filters`` as for :func:`search`), the whole store;
    else every hit of the search (``query`` may be ``""`` for all documents that pass the
    filters). ``out``: a path, an open text stream, or None for stdout. What a hit selects:
    :func:`indexer.export.write_selection`.
    """
    from .search import search_all

    paths = _paths(home)
    rows = None
    if query is not None or filters or since or until:
        rows = search_all(paths, query or "", filters=filters, scope=scope, since=since,
                          until=until, engine=engine).rows()
    with _store(paths) as store:
        return write_selection(store, fmt, out, rows=rows)


# -- analysed words ---------------------------------------------------------------------------


class _Words:
    """Words of texts with their analysed terms, each distinct word analysed once.

    Matching happens on analysed terms; offsets stay those of the original text, so that the
    context shown around a match is the text as written.
    """

    def __init__(self, lang: str = "fr"):
        from .analysis import analyze  # imported here: the analysis chain loads Whoosh

        self._analyze = analyze
        self.lang = lang
        self._cache: dict[tuple[str, str], tuple[str, ...]] = {}
        self._stops: dict[tuple, frozenset[str]] = {}

    def terms(self, word: str, lang: str | None = None) -> tuple[str, ...]:
        key = (word, lang or self.lang)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = tuple(self._analyze(word, lang=key[1]))
        return found

    def stop_terms(self, words: Iterable[str], lang: str | None = None) -> frozenset[str]:
        """The analysed terms of a list of stop words (analysed in ``lang``)."""
        return frozenset(t for w in words for t in self.terms(w, lang))

    def stops(self, lang: str, chosen: Iterable[str] | None) -> frozenset[str]:
        """The terms left out of counts and topics in a document of ``lang``: ``chosen``
        words, or by default, in French, :data:`EXTRA_STOPWORDS` (the French chain already
        drops Snowball's list; spaCy's French list also drops words such as ``ouvert``),
        in any other language spaCy's stop list of it. Cached per language."""
        words = None if chosen is None else tuple(chosen)
        key = (lang, words)
        found = self._stops.get(key)
        if found is None:
            if words is None:
                words = tuple(EXTRA_STOPWORDS) if lang == "fr" else language_stop_words(lang)
            found = self._stops[key] = self.stop_terms(words, lang)
        return found

    def spans(self, text: str, lang: str | None = None) -> list[tuple[int, int, tuple[str, ...]]]:
        """``(start, end, terms)`` of each word of ``text`` that has terms (stop words have none)."""
        out = []
        for m in WORD.finditer(text):
            terms = self.terms(m.group(), lang)
            if terms:
                out.append((m.start(), m.end(), terms))
        return out

    def query(self, term: str) -> tuple[str, ...]:
        """A search term as a sequence of analysed terms, analysed the way a query is.

        A hyphenated query word keeps only its parts (``data-center`` -> ``data``, ``center``),
        so that it finds ``data center`` and ``data-centers`` alike.
        """
        return tuple(self._analyze(term, lang=self.lang, mode="query"))

    def surface(self, texts: Iterable[str]) -> dict[str, str]:
        """For each analysed term, its most frequent written form (lowercased) in ``texts``.

        Elisions are dropped from the form (``l’article`` -> ``article``) and a hyphenated
        word gives each part its own form (``états-unis``: ``états``, ``unis``).
        """
        forms: dict[str, Counter] = defaultdict(Counter)
        for text in texts:
            for m in WORD.finditer(text):
                word = _ELIDED.sub("", m.group().lower())
                parts = word.split("-") if "-" in word else []
                from_parts = set()
                for part in parts:
                    for term in self.terms(part):
                        forms[term][part] += 1
                        from_parts.add(term)
                for term in self.terms(word):
                    if term not in from_parts:
                        forms[term][word] += 1
        return {term: c.most_common(1)[0][0] for term, c in forms.items()}


def _find(
    spans: list[tuple[int, int, tuple[str, ...]]],
    query: tuple[str, ...],
    lo: int = 0,
    hi: int | None = None,
) -> list[tuple[int, int]]:
    """Character ranges where the analysed ``query`` occurs among ``spans``, inside [lo, hi).

    A query of several terms matches consecutive words (stop words between them ignored, as
    in a search), or one hyphenated word that carries them all in order.
    """
    if not query:
        return []
    hits = []
    for i, (start, end, terms) in enumerate(spans):
        if start < lo or (hi is not None and end > hi):
            continue
        if len(query) > 1 and _in_order(terms, query):
            hits.append((start, end))
            continue
        if query[0] not in terms:
            continue
        last = i + len(query) - 1
        if last < len(spans) and all(query[k] in spans[i + k][2] for k in range(1, len(query))):
            stop = spans[last][1]
            if hi is None or stop <= hi:
                hits.append((start, stop))
    return hits


def _in_order(terms: tuple[str, ...], query: tuple[str, ...]) -> bool:
    it = iter(terms)
    return all(q in it for q in query)


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text)


# -- keyword in context -----------------------------------------------------------------------

_KWIC_SOURCES = """
SELECT e.id, e.bookmark_id, b.title, e.annotator, e.text, a.method, a.start, a."end",
       a.in_main_text, ar.text AS article, ar.fallback_text, ar.language, a.snapshot_id,
       sn.text AS snapshot_text, sn.fallback_text AS snapshot_page
FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
LEFT JOIN alignments a ON a.excerpt_id = e.id AND a.method IN ('exact', 'fuzzy')
LEFT JOIN articles ar ON ar.bookmark_id = e.bookmark_id
LEFT JOIN snapshots sn ON sn.id = a.snapshot_id
ORDER BY b.created_at, e.bookmark_id, e.seq
"""

KWIC_COLUMNS = ["id", "bookmark_id", "title", "annotator", "left", "match", "right",
                "source", "offset"]


def kwic(home: Home, term: str, *, width: int = 40, lang: str = "fr") -> pd.DataFrame:
    """Keyword in context: one row per occurrence of ``term`` in the excerpts.

    ``term`` is analysed like a search (``donnée`` finds ``données``, ``etat`` finds
    ``l’État``; several words match as a phrase, stop words aside). Occurrences are located
    on the analysed words, and the ``left``/``right`` contexts (``width`` characters each,
    whitespace folded) are cut from the original text: from the article around the excerpt
    when the excerpt is aligned in its article (``source`` = ``"article"``), else from the
    excerpt itself (``source`` = ``"excerpt"``). ``offset`` is where the match starts in that
    text.
    """
    words = _Words(lang)
    query = words.query(term)
    if not query:
        raise QueryError(f"{term!r} has no searchable word (only stop words?)")
    rows = []
    with _store(home) as store:
        for r in store.conn.execute(_KWIC_SOURCES):
            text, lo, hi, source = _kwic_text(r)
            doc_lang = r["language"] or lang
            for start, end in _find(words.spans(text, doc_lang), query, lo, hi):
                rows.append({
                    "id": r["id"], "bookmark_id": r["bookmark_id"], "title": r["title"],
                    "annotator": r["annotator"],
                    "left": _squash(text[max(0, start - width):start]),
                    "match": text[start:end],
                    "right": _squash(text[end:end + width]),
                    "source": source, "offset": start,
                })
    return pd.DataFrame(rows, columns=KWIC_COLUMNS)


def _kwic_text(r) -> tuple[str, int, int | None, str]:
    """The text to search for one excerpt, the range the match must lie in, and its source."""
    article = placed_text(r["article"], r["fallback_text"], r["in_main_text"], r["snapshot_id"],
                          {r["snapshot_id"]: (r["snapshot_text"], r["snapshot_page"])})
    if r["method"] and article and r["start"] is not None and r["end"] is not None:
        return article, r["start"], r["end"], "article"
    return r["text"], 0, None, "excerpt"


# Stop lists we take from spaCy (its own, per language), and for a text of undetermined
# language the union of the languages a French team reads most.
STOP_LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt")
UNDETERMINED_STOPS = ("fr", "en", "de")


@lru_cache(maxsize=None)
def language_stop_words(lang: str) -> frozenset[str]:
    """spaCy's stop list of ``lang`` (words as written; empty for a language it lacks), and
    for ``und`` the union of French, English and German ones."""
    if lang == "und":
        return frozenset().union(*(language_stop_words(code) for code in UNDETERMINED_STOPS))
    if lang not in STOP_LANGUAGES:
        return frozenset()
    module = importlib.import_module(f"spacy.lang.{lang}.stop_words")  # ~1 s, once
    return frozenset(module.STOP_WORDS)


def _lang(value, default: str) -> str:
    """A row's language, or ``default`` where unknown (pandas gives NaN or None)."""
    return value if isinstance(value, str) and value else default


# -- counts and trends ------------------------------------------------------------------------


def term_counts(
    home: Home,
    by: GroupBy = "tag",
    *,
    top: int | None = 10,
    date: DateKind = "saved",
    lang: str = "fr",
    stopwords: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The most frequent analysed terms of the excerpts per tag, annotator, site, month or year.

    Columns: ``by`` (the group: an excerpt counts in each tag of its bookmark; excerpts whose
    group is unknown are left out), ``term`` (the analysed term), ``word`` (its most frequent
    written form, lowercased), ``count`` (occurrences). Sorted by group, then count
    (descending), then term; ``top`` terms per group (all when ``None``). Months and years
    use the ``date`` of each excerpt (see the module's docstring). Each excerpt is analysed in
    its own language (``lang`` where unknown), and the stop words of that language are left
    out (in French :data:`EXTRA_STOPWORDS`, else :func:`language_stop_words`); or exactly
    the words of ``stopwords`` when given (``()`` keeps every word).
    """
    frame = excerpts(home)
    keys = _group_keys(frame, by, date)
    words = _Words(lang)
    stopwords = None if stopwords is None else tuple(stopwords)  # read once, per language
    counts: dict[str, Counter] = defaultdict(Counter)
    for text, language, groups in zip(frame["text"], frame["language"], keys):
        if not groups:
            continue
        doc_lang = _lang(language, lang)
        stop = words.stops(doc_lang, stopwords)
        spans = words.spans(text, doc_lang)
        terms = Counter(t for _, _, ts in spans for t in ts if t not in stop)
        for group in groups:
            counts[group].update(terms)
    surface = words.surface(frame["text"])
    rows = []
    for group in sorted(counts):
        ranked = sorted(counts[group].items(), key=lambda kv: (-kv[1], kv[0]))
        for term, n in ranked[:top] if top is not None else ranked:
            rows.append({by: group, "term": term, "word": surface.get(term, term), "count": n})
    return pd.DataFrame(rows, columns=[by, "term", "word", "count"])


def _group_keys(frame: pd.DataFrame, by: str, date: DateKind) -> list[list[str]]:
    """The groups each excerpt counts in (several tags, else one value or none)."""
    if by == "tag":
        return [list(tags or ()) for tags in frame["tags"]]
    if by in ("annotator", "site"):
        return [[v] if isinstance(v, str) and v else [] for v in frame[by]]
    if by in ("month", "year"):
        fmt = "%Y-%m" if by == "month" else "%Y"
        return [[] if pd.isna(ts) else [ts.strftime(fmt)] for ts in _dated(frame, date)]
    raise QueryError(f"cannot count by {by!r}; use tag, annotator, site, month or year")


def trends(
    home: Home,
    terms: str | Sequence[str],
    freq: str = "M",
    *,
    date: DateKind = "saved",
    lang: str = "fr",
) -> pd.DataFrame:
    """Occurrences of each term in the excerpts, per period: a time series per term.

    Index: a pandas ``PeriodIndex`` named ``period`` at ``freq`` (``"M"`` months, ``"Y"``
    years, ``"Q"``, ``"W"``, ``"D"``), every period from the first dated excerpt to the last
    (zeros where nothing was saved). One column per term, counted like :func:`kwic` counts
    (the term analysed like a search). Excerpts without a date are left out; a store without
    any date gives an empty frame with the term columns.
    """
    terms = [terms] if isinstance(terms, str) else list(terms)
    words = _Words(lang)
    queries = {t: words.query(t) for t in terms}
    for t, q in queries.items():
        if not q:
            raise QueryError(f"{t!r} has no searchable word (only stop words?)")
    frame = excerpts(home)
    records = []
    for text, language, when in zip(frame["text"], frame["language"], _dated(frame, date)):
        if pd.isna(when):
            continue
        spans = words.spans(text, _lang(language, lang))
        counts = {t: len(_find(spans, q)) for t, q in queries.items()}
        records.append({"period": when.to_period(freq), **counts})
    if not records:
        empty = pd.PeriodIndex([], freq=freq, name="period")
        return pd.DataFrame({t: pd.Series(dtype="int64") for t in terms}, index=empty)
    table = pd.DataFrame(records).groupby("period")[terms].sum()
    full = pd.period_range(table.index.min(), table.index.max(), freq=freq, name="period")
    return table.reindex(full, fill_value=0)


def cooccurrence(
    home: Home, field: Literal["tag", "entity"] = "tag", *, top: int | None = None
) -> pd.DataFrame:
    """How often two tags mark the same bookmark (or two entities occur in the same excerpt).

    A square frame, labels as index and columns, most frequent first (then alphabetical),
    ``top`` labels at most; cell (a, b) counts the bookmarks tagged both ``a`` and ``b``
    (for entities: the excerpts and descriptions naming both), and the diagonal counts the
    bookmarks carrying ``a`` at all. Entities are compared by their text, whatever their label.
    """
    if field == "tag":
        sql = "SELECT bookmark_id, tag FROM tags"
    elif field == "entity":
        sql = "SELECT doc_id, text FROM entities"
    else:
        raise QueryError(f"no co-occurrence for {field!r}; use 'tag' or 'entity'")
    items: dict[str, set[str]] = defaultdict(set)
    with _store(home) as store:
        for item, label in store.conn.execute(sql):
            items[item].add(label)
    totals = Counter(label for labels in items.values() for label in labels)
    labels = [lab for lab, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))][:top]
    keep = set(labels)
    pairs: Counter = Counter()
    for item_labels in items.values():
        present = sorted(item_labels & keep)
        pairs.update((a, b) for a in present for b in present)
    cells = [[pairs[(a, b)] for b in labels] for a in labels]
    return pd.DataFrame(cells, index=pd.Index(labels, name=field), columns=labels, dtype="int64")


# -- topics -----------------------------------------------------------------------------------

TOPIC_COLUMNS = ["topic", "size", "terms", "stems", "weights", "excerpt_ids", "examples"]


def topics(
    home: Home,
    n: int = 5,
    seed: int = 0,
    *,
    top_terms: int = 8,
    examples: int = 3,
    lang: str = "fr",
    stopwords: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Topics of the excerpts: TF-IDF on the analysis of each one's language, factored by NMF.

    scikit-learn's ``TfidfVectorizer(analyzer=indexer.analysis.analyze)`` weighs the
    analysed terms of each excerpt, and ``NMF(n_components=n, random_state=seed)`` (init
    ``nndsvdar``: SVD-based, the seed filling its zeros) splits them into ``n`` topics (fewer
    when the corpus has fewer excerpts or terms). Same store and seed, same topics.

    One row per topic: ``topic`` (0..n-1), ``size`` (excerpts whose strongest topic it is),
    ``terms`` (the ``top_terms`` heaviest terms, as their most frequent written form),
    ``stems`` (the same, analysed), ``weights``, ``excerpt_ids`` (its excerpts, strongest
    first) and ``examples`` (the first few of their texts, cut to 200 characters). Each
    excerpt is analysed in its own language, its stop words left out, as in
    :func:`term_counts`.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .analysis import analyze

    frame = excerpts(home)
    texts = frame["text"].tolist()
    words = _Words(lang)
    stopwords = None if stopwords is None else tuple(stopwords)  # read once, per language
    analysed = []
    for text, language in zip(texts, frame["language"]):
        doc_lang = _lang(language, lang)
        stop = words.stops(doc_lang, stopwords)
        analysed.append([t for t in analyze(text, lang=doc_lang) if t not in stop])
    vectorizer = TfidfVectorizer(analyzer=lambda terms: terms)
    try:
        matrix = vectorizer.fit_transform(analysed)
    except ValueError:  # no excerpt, or no term in any of them
        return pd.DataFrame(columns=TOPIC_COLUMNS)
    k = max(1, min(n, *matrix.shape))
    model = NMF(n_components=k, init="nndsvdar", random_state=seed, max_iter=1000)
    doc_topic = model.fit_transform(matrix)
    vocab = vectorizer.get_feature_names_out()
    surface = words.surface(texts)
    strongest = doc_topic.argmax(axis=1)
    rows = []
    for t in range(k):
        heavy = model.components_[t].argsort()[::-1][:top_terms]
        members = [i for i in range(len(texts)) if strongest[i] == t and doc_topic[i, t] > 0]
        members.sort(key=lambda i: -doc_topic[i, t])
        rows.append({
            "topic": t,
            "size": len(members),
            "terms": [surface.get(vocab[i], vocab[i]) for i in heavy],
            "stems": [str(vocab[i]) for i in heavy],
            "weights": [round(float(model.components_[t, i]), 4) for i in heavy],
            "excerpt_ids": [frame["id"].iat[i] for i in members],
            "examples": [_cut(texts[i], 200) for i in members[:examples]],
        })
    return pd.DataFrame(rows, columns=TOPIC_COLUMNS)


def _cut(text: str, size: int) -> str:
    text = _squash(text).strip()
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


# -- alignments -------------------------------------------------------------------------------


def orphans(home: Home) -> pd.DataFrame:
    """Excerpts the align stage could not place in their article, with the cause.

    Columns: ``id``, ``bookmark_id``, ``title``, ``url``, ``site``, ``orphan_cause``,
    ``best_score`` (the best candidate's score, when there was one) and ``text``.
    """
    frame = excerpts(home)
    cols = ["id", "bookmark_id", "title", "url", "site", "orphan_cause", "best_score", "text"]
    return frame.loc[frame["method"] == "orphan", cols].reset_index(drop=True)


QUALITY_COLUMNS = ["excerpts", "exact", "fuzzy", "orphan", "unaligned", "aligned_share",
                   "mean_score"]


def alignment_quality(home: Home, by: Literal["site", "annotator", "language"] = "site"
                      ) -> pd.DataFrame:
    """How well excerpts were placed in their articles, per site (or annotator, language).

    One row per group (unknown groups as ``"(unknown)"``), most excerpts first: counts of
    excerpts ``exact``-ly and ``fuzzy``-aligned, ``orphan``, and ``unaligned`` (never
    aligned: no URL, fetch or article); ``aligned_share`` = (exact + fuzzy) / (exact + fuzzy
    + orphan), empty when nothing was tried; ``mean_score`` of the placed excerpts.
    """
    if by not in ("site", "annotator", "language"):
        raise QueryError(f"cannot group alignments by {by!r}; use site, annotator or language")
    frame = excerpts(home)
    frame["group"] = frame[by].where(frame[by].notna() & (frame[by] != ""), "(unknown)")
    frame["method"] = frame["method"].fillna("unaligned")
    table = pd.crosstab(frame["group"], frame["method"])
    for method in ("exact", "fuzzy", "orphan", "unaligned"):
        if method not in table:
            table[method] = 0
    table["excerpts"] = table[["exact", "fuzzy", "orphan", "unaligned"]].sum(axis=1)
    tried = table["exact"] + table["fuzzy"] + table["orphan"]
    table["aligned_share"] = ((table["exact"] + table["fuzzy"]) / tried).where(tried > 0)
    placed = frame[frame["method"].isin(["exact", "fuzzy"])]
    table["mean_score"] = placed.groupby("group")["score"].mean()
    table = table.sort_values(["excerpts"], ascending=False, kind="stable")
    table.index.name = by
    table.columns.name = None
    return table[QUALITY_COLUMNS]


IN_CONTEXT_COLUMNS = ["id", "title", "site", "method", "score", "before", "excerpt", "after",
                      "fragment_url"]


def in_context(
    home: Home, ids: str | Sequence[str] | None = None, *, width: int = 300,
    limit: int | None = None,
) -> pd.DataFrame:
    """Aligned excerpts shown inside their article: ``width`` characters before and after.

    ``excerpt`` is the article's own text at the aligned offsets (which may differ slightly
    from the highlight when the alignment is fuzzy); ``fragment_url`` opens the article
    scrolled to it. ``ids`` picks excerpts (default: every aligned one, in export order,
    ``limit`` at most). Unaligned or orphan excerpts have no row.
    """
    wanted = set(_as_list(ids))
    rows = []
    with _store(home) as store:
        for r in store.conn.execute(_IN_CONTEXT):
            if wanted and r["id"] not in wanted:
                continue
            article = placed_text(r["text"], r["fallback_text"], r["in_main_text"],
                                  r["snapshot_id"], snapshot_texts(store, [r["snapshot_id"]]))
            if article is None:
                continue
            start, end = r["start"], r["end"]
            rows.append({
                "id": r["id"], "title": r["title"], "site": r["site"], "method": r["method"],
                "score": r["score"],
                "before": _squash(article[max(0, start - width):start]),
                "excerpt": _squash(article[start:end]),
                "after": _squash(article[end:end + width]),
                "fragment_url": r["fragment_url"],
            })
            if limit is not None and len(rows) >= limit:
                break
    return pd.DataFrame(rows, columns=IN_CONTEXT_COLUMNS)


_IN_CONTEXT = """
SELECT e.id, b.title, COALESCE(ar.site_name, b.site) AS site, a.method, a.score, a.start,
       a."end", a.in_main_text, a.fragment_url, ar.text, ar.fallback_text, a.snapshot_id
FROM excerpts e JOIN bookmarks b ON b.id = e.bookmark_id
JOIN alignments a ON a.excerpt_id = e.id AND a.method IN ('exact', 'fuzzy')
JOIN articles ar ON ar.bookmark_id = e.bookmark_id
WHERE a.start IS NOT NULL AND a."end" IS NOT NULL
ORDER BY b.created_at, e.bookmark_id, e.seq
"""
