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

import pytest
from typer.testing import CliRunner

from claimx import extract_many
from claimx.batchfile import (
    BatchLine,
    BatchSettings,
    RetryMode,
    batch_requests,
    collect_results,
    documents_path_for,
    export_batch,
    read_batch_lines,
    split_batch_file,
)
from claimx.batchfile.settings import read_header
from claimx.cache import ResponseCache
from claimx.cli import app
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
    assert batch == fresh_by_id
    cached = {r["doc_id"]: without_timings(r) for r in map(json.loads, rerun)}
    for doc_id, record in cached.items():
        if "meta" in record:
            assert record["meta"]["usage"]["cached"]
            record["meta"]["usage"] = batch[doc_id]["meta"]["usage"]  # (a cache hit says so)
    assert batch == cached


FAILURES = {
    "doc0": Reply.error(500, "the engine crashed"),
    "doc2": Reply.completion('{"actors": [], "statements": [{"sentences": ["S1"], "quo'),  # not JSON
    "doc3": Reply.completion('{"actors": [], "statements": "not a list", "positions": []}'),
    "doc4": Reply.truncated(),
    "doc5": Reply(status=0),  # expired: no line at all
}


def failing(custom_id: str, request: RecordedRequest) -> Reply | None:
    return FAILURES.get(custom_id.split("#")[0])


