"""An eval run goes through the batch runner: its errors, its bound on concurrency, one provenance."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import claimx
from claimx.batch import DocumentError
from claimx.evaluate.datasets import Dataset, load_dataset
from claimx.evaluate.predictors import Description, make_predictor
from claimx.evaluate.run import run_eval
from claimx.evaluate.runlog import SampleRecord, read_run
from claimx.evaluate.sample import Sample
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer


def _dataset(copies: int) -> Dataset:
    seed = load_dataset("seed")
    sample = seed.samples[0]
    samples = [sample.model_copy(update={"id": f"{sample.id}-{i}"}) for i in range(copies)]
    return Dataset(spec="seed", name="seed", samples=samples)


def test_a_failed_sample_records_the_batch_runner_s_error(server: ScriptedServer, tmp_path: Path) -> None:
    data = _dataset(1)
    server.enqueue(*[Reply.error(500, "the model fell over")] * 2)
    predictor = make_predictor(
        "openai/m",
        base_url=server.base_url,
        cache=False,
        model_options={"retry": claimx.RetryPolicy(transport_attempts=2, initial_wait_s=0.01)},
    )
    records, summary = asyncio.run(run_eval(data, predictor, tmp_path / "run"))
    [record] = records
    assert isinstance(record.error, DocumentError)
    assert record.error.cause == "transport" and record.error.status == 500 and record.error.attempts == 2
    assert record.latency_s > 0 and summary.samples.failed == 1

    server.enqueue(*[Reply.error(500, "the model fell over")] * 2)
    [batch] = claimx.extract_many(
        [(record.id, data.samples[0].text)],
        model="openai/m",
        base_url=server.base_url,
        cache=False,
        retry=claimx.RetryPolicy(transport_attempts=2, initial_wait_s=0.01),
    )
    assert batch.error is not None
    assert batch.error.model_dump(exclude={"message"}) == record.error.model_dump(exclude={"message"})
    assert read_run(tmp_path / "run").records[0].error == record.error  # read back typed


class _Broken:
    """A predictor with a bug: the run records it as that sample's internal error and goes on."""

    description = Description(model="broken", provider="tests")

    async def predict(self, sample: Sample) -> claimx.Extraction:
        raise KeyError(sample.id)

    async def aclose(self) -> None:
        """Nothing to release."""


def test_a_predictor_bug_is_one_sample_s_internal_error(tmp_path: Path) -> None:
    records, _ = asyncio.run(run_eval(_dataset(3), _Broken(), tmp_path / "run"))
    assert [r.error.cause if r.error else None for r in records] == ["internal"] * 3
    assert [r.error.type if r.error else None for r in records] == ["KeyError"] * 3


def test_eval_concurrency_bounds_requests_in_flight(server: ScriptedServer, tmp_path: Path) -> None:
    lock = threading.Lock()
    in_flight = 0
    most = 0

    def slow(request: RecordedRequest) -> Reply:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.1)
        with lock:
            in_flight -= 1
        return echo_answer(request)

    server.responder = slow
    predictor = make_predictor("openai/m", base_url=server.base_url, cache=False, concurrency=2)
    records, _ = asyncio.run(run_eval(_dataset(6), predictor, tmp_path / "run", concurrency=2))
    assert [r.error for r in records] == [None] * 6
    assert [r.id for r in records] == [s.id for s in _dataset(6).samples]  # dataset order
    assert most == 2


def test_one_provenance_record_in_meta_description_and_header(server: ScriptedServer, tmp_path: Path) -> None:
    server.responder = echo_answer
    predictor = make_predictor("openai/m", base_url=server.base_url, cache=False)
    records, _ = asyncio.run(run_eval(_dataset(1), predictor, tmp_path / "run"))
    header = read_run(tmp_path / "run").header
    prediction = records[0].prediction
    assert prediction is not None
    assert isinstance(header, claimx.Provenance) and isinstance(prediction.meta, claimx.Provenance)
    fields = claimx.Provenance.model_fields
    assert {k: getattr(header, k) for k in fields} == {k: getattr(prediction.meta, k) for k in fields}
    assert header.model == "openai/m" and header.parameters["cache"] is False


def test_a_rejected_key_stops_the_run_and_is_every_sample_error(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.responder = lambda request: Reply.error(401, "bad key")
    predictor = make_predictor("openai/m", base_url=server.base_url, cache=False, concurrency=1)
    records, summary = asyncio.run(run_eval(_dataset(5), predictor, tmp_path / "run", concurrency=1))
    assert len(server.completions) == 1  # not one request per sample
    assert [r.error.status if r.error else None for r in records] == [401] * 5
    assert summary.samples.failed == 5 and len(read_run(tmp_path / "run").records) == 5


def test_every_finished_sample_s_line_is_in_the_file_before_the_run_ends(tmp_path: Path) -> None:
    """Lines are flushed as samples finish (fsync at most once a second), then put in dataset order."""
    data = _dataset(3)
    seen: list[list[str]] = []

    def on_record(record: SampleRecord) -> None:
        seen.append((tmp_path / "run" / "samples.jsonl").read_text(encoding="utf-8").splitlines())

    records, _ = asyncio.run(run_eval(data, make_predictor("gold"), tmp_path / "run", on_record=on_record))
    assert [len(lines) for lines in seen] == [1, 2, 3]
    written = (tmp_path / "run" / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    assert written == [record.model_dump_json() for record in records]
    assert [r.id for r in read_run(tmp_path / "run").records] == [s.id for s in data.samples]
