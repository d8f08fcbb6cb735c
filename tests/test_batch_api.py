"""``claimx.batch_api``: batch jobs against the scripted server's Batch API, over real HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claimx import batch_api
from claimx.batch import extract_many
from claimx.cache import ResponseCache
from claimx.errors import ModelError, OutputError
from claimx.extract import Extractor
from claimx.testing import BatchItemError, RecordedRequest, Reply, ScriptedServer, echo_answer

MODEL = "openai/scripted"


def documents(n: int) -> list[tuple[str, str]]:
    return [
        (f"doc{i:04d}", f"The minister said plan {i} would pass by May. Critics said plan {i} would fail.")
        for i in range(n)
    ]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(echo_answer) as running:
        yield running


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_submit_splits_into_files_within_the_limits_and_pays_once(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.batch_service.lifecycle.max_requests = 5  # an unsplit file would fail validation
    job = tmp_path / "job"
    docs = documents(12)
    manifest = batch_api.submit(docs, model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=5)
    assert [b.requests for b in manifest.batches] == [5, 5, 2]
    assert len(server.uploads) == 3 and len(server.batch_service.batches) == 3
    assert all(u.purpose == "batch" for u in server.uploads)
    again = batch_api.submit(docs, model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=5)
    assert [b.batch_id for b in again.batches] == [b.batch_id for b in manifest.batches]
    assert len(server.uploads) == 3 and len(server.batch_service.batches) == 3
    # The byte limit splits too.
    small = batch_api.submit(
        docs[:4], model=MODEL, base_url=server.base_url, job=tmp_path / "bytes", max_bytes_per_file=1
    )
    assert [b.requests for b in small.batches] == [1, 1, 1, 1]
    report = batch_api.collect(job, tmp_path / "out.jsonl", wait=True, poll_s=0, cache=tmp_path / "cache")
    assert (report.extracted, report.failed, report.exit_code) == (12, 0, 0)
    assert sorted(r["doc_id"] for r in lines(tmp_path / "out.jsonl")) == [d for d, _ in docs]


def test_manifest_holds_the_whole_state_and_never_a_key(tmp_path: Path) -> None:
    key = "ck-secret-KEYq9Zx7Lw2"
    with ScriptedServer(echo_answer, api_key=key) as server:
        job = tmp_path / "job"
        batch_api.submit(documents(3), model=MODEL, base_url=server.base_url, job=job, api_key=key)
        manifest = json.loads((job / "manifest.json").read_text())
        assert manifest["format"] == "claimx-batch-job/1" and manifest["submitted"] is True
        assert manifest["documents"] == 3 and manifest["requests"] == 3
        assert manifest["settings"]["batch"]["model"] == MODEL
        (entry,) = manifest["batches"]
        assert entry["file_id"] and entry["batch_id"] and entry["state"] == "validating"
        requests = lines(job / "requests.jsonl")
        assert [r["doc_id"] for r in requests] == ["doc0000", "doc0001", "doc0002"]
        assert all(r["custom_id"].startswith(f"{r['doc_id']}#1#") for r in requests)
        for path in job.iterdir():
            assert b"KEYq9Zx7Lw2" not in path.read_bytes()


def test_submit_resumes_an_interrupted_submit_without_paying_twice(
    server: ScriptedServer, tmp_path: Path
) -> None:
    job = tmp_path / "job"
    docs = documents(9)
    batch_api.submit(docs, model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=3)
    manifest = batch_api.load(job)
    # As if the process died: after creating batch 2 but before recording it, and before uploading file 3.
    manifest.batches[1].batch_id = None
    manifest.batches[2].file_id = manifest.batches[2].batch_id = None
    manifest.submitted = False
    from claimx.batch_api.manifest import save

    save(job, manifest)
    batch_api.submit(docs, model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=3)
    assert len(server.uploads) == 4  # file 3 uploaded again: uploads cost nothing
    assert len(server.batch_service.batches) == 4  # only batch 3 created again: batch 2 was found
    resumed = batch_api.load(job)
    assert resumed.submitted and len({b.batch_id for b in resumed.batches}) == 3


def test_submit_refuses_other_settings_and_foreign_folders(server: ScriptedServer, tmp_path: Path) -> None:
    job = tmp_path / "job"
    batch_api.submit(documents(2), model=MODEL, base_url=server.base_url, job=job)
    with pytest.raises(batch_api.JobError, match="other settings"):
        batch_api.submit(documents(3), model=MODEL, base_url=server.base_url, job=job)
    with pytest.raises(batch_api.JobError, match="other settings"):
        batch_api.submit(documents(2), model="openai/other", base_url=server.base_url, job=job)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(batch_api.JobError, match="holds no batch job"):
        batch_api.submit(documents(2), model=MODEL, base_url=server.base_url, job=foreign)
    with pytest.raises(batch_api.JobError, match=r"no manifest\.json"):
        batch_api.status(foreign)
    with pytest.raises(batch_api.JobError, match="does not exist"):
        batch_api.status(tmp_path / "missing")
    assert len(server.batch_service.batches) == 1


def test_status_follows_each_state(server: ScriptedServer, tmp_path: Path) -> None:
    job = tmp_path / "job"
    batch_api.submit(documents(4), model=MODEL, base_url=server.base_url, job=job)
    seen = [batch_api.status(job)[0] for _ in range(3)]
    assert [s.state for s in seen] == ["in_progress", "finalizing", "completed"]
    done = seen[-1]
    assert (done.done, done.failed, done.total) == (4, 0, 4)
    assert done.age_s is not None and done.age_s >= 0
    # Finished batches are not asked about again.
    before = len(server.requests)
    assert batch_api.status(job)[0].state == "completed" and len(server.requests) == before


def test_status_and_collect_from_a_fresh_process(server: ScriptedServer, tmp_path: Path) -> None:
    job, out, cache = tmp_path / "job", tmp_path / "out.jsonl", tmp_path / "cache"
    batch_api.submit(documents(6), model=MODEL, base_url=server.base_url, job=job)
    script = (
        "import sys; from claimx import batch_api; "
        "print([s.state for s in batch_api.status(sys.argv[1])]); "
        "r = batch_api.collect(sys.argv[1], sys.argv[2], wait=True, poll_s=0, cache=sys.argv[3]); "
        "print(r.extracted, r.failed)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(job), str(out), str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["['in_progress']", "6 0"]
    assert len(lines(out)) == 6 and len(server.completions) == 0


def test_collect_refuses_unfinished_batches_and_unsafe_outputs(
    server: ScriptedServer, tmp_path: Path
) -> None:
    job = tmp_path / "job"
    batch_api.submit(documents(2), model=MODEL, base_url=server.base_url, job=job)
    with pytest.raises(batch_api.JobError, match="not finished"):
        batch_api.collect(job, tmp_path / "out.jsonl", cache=tmp_path / "cache")
    taken = tmp_path / "taken.jsonl"
    taken.write_text("precious\n")
    with pytest.raises(OutputError, match="--overwrite"):
        batch_api.collect(job, taken, wait=True, poll_s=0)
    assert taken.read_text() == "precious\n"
    with pytest.raises(OutputError, match="inside the job folder"):
        batch_api.collect(job, job / "results.jsonl", wait=True, poll_s=0)
    with pytest.raises(OutputError, match="directory"):
        batch_api.collect(job, tmp_path, wait=True, poll_s=0)
    report = batch_api.collect(job, taken, wait=True, poll_s=0, overwrite=True, cache=tmp_path / "cache")
    assert report.extracted == 2 and len(lines(taken)) == 2
    # Read from files, the inputs are never the output, even with --overwrite.
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("The mayor said the bridge would open in May.")
    batch_api.submit([folder], model=MODEL, base_url=server.base_url, job=tmp_path / "files")
    with pytest.raises(OutputError, match="one of the job's inputs"):
        batch_api.collect(tmp_path / "files", folder / "a.txt", overwrite=True, wait=True, poll_s=0)
    assert (folder / "a.txt").read_text().startswith("The mayor")


def test_failed_batch_is_reported(server: ScriptedServer, tmp_path: Path) -> None:
    server.batch_service.lifecycle.outcome = "failed"
    job = tmp_path / "job"
    batch_api.submit(documents(2), model=MODEL, base_url=server.base_url, job=job)
    with pytest.raises(batch_api.JobError, match="failed at the provider: scripted_failure"):
        batch_api.collect(job, tmp_path / "out.jsonl", wait=True, poll_s=0, cache=tmp_path / "cache")
    assert not (tmp_path / "out.jsonl").exists()


def test_expired_items_are_asked_again_in_realtime_or_reported(
    server: ScriptedServer, tmp_path: Path
) -> None:
    server.batch_service.lifecycle.outcome = "expired"
    server.batch_service.lifecycle.expire_after = 3
    job = tmp_path / "job"
    batch_api.submit(documents(5), model=MODEL, base_url=server.base_url, job=job)
    none = batch_api.collect(
        job, tmp_path / "none.jsonl", wait=True, poll_s=0, retry_failed="none", cache=tmp_path / "cache"
    )
    assert (none.extracted, none.failed, none.exit_code) == (3, 2, 1)
    assert [b.split()[1] for b in none.ended_early] == ["expired"]
    errors = [r for r in lines(tmp_path / "none.jsonl") if "error" in r]
    assert len(errors) == 2 and all("expired" in e["error"]["message"] for e in errors)
    assert len(server.completions) == 0
    realtime = batch_api.collect(job, tmp_path / "rt.jsonl", wait=True, poll_s=0, cache=tmp_path / "cache")
    assert (realtime.extracted, realtime.failed, realtime.retried) == (5, 0, 2)
    assert len(server.completions) == 2
    # The items asked again in realtime are the batch's requests, byte for byte.
    batch_bodies = {raw[raw.index(b'"body": ') + 8 : -2] for raw in (job / "input-000.jsonl").open("rb")}
    assert {r.body for r in server.completions} <= batch_bodies


def test_failed_items_go_to_a_follow_up_batch(server: ScriptedServer, tmp_path: Path) -> None:
    failed_once: set[str] = set()

    def fault(custom_id: str, request: RecordedRequest) -> Reply | BatchItemError | None:
        original = custom_id.count("#") == 2  # a follow-up's re-ask has a fourth part
        if original and custom_id.startswith(("doc0001#", "doc0003#")) and custom_id not in failed_once:
            failed_once.add(custom_id)
            return Reply.completion("not JSON at all") if "0001" in custom_id else BatchItemError()
        return None

    server.batch_item_fault = fault
    job = tmp_path / "job"
    batch_api.submit(documents(5), model=MODEL, base_url=server.base_url, job=job)
    report = batch_api.collect(
        job, tmp_path / "out.jsonl", wait=True, poll_s=0, retry_failed="batch", cache=tmp_path / "cache"
    )
    assert (report.extracted, report.failed, report.retried) == (5, 0, 2)
    manifest = batch_api.load(job)
    assert [b.round for b in manifest.batches] == [0, 1] and manifest.batches[1].requests == 2
    assert len(server.completions) == 0 and len(server.batch_service.batches) == 2


def test_cancel(server: ScriptedServer, tmp_path: Path) -> None:
    job = tmp_path / "job"
    batch_api.submit(documents(3), model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=2)
    states = batch_api.cancel(job)
    assert [s.state for s in states] == ["cancelled", "cancelled"]
    report = batch_api.collect(job, tmp_path / "out.jsonl", retry_failed="none", cache=tmp_path / "cache")
    assert (report.extracted, report.failed) == (0, 3)


def test_servers_without_the_batch_api_and_wrong_keys(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer, batch_api=False) as plain:
        with pytest.raises(ModelError, match="does not offer the Batch API") as caught:
            batch_api.submit(documents(1), model=MODEL, base_url=plain.base_url, job=tmp_path / "a")
        assert caught.value.status == 404
    with ScriptedServer(echo_answer, api_key="ck-right-key") as guarded:
        with pytest.raises(ModelError, match="rejected the API key") as refused:
            batch_api.submit(
                documents(1),
                model=MODEL,
                base_url=guarded.base_url,
                job=tmp_path / "b",
                api_key="ck-WRONGkey77",
            )
        assert "WRONGkey77" not in str(refused.value)


def test_a_thousand_documents_end_to_end(server: ScriptedServer, tmp_path: Path) -> None:
    """5% of items fail in the batch, each in its own way; every document ends on exactly one line."""
    faults = [
        BatchItemError("server_error", "boom"),
        Reply.error(500, "overloaded"),
        Reply.completion("not JSON"),
        Reply.truncated(),
        Reply.completion('{"statements": "not a list"}'),
    ]

    def fault(custom_id: str, request: RecordedRequest) -> Reply | BatchItemError | None:
        index = int(custom_id[3:7])
        original = custom_id.count("#") == 2
        return faults[index // 20 % len(faults)] if original and index % 20 == 7 else None

    server.batch_item_fault = fault
    docs = documents(1000)
    job, out, cache = tmp_path / "job", tmp_path / "out.jsonl", tmp_path / "cache"
    batch_api.submit(docs, model=MODEL, base_url=server.base_url, job=job, max_requests_per_file=400)
    report = batch_api.collect(job, out, wait=True, poll_s=0, cache=cache)
    assert (report.extracted, report.failed, report.retried) == (1000, 0, 50)
    results = lines(out)
    assert sorted(r["doc_id"] for r in results) == [d for d, _ in docs]
    usage = {r["doc_id"]: r["meta"]["usage"] for r in results}
    # Answers that failed validation were re-asked with the error fed back: two calls, one re-ask.
    reasked = {d for d, u in usage.items() if u["reasks"]}
    assert reasked == {f"doc{i:04d}" for i in range(1000) if i % 20 == 7 and i // 20 % 5 in (2, 4)}
    assert all(usage[d]["requests"] == 2 for d in reasked)
    # Answers cut off at their limit were billed too, then asked again with a larger budget.
    cut_off = {f"doc{i:04d}" for i in range(1000) if i % 20 == 7 and i // 20 % 5 == 3}
    assert all(usage[d]["requests"] == 2 and not usage[d]["reasks"] for d in cut_off)
    assert sum(u["requests"] for u in usage.values()) == 1000 + len(reasked) + len(cut_off)
    assert not any(u["cached"] for u in usage.values())  # paid for in the batch, not served from a cache
    assert len(server.completions) == 50 and len(server.batch_lines) == 1000
    # A realtime run over the same inputs with the same cache makes no call at all.
    completions = len(server.completions)
    with Extractor(MODEL, base_url=server.base_url, cache=ResponseCache(cache)) as extractor:
        rerun = list(extract_many(docs, extractor=extractor))
    assert all(r.ok for r in rerun) and len(rerun) == 1000
    assert len(server.completions) == completions
