"""``claimx eval run|score|compare|report``: measure extraction against gold, from the command line."""

from __future__ import annotations

import asyncio
import datetime
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from claimx.cache import ResponseCache
from claimx.cli import app, helptext
from claimx.cli.common import (
    EXIT_FAILED_DOCS,
    PRICES_OPTION,
    atomic_write,
    count,
    fail,
    file_output,
    refuse_output,
    setup_logging,
    stderr,
)
from claimx.errors import ClaimxError, ConfigError, OutputError
from claimx.evaluate.scorers import ClaimSimilarity, ScoringOptions
from claimx.inputs import same_file
from claimx.pricing import default_prices

if TYPE_CHECKING:
    from claimx.evaluate.runlog import Run, SampleRecord

# The harness itself (datasets, predictors, run logs, summaries, comparisons) is imported by the
# commands that use it, not here: every ``claimx`` command, ``extract`` too, imports this module
# to register ``eval``, and loading the harness took about a tenth of their start-up.

__all__ = ["eval_app"]


def _console() -> Console:
    """Stdout, wide enough for the tables when it is not a terminal (a pipe, a CI log)."""
    return Console() if sys.stdout.isatty() else Console(width=130)


eval_app = typer.Typer(
    cls=helptext.Group,
    help="Score extractions against gold labels, rescore runs, compare prompt versions.",
    no_args_is_help=True,
    epilog="Example: [bold]claimx eval run --dataset seed --model offline[/bold]",
)
app.add_typer(eval_app, name="eval")


def _options(
    claim_similarity: ClaimSimilarity, claim_threshold: float, bootstrap: int, seed: int
) -> ScoringOptions:
    return ScoringOptions(
        claim_similarity=claim_similarity, claim_threshold=claim_threshold, bootstrap=bootstrap, seed=seed
    )


_SIMILARITY = typer.Option(
    ClaimSimilarity.AUTO,
    "--claim-similarity",
    help="auto (evidence overlap and fuzzy text), span, text, or semantic (needs claimx\\[semantic]).",
)
_CLAIM_THRESHOLD = typer.Option(0.5, "--claim-threshold", help="Least similarity for two claims to match.")
_BOOTSTRAP = typer.Option(1000, "--bootstrap", help="Bootstrap resamples for 95% intervals (0: none).")
_SEED = typer.Option(0, "--seed", help="Seed of the bootstrap.")


def default_run_dir(dataset: str, model: str, root: Path = Path("evals/runs")) -> Path:
    """``evals/runs/<dataset>-<model>-<date>``, numbered on when that folder already exists."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{dataset}-{model}").strip("-.") or "run"
    base = root / f"{slug}-{datetime.date.today().isoformat()}"
    candidate, number = base, 2
    while candidate.exists():
        candidate, number = base.with_name(f"{base.name}-{number}"), number + 1
    return candidate


#: The page ``eval report`` draws into a run folder by default, and redraws on each call.
PAGE_FILE = "report.html"


def _run_files() -> tuple[str, ...]:
    """What ``eval run`` writes into a run folder: the run itself, never a report's or comparison's output."""
    from claimx.evaluate.runlog import HEADER_FILE, REPORT_FILE, SAMPLES_FILE, SUMMARY_FILE

    return (HEADER_FILE, SAMPLES_FILE, SUMMARY_FILE, REPORT_FILE)


def _note_torn(*runs: Run | None) -> None:
    """Say so when a run's last line was cut off: it is left out of what is scored and shown."""
    from claimx.evaluate.runlog import torn_note

    for run in runs:
        note = torn_note(run) if run is not None else None
        if note is not None:
            stderr.print(f"claimx: note: {note}", markup=False)


def _refuse_run_output(out: Path, runs: list[Path], *, overwrite: bool, debug: bool, writes: str) -> None:
    """Refuse an output that is a run's own data (any run folder's, even with --overwrite) or an input.

    The files of the runs read are inputs; the data files of any run folder (``run.json``,
    ``samples.jsonl``, ``summary.json``, ``summary.md``) are what ``eval score`` and
    ``eval compare`` read later, so replacing them would break that run.
    """
    from claimx.evaluate.runlog import HEADER_FILE

    run_files = _run_files()
    real = Path(os.path.realpath(out))  # a symlink to a run's file is that file
    if (real.parent / HEADER_FILE).is_file() and real.name in run_files:
        fail(
            OutputError(
                f"{out} is a file of the eval run in {real.parent}: writing there would break the run; "
                "choose another output"
            ),
            debug,
        )
    inputs = [run / name for run in runs for name in run_files]
    refuse_output(out, overwrite=overwrite, inputs=inputs, debug=debug, writes=writes)


