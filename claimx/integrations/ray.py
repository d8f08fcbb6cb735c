"""claimx on a Ray cluster: a callable class for ``ray.data.Dataset.map_batches``.

Ray already schedules work across machines, retries lost tasks and streams
data from and to storage; claimx does not grow a scheduler of its own. This
module gives Ray what it needs to call claimx: a class whose instances live one
per Ray actor, each holding one :class:`~claimx.Extractor` (one connection pool,
one prompt, one response cache and one set of rate limits), and whose call turns
a batch of rows ``{id, text}`` into result rows::

    import ray
    from claimx.integrations.ray import ClaimxExtractor

    ds = ray.data.read_parquet("s3://bucket/articles/")           # columns id, text
    out = ds.map_batches(
        ClaimxExtractor,
        fn_constructor_kwargs={"model": "openai/qwen2.5-7b", "base_url": "http://vllm:8000/v1"},
        concurrency=4,            # Ray actors, each with its own extractor
        batch_size=64,
    )
    out.write_parquet("s3://bucket/claimx/")

Every input row gives exactly one output row: ``id``, ``ok``, ``extraction``
(the :class:`~claimx.Extraction` as JSON, or null) and ``error`` (the error as
JSON ``{type, cause, message}``, or null). A document that fails is a row with
its error, never a failed Ray task, so one bad article never makes Ray retry or
drop a whole batch.

Ray itself is not imported here: the class is plain Python that Ray calls, so the
module works (and is tested) wherever Ray runs it. Install ``claimx[ray]`` for Ray.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from claimx.batch import BatchResult, extract_many
from claimx.cache import ResponseCache
from claimx.extract import ExtractOptions, Extractor

__all__ = ["RESULT_COLUMNS", "ClaimxExtractor", "result_row"]

#: The columns of every output batch, in this order.
RESULT_COLUMNS = ("id", "ok", "extraction", "error")


def result_row(result: BatchResult) -> dict[str, Any]:
    """One output row for one document's outcome."""
    return {
        "id": result.doc_id,
        "ok": result.ok,
        "extraction": result.extraction.model_dump_json() if result.extraction is not None else None,
        "error": result.error.model_dump_json() if result.error is not None else None,
    }


class ClaimxExtractor:
    """Extracts the rows of one Ray batch; one instance (one extractor) per Ray actor.

    The API key is never a constructor argument: Ray records constructor arguments in
    its control plane and dashboard. The actor reads it from its own environment, the
    variable named by ``api_key_env`` (set it on the workers, e.g. through Ray's
    ``runtime_env`` or the cluster's secret store).

    ``requests_per_minute`` and ``tokens_per_minute`` bound *this actor*: with N actors
    sharing one quota, give each 1/N of it. ``concurrency`` is the number of documents
    (and model calls) in flight inside one actor.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str | None = None,
        prompt: str | None = None,
        cache_dir: str | None = None,
        concurrency: int = 8,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        id_column: str = "id",
        text_column: str = "text",
        model_options: Mapping[str, Any] | None = None,
    ) -> None:
        api_key = os.environ.get(api_key_env) if api_key_env else None
        if api_key_env and not api_key:
            raise RuntimeError(f"claimx: the variable {api_key_env} is not set on this Ray worker")
        cache: ResponseCache | bool = ResponseCache(Path(cache_dir)) if cache_dir else True
        self.concurrency = concurrency
        self.id_column = id_column
        self.text_column = text_column
        self.extractor = Extractor(
            model,
            prompt=prompt,
            cache=cache,
            base_url=base_url,
            api_key=api_key,
            model_options=dict(model_options or {}),
            options=ExtractOptions(
                concurrency=concurrency,
                requests_per_minute=requests_per_minute,
                tokens_per_minute=tokens_per_minute,
                html=False,
            ),
        )

    def __call__(self, batch: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
        """Extract every row of ``batch`` (columns ``id`` and ``text``); one result row each."""
        ids = [str(value) for value in batch[self.id_column]]
        texts = ["" if value is None else str(value) for value in batch[self.text_column]]
        columns: dict[str, list[Any]] = {name: [] for name in RESULT_COLUMNS}
        results = extract_many(
            list(zip(ids, texts, strict=True)), extractor=self.extractor, concurrency=self.concurrency
        )
        for result in results:
            for name, value in result_row(result).items():
                columns[name].append(value)
        return columns
