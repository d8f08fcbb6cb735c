"""OpenAI and every OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio).

How the response schema is enforced differs between servers, so it is part of
the configuration (:class:`StructuredOutput`), not of the core:

* OpenAI, vLLM, Ollama and llama.cpp's own server take
  ``response_format={"type": "json_schema", ...}``;
* llama-cpp-python's server rejects that but accepts
  ``{"type": "json_object", "schema": ...}``, which it turns into a grammar;
* anything else can fall back to plain JSON mode, tools or markdown JSON.

In every mode the schema reaches the model once (see
:class:`~claimx.models.structured.SchemaRoute`); the prompt describes the fields.

``auto`` starts with ``json_schema`` and, when a server refuses it with a 400
that names the response format, switches to ``json_object`` for good.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httpx2
import openai
from openai.types.chat import ChatCompletion
from typing_extensions import override

from claimx.errors import (
    ClaimxError,
    ConfigError,
    ModelError,
    RefusalError,
    register_secret,
    secret_replacer,
)
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.structured import SchemaRoute, StructuredCaller, TransportErrors
from claimx.models.transport import DEFAULT_MAX_REPLY_BYTES, GuardedTransport, guard_error
from claimx.urls import display_url, is_openai_api, split_query, url_secrets

__all__ = ["OpenAIConfig", "OpenAIModel", "StructuredOutput"]

OPENAI_URL = "https://api.openai.com/v1"
KEY_VARIABLE = "OPENAI_API_KEY"
#: A key for whatever server claimx talks to (OPENAI_API_KEY only ever goes to OpenAI's own API).
CLAIMX_KEY_VARIABLE = "CLAIMX_API_KEY"
#: Set to 1 to send OPENAI_API_KEY to a --base-url server too (a proxy in front of OpenAI).
SEND_OPENAI_KEY_VARIABLE = "CLAIMX_SEND_OPENAI_KEY"

log = logging.getLogger("claimx.models")


class StructuredOutput(StrEnum):
    """How the response schema is sent to the server."""

    AUTO = "auto"
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    JSON = "json"
    TOOLS = "tools"
    MD_JSON = "md_json"


#: Where each mechanism puts the schema (once: see :class:`SchemaRoute`).
_ROUTES = {
    StructuredOutput.JSON_SCHEMA: SchemaRoute.JSON_SCHEMA,
    StructuredOutput.JSON_OBJECT: SchemaRoute.JSON_OBJECT,
    StructuredOutput.JSON: SchemaRoute.JSON,
    StructuredOutput.TOOLS: SchemaRoute.TOOLS,
    StructuredOutput.MD_JSON: SchemaRoute.MD_JSON,
}


@dataclass(frozen=True)
class OpenAIConfig:
    """Everything about an OpenAI-compatible endpoint except its key."""

    model: str
    base_url: str | None = None
    structured_output: StructuredOutput = StructuredOutput.AUTO
    timeout_s: float = 120.0
    temperature: float = 0.0
    seed: int | None = None
    max_output_tokens: int = 4096
    max_output_tokens_ceiling: int = 16384
    context_tokens: int = 128_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: Largest HTTP reply accepted; a longer one is an error, not retried.
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES


def api_key_for(base_url: str | None, api_key: str | None = None) -> str | None:
    """The key to send to ``base_url``: the one given, else $CLAIMX_API_KEY, else $OPENAI_API_KEY.

    $OPENAI_API_KEY goes only to OpenAI's own API, or to $OPENAI_BASE_URL (the pair the
    OpenAI SDK itself reads together), unless $CLAIMX_SEND_OPENAI_KEY=1 says the server may
    have it (a proxy in front of OpenAI): a key in the environment is never handed to
    whatever server a --base-url names.
    """
    if api_key:
        return _header_safe(api_key, "the API key given (api_key=)", "the API key given with --api-key")
    if os.environ.get(CLAIMX_KEY_VARIABLE):
        where = f"the API key in ${CLAIMX_KEY_VARIABLE}"
        return _header_safe(os.environ[CLAIMX_KEY_VARIABLE], where, where)
    paired = base_url is not None and base_url == os.environ.get("OPENAI_BASE_URL")
    if is_openai_api(base_url) or paired or os.environ.get(SEND_OPENAI_KEY_VARIABLE) == "1":
        key = os.environ.get(KEY_VARIABLE)
        where = f"the API key in ${KEY_VARIABLE}"
        return _header_safe(key, where, where) if key else key
    return None


def require_http_url(base_url: str | None) -> None:
    """Refuse a base URL the HTTP client cannot use, before any request.

    ``localhost:8000/v1`` (no scheme) or ``ftp://…`` failed inside the transport on every
    request, which was retried as a network fault and reported as "could not reach".
    """
    if base_url is None:
        return
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        parts = None
    if parts is not None and parts.scheme.lower() in ("http", "https") and parts.hostname:
        return
    shown = display_url(base_url)
    hint = f" (did you mean http://{shown}?)" if parts is not None and "://" not in base_url else ""
    problem = f"is not an http:// or https:// URL{hint}"
    raise ConfigError(f"base_url {shown} {problem}", cli_message=f"--base-url {shown} {problem}")


def _header_safe(key: str, where: str, cli_where: str) -> str:
    """``key`` without surrounding whitespace, or a :class:`ConfigError` saying why it cannot be sent.

    A key read from a file keeps its newline, a pasted one may carry a space or a typographic
    character: in an HTTP header each fails deep in the transport, which was retried as a
    network fault and, with ``--debug``, printed the key in its traceback. Surrounding
    whitespace is never part of a key and is dropped; anything else is refused before a
    request, naming the position and kind of character, never the key.
    """
    trimmed = key.strip()
    for position, char in enumerate(trimmed, start=1):
        if not ("!" <= char <= "~"):
            what = (
                "a space"
                if char == " "
                else "a line break"
                if char in "\r\n"
                else f"the character U+{ord(char):04X}"
            )
            problem = f"contains {what} at character {position}, which cannot be sent in an HTTP header"
            raise ConfigError(
                f"{where} {problem}; set it again", cli_message=f"{cli_where} {problem}; set it again"
            )
    return trimmed


class DeadlineExceededError(Exception):
    """A request ran past its timeout, however steadily the server kept sending."""


def _is_official(base_url: str | None) -> bool:
    return is_openai_api(base_url)


def _status(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def _refused(exc: BaseException) -> bool:
    """True when nothing listens at the address (connection refused): no retry will change that."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "connection refused" in str(exc.__cause__ or "").lower()


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError) and _refused(exc):
        return False
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, json.JSONDecodeError)):
        return True  # JSONDecodeError: the HTTP body itself was cut or garbled on the way
    status = _status(exc)
    if status is not None and status >= 500 and _names_response_format(exc):
        return False  # a request the server cannot parse (llama-cpp-python answers 500): retrying won't help
    return status is not None and (status in (408, 409, 425, 429) or status >= 500)


