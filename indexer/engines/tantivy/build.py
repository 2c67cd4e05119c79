"""Writing a tantivy build: documents tokenized by our own chains, then the build's metadata.

Our Python analysis produces the tokens and tantivy indexes them as given (see
:mod:`.schema`). Beside the index, each build holds ``indexer-meta.json`` (build time, the
search fields in use, documents, layout version) and ``precounts.json`` (:mod:`.precounts`),
both rewritten on every commit.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from array import array
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import tantivy

from ... import analysis
from ...config import Paths
from ...documents import FACETS, SEARCH_FIELDS, IndexDocument
from .precounts import write_precounts
from .schema import (
    DAYS,
    META,
    NO_VALUE,
    PAIR,
    SCHEMA_VERSION,
    SLOTS,
    SLOTTED,
    date_key,
    day_of,
    make_schema,
    read_meta,
    slot_field,
)
from .searcher import TantivySearcher

# The writer's indexing budget. At 1M excerpts (bench/pipeline.py, the same kept store) 128 MB
# against 256 MB: the same wall time (673 s / 683 s), the writing process's anonymous memory
# peaking at 418 MB against 749 MB (a spent budget's pages stay with the allocator), nine
# segments, searches no slower. More than 256 MB had bought nothing but memory.
HEAP_BYTES = 128_000_000
_WORD = re.compile(analysis.WORD_PATTERN)


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

    def analyse(self, text: str, lang_field: str) -> tuple[str | list[tuple[str, int]], str]:
        """(the exact tokens: a space-joined string, or (token, position) pairs with our
        positions when some share one; the language chain's tokens joined by spaces)."""
        cache = self._cache[lang_field]
        entries = [cache.get(w) or self._word(w, lang_field) for w in _WORD.findall(text)]
        stems = " ".join([e[1] for e in entries if e[1]])
        if not any(e[2] for e in entries):
            return " ".join([e[0] for e in entries]), stems
        exact = []
        base = 0
        for e in entries:
            exact += [(t, base + pos) for t, pos in e[3]]
            base += e[4]
        return exact, stems


def word_pairs(exact: str | list[tuple[str, int]]) -> str | list[tuple[str, int]]:
    """The ``text_pairs`` tokens of a document's exact tokens (see the module docstring)."""
    if isinstance(exact, str):  # consecutive positions: a pair per neighbour
        words = exact.split()
        return " ".join([a + PAIR + b for a, b in pairwise(words)])
    at: dict[int, list[str]] = {}
    for t, pos in exact:
        at.setdefault(pos, []).append(t)
    return [(a + PAIR + b, pos)
            for pos, firsts in sorted(at.items()) for a in firsts for b in at.get(pos + 1, ())]


def _packed(tokens: list[tuple[str, int]]) -> tuple[str, bytes]:
    """(the tokens joined by spaces, their positions as 32-bit integers): what crosses from a
    worker process in a few pickled objects, not one per token (an article has thousands).
    Tokens never hold a space (analysis.WORD_PATTERN, PAIR)."""
    return " ".join(t for t, _ in tokens), array("I", [pos for _, pos in tokens]).tobytes()


class Prepared(NamedTuple):
    """One document ready for tantivy, in plain values (picklable: made in a worker process,
    added by the writer's). ``pretokenized``: (field, tokens joined by spaces, positions) of
    the texts whose tokens cannot go as a space-joined string alone; ``facets``: (field,
    value) pairs, the tag slots included; ``widths``: values per slotted facet."""

    id: str
    kind: str
    hash: str
    row: bytes
    keys: tuple[tuple[str, int], ...]
    texts: tuple[tuple[str, str], ...]
    pretokenized: tuple[tuple[str, str, bytes], ...]
    facets: tuple[tuple[str, str], ...]
    widths: tuple[tuple[str, int], ...]
    field: str | None  # the language field, when the document has a text


def prepare(doc: IndexDocument, tokens: Tokens) -> Prepared:
    """Everything of one document but the tantivy objects: the analysis, the pickled row."""
    lang_field = doc.text_field
    exact, stems = tokens.analyse(doc.text, lang_field)
    # The row is pickled, as Whoosh stores its fields: 3x faster than JSON, and the index
    # is ours (derived from the store, rebuilt at will).
    row = pickle.dumps(doc.row, 5)
    keys, texts = [], []
    for field, key in (("saved_key", date_key(doc.saved)),
                       ("published_key", date_key(doc.published))):
        keys.append((field, key))
        texts.append((DAYS[field], day_of(key)))
    if stems:
        texts.append((lang_field, stems))
    pairs = word_pairs(exact)
    pretokenized = ()
    if isinstance(exact, str):
        texts += [(f, v) for f, v in (("text_exact", exact), ("text_pairs", pairs)) if v]
    else:
        pretokenized = (("text_exact", *_packed(exact)), ("text_pairs", *_packed(pairs)))
    facets, widths = [], []
    for name in FACETS:
        values = doc.facets.get(name, [])
        facets += [(name, v) for v in values]
        if name in SLOTTED:
            facets += [(slot_field(name, k), values[k] if k < len(values) else NO_VALUE)
                       for k in range(SLOTS)]
            widths.append((name, len(values)))
    return Prepared(doc.id, doc.kind, doc.hash, row, tuple(keys), tuple(texts), pretokenized,
                    tuple(facets), tuple(widths), lang_field if doc.text else None)


def to_document(p: Prepared) -> tantivy.Document:
    """The tantivy document of a :class:`Prepared` one."""
    out = tantivy.Document(id=p.id, hash=p.hash)
    out.add_bytes("row", p.row)
    for field, key in p.keys:
        out.add_unsigned(field, key)
    for field, text in p.texts:
        out.add_text(field, text)
    token, tokenized = tantivy.Token, tantivy.PreTokenizedString
    for field, words, positions in p.pretokenized:  # offsets unused: snippets use the store
        at = array("I")
        at.frombytes(positions)
        tokens = [token(t, pos, 0, 0) for t, pos in zip(words.split(" "), at)] if words else []
        out.add_pre_tokenized_text(field, tokenized("", tokens))
    for field, value in p.facets:
        out.add_text(field, value)
    return out


class Preparer:
    """:func:`prepare` with its own :class:`Tokens` cache: what each worker process of a
    parallel build calls (see :meth:`TantivyEngine.preparer`)."""

    def __init__(self):
        self.tokens = Tokens()

    def __call__(self, doc: IndexDocument) -> Prepared:
        return prepare(doc, self.tokens)


# -- the build's metadata ------------------------------------------------------------------


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


def outdated(build: Path) -> bool:
    """Whether ``build`` is of an earlier layout (its next update rebuilds it)."""
    meta = read_meta(build)
    return meta.get("schema") != SCHEMA_VERSION or meta.get("slots", {}).get("size") != SLOTS


# -- writing -------------------------------------------------------------------------------


class TantivyWriter:
    """One writer on one build (see :class:`indexer.engines.protocol.Writer`); one thread."""

    def __init__(self, paths: Paths, build: Path, new: bool):
        self.paths, self.build = paths, build
        if new:
            self.index = tantivy.Index(make_schema(), path=str(build))
            self.fields: set[str] = set()
            self.widths: dict[str, int] = {}
        else:
            self.index = tantivy.Index.open(str(build))
            meta = read_meta(build)
            self.fields = set(meta.get("fields", []))
            self.widths = {k: v for k, v in meta.get("slots", {}).items() if k != "size"}
        self.writer = self.index.writer(heap_size=HEAP_BYTES, num_threads=1)
        self.prepare = Preparer()

    def add(self, doc: IndexDocument) -> None:
        self.add_prepared(self.prepare(doc))

    def add_prepared(self, p: Prepared) -> None:
        """Add a document :func:`prepare` made (maybe in another process)."""
        self.writer.add_document(to_document(p))
        for name, width in p.widths:
            self.widths[name] = max(self.widths.get(name, 0), width)
        if p.field is not None and p.field not in self.fields:
            self.fields.update((p.field, "text_exact"))

    def replace(self, doc: IndexDocument) -> None:
        self.delete(doc.id)
        self.add(doc)

    def delete(self, doc_id: str) -> None:
        self.writer.delete_documents_by_term("id", doc_id)

    def commit(self) -> None:
        self.writer.commit()
        self.writer.wait_merging_threads()
        self.index.reload()
        _write_meta(self.build, self.fields, self.index.searcher().num_docs, self.widths)
        with TantivySearcher(self.paths, self.build) as searcher:
            write_precounts(searcher, self.build)

    def cancel(self) -> None:
        self.writer.rollback()


def indexed_hashes(build: Path) -> dict[str, str]:
    """``id -> content hash`` of every document in ``build``."""
    searcher = tantivy.Index.open(str(build)).searcher()
    if not searcher.num_docs:
        return {}
    hits = searcher.search(tantivy.Query.all_query(), searcher.num_docs, count=False).hits
    out = {}
    for _, address in hits:
        doc = searcher.doc(address)
        out[doc.get_first("id")] = doc.get_first("hash")
    return out
