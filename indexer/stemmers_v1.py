"""The first ``light-fr`` rules, frozen: registered as ``light-fr-1``.

Kept only so that ``bench/bench_analysis.py`` and the tests can measure the current rules
against the ones they replaced (issue 14, docs/analysis.md, "Against Lucene's reference
vocabularies"). Nothing indexes with it. Do not edit: a "before" that moves measures nothing.
"""

from __future__ import annotations

# Feminine and adjectival endings, tried in order on the singular form: (ending, replacement,
# minimum word length). The length guards keep short words (mère, porte, crise) whole.
_FEMININE = (
    ("euse", "eu", 6),     # heureuse -> heureu (= heureux)
    ("trice", "teur", 7),  # actrice -> acteur
    ("ienne", "ien", 6),   # citoyenne -> citoyen
    ("enne", "en", 6),     # européenne -> europeen
    ("elle", "el", 6),     # naturelle -> naturel
    ("onne", "on", 6),     # bonne -> bon
    ("ette", "et", 6),     # muette -> muet
    ("ique", "ic", 6),     # publique -> public, numérique -> numeric (not numero)
    ("ive", "if", 5),      # active -> actif, naïve -> naif
    ("ere", "er", 5),      # première -> premier
)
_VOWELS = frozenset("aeiouy")


def _plural(word: str) -> str:
    if word.endswith("eaux"):
        return word[:-1]  # réseaux -> reseau
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"  # journaux -> journal
    if word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _feminine(word: str) -> str:
    if word.endswith("ee"):
        word = word[:-1]  # donnée -> donne (then as donné: a final e goes on long words only)
    for ending, replacement, minimum in _FEMININE:
        if len(word) >= minimum and word.endswith(ending):
            return word[: -len(ending)] + replacement
    # française -> francai (= français -> francai), chinoise -> chinoi
    if len(word) >= 7 and word.endswith("se") and word[-3] in _VOWELS:
        return word[:-2]
    if len(word) > 5 and word[-1] == "e":
        return word[:-1]  # grande -> grand; short words (porte, ville) keep their e
    return word


def french_light_stem_v1(word: str) -> str:
    """The ``light-fr`` stem of a folded French word as the first rules gave it.

    Plural, then one feminine ending; words of three letters or fewer and words with digits
    left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    return _feminine(_plural(word))
