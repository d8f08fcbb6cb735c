"""The structured call: the schema sent once in every mode, errors as the SDKs document them, bugs as bugs.

Real HTTP to the scripted server with the real ``openai`` client and instructor under claimx.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import socket
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import instructor
import openai
import pytest
from instructor.core import InstructorRetryException

import claimx
from claimx.errors import InvalidOutputError, ModelError
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.structured import SchemaRoute, StructuredCaller, TransportErrors, json_schema_request
from claimx.ratelimit import PerLoop, RateLimits
from claimx.response import response_model_for
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

from .conftest import SEED

TEXT = "The minister said the plan would pass. Critics said it would fail badly. The vote is on Monday."


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(echo_answer) as running:
        yield running


def extract(server: ScriptedServer, text: str = TEXT, **options: Any) -> claimx.Extraction:
    extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=False, model_options=options)
    try:
        return extractor.extract(text, doc_id="d")
    finally:
        extractor.close()


# ------------------------------------------------------------------ the schema, once


def test_every_mode_sends_our_messages_unchanged_and_the_schema_at_most_once(server: ScriptedServer) -> None:
    text = SEED.read_text(encoding="utf-8")
    sent: dict[str, RecordedRequest] = {}
    for mode in ("json_schema", "json_object", "json", "md_json"):
        assert extract(server, text, structured_output=mode).claims, mode
        sent[mode] = server.completions[-1]
    reference = sent["json_schema"].json
    schema = reference["response_format"]["json_schema"]["schema"]
    for mode, request in sent.items():
        body = request.json
        assert body["messages"] == reference["messages"], f"{mode} changed the messages"
        assert request.body.count(b'"properties"') <= reference_count(sent["json_schema"]), mode
    assert sent["json_object"].json["response_format"] == {"type": "json_object", "schema": schema}
    assert sent["json"].json["response_format"] == {"type": "json_object"}
    assert "response_format" not in sent["md_json"].json


def reference_count(request: RecordedRequest) -> int:
    return request.body.count(b'"properties"')


def test_the_first_request_is_the_very_one_instructor_builds() -> None:
    """The first answer is asked and read without instructor (its CPU per call is a short
    document's whole budget in a batch): what is sent must be what instructor would send."""
    schema = instructor.response_schema(response_model_for(1, 3))
    messages = [{"role": "system", "content": "Answer."}, {"role": "user", "content": "[S1] Text."}]
    sent: list[dict[str, Any]] = []

    class Sent(Exception):
        pass

    async def capture(*args: Any, **kwargs: Any) -> Any:
        assert args == ()
        sent.append(kwargs)
        raise Sent

    create = instructor.patch(create=capture, mode=instructor.Mode.JSON_SCHEMA)
    with pytest.raises((Sent, InstructorRetryException)):
        asyncio.run(
            create(
                response_model=schema,
                messages=messages,
                max_retries=0,
                model="m",
                max_tokens=100,
                temperature=0.0,
                seed=7,
            )
        )
    ours = json_schema_request(schema, messages, "m", 100, {"temperature": 0.0, "seed": 7})
    assert sent == [ours]
    assert ours["messages"] is not messages  # (a copy, as instructor's is)


def test_md_json_reads_an_answer_inside_a_code_fence(server: ScriptedServer) -> None:
    answer = echo_answer(
        RecordedRequest(
            "POST",
            "/",
            {},
            json.dumps(
                {"messages": [{"role": "user", "content": "[S1] The minister said the plan would pass."}]}
            ).encode(),
        )
    )
    content = json.loads(answer.body or b"")["choices"][0]["message"]["content"]
    server.enqueue(Reply.completion(f"Here it is:\n```json\n{content}\n```"[len("Here it is:\n") :]))
    result = extract(server, structured_output="md_json")
    assert result.claims


def test_tools_mode_sends_the_schema_as_the_function_only(server: ScriptedServer) -> None:
    def tool_answer(request: RecordedRequest) -> Reply:
        content = json.loads(echo_answer(request).body or b"")["choices"][0]["message"]["content"]
        body = json.loads(Reply.completion("").body or b"")
        body["choices"][0]["message"] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "Response", "arguments": content}}
            ],
        }
        return Reply.json(body)

    server.responder = tool_answer
    assert extract(server, structured_output="tools").claims
    body = server.completions[-1].json
    assert "response_format" not in body and len(body["tools"]) == 1
    assert server.completions[-1].body.count(b'"properties"') == reference_properties()


def reference_properties() -> int:
    schema = response_model_for(1, 3).model_json_schema()
    return json.dumps(schema).count('"properties"')


