"""The match space: what it folds, and that every character maps back to its original."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.normalize import is_quote, normalize, normalize_text


def test_folds_typography_case_and_spaces():
    assert normalize_text("  L’État\u00a0« fort »\u202f!  Cafe\u0301 … ﬁn\n\nß ;") == \
        "l'état fort! café... fin ss;"
    assert normalize_text("a\u00adb\u200bc\ufeff") == "abc"
    assert normalize_text("d'« un »") == normalize_text('d\'"un"') == "d'un"
    assert normalize_text("un – deux — trois") == "un - deux - trois"
    assert normalize_text("(« mot »)") == normalize_text("(mot)")
    assert normalize_text("") == ""


def test_map_back_to_original_offsets():
    text = "Le\u00a0«\u00a0chat\u00a0» dort… e\u0301te\u0301 😀!"
    n = normalize(text)
    assert n.text == "le chat dort... été 😀!"
    at = n.text.index("chat")
    assert n.span(at, at + 4) == (text.index("chat"), text.index("chat") + 4)
    at = n.text.index("...")
    assert text[slice(*n.span(at, at + 3))] == "…"
    at = n.text.index("été")
    assert text[slice(*n.span(at, at + 3))] == "e\u0301te\u0301"
    assert n.span(len(n.text), len(n.text)) == (len(text), len(text))
    assert n.to_match(text.index("dort")) == n.text.index("dort")


def test_is_quote():
    assert is_quote("«") and is_quote('"') and not is_quote("'")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab É’'«» \u00a0\n…\u0301😀\u00ad.?")), max_size=40))
def test_offsets_are_monotonic_and_spans_renormalize(text):
    n = normalize(text)
    assert len(n.starts) == len(n.ends) == len(n.text)
    assert all(a <= b for a, b in zip(n.starts, n.starts[1:]))
    assert all(s < e <= len(text) for s, e in zip(n.starts, n.ends))
    if n.text:
        s, e = n.span(0, len(n.text))
        assert normalize_text(text[s:e]) == n.text
