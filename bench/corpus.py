"""A seeded corpus for the whole pipeline: French articles as HTML pages, with excerpts of them.

Each bookmark is one article: a title, a site, an author, a date, 6 to 30 paragraphs of French
sentences (the vocabulary of :mod:`bench.synth`, plus sentences written here), rendered as an
HTML page with a menu, a byline and a footer around the ``<article>`` for the extractor to
throw away. Its excerpts are spans of 1 to 3 sentences of the article, altered the way real
highlights are (the categories of the align issue): ``unaltered``, ``typographic`` (straight
and curly quotes swapped), ``whitespace`` (non-breaking spaces, line breaks, double spaces),
``edited`` (a word changed or dropped), ``truncated`` (cut mid-word at either end) and
``elided`` (a middle part replaced by ``[…]``).

Tags, annotators and sites follow a Zipf law (a few are everywhere, most are rare); the number
of excerpts per bookmark too (1 to 20, about 9 on average). Bookmark ``k`` depends only on
``(seed, k)``, so an article can be regenerated alone (the pages are written after the import,
from the same generator, without holding the corpus in memory).

    from bench.corpus import write_export, write_pages
    n = write_export(Path("export.jsonl"), n_excerpts=10_000, seed=7)
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexer import synth

ALTERATIONS = {  # category -> share of the excerpts
    "unaltered": 0.50, "typographic": 0.12, "whitespace": 0.12, "edited": 0.10,
    "truncated": 0.08, "elided": 0.08,
}
EXTRA_ANNOTATORS = [
    "Camille Roux", "Paul Lefebvre", "Inès Haddad", "Yann Le Gall", "Chloé Martin",
    "Karim Benali", "Anaïs Moreau", "Pierre-Yves Colin", "Zoé Lambert", "Bruno Girard",
    "Margaux Petit", "Samuel Ohana", "Noémie Faure", "Victor Blanchard", "Maëlle Guérin",
    "Hugo Mercier", "Salomé Roy", "Théo Barbier", "Lucie Arnaud", "Olivier Dumas",
]
AUTHORS = [
    "Marie Dupont", "Jean-Luc Bernard", "Sylvie Morel", "Antoine Leroy", "Fatou Diallo",
    "Guillaume Renaud", "Isabelle Chevalier", "Rémi Fontaine", "Laure Masson", "David Cohen",
    "Céline Vidal", "Marc Aubert", "Nadia Belkacem", "Benoît Lacroix", "Agnès Perrin",
]
EXTRA = [  # sentences written for this generator: more words than synth's templates
    "Le conseil municipal a voté, à une courte majorité, un budget de {n} millions d’euros.",
    "Les associations d’éducation populaire réclament des moyens pérennes plutôt que des appels à projets.",
    "Dans les quartiers prioritaires, un habitant sur {n} n’a pas d’accès à Internet chez lui.",
    "« Nous avons voulu reprendre la main sur nos outils », explique une bénévole de l’association.",
    "Le texte, examiné en commission le {n} mars, prévoit une expérimentation de trois ans.",
    "Les syndicats de livreurs dénoncent des algorithmes opaques qui fixent la rémunération à la course.",
    "La mutualisation des serveurs entre collectivités permettrait d’économiser {n} % d’énergie.",
    "Une enquête menée auprès de {n} structures montre que la moitié manque de compétences techniques.",
    "Les fournisseurs d’accès ont été sommés de publier leurs données de couverture avant l’été.",
    "Le tribunal administratif a suspendu l’arrêté préfectoral autorisant les drones de surveillance.",
    "Faute de maintenance, les bornes interactives installées en {n} sont aujourd’hui hors service.",
    "Les bibliothèques deviennent des lieux d’accompagnement aux démarches administratives en ligne.",
    "À Grenoble, un réseau de chaleur récupère l’énergie fatale d’un centre de calcul universitaire.",
    "Le logiciel, publié sous licence libre, a été adopté par une vingtaine de communes rurales.",
    "Les chercheurs s’inquiètent d’un glissement de la recherche publique vers des partenariats privés.",
    "La coopérative compte désormais {n} sociétaires, dont des salariés, des usagers et des collectivités.",
    "Le règlement européen impose aux très grandes plateformes un audit annuel de leurs risques systémiques.",
    "Les élèves ont appris à démonter un ordinateur, puis à installer un système d’exploitation libre.",
    "Un hackathon organisé à Nantes a réuni développeurs, designers et agents de la métropole.",
    "La facture d’électricité du centre de données a doublé en deux ans, selon l’opérateur.",
]
MENU = "Accueil · Économie · Société · Numérique · Environnement · Culture · Idées · Abonnez-vous"


def zipf_choice(rng: random.Random, items: list, s: float = 1.1):
    """One of ``items``, the k-th with weight 1/k**s (the first is the most frequent)."""
    weights = _zipf_weights(len(items), s)
    return items[rng.choices(range(len(items)), cum_weights=weights)[0]]


_WEIGHTS: dict[tuple[int, float], list[float]] = {}


def _zipf_weights(n: int, s: float) -> list[float]:
    key = (n, s)
    if key not in _WEIGHTS:
        total, cum = 0.0, []
        for k in range(1, n + 1):
            total += 1 / k**s
            cum.append(total)
        _WEIGHTS[key] = cum
    return _WEIGHTS[key]


@dataclass
class Excerpt:
    text: str
    category: str
    start: int  # span of the unaltered original in the article's plain text
    end: int


@dataclass
class Article:
    """One bookmark with its article and excerpts (``number`` counts from 1)."""

    number: int
    url: str
    title: str
    site: str
    author: str
    annotator: str
    tags: list[str]
    created_at: str
    published: str
    description: str
    paragraphs: list[str]
    excerpts: list[Excerpt] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def record(self) -> dict:
        """The bookmark as one line of our native JSONL export."""
        return {
            "url": self.url, "title": self.title, "annotator": self.annotator,
            "group": "bench", "site": self.site, "tags": self.tags,
            "description": self.description, "created_at": self.created_at,
            "excerpts": [e.text for e in self.excerpts],
        }

    def html(self) -> bytes:
        """The page as a site would serve it: chrome around an ``<article>``."""
        esc = html.escape
        body = "\n".join(f"<p>{esc(p)}</p>" for p in self.paragraphs)
        page = (
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(self.title)} | {esc(self.site)}</title>"
            f"<meta name=\"author\" content=\"{esc(self.author)}\">"
            f"<meta property=\"og:site_name\" content=\"{esc(self.site)}\">"
            f"<meta property=\"article:published_time\" content=\"{self.published}\">"
            f"<link rel=\"canonical\" href=\"{esc(self.url)}\"></head><body>"
            f"<header><nav>{esc(MENU)}</nav></header><main><article>"
            f"<h1>{esc(self.title)}</h1><p class=\"byline\">Par {esc(self.author)}, "
            f"le {self.published[:10]}</p>\n{body}\n</article>"
            "<aside><h2>À lire aussi</h2><ul><li>Les communs numériques, une utopie ?</li>"
            "<li>Data centers : la facture cachée</li></ul></aside></main>"
            f"<footer>© {esc(self.site)} — Mentions légales — Contact</footer></body></html>"
        )
        return page.encode("utf-8")


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(EXTRA).replace("{n}", str(rng.randint(2, 480)))
    return synth.sentence(rng).replace("'", "’")  # articles use typographic apostrophes


def _paragraphs(rng: random.Random, number: int) -> list[str]:
    count = rng.randint(6, 30)
    paras = [" ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) for _ in range(count)]
    paras[rng.randrange(count)] += f" (réf. {number}-{rng.randint(100, 999)})"  # a rare token
    return paras


def article(seed: int, number: int) -> Article:
    """Bookmark ``number`` of the corpus of ``seed``, with its article and excerpts."""
    rng = random.Random(f"{seed}:{number}")
    annotators = synth.ANNOTATORS + EXTRA_ANNOTATORS
    day = f"{rng.randint(2012, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    subject = rng.choice(synth.OBJECTS)
    tags = sorted({zipf_choice(rng, synth.TAGS) for _ in range(rng.randint(1, 5))})
    paragraphs = _paragraphs(rng, number)
    art = Article(
        number=number,
        url=f"https://bench.example/{seed}/{number}",
        title=f"{rng.choice(synth.TITLE_PARTS)} : {subject[0].upper()}{subject[1:]} ({number})",
        site=zipf_choice(rng, synth.SITES, 0.9),
        author=rng.choice(AUTHORS),
        annotator=zipf_choice(rng, annotators),
        tags=tags,
        created_at=f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00",
        published=f"{day}T08:00:00+00:00",
        description=synth.excerpt_text(rng) if rng.random() < 0.3 else "",
        paragraphs=paragraphs,
    )
    count = min(20, max(1, round(rng.lognormvariate(1.9, 0.7))))  # skewed, mean ~8
    text = art.text
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    art.excerpts = [_excerpt(rng, text, starts) for _ in range(count)]
    return art


def articles(n_excerpts: int, seed: int = 7) -> Iterator[Article]:
    """Articles carrying ``n_excerpts`` excerpts in all (the last one trimmed to fit)."""
    made, number = 0, 0
    while made < n_excerpts:
        number += 1
        art = article(seed, number)
        art.excerpts = art.excerpts[: n_excerpts - made]
        made += len(art.excerpts)
        yield art


# -- excerpts and their alterations ----------------------------------------------------------


_SENTENCE_END = re.compile(r"[.?!»][ \n]")


def _excerpt(rng: random.Random, text: str, starts: list[int]) -> Excerpt:
    i = rng.randrange(len(starts))
    start = starts[i]
    end_sentence = min(len(starts) - 1, i + rng.randint(1, 3))
    end = starts[end_sentence] - 1 if end_sentence > i else len(text)
    end = text.find("\n", start, end) if "\n" in text[start:end] and rng.random() < 0.5 else end
    span = text[start:end].strip()
    category = rng.choices(list(ALTERATIONS), weights=list(ALTERATIONS.values()))[0]
    altered = ALTER[category](rng, span)
    if altered == span or len(altered) < 30:
        category, altered = "unaltered", span
    return Excerpt(altered, category, start, start + len(span))


def _typographic(rng, s: str) -> str:
    s = s.replace("’", "'").replace("« ", '"').replace(" »", '"')
    return s.replace("...", "…")


def _whitespace(rng, s: str) -> str:
    words = s.split(" ")
    joins = [rng.choice([" ", " ", "\u00a0", "\n", "  "]) for _ in words[1:]]
    return words[0] + "".join(j + w for j, w in zip(joins, words[1:]))


def _edited(rng, s: str) -> str:
    words = s.split(" ")
    for _ in range(max(1, len(words) // 25)):
        k = rng.randrange(len(words))
        if rng.random() < 0.5 and len(words) > 5:
            del words[k]
        else:
            words[k] = rng.choice(["aussi", "très", "notamment", "encore", words[k][::-1]])
    return " ".join(words)


def _truncated(rng, s: str) -> str:
    cut_start = rng.randint(2, 12) if rng.random() < 0.6 else 0
    cut_end = rng.randint(2, 12) if cut_start == 0 or rng.random() < 0.4 else 0
    return s[cut_start : len(s) - cut_end] + ("..." if rng.random() < 0.5 else "")


def _elided(rng, s: str) -> str:
    if len(s) < 120:
        return s
    a = rng.randint(len(s) // 4, len(s) // 2)
    b = rng.randint(a + 15, a + 15 + len(s) // 4)
    return s[:a].rstrip() + rng.choice([" […] ", " (...) "]) + s[b:].lstrip()


ALTER = {
    "unaltered": lambda rng, s: s, "typographic": _typographic, "whitespace": _whitespace,
    "edited": _edited, "truncated": _truncated, "elided": _elided,
}


# -- writing ----------------------------------------------------------------------------------


def write_export(path: Path, n_excerpts: int, seed: int = 7) -> int:
    """Write the corpus as a native JSONL export (streamed); returns the number of bookmarks."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"format": "indexer/1"}) + "\n")
        for art in articles(n_excerpts, seed):
            out.write(json.dumps(art.record(), ensure_ascii=False) + "\n")
            count += 1
    return count