def _names_response_format(exc: BaseException) -> bool:
    text = str(getattr(exc, "body", "") or "") + str(getattr(exc, "message", ""))
    return "response_format" in text or "json_schema" in text


def _retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return parsed.timestamp() - time.time() if parsed else None


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(exc.message)[:300]


class OpenAIModel(Model):
    """A chat model behind the OpenAI API or any server that imitates it."""

    provider = "openai"

    def __init__(
        self,
        config: OpenAIConfig,
        api_key: str | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        provider: str | None = None,
    ) -> None:
        if provider is not None:
            #: The provider the user named (``ollama/…`` is this client at Ollama's URL): what
            #: ``id``, results' ``meta`` and messages show. (A subclass may set its own instead.)
            self.provider = provider
        require_http_url(config.base_url)
        key = api_key_for(config.base_url, api_key)
        if not key:
            if _is_official(config.base_url):
                raise ConfigError(
                    f"no API key for OpenAI: set {KEY_VARIABLE} or pass api_key=...; or pass "
                    'base_url=... for another OpenAI-compatible server, or model="offline" for no '
                    "language model (a trained tagger and rules)",
                    cli_message=f"no API key for OpenAI: set {KEY_VARIABLE}; or give --base-url for "
                    "another OpenAI-compatible server, or --model offline for no language model "
                    "(a trained tagger and rules)",
                )
            key = "not-needed"  # local servers ignore it, the SDK insists on one
        register_secret(key)
        for secret in url_secrets(config.base_url):
            register_secret(secret)
        #: What this client sends the server as credentials: a server (or a proxy) that writes
        #: them into its answer would otherwise see them kept in `rejected`, results and the cache.
        #: (A closure, so that no repr of the model shows them.)
        self._scrub = secret_replacer([key if key != "not-needed" else None, *url_secrets(config.base_url)])
        self.config = config
        self.name = config.model
        # Shown and stored (results, run files, messages): the URL without its credentials.
        self.base_url = display_url(config.base_url)
        self.max_output_tokens = config.max_output_tokens
        self.max_output_tokens_ceiling = config.max_output_tokens_ceiling
        self.context_tokens = config.context_tokens
        self._structured = config.structured_output
        client_url, query = split_query(config.base_url)
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=client_url or OPENAI_URL,
            default_query=query or None,
            max_retries=0,  # transport retries are ours (tenacity), so they are bounded and counted
            timeout=config.timeout_s,
            # ``transport``: another way to carry the requests (claimx.batchfile records them
            # into a batch file, or replays a batch's answers); by default, HTTP with guards.
            http_client=openai.DefaultAsyncHttpxClient(
                transport=transport or GuardedTransport(config.max_reply_bytes)
            ),
        )
        self._errors = TransportErrors(
            _retryable,
            _retry_after,
            self._to_error,
            handles=(openai.APIError, json.JSONDecodeError, DeadlineExceededError),
        )
        self._callers: dict[StructuredOutput, StructuredCaller] = {}

    @property
    def structured_output(self) -> StructuredOutput:
        """The schema mechanism in use (``auto`` resolves after the first refusal)."""
        return self._structured

    @override
    def cache_identity(self) -> dict[str, Any]:
        return {
            **super().cache_identity(),
            # As configured: ``auto`` resolves the same way on every run against the same server.
            "structured_output": self.config.structured_output.value,
            "temperature": self.config.temperature,
            "seed": self.config.seed,
        }

    async def _create(self, **kwargs: Any) -> Any:
        """One chat-completion request, bounded in time and checked before instructor reads it.

        The SDK's timeout bounds each wait for bytes, so a server trickling one byte at a
        time never trips it; the deadline here bounds the whole request.

        Sent with the client's documented ``post`` rather than ``chat.completions.create``:
        the request is already plain JSON (instructor's arguments, our messages and schema),
        and ``create`` walks every key of it, the whole JSON schema included, against the
        SDK's TypedDicts, which does nothing to a chat request (none of its fields is renamed
        or reformatted) and was a quarter of the client's CPU per request, the part that
        limits a batch of many documents at once against a fast server. The reply is read by
        the SDK as ``create`` reads it (``ChatCompletion``), and its errors are the same.
        """
        body, options = _post_arguments(kwargs)
        try:
            async with asyncio.timeout(self.config.timeout_s):
                completion = await self._client.post(
                    "/chat/completions", body=body, cast_to=ChatCompletion, options=options
                )
        except TimeoutError as exc:
            raise DeadlineExceededError(f"no complete answer within {self.config.timeout_s:g}s") from exc
        except openai.APIConnectionError as exc:
            guarded = guard_error(exc)
            if guarded is not None:
                raise guarded from exc
            raise
        return _without_secrets(_checked(completion, self.base_url or OPENAI_URL), self._scrub)

    def _to_error(self, exc: BaseException, attempts: int) -> ModelError:
        where = self.base_url or OPENAI_URL
        status = _status(exc)
        if isinstance(exc, (openai.APITimeoutError, DeadlineExceededError)):
            return ModelError(
                f"no answer from {where} within {self.config.timeout_s:g}s "
                f"({attempts} attempt(s)): raise --timeout (timeout_s), or try a smaller input. "
                "A self-hosted server may still be generating the abandoned requests, and its "
                f"context size must hold the prompt plus {self.max_output_tokens} output tokens",
                attempts=attempts,
            )
        if isinstance(exc, openai.APIConnectionError) and _refused(exc):
            refused = ModelError(
                f"nothing listens at {where} (connection refused): start the server, or check the "
                "host and port of the base URL",
                attempts=attempts,
            )
            refused.fails_every_document = True  # (a batch stops: every document would meet it)
            return refused
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return ModelError(
                f"could not reach {where} "
                f"({type(cause).__name__}: {str(cause)[:200] or 'connection failed'}) "
                f"after {attempts} attempt(s)",
                attempts=attempts,
            )
        if isinstance(exc, json.JSONDecodeError):
            return ModelError(
                f"the server at {where} kept sending replies that are not valid JSON "
                f"({attempts} attempt(s)): {exc}",
                attempts=attempts,
            )
        if isinstance(exc, openai.APIStatusError):
            detail = _server_message(exc)
            if status == 401:
                hint = f"check {KEY_VARIABLE}" if _is_official(self.base_url) else "check the API key"
                return ModelError(
                    f"the server rejected the API key (401): {hint}", status=401, attempts=attempts
                )
            if status == 403:
                return ModelError(
                    f"the server at {where} denied permission (403): the API key may not use model "
                    f"{self.name!r} (or its project, organization or region may not): {detail}",
                    status=403,
                    attempts=attempts,
                )
            if status == 404:
                return ModelError(
                    f"model {self.name!r} not found at {where} (404): {detail}", status=404, attempts=attempts
                )
            if status == 429:
                return ModelError(
                    f"rate-limited (429) on all {attempts} attempt(s) at {where}: lower the concurrency "
                    f"or set a requests-per-minute limit ({detail})",
                    status=429,
                    attempts=attempts,
                )
            return ModelError(
                f"the server at {where} answered {status} after {attempts} attempt(s): {detail}",
                status=status,
                attempts=attempts,
            )
        return ModelError(
            f"request to {where} failed: {type(exc).__name__}: {str(exc)[:200]}", attempts=attempts
        )

    def _mechanism(self) -> StructuredOutput:
        # ``auto`` tries json_schema first (and switches for good after a refusal).
        return StructuredOutput.JSON_SCHEMA if self._structured is StructuredOutput.AUTO else self._structured

    def _caller(self) -> StructuredCaller:
        """The instructor-wrapped client for the current mechanism, built once."""
        mechanism = self._mechanism()
        if mechanism not in self._callers:
            extra: dict[str, Any] = {"temperature": self.config.temperature}
            if self.config.seed is not None:
                extra["seed"] = self.config.seed
            self._callers[mechanism] = StructuredCaller(
                self._create,
                route=_ROUTES[mechanism],
                model_name=self.name,
                errors=self._errors,
                policy=self.config.retry,
                extra=extra,
            )
        return self._callers[mechanism]

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        if self._client.is_closed():  # the caller's bug: not a network fault to retry six times
            raise RuntimeError(f"{self.id} was closed (aclose, or its Extractor's close): build another")
        tokens = request.max_output_tokens or self.max_output_tokens
        try:
            return await self._caller().call(request, tokens)
        except ModelError as exc:
            if not (self._structured is StructuredOutput.AUTO and _refuses_json_schema(exc)):
                raise
            refused = exc.usage
        # The server does not take json_schema response formats: use json_object + schema from now on.
        self._structured = StructuredOutput.JSON_OBJECT
        try:
            reply = await self._caller().call(request, tokens)
        except ClaimxError as exc:
            if refused is not None and exc.usage is not None:
                exc.usage = refused.add(exc.usage)
            raise
        if refused is not None:  # the refused request was made too
            reply.usage = refused.add(reply.usage)
        return reply

    @override
    async def aclose(self) -> None:
        await self._client.close()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DeadlineExceededError) or _is_transient(exc)


