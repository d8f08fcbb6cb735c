"""A no-LLM extractor (:mod:`claimx.rules`) in the place of a model.

Wrapped as a :class:`~claimx.models.base.Model`, so that everything that names,
describes, caches by or closes a model works unchanged for it. It reads the
document itself: the :class:`~claimx.extract.Extractor` hands it the document
instead of a prompt, and :meth:`generate` is never called.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import override

from claimx.document import Document
from claimx.errors import ConfigError
from claimx.models.base import Model, ModelReply, ModelRequest
from claimx.response import Response
from claimx.rules import RuleExtractor

__all__ = ["RulesModel"]


class RulesModel(Model):
    """A deterministic extractor without a language model, where a model would stand."""

    provider = "claimx"

    def __init__(self, rules: RuleExtractor, options: dict[str, Any] | None = None) -> None:
        given = sorted(k for k, v in (options or {}).items() if v is not None)
        if given:
            raise ConfigError(
                f"{rules.name} is not a language model and takes no model options (got {', '.join(given)})"
            )
        self.rules = rules
        self.name = rules.name

    @property
    @override
    def id(self) -> str:
        return self.name

    @override
    def cache_identity(self) -> dict[str, Any]:
        return {**super().cache_identity(), "rules_sha256": self.rules.sha256}

    def read(self, document: Document) -> Response:
        """What the rules find in the whole document."""
        return self.rules.read(document)

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        raise ConfigError(f"{self.name} reads documents, not prompts: run it through claimx.Extractor")