@eval_app.command("run", cls=helptext.Command)
def run_command(
    dataset: str = typer.Option(
        ..., "--dataset", "-d", help="seed, jsonl:PATH, brat:DIR or seesaw:DIR[?split=valid]."
    ),
    model: str = typer.Option(
        ...,
        "--model",
        "-m",
        help="gold, offline, baseline, oracle, oracle:noisy[?seed=N&rate=R], or a model: openai/<name>, "
        "ollama/<name>, local, local:PATH.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Run folder to write (run.json, samples.jsonl, summary); "
        "default evals/runs/DATASET-MODEL-DATE (a new one each time).",
    ),
    prompt: str | None = typer.Option(
        None, "--prompt", "-p", help="Prompt as NAME@VERSION (default extract@v1)."
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        envvar="CLAIMX_BASE_URL",
        help="OpenAI-compatible server, e.g. http://localhost:8000/v1.",
    ),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Only the first N documents."),
    concurrency: int = typer.Option(4, "--concurrency", "-j", help="Documents in flight at once."),
    force: bool = typer.Option(False, "--force", help="Replace an existing run in --out."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default ~/.cache/claimx)."
    ),
    temperature: float | None = typer.Option(None, "--temperature", help="Sampling temperature (default 0)."),
    max_output_tokens: int | None = typer.Option(None, "--max-output-tokens", help="Output budget per call."),
    structured_output: str | None = typer.Option(
        None, "--structured-output", help="auto, json_schema, json_object, json, tools or md_json."
    ),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds to wait for one model answer."),
    max_cost: float | None = typer.Option(
        None,
        "--max-cost",
        min=0,
        metavar="USD",
        help="Refuse to start when the estimated cost exceeds USD dollars, and stop a run that would "
        "spend more (finished documents are kept and scored).",
    ),
    prices: Path | None = PRICES_OPTION,
    claim_similarity: ClaimSimilarity = _SIMILARITY,
    claim_threshold: float = _CLAIM_THRESHOLD,
    bootstrap: int = _BOOTSTRAP,
    seed: int = _SEED,
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks (keys are still hidden)."),
) -> None:
    """Extract every document of a dataset, score it against the gold, and write a run folder.

    Example:
    [bold]claimx eval run -d seed -m offline[/bold]   (or -d brat:DIR for a folder of brat annotations)
    """
    from claimx.evaluate.datasets import load_dataset
    from claimx.evaluate.predictors import make_predictor
    from claimx.evaluate.run import eval_budget, run_eval
    from claimx.evaluate.runlog import HEADER_FILE, REPORT_FILE, SAMPLES_FILE, SUMMARY_FILE
    from claimx.evaluate.tables import print_summary

    setup_logging(debug)
    try:
        data = load_dataset(dataset, limit)
        if out is None:
            out = default_run_dir(data.name, model)
        if out.exists() and not out.is_dir():
            raise OutputError(f"-o must be a run folder; {out} is a file")
        if (out / HEADER_FILE).exists() and not force:
            raise ConfigError(f"{out} already holds a run; choose another --out or pass --force")
        # A folder without run.json may still hold files of these names (the user's own
        # summary.md): a run writes over each of them, so it is told to first.
        taken = [n for n in (SAMPLES_FILE, SUMMARY_FILE, REPORT_FILE) if os.path.lexists(out / n)]
        if taken and not force:
            raise ConfigError(
                f"{out} already holds {', '.join(taken)}, which a run writes; choose another --out "
                "or pass --force to replace them"
            )
        options = _options(claim_similarity, claim_threshold, bootstrap, seed)
        cache: ResponseCache | bool = False if no_cache else ResponseCache(cache_dir) if cache_dir else True
        predictor = make_predictor(
            model,
            prompt=prompt,
            base_url=base_url,
            cache=cache,
            concurrency=concurrency,
            prices=default_prices(prices),
            model_options={
                "timeout_s": timeout,
                "temperature": temperature,
                "max_output_tokens": max_output_tokens,
                "structured_output": structured_output,
            },
        )
        # A run refused for its cost leaves the folder as it was, even with --force.
        budget = asyncio.run(eval_budget(data, predictor, max_cost))
        if force:
            for name in (HEADER_FILE, SAMPLES_FILE, SUMMARY_FILE, REPORT_FILE):  # only what a run writes
                (out / name).unlink(missing_ok=True)
        described = predictor.description
        where = f" at {described.base_url}" if described.base_url else ""
        stderr.print(
            f"claimx: {count(len(data.samples), 'document')} from {data.spec}; "
            f"model {described.model}{where}; prompt {described.prompt_id or '—'}",
            markup=False,
        )
        done = 0

        def progress(record: SampleRecord) -> None:
            nonlocal done
            done += 1
            if record.error:
                stderr.print(f"claimx: {record.id}: failed: {record.error.message}", markup=False)
            elif done % 10 == 0 or done == len(data.samples):
                stderr.print(f"claimx: {done}/{count(len(data.samples), 'document')}", markup=False)

        records, summary = asyncio.run(
            run_eval(
                data,
                predictor,
                out,
                options=options,
                concurrency=concurrency,
                limit=limit,
                on_record=progress,
                max_cost=budget,
            )
        )
    except ClaimxError as exc:
        fail(exc, debug)
    except KeyboardInterrupt:
        where = f" are in {out}/samples.jsonl" if out is not None else " were not saved"
        stderr.print(f"claimx: interrupted; finished documents{where}", markup=False)
        raise typer.Exit(130) from None
    print_summary(summary, _console(), f"{described.model} on {data.name}")
    for note in getattr(predictor, "notes", list)():  # the oracle says what it could not say
        stderr.print(f"claimx: {note}", markup=False)
    stderr.print(f"claimx: run written to {out} (summary.md for a pull-request comment)", markup=False)
    if summary.stopped:
        stderr.print(f"claimx: {summary.stopped} ({summary.samples.not_run or 0} not run)", markup=False)
    if any(r.error for r in records) or summary.stopped:
        raise typer.Exit(EXIT_FAILED_DOCS)


