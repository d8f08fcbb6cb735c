"""``claimx extract``: run the extraction on an article and print or save the result."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from claimx._sync import run_sync
from claimx.atomic import output_kind
from claimx.budget import check_estimate
from claimx.cache import ResponseCache
from claimx.caveats import caveat
from claimx.cli import app, helptext
from claimx.cli.common import (
    EXIT_USAGE,
    PRICES_OPTION,
    atomic_write,
    checked_encoding,
    fail,
    file_output,
    format_named,
    refuse_output,
    setup_logging,
    stderr,
)
from claimx.errors import ClaimxError, InputError
from claimx.extract import ExtractOptions, Extractor
from claimx.inputs import (
    InputPlan,
    PendingFile,
    Source,
    count_documents,
    duplicate_ids,
    holds_results,
    iter_documents,
    names_many,
    plan_inputs,
)
from claimx.models.registry import default_model_spec
from claimx.pricing import default_prices
from claimx.render.table import print_extraction
from claimx.schema import Extraction

__all__ = ["OutputFormat", "build_extractor", "extract_command", "format_for"]


class OutputFormat(StrEnum):
    """How results are written."""

    AUTO = "auto"
    JSON = "json"
    JSONL = "jsonl"
    TABLE = "table"
    HTML = "html"


#: The format an output file's extension asks for, when --format does not say.
_FORMAT_BY_SUFFIX = {
    ".json": OutputFormat.JSON,
    ".jsonl": OutputFormat.JSONL,
    ".ndjson": OutputFormat.JSONL,
    ".html": OutputFormat.HTML,
    ".htm": OutputFormat.HTML,
    ".txt": OutputFormat.TABLE,
}


def format_for(fmt: OutputFormat, out: Path | None, *, terminal: bool) -> OutputFormat:
    """The format to write: --format when given, else the output's extension, else table or JSON."""
    if fmt is not OutputFormat.AUTO:
        return fmt
    if out is not None:
        return _FORMAT_BY_SUFFIX.get(out.suffix.lower(), OutputFormat.JSON)
    return OutputFormat.TABLE if terminal else OutputFormat.JSON


def build_extractor(
    *,
    model: str | None,
    base_url: str | None,
    prompt: str | None,
    no_cache: bool,
    api_key: str | None = None,
    cache_dir: Path | None,
    include_text: bool,
    model_options: dict[str, Any],
    concurrency: int = 8,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    html: bool = False,
    prices: Path | None = None,
) -> Extractor:
    """An extractor from command-line options, saying on stderr which model it uses.

    ``prices`` is a prices file (``--prices``) extending the built-in table; without it,
    ``$CLAIMX_PRICES`` does, when set.
    """
    spec, reason = (model, "from --model") if model else default_model_spec()
    cache: ResponseCache | bool = False if no_cache else ResponseCache(cache_dir) if cache_dir else True
    extractor = Extractor(
        spec,
        prompt=prompt,
        cache=cache,
        base_url=base_url,
        api_key=api_key,
        options=ExtractOptions(
            include_text=include_text,
            concurrency=concurrency,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            html=html,
        ),
        model_options={k: v for k, v in model_options.items() if v is not None},
        prices=default_prices(prices),
    )
    where = f" at {extractor.model.base_url}" if extractor.model.base_url else ""
    stderr.print(
        f"claimx: model {extractor.model.id}{where} ({reason}); prompt {extractor.provenance.prompt_id}",
        markup=False,
    )
    if getattr(extractor.model, "bundled", False):
        from claimx.models.local import BUNDLED_NOTE

        stderr.print(f"claimx: note: {BUNDLED_NOTE}", markup=False)
    else:
        warning = caveat(extractor.model.id)
        if warning is not None:
            stderr.print(f"claimx: note: {warning.kind}: {warning.text}", markup=False)
    return extractor


def _emit(result: Extraction, fmt: OutputFormat, out: Path | None) -> None:
    if fmt is OutputFormat.TABLE:
        if out is None:
            print_extraction(result, Console())
        else:
            console = Console(record=True, width=160, file=open("/dev/null", "w"))  # noqa: SIM115
            print_extraction(result, console)
            atomic_write(out, console.export_text())
        return
    if fmt is OutputFormat.HTML:
        from claimx.render.html import extraction_html  # (loaded by the command that writes HTML)

        data = extraction_html(result)
    else:
        data = result.model_dump_json(indent=None if fmt is OutputFormat.JSONL else 2) + "\n"
    if out is None:
        sys.stdout.write(data)
        sys.stdout.flush()
    else:
        atomic_write(out, data)


