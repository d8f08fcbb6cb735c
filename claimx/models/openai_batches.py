"""OpenAI's Files and Batches API, for :mod:`claimx.batch_api` (the core never imports the SDK).

Thin on purpose: upload a file with purpose ``batch``, create / retrieve / cancel /
list batches, download a file's content, each through the SDK's own calls. What goes
in the files and what comes out is the core's business. Every failure becomes one
:class:`~claimx.errors.ModelError` whose message names the server (without credentials)
and says what to do, never the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import openai

from claimx.errors import ConfigError, ModelError, register_secret
from claimx.models.openai import (
    CLAIMX_KEY_VARIABLE,
    KEY_VARIABLE,
    OPENAI_URL,
    api_key_for,
    require_http_url,
)
from claimx.urls import display_url, is_openai_api, split_query, url_secrets

__all__ = ["BatchInfo", "OpenAIBatches"]

T = TypeVar("T")

ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
COMPLETION_WINDOW: Literal["24h"] = "24h"


@dataclass(frozen=True)
class BatchInfo:
    """What the provider says of one batch."""

    id: str
    status: str
    total: int = 0
    completed: int = 0
    failed: int = 0
    created_at: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


class OpenAIBatches:
    """A Files + Batches client for OpenAI or any server that implements the same routes."""

    def __init__(self, base_url: str | None, api_key: str | None = None, timeout_s: float = 120.0) -> None:
        require_http_url(base_url)
        key = api_key_for(base_url, api_key)
        if not key:
            if is_openai_api(base_url):  # (a placeholder would only earn a 401, after the job was written)
                raise ConfigError(
                    f"no API key for OpenAI's Batch API: set {KEY_VARIABLE} (or {CLAIMX_KEY_VARIABLE}) "
                    "or pass api_key=...",
                    cli_message=f"no API key for OpenAI's Batch API: set {KEY_VARIABLE} "
                    f"(or {CLAIMX_KEY_VARIABLE})",
                )
            key = "not-needed"  # another server may want none; the SDK insists on one
        register_secret(key)
        for secret in url_secrets(base_url):
            register_secret(secret)
        self.where = display_url(base_url) or OPENAI_URL
        client_url, query = split_query(base_url)
        self._client = openai.OpenAI(
            api_key=key,
            base_url=client_url or OPENAI_URL,
            default_query=query or None,
            timeout=timeout_s,
            max_retries=3,
        )

    def upload(self, name: str, content: bytes) -> str:
        """Upload a batch input file; its id."""
        uploaded = self._call(
            "upload a batch file", lambda: self._client.files.create(file=(name, content), purpose="batch")
        )
        return str(uploaded.id)

    def create(self, file_id: str, metadata: dict[str, str]) -> BatchInfo:
        """Start a batch over an uploaded file."""
        created = self._call(
            "create a batch",
            lambda: self._client.batches.create(
                input_file_id=file_id,
                endpoint=ENDPOINT,
                completion_window=COMPLETION_WINDOW,
                metadata=metadata,
            ),
        )
        return _info(created)

    def retrieve(self, batch_id: str) -> BatchInfo:
        """The batch as it is now."""
        return _info(self._call(f"read batch {batch_id}", lambda: self._client.batches.retrieve(batch_id)))

    def cancel(self, batch_id: str) -> BatchInfo:
        """Ask the provider to stop a batch (it moves to ``cancelling``, then ``cancelled``)."""
        return _info(self._call(f"cancel batch {batch_id}", lambda: self._client.batches.cancel(batch_id)))

    def find(self, metadata: dict[str, str]) -> BatchInfo | None:
        """The most recent batch created with this metadata (a submit cut short before it was recorded)."""
        page = self._call("list batches", lambda: self._client.batches.list(limit=100))
        for batch in page.data:
            if all((batch.metadata or {}).get(k) == v for k, v in metadata.items()):
                return _info(batch)
        return None

    def content(self, file_id: str) -> bytes:
        """A file's bytes (an output or error file)."""
        return self._call(f"download file {file_id}", lambda: self._client.files.content(file_id).content)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except openai.AuthenticationError as exc:
            raise ModelError(
                f"the server at {self.where} rejected the API key (401) when asked to {what}: "
                "check the API key",
                status=401,
            ) from exc
        except openai.NotFoundError as exc:
            raise ModelError(
                f"the server at {self.where} does not offer the Batch API, or no longer has this job's "
                f"files (404 when asked to {what}): use `claimx extract` against it",
                status=404,
            ) from exc
        except openai.APIStatusError as exc:
            raise ModelError(
                f"the server at {self.where} answered {exc.status_code} when asked to {what}: "
                f"{_message(exc)}",
                status=exc.status_code,
            ) from exc
        except openai.APIConnectionError as exc:
            raise ModelError(
                f"could not reach {self.where} to {what}: {type(exc.__cause__ or exc).__name__}"
            ) from exc


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
    return str(exc.message)[:300]


def _info(batch: Any) -> BatchInfo:
    counts = batch.request_counts
    errors = [f"{e.code}: {e.message}" for e in (batch.errors.data or [])] if batch.errors else []
    return BatchInfo(
        id=batch.id,
        status=batch.status,
        total=counts.total if counts else 0,
        completed=counts.completed if counts else 0,
        failed=counts.failed if counts else 0,
        created_at=int(batch.created_at or 0),
        output_file_id=batch.output_file_id,
        error_file_id=batch.error_file_id,
        errors=errors,
        metadata=dict(batch.metadata or {}),
    )
