"""``offline``: the no-LLM extractor of :mod:`claimx.offline` behind the model interface.

It reads a whole document and answers with the same :class:`~claimx.response.Response`
a language model gives, so :class:`claimx.extract.Extractor` grounds and links it the
same way; it is never prompted, so it has no use for chunks, prompts or the cache.
"""

from __future__ import annotations

from typing import Any

from claimx.document import Document
from claimx.errors import ConfigError
from claimx.models.base import Model, ModelReply, ModelRequest
from claimx.offline import OFFLINE_ID, offline_response, offline_sha256
from claimx.response import Response

__all__ = ["OFFLINE_NOTE", "OfflineModel"]

OFFLINE_NOTE = (
    "offline reads quotes, reporting verbs and stance verbs without a language model; for LLM "
    "quality set OPENAI_API_KEY, point --base-url at an OpenAI-compatible server, or use "
    "--model local:PATH.gguf (pip install 'claimx[local]')"
)


class OfflineModel(Model):
    """The offline extractor: reads documents, is never prompted."""

    provider = "claimx"
    name = "offline"
    #: What results record in place of a prompt: the rules' version and the trained model's hash.
    rules_id = OFFLINE_ID

    @property
    def id(self) -> str:
        """``offline``, as users write it."""
        return "offline"

    @property
    def rules_sha256(self) -> str:
        """The fingerprint of the rules and the tagger's model file."""
        return offline_sha256()

    def read(self, document: Document) -> Response:
        """The answer for a whole document (CPU-bound, a few milliseconds)."""
        return offline_response(document)

    async def generate(self, request: ModelRequest) -> ModelReply:
        """Not a language model: :meth:`read` takes the document instead of a prompt."""
        raise ConfigError("the offline extractor reads documents; it cannot answer a prompt")

    def cache_identity(self) -> dict[str, Any]:
        """The rules' version and model hash: what changes its answers."""
        return {"provider": self.provider, "model": self.name, "sha256": offline_sha256()}
