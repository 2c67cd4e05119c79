"""Where each pull source stands, kept in the store, and what one pull did.

A source is one API with one set of filters (``hypothesis https://api.hypothes.is/api/search
group=abc``): its key says what is pulled, never with what credentials. Its row in
``pull_sources`` is written in the same transaction as each page's records, so a pull killed
or failed midway resumes after the last page it saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..progress import count
from ..store import Store


def source_key(api: str, url: str, filters: dict[str, str | None]) -> str:
    """``api url k=v ...`` with the filters given, sorted: the source's name in the store."""
    given = " ".join(f"{k}={v}" for k, v in sorted(filters.items()) if v)
    return f"{api} {url}" + (f" {given}" if given else "")


@dataclass
class SourceState:
    """One row of ``pull_sources``."""

    source: str
    api: str
    cursor: str | None = None  # Hypothesis: the `updated` of the last row saved
    mark: str | None = None  # Diigo: the newest updated_at of the last complete walk
    walk: dict | None = None  # Diigo: {"start", "top", "full"} of a walk under way
    last_pull: str | None = None
    last_full: str | None = None


def load_state(store: Store, source: str, api: str) -> SourceState:
    """The state of ``source``, or a fresh one if it was never pulled."""
    row = store.conn.execute("SELECT * FROM pull_sources WHERE source=?", (source,)).fetchone()
    if row is None:
        return SourceState(source, api)
    walk = json.loads(row["walk"]) if row["walk"] else None
    return SourceState(source, api, row["cursor"], row["mark"], walk, row["last_pull"],
                       row["last_full"])


def save_state(store: Store, state: SourceState) -> None:
    """Write ``state`` inside the caller's transaction."""
    store.conn.execute(
        "INSERT OR REPLACE INTO pull_sources(source, api, cursor, mark, walk, last_pull,"
        " last_full) VALUES (?,?,?,?,?,?,?)",
        (state.source, state.api, state.cursor, state.mark,
         json.dumps(state.walk) if state.walk else None, state.last_pull, state.last_full),
    )


def list_sources(store: Store) -> list[SourceState]:
    """Every source pulled into this store, by name."""
    names = [r[0] for r in store.conn.execute("SELECT source, api FROM pull_sources"
                                              " ORDER BY source")]
    return [load_state(store, name, "") for name in names]


@dataclass
class PullSummary:
    """What one pull did; :meth:`lines` is the report the CLI prints."""

    api: str
    source: str
    unit: str  # what the API lists: `annotation` (Hypothesis) or `bookmark` (Diigo)
    pages: int = 0
    received: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bookmarks_new: int = 0
    excerpts_new: int = 0
    notes_new: int = 0
    requests: int = 0
    retried: int = 0
    resumed: bool = False  # went on with a pull that had stopped midway
    full: bool = False
    complete: bool = False  # reached the end (else it failed midway)
    position: str | None = None  # where the next pull starts from

    def lines(self) -> list[str]:
        """One line of counts, then where the next pull starts."""
        if not self.received and self.complete:
            head = f"{self.source}: nothing new"
        else:
            made = [] if self.unit == "bookmark" else [count(self.bookmarks_new, "bookmark")]
            made += [count(self.excerpts_new, "excerpt"), count(self.notes_new, "note")]
            head = (f"{self.source}: {count(self.received, self.unit)} ({self.new} new, "
                    f"{self.updated} updated, {self.unchanged} unchanged) in "
                    f"{count(self.pages, 'page')}: " + " new, ".join(made) + " new")
        retried = f", {self.retried} retried" if self.retried else ""
        head += f" ({count(self.requests, 'request')}{retried})"
        out = [head]
        if self.resumed:
            out.append("  resumed where the last pull stopped")
        if self.position:
            out.append(f"  the next pull asks for what was updated after {self.position}")
        return out
