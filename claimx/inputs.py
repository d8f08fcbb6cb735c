"""Reading documents from files and streams: bytes → text, with clear refusals.

Binary files, undecodable bytes and empty files are refused with a message
that says what was found and what to do. HTML is reduced to its main text
(:mod:`claimx.htmltext`); offsets in the result then index that text, which the result carries.
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from claimx.capped import read_capped
from claimx.document import Document
from claimx.errors import InputError
from claimx.htmltext import PageText, looks_like_html, main_text

__all__ = [
    "DOCUMENT_SUFFIXES",
    "InputFile",
    "InputPlan",
    "PendingFile",
    "Source",
    "count_documents",
    "decode",
    "duplicate_ids",
    "holds_results",
    "iter_documents",
    "iter_sources",
    "looks_like_html",
    "names_many",
    "plan_inputs",
    "read_path",
    "same_file",
    "written_kind",
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


#: Files people give as articles that are not text, by their first bytes: what each is and
#: what to do. Read with ``--encoding cp1252`` (as the generic advice said) each decodes into
#: garbage a model would be paid to read.
_KNOWN_BINARIES = (
    (b"%PDF-", "a PDF", "extract its text first (e.g. pdftotext FILE out.txt) and give claimx that"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first (e.g. gunzip -c FILE | claimx extract -)"),
    (
        b"PK\x03\x04",
        "a ZIP archive (a .docx, .odt or .epub is one)",
        "save or export it as plain text or HTML, or unpack it, and give claimx that",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "an old Microsoft Office file (.doc)",
        "save it as plain text and give claimx that",
    ),
    (b"\x89PNG", "a PNG image", "claimx reads text, not images"),
    (b"\xff\xd8\xff", "a JPEG image", "claimx reads text, not images"),
)


def decode(data: bytes, *, name: str, encoding: str | None = None) -> str:
    """Bytes → text: UTF-8 (BOM allowed) unless ``encoding`` says otherwise."""
    if not data.strip():
        raise InputError(f"{name} is empty", doc_id=name)
    sample = data[:8192]
    for magic, what, todo in _KNOWN_BINARIES:
        if data.startswith(magic):
            raise InputError(f"{name} is a binary file ({what}), not text: {todo}", doc_id=name)
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
    except UnicodeError as exc:  # a codec that reports no position (punycode, idna)
        raise InputError(
            f"{name} is not valid {chosen} ({exc}); if it is in another encoding, say which with "
            "--encoding (e.g. --encoding cp1252)",
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


#: The most one article may hold. Read whole, ``/dev/zero``, a disk image or an archive named
#: by mistake ran the process out of memory; a real article is a thousandth of this.
MAX_ARTICLE_BYTES = 64 * 1024 * 1024


def _too_large(name: str) -> str:
    return (
        f"{name} holds more than {MAX_ARTICLE_BYTES // (1024 * 1024)} MB: too much for one article "
        "(a device, an archive or a file named by mistake?); give articles as files or JSONL lines"
    )


def read_path(path: Path, *, encoding: str | None = None, html: bool | None = None) -> Source:
    """Read one file as a document; its id is the file name without extension."""
    try:
        data = read_capped(path, MAX_ARTICLE_BYTES)
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}", doc_id=path.name) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a directory", doc_id=path.name) from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", doc_id=path.name) from exc
    if data is None:
        raise InputError(_too_large(str(path)), doc_id=path.name)
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


@dataclass(frozen=True)
class PendingFile:
    """A document file named but not read yet.

    Reading may block (a FIFO waits for a writer), so a batch reads it off its event loop,
    when a worker is free, with :meth:`read`.
    """

    path: Path
    doc_id: str
    encoding: str | None = None
    html: bool | None = None

    def read(self) -> Source | InputError:
        """The document, or the error saying why it cannot be read."""
        try:
            source = read_path(self.path, encoding=self.encoding, html=self.html)
        except InputError as exc:
            exc.doc_id = self.doc_id
            return exc
        return Source(self.doc_id, source.text, source.origin, source.converted_from_html, page=source.page)


@dataclass(frozen=True)
class InputFile:
    """One file the specs name, with its document id (for JSONL: the prefix of fallback ids)."""

    path: Path
    doc_id: str
    #: Named on the command line itself, not found in a folder or by a glob.
    explicit: bool


@dataclass
class InputPlan:
    """Everything the specs name, listed once: files with unique ids, what was left out, and why."""

    #: Per spec, in order: ``"-"`` for stdin, else its files (errors for what cannot be listed).
    items: list[str | InputFile | InputError]
    #: Files left out of a folder or glob, each with the reason (the output, a results file).
    skipped: list[str]


def plan_inputs(specs: Iterable[str], *, output: Path | None = None) -> InputPlan:
    """List the files ``specs`` name, give each a unique id, and leave out what is not input.

    Left out (and listed in ``skipped``): the output file itself and any claimx results
    file found in a folder or by a glob, so a batch never reads what it writes. Named
    explicitly, the output is refused (:class:`~claimx.errors.OutputError`) and a results
    file is an input error.

    Ids are unique by construction: a file's id is its path inside the folder given (or
    its name) without the extension; where two would share one (``a.txt`` and ``a.html``),
    each keeps its extension (``a.txt``, ``a.html``).
    """
    from claimx.errors import OutputError

    out_path = Path(os.path.realpath(output)) if output is not None else None
    items: list[str | InputFile | InputError] = []
    skipped: list[str] = []
    found: list[tuple[InputFile, str]] = []  # with the id each would take if it collides
    for spec in specs:
        if spec == "-":
            items.append("-")
            continue
        if not spec.strip():
            # Path("") is "." : an unset "$ARTICLE" read (and sent to a model) the whole working folder.
            items.append(
                InputError(
                    f"an empty input name ({spec!r}) names no file; give a file, a folder (. for this one) "
                    "or - for stdin",
                    doc_id=repr(spec),
                )
            )
            continue
        listed = _files_of(spec)
        if listed is None:
            items.append(InputError(f"no file matches {spec}", doc_id=spec))
            continue
        for entry in listed:
            if isinstance(entry, InputError):
                items.append(entry)
                continue
            file, doc_id, long_id, explicit = entry
            if out_path is not None and same_file(file, out_path):
                if explicit or not _holds_results_or_nothing(file):
                    name = spec if explicit else str(file)
                    raise OutputError(
                        f"{name} is both an input and the output: writing the results there would "
                        "destroy it; choose another --out"
                    )
                skipped.append(f"{file} (the output file)")
                continue
            unreadable = None if explicit else _not_a_regular_file(file)
            if unreadable is not None:
                items.append(InputError(unreadable, doc_id=doc_id))
                continue
            kind = written_kind(file) if _is_jsonl(file) else _page_kind(file)
            if kind is not None:
                if explicit:
                    items.append(
                        InputError(
                            f"{file} is {kind}, not input; give the articles it was made from",
                            doc_id=doc_id,
                        )
                    )
                else:
                    skipped.append(f"{file} ({kind.split(' (')[0]})")
                continue
            item = InputFile(file, doc_id, explicit)
            found.append((item, long_id))
            items.append(item)
    # Two files that would share an id each keep their extension instead.
    counts: dict[str, int] = {}
    for item, _ in found:
        if not _is_jsonl(item.path):
            counts[item.doc_id] = counts.get(item.doc_id, 0) + 1
    renamed = {id(item): InputFile(item.path, long_id, item.explicit) for item, long_id in found}
    items = [
        renamed[id(item)] if isinstance(item, InputFile) and counts.get(item.doc_id, 0) > 1 else item
        for item in items
    ]
    return InputPlan(items, skipped)


def _not_a_regular_file(file: Path) -> str | None:
    """Why a file found in a folder or by a glob cannot be read as an article (None: it can).

    A FIFO found there would block the batch until something writes to it (named on the
    command line, it is read: the user asked for it); a broken or looping link reads nothing.
    """
    try:
        mode = file.stat().st_mode
    except OSError as exc:
        if file.is_symlink():
            return f"{file} is a symbolic link that leads nowhere readable ({exc.strerror or exc})"
        return f"cannot read {file}: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"{file} is {kind}, not a regular file: name it on the command line to read it"


def same_file(file: Path, output: Path) -> bool:
    """Whether writing ``output`` would replace ``file``: the same path, symlink target or inode."""
    try:
        return os.path.realpath(file) == os.path.realpath(output) or os.path.samefile(file, output)
    except OSError:
        return False


def _holds_results_or_nothing(path: Path) -> bool:
    """Whether a folder's file may be skipped as the output: an earlier run's results, or empty.

    Anything else there (an article) is what the folder supplies: replacing it would destroy
    an input, so it is refused even with ``--overwrite``.
    """
    try:
        if path.stat().st_size == 0:
            return True
    except OSError:
        return False
    return holds_results(path)


def holds_results(path: Path) -> bool:
    """Whether ``path`` is a claimx results file (its first line an extraction or error line)."""
    return written_kind(path) == _RESULTS_KIND


_RESULTS_KIND = "a claimx results file (the output of claimx extract)"


def written_kind(path: Path) -> str | None:
    """What claimx wrote ``path`` as, judged by its first line, or None for an input.

    A results file (an extraction or error line), a batch documents file, or a batch's request
    or answer lines (``custom_id``): all of them are claimx's own output or a provider's reply
    to it, never articles, so a folder holding them beside the articles is read safely.
    """
    from claimx.jsonl import is_results_line

    try:
        with path.open("rb") as handle:
            for line in _bounded_lines(handle):
                if line.strip():
                    return None if line is _OVERLONG else _kind_of_first_line(line, is_results_line(line))
    except OSError:
        return None
    return None


#: In the head of every page claimx writes (``view``, ``extract -f html``, ``eval report``).
_PAGE_MARK = b'<meta name="generator" content="claimx">'
_PAGE_SUFFIXES = frozenset([".html", ".htm", ".xhtml"])


def _page_kind(path: Path) -> str | None:
    """``a page claimx wrote (…)`` for one of claimx's own HTML pages, else None.

    Such a page holds an article already extracted, wrapped in claimx's tables: read as an
    article it would be the same story again, paid for twice.
    """
    if path.suffix.lower() not in _PAGE_SUFFIXES:
        return None
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block here: it is read later
            return None
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return None
    return "a page claimx wrote (claimx view, extract -f html or eval report)" if _PAGE_MARK in head else None


def _kind_of_first_line(line: bytes, is_result: bool) -> str | None:
    if is_result:
        return _RESULTS_KIND
    try:
        first = json.loads(line)
    except ValueError:
        return None
    if not isinstance(first, dict):
        return None
    if "claimx_batch_documents" in first:
        return "a claimx batch documents file (written by claimx batch export)"
    if "custom_id" in first and ("body" in first or "response" in first or "error" in first):
        return "a batch file (OpenAI batch request or answer lines)"
    return None


def iter_documents(
    plan: InputPlan, *, encoding: str | None = None, html: bool | None = None
) -> Iterator[Source | InputError | PendingFile]:
    """The documents of ``plan`` in order; files other than JSONL are left for the reader to read."""
    for item in plan.items:
        if isinstance(item, InputError):
            yield item
        elif item == "-":
            yield from _stdin_sources(sys.stdin.buffer, encoding=encoding, html=html)
        elif isinstance(item, InputFile):
            if _is_jsonl(item.path):
                yield from _jsonl_file_sources(item.path, item.doc_id, encoding=encoding, html=html)
            else:
                yield PendingFile(item.path, item.doc_id, encoding, html)


def iter_sources(
    specs: Iterable[str],
    *,
    encoding: str | None = None,
    html: bool | None = None,
    output: Path | None = None,
) -> Iterator[Source | InputError]:
    """Every document named by ``specs``, one at a time, in order.

    A spec is a file, a directory (its document files, recursively, sorted), a glob
    pattern, a ``.jsonl`` file of ``{"id", "text"}`` lines, or ``-`` for stdin (one
    document, or JSONL when its first line is a JSON object with ``text``). A document
    that cannot be read is yielded as its :class:`InputError`, so a batch records it and
    goes on. Documents are read only when reached: memory does not grow with the batch.
    ``output`` (and any claimx results file) is never read as input (see :func:`plan_inputs`).
    """
    for item in iter_documents(plan_inputs(specs, output=output), encoding=encoding, html=html):
        yield item.read() if isinstance(item, PendingFile) else item


_FileEntry = tuple[Path, str, str, bool]  # path, id, id with extension, named explicitly


def _files_of(spec: str) -> list[_FileEntry | InputError] | None:
    """The files a spec names, each with its ids (None: a glob that matches nothing).

    A directory's files are named by their path inside it (``sub/a``), so two ``a.txt`` in
    different folders stay apart; a file given or matched by a glob, by its stem.
    """
    path = Path(spec)
    if path.is_dir():
        entries: list[_FileEntry | InputError] = []
        for entry in _directory_files(path):
            if isinstance(entry, InputError):
                entries.append(entry)
                continue
            relative = entry.relative_to(path)
            entries.append((entry, relative.with_suffix("").as_posix(), relative.as_posix(), False))
        if not entries:
            # As for a glob that matches nothing: "0 extracted" and exit 0 read as success, and
            # -o was written empty, for a folder of PDFs or a wrong folder.
            kinds = ", ".join(sorted(suffix for suffix in DOCUMENT_SUFFIXES if suffix))
            return [
                InputError(
                    f"the folder {spec} holds no article files ({kinds} or no extension; "
                    "hidden files are left out)",
                    doc_id=spec,
                )
            ]
        return entries
    if path.exists() or not _GLOB_CHARS.search(spec):
        return [(path, path.stem, path.as_posix(), True)]
    matches = [Path(m) for m in sorted(glob.glob(spec, recursive=True)) if not Path(m).is_dir()]
    return [(m, m.stem, m.as_posix(), False) for m in matches] or None


def names_many(spec: str) -> bool:
    """True when ``spec`` stands for any number of documents: a directory, a JSONL file, a glob."""
    path = Path(spec)
    return path.is_dir() or _is_jsonl(path) or (not path.exists() and bool(_GLOB_CHARS.search(spec)))


def count_documents(specs: Iterable[str] | InputPlan) -> int | None:
    """How many documents ``specs`` hold, cheaply (None when stdin makes it unknowable)."""
    plan = specs if isinstance(specs, InputPlan) else plan_inputs(specs)
    total = 0
    for item in plan.items:
        if item == "-":
            return None
        total += _count_lines(item.path) if isinstance(item, InputFile) and _is_jsonl(item.path) else 1
    return total


def duplicate_ids(plan: InputPlan, *, limit: int = 5) -> list[str]:
    """Ids that more than one document of ``plan`` would carry, each with where (stdin unchecked).

    Read before a batch starts, so a repeated id in a JSONL file is refused up front
    instead of surfacing as one document's error, or being skipped by a resumed run.
    """
    where: dict[str, list[str]] = {}
    for item in plan.items:
        if not isinstance(item, InputFile):
            continue
        if not _is_jsonl(item.path):
            where.setdefault(item.doc_id, []).append(str(item.path))
            continue
        for number, record in _jsonl_records(item.path):
            if isinstance(record, dict):
                doc_id = _record_id(record, f"{item.doc_id}:{number}")
                where.setdefault(doc_id, []).append(f"{item.path} line {number}")
    repeated = [f"{key!r} ({', '.join(places[:3])})" for key, places in where.items() if len(places) > 1]
    return repeated[:limit] + ([f"and {len(repeated) - limit} more"] if len(repeated) > limit else [])


def _jsonl_records(path: Path) -> Iterator[tuple[int, object]]:
    try:
        with _open_jsonl(path) as lines:
            for number, raw in enumerate(lines, 1):
                if raw.strip():
                    try:
                        yield number, json.loads(raw)
                    except ValueError:
                        yield number, None
    except (OSError, UnicodeDecodeError):
        return


def _record_id(record: dict[str, object], fallback: str) -> str:
    raw_id = record.get("id", record.get("doc_id"))
    return str(raw_id) if isinstance(raw_id, (str, int)) and str(raw_id) else fallback


def _directory_files(folder: Path) -> Iterator[Path | InputError]:
    """Document files under ``folder``, sorted; a subfolder that cannot be listed is an error."""
    problems: list[OSError] = []
    files: list[Path] = []
    for root, dirs, names in os.walk(folder, onerror=problems.append):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            file = Path(root) / name
            # Not only regular files: a broken link or a FIFO named like an article becomes that
            # document's error in plan_inputs, instead of vanishing from the batch unannounced.
            if not name.startswith(".") and file.suffix.lower() in DOCUMENT_SUFFIXES:
                files.append(file)
    yield from sorted(files)
    for problem in problems:
        where = Path(problem.filename) if problem.filename else folder
        relative = where.relative_to(folder).as_posix() if where != folder else str(folder)
        yield InputError(
            f"cannot read the folder {where}: {problem.strerror or problem}; its documents were not read",
            doc_id=relative,
        )


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


def _count_lines(path: Path) -> int:
    try:
        with _open_jsonl(path) as lines:
            return sum(1 for line in lines if line.strip())
    except (OSError, UnicodeDecodeError):
        return 1


@contextmanager
def _open_jsonl(path: Path) -> Iterator[Iterator[bytes]]:
    """The lines of a JSONL file as UTF-8 bytes; a UTF-16 file (with its BOM) is decoded first."""
    with path.open("rb") as handle:
        if handle.peek(2)[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = io.TextIOWrapper(handle, encoding="utf-16", newline="")
            yield (line.encode("utf-8", "surrogatepass") for line in text)
        else:
            yield _bounded_lines(handle)


#: Stands for a line longer than an article may be; the file is read no further.
_OVERLONG = b"\x00(a line over the size limit)"


def _bounded_lines(handle: BinaryIO) -> Iterator[bytes]:
    """The lines of ``handle``, none longer than :data:`MAX_ARTICLE_BYTES`.

    A longer line (a whole JSON array on one line, ``/dev/zero`` behind a ``.jsonl`` name) is
    :data:`_OVERLONG` and ends the file: read whole, it ran the process out of memory.
    """
    while line := handle.readline(MAX_ARTICLE_BYTES + 1):
        if len(line) > MAX_ARTICLE_BYTES:
            yield _OVERLONG
            return
        yield line


def _jsonl_file_sources(
    path: Path, stem: str, *, encoding: str | None, html: bool | None
) -> Iterator[Source | InputError]:
    try:
        with _open_jsonl(path) as lines:
            yield from _jsonl_sources(lines, str(path), stem, encoding=encoding, html=html)
    except OSError as exc:
        yield InputError(f"cannot read {path}: {exc.strerror}", doc_id=stem)
    except UnicodeDecodeError as exc:
        yield InputError(f"{path} starts like UTF-16 but is not valid UTF-16: {exc.reason}", doc_id=stem)


def _jsonl_sources(
    lines: Iterable[bytes], origin: str, stem: str, *, encoding: str | None, html: bool | None
) -> Iterator[Source | InputError]:
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        where = f"{origin} line {number}"
        fallback_id = f"{stem}:{number}"
        if raw is _OVERLONG:
            yield InputError(_too_large(where) + "; the rest of the file was not read", doc_id=fallback_id)
            return
        try:
            record = json.loads(raw.decode(encoding or "utf-8-sig"))
        except UnicodeDecodeError as exc:
            yield InputError(
                f"{where} is not valid {exc.encoding} (byte {exc.start}); JSONL is read as UTF-8 "
                "(or UTF-16 with a byte-order mark); say which encoding with --encoding",
                doc_id=fallback_id,
            )
            continue
        except LookupError:
            yield InputError(f"unknown encoding {encoding!r}", doc_id=fallback_id)
            continue
        except ValueError as exc:
            yield InputError(f"{where} is not a JSON object: {exc}", doc_id=fallback_id)
            continue
        if not isinstance(record, dict):
            yield InputError(f"{where} is not a JSON object", doc_id=fallback_id)
            continue
        doc_id = _record_id(record, fallback_id)
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
    first = stream.readline(MAX_ARTICLE_BYTES + 1)
    while first and not first.strip():
        first = stream.readline(MAX_ARTICLE_BYTES + 1)
    if len(first) <= MAX_ARTICLE_BYTES and _is_jsonl_line(first):
        lines = _chain(first, _bounded_lines(stream))
        yield from _jsonl_sources(lines, "stdin", "stdin", encoding=encoding, html=html)
        return
    data = first + stream.read(max(0, MAX_ARTICLE_BYTES + 1 - len(first)))
    if len(data) > MAX_ARTICLE_BYTES:
        yield InputError(_too_large("stdin"), doc_id="stdin")
        return
    try:
        raw = decode(data, name="stdin", encoding=encoding)
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
