"""The Whoosh index's schema, and an :class:`~indexer.documents.IndexDocument` as its fields.

The text goes to the document's language field (``text_fr``, ``text_en`` or ``text_fold``)
and always to ``text_exact`` (folded, unstemmed, with positions: quoted phrases search it).
Facet fields are single-valued ``ID`` fields, except ``tag`` and ``entity`` (comma-separated
``KEYWORD``). Excerpt and description texts are stored in the row, for display; article text
is not (it stays in the store, read by id for snippets: a 26% smaller index). Analyzers are
those of the query language, pickled by name into the index (:mod:`indexer.analysis`).
"""

from __future__ import annotations

from whoosh.fields import ID, STORED, Schema

from ...documents import MULTI_VALUED, IndexDocument
from ...querylang import field_types

SORTED = ("saved", "published")  # sortable columns: pages by date


def make_schema() -> Schema:
    """The index schema: the query language's fields, plus what the index stores."""
    types = field_types()
    types.update(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        bookmark_id=ID(stored=True),
        hash=STORED(),
        row=STORED(),  # the export row (dict) for display, without article text
        **{name: ID(sortable=True) for name in SORTED},
    )
    return Schema(**types)


def fields_of(doc: IndexDocument) -> dict:
    """The Whoosh field dict of one document."""
    out = {
        "id": doc.id, "kind": doc.kind, "bookmark_id": doc.bookmark_id, "row": doc.row,
        "hash": doc.hash, doc.text_field: doc.text, "text_exact": doc.text,
        "saved": doc.saved, "published": doc.published,
    }
    for name, values in doc.facets.items():
        if name in MULTI_VALUED:
            out[name] = ",".join(values)
        elif values and name != "kind":
            out[name] = values[0]
    return out
