"""The words of the web reader, in one place per language (French first: the users are).

Templates read them as ``w.key``; :func:`words` picks a language, and a new one is a new
dictionary with the same keys (a test checks that every language has them all). Dates are
written the French way, with the month in words (``12 mars 2019``).
"""

from __future__ import annotations

import re

FR = {
    "lang": "fr",
    "app_name": "Salle de lecture",
    "search": "Chercher",
    "query_label": "Requête",
    "query_placeholder": "mots, \"expression exacte\", tag:…, préfixe*, OR, NOT",
    "scope": "Chercher dans",
    "scopes": {
        "team": "ce que l'équipe a écrit", "excerpts": "les extraits",
        "descriptions": "les descriptions", "notes": "les notes", "articles": "les articles",
        "all": "tout",
    },
    "sort": "Trier par",
    "sorts": {"relevance": "pertinence", "saved": "date d'enregistrement",
              "published": "date de publication"},
    "since": "Enregistré depuis", "until": "jusqu'au", "date_placeholder": "AAAA-MM-JJ",
    "facets": {"tag": "Tags", "annotator": "Annotateurs", "author": "Auteurs", "site": "Sites",
               "language": "Langues", "year": "Années", "entity": "Entités"},
    "kinds": {"excerpt": "extrait", "description": "description", "note": "note",
              "article": "article"},
    "remove_filter": "retirer ce filtre",
    "active_filters": "Filtres",
    "clear_filters": "tout retirer",
    "hits": {0: "aucun résultat", 1: "1 résultat", "n": "{n} résultats"},
    "hits_shown": "{first}–{last} sur {total}",
    "for_query": "pour",
    "index_built": "index construit le {date}",
    "hint": "Piste",
    "search_everywhere": "Chercher dans tous les documents",
    "hint_elsewhere": "rien dans {scope} ; ailleurs : {where}",
    "kinds_plural": {"excerpt": "extraits", "description": "descriptions", "note": "notes",
                     "article": "articles"},
    "in_kind": "{n} dans les {kind}",
    "hint_unfiltered": "{n} sans les filtres",
    "hint_near": "mots proches dans l'index :",
    "search_instead": "chercher « {q} »",
    "previous": "← précédents", "next": "suivants →", "page_of": "page {page} sur {pages}",
    "export": "Exporter ces résultats", "export_csv": "CSV", "export_excel": "CSV pour Excel",
    "export_json": "JSON", "export_cap": "(les {n} premiers résultats)",
    "cite": "Citer, annoter", "export_ris": "RIS (Zotero)", "export_csljson": "CSL JSON",
    "export_bibtex": "BibTeX", "export_w3c": "annotations W3C",
    "export_hypothesis": "Hypothesis",
    "no_title": "(sans titre)",
    "tags": "tags", "annotator": "par", "posted_by": "signet de", "saved": "enregistré le",
    "site": "site",
    "open_article": "lire dans l'article",
    # article page
    "back": "← retour à la recherche",
    "original": "Page d'origine", "archived_copy": "Copie archivée",
    "archived_on": "copie archivée du {date}",
    "description": "Description", "notes": "Notes", "note_by": "note de",
    "excerpts": "Extraits", "excerpt_count": {0: "aucun extrait", 1: "1 extrait",
                                               "n": "{n} extraits"},
    "article_text": "Texte de l'article",
    "no_article": "Le texte de cet article n'a pas été extrait (statut : {status}).",
    "no_article_fetched": "L'article n'a pas été récupéré : aucun texte à montrer.",
    "exact": "exact", "fuzzy": "approché", "score": "score",
    "fuzzy_note": "placé par approximation, score {score}",
    "outside_main": "Trouvés hors du texte principal (menus, encadrés, pied de page)",
    "orphans": "Non retrouvés dans l'article",
    "in_archive_only": "Retrouvés seulement dans une copie archivée (la page les a perdus)",
    "only_in_copy": "seulement dans la copie du {date}",
    "cause": "cause",
    "causes": {
        "no_url": "le signet n'a pas d'adresse",
        "fetch_failed": "la page n'a pas pu être récupérée",
        "not_html": "la page n'est pas du HTML",
        "extraction_empty": "aucun texte n'a pu être extrait de la page",
        "not_found": "le passage n'est pas dans le texte de la page",
        "empty_excerpt": "l'extrait est vide",
    },
    "not_aligned": "pas encore aligné",
    "in_original": "voir dans la page d'origine",
    "comment": "commentaire",
    "author": "auteur", "published": "publié le", "language": "langue",
    "languages": {"fr": "français", "en": "anglais", "de": "allemand", "es": "espagnol",
                  "it": "italien", "nl": "néerlandais", "pt": "portugais", "ca": "catalan",
                  "und": "indéterminée"},
    # errors
    "bad_query": "Requête incorrecte",
    "not_found": "Introuvable",
    "unavailable": "Index indisponible",
    "server_error": "Erreur du serveur",
    "server_error_text": "La page n'a pas pu être produite ; l'erreur est notée dans le "
                         "journal du serveur.",
    "months": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"],
}

LANGUAGES = {"fr": FR}


class Words(dict):
    """A language's words, readable as attributes in templates (``w.search``)."""

    __getattr__ = dict.__getitem__

    def count(self, key: str, n: int) -> str:
        """The plural form of ``key`` for ``n`` (``{0: ..., 1: ..., "n": "{n} ..."}``)."""
        forms = self[key]
        return forms.get(n) or forms["n"].format(n=f"{n:,}".replace(",", "\u202f"))

    def date(self, value: str | None) -> str:
        """``2019-03-12...`` as ``12 mars 2019`` (``mars 2019``, ``2019`` for partial dates);
        anything else as given."""
        m = re.match(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value or "")
        if not m:
            return value or ""
        year, month, day = m.groups()
        if not month or not 1 <= int(month) <= 12:
            return year
        name = self["months"][int(month) - 1]
        return f"{int(day)} {name} {year}" if day else f"{name} {year}"


def words(lang: str = "fr") -> Words:
    """The words of ``lang`` (French when that language has none)."""
    return Words(LANGUAGES.get(lang, FR))