_USAGE_FIELDS = ("prompt_tokens", "completion_tokens", "total_tokens")
#: Servers already warned about usage that is not counts: a server that reports it does so on
#: every answer, and a batch of thousands printed the same warning thousands of times.
_warned_usage: set[str] = set()


#: ``chat.completions.create``'s keyword arguments that are options of the request, not fields.
_REQUEST_OPTIONS = ("extra_headers", "extra_query", "extra_body", "timeout")


def _post_arguments(kwargs: dict[str, Any]) -> tuple[dict[str, Any], openai.RequestOptions]:
    """``create``'s keyword arguments as the JSON body and the options of ``client.post``."""
    body = {key: value for key, value in kwargs.items() if key not in _REQUEST_OPTIONS}
    # As ``create`` asks: the project key only (``post``'s default would also allow the admin
    # key the SDK reads from $OPENAI_ADMIN_KEY).
    options: openai.RequestOptions = {"security": {"bearer_auth": True}}
    if kwargs.get("extra_headers"):
        options["headers"] = kwargs["extra_headers"]
    if kwargs.get("extra_query"):
        options["params"] = kwargs["extra_query"]
    if kwargs.get("extra_body"):
        options["extra_json"] = kwargs["extra_body"]
    if kwargs.get("timeout") is not None:
        options["timeout"] = kwargs["timeout"]
    return body, options


