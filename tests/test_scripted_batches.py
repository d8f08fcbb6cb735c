"""The scripted server's Files and Batches API, driven by the ``openai`` SDK's own calls over HTTP."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from claimx.testing import BatchItemError, RecordedRequest, Reply, ScriptedServer, echo_answer


def batch_line(custom_id: str, text: str) -> dict[str, Any]:
    body = {
        "model": "scripted",
        "messages": [{"role": "user", "content": f"[S1] {text}"}],
    }
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


CHAT = "/v1/chat/completions"
LINES = [batch_line(f"doc-{i}", f"The minister said plan {i} would pass on time.") for i in range(5)]


@pytest.fixture
def server() -> Any:
    with ScriptedServer(echo_answer) as running:
        yield running


def client_for(server: ScriptedServer, key: str = "sk-test") -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.base_url, max_retries=0)


def submit(client: openai.OpenAI, content: bytes) -> Any:
    uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
    return client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )


def states_until_final(client: openai.OpenAI, batch_id: str) -> list[str]:
    seen = []
    for _ in range(20):
        status = client.batches.retrieve(batch_id).status
        seen.append(status)
        if status in ("completed", "failed", "expired", "cancelled"):
            break
    return seen


def records(client: openai.OpenAI, file_id: str | None) -> dict[str, dict[str, Any]]:
    if file_id is None:
        return {}
    text = client.files.content(file_id).text
    return {r["custom_id"]: r for r in map(json.loads, text.splitlines())}


def test_upload_and_read_back(server: ScriptedServer) -> None:
    client = client_for(server)
    content = jsonl(LINES)
    uploaded = client.files.create(file=("requests.jsonl", content), purpose="batch")
    assert uploaded.purpose == "batch" and uploaded.bytes == len(content)
    assert client.files.retrieve(uploaded.id).filename == "requests.jsonl"
    assert client.files.content(uploaded.id).content == content
    assert [f.id for f in server.uploads] == [uploaded.id]


def test_completed_lifecycle_answers_each_line_as_realtime_would(server: ScriptedServer) -> None:
    client = client_for(server)
    batch = submit(client, jsonl(LINES))
    assert batch.status == "validating"
    assert states_until_final(client, batch.id) == ["in_progress", "finalizing", "completed"]
    done = client.batches.retrieve(batch.id)
    assert done.request_counts is not None
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (5, 5, 0)
    assert done.error_file_id is None
    out = records(client, done.output_file_id)
    assert set(out) == {f"doc-{i}" for i in range(5)}
    # The body is what the responder gives for the same request over /v1/chat/completions.
    realtime = client.chat.completions.create(**LINES[3]["body"])
    batch_body = out["doc-3"]["response"]["body"]
    assert batch_body["choices"][0]["message"]["content"] == realtime.choices[0].message.content
    assert out["doc-3"]["response"]["status_code"] == 200 and out["doc-3"]["error"] is None
    assert len(server.batch_lines) == 5 and len(server.completions) == 1


def test_chosen_items_fail_in_the_error_file(server: ScriptedServer) -> None:
    def fault(custom_id: str, request: RecordedRequest) -> Reply | BatchItemError | None:
        return {
            "doc-0": BatchItemError("server_error", "boom"),
            "doc-1": Reply.error(500, "overloaded"),
            "doc-2": Reply.error(400, "bad request"),
            "doc-3": Reply.truncated(),
            "doc-4": Reply.completion("this is not JSON"),
        }.get(custom_id)

    server.batch_item_fault = fault
    client = client_for(server)
    batch = submit(client, jsonl([*LINES, batch_line("doc-5", "Critics said it would fail badly.")]))
    server.batch_service.advance_all()
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    errors, outputs = records(client, done.error_file_id), records(client, done.output_file_id)
    assert errors["doc-0"]["response"] is None and errors["doc-0"]["error"]["code"] == "server_error"
    assert errors["doc-1"]["response"]["status_code"] == 500
    assert errors["doc-2"]["response"]["status_code"] == 400
    assert outputs["doc-3"]["response"]["body"]["choices"][0]["finish_reason"] == "length"
    assert outputs["doc-4"]["response"]["body"]["choices"][0]["message"]["content"] == "this is not JSON"
    assert set(outputs) == {"doc-3", "doc-4", "doc-5"}
    assert done.request_counts is not None and done.request_counts.failed == 3


def test_failed_batch_reports_its_errors(server: ScriptedServer) -> None:
    server.batch_service.lifecycle.max_requests = 3
    client = client_for(server)
    batch = submit(client, jsonl(LINES))
    assert states_until_final(client, batch.id) == ["failed"]
    failed = client.batches.retrieve(batch.id)
    assert failed.errors is not None and failed.errors.data is not None
    assert failed.errors.data[0].code == "too_many_requests"
    assert failed.output_file_id is None and server.batch_lines == []


def test_duplicate_custom_ids_fail_validation(server: ScriptedServer) -> None:
    client = client_for(server)
    batch = submit(client, jsonl([LINES[0], LINES[0]]))
    assert states_until_final(client, batch.id)[-1] == "failed"


def test_expired_batch_answers_only_part(server: ScriptedServer) -> None:
    server.batch_service.lifecycle.outcome = "expired"
    server.batch_service.lifecycle.expire_after = 2
    client = client_for(server)
    batch = submit(client, jsonl(LINES))
    assert states_until_final(client, batch.id) == ["in_progress", "finalizing", "expired"]
    done = client.batches.retrieve(batch.id)
    assert set(records(client, done.output_file_id)) == {"doc-0", "doc-1"}
    expired = records(client, done.error_file_id)
    assert set(expired) == {"doc-2", "doc-3", "doc-4"}
    assert {r["error"]["code"] for r in expired.values()} == {"batch_expired"}


def test_cancel(server: ScriptedServer) -> None:
    client = client_for(server)
    batch = submit(client, jsonl(LINES))
    assert client.batches.cancel(batch.id).status == "cancelling"
    assert states_until_final(client, batch.id) == ["cancelled"]
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch.id)
    assert server.batch_lines == []


def test_time_moves_batches_too(server: ScriptedServer) -> None:
    server.batch_service.lifecycle.polls_per_step = 0
    server.batch_service.lifecycle.seconds_per_step = 0.0
    client = client_for(server)
    batch = submit(client, jsonl(LINES))
    assert client.batches.retrieve(batch.id).status == "completed"
    assert [b.id for b in client.batches.list()] == [batch.id]


def test_wrong_purpose_endpoint_or_file_refused(server: ScriptedServer) -> None:
    client = client_for(server)
    other = client.files.create(file=("x.jsonl", jsonl(LINES)), purpose="user_data")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id=other.id, endpoint=CHAT, completion_window="24h")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(input_file_id="file-none", endpoint=CHAT, completion_window="24h")
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch-none")


def test_no_batch_api_and_wrong_keys() -> None:
    with ScriptedServer(echo_answer, batch_api=False) as plain, pytest.raises(openai.NotFoundError):
        client_for(plain).files.create(file=("r.jsonl", jsonl(LINES)), purpose="batch")
    with ScriptedServer(echo_answer, api_key="sk-right") as guarded:
        with pytest.raises(openai.AuthenticationError):
            client_for(guarded, "sk-wrong").files.create(file=("r.jsonl", jsonl(LINES)), purpose="batch")
        assert client_for(guarded, "sk-right").files.create(file=("r.jsonl", b"{}\n"), purpose="batch").id
