"""Run an evaluation: predict every sample (a bounded number at a time), score it, log it.

Each sample's line is written and flushed the moment it is scored, so an
interrupted run keeps everything finished; at the end the lines are put in
dataset order and the summary is written. :func:`rescore` recomputes every
score of a finished run from its own folder, without any model.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claimx.errors import ClaimxError, redact
from claimx.evaluate.datasets import Dataset
from claimx.evaluate.predictors import Predictor
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
from claimx.evaluate.summary import summarize
from claimx.schema import Extraction, Usage

__all__ = ["rescore", "run_eval", "write_summary"]


def _semantic(options: ScoringOptions) -> SemanticModel | None:
    return semantic_model() if options.claim_similarity is ClaimSimilarity.SEMANTIC else None


def _error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, ClaimxError):
        return exc.to_dict()
    return {"type": type(exc).__name__, "cause": "error", "message": redact(str(exc))}


def _record(
    sample: Sample,
    prediction: Extraction | None,
    options: ScoringOptions,
    semantic: SemanticModel | None,
    latency: float,
    error: dict[str, Any] | None,
) -> SampleRecord:
    stored = prediction.model_copy(update={"text": None}) if prediction is not None else None
    return SampleRecord(
        **dict(sample),
        prediction=stored,
        scores=score_sample(sample, prediction, options, semantic),
        usage=prediction.meta.usage if prediction is not None else Usage(),
        latency_s=round(latency, 4),
        error=error,
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
) -> tuple[list[SampleRecord], dict[str, Any]]:
    """Predict, score and log every sample of ``dataset`` into ``folder``; return records and summary."""
    options = options or ScoringOptions()
    semantic = _semantic(options)  # load before the first model call: a missing extra fails fast
    described = predictor.description
    header = RunHeader(
        run_id=uuid.uuid4().hex[:12],
        dataset=DatasetInfo(
            spec=dataset.spec,
            name=dataset.name,
            samples=len(dataset.samples),
            limit=limit,
            stats=dataset.stats,
        ),
        model=described.model,
        provider=described.provider,
        base_url=described.base_url,
        prompt_id=described.prompt_id,
        prompt_sha256=described.prompt_sha256,
        response_schema_sha256=described.response_schema_sha256,
        parameters=described.parameters,
        scoring=options,
        git_revision=git_revision(),
    )
    writer = RunWriter(folder, header)
    gate = asyncio.Semaphore(max(1, concurrency))
    done: dict[str, SampleRecord] = {}

    async def one(sample: Sample) -> None:
        async with gate:
            started = time.perf_counter()
            prediction: Extraction | None = None
            error: dict[str, Any] | None = None
            try:
                prediction = await predictor.predict(sample)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # recorded on the sample's line; the run goes on
                error = _error(exc)
            record = _record(sample, prediction, options, semantic, time.perf_counter() - started, error)
            writer.write(record)
            done[sample.id] = record
            if on_record is not None:
                on_record(record)

    try:
        await asyncio.gather(*(one(s) for s in dataset.samples))
    finally:
        writer.close()
        await predictor.aclose()
    records = [done[s.id] for s in dataset.samples]
    write_records(folder, records)
    summary = write_summary(folder, header, records)
    return records, summary


def write_summary(folder: Path, header: RunHeader, records: list[SampleRecord]) -> dict[str, Any]:
    """Write ``summary.json`` and ``summary.md`` for these records; return the summary."""
    summary = summarize(records, header.scoring)
    (folder / SUMMARY_FILE).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / REPORT_FILE).write_text(summary_markdown(header, summary, records), encoding="utf-8")
    return summary


def rescore(folder: Path, options: ScoringOptions | None = None) -> tuple[Run, dict[str, Any]]:
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
