"""Documents → OpenAI batch request lines, exactly the realtime requests.

Each document goes through the realtime :class:`~claimx.extract.Extractor` (cache off)
over a :class:`~claimx.batchfile.wire.CaptureTransport`: the prompt, the chunking of
long articles, the response schema and the request parameters are the realtime ones by
construction, and the bodies are the bytes the OpenAI client would send.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncGenerator, Generator, Iterable
from dataclasses import dataclass
from pathlib import Path

from claimx._sync import run_sync
from claimx.atomic import atomic_replace
from claimx.batch import DocumentInput, run_many
from claimx.batchfile.lines import BatchLine, custom_id
from claimx.batchfile.settings import BatchSettings, DocumentRecord, documents_path_for, header_line
from claimx.batchfile.wire import Captured, CaptureTransport, batch_model
from claimx.extract import Extractor
from claimx.inputs import Source
from claimx.schema import Extraction

__all__ = ["ExportSummary", "ExportedDocument", "abatch_requests", "batch_requests", "export_batch"]


@dataclass(frozen=True)
class ExportedDocument:
    """One document's part of a batch: its record (for import) and its request lines, in chunk order."""

    record: DocumentRecord
    lines: tuple[BatchLine, ...] = ()


def export_extractor(settings: BatchSettings, sink: CaptureTransport) -> Extractor:
    """The realtime extractor of ``settings``, cache off, its requests captured by ``sink``."""
    return Extractor(
        batch_model(settings, sink),
        prompt=settings.prompt,
        cache=False,
        options=dataclasses.replace(settings.options, concurrency=1),
    )


async def abatch_requests(
    documents: Iterable[DocumentInput], settings: BatchSettings
) -> AsyncGenerator[ExportedDocument, None]:
    """The batch request lines of every document, one document at a time, in input order.

    ``documents`` are what :func:`claimx.extract_many` takes (texts, ``(id, text)`` pairs,
    :class:`~claimx.inputs.Source`, ``{"id", "text"}``, files not read yet); a document that
    cannot be read yields a record carrying its error and no lines. Each line's
    ``custom_id`` is ``<doc_id>#<chunk>#<request hash>`` (:func:`custom_id`), stable across runs.
    """
    captured: dict[str, list[Captured]] = {}
    extractor = export_extractor(
        settings, CaptureTransport(lambda c: captured.setdefault(c.doc_id, []).append(c))
    )

    sources: dict[str, Source] = {}  # the document read, for its record once its requests are known

    async def work(source: Source) -> Extraction:
        sources[source.doc_id] = source
        return await extractor.aextract(source.document() if source.page else source.text, source.doc_id)

    try:
        # One at a time: nothing waits on a network here, and the file keeps the input order.
        async for result in run_many(documents, work, width=1):
            requests = captured.pop(result.doc_id, [])
            source = sources.pop(result.doc_id, None)
            if result.error is not None or source is None:
                message = result.error.message if result.error is not None else "not read"
                yield ExportedDocument(DocumentRecord(result.doc_id, error=message))
                continue
            ordered = sorted(enumerate(requests), key=lambda pair: (pair[1].first_sentence, pair[0]))
            lines = tuple(
                BatchLine(custom_id(c.doc_id, chunk, c.key), c.body)
                for chunk, (_, c) in enumerate(ordered, 1)
            )
            yield ExportedDocument(DocumentRecord.of(source, tuple(line.custom_id for line in lines)), lines)
    finally:
        await extractor.aclose()
        await extractor.model.aclose()  # (built here, given to the extractor: ours to close)


def batch_requests(
    documents: Iterable[DocumentInput], settings: BatchSettings
) -> Generator[ExportedDocument, None, None]:
    """Synchronous :func:`abatch_requests`."""
    stream = abatch_requests(documents, settings)

    async def step() -> ExportedDocument:
        return await anext(stream)

    async def close() -> None:
        await stream.aclose()

    try:
        while True:
            try:
                yield run_sync(step())
            except StopAsyncIteration:
                return
    finally:
        run_sync(close())


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    requests_path: Path
    documents_path: Path
    documents: int = 0
    requests: int = 0
    failed: int = 0


def export_batch(
    documents: Iterable[DocumentInput],
    settings: BatchSettings,
    requests_path: str | os.PathLike[str],
    *,
    documents_path: str | os.PathLike[str] | None = None,
) -> ExportSummary:
    """Write the batch file ``requests_path`` and its documents file beside it (both atomically).

    The caller decides whether existing files may be replaced (the CLI refuses without
    ``--overwrite``); both files appear together when the export ends, or neither does.
    """
    requests_path = Path(requests_path)
    documents_path = Path(documents_path) if documents_path is not None else documents_path_for(requests_path)
    probe = export_extractor(settings, CaptureTransport(lambda _: None))
    prompt_sha256 = probe.provenance.prompt_sha256 or ""  # import checks the prompt is still this one
    probe.close()
    run_sync(probe.model.aclose())
    counts = {"documents": 0, "requests": 0, "failed": 0}
    with atomic_replace(requests_path) as requests_out, atomic_replace(documents_path) as documents_out:
        documents_out.write((header_line(settings, prompt_sha256, requests_path.name) + "\n").encode())
        for exported in batch_requests(documents, settings):
            for line in exported.lines:
                requests_out.write((line.to_json_line() + "\n").encode("utf-8", "surrogatepass"))
            documents_out.write((exported.record.to_json_line() + "\n").encode("utf-8", "surrogatepass"))
            counts["documents"] += 1
            counts["requests"] += len(exported.lines)
            counts["failed"] += exported.record.error is not None
    return ExportSummary(requests_path, documents_path, **counts)
