"""Requests recorded instead of sent, and answers replayed from a batch: two HTTP transports.

Both sit under the OpenAI client of :class:`~claimx.models.openai.OpenAIModel` (its
``transport=``), so everything above them, the extractor, chunking, prompts, instructor
and its validation, runs exactly as in realtime:

* :class:`CaptureTransport` keeps each request body as sent and answers "nothing found",
  so exporting a batch is running the realtime path with the wire cut;
* :class:`ReplayTransport` answers a request whose body is in the batch with the batch's
  completion; what the batch cannot answer (a provider error, a missing answer, a re-ask
  with the validation error fed back, a larger output budget) goes to the real server,
  or into a follow-up batch, or fails the document, as the :class:`RetryMode` says.

:class:`KeyedModel` wraps the model to tell the transports which document and request
(its :func:`~claimx.models.base.request_hash`) a body belongs to.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx2
from typing_extensions import override

from claimx.batchfile.lines import AnswerIndex, BatchLine, body_digest, custom_id
from claimx.batchfile.settings import BatchSettings, RetryMode
from claimx.errors import ConfigError
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy, request_hash
from claimx.models.registry import resolve_model
from claimx.models.transport import FinalTransportError, GuardedTransport

if TYPE_CHECKING:  # (the SDK loads when a batch model is built, not with this module)
    from claimx.models.openai import OpenAIModel

__all__ = [
    "BatchAnswerError",
    "CaptureTransport",
    "KeyedModel",
    "ReplayTransport",
    "RetryMode",
    "RetryNeedsKeyError",
    "batch_model",
]


class BatchAnswerError(FinalTransportError):
    """The batch holds no usable answer for a request, and it was not to be asked elsewhere."""


class RetryNeedsKeyError(FinalTransportError, ConfigError):
    """A request must be asked again in realtime, and there is no API key for the server.

    A configuration error (exit code 2), found only once a retry is needed: every other
    document needing one would meet it too, so a batch stops after this document's line.
    """

    cause = "config"

    def __init__(self, why: str, *, doc_id: str | None = None) -> None:
        super().__init__(f"{why}: {missing_key_message(python=True)}", doc_id=doc_id)
        self.cli_message = f"{why}: {missing_key_message(python=False)}"
        self.fails_every_document = True


def missing_key_message(*, python: bool) -> str:
    """What to do when a realtime retry needs OpenAI's API key and there is none."""
    how = "pass api_key=..., or retry='none'" if python else "or --retry-failed none"
    return (
        "asking it again in realtime at OpenAI needs an API key: set OPENAI_API_KEY "
        f"(or CLAIMX_API_KEY), {how} to report such documents as failed"
    )


@dataclass(frozen=True)
class _Asking:
    doc_id: str
    key: str  # the request hash of the request as the extractor made it
    first_sentence: int


_ASKING: contextvars.ContextVar[_Asking] = contextvars.ContextVar("claimx_batch_asking")
_SENTENCE = re.compile(r"^\[S(\d+)\] ", re.MULTILINE)


def _first_sentence(request: ModelRequest) -> int:
    """The number of the first sentence a request shows (how its chunks are numbered)."""
    for message in reversed(request.messages):
        if message.get("role") == "user":
            found = _SENTENCE.search(message.get("content", ""))
            if found:
                return int(found.group(1))
    return 0


class KeyedModel(Model):
    """``inner`` as it is, telling the transport under it which document and request it sends."""

    def __init__(self, inner: Model) -> None:
        self.inner = inner
        self.provider = inner.provider
        self.name = inner.name
        self.base_url = inner.base_url
        self.small = inner.small
        self.max_output_tokens = inner.max_output_tokens
        self.max_output_tokens_ceiling = inner.max_output_tokens_ceiling
        self.context_tokens = inner.context_tokens

    @override
    def cache_identity(self) -> dict[str, Any]:
        return self.inner.cache_identity()

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        asking = _Asking(request.doc_id or "", request_hash(self.inner, request), _first_sentence(request))
        token = _ASKING.set(asking)
        try:
            return await self.inner.generate(request)
        finally:
            _ASKING.reset(token)

    @override
    async def aclose(self) -> None:
        await self.inner.aclose()


#: An answer every response schema accepts: nothing found.
_NOTHING = '{"actors": [], "statements": [], "positions": []}'


@dataclass(frozen=True)
class Captured:
    """One request as the realtime path would send it."""

    doc_id: str
    key: str
    first_sentence: int
    body: bytes


