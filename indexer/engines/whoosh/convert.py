"""Our query tree (:mod:`indexer.querylang`) as Whoosh queries: node for node, same terms."""

from __future__ import annotations

from whoosh import query as wq

from ... import querylang as ql


def to_whoosh(q: ql.Node):
    """The Whoosh query of node ``q``."""
    b = q.boost
    if isinstance(q, ql.Term):
        return wq.Term(q.field, q.text, boost=b)
    if isinstance(q, ql.Phrase):
        return wq.Phrase(q.field, list(q.words), slop=q.slop, boost=b)
    if isinstance(q, ql.Prefix):
        return wq.Prefix(q.field, q.text, boost=b)
    if isinstance(q, ql.Wildcard):
        return wq.Wildcard(q.field, q.text, boost=b)
    if isinstance(q, ql.Fuzzy):
        return wq.FuzzyTerm(q.field, q.text, boost=b, maxdist=q.maxdist,
                            prefixlength=q.prefixlength)
    if isinstance(q, ql.Range):
        return wq.TermRange(q.field, q.start, q.end, startexcl=q.startexcl, endexcl=q.endexcl,
                            boost=b)
    if isinstance(q, ql.Every):
        return wq.Every(q.field, boost=b) if q.field else wq.Every(boost=b)
    if isinstance(q, ql.Nothing):
        return wq.NullQuery
    return _compound(q, b)


def _compound(q: ql.Node, b: float):
    if isinstance(q, ql.DisMax):
        return wq.DisjunctionMax([to_whoosh(s) for s in q.subs], boost=b, tiebreak=q.tiebreak)
    if isinstance(q, ql.And):
        return wq.And([to_whoosh(s) for s in q.subs], boost=b)
    if isinstance(q, ql.Or):
        return wq.Or([to_whoosh(s) for s in q.subs], boost=b)
    if isinstance(q, ql.Not):
        return wq.Not(to_whoosh(q.sub), boost=b)
    if isinstance(q, ql.ConstantScore):
        return wq.ConstantScoreQuery(to_whoosh(q.sub), q.score)
    pairs = {ql.AndNot: wq.AndNot, ql.AndMaybe: wq.AndMaybe, ql.Require: wq.Require}
    out = pairs[type(q)](to_whoosh(q.a), to_whoosh(q.b))
    out.boost = b
    return out
