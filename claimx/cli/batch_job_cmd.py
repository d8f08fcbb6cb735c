"""``claimx batch submit|status|collect|cancel``: the OpenAI Batch API, a job folder at a time.

Thin over :mod:`claimx.batch_api`: it parses the flags, prints one line per event on
stderr (the status table on stdout, tab-separated, so it pipes) and turns errors into
one readable line with exit code 2 (a missing or foreign job folder, a failed batch, a
server without the Batch API, a rejected key) or 4 (a server out of reach).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NoReturn

import typer

from claimx.batchfile.lines import MAX_BYTES_PER_FILE, MAX_REQUESTS_PER_FILE
from claimx.cli import helptext
from claimx.cli.batch_cmd import batch_app
from claimx.cli.common import EXIT_USAGE, PRICES_OPTION, count, fail, file_output, setup_logging, stderr
from claimx.errors import ClaimxError, ModelError, redact
from claimx.pricing import default_prices, format_usd

__all__ = ["cancel_command", "collect_command", "status_command", "submit_command"]

_JOB = typer.Argument(..., help="The job folder (written by `claimx batch submit`).", metavar="DIR")
_BASE_URL = typer.Option(
    None, "--base-url", help="The job's server again, with the credentials the job file leaves out."
)
_DEBUG = typer.Option(False, "--debug", help="Log HTTP requests and show tracebacks (keys redacted).")


def _fail(exc: ClaimxError, debug: bool) -> NoReturn:
    """One line; a server that refuses the Batch API or the key is a usage error (2), as a bad job is."""
    if isinstance(exc, ModelError) and exc.status in (401, 403, 404):
        stderr.print(f"claimx: error: {redact(str(exc))}", markup=False)
        raise typer.Exit(EXIT_USAGE)
    fail(exc, debug)


@batch_app.command(
    "submit",
    cls=helptext.Command,
    epilog="Example: [bold]claimx batch submit articles/ --model openai/gpt-4.1-mini --job job1[/bold]",
)
def submit_command(
    inputs: list[str] = typer.Argument(
        ...,
        help="Article files, directories, glob patterns or JSONL files of {id, text} lines.",
        metavar="INPUT...",
    ),
    model: str = typer.Option(..., "--model", "-m", help="openai/<name>: a model the Batch API serves."),
    job: Path = typer.Option(..., "--job", help="A new (or empty) folder that will hold the whole job."),
    base_url: str | None = typer.Option(
        None, "--base-url", envvar="CLAIMX_BASE_URL", help="Another server implementing the Batch API."
    ),
    prompt: str | None = typer.Option(
        None,
        "--prompt",
        "-p",
        help="Prompt as NAME@VERSION (default: extract@v1; extract-small@v1 for a small model).",
    ),
    max_requests: int = typer.Option(
        MAX_REQUESTS_PER_FILE,
        "--max-requests-per-file",
        min=1,
        help="Split input files at this many.",
    ),
    max_megabytes: float = typer.Option(
        MAX_BYTES_PER_FILE / 2**20,
        "--max-file-mb",
        min=0.001,
        help="Split input files at this size.",
    ),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        metavar="USD",
        help="Refuse to upload when the estimated cost (at the Batch API's half price) exceeds USD dollars.",
    ),
    prices: Path | None = PRICES_OPTION,
    debug: bool = _DEBUG,
) -> None:
    """Write the requests into a job folder, upload them and start the batches (run again: resumes)."""
    from claimx import batch_api  # (with the HTTP layer it drives: loaded by these commands alone)

    setup_logging(debug)
    if not model.startswith("openai/"):
        stderr.print(
            f"claimx: error: the Batch API needs an openai/<name> model, not {model!r}", markup=False
        )
        raise typer.Exit(EXIT_USAGE)
    started = _started(job)
    try:
        manifest = batch_api.submit(
            inputs,
            model=model,
            job=job,
            base_url=base_url,
            prompt=prompt,
            max_requests_per_file=max_requests,
            max_bytes_per_file=int(max_megabytes * 2**20),
            max_cost=max_cost,
            prices=default_prices(prices),
        )
    except ClaimxError as exc:
        _fail(exc, debug)
    job_size = (
        f"{count(manifest.documents, 'document')}, {count(manifest.requests, 'request')} in "
        f"{count(len(manifest.batches), 'batch', 'batches')}"
    )
    done = (
        f"already submitted ({job_size}); nothing new was sent"
        if started and manifest.started == started
        else f"{job_size} submitted"
    )
    stderr.print(
        f"claimx: {job}: {done}; "
        f"`claimx batch status {job}` to follow, "
        f"`claimx batch collect {job} -o results.jsonl --wait` to finish",
        markup=False,
    )


def _started(job: Path) -> int:
    """The batches the job in ``job`` has started so far (0 when there is no job there yet)."""
    from claimx import batch_api

    try:
        return batch_api.load(job).started
    except ClaimxError:
        return 0


@batch_app.command("status", cls=helptext.Command, epilog="Example: [bold]claimx batch status job1[/bold]")
def status_command(job: Path = _JOB, base_url: str | None = _BASE_URL, debug: bool = _DEBUG) -> None:
    """Each batch of the job: state, requests done / failed / total, age."""
    from claimx import batch_api  # (with the HTTP layer it drives: loaded by these commands alone)

    setup_logging(debug)
    try:
        batches = batch_api.status(job, base_url=base_url)
    except ClaimxError as exc:
        _fail(exc, debug)
    typer.echo("batch\tinput\tround\tstate\tdone\tfailed\ttotal\tage")
    for b in batches:
        age = _age(b.age_s)
        typer.echo(
            f"{b.batch_id or '-'}\t{b.input}\t{b.round}\t{b.state}\t{b.done}\t{b.failed}\t{b.total}\t{age}"
        )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return time.strftime("%H:%M:%S", time.gmtime(seconds)) if seconds < 86400 else f"{seconds / 86400:.1f}d"


@batch_app.command(
    "collect",
    cls=helptext.Command,
    epilog="Example: [bold]claimx batch collect job1 -o results.jsonl --wait --retry-failed realtime[/bold]",
)
def collect_command(
    job: Path = _JOB,
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="The results file (JSONL, as `claimx extract` writes).",
    ),
    wait: bool = typer.Option(
        False, "--wait", help="Wait for the batches to end (else refuse while running)."
    ),
    retry_failed: str = typer.Option(
        "realtime",
        "--retry-failed",
        help="Ask failed items again: realtime, batch (a follow-up batch) or none.",
    ),
    max_retries: int | None = typer.Option(
        None, "--max-retries", min=0, help="Ask at most this many items again."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file."),
    poll_seconds: float = typer.Option(
        30.0, "--poll-seconds", min=0.0, help="With --wait: seconds between polls."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Response cache folder (default: the usual)."
    ),
    base_url: str | None = _BASE_URL,
    debug: bool = _DEBUG,
) -> None:
    """Download the answers and write the results; exit 1 when some documents failed."""
    from claimx import batch_api  # (with the HTTP layer it drives: loaded by these commands alone)

    setup_logging(debug)
    try:
        report = batch_api.collect(
            job,
            out,
            wait=wait,
            retry_failed=retry_failed,
            max_retries=max_retries,
            overwrite=overwrite,
            base_url=base_url,
            cache=cache_dir,
            poll_s=poll_seconds,
        )
    except ClaimxError as exc:
        _fail(exc, debug)
    if report.pending:
        stderr.print(
            f"claimx: {count(report.pending, 'follow-up batch', 'follow-up batches')} submitted for "
            f"{count(report.retried, 'failed item')}; collect again when done (or add --wait)",
            markup=False,
        )
        return
    for batch in report.ended_early:
        stderr.print(f"claimx: warning: batch {batch} before answering everything", markup=False)
    stderr.print(
        f"claimx: {report.extracted} extracted, {report.failed} failed in {out}; "
        f"{count(report.retried, 'item')} asked again; cost {format_usd(report.cost_usd)}",
        markup=False,
    )
    raise typer.Exit(report.exit_code)


@batch_app.command("cancel", cls=helptext.Command, epilog="Example: [bold]claimx batch cancel job1[/bold]")
def cancel_command(job: Path = _JOB, base_url: str | None = _BASE_URL, debug: bool = _DEBUG) -> None:
    """Ask the provider to stop the job's unfinished batches (answers already made can still be collected)."""
    from claimx import batch_api  # (with the HTTP layer it drives: loaded by these commands alone)

    setup_logging(debug)
    try:
        batches = batch_api.cancel(job, base_url=base_url)
    except ClaimxError as exc:
        _fail(exc, debug)
    states = ", ".join(f"{b.batch_id}: {b.state}" for b in batches if b.batch_id)
    stderr.print(f"claimx: {job}: {states or 'no batches'}", markup=False)
