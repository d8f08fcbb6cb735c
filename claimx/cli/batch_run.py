"""``claimx extract`` over many documents: JSONL streamed as each finishes, a progress bar, resume.

Each document's line is written (whole, flushed) the moment it finishes, so an
interrupt or a crash loses only what was in flight, and ``--resume`` carries on
from the file. A document that fails becomes an error line; the exit code says
whether any did.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from claimx._sync import run_sync
from claimx.atomic import write_error
from claimx.batch import BatchResult, DocumentError, aestimate_many, extract_many
from claimx.budget import CostBudget, CostLimitReached, check_estimate, unknown_price_error
from claimx.cli.common import EXIT_FAILED_DOCS, EXIT_INTERRUPTED, EXIT_OK, count, stderr
from claimx.errors import InputError, OutputError
from claimx.extract import Extractor
from claimx.inputs import PendingFile, Source
from claimx.jsonl import JsonlWriter, ResumeState, RunIdentity, deferred_interrupts, open_results
from claimx.pricing import format_usd
from claimx.schema import Usage

__all__ = ["BatchTally", "run_batch"]


@dataclass
class BatchTally:
    """What a batch did, for the closing line and the exit code."""

    extracted: int = 0
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    cached: int = 0
    #: Dollars the documents' calls cost, failed ones' too (answers from the cache cost 0); None when unknown.
    cost_usd: float | None = 0.0
    #: The run stopped at its cost limit (--max-cost): what finished is kept.
    cost_stop: CostLimitReached | None = None
    interrupted: bool = False
    #: Writing the results file failed (full disk, …): the batch stopped there.
    write_failure: OutputError | None = None
    retryable: int = 0  # failures a rerun may fix (not unreadable input)
    failures: list[str] = field(default_factory=list)

    def count(self, result: BatchResult) -> None:
        """Add one document's outcome."""
        if result.usage is not None:  # (a failed document's calls were billed too)
            self._spent(result.usage)
        if result.extraction is not None:
            self.extracted += 1
            self.cached += result.extraction.meta.usage.cached
        else:
            self.failed += 1
            self.retryable += result.error is not None and result.error.cause != "input"
            if len(self.failures) < 5 and result.error is not None:
                self.failures.append(f"{result.doc_id}: {_describe(result.error)}")

    def _spent(self, usage: Usage) -> None:
        self.requests += usage.requests
        cost = usage.cost_usd
        self.cost_usd = None if self.cost_usd is None or cost is None else round(self.cost_usd + cost, 8)

    @property
    def exit_code(self) -> int:
        """130 when interrupted, 1 when any document failed or the cost limit stopped the run, else 0."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED_DOCS if self.failed or self.cost_stop else EXIT_OK


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=stderr,
        disable=not stderr.is_terminal,
        transient=False,
    )


def run_batch(
    sources: Iterable[Source | InputError | PendingFile],
    *,
    extractor: Extractor,
    out: Path | None,
    resume: bool,
    concurrency: int,
    total: int | None,
    overwrite: bool = False,
    rerun_mismatched: bool = False,
    max_cost: float | None = None,
    reread: Callable[[], Iterable[Source | InputError | PendingFile]] | None = None,
) -> BatchTally:
    """Extract every source into JSONL at ``out`` (stdout when None) and report on stderr.

    ``out`` is locked for the run (see :func:`claimx.jsonl.open_results`); raises
    :class:`OutputError` when it cannot be opened, or when writing it fails midway (the
    lines already written are kept).

    With ``max_cost``, the documents ``reread()`` gives (the same as ``sources``, read
    again) are estimated first, leaving out those a resumed file holds, and a run whose
    estimate exceeds the limit is refused (:class:`~claimx.budget.CostLimitError`) before
    the file is touched (a resumed file is only compacted); without ``reread`` (stdin
    cannot be read twice) only the running limit applies.
    """
    tally = BatchTally()
    state = ResumeState()
    budget: CostBudget | None = None
    if max_cost is not None:
        if extractor.price is None:
            raise unknown_price_error(extractor.model.id)
        budget = CostBudget(max_cost)
        if reread is None:
            stderr.print(
                "claimx: --max-cost: input from stdin cannot be estimated before the run; it stops "
                f"before spending more than {format_usd(max_cost)}",
                markup=False,
            )
        elif not resume:
            _check_cost(extractor, reread(), (), max_cost)
    if out is None:
        writer = JsonlWriter()
    else:
        made_by = extractor.provenance  # what the results record (a no-LLM extractor's rules, not a prompt)
        identity = RunIdentity(
            model=made_by.model,
            prompt_id=made_by.prompt_id or "",
            prompt_sha256=made_by.prompt_sha256 or "",
            response_schema_sha256=made_by.response_schema_sha256 or "",
        )
        writer, state = open_results(
            out, resume=resume, overwrite=overwrite, identity=identity, rerun_mismatched=rerun_mismatched
        )
    skip = state.done
    if max_cost is not None and reread is not None and resume:
        try:
            _check_cost(extractor, reread(), skip, max_cost)
        except BaseException:
            writer.close()
            raise
    tally.skipped = len(skip)
    if resume and (skip or state.failed or state.broken or state.mismatched):
        retried = f"; retrying {state.failed} that failed" if state.failed else ""
        redo = f"; running {state.mismatched} again with this run's settings" if state.mismatched else ""
        broken = f"; dropped {count(state.broken, 'incomplete line')}" if state.broken else ""
        new = (
            f"; {max(0, total - len(skip) - state.failed - state.broken - state.mismatched)} new to run"
            if total is not None
            else "; then any new ones from stdin"
        )
        stderr.print(
            f"claimx: resuming {out}: {count(len(skip), 'document')} already done and kept"
            f"{retried}{redo}{broken}{new}",
            markup=False,
        )
    remaining = None if total is None else max(0, total - len(skip))
    with deferred_interrupts(), _progress() as progress:
        task = progress.add_task("extracting", total=remaining, failed=0, rate="")
        started = progress.get_time()
        results = extract_many(
            sources, extractor=extractor, concurrency=concurrency, skip_ids=skip, max_cost=budget
        )
        try:
            for result in results:
                try:
                    writer.write(result.to_json_line())
                except OSError as exc:
                    tally.write_failure = write_error(out or Path("<stdout>"), exc)
                    break
                tally.count(result)
                done = tally.extracted + tally.failed
                elapsed = max(1e-9, progress.get_time() - started)
                progress.update(task, advance=1, failed=tally.failed, rate=f"{done / elapsed:.1f} doc/s")
        except KeyboardInterrupt:
            tally.interrupted = True
        except CostLimitReached as stop:
            tally.cost_stop = stop
        finally:
            results.close()
            try:
                writer.close()
            except OSError as exc:
                tally.write_failure = tally.write_failure or write_error(out or Path("<stdout>"), exc)
            if tally.write_failure is not None:
                with contextlib.suppress(OSError):
                    writer.close()
    _report(tally, out)
    if tally.write_failure is not None:
        raise tally.write_failure
    return tally


def _describe(error: DocumentError) -> str:
    """One failure, for the closing lines: a bug is named as one, not as what the model did."""
    if error.cause == "internal":
        return (
            f"internal error, a bug in claimx or a library ({error.type}: {error.message}); "
            "--debug shows its traceback"
        )
    return error.message


def _check_cost(
    extractor: Extractor,
    documents: Iterable[Source | InputError | PendingFile],
    skip: Iterable[str],
    max_cost: float,
) -> None:
    """Refuse the run (raise) when its estimate exceeds ``max_cost``; say the estimate when it fits."""
    estimate = run_sync(aestimate_many(documents, extractor, skip_ids=skip))
    check_estimate(estimate, max_cost, extractor.model.id)
    stderr.print(f"claimx: estimated cost {estimate.describe()}, within --max-cost {format_usd(max_cost)}")


def _report(tally: BatchTally, out: Path | None) -> None:
    where = f" in {out}" if out else ""
    parts = [f"{tally.extracted} extracted", f"{tally.failed} failed"]
    if tally.skipped:
        parts.append(f"{tally.skipped} already done")
    parts.append(f"{count(tally.requests, 'model request')}, {count(tally.cached, 'document')} from cache")
    parts.append(f"cost {format_usd(tally.cost_usd)}")
    stderr.print(f"claimx: {', '.join(parts)}", markup=False)
    for line in tally.failures:
        stderr.print(f"claimx: failed: {line}", markup=False)
    if tally.failed > len(tally.failures):
        stderr.print(f"claimx: … and {tally.failed - len(tally.failures)} more; see the error lines{where}")
    if tally.write_failure is not None:
        kept = f"the {tally.extracted + tally.failed} line(s) finished before are kept{where}"
        stderr.print(f"claimx: stopped: {tally.write_failure.message}; {kept}", markup=False)
    elif tally.cost_stop is not None:
        hint = f"; rerun with --resume --out {out} (and a higher --max-cost) to go on" if out else ""
        stderr.print(f"claimx: {tally.cost_stop.message}{where}{hint}", markup=False)
    elif tally.interrupted:
        hint = f"rerun with --resume --out {out} to continue" if out else "use --out FILE --resume to resume"
        stderr.print(f"claimx: interrupted; every finished document is saved{where}; {hint}", markup=False)
    elif tally.retryable and out:
        stderr.print(f"claimx: rerun with --resume --out {out} to retry the failed documents", markup=False)
    sys.stderr.flush()
