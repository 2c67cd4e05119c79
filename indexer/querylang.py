"""The query language: what a user types, parsed into a small tree every engine can read.

The syntax is Whoosh's (words AND-ed by default, ``OR``, ``NOT``, ``"phrases"``,
``field:value``, ``prefix*``, ``wild?card``, ``fuzzy~``, ``[a TO b]``), parsed by Whoosh's own
parser against our analysis chains: each word goes through the French, the English, the
folding and the exact chains, one branch per search field in use. The parser's tree is then
turned into the nodes below (frozen dataclasses), which know no engine: each engine
translates them into its own queries (``engines/whoosh``, ``engines/tantivy``), so that both
search for exactly the same terms.

Also here, because they read nothing but the tree: how a page is ordered (:func:`ordering`),
which words a hitless query could be offered a near word for (:func:`hint_words`), and which
terms of a text a query matches, for snippets (:func:`highlights`).

This module and :mod:`indexer.analysis` are the only ones outside ``engines/whoosh`` that
import Whoosh (the parser, the analyzers); an import-linter contract checks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.qparser import AndGroup, FuzzyTermPlugin, GtLtPlugin, MultifieldParser
from whoosh.qparser.plugins import FieldAliasPlugin
from whoosh.support.levenshtein import distance

from . import analysis
from .documents import FACETS, MULTI_VALUED, SEARCH_FIELDS
from .errors import QueryError, quoted

QUERY_FIELDS = set(FACETS) | {"id", "lang"}
ALIASES = {"language": ["lang"]}
MAX_QUERY_WORDS = 1000  # longer queries are refused (QueryError), so every query ends soon
MAX_QUERY_CHARS = 10_000
MAX_FUZZY_EDITS = 2  # word~3 and beyond expand to most of the lexicon
HINT_WORDS = 5  # words of a hitless query offered a near word (each costs a lexicon walk)
HINT_MAX_CHARS = 40  # no real word is longer; a near word for one costs minutes


# -- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A query node. ``boost`` multiplies its score (``word^2``)."""

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class _Word(Node):
    field: str
    text: str
    boost: float = 1.0


class Term(_Word):
    """One indexed word."""


@dataclass(frozen=True)
class Phrase(Node):
    """The words in this order; ``slop`` 1 means consecutive."""

    field: str
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


class Prefix(_Word):
    """Every indexed word starting with ``text``."""


class Wildcard(_Word):
    """``*`` any run of characters, ``?`` one character."""


@dataclass(frozen=True)
class Fuzzy(Node):
    """Words within ``maxdist`` edits (Damerau-Levenshtein) sharing ``prefixlength`` chars."""

    field: str
    text: str
    maxdist: int = 1
    prefixlength: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Range(Node):
    """Terms between ``start`` and ``end`` (None: open), each bound excluded if asked."""

    field: str
    start: str | None
    end: str | None
    startexcl: bool = False
    endexcl: bool = False
    boost: float = 1.0


@dataclass(frozen=True)
class Every(Node):
    """Every document (``field`` None), or every document with a term in ``field``."""

    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Nothing(Node):
    """Matches no document."""

    boost: float = 1.0


@dataclass(frozen=True)
class _Group(Node):
    subs: tuple[Node, ...]
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return self.subs


class And(_Group):
    """Every sub-query; a :class:`Not` inside excludes."""


class Or(_Group):
    """Any sub-query; scores add up."""


@dataclass(frozen=True)
class DisMax(_Group):
    """Any sub-query; scored by the best one."""

    tiebreak: float = 0.0


@dataclass(frozen=True)
class Not(Node):
    sub: Node
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return (self.sub,)


@dataclass(frozen=True)
class _Pair(Node):
    a: Node
    b: Node
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return (self.a, self.b)


class AndNot(_Pair):
    """``a`` but not ``b``."""


class AndMaybe(_Pair):
    """``a``, scored higher where ``b`` matches too."""


class Require(_Pair):
    """``a`` where ``b`` matches too, scored by ``a`` alone."""


