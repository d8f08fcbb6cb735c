"""``claimx view``: turn a saved result into one self-contained HTML page."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import typer
from pydantic import ValidationError

from claimx.cli import app, helptext
from claimx.cli.common import atomic_write, checked_encoding, count, fail, file_output, refuse_output, stderr
from claimx.errors import ClaimxError, ConfigError, InputError
from claimx.inputs import MAX_ARTICLE_BYTES, decode, read_path
from claimx.schema import Extraction

__all__ = ["Saved", "load_results", "pick_result", "view_command"]


#: The most one results file may hold when it is one JSON document, and the longest line of a
#: JSONL results file: a line holds one article and its result, so four times the article cap.
MAX_RESULT_BYTES = 4 * MAX_ARTICLE_BYTES


def _too_large(name: str) -> InputError:
    return InputError(
        f"{name} holds more than {MAX_RESULT_BYTES // (1024 * 1024)} MB in one JSON value: "
        "not a claimx results file (a device or an archive named by mistake?)"
    )


def _objects(stream: BinaryIO, name: str) -> Iterator[Any]:
    """The JSON values in a stream: one document, or one per line (JSONL), read as they come.

    A results file can hold a whole batch, so it is never read whole unless it is one
    (pretty-printed) document; and no line or document beyond :data:`MAX_RESULT_BYTES` is kept:
    ``/dev/zero`` or a disk image named by mistake ends with one line, not with memory run out.
    The first bytes are checked as an article's are, so a PDF or a binary is named at once.
    """
    head = stream.read(8192)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: small enough to read whole, as before
        rest = stream.read(MAX_RESULT_BYTES + 1 - len(head))
        whole = decode(head + rest, name=name)
        if len(head) + len(rest) > MAX_RESULT_BYTES:
            raise _too_large(name)
        yield from _whole_or_lines(whole, name)
        return
    if head.strip():
        _check_head(head, name)
    lines = _lines(head, stream, name)
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise InputError(f"{name} is empty")
    try:
        yield json.loads(_text(first, name, 1))
    except json.JSONDecodeError:
        # Not a value on one line: one document over many lines (``-f json``), read whole.
        body = bytearray(first)
        for line in lines:
            body += line
            if len(body) > MAX_RESULT_BYTES:
                raise _too_large(name) from None
        whole = _text(bytes(body), name, None)
        try:
            yield json.loads(whole)
        except json.JSONDecodeError as exc:
            raise _not_a_result(name, f"{exc.msg} at line {exc.lineno}", whole) from None
        return
    for number, line in enumerate(lines, start=2):
        if not line.strip():
            continue
        try:
            yield json.loads(_text(line, name, number))
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} line {number} is not JSON ({exc.msg})") from None


def _not_a_result(name: str, detail: str, text: str) -> InputError:
    """Not JSON at all: what ``view`` reads, and what to do with what was given instead.

    The two files users hand it by mistake are an article (to extract first) and a page
    ``claimx view`` or ``extract -o page.html`` already wrote (to open in a browser).
    """
    if text.lstrip()[:1] == "<":
        advice = "it looks like an HTML page: open it in a browser"
    else:
        advice = "for an article, run claimx extract on it first (-o page.html writes the page)"
    return InputError(
        f"{name} is not JSON ({detail}): claimx view reads the JSON or JSONL claimx extract writes; {advice}"
    )


def _check_head(head: bytes, name: str) -> None:
    """An article's checks on a file's first bytes: known binaries and NUL bytes named."""
    try:
        decode(head, name=name)
    except InputError as exc:
        if "is not valid" not in str(exc):  # a multi-byte character cut at 8192 is no fault
            raise


def _lines(head: bytes, stream: BinaryIO, name: str) -> Iterator[bytes]:
    """The stream's lines (``head`` first), each at most :data:`MAX_RESULT_BYTES` long."""
    pending = head
    while True:
        cut = pending.find(b"\n")
        if cut >= 0:
            yield pending[: cut + 1]
            pending = pending[cut + 1 :]
            continue
        chunk = stream.readline(MAX_RESULT_BYTES + 1 - len(pending))
        if not chunk:
            if pending:
                yield pending
            return
        pending += chunk
        if len(pending) > MAX_RESULT_BYTES and not pending.endswith(b"\n"):
            raise _too_large(name)


def _text(data: bytes, name: str, line: int | None) -> str:
    try:
        return data.decode("utf-8-sig" if line in (1, None) else "utf-8")
    except UnicodeDecodeError as exc:
        where = f" line {line}" if line is not None else ""
        raise InputError(f"{name}{where} is not valid UTF-8 (byte {exc.start})") from None


