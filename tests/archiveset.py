"""A local web archive for tests, and two dated copies of a real page for it to hold.

:class:`Archive` plays the Wayback availability API and a Memento TimeGate (as their
documentation says) on a :class:`httpserver.TestServer`; :func:`dated_copies` makes, from a
real French page of ../shared, the page as of 2019 and the page as of now, which lost one of
its paragraphs. Used by tests/archives/test_snapshots.py and the reading room's tests.

* https://archive.org/help/wayback_api.php: ``GET /wayback/available?url=U&timestamp=T``
  answers ``{"url": U, "archived_snapshots": {"closest": {"status": "200", "available":
  true, "url": ".../web/<14 digits>/U", "timestamp": "<14 digits>"}}}``, the snapshot
  closest to ``timestamp``;
* RFC 7089 (Memento): ``GET <timegate>U`` with ``Accept-Datetime: <HTTP date>`` answers
  ``302`` to the memento closest to that date (``Vary: accept-datetime``, ``Link`` to the
  original), whose response carries ``Memento-Datetime``.
"""

from __future__ import annotations

import csv
import email.utils
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import lxml.html
from httpserver import Reply, Request, TestServer

from indexer.extract import decode_html, extract_page

OLD, NEW = "20190315000000", "20240110120000"  # the two copies the archive holds
SAVED = "2019-03-14T09:00:00"  # when the bookmarks were saved: the old copy is that day's


def squash(text: str) -> str:
    return " ".join(text.split())


def dated_copies(root: Path):
    """(page as of 2019, page as of now, a passage the page lost, a passage it kept), from the
    first real French UTF-8 page under ``root`` (../shared/corpus/html) with three long
    paragraphs in its main text; None when none fits."""
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["language"] == "fr"]
    for row in rows:
        body = (root / row["file"]).read_bytes()
        if decode_html(body)[1] != "utf-8":
            continue
        main = squash(extract_page(body, "text/html").text)
        tree = lxml.html.fromstring(body)
        paras = [p for p in tree.iter("p")
                 if 200 <= len(squash(p.text_content())) <= 500
                 and squash(p.text_content()) in main]
        if len(paras) < 3:
            continue
        lost, kept = squash(paras[1].text_content()), squash(paras[2].text_content())
        paras[1].drop_tree()
        live = lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
        if lost not in squash(extract_page(live, "text/html").text):
            return body, live, lost, kept
    return None  # no page of ../shared fits (three long paragraphs in the main text)


class Archive:
    """The local web archive: two dated copies per URL, both APIs, a request log."""

    def __init__(self, server: TestServer, holdings: dict[str, dict[str, bytes]]):
        self.server, self.holdings = server, holdings
        server.handler("/wayback/available", self.available)
        for url, dated in holdings.items():
            server.handler(f"/timegate/{url}", lambda req, u=url: self.timegate(req, u))
            for stamp, body in dated.items():
                html = {"Content-Type": "text/html; charset=utf-8"}
                server.route(f"/web/{stamp}id_/{url}", body=body, headers=html)
                when = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
                server.route(f"/web/{stamp}/{url}", body=body, headers={
                    **html, "Memento-Datetime": email.utils.format_datetime(when, usegmt=True),
                    "Link": f'<{url}>; rel="original", <{self.server.url("/timegate/" + url)}>;'
                            ' rel="timegate"'})

    def closest(self, url: str, stamp: str | None) -> str | None:
        dated = self.holdings.get(url)
        if not dated:
            return None
        if not stamp:
            return max(dated)
        target = int(stamp.ljust(14, "0"))
        return min(dated, key=lambda s: abs(int(s) - target))

    def available(self, req: Request) -> Reply:
        query = parse_qs(req.query)
        url = query["url"][0]
        stamp = self.closest(url, query.get("timestamp", [None])[0])
        snapshots = {} if stamp is None else {"closest": {
            "status": "200", "available": True, "timestamp": stamp,
            "url": self.server.url(f"/web/{stamp}/{url}")}}
        return Reply(200, json.dumps({"url": url, "archived_snapshots": snapshots}).encode(),
                     {"Content-Type": "application/json"})

    def timegate(self, req: Request, url: str) -> Reply:
        wanted = req.headers.get("Accept-Datetime")
        stamp = None
        if wanted:
            stamp = email.utils.parsedate_to_datetime(wanted).strftime("%Y%m%d%H%M%S")
        chosen = self.closest(url, stamp)
        return Reply(302, b"", {"Location": self.server.url(f"/web/{chosen}/{url}"),
                                "Vary": "accept-datetime", "Link": f'<{url}>; rel="original"'})
