"""Batch files: the realtime requests exported byte for byte, and a batch's answers read back.

Everything runs over real HTTP against the scripted server: the realtime run it records is
what the exported bodies must equal, and its answer logic (``echo_answer``) is what a batch
engine would have answered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from claimx import extract_many
from claimx.batchfile import (
    BatchSettings,
    batch_requests,
    documents_path_for,
    export_batch,
    read_batch_lines,
)
from claimx.extract import ExtractOptions, Extractor
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

from .test_cli import claimx_cli

LONG_SENTENCE = "The minister said that budget line {i} would pass before the summer recess ends."


def article(i: int) -> str:
    return f"The minister said budget number {i} would pass this year. Critics disagreed with the plan."


def long_article() -> str:
    return " ".join(LONG_SENTENCE.format(i=i) for i in range(40))


def documents(n: int = 6) -> list[tuple[str, str]]:
    return [(f"doc{i}", article(i)) for i in range(n)] + [("long", long_article())]


#: Small chunks, so the long article takes several requests, as it would in realtime.
OPTIONS = ExtractOptions(chunk_tokens=200)


def raw_bodies(requests: Path) -> dict[str, bytes]:
    """custom_id → the body bytes exactly as they stand in the file."""
    found = {}
    for line in requests.read_bytes().splitlines():
        head, body = line.split(b', "body": ', 1)
        found[json.loads(head + b"}")["custom_id"]] = body[:-1]
    return found


def request_of(body: dict[str, Any]) -> RecordedRequest:
    return RecordedRequest("POST", "/v1/chat/completions", {}, json.dumps(body).encode())


def output_line(custom_id: str, reply: Reply) -> str:
    """A batch output line (OpenAI's format) carrying what the scripted server would answer."""
    assert reply.body is not None
    body = json.loads(reply.body)
    if reply.status != 200:
        response = {"status_code": reply.status, "request_id": f"req-{custom_id}", "body": body}
        return json.dumps(
            {"id": f"batch_req_{custom_id}", "custom_id": custom_id, "response": response, "error": None}
        )
    response = {"status_code": 200, "request_id": f"req-{custom_id}", "body": body}
    return json.dumps(
        {"id": f"batch_req_{custom_id}", "custom_id": custom_id, "response": response, "error": None}
    )


def answer_batch(
    requests: Path, out: Path, answer: Callable[[str, RecordedRequest], Reply | None] | None = None
) -> None:
    """Answer every request of a batch file as the scripted server's logic does (``answer`` overrides)."""
    lines = []
    for line in read_batch_lines(requests):
        request = RecordedRequest("POST", line.url, {}, line.body)
        reply = (answer(line.custom_id, request) if answer else None) or echo_answer(request)
        if reply.status == 0:  # no answer at all: the item expired
            continue
        lines.append(output_line(line.custom_id, reply))
    out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def without_timings(record: dict[str, Any]) -> dict[str, Any]:
    meta = record.get("meta")
    if isinstance(meta, dict):
        meta.pop("latency_s", None)
    return record


def results_by_id(path: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    by_id = {r["doc_id"]: without_timings(r) for r in records}
    assert len(by_id) == len(records), "a document appears on more than one line"
    return by_id


def test_exported_bodies_are_the_realtime_requests_byte_for_byte(tmp_path: Path) -> None:
    docs = documents()
    with ScriptedServer(echo_answer) as server:
        settings = BatchSettings(model="openai/test", base_url=server.base_url, options=OPTIONS)
        summary = export_batch(docs, settings, tmp_path / "requests.jsonl")
        assert server.completions == []  # exporting sends nothing
        with Extractor("openai/test", base_url=server.base_url, cache=False, options=OPTIONS) as extractor:
            results = list(extract_many(docs, extractor=extractor))
        realtime = sorted(r.body for r in server.completions)
    assert all(r.ok for r in results)
    exported = raw_bodies(tmp_path / "requests.jsonl")
    assert sorted(exported.values()) == realtime
    long_chunks = [cid for cid in exported if cid.startswith("long#")]
    assert len(long_chunks) > 1, "the long article is chunked as in realtime"
    assert [cid.split("#")[1] for cid in long_chunks] == [str(n) for n in range(1, len(long_chunks) + 1)]
    assert summary.documents == len(docs) and summary.requests == len(exported)
    # Stable: the same inputs give the same file.
    again = BatchSettings(model="openai/test", base_url=server.base_url, options=OPTIONS)
    assert [line.custom_id for doc in batch_requests(docs, again) for line in doc.lines] == list(exported)


def test_round_trip_gives_the_realtime_jsonl_and_fills_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(5):
        (folder / f"doc{i}.txt").write_text(article(i), encoding="utf-8")
    (folder / "empty.txt").write_text("")
    requests, responses = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl"
    with ScriptedServer(echo_answer) as server:
        url = server.base_url
        proc = claimx_cli(
            "batch", "export", str(folder), "-m", "openai/test", "--base-url", url, "-o", str(requests)
        )
        assert proc.returncode == 0, proc.stderr.decode()
        assert documents_path_for(requests).exists()
        answer_batch(requests, responses)
        proc = claimx_cli(
            "batch", "import", str(requests), str(responses), "-o", str(tmp_path / "batch.jsonl")
        )
        assert proc.returncode == 1, proc.stderr.decode()  # the empty file is an error line, as in realtime
        assert server.completions == []  # every answer came from the batch
        # The same inputs in realtime (the lines ``claimx extract`` writes), first from the cache.
        sources = [(f"doc{i}", article(i)) for i in range(5)]
        rerun = [r.to_json_line() for r in extract_many(sources, model="openai/test", base_url=url)]
        assert server.completions == [], "the realtime rerun is served entirely from the cache"
        fresh = [
            r.to_json_line() for r in extract_many(sources, model="openai/test", base_url=url, cache=False)
        ]
        assert len(server.completions) == 5
    batch = results_by_id(tmp_path / "batch.jsonl")
    assert batch.pop("empty")["error"]["type"] == "InputError"
    fresh_by_id = {r["doc_id"]: without_timings(r) for r in map(json.loads, fresh)}
    for record in fresh_by_id.values():
        record["meta"]["base_url"] = batch[record["doc_id"]]["meta"]["base_url"]
    assert batch == fresh_by_id
    cached = {r["doc_id"]: without_timings(r) for r in map(json.loads, rerun)}
    for doc_id, record in cached.items():
        if "meta" in record:
            assert record["meta"]["usage"]["cached"]
            record["meta"]["usage"] = batch[doc_id]["meta"]["usage"]  # (a cache hit says so)
    assert batch == cached
