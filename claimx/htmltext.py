"""An HTML page → the article's main text, and what the page says about it (title, author, date).

A news page is mostly not the article: menus, cookie banners, related-story lists and
footers would reach the model as statements. With the ``html`` extra installed,
`trafilatura <https://trafilatura.readthedocs.io>`_ (made for news and the field's
standard) finds the main text and the page's metadata. Without it, a plain reducer of
our own keeps the visible text of the page less its scripts, styles, navigation, asides
and footers: weaker on real pages, but it needs nothing.

The result is a new string: offsets of an extraction made from it index *this* text,
which :class:`~claimx.document.Document` and :class:`~claimx.schema.Extraction` carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import metadata as package_metadata
from typing import Any

__all__ = ["PageText", "looks_like_html", "main_text", "reduce_html"]

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
        "title",
    ]
)
#: Never text a reader sees as the article: code, markup of other kinds, and the page's chrome.
_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "iframe",
        "object",
        "canvas",
        "nav",
        "aside",
        "footer",
        "form",
        "button",
        "select",
    ]
)
_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|article|p|div)\b", re.I | re.S
)


@dataclass(frozen=True)
class PageText:
    """The main text of a page, paragraphs separated by blank lines, and what the page says of it."""

    text: str
    #: Which extractor found the text: ``"trafilatura X.Y"``, or ``"claimx"`` for the plain reducer.
    extractor: str
    title: str | None = None
    author: str | None = None
    #: Publication date, ISO ``YYYY-MM-DD``, when the page states one.
    date: str | None = None


def looks_like_html(text: str) -> bool:
    """True when the text starts like an HTML document or fragment."""
    return bool(_HTML_START.match(text[:2000]))


def main_text(html: str) -> PageText:
    """The article in ``html``: trafilatura's main text if installed and it finds one, else the reducer's."""
    found = _trafilatura(html)
    return found if found is not None else reduce_html(html)


def _trafilatura(html: str) -> PageText | None:
    try:
        import trafilatura
    except ImportError:  # the ``html`` extra is not installed
        return None
    # favor_precision: less text rather than a menu read as a statement (it also keeps inline
    # markup inside its sentence on short pages, which the default's fallback splits into lines).
    document: Any = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        # Dates the page states (its metadata, markup, a dateline) only: htmldate's extensive
        # search took a footer's "(c) 2026" for a publication date of 2026-01-01.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    raw = getattr(document, "text", None) if document is not None else None
    if not raw or not raw.strip():
        return None
    paragraphs = [" ".join(line.split()) for line in raw.splitlines()]
    return PageText(
        text="\n\n".join(p for p in paragraphs if p),
        extractor=f"trafilatura {package_metadata.version('trafilatura')}",
        title=_clean(getattr(document, "title", None)),
        author=_clean(getattr(document, "author", None)),
        date=_clean(getattr(document, "date", None)),
    )


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in _SKIP_TAGS:
            self.skipping += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in _SKIP_TAGS and self.skipping:
            self.skipping -= 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def reduce_html(html: str) -> PageText:
    """The visible text of a page less its chrome (the fallback when trafilatura is not installed)."""
    parser = _Reducer()
    parser.feed(html)
    parser.close()
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", "".join(parser.parts))]
    return PageText(
        text="\n\n".join(p for p in paragraphs if p),
        extractor="claimx",
        title=_clean("".join(parser.title)),
    )
