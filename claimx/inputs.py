"""Reading documents from files and streams: bytes → text, with clear refusals.

Binary files, undecodable bytes and empty files are refused with a message
that says what was found and what to do. HTML is reduced to its visible text;
offsets in the result then index that text, which the result carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from claimx.errors import InputError

__all__ = ["Source", "decode", "html_to_text", "looks_like_html", "read_path"]

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
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"]
)
_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|article|p|div)\b", re.I | re.S
)


@dataclass(frozen=True)
class Source:
    """A document read from somewhere: its id, its text, and how it was read."""

    doc_id: str
    text: str
    origin: str
    converted_from_html: bool = False


class _TextExtractor(HTMLParser):
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


def looks_like_html(text: str) -> bool:
    """True when the text starts like an HTML document or fragment."""
    return bool(_HTML_START.match(text[:2000]))


def html_to_text(html: str) -> str:
    """The visible text of an HTML page: paragraphs separated by blank lines, no markup."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    body = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body)]
    title = " ".join("".join(parser.title).split())
    lines = [p for p in paragraphs if p]
    if title and (not lines or lines[0] != title):
        lines.insert(0, title)
    return "\n\n".join(lines)


def decode(data: bytes, *, name: str, encoding: str | None = None) -> str:
    """Bytes → text: UTF-8 (BOM allowed) unless ``encoding`` says otherwise."""
    if not data.strip():
        raise InputError(f"{name} is empty", doc_id=name)
    sample = data[:8192]
    if b"\x00" in sample and not _is_utf16(sample):
        raise InputError(f"{name} looks like a binary file (it contains NUL bytes), not text", doc_id=name)
    chosen = encoding or ("utf-16" if _is_utf16(sample) else "utf-8-sig")
    try:
        return data.decode(chosen)
    except LookupError as exc:
        raise InputError(f"unknown encoding {encoding!r}", doc_id=name) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} is not valid {exc.encoding} (byte {exc.start}: {data[exc.start : exc.start + 4]!r}); "
            "if it is in another encoding, say which with --encoding (e.g. --encoding cp1252)",
            doc_id=name,
        ) from exc


def _is_utf16(sample: bytes) -> bool:
    return sample.startswith((b"\xff\xfe", b"\xfe\xff"))


def to_text(raw: object, *, name: str, html: bool | None = None) -> tuple[str, bool]:
    """Plain text for a document, converting HTML when asked or when it looks like HTML."""
    if not isinstance(raw, str):
        kind = (
            "bytes: decode them first (or pass a file path to the CLI)"
            if isinstance(raw, bytes)
            else type(raw).__name__
        )
        raise InputError(f"{name}: expected text (str), got {kind}", doc_id=name)
    is_html = looks_like_html(raw) if html is None else html
    if not is_html:
        return raw, False
    text = html_to_text(raw)
    if not text.strip():
        raise InputError(f"{name} is HTML without any visible text", doc_id=name)
    return text, True


def read_path(path: Path, *, encoding: str | None = None, html: bool | None = None) -> Source:
    """Read one file as a document; its id is the file name without extension."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}", doc_id=path.name) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a directory", doc_id=path.name) from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", doc_id=path.name) from exc
    raw = decode(data, name=str(path), encoding=encoding)
    if html is None and path.suffix.lower() in (".html", ".htm", ".xhtml"):
        html = True
    text, converted = to_text(raw, name=str(path), html=html)
    return Source(doc_id=path.stem, text=text, origin=str(path), converted_from_html=converted)