@eval_app.command("score", cls=helptext.Command)
def score_command(
    run_dir: Path = typer.Argument(..., help="A run folder written by 'claimx eval run'."),
    claim_similarity: ClaimSimilarity | None = typer.Option(
        None, "--claim-similarity", help="Change how claims are compared (default: as the run was scored)."
    ),
    claim_threshold: float | None = typer.Option(
        None, "--claim-threshold", help="Change the claim threshold."
    ),
    bootstrap: int | None = typer.Option(None, "--bootstrap", help="Change the bootstrap resamples."),
    seed: int | None = typer.Option(None, "--seed", help="Change the bootstrap seed."),
    debug: bool = typer.Option(False, "--debug", help="Tracebacks on errors."),
) -> None:
    """Score a run again from its folder alone: no model is called and no dataset is read.

    Example: [bold]claimx eval score evals/runs/base[/bold]
    """
    from claimx.evaluate.run import rescore
    from claimx.evaluate.runlog import read_run
    from claimx.evaluate.tables import print_summary

    setup_logging(debug)
    try:
        read = read_run(run_dir)
        _note_torn(read)
        current = read.header.scoring
        changes = {
            k: v
            for k, v in {
                "claim_similarity": claim_similarity,
                "claim_threshold": claim_threshold,
                "bootstrap": bootstrap,
                "seed": seed,
            }.items()
            if v is not None
        }
        run, summary = rescore(run_dir, current.model_copy(update=changes))
    except ClaimxError as exc:
        fail(exc, debug)
    print_summary(summary, _console(), f"{run.header.model} on {run.header.dataset.name} (rescored)")


