"""French-aware text analysis, composed the Whoosh way: a tokenizer, then small filters with ``|``.

The French chain reads, in order::

    WordTokenizer | ElisionFilter | HyphenFilter | FoldFilter | StopFilter(fr) | StemFilter

* ``WordTokenizer`` keeps hyphenated words (``data-centers``) and elided forms (``l’État``)
  together so that the filters after it can decide what to do with them.
* ``ElisionFilter`` strips ``l' m' t' qu' n' s' j' d' c' jusqu' quoiqu' lorsqu' puisqu'``
  written with any of the apostrophes ``'`` ``’`` ``ʼ``.
* ``HyphenFilter`` indexes ``data-centers`` as ``data``, ``centers`` and ``datacenters``;
  a query keeps only the parts, so ``data center``, ``datacenter`` and ``data-centers`` all find it.
  A one-letter first part (``e-mail``, ``t-shirt``) makes one word: ``email``.
* ``FoldFilter`` lowercases and folds accents and ligatures (``œ`` -> ``oe``) *before* stemming,
  so that ``etat`` and ``État``, ``coeur`` and ``cœur`` reach the stemmer as the same string.
* ``StopFilter`` drops the Snowball French stop list (folded, like the tokens).
* ``StemFilter`` stems with a named stemmer and caches each term's stem.

Every class lives at module level and pickles: Whoosh stores analyzers inside the index schema.
Documents of undetermined language are analysed by folding only (no stop list, no stemming).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable

from whoosh.analysis import (
    Analyzer,
    Filter,
    LanguageAnalyzer,
    RegexTokenizer,
)

__all__ = [
    "CANDIDATES",
    "ElisionFilter",
    "FoldFilter",
    "HyphenFilter",
    "StemFilter",
    "WordTokenizer",
    "analyze",
    "analyzer_for",
    "english_analyzer",
    "exact_analyzer",
    "fold",
    "folding_analyzer",
    "french_analyzer",
    "matches",
]

# Words: letters/digits, joined by hyphens or apostrophes (straight, typographic, modifier).
WORD_PATTERN = r"\w+(?:[-'’ʼ]\w+)*"
APOSTROPHES = "'’ʼ"
ELISIONS = ("l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu")

# Ligatures and letters that Unicode decomposition does not split.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l",
                            "ı": "i", "ŀ": "l", "’": "'", "ʼ": "'"})


def fold(text: str) -> str:
    """Lowercase ``text`` and fold accents and ligatures: ``"L’Œuvre Été"`` -> ``"l'oeuvre ete"``.

    Typographic apostrophes become ``'``.
    """
    text = text.lower()
    if text.isascii():
        return text
    text = text.translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


FRENCH_STOPS = frozenset(fold(w) for w in (
    # The Snowball French stop list (as shipped in whoosh.lang), folded like the tokens.
    "ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions "
    "aurons auront aux avaient avais avait avec avez aviez avions avons ayant ayante ayantes "
    "ayants ayez ayons c ce ces d dans de des du elle en es est et eu eue eues eurent eus eusse "
    "eussent eusses eussiez eussions eut eux eûmes eût eûtes furent fus fusse fussent fusses "
    "fussiez fussions fut fûmes fût fûtes il j je l la le leur lui m ma mais me mes moi mon "
    "même n ne nos notre nous on ont ou par pas pour qu que qui s sa se sera serai seraient "
    "serais serait seras serez seriez serions serons seront ses soient sois soit sommes son "
    "sont soyez soyons suis sur t ta te tes toi ton tu un une vos votre vous y à étaient étais "
    "était étant étante étantes étants étiez étions été étée étées étés êtes"
    # Whoosh's copy lacks these two, which Snowball's and Lucene's French lists carry.
    " les ils"
).split())

ENGLISH_STOPS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)  # Lucene's English stop set: short, so that few meaningful words vanish.


class WordTokenizer(RegexTokenizer):
    """Words with their inner hyphens and apostrophes: ``l’État``, ``data-centers`` stay whole."""

    def __init__(self, expression: str = WORD_PATTERN):
        super().__init__(expression)


class ElisionFilter(Filter):
    """Strips elided articles and pronouns: ``l’État`` -> ``État``, ``QU'il`` -> ``il``."""

    def __init__(self, articles: tuple[str, ...] = ELISIONS):
        self.articles = tuple(articles)

    def __eq__(self, other):
        return type(other) is type(self) and other.articles == self.articles

    def __getstate__(self):
        return {"articles": self.articles}

    def __setstate__(self, state):
        self.articles = state["articles"]

    @property
    def _prefix(self) -> re.Pattern:
        # Longest first so that "jusqu'" wins over nothing; compiled once per instance.
        pattern = self.__dict__.get("_re")
        if pattern is None:
            alts = "|".join(sorted(self.articles, key=len, reverse=True))
            pattern = re.compile(rf"(?:{alts})[{APOSTROPHES}](?=\w)", re.IGNORECASE)
            self.__dict__["_re"] = pattern
        return pattern

    def __call__(self, tokens):
        match = self._prefix.match
        for t in tokens:
            m = match(t.text)
            if m:
                cut = m.end()
                t.text = t.text[cut:]
                if t.chars:
                    t.startchar += cut
            yield t


