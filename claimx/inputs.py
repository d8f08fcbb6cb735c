"""Reading documents from files and streams: bytes → text, with clear refusals.

Binary files, undecodable bytes and empty files are refused with a message
that says what was found and what to do. HTML is reduced to its main text
(:mod:`claimx.htmltext`); offsets in the result then index that text, which the result carries.
"""

from __future__ import annotations

import glob
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from claimx.document import Document
from claimx.errors import InputError
from claimx.htmltext import PageText, looks_like_html, main_text

__all__ = [
    "DOCUMENT_SUFFIXES",
    "Source",
    "count_documents",
    "decode",
    "iter_sources",
    "looks_like_html",
    "names_many",
    "read_path",
]


@dataclass(frozen=True)
class Source:
    """A document read from somewhere: its id, its text, and how it was read."""

    doc_id: str
    text: str
    origin: str
    converted_from_html: bool = False
    #: The line of a JSONL file (or stream) it came from; None for a document of its own.
    line: int | None = None
    #: For an HTML page: what was read from it (``text`` is its main text), title, author, date.
    page: PageText | None = None

    def document(self) -> Document:
        """The document to extract from: the page's (text and metadata) when read as HTML."""
        if self.page is not None:
            return Document.from_page(self.page, self.doc_id)
        return Document.from_text(self.text, self.doc_id)


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


def to_text(raw: object, *, name: str, html: bool | None = None) -> tuple[str, PageText | None]:
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
        return raw, None
    page = main_text(raw)
    text = page.text
    if not text.strip():
        raise InputError(f"{name} is HTML without any visible text", doc_id=name)
    return text, page


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
    text, page = to_text(raw, name=str(path), html=html)
    return Source(
        doc_id=path.stem, text=text, origin=str(path), converted_from_html=page is not None, page=page
    )


#: Files taken from a directory: text, Markdown, HTML and JSONL (one document per line).
DOCUMENT_SUFFIXES = frozenset([".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".jsonl", ""])
_GLOB_CHARS = re.compile(r"[*?\[]")


def iter_sources(
    specs: Iterable[str], *, encoding: str | None = None, html: bool | None = None
) -> Iterator[Source | InputError]:
    """Every document named by ``specs``, one at a time, in order.

    A spec is a file, a directory (its document files, recursively, sorted), a glob
    pattern, a ``.jsonl`` file of ``{"id", "text"}`` lines, or ``-`` for stdin (one
    document, or JSONL when its first line is a JSON object with ``text``). A document
    that cannot be read is yielded as its :class:`InputError`, so a batch records it and
    goes on. Documents are read only when reached: memory does not grow with the batch.
    """
    for spec in specs:
        if spec == "-":
            yield from _stdin_sources(sys.stdin.buffer, encoding=encoding, html=html)
            continue
        files = _files_of(spec)
        if files is None:
            yield InputError(f"no file matches {spec}", doc_id=spec)
        for file, doc_id in files or ():
            yield from _file_sources(file, doc_id, encoding=encoding, html=html)


def _files_of(spec: str) -> list[tuple[Path, str]] | None:
    """The files a spec names, each with its document id (None: a glob that matches nothing).

    A directory's files are named by their path inside it (``sub/a``), so two ``a.txt`` in
    different folders stay apart; a file given or matched by a glob, by its stem.
    """
    path = Path(spec)
    if path.is_dir():
        return [(file, file.relative_to(path).with_suffix("").as_posix()) for file in _directory_files(path)]
    if path.exists() or not _GLOB_CHARS.search(spec):
        return [(path, path.stem)]
    matches = [(Path(m), Path(m).stem) for m in sorted(glob.glob(spec, recursive=True)) if Path(m).is_file()]
    return matches or None


def names_many(spec: str) -> bool:
    """True when ``spec`` stands for any number of documents: a directory, a JSONL file, a glob."""
    path = Path(spec)
    return path.is_dir() or _is_jsonl(path) or (not path.exists() and bool(_GLOB_CHARS.search(spec)))


def count_documents(specs: Iterable[str]) -> int | None:
    """How many documents ``specs`` hold, cheaply (None when stdin makes it unknowable)."""
    total = 0
    for spec in specs:
        if spec == "-":
            return None
        files = _files_of(spec)
        if files is None:
            total += 1  # the error line for the glob
        else:
            total += sum(_count_lines(file) if _is_jsonl(file) else 1 for file, _ in files)
    return total


def _directory_files(folder: Path) -> Iterator[Path]:
    for file in sorted(folder.rglob("*")):
        relative = file.relative_to(folder).parts
        hidden = any(p.startswith(".") for p in relative)
        if file.is_file() and not hidden and file.suffix.lower() in DOCUMENT_SUFFIXES:
            yield file


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


def _count_lines(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return 1


def _file_sources(
    path: Path, doc_id: str, *, encoding: str | None, html: bool | None
) -> Iterator[Source | InputError]:
    if not _is_jsonl(path):
        try:
            source = read_path(path, encoding=encoding, html=html)
        except InputError as exc:
            exc.doc_id = doc_id
            yield exc
        else:
            yield Source(doc_id, source.text, source.origin, source.converted_from_html, page=source.page)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield InputError(f"cannot read {path}: {exc.strerror}", doc_id=doc_id)
        return
    with handle:
        yield from _jsonl_sources(handle, str(path), path.stem, encoding=encoding, html=html)


def _jsonl_sources(
    lines: Iterable[bytes], origin: str, stem: str, *, encoding: str | None, html: bool | None
) -> Iterator[Source | InputError]:
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{origin} line {number}"
        fallback_id = f"{stem}:{number}"
        try:
            record = json.loads(raw.decode(encoding or "utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            yield InputError(f"{where} is not a JSON object: {exc}", doc_id=fallback_id)
            continue
        if not isinstance(record, dict):
            yield InputError(f"{where} is not a JSON object", doc_id=fallback_id)
            continue
        raw_id = record.get("id", record.get("doc_id"))
        doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id) else fallback_id
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            yield InputError(f'{where} has no text (expected a non-empty "text" string)', doc_id=doc_id)
            continue
        try:
            plain, page = to_text(text, name=where, html=html)
        except InputError as exc:
            exc.doc_id = doc_id
            yield exc
            continue
        yield Source(doc_id, plain, where, page is not None, line=number, page=page)


def _stdin_sources(
    stream: BinaryIO, *, encoding: str | None, html: bool | None
) -> Iterator[Source | InputError]:
    first = stream.readline()
    while first and not first.strip():
        first = stream.readline()
    if _is_jsonl_line(first):
        yield from _jsonl_sources(_chain(first, stream), "stdin", "stdin", encoding=encoding, html=html)
        return
    try:
        raw = decode(first + stream.read(), name="stdin", encoding=encoding)
        text, page = to_text(raw, name="stdin", html=html)
    except InputError as exc:
        yield exc
        return
    yield Source("stdin", text, "stdin", page is not None, page=page)


def _is_jsonl_line(line: bytes) -> bool:
    if not line.lstrip().startswith(b"{"):
        return False
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and "text" in record


def _chain(first: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest
