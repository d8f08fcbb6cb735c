"""Batch files: the realtime requests written for a batch engine, its answers read back.

``export``: documents → OpenAI batch request lines whose bodies are the realtime
requests byte for byte (long articles chunked as in realtime), plus a documents file
beside them. ``collect``: the engine's output (OpenAI's Batch API, ``vllm run-batch``)
→ the same results as ``claimx extract``, every answer validated, grounded and linked
by the realtime path, failures re-asked, the response cache filled.
"""

from claimx.batchfile.collect import (
    BatchReplay,
    acollect_results,
    collect_results,
    document_sources,
    replay_extractor,
)
from claimx.batchfile.export import (
    ExportedDocument,
    ExportSummary,
    abatch_requests,
    batch_requests,
    export_batch,
)
from claimx.batchfile.lines import (
    AnswerIndex,
    BatchAnswer,
    BatchLine,
    body_digest,
    custom_id,
    read_batch_lines,
    split_batch_file,
)
from claimx.batchfile.settings import BatchSettings, DocumentRecord, documents_path_for, read_documents
from claimx.batchfile.wire import BatchAnswerError, RetryMode

__all__ = [
    "AnswerIndex",
    "BatchAnswer",
    "BatchAnswerError",
    "BatchLine",
    "BatchReplay",
    "BatchSettings",
    "DocumentRecord",
    "ExportSummary",
    "ExportedDocument",
    "RetryMode",
    "abatch_requests",
    "acollect_results",
    "batch_requests",
    "body_digest",
    "collect_results",
    "custom_id",
    "document_sources",
    "documents_path_for",
    "export_batch",
    "read_batch_lines",
    "read_documents",
    "replay_extractor",
    "split_batch_file",
]