@app.command("extract", cls=helptext.Command)
def extract_command(
    paths: list[str] = typer.Argument(
        ...,
        help="Article files (text or HTML), directories, glob patterns, JSONL files of "
        '{"id", "text"} lines, or - for stdin. More than one document: JSONL out, one line each.',
        metavar="INPUT...",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="openai/<name>, ollama/<name>, local, local:/path.gguf, or offline / baseline (no language "
        "model) (default: $CLAIMX_MODEL, else OpenAI if OPENAI_API_KEY is set, else offline).",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        envvar="CLAIMX_BASE_URL",
        help="OpenAI-compatible server, e.g. http://localhost:8000/v1.",
    ),
    api_key: str | None = typer.Option(
        None,
        "--api-key",
        help="Key for the server (default $CLAIMX_API_KEY; $OPENAI_API_KEY is sent only to "
        "api.openai.com, or to --base-url too when CLAIMX_SEND_OPENAI_KEY=1).",
        show_default=False,
    ),
    prompt: str | None = typer.Option(
        None, "--prompt", "-p", help="Prompt as NAME@VERSION (default extract@v1)."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.AUTO,
        "--format",
        "-f",
        help="json, jsonl, table or html (a self-contained page). Default: from --out's extension "
        "(.json, .jsonl, .html, .txt for the table), else table on a terminal and json when piped; "
        "--format wins over the extension.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="Write here (atomically) instead of stdout; never an input, never replaced without "
        "--overwrite (or --resume).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default ~/.cache/claimx)."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Text encoding of the input (default UTF-8).", callback=checked_encoding
    ),
    html: bool | None = typer.Option(None, "--html/--no-html", help="Treat input as HTML (default: detect)."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave the article text out of the JSON result."),
    timeout: float | None = typer.Option(
        None, "--timeout", help="Seconds one model request may take in all (default 120)."
    ),
    max_reply_mb: float | None = typer.Option(
        None,
        "--max-reply-mb",
        min=0.001,
        max=1024 * 1024,  # a terabyte: finite, since `inf` was an OverflowError traceback
        help="Largest reply accepted from the server (default 32 MB).",
    ),
    temperature: float | None = typer.Option(None, "--temperature", help="Sampling temperature (default 0)."),
    max_output_tokens: int | None = typer.Option(None, "--max-output-tokens", help="Output budget per call."),
    structured_output: str | None = typer.Option(
        None,
        "--structured-output",
        help="auto, json_schema, json_object (llama-cpp-python server), json, tools or md_json.",
    ),
    n_ctx: int | None = typer.Option(None, "--n-ctx", help="Context size for local models."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for local models."),
    concurrency: int = typer.Option(
        8, "--concurrency", "-j", min=1, help="Documents (and model calls) in flight at once."
    ),
    rpm: float | None = typer.Option(None, "--rpm", min=0.001, help="At most this many requests per minute."),
    tpm: float | None = typer.Option(None, "--tpm", min=1, help="At most this many tokens per minute."),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        metavar="USD",
        help="Refuse to start when the estimated cost exceeds USD dollars, and stop a run that would "
        "spend more (finished documents are kept).",
    ),
    prices: Path | None = PRICES_OPTION,
    resume: bool = typer.Option(
        False, "--resume", help="Continue the JSONL at --out: skip documents done, retry failures."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file."),
    rerun_mismatched: bool = typer.Option(
        False,
        "--rerun-mismatched",
        help="With --resume: extract again the documents whose results came from another model, "
        "prompt or schema (by default such a file is refused).",
    ),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks (keys are still hidden)."),
) -> None:
    """Extract claims, attributions and positions from articles.

    One article gives one result (a table on a terminal, else JSON). Several (files, a
    directory, a glob, a JSONL file, or JSONL on stdin) run concurrently and stream
    JSONL, one line per document as it finishes; a failed document becomes an error line
    and the exit code is 1.

    Examples:
    [bold]claimx extract seeds/000_a52612c81e7ad0d0.txt -m openai/gpt-4.1-mini -f table[/bold]
    [bold]claimx extract articles/ -o results.jsonl -j 16 --rpm 500[/bold]  (then add --resume after a stop)
    """
    setup_logging(debug)
    model_options = {
        "timeout_s": timeout,
        "max_reply_bytes": None if max_reply_mb is None else int(max_reply_mb * 1024 * 1024),
        "temperature": temperature,
        "max_output_tokens": max_output_tokens,
        "structured_output": structured_output,
        "n_ctx": n_ctx,
        "n_threads": threads,
    }
    extractor_options: dict[str, Any] = {
        "model": model,
        "base_url": base_url,
        "api_key": api_key,
        "prompt": prompt,
        "no_cache": no_cache,
        "cache_dir": cache_dir,
        "include_text": not no_text,
        "model_options": model_options,
        "concurrency": concurrency,
        "requests_per_minute": rpm,
        "tokens_per_minute": tpm,
        "html": False,  # inputs are reduced to text as they are read
        "prices": prices,
    }
    try:
        if out is not None:
            output_kind(out)  # a folder, a block device or a socket is never an output
        plan = plan_inputs(paths, output=out)
    except ClaimxError as exc:
        fail(exc, debug)
    for skipped in plan.skipped:
        stderr.print(f"claimx: not reading {skipped}", markup=False)
    named = format_named(out) if out is not None and fmt is OutputFormat.AUTO else None
    if out is not None and named is not None and out.suffix.lower() not in _FORMAT_BY_SUFFIX:
        # (-o notes.md wrote JSON under a Markdown name: the format is picked by the name)
        _usage(
            f"{out} names a {named} file, but extract writes JSON, JSONL, HTML or a table (.txt): "
            f"name it {out.with_suffix('.json').name}, or say --format json to write JSON there"
        )
    chosen = format_for(fmt, out, terminal=sys.stdout.isatty())
    single = len(paths) == 1 and not names_many(paths[0]) and chosen is not OutputFormat.JSONL and not resume
    documents: Iterator[Source | InputError | PendingFile] = iter_documents(
        plan, encoding=encoding, html=html
    )
    first: Source | InputError | PendingFile | None = None
    if single:
        # One document, unless stdin turns out to carry JSONL (then it is a batch after all).
        first = next(documents, None)
        if isinstance(first, PendingFile):
            first = first.read()
        single = first is not None and not (isinstance(first, Source) and first.line is not None)
    if not single:
        head = [first] if first is not None else []
        _batch(
            itertools.chain(head, documents),
            plan,
            fmt,
            out,
            _BatchFlags(resume, overwrite, rerun_mismatched, debug, max_cost),
            extractor_options,
            reread=None if "-" in plan.items else lambda: iter_documents(plan, encoding=encoding, html=html),
        )
        return
    if out is not None:
        refuse_output(out, overwrite=overwrite, debug=debug)
    try:
        if isinstance(first, InputError):
            raise first
        assert isinstance(first, Source)
        source = first
        if source.converted_from_html:
            stderr.print(
                f"claimx: {source.origin} read as HTML; offsets index its extracted text", markup=False
            )
        extractor = build_extractor(**extractor_options)
        try:
            text = source.document() if source.page else source.text
            if max_cost is not None:
                check_estimate(
                    run_sync(extractor.aestimate(text, source.doc_id)), max_cost, extractor.model.id
                )
            from claimx.cli.spinner import spinner  # (rich's progress display, loaded when shown)

            with spinner(extractor.model.id, stderr):
                result = extractor.extract(text, doc_id=source.doc_id)
        finally:
            extractor.close()
    except ClaimxError as exc:
        fail(exc, debug)
    except KeyboardInterrupt:
        stderr.print("claimx: interrupted", markup=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug of ours: still one line unless --debug
        fail(exc, debug)
    try:
        _emit(result, chosen, out)
    except ClaimxError as exc:
        fail(exc, debug)


@dataclass(frozen=True)
class _BatchFlags:
    resume: bool
    overwrite: bool
    rerun_mismatched: bool
    debug: bool
    max_cost: float | None = None


def _batch(
    sources: Iterable[Source | InputError | PendingFile],
    plan: InputPlan,
    fmt: OutputFormat,
    out: Path | None,
    flags: _BatchFlags,
    options: dict[str, Any],
    reread: Callable[[], Iterable[Source | InputError | PendingFile]] | None = None,
) -> None:
    if fmt not in (OutputFormat.AUTO, OutputFormat.JSONL):
        _usage(f"--format {fmt.value} shows one document; several documents are written as JSONL")
    if (
        fmt is OutputFormat.AUTO
        and out is not None
        and format_for(fmt, out, terminal=False) is not OutputFormat.JSONL
        # a pipe or device without an extension (-o /dev/stdout) is written as stdout is
        and not (out.suffix.lower() not in _FORMAT_BY_SUFFIX and output_kind(out) == "stream")
    ):
        _usage(
            f"several documents are written as JSONL, one line each: name the output {out.stem}.jsonl "
            "(or say --format jsonl)"
        )
    if flags.resume and out is None:
        _usage("--resume continues a results file: give it with --out FILE")
    if flags.rerun_mismatched and not flags.resume:
        _usage("--rerun-mismatched goes with --resume")
    repeated = duplicate_ids(plan)
    if repeated:
        fail(
            InputError(
                "several documents carry the same id: "
                + "; ".join(repeated)
                + '; ids must be unique (give each JSONL record its own "id"); nothing was run'
            )
        )
    if out is not None and not flags.resume:
        try:
            kind = output_kind(out)
        except ClaimxError as exc:
            fail(exc)
        if kind == "file" and out.stat().st_size and not flags.overwrite:
            if holds_results(out):
                again = "add --resume to continue it, or --overwrite to start again"
                _usage(f"{out} already holds results: {again}")
            _usage(f"{out} already exists and is not a claimx results file: add --overwrite to replace it")
    total = count_documents(plan)
    try:
        extractor = build_extractor(**options)
    except ClaimxError as exc:
        fail(exc, flags.debug)
    try:
        from claimx.cli.batch_run import run_batch  # (its progress display loads with the command)

        tally = run_batch(
            sources,
            extractor=extractor,
            out=out,
            resume=flags.resume,
            overwrite=flags.overwrite,
            rerun_mismatched=flags.rerun_mismatched,
            concurrency=options["concurrency"],
            total=total,
            max_cost=flags.max_cost,
            reread=reread,
        )
    except ClaimxError as exc:
        fail(exc, flags.debug)
    finally:
        extractor.close()
    raise typer.Exit(tally.exit_code)


def _usage(message: str) -> NoReturn:
    stderr.print(f"claimx: error: {message}", markup=False)
    raise typer.Exit(EXIT_USAGE)