@dataclass(frozen=True)
class ConstantScore(Node):
    sub: Node
    score: float = 1.0
    boost: float = 1.0

    def children(self) -> tuple[Node, ...]:
        return (self.sub,)


LEAVES = (Term, Phrase, Prefix, Wildcard, Fuzzy, Range, Every, Nothing)
# Scored as a constant by both engines: each match gets the same score.
CONSTANT = (Prefix, Range)


def walk(q: Node) -> Iterator[Node]:
    """``q`` and every node under it, parents first."""
    yield q
    for child in q.children():
        yield from walk(child)


# -- parsing -------------------------------------------------------------------------------


def field_types() -> dict:
    """The Whoosh field types the parser analyses words with (the index's own chains)."""
    chains = {
        "text_fr": analysis.french_analyzer, "text_en": analysis.english_analyzer,
        "text_fold": analysis.folding_analyzer, "text_exact": analysis.exact_analyzer,
    }
    types = {name: TEXT(analyzer=chains[name](), phrase=name == "text_exact")
             for name in SEARCH_FIELDS}
    for name in FACETS:
        types[name] = (KEYWORD(commas=True, lowercase=False, scorable=False)
                       if name in MULTI_VALUED else ID())
    types["id"] = ID()
    return types


TREES_KEPT = 1024  # parsed queries a Parser remembers


class Parser:
    """Parses query text against the search fields an index uses (see :func:`parse`).

    A field no document uses cannot match: leaving it out of every word's OR halves the
    branches of a French-only index. ``fields`` defaults to every search field.
    """

    def __init__(self, fields: list[str] | None = None):
        self.fields = [f for f in (fields or SEARCH_FIELDS) if f in SEARCH_FIELDS] or SEARCH_FIELDS
        self.schema = Schema(**field_types())
        parser = MultifieldParser(self.fields, self.schema, group=AndGroup)
        parser.add_plugin(FuzzyTermPlugin())
        parser.add_plugin(FieldAliasPlugin(ALIASES))
        parser.remove_plugin_class(GtLtPlugin)
        self._parser = parser
        # Trees already made, by query text: a page, a facet click or a watch asks the same
        # query again, and Whoosh's parser costs about half a millisecond. Trees are frozen.
        self._trees: dict[str, Node] = {}

    def parse(self, text: str) -> Node:
        """The tree of ``text`` (:class:`Every` for an empty one), or :class:`QueryError`."""
        tree = self._trees.get(text)
        if tree is None:
            tree = self._parse(text)
            if len(self._trees) >= TREES_KEPT:
                self._trees.clear()
            self._trees[text] = tree
        return tree

    def _parse(self, text: str) -> Node:
        if not text or not text.strip():
            return Every()
        _check(text)
        try:
            q = self._parser.parse(text)
        except Exception as exc:  # the parser's own errors are not user-friendly classes
            raise QueryError(f"malformed query {quoted(text)}: {exc}") from None
        q = _rewrite(q).normalize()
        if q is wq.NullQuery:
            raise QueryError(f"query {quoted(text)} has no searchable word")
        return from_whoosh(q)


def parse(text: str, fields: list[str] | None = None) -> Node:
    """``text`` parsed for an index using ``fields`` (a one-off :class:`Parser`)."""
    return Parser(fields).parse(text)


_FIELD_REF = re.compile(r'"[^"]*"|(?<![\w:])([A-Za-z_]\w*):(?!/)')


