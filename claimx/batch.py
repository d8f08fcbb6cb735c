"""Many documents at once: a bounded pool of concurrent extractions, streamed as they finish.

The cost of a batch is almost all model time, so the job here is to keep the
model busy (``concurrency`` documents in flight, the next one starting as soon
as one finishes), to read documents only when a worker is free (memory stays
flat over any number of them), and to turn each document's failure into a
result of its own, so that one bad article never stops the others.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from claimx._sync import run_sync
from claimx.errors import ClaimxError, InputError, redact
from claimx.extract import ExtractOptions, Extractor
from claimx.inputs import Source
from claimx.schema import Extraction

__all__ = ["BatchResult", "DocumentError", "DocumentInput", "aextract_many", "extract_many"]

#: What a batch accepts per document: a text, an ``(id, text)`` pair, a :class:`Source`,
#: a ``{"id", "text"}`` mapping, or an :class:`InputError` for a document that could not be read.
DocumentInput = str | tuple[str, str] | Source | dict[str, Any] | InputError


class DocumentError(BaseModel):
    """Why a document has no extraction: the error's class, its category and its message."""

    type: str
    cause: str
    message: str


@dataclass(frozen=True)
class BatchResult:
    """One document's outcome: an extraction, or the error that prevented it."""

    doc_id: str
    extraction: Extraction | None = None
    error: DocumentError | None = None
    origin: str | None = None

    @property
    def ok(self) -> bool:
        """True when the document was extracted."""
        return self.extraction is not None

    def to_json_line(self) -> str:
        """One JSONL line (no newline): the extraction, or ``{"doc_id", "error", "origin"}``."""
        if self.extraction is not None:
            return self.extraction.model_dump_json()
        assert self.error is not None
        return _ErrorLine(doc_id=self.doc_id, error=self.error, origin=self.origin).model_dump_json()


class _ErrorLine(BaseModel):
    doc_id: str
    error: DocumentError
    origin: str | None = None


def _document_error(exc: BaseException) -> DocumentError:
    if isinstance(exc, ClaimxError):
        return DocumentError(type=type(exc).__name__, cause=exc.cause, message=exc.message)
    # A bug of ours or of a library: still one document's failure, never the batch's.
    return DocumentError(type=type(exc).__name__, cause="internal", message=redact(str(exc) or repr(exc)))


_log = logging.getLogger("claimx")
_EXTRACTOR_ARGUMENTS = ("model", "base_url", "api_key", "prompt", "cache", "options")


def _normalise(item: object, index: int) -> Source | InputError:
    # ``object``: callers' lists are checked at run time, whatever their annotations say.
    if isinstance(item, (Source, InputError)):
        return item
    if isinstance(item, str):
        return Source(doc_id=f"doc-{index}", text=item, origin=f"item {index}")
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        return Source(doc_id=str(item[0]), text=item[1], origin=f"item {index}")
    if isinstance(item, dict):
        raw_id = item.get("id", item.get("doc_id"))
        doc_id = str(raw_id) if raw_id is not None else f"doc-{index}"
        text = item.get("text")
        if not isinstance(text, str):
            return InputError(f"item {index} has no text", doc_id=doc_id)
        return Source(doc_id=doc_id, text=text, origin=f"item {index}")
    return InputError(
        f"item {index}: expected text, (id, text), a dict with text, or a Source; got {type(item).__name__}",
        doc_id=f"doc-{index}",
    )


