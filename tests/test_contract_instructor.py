"""What claimx relies on from instructor and openai, pinned over real HTTP.

claimx uses both through their public API only (``instructor.patch(create=..., mode=...)``,
``instructor.core``'s exceptions, ``openai.AsyncOpenAI`` and its ``APIError`` family). These
tests talk to them directly, with no claimx code between, through the scripted server: an
upgrade that changes any behaviour below fails here, by name, instead of showing up as
worse extractions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import instructor
import openai
import pytest
from instructor.core import IncompleteOutputException, InstructorRetryException, ResponseParsingError
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from claimx.testing import Reply, ScriptedServer, chat_completion


class Answer(BaseModel):
    """A tiny response model."""

    name: str
    count: int


VALID = {"name": "x", "count": 2}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


def client(server: ScriptedServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-contract", max_retries=0, timeout=10)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def structured(
    server: ScriptedServer, mode: instructor.Mode = instructor.Mode.JSON_SCHEMA, **kwargs: Any
) -> Any:
    raw = client(server)
    try:
        create = instructor.patch(create=raw.chat.completions.create, mode=mode)
        return await create(
            response_model=Answer,
            messages=[{"role": "system", "content": "Answer."}, {"role": "user", "content": "Go."}],
            model="contract",
            **kwargs,
        )
    finally:
        await raw.close()


def test_json_schema_mode_sends_the_schema_once_in_response_format(server: ScriptedServer) -> None:
    server.enqueue(Reply.completion(VALID))
    answer = run(structured(server, max_retries=0))
    assert answer.model_dump() == VALID
    body = server.completions[0].json
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"].keys() == {"name", "count"}
    # No message added: our prompt is sent as it is.
    assert body["messages"] == [{"role": "system", "content": "Answer."}, {"role": "user", "content": "Go."}]


def test_tools_mode_sends_a_forced_function_and_reads_its_arguments(server: ScriptedServer) -> None:
    completion = chat_completion(None)
    completion["choices"][0]["message"]["tool_calls"] = [
        {"id": "call_1", "type": "function", "function": {"name": "Answer", "arguments": json.dumps(VALID)}}
    ]
    server.enqueue(Reply.json(completion))
    answer = run(structured(server, mode=instructor.Mode.TOOLS, max_retries=0))
    assert answer.model_dump() == VALID
    body = server.completions[0].json
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}
    assert body["tools"][0]["function"]["parameters"]["properties"].keys() == {"name", "count"}
    assert "response_format" not in body
    assert len(body["messages"]) == 2


def test_reask_sends_the_validation_error_back(server: ScriptedServer) -> None:
    server.enqueue(Reply.completion({"name": "x", "count": "many"}), Reply.completion(VALID))
    answer = run(structured(server, max_retries=1))
    assert answer.model_dump() == VALID
    first, second = (r.json for r in server.completions)
    assert len(second["messages"]) > len(first["messages"])
    added = json.dumps(second["messages"][len(first["messages"]) :])
    assert "count" in added and "many" in added  # the bad output and the error naming the field


def test_each_attempt_is_one_call_of_create_and_exhaustion_keeps_the_evidence(
    server: ScriptedServer,
) -> None:
    """claimx counts requests and tokens in its own ``create``: one call per attempt, summed."""
    for _ in range(3):
        server.enqueue(Reply.completion({"name": "x"}, prompt_tokens=10, completion_tokens=5))
    with pytest.raises(InstructorRetryException) as failed:
        run(structured(server, max_retries=2))
    assert len(server.completions) == 3  # max_retries=2: three attempts
    error = failed.value
    assert error.n_attempts == 3
    assert len(error.failed_attempts) == 3
    assert isinstance(error.__cause__, ValidationError)
    assert error.last_completion.choices[0].message.content == '{"name": "x"}'
    assert error.total_usage.prompt_tokens == 30  # usage summed across the attempts


def test_unparseable_json_is_a_parse_error_that_is_reasked(server: ScriptedServer) -> None:
    server.enqueue(Reply.completion('{"name": "x", "count"'), Reply.completion(VALID))
    assert run(structured(server, max_retries=1)).model_dump() == VALID
    server.enqueue(Reply.completion("not json"))
    with pytest.raises(InstructorRetryException) as failed:
        run(structured(server, max_retries=0))
    assert isinstance(failed.value.__cause__, (ValidationError, json.JSONDecodeError, ResponseParsingError))


def test_truncation_is_detected_and_not_reasked(server: ScriptedServer) -> None:
    server.enqueue(Reply.truncated('{"name": "x", "co'))
    with pytest.raises(IncompleteOutputException) as failed:
        run(structured(server, max_retries=2))
    assert len(server.completions) == 1
    assert failed.value.last_completion.choices[0].finish_reason == "length"


def test_an_exception_from_create_is_chained_as_the_cause(server: ScriptedServer) -> None:
    """claimx's transport errors travel through instructor as ``__cause__``, not retried."""

    class Ours(Exception):
        pass

    calls = []

    async def create(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        raise Ours("transport failed")

    async def go() -> Any:
        patched = instructor.patch(create=create, mode=instructor.Mode.JSON_SCHEMA)
        return await patched(
            response_model=Answer, messages=[{"role": "user", "content": "Go."}], max_retries=2
        )

    with pytest.raises(InstructorRetryException) as failed:
        run(go())
    assert isinstance(failed.value.__cause__, Ours)
    assert failed.value.failed_attempts == []
    assert len(calls) == 1


def test_an_exception_after_a_failed_attempt_is_the_cause_beside_that_attempt(server: ScriptedServer) -> None:
    """claimx tells output that never validated (a parse error as the cause) from a bug met on a
    re-ask (the bug as the cause, the earlier invalid answer still in ``failed_attempts``)."""
    server.enqueue(Reply.completion({"name": "x"}))
    raw = client(server)

    class Ours(Exception):
        pass

    async def create(*args: Any, **kwargs: Any) -> Any:
        if len(kwargs["messages"]) > 2:  # the re-ask
            raise Ours("the re-ask failed")
        return await raw.chat.completions.create(*args, **kwargs)

    async def go() -> Any:
        try:
            patched = instructor.patch(create=create, mode=instructor.Mode.JSON_SCHEMA)
            return await patched(
                response_model=Answer,
                messages=[{"role": "system", "content": "Answer."}, {"role": "user", "content": "Go."}],
                model="contract",
                max_retries=2,
            )
        finally:
            await raw.close()

    with pytest.raises(InstructorRetryException) as failed:
        run(go())
    assert isinstance(failed.value.__cause__, Ours)
    assert len(failed.value.failed_attempts) == 1
    assert isinstance(failed.value.failed_attempts[0].exception, ValidationError)


def test_extra_body_reaches_the_server_as_is(server: ScriptedServer) -> None:
    """json_object mode sends ``response_format`` through the SDK's ``extra_body``."""
    server.enqueue(Reply.completion(VALID))
    shape = {"type": "json_object", "schema": {"type": "object"}}

    async def go() -> Any:
        raw = client(server)
        try:
            return await raw.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "Go."}],
                extra_body={"response_format": shape},
            )
        finally:
            await raw.close()

    run(go())
    assert server.completions[0].json["response_format"] == shape


