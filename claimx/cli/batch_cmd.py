"""``claimx batch``: the realtime requests as batch files for other engines, and their answers back.

``export`` writes OpenAI batch request lines (``vllm run-batch`` and the OpenAI Batch API
read them) and a documents file beside them; ``import`` turns the engine's output into the
JSONL ``claimx extract`` writes. Commands that drive a provider's Batch API register on
:data:`batch_app` from a module of their own, imported by :mod:`claimx.cli` like this one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from claimx.atomic import output_kind
from claimx.batchfile.settings import BatchSettings, RetryMode, documents_path_for, read_documents
from claimx.cache import ResponseCache
from claimx.cli import app, helptext
from claimx.cli.common import EXIT_USAGE, checked_encoding, count, fail, file_output, setup_logging, stderr
from claimx.errors import ClaimxError, OutputError
from claimx.extract import ExtractOptions
from claimx.inputs import InputFile, iter_documents, plan_inputs

if TYPE_CHECKING:
    from claimx.batchfile.lines import AnswerIndex

__all__ = ["batch_app", "export_command", "import_command"]

batch_app = typer.Typer(
    cls=helptext.Group,
    help="Batch files: the realtime requests for a batch engine (vLLM, OpenAI's Batch API), "
    "and its answers read back as claimx results.",
    no_args_is_help=True,
    epilog="Example: [bold]claimx batch export articles/ -m openai/gpt-4.1-mini -o requests.jsonl[/bold]",
)
app.add_typer(batch_app, name="batch")

_JSONL = (".jsonl", ".ndjson")


def _note_odd_answers(answers: AnswerIndex) -> None:
    """Say what of the output files the import cannot use as they are, instead of passing over it."""
    notes = [
        (answers.unknown, "answer", "in the output files match no request of the batch files",
         "left out; are they another batch's outputs?"),
        (answers.conflicting, "request", "answered twice with different answers",
         "the first one read is used"),
    ]  # fmt: skip
    for ids, noun, what, outcome in notes:
        if ids:
            shown = ", ".join(ids[:3]) + (" …" if len(ids) > 3 else "")
            stderr.print(f"claimx: note: {count(len(ids), noun)} {what} ({shown}): {outcome}", markup=False)


def _usage(message: str) -> NoReturn:
    stderr.print(f"claimx: error: {message}", markup=False)
    raise typer.Exit(EXIT_USAGE)


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b) or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _fresh_output(path: Path, overwrite: bool, what: str) -> None:
    """A regular file that may be written: absent or empty, or replaced with --overwrite."""
    try:
        kind = output_kind(path)
    except ClaimxError as exc:
        fail(exc)
    if kind == "stream":
        _usage(f"{path} is not a regular file: the {what} is written to a file")
    if kind == "file" and path.stat().st_size and not overwrite:
        _usage(f"{path} already exists: add --overwrite to replace it")


@batch_app.command("export", cls=helptext.Command)
def export_command(
    paths: list[str] = typer.Argument(
        ...,
        help="Article files, directories, globs or JSONL files, as for claimx extract.",
        metavar="INPUT...",
    ),
    model: str = typer.Option(
        ..., "--model", "-m", help="openai/<name> (with --base-url for another server)."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", envvar="CLAIMX_BASE_URL", help="OpenAI-compatible server the batch is for."
    ),
    prompt: str | None = typer.Option(
        None, "--prompt", "-p", help="Prompt as NAME@VERSION (default extract@v1)."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="The batch file (JSONL) to write; its documents file goes beside it (x.jsonl → x.claimx.jsonl).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files."),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Text encoding of the input (default UTF-8).", callback=checked_encoding
    ),
    html: bool | None = typer.Option(None, "--html/--no-html", help="Treat input as HTML (default: detect)."),
    temperature: float | None = typer.Option(None, "--temperature", help="Sampling temperature (default 0)."),
    max_output_tokens: int | None = typer.Option(None, "--max-output-tokens", help="Output budget per call."),
    structured_output: str | None = typer.Option(
        None, "--structured-output", help="auto, json_schema, json_object, json, tools or md_json."
    ),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks (keys are still hidden)."),
) -> None:
    """Write the realtime requests for INPUT... as an OpenAI batch file, without sending them.

    One line per document (per chunk of a long article), each body exactly the request
    claimx extract sends; run it with any engine that reads OpenAI batch files, then read
    the answers back with claimx batch import.

    Example:
    [bold]claimx batch export articles/ -m openai/Qwen2.5-7B-Instruct -o requests.jsonl[/bold]
    """
    setup_logging(debug)
    documents_path = documents_path_for(out)
    if out.suffix.lower() not in _JSONL:
        _usage(f"a batch file is JSONL: name it {out.stem}.jsonl")
    _fresh_output(out, overwrite, "batch file")
    _fresh_output(documents_path, overwrite, "documents file")
    try:
        plan = plan_inputs(paths, output=out)
    except ClaimxError as exc:
        fail(exc, debug)
    for item in plan.items:
        if isinstance(item, InputFile) and _same(item.path, documents_path):
            fail(
                OutputError(
                    f"{item.path} is both an input and the batch's documents file; choose another --out"
                )
            )
    for skipped in plan.skipped:
        stderr.print(f"claimx: not reading {skipped}", markup=False)
    options: dict[str, object] = {
        "temperature": temperature,
        "max_output_tokens": max_output_tokens,
        "structured_output": structured_output,
    }
    settings = BatchSettings(
        model=model,
        base_url=base_url,
        prompt=prompt,
        model_options={k: v for k, v in options.items() if v is not None},
        options=ExtractOptions(),
    )
    try:
        from claimx.batchfile.export import export_batch  # (the HTTP layer: loaded by the commands using it)

        summary = export_batch(iter_documents(plan, encoding=encoding, html=html), settings, out)
    except ClaimxError as exc:
        fail(exc, debug)
    unread = f", {summary.failed} not read (their error lines come at import)" if summary.failed else ""
    stderr.print(
        f"claimx: {count(summary.requests, 'request')} for {count(summary.documents, 'document')} in {out}"
        f"{unread}; documents in {summary.documents_path}",
        markup=False,
    )


@batch_app.command("import", cls=helptext.Command)
def import_command(
    requests: Path = typer.Argument(
        ..., help="The batch file claimx batch export wrote.", metavar="REQUESTS"
    ),
    responses: list[Path] = typer.Argument(
        ..., help="The engine's output file(s), and error files if any.", metavar="RESPONSES..."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="Results JSONL (default stdout); never an input, never replaced without --overwrite.",
    ),
    documents: Path | None = typer.Option(
        None, "--documents", help="The batch's documents file (default: beside REQUESTS, x.claimx.jsonl)."
    ),
    retry_failed: RetryMode = typer.Option(
        RetryMode.REALTIME,
        "--retry-failed",
        help="realtime: ask the server again for what the batch did not answer well (re-asks carry "
        "the validation error); none: report those documents as failed.",
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="The batch's server again, for realtime retries (e.g. with credentials)."
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", help="Key for realtime retries.", show_default=False
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor fill the response cache."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default ~/.cache/claimx)."
    ),
    no_text: bool = typer.Option(False, "--no-text", help="Leave the article text out of the results."),
    concurrency: int = typer.Option(8, "--concurrency", "-j", min=1, help="Documents in flight at once."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file."),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks (keys are still hidden)."),
) -> None:
    """Read a batch engine's answers into the JSONL claimx extract writes.

    Every answer is validated, grounded and linked as in realtime and fills the response
    cache; a document whose answer failed becomes an error line (exit code 1) unless
    --retry-failed realtime answers it.

    Example:
    [bold]claimx batch import requests.jsonl responses.jsonl -o results.jsonl[/bold]
    """
    setup_logging(debug)
    if retry_failed is RetryMode.BATCH:
        _usage("--retry-failed batch needs a batch job (claimx batch submit/collect); use realtime or none")
    documents_path = documents or documents_path_for(requests)
    if out is not None:
        if out.suffix.lower() not in _JSONL:
            _usage(f"results of a batch are JSONL, one line each: name the output {out.stem}.jsonl")
        for given in (requests, documents_path, *responses):
            if _same(given, out):
                fail(OutputError(f"{given} is both an input and the output; choose another --out"))
        _fresh_output(out, overwrite, "results")
    cache: ResponseCache | bool = False if no_cache else ResponseCache(cache_dir) if cache_dir else True
    from claimx.batchfile.collect import replay_extractor  # (as export_batch: when used)

    try:
        replay = replay_extractor(
            documents_path,
            [requests],
            responses,
            retry=retry_failed,
            cache=cache,
            api_key=api_key,
            base_url=base_url,
            concurrency=concurrency,
            include_text=not no_text,
        )
    except ClaimxError as exc:
        fail(exc, debug)
    total = sum(1 for _ in read_documents(documents_path))
    answered, failed = count(len(replay.answers), "answer"), count(replay.answers.failed, "failed request")
    stderr.print(
        f"claimx: {answered} and {failed} in the batch's output; model {replay.extractor.model.id}; "
        f"retry-failed {retry_failed.value}",
        markup=False,
    )
    _note_odd_answers(replay.answers)
    try:
        from claimx.cli.batch_run import run_batch  # (its progress display loads with the command)

        tally = run_batch(
            (record.source() for record in read_documents(documents_path)),
            extractor=replay.extractor,
            out=out,
            resume=False,
            overwrite=overwrite,
            concurrency=concurrency,
            total=total,
        )
    except ClaimxError as exc:
        fail(exc, debug)
    finally:
        replay.close()
    raise typer.Exit(tally.exit_code)
