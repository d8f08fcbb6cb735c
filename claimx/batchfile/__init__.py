"""Batch files: the realtime requests written for a batch engine, its answers read back.

``export``: documents → OpenAI batch request lines whose bodies are the realtime
requests byte for byte (long articles chunked as in realtime), plus a documents file
beside them. ``collect``: the engine's output (OpenAI's Batch API, ``vllm run-batch``)
→ the same results as ``claimx extract``, every answer validated, grounded and linked
by the realtime path, failures re-asked, the response cache filled.
"""

# The submodules load on first use of a name (PEP 562), not with the package: the CLI reads
# :class:`RetryMode` and the settings to declare its commands, and every ``claimx`` command
# would otherwise load the HTTP client the batch transports are built on (about 5% of start-up).
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from claimx.batchfile.settings import (
        BatchSettings,
        DocumentRecord,
        RetryMode,
        documents_path_for,
        read_documents,
    )
    from claimx.batchfile.wire import BatchAnswerError

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

_HOMES = {
    "BatchReplay": "collect",
    "acollect_results": "collect",
    "collect_results": "collect",
    "document_sources": "collect",
    "replay_extractor": "collect",
    "ExportedDocument": "export",
    "ExportSummary": "export",
    "abatch_requests": "export",
    "batch_requests": "export",
    "export_batch": "export",
    "AnswerIndex": "lines",
    "BatchAnswer": "lines",
    "BatchLine": "lines",
    "body_digest": "lines",
    "custom_id": "lines",
    "read_batch_lines": "lines",
    "split_batch_file": "lines",
    "BatchSettings": "settings",
    "DocumentRecord": "settings",
    "RetryMode": "settings",
    "documents_path_for": "settings",
    "read_documents": "settings",
    "BatchAnswerError": "wire",
}


def __getattr__(name: str) -> Any:
    """A public name, from the submodule that defines it (imported then, and kept)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
