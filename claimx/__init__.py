"""claimx: who said what, and where they stand, in news articles.

    >>> import claimx
    >>> result = claimx.extract(text, model="openai/gpt-4.1-mini")
    >>> for attribution in result.attributions: ...

Every span in a result verifies against the text it came from
(``text[span.start:span.end] == span.text``); what the model said that is not
in the article is dropped and listed in ``result.rejected``.

Everything here is the public API (``__all__``); the submodules are claimx's own.
"""

from claimx._version import __version__
from claimx.api import aextract, extract
from claimx.batch import BatchResult, DocumentError, aextract_many, extract_many
from claimx.budget import CostLimitError, CostLimitReached
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
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.pricing import Price, PriceTable
from claimx.profiles import Profile
from claimx.response import OutputLimits, Response
from claimx.schema import (
    Actor,
    ActorKind,
    Alignment,
    Attribution,
    Claim,
    ClaimKind,
    DocumentMetadata,
    Extraction,
    Meta,
    Mode,
    Position,
    Provenance,
    Rejected,
    RejectionCode,
    Span,
    Stance,
    Usage,
)

__all__ = [
    "Actor",
    "ActorKind",
    "Alignment",
    "Attribution",
    "BatchResult",
    "Claim",
    "ClaimKind",
    "ClaimxError",
    "ConfigError",
    "CostLimitError",
    "CostLimitReached",
    "Document",
    "DocumentError",
    "DocumentMetadata",
    "ExtractOptions",
    "Extraction",
    "Extractor",
    "InputError",
    "InvalidOutputError",
    "Meta",
    "Mode",
    "Model",
    "ModelError",
    "ModelReply",
    "ModelRequest",
    "OutputLimits",
    "Position",
    "Price",
    "PriceTable",
    "Profile",
    "PromptError",
    "Provenance",
    "Rejected",
    "RejectionCode",
    "Response",
    "ResponseCache",
    "RetryPolicy",
    "Span",
    "Stance",
    "TruncatedOutputError",
    "Usage",
    "__version__",
    "aextract",
    "aextract_many",
    "extract",
    "extract_many",
]


def __dir__() -> list[str]:
    """The public API only (submodules stay importable, but are not advertised)."""
    return sorted(__all__)
