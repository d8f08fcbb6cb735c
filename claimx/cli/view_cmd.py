"""``claimx view``: turn a saved result into one self-contained HTML page."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from claimx.cli import app, helptext
from claimx.cli.common import atomic_write, count, fail, file_output, refuse_output, stderr
from claimx.errors import ClaimxError, ConfigError, InputError
from claimx.inputs import decode, read_path
from claimx.schema import Extraction

__all__ = ["Saved", "load_results", "pick_result", "view_command"]


def _objects(raw: str, name: str) -> list[Any]:
    """The JSON values in a file: one document, or one per line (JSONL)."""
    try:
        return [json.loads(raw)]
    except json.JSONDecodeError as whole:
        lines = [line for line in raw.splitlines() if line.strip()]
        if len(lines) < 2:
            raise InputError(f"{name} is not JSON ({whole.msg} at line {whole.lineno})") from None
        out = []
        for number, line in enumerate(lines, start=1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(f"{name} line {number} is not JSON ({exc.msg})") from None
        return out


@dataclass
class Saved:
    """What a results file holds: the results, and the documents whose extraction failed."""

    results: list[Extraction]
    #: doc_id → the error line's ``error`` ({"type", "cause", "message"}).
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)


def load_results(raw: str, name: str) -> Saved:
    """Every claimx result in a JSON or JSONL text, and the batch's error lines by document."""
    saved = Saved([])
    first_problem: str | None = None
    for value in _objects(raw, name):
        if not isinstance(value, dict):
            continue
        if "meta" not in value:
            if isinstance(value.get("error"), dict) and value.get("doc_id") is not None:
                saved.failures[str(value["doc_id"])] = value["error"]
            continue
        try:
            saved.results.append(Extraction.model_validate(value))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            first_problem = first_problem or f"{where}: {err['msg']}"
    if not saved.results and not saved.failures:
        detail = f" ({first_problem})" if first_problem else ""
        raise InputError(f"{name} holds no claimx result{detail}; make one with `claimx extract ... -f json`")
    return saved


def _listing(saved: Saved, limit: int = 20) -> str:
    lines = [f"  {r.doc_id} ({count(len(r.attributions), 'statement')})" for r in saved.results]
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
    if len(saved.results) == 1 and not saved.failures:
        return saved.results[0]
    if not saved.results:
        raise InputError(f"{name} holds no claimx result, only failed documents:\n{_listing(saved)}")
    total = len(saved.results) + len(saved.failures)
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
    encoding: str | None = typer.Option(None, "--encoding", help="Text encoding of --text (default UTF-8)."),
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
            name, data = "stdin", sys.stdin.buffer.read()
        else:
            name = result_path
            try:
                data = Path(result_path).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read {result_path}: {exc.strerror or exc}") from None
        result = pick_result(load_results(decode(data, name=name), name), doc, name)
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