def write_pages(store, cache, n_excerpts: int, seed: int = 7, batch: int = 500) -> int:
    """Put every article's HTML page in ``cache`` with a ``fetches`` row of origin ``local``.

    Stands for the fetch stage (see :mod:`indexer.localpages`); the bookmarks must have been
    imported first. Returns the number of pages written.
    """
    from indexer.localpages import record_local_page
    from indexer.records import BookmarkRecord
    from indexer.store import bookmark_id

    rows: list[tuple[str, str, str, int]] = []
    count = 0

    def flush() -> None:
        with store.transaction() as conn:
            for bid, sha, url, size in rows:
                record_local_page(conn, bid, sha, url=url, size=size, charset="utf-8",
                                  fetched_at="2024-01-01T00:00:00+00:00")
        rows.clear()

    for art in articles(n_excerpts, seed):
        body = art.html()
        bid = bookmark_id(BookmarkRecord(title=art.title, url=art.url))
        rows.append((bid, cache.put(body), art.url, len(body)))
        count += 1
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return count


if __name__ == "__main__":  # a look at one article and its excerpts
    a = article(7, 1)
    print(a.title, a.tags, a.annotator, len(a.text.split()), "words")
    for e in a.excerpts:
        print(f"- [{e.category}] {e.text[:100]!r}")
