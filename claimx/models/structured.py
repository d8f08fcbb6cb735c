"""Structured calls through instructor, with transport retries under it.

Shared by every backend that speaks the OpenAI chat-completions shape (the
OpenAI SDK over HTTP, llama-cpp-python in process). Two loops, counted apart:

* **transport** (tenacity, around each raw request): 429, 5xx, timeouts and
  dropped connections are retried with exponential backoff and jitter,
  honouring ``Retry-After``; anything else fails at once with a clear message;
* **re-ask** (instructor, around the transport): output that fails validation
  is sent back with the validation error, a bounded number of times.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.core.hooks import Hooks
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

__all__ = ["StructuredCaller", "TransportErrors", "instructor_model", "schema_for_grammar"]

log = logging.getLogger("claimx.models")
# instructor logs every exhausted retry at ERROR; without this, Python's last-resort handler
# would print it on stderr of programs that never configured logging. Ours reports it instead.
logging.getLogger("instructor").addHandler(logging.NullHandler())

RawCreate = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class TransportErrors:
    """How a backend classifies its exceptions."""

    is_transient: Callable[[BaseException], bool]
    retry_after: Callable[[BaseException], float | None]
    to_error: Callable[[BaseException, int], ModelError]


@dataclass
class _Counts:
    requests: int = 0
    transport_retries: int = 0
    completions: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.prompt_tokens + self.completion_tokens,
            requests=self.requests,
            transport_retries=self.transport_retries,
            reasks=max(0, self.completions - 1),
        )


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


def _repair_control_characters(completion: Any) -> Any:
    """Escape raw control characters (a newline inside a string) in a JSON reply.

    Grammar-constrained decoders (llama.cpp) may emit them; strict JSON parsers
    refuse them though the meaning is unambiguous. Anything else is left as is.
    """
    try:
        message = completion.choices[0].message
        content = message.content
    except (AttributeError, IndexError, TypeError):
        return completion
    if not isinstance(content, str) or not _CONTROL.search(content):
        return completion
    try:
        json.loads(content)
        return completion
    except ValueError:
        pass
    with contextlib.suppress(ValueError):
        message.content = json.dumps(json.loads(content, strict=False), ensure_ascii=False)
    return completion


def _claimx_cause(exc: BaseException) -> ClaimxError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ClaimxError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class StructuredCaller:
    """Runs one structured request through instructor over a raw async ``create``."""

    def __init__(
        self,
        create: RawCreate,
        *,
        mode: instructor.Mode,
        model_name: str,
        errors: TransportErrors,
        policy: RetryPolicy,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._create = create
        self._mode = mode
        self._model_name = model_name
        self._errors = errors
        self._policy = policy
        self._extra = extra or {}

    def _transient(self, exc: BaseException) -> bool:
        return isinstance(exc, EmptyReplyError) or self._errors.is_transient(exc)

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

    def _with_transport_retries(self, counts: _Counts, doc_id: str | None) -> RawCreate:
        policy = self._policy

        def count_retry(state: RetryCallState) -> None:
            counts.transport_retries += 1
            exc = state.outcome.exception() if state.outcome else None
            log.info("%sretrying after %s", f"{doc_id}: " if doc_id else "", type(exc).__name__)
            why = getattr(exc, "status_code", None) or type(exc).__name__
            wait = state.next_action.sleep if state.next_action else 0.0
            tries = f"try {state.attempt_number + 1} of {policy.transport_attempts}"
            progress.report(f"retrying after {why} in {wait:.0f} s ({tries})")

        async def create(*args: Any, **kwargs: Any) -> Any:
            retrying = AsyncRetrying(
                stop=stop_after_attempt(policy.transport_attempts),
                wait=self._wait,
                retry=retry_if_exception(self._transient),
                before_sleep=count_retry,
                reraise=True,
            )
            try:
                async for attempt in retrying:
                    with attempt:
                        counts.requests += 1
                        if attempt.retry_state.attempt_number > 1:
                            tries = f"try {attempt.retry_state.attempt_number} of {policy.transport_attempts}"
                            progress.report(f"waiting for the model ({tries})")
                        return _check_shape(await self._create(*args, **kwargs))
            except ClaimxError:
                raise
            except EmptyReplyError as exc:
                raise ModelError(
                    f"{exc} ({counts.requests} attempt(s))", doc_id=doc_id, attempts=counts.requests
                ) from exc
            except Exception as exc:
                error = self._errors.to_error(exc, counts.requests)
                error.doc_id = doc_id
                raise error from exc
            raise AssertionError("unreachable: tenacity either returns or raises")

        return create

    async def call(self, request: ModelRequest, max_output_tokens: int) -> ModelReply:
        """Send the request; return the validated output and what it cost."""
        counts = _Counts()
        hooks = Hooks()

        def on_response(completion: Any) -> None:
            counts.completions += 1
            usage = getattr(completion, "usage", None)
            if usage is not None:
                counts.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                counts.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

        hooks.on("completion:response", on_response)
        hooks.on("parse:error", lambda error: progress.report("re-asking: the output did not validate"))
        patched: Any = instructor.patch(
            create=self._with_transport_retries(counts, request.doc_id), mode=self._mode
        )
        try:
            output = await patched(
                response_model=instructor_model(request.response_model),
                messages=request.messages,
                max_retries=self._policy.reasks,
                hooks=hooks,
                model=self._model_name,
                max_tokens=max_output_tokens,
                **self._extra,
            )
        except IncompleteOutputException as exc:
            raise TruncatedOutputError(
                f"the model stopped at its output limit ({max_output_tokens} tokens) before finishing",
                doc_id=request.doc_id,
                attempts=counts.completions,
                last_output=_completion_text(getattr(exc, "last_completion", None)),
            ) from exc
        except InstructorRetryException as exc:
            cause = _claimx_cause(exc)
            if cause is not None:
                raise cause from exc
            last = _completion_text(getattr(exc, "last_completion", None))
            raise InvalidOutputError(
                f"the model's output did not validate after {counts.completions} attempt(s): "
                f"{_describe(exc.__cause__ or exc)}",
                doc_id=request.doc_id,
                attempts=counts.completions,
                last_output=last,
            ) from exc
        except ClaimxError:
            raise
        except Exception as exc:  # instructor raises a few other types for unparseable replies
            cause = _claimx_cause(exc)
            if cause is not None:
                raise cause from exc
            raise InvalidOutputError(
                f"the model's reply could not be read: {type(exc).__name__}: {_first_line(str(exc))}",
                doc_id=request.doc_id,
                attempts=counts.completions,
            ) from exc
        usage = counts.usage()
        return ModelReply(output=output, usage=usage)


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


def schema_for_grammar(response_model: type[BaseModel]) -> dict[str, Any]:
    """The response model's JSON schema, as grammar-constrained decoders take it."""
    schema: dict[str, Any] = instructor_model(response_model).model_json_schema()
    return schema


