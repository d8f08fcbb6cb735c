"""What every command shares: exit codes, error reporting, logging, atomic writes."""

from __future__ import annotations

import codecs
import logging
import os
import sys
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from claimx.atomic import atomic_replace, output_kind
from claimx.errors import (
    ClaimxError,
    ConfigError,
    InputError,
    InvalidOutputError,
    ModelError,
    OutputError,
    PromptError,
    redact,
)
from claimx.inputs import same_file

__all__ = [
    "EXIT_FAILED_DOCS",
    "EXIT_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_MODEL",
    "EXIT_OK",
    "EXIT_USAGE",
    "atomic_write",
    "checked_encoding",
    "count",
    "fail",
    "file_output",
    "refuse_output",
    "setup_logging",
    "stderr",
]

EXIT_OK = 0
EXIT_FAILED_DOCS = 1  # a batch finished, but some documents failed
EXIT_USAGE = 2  # bad arguments or configuration (missing key, unknown model or prompt), an unwritable output
EXIT_INPUT = 3  # the input could not be read as text
EXIT_MODEL = 4  # the model could not be reached or never gave valid output
EXIT_INTERRUPTED = 130  # stopped by SIGINT/SIGTERM; completed work is saved

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def checked_encoding(value: str | None) -> str | None:
    """``--encoding``, refused at once unless Python decodes text with it.

    Checked up front: a name Python does not know (or a bytes-to-bytes codec such as
    ``hex``) used to surface per JSONL line as a traceback, after the run had started.
    """
    if value is None:
        return None
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise typer.BadParameter(f"unknown encoding {value!r} (e.g. utf-8, cp1252, latin-1)") from None
    if not getattr(info, "_is_text_encoding", True):
        raise typer.BadParameter(f"{value!r} is not a text encoding (e.g. utf-8, cp1252, latin-1)")
    return value


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 document``, ``2 documents``: a number with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code for an error."""
    if isinstance(exc, (ConfigError, PromptError, OutputError)):
        return EXIT_USAGE
    if isinstance(exc, InputError):
        return EXIT_INPUT
    if isinstance(exc, (ModelError, InvalidOutputError)):
        return EXIT_MODEL
    return EXIT_FAILED_DOCS


def fail(exc: BaseException, debug: bool = False) -> NoReturn:
    """Report an error in one line (a traceback only with --debug) and exit."""
    if debug:
        stderr.print(redact("".join(traceback.format_exception(exc))), markup=False)
    message = str(exc) if isinstance(exc, ClaimxError) else f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ConfigError) and exc.cli_message:  # the flags, not the Python arguments
        message = (f"{exc.doc_id}: " if exc.doc_id else "") + exc.cli_message
    stderr.print(f"claimx: error: {redact(message)}", markup=False)
    raise typer.Exit(exit_code_for(exc))


class _RedactingFilter(logging.Filter):
    """Redacts a record's message and its traceback.

    The HTTP stack logs exceptions whose text can quote a header (``Authorization`` too).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(debug: bool) -> None:
    """Log claimx (and, with --debug, its HTTP stack) to stderr, keys redacted."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    names = ["claimx"] + (["openai", "httpx", "httpx2", "instructor"] if debug else [])
    for name in names:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.DEBUG if debug else logging.WARNING)
        logger.propagate = False
    if debug:
        os.environ["CLAIMX_DEBUG"] = "1"


def atomic_write(path: Path, data: str) -> None:
    """Write a whole file so that readers see the old one or the new one, never half."""
    with atomic_replace(path) as handle:
        handle.write(data.encode("utf-8", "surrogatepass"))


#: What a file's extension says it holds, for outputs written in one format only.
_FORMAT_OF_SUFFIX = {
    ".json": "JSON",
    ".jsonl": "JSONL",
    ".html": "HTML",
    ".htm": "HTML",
    ".md": "Markdown",
    ".markdown": "Markdown",
    ".txt": "text",
    ".csv": "CSV",
    ".tsv": "TSV",
    ".xml": "XML",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".pdf": "PDF",
    ".docx": "Word",
    ".xlsx": "Excel",
}
#: The format → the extension to suggest, and the other extensions that fit it.
_FITTING_SUFFIXES = {"HTML": (".html", {".htm"}), "Markdown": (".md", {".markdown", ".txt"})}


def format_named(path: Path) -> str | None:
    """The format a file's extension names (``JSON``, ``Markdown``, ...), None for any other."""
    return _FORMAT_OF_SUFFIX.get(path.suffix.lower())


def file_output(value: str) -> Path:
    """An output file's path, refusing a name that ends in ``/`` (a folder).

    ``-o results/`` meant a folder; as a ``Path`` the slash is gone, and a file named
    ``results`` was written where the user expected a folder of results.
    """
    if value.endswith(("/", os.sep)):
        raise typer.BadParameter(
            f"{value} ends in '/', so it names a folder; give a file name (e.g. {value}results.jsonl)"
        )
    return Path(value)


def refuse_output(
    out: Path,
    *,
    overwrite: bool,
    inputs: Iterable[Path] = (),
    debug: bool = False,
    writes: str | None = None,
) -> None:
    """One rule for every output: never an input, never a non-file, an existing file only when asked.

    An output that is one of ``inputs`` (the same path, a symlink to it, a hard link) is
    refused even with ``--overwrite``: writing it would destroy what the command reads. A
    folder, block device or socket is refused; a non-empty regular file needs ``overwrite``.
    Each refusal is one line on stderr and exit 2, before anything is written. ``writes``
    names the one format the command writes (``HTML``, ``Markdown``): an output whose
    extension names another (``page.json``) is refused, never filled with the wrong kind.
    """
    for source in inputs:
        if same_file(source, out):
            fail(
                OutputError(
                    f"{out} is both an input and the output: writing there would destroy {source}; "
                    "choose another output"
                ),
                debug,
            )
    try:
        kind = output_kind(out)
    except ClaimxError as exc:
        fail(exc, debug)
    if kind == "file" and out.stat().st_size and not overwrite:
        fail(OutputError(f"{out} already exists: add --overwrite to replace it"), debug)
    if writes is not None:
        suggested, others = _FITTING_SUFFIXES[writes]
        said = _FORMAT_OF_SUFFIX.get(out.suffix.lower())
        if said is not None and out.suffix.lower() != suggested and out.suffix.lower() not in others:
            fail(
                OutputError(
                    f"{out} names a {said} file, but this command writes {writes}: "
                    f"name it {out.with_suffix(suggested).name}"
                ),
                debug,
            )


#: ``--prices FILE``: one option for every command that prices its calls (extract, eval run, batch submit).
PRICES_OPTION: Path | None = typer.Option(
    None,
    "--prices",
    metavar="FILE",
    help="Model prices (JSON or TOML, USD per million tokens) extending the built-in table "
    "(default $CLAIMX_PRICES).",
)
