"""Run an evaluation: predict every sample (through the batch runner), score it, log it.

Each sample's line is written and flushed the moment it is scored, so an
interrupted run keeps everything finished; at the end the lines are put in
dataset order and the summary is written. :func:`rescore` recomputes every
score of a finished run from its own folder, without any model.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from claimx.batch import BatchResult, aestimate_many, document_error, run_many
from claimx.budget import CostBudget, check_estimate, spend, unknown_price_error
from claimx.errors import ClaimxError, ConfigError
from claimx.evaluate.datasets import Dataset
from claimx.evaluate.predictors import GoldPredictor, ModelPredictor, Predictor
from claimx.evaluate.report import summary_markdown
from claimx.evaluate.runlog import (
    HEADER_FILE,
    REPORT_FILE,
    SUMMARY_FILE,
    DatasetInfo,
    Run,
    RunHeader,
    RunWriter,
    SampleRecord,
    git_revision,
    read_run,
    write_records,
)
from claimx.evaluate.sample import Sample
from claimx.evaluate.scorers import ClaimSimilarity, ScoringOptions, score_sample
from claimx.evaluate.similarity import SemanticModel, semantic_model
from claimx.evaluate.summary import Summary, summarize
from claimx.inputs import Source
from claimx.schema import Extraction, Usage

__all__ = ["eval_budget", "rescore", "run_eval", "write_summary"]


def _semantic(options: ScoringOptions) -> SemanticModel | None:
    return semantic_model() if options.claim_similarity is ClaimSimilarity.SEMANTIC else None


def _record(
    sample: Sample, result: BatchResult, options: ScoringOptions, semantic: SemanticModel | None
) -> SampleRecord:
    prediction = result.extraction
    stored = prediction.model_copy(update={"text": None}) if prediction is not None else None
    billed = result.error.usage if result.error is not None else None
    return SampleRecord(
        **dict(sample),
        prediction=stored,
        scores=score_sample(sample, prediction, options, semantic),
        # A failed sample's calls were billed too: its error says what they cost.
        usage=prediction.meta.usage if prediction is not None else billed or Usage(),
        latency_s=result.latency_s,
        error=result.error,
    )


async def run_eval(
    dataset: Dataset,
    predictor: Predictor,
    folder: Path,
    *,
    options: ScoringOptions | None = None,
    concurrency: int = 4,
    limit: int | None = None,
    on_record: Callable[[SampleRecord], None] | None = None,
    max_cost: float | CostBudget | None = None,
) -> tuple[list[SampleRecord], Summary]:
    """Predict, score and log every sample of ``dataset`` into ``folder``; return records and summary.

    The samples run through the batch runner (:func:`claimx.batch.run_many`), as any batch of
    documents does: ``concurrency`` at a time, each failure that sample's error, the run going on.

    ``max_cost`` (US dollars) limits what the model's calls may cost, as ``extract_many``'s
    does: a run whose estimate exceeds it is refused before anything is written
    (:class:`~claimx.budget.CostLimitError`); a run that reaches it stops starting samples,
    and the summary covers those that finished (``samples.not_run`` counts the others,
    ``stopped`` says why). A :class:`~claimx.budget.CostBudget` (from :func:`eval_budget`, checked
    already) keeps only the running limit.
    """
    budget = max_cost if isinstance(max_cost, CostBudget) else await eval_budget(dataset, predictor, max_cost)
    options = options or ScoringOptions()
    semantic = _semantic(options)  # load before the first model call: a missing extra fails fast
    header = RunHeader(
        **dict(predictor.description),
        run_id=uuid.uuid4().hex[:12],
        dataset=DatasetInfo(
            spec=dataset.spec,
            name=dataset.name,
            samples=len(dataset.samples),
            limit=limit,
            stats=dataset.stats,
        ),
        scoring=options,
        git_revision=git_revision(),
    )
    samples = {sample.id: sample for sample in dataset.samples}

    async def predict(source: Source) -> Extraction:
        sample = samples[source.doc_id]
        if budget is None or not isinstance(predictor, ModelPredictor):
            return await predictor.predict(sample)
        estimate = await predictor.extractor.aestimate(sample.text, sample.id)
        return await spend(budget, sample.id, estimate, lambda: predictor.predict(sample))

    writer = RunWriter(folder, header)
    done: dict[str, SampleRecord] = {}
    sources = (Source(doc_id=s.id, text=s.text, origin=dataset.spec) for s in dataset.samples)

    def keep(result: BatchResult) -> None:
        record = _record(samples[result.doc_id], result, options, semantic)
        writer.write(record)
        done[record.id] = record
        if on_record is not None:
            on_record(record)

    try:
        try:
            async for result in run_many(sources, predict, width=concurrency):
                keep(result)
        except ClaimxError as stop:
            if not stop.fails_every_document:
                raise
            # The runner stopped: every sample left would meet this error (a rejected key, an
            # unknown model). It is theirs too, recorded without asking the model again.
            error = document_error(stop)
            for sample in dataset.samples:
                if sample.id not in done:
                    keep(BatchResult(sample.id, error=error))
    finally:
        writer.close()
        await predictor.aclose()
    # A run stopped at its cost limit has no record for the samples it did not start.
    records = [done[s.id] for s in dataset.samples if s.id in done]
    write_records(folder, records, writer.lines)
    stopped = budget.stopped_error().message if budget is not None and budget.closed else None
    summary = write_summary(folder, header, records, stopped=stopped)
    return records, summary


async def eval_budget(dataset: Dataset, predictor: Predictor, max_cost: float | None) -> CostBudget | None:
    """The running budget for ``max_cost``, once the run's estimate is found to fit (else raise).

    None without a limit, or for the gold (it costs nothing); a predictor claimx cannot price
    (the oracle) or a model without a price is a :class:`~claimx.errors.ConfigError`.
    """
    if max_cost is None or isinstance(predictor, GoldPredictor):  # the gold costs nothing
        return None
    if not isinstance(predictor, ModelPredictor):
        raise ConfigError(
            "a cost limit needs a model whose calls claimx can price; "
            f"{predictor.description.model} is not one"
        )
    extractor = predictor.extractor
    if extractor.price is None:
        raise unknown_price_error(extractor.model.id)
    sources = [(sample.id, sample.text) for sample in dataset.samples]
    check_estimate(await aestimate_many(sources, extractor), max_cost, extractor.model.id)
    return CostBudget(max_cost)


def write_summary(
    folder: Path, header: RunHeader, records: list[SampleRecord], *, stopped: str | None = None
) -> Summary:
    """Write ``summary.json`` and ``summary.md`` for these records; return the summary.

    ``samples.not_run``, when there are any, counts the dataset's samples without a record (a
    run stopped at its cost limit); ``stopped`` says why the run stopped, when it did.
    """
    summary = summarize(records, header.scoring)
    not_run = header.dataset.samples - len(records)
    if not_run > 0:
        summary = summary.model_copy(
            update={"samples": summary.samples.model_copy(update={"not_run": not_run})}
        )
    if stopped is not None:
        summary = summary.model_copy(update={"stopped": stopped})
    (folder / SUMMARY_FILE).write_text(summary.to_json(), encoding="utf-8")
    (folder / REPORT_FILE).write_text(summary_markdown(header, summary, records), encoding="utf-8")
    return summary


def rescore(folder: Path, options: ScoringOptions | None = None) -> tuple[Run, Summary]:
    """Score a run again from its own folder (no model, no dataset); rewrite its lines and summary.

    ``options`` None keeps the run's own scoring options.
    """
    run = read_run(folder)
    options = options or run.header.scoring
    semantic = _semantic(options)
    records = [
        record.model_copy(update={"scores": score_sample(record, record.prediction, options, semantic)})
        for record in run.records
    ]
    header = run.header.model_copy(update={"scoring": options})
    if options != run.header.scoring:
        (folder / HEADER_FILE).write_text(header.model_dump_json(indent=2) + "\n", encoding="utf-8")
    write_records(folder, records)
    summary = write_summary(folder, header, records)
    return Run(path=folder, header=header, records=records), summary