# ------------------------------------------------------------------ errors


def _call_with_an_upgraded_sdk(
    server: ScriptedServer, upgrade: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """One structured call whose raw ``create`` adds ``upgrade(kwargs)`` to what it passes the SDK:
    an argument the SDK no longer takes stands for an upgrade that renamed it."""

    async def run() -> None:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-x", max_retries=0)

        async def create(*args: Any, **kwargs: Any) -> Any:
            return await client.chat.completions.create(*args, **kwargs, **upgrade(kwargs))

        caller = StructuredCaller(
            create,
            route=SchemaRoute.JSON_SCHEMA,
            model_name="m",
            errors=TransportErrors(
                lambda e: False, lambda e: None, lambda e, n: ModelError(str(e)), handles=(openai.APIError,)
            ),
            policy=RetryPolicy(reasks=2),
        )
        messages = [{"role": "user", "content": "[S1] Text."}]
        try:
            await caller.call(ModelRequest(messages, response_model_for(1, 1)), 100)
        finally:
            await client.close()

    asyncio.run(run())


def test_a_bug_under_the_structured_call_surfaces_as_itself(server: ScriptedServer) -> None:
    """An SDK that renamed an argument must not look like a model that answered badly."""
    with pytest.raises(TypeError, match="max_tokenz"):
        _call_with_an_upgraded_sdk(server, lambda kwargs: {"max_tokenz": 5})
    assert server.completions == []


def test_a_closed_model_says_so_instead_of_retrying_as_a_network_fault(server: ScriptedServer) -> None:
    """Using a model after closing it is the caller's bug: it was retried six times (with
    backoff) and reported as "could not reach" the server."""
    extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    extractor.close()
    with pytest.raises(RuntimeError, match="closed") as raised:
        extractor.extract(TEXT)
    assert not isinstance(raised.value, ModelError)
    assert server.completions == []


def test_a_bug_on_the_re_ask_is_not_an_invalid_output(server: ScriptedServer) -> None:
    """The first answer did not validate; the re-ask then meets a bug (an SDK that no longer
    takes an argument instructor's re-ask sends): that is the bug, not "the model's output did
    not validate"."""
    server.enqueue(Reply.completion('{"statements": "no"}'))
    with pytest.raises(TypeError, match="max_tokenz"):  # on the re-ask only
        _call_with_an_upgraded_sdk(
            server, lambda kwargs: {"max_tokenz": 5} if len(kwargs["messages"]) > 1 else {}
        )
    assert len(server.completions) == 1


def test_output_that_never_validates_is_an_invalid_output_error(server: ScriptedServer) -> None:
    server.enqueue(*[Reply.completion('{"statements": "not a list"}')] * 3)
    with pytest.raises(InvalidOutputError) as failed:
        extract(server)
    assert failed.value.attempts == 3 and "statements" in failed.value.message
    assert failed.value.last_output == '{"statements": "not a list"}'


class BuggyModel(Model):
    """A backend with a bug of its own (as a third-party plugin might have)."""

    provider = "buggy"
    name = "v1"

    async def generate(self, request: ModelRequest) -> ModelReply:
        return {}["missing"]  # type: ignore[no-any-return]


def test_a_bug_in_a_batch_is_an_internal_error_line_with_its_traceback_in_debug_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    extractor = claimx.Extractor(BuggyModel(), cache=False)
    with caplog.at_level(logging.DEBUG, logger="claimx"):
        results = list(claimx.extract_many(["One sentence here.", "Another one there."], extractor=extractor))
    extractor.close()
    assert [r.error.cause if r.error else None for r in results] == ["internal", "internal"]
    assert all(r.error and r.error.type == "KeyError" for r in results)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks and "generate" in caplog.text


BUGGY_PLUGIN = """
from claimx import Model


class Buggy(Model):
    provider = "buggy"

    async def generate(self, request):
        return {}["missing"]


def build(name, *, base_url, api_key, options):
    model = Buggy()
    model.name = name
    return model
"""


def test_cli_batch_names_a_bug_as_internal_and_shows_its_traceback_only_under_debug(tmp_path: Path) -> None:
    from .test_cli import claimx_cli
    from .test_registry import install_plugin

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    install_plugin(plugins, "claimx_buggy", BUGGY_PLUGIN, "buggy")
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(f"Document {name} says the plan would pass.")
    env = {"PYTHONPATH": str(plugins)}
    for debug in (False, True):
        out = tmp_path / f"out-{debug}.jsonl"
        flags = ["--debug"] if debug else []
        proc = claimx_cli(
            "extract", str(folder), "-m", "buggy/v1", "-o", str(out), "--no-cache", *flags, env=env
        )
        err = proc.stderr.decode()
        assert proc.returncode == 1, err
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [line["error"]["cause"] for line in lines] == ["internal", "internal"]
        assert all(line["error"]["type"] == "KeyError" for line in lines)
        assert "internal error, a bug in claimx or a library (KeyError: 'missing')" in err
        assert ('File "' in err and "Traceback" in err) is debug, err  # where the bug is, with --debug only


@pytest.mark.parametrize("status", [401, 403, 404])
def test_an_error_every_document_would_meet_stops_the_batch(server: ScriptedServer, status: int) -> None:
    server.responder = lambda request: Reply.error(status, "no")
    extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    seen: list[claimx.BatchResult] = []
    documents = [f"Document {i} says the plan {i} would pass." for i in range(12)]
    with pytest.raises(ModelError) as stopped:
        seen.extend(claimx.extract_many(documents, extractor=extractor, concurrency=2))
    extractor.close()
    assert stopped.value.status == status and stopped.value.fails_every_document
    assert 1 <= len(seen) <= 2 and all(r.error is not None for r in seen)
    assert len(server.completions) <= 2  # not one request per document


def test_a_server_that_is_not_running_stops_the_batch() -> None:
    """Connection refused fails every document alike (the server was not started, the port is
    wrong): one error line and a stop, not one identical line per document."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    extractor = claimx.Extractor("openai/m", base_url=f"http://127.0.0.1:{port}/v1", cache=False)
    seen: list[claimx.BatchResult] = []
    documents = [f"Document {i} says the plan {i} would pass." for i in range(20)]
    with pytest.raises(ModelError, match="nothing listens") as stopped:
        seen.extend(claimx.extract_many(documents, extractor=extractor, concurrency=2))
    extractor.close()
    assert stopped.value.fails_every_document
    assert 1 <= len(seen) <= 2 and all(r.error is not None and r.error.cause == "transport" for r in seen)


def test_a_document_specific_error_does_not_stop_the_batch(server: ScriptedServer) -> None:
    server.enqueue(Reply.error(400, "this document is too long"))
    extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    results = list(
        claimx.extract_many(
            [f"Document {i} says it would pass." for i in range(4)], extractor=extractor, concurrency=1
        )
    )
    extractor.close()
    assert len(results) == 4 and sum(r.ok for r in results) == 3


# ------------------------------------------------------------------ loops


def test_per_loop_objects_do_not_keep_closed_loops_alive() -> None:
    semaphores: PerLoop[asyncio.Semaphore] = PerLoop(lambda: asyncio.Semaphore(1))
    limits = RateLimits(requests_per_minute=6000, tokens_per_minute=10**6)
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def contend() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        semaphore = semaphores.get()

        async def hold() -> None:
            async with semaphore:  # the second waits: the semaphore binds this loop
                await asyncio.sleep(0)

        await asyncio.gather(hold(), hold())
        await limits.before_call(10)
        await limits.after_call(10, 20)

    for _ in range(4):
        asyncio.run(contend())
    gc.collect()
    assert [ref() is None for ref in loops[:-1]] == [True, True, True]
    assert len(semaphores) <= 1


def test_cli_batch_stops_on_a_rejected_key_and_says_so(server: ScriptedServer, tmp_path: Any) -> None:
    from .test_cli import claimx_cli

    server.responder = lambda request: Reply.error(401, "invalid key")
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(10):
        (folder / f"d{i}.txt").write_text(f"Document {i} says the plan would pass.")
    out = tmp_path / "out.jsonl"
    proc = claimx_cli(
        "extract", str(folder), "-m", "openai/m", "--base-url", server.base_url, "-o", str(out), "-j", "1"
    )
    assert proc.returncode == 4, proc.stderr.decode()
    assert "401" in proc.stderr.decode()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["error"]["cause"] == "transport"
    assert len(server.completions) == 1


def test_the_last_timeout_names_the_option_and_the_server_context(server: ScriptedServer) -> None:
    server.enqueue(Reply.slow(1.5), Reply.slow(1.5))
    options = {"timeout_s": 0.3, "retry": {"transport_attempts": 2, "initial_wait_s": 0.01}}
    with pytest.raises(ModelError) as failed:
        extract(server, **options)
    message = failed.value.message
    assert "--timeout" in message and "context size" in message and "4096 output tokens" in message