class HyphenFilter(Filter):
    """Splits hyphenated words, and joins them too at index time.

    Index: ``data-centers`` -> ``data`` ``centers`` (consecutive positions) plus ``datacenters``
    at the position of ``data``. Query: the parts only, so ``data center``, ``datacenter`` and
    ``data-centers`` all find the document. A one-letter first part (``e-mail``, ``t-shirt``)
    makes one word (``email``) in both modes. Inner apostrophes that are not elisions join
    (``aujourd’hui`` -> ``aujourdhui``). Later tokens are renumbered after each split.
    """

    def __init__(self, join: bool = True):
        self.join = join

    def __call__(self, tokens):
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            text = t.text
            if "-" not in text:
                if "'" in text or "’" in text or "ʼ" in text:
                    t.text = _strip_apostrophes(text)
                yield t
                continue
            parts = [(m.start(), _strip_apostrophes(m.group())) for m in _PART.finditer(text)]
            if len(parts) == 1 or (len(parts[0][1]) == 1 and parts[0][1].isalpha()):
                t.text = "".join(p for _, p in parts)
                yield t
                continue
            yield from self._split(t, text, parts)
            shift += len(parts) - 1

    def _split(self, t, text, parts):
        base = t.pos if t.positions else 0
        start = t.startchar if t.chars else 0
        joined = None
        if self.join and t.mode != "query" and not all(p.isdigit() for _, p in parts):
            joined = "".join(p for _, p in parts)
        for i, (offset, part) in enumerate(parts):
            t.text, t.stopped, t.boost = part, False, 1.0
            if t.positions:
                t.pos = base + i
            if t.chars:
                t.startchar = start + offset
                t.endchar = start + offset + len(part)
            yield t
            if i == 0 and joined:
                t.text, t.stopped, t.boost = joined, False, 1.0
                if t.positions:
                    t.pos = base
                if t.chars:
                    t.startchar, t.endchar = start, start + len(text)
                yield t


_PART = re.compile(r"[^-]+")
_APOS = re.compile(f"[{APOSTROPHES}]")


def _strip_apostrophes(text: str) -> str:
    return _APOS.sub("", text)


class FoldFilter(Filter):
    """Lowercases and folds accents and ligatures (see :func:`fold`), with a per-term cache."""

    def __init__(self, cachesize: int = 100_000):
        self.cachesize = cachesize

    def __eq__(self, other):
        return type(other) is type(self)

    def __getstate__(self):
        return {"cachesize": self.cachesize}

    def __setstate__(self, state):
        self.cachesize = state["cachesize"]

    def __call__(self, tokens):
        cache = self.__dict__.setdefault("_cache", {})
        limit = self.cachesize
        for t in tokens:
            text = t.text
            folded = cache.get(text)
            if folded is None:
                folded = fold(text)
                if len(cache) >= limit:
                    cache.clear()
                cache[text] = folded
            t.text = folded
            yield t


class StopWordFilter(Filter):
    """Drops stop words and words shorter than ``minsize``, renumbering positions.

    Unlike Whoosh's StopFilter, tokens that share a position (a hyphenated word and its joined
    form) keep sharing it after renumbering.
    """

    def __init__(self, stoplist=FRENCH_STOPS, minsize: int = 2):
        self.stops = frozenset(stoplist)
        self.minsize = minsize

    def __call__(self, tokens):
        stops, minsize = self.stops, self.minsize
        last_in = last_out = None
        for t in tokens:
            text = t.text
            if len(text) < minsize or text in stops:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                if last_in is not None and t.pos == last_in:
                    t.pos = last_out
                else:
                    last_in = t.pos
                    last_out = t.pos if last_out is None else last_out + 1
                    t.pos = last_out
            t.stopped = False
            yield t


class StemFilter(Filter):
    """Stems with a stemmer named in :data:`indexer.stemmers.STEMMERS`, caching each term.

    Only the stemmer's name is pickled; the function and cache are rebuilt on load.
    """

    is_morph = True

    def __init__(self, stemmer: str = "light-fr", cachesize: int = 200_000):
        self.stemmer = stemmer
        self.cachesize = cachesize

    def __eq__(self, other):
        return type(other) is type(self) and other.stemmer == self.stemmer

    def __getstate__(self):
        return {"stemmer": self.stemmer, "cachesize": self.cachesize}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __call__(self, tokens):
        from indexer.stemmers import get_stemmer

        cache = self.__dict__.setdefault("_cache", {})
        stem = self.__dict__.get("_stem") or self.__dict__.setdefault(
            "_stem", get_stemmer(self.stemmer))
        limit = self.cachesize
        for t in tokens:
            if not t.stopped:
                text = t.text
                stemmed = cache.get(text)
                if stemmed is None:
                    stemmed = stem(text)
                    if len(cache) >= limit:
                        cache.clear()
                    cache[text] = stemmed
                t.text = stemmed
            yield t


