"""Many documents at once: a bounded pool of concurrent extractions, streamed as they finish.

The cost of a batch is almost all model time, so the job here is to keep the
model busy (``concurrency`` documents in flight, the next one starting as soon
as one finishes), to read documents only when a worker is free (memory stays
flat over any number of them), and to turn each document's failure into a
result of its own, so that one bad article never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from claimx._sync import off_loop, run_sync
from claimx.arguments import ExtractorArguments
from claimx.budget import CostBudget, NotStarted, check_estimate, spend, unknown_price_error
from claimx.cache import ResponseCache
from claimx.errors import ClaimxError, InputError, redact
from claimx.extract import ExtractOptions, Extractor
from claimx.inputs import PendingFile, Source
from claimx.models.base import Model, RetryPolicy
from claimx.pricing import CostEstimate
from claimx.prompts import Prompt
from claimx.schema import Extraction, Usage

__all__ = [
    "BatchResult",
    "DocumentError",
    "DocumentInput",
    "aestimate_many",
    "aextract_many",
    "document_error",
    "extract_many",
    "run_many",
]

#: What a batch accepts per document: a text, an ``(id, text)`` pair, a :class:`Source`,
#: a ``{"id", "text"}`` mapping, an :class:`InputError` for a document that could not be read, or a
#: :class:`~claimx.inputs.PendingFile` (a file not read yet, read off the event loop when its turn comes).
DocumentInput = str | tuple[str, str] | Source | dict[str, Any] | InputError | PendingFile


class DocumentError(BaseModel):
    """Why a document has no extraction: the error's class, its category and its message.

    For a model's failure, also what is known of the attempts: the HTTP ``status``, how many
    ``attempts`` were made, the ``last_output`` that never validated (secrets redacted) and
    the ``usage`` of the calls made (requests, tokens, cost).
    """

    type: str
    cause: str
    message: str
    status: int | None = None
    attempts: int | None = None
    last_output: str | None = None
    #: What the model calls made for the document cost (billed though no extraction came of them).
    usage: Usage | None = None


@dataclass(frozen=True)
class BatchResult:
    """One document's outcome: an extraction, or the error that prevented it."""

    doc_id: str
    extraction: Extraction | None = None
    error: DocumentError | None = None
    origin: str | None = None
    #: Seconds from the start of this document's work to its result.
    latency_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the document was extracted."""
        return self.extraction is not None

    @property
    def usage(self) -> Usage | None:
        """What the document's calls cost: its extraction's, else what its error reports (or None)."""
        if self.extraction is not None:
            return self.extraction.meta.usage
        return self.error.usage if self.error is not None else None

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


def document_error(exc: BaseException) -> DocumentError:
    """The one place an exception becomes a document's error (batch lines and eval runs alike)."""
    if isinstance(exc, ClaimxError):
        return DocumentError.model_validate({**exc.to_dict(), "usage": exc.usage})
    # A bug of ours or of a library: still one document's failure, never the batch's.
    return DocumentError(type=type(exc).__name__, cause="internal", message=redact(str(exc) or repr(exc)))


_log = logging.getLogger("claimx")


#: One document's work in a batch: its source → its extraction (raising when there is none).
Work = Callable[[Source], Awaitable[Extraction]]


def _normalise(item: object, index: int) -> Source | InputError | PendingFile:
    # ``object``: callers' lists are checked at run time, whatever their annotations say.
    if isinstance(item, (Source, InputError, PendingFile)):
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