def test_post_sends_what_create_sends_for_a_chat_request(server: ScriptedServer) -> None:
    """claimx sends chat requests with the client's ``post`` (``create`` walks the whole JSON
    schema against its TypedDicts for nothing): the same arguments must reach the server as the
    same path, query, headers and body, and come back as the same ``ChatCompletion``."""
    from claimx.models.openai import _post_arguments

    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    kwargs: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "system", "content": "Answer."}, {"role": "user", "content": "Gö."}],
        "max_tokens": 100,
        "temperature": 0.0,
        "seed": 7,
        "response_format": {"type": "json_schema", "json_schema": {"name": "Answer", "schema": schema}},
        "tools": [{"type": "function", "function": {"name": "Answer", "parameters": schema}}],
        "tool_choice": {"type": "function", "function": {"name": "Answer"}},
        "top_p": openai.NOT_GIVEN,  # (left out by both)
        "user": openai.omit,
        "stop": None,  # (sent as null by both)
        "extra_body": {"cache_prompt": True},
        "extra_headers": {"X-Trace": "1"},
        "extra_query": {"tier": "a"},
        "timeout": 9.0,
    }
    server.enqueue(Reply.completion(VALID))
    server.enqueue(Reply.completion(VALID))

    async def go() -> tuple[Any, Any]:
        raw = openai.AsyncOpenAI(
            base_url=server.base_url, api_key="sk-contract", max_retries=0, default_query={"v": "1"}
        )
        try:
            created = await raw.chat.completions.create(**kwargs)
            body, options = _post_arguments(kwargs)
            posted = await raw.post("/chat/completions", body=body, cast_to=ChatCompletion, options=options)
            return created, posted
        finally:
            await raw.close()

    created, posted = run(go())
    by_create, by_post = server.completions[:2]
    assert by_post.json == by_create.json and by_post.json["cache_prompt"] is True
    assert "top_p" not in by_post.json and "user" not in by_post.json and by_post.json["stop"] is None
    assert by_post.path == by_create.path and "tier=a" in by_post.path and "v=1" in by_post.path
    assert by_post.headers == by_create.headers and by_post.headers["x-trace"] == "1"
    assert type(posted) is type(created) and posted.choices[0].message == created.choices[0].message


