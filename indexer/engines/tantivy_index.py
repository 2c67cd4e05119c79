"""The tantivy index: the same documents as the Whoosh index, tokenized by our own chains.

Our Python analysis (:mod:`indexer.analysis`) produces the tokens and tantivy indexes them as
given, so both engines hold the same terms and a query finds the same documents in both
(option (a) of issue 7; tantivy's own French filters cannot split and join hyphenated words,
strip every elision or stem with the light stemmer: see docs/engines.md for both measured).

* ``text_fr`` / ``text_en`` / ``text_fold``: the document's language chain, joined with spaces
  and split again by tantivy's ``whitespace`` tokenizer (frequencies, no positions).
* ``text_exact``: the unstemmed chain as a pre-tokenized string with our positions (a
  hyphenated word and its joined form share one), for quoted phrases.
* ``text_pairs``: each pair of ``text_exact`` tokens at consecutive positions, as one token
  ``a|b`` at the first one's position: a quoted phrase of n words is a phrase of its n-1 pairs
  here (a term lookup for two words), the same documents without checking word positions in
  every candidate (a two-word phrase matching 200k of 1M documents: 38 ms -> see
  docs/engines.md).
* Facets (``tag``, ``entity``, ``annotator``, ``author``, ``site``, ``language``, ``year``,
  ``kind``): ``raw`` text fields, multi-valued where Whoosh's are, fast for counting.
* ``tag__0`` ... ``tag__7``: the document's tags again, one per single-valued column, padded
  with :data:`NO_VALUE` (see :data:`SLOTS`): what the tag facet is counted on.
* ``saved_key`` / ``published_key``: the dates as sortable integers (:func:`date_key`);
  ``saved_day`` / ``published_day``: their days, as words (:data:`DAYS`).
* ``row``: the export row, pickled (stored); article texts stay in the store.

Layout, locking and swapping follow the Whoosh index (:mod:`indexer.index`), one level down::

    index/tantivy/current -> builds/<stamp>    index/tantivy/.lock

Each build directory also holds ``indexer-meta.json`` (build time, fields in use, documents)
and ``precounts.json`` (:mod:`.tantivy_precounts`).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import tantivy

from .. import analysis
from ..config import Paths
from ..errors import IndexMissingError
from ..index import (
    FACETS,
    MULTI_VALUED,
    SEARCH_FIELDS,
    IndexSummary,
    _clean_builds,
    _swap,
    changed_documents,
    drive_build,
    store_documents,
)
from ..store import Store
from .tantivy_precounts import write_precounts

META = "indexer-meta.json"
LANG_FIELDS = ("text_fr", "text_en", "text_fold")
HEAP_BYTES = 256_000_000  # like Whoosh's limitmb=256: more bought nothing but memory
_WORD = re.compile(analysis.WORD_PATTERN)
_DIGITS = re.compile(r"\D")
# The index's layout: an index written by an earlier one is rebuilt by the next update.
SCHEMA_VERSION = 3  # 2: tag slots and text_pairs; 3: the dates' days
# The day of each date, as a word: a page ordered by date is read from the newest (or oldest)
# days' documents first (see tantivy_search._windowed).
DAYS = {"saved_key": "saved_day", "published_key": "published_day"}
PAIR = "|"  # joins the two words of a text_pairs token: never inside a token (WORD_PATTERN)
# Counting a multi-valued column costs tantivy ~50 ns per matching document (the tag facet was
# ~28 ms of a 500k-hit search at 1M); a dense single-valued column ~2 ns. So each document's
# tags are also written one per column ("slots"), every column filled (NO_VALUE pads), and a
# tag's count is the sum of its counts in the slots a document can use. A document with more
# tags than SLOTS makes the facet fall back to the multi-valued column (exact either way).
SLOTS = 8
SLOTTED = ("tag",)
NO_VALUE = "\x00"  # never a tag: importers refuse NUL characters


def slot_field(name: str, k: int) -> str:
    """The ``k``-th single-valued column of the multi-valued facet ``name``."""
    return f"{name}__{k}"


@dataclass(frozen=True)
class EngineDir:
    """Where one engine keeps its builds: the ``index`` attribute the lock/swap helpers read."""

    index: Path


def engine_dir(paths: Paths) -> EngineDir:
    """``index/tantivy`` under ``paths``."""
    return EngineDir(paths.index / "tantivy")


def make_schema() -> tantivy.Schema:
    """The tantivy schema (see the module docstring)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("hash", stored=True, tokenizer_name="raw")
    sb.add_bytes_field("row", stored=True)
    for name in LANG_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("text_exact", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("text_pairs", tokenizer_name="whitespace", index_option="position")
    for name in FACETS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in SLOTTED:
        for k in range(SLOTS):
            sb.add_text_field(slot_field(name, k), tokenizer_name="raw", fast=True,
                              index_option="basic")
    sb.add_unsigned_field("saved_key", indexed=True, fast=True)
    sb.add_unsigned_field("published_key", indexed=True, fast=True)
    for name in DAYS.values():
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return sb.build()


def day_of(key: int) -> str:
    """The day (``YYYYMMDD``, ``00000000`` without a date) of a :func:`date_key`."""
    return f"{key // 1_000_000:08d}"


def date_key(value: str | None, fill: str = "0") -> int:
    """An ISO date or datetime as a sortable integer: its first 14 digits, padded with ``fill``.

    ``2019-06-15T10:20:00+00:00`` -> 20190615102000, ``2019`` -> 20190000000000; empty -> 0.
    Sorting by it sorts like the ISO strings Whoosh compares (same format, any precision).
    """
    if not value:
        return 0
    head = value[:19]
    digits = head.replace("-", "").replace(":", "").replace("T", "")
    if not (digits.isascii() and digits.isdigit()):
        digits = _DIGITS.sub("", head)
    return int(digits.ljust(14, fill)[:14]) if digits else 0


# -- analysis: our chains, once per distinct word ---------------------------------------------


class Tokens:
    """The tokens our chains give a text, computed word by word with a cache.

    Every filter of :mod:`indexer.analysis` works on one token at a time (positions only shift
    after a hyphen split), so analysing a text equals analysing each of its words and
    renumbering: each distinct word goes through the real analyzers once. The language chains'
    tokens go to tantivy joined by spaces; so do the exact chain's, with their positions,
    unless a word puts two tokens at one position (``data-centers`` and ``datacenters``): that
    text goes as a pre-tokenized string carrying our positions.
    """

    def __init__(self, cachesize: int = 500_000):
        self.cachesize = cachesize
        self.exact = analysis.exact_analyzer()
        self.chains = {
            "text_fr": analysis.french_analyzer(),
            "text_en": analysis.english_analyzer(),
            "text_fold": analysis.folding_analyzer(),
        }
        self._cache: dict[str, dict[str, tuple]] = {name: {} for name in self.chains}

    def _word(self, word: str, lang_field: str) -> tuple:
        """(exact tokens joined, language tokens joined, whether two exact tokens share a
        position, exact (text, relative position) pairs, positions the word takes)."""
        exact = tuple((t.text, t.pos) for t in self.exact(word, positions=True, mode="index"))
        stems = " ".join(t.text for t in self.chains[lang_field](word, mode="index"))
        shared = [pos for _, pos in exact] != list(range(len(exact)))
        width = max((pos for _, pos in exact), default=-1) + 1
        entry = (" ".join(t for t, _ in exact), stems, shared, exact, width)
        cache = self._cache[lang_field]
        if len(cache) >= self.cachesize:
            cache.clear()
        cache[word] = entry
        return entry

    def analyse(self, text: str, lang_field: str) -> tuple[str | list[tantivy.Token], str]:
        """(the exact tokens: a space-joined string, or tantivy tokens with our positions when
        some share one; the language chain's tokens joined by spaces)."""
        cache = self._cache[lang_field]
        entries = [cache.get(w) or self._word(w, lang_field) for w in _WORD.findall(text)]
        stems = " ".join([e[1] for e in entries if e[1]])
        if not any(e[2] for e in entries):
            return " ".join([e[0] for e in entries]), stems
        token = tantivy.Token
        exact = []
        base = 0
        for e in entries:  # offsets are not used: snippets are made from the store's text
            for t, pos in e[3]:
                exact.append(token(t, base + pos, 0, 0))
            base += e[4]
        return exact, stems


def word_pairs(exact: str | list[tantivy.Token]) -> str | list[tantivy.Token]:
    """The ``text_pairs`` tokens of a document's exact tokens (see the module docstring)."""
    if isinstance(exact, str):  # consecutive positions: a pair per neighbour
        words = exact.split()
        return " ".join([a + PAIR + b for a, b in pairwise(words)])
    at: dict[int, list[str]] = {}
    for t in exact:
        at.setdefault(t.position, []).append(t.text)
    token = tantivy.Token
    return [token(a + PAIR + b, pos, 0, 0)
            for pos, firsts in sorted(at.items()) for a in firsts for b in at.get(pos + 1, ())]


def to_document(doc: dict, tokens: Tokens, widths: dict[str, int]) -> tantivy.Document:
    """The tantivy document of one :func:`indexer.index.store_documents` field dict.

    ``widths[name]`` is raised to the number of values the document has, per slotted facet.
    """
    lang_field = next((f for f in LANG_FIELDS if f in doc), "text_fold")
    exact, stems = tokens.analyse(doc["text_exact"] or "", lang_field)
    # The row is pickled, as Whoosh stores its fields: 3x faster than JSON, and the index
    # is ours (derived from the store, rebuilt at will).
    out = tantivy.Document(id=doc["id"], hash=doc["hash"])
    out.add_bytes("row", pickle.dumps(doc["row"], 5))
    for field, key in (("saved_key", date_key(doc.get("saved"))),
                       ("published_key", date_key(doc.get("published")))):
        out.add_unsigned(field, key)
        out.add_text(DAYS[field], day_of(key))
    if stems:
        out.add_text(lang_field, stems)
    pairs = word_pairs(exact)
    if isinstance(exact, str):
        if exact:
            out.add_text("text_exact", exact)
        if pairs:
            out.add_text("text_pairs", pairs)
    else:
        out.add_pre_tokenized_text("text_exact", tantivy.PreTokenizedString("", exact))
        out.add_pre_tokenized_text("text_pairs", tantivy.PreTokenizedString("", pairs))
    for name in FACETS:
        if name in MULTI_VALUED:
            values = facet_values(doc, name)
            for v in values:
                out.add_text(name, v)
            if name in SLOTTED:
                _add_slots(out, name, values)
                widths[name] = max(widths.get(name, 0), len(values))
        elif doc.get(name):
            out.add_text(name, doc[name])
    return out


def _add_slots(out: tantivy.Document, name: str, values: list[str]) -> None:
    """The first SLOTS values, one per column, the unused columns padded."""
    for k in range(SLOTS):
        out.add_text(slot_field(name, k), values[k] if k < len(values) else NO_VALUE)


def facet_values(doc: dict, name: str) -> list[str]:
    """A facet's values in a Whoosh field dict: comma lists split (KEYWORD), single IDs as is."""
    value = doc.get(name)
    if not value:
        return []
    if name in MULTI_VALUED:  # Whoosh's comma KEYWORD: stripped, empty parts dropped, a set
        return sorted({v.strip() for v in value.split(",") if v.strip()})
    return [value]


# -- where the index lives -----------------------------------------------------------------


def current_dir(paths: Paths) -> Path | None:
    """The build ``index/tantivy/current`` points to, or None when there is none."""
    link = engine_dir(paths).index / "current"
    if not link.is_symlink():
        return None
    target = Path(os.path.realpath(link))
    if not (target / META).exists() or not tantivy.Index.exists(str(target)):
        return None
    return target


def open_index(paths: Paths, target: Path | None = None) -> tuple[tantivy.Index, dict]:
    """(the current tantivy index, or the build ``target``; its metadata), or raise
    :class:`IndexMissingError`."""
    target = target or current_dir(paths)
    if target is None:
        raise IndexMissingError(
            f"no tantivy index under {engine_dir(paths).index}: "
            "run `indexer index --engine tantivy` first"
        )
    meta = json.loads((target / META).read_text())
    return tantivy.Index.open(str(target)), meta


def _write_meta(build: Path, fields: set[str], docs: int, widths: dict[str, int]) -> None:
    meta = {
        "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "fields": [f for f in SEARCH_FIELDS if f in fields],
        "docs": docs,
        "schema": SCHEMA_VERSION,
        # most values a document has, per slotted facet (never lowered by an update)
        "slots": {"size": SLOTS, **widths},
        "tantivy": tantivy.__version__,
    }
    tmp = build / f".{META}.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    os.replace(tmp, build / META)


# -- building ------------------------------------------------------------------------------


def build_index(
    paths: Paths,
    rebuild: bool = False,
    *,
    entities: bool = True,
    wait: float = 0.0,
    progress=None,
) -> IndexSummary:
    """Bring the tantivy index up to date with the store (as :func:`indexer.index.build_index`).

    Same contract as the Whoosh build: incremental by content hash, or built aside and swapped
    in atomically with ``rebuild`` (or when there is none yet); one build at a time per engine
    (:class:`~indexer.errors.BusyError` after ``wait`` seconds). The writer uses one thread.
    """
    return drive_build(paths, engine_dir(paths), rebuild, entities, wait, progress,
                       current_dir=current_dir, build_aside=_build_aside, update=_update)


def _build_aside(paths: Paths, progress) -> IndexSummary:
    where = engine_dir(paths)
    _clean_builds(where, current_dir(paths))  # leftovers of a killed build
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f") + f"-{os.getpid()}"
    build = where.index / "builds" / stamp
    build.mkdir(parents=True)
    summary = IndexSummary(path=str(build), rebuilt=True)
    fields: set[str] = set()
    widths: dict[str, int] = {}
    try:
        index = tantivy.Index(make_schema(), path=str(build))
        writer = index.writer(heap_size=HEAP_BYTES, num_threads=1)
        tokens = Tokens()
        with Store(paths.db) as store:
            for doc in store_documents(store):
                writer.add_document(to_document(doc, tokens, widths))
                fields.update(f for f in SEARCH_FIELDS if doc.get(f))
                summary.added += 1
                summary.by_kind[doc["kind"]] = summary.by_kind.get(doc["kind"], 0) + 1
                if progress and summary.added % 500 == 0:
                    progress(summary.added)
        writer.commit()
        writer.wait_merging_threads()
        _write_meta(build, fields, summary.added, widths)
        write_precounts(paths, build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _swap(where, build)
    _clean_builds(where, build)
    return summary


def indexed_hashes(index: tantivy.Index) -> dict[str, str]:
    """``id -> content hash`` of every document in ``index``."""
    searcher = index.searcher()
    if not searcher.num_docs:
        return {}
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
    out = {}
    for _, address in hits:
        doc = searcher.doc(address)
        out[doc.get_first("id")] = doc.get_first("hash")
    return out


def _update(paths: Paths, current: Path, progress) -> IndexSummary:
    meta = json.loads((current / META).read_text())
    if meta.get("schema") != SCHEMA_VERSION or meta.get("slots", {}).get("size") != SLOTS:
        return _build_aside(paths, progress)  # an index of an earlier layout
    index = tantivy.Index.open(str(current))
    indexed = indexed_hashes(index)
    fields = set(meta.get("fields", []))
    widths = {k: v for k, v in meta.get("slots", {}).items() if k != "size"}
    summary = IndexSummary(path=str(current), rebuilt=False)
    writer = index.writer(heap_size=HEAP_BYTES, num_threads=1)
    try:
        tokens = Tokens()
        for doc, old in changed_documents(paths, indexed, summary, progress):
            if old is not None:
                writer.delete_documents_by_term("id", doc["id"])
            writer.add_document(to_document(doc, tokens, widths))
            fields.update(f for f in SEARCH_FIELDS if doc.get(f))
        for gone in summary.gone:
            writer.delete_documents_by_term("id", gone)
        if not (summary.added or summary.updated or summary.deleted):
            writer.rollback()
            return summary
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    _write_meta(current, fields, summary.total, widths)
    write_precounts(paths, current)
    return summary