@lru_cache(maxsize=256)
def instructor_model(response_model: type[BaseModel]) -> type[BaseModel]:
    """The wrapper class instructor uses for ``response_model``, built once, with a cached schema.

    Given a plain model, instructor builds a wrapper class (``openai_schema``) on every call
    and then generates its JSON schema; for an article of a hundred sentences that is a few
    milliseconds per request, more than the rest of instructor's work. Given a wrapper it
    uses it as it is, so the wrapper is built here once per response model, and answers
    ``model_json_schema()`` with a copy of the schema generated the first time (the same
    schema: the wrapper has the model's name, docstring and fields).
    """
    wrapped: type[BaseModel] = instructor.openai_schema(response_model)
    generate = wrapped.model_json_schema  # pydantic's, bound to the wrapper
    frozen = json.dumps(generate())

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:  # a variant instructor does not ask for: generate it
            return generate(*args, **kwargs)
        fresh: dict[str, Any] = json.loads(frozen)  # a copy: callers may change what they get
        return fresh

    setattr(wrapped, "model_json_schema", classmethod(model_json_schema))  # noqa: B010
    _reject_async_validators(wrapped)  # instructor's own check, once, before it is skipped
    _CHECKED.add(wrapped)
    return wrapped


#: Response models instructor has already found free of async validators (see below).
_CHECKED: weakref.WeakSet[type[BaseModel]] = weakref.WeakSet()


def _check_once() -> Callable[[Any], None]:
    """Install a version of instructor's async-validator check that skips models checked once.

    instructor walks every attribute of every class in a response model's MRO looking for
    async validators, four times per call (0.2-0.3 ms each, a fifth of a short document's
    client time). A class claimx built does not change afterwards, so one walk is enough:
    :func:`instructor_model` runs it, and this wrapper skips the repeats for those classes
    only; any other model still gets instructor's full check. Installed on the two module
    attributes instructor calls it through; if instructor moves it, nothing is installed
    and the only loss is speed. Returns the original check.
    """
    try:
        from instructor.v2.core import patch as patch_module
        from instructor.v2.validation import async_validators
    except ImportError:  # pragma: no cover  (another instructor layout)
        return _no_check
    found: Callable[[Any], None] | None = getattr(async_validators, "reject_async_validators", None)
    if found is None:  # pragma: no cover
        return _no_check
    original = found

    def reject_async_validators(response_model: Any) -> None:
        if isinstance(response_model, type) and response_model in _CHECKED:
            return
        original(response_model)

    for module in (async_validators, patch_module):
        if getattr(module, "reject_async_validators", None) is original:
            setattr(module, "reject_async_validators", reject_async_validators)  # noqa: B010
    return original


def _no_check(response_model: Any) -> None:
    return None


_reject_async_validators = _check_once()
