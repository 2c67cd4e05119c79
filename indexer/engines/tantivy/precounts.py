"""Facet counts of the frequent words, counted once per build (tantivy engine).

Counting facets costs tantivy a pass over every match (~3 ns per document and column): a word
in half of a million excerpts costs ~13-20 ms of facet counting, more than ranking it. So each
build also counts, once, the facets of every indexed word found in at least ``min_docs``
documents (and of the whole index), per kind of document, into ``precounts.json`` beside the
index. A search whose matches are a union of words (a word, ``a OR b``, a prefix) with no
filter other than its scope then counts its facets as

    counts(w) + counts(the other words AND NOT w)

where ``w`` is its most frequent precounted word: the second pass only visits the documents
``w`` does not match (``numériq*`` at 1M excerpts: 495k -> 54k documents; see docs/engines.md).
The counts are exact either way; the file names the tantivy commit (``opstamp``) it counted,
and a searcher ignores a file of another commit (an update killed before it rewrote it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import tantivy
from tantivy import Occur

from ... import querylang as ql
from ...documents import FACETS, MULTI_VALUED, SEARCH_FIELDS
from .facets import facet_counts
from .schema import PAIR

PRECOUNTS = "precounts.json"
# A word in fewer documents is counted at search time: a few milliseconds at most.
MIN_DOCS = 20_000
# Facets counted ahead: all but the entities (thousands of values, multi-valued).
PRECOUNTED = [name for name in FACETS if name not in MULTI_VALUED or name == "tag"]

Counts = dict[str, dict[str, int]]  # facet -> value -> count


def opstamp(build: Path) -> int | None:
    """The tantivy commit stamp of the index in ``build`` (its ``meta.json``)."""
    try:
        return json.loads((build / "meta.json").read_text())["opstamp"]
    except (OSError, ValueError, KeyError):
        return None


def write_precounts(s, build: Path, min_docs: int | None = None) -> int:
    """Count the facets of the frequent words of searcher ``s`` (open on ``build``) into
    ``build/precounts.json``.

    ``min_docs`` defaults to the value the previous file of this build used, else
    :data:`MIN_DOCS`. Returns the number of words counted.
    """
    if min_docs is None:
        min_docs = _previous(build).get("min_docs", MIN_DOCS)
    kinds, names = sorted(s.values("kind")), PRECOUNTED

    def by_kind(q: tantivy.Query) -> dict[str, dict]:
        out = {}
        for kind in kinds:
            only = tantivy.Query.term_query(s.schema, "kind", kind)
            narrowed = tantivy.Query.boolean_query([(Occur.Must, q), (Occur.Must, only)])
            out[kind] = {k: dict(v) for k, v in facet_counts(s, narrowed, names).items()}
        return out

    words = {}
    # text_pairs too: a quoted pair of words is one of its terms (see words_of)
    for field in [*s.fields, *(["text_pairs"] if s.pairs else [])]:
        for term, docs in s.searcher.terms_with_prefix(field, ""):
            if docs >= min_docs:
                words[_key(field, term)] = by_kind(tantivy.Query.term_query(s.schema, field, term))
    payload = {"opstamp": s.opstamp, "min_docs": min_docs, "facets": names,
               "all": by_kind(tantivy.Query.all_query()), "words": words}
    tmp = build / f".{PRECOUNTS}.tmp"
    tmp.write_text(json.dumps(payload, ensure_ascii=False))
    os.replace(tmp, build / PRECOUNTS)
    return len(words)


def _previous(build: Path) -> dict:
    try:
        return json.loads((build / PRECOUNTS).read_text())
    except (OSError, ValueError):
        return {}


def _key(field: str, term: str) -> str:
    return f"{field}:{term}"


def load(build: Path, stamp: int | None) -> dict | None:
    """The precounts of ``build`` if they were counted on commit ``stamp``, else None."""
    found = _previous(build)
    if stamp is None or found.get("opstamp") != stamp:
        return None
    return found


def words_of(s, q: ql.Node) -> list[tuple[str, str]] | None:
    """The (field, word) pairs whose union ``q`` matches, or None when ``q`` is not a union
    of words (a phrase of three words, an AND, a fuzzy word...); ``[]`` for a query matching
    nothing. A quoted pair of words is one word of ``text_pairs``."""
    if isinstance(q, ql.Term) and q.field in SEARCH_FIELDS:
        return [(q.field, q.text)]
    if isinstance(q, ql.Phrase) and q.field in SEARCH_FIELDS:
        # what translate() asks: one word is a term; two consecutive words one pairs term
        if len(q.words) == 1:
            return [(q.field, q.words[0])]
        if len(q.words) == 2 and q.field == "text_exact" and q.slop <= 1 and s.pairs:
            return [("text_pairs", PAIR.join(q.words))]
        return None
    if isinstance(q, ql.Prefix) and q.field in SEARCH_FIELDS:
        # the expansion translate() makes
        return [(q.field, w) for w, _ in s.searcher.terms_with_prefix(q.field, q.text)]
    if type(q) is ql.Or:
        out = []
        for sub in q.subs:
            found = words_of(s, sub)
            if found is None:
                return None
            out += found
        return out
    if isinstance(q, ql.Nothing):
        return []
    return None


class Counting:
    """The facet counts and the number of matches of one search, from the precounts.

    Made by :func:`prepare` (cheap: it only looks at the query), run by :meth:`run`, in the
    facet thread.
    """

    def __init__(self, s, kinds: list[str], scope: list, names: list[str], base: dict,
                 word: tuple[str, str] | None, others: list[tuple[str, str]]):
        self.s, self.kinds, self.scope, self.names = s, kinds, scope, names
        self.base, self.word, self.others = base, word, others
        # the (field, word) pairs whose union the search matches; None: every document
        self.words = [word, *others] if word else None

    def run(self) -> tuple[dict[str, list[tuple[str, int]]], int]:
        """(each facet's (value, count), most frequent first; the number of matches)."""
        wanted = list(dict.fromkeys([*self.names, "kind"]))  # kinds sum to the matches
        totals = _add({}, self.base, self.kinds)
        if self.others:
            Q, schema = tantivy.Query, self.s.schema
            union = Q.boolean_query([(Occur.Should, Q.term_query(schema, f, w))
                                     for f, w in self.others])
            rest = Q.boolean_query([(Occur.Must, union),
                                    (Occur.MustNot, Q.term_query(schema, *self.word))]
                                   + self.scope)
            for name, pairs in facet_counts(self.s, rest, wanted).items():
                _merge(totals, name, pairs)
        total = sum(totals.get("kind", {}).values())
        return _sorted(totals, self.names), total


def prepare(s, pre: dict | None, q, kinds: list[str], scope: list,
            names: list[str]) -> Counting | None:
    """A :class:`Counting` of ``q`` over documents of ``kinds`` (``scope`` holds the clauses
    keeping them), or None when the precounts do not serve: no precounts, a facet they do not
    hold, a query that is not a union of words, no precounted word among them."""
    if pre is None or not set(names) <= set(pre["facets"]):
        return None
    if isinstance(q, ql.Every) and q.field is None:
        return Counting(s, kinds, scope, names, pre["all"], None, [])
    words = words_of(s, q)
    if not words:
        return None
    known = [(s.searcher.doc_freq(f, w), f, w) for f, w in set(words)
             if _key(f, w) in pre["words"]]
    if not known:
        return None
    _, field, word = max(known)
    others = sorted({(f, w) for f, w in words if (f, w) != (field, word)})
    return Counting(s, kinds, scope, names, pre["words"][_key(field, word)], (field, word),
                    others)


def _add(totals: Counts, per_kind: dict[str, Counts], kinds: list[str]) -> Counts:
    for kind in kinds:
        for name, values in per_kind.get(kind, {}).items():
            _merge(totals, name, values.items())
    return totals


def _merge(totals: Counts, name: str, pairs) -> None:
    """Add (value, count) ``pairs`` to facet ``name``'s totals."""
    into = totals.setdefault(name, {})
    for value, count in pairs:
        into[value] = into.get(value, 0) + count


def _sorted(totals: Counts, names: list[str]) -> dict[str, list[tuple[str, int]]]:
    return {name: sorted(((v, c) for v, c in totals.get(name, {}).items() if c),
                         key=lambda vc: (-vc[1], vc[0]))
            for name in names}
