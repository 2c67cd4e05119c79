"""Diigo group or library page, saved from the browser as plain text.

What such a page looks like (the bundled ``corpus/exports/qn2019-association.txt``)::

    Home/ QN2019/ Group items tagged association      <- breadcrumb: group and tag
    Aurialie Jublin                                   <- annotator of the next item
    Title cut with... - Site - 0 views               <- title, site, views
      • first excerpt                                 <- one bullet per excerpt
      • ...14 more annotations...                     <- marker: that many bullets follow
      • (a non-breaking space)                        <- empty bullet: description follows
        "The description, quoted"
    ‹ Previous 21 - 34 of 34                          <- pagination footer

Items carry no URL. Non-breaking spaces inside the text are kept as they are. Disagreements
(a marker that does not match the bullets after it, a footer that announces more items than the
page holds) are reported as warnings, never as failures: the page is what the user has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError
from ..records import BookmarkRecord, ExcerptRecord, ParseResult

NAME = "diigo-page"

BULLET = "  • "
_BREADCRUMB = re.compile(
    r"^Home/\s*(?P<owner>[^/]+?)/\s*(?P<what>.*?items)(?:\s+tagged\s+(?P<tag>.+?))?\s*$"
)
_TITLE = re.compile(r"^(?P<head>.+?) - (?P<views>\d+) views?\s*$")
_MORE = re.compile(r"^\.\.\.(?P<n>\d+) more annotations?\.\.\.$")
_FOOTER = re.compile(r"(?P<first>\d+)\s*-\s*(?P<last>\d+)\s+of\s+(?P<total>\d+)")
_SITE_SEPARATORS = (" | ", " - ")
_MAX_SITE_CHARS = 60
_PAD = " \t\r"  # only ASCII padding is stripped: non-breaking spaces are content


def sniff(head: str) -> bool:
    """A breadcrumb or ``- N views`` title lines, with bullet lines."""
    has_items = bool(re.search(r"^.+ - \d+ views?\s*$", head, re.M))
    has_crumb = any(_BREADCRUMB.match(line) for line in head.splitlines()[:20])
    return (has_items or has_crumb) and BULLET in head


@dataclass
class _Item:
    record: BookmarkRecord
    markers: list[tuple[int, int, int]] = field(default_factory=list)  # (line, n, excerpts before)
    in_description: bool = False


def split_title(head: str) -> tuple[str, str | None, bool]:
    """``'Title - Site'`` -> (title, site, truncated). Cut lines end with ``...``."""
    truncated = head.endswith("...")
    for sep in _SITE_SEPARATORS:
        title, found, site = head.rpartition(sep)
        if found and title.strip() and 0 < len(site.strip()) <= _MAX_SITE_CHARS:
            return title.strip(_PAD), site.strip(_PAD), truncated
    return head.strip(_PAD), None, truncated


def parse(text: str, path) -> ParseResult:
    """Read every item of the page; warn where the page disagrees with itself."""
    result = ParseResult(format=NAME, records=[])
    lines = text.splitlines()
    group, tag = _breadcrumb(lines)
    items: list[_Item] = []
    pending_annotator: tuple[int, str] | None = None
    footer: tuple[int, re.Match] | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip(_PAD)
        if not line.strip():
            continue
        title = _TITLE.match(line)
        if title and not line.startswith(" "):
            rec = _new_record(title, group, tag, pending_annotator, number)
            items.append(_Item(rec))
            pending_annotator = None
        elif line.startswith(BULLET.rstrip()) and items:
            _bullet(items[-1], line[len(BULLET):], number)
        elif line.startswith("    ") and items:
            _continuation(items[-1], line.strip(_PAD))
        elif "Previous" in line or "Next" in line:
            match = _FOOTER.search(line)
            footer = (number, match) if match else footer
        elif not _BREADCRUMB.match(line):
            pending_annotator = (number, line.strip(_PAD))
    if not items:
        raise InputError(path, "no Diigo items found (expected lines ending in '- N views')")
    for item in items:
        result.records.append(_finish(item, result.warnings))
    _check_footer(footer, len(items), result.warnings)
    return result


def _breadcrumb(lines: list[str]) -> tuple[str | None, str | None]:
    for line in lines[:20]:
        match = _BREADCRUMB.match(line.strip(_PAD))
        if match:
            return match["owner"].strip(), (match["tag"] or "").strip() or None
    return None, None


def _new_record(title, group, tag, annotator, number) -> BookmarkRecord:
    name, site, truncated = split_title(title["head"])
    return BookmarkRecord(
        title=name,
        site=site,
        title_truncated=truncated,
        views=int(title["views"]),
        annotator=annotator[1] if annotator else None,
        group=group,
        tags=[tag] if tag else [],
        line=annotator[0] if annotator else number,
    )


def _bullet(item: _Item, body: str, number: int) -> None:
    content = body.strip(_PAD)
    more = _MORE.match(content)
    if more:
        item.markers.append((number, int(more["n"]), len(item.record.excerpts)))
    elif not content.strip():
        item.in_description = True  # an empty bullet introduces the description
    else:
        item.in_description = False
        item.record.excerpts.append(ExcerptRecord(text=content))


def _continuation(item: _Item, content: str) -> None:
    rec = item.record
    if item.in_description:
        rec.description = f"{rec.description}\n{content}" if rec.description else content
    elif rec.excerpts:
        rec.excerpts[-1].text += "\n" + content


def _finish(item: _Item, warnings: list[str]) -> BookmarkRecord:
    rec = item.record
    rec.description = _unquote(rec.description)
    total = len(rec.excerpts)
    for number, announced, before in item.markers:
        if total - before != announced:
            warnings.append(
                f"line {number}: marker announces {announced} more annotations, "
                f"{total - before} follow"
            )
    return rec


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _check_footer(footer, found: int, warnings: list[str]) -> None:
    if footer is None:
        return
    number, match = footer
    announced = int(match["last"]) - int(match["first"]) + 1
    if announced != found:
        warnings.append(
            f"line {number}: footer says items {match['first']}-{match['last']} of "
            f"{match['total']} ({announced} items) but the page holds {found}: "
            f"{announced - found} missing from this export"
        )
