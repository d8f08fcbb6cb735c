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

import email.utils
import json
import os
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import openai
from typing_extensions import override

from claimx.errors import ConfigError, ModelError, register_secret
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.structured import SchemaRoute, StructuredCaller, TransportErrors
from claimx.response import OutputLimits

__all__ = ["OpenAIConfig", "OpenAIModel", "StructuredOutput"]

OPENAI_URL = "https://api.openai.com/v1"
KEY_VARIABLE = "OPENAI_API_KEY"


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
    #: Answer-size caps (and the compact schema) for small models served over HTTP.
    limits: OutputLimits | None = None


def _is_official(base_url: str | None) -> bool:
    return base_url is None or "api.openai.com" in base_url


def _status(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def _is_transient(exc: BaseException) -> bool:
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

    def __init__(self, config: OpenAIConfig, api_key: str | None = None) -> None:
        key = api_key or os.environ.get(KEY_VARIABLE)
        if not key:
            if _is_official(config.base_url):
                raise ConfigError(
                    f"no API key for OpenAI: set {KEY_VARIABLE} (or pass api_key=...), "
                    "or point --base-url at an OpenAI-compatible server"
                )
            key = "not-needed"  # local servers ignore it, the SDK insists on one
        register_secret(key)
        self.config = config
        self.name = config.model
        self.base_url = config.base_url
        self.max_output_tokens = config.max_output_tokens
        self.max_output_tokens_ceiling = config.max_output_tokens_ceiling
        self.context_tokens = config.context_tokens
        self.output_limits = config.limits
        self._structured = config.structured_output
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=config.base_url or OPENAI_URL,
            max_retries=0,  # transport retries are ours (tenacity), so they are bounded and counted
            timeout=config.timeout_s,
        )
        self._errors = TransportErrors(
            _is_transient, _retry_after, self._to_error, handles=(openai.APIError, json.JSONDecodeError)
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

    def _to_error(self, exc: BaseException, attempts: int) -> ModelError:
        where = self.base_url or OPENAI_URL
        status = _status(exc)
        if isinstance(exc, openai.APITimeoutError):
            return ModelError(
                f"no answer from {where} within {self.config.timeout_s:g}s "
                f"({attempts} attempt(s)); raise the timeout or try a smaller input",
                attempts=attempts,
            )
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
                self._client.chat.completions.create,
                route=_ROUTES[mechanism],
                model_name=self.name,
                errors=self._errors,
                policy=self.config.retry,
                extra=extra,
            )
        return self._callers[mechanism]

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        tokens = request.max_output_tokens or self.max_output_tokens
        try:
            return await self._caller().call(request, tokens)
        except ModelError as exc:
            if not (self._structured is StructuredOutput.AUTO and _refuses_json_schema(exc)):
                raise
        # The server does not take json_schema response formats: use json_object + schema from now on.
        self._structured = StructuredOutput.JSON_OBJECT
        return await self._caller().call(request, tokens)

    @override
    async def aclose(self) -> None:
        await self._client.close()


def _refuses_json_schema(exc: ModelError) -> bool:
    text = exc.message.lower()
    return exc.status in (400, 422, 500) and ("json_schema" in text or "response_format" in text)
