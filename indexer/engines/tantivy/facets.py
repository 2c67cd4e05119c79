"""Facet counts on a tantivy searcher: one ``terms`` aggregation per column, in Rust."""

from __future__ import annotations

from typing import Any

from .schema import NO_VALUE, slot_field


def facet_counts(s, q, names: list[str]) -> dict[str, list[tuple[str, int]]]:
    """(value, count) of each facet over the matches of ``q``, most frequent first.

    One ``terms`` aggregation per column, sized to the facet's whole dictionary: exact counts.
    A slotted facet (tags) is counted on its single-valued columns and summed (see
    :data:`.schema.SLOTS`).
    """
    if not names:
        return {}
    aggs: dict[str, Any] = {}
    columns = {name: _columns(s, name) for name in names}
    for name in names:
        size = len(s.values(name)) + 1  # + the slots' padding value
        for column in columns[name]:
            aggs[column] = {"terms": {"field": column, "size": size, "segment_size": size}}
    found = s.searcher.aggregate(q, aggs) if aggs else {}
    out = {}
    for name in names:
        totals: dict[str, int] = {}
        for column in columns[name]:
            for b in found.get(column, {}).get("buckets", []):
                if b["doc_count"] and b["key"] != NO_VALUE:
                    totals[b["key"]] = totals.get(b["key"], 0) + b["doc_count"]
        out[name] = sorted(totals.items(), key=lambda vc: (-vc[1], vc[0]))
    return out


def _columns(s, name: str) -> list[str]:
    """The fast columns holding facet ``name``: its slots in use, else its own column."""
    width = s.slots.get(name)
    if width is None:
        return [name]
    return [slot_field(name, k) for k in range(width)]