class CaptureTransport(httpx2.AsyncBaseTransport):
    """Keeps every request body (``sink``) and answers each with an empty, valid completion."""

    def __init__(self, sink: Callable[[Captured], None]) -> None:
        self._sink = sink

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Record the body; answer "nothing found" in the shape the request asks for."""
        body = await request.aread()
        asking = _ASKING.get(None)
        if asking is not None:
            self._sink(Captured(asking.doc_id, asking.key, asking.first_sentence, body))
        return httpx2.Response(200, json=_nothing_for(json.loads(body)), request=request)


def _nothing_for(body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": _NOTHING}
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        name = choice["function"].get("name", "")
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": name, "arguments": _NOTHING}}
            ],
        }
    return {
        "id": "chatcmpl-export",
        "object": "chat.completion",
        "created": 0,
        "model": str(body.get("model", "")),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class ReplayTransport(httpx2.AsyncBaseTransport):
    """Answers from a batch's output; what it cannot answer is handled as ``mode`` says.

    ``follow_up`` receives, in :attr:`RetryMode.BATCH` mode, the request line to send in a
    follow-up batch (the same request again after a provider error, or the re-ask instructor
    built with the validation error). In :attr:`RetryMode.REALTIME` mode such requests go
    to the server over HTTP (with the usual guards).
    """

    def __init__(
        self,
        answers: AnswerIndex,
        mode: RetryMode,
        *,
        follow_up: Callable[[BatchLine], None] | None = None,
        max_reply_bytes: int | None = None,
        keyless: bool = False,
    ) -> None:
        self._answers = answers
        self._mode = mode
        #: No API key for the server: a realtime retry is refused (RetryNeedsKeyError), never sent.
        self._keyless = keyless
        self._follow_up = follow_up
        self._max_reply_bytes = max_reply_bytes
        self._network: GuardedTransport | None = None
        #: Documents whose last answer from the batch was cut off (bounded by the failures).
        self._cut_off: dict[str, str] = {}
        #: Requests answered from the batch, and sent on (to the server or a follow-up batch).
        self.replayed = 0
        self.sent_on = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """The batch's completion for this body, else the retry mode's way."""
        body = await request.aread()
        cid = self._answers.request_id(body, _doc_of(_ASKING.get(None)))
        why = "the request is not in the batch (a re-ask after its answer failed to validate)"
        cut = self._cut_off.pop(_doc_of(_ASKING.get(None)), None) if cid is None else None
        if cut is not None:
            why = f"the batch's answer ({cut}) was cut off at the output limit; a larger budget is not asked"
        if cid is not None:
            answer = self._answers.answer(cid)
            if answer.completion is not None:
                self.replayed += 1
                if b'"finish_reason":"length"' in answer.completion.replace(b" ", b""):
                    # What the next request of this document (with a larger budget) is about.
                    self._cut_off[_doc_of(_ASKING.get(None))] = cid
                return httpx2.Response(
                    200,
                    content=answer.completion,
                    headers={"content-type": "application/json"},
                    request=request,
                )
            why = answer.error or why
        if self._mode is RetryMode.REALTIME and self._keyless:
            named = f" ({cid})" if cid else ""
            raise RetryNeedsKeyError(f"{why}{named}", doc_id=_doc_of(_ASKING.get(None)))
        self.sent_on += 1
        if self._mode is RetryMode.REALTIME:
            if self._network is None:
                self._network = (
                    GuardedTransport(self._max_reply_bytes) if self._max_reply_bytes else GuardedTransport()
                )
            return await self._network.handle_async_request(request)
        asking = _ASKING.get(None)
        doc_id = asking.doc_id if asking else ""
        named = cid or self._follow_up_id(asking, body)
        if self._mode is RetryMode.BATCH and self._follow_up is not None:
            self._follow_up(BatchLine(named, body))
            raise BatchAnswerError(f"{why} ({named}); it goes into the follow-up batch", doc_id=doc_id)
        raise BatchAnswerError(f"{why} ({named}); not asked again (retry: none)", doc_id=doc_id)

    def _follow_up_id(self, asking: _Asking | None, body: bytes) -> str:
        digest = body_digest(body).hex()[:12]
        if asking is None:
            return f"request#{digest}"
        original = self._answers.original_id(asking.doc_id, asking.key)
        return f"{original or custom_id(asking.doc_id, 'x', asking.key)}#{digest}"

    async def aclose(self) -> None:
        """Close the connections to the server, if any were opened."""
        if self._network is not None:
            await self._network.aclose()


def _doc_of(asking: _Asking | None) -> str:
    return asking.doc_id if asking is not None else ""


#: The key given to a model that only records requests (nothing is sent anywhere).
_NOT_SENT = "claimx-batch-export-sends-nothing"


def batch_model(
    settings: BatchSettings,
    transport: httpx2.AsyncBaseTransport,
    *,
    api_key: str | None = None,
    retry: RetryPolicy | None = None,
    sends: bool = False,
) -> KeyedModel:
    """The realtime model of ``settings``, carried by ``transport`` instead of plain HTTP.

    ``sends``: the transport may send requests to the server (realtime retries), so the
    model needs the real key (``api_key``, else the environment's, as in realtime); a model
    that sends nothing needs none. Only OpenAI-compatible models (``openai/…``,
    ``ollama/…``) have batch files.
    """
    from claimx.models.openai import OpenAIModel  # (here: commands that build no batch skip the SDK's import)

    key = api_key if sends else api_key or _NOT_SENT
    built = _resolved(settings, key)
    config = built.config if retry is None else replace(built.config, retry=retry)
    # (the provider too: ollama/… hashes, caches and shows its requests as realtime does)
    return KeyedModel(OpenAIModel(config, api_key=key, transport=transport, provider=built.provider))


def retry_server(settings: BatchSettings) -> str | None:
    """The base URL realtime retries of ``settings`` go to, as :func:`batch_model` resolves it.

    None for OpenAI's own API. Not ``settings.base_url`` alone: ``ollama/…`` and a server
    ``$OPENAI_BASE_URL`` names are recorded without one.
    """
    return _resolved(settings, _NOT_SENT).config.base_url


def _resolved(settings: BatchSettings, key: str | None) -> OpenAIModel:
    """The realtime model ``settings`` names (only OpenAI-compatible ones have batch files)."""
    from claimx.models.openai import OpenAIModel

    built = resolve_model(
        settings.model, base_url=settings.base_url, api_key=key, options=settings.model_options
    )
    if not isinstance(built, OpenAIModel):
        raise ConfigError(
            f"batch files are OpenAI chat-completion requests: give an OpenAI-compatible model "
            f"(openai/NAME, with --base-url for another server), not {settings.model!r}"
        )
    return built
