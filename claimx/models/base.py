"""The one interface every backend implements.

The core hands a :class:`ModelRequest` (messages, the response model, limits)
to :meth:`Model.generate` and receives a validated response with its usage.
Structured-output modes, transport retries and re-asking stay inside the
backend: the core never learns which SDK or wire format is underneath.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from claimx.response import OutputLimits
from claimx.schema import Usage

__all__ = ["Model", "ModelReply", "ModelRequest", "RetryPolicy", "request_hash"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on both kinds of retry.

    ``transport_attempts`` counts tries for one request on 429/5xx/timeouts/dropped
    connections (exponential backoff with jitter, ``Retry-After`` honoured, each
    wait capped at ``max_wait_s``). ``reasks`` counts extra calls made because the
    output failed validation, with the error fed back to the model.
    """

    transport_attempts: int = 6
    initial_wait_s: float = 0.5
    max_wait_s: float = 30.0
    reasks: int = 2


@dataclass(frozen=True)
class ModelRequest:
    """One structured call: messages in, an instance of ``response_model`` out."""

    messages: list[dict[str, str]]
    response_model: type[BaseModel]
    max_output_tokens: int | None = None
    doc_id: str | None = None


@dataclass
class ModelReply:
    """A validated response, what it cost, and the completion it was read from (JSON), if kept."""

    output: BaseModel
    usage: Usage = field(default_factory=Usage)
    raw_completion: str | None = None


class Model(ABC):
    """A language model claimx can ask for a structured response."""

    #: Provider name recorded in results ("openai", "local", …).
    provider: str = "unknown"
    #: Model name as the provider knows it.
    name: str = ""
    #: Where requests go; None for in-process models.
    base_url: str | None = None
    #: Caps on answer size the response schema should carry for this model, if any.
    output_limits: OutputLimits | None = None
    #: Prompt used when the caller names none.
    default_prompt: str = "extract@v1"
    #: Default and ceiling for output tokens; truncated answers are retried up to the ceiling.
    max_output_tokens: int = 4096
    max_output_tokens_ceiling: int = 16384
    #: Context window in tokens, when known; used to size chunks of long articles.
    context_tokens: int = 128_000

    @property
    def id(self) -> str:
        """``provider/name``, as users write it on the command line."""
        return f"{self.provider}/{self.name}"

    @abstractmethod
    async def generate(self, request: ModelRequest) -> ModelReply:
        """Return a validated instance of ``request.response_model``.

        Raises :class:`~claimx.errors.ModelError` when the model cannot be
        reached, :class:`~claimx.errors.InvalidOutputError` when its output
        never validates and :class:`~claimx.errors.TruncatedOutputError` when
        it stops at the output limit.
        """

    def cache_identity(self) -> dict[str, Any]:
        """Everything about this model that changes its answers (never secrets).

        Part of :func:`request_hash`: a backend adds what shapes its requests (sampling,
        the structured-output mode, the model file).
        """
        return {"provider": self.provider, "model": self.name, "base_url": self.base_url}

    async def aclose(self) -> None:  # noqa: B027  (optional hook: most models hold nothing)
        """Release connections or memory; the model may not be used afterwards."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} base_url={self.base_url!r}>"


#: Bumped when what :func:`request_hash` covers changes, so old hashes never match new requests.
_REQUEST_FORMAT = 2


def request_hash(model: Model, request: ModelRequest) -> str:
    """The sha256 of the exact request ``model`` sends for ``request``: the one key of an answer.

    It covers the rendered messages (article, delimiter tag, examples), the response
    schema (sentence ids, speaker names), the model's identity with its structured-output
    mode and sampling, and the output limit. Two requests with the same hash are the same
    request, so the hash keys the response cache (and can name a request in a batch file).
    The document id is left out: the same text under another name is the same request.
    """
    payload = {
        "format": _REQUEST_FORMAT,
        "model": model.cache_identity(),
        "messages": request.messages,
        "schema": _schema_text(request.response_model),
        "max_output_tokens": request.max_output_tokens or model.max_output_tokens,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=256)
def _schema_text(response_model: type[BaseModel]) -> str:
    # Response models are built once per stretch of sentences and reused, so is their schema.
    return json.dumps(response_model.model_json_schema(), sort_keys=True, ensure_ascii=False)
