"""Documents → batch request lines, and batch answers → the response cache.

This is the one place the job layer meets the core's batch format: what a line holds
(its ``custom_id`` and body) and how an answer is checked and stored. Every other part
of :mod:`claimx.batch_api` moves lines and files without reading them.

An answer is stored in the response cache under the hash of the request it answers,
after validating it against that request's response model, exactly as a realtime
answer is; the results are then made by the realtime :class:`~claimx.extract.Extractor`
reading that cache, so a batch's results are grounded and linked as realtime ones are,
a realtime rerun over the same inputs is served from the cache, and an item whose
answer is missing or invalid is simply asked again in realtime (with instructor's
re-asks) by the same extractor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from claimx.cache import ResponseCache
from claimx.chunking import plan_chunks
from claimx.document import Document
from claimx.extract import Extractor
from claimx.models.base import ModelRequest, request_hash
from claimx.names import proper_names
from claimx.response import response_model_for
from claimx.schema import Usage

__all__ = ["PlannedRequest", "plan_document", "request_line", "store_answer"]


@dataclass(frozen=True)
class PlannedRequest:
    """One model request of one document: what a batch line asks, and where its answer goes."""

    custom_id: str
    doc_id: str
    chunk: int
    first: int
    last: int
    hash: str
    request: ModelRequest


def plan_document(extractor: Extractor, document: Document, index: int) -> Iterator[PlannedRequest]:
    """The requests a realtime extraction of ``document`` sends first, one per chunk.

    ``custom_id`` is derived from the document's place in the job, the chunk and the
    request hash, so it is stable across submits and unique even when two documents share
    an id.
    """
    budget = extractor._chunk_budget()
    limits = extractor.profile.limits
    for chunk, (first, last) in enumerate(plan_chunks(document, budget, extractor.options.chunk_overlap)):
        speakers = tuple(proper_names(document, range(first, last + 1))) if limits and limits.compact else ()
        response_model = response_model_for(first, last, limits, speakers)
        messages = extractor.prompt.render(document, range(first, last + 1))
        request = ModelRequest(messages, response_model, extractor.model.max_output_tokens, document.doc_id)
        key = request_hash(extractor.model, request)
        yield PlannedRequest(
            f"d{index}-c{chunk}-{key[:24]}", document.doc_id, chunk, first, last, key, request
        )


def request_line(extractor: Extractor, planned: PlannedRequest) -> dict[str, Any]:
    """The OpenAI batch line for ``planned``: a chat-completion body with its JSON schema."""
    request = planned.request
    schema = _schema(request.response_model)
    body: dict[str, Any] = {
        "model": extractor.model.name,
        "messages": request.messages,
        "max_tokens": request.max_output_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": request.response_model.__name__, "schema": schema, "strict": False},
        },
    }
    identity = extractor.model.cache_identity()
    if identity.get("temperature") is not None:
        body["temperature"] = identity["temperature"]
    if identity.get("seed") is not None:
        body["seed"] = identity["seed"]
    return {"custom_id": planned.custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}


def store_answer(
    cache: ResponseCache, extractor: Extractor, planned: PlannedRequest, record: dict[str, Any]
) -> str | None:
    """Validate one output-file record and store it in the cache; None, or why it failed.

    The reasons are those a realtime call would fail with: the provider's error, an HTTP
    status, a truncated answer, an answer that is not JSON or not of the schema.
    """
    error = record.get("error")
    if error:
        return f"the provider failed the request: {_text(error)}"
    response = record.get("response") or {}
    status = response.get("status_code")
    body = response.get("body")
    if status != 200 or not isinstance(body, dict):
        return f"the provider answered {status}: {_text(body)}"
    choices = body.get("choices") or []
    if not choices:
        return "the answer has no choices"
    if choices[0].get("finish_reason") == "length":
        return "the answer was cut off at the output limit (finish_reason length)"
    content = (choices[0].get("message") or {}).get("content")
    if not isinstance(content, str):
        return "the answer has no content"
    try:
        output = planned.request.response_model.model_validate_json(content)
    except ValidationError as exc:
        return f"the answer does not fit the schema: {str(exc).splitlines()[0][:200]}"
    counts = body.get("usage") or {}
    usage = Usage(
        prompt_tokens=int(counts.get("prompt_tokens") or 0),
        completion_tokens=int(counts.get("completion_tokens") or 0),
        total_tokens=int(counts.get("total_tokens") or 0),
        requests=1,
    )
    label = {
        "model": extractor.model.id,
        "prompt": extractor.prompt.id,
        "doc_id": planned.doc_id,
        "sentences": [planned.first, planned.last],
        "batch": True,
    }
    cache.put(planned.hash, output.model_dump_json(), usage, raw_completion=json.dumps(body), label=label)
    return None


@lru_cache(maxsize=256)
def _schema(response_model: type[BaseModel]) -> dict[str, Any]:
    # Response models are built once per stretch of sentences and reused: so is their schema.
    return response_model.model_json_schema()


def _text(value: Any) -> str:
    if isinstance(value, dict):
        inner = value.get("error", value)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner.get("code") or "") + " " + str(inner["message"])[:200]
    return str(value)[:200]