async def run_many(
    documents: Iterable[DocumentInput], work: Work, *, width: int, skip_ids: Iterable[str] = ()
) -> AsyncIterator[BatchResult]:
    """Run ``work`` on every document, ``width`` at a time, yielding results as they finish.

    The one runner for many documents (batches and eval runs): documents are read only when
    a worker is free; every failure of a document's work becomes that document's error
    result (:func:`document_error`), never the batch's; documents whose id is in
    ``skip_ids`` are not read further and a repeated id is an error result. Documents are
    taken from ``documents`` (unless a list or tuple) and files read in a background thread, so
    a read that blocks (a FIFO) holds up only its own document. Stopping early (``break``, cancellation)
    cancels what is in flight. When ``work`` raises :class:`NotStarted` for a document, it
    gets no result and no document starts after it; those in flight finish and are yielded.
    An error every other document would meet (``fails_every_document``: a rejected key, a
    key without permission, an unknown model, a server that is not running) is raised after
    that document's result and every result finished before it; no document starts after it
    and those in flight are cancelled.
    """
    width = max(1, width)
    skip = set(skip_ids)
    seen: set[str] = set()
    items = enumerate(documents)
    # A list or tuple is already in memory: taking its next item cannot block, so it needs no
    # thread (starting one per document cost more CPU than the rest of a short document's work).
    in_memory = type(documents) in (list, tuple)
    results: asyncio.Queue[BatchResult | None] = asyncio.Queue(maxsize=width)

    def next_source() -> Source | InputError | PendingFile | None:
        # Run in a thread, by one worker at a time (under ``taking``); skipped and repeated
        # ids never reach a worker. A repeat of a skipped id is still a repeat: a resumed
        # run must not silently drop the second document that carries a finished one's id.
        for index, item in items:
            source = _normalise(item, index)
            doc_id = source.doc_id or f"doc-{index}"
            if doc_id in seen:
                return InputError(
                    f"{doc_id} appears more than once in the batch; ids must be unique", doc_id=doc_id
                )
            seen.add(doc_id)
            if doc_id in skip:
                continue
            return source
        return None

    taking = asyncio.Lock()

    failures: list[Exception] = []
    stopping: list[BatchResult] = []  # the results of errors every document would meet

    declined: list[str] = []

    async def one(item: Source | InputError | PendingFile) -> BatchResult | None:
        source = await off_loop(item.read) if isinstance(item, PendingFile) else item
        if isinstance(source, InputError):
            return BatchResult(source.doc_id or "", error=document_error(source))
        started = time.perf_counter()
        try:
            extraction = await work(source)
        except NotStarted:
            declined.append(source.doc_id)
            return None
        except Exception as exc:  # every failure is this document's result
            latency = round(time.perf_counter() - started, 4)
            failed = BatchResult(
                source.doc_id, error=document_error(exc), origin=source.origin, latency_s=latency
            )
            if not isinstance(exc, ClaimxError):
                _log.debug("%s: internal error", source.doc_id, exc_info=exc)
            elif exc.fails_every_document:  # the batch stops after this document's line
                failures.append(exc)
                stopping.append(failed)
            return failed
        latency = round(time.perf_counter() - started, 4)
        return BatchResult(source.doc_id, extraction=extraction, origin=source.origin, latency_s=latency)

    async def worker() -> None:
        try:
            while not failures and not declined:
                async with taking:
                    source = next_source() if in_memory else await off_loop(next_source)
                if source is None:
                    break
                result = await one(source)
                if result is None:  # the work declined it: this worker stops, the others finish theirs
                    break
                await results.put(result)
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
            # An error every other document would meet too: stop once its own line is out (the
            # lines queued before it are finished work), or at once when reading the input failed.
            if failures and (not stopping or any(result is s for s in stopping)):
                break
        if failures:
            # What finished while that line went out is kept too; what still runs is cancelled.
            while not results.empty():
                if (left := results.get_nowait()) is not None:
                    yield left
            raise failures[0]
    finally:
        for task in workers:
            task.cancel()
        # A worker whose cancellation was swallowed below it (a library catching it) may still
        # put into the full queue: keep it drained until every worker is done, never wait on it.
        pending: set[asyncio.Task[None]] = set(workers)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.05)
            while not results.empty():
                results.get_nowait()


async def aextract_many(
    documents: Iterable[DocumentInput],
    *,
    extractor: Extractor | None = None,
    concurrency: int | None = None,
    skip_ids: Iterable[str] = (),
    model: Model | str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: Prompt | str | None = None,
    html: bool = False,
    cache: ResponseCache | bool = True,
    options: ExtractOptions | None = None,
    timeout_s: float | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    max_output_tokens: int | None = None,
    structured_output: str | None = None,
    retry: RetryPolicy | None = None,
    model_options: Mapping[str, Any] | None = None,
    max_cost: float | CostBudget | None = None,
) -> AsyncIterator[BatchResult]:
    """Extract every document, ``concurrency`` at a time, yielding results as they finish.

    ``concurrency`` defaults to the extractor's own limit on model calls at once
    (``ExtractOptions.concurrency``, 8 unless set); when the batch builds its extractor,
    the two are the same number.

    Pass an :class:`Extractor` to share its model, prompt and cache (it stays open), or
    the arguments of :func:`claimx.extract` to build one (closed at the end). Documents
    whose id is in ``skip_ids`` are not read further; a repeated id becomes an error
    result. Results arrive in completion order, each with its ``doc_id``; a failed
    document carries its error instead of an extraction. Stopping early (``break``,
    cancellation) cancels what is in flight.

    ``max_cost`` (US dollars) limits what the batch spends (see :mod:`claimx.budget`): the
    documents are read first and the batch's estimate (:func:`aestimate_many`) must fit, or
    :class:`~claimx.budget.CostLimitError` is raised before any call; while it runs, no
    document starts that might take the spending past the limit, and after the last
    finished result :class:`~claimx.budget.CostLimitReached` says the batch stopped there.
    A :class:`~claimx.budget.CostBudget` instead of a number skips the estimate up front
    (for a stream that cannot be read twice) and keeps only the running limit.
    """
    batch = _batch(documents, extractor, concurrency, skip_ids, ExtractorArguments.of(locals()), max_cost)
    try:
        async for result in batch:
            yield result
    finally:
        await batch.aclose()


