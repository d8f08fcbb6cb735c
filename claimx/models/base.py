"""The one interface every backend implements.

The core hands a :class:`ModelRequest` (messages, the response model, limits)
to :meth:`Model.generate` and receives a validated response with its usage.
Structured-output modes, transport retries and re-asking stay inside the
backend: the core never learns which SDK or wire format is underneath.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from claimx.response import OutputLimits
from claimx.schema import Usage

__all__ = ["Model", "ModelReply", "ModelRequest", "RetryPolicy"]


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
    """A validated response and what it cost."""

    output: BaseModel
    usage: Usage = field(default_factory=Usage)


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
        """Everything about this model that changes its answers (never secrets)."""
        return {"provider": self.provider, "model": self.name, "base_url": self.base_url}

    async def aclose(self) -> None:  # noqa: B027  (optional hook: most models hold nothing)
        """Release connections or memory; the model may not be used afterwards."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} base_url={self.base_url!r}>"