def _check(text: str) -> None:
    """Refuse what the parser would take badly: too long, unbalanced, unknown fields."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long: {len(text)} characters (at most {MAX_QUERY_CHARS})")
    if len(text.split()) > MAX_QUERY_WORDS:
        raise QueryError(f"query too long: {len(text.split())} words (at most {MAX_QUERY_WORDS})")
    if text.count('"') % 2:
        raise QueryError(f"malformed query {quoted(text)}: unbalanced quote")
    if text.count("(") != text.count(")"):
        raise QueryError(f"malformed query {quoted(text)}: unbalanced parenthesis")
    for match in _FIELD_REF.finditer(text):
        name = match.group(1)
        if name and name not in QUERY_FIELDS:
            raise QueryError(
                f"unknown field {quoted(name)} in query; known: {', '.join(sorted(QUERY_FIELDS))}"
            )


def _rewrite(q):
    """Phrases to the exact field only; prefix, wildcard and fuzzy words folded like the text."""
    if isinstance(q, wq.Phrase):
        if q.fieldname == "text_exact":
            return q
        if q.fieldname in SEARCH_FIELDS:
            return wq.NullQuery
        # A quoted value of a single-token field (annotator:"Aurialie Jublin").
        return wq.Term(q.fieldname, " ".join(q.words))
    if isinstance(q, wq.FuzzyTerm) and q.maxdist > MAX_FUZZY_EDITS:
        raise QueryError(f"fuzzy word {q.text}~{q.maxdist}: at most ~{MAX_FUZZY_EDITS} edits")
    if isinstance(q, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)) and q.fieldname in SEARCH_FIELDS:
        q.text = analysis.fold(q.text).lower()
        return q
    if q.is_leaf():
        return q
    return q.apply(_rewrite)


def _str(value) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def from_whoosh(q) -> Node:
    """Our tree of a parsed Whoosh query; :class:`QueryError` for a kind we do not search."""
    b = float(getattr(q, "boost", 1.0))
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return Nothing()
    if isinstance(q, wq.Every):
        return Every(q.fieldname or None, b)
    if isinstance(q, wq.FuzzyTerm):  # before Term: a FuzzyTerm is not a Term, but be sure
        return Fuzzy(q.fieldname, _str(q.text), int(q.maxdist), int(q.prefixlength), b)
    if isinstance(q, wq.Term):
        return Term(q.fieldname, _str(q.text), b)
    if isinstance(q, wq.Phrase):
        return Phrase(q.fieldname, tuple(_str(w) for w in q.words), int(q.slop), b)
    if isinstance(q, wq.Prefix):
        return Prefix(q.fieldname, _str(q.text), b)
    if isinstance(q, wq.Wildcard):
        return Wildcard(q.fieldname, _str(q.text), b)
    if isinstance(q, wq.TermRange):
        return Range(q.fieldname, _str(q.start), _str(q.end), bool(q.startexcl),
                     bool(q.endexcl), b)
    return _compound_from_whoosh(q, b)


def _compound_from_whoosh(q, b: float) -> Node:
    if isinstance(q, wq.DisjunctionMax):
        return DisMax(tuple(map(from_whoosh, q.subqueries)), b, float(q.tiebreak))
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
        return Or(tuple(map(from_whoosh, q.subqueries)), b)
    if isinstance(q, wq.And):
        return And(tuple(map(from_whoosh, q.subqueries)), b)
    if isinstance(q, wq.Not):
        return Not(from_whoosh(q.query), b)
    for whoosh_type, ours in ((wq.AndNot, AndNot), (wq.AndMaybe, AndMaybe),
                              (wq.Require, Require)):
        if isinstance(q, whoosh_type):
            return ours(from_whoosh(q.a), from_whoosh(q.b), b)
    if isinstance(q, wq.ConstantScoreQuery):
        return ConstantScore(from_whoosh(q.child), float(q.score), b)
    raise QueryError(f"queries of the kind {type(q).__name__} ({q}) are not supported")


# -- reading the tree ------------------------------------------------------------------------


def ordering(q: Node, sort: str, matches_words) -> str:
    """How a page is ordered: ``score``, ``newest``, ``oldest`` (saved date) or ``published``.

    By relevance, an empty query lists the oldest first, and a query whose matches all score
    alike (:func:`constant_score`) the newest first: a score would order nothing there. Both
    engines order pages by this function.
    """
    if sort != "relevance":
        return "newest" if sort == "saved" else "published"
    if isinstance(q, Every) and q.field is None:
        return "oldest"
    return "newest" if constant_score(q, matches_words) else "score"


def constant_score(q: Node, matches_words) -> bool:
    """True for one prefix or range (``numériq*``, ``year:[2015 TO 2017]``), alone or beside
    branches of an OR that match no word of the index (the parser asks each prefix of every
    text field). ``matches_words(node)`` tells whether a prefix or range matches any word."""
    if isinstance(q, CONSTANT):
        return True
    if isinstance(q, Or):
        live = [sub for sub in q.subs if not isinstance(sub, CONSTANT) or matches_words(sub)]
        return len(live) == 1 and isinstance(live[0], CONSTANT)
    return False


def hint_words(q: Node) -> list[str]:
    """The words of ``q`` (searched as written) worth offering a near word for, at most
    :data:`HINT_WORDS`, none longer than :data:`HINT_MAX_CHARS`: a pasted paragraph must not
    walk the lexicon once per word."""
    words = []
    for node in walk(q):
        if getattr(node, "field", None) != "text_exact":
            continue
        if isinstance(node, (Term, Fuzzy)):
            words.append(node.text)
        elif isinstance(node, Phrase):
            words.extend(node.words)
    return [w for w in words[:HINT_WORDS] if len(w) <= HINT_MAX_CHARS]


class Highlight:
    """What a query matches in one field: ``token in highlight`` for a hit's own tokens.

    Behaves as the set of indexed terms the query matches, but tests prefixes, wildcards
    and fuzzy words on the tokens it is asked about: no expansion against a lexicon.
    """

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.patterns: list[re.Pattern] = []
        self.fuzzy: list[tuple[str, int, int]] = []
        self._seen: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.words or self.patterns or self.fuzzy)

    def __contains__(self, token: str) -> bool:
        if token in self.words:
            return True
        if not (self.patterns or self.fuzzy):
            return False
        known = self._seen.get(token)
        if known is None:
            known = any(p.fullmatch(token) for p in self.patterns) or any(
                token[:n] == text[:n] and edit_distance(token, text, d) <= d
                for text, d, n in self.fuzzy)
            self._seen[token] = known
        return known

    def add(self, node: Node) -> None:
        if isinstance(node, Term):
            self.words.add(node.text)
        elif isinstance(node, Phrase):
            self.words.update(node.words)
        elif isinstance(node, Prefix):
            self.patterns.append(re.compile(re.escape(node.text) + ".*"))
        elif isinstance(node, Wildcard):
            self.patterns.append(re.compile(wildcard_regex(node.text, re.escape)))
        elif isinstance(node, Fuzzy):
            self.fuzzy.append((node.text, node.maxdist, node.prefixlength))


def wildcard_regex(text: str, escape) -> str:
    """A wildcard (``*`` any run, ``?`` one character) as a regex, literals through ``escape``."""
    return "".join(".*" if c == "*" else "." if c == "?" else escape(c) for c in text)


def highlights(q: Node) -> dict[str, Highlight]:
    """Per search field, what the positive parts of ``q`` match (negated parts left out)."""
    out: dict[str, Highlight] = {}

    def visit(node: Node) -> None:
        if isinstance(node, Not):
            return
        if isinstance(node, AndNot):
            visit(node.a)
            return
        name = getattr(node, "field", None)
        if name in SEARCH_FIELDS:
            out.setdefault(name, Highlight()).add(node)
        for child in node.children():
            visit(child)

    visit(q)
    return {k: v for k, v in out.items() if v}


def edit_distance(a: str, b: str, limit: int) -> int:
    """The edit distance ``word~N`` counts (Damerau-Levenshtein, Whoosh's own); past
    ``limit`` it stops counting and returns some value above ``limit``."""
    return distance(a, b, limit=limit)


def in_range(q: Range, term: str) -> bool:
    """Whether ``term`` lies within the range ``q``."""
    if q.start is not None and (term < q.start or (term == q.start and q.startexcl)):
        return False
    return q.end is None or not (term > q.end or (term == q.end and q.endexcl))

