"""The tantivy index's schema: the same documents as the Whoosh index, tokenized by our chains.

Our Python analysis (:mod:`indexer.analysis`) produces the tokens and tantivy indexes them as
given, so both engines hold the same terms and a query finds the same documents in both
(option (a) of issue 7; tantivy's own French filters cannot split and join hyphenated words,
strip every elision or stem with the light stemmer: see docs/engines.md for both measured).

* ``text_fr`` / ``text_en`` / ``text_fold``: the document's language chain, joined with spaces
  and split again by tantivy's ``whitespace`` tokenizer (frequencies, no positions).
* ``text_exact``: the unstemmed chain as a pre-tokenized string with our positions (a
  hyphenated word and its joined form share one), for quoted phrases.
* ``text_pairs``: each pair of ``text_exact`` tokens at consecutive positions, as one token
  ``a|b`` at the first one's position: a quoted phrase of n words is a phrase of its n-1 pairs
  here (a term lookup for two words), the same documents without checking word positions in
  every candidate (a two-word phrase matching 200k of 1M documents: 38 ms -> see
  docs/engines.md).
* Facets (``tag``, ``entity``, ``annotator``, ``author``, ``site``, ``language``, ``year``,
  ``kind``): ``raw`` text fields, multi-valued where Whoosh's are, fast for counting.
* ``tag__0`` ... ``tag__7``: the document's tags again, one per single-valued column, padded
  with :data:`NO_VALUE` (see :data:`SLOTS`): what the tag facet is counted on.
* ``saved_key`` / ``published_key``: the dates as sortable integers (:func:`date_key`);
  ``saved_day`` / ``published_day``: their days, as words (:data:`DAYS`).
* ``row``: the export row, pickled (stored); article texts stay in the store.

Layout, locking and swapping are the lifecycle's (:mod:`indexer.lifecycle`), one level down::

    index/tantivy/current -> builds/<stamp>    index/tantivy/.lock

Each build directory also holds ``indexer-meta.json`` (build time, fields in use, documents)
and ``precounts.json`` (:mod:`.tantivy_precounts`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import tantivy

from ...documents import FACETS

META = "indexer-meta.json"
LANG_FIELDS = ("text_fr", "text_en", "text_fold")
_DIGITS = re.compile(r"\D")
# The index's layout: an index written by an earlier one is rebuilt by the next update.
SCHEMA_VERSION = 3  # 2: tag slots and text_pairs; 3: the dates' days
# The day of each date, as a word: a page ordered by date is read from the newest (or oldest)
# days' documents first (see .searcher, _windowed).
DAYS = {"saved_key": "saved_day", "published_key": "published_day"}
PAIR = "|"  # joins the two words of a text_pairs token: never inside a token (WORD_PATTERN)
# Counting a multi-valued column costs tantivy ~50 ns per matching document (the tag facet was
# ~28 ms of a 500k-hit search at 1M); a dense single-valued column ~2 ns. So each document's
# tags are also written one per column ("slots"), every column filled (NO_VALUE pads), and a
# tag's count is the sum of its counts in the slots a document can use. A document with more
# tags than SLOTS makes the facet fall back to the multi-valued column (exact either way).
SLOTS = 8
SLOTTED = ("tag",)
NO_VALUE = "\x00"  # never a tag: importers refuse NUL characters


def slot_field(name: str, k: int) -> str:
    """The ``k``-th single-valued column of the multi-valued facet ``name``."""
    return f"{name}__{k}"


def make_schema() -> tantivy.Schema:
    """The tantivy schema (see the module docstring)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("hash", stored=True, tokenizer_name="raw")
    sb.add_bytes_field("row", stored=True)
    for name in LANG_FIELDS:
        sb.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("text_exact", tokenizer_name="whitespace", index_option="position")
    sb.add_text_field("text_pairs", tokenizer_name="whitespace", index_option="position")
    for name in FACETS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True)
    for name in SLOTTED:
        for k in range(SLOTS):
            sb.add_text_field(slot_field(name, k), tokenizer_name="raw", fast=True,
                              index_option="basic")
    sb.add_unsigned_field("saved_key", indexed=True, fast=True)
    sb.add_unsigned_field("published_key", indexed=True, fast=True)
    for name in DAYS.values():
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    return sb.build()


def day_of(key: int) -> str:
    """The day (``YYYYMMDD``, ``00000000`` without a date) of a :func:`date_key`."""
    return f"{key // 1_000_000:08d}"


def date_key(value: str | None, fill: str = "0") -> int:
    """An ISO date or datetime as a sortable integer: its first 14 digits, padded with ``fill``.

    ``2019-06-15T10:20:00+00:00`` -> 20190615102000, ``2019`` -> 20190000000000; empty -> 0.
    Sorting by it sorts like the ISO strings Whoosh compares (same format, any precision).
    """
    if not value:
        return 0
    head = value[:19]
    digits = head.replace("-", "").replace(":", "").replace("T", "")
    if not (digits.isascii() and digits.isdigit()):
        digits = _DIGITS.sub("", head)
    return int(digits.ljust(14, fill)[:14]) if digits else 0


def read_meta(build: Path) -> dict:
    """The ``indexer-meta.json`` of a build (build time, fields in use, layout)."""
    return json.loads((build / META).read_text())