async def aextract_many(
    documents: Iterable[DocumentInput],
    *,
    extractor: Extractor | None = None,
    concurrency: int | None = None,
    skip_ids: Iterable[str] = (),
    **extractor_kwargs: Any,
) -> AsyncIterator[BatchResult]:
    """Extract every document, ``concurrency`` at a time, yielding results as they finish.

    ``concurrency`` defaults to the extractor's own limit on model calls at once
    (``ExtractOptions.concurrency``, 8 unless set); when the batch builds its extractor,
    the two are the same number.

    Pass an :class:`Extractor` to share its model, prompt and cache (it stays open), or
    the keyword arguments of :func:`claimx.extract` to build one (``model``, ``base_url``,
    ``api_key``, ``prompt``, ``cache``, ``options``, and model options such as
    ``timeout_s``; it is closed at the end). Documents whose id is in ``skip_ids`` are not
    read further; a repeated id becomes an error result. Results arrive in completion
    order, each with its ``doc_id``; a failed document carries its error instead of an
    extraction. Stopping early (``break``, cancellation) cancels what is in flight.
    """
    owned = extractor is None
    if extractor is None:
        named = {k: extractor_kwargs.pop(k) for k in _EXTRACTOR_ARGUMENTS if k in extractor_kwargs}
        options: ExtractOptions = named.pop("options", None) or ExtractOptions()
        if concurrency is not None:  # the batch's width is also its extractor's limit on calls
            options = dataclasses.replace(options, concurrency=concurrency)
        extractor = Extractor(
            named.pop("model", None), options=options, model_options=extractor_kwargs, **named
        )
    elif extractor_kwargs:  # model options too: they belong to the extractor's model
        raise TypeError(f"pass either an extractor or its arguments, not both: {sorted(extractor_kwargs)}")
    elif concurrency is not None and concurrency > extractor.options.concurrency:
        _log.warning(
            "concurrency=%d documents, but the extractor allows %d model calls at once "
            "(ExtractOptions(concurrency=...)): the documents will wait for its calls",
            concurrency,
            extractor.options.concurrency,
        )
    width = max(1, concurrency or extractor.options.concurrency)
    skip = set(skip_ids)
    seen: set[str] = set()
    items = enumerate(documents)
    results: asyncio.Queue[BatchResult | None] = asyncio.Queue(maxsize=width)

    def next_source() -> Source | InputError | None:
        # Called by one worker at a time (the event loop is single-threaded), so the
        # shared iterator needs no lock; skipped and repeated ids never reach a worker.
        for index, item in items:
            source = _normalise(item, index)
            doc_id = source.doc_id or f"doc-{index}"
            if doc_id in skip:
                continue
            if doc_id in seen:
                return InputError(
                    f"{doc_id} appears more than once in the batch; ids must be unique", doc_id=doc_id
                )
            seen.add(doc_id)
            return source
        return None

    active: Extractor = extractor
    failures: list[Exception] = []

    async def one(source: Source | InputError) -> BatchResult:
        if isinstance(source, InputError):
            return BatchResult(source.doc_id or "", error=_document_error(source))
        try:
            extraction = await active.aextract(source.text, source.doc_id)
        except Exception as exc:  # every failure is this document's result
            if not isinstance(exc, ClaimxError):
                _log.debug("%s: internal error", source.doc_id, exc_info=exc)
            elif exc.fails_every_document:  # the batch stops after this document's line
                failures.append(exc)
            return BatchResult(source.doc_id, error=_document_error(exc), origin=source.origin)
        return BatchResult(source.doc_id, extraction=extraction, origin=source.origin)

    async def worker() -> None:
        try:
            while not failures and (source := next_source()) is not None:
                await results.put(await one(source))
        except Exception as exc:  # iterating ``documents`` failed: the caller's error
            failures.append(exc)
        await results.put(None)

    workers: list[asyncio.Task[None]] = []
    try:
        workers = [asyncio.create_task(worker()) for _ in range(width)]
        running = len(workers)
        while running:
            result = await results.get()
            if result is None:
                running -= 1
                continue
            yield result
            if failures:  # an error every other document would meet too
                break
        if failures:
            raise failures[0]
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if owned:
            await active.aclose()


def extract_many(documents: Iterable[DocumentInput], **kwargs: Any) -> Generator[BatchResult, None, None]:
    """Synchronous :func:`aextract_many`: a generator of results as they finish.

    The work runs on claimx's background event loop, so this also works inside Jupyter.
    Leaving the loop early (``break``, an exception, Ctrl-C) cancels the documents still
    in flight and closes what the batch opened.
    """
    stream = aextract_many(documents, **kwargs)
    step = _Step(stream)
    try:
        while True:
            try:
                yield run_sync(step.next())
            except StopAsyncIteration:
                return
    finally:
        run_sync(step.close())


class _Step:
    """Drives an async iterator from another thread, one item at a time, and can stop it midway."""

    def __init__(self, stream: AsyncIterator[BatchResult]) -> None:
        self.stream = stream
        self.task: asyncio.Task[Any] | None = None

    async def next(self) -> BatchResult:
        self.task = asyncio.current_task()
        return await anext(self.stream)

    async def close(self) -> None:
        # Interrupted while waiting for a result: that wait still runs on the loop. Cancel it
        # (the batch's own cleanup runs inside), then close the iterator.
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.wait([self.task])
        if isinstance(self.stream, AsyncGenerator):
            await self.stream.aclose()
