"""The query tree: what the parser gives, every engine reads; the Whoosh engine gets back the
very query Whoosh's parser made (so its hits and scores are those of before the tree)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from indexer import querylang as ql
from indexer.engines.whoosh.convert import to_whoosh
from indexer.errors import QueryError

QUERIES = [
    "numérique", "données personnelles", "ademe OR cnil", "numériq*", '"data centers"',
    "l'État NOT cnil", "datta~", "datta~2", "citoyens^2 numérique", "tag:association",
    'annotator:"Aurialie Jublin"', "year:[2015 TO 2017]", "num?rique", "(ademe OR cnil) données",
    "*", "lang:fr état", "données ANDMAYBE personnelles", "données ANDNOT personnelles",
]


@pytest.mark.parametrize("text", QUERIES)
def test_the_tree_gives_whoosh_back_its_own_query(text):
    parser = ql.Parser()
    whoosh_query = ql._rewrite(parser._parser.parse(text)).normalize()
    tree = parser.parse(text)
    assert to_whoosh(tree) == whoosh_query, text
    assert ql.from_whoosh(to_whoosh(tree)) == tree  # and the tree survives the round trip


def test_nodes_are_plain_values():
    tree = ql.parse("ademe OR cnil")
    assert isinstance(tree, ql.Or) and tree == ql.parse("ademe OR cnil")
    assert {n.field for n in ql.walk(tree) if isinstance(n, ql.Term)} == {
        "text_fr", "text_en", "text_fold", "text_exact"}
    assert hash(tree) == hash(ql.parse("ademe OR cnil"))


def test_only_the_fields_in_use_are_asked():
    tree = ql.parse("ademe", fields=["text_fr", "text_exact"])
    assert {n.field for n in ql.walk(tree) if isinstance(n, ql.Term)} == {"text_fr", "text_exact"}


def test_ordering_and_constant_scores():
    never = lambda node: False  # noqa: E731 -- no prefix matches any word
    assert ql.ordering(ql.parse(""), "relevance", never) == "oldest"
    exact_only = lambda node: node.field == "text_exact"  # noqa: E731
    assert ql.ordering(ql.parse("numériq*"), "relevance", exact_only) == "newest"
    assert ql.ordering(ql.parse("numériq*"), "relevance", lambda node: True) == "score"
    assert ql.ordering(ql.parse("numérique"), "relevance", never) == "score"
    assert ql.ordering(ql.parse("numérique"), "published", never) == "published"


def test_highlights_leave_out_what_is_negated():
    marks = ql.highlights(ql.parse("données NOT cnil"))
    exact = marks["text_exact"]
    assert "donnees" in exact and "cnil" not in exact
    assert "numerique" in ql.highlights(ql.parse("numeriq*"))["text_exact"]


def test_hint_words_are_bounded():
    tree = ql.parse(" ".join(["x" * 60] + [f"mot{i}" for i in range(300)]))
    words = ql.hint_words(tree)
    assert len(words) <= ql.HINT_WORDS and all(len(w) <= ql.HINT_MAX_CHARS for w in words)


@pytest.mark.parametrize("text, message", [
    ('"data centers', "unbalanced quote"), ("(ademe", "unbalanced parenthesis"),
    ("foo:bar", "unknown field 'foo'"), ("datta~3", "at most ~2 edits"),
    ("« »", "no searchable word"),
])
def test_malformed_queries_say_why(text, message):
    with pytest.raises(QueryError, match=message):
        ql.parse(text)


def test_a_search_loads_only_its_engine():
    code = ("import sys; from indexer.engines import get_engine; get_engine('whoosh'); "
            "print('tantivy' in sys.modules, 'indexer.engines.tantivy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr
