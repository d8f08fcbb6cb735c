"""claimx: who said what, and where they stand, in news articles.

    >>> import claimx
    >>> result = claimx.extract(text, model="openai/gpt-4.1-mini")
    >>> for attribution in result.attributions: ...

Every span in a result verifies against the text it came from
(``text[span.start:span.end] == span.text``); what the model said that is not
in the article is dropped and listed in ``result.rejected``.
"""

from __future__ import annotations

from typing import Any

from claimx._sync import run_sync
from claimx._version import __version__
from claimx.batch import BatchResult, DocumentError, aextract_many, extract_many
from claimx.cache import ResponseCache
from claimx.document import Document
from claimx.errors import (
    ClaimxError,
    ConfigError,
    InputError,
    InvalidOutputError,
    ModelError,
    PromptError,
    TruncatedOutputError,
)
from claimx.extract import ExtractOptions, Extractor
from claimx.models.base import Model
from claimx.schema import (
    Actor,
    Attribution,
    Claim,
    Extraction,
    Position,
    Rejected,
    RejectionCode,
    Span,
)

__all__ = [
    "Actor",
    "Attribution",
    "BatchResult",
    "Claim",
    "ClaimxError",
    "ConfigError",
    "Document",
    "DocumentError",
    "ExtractOptions",
    "Extraction",
    "Extractor",
    "InputError",
    "InvalidOutputError",
    "Model",
    "ModelError",
    "Position",
    "PromptError",
    "Rejected",
    "RejectionCode",
    "ResponseCache",
    "Span",
    "TruncatedOutputError",
    "__version__",
    "aextract",
    "aextract_many",
    "extract",
    "extract_many",
]


async def aextract(
    text: str,
    *,
    model: Model | str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: str | None = None,
    doc_id: str | None = None,
    cache: ResponseCache | bool = True,
    options: ExtractOptions | None = None,
    **model_options: Any,
) -> Extraction:
    """Extract claims, attributions and positions from one article.

    ``model`` is ``"openai/<name>"`` (any OpenAI-compatible server with
    ``base_url``), ``"local"`` or ``"local:/path.gguf"``; by default
    ``$CLAIMX_MODEL``, then OpenAI when ``OPENAI_API_KEY`` is set, then the
    embedded model. Extra keyword arguments tune the model (``timeout_s``,
    ``temperature``, ``structured_output``, ``n_ctx``…). For many documents,
    build one :class:`Extractor` and reuse it.
    """
    extractor = Extractor(
        model,
        prompt=prompt,
        cache=cache,
        options=options,
        base_url=base_url,
        api_key=api_key,
        model_options=model_options,
    )
    try:
        return await extractor.aextract(text, doc_id)
    finally:
        await extractor.aclose()


def extract(text: str, **kwargs: Any) -> Extraction:
    """Synchronous :func:`aextract` (safe inside Jupyter)."""
    return run_sync(aextract(text, **kwargs))
