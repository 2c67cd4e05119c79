"""Stemmers by name, and a light French stemmer written for folded (accentless) input.

``light-fr`` follows the idea of J. Savoy's *light* French stemmer (the default in
Elasticsearch's ``french`` analyzer): remove inflections only (plural, feminine) and leave
derivations alone, so that ``données`` stays away from ``don`` and ``numérique`` from
``numéro``. The rules here are our own, written for words already lowercased and folded
(``é`` -> ``e``); they are not a port of Lucene's code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable


def _pystemmer(lang: str) -> Callable[[str], str]:
    import Stemmer

    return Stemmer.Stemmer(lang).stemWord


def _whoosh(lang: str) -> Callable[[str], str]:
    from whoosh.lang import stemmer_for_language

    return stemmer_for_language(lang)


STEMMERS: dict[str, Callable[[], Callable[[str], str]]] = {
    "light-fr": lambda: french_light_stem,
    "snowball-fr": lambda: _pystemmer("french"),
    "snowball-en": lambda: _pystemmer("english"),
    "whoosh-fr": lambda: _whoosh("fr"),
}


@lru_cache(maxsize=None)
def get_stemmer(name: str) -> Callable[[str], str]:
    """The stemming function called ``name`` (a key of :data:`STEMMERS`)."""
    try:
        return STEMMERS[name]()
    except KeyError:
        raise ValueError(f"unknown stemmer {name!r}; known: {', '.join(STEMMERS)}") from None


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


def french_light_stem(word: str) -> str:
    """A light stem of a lowercased, accent-folded French word.

    Removes the plural (``-s``, ``-x``, ``-aux`` -> ``-al``, ``-eaux`` -> ``-eau``), then one
    feminine or adjectival ending (``-euse``, ``-trice``, ``-enne``, ``-elle``, ``-ique``,
    ``-ive``, ``-ère``, ``-ée``, a final ``-e`` on words of six letters or more). Derivational
    suffixes (``-ation``, ``-ement``, ``-ité``) stay, so that ``département`` is not ``départ``.
    Words of three letters or fewer are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    return _feminine(_plural(word))