# --- chains -------------------------------------------------------------------------------


def _front() -> Analyzer:
    """Tokenize, strip elisions, split/join hyphens, lowercase and fold."""
    return WordTokenizer() | ElisionFilter() | HyphenFilter() | FoldFilter()


def french_chain(stemmer: str) -> Analyzer:
    """The French chain with the given stemmer (``light-fr``, ``snowball-fr``, ``whoosh-fr``)."""
    return _front() | StopWordFilter(FRENCH_STOPS) | StemFilter(stemmer)


FRENCH_STEMMER = "light-fr"  # chosen on the pair table: see docs/analysis.md


def french_analyzer() -> Analyzer:
    """The chosen French chain: elision, hyphens, folding, Snowball stop list, light stemmer."""
    return french_chain(FRENCH_STEMMER)


def english_analyzer() -> Analyzer:
    """English: the same front, Lucene's English stop set, PyStemmer's English Snowball."""
    return _front() | StopWordFilter(ENGLISH_STOPS) | StemFilter("snowball-en")


def folding_analyzer() -> Analyzer:
    """Other languages: words folded and lowercased, no stop list, no stemming."""
    return _front() | StopWordFilter(frozenset(), minsize=1)


def exact_analyzer() -> Analyzer:
    """The unstemmed field for quoted phrases: folded, elided, lowercase, stop words kept."""
    return _front() | StopWordFilter(frozenset(), minsize=1)


def whoosh_baseline() -> Analyzer:
    """Whoosh's own ``LanguageAnalyzer("fr")``: the baseline in docs/analysis.md."""
    return LanguageAnalyzer("fr")


CANDIDATES: dict[str, Callable[[], Analyzer]] = {
    "light+fold (chosen)": lambda: french_chain("light-fr"),
    "pystemmer-snowball+fold": lambda: french_chain("snowball-fr"),
    "whoosh-snowball+fold": lambda: french_chain("whoosh-fr"),
    "fold, no stemmer": lambda: _front() | StopWordFilter(FRENCH_STOPS),
    "whoosh LanguageAnalyzer(fr)": whoosh_baseline,
}


def analyzer_for(lang: str | None) -> Analyzer:
    """The chain for a document language (ISO 639-1 like ``fr``, ``en-GB``).

    French gets the French chain; English the English chain; any other language, and a
    missing or undetermined one (``und``), the folding-only chain: the rule the index applies
    (:func:`chain_language`).
    """
    chain = chain_language(lang)
    if chain == "fr":
        return french_analyzer()
    if chain == "en":
        return english_analyzer()
    return folding_analyzer()


# A document whose language nobody could tell (no article, too few words of its own) is
# undetermined: counted as `und` and analysed by folding only, never taken for French.
DEFAULT_LANGUAGE = "und"
# Bump with any change of what a chain gives a word (a stemmer's rules, a stop list): it is
# part of every index document's hash, so the next `indexer index` rewrites them all.
ANALYSIS_VERSION = 2  # 2: the light-fr rules measured against Lucene (issue 14)


def facet_language(lang: str | None) -> str:
    """The language code a document is counted under: ``en-GB`` -> ``en``; none -> ``und``."""
    return (lang or DEFAULT_LANGUAGE).strip().split("-")[0].lower() or DEFAULT_LANGUAGE


def chain_language(lang: str | None) -> str:
    """Which chain analyses a document of language ``lang``: ``fr``, ``en`` or ``fold``."""
    code = facet_language(lang)
    return code if code in ("fr", "en") else "fold"


def analyze(text: str, lang: str | None = "fr", mode: str = "index") -> list[str]:
    """Token texts of ``text`` through :func:`analyzer_for` ``(lang)``; ``mode`` is
    ``"index"`` (hyphenated words also joined) or ``"query"`` (parts only)."""
    return [t.text for t in analyzer_for(lang)(text, mode=mode)]


def matches(analyzer: Analyzer, query: str, document: str) -> bool:
    """Whether ``query`` finds ``document`` under ``analyzer``, as the pair table defines it.

    Every token of the query (analysed in query mode) must be among the document's tokens
    (index mode), and the query must have at least one token (a query of stop words finds
    nothing). This mirrors an AND query over one field.
    """
    wanted = [t.text for t in analyzer(query, mode="query")]
    have = {t.text for t in analyzer(document, mode="index")}
    return bool(wanted) and all(w in have for w in wanted)
