"""Structured calls through instructor's public API, with transport retries under it.

Shared by every backend that speaks the OpenAI chat-completions shape (the
OpenAI SDK over HTTP, llama-cpp-python in process). Two loops, counted apart:

* **transport** (tenacity, around each raw request): 429, 5xx, timeouts and
  dropped connections are retried with exponential backoff and jitter,
  honouring ``Retry-After``; anything else fails at once with a clear message;
* **re-ask** (instructor, around the transport): output that fails validation
  is sent back with the validation error, a bounded number of times.

The first answer is asked and read as instructor's JSON_SCHEMA mode would (the same
request, pinned against instructor's in the tests; the same strict validation), without
going through instructor: its bookkeeping costs more CPU per call than the rest of a short
document's request. An answer that is cut off or does not validate goes to instructor as
its first completion, so truncation, re-asks and their counts are instructor's, as ever.

One :class:`StructuredCaller` per model and schema route, built once: it wraps
the backend's raw ``create`` with :func:`instructor.patch` a single time. What
one call counts (requests, retries, tokens, the last completion) lives in a
context variable for the duration of that call, so concurrent calls share the
wrapper and never each other's counts.

Only the exceptions the SDKs document are turned into claimx errors
(instructor's retry and incomplete-output exceptions, pydantic's
``ValidationError``, the backend's own transport errors); anything else is a
bug, ours or a library's, and surfaces as itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

import instructor
from instructor.core import (
    AsyncValidationError,
    IncompleteOutputException,
    InstructorRetryException,
    ResponseParsingError,
)
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from claimx import progress
from claimx.errors import ClaimxError, InvalidOutputError, ModelError, RefusalError, TruncatedOutputError
from claimx.models.base import ModelReply, ModelRequest, RetryPolicy
from claimx.schema import Usage

__all__ = ["SchemaRoute", "StructuredCaller", "TransportErrors", "json_schema_request"]

log = logging.getLogger("claimx.models")
# instructor logs every exhausted retry at ERROR; without this, Python's last-resort handler
# would print it on stderr of programs that never configured logging. Ours reports it instead.
logging.getLogger("instructor").addHandler(logging.NullHandler())

RawCreate = Callable[..., Awaitable[Any]]


class SchemaRoute(StrEnum):
    """How the response schema reaches the model: always exactly once.

    Our prompts already describe every field in words; the schema itself goes where the
    server enforces it, never also as a second copy in the messages (instructor's ``JSON``
    and ``MD_JSON`` modes add one, about 1,700 tokens for claimx's schema, so they are not
    used: the requests are built in ``JSON_SCHEMA`` mode and reshaped on the way out).
    """

    #: ``response_format={"type": "json_schema", ...}`` (OpenAI, vLLM, Ollama, llama.cpp's server).
    JSON_SCHEMA = "json_schema"
    #: ``response_format={"type": "json_object", "schema": ...}`` (llama-cpp-python's server grammar).
    JSON_OBJECT = "json_object"
    #: ``response_format={"type": "json_object"}``: plain JSON mode, the fields told by the prompt only.
    JSON = "json"
    #: A forced function call whose parameters are the schema.
    TOOLS = "tools"
    #: No response format at all: the JSON is read from the reply (inside a code fence or not).
    MD_JSON = "md_json"


@dataclass(frozen=True)
class TransportErrors:
    """How a backend classifies its exceptions.

    ``handles`` lists the exception types the backend documents for a failed request (for
    openai: ``openai.APIError`` and its subclasses); only those are classified by
    ``is_transient`` and turned into a :class:`ModelError` by ``to_error``. Any other
    exception is a bug and propagates unchanged.
    """

    is_transient: Callable[[BaseException], bool]
    retry_after: Callable[[BaseException], float | None]
    to_error: Callable[[BaseException, int], ModelError]
    handles: tuple[type[BaseException], ...] = ()


@dataclass
class _Call:
    """What one structured call has done so far."""

    doc_id: str | None
    requests: int = 0
    transport_retries: int = 0
    completions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    last_completion: Any = None
    #: A completion already received, for instructor's first request to take instead of asking.
    replay: Any = None

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
            requests=self.requests,
            transport_retries=self.transport_retries,
            reasks=max(0, self.completions - 1),
            cached_prompt_tokens=self.cached_prompt_tokens,
        )

    def record(self, completion: Any) -> None:
        self.completions += 1
        self.last_completion = completion
        usage = getattr(completion, "usage", None)
        if usage is not None:
            self.prompt_tokens += _count(getattr(usage, "prompt_tokens", 0))
            self.completion_tokens += _count(getattr(usage, "completion_tokens", 0))
            details = getattr(usage, "prompt_tokens_details", None)  # OpenAI's prompt caching
            self.cached_prompt_tokens += _count(getattr(details, "cached_tokens", 0))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


_CURRENT: contextvars.ContextVar[_Call] = contextvars.ContextVar("claimx_structured_call")


def _completion_text(completion: Any) -> str | None:
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return None
    content = getattr(message, "content", None)
    if content:
        return str(content)
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(calls[0].function.arguments)
    refusal = getattr(message, "refusal", None)
    return f"(refusal) {refusal}" if refusal else None


def _completion_json(completion: Any) -> str:
    """The completion as JSON, as the server sent it (for the cache's record of the answer)."""
    if isinstance(completion, BaseModel):
        return completion.model_dump_json(exclude_unset=True)
    try:
        return json.dumps(completion, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return json.dumps({"text": _completion_text(completion)})


class EmptyReplyError(Exception):
    """A well-formed reply without any choice: a server glitch, retried like a 5xx."""


def _check_shape(completion: Any) -> Any:
    """Refuse replies that carry no answer, before instructor tries to parse them.

    No choices at all is treated as transient; an explicit refusal is final (asking
    again with the same article rarely changes a refusal, and it costs a call).
    """
    choices = getattr(completion, "choices", None)
    if not choices:
        raise EmptyReplyError("the server returned a reply without any choices")
    message = getattr(choices[0], "message", None)
    refusal = getattr(message, "refusal", None)
    if refusal and not getattr(message, "content", None):
        raise RefusalError(f"the model refused to answer: {str(refusal)[:300]}", last_output=str(refusal))
    return _repair_control_characters(completion)


_CONTROL = re.compile(r"[\x00-\x1f]")
_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


def _content(completion: Any) -> tuple[Any, str] | None:
    try:
        message = completion.choices[0].message
        content = message.content
    except (AttributeError, IndexError, TypeError):
        return None
    return (message, content) if isinstance(content, str) else None


def _repair_control_characters(completion: Any) -> Any:
    """Escape raw control characters (a newline inside a string) in a JSON reply.

    Grammar-constrained decoders (llama.cpp) may emit them; strict JSON parsers
    refuse them though the meaning is unambiguous. Anything else is left as is.
    """
    found = _content(completion)
    if found is None or not _CONTROL.search(found[1]):
        return completion
    message, content = found
    try:
        json.loads(content)
        return completion
    except ValueError:
        pass
    with contextlib.suppress(ValueError):
        message.content = json.dumps(json.loads(content, strict=False), ensure_ascii=False)
    return completion


def _unfence(completion: Any) -> Any:
    """Take the JSON out of a Markdown code fence, for servers without any JSON mode."""
    found = _content(completion)
    if found is not None:
        message, content = found
        fenced = _FENCE.match(content.strip())
        if fenced:
            message.content = fenced.group(1)
    return completion


def _reshape(route: SchemaRoute, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request instructor built in JSON_SCHEMA mode, as ``route`` sends the schema."""
    if route in (SchemaRoute.JSON_SCHEMA, SchemaRoute.TOOLS):
        return kwargs
    shaped = dict(kwargs)
    response_format = shaped.pop("response_format", None) or {}
    schema = (response_format.get("json_schema") or {}).get("schema")
    if route is SchemaRoute.MD_JSON:
        return shaped
    body = dict(shaped.pop("extra_body", None) or {})
    if route is SchemaRoute.JSON_OBJECT and schema is not None:
        body["response_format"] = {"type": "json_object", "schema": schema}
    else:
        body["response_format"] = {"type": "json_object"}
    shaped["extra_body"] = body
    return shaped


def _claimx_cause(exc: BaseException) -> ClaimxError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ClaimxError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


#: What instructor reports, through ``InstructorRetryException``, for output that did not parse.
_PARSE_ERRORS = (ValidationError, json.JSONDecodeError, ResponseParsingError, AsyncValidationError)


class StructuredCaller:
    """Runs structured requests through one instructor-patched ``create``, built once."""

    def __init__(
        self,
        create: RawCreate,
        *,
        route: SchemaRoute = SchemaRoute.JSON_SCHEMA,
        model_name: str,
        errors: TransportErrors,
        policy: RetryPolicy,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._create = create
        self.route = route
        self._model_name = model_name
        self._errors = errors
        self._policy = policy
        self._extra = extra or {}
        mode = instructor.Mode.TOOLS if route is SchemaRoute.TOOLS else instructor.Mode.JSON_SCHEMA
        self._patched: Callable[..., Awaitable[Any]] = instructor.patch(create=self._send, mode=mode)

    def _transient(self, exc: BaseException) -> bool:
        if isinstance(exc, EmptyReplyError):
            return True
        return isinstance(exc, self._errors.handles) and self._errors.is_transient(exc)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        fallback = wait_exponential_jitter(
            multiplier=self._policy.initial_wait_s,
            max=self._policy.max_wait_s,
            jitter=self._policy.initial_wait_s,
        )(state)
        if exc is not None:
            hinted = self._errors.retry_after(exc)
            if hinted is not None:
                return min(max(hinted, 0.0), self._policy.max_wait_s)
        return float(fallback)

    async def _send(self, *args: Any, **kwargs: Any) -> Any:
        """One request as instructor asks for it, with transport retries; what instructor calls."""
        call = _CURRENT.get()
        if call.replay is not None:  # the first answer, already read once (see _first_answer)
            completion, call.replay = call.replay, None
            return completion
        kwargs = _reshape(self.route, kwargs)

        attempts = self._policy.transport_attempts
        if call.completions:  # instructor asks again: the last answer did not validate
            progress.report(f"re-asking: the output did not validate (answer {call.completions + 1})")

        def count_retry(state: RetryCallState) -> None:
            call.transport_retries += 1
            exc = state.outcome.exception() if state.outcome else None
            log.info("%sretrying after %s", f"{call.doc_id}: " if call.doc_id else "", type(exc).__name__)
            why = getattr(exc, "status_code", None) or type(exc).__name__
            wait = state.next_action.sleep if state.next_action else 0.0
            progress.report(
                f"retrying after {why} in {wait:.0f} s (try {state.attempt_number + 1} of {attempts})"
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.transport_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._transient),
            before_sleep=count_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    call.requests += 1
                    if attempt.retry_state.attempt_number > 1:
                        tries = f"try {attempt.retry_state.attempt_number} of {attempts}"
                        progress.report(f"waiting for the model ({tries})")
                    completion = _check_shape(await self._create(*args, **kwargs))
                    if self.route is SchemaRoute.MD_JSON:
                        completion = _unfence(completion)
                    call.record(completion)
                    return completion
        except EmptyReplyError as exc:
            raise ModelError(
                f"{exc} ({call.requests} attempt(s))", doc_id=call.doc_id, attempts=call.requests
            ) from exc
        except self._errors.handles as exc:
            error = self._errors.to_error(exc, call.requests)
            error.doc_id = call.doc_id
            raise error from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def call(self, request: ModelRequest, max_output_tokens: int) -> ModelReply:
        """Send the request; return the validated output, what it cost and the raw completion.

        A claimx error raised instead carries what the calls made so far cost (``usage``):
        an answer cut off at its limit, or one that never validated, was billed all the same.
        """
        call = _Call(request.doc_id)
        token = _CURRENT.set(call)
        try:
            output = await self._answer(call, request, max_output_tokens)
        except ClaimxError as exc:
            exc.usage = call.usage()
            raise
        finally:
            _CURRENT.reset(token)
        raw = _completion_json(call.last_completion) if call.last_completion is not None else None
        return ModelReply(output=output, usage=call.usage(), raw_completion=raw)

    async def _answer(self, call: _Call, request: ModelRequest, max_output_tokens: int) -> BaseModel:
        """The validated output: the first answer, else instructor's reading and re-asks."""
        schema = _response_schema(request.response_model)
        try:
            output = await self._first_answer(schema, request, max_output_tokens)
            if output is None:  # cut off, or not valid: instructor reads it again, and re-asks
                output = await self._patched(
                    response_model=schema,
                    messages=request.messages,
                    max_retries=self._policy.reasks,
                    model=self._model_name,
                    max_tokens=max_output_tokens,
                    **self._extra,
                )
        except IncompleteOutputException as exc:
            raise TruncatedOutputError(
                f"the model stopped at its output limit ({max_output_tokens} tokens) before finishing",
                doc_id=request.doc_id,
                attempts=call.completions,
                last_output=_completion_text(exc.last_completion),
            ) from exc
        except InstructorRetryException as exc:
            failure = self._retry_failure(exc, call, request)
            if failure is exc.__cause__:  # a bug: raised as itself, with its own traceback
                raise failure from None
            raise failure from exc
        return output

    async def _first_answer(
        self, schema: type[BaseModel], request: ModelRequest, max_output_tokens: int
    ) -> BaseModel | None:
        """The first answer, asked and read as instructor would; None when instructor must take over.

        instructor costs more CPU per call than the rest of a short document's request (it walks
        the response model's classes three times a call), which a batch of short documents at
        high concurrency pays on its one event loop. Its JSON_SCHEMA mode sends the request
        below (:func:`json_schema_request`, pinned against instructor's own in the tests) and
        reads the reply's content with ``model_validate_json(strict=True)``; an answer that
        reads so is the answer. One cut off at the output limit or not valid is handed to
        instructor as its first completion (:meth:`_send` gives it back without asking again),
        so its errors, re-asks and counts are instructor's, as before. Tools mode, whose
        request and reading differ, always goes through instructor.
        """
        if self.route is SchemaRoute.TOOLS:
            return None
        kwargs = json_schema_request(
            schema, request.messages, self._model_name, max_output_tokens, self._extra
        )
        completion = await self._send(**kwargs)
        call = _CURRENT.get()
        choice = completion.choices[0]  # (_check_shape refused a reply without any)
        if choice.finish_reason != "length":
            try:
                return schema.model_validate_json(choice.message.content or "", strict=True)
            except ValidationError:
                pass
        call.replay = completion
        return None

    def _retry_failure(self, exc: InstructorRetryException, call: _Call, request: ModelRequest) -> Exception:
        """The error to raise when instructor gave up: ours, an invalid output, or the bug itself."""
        cause = _claimx_cause(exc)
        if cause is not None:
            return cause
        reason = exc.__cause__
        # The last attempt's error decides: a bug met on a re-ask (after answers that did not
        # validate, kept in ``failed_attempts``) is still a bug, not an invalid output.
        if isinstance(reason, _PARSE_ERRORS):
            return InvalidOutputError(
                f"the model's output did not validate after {call.completions} attempt(s): "
                f"{_describe(reason or exc)}",
                doc_id=request.doc_id,
                attempts=call.completions,
                last_output=_completion_text(exc.last_completion or call.last_completion),
            )
        # Neither a transport failure nor output that did not parse: a bug (ours or a library's).
        return reason if isinstance(reason, Exception) else exc


def json_schema_request(
    schema: type[BaseModel],
    messages: list[dict[str, str]],
    model: str,
    max_tokens: int,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The request instructor's JSON_SCHEMA mode makes of these arguments: the schema as the response format.

    The arguments :meth:`StructuredCaller.call` gives instructor, and the ``response_format``
    its JSON_SCHEMA handler adds (the schema under the response class's name); the messages
    are a copy, as instructor's are, so what the transport does to them stays there.
    """
    return {
        "messages": list(messages),
        "model": model,
        "max_tokens": max_tokens,
        **extra,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
        },
    }


@lru_cache(maxsize=256)
def _response_schema(response_model: type[BaseModel]) -> type[BaseModel]:
    """The response class instructor makes of ``response_model`` (``instructor.response_schema``), once.

    Given a plain model, instructor builds this subclass on every call (a new pydantic class
    each time); given one already built, it uses it as it is. Response models are reused per
    stretch of sentences, so building the subclass once per model saves that on every request.
    """
    schema: type[BaseModel] = instructor.response_schema(response_model)
    return schema


def _describe(exc: BaseException) -> str:
    """A one-line account of why output failed validation."""
    if isinstance(exc, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in err['loc']) or 'output'}: {err['msg']}" for err in exc.errors()[:3]
        ]
        more = exc.error_count() - len(parts)
        return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
    return _first_line(str(exc))


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:300]
