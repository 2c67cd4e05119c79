"""Our query tree (:mod:`indexer.querylang`) as tantivy queries: the same terms on the same
fields, hence the same documents as the Whoosh engine finds."""

from __future__ import annotations

from itertools import pairwise

import tantivy
from tantivy import Occur

from ... import querylang as ql
from ...errors import QueryError
from .schema import PAIR

_RUST_META = set("\\.+*?()|[]{}^$#&-~")


def translate(s, q: ql.Node) -> tantivy.Query:
    """The tantivy query of node ``q`` on searcher ``s`` (its schema, its dictionary)."""
    out = _translate(s, q)
    if q.boost != 1.0 and not isinstance(q, (ql.And, ql.Or)):
        out = tantivy.Query.boost_query(out, float(q.boost))
    return out


def _translate(s, q: ql.Node) -> tantivy.Query:
    Q, schema = tantivy.Query, s.schema
    if isinstance(q, ql.Every):
        return Q.regex_query(schema, q.field, ".*") if q.field else Q.all_query()
    if isinstance(q, ql.Nothing):
        return Q.empty_query()
    if isinstance(q, ql.Term):
        return Q.term_query(schema, q.field, q.text)
    if isinstance(q, ql.Phrase):
        return _phrase(s, q)
    if isinstance(q, ql.Prefix):
        # the words of the index with that prefix, as Whoosh expands them: a regex automaton
        # costs ~0.6 ms to build per field, the dictionary walk ~0.01 ms
        return term_set(s, q.field, [w for w, _ in s.searcher.terms_with_prefix(q.field, q.text)])
    if isinstance(q, ql.Wildcard):
        return Q.regex_query(schema, q.field, ql.wildcard_regex(q.text, _escape))
    if isinstance(q, ql.Fuzzy):
        return _fuzzy(s, q)
    if isinstance(q, ql.Range):
        return term_set(s, q.field, [t for t in s.values(q.field) if ql.in_range(q, t)])
    return _compound(s, q)


def _phrase(s, q: ql.Phrase) -> tantivy.Query:
    Q, schema, words = tantivy.Query, s.schema, list(q.words)
    if len(words) == 1:
        return Q.term_query(schema, q.field, words[0])
    if q.field == "text_exact" and q.slop <= 1 and s.pairs:
        # the same documents: the words in order at consecutive positions
        pairs = [a + PAIR + b for a, b in pairwise(words)]
        if len(pairs) == 1:
            return Q.term_query(schema, "text_pairs", pairs[0])
        return Q.phrase_query(schema, "text_pairs", pairs)
    return Q.phrase_query(schema, q.field, words, slop=max(0, q.slop - 1))


def _compound(s, q: ql.Node) -> tantivy.Query:
    boolean = tantivy.Query.boolean_query
    if isinstance(q, ql.And):
        return boolean(and_clauses(s, q))
    if isinstance(q, ql.DisMax):
        return tantivy.Query.disjunction_max_query([translate(s, sub) for sub in q.subs])
    if isinstance(q, ql.Or):
        return boolean([(Occur.Should, translate(s, sub)) for sub in q.subs])
    if isinstance(q, ql.Not):  # a lone NOT: everything but
        return boolean([(Occur.Must, tantivy.Query.all_query()),
                        (Occur.MustNot, translate(s, q.sub))])
    if isinstance(q, ql.AndNot):
        return boolean([(Occur.Must, translate(s, q.a)), (Occur.MustNot, translate(s, q.b))])
    if isinstance(q, ql.AndMaybe):
        return boolean([(Occur.Must, translate(s, q.a)), (Occur.Should, translate(s, q.b))])
    if isinstance(q, ql.Require):
        return boolean([(Occur.Must, translate(s, q.a)),
                        (Occur.Must, as_filter(translate(s, q.b)))])
    if isinstance(q, ql.ConstantScore):
        return tantivy.Query.const_score_query(translate(s, q.sub), float(q.score))
    raise QueryError(f"the tantivy engine does not support {type(q).__name__} queries ({q}); "
                     "use --engine whoosh for this one")


def and_clauses(s, q: ql.And) -> list:
    """The clauses of an AND: its NOT parts as exclusions."""
    clauses = []
    for sub in q.subs:
        if isinstance(sub, ql.Not):
            clauses.append((Occur.MustNot, translate(s, sub.sub)))
        else:
            clauses.append((Occur.Must, translate(s, sub)))
    if all(occur == Occur.MustNot for occur, _ in clauses):
        clauses.append((Occur.Must, tantivy.Query.all_query()))
    return clauses


def _escape(text: str) -> str:
    """``text`` as a literal in a tantivy (Rust) regex."""
    return "".join("\\" + c if c in _RUST_META else c for c in text)


def _fuzzy(s, q: ql.Fuzzy) -> tantivy.Query:
    """Whoosh's fuzzy term: Damerau-Levenshtein within ``maxdist`` after ``prefixlength`` chars.

    tantivy's automaton does the common case (no prefix, distance up to 2); otherwise the words
    sharing the prefix are checked here, with the same distance.
    """
    if not q.prefixlength and q.maxdist <= 2:
        return tantivy.Query.fuzzy_term_query(
            s.schema, q.field, q.text, distance=int(q.maxdist), transposition_cost_one=True)
    words = [w for w, _ in s.searcher.terms_with_prefix(q.field, q.text[: q.prefixlength])
             if ql.edit_distance(w, q.text, q.maxdist) <= q.maxdist]
    return term_set(s, q.field, words)


def term_set(s, fieldname: str, words: list[str]) -> tantivy.Query:
    """Any of ``words`` in ``fieldname``, scored as a constant."""
    if not words:
        return tantivy.Query.empty_query()
    if len(words) == 1:  # a term's postings, without a term set's automaton (~20% faster),
        # scored as a term set scores (a constant)
        return tantivy.Query.const_score_query(
            tantivy.Query.term_query(s.schema, fieldname, words[0]), 1.0)
    return tantivy.Query.term_set_query(s.schema, fieldname, words)


def as_filter(q: tantivy.Query) -> tantivy.Query:
    """A clause that narrows without changing scores."""
    return tantivy.Query.const_score_query(q, 0.0)