async def _batch(
    documents: Iterable[DocumentInput],
    extractor: Extractor | None,
    concurrency: int | None,
    skip_ids: Iterable[str],
    arguments: ExtractorArguments,
    max_cost: float | CostBudget | None = None,
) -> AsyncGenerator[BatchResult, None]:
    """:func:`aextract_many`: with the given extractor, or one built from ``arguments`` and closed."""
    owned = extractor is None
    if extractor is None:  # built in a thread: it opens the cache (SQLite) and reads the prompt
        extractor = await off_loop(lambda: arguments.build(concurrency))
    else:
        given = arguments.given()
        if given:  # they belong to the extractor, which is already built
            raise TypeError(f"pass either an extractor or its arguments, not both: {given}")
        if concurrency is not None and concurrency > extractor.options.concurrency:
            _log.warning(
                "concurrency=%d documents, but the extractor allows %d model calls at once "
                "(ExtractOptions(concurrency=...)): the documents will wait for its calls",
                concurrency,
                extractor.options.concurrency,
            )
    active: Extractor = extractor
    budget: CostBudget | None = None

    async def work(source: Source) -> Extraction:
        # A page read as HTML (by the CLI) brings its metadata along: the result says so.
        text = source.document() if source.page else source.text
        if budget is None:
            return await active.aextract(text, source.doc_id)
        estimate = await active.aestimate(text, source.doc_id)
        return await spend(budget, source.doc_id, estimate, lambda: active.aextract(text, source.doc_id))

    try:
        if max_cost is not None:
            if active.price is None:
                raise unknown_price_error(active.model.id)
            if isinstance(max_cost, CostBudget):
                budget = max_cost
            else:
                documents = [await _read(item, i) for i, item in enumerate(documents)]
                estimate = await aestimate_many(documents, active, skip_ids=skip_ids)
                check_estimate(estimate, max_cost, active.model.id)
                budget = CostBudget(max_cost)
        async for result in run_many(
            documents, work, width=concurrency or active.options.concurrency, skip_ids=skip_ids
        ):
            yield result
        if budget is not None and budget.closed:
            raise budget.stopped_error()
    finally:
        if owned:
            await active.aclose()


async def _read(item: object, index: int) -> Source | InputError:
    """One document, read now (a file, in a thread), so it can be estimated and then run."""
    normalised = _normalise(item, index)
    return await off_loop(normalised.read) if isinstance(normalised, PendingFile) else normalised


async def aestimate_many(
    documents: Iterable[DocumentInput], extractor: Extractor, *, skip_ids: Iterable[str] = ()
) -> CostEstimate:
    """What extracting ``documents`` with ``extractor`` would cost (:meth:`Extractor.aestimate`), summed.

    Documents that cannot be read or used (an empty text) and those in ``skip_ids`` cost
    nothing, as the batch makes each unusable one its error result; files are read
    one at a time, in a thread. The cost is None when the model's price is unknown.
    """
    skip = set(skip_ids)
    total = CostEstimate()
    for index, item in enumerate(documents):
        normalised = _normalise(item, index)
        if normalised.doc_id in skip:
            continue
        source = await off_loop(normalised.read) if isinstance(normalised, PendingFile) else normalised
        if isinstance(source, InputError) or source.doc_id in skip:
            continue
        text = source.document() if source.page else source.text
        try:
            estimate = await extractor.aestimate(text, source.doc_id)
        except InputError:  # an empty or unusable text: the run makes it that document's error result
            continue
        total = total.plus(estimate)
    return total


def extract_many(
    documents: Iterable[DocumentInput],
    *,
    extractor: Extractor | None = None,
    concurrency: int | None = None,
    skip_ids: Iterable[str] = (),
    model: Model | str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: Prompt | str | None = None,
    html: bool = False,
    cache: ResponseCache | bool = True,
    options: ExtractOptions | None = None,
    timeout_s: float | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    max_output_tokens: int | None = None,
    structured_output: str | None = None,
    retry: RetryPolicy | None = None,
    model_options: Mapping[str, Any] | None = None,
    max_cost: float | CostBudget | None = None,
) -> Generator[BatchResult, None, None]:
    """Synchronous :func:`aextract_many` (the same arguments): a generator of results as they finish.

    The work runs on claimx's background event loop, so this also works inside Jupyter.
    Leaving the loop early (``break``, an exception, Ctrl-C) cancels the documents still
    in flight and closes what the batch opened.
    """
    stream = _batch(documents, extractor, concurrency, skip_ids, ExtractorArguments.of(locals()), max_cost)
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
