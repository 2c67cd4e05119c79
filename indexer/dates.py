"""Reading the dates the project meets: ISO 8601 (the store, exports, APIs, WARC) and HTTP
dates (``Retry-After``, ``Memento-Datetime``), as aware datetimes.

A date without a zone is taken as UTC: the stages write UTC, and the exports that omit the
zone (Diigo's, our own) mean it. Unreadable values give None; each caller decides what that
means for it.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

__all__ = ["aware_datetime", "http_datetime"]


def aware_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` read too) as an aware datetime in its own zone,
    UTC when it gives none; None when absent or unreadable."""
    try:
        when = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def http_datetime(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110, ``Sun, 06 Nov 1994 08:49:37 GMT``) as an aware datetime;
    None when absent or unreadable."""
    try:
        when = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
