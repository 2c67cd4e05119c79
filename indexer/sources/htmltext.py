"""Inline HTML and entities to plain text, for the exports that carry markup in their text.

Diigo keeps the HTML of what was selected in a highlight (``<a>``, ``<strong>``, ``<br>``,
``&nbsp;``, whole ``<div>`` trees) and sometimes junk its own highlighter injected into the
page: ``<style id="diigolet-chrome-css">`` blocks, ``<link>``/``<meta>`` tags, loose
``body#dummybodyid ...`` CSS rules. :func:`html_to_text` turns such a fragment into the text a
reader saw, and drops the junk entirely.

A fragment with no tag in it is plain text: only its entities are decoded, and its line breaks
and indents are kept (a highlight of code or verse keeps its lines). A fragment with tags follows HTML's
rules: whitespace runs collapse to one space (``<pre>`` keeps its line breaks), ``<br>`` and
block elements break lines.
Non-breaking spaces (``&nbsp;``) stay U+00A0 inside a line, as in the page. Entities escaped
twice by the exporter (``&amp;pound;``, seen in real Diigo CSV) are decoded once more.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements whose content is never text a reader saw (page head, scripts, ads in iframes).
SKIP_CONTENT = frozenset(
    {"style", "script", "title", "noscript", "template", "iframe", "object", "svg", "head"}
)
# Elements that start a new line.
BLOCKS = frozenset(
    """address article aside blockquote center dd details div dl dt fieldset figcaption figure
    footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody
    thead tfoot tr ul""".split()
)
# Cells are separated by a space rather than a line break.
CELLS = frozenset({"td", "th"})

# A real tag: `<name ...>` or `</name>`, or a comment. `a < b` and `<Erfolgreich trotz` are not.
TAG = re.compile(r"<(?:/?[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?>|!--)")
# A rule of Diigo's own highlighter CSS, should it leak out of its <style> element (inside
# one, the parser drops it); never crosses a tag.
DIIGO_CSS_RULE = re.compile(r"body#dummybodyid\b[^{}<>]*\{[^{}<>]*\}[ \t]*\n?")
# An entity still there after decoding was escaped twice by the exporter (`&amp;pound;`).
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Placeholder for a block element's edge while the text is collected.
_BLOCK = "\x00"
_BLOCK_RUN = re.compile(r"[ \n]*\x00[\x00 \n]*")
HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
BLANK_RUNS = re.compile(r"\n{3,}")


def looks_like_html(text: str) -> bool:
    """Does ``text`` contain at least one real tag (not just a stray ``<``)?"""
    return TAG.search(text) is not None


def html_to_text(fragment: str) -> str:
    """The plain text of an HTML fragment (or of plain text with entities), junk dropped.

    Trailing spaces are dropped, at most one blank line separates paragraphs, ends are trimmed.
    """
    fragment = DIIGO_CSS_RULE.sub("", fragment.replace("\r\n", "\n").replace("\r", "\n"))
    markup = looks_like_html(fragment)
    if markup:
        parser = _TextParser()
        parser.feed(fragment)
        parser.close()
        raw = parser.text()
    else:
        raw = html.unescape(fragment)
    raw = ENTITY.sub(lambda m: html.unescape(m.group()), raw)
    # HTML's collapsed whitespace leaves stray spaces at line starts; plain text's are indents.
    return _tidy_lines(raw, keep_indent=not markup)


def inline_text(fragment: str) -> str:
    """:func:`html_to_text` on one line: every whitespace run becomes one space (titles)."""
    return re.sub(r"\s+", " ", html_to_text(fragment)).strip()


def _tidy_lines(raw: str, keep_indent: bool) -> str:
    lines = [line.rstrip() if keep_indent else line.strip() for line in raw.split("\n")]
    return BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


class _TextParser(HTMLParser):
    """Collects the visible text of a fragment, with HTML whitespace rules."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside SKIP_CONTENT elements
        self.pre = 0  # depth inside <pre>, where whitespace is kept

    def handle_starttag(self, tag: str, attrs) -> None:
        self.pre += tag == "pre"
        if tag in SKIP_CONTENT:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append(_BLOCK)
        elif tag in CELLS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in BLOCKS:
            self.parts.append(_BLOCK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in SKIP_CONTENT:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self.parts.append(_BLOCK)
        elif tag in CELLS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data if self.pre else HTML_SPACE.sub(" ", data))

    def text(self) -> str:
        """Block edges are one line break, however many meet (``</p> <p>``, ``<br></p>``)."""
        return _BLOCK_RUN.sub("\n", "".join(self.parts))