def export_and_answer(tmp_path: Path, server: ScriptedServer) -> tuple[Path, list[Path]]:
    requests = tmp_path / "requests.jsonl"
    export_batch(
        documents(), BatchSettings(model="openai/test", base_url=server.base_url, options=OPTIONS), requests
    )
    answer_batch(requests, tmp_path / "responses.jsonl", failing)
    # doc1's request failed in the engine: it is in the error file, not the output file.
    errors = tmp_path / "errors.jsonl"
    kept = []
    for line in (tmp_path / "responses.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["custom_id"].startswith("doc1#"):
            record["response"], record["error"] = None, {"code": "server_error", "message": "try again later"}
            errors.write_text(json.dumps(record) + "\n")
        else:
            kept.append(line)
    (tmp_path / "responses.jsonl").write_text("".join(f"{line}\n" for line in kept))
    return requests, [tmp_path / "responses.jsonl", errors]


def test_failed_items_are_asked_again_in_realtime_with_the_error_fed_back(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer) as server:
        requests, outputs = export_and_answer(tmp_path, server)
        exported = {
            json.loads(line)["custom_id"].split("#")[0]: line for line in requests.read_text().splitlines()
        }
        results = {r.doc_id: r for r in collect_results(documents_path_for(requests), [requests], outputs)}
        asked = [json.loads(r.body) for r in server.completions]
    assert sorted(results) == sorted(doc_id for doc_id, _ in documents())
    assert all(r.ok for r in results.values()), [r.error for r in results.values() if r.error]
    usage = {doc_id: r.extraction.meta.usage for doc_id, r in results.items() if r.extraction}
    # A provider error, an error-file line and a missing answer: the same request, asked once more.
    for doc_id in ("doc0", "doc1", "doc5"):
        assert usage[doc_id].requests == 1
        assert json.loads(exported[doc_id])["body"] in asked
    # Answers that did not parse or validate: re-asked with the validation error, and counted.
    for doc_id in ("doc2", "doc3"):
        assert usage[doc_id].requests == 2 and usage[doc_id].reasks == 1
    reasks = [body for body in asked if len(body["messages"]) > 2]
    assert len(reasks) == 2 and any("not a list" in json.dumps(body["messages"][-2:]) for body in reasks)
    # Cut off at the output limit: asked again with a larger budget, as in realtime.
    budgets = [body["max_tokens"] for body in asked]
    assert max(budgets) == 2 * min(budgets)
    assert len(asked) == 6
    assert usage["long"].requests > 1 and not usage["long"].cached  # every chunk from the batch


def test_failed_items_without_retry_are_error_lines(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer) as server:
        requests, outputs = export_and_answer(tmp_path, server)
        out = tmp_path / "results.jsonl"
        proc = claimx_cli(
            "batch", "import", str(requests), *map(str, outputs), "-o", str(out), "--retry-failed", "none"
        )
        assert server.completions == []
    assert proc.returncode == 1, proc.stderr.decode()
    results = results_by_id(out)
    errors = {doc_id: r["error"] for doc_id, r in results.items() if "error" in r}
    assert sorted(errors) == ["doc0", "doc1", "doc2", "doc3", "doc4", "doc5"]
    assert "the engine crashed" in errors["doc0"]["message"]
    assert "try again later" in errors["doc1"]["message"]
    assert errors["doc3"]["cause"] == "invalid_output" and "not a list" in errors["doc3"]["last_output"]
    assert "cut off at the output limit" in errors["doc4"]["message"]
    assert "missing or expired" in errors["doc5"]["message"]
    assert all("meta" in results[doc_id] for doc_id in ("long",))


def test_answers_the_import_cannot_use_as_they_are_are_named(tmp_path: Path) -> None:
    """An answer for no request of the batch files (another batch's outputs mixed in) and a
    request answered twice with different answers were passed over without a word."""
    with ScriptedServer(echo_answer) as server:
        requests = tmp_path / "requests.jsonl"
        export_batch(
            documents(3),
            BatchSettings(model="openai/test", base_url=server.base_url, options=OPTIONS),
            requests,
        )
        answers = tmp_path / "responses.jsonl"
        answer_batch(requests, answers)
        lines = answers.read_text().splitlines()
        first = json.loads(lines[0])
        other = json.loads(lines[1])
        other["custom_id"] = first["custom_id"]  # a second, different answer for the first request
        stray = dict(first, custom_id="elsewhere#0#abc")
        (tmp_path / "clean.jsonl").write_text("\n".join(lines) + "\n")
        answers.write_text("\n".join([*lines, json.dumps(other), json.dumps(stray)]) + "\n")
        out = tmp_path / "results.jsonl"
        proc = claimx_cli("batch", "import", str(requests), str(answers), "-o", str(out))
        again = claimx_cli(
            "batch", "import", str(requests), str(tmp_path / "clean.jsonl"), "-o", str(tmp_path / "2.jsonl")
        )
    assert proc.returncode == 0, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "1 answer in the output files match no request of the batch files (elsewhere#0#abc)" in err, err
    assert f"1 request answered twice with different answers ({first['custom_id']})" in err, err
    assert sorted(results_by_id(out)) == sorted(doc_id for doc_id, _ in documents(3))
    assert again.returncode == 0, again.stderr.decode()
    assert "note:" not in again.stderr.decode()


def test_failed_items_go_into_a_follow_up_batch(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer) as server:
        requests, outputs = export_and_answer(tmp_path, server)
        documents_path = documents_path_for(requests)
        follow_ups: list[BatchLine] = []
        first = list(
            collect_results(
                documents_path,
                [requests],
                outputs,
                retry=RetryMode.BATCH,
                cache=False,
                follow_up=follow_ups.append,
            )
        )
        assert sorted(r.doc_id for r in first if not r.ok) == ["doc0", "doc1", "doc2", "doc3", "doc4", "doc5"]
        named = {line.custom_id.split("#")[0]: line.custom_id for line in follow_ups}
        assert sorted(named) == ["doc0", "doc1", "doc2", "doc3", "doc4", "doc5"]
        assert named["doc0"].count("#") == 2  # the same request again, under its own id
        assert named["doc3"].startswith("doc3#1#") and named["doc3"].count("#") == 3  # its re-ask
        second = tmp_path / "follow-up.jsonl"
        second.write_text("".join(f"{line.to_json_line()}\n" for line in follow_ups))
        answer_batch(second, tmp_path / "follow-up-out.jsonl")
        again = list(
            collect_results(
                documents_path,
                [requests, second],
                [*outputs, tmp_path / "follow-up-out.jsonl"],
                retry="batch",
            )
        )
        assert server.completions == []  # nothing was asked in realtime
    assert all(r.ok for r in again), [r.error for r in again if r.error]
    reasked = {r.doc_id: r.extraction.meta.usage for r in again if r.extraction}
    assert reasked["doc3"].requests == 2 and reasked["doc3"].reasks == 1


def test_every_read_of_a_batch_counts_its_own_answers(tmp_path: Path) -> None:
    """The replay read the response cache first: a second read of the same batch (import or
    collect again) found every answer there, and reported each document as cached, 0
    requests, $0; of two documents with the same text, both answered and billed in the
    batch, the one read second took the other's answer from the cache."""
    same = article(1)
    docs = [("first", same), ("other", article(2)), ("twin", same)]
    cache = ResponseCache(tmp_path / "cache")
    with ScriptedServer(echo_answer) as server:
        requests = tmp_path / "requests.jsonl"
        export_batch(docs, BatchSettings(model="openai/test", base_url=server.base_url), requests)
        answer_batch(requests, tmp_path / "responses.jsonl")
        for _ in range(2):
            results = {
                r.doc_id: r
                for r in collect_results(
                    documents_path_for(requests),
                    [requests],
                    [tmp_path / "responses.jsonl"],
                    cache=cache,
                    concurrency=1,
                )
            }
            usage = {doc_id: r.extraction.meta.usage for doc_id, r in results.items() if r.extraction}
            assert sorted(usage) == ["first", "other", "twin"]
            assert all(u.requests == 1 and not u.cached for u in usage.values()), usage
            assert usage["first"] == usage["twin"]
        assert server.completions == []
    cache.close()
    # What the batch answered is in the cache all the same: realtime asks nothing.
    with Extractor("openai/test", base_url=server.base_url, cache=ResponseCache(tmp_path / "cache")) as rt:
        assert all(r.ok and r.extraction.meta.usage.cached for r in extract_many(docs, extractor=rt))


def test_import_needs_an_api_key_only_for_a_realtime_retry(tmp_path: Path) -> None:
    """A batch made for OpenAI's own API, imported without OPENAI_API_KEY, was refused up front
    ("no API key for OpenAI … or --model offline", an option import does not have) although
    every answer was good and nothing needed asking again."""
    requests, responses, out = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl", tmp_path / "r.jsonl"
    export_batch(documents(3), BatchSettings(model="openai/gpt-4.1-mini"), requests)
    answer_batch(requests, responses)
    imported = claimx_cli("batch", "import", str(requests), str(responses), "-o", str(out))
    assert imported.returncode == 0, imported.stderr.decode()
    assert sorted(results_by_id(out)) == ["doc0", "doc1", "doc2", "long"]
    # An answer that does not parse needs a re-ask: only then is the key asked for, in one line.
    answer_batch(requests, responses, lambda cid, _: FAILURES["doc2"] if cid.startswith("doc1#") else None)
    imported = claimx_cli("batch", "import", str(requests), str(responses), "-o", str(out), "--overwrite")
    message = imported.stderr.decode()
    assert imported.returncode == 2, message
    assert "OPENAI_API_KEY" in message and "--retry-failed none" in message, message
    assert "--model offline" not in message and "Traceback" not in message
    assert len([line for line in message.splitlines() if "error:" in line]) == 1
    # An item with no answer at all: known before anything is read, nothing is written. (One
    # whose answer an earlier import put in the cache needs no key: --no-cache here.)
    answer_batch(requests, responses, lambda cid, _: FAILURES["doc5"] if cid.startswith("doc1#") else None)
    imported = claimx_cli(
        "batch", "import", str(requests), str(responses), "-o", str(tmp_path / "n.jsonl"), "--no-cache"
    )
    message = imported.stderr.decode()
    assert imported.returncode == 2 and "1 request(s) have no answer in the batch" in message, message
    assert "OPENAI_API_KEY" in message and not (tmp_path / "n.jsonl").exists()
    # Without retries, no key is needed: the failure is the document's error line.
    imported = claimx_cli(
        "batch", "import", str(requests), str(responses), "-o", str(out), "--overwrite", "--no-cache",
        "--retry-failed", "none",
    )  # fmt: skip
    assert imported.returncode == 1, imported.stderr.decode()
    assert "missing or expired" in results_by_id(out)["doc1"]["error"]["message"]
    # The answer the first import cached answers it without a key.
    imported = claimx_cli("batch", "import", str(requests), str(responses), "-o", str(out), "--overwrite")
    assert imported.returncode == 0, imported.stderr.decode()
    assert results_by_id(out)["doc1"]["meta"]["usage"]["cached"]


@pytest.mark.parametrize("model", ["openai/m", "ollama/m"])
def test_a_retry_to_a_self_hosted_server_needs_no_openai_key(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server of ``ollama/…`` or of ``$OPENAI_BASE_URL`` is recorded without a URL: its
    realtime retries were taken for OpenAI's own and refused for want of OPENAI_API_KEY."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_API_KEY", raising=False)
    with ScriptedServer(echo_answer) as server:
        if model.startswith("ollama/"):
            monkeypatch.setattr("claimx.models.registry.OLLAMA_URL", server.base_url)
        else:
            monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        requests, responses = tmp_path / "requests.jsonl", tmp_path / "responses.jsonl"
        export_batch(documents(3), BatchSettings(model=model), requests)
        assert read_header(documents_path_for(requests)).settings.base_url is None
        answer_batch(
            requests, responses, lambda cid, _: FAILURES["doc5"] if cid.startswith("doc1#") else None
        )
        results = {
            r.doc_id: r
            for r in collect_results(documents_path_for(requests), [requests], [responses], cache=False)
        }
        assert results["doc1"].ok and len(server.completions) == 1  # asked again, at that server
        assert results["doc1"].extraction is not None and results["doc1"].extraction.meta.model == model


def test_an_ollama_batch_names_and_hashes_its_requests_as_realtime_does() -> None:
    """The batch's model was rebuilt as openai/…: its custom_ids' hashes and the cache entries an
    import writes never matched realtime ollama/… runs, and results showed the wrong model."""
    from claimx.batchfile.wire import CaptureTransport, batch_model
    from claimx.models.base import ModelRequest, request_hash
    from claimx.models.registry import resolve_model
    from claimx.response import response_model_for

    realtime = resolve_model("ollama/llama3")
    batch = batch_model(BatchSettings(model="ollama/llama3"), CaptureTransport(lambda _: None))
    request = ModelRequest([{"role": "user", "content": "[S1] Text."}], response_model_for(1, 1), 100, "d")
    assert batch.id == realtime.id == "ollama/llama3"
    assert request_hash(batch, request) == request_hash(realtime, request)


def test_file_names_may_be_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``export_batch(docs, settings, "requests.jsonl")`` failed ('str' object has no attribute
    'with_name'), and ``collect_results`` with strings ('str' object has no attribute 'open')."""
    monkeypatch.chdir(tmp_path)
    settings = BatchSettings(model="openai/gpt-4.1-mini")
    summary = export_batch(documents(2), settings, "requests.jsonl")
    assert summary.requests_path == Path("requests.jsonl") and Path("requests.claimx.jsonl").exists()
    export_batch(documents(2), settings, "again.jsonl", documents_path="docs.jsonl")
    assert Path("docs.jsonl").read_bytes() != b""
    assert documents_path_for("requests.jsonl") == Path("requests.claimx.jsonl")
    answer_batch(Path("requests.jsonl"), Path("responses.jsonl"))
    results = list(
        collect_results("requests.claimx.jsonl", ["requests.jsonl"], ["responses.jsonl"], retry="none")
    )
    assert sorted(r.doc_id for r in results if r.ok) == ["doc0", "doc1", "long"]


def test_batch_outputs_follow_the_output_rules(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "a.txt").write_text(article(1), encoding="utf-8")
    requests = tmp_path / "requests.jsonl"

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["batch", *args])
        return result.exit_code, result.output

    export = ["export", str(tmp_path / "a.txt"), "-m", "openai/test", "--base-url", "http://127.0.0.1:9/v1"]
    code, said = run(*export, "-o", str(tmp_path))  # a folder is never an output
    assert code != 0 and not any(tmp_path.glob("*.claimx.jsonl"))
    assert run(*export, "-o", str(requests))[0] == 0
    before = requests.read_bytes(), documents_path_for(requests).read_bytes()
    code, said = run(*export, "-o", str(requests))
    assert code == 2 and "--overwrite" in said
    documents_path_for(requests).write_text("kept\n")
    requests.unlink()
    code, said = run(*export, "-o", str(requests))  # the documents file beside it is not replaced either
    assert code == 2 and "--overwrite" in said and documents_path_for(requests).read_text() == "kept\n"
    assert run(*export, "-o", str(requests), "--overwrite")[0] == 0
    assert (requests.read_bytes(), documents_path_for(requests).read_bytes()) == before
    responses = tmp_path / "responses.jsonl"
    answer_batch(requests, responses)
    code, said = run("import", str(requests), str(responses), "-o", str(responses))
    assert code != 0 and "both an input and the output" in said
    (tmp_path / "results.jsonl").write_text("{}\n")
    code, said = run("import", str(requests), str(responses), "-o", str(tmp_path / "results.jsonl"))
    assert code == 2 and "--overwrite" in said and (tmp_path / "results.jsonl").read_text() == "{}\n"


def test_the_documents_file_keeps_no_credentials(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    settings = BatchSettings(model="openai/test", base_url="http://user:hunter2secret@127.0.0.1:9/v1")
    export_batch([("a", article(1))], settings, requests, documents_path=tmp_path / "docs.jsonl")
    assert b"hunter2secret" not in requests.read_bytes() + (tmp_path / "docs.jsonl").read_bytes()
    header = json.loads((tmp_path / "docs.jsonl").read_text().splitlines()[0])
    assert header["settings"]["base_url"].startswith("http://") and header["requests"] == "requests.jsonl"


def test_a_batch_split_into_files_within_limits_reads_back_whole(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    settings = BatchSettings(model="openai/test", base_url="http://127.0.0.1:9/v1", options=OPTIONS)
    export_batch(documents(), settings, requests)
    largest = max(len(line) + 1 for line in requests.read_bytes().splitlines())
    parts = split_batch_file(
        requests, lambda n: tmp_path / f"part-{n}.jsonl", max_requests=3, max_bytes=2 * largest
    )
    assert len(parts) > 2 and b"".join(p.read_bytes() for p in parts) == requests.read_bytes()
    assert all(len(p.read_bytes().splitlines()) <= 2 and p.stat().st_size <= 2 * largest for p in parts)
    outputs = []
    for part in parts:
        answer_batch(part, part.with_suffix(".out"))
        outputs.append(part.with_suffix(".out"))
    results = list(
        collect_results(documents_path_for(requests), parts, outputs[::-1], retry="none", cache=False)
    )
    assert sorted(r.doc_id for r in results if r.ok) == sorted(doc_id for doc_id, _ in documents())


@pytest.mark.slow
def test_a_larger_batch_with_failing_items_ends_whole_and_in_the_cache(tmp_path: Path) -> None:
    count = 200
    docs = [(f"d{i:03d}", article(i)) for i in range(count)]
    kinds = list(FAILURES.values())
    failing_ids = {f"d{i:03d}": kinds[n % len(kinds)] for n, i in enumerate(range(0, count, 20))}  # 5 %
    requests = tmp_path / "requests.jsonl"
    with ScriptedServer(echo_answer) as server:
        export_batch(docs, BatchSettings(model="openai/test", base_url=server.base_url), requests)
        answer_batch(requests, tmp_path / "out.jsonl", lambda cid, _: failing_ids.get(cid.split("#")[0]))
        results = list(collect_results(documents_path_for(requests), [requests], [tmp_path / "out.jsonl"]))
        assert len(server.completions) == len(failing_ids)  # one realtime request per failed item
        rerun = list(extract_many(docs, model="openai/test", base_url=server.base_url))
        assert len(server.completions) == len(failing_ids), "the realtime rerun asked nothing"
    assert sorted(r.doc_id for r in results) == [doc_id for doc_id, _ in docs]
    assert all(r.ok for r in results) and all(r.ok and r.extraction.meta.usage.cached for r in rerun)
    reasked = [r for r in results if r.extraction and r.extraction.meta.usage.reasks]
    assert len(reasked) == sum(1 for i in range(0, count, 20) if (i // 20) % len(kinds) in (1, 2))


def test_an_endless_responses_file_is_refused_not_read_until_memory_runs_out(tmp_path: Path) -> None:
    """``batch import requests.jsonl /dev/zero`` (a device or an archive named by mistake) was
    read as one line, whole: it grew to 24 GB before the kernel killed it. Here under a 3 GB
    address-space limit, it must end in one line, exit 3."""
    import resource
    import subprocess
    import sys

    requests = tmp_path / "requests.jsonl"
    export_batch(documents(2), BatchSettings(model="openai/test", base_url="http://127.0.0.1:9/v1"), requests)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    proc = subprocess.run(
        [sys.executable, "-m", "claimx", "batch", "import", str(requests), "/dev/zero",
         "-o", str(tmp_path / "results.jsonl"), "--retry-failed", "none"],
        capture_output=True, timeout=300, preexec_fn=limited,
    )  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr and "/dev/zero:1 is longer than" in stderr
    assert not (tmp_path / "results.jsonl").exists()