def test_post_carries_the_project_key_only_as_create_does(server: ScriptedServer) -> None:
    """``post``'s default security would also send the admin key ($OPENAI_ADMIN_KEY) when the
    project key is empty; ``create`` refuses to send anything then, and so must claimx's post."""
    from claimx.models.openai import _post_arguments

    kwargs: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Go."}]}
    server.enqueue(Reply.completion(VALID))

    async def go(api_key: str) -> None:
        raw = openai.AsyncOpenAI(
            base_url=server.base_url, api_key=api_key, admin_api_key="sk-admin-secret", max_retries=0
        )
        try:
            body, options = _post_arguments(kwargs)
            await raw.post("/chat/completions", body=body, cast_to=ChatCompletion, options=options)
        finally:
            await raw.close()

    run(go("sk-project"))
    assert server.completions[0].headers["authorization"] == "Bearer sk-project"
    with pytest.raises(TypeError, match="authentication"):
        run(go(""))
    assert len(server.completions) == 1 and b"sk-admin-secret" not in b"".join(
        json.dumps(r.headers).encode() for r in server.completions
    )


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (Reply.error(401, "bad key"), openai.AuthenticationError, 401),
        (Reply.error(404, "no such model"), openai.NotFoundError, 404),
        (Reply.rate_limited(3), openai.RateLimitError, 429),
        (Reply.error(503), openai.InternalServerError, 503),
    ],
)
def test_openai_status_errors(server: ScriptedServer, reply: Reply, error: type, status: int) -> None:
    server.enqueue(reply)

    async def go() -> Any:
        raw = client(server)
        try:
            return await raw.chat.completions.create(model="m", messages=[{"role": "user", "content": "Go."}])
        finally:
            await raw.close()

    with pytest.raises(error) as failed:
        run(go())
    assert isinstance(failed.value, openai.APIStatusError) and isinstance(failed.value, openai.APIError)
    assert failed.value.status_code == status
    assert len(server.completions) == 1  # max_retries=0: the SDK does not retry on its own
    if status == 429:
        assert failed.value.response.headers["retry-after"] == "3"


def test_openai_timeouts_and_refused_connections_are_api_errors(server: ScriptedServer) -> None:
    server.enqueue(Reply.slow(2.0))

    async def go(base_url: str, timeout: float) -> Any:
        raw = openai.AsyncOpenAI(base_url=base_url, api_key="sk-contract", max_retries=0, timeout=timeout)
        try:
            return await raw.chat.completions.create(model="m", messages=[{"role": "user", "content": "Go."}])
        finally:
            await raw.close()

    with pytest.raises(openai.APITimeoutError) as timed_out:
        run(go(server.base_url, 0.3))
    assert isinstance(timed_out.value, openai.APIConnectionError)
    with pytest.raises(openai.APIConnectionError):
        run(go("http://127.0.0.1:9/v1", 2))
