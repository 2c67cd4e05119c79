"""Stemmers by name, and a light French stemmer written for folded (accentless) input.

``light-fr`` follows the idea of J. Savoy's *light* French stemmer (the default in
Elasticsearch's ``french`` analyzer): remove inflections (plural, feminine, the forms of a
verb) and leave most derivations alone, so that ``données`` stays away from ``don``,
``numérique`` from ``numéro`` and ``département`` from ``départ``. The rules here are our own,
written for words already lowercased and folded (``é`` -> ``e``); they are not a port of
Lucene's code. docs/analysis.md lists them with the measures that chose them.

Folding first costs one thing the rules must live with: ``présente`` and ``présenté`` are one
string (``presente``), as are ``marche`` and ``marché``. So the forms of a verb meet on the
``-e`` form, and a word whose folded form is another word's (``année``/``Anne``) can only be
told apart by name (:data:`_EXCEPTIONS`).
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


def _light_v1() -> Callable[[str], str]:
    from indexer.stemmers_v1 import french_light_stem_v1

    return french_light_stem_v1


STEMMERS: dict[str, Callable[[], Callable[[str], str]]] = {
    "light-fr": lambda: french_light_stem,
    "light-fr-1": _light_v1,  # the rules before issue 14, for before/after measures only
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


# Folded words that are another word too, and that the rules would send onto a third one:
# each gets its own stem. A rule is better wherever one exists; these have none.
_EXCEPTIONS = {
    "annee": "annee", "annees": "annee",  # année(s): by the -ée rule it would be the name Anne
    "maniere": "maniere", "manieres": "maniere",  # manière: by the -ière rule, the verb manier
    "marcher": "marcher",  # folded, marché (market) is marche: the verb keeps its -er
    # the prepositions entre and contre are also the folded entré and contré: the verb and
    # the noun in -ée keep their own stem, or every "entre" would find "entrer"
    "entrer": "entrer", "entree": "entree", "entrees": "entree",
    "contrer": "contrer", "contree": "contree", "contrees": "contree",
    # training, not the act of forming: by the -ation rule it would be forme (shape)
    "formation": "formation", "formations": "formation",
}

# Adverbs made on a feminine adjective whose ending says so are the adjective
# (publiquement -> publique -> public). Other -ement words are mostly nouns made on a verb
# (département, parlement, gouvernement): derivations, left alone.
_ADVERBS = ("ablement", "iblement", "ellement", "ivement", "iquement", "alement", "erement")

# Forms of -ir verbs besides the infinitive: (ending, minimum letters before it). They meet
# the participle in -i (établissant, établissement -> etabli, as établi, établis, établir).
# Four letters before -issant keep puissant and croissant away from puis and croix (and so
# finissant away from fini: a short stem pays for them).
_IR_FORMS = (("issante", 4), ("issant", 4), ("issement", 4))

# Feminine and adjectival endings, tried in order on the singular: (ending, replacement,
# minimum word length). The length guards keep short words (mère, porte, crise) whole.
_FEMININE = (
    ("euse", "eu", 6),     # heureuse -> heureu (= heureux), vendeuse -> vendeu (= vendeur)
    ("trice", "teur", 7),  # actrice -> acteur
    ("ienne", "ien", 6),   # citoyenne -> citoyen
    ("enne", "en", 6),     # européenne -> europeen
    ("elle", "el", 6),     # naturelle -> naturel
    ("onne", "on", 6),     # bonne -> bon
    ("ette", "et", 6),     # muette -> muet
    ("ique", "ic", 6),     # publique -> public, numérique -> numeric (not numero)
    ("ive", "if", 4),      # active -> actif, vive -> vif
    ("rosse", "ro", 6),    # grosse -> gro (= gros)
    ("aise", "ai", 7),     # française -> francai (= français)
    ("oise", "oi", 7),     # chinoise -> chinoi (= chinois)
    # feminines of the -is participles and adjectives: admise, comprise, acquise, précise,
    # assise -> admi (= admis). Not -ose (proposé is not propos) nor -ise in general
    # (église, devise, franchise).
    ("mise", "mi", 6), ("prise", "pri", 6), ("quise", "qui", 6), ("cise", "ci", 6),
    ("sise", "si", 6),
)
# All the endings at once: one C-level test rules most words out before the loop (the
# stemmer runs once per distinct word, but a first index build meets many).
_FEMININE_ENDINGS = tuple(ending for ending, _, _ in _FEMININE)
_IR_ENDINGS = tuple(ending for ending, _ in _IR_FORMS)


def _plural(word: str) -> str:
    if word.endswith("eaux"):
        return word[:-1]  # réseaux -> reseau
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"  # journaux -> journal
    if word.endswith("vers"):
        return word  # univers, revers, travers, divers: not plurals (revers is not rêver)
    if word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def _short(word: str) -> str:
    """Words of three letters or fewer: only ``ans`` -> ``an`` (and ``uns``); any other
    final letter of so short a word is too often the word itself (bas, cas, bus, vue)."""
    if len(word) == 3 and word.endswith("ns"):
        return word[:-1]
    return word


def _adverb(word: str) -> str:
    if len(word) >= 9 and word.endswith(_ADVERBS):
        return word[:-4]
    return word


def _ir_verb(word: str) -> str | None:
    """The -i participle of a form of an -ir verb, or None."""
    if word.endswith(_IR_ENDINGS):
        for ending, before in _IR_FORMS:
            if word.endswith(ending) and len(word) - len(ending) >= before:
                return word[: -len(ending)] + "i"
    # finir -> fini, agir -> agi; not -oir (voir, espoir) nor -air (clair, chair)
    if len(word) >= 4 and word.endswith("ir") and word[-3] not in "ao":
        return word[:-1]
    return None


def _action(word: str) -> str:
    """A noun of action in -ation meets its verb: consommation -> consomme (as consommé).

    Not after r: génération, opération, administration name a result or an institution as
    often as an action, and Lucene's reference keeps them from the verb too (docs/analysis.md).
    Four letters before -ation keep nation, station and relation whole.
    """
    if len(word) >= 9 and word.endswith("ation") and word[-6] != "r":
        return word[:-5] + "e"
    return word


def _er_verb(word: str) -> str:
    """The forms of an -er verb meet on the -e form: présenter, présentée -> presente
    (= présente, présenté), then as any word in -e."""
    if word.endswith("ee"):
        return word[:-1]  # donnée -> donne
    if len(word) >= 5 and word.endswith(("iere", "gere", "chere", "mere")):
        word = word[:-3] + "er"  # première -> premier, légère -> leger, amère -> amer
    # From six letters: five-letter words in -er are nouns as often as verbs (hiver, enfer,
    # foyer, laser), and measured against Lucene's reference their merges (aimer/aime) were
    # all extra ones. Not -ier: premier, ouvrier, sentier, papier are nouns and adjectives as
    # often as étudier is a verb, and their -ie form is another word (sentie).
    if len(word) >= 6 and word.endswith("er") and not word.endswith("ier"):
        return word[:-1]
    return word


def _feminine(word: str) -> str:
    if word.endswith(_FEMININE_ENDINGS):
        for ending, replacement, minimum in _FEMININE:
            if len(word) >= minimum and word.endswith(ending):
                return word[: -len(ending)] + replacement
    # A final e goes on words of six letters or more (grande -> grand); short words (porte,
    # ville) keep it. Not after c (France is not franc, indice not indiqué) nor in -ie
    # (économie is not économise, partie not parti).
    if len(word) > 5 and word[-1] == "e" and word[-2] != "c" and not word.endswith("ie"):
        return word[:-1]
    return word


def _agent(word: str) -> str:
    # vendeur -> vendeu, as vendeuse; acteur (actrice -> acteur) -> acteu
    if len(word) >= 6 and word.endswith("eur"):
        return word[:-1]
    return word


def french_light_stem(word: str) -> str:
    """A light stem of a lowercased, accent-folded French word.

    In order: the plural (``-s``, ``-x``, ``-aux`` -> ``-al``, ``-eaux`` -> ``-eau``); adverbs
    on a feminine adjective (``publiquement`` -> ``publique``); the forms of ``-ir`` verbs
    (``finir``, ``finissant`` -> ``fini``) or else nouns in ``-ation`` (-> the verb's ``-e``
    form) and the forms of ``-er`` verbs (``-er``, ``-ée`` -> ``-e``); one feminine ending
    (``-euse``, ``-trice``, ``-enne``, ``-elle``, ``-ique``, ``-ive``, ``-aise``, ``-ise``...)
    or a final ``-e`` on words of six letters or more; ``-eur`` -> ``-eu``. Other derivations
    (``-ement`` nouns, ``-ité``, ``-iste``) stay. Words of three letters or fewer are left
    alone but for ``ans`` -> ``an``; words with digits are left alone.
    """
    if not word.isalpha():
        return word
    known = _EXCEPTIONS.get(word)
    if known is not None:
        return known
    if len(word) <= 3:
        return _short(word)
    word = _plural(word)
    if len(word) <= 3:
        return word  # vifs -> vif, rois -> roi
    word = _adverb(word)
    participle = _ir_verb(word)
    if participle is not None:
        return participle
    word = _er_verb(_action(word))
    return _agent(_feminine(word))
