"""A seeded synthetic French corpus, for the tests and the benchmarks: bookmarks with excerpts,
tags, annotators and dates.

The sentences are written for this generator (templates with slots) in the register of a
"veille" on digital policy, with accents, elisions, hyphenated words and plurals, so that
French analysis has real work to do. Same ``seed``, same corpus.

    from indexer.synth import populate
    populate(store, n_excerpts=10_000, seed=1)

:func:`records` yields :class:`~indexer.records.BookmarkRecord` values; :func:`populate` writes
them through the store's own import path.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

from indexer.records import BookmarkRecord, ExcerptRecord, ParseResult
from indexer.store import Store

TAGS = [
    "association", "numérique", "données", "vie privée", "surveillance", "logiciel libre",
    "communs", "plateformes", "gafam", "démocratie", "participation", "civic tech",
    "smart city", "territoires", "écologie", "sobriété", "data center", "énergie", "travail",
    "ubérisation", "économie collaborative", "coopératives", "éducation", "inclusion",
    "médiation numérique", "open data", "algorithmes", "intelligence artificielle", "santé",
    "régulation", "rgpd", "cnil", "europe", "collectivités", "services publics", "culture",
    "médias", "désinformation", "réseaux sociaux", "tiers-lieux", "fablab", "low-tech",
    "souveraineté", "cloud", "cybersécurité", "identité numérique", "économie sociale",
    "philanthropie", "bénévolat", "financement",
]
ANNOTATORS = [
    "Aurialie Jublin", "Thomas Ferrand", "Claire Lemaître", "Hélène Dubois", "Julien Marchal",
    "Sophie Garnier", "Nicolas Pérez", "Amélie Rousseau", "François Nguyen", "Léa Bonnet",
    "Mathieu Caron", "Élodie Fabre",
]
SITES = [
    "Le Monde.fr", "Libération", "Usbek & Rica", "Internet Actu", "La Quadrature du Net",
    "Mediapart", "Alternatives Economiques", "The Conversation", "Framablog", "Le Temps",
    "Rue89", "Next INpact", "Silicon.fr", "Socialter", "Reporterre", "France Culture",
    "Les Echos", "Korii", "AOC media", "Millénaire 3",
]
SUBJECTS = [
    "L'État", "La municipalité", "Le gouvernement", "Les associations", "Une coopérative",
    "La plateforme", "Le collectif", "Les géants du numérique", "L'ADEME", "La CNIL",
    "Les collectivités territoriales", "Une start-up", "Le ministère de l'Intérieur",
    "Les habitants", "Les chercheurs", "L'Union européenne", "Les data-centers",
    "Le rapport", "Les élus locaux", "Les bénévoles", "Un tiers-lieu", "Les travailleurs",
]
VERBS = [
    "finance", "encadre", "expérimente", "dénonce", "soutient", "documente", "mutualise",
    "accélère", "freine", "réglemente", "interroge", "transforme", "décentralise",
    "privatise", "rend visible", "met en lumière", "sous-estime", "redessine",
]
OBJECTS = [
    "l'ubérisation du travail", "la consommation énergétique des data centers",
    "les données personnelles des citoyens", "la gouvernance des communs numériques",
    "l'accès aux services publics", "la participation citoyenne", "les algorithmes de tri",
    "la sobriété numérique", "les infrastructures de télécommunication",
    "la vidéosurveillance algorithmique", "l'économie sociale et solidaire",
    "la médiation numérique", "les logiciels libres", "la souveraineté numérique",
    "les plateformes de livraison", "l'intelligence artificielle", "la fracture numérique",
    "les réseaux de chaleur", "l'open data", "les capteurs sonores", "l'e-mail professionnel",
    "les chauffeurs de VTC", "la modération des contenus", "l'identité numérique",
]
COMPLEMENTS = [
    "depuis plusieurs années", "sans véritable débat public", "à l'échelle d'un territoire",
    "au nom de l'innovation", "avec le concours de l'État", "dans un contexte de crise",
    "malgré les alertes répétées", "en France comme ailleurs", "pour des raisons de coût",
    "au détriment des populations locales", "grâce à des financements publics",
    "selon une étude approfondie", "dans la plus grande opacité", "au cœur des villes",
    "en s'appuyant sur des bénévoles", "à Saint-Étienne et à Lyon", "dans le Sud-Ouest",
]
CONNECTORS = [
    "Pourtant,", "En revanche,", "Par ailleurs,", "Autrement dit,", "Selon les auteurs,",
    "D'après l'enquête,", "Dans les faits,", "Pour résumer,", "À l'inverse,", "De fait,",
]
FIXED = [
    "Les questions énergétiques font également l'objet de propositions : sobriété, "
    "récupération de chaleur, décentralisation.",
    "Il existe aussi un frein technique qu'on ne voit pas toujours.",
    "Ce ne serait pas la première fois que ce type d'outils connaîtrait des dérives.",
    "Le grand atout de ces solutions est de miser sur le social, l'éducation et la démocratie.",
    "Si c'est gratuit, c'est toi le produit.",
    "La question est ensuite de savoir comment passer d'une gestion commune de réseaux à une "
    "gestion commune de data-centers.",
    "Côté consommation, on parvient à réduire les émissions de CO2 du secteur de 5 % par an.",
    "Les chiffres ne font pas l'unanimité parmi les économistes.",
]
TITLE_PARTS = [
    "Enquête", "Tribune", "Rapport", "Entretien", "Analyse", "Chronique", "Décryptage",
]


def sentence(rng: random.Random) -> str:
    """One French sentence."""
    if rng.random() < 0.1:
        return rng.choice(FIXED)
    head = rng.choice(CONNECTORS) + " " if rng.random() < 0.3 else ""
    subject = rng.choice(SUBJECTS)
    if head:
        subject = subject[0].lower() + subject[1:] if not subject.startswith("L'É") else subject
    return f"{head}{subject} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(COMPLEMENTS)}."


def excerpt_text(rng: random.Random) -> str:
    """One to four sentences (about 15 to 70 words)."""
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def records(n_excerpts: int, seed: int = 0, per_bookmark: tuple[int, int] = (1, 9)
            ) -> Iterator[BookmarkRecord]:
    """Bookmarks carrying ``n_excerpts`` excerpts in all (deterministic for a seed)."""
    rng = random.Random(seed)
    made = 0
    number = 0
    while made < n_excerpts:
        number += 1
        count = min(rng.randint(*per_bookmark), n_excerpts - made)
        annotator = rng.choice(ANNOTATORS)
        day = f"{rng.randint(2012, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        subject = rng.choice(OBJECTS)
        rec = BookmarkRecord(
            title=f"{rng.choice(TITLE_PARTS)} : {subject[0].upper()}{subject[1:]} ({number})",
            url=f"https://example.org/{seed}/{number}",
            annotator=annotator,
            tags=sorted(set(rng.sample(TAGS, rng.randint(1, 4)))),
            description=excerpt_text(rng) if rng.random() < 0.3 else "",
            created_at=f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00:00",
            site=rng.choice(SITES),
            group="synth",
        )
        rec.excerpts = [
            ExcerptRecord(text=f"{excerpt_text(rng)} [{number}.{i}]", annotator=annotator)
            for i in range(count)
        ]
        made += count
        yield rec


def populate(store: Store, n_excerpts: int, seed: int = 0, batch: int = 2000) -> int:
    """Import the synthetic corpus into ``store`` (through ``import_parsed``); bookmarks made."""
    made = 0
    chunk: list[BookmarkRecord] = []

    def flush() -> None:
        digest = hashlib.sha256(f"{seed}:{n_excerpts}:{made}".encode()).hexdigest()
        store.import_parsed(ParseResult("synthetic", chunk), f"synth:{seed}:{made}", digest)
        chunk.clear()

    for rec in records(n_excerpts, seed):
        chunk.append(rec)
        made += 1
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    return made