def _checked(completion: Any, where: str) -> Any:
    """Refuse an answer the provider's content filter stopped; drop usage figures that are not counts."""
    choices = getattr(completion, "choices", None) or []
    if choices and getattr(choices[0], "finish_reason", None) == "content_filter":
        raise RefusalError(
            f"the provider's content filter stopped the answer at {where} (finish_reason "
            "content_filter): the article was not extracted; asking again gives the same answer"
        )
    usage = getattr(completion, "usage", None)
    if usage is not None:
        values = {name: getattr(usage, name, None) for name in _USAGE_FIELDS}
        if not all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0) for v in values.values()
        ):
            if where not in _warned_usage:
                _warned_usage.add(where)
                log.warning(
                    "the server at %s reported token usage that is not counts (%s); counted as 0"
                    " (not said again for this server)",
                    where,
                    ", ".join(f"{k}={v!r}"[:60] for k, v in values.items()),
                )
            completion.usage = None
    return completion


def _without_secrets(completion: Any, scrub: Callable[[str], str]) -> Any:
    """``completion`` with the credentials it was asked with replaced by ``***`` in its answer.

    Only those exact strings: an answer is otherwise the model's words, to be grounded as they are.
    """
    for choice in getattr(completion, "choices", None) or []:
        message = getattr(choice, "message", None)
        if message is None:
            continue
        if isinstance(message.content, str):
            message.content = scrub(message.content)
        for call in getattr(message, "tool_calls", None) or []:
            function = getattr(call, "function", None)
            if function is not None and isinstance(function.arguments, str):
                function.arguments = scrub(function.arguments)
    return completion


def _refuses_json_schema(exc: ModelError) -> bool:
    text = exc.message.lower()
    return exc.status in (400, 422, 500) and ("json_schema" in text or "response_format" in text)
