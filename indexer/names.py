"""Authors' names as bibliographies want them: family and given names, French particles.

The extractor gives a byline as one string (``"Raphaël Balenieri; Frédéric Autran"``,
``"Par Stefan Häne"``, ``"Le Monde; Bertrand Bissuel"``). :func:`parse_names` splits it into
:class:`Name` records. The rules, those of French cataloguing (and of Zotero's CSL processor,
which reads particles the same way):

* ``de`` and ``d'`` are *dropping* particles: ``Jean de La Fontaine`` is filed under
  ``La Fontaine, Jean de``, ``Charles d'Orléans`` under ``Orléans, Charles d'``;
* ``du`` and ``des`` (contracted articles) stay with the name: ``Marie du Bois`` is filed
  under ``du Bois, Marie`` (a *non-dropping* particle);
* a capitalised article after the given name starts the family name: ``Loïc Le Clerc`` is
  ``Le Clerc, Loïc``;
* a byline that is one word, starts with an article (``Le Monde``, ``The Wall Street
  Journal``), or names the site itself (``Lefigaro Fr`` on lefigaro.fr) is an organisation,
  kept whole as a ``literal`` name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["Name", "parse_name", "parse_names"]

DROPPING = ("de", "d'")
NON_DROPPING = ("du", "des", "van", "von", "van der", "von der", "da", "di", "del")
# Words that open a byline without being part of the name.
BYLINE = re.compile(r"^(?:(?:propos\s+)?recueillis?\s+par|par|by|auteur|author)\s+", re.IGNORECASE)
ARTICLES = ("le", "la", "les", "l'", "the", "un", "une")
APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'"})


@dataclass(frozen=True)
class Name:
    """One author: a person's parts, or an organisation's whole name (``literal``)."""

    family: str = ""
    given: str = ""
    particle: str = ""  # "de", "d'", "du"...: written before the family name
    dropping: bool = True  # filed without the particle ("La Fontaine, Jean de")
    literal: str = ""

    @property
    def joined_family(self) -> str:
        """The family name with its particle, as written (``de La Fontaine``, ``d'Orléans``)."""
        if not self.particle:
            return self.family
        glue = "" if self.particle[-1] in "'’ʼ" else " "
        return f"{self.particle}{glue}{self.family}"

    def csl(self) -> dict[str, str]:
        """The CSL-JSON name object."""
        if self.literal:
            return {"literal": self.literal}
        out = {"family": self.family, "given": self.given}
        if self.particle:
            out["dropping-particle" if self.dropping else "non-dropping-particle"] = self.particle
        return {k: v for k, v in out.items() if v}

    def inverted(self) -> str:
        """``Family, Given particle`` (RIS, Zotero): the particle goes where it is filed."""
        if self.literal:
            return self.literal
        if self.dropping:
            given = f"{self.given} {self.particle}".strip()
            return f"{self.family}, {given}" if given else self.family
        return f"{self.joined_family}, {self.given}" if self.given else self.joined_family


def parse_names(byline: str | None, site: str | None = None, url: str | None = None
                ) -> list[Name]:
    """The authors of a byline (names separated by ``;``). ``site`` and ``url`` tell an
    organisation signing with its own name from a person."""
    if not byline:
        return []
    names = (parse_name(part, site, url) for part in byline.split(";"))
    return [n for n in names if n.family or n.literal]


def parse_name(text: str, site: str | None = None, url: str | None = None) -> Name:
    """One author's name (see the module's rules)."""
    text = BYLINE.sub("", " ".join(text.split())).strip(" ,")
    words = text.split()
    if not words:
        return Name()
    if _organisation(words, site, url):
        return Name(literal=text)
    for i in range(1, len(words)):
        found = _particle(words, i)
        if found is not None:
            particle, family = found
            return Name(family=" ".join(family), given=" ".join(words[:i]), particle=particle,
                        dropping=particle.translate(APOSTROPHES) in DROPPING)
        if words[i].translate(APOSTROPHES).lower() in ARTICLES and words[i][0].isupper():
            return Name(family=" ".join(words[i:]), given=" ".join(words[:i]))
    return Name(family=words[-1], given=" ".join(words[:-1]))


def _particle(words: list[str], i: int) -> tuple[str, list[str]] | None:
    """(particle, family words) when a lower-case particle starts at ``words[i]``."""
    word = words[i].translate(APOSTROPHES)
    if word.startswith("d'") and len(word) > 2 and word[2].isupper():  # d'Orléans
        return words[i][:2], [words[i][2:]] + words[i + 1:]  # its own apostrophe kept
    for size in (2, 1):  # "van der" before "van"
        candidate = " ".join(words[i:i + size])
        if candidate in DROPPING + NON_DROPPING and i + size < len(words):
            return candidate, words[i + size:]
    return None


def _organisation(words: list[str], site: str | None, url: str | None) -> bool:
    if len(words) == 1:
        return True
    if words[0].translate(APOSTROPHES).lower() in ARTICLES or words[0].lower().startswith("l'"):
        return True
    name = _compact(" ".join(words))
    host = urlsplit(url).hostname if url else None  # the host only: a slug may name the author
    return any(name in _compact(other) or _compact(other) in name
               for other in (site, host) if other and len(_compact(other)) > 3)


def _compact(text: str | None) -> str:
    """Letters and digits only, accents folded, lower case: ``Le Figaro`` -> ``lefigaro``."""
    folded = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in folded.lower() if c.isalnum() and c.isascii())