def _whole_or_lines(raw: str, name: str) -> list[Any]:
    """The JSON values in a text held whole (UTF-16): one document, or one per line."""
    try:
        return [json.loads(raw)]
    except json.JSONDecodeError as whole:
        lines = [line for line in raw.splitlines() if line.strip()]
        if len(lines) < 2:
            raise _not_a_result(name, f"{whole.msg} at line {whole.lineno}", raw) from None
        out = []
        for number, line in enumerate(lines, start=1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{name} line {number} is not JSON ({exc.msg})") from None
        return out


@dataclass
class Saved:
    """What a results file holds: the results wanted, the listing of all, and the failures.

    Only the result asked for (``doc``) or, without one, the first is kept: a results file of a
    hundred thousand documents is listed, not held.
    """

    results: list[Extraction]
    #: doc_id → the error line's ``error`` ({"type", "cause", "message"}).
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every result's ``doc_id`` and number of statements, in file order.
    listing: list[tuple[str, int]] = field(default_factory=list)


def load_results(stream: BinaryIO, name: str, doc: str | None = None) -> Saved:
    """The claimx results in a JSON or JSONL stream, and the batch's error lines by document.

    Each result is validated as it is read; only the one named by ``doc`` (or, without
    ``doc``, the first) is kept.
    """
    saved = Saved([])
    first_problem: str | None = None
    for value in _objects(stream, name):
        if not isinstance(value, dict):
            continue
        if "meta" not in value:
            if isinstance(value.get("error"), dict) and value.get("doc_id") is not None:
                saved.failures[str(value["doc_id"])] = value["error"]
            continue
        try:
            result = Extraction.model_validate(value)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            first_problem = first_problem or f"{where}: {err['msg']}"
            continue
        saved.listing.append((result.doc_id, len(result.attributions)))
        if not saved.results and doc in (None, result.doc_id):
            saved.results.append(result)
    if not saved.listing and not saved.failures:
        detail = f" ({first_problem})" if first_problem else ""
        raise InputError(f"{name} holds no claimx result{detail}; make one with `claimx extract ... -f json`")
    return saved


def _listing(saved: Saved, limit: int = 20) -> str:
    lines = [f"  {doc_id} ({count(n, 'statement')})" for doc_id, n in saved.listing]
    lines += [f"  {doc} (failed: {error.get('message', '')})" for doc, error in saved.failures.items()]
    more = f"\n  … and {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def pick_result(saved: Saved, doc: str | None, name: str) -> Extraction:
    """The one result to show: the only one, or the one ``--doc`` names.

    Several results and no ``--doc`` is a usage error that lists them; a ``--doc`` whose
    extraction failed shows that document's error.
    """
    if doc is not None:
        for result in saved.results:
            if result.doc_id == doc:
                return result
        if doc in saved.failures:
            error = saved.failures[doc]
            raise InputError(
                f"{name}: document {doc!r} has no result: its extraction failed "
                f"({error.get('type', 'error')}): {error.get('message', '')}"
            )
        raise ConfigError(f"{name} has no document {doc!r}; it holds:\n{_listing(saved)}")
    if len(saved.listing) == 1 and not saved.failures:
        return saved.results[0]
    if not saved.listing:
        raise InputError(f"{name} holds no claimx result, only failed documents:\n{_listing(saved)}")
    total = len(saved.listing) + len(saved.failures)
    raise ConfigError(f"{name} holds {count(total, 'document')}; choose one with --doc:\n{_listing(saved)}")


def _article(path: Path, result: Extraction, encoding: str | None) -> str:
    text = read_path(path, encoding=encoding, html=None).text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if digest != result.text_sha256:
        raise InputError(
            f"{path} is not the text this result was extracted from (sha256 {digest[:12]}… ≠ "
            f"{result.text_sha256[:12]}…)"
        )
    return text


@app.command("view", cls=helptext.Command)
def view_command(
    result_path: str = typer.Argument(
        ..., metavar="RESULT", help="A result saved by claimx extract (JSON or JSONL), or -."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="Write the page here (atomically) instead of stdout.",
    ),
    text_path: Path | None = typer.Option(
        None,
        "--text",
        help="The article, when the result was saved without it (--no-text); checked by sha256.",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file."),
    doc: str | None = typer.Option(None, "--doc", help="Which document, when RESULT holds several."),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Text encoding of --text (default UTF-8).", callback=checked_encoding
    ),
    debug: bool = typer.Option(False, "--debug", help="Tracebacks on errors."),
) -> None:
    """Show a result as one self-contained HTML page: the article with each speaker's words highlighted.

    The page needs no network: open it in any browser, attach it to a mail.

    Example:
    [bold]claimx extract article.txt -f json -o result.json && claimx view result.json -o page.html[/bold]
    """
    if out is not None:  # before anything is read: the page never replaces what it shows
        sources = [Path(p) for p in (result_path, text_path) if p is not None and p != "-"]
        refuse_output(out, overwrite=overwrite, inputs=sources, debug=debug, writes="HTML")
    try:
        if result_path == "-":
            name, saved = "stdin", load_results(sys.stdin.buffer, "stdin", doc)
        else:
            name = result_path
            try:
                with Path(result_path).open("rb") as stream:
                    saved = load_results(stream, name, doc)
            except OSError as exc:
                raise InputError(f"cannot read {result_path}: {exc.strerror or exc}") from None
        result = pick_result(saved, doc, name)
        text = _article(text_path, result, encoding) if text_path is not None else None
        if text is None and result.text is None:
            stderr.print(
                f"claimx: {name} was saved without its text; the page lists the statements only "
                "(pass the article with --text to see it highlighted)",
                markup=False,
            )
        source = text if text is not None else result.text
        problems = result.verify(source) if source is not None else []
        if problems:
            stderr.print(
                f"claimx: warning: {count(len(problems), 'span')} do not match the text, e.g. {problems[0]}",
                markup=False,
            )
        from claimx.render.html import extraction_html  # (the page's code loads with the command)

        page = extraction_html(result, text)
    except ClaimxError as exc:
        fail(exc, debug)
    if out is None:
        sys.stdout.write(page)
        sys.stdout.flush()
    else:
        atomic_write(out, page)
        stderr.print(f"claimx: wrote {out} ({count(len(result.attributions), 'statement')})", markup=False)