@eval_app.command("compare", cls=helptext.Command)
def compare_command(
    run_a: Path = typer.Argument(..., help="The reference run (A)."),
    run_b: Path = typer.Argument(..., help="The candidate run (B); deltas are B − A."),
    top: int = typer.Option(5, "--top", help="How many most-worse and most-better documents to list."),
    markdown: Path | None = typer.Option(
        None,
        "--markdown",
        "--md",
        parser=file_output,
        metavar="<path>",
        help="Also write the comparison as Markdown.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON instead of tables."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --markdown file."),
    bootstrap: int = _BOOTSTRAP,
    seed: int = _SEED,
    debug: bool = typer.Option(False, "--debug", help="Tracebacks on errors."),
) -> None:
    """Per-layer deltas with paired-bootstrap intervals, and the documents that got most worse and better.

    Example: [bold]claimx eval compare evals/runs/v1 evals/runs/v2[/bold]
    """
    from claimx.evaluate.compare import compare_runs
    from claimx.evaluate.report import compare_markdown
    from claimx.evaluate.runlog import read_run
    from claimx.evaluate.tables import print_comparison

    setup_logging(debug)
    if markdown is not None:
        _refuse_run_output(markdown, [run_a, run_b], overwrite=overwrite, debug=debug, writes="Markdown")
    try:
        a, b = read_run(run_a), read_run(run_b)
        _note_torn(a, b)
        if a.header.dataset.spec != b.header.dataset.spec:
            stderr.print(
                f"claimx: note: the runs used different datasets ({a.header.dataset.spec} vs "
                f"{b.header.dataset.spec}); only documents in both are compared",
                markup=False,
            )
        comparison = compare_runs(a, b, top=top, resamples=bootstrap, seed=seed)
        if not comparison.documents.common:
            raise ConfigError("the two runs have no document in common")
    except ClaimxError as exc:
        fail(exc, debug)
    if markdown is not None:
        try:
            atomic_write(markdown, compare_markdown(comparison))
        except ClaimxError as exc:
            fail(exc, debug)
    if as_json:
        typer.echo(comparison.to_json())
    else:
        print_comparison(comparison, _console())


@eval_app.command("report", cls=helptext.Command)
def report_command(
    run_dir: Path = typer.Argument(..., help="A run folder written by 'claimx eval run' (A, the reference)."),
    compare: Path | None = typer.Option(
        None, "--compare", "-c", help="A second run (B) to compare with the first; changes are B − A."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        parser=file_output,
        metavar="<path>",
        help="Where to write the page (atomically); default RUN_DIR/report.html.",
    ),
    bootstrap: int | None = typer.Option(
        None, "--bootstrap", help="Bootstrap resamples for the intervals (default: as the run was scored)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the bootstrap (default: the run's)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace an existing --out file (RUN_DIR/report.html is always redrawn)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Tracebacks on errors."),
) -> None:
    """An HTML report of a run, or of two runs compared, in one file that needs no network.

    Per-layer metrics with intervals, charts, a table of documents sortable by score, and any
    document's gold and prediction side by side with matches, misses and false positives marked.

    Example: [bold]claimx eval report evals/runs/gold --compare evals/runs/baseline -o report.html[/bold]
    """
    from claimx.evaluate.runlog import read_run

    setup_logging(debug)
    target = out if out is not None else run_dir / PAGE_FILE
    runs = [run_dir] if compare is None else [run_dir, compare]
    redrawn = same_file(target, run_dir / PAGE_FILE)  # the run's own page: redrawn by design
    _refuse_run_output(target, runs, overwrite=overwrite or redrawn, debug=debug, writes="HTML")
    try:
        a = read_run(run_dir)
        b = read_run(compare) if compare is not None else None
        _note_torn(a, b)
        if b is not None:
            if a.header.dataset.spec != b.header.dataset.spec:
                stderr.print(
                    f"claimx: note: the runs used different datasets ({a.header.dataset.spec} vs "
                    f"{b.header.dataset.spec}); only documents in both are compared",
                    markup=False,
                )
            if not {r.id for r in a.records} & {r.id for r in b.records}:
                raise ConfigError("the two runs have no document in common")
        from claimx.render.eval_report import eval_report_html  # (only this command draws pages)

        html = eval_report_html(a, b, resamples=bootstrap, seed=seed)
    except ClaimxError as exc:
        fail(exc, debug)
    try:
        atomic_write(target, html)
    except ClaimxError as exc:
        fail(exc, debug)
    documents = len({r.id for r in a.records} | ({r.id for r in b.records} if b is not None else set()))
    size = len(html.encode("utf-8")) / 1024
    stderr.print(f"claimx: wrote {target} ({count(documents, 'document')}, {size:,.0f} KiB)", markup=False)
